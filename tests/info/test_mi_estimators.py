"""Mutual-information estimators against closed forms, within their statistical errors."""

import math

import numpy as np
import pytest

from physml.info import mutual_information, mutual_information_knn, mutual_information_plugin


@pytest.mark.parametrize("rho", [0.0, 0.6, 0.9])
def test_knn_matches_bivariate_gaussian(rho):
    exact = -0.5 * math.log2(1 - rho**2)
    rng = np.random.default_rng(11)
    z = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=3000)
    est = mutual_information_knn(z[:, 0], z[:, 1], k=5, seed=1)
    assert est.stderr > 0
    # 4 sigma; the block error is itself uncertain by ~25% (10 blocks)
    assert abs(est.value - exact) < 4 * est.stderr


def test_knn_multivariate_gaussian():
    # independent pairs (x_i, y_i) with correlations rho_i: I = -1/2 sum log2(1 - rho_i^2)
    rhos = np.array([0.5, 0.8])
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3000, 2))
    y = rhos * x + np.sqrt(1 - rhos**2) * rng.standard_normal((3000, 2))
    exact = float(-0.5 * np.sum(np.log2(1 - rhos**2)))
    est = mutual_information_knn(x, y, k=5)
    assert abs(est.value - exact) < 4 * est.stderr + 0.02  # + KSG's known small bias in 4-D


def test_plugin_bias_correction_removes_the_bias():
    # 300 data sets of N = 200 from a 2x3 joint: the Miller-Madow estimate is unbiased to within
    # 3.5 standard errors of the mean, the raw plug-in is biased by (6 - 2 - 3 + 1)/(2N ln 2) bits.
    p = np.array([[0.3, 0.1, 0.05], [0.05, 0.2, 0.3]])
    exact = mutual_information(p)
    n, reps = 200, 300
    values, raw, errs = [], [], []
    for s in range(reps):
        idx = np.random.default_rng(s).choice(6, size=n, p=p.ravel())
        e = mutual_information_plugin(idx // 3, idx % 3)
        values.append(e.value)
        raw.append(e.value - e.bias_correction)
        errs.append(e.stderr)
    sem = np.std(values) / math.sqrt(reps)
    assert abs(np.mean(values) - exact) < 3.5 * sem
    predicted_bias = 2 / (2 * n * math.log(2))
    assert abs(np.mean(raw) - exact - predicted_bias) < 3.5 * sem
    # the delta-method error matches the spread over data sets (to 15%)
    assert np.mean(errs) == pytest.approx(np.std(values), rel=0.15)


def test_plugin_exact_for_deterministic_relation():
    x = np.repeat(np.arange(4), 25)
    e = mutual_information_plugin(x, x, correction="none")
    assert e.value == pytest.approx(2.0, abs=1e-12)
    assert e.stderr == pytest.approx(0.0, abs=1e-7)


def test_estimator_bad_input():
    with pytest.raises(ValueError, match="same number"):
        mutual_information_plugin([0, 1, 1], [0, 1])
    with pytest.raises(ValueError, match="correction"):
        mutual_information_plugin([0, 1], [0, 1], correction="jackknife")
    with pytest.raises(ValueError, match="per block"):
        mutual_information_knn(np.arange(20.0), np.arange(20.0), k=3)
    with pytest.raises(ValueError, match="non-finite"):
        mutual_information_knn([np.nan] * 100, np.arange(100.0))
