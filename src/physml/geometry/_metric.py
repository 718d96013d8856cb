"""Metrics from calibration: whitening and Mahalanobis distances from measurement covariances.

The Byers talk ("Machine Learning and Physics: A Faustian Bargain?", GGI, 14 September 2022; slide
"Geometry of ML: Experimental Calibration"): machine learning
assumes that Euclidean distance encodes statistical similarity,
``-ln p(y, y') ~ |y - y'|**2 / 2``. That holds only if the measurement noise is isotropic
and of unit variance. With a calibration covariance ``Sigma`` (one, or a field ``Sigma(y)``
over the data space) the metric is ``g(y) = Sigma(y)**-1``, and whitening by
``Sigma**(-1/2)`` makes the Euclidean assumption true. If ``y = f(x)`` with isotropic noise
``s`` in ``x``, ``Sigma_y ~ s**2 J J^T`` with ``J = df/dx``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from scipy.spatial import cKDTree
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml._core import Interval, ModelMixin, Options, check_array
from physml.geometry._common import check_points

__all__ = [
    "CovarianceField",
    "local_covariances",
    "mahalanobis_distance",
    "polar_covariance",
    "whitening_map",
]


def _check_covariance(cov: Any, name: str, dim: int | None = None) -> np.ndarray:
    c = check_array(cov, name, ndim=(2, 3))
    if c.shape[-1] != c.shape[-2]:
        raise ValueError(f"{name} must hold square matrices, got shape {c.shape}")
    if dim is not None and c.shape[-1] != dim:
        raise ValueError(f"{name} must be {dim} x {dim} to match the data, got {c.shape[-2:]}")
    if not np.allclose(c, np.swapaxes(c, -1, -2), rtol=1e-8, atol=1e-12 * max(1.0, float(np.abs(c).max()))):
        raise ValueError(f"{name} must be symmetric")
    ev = np.linalg.eigvalsh(c)
    if np.any(ev <= 0):
        raise ValueError(
            f"{name} must be positive definite (smallest eigenvalue {float(ev.min()):.3g}); a singular "
            "covariance has directions without noise, where no statistical distance is defined"
        )
    return c


def polar_covariance(points: Any, radial_sd: Any, tangential_sd: Any) -> np.ndarray:
    """The covariance in the plane of errors along the radius and across it, at each point.

    A measurement at polar position (r, φ) with independent errors σ_r along the radial unit
    vector r̂ = (cos φ, sin φ) and σ_t along the tangential one t̂ = (−sin φ, cos φ) (a
    tracker's or a calorimeter's resolution) has the Cartesian covariance

        Σ = R(φ) diag(σ_r², σ_t²) R(φ)ᵀ = σ_r² r̂ r̂ᵀ + σ_t² t̂ t̂ᵀ,

    which turns with the azimuth. (At the origin φ = 0: r̂ is the x axis.)

    Parameters
    ----------
    points : array_like, shape (n, 2)
    radial_sd, tangential_sd : float or array_like, shape (n,)
        σ_r and σ_t > 0 (lengths, units of ``points``), one value for all points or one per point.

    Returns
    -------
    numpy.ndarray, shape (n, 2, 2)
    """
    p = check_array(points, "points", shape=(None, 2))
    sds = []
    for name, value in (("radial_sd", radial_sd), ("tangential_sd", tangential_sd)):
        sd = check_array(value, name, ndim=(0, 1))
        if sd.ndim == 1 and sd.shape != (len(p),):
            raise ValueError(f"{name} must be one value or one per point ({len(p)}), got shape {sd.shape}")
        if np.any(sd <= 0):
            raise ValueError(f"{name} must be > 0, got a minimum of {float(sd.min()):.3g}")
        sds.append(np.broadcast_to(sd, (len(p),)))
    sr, st = sds
    phi = np.arctan2(p[:, 1], p[:, 0])
    c, s = np.cos(phi), np.sin(phi)
    rot = np.stack([np.stack([c, -s], -1), np.stack([s, c], -1)], -2)
    diag = np.zeros((len(p), 2, 2))
    diag[:, 0, 0], diag[:, 1, 1] = sr**2, st**2
    return rot @ diag @ np.swapaxes(rot, -1, -2)


def whitening_map(cov: Any) -> np.ndarray:
    """The symmetric whitening matrix ``W = Sigma**(-1/2)``.

    ``W (y - y')`` has identity covariance when ``y - y'`` has covariance ``Sigma``, so
    Euclidean distances after ``y -> W y`` are Mahalanobis distances before.

    Parameters
    ----------
    cov : array_like, shape (D, D) or (n, D, D)
        Symmetric positive-definite covariance(s), in squared data units.

    Returns
    -------
    numpy.ndarray, same shape as ``cov`` (inverse data units)
    """
    c = _check_covariance(cov, "cov")
    return _inv_sqrt(c)


def _inv_sqrt(c: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(c)
    return (v * (1.0 / np.sqrt(w))[..., None, :]) @ np.swapaxes(v, -1, -2)


def mahalanobis_distance(y1: Any, y2: Any, cov: Any) -> np.ndarray:
    """``sqrt((y1 - y2)^T Sigma^-1 (y1 - y2))`` row by row.

    Parameters
    ----------
    y1, y2 : array_like, shape (n, D) or (D,)
        Broadcast against each other.
    cov : array_like, shape (D, D) or (n, D, D)
        One covariance, or one per row.

    Returns
    -------
    numpy.ndarray, shape (n,) (dimensionless: standard deviations)
    """
    a = np.atleast_2d(check_array(y1, "y1", ndim=(1, 2)))
    b = np.atleast_2d(check_array(y2, "y2", ndim=(1, 2)))
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"y1 and y2 must have the same number of features, got {a.shape[1]} and {b.shape[1]}"
        )
    c = _check_covariance(cov, "cov", a.shape[1])
    diff = a - b
    if c.ndim == 3 and c.shape[0] != diff.shape[0]:
        raise ValueError(f"cov holds {c.shape[0]} matrices but there are {diff.shape[0]} rows")
    sol = np.linalg.solve(c, diff[..., None])[..., 0] if c.ndim == 3 else np.linalg.solve(c, diff.T).T
    return np.sqrt(np.clip(np.sum(diff * sol, axis=1), 0.0, None))


def local_covariances(repeats: Any) -> tuple[np.ndarray, np.ndarray]:
    """Mean and covariance of repeated measurements at each calibration point.

    Parameters
    ----------
    repeats : array_like, shape (n_points, n_repeats, D)
        ``n_repeats >= D + 1`` measurements of each of ``n_points`` calibration sources.

    Returns
    -------
    means : numpy.ndarray, shape (n_points, D)
    covariances : numpy.ndarray, shape (n_points, D, D)
        Unbiased sample covariances (``1 / (n_repeats - 1)``); each has a relative standard
        error of about ``sqrt(2 / (n_repeats - 1))`` per variance.
    """
    r = check_array(repeats, "repeats", ndim=3)
    n, m, dim = r.shape
    if n < 1:
        raise ValueError("repeats holds no calibration points")
    if m < dim + 1:
        raise ValueError(
            f"repeats needs at least D + 1 = {dim + 1} measurements per point for a non-singular "
            f"covariance, got {m}"
        )
    means = r.mean(axis=1)
    dev = r - means[:, None, :]
    cov = np.einsum("nmi,nmj->nij", dev, dev) / (m - 1)
    return means, cov


class CovarianceField(ModelMixin, BaseEstimator):
    """A field of measurement covariances ``Sigma(y)`` over the data space, and its metric.

    Built from calibration points ``y_c`` with covariances ``Sigma_c`` (or from repeated
    measurements, :meth:`from_repeats`); ``Sigma(y)`` is the average of the ``n_neighbors``
    nearest calibration covariances, weighted by inverse distance (k-d tree, O(N) memory), or
    the nearest one for ``n_neighbors=1``. A single covariance gives a constant field; so does
    ``fit(X)`` alone, with the sample covariance of repeated measurements ``X`` of one source.

    Parameters
    ----------
    n_neighbors : int
        Calibration points averaged per query, >= 1.
    weights : {"distance", "uniform"}

    Attributes
    ----------
    points_ : numpy.ndarray, shape (n_points, D)
    covariances_ : numpy.ndarray, shape (n_points, D, D)
    n_features_in_ : int
        ``D``.

    Before ``fit``, the methods that need the field raise scikit-learn's ``NotFittedError``. A
    fitted field saves with ``save(path)`` and loads with ``CovarianceField.load(path)``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_neighbors": [Interval(int, 1, None)],
        "weights": [Options("distance", "uniform")],
    }

    def __init__(self, n_neighbors: int = 4, *, weights: str = "distance") -> None:
        self.n_neighbors = n_neighbors
        self.weights = weights

    def fit(self, points: Any, covariances: Any = None) -> CovarianceField:
        """Store calibration ``points`` (n, D) and their ``covariances`` (n, D, D) or one (D, D).

        Without ``covariances``, ``points`` are repeated measurements of one calibration source
        (at least D + 1 of them): the field is constant, with their unbiased sample covariance,
        placed at their mean.
        """
        self._validate_params()
        if covariances is None:
            reps = check_points(points, "points", min_samples=2, what="CovarianceField")
            n, dim = reps.shape
            if n < dim + 1:
                raise ValueError(
                    f"CovarianceField.fit without covariances needs at least D + 1 = {dim + 1} repeated "
                    f"measurements in points for a non-singular covariance, got {n}"
                )
            means, cov = local_covariances(reps[None])
            return self._store(means, _check_covariance(cov, "the sample covariance of points", dim))
        p = check_points(points, "points", min_samples=1, what="CovarianceField")
        c = _check_covariance(covariances, "covariances", p.shape[1])
        if c.ndim == 2:
            c = np.broadcast_to(c, (p.shape[0], *c.shape)).copy()
        if c.shape[0] != p.shape[0]:
            raise ValueError(f"got {p.shape[0]} points but {c.shape[0]} covariances")
        return self._store(p, c)

    def _store(self, points: np.ndarray, covariances: np.ndarray) -> CovarianceField:
        self.points_, self.covariances_ = points, covariances
        self.n_features_in_ = points.shape[1]
        self._tree = cKDTree(points)
        return self

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {}, {"points": self.points_, "covariances": self.covariances_}

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self._store(arrays["points"], arrays["covariances"])

    @classmethod
    def from_repeats(
        cls, repeats: Any, n_neighbors: int = 4, *, weights: str = "distance"
    ) -> CovarianceField:
        """A field from repeated measurements (n_points, n_repeats, D): see :func:`local_covariances`."""
        means, cov = local_covariances(repeats)
        return cls(n_neighbors, weights=weights).fit(means, cov)

    def covariance(self, y: Any) -> np.ndarray:
        """``Sigma(y)``: shape (n, D, D) for ``y`` of shape (n, D)."""
        q = self._query_points(y)
        k = min(self.n_neighbors, self.points_.shape[0])
        dist, idx = self._tree.query(q, k=k)
        if k == 1:
            return self.covariances_[idx]
        dist, idx = np.atleast_2d(dist), np.atleast_2d(idx)
        if self.weights == "uniform":
            w = np.ones_like(dist)
        else:
            exact = dist <= 0
            inverse = 1.0 / np.where(exact, 1.0, dist)
            w = np.where(exact.any(axis=1, keepdims=True), exact.astype(float), inverse)
        w /= w.sum(axis=1, keepdims=True)
        return np.einsum("nk,nkij->nij", w, self.covariances_[idx])

    def metric(self, y: Any) -> np.ndarray:
        """The metric tensor ``g(y) = Sigma(y)**-1``, shape (n, D, D)."""
        return np.linalg.inv(self.covariance(y))

    def whiten(self, y: Any, center: Any) -> np.ndarray:
        """Local whitening about ``center``: ``Sigma(center)**(-1/2) (y - center)``.

        Euclidean geometry of the result is the statistical geometry near ``center``.
        ``y`` has shape (n, D); ``center`` shape (D,).
        """
        q = self._query_points(y)
        c = np.asarray(center, dtype=np.float64).reshape(1, -1)
        w = _inv_sqrt(self.covariance(c))[0]
        return (q - c) @ w.T

    def distance(self, y1: Any, y2: Any) -> np.ndarray:
        """Statistical distance between rows of ``y1`` and ``y2`` (n, D).

        Mahalanobis distance with the covariance at the midpoint, ``Sigma((y1 + y2) / 2)``:
        the length of the straight segment in the metric ``g``, exact for a constant field and
        second-order accurate for a smooth one on short segments.
        """
        a = self._query_points(y1)
        b = self._query_points(y2)
        a, b = np.broadcast_arrays(a, b)
        return mahalanobis_distance(a, b, self.covariance(0.5 * (a + b)))

    def _query_points(self, y: Any) -> np.ndarray:
        check_is_fitted(self)
        q = np.atleast_2d(check_array(y, "y", ndim=(1, 2)))
        if q.shape[1] != self.points_.shape[1]:
            raise ValueError(f"y must have {self.points_.shape[1]} features, got {q.shape[1]}")
        return q
