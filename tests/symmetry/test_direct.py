"""The direct classifier on score tables: the decision list of direct_class row by row, and its
threshold fitted on labelled pictures, against hand-made tables and real measures."""

from __future__ import annotations

import numpy as np
import pytest

from physml.data import SYMMETRY_CLASSES, symmetric_template, symmetric_templates
from physml.symmetry import (
    DIRECT_CLASSES,
    DIRECT_THRESHOLDS,
    direct_class,
    direct_labels,
    direct_scores,
    fit_direct_threshold,
    invariance_measures,
)

O2, ZN, Z2, TN, NONE = range(5)


def test_the_labels_index_the_template_classes():
    assert DIRECT_CLASSES == SYMMETRY_CLASSES == ("O(2)", "Z_n", "Z_2", "T_n", "none")
    assert DIRECT_THRESHOLDS[0] == 0.5 and DIRECT_THRESHOLDS[-1] == 1.0 and len(DIRECT_THRESHOLDS) == 51


def test_decision_list_by_hand():
    # columns (O(2), Z_n, Z_2, T_n); priority O(2) > Z_n > T_n > Z_2 > none
    scores = np.array(
        [
            [0.9, 0.9, 0.9, 0.9],  # everything: O(2)
            [0.1, 0.85, 0.9, 0.9],  # Z_n beats T_n and Z_2
            [0.1, 0.1, 0.9, 0.8],  # T_n beats Z_2
            [0.1, 0.1, 0.8, 0.1],  # Z_2
            [0.79, 0.79, 0.79, 0.79],  # below the threshold: none
            [0.8, 0.0, 0.0, 0.0],  # the threshold itself counts
        ]
    )
    np.testing.assert_array_equal(direct_labels(scores, 0.8), [O2, ZN, TN, Z2, NONE, O2])
    np.testing.assert_array_equal(direct_labels(scores, 0.5), [O2, ZN, TN, Z2, O2, O2])
    np.testing.assert_array_equal(direct_labels(scores, 0.95), [NONE] * 6)


def test_rows_agree_with_direct_class_on_real_measures():
    images, _, _ = symmetric_templates(2, 32, seed=3)
    measures = [invariance_measures(im) for im in images]
    scores = direct_scores(measures)
    assert scores.shape == (len(images), 4)
    for i, m in enumerate(measures):
        assert list(scores[i]) == [m.scores()[k] for k in DIRECT_CLASSES[:-1]]
    for t in (0.5, 0.8, 0.97):
        expected = [DIRECT_CLASSES.index(direct_class(m, t)) for m in measures]
        np.testing.assert_array_equal(direct_labels(scores, t), expected)
    # min_order: the Z_n column of a Z_3 template is its order-3 score only when order 3 counts
    z3 = invariance_measures(symmetric_template("Z_n", 32, order=3, seed=0).image)
    orders = z3.rotation.order_scores
    assert direct_scores([z3], min_order=3)[0, 1] == orders[3] > 0.9
    assert direct_scores([z3], min_order=4)[0, 1] == max(v for k, v in orders.items() if k >= 4) < 0.6


def _frozen_fit_threshold(scores, labels, classes):
    """The symmetry-templates experiment's fit before it moved here, verbatim."""
    grid = np.round(np.arange(0.5, 1.0001, 0.01), 2)

    def labels_at(t):
        col = {"O(2)": 0, "Z_n": 1, "Z_2": 2, "T_n": 3}
        out = np.full(len(scores), classes.index("none"))
        for label in ("Z_2", "T_n", "Z_n", "O(2)"):
            out[scores[:, col[label]] >= t] = classes.index(label)
        return out

    acc = [np.mean(labels_at(t) == labels) for t in grid]
    return float(grid[int(np.argmax(acc))])


def test_fitted_threshold_separates_a_known_table():
    # Z_2 pictures score 0.9 on reflections and 0.7 on shifts; T_n pictures 0.75 on shifts and 0.6 on
    # reflections: any threshold in (0.7, 0.75] labels all four right, the first of the grid is 0.71
    scores = np.array([[0.1, 0.2, 0.9, 0.7], [0.1, 0.2, 0.6, 0.75]] * 2)
    labels = np.array([Z2, TN, Z2, TN])
    assert fit_direct_threshold(scores, labels) == 0.71
    assert fit_direct_threshold(scores, labels, thresholds=[0.6, 0.73, 0.8]) == 0.73
    # ties: the first (smallest) candidate of equal accuracy
    assert fit_direct_threshold(np.array([[0.0, 0.0, 0.0, 0.0]]), np.array([NONE])) == 0.5


def test_same_threshold_as_the_former_experiment_helper():
    rng = np.random.default_rng(5)
    for _ in range(20):
        scores = rng.uniform(0.3, 1.0, size=(40, 4))
        labels = rng.integers(0, 5, size=40)
        assert fit_direct_threshold(scores, labels) == _frozen_fit_threshold(scores, labels, SYMMETRY_CLASSES)


def test_bad_input():
    with pytest.raises(ValueError, match=r"scores must have shape \(any, 4\)"):
        direct_labels(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="measures must hold at least one"):
        direct_scores([])
    with pytest.raises(TypeError, match=r"measures\[0\] must be an InvarianceMeasures"):
        direct_scores([np.zeros((4, 4))])
    with pytest.raises(ValueError, match=r"labels must have shape \(2\)"):
        fit_direct_threshold(np.zeros((2, 4)), np.array([0, 1, 2]))
    with pytest.raises(TypeError, match="labels must be integers"):
        fit_direct_threshold(np.zeros((2, 4)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="labels must be indices 0 to 4"):
        fit_direct_threshold(np.zeros((2, 4)), np.array([0, 5]))
    with pytest.raises(ValueError, match="threshold must be a finite number"):
        direct_labels(np.zeros((1, 4)), np.nan)
