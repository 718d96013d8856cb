"""Counting errors: the mean's standard error, the binomial error of a fraction, and the error
of SIC = ε_S/√ε_B, against exact values, a direct propagation and seeded Monte-Carlo replicas.

Statistical tolerances: Z = 3.89 standard errors (two-sided 10⁻⁴ per check).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from physml.stats import binomial_standard_error, mean_standard_error, sic_uncertainty

Z = float(scipy_stats.norm.isf(0.5e-4))


def test_mean_standard_error_exact_values():
    mean, se = mean_standard_error(np.array([1.0, 2.0, 3.0, 4.0]))
    assert mean == 2.5
    assert se == pytest.approx(math.sqrt(5 / 3) / 2, rel=1e-15)  # s² = 5/3, K = 4
    assert mean_standard_error([7.0]) == (7.0, math.inf)
    with pytest.raises(ValueError, match="values needs at least 1 sample"):
        mean_standard_error(np.array([]))
    with pytest.raises(ValueError, match="values contains 1 non-finite"):
        mean_standard_error([1.0, np.nan])


def test_mean_standard_error_covers_the_mean_at_the_t_rate():
    # for K = 6 normal values, (mean − μ)/se is Student t with 5 degrees of freedom: it lies within
    # t₅(0.975) = 2.571 of 0 in 95% of replicas, within Z binomial errors
    rng = np.random.default_rng(31)
    replicas = 4000
    estimates = np.array([mean_standard_error(rng.normal(1.0, 2.0, 6)) for _ in range(replicas)])
    t = (estimates[:, 0] - 1.0) / estimates[:, 1]
    inside = np.mean(np.abs(t) < scipy_stats.t.isf(0.025, 5))
    assert abs(inside - 0.95) < Z * math.sqrt(0.95 * 0.05 / replicas)


def test_binomial_standard_error():
    assert binomial_standard_error(0.5, 100) == pytest.approx(0.05, rel=1e-15)
    assert binomial_standard_error(0.0, 10) == binomial_standard_error(1.0, 10) == 0.0
    # the spread of k/n over replicas: sample variance within Z standard errors of p(1 − p)/n
    rng = np.random.default_rng(32)
    f = rng.binomial(400, 0.2, size=20_000) / 400
    var, se_var = f.var(ddof=1), math.sqrt((np.mean((f - f.mean()) ** 4) - f.var() ** 2) / len(f))
    assert abs(var - binomial_standard_error(0.2, 400) ** 2) < Z * se_var
    with pytest.raises(ValueError, match=r"fraction must be a finite number in \[0, 1\], got 1.5"):
        binomial_standard_error(1.5, 10)
    with pytest.raises(ValueError, match=r"n must be in \[1, inf\), got 0"):
        binomial_standard_error(0.5, 0)


def sic(eps_s: float, eps_b: float) -> float:
    return eps_s / math.sqrt(eps_b)


def test_sic_uncertainty_is_the_propagated_binomial_error():
    # σ² = (∂SIC/∂ε_S)² ε_S(1 − ε_S)/N_S + (∂SIC/∂ε_B)² ε_B(1 − ε_B)/N_B with numerical derivatives
    cases = ((0.3, 0.01, 5000, 100_000), (0.9, 0.5, 200, 300), (0.05, 0.002, 10**6, 10**7))
    for eps_s, eps_b, n_s, n_b in cases:
        h_s, h_b = 1e-6 * eps_s, 1e-6 * eps_b
        d_s = (sic(eps_s + h_s, eps_b) - sic(eps_s - h_s, eps_b)) / (2 * h_s)
        d_b = (sic(eps_s, eps_b + h_b) - sic(eps_s, eps_b - h_b)) / (2 * h_b)
        direct = math.sqrt(d_s**2 * eps_s * (1 - eps_s) / n_s + d_b**2 * eps_b * (1 - eps_b) / n_b)
        assert sic_uncertainty(eps_s, eps_b, n_s, n_b) == pytest.approx(direct, rel=1e-8)
    # no fluctuation of a certain efficiency: only the other sample counts
    assert sic_uncertainty(1.0, 0.25, 10, 100) == pytest.approx(
        0.5 * 0.25**-1.5 * math.sqrt(0.25 * 0.75 / 100), rel=1e-14
    )
    assert sic_uncertainty(0.4, 1.0, 50, 10) == pytest.approx(math.sqrt(0.4 * 0.6 / 50), rel=1e-14)
    assert sic_uncertainty(1.0, 1.0, 10, 10) == 0.0
    assert sic_uncertainty(0.0, 0.3, 10, 10) == 0.0


def test_sic_uncertainty_matches_the_spread_of_counted_replicas():
    # counts k_S ~ Bin(N_S, ε_S), k_B ~ Bin(N_B, ε_B): the variance of the counted SIC over replicas
    # equals σ² up to O(1/(ε N)) terms (here 10⁻³ relative); compared within Z standard errors of the
    # sample variance, sqrt((m₄ − s⁴)/R)
    rng = np.random.default_rng(33)
    replicas = 40_000
    for eps_s, eps_b, n_s, n_b in ((0.3, 0.01, 5000, 100_000), (0.6, 0.05, 2000, 40_000)):
        k_s, k_b = rng.binomial(n_s, eps_s, replicas), rng.binomial(n_b, eps_b, replicas)
        counted = (k_s / n_s) / np.sqrt(k_b / n_b)
        var = counted.var(ddof=1)
        se_var = math.sqrt((np.mean((counted - counted.mean()) ** 4) - counted.var() ** 2) / replicas)
        assert abs(var - sic_uncertainty(eps_s, eps_b, n_s, n_b) ** 2) < Z * se_var


def test_sic_uncertainty_rejects_bad_input():
    with pytest.raises(ValueError, match=r"background_efficiency must be a finite number in \(0, 1\], got 0"):
        sic_uncertainty(0.5, 0.0, 10, 10)
    with pytest.raises(ValueError, match="signal_efficiency must be a finite number"):
        sic_uncertainty(1.2, 0.5, 10, 10)
    with pytest.raises(ValueError, match=r"n_background must be in \[1, inf\), got 0"):
        sic_uncertainty(0.5, 0.5, 10, 0)
    with pytest.raises(TypeError, match="n_signal must be an integer"):
        sic_uncertainty(0.5, 0.5, 10.0, 10)


def test_binomial_standard_error_with_a_one_count_floor():
    # σ = √(max(f(1 − f), 1/n)/n): 1/n at f = 0 or 1, the Wald error above the floor
    assert binomial_standard_error(0.0, 10, one_count_floor=True) == pytest.approx(0.1, rel=1e-15)
    assert binomial_standard_error(1.0, 8, one_count_floor=True) == pytest.approx(1 / 8, rel=1e-15)
    assert binomial_standard_error(0.5, 100, one_count_floor=True) == binomial_standard_error(0.5, 100)
    # f(1 − f) = 0.09 < 1/n = 0.1: floored
    assert binomial_standard_error(0.1, 10, one_count_floor=True) == pytest.approx(0.1, rel=1e-15)
    for f, n in ((0.0, 5), (0.3, 7), (1.0, 1), (0.95, 40)):  # the expression the experiments used inline
        assert binomial_standard_error(f, n, one_count_floor=True) == math.sqrt(max(f * (1 - f), 1.0 / n) / n)
    with pytest.raises(TypeError, match="one_count_floor must be a bool"):
        binomial_standard_error(0.5, 10, one_count_floor=1)
