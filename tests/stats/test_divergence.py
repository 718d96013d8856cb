"""The KL divergence estimate against the closed form for Gaussians, the calibration of its error
over seeded replicas, Gibbs' inequality for a normalised q, and a frozen copy of the former
experiment helper.

Statistical tolerances: Z = 3.89 standard errors (two-sided 10⁻⁴ per check).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from physml.stats import kl_divergence_estimate

Z = float(scipy_stats.norm.isf(0.5e-4))


def kl_gauss(mu_p: float, s_p: float, mu_q: float, s_q: float) -> float:
    """KL(N(μ_p, σ_p²) ‖ N(μ_q, σ_q²)) = ln(σ_q/σ_p) + (σ_p² + (μ_p − μ_q)²)/(2σ_q²) − 1/2."""
    return math.log(s_q / s_p) + (s_p**2 + (mu_p - mu_q) ** 2) / (2 * s_q**2) - 0.5


def test_gaussians_match_the_closed_form_within_the_standard_error():
    x = np.random.default_rng(1).normal(0.3, 1.2, 50_000)
    for mu_q, s_q in ((0.0, 1.0), (1.0, 2.0), (0.3, 1.2)):
        log_p, log_q = scipy_stats.norm.logpdf(x, 0.3, 1.2), scipy_stats.norm.logpdf(x, mu_q, s_q)
        kl, se = kl_divergence_estimate(log_p, log_q)
        exact = kl_gauss(0.3, 1.2, mu_q, s_q)
        if exact == 0.0:
            assert kl == 0.0 and se == 0.0  # q = p: every term vanishes
        else:
            assert abs(kl - exact) < Z * se


def test_the_error_is_calibrated_over_replicas():
    # (kl − KL)/se over independent replicas of 400 samples: a standard normal for large n, so it lies
    # within 1.96 in 95% of replicas, within Z binomial errors
    rng = np.random.default_rng(2)
    replicas, exact = 2000, kl_gauss(0.0, 1.0, 0.5, 1.5)
    z = []
    for _ in range(replicas):
        x = rng.normal(0.0, 1.0, 400)
        kl, se = kl_divergence_estimate(scipy_stats.norm.logpdf(x), scipy_stats.norm.logpdf(x, 0.5, 1.5))
        z.append((kl - exact) / se)
    inside = np.mean(np.abs(np.array(z)) < 1.96)
    assert abs(inside - 0.95) < Z * math.sqrt(0.95 * 0.05 / replicas)


def test_an_unnormalised_q_can_show_a_negative_divergence():
    # q = 2p is not a density: E_p[log p − log 2p] = −ln 2 exactly, with no spread
    x = np.random.default_rng(3).normal(size=100)
    log_p = scipy_stats.norm.logpdf(x)
    kl, se = kl_divergence_estimate(log_p, log_p + math.log(2))
    assert kl == pytest.approx(-math.log(2), rel=1e-14) and se == pytest.approx(0.0, abs=1e-15)


def _frozen_kl_estimate(log_p, log_q):
    """The helper of the flow experiments before it moved here, verbatim."""
    d = np.asarray(log_p) - np.asarray(log_q)
    return float(d.mean()), float(d.std(ddof=1) / math.sqrt(len(d)))


def test_same_numbers_as_the_former_experiment_helper():
    rng = np.random.default_rng(4)
    log_p = rng.normal(size=777)
    for log_q in (rng.normal(size=777), rng.normal(size=777).astype(np.float32)):  # a flow may give float32
        assert kl_divergence_estimate(log_p, log_q) == _frozen_kl_estimate(log_p, log_q)


def test_bad_input():
    assert kl_divergence_estimate([0.5], [0.25]) == (0.25, math.inf)
    with pytest.raises(ValueError, match=r"log_q must have shape \(3\)"):
        kl_divergence_estimate(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="log_q contains 1 non-finite"):
        kl_divergence_estimate(np.zeros(3), np.array([0.0, -np.inf, 0.0]))
    with pytest.raises(ValueError, match="log_p must have 1 dimension"):
        kl_divergence_estimate(np.zeros((3, 2)), np.zeros((3, 2)))
