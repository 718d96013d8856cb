"""Metrics against exact results: AUC of two Gaussians, SIC of perfect and random classifiers."""

import numpy as np
import pytest
from scipy import stats

from physml.anomaly import background_rejection, max_sic, roc_auc, roc_curve, sic_curve


def test_auc_of_two_gaussians_is_phi_of_delta_over_sqrt2():
    rng = np.random.default_rng(0)
    n, delta = 20000, 1.3
    scores = np.r_[rng.normal(delta, 1, n), rng.normal(0, 1, n)]
    labels = np.r_[np.ones(n), np.zeros(n)]
    exact = stats.norm.cdf(delta / np.sqrt(2))
    # Var(AUC) <= A(1 - A) / min(n1, n0) (Birnbaum-Klose bound)
    assert abs(roc_auc(labels, scores) - exact) < 4 * np.sqrt(exact * (1 - exact) / n)


def test_weights_equal_duplicated_events():
    rng = np.random.default_rng(1)
    s = rng.normal(size=300)
    y = rng.random(300) < 0.4
    w = rng.integers(1, 4, size=300)
    dup_s, dup_y = np.repeat(s, w), np.repeat(y, w)
    assert roc_auc(y, s, w) == pytest.approx(roc_auc(dup_y, dup_s), abs=1e-12)
    assert max_sic(y, s, w, min_background=1) == pytest.approx(max_sic(dup_y, dup_s, min_background=1))


def test_ties_count_half():
    assert roc_auc([1, 0], [0.5, 0.5]) == pytest.approx(0.5)
    assert roc_auc([1, 0, 1, 0], [2, 1, 1, 0]) == pytest.approx(0.875)


def test_perfect_classifier_sic_is_set_by_min_background():
    rng = np.random.default_rng(2)
    nb, ns, kmin = 10000, 500, 25
    scores = np.r_[1 + rng.random(ns), rng.random(nb)]
    labels = np.r_[np.ones(ns), np.zeros(nb)]
    curve = sic_curve(labels, scores, min_background=kmin)
    assert curve.max_sic == pytest.approx(np.sqrt(nb / kmin))
    assert curve.tpr_at_max == 1.0
    assert roc_auc(labels, scores) == 1.0


def test_random_classifier_sic_is_at_most_one_up_to_noise():
    rng = np.random.default_rng(3)
    n = 100000
    labels = rng.random(2 * n) < 0.5
    scores = rng.random(2 * n)
    # SIC = TPR/sqrt(FPR) ~ sqrt(FPR) <= 1; the noise of TPR at FPR = f gives sigma(SIC) ~ 1/sqrt(n_signal)
    m = max_sic(labels, scores, min_background=100)
    assert 1.0 <= m < 1.0 + 6 / np.sqrt(n)


def test_background_rejection_closed_form():
    rng = np.random.default_rng(4)
    n = 100000
    # signal uniform on [0.5, 1], background uniform on [0, 1]: at efficiency e the cut is
    # 1 - e/2 and FPR = e/2, so the rejection is 2/e
    scores = np.r_[0.5 + 0.5 * rng.random(n), rng.random(n)]
    labels = np.r_[np.ones(n), np.zeros(n)]
    eff = np.array([0.2, 0.5])
    rej = background_rejection(labels, scores, signal_efficiency=tuple(eff))
    fpr = eff / 2
    assert np.all(np.abs(1 / rej - fpr) < 4 * np.sqrt(fpr * (1 - fpr) / n) + 2 / n)


def test_roc_curve_ends():
    tpr, fpr, nb, thr = roc_curve([0, 1, 1, 0], [0.1, 0.9, 0.4, 0.3])
    assert (tpr[0], fpr[0], tpr[-1], fpr[-1]) == (0, 0, 1, 1)
    assert nb[-1] == 2 and thr[0] == np.inf


def test_bad_inputs():
    with pytest.raises(ValueError, match="both signal"):
        roc_auc([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="labels must be 0"):
        roc_auc([2, 0], [0.1, 0.2])
    with pytest.raises(ValueError, match="different lengths"):
        roc_auc([1, 0], [0.1])
    with pytest.raises(ValueError, match="non-negative"):
        roc_auc([1, 0], [0.1, 0.2], [1, -1])
    assert np.isnan(max_sic([1, 0], [1.0, 0.0], min_background=5))
