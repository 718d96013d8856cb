"""Multiscale local PCA (multiscale SVD): noise level, tangent dimension and curvature scale.

In a ball of radius ``r`` around a point of a ``d``-dimensional manifold with isotropic noise
``sigma`` in ``D`` ambient dimensions, the local covariance has (Little, Maggioni, Rosasco,
ACHA 2016):

* ``d`` tangent eigenvalues ``~ r**2 / (d + 2) + sigma**2`` (uniform in a ``d``-ball),
* ``D - d`` normal eigenvalues ``~ sigma**2 + kappa r**4`` (noise plus the spread of the
  manifold's height over its tangent plane; a ``d``-sphere of radius ``R`` has
  ``kappa (D - d) = c_d / R**2`` with ``c_d = (d/(d+4) - d**2/(d+2)**2) / 4``).

Below the noise scale all directions look alike (high-dimensional noise balls); between the
noise and the curvature scales the tangent space stands out; at the crossover radius
``r_x = (sigma**2 / kappa)**(1/4)`` curvature overtakes noise. The Byers talk (GGI, 14 September 2022)
asks whether there is enough data locally to tell curvature from noise; :class:`MultiscaleLocalPCA`
answers it with a counting argument (see ``resolved_``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from scipy.sparse.linalg import eigsh
from sklearn.base import BaseEstimator

from physml._core import Interval, ModelMixin, Predicate, as_generator, check_int
from physml.geometry._common import check_points, fitted_state, restore_fitted_state
from physml.geometry._dimension import _random_pair_quantile
from physml.geometry._neighbors import NeighborIndex

__all__ = ["MultiscaleLocalPCA", "local_singular_values", "sphere_curvature_constant"]

# |mean tangent eigenvalue * (d + 2) / r**2 - 1| allowed when choosing the scale (_TANGENT_TOL) and
# when fitting noise and curvature (_FIT_TOL): below, noise truncated by the ball; above, curvature.
_TANGENT_TOL = 0.15
_FIT_TOL = 0.07


def sphere_curvature_constant(d: int) -> float:
    """``c_d``: the normal variance in an ``r``-ball on a ``d``-sphere of radius ``R`` is ``c_d r**4/R**2``.

    For ``rho`` distributed like ``rho**(d-1)`` on ``[0, r]`` (uniform in a ``d``-ball) the
    height ``h = rho**2 / (2 R)`` has variance ``(E rho**4 - (E rho**2)**2) / (4 R**2)`` with
    ``E rho**2 = d r**2/(d+2)`` and ``E rho**4 = d r**4/(d+4)``. ``c_2 = 1/48``.
    """
    d = check_int(d, "d", low=1)
    return (d / (d + 4) - d * d / (d + 2) ** 2) / 4.0


def local_singular_values(x: Any, centers: Any, radii: Any) -> tuple[np.ndarray, np.ndarray]:
    """Singular values of the points within each radius of each centre.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
    centers : array_like, shape (n_centers, n_features)
    radii : array_like, shape (n_radii,)
        Increasing radii > 0 (units of ``x``).

    Returns
    -------
    singular_values : numpy.ndarray, shape (n_centers, n_radii, n_features)
        ``sqrt`` of the eigenvalues of the local covariance ``(1/n) sum (x - mean)(x - mean)^T``
        of the ``n`` points within the radius, descending; NaN where ``n < 2``.
    counts : numpy.ndarray of int, shape (n_centers, n_radii)
        The number ``n`` of points within each radius (a centre taken from ``x`` counts itself).
    """
    x = check_points(x, "x", min_samples=2, what="local_singular_values")
    c = check_points(centers, "centers", min_samples=1, what="local_singular_values")
    if c.shape[1] != x.shape[1]:
        raise ValueError(f"centers must have {x.shape[1]} features like x, got {c.shape[1]}")
    r = np.asarray(radii, dtype=np.float64)
    if r.ndim != 1 or r.size == 0 or not np.all(np.isfinite(r)) or np.any(r <= 0) or np.any(np.diff(r) <= 0):
        raise ValueError(f"radii must be a 1-D increasing array of finite numbers > 0, got {radii!r}")
    ev, counts = _local_eigenvalues(x, c, r, NeighborIndex(x))
    return np.sqrt(ev), counts


def _local_eigenvalues(
    x: np.ndarray, centers: np.ndarray, radii: np.ndarray, index: NeighborIndex, n_eig: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The top ``n_eig`` (default all) local covariance eigenvalues, and the ball counts."""
    n_c, n_r, dim = centers.shape[0], radii.size, x.shape[1]
    n_eig = dim if n_eig is None else n_eig
    ev = np.full((n_c, n_r, n_eig), np.nan)
    counts = np.zeros((n_c, n_r), dtype=np.int64)
    for i, centre in enumerate(centers):
        idx = index.ball(centre, radii[-1])
        if idx.size == 0:
            continue
        pts = x[idx]
        dist = np.linalg.norm(pts - centre, axis=1)
        order = np.argsort(dist, kind="stable")
        pts, dist = pts[order], dist[order]
        ends = np.searchsorted(dist, radii, side="right")
        counts[i] = ends
        for j, m in enumerate(ends):
            if m < 2:
                continue
            local = pts[:m] - pts[:m].mean(axis=0)
            ev[i, j] = _top_eigenvalues(local, n_eig)
    return ev, counts


def _top_eigenvalues(local: np.ndarray, n_eig: int) -> np.ndarray:
    """The ``n_eig`` largest eigenvalues of ``local.T @ local / m`` (``local`` centred, m x D), descending.

    Works in the smaller of the D x D covariance and the m x m Gram matrix (same non-zero
    spectrum); when only a few of many eigenvalues are wanted, Lanczos iterations
    (:func:`scipy.sparse.linalg.eigsh`, deterministic start) replace the dense solver.
    """
    m, dim = local.shape
    size = min(m, dim)
    top = min(n_eig, size)
    e = np.zeros(n_eig)
    gram = local.T @ local / m if dim <= m else local @ local.T / m
    if size > 4 * top and size > 64:
        start = np.random.default_rng(0).standard_normal(size)  # fixed: the same numbers every call
        vals = eigsh(gram, k=top, which="LA", v0=start, return_eigenvectors=False)
        e[:top] = np.sort(vals)[::-1]
    else:
        e[:top] = np.linalg.eigvalsh(gram)[::-1][:top]
    return np.clip(e, 0.0, None)


def _is_radii(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return False
    r = np.asarray(value, dtype=np.float64)
    return bool(r.ndim == 1 and r.size >= 3 and np.all(np.isfinite(r)) and np.all(r > 0)
                and np.all(np.diff(r) > 0))


class MultiscaleLocalPCA(ModelMixin, BaseEstimator):
    """Noise level, tangent dimension, curvature and crossover scales from multiscale local PCA.

    Around ``n_centers`` random data points, the local covariance eigenvalues are computed in
    balls of ``n_radii`` geometrically spaced radii (from the median distance to the
    ``min_points``-th neighbour to the radius holding 10% of all pairs, by default).
    Averaged over the centres (balls holding at least ``min_points`` points), they give:

    * the tangent dimension: the index of the largest ratio between consecutive mean
      eigenvalues, at the radius where that ratio is largest (``best_radius_``);
    * the noise variance and curvature: a fit of the mean normal eigenvalue
      ``nu(r) = sigma**2 + kappa r**4`` (least squares with relative weights) over the radii
      where the tangent dimension is the same;
    * ``curvature_radius_``: the radius of the ``d``-sphere with this ``kappa``
      (``sqrt(c_d / ((D - d) kappa))``, :func:`sphere_curvature_constant`);
    * ``crossover_radius_``: ``(sigma**2 / kappa)**(1/4)``, where curvature overtakes noise.

    Is there enough data locally to tell curvature from noise? The mean normal eigenvalue
    from ``n`` points has relative standard error ``sqrt(2 / (n (D - d)))``; curvature is
    resolved at a centre if some radius ``r <= curvature_radius_ / 2`` (still a local,
    tangent-space scale) holds ``n(r) >= max(d + 2, 2 z**2 (sigma**2 + kappa r**4)**2 /
    ((D - d) kappa**2 r**8))`` points, i.e. the curvature term stands ``z`` standard errors
    above the noise. ``resolved_`` holds the answer per centre; ``resolvable_`` is True when
    at least half the centres are resolved.

    Parameters
    ----------
    radii : array_like, optional
        Increasing radii > 0. Default: automatic (see above).
    n_radii : int
        Number of automatic radii, >= 6.
    n_centers : int
        Number of centres, >= 1 (all points if larger than the data).
    min_points : int, optional
        Least points in a ball for it to count in the means; default
        ``min(n_features + 2, 50)``. A ball of ``m`` points shows only ``m - 1`` directions: with
        ``min_points <= n_features`` (high-dimensional data) the analysis uses the top
        ``min_points - 1`` eigenvalues, so the noise level and curvature describe only the
        normal directions that are visible (an approximation, flagged by ``visible_dimensions_``).
    z : float
        Significance (standard errors) for ``resolved_``, > 0.
    seed : int or numpy.random.Generator

    Attributes
    ----------
    radii_ : numpy.ndarray, shape (n_radii,)
    singular_values_ : numpy.ndarray, shape (n_centers, n_radii, visible_dimensions_)
    counts_ : numpy.ndarray, shape (n_centers, n_radii)
    mean_eigenvalues_ : numpy.ndarray, shape (n_radii, visible_dimensions_)
        Eigenvalues averaged over the centres with enough points (NaN where none).
    dimension_by_radius_ : numpy.ndarray of int, shape (n_radii,)
    tangent_dimension_ : int
    best_radius_ : float
    fit_radii_ : tuple of float
        The radii used for the noise/curvature fit.
    noise_level_ : float
        ``sigma`` (units of the data).
    curvature_ : float
        ``kappa`` per normal direction (1 / length**2); NaN when ``D == d``.
    curvature_radius_, crossover_radius_ : float
        ``inf`` when no curvature is detected (``kappa <= 0``).
    resolved_ : numpy.ndarray of bool, shape (n_centers,)
    resolvable_ : bool
    points_needed_ : numpy.ndarray, shape (n_radii,)
        The points a ball of each radius needs to resolve curvature (``inf`` without curvature).
    tangent_ratio_ : numpy.ndarray, shape (n_radii,)
        Mean tangent eigenvalue (less the normal one) times ``(d + 2) / r**2``: 1 in the tangent regime.
    centers_ : numpy.ndarray of int
        Indices of the centres in the data.
    visible_dimensions_ : int
        Eigenvalues analysed: ``min(n_features, min_points - 1)``.
    n_features_in_ : int

    A fitted analysis saves with ``save(path)`` and loads with ``MultiscaleLocalPCA.load(path)``.
    """

    #: NaN at radii whose balls hold too few points, inf without curvature: results, not parameters
    _nonfinite_arrays: ClassVar[tuple[str, ...]] = (
        "singular_values_", "mean_eigenvalues_", "tangent_ratio_", "points_needed_")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "radii": [None, Predicate(_is_radii, "at least 3 increasing finite numbers > 0")],
        "n_radii": [Interval(int, 6, None)],
        "n_centers": [Interval(int, 1, None)],
        "min_points": [None, Interval(int, 3, None)],
        "z": [Interval(float, 0, None, closed="neither")],
        "seed": ["seed"],
    }

    def __init__(self, radii: Any = None, *, n_radii: int = 24, n_centers: int = 200,
                 min_points: int | None = None, z: float = 3.0, seed: int | np.random.Generator = 0) -> None:
        self.radii = radii
        self.n_radii = n_radii
        self.n_centers = n_centers
        self.min_points = min_points
        self.z = z
        self.seed = seed

    def fit(self, x: Any, y: Any = None) -> MultiscaleLocalPCA:
        """Analyse the points ``x``, shape (n_samples, n_features)."""
        self._validate_params()
        n_radii, n_centers, z = int(self.n_radii), int(self.n_centers), float(self.z)
        x = check_points(x, "X", min_samples=4, what="MultiscaleLocalPCA")
        n, dim = x.shape
        self.n_features_in_ = dim
        min_points = min(dim + 2, 50) if self.min_points is None else int(self.min_points)
        rng = as_generator(self.seed)
        tree = NeighborIndex(x)
        centers = np.sort(rng.choice(n, size=min(n_centers, n), replace=False))
        if self.radii is None:
            k = min(min_points, n - 1)
            d = tree.query(x[centers], k + 1)
            lo = float(np.median(d[:, -1]))
            hi = _random_pair_quantile(x, 0.1, rng)
            if not (lo > 0 and hi > lo):
                raise ValueError(
                    f"MultiscaleLocalPCA: a ball holding min_points={min_points} points is already wider "
                    f"than the radius holding 10% of all pairs ({lo:.3g} >= {hi:.3g}): too few points "
                    "for local PCA; pass radii or a smaller min_points"
                )
            radii = np.geomspace(lo, hi, n_radii)
        else:
            radii = np.asarray(self.radii, dtype=np.float64)
        self.visible_dimensions_ = min(dim, min_points - 1)
        ev, counts = _local_eigenvalues(x, x[centers], radii, tree, self.visible_dimensions_)
        self.radii_, self.counts_, self.centers_ = radii, counts, centers
        self.singular_values_ = np.sqrt(ev)
        ok = counts >= min_points
        with np.errstate(invalid="ignore"):
            total = np.where(ok[..., None], ev, 0.0).sum(axis=0)
            mean = total / ok.sum(axis=0)[:, None]
        mean[ok.sum(axis=0) == 0] = np.nan
        self.mean_eigenvalues_ = mean
        self._estimate(mean, radii, counts, self.visible_dimensions_, z)
        return self

    def _estimate(self, mean: np.ndarray, radii: np.ndarray, counts: np.ndarray, dim: int, z: float) -> None:
        valid = np.all(np.isfinite(mean), axis=1) & (mean[:, 0] > 0)
        if valid.sum() < 3 or dim < 2:
            raise ValueError(
                "MultiscaleLocalPCA: fewer than 3 radii have balls with enough points"
                if dim >= 2 else "MultiscaleLocalPCA needs at least 2 features"
            )
        floor = np.finfo(float).tiny
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = mean[:, :-1] / np.maximum(mean[:, 1:], floor)
        ratios[~valid] = 0.0
        dim_r = np.argmax(ratios, axis=1) + 1
        gap = np.max(ratios, axis=1)
        # tangent regime: the top d(r) eigenvalues are those of a uniform d-ball, r**2 / (d + 2)
        # (less the mean normal eigenvalue: the noise adds sigma**2 to every direction)
        tangent = np.array([
            (np.mean(mean[i, : dim_r[i]]) - (np.mean(mean[i, dim_r[i]:]) if dim_r[i] < dim else 0.0))
            * (dim_r[i] + 2) / radii[i] ** 2
            for i in range(radii.size)
        ])
        consistent = valid & (np.abs(tangent - 1.0) <= _TANGENT_TOL)
        best = int(np.argmax(np.where(consistent, gap, -np.inf))) if consistent.any() else int(np.argmax(gap))
        d = int(dim_r[best])
        self.dimension_by_radius_ = dim_r
        self.tangent_ratio_ = tangent
        self.tangent_dimension_ = d
        self.best_radius_ = float(radii[best])
        # contiguous radii around the best one with the same dimension, deep in the tangent regime
        inside = valid & (dim_r == d) & (np.abs(tangent - 1.0) <= _FIT_TOL)
        if not inside[best]:
            inside = valid & (dim_r == d)
        lo = best
        while lo > 0 and inside[lo - 1]:
            lo -= 1
        hi = best
        while hi < radii.size - 1 and inside[hi + 1]:
            hi += 1
        self.fit_radii_ = (float(radii[lo]), float(radii[hi]))
        r = radii[lo : hi + 1]
        nu = mean[lo : hi + 1, d:].mean(axis=1)
        if r.size >= 2:
            w = 1.0 / np.maximum(nu, floor)
            design = np.column_stack([np.ones_like(r), r**4]) * w[:, None]
            (s2, kappa), *_ = np.linalg.lstsq(design, nu * w, rcond=None)
        else:
            s2, kappa = float(nu[0]), math.nan
        s2 = max(float(s2), 0.0)
        self.noise_level_ = math.sqrt(s2)
        self.curvature_ = float(kappa)
        n_normal = dim - d
        if kappa > 0:
            self.curvature_radius_ = math.sqrt(sphere_curvature_constant(d) / (n_normal * kappa))
            self.crossover_radius_ = (s2 / kappa) ** 0.25
            excess = kappa * radii**4
            needed = np.maximum(d + 2, 2 * z**2 * (s2 + excess) ** 2 / (n_normal * excess**2))
            local = radii <= self.curvature_radius_ / 2
            self.points_needed_ = needed
            self.resolved_ = np.any((counts >= needed[None, :]) & local[None, :], axis=1)
        else:
            self.curvature_radius_ = math.inf
            self.crossover_radius_ = math.inf
            self.points_needed_ = np.full(radii.size, np.inf)
            self.resolved_ = np.zeros(counts.shape[0], dtype=bool)
        self.resolvable_ = bool(np.mean(self.resolved_) >= 0.5)

    _NUMBERS = ("tangent_dimension_", "best_radius_", "fit_radii_", "noise_level_", "curvature_",
                "curvature_radius_", "crossover_radius_", "resolvable_", "visible_dimensions_",
                "n_features_in_")
    _ARRAYS = ("radii_", "counts_", "centers_", "singular_values_", "mean_eigenvalues_",
               "dimension_by_radius_", "tangent_ratio_", "points_needed_", "resolved_")

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return fitted_state(self, self._NUMBERS, self._ARRAYS)

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        restore_fitted_state(self, meta, arrays, tuples=["fit_radii_"])

    def plot(self, ax: Any = None) -> Any:
        """Mean local singular values against radius (log-log); returns the axes."""
        if ax is None:
            from matplotlib.figure import Figure

            ax = Figure(figsize=(5.0, 3.8), layout="constrained").add_subplot()
        sv = np.sqrt(self.mean_eigenvalues_)
        for j in range(sv.shape[1]):
            style = "-" if j < self.tangent_dimension_ else "--"
            ax.loglog(self.radii_, sv[:, j], style, marker=".", ms=3, lw=1,
                      label="tangent" if j == 0 else ("normal" if j == self.tangent_dimension_ else None))
        if self.noise_level_ > 0:
            ax.axhline(self.noise_level_, color="gray", lw=0.8, ls=":", label=f"σ = {self.noise_level_:.3g}")
        if math.isfinite(self.crossover_radius_):
            ax.axvline(self.crossover_radius_, color="black", lw=0.8, ls=":", label="crossover radius")
        ax.set(xlabel="radius r", ylabel="local singular value",
               title=f"tangent dimension {self.tangent_dimension_}")
        ax.legend(fontsize=8)
        return ax
