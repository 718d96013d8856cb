"""The direct classifier on many pictures: tables of invariance scores, the decision list of
:func:`~physml.symmetry.direct_class` applied row by row, and its threshold fitted on labelled
templates.

The direct measure gives each picture one degree of invariance per class (O(2), Z_n, Z_2, T_n;
:meth:`~physml.symmetry.InvarianceMeasures.scores`). The decision list assigns the largest group
whose score reaches its threshold (O(2), then Z_n, then T_n, then Z_2, else "none"). By default
each class has its own threshold, measured on pictures with and without the symmetry
(:data:`~physml.symmetry.CLASS_THRESHOLDS`, :func:`~physml.symmetry.calibrate_thresholds`).
Barenboim, Hirn & Sanz (SciPost Phys. 11, 014 (2021), arXiv:2103.06115) compare their learned
score with such a direct measure; :func:`fit_direct_threshold` instead fits one threshold for
every class by the accuracy on templates of known symmetry, like the learned classifier's
weights.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from physml._core import check_array
from physml.symmetry._invariance import DIRECT_CLASSES, InvarianceMeasures, class_thresholds

__all__ = ["DIRECT_THRESHOLDS", "direct_labels", "direct_scores", "fit_direct_threshold"]

#: The thresholds :func:`fit_direct_threshold` tries by default: 0.50, 0.51, …, 1.00.
DIRECT_THRESHOLDS: np.ndarray = np.round(np.arange(0.5, 1.0001, 0.01), 2)
DIRECT_THRESHOLDS.flags.writeable = False

_SCORED = DIRECT_CLASSES[:-1]  # the columns of a score table: every class but "none"
_NONE = DIRECT_CLASSES.index("none")
# the decision list from the lowest priority up (later ones overwrite): Z_2 < T_n < Z_n < O(2)
_PRIORITY_LOW_TO_HIGH = ("Z_2", "T_n", "Z_n", "O(2)")


def direct_scores(measures: Sequence[InvarianceMeasures], *, min_order: int = 3) -> np.ndarray:
    """The table of direct scores: row i holds ``measures[i].scores(min_order)`` in the column
    order of :data:`DIRECT_CLASSES` without "none", i.e. (O(2), Z_n, Z_2, T_n).

    Parameters
    ----------
    measures : sequence of InvarianceMeasures
        One per picture (:func:`~physml.symmetry.invariance_measures`), at least one.
    min_order : int
        Smallest rotation order counted as Z_n (see :meth:`InvarianceMeasures.scores`).

    Returns
    -------
    ndarray, shape (n_pictures, 4)
    """
    measures = list(measures)
    if not measures:
        raise ValueError("measures must hold at least one InvarianceMeasures")
    for i, m in enumerate(measures):
        if not isinstance(m, InvarianceMeasures):
            raise TypeError(f"measures[{i}] must be an InvarianceMeasures, got {type(m).__name__}")
    return np.array([[m.scores(min_order)[k] for k in _SCORED] for m in measures])


def _check_scores(scores: np.ndarray) -> np.ndarray:
    return check_array(scores, "scores", shape=(None, len(_SCORED)), min_samples=1)


def direct_labels(scores: np.ndarray, threshold: float | Mapping[str, float] | None = None) -> np.ndarray:
    """The class of each row of a score table by the decision list of
    :func:`~physml.symmetry.direct_class`: O(2) if its score reaches its threshold; else Z_n;
    else T_n; else Z_2; else "none".

    Parameters
    ----------
    scores : array_like, shape (n, 4)
        Columns (O(2), Z_n, Z_2, T_n), as :func:`direct_scores` returns them.
    threshold : float or mapping, optional
        A score ≥ its class's threshold counts as the symmetry: default the calibrated
        :data:`~physml.symmetry.CLASS_THRESHOLDS`, one number for every class, or a mapping
        overriding some classes (physml 0.1: 0.8 for every class).

    Returns
    -------
    ndarray of int, shape (n,)
        Indices into :data:`DIRECT_CLASSES` (which lists the classes in the order of
        :data:`physml.data.SYMMETRY_CLASSES`, the labels of the templates).
    """
    s = _check_scores(scores)
    t = class_thresholds(threshold)
    out = np.full(len(s), _NONE)
    for label in _PRIORITY_LOW_TO_HIGH:
        out[s[:, _SCORED.index(label)] >= t[label]] = DIRECT_CLASSES.index(label)
    return out


def fit_direct_threshold(
    scores: np.ndarray, labels: np.ndarray, thresholds: np.ndarray | None = None
) -> float:
    """The threshold of :func:`direct_labels` with the highest accuracy on labelled pictures.

    Every candidate is tried and the accuracy mean(direct_labels(scores, t) == labels) compared;
    among equally accurate thresholds the first (by default the smallest) is returned.

    Parameters
    ----------
    scores : array_like, shape (n, 4)
        Score table of pictures of known symmetry (:func:`direct_scores`), e.g. templates.
    labels : array_like of int, shape (n,)
        Their classes, indices into :data:`DIRECT_CLASSES`.
    thresholds : array_like, shape (k,), optional
        Candidates, tried in order; default :data:`DIRECT_THRESHOLDS` (0.50 to 1.00 by 0.01).

    Returns
    -------
    float
    """
    s = _check_scores(scores)
    y = check_array(labels, "labels", dtype=None, shape=(len(s),))
    if y.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers (indices into DIRECT_CLASSES), got dtype {y.dtype}")
    if np.any((y < 0) | (y >= len(DIRECT_CLASSES))):
        raise ValueError(f"labels must be indices 0 to {len(DIRECT_CLASSES) - 1} into DIRECT_CLASSES")
    grid = DIRECT_THRESHOLDS if thresholds is None else check_array(thresholds, "thresholds", ndim=1,
                                                                   min_samples=1)
    accuracy = [np.mean(direct_labels(s, t) == y) for t in grid]
    return float(grid[int(np.argmax(accuracy))])
