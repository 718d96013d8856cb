"""The Rayleigh test and the alignment of directions with axes, against exact results and their
null distributions over seeded replicas.

Statistical tolerances: each check allows Z standard errors, Z = 3.89, the two-sided normal
quantile at 10⁻⁴, so that a correct implementation fails a check with probability 10⁻⁴.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from physml.stats import axial_alignment, rayleigh_test, uniform_mean_abs_cosine

Z = float(scipy_stats.norm.isf(0.5e-4))


def uniform_directions(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """n directions uniform on the sphere of R^d (isotropic Gaussian vectors)."""
    return rng.standard_normal((n, d))


def test_rayleigh_exact_values():
    v = np.array([[0.6, 0.8, 0.0]])
    same = v * np.array([[1.0], [2.0], [0.5], [7.0]])  # one direction, four lengths
    r = rayleigh_test(same)
    assert r.statistic == pytest.approx(3 * 4)  # D n
    assert r.mean_resultant_length == pytest.approx(1.0)
    assert (r.n, r.dimension) == (4, 3)
    assert r.modified_statistic == pytest.approx((1 - 1 / 8) * 12 + 144 / (2 * 4 * 5))
    assert r.p_value == pytest.approx(scipy_stats.chi2.sf(r.modified_statistic, 3))
    pairs = rayleigh_test(np.array([[1.0, 2.0], [-3.0, -6.0], [0.0, 1.0], [0.0, -0.1]]))
    assert pairs.statistic == pytest.approx(0.0, abs=1e-15)  # antipodal pairs cancel
    assert pairs.p_value == pytest.approx(1.0)


def test_rayleigh_statistic_has_mean_D_for_every_n():
    # E|Σ u_i|² = n for independent uniform unit vectors, so E[D n |R̄|²] = D exactly, at any n
    rng = np.random.default_rng(11)
    replicas = 2000
    for d, n in ((2, 3), (3, 7), (5, 4)):
        s = np.array([rayleigh_test(uniform_directions(rng, n, d)).statistic for _ in range(replicas)])
        assert abs(s.mean() - d) < Z * s.std(ddof=1) / math.sqrt(replicas), (d, n)


def test_rayleigh_p_value_is_uniform_under_the_null():
    # uniform directions: P(p ≤ α) = α (Jupp's modified statistic is χ²_D to O(n⁻²), here ≲ 0.002),
    # each fraction within Z binomial standard errors
    rng = np.random.default_rng(12)
    replicas = 3000
    for d in (2, 3, 6):
        p = np.array([rayleigh_test(uniform_directions(rng, 8, d)).p_value for _ in range(replicas)])
        for alpha in (0.05, 0.2, 0.5, 0.8):
            se = math.sqrt(alpha * (1 - alpha) / replicas)
            assert abs(np.mean(p <= alpha) - alpha) < Z * se, (d, alpha)


@pytest.mark.slow
def test_rayleigh_small_samples_need_the_modified_statistic():
    # for 5 directions in R³ the plain χ²_3 tail of S is off by 0.027 at α = 1/2, 6 standard errors
    # over 12000 replicas (the check below then has 98% power); the modified statistic's tail is
    # within Z of them
    rng = np.random.default_rng(13)
    replicas, alpha = 12000, 0.5
    tests = [rayleigh_test(uniform_directions(rng, 5, 3)) for _ in range(replicas)]
    se = math.sqrt(alpha * (1 - alpha) / replicas)
    modified = np.mean([t.p_value <= alpha for t in tests])
    plain = np.mean([scipy_stats.chi2.sf(t.statistic, 3) <= alpha for t in tests])
    assert abs(modified - alpha) < Z * se
    assert abs(plain - alpha) > Z * se


def test_rayleigh_detects_a_preferred_direction():
    rng = np.random.default_rng(14)
    clustered = np.array([0.0, 0.0, 1.0]) + 0.3 * rng.standard_normal((20, 3))
    assert rayleigh_test(clustered).p_value < 1e-6
    assert rayleigh_test(clustered).mean_resultant_length > 0.8


def test_rayleigh_rejects_bad_input():
    with pytest.raises(ValueError, match="directions has a zero row at index 1"):
        rayleigh_test(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="directions must have at least 2 columns"):
        rayleigh_test(np.ones((4, 1)))
    with pytest.raises(ValueError, match="directions must have 2 dimension"):
        rayleigh_test(np.ones(4))
    with pytest.raises(ValueError, match="directions contains 1 non-finite"):
        rayleigh_test(np.array([[1.0, np.nan], [0.0, 1.0]]))


def test_uniform_mean_abs_cosine_closed_forms_and_monte_carlo():
    assert uniform_mean_abs_cosine(1) == 1.0
    assert uniform_mean_abs_cosine(2) == pytest.approx(2 / math.pi, rel=1e-14)
    assert uniform_mean_abs_cosine(3) == pytest.approx(0.5, rel=1e-14)
    assert uniform_mean_abs_cosine(4) == pytest.approx(4 / (3 * math.pi), rel=1e-14)
    # past the overflow of math.gamma: continuous, and Γ(D/2)/Γ((D+1)/2) = sqrt(2/D) (1 + 1/(4D) + …)
    below, above = uniform_mean_abs_cosine(169), uniform_mean_abs_cosine(170)
    assert below * math.sqrt(169 / 170) == pytest.approx(above, rel=1e-5)
    assert uniform_mean_abs_cosine(10_000) == pytest.approx(math.sqrt(2 / (math.pi * 10_000)), rel=1e-4)
    rng = np.random.default_rng(15)
    u = uniform_directions(rng, 200_000, 5)
    c = np.abs(u[:, 0]) / np.linalg.norm(u, axis=1)
    assert abs(c.mean() - uniform_mean_abs_cosine(5)) < Z * c.std(ddof=1) / math.sqrt(len(c))
    with pytest.raises(ValueError, match=r"dimension must be in \[1, inf\), got 0"):
        uniform_mean_abs_cosine(0)


def test_axial_alignment_of_unrelated_directions_is_the_uniform_one():
    rng = np.random.default_rng(16)
    k = 600
    al = axial_alignment(uniform_directions(rng, k, 3), uniform_directions(rng, k, 3))
    assert al.uniform_mean == pytest.approx(0.5, rel=1e-14)
    sd = al.matched.std(ddof=1)
    assert abs(al.matched.mean() - 0.5) < Z * sd / math.sqrt(k)
    # the mismatched mean averages K(K − 1) correlated pairs; its variance is at most that of a mean
    # over K independent rows plus K independent columns, 2 sd²/K
    assert abs(al.mismatched_mean - 0.5) < Z * sd * math.sqrt(2 / k)


def test_axial_alignment_of_directions_along_their_axes():
    rng = np.random.default_rng(17)
    axes = uniform_directions(rng, 50, 4)
    directions = -3.0 * axes + 1e-3 * rng.standard_normal(axes.shape)  # along the axis, either sign
    al = axial_alignment(directions, axes)
    assert al.matched.min() > 0.999
    assert al.mismatched_mean < 0.7
    assert al.uniform_mean == pytest.approx(4 / (3 * math.pi))
    # an axis has no sign and no length
    flipped = axial_alignment(directions, -axes * rng.uniform(0.5, 2.0, (50, 1)))
    np.testing.assert_allclose(flipped.matched, al.matched, rtol=1e-14)
    with pytest.raises(ValueError, match=r"axes must have shape \(50, 4\)"):
        axial_alignment(directions, axes[:, :3])
    with pytest.raises(ValueError, match="directions needs at least 2 sample"):
        axial_alignment(directions[:1], axes[:1])
    with pytest.raises(ValueError, match="axes has a zero row at index 0"):
        axial_alignment(directions, np.zeros((50, 4)))
