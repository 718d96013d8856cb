"""Relevance and compression measured: intrinsic dimension before and after quotienting a group,
and the sample efficiency of a classifier on raw coordinates versus invariants.

The dimension estimators are those of :mod:`physml.geometry`; this module only decides what
data they see (the canonical forms of :meth:`Group.canonicalize`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physml import geometry
from physml._core import (
    as_generator,
    check_array,
    check_choice,
    check_int,
    check_real,
    check_seed,
    derive_seed,
)
from physml.invariance._groups import Group, as_point_sets, make_group

__all__ = [
    "DIMENSION_ESTIMATORS",
    "LearningCurve",
    "QuotientDimension",
    "learning_curve",
    "quotient_dimensions",
]

DIMENSION_ESTIMATORS = ("twonn", "mle", "correlation")


@dataclass(frozen=True)
class QuotientDimension:
    """Intrinsic dimension of the data after quotienting ``group`` (``"none"``: raw data).

    Attributes
    ----------
    group : str
    n_features : int
        Coordinates of the canonical forms the estimator saw.
    dimension, dimension_err : float
        The estimate and its standard error (disjoint subsamples, see :mod:`physml.geometry`).
    group_dimension : int
        Continuous parameters of the group quotiented.
    """

    group: str
    n_features: int
    dimension: float
    dimension_err: float
    group_dimension: int


def _estimate(x: np.ndarray, estimator: str, n_subsamples: int, seed: int) -> tuple[float, float]:
    if estimator == "twonn":
        est = geometry.TwoNN(n_subsamples=n_subsamples, seed=seed)
    elif estimator == "mle":
        est = geometry.LevinaBickel(n_subsamples=n_subsamples, seed=seed)
    else:
        est = geometry.CorrelationDimension(n_subsamples=n_subsamples, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est.fit(x)
    err = est.dimension_err_ if math.isfinite(est.dimension_err_) else math.inf
    return float(est.dimension_), float(err)


def quotient_dimensions(
    x: Any,
    groups: Sequence[str | Group | None],
    *,
    estimator: str = "twonn",
    n_subsamples: int = 8,
    seed: int = 0,
) -> list[QuotientDimension]:
    """Intrinsic dimension of ``x`` and of its canonical forms under each group in ``groups``.

    Parameters
    ----------
    x : array, shape (n_samples, n_points, dim) or (n_samples, dim)
        Continuous data (ties make nearest-neighbour estimators fail).
    groups : sequence of (str, Group or None)
        E.g. ``(None, "translation", "translation+rotation", "similarity")``; ``None`` (or
        ``"none"``) measures the raw coordinates.
    estimator : {"twonn", "mle", "correlation"}
        :class:`physml.geometry.TwoNN`, :class:`~physml.geometry.LevinaBickel` or
        :class:`~physml.geometry.CorrelationDimension`.
    n_subsamples : int
        Disjoint subsamples for each standard error.
    seed : int

    Returns
    -------
    list of QuotientDimension, in the order of ``groups``

    Notes
    -----
    Quotienting a group of dimension ``k`` that acts freely removes ``k`` dimensions: random
    planar triangles (6 coordinates) have dimension 6, 4, 3 and 2 with translations, then
    rotations, then scalings quotiented.
    """
    pts, _ = as_point_sets(x)
    check_choice(estimator, "estimator", DIMENSION_ESTIMATORS)
    n_subsamples = check_int(n_subsamples, "n_subsamples", low=0)
    seed = check_int(seed, "seed", low=0)
    if isinstance(groups, (str, Group)) or not len(groups):
        raise ValueError(
            f"groups must be a non-empty sequence of groups, e.g. (None, 'translation'); got {groups!r}"
        )
    out = []
    for k, spec in enumerate(groups):
        if spec is None or (isinstance(spec, str) and spec.strip().lower() in ("none", "")):
            label, data, gdim = "none", pts.reshape(len(pts), -1), 0
        else:
            g = make_group(spec, pts.shape[2])
            label, data, gdim = "+".join(g.names), g.canonicalize(pts).reshape(len(pts), -1), g.dimension
        d, err = _estimate(data, estimator, n_subsamples, derive_seed(seed, "quotient", k))
        out.append(QuotientDimension(label, data.shape[1], d, err, gdim))
    return out


@dataclass(frozen=True)
class LearningCurve:
    """Test accuracy against training-set size, over independent repeats.

    Attributes
    ----------
    sizes : ndarray of int, shape (n_sizes,)
    accuracy : ndarray, shape (n_sizes, n_repeats)
        Test accuracy of each repeat (fresh training subsample and model seed).
    n_test : int
    """

    sizes: np.ndarray
    accuracy: np.ndarray
    n_test: int

    @property
    def mean(self) -> np.ndarray:
        return self.accuracy.mean(axis=1)

    @property
    def err(self) -> np.ndarray:
        """Standard error of the mean accuracy at each size (repeat spread; 0 for one repeat)."""
        r = self.accuracy.shape[1]
        return self.accuracy.std(axis=1, ddof=1) / math.sqrt(r) if r > 1 else np.zeros(len(self.sizes))

    def samples_to_reach(self, target: float, *, n_boot: int = 200, seed: int = 0) -> tuple[float, float]:
        """Training samples needed to reach mean accuracy ``target``, and its bootstrap error.

        Log-linear interpolation of the mean curve at its first crossing of ``target``;
        ``inf`` when the largest size does not reach it. The error is the standard deviation
        over ``n_boot`` resamplings of the repeats at each size (``inf`` if any resampled
        curve does not reach the target, 0 with one repeat).
        """
        target = check_real(target, "target", low=0.0, high=1.0)
        n0 = _crossing(self.sizes, self.mean, target)
        r = self.accuracy.shape[1]
        if r < 2 or not math.isfinite(n0):
            return n0, (0.0 if math.isfinite(n0) else math.inf)
        rng = np.random.default_rng(check_seed(seed))
        boots = []
        for _ in range(check_int(n_boot, "n_boot", low=2)):
            idx = rng.integers(0, r, (len(self.sizes), r))
            boots.append(_crossing(self.sizes, np.take_along_axis(self.accuracy, idx, 1).mean(1), target))
        boots = np.array(boots)
        if not np.all(np.isfinite(boots)):
            return n0, math.inf
        return n0, float(np.exp(np.std(np.log(boots), ddof=1)) - 1.0) * n0


def _crossing(sizes: np.ndarray, acc: np.ndarray, target: float) -> float:
    above = np.flatnonzero(acc >= target)
    if above.size == 0:
        return math.inf
    i = int(above[0])
    if i == 0:
        return float(sizes[0])
    lo, hi = math.log(sizes[i - 1]), math.log(sizes[i])
    frac = (target - acc[i - 1]) / (acc[i] - acc[i - 1])
    return float(math.exp(lo + frac * (hi - lo)))


def learning_curve(
    make_classifier: Callable[[int], Any],
    x: Any,
    y: Any,
    x_test: Any,
    y_test: Any,
    sizes: Sequence[int],
    *,
    n_repeats: int = 5,
    seed: int = 0,
) -> LearningCurve:
    """Test accuracy of a classifier trained on ``n`` samples, for each ``n`` in ``sizes``.

    Parameters
    ----------
    make_classifier : callable
        ``make_classifier(seed)`` returns a fresh scikit-learn-style classifier (``fit``,
        ``predict``).
    x, y : arrays, shapes (n_pool, n_features) and (n_pool,)
        Training pool; each repeat draws a random subset of ``n`` of them.
    x_test, y_test : arrays
        Held-out test set, the same for every repeat.
    sizes : sequence of int
        Increasing training-set sizes, each at most the pool size.
    n_repeats : int
    seed : int

    Returns
    -------
    LearningCurve
    """
    x = check_array(x, "x", ndim=2)
    y = np.asarray(y)
    x_test = check_array(x_test, "x_test", ndim=2)
    y_test = np.asarray(y_test)
    if len(y) != len(x) or len(y_test) != len(x_test):
        raise ValueError("x and y (and x_test and y_test) must have the same number of samples")
    if x_test.shape[1] != x.shape[1]:
        raise ValueError(f"x_test has {x_test.shape[1]} features, x has {x.shape[1]}")
    sizes = np.array([check_int(s, f"sizes[{i}]", low=2, high=len(x)) for i, s in enumerate(sizes)])
    if sizes.size == 0 or np.any(np.diff(sizes) <= 0):
        raise ValueError(f"sizes must be a non-empty increasing sequence, got {sizes.tolist()}")
    n_repeats = check_int(n_repeats, "n_repeats", low=1)
    seed = check_int(seed, "seed", low=0)
    acc = np.empty((len(sizes), n_repeats))
    for r in range(n_repeats):
        rng = as_generator(derive_seed(seed, "repeat", r))
        order = rng.permutation(len(x))
        for k, n in enumerate(sizes):
            idx = order[:n]
            if np.unique(y[idx]).size < 2:  # one class only: a constant predictor
                acc[k, r] = float(np.mean(y_test == y[idx][0]))
                continue
            clf = make_classifier(derive_seed(seed, "model", r, int(n)))
            clf.fit(x[idx], y[idx])
            acc[k, r] = float(np.mean(clf.predict(x_test) == y_test))
    return LearningCurve(sizes, acc, len(x_test))
