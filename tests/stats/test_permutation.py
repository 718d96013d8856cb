"""Permutation nulls: exact p-values of small cases, calibration under the null over seeded
replicas, power, and seeding.

Statistical tolerances: Z = 3.89 binomial standard errors (two-sided 10⁻⁴ per check).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats

from physml.stats import permutation_null, permutation_p_value, permutation_test

Z = float(scipy_stats.norm.isf(0.5e-4))


def test_p_value_of_small_cases():
    null = np.array([1.0, 2.0, 3.0, 4.0])
    assert permutation_p_value(3.0, null) == pytest.approx(3 / 5)  # the observed, 3 and 4
    assert permutation_p_value(3.0, null, alternative="less") == pytest.approx(4 / 5)
    assert permutation_p_value(9.0, null) == pytest.approx(1 / 5)  # never zero
    assert permutation_p_value(-9.0, null) == 1.0
    with pytest.raises(ValueError, match="alternative must be one of 'greater', 'less'"):
        permutation_p_value(1.0, null, alternative="two-sided")
    with pytest.raises(ValueError, match="null needs at least 1 sample"):
        permutation_p_value(1.0, np.array([]))


def _mean_difference(scores: np.ndarray):
    """The label-shuffle statistic: mean score of label 1 minus mean score of label 0."""
    return lambda labels: scores[labels == 1].mean() - scores[labels == 0].mean()


def test_label_shuffle_p_value_is_calibrated_under_the_null():
    # two groups of 10 from one skewed distribution, 19 shuffles each: the rank of the observed
    # statistic among the 20 is uniform, so P(p ≤ j/20) = j/20 exactly (ties, which need a
    # shuffle to give the observed split, have probability 1/184756 per shuffle)
    rng = np.random.default_rng(21)
    replicas, m = 2000, 19
    labels = np.repeat([0, 1], 10)
    p = np.array(
        [
            permutation_test(_mean_difference(rng.exponential(size=20)), labels, n_permutations=m, seed=rng)
            .p_value
            for _ in range(replicas)
        ]
    )
    assert set(np.round(p * (m + 1)).astype(int)) <= set(range(1, m + 2))
    for j in (1, 5, 10, 15):
        alpha = j / (m + 1)
        se = math.sqrt(alpha * (1 - alpha) / replicas)
        assert abs(np.mean(p <= alpha + 1e-12) - alpha) < Z * se, j


def test_a_real_difference_gets_the_smallest_p_value():
    rng = np.random.default_rng(22)
    labels = np.repeat([0, 1], 30)
    scores = rng.standard_normal(60) + 3.0 * labels
    t = permutation_test(_mean_difference(scores), labels, n_permutations=99, seed=1)
    assert t.observed == pytest.approx(scores[30:].mean() - scores[:30].mean())
    assert t.p_value == pytest.approx(1 / 100)
    assert t.null.shape == (99,) and t.alternative == "greater"
    assert abs(t.null.mean()) < Z * t.null.std(ddof=1) / math.sqrt(99)  # centred on no difference
    less = permutation_test(_mean_difference(scores), labels, n_permutations=99, seed=1, alternative="less")
    assert less.p_value == 1.0


def test_null_is_reproducible_and_shares_a_generator():
    values = np.arange(12.0)
    first = lambda v: float(v[0])  # noqa: E731
    a = permutation_null(first, values, n_permutations=6, seed=5)
    np.testing.assert_array_equal(a, permutation_null(first, values, n_permutations=6, seed=5))
    rng = np.random.default_rng(5)
    b = [permutation_null(first, values, n_permutations=3, seed=rng) for _ in range(2)]
    np.testing.assert_array_equal(np.concatenate(b), a)  # one stream, advanced by each call
    seen = []
    permutation_null(lambda v: seen.append(v.dtype) or 0.0, np.array([0, 1, 1]), n_permutations=1, seed=0)
    assert seen == [np.dtype(int)]  # labels keep their dtype


def test_null_rejects_bad_input():
    with pytest.raises(TypeError, match="statistic must be callable, got int"):
        permutation_null(3, np.arange(4.0), n_permutations=2, seed=0)
    with pytest.raises(ValueError, match=r"n_permutations must be in \[1, inf\), got 0"):
        permutation_null(np.mean, np.arange(4.0), n_permutations=0, seed=0)
    with pytest.raises(ValueError, match="values needs at least 2 sample"):
        permutation_null(np.mean, np.arange(1.0), n_permutations=2, seed=0)
    with pytest.raises(ValueError, match="seed must be in"):
        permutation_null(np.mean, np.arange(4.0), n_permutations=2, seed=-1)
