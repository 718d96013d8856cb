"""Partition functions of RBMs against brute-force enumeration, numerical integration and
the statistics of annealed importance sampling."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from physml.data import digits
from physml.ebm import (
    RBM,
    RBMModel,
    ais_betas,
    ais_log_partition,
    exact_log_partition,
    log_likelihood,
    pseudo_likelihood,
    reconstruction_error,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_model(n_v, n_h, *, seed, scale=1.0, visible="bernoulli"):
    rng = np.random.default_rng(seed)
    log_sigma = torch.tensor(rng.normal(0, 0.3, n_v)) if visible == "gaussian" else None
    return RBMModel(
        torch.tensor(rng.normal(0, scale, (n_h, n_v))),
        torch.tensor(rng.normal(0, 1, n_v)),
        torch.tensor(rng.normal(0, 1, n_h)),
        visible=visible,
        log_sigma=log_sigma,
    )


def all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def numpy_params(model):
    return (model.weights.numpy(), model.visible_bias.numpy(), model.hidden_bias.numpy())


def bernoulli_energy(v, h, model):
    """E(v, h) = −b·v − c·h − h W v, written out independently of the library."""
    w, b, c = numpy_params(model)
    return -(v @ b) - (h @ c) - np.einsum("...j,ji,...i->...", h, w, v)


def brute_log_z(model):
    """log Σ_v Σ_h exp(−E(v, h)) over both layers."""
    v, h = all_states(model.n_visible), all_states(model.n_hidden)
    e = bernoulli_energy(v[:, None, :], h[None, :, :], model)
    return float(np.logaddexp.reduce(-e.ravel()))


@pytest.mark.parametrize("shape", [(5, 4), (4, 7), (6, 6), (1, 3), (3, 1)])
def test_exact_log_z_equals_enumeration_over_both_layers(shape):
    model = random_model(*shape, seed=sum(shape))
    assert exact_log_partition(model) == pytest.approx(brute_log_z(model), abs=1e-10, rel=0)


def test_exact_log_z_chunking_does_not_change_the_result():
    model = random_model(12, 9, seed=3, scale=0.7)
    reference = brute_log_z(model)
    for max_elements in (1, 7, 100, 5000, 2**22):
        assert exact_log_partition(model, max_elements=max_elements) == pytest.approx(reference, abs=1e-10)


def test_exact_log_z_is_computed_in_float64_for_a_float32_model():
    model = random_model(8, 10, seed=4)
    reference = exact_log_partition(model)
    low = model.to(dtype="float32")
    # only the parameters are rounded to float32 (relative 6e-8), not the sums
    assert exact_log_partition(low) == pytest.approx(exact_log_partition(low.to(dtype="float64")), abs=1e-12)
    assert exact_log_partition(low) == pytest.approx(reference, abs=1e-4)


def gaussian_joint(v, h, model):
    """exp(−E(v, h)) with E = Σ (v−b)²/(2σ²) − c·h − Σ h_j W_ji v_i/σ_i, written out."""
    w, b, c = numpy_params(model)
    sigma = np.exp(model.log_sigma.numpy())
    e = np.sum((v - b) ** 2 / (2 * sigma**2)) - h @ c - h @ w @ (v / sigma)
    return math.exp(-e)


@pytest.mark.parametrize("n_v", [1, 2])
def test_gaussian_exact_log_z_equals_numerical_integration(n_v):
    model = random_model(n_v, 3, seed=10 + n_v, scale=0.8, visible="gaussian")
    w, b, _ = numpy_params(model)
    sigma = np.exp(model.log_sigma.numpy())
    lo = b - 12 * sigma - sigma * np.abs(w).sum(0)
    hi = b + 12 * sigma + sigma * np.abs(w).sum(0)
    states = all_states(3)
    if n_v == 1:  # adaptive quadrature
        total = sum(
            integrate.quad(
                lambda x, h=h: gaussian_joint(np.array([x]), h, model),
                lo[0],
                hi[0],
                epsabs=0,
                epsrel=1e-13,
                limit=200,
            )[0]
            for h in states
        )
    else:  # tensor-product Gauss-Legendre on the box (the integrand is smooth and negligible outside)
        nodes, weights = np.polynomial.legendre.leggauss(300)
        x = 0.5 * (hi[0] - lo[0]) * nodes + 0.5 * (hi[0] + lo[0])
        y = 0.5 * (hi[1] - lo[1]) * nodes + 0.5 * (hi[1] + lo[1])
        wxy = np.outer(weights, weights) * 0.25 * (hi[0] - lo[0]) * (hi[1] - lo[1])
        v = np.stack(np.meshgrid(x, y, indexing="ij"), -1)  # (300, 300, 2)
        _, _, c = numpy_params(model)
        total = 0.0
        for h in states:  # exp(−E(v, h)) on the grid, E written out as in gaussian_joint
            e = np.sum((v - b) ** 2 / (2 * sigma**2), -1) - h @ c - (v / sigma) @ (h @ w)
            total += float(np.sum(wxy * np.exp(-e)))
    assert exact_log_partition(model) == pytest.approx(math.log(total), abs=1e-9)


def test_gaussian_exact_log_z_equals_closed_form_mixture():
    # Z = Σ_h exp(c·h) Π_i √(2π) σ_i exp(b_i u_i/σ_i + u_i²/2), u = W^T h, checked by a
    # direct evaluation of Σ_h ∫ exp(−E) dv via the Gaussian normalisation of each h term
    model = random_model(6, 5, seed=21, scale=0.5, visible="gaussian")
    w, b, c = numpy_params(model)
    sigma = np.exp(model.log_sigma.numpy())
    terms = []
    for h in all_states(5):
        mean = b + sigma * (h @ w)  # v | h ~ N(mean, σ²)
        # −E at v = mean, plus log of the Gaussian integral around it
        e_mean = np.sum((mean - b) ** 2 / (2 * sigma**2)) - h @ c - h @ w @ (mean / sigma)
        terms.append(-e_mean + np.sum(np.log(np.sqrt(2 * np.pi) * sigma)))
    assert exact_log_partition(model) == pytest.approx(float(np.logaddexp.reduce(terms)), abs=1e-10)


def test_exact_log_z_rejects_too_many_units():
    big = random_model(30, 26, seed=0, scale=0.01)
    with pytest.raises(ValueError, match=r"visible layer, which has 26 units.*limit is 25.*ais_log_part"):
        exact_log_partition(RBMModel(big.weights.T.contiguous(), big.hidden_bias, big.visible_bias))
    with pytest.raises(ValueError, match=r"hidden layer, which has 26 units.*limit is 25"):
        exact_log_partition(big)
    gauss = random_model(3, 26, seed=0, scale=0.01, visible="gaussian")
    with pytest.raises(ValueError, match=r"hidden layer, which has 26 units.*Gaussian-Bernoulli"):
        exact_log_partition(gauss)
    with pytest.raises(TypeError, match="rbm must be a physml RBM or RBMModel"):
        exact_log_partition("not an rbm")


def test_log_likelihood_normalises_and_matches_enumeration():
    model = random_model(6, 5, seed=5)
    v = all_states(6)
    ll = log_likelihood(model, v, exact_log_partition(model))
    assert np.exp(ll).sum() == pytest.approx(1.0, abs=1e-12)
    h = all_states(5)
    e = bernoulli_energy(v[:, None, :], h[None, :, :], model)
    marginal = np.logaddexp.reduce(-e, axis=1) - brute_log_z(model)
    np.testing.assert_allclose(ll, marginal, atol=1e-10)


def test_pseudo_likelihood_is_the_sum_over_every_bit():
    model = random_model(5, 4, seed=6)
    v = all_states(5)
    log_p = log_likelihood(model, v, exact_log_partition(model))
    index = {tuple(s): i for i, s in enumerate(v)}
    expected = np.zeros(len(v))
    for n, s in enumerate(v):
        for i in range(5):
            t = s.copy()
            t[i] = 1 - t[i]
            expected[n] += log_p[n] - np.logaddexp(log_p[n], log_p[index[tuple(t)]])
    got = pseudo_likelihood(model, v)
    np.testing.assert_allclose(got, expected, atol=1e-10)
    # deterministic, and chunking does not matter
    np.testing.assert_array_equal(pseudo_likelihood(model, v), got)
    np.testing.assert_allclose(pseudo_likelihood(model, v, max_elements=3), got, atol=1e-12)
    with pytest.raises(ValueError, match="Bernoulli visibles only"):
        pseudo_likelihood(random_model(2, 2, seed=0, visible="gaussian"), np.zeros((1, 2)))


def test_reconstruction_error_is_the_mean_field_round_trip():
    model = random_model(5, 3, seed=7)
    v = all_states(5)
    w, b, c = numpy_params(model)
    p = 1 / (1 + np.exp(-(v @ w.T + c)))
    recon = 1 / (1 + np.exp(-(p @ w + b)))
    np.testing.assert_allclose(reconstruction_error(model, v), ((v - recon) ** 2).sum(1), atol=1e-12)
    gauss = random_model(3, 4, seed=8, visible="gaussian")
    x = np.random.default_rng(0).normal(size=(6, 3))
    w, b, c = numpy_params(gauss)
    s = np.exp(gauss.log_sigma.numpy())
    p = 1 / (1 + np.exp(-((x / s) @ w.T + c)))
    expected = ((x - b - s * (p @ w)) ** 2).sum(1)
    np.testing.assert_allclose(reconstruction_error(gauss, x), expected, atol=1e-12)


def test_ais_betas_schedules():
    for schedule in ("linear", "sigmoid"):
        b = ais_betas(101, schedule)
        assert b[0] == 0.0 and b[-1] == 1.0 and len(b) == 101 and np.all(np.diff(b) > 0)
    with pytest.raises(ValueError, match="schedule must be one of"):
        ais_betas(10, "cosine")


def ais_z_scores(model, exact, seeds, **kwargs):
    out = []
    for seed in seeds:
        est, se = ais_log_partition(model, seed=seed, **kwargs)
        assert 0 < se < 0.1  # a useful estimate: an inflated error bar would hide bias
        out.append((est - exact) / se)
    return np.array(out)


def check_honest(z):
    """|z| below 4.5 each (two-sided 7e-6), and Σz² inside the central 1 − 2e-4 of χ²_n:
    error bars neither too small nor too large."""
    n = len(z)
    assert np.all(np.abs(z) < 4.5), z
    chi2 = float(np.sum(z**2))
    assert stats.chi2.ppf(1e-4, n) < chi2 < stats.chi2.ppf(1 - 1e-4, n), (z, chi2)


def test_ais_agrees_with_exact_on_a_random_20_hidden_rbm_with_honest_errors():
    model = random_model(30, 20, seed=11, scale=0.6)
    model.visible_bias.mul_(0.5)
    model.hidden_bias.mul_(0.5)
    exact = exact_log_partition(model)
    z = ais_z_scores(model, exact, range(8), n_chains=100, n_betas=500)
    check_honest(z)


def test_ais_linear_schedule_and_explicit_betas():
    model = random_model(12, 10, seed=12, scale=0.5)
    exact = exact_log_partition(model)
    est, se = ais_log_partition(model, n_chains=100, n_betas=800, schedule="linear", seed=1)
    assert abs(est - exact) < 4.5 * se
    est2, se2, lw = ais_log_partition(
        model, n_chains=50, betas=np.linspace(0, 1, 300), seed=2, return_log_weights=True
    )
    assert lw.shape == (50,) and abs(est2 - exact) < 4.5 * se2
    # the estimate is the log-mean-exp of the returned weights
    assert est2 == pytest.approx(float(np.logaddexp.reduce(lw) - np.log(50)), abs=1e-12)
    # and the standard error is the delta-method error of log mean(w): std(w) / (√n mean(w))
    w = np.exp(lw - lw.max())
    assert se2 == pytest.approx(w.std(ddof=1) / (np.sqrt(50) * w.mean()), rel=1e-12)
    with pytest.raises(ValueError, match="betas must increase strictly from 0 to 1"):
        ais_log_partition(model, betas=[0.0, 0.5, 0.4, 1.0])


@pytest.mark.slow
def test_ais_on_an_rbm_trained_on_binarised_digits():
    x = (digits()[0].reshape(-1, 64) > 7).astype(np.float64)
    rbm = RBM(16, n_iter=10, learning_rate=0.05, batch_size=20, dtype="float64", seed=0).fit(x)
    exact = exact_log_partition(rbm)
    # the model has learned correlations: its exact log-likelihood (no noise) beats the best
    # independent-pixel model by more than a nat per image
    p = x.mean(0).clip(1e-3, 1 - 1e-3)
    independent = float(np.mean(x @ np.log(p) + (1 - x) @ np.log1p(-p)))
    assert rbm.score(x) > independent + 1.0
    z = ais_z_scores(rbm, exact, range(4), n_chains=100, n_betas=1000, data=x)
    check_honest(z)


def test_ais_gaussian_bernoulli_agrees_with_exact():
    model = random_model(10, 12, seed=13, scale=0.4, visible="gaussian")
    exact = exact_log_partition(model)
    z = ais_z_scores(model, exact, range(3), n_chains=100, n_betas=600)
    assert np.all(np.abs(z) < 4.5), z
    data = np.random.default_rng(0).normal(size=(50, 10))
    est, se = ais_log_partition(model, n_chains=100, n_betas=600, data=data, seed=5)
    assert abs(est - exact) < 4.5 * se


def test_ais_rejects_bad_input():
    model = random_model(4, 3, seed=0)
    with pytest.raises(ValueError, match="data must be binary"):
        ais_log_partition(model, data=np.full((3, 4), 0.5))
    with pytest.raises(ValueError, match=r"data has 5 features, but the RBM has 4 visible units"):
        ais_log_partition(model, data=np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"n_chains must be in \[2, inf\)"):
        ais_log_partition(model, n_chains=1)
