"""Finite-width theory: quadrature, susceptibilities, critical points, recursions against closed forms."""

import math

import numpy as np
import pytest
import torch
from scipy import special

from physml.nets import (
    critical_initialization,
    gaussian_expectation,
    kernel_recursion,
    ntk_recursion,
    scale_invariant_variance,
    susceptibilities,
    variance_recursion,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_gauss_hermite_moments_and_erf_kernel():
    assert gaussian_expectation(lambda z: z**4, 2.0) == pytest.approx(3 * 4.0, rel=1e-12)
    # ⟨erf(z)²⟩_K = (2/π) arcsin(2K/(1+2K)) (Williams 1997): exact oracle for a smooth activation
    # (128 nodes: ~1e-12 at K ≲ 1; a wide Gaussian sees erf's saturation as a near-kink)
    for K, rel in ((0.1, 1e-12), (1.0, 1e-9), (7.0, 1e-5)):
        exact = 2 / math.pi * math.asin(2 * K / (1 + 2 * K))
        assert gaussian_expectation(lambda z: special.erf(z) ** 2, K) == pytest.approx(exact, rel=rel)
    with pytest.raises(ValueError, match="n_nodes must be even"):
        gaussian_expectation(np.cos, 1.0, n_nodes=5)


def test_relu_kernel_and_susceptibilities_are_exact():
    flow = kernel_recursion("relu", 6, C_b=0.0, C_W=2.0, input_norm2=0.7)
    np.testing.assert_allclose(flow.K, 1.4, rtol=1e-13)  # K^(1) = C_W |x|²/n0, then fixed
    np.testing.assert_allclose(flow.chi_parallel, 1.0, rtol=1e-13)
    np.testing.assert_allclose(flow.chi_perp, 1.0, rtol=1e-13)
    grow = kernel_recursion("relu", 5, C_b=0.0, C_W=3.0, K1=1.0)
    np.testing.assert_allclose(grow.K, 1.5 ** np.arange(5), rtol=1e-13)
    assert kernel_recursion("relu", 80, C_b=0.0, C_W=3.0, K1=1.0).behaviour == "exploding"
    assert kernel_recursion("relu", 80, C_b=0.0, C_W=1.0, K1=1.0).behaviour == "vanishing"
    # χ⊥ for erf: C_W ⟨σ'²⟩_K = C_W (4/π) / sqrt(1 + 4K)
    assert susceptibilities("erf", 0.3, 1.0)[1] == pytest.approx(4 / math.pi / math.sqrt(2.2), rel=1e-10)


def test_tanh_at_criticality_decays_as_one_over_two_ell():
    flow = kernel_recursion("tanh", 400, C_b=0.0, C_W=1.0, K1=1.0)
    assert flow.behaviour == "bounded"
    assert 2 * 400 * flow.K[-1] == pytest.approx(1.0, abs=0.01)  # K ≈ 1/(2ℓ) deep (log corrections)
    assert flow.chi_parallel[-1] == pytest.approx(1.0, abs=6e-3)


@pytest.mark.parametrize(
    ("activation", "C_b", "C_W", "kind"),
    [
        ("linear", 0.0, 1.0, "scale-invariant"),
        ("relu", 0.0, 2.0, "scale-invariant"),
        ("tanh", 0.0, 1.0, "K*=0"),
        ("erf", 0.0, math.pi / 4, "K*=0"),
        (lambda z: torch.nn.functional.leaky_relu(z, 0.1), 0.0, 2 / 1.01, "scale-invariant"),
    ],
)
def test_critical_points_in_closed_form(activation, C_b, C_W, kind):
    point = critical_initialization(activation)
    assert point.universality_class == kind
    assert point.C_b == pytest.approx(C_b, abs=1e-12)
    assert point.C_W == pytest.approx(C_W, rel=1e-10)


def test_gelu_critical_point_solves_the_three_conditions():
    p = critical_initialization("gelu")
    assert p.universality_class == "K*>0" and p.C_b > 0
    flow = kernel_recursion("gelu", 3, C_b=p.C_b, C_W=p.C_W, K1=p.K_star)
    np.testing.assert_allclose(flow.K, p.K_star, rtol=1e-10)  # a fixed point
    np.testing.assert_allclose(flow.chi_parallel, 1.0, rtol=1e-9)
    np.testing.assert_allclose(flow.chi_perp, 1.0, rtol=1e-9)


def test_no_critical_point_is_an_explained_error():
    with pytest.raises(ValueError, match=r"sigmoid has no critical initialisation: σ\(0\) = 0.5 ≠ 0"):
        critical_initialization("sigmoid")
    with pytest.raises(ValueError, match="activation must be a callable or one of"):
        critical_initialization("swish-ish")


@pytest.mark.parametrize(("activation", "C_W", "c"), [("linear", 1.0, 2.0), ("relu", 2.0, 5.0)])
def test_variance_recursion_is_the_leading_order_of_the_exact_result(activation, C_W, c):
    n, depth = 1000, 20
    exact = scale_invariant_variance(activation, depth, n)
    np.testing.assert_allclose(exact, (1 + c / n) ** np.arange(depth) - 1, rtol=1e-12)
    rec = variance_recursion(activation, [n] * (depth - 1), C_b=0.0, C_W=C_W, input_norm2=1.0)
    np.testing.assert_allclose(rec, c * np.arange(depth) / n, rtol=1e-10)
    assert np.all(np.abs(exact - rec) <= exact**2)  # the next order, O((ℓ/n)²)


def test_variance_recursion_for_tanh_approaches_two_ell_over_three_n():
    n, depth = 100, 400
    R = variance_recursion("tanh", [n] * (depth - 1), C_b=0.0, C_W=1.0, K1=1.0)
    assert n * R[-1] / depth == pytest.approx(2 / 3, abs=0.01)  # 0.661 at ℓ = 400, 0.664 at 1000
    with pytest.raises(ValueError, match="scale-invariant"):
        scale_invariant_variance("tanh", 3, 10)


def test_ntk_grows_linearly_at_relu_criticality():
    theta = ntk_recursion("relu", 10, C_b=0.0, C_W=2.0, input_norm2=0.5)
    np.testing.assert_allclose(theta, 0.5 * np.arange(1, 11), rtol=1e-12)
    # with λ_b: Θ^(ℓ+1) = λ_b + λ_W K/2 + Θ^(ℓ) for critical ReLU
    theta_b = ntk_recursion("relu", 4, C_b=0.0, C_W=2.0, lambda_b=0.3, input_norm2=0.5)
    np.testing.assert_allclose(np.diff(theta_b), 0.3 + 0.5, rtol=1e-12)


def test_bad_input():
    with pytest.raises(ValueError, match=r"C_W must be a finite number in \(0, inf\), got 0.0"):
        kernel_recursion("tanh", 3, C_b=0.0, C_W=0.0, K1=1.0)
    with pytest.raises(ValueError, match=r"C_b must be a finite number in \[0, inf\)"):
        kernel_recursion("tanh", 3, C_b=-1.0, C_W=1.0, K1=1.0)
    with pytest.raises(ValueError, match=r"depth must be in \[1, inf\), got 0"):
        kernel_recursion("tanh", 0, C_b=0.0, C_W=1.0, K1=1.0)
    with pytest.raises(ValueError, match="exactly one of K1"):
        kernel_recursion("tanh", 3, C_b=0.0, C_W=1.0)
    with pytest.raises(ValueError, match=r"widths\[1\] must be in \[1, inf\)"):
        variance_recursion("relu", [4, 0], C_b=0.0, C_W=2.0, K1=1.0)


def test_criticality_table_for_tanh():
    from physml.nets import criticality_table

    table = criticality_table("tanh", depth=4, width=50)
    assert (table["C_b"], table["C_W"], table["universality_class"]) == (0.0, 1.0, "K*=0")
    assert [r["layer"] for r in table["rows"]] == [1, 2, 3, 4]
    assert table["rows"][0]["K"] == 1.0 and table["rows"][0]["R"] == 0.0
    assert table["rows"][-1]["K"] < table["rows"][0]["K"]
    relu = criticality_table("relu", depth=3, width=10, C_b=0.0, C_W=2.0, input_norm2=0.5)
    assert relu["universality_class"] is None
    assert [r["ntk"] for r in relu["rows"]] == pytest.approx([0.5, 1.0, 1.5])
    with pytest.raises(ValueError, match="give both C_b and C_W"):
        criticality_table("relu", C_b=0.0)


def test_check_criticality_says_what_happens():
    from physml.nets import check_criticality

    ok = check_criticality("tanh", 0.0, 1.0)
    assert ok.critical and "is critical for tanh" in ok.message
    hot = check_criticality("relu", 0.0, 2.5, depth=100)
    assert not hot.critical and hot.behaviour == "exploding" and hot.chi_perp == pytest.approx(1.25)
    assert "the critical point is (C_b, C_W) = (0, 2)" in hot.message and "chaotic" in hot.message
    cold = check_criticality("tanh", 0.0, 0.5, depth=100)
    assert cold.behaviour == "vanishing" and cold.chi_perp < 1 and "ordered" in cold.message
    sig = check_criticality("sigmoid", 0.0, 1.0)
    assert not sig.critical and sig.critical_point is None and "sigmoid has no critical point" in sig.message


@pytest.mark.filterwarnings("error")  # no overflow warnings: the flow stops where K leaves double range
def test_an_exploding_kernel_reports_the_layer_where_it_diverges():
    # ReLU, C_b = 0, C_W = 3, |x|²/n_0 = 1: K^(ℓ) = 3 · 1.5^(ℓ-1) exactly; it first exceeds K_MAX = 1e150 at
    # ℓ = 1 + ceil(ln(1e150 / 3) / ln 1.5) = 851 (the recursion once raised OverflowError at depth 3000)
    from physml.nets import check_criticality, criticality_table
    from physml.nets._theory import K_MAX

    first = 1 + math.ceil(math.log(K_MAX / 3.0) / math.log(1.5))
    flow = kernel_recursion("relu", 3000, C_b=0.0, C_W=3.0, input_norm2=1.0)
    assert flow.diverges_at == first == 851
    assert flow.K[first - 2] == pytest.approx(3.0 * 1.5 ** (first - 2), rel=1e-10)
    assert np.all(np.isinf(flow.K[first - 1 :])) and np.all(np.isnan(flow.chi_perp[first - 1 :]))
    table = criticality_table("relu", depth=3000, width=100, C_b=0.0, C_W=3.0)
    assert table["diverges_at"] == first
    R = np.array([row["R"] for row in table["rows"]])
    assert np.all(np.isfinite(R[: first - 1])) and np.all(np.isnan(R[first - 1 :]))
    check = check_criticality("relu", 0.0, 3.0, depth=3000)  # starts from K^(1) = 1
    from_one = 1 + math.ceil(math.log(K_MAX) / math.log(1.5))
    assert check.diverges_at == from_one
    assert f"K diverges (exceeds 1e+150) at layer {from_one}" in check.message
    # bounded and critical flows do not diverge
    assert kernel_recursion("relu", 3000, C_b=0.0, C_W=2.0, input_norm2=1.0).diverges_at is None
    assert kernel_recursion("tanh", 300, C_b=0.0, C_W=1.0, input_norm2=1.0).diverges_at is None
