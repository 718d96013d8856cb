"""Classifier metrics of anomaly detection: ROC AUC, the significance-improvement curve and
background rejection, all with event weights.

For a selection "score ≥ t", the signal efficiency (true-positive rate) is
TPR(t) = Σ_{signal, s ≥ t} w / Σ_signal w and the background efficiency FPR(t) likewise. The
significance-improvement characteristic SIC = TPR/√FPR is the factor by which the cut multiplies
S/√B; its maximum is only meaningful where enough background survives to measure FPR, hence
``min_background`` (raw background events passing the cut, so FPR has a relative statistical
error of at most 1/√min_background).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physml._core import check_array, check_int

__all__ = ["SICCurve", "background_rejection", "max_sic", "roc_auc", "roc_curve", "sic_curve"]


def _inputs(labels, scores, weights) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = check_array(labels, "labels", ndim=1, dtype=None)
    s = check_array(scores, "scores", ndim=1, dtype=np.float64)
    if len(y) != len(s):
        raise ValueError(f"labels and scores have different lengths: {len(y)} and {len(s)}")
    values = set(np.unique(y).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"labels must be 0 (background) or 1 (signal), got values {sorted(values)[:5]}")
    y = y.astype(bool)
    if y.all() or not y.any():
        raise ValueError(
            f"labels must contain both signal (1) and background (0); got {int(y.sum())} signal "
            f"and {int((~y).sum())} background"
        )
    if weights is None:
        w = np.ones(len(y))
    else:
        w = check_array(weights, "weights", ndim=1, dtype=np.float64)
        if len(w) != len(y):
            raise ValueError(f"weights has length {len(w)}, labels {len(y)}")
        if (w < 0).any():
            raise ValueError("weights must be non-negative")
        if w[y].sum() <= 0 or w[~y].sum() <= 0:
            raise ValueError("weights of the signal and of the background must not sum to zero")
    return y, s, w


def roc_curve(labels, scores, weights=None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Efficiencies of the cuts ``score >= t`` at every distinct score, from the tightest.

    Parameters
    ----------
    labels : array, shape (n,)
        1 for signal, 0 for background.
    scores : array, shape (n,)
        Larger means more signal-like.
    weights : array, shape (n,), optional
        Non-negative event weights.

    Returns
    -------
    tpr, fpr : ndarray, shape (n_thresholds + 1,)
        Signal and background efficiencies, starting at (0, 0) and ending at (1, 1).
    n_background : ndarray of int, same shape
        Raw (unweighted) number of background events passing each cut.
    thresholds : ndarray, shape (n_thresholds + 1,)
        The cut values (``inf`` first).
    """
    y, s, w = _inputs(labels, scores, weights)
    order = np.argsort(-s, kind="mergesort")
    s, y, w = s[order], y[order], w[order]
    last = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]  # last index of each distinct score
    tp = np.cumsum(w * y)[last]
    fp = np.cumsum(w * ~y)[last]
    nb = np.cumsum(~y)[last]
    tpr = np.r_[0.0, tp / tp[-1]]
    fpr = np.r_[0.0, fp / fp[-1]]
    return tpr, fpr, np.r_[0, nb], np.r_[np.inf, s[last]]


def roc_auc(labels, scores, weights=None) -> float:
    """Area under the ROC curve: P(score_signal > score_background) + ½ P(tie), weighted."""
    tpr, fpr, _, _ = roc_curve(labels, scores, weights)
    return float(np.trapezoid(tpr, fpr))


@dataclass(frozen=True)
class SICCurve:
    """The significance-improvement curve SIC = TPR/√FPR over signal efficiency.

    Attributes
    ----------
    tpr, fpr, sic : ndarray
        At the cuts that keep at least ``min_background`` raw background events.
    max_sic : float
        Its maximum (``nan`` if no cut keeps enough background).
    tpr_at_max : float
        The signal efficiency where the maximum is reached.
    min_background : int
    """

    tpr: np.ndarray
    fpr: np.ndarray
    sic: np.ndarray
    max_sic: float
    tpr_at_max: float
    min_background: int


def sic_curve(labels, scores, weights=None, *, min_background: int = 50) -> SICCurve:
    """The SIC curve TPR/√FPR, restricted to cuts keeping ≥ ``min_background`` background events.

    A perfect classifier has SIC = 1/√FPR, so its maximum is set by ``min_background``:
    √(N_background/min_background) unweighted. A random one has SIC = √FPR ≤ 1.
    """
    min_background = check_int(min_background, "min_background", low=1)
    tpr, fpr, nb, _ = roc_curve(labels, scores, weights)
    keep = (nb >= min_background) & (fpr > 0)
    if not keep.any():
        empty = np.empty(0)
        return SICCurve(empty, empty, empty, float("nan"), float("nan"), min_background)
    t, f = tpr[keep], fpr[keep]
    sic = t / np.sqrt(f)
    i = int(np.argmax(sic))
    return SICCurve(t, f, sic, float(sic[i]), float(t[i]), min_background)


def max_sic(labels, scores, weights=None, *, min_background: int = 50) -> float:
    """Maximum of TPR/√FPR over cuts keeping at least ``min_background`` background events."""
    return sic_curve(labels, scores, weights, min_background=min_background).max_sic


def background_rejection(
    labels, scores, weights=None, *, signal_efficiency: float | tuple[float, ...] = (0.2, 0.5)
) -> np.ndarray:
    """1/FPR at fixed signal efficiencies (the cut keeping at least that fraction of signal).

    Returns an array with one rejection per efficiency (``inf`` if no background passes).
    """
    eff = np.atleast_1d(np.asarray(signal_efficiency, dtype=float))
    if ((eff <= 0) | (eff > 1)).any():
        raise ValueError(f"signal_efficiency must lie in (0, 1], got {eff.tolist()}")
    tpr, fpr, _, _ = roc_curve(labels, scores, weights)
    idx = np.searchsorted(tpr, eff - 1e-12, side="left")  # first cut reaching the efficiency
    f = fpr[np.minimum(idx, len(fpr) - 1)]
    with np.errstate(divide="ignore"):
        return np.where(f > 0, 1.0 / np.where(f > 0, f, 1.0), np.inf)
