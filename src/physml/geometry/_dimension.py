"""Intrinsic dimension: correlation dimension (Grassberger-Procaccia), the Levina-Bickel
maximum-likelihood estimator, TwoNN, and pointwise (local) estimates.

Every estimator uses k-d trees (:class:`scipy.spatial.cKDTree`), or chunked brute force
above 16 features where trees do not help: memory is O(N), never an N x N distance
matrix. Uncertainties come from disjoint random subsamples
(:func:`physml.geometry._common.subsample_error`). Exact duplicate points are removed with a
warning before fitting, since a zero distance has no scale (``n_duplicates_`` says how many).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from physml._core import Interval, ModelMixin, Options, Predicate, as_generator, check_int
from physml.geometry._common import (
    check_points,
    drop_duplicates,
    fitted_state,
    restore_fitted_state,
    subsample_error,
)
from physml.geometry._neighbors import NeighborIndex
from physml.scaling import PowerLawFit, fit_power_law

__all__ = [
    "CorrelationDimension",
    "LevinaBickel",
    "TwoNN",
    "correlation_sum",
    "local_dimension",
]


def _pair_counts(x: np.ndarray, radii: np.ndarray, index: NeighborIndex | None = None) -> np.ndarray:
    """Unordered pairs ``i < j`` with ``|x_i - x_j| <= r`` for each increasing radius."""
    return (NeighborIndex(x) if index is None else index).pair_counts(radii)


def correlation_sum(x: Any, radii: Any) -> np.ndarray:
    """The correlation sum ``C(r)`` of Grassberger and Procaccia (1983).

    ``C(r) = 2 / (N (N - 1)) * #{i < j : |x_i - x_j| <= r}``, the fraction of distinct pairs
    closer than ``r``, counted with a dual k-d tree (chunked brute force above
    ``TREE_MAX_DIM`` = 16 features) in O(N) memory. Duplicate points are kept
    (they count at every radius).

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
        At least 2 points.
    radii : array_like, shape (n_radii,)
        Radii >= 0, in the units of ``x``.

    Returns
    -------
    numpy.ndarray, shape (n_radii,)
    """
    x = check_points(x, "x", min_samples=2, what="correlation_sum")
    r = np.atleast_1d(np.asarray(radii, dtype=np.float64))
    if r.ndim != 1 or r.size == 0 or not np.all(np.isfinite(r)) or np.any(r < 0):
        raise ValueError(f"radii must be a non-empty 1-D array of finite numbers >= 0, got {radii!r}")
    n = x.shape[0]
    order = np.argsort(r)
    counts = np.empty_like(r)
    counts[order] = _pair_counts(x, r[order])
    return counts / (n * (n - 1) / 2.0)


def _knn(x: np.ndarray, k: int, index: NeighborIndex | None = None) -> np.ndarray:
    """Distances to the 1st..k-th nearest neighbours (self excluded), shape (n, k)."""
    return (NeighborIndex(x) if index is None else index).knn(k)


def _is_radius_pair(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return False
    lo, hi = (float(v) for v in value)
    return math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi


_SUBSAMPLES = Interval(int, 0, None)
_DIMENSION_NUMBERS = ("dimension_", "dimension_err_", "n_samples_", "n_duplicates_", "n_features_in_")


def _random_pair_quantile(x: np.ndarray, q: float, rng: np.random.Generator, n_pairs: int = 20000) -> float:
    """The ``q``-quantile of the distance between two distinct random points (Monte Carlo)."""
    n = x.shape[0]
    i = rng.integers(0, n, n_pairs)
    j = (i + rng.integers(1, n, n_pairs)) % n  # j != i
    return float(np.quantile(np.linalg.norm(x[i] - x[j], axis=1), q))


class CorrelationDimension(ModelMixin, BaseEstimator):
    """Correlation dimension (Grassberger & Procaccia 1983) with k-d-tree pair counting.

    The correlation sum ``C(r)`` (see :func:`correlation_sum`) scales like ``r**D2`` in a
    range of radii above the sampling noise and below the size of the set; ``D2`` is the
    slope of ``ln C`` against ``ln r`` there, fitted with :func:`physml.scaling.fit_power_law`.

    Radii: ``n_radii`` radii spaced geometrically from the 10th percentile of the
    nearest-neighbour distances to the radius at which a fraction ``max_pair_fraction`` of all
    pairs are closer (the median distance to the ``max(k2, max_pair_fraction (N - 1))``-th
    neighbour over up to 300 random points). Small radii are where the scaling holds best
    (edges and curvature bend ``C(r)`` at large radii, and at high dimension nothing else is
    left); pairs are counted at all radii in one dual-tree pass.

    Scaling range (``scaling_range="auto"``): the widest window of at least ``min_decades``
    decades (or half the decades measured, if fewer) in which every local slope
    ``d ln C / d ln r`` (between neighbouring radii) agrees with the window's fitted slope
    within ``rtol`` (relative) plus twice its counting error ``sqrt(1/n_k - 1/n_(k+1)) / d ln r``
    (``n_k`` the pairs within ``r_k``); ties go to the smaller worst deviation. If no window
    qualifies, the straightest window of that width is used and a warning is given. The
    range is reported in ``scaling_range_``.

    ``scaling_range=(r_min, r_max)`` fits that range; ``scaling_range="knn"`` reproduces
    scikit-dimension's ``CorrInt``: the slope between just two radii, the median distances to
    the ``k1``-th and ``k2``-th nearest neighbours (k-d-tree counted, not O(N**2)).

    Parameters
    ----------
    scaling_range : "auto", "knn" or (float, float)
    n_radii : int
        Number of radii, >= 4 (``"auto"`` and fixed ranges).
    min_decades : float
        Minimum width of the automatic window in decades of ``r`` (> 0).
    rtol : float
        Allowed relative deviation of the local slopes from the fitted slope (>= 0).
    max_pair_fraction : float
        About the largest ``C(r)`` considered, in (0, 1]: larger radii feel the size of the set.
    k1, k2 : int
        Neighbour orders of ``scaling_range="knn"``, 1 <= k1 < k2.
    n_subsamples : int
        Disjoint random subsamples for the standard error (0 or 1: no error).
    seed : int or numpy.random.Generator
        For the random pairs that set the largest radius and for the subsamples.

    Attributes
    ----------
    dimension_ : float
    dimension_err_ : float
        Standard error from the subsamples, the fit window held fixed.
    scaling_range_ : tuple of float
        ``(r_min, r_max)`` of the fit.
    radii_, correlation_sum_ : numpy.ndarray
        The measured ``C(r)``.
    pair_counts_ : numpy.ndarray
        Unordered pairs within each radius.
    local_slopes_ : numpy.ndarray, shape (n_radii - 1,)
        Slopes between neighbouring radii (at the geometric midpoints ``slope_radii_``).
    fit_ : PowerLawFit
        ``C = A r**D2`` over the scaling range.
    subsample_dimensions_ : numpy.ndarray
    n_samples_, n_duplicates_ : int
    n_features_in_ : int
    range_found_ : bool
        False when the automatic search fell back (no window met the tolerance).

    A fitted estimator saves with ``save(path)`` and loads with ``CorrelationDimension.load(path)``
    (see docs/architecture.md, "One model contract").

    References
    ----------
    P. Grassberger, I. Procaccia, "Measuring the strangeness of strange attractors",
    Physica D 9, 189 (1983); Hénon 1.21 +- 0.01, Lorenz 2.05 +- 0.01.
    """

    #: NaN where a subsample is too small for an estimate: results, not trained parameters
    _nonfinite_arrays: ClassVar[tuple[str, ...]] = ("subsample_dimensions_",)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "scaling_range": [Options("auto", "knn"),
                          Predicate(_is_radius_pair, "a pair (r_min, r_max) with 0 < r_min < r_max")],
        "n_radii": [Interval(int, 4, None)],
        "min_decades": [Interval(float, 0, None, closed="neither")],
        "rtol": [Interval(float, 0, None)],
        "max_pair_fraction": [Interval(float, 0, 1, closed="right")],
        "k1": [Interval(int, 1, None)],
        "k2": [Interval(int, 2, None)],
        "n_subsamples": [_SUBSAMPLES],
        "seed": ["seed"],
    }

    def __init__(
        self,
        scaling_range: Any = "auto",
        *,
        n_radii: int = 16,
        min_decades: float = 1.0,
        rtol: float = 0.1,
        max_pair_fraction: float = 0.01,
        k1: int = 10,
        k2: int = 20,
        n_subsamples: int = 8,
        seed: int | np.random.Generator = 0,
    ) -> None:
        self.scaling_range = scaling_range
        self.n_radii = n_radii
        self.min_decades = min_decades
        self.rtol = rtol
        self.max_pair_fraction = max_pair_fraction
        self.k1 = k1
        self.k2 = k2
        self.n_subsamples = n_subsamples
        self.seed = seed

    def _check_params(self) -> tuple[Any, ...]:
        self._validate_params()
        mode = self.scaling_range
        if not isinstance(mode, str):
            mode = tuple(float(v) for v in mode)
        k1, k2 = int(self.k1), int(self.k2)
        if k1 >= k2:
            raise ValueError(f"k1 must be smaller than k2, got k1={k1}, k2={k2}")
        return (mode, int(self.n_radii), float(self.min_decades), float(self.rtol),
                float(self.max_pair_fraction), k1, k2, int(self.n_subsamples))

    def fit(self, x: Any, y: Any = None) -> CorrelationDimension:
        """Estimate the correlation dimension of the points ``x``, shape (n_samples, n_features)."""
        mode, n_radii, min_decades, rtol, frac, k1, k2, n_sub = self._check_params()
        need = k2 + 1 if mode == "knn" else 10
        x = check_points(x, "X", min_samples=need, what="CorrelationDimension")
        self.n_features_in_ = x.shape[1]
        x, self.n_duplicates_ = drop_duplicates(x, what="CorrelationDimension", min_samples=need)
        rng = as_generator(self.seed)
        n = x.shape[0]
        tree = NeighborIndex(x)
        self.range_found_ = True
        if mode == "knn":
            d = _knn(x, k2, tree)
            radii = np.array([np.median(d[:, k1 - 1]), np.median(d[:, k2 - 1])])
            if not radii[1] > radii[0]:
                raise ValueError("the k1-th and k2-th neighbour distances coincide; increase k2")
        else:
            if mode == "auto":
                lo = float(np.quantile(_knn(x, 1, tree)[:, 0], 0.1))
                k_hi = min(max(k2, round(frac * (n - 1))), n - 1)
                centres = rng.choice(n, size=min(n, 300), replace=False)
                hi = float(np.median(tree.query(x[centres], k_hi + 1)[:, -1]))
                if not hi > lo:
                    raise ValueError("CorrelationDimension: cannot choose radii (the points are too few or "
                                     "all equidistant); pass scaling_range=(r_min, r_max)")
            else:
                lo, hi = mode
            radii = np.geomspace(lo, hi, n_radii)
        pairs = _pair_counts(x, radii, tree)
        total = n * (n - 1) / 2.0
        keep = pairs > 0
        if keep.sum() < 2:
            raise ValueError(
                f"CorrelationDimension: fewer than 2 radii in {radii.min():.3g}..{radii.max():.3g} hold "
                "any pair of points; choose a larger scaling_range"
            )
        radii, pairs = radii[keep], pairs[keep]
        csum = pairs / total
        self.radii_, self.pair_counts_, self.correlation_sum_ = radii, pairs, csum
        log_r = np.log(radii)
        self.local_slopes_ = np.diff(np.log(csum)) / np.diff(log_r)
        self.slope_radii_ = np.exp(0.5 * (log_r[1:] + log_r[:-1]))
        if mode == "auto":
            a, b = self._auto_window(radii, csum, pairs, min_decades, rtol)
        else:
            a, b = 0, radii.size - 1
        self.scaling_range_ = (float(radii[a]), float(radii[b]))
        self.fit_ = self._fit(radii[a : b + 1], csum[a : b + 1])
        self.dimension_ = float(self.fit_.exponent)
        fit_radii = radii[a : b + 1]

        def part(sub: np.ndarray) -> float:
            if sub.shape[0] < 3:
                return math.nan
            c = _pair_counts(sub, fit_radii)
            pos = c > 0  # a small part may hold no pair at the smallest radii: fit the rest
            if pos.sum() < 2:
                return math.nan
            return self._fit(fit_radii[pos], c[pos]).exponent

        self.dimension_err_, self.subsample_dimensions_ = subsample_error(part, x, n_sub, rng)
        self.n_samples_ = n
        return self

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return fitted_state(
            self,
            ["dimension_", "dimension_err_", "scaling_range_", "range_found_", "n_samples_", "n_duplicates_",
             "n_features_in_"],
            ["radii_", "pair_counts_", "correlation_sum_", "local_slopes_", "slope_radii_",
             "subsample_dimensions_"],
        )

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        restore_fitted_state(self, meta, arrays, tuples=["scaling_range_"])

    @staticmethod
    def _fit(radii: np.ndarray, csum: np.ndarray) -> PowerLawFit:
        return fit_power_law(radii, csum, scale_errors=radii.size >= 3)

    def _auto_window(
        self, radii: np.ndarray, csum: np.ndarray, pairs: np.ndarray, min_decades: float, rtol: float
    ) -> tuple[int, int]:
        log_r = np.log(radii)
        step = np.diff(log_r)
        slopes = np.diff(np.log(csum)) / step
        noise = np.sqrt(np.clip(1.0 / pairs[:-1] - 1.0 / pairs[1:], 0.0, None)) / step
        width_needed = min(min_decades * math.log(10.0), 0.5 * (log_r[-1] - log_r[0]))
        best: tuple[float, float, int, int] | None = None
        fallback: tuple[float, int, int] | None = None
        k = radii.size
        for a in range(k - 2):
            for b in range(a + 2, k):
                width = log_r[b] - log_r[a]
                if width < width_needed * (1 - 1e-9):
                    continue
                s = self._fit(radii[a : b + 1], csum[a : b + 1]).exponent
                dev = np.abs(slopes[a:b] - s)
                allowed = rtol * abs(s) + 2.0 * noise[a:b]
                worst = float(np.max(dev / np.maximum(allowed, 1e-300)))
                if worst <= 1.0:
                    key = (width, -worst)
                    if best is None or key > (best[0], best[1]):
                        best = (width, -worst, a, b)
                if fallback is None or worst < fallback[0]:
                    fallback = (worst, a, b)
        if best is not None:
            return best[2], best[3]
        self.range_found_ = False
        if fallback is None:  # fewer than 3 radii
            return 0, k - 1
        warnings.warn(
            f"CorrelationDimension: no window of {width_needed / math.log(10.0):.2g} decades has a "
            f"constant slope within rtol={rtol}; using the straightest one "
            f"({radii[fallback[1]]:.3g}..{radii[fallback[2]]:.3g})",
            UserWarning,
            stacklevel=3,
        )
        return fallback[1], fallback[2]


class LevinaBickel(ModelMixin, BaseEstimator):
    """Maximum-likelihood intrinsic dimension (Levina & Bickel 2004, MacKay & Ghahramani 2005).

    Around each point the neighbour distances ``T_1 <= ... <= T_k`` of a locally uniform
    ``d``-dimensional density form a Poisson process with intensity ``~ r**(d-1)``, so
    ``ln(T_k / T_j)`` are exponential with rate ``d``. For each ``k`` in ``[k1, k2]``:

    * pointwise: ``m_k(x) = (k - 2) / sum_{j<k} ln(T_k / T_j)`` (unbiased), averaged over
      ``k`` into ``local_dimensions_``;
    * global: the pooled estimate ``(N (k - 1) - 1) / sum_x sum_{j<k} ln(T_k / T_j)``
      (MacKay and Ghahramani's correction: average the inverse estimates, not the estimates),
      averaged over ``k`` into ``dimension_``.

    Parameters
    ----------
    k1, k2 : int
        Neighbour orders, 3 <= k1 <= k2.
    n_subsamples : int
        Disjoint random subsamples for the standard error (0 or 1: no error).
    seed : int or numpy.random.Generator

    Attributes
    ----------
    dimension_, dimension_err_ : float
    local_dimensions_ : numpy.ndarray, shape (n_samples_,)
        Pointwise estimates for the distinct points (duplicates removed), in input order.
    subsample_dimensions_ : numpy.ndarray
    n_samples_, n_duplicates_, n_features_in_ : int

    A fitted estimator saves with ``save(path)`` and loads with ``LevinaBickel.load(path)``.

    References
    ----------
    E. Levina, P. Bickel, "Maximum likelihood estimation of intrinsic dimension", NIPS 17 (2004);
    D. MacKay, Z. Ghahramani, comment on it (2005).
    """

    #: inf where all k distances tie, NaN where a subsample is too small: results, not parameters
    _nonfinite_arrays: ClassVar[tuple[str, ...]] = ("local_dimensions_", "subsample_dimensions_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "k1": [Interval(int, 3, None)],
        "k2": [Interval(int, 3, None)],
        "n_subsamples": [_SUBSAMPLES],
        "seed": ["seed"],
    }

    def __init__(self, k1: int = 10, k2: int = 20, *, n_subsamples: int = 8,
                 seed: int | np.random.Generator = 0) -> None:
        self.k1 = k1
        self.k2 = k2
        self.n_subsamples = n_subsamples
        self.seed = seed

    def fit(self, x: Any, y: Any = None) -> LevinaBickel:
        """Estimate the dimension of the points ``x``, shape (n_samples, n_features)."""
        self._validate_params()
        k1, k2, n_sub = int(self.k1), int(self.k2), int(self.n_subsamples)
        if k1 > k2:
            raise ValueError(f"k1 must be <= k2, got k1={k1}, k2={k2}")
        x = check_points(x, "X", min_samples=k2 + 1, what=f"LevinaBickel with k2={k2}")
        self.n_features_in_ = x.shape[1]
        x, self.n_duplicates_ = drop_duplicates(x, what="LevinaBickel", min_samples=k2 + 1)
        rng = as_generator(self.seed)
        self.dimension_, self.local_dimensions_ = _mle(x, k1, k2)
        self.dimension_err_, self.subsample_dimensions_ = subsample_error(
            lambda sub: _mle(sub, k1, k2)[0] if sub.shape[0] > k2 else math.nan, x, n_sub, rng
        )
        self.n_samples_ = x.shape[0]
        return self

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return fitted_state(self, _DIMENSION_NUMBERS, ["local_dimensions_", "subsample_dimensions_"])

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        restore_fitted_state(self, meta, arrays)


def _pointwise(s: np.ndarray, k: int) -> np.ndarray:
    """``(k - 2) / s`` with ``s = sum_{j<k} ln(T_k / T_j)``; infinite where all k distances tie."""
    return np.where(s > 0, (k - 2) / np.where(s > 0, s, 1.0), np.inf)


def _mle(x: np.ndarray, k1: int, k2: int) -> tuple[float, np.ndarray]:
    d = _knn(x, k2)
    logs = np.log(d)
    csum = np.cumsum(logs, axis=1)  # csum[:, j-1] = sum_{i<=j} ln T_i
    n = x.shape[0]
    global_est, local = [], np.zeros(n)
    for k in range(k1, k2 + 1):
        s = (k - 1) * logs[:, k - 1] - csum[:, k - 2]  # sum_{j<k} ln(T_k / T_j) >= 0
        total = float(s.sum())
        global_est.append((n * (k - 1) - 1) / total if total > 0 else math.inf)
        local += _pointwise(s, k)
    return float(np.mean(global_est)), local / (k2 - k1 + 1)


class TwoNN(ModelMixin, BaseEstimator):
    """TwoNN intrinsic dimension (Facco, d'Errico, Rodriguez, Laio 2017).

    The ratio ``mu = T_2 / T_1`` of each point's second to first neighbour distance follows
    the Pareto law ``P(mu > m) = m**(-d)`` whenever the density is locally constant on the
    scale of ``T_2``; ``ln mu`` is exponential with rate ``d``. The largest ``discard_fraction``
    of the ratios (points at edges or in sparse regions) are treated as censored, and ``d`` is
    the unbiased maximum-likelihood estimate for a Type-II-censored exponential sample,
    ``(n_keep - 1) / (sum_{i<=n_keep} ln mu_(i) + (N - n_keep) ln mu_(n_keep))``.

    Parameters
    ----------
    discard_fraction : float
        In [0, 1).
    n_subsamples : int
    seed : int or numpy.random.Generator

    Attributes
    ----------
    dimension_, dimension_err_ : float
    ratios_ : numpy.ndarray, shape (n_samples_,)
        ``mu`` for every distinct point.
    subsample_dimensions_ : numpy.ndarray
    n_samples_, n_duplicates_, n_features_in_ : int

    A fitted estimator saves with ``save(path)`` and loads with ``TwoNN.load(path)``.
    """

    #: NaN where a subsample is too small for an estimate: results, not trained parameters
    _nonfinite_arrays: ClassVar[tuple[str, ...]] = ("subsample_dimensions_",)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "discard_fraction": [Interval(float, 0, 1, closed="left")],
        "n_subsamples": [_SUBSAMPLES],
        "seed": ["seed"],
    }

    def __init__(self, discard_fraction: float = 0.1, *, n_subsamples: int = 8,
                 seed: int | np.random.Generator = 0) -> None:
        self.discard_fraction = discard_fraction
        self.n_subsamples = n_subsamples
        self.seed = seed

    def fit(self, x: Any, y: Any = None) -> TwoNN:
        """Estimate the dimension of the points ``x``, shape (n_samples, n_features)."""
        self._validate_params()
        frac, n_sub = float(self.discard_fraction), int(self.n_subsamples)
        x = check_points(x, "X", min_samples=3, what="TwoNN")
        self.n_features_in_ = x.shape[1]
        x, self.n_duplicates_ = drop_duplicates(x, what="TwoNN", min_samples=3)
        rng = as_generator(self.seed)
        d = _knn(x, 2)
        self.ratios_ = d[:, 1] / d[:, 0]
        self.dimension_ = _twonn(self.ratios_, frac)
        self.dimension_err_, self.subsample_dimensions_ = subsample_error(
            lambda sub: _twonn(_ratios(sub), frac) if sub.shape[0] >= 3 else math.nan, x, n_sub, rng
        )
        self.n_samples_ = x.shape[0]
        return self

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return fitted_state(self, _DIMENSION_NUMBERS, ["ratios_", "subsample_dimensions_"])

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        restore_fitted_state(self, meta, arrays)


def _ratios(x: np.ndarray) -> np.ndarray:
    d = _knn(x, 2)
    return d[:, 1] / d[:, 0]


def _twonn(mu: np.ndarray, frac: float) -> float:
    n = mu.size
    keep = max(2, int(n * (1.0 - frac)))
    log_mu = np.sort(np.log(mu))[:keep]
    total = float(log_mu.sum() + (n - keep) * log_mu[-1])
    return (keep - 1) / total if total > 0 else math.inf


def local_dimension(x: Any, n_neighbors: int = 20, *, smooth: bool = False) -> np.ndarray:
    """Pointwise intrinsic dimension: the Levina-Bickel estimate ``m_k(x)`` at ``k = n_neighbors``.

    For heterogeneous data (pieces of different dimension) each point gets the dimension of
    its neighbourhood. Statistical error of one value: about ``m / sqrt(k - 3)``.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
        Duplicate points are removed first (with a warning).
    n_neighbors : int
        ``k`` >= 3; fewer than ``n_samples`` distinct points.
    smooth : bool
        Average each estimate with those of its ``k`` neighbours (less noise, less resolution).

    Returns
    -------
    numpy.ndarray, shape (n_distinct_points,)
    """
    k = check_int(n_neighbors, "n_neighbors", low=3)
    x = check_points(x, "x", min_samples=k + 1, what=f"local_dimension with n_neighbors={k}")
    x, _ = drop_duplicates(x, what="local_dimension", min_samples=k + 1)
    dist, idx = NeighborIndex(x).knn_indices(k)
    idx = np.column_stack([np.arange(x.shape[0]), idx])
    m = _pointwise(np.sum(np.log(dist[:, -1:] / dist[:, :-1]), axis=1), k)
    if smooth:
        m = np.mean(m[idx], axis=1)
    return m
