"""The bootstrap standard error against the exact (ideal) bootstrap value of the mean, its
Monte-Carlo spread over resamples, a frozen copy of the experiments' former helper, and seeding.

Statistical tolerances: Z = 3.89 standard errors (two-sided 10⁻⁴ per check).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from physml.stats import bootstrap_standard_error

Z = float(scipy_stats.norm.isf(0.5e-4))


def test_the_mean_converges_to_the_ideal_bootstrap_error():
    # the ideal bootstrap SE of the mean is σ̂/√n with σ̂² = Σ(x − x̄)²/n (exact: the resampled mean is
    # a mean of n draws from the empirical distribution). B resamples give a sample standard deviation
    # whose variance is σ_B⁴ (2/(B − 1) + κ/B), κ the excess kurtosis of the resampled mean (that of the
    # data over n): the tolerance on the SE is Z times half its relative spread
    x = np.random.default_rng(5).exponential(size=60)
    n, b = len(x), 4000
    ideal = float(np.std(x) / math.sqrt(n))
    se = bootstrap_standard_error(lambda i: x[i].mean(), n, n_resamples=b, seed=6)
    kurtosis = float(scipy_stats.kurtosis(x)) / n
    rel_spread = 0.5 * math.sqrt(2 / (b - 1) + kurtosis / b)
    assert abs(se / ideal - 1) < Z * rel_spread


def test_paired_arrays_are_resampled_together():
    # a ratio of means of two perfectly proportional arrays does not vary over resamples
    a = np.random.default_rng(7).random(30) + 0.5
    se = bootstrap_standard_error(lambda i: a[i].mean() / (3 * a[i]).mean(), 30, n_resamples=50, seed=1)
    assert se == pytest.approx(0.0, abs=1e-15)
    assert bootstrap_standard_error(lambda i: 2.0, 10, n_resamples=20, seed=1) == 0.0


def _frozen_experiment_bootstrap(fn, n, rng, reps=400):
    """The helper flow-plummer-acceleration used before it moved here, verbatim."""
    vals = [fn(rng.integers(0, n, n)) for _ in range(reps)]
    return float(np.std(vals, ddof=1))


def test_same_numbers_as_the_former_experiment_helper_with_a_shared_stream():
    x = np.random.default_rng(8).normal(size=(2, 40))

    def ratio(i):
        return float(x[0, i].mean() / x[1, i].std())

    old_rng, new_rng = np.random.default_rng(9), np.random.default_rng(9)
    for statistic in (ratio, lambda i: float(np.median(x[0, i]))):  # two calls share one stream
        assert bootstrap_standard_error(statistic, 40, n_resamples=400, seed=new_rng) == (
            _frozen_experiment_bootstrap(statistic, 40, old_rng)
        )


def test_seeding():
    x = np.random.default_rng(10).random(25)
    first = bootstrap_standard_error(lambda i: x[i].mean(), 25, n_resamples=100, seed=3)
    assert first == bootstrap_standard_error(lambda i: x[i].mean(), 25, n_resamples=100, seed=3)
    assert first != bootstrap_standard_error(lambda i: x[i].mean(), 25, n_resamples=100, seed=4)


def test_bad_input():
    with pytest.raises(TypeError, match="statistic must be callable"):
        bootstrap_standard_error(1.0, 10, n_resamples=10, seed=0)
    with pytest.raises(ValueError, match=r"n must be in \[2, inf\), got 1"):
        bootstrap_standard_error(lambda i: 0.0, 1, n_resamples=10, seed=0)
    with pytest.raises(ValueError, match=r"n_resamples must be in \[2, inf\), got 1"):
        bootstrap_standard_error(lambda i: 0.0, 10, n_resamples=1, seed=0)
    with pytest.raises(ValueError, match="statistic of resample 0 must be a finite number"):
        bootstrap_standard_error(lambda i: math.nan, 10, n_resamples=5, seed=0)
    with pytest.raises(TypeError, match="statistic of resample 0 must be a real number"):
        bootstrap_standard_error(lambda i: "x", 10, n_resamples=5, seed=0)
