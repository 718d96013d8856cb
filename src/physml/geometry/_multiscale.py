"""Multiscale TwoNN: the generalized-ratio (GRIDE) estimator at neighbour orders n1, 2 n1, 4 n1, ...

TwoNN (:class:`physml.geometry.TwoNN`) reads the dimension from the ratio of the second to the
first neighbour distance, i.e. at the scale of the nearest neighbours, where noise in many
ambient dimensions dominates. GRIDE (Denti, Doimo, Laio, Mira, Sci. Rep. 12, 20005 (2022)) uses
the ratio ``mu = T_(n2) / T_(n1)`` of farther neighbours: for a locally uniform ``d``-dimensional
density it has the density

    f(mu) = d (mu**d - 1)**(n2 - n1 - 1) / (B(n2 - n1, n1) mu**((n2 - 1) d + 1)),   mu > 1,

whose maximum-likelihood ``d`` is the dimension at the scale ``T_(n2)``. Doubling ``n1`` walks
the scale up through the data: below the noise the estimate is the noise's (high) dimension,
between the noise and the curvature it is the manifold's, above the curvature the embedding's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import betaln

from physml._core import check_int
from physml.geometry._common import check_points, drop_duplicates
from physml.geometry._neighbors import NeighborIndex

__all__ = ["GrideCurve", "gride_curve"]


@dataclass
class GrideCurve:
    """The GRIDE dimension at a ladder of neighbour orders (:func:`gride_curve`).

    Attributes
    ----------
    n1 : numpy.ndarray of int
        First neighbour order of each ratio (the second is ``2 * n1``).
    scales : numpy.ndarray
        Median distance to the ``2 * n1``-th neighbour: the scale each estimate describes.
    dimensions, errors : numpy.ndarray
        Maximum-likelihood dimension and its standard error from the Fisher information (the
        ratios of neighbouring points share neighbours, so this is a lower bound); NaN where
        fewer than 10 points have distinct ``n1``-th and ``2 n1``-th neighbour distances.
    n_duplicates : int
    """

    n1: np.ndarray
    scales: np.ndarray
    dimensions: np.ndarray
    errors: np.ndarray
    n_duplicates: int


def _neg_loglik(log_d: float, log_mu: np.ndarray, n1: int, n2: int) -> float:
    d = math.exp(log_d)
    a = d * log_mu  # ln mu**d > 0
    log_pow_m1 = a + np.log(-np.expm1(-a))  # ln(mu**d - 1), stable for small and large a
    ll = (math.log(d) + (n2 - n1 - 1) * log_pow_m1 - ((n2 - 1) * d + 1) * log_mu - betaln(n2 - n1, n1))
    return -float(np.sum(ll))


def _gride(log_mu: np.ndarray, n1: int, n2: int) -> tuple[float, float]:
    res = minimize_scalar(_neg_loglik, bounds=(math.log(0.05), math.log(500.0)), method="bounded",
                          args=(log_mu, n1, n2), options={"xatol": 1e-7})
    d = math.exp(res.x)
    h = 1e-3 * d  # observed information by a central second difference in d
    f = [_neg_loglik(math.log(d + s * h), log_mu, n1, n2) for s in (-1, 0, 1)]
    info = (f[0] - 2 * f[1] + f[2]) / h**2
    return d, (1.0 / math.sqrt(info) if info > 0 else math.nan)


def gride_curve(x: Any, *, max_order: int = 256) -> GrideCurve:
    """The GRIDE dimension at ``n1 = 1, 2, 4, ...`` with ``n2 = 2 n1 <= max_order``.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
        Finite points; exact duplicates are removed first (with a warning).
    max_order : int
        Largest neighbour order used, >= 2 (capped at ``n_samples - 1``).

    Returns
    -------
    GrideCurve
        ``n1 = 1`` is TwoNN without discarding (Facco et al. 2017).
    """
    max_order = check_int(max_order, "max_order", low=2)
    x = check_points(x, "X", min_samples=3, what="gride_curve")
    x, n_dup = drop_duplicates(x, what="gride_curve", min_samples=3)
    kmax = min(max_order, x.shape[0] - 1)
    return _gride_from_distances(NeighborIndex(x).knn(_top_order(kmax)), n_dup)


def _top_order(kmax: int) -> int:
    """The largest ``n2 = 2 n1`` (``n1`` a power of 2) not above ``kmax``."""
    n2 = 2
    while 2 * n2 <= kmax:
        n2 *= 2
    return n2


def _gride_from_distances(dist: np.ndarray, n_dup: int = 0) -> GrideCurve:
    """The curve from the sorted neighbour distances ``dist`` (n, k) of distinct points."""
    orders = [1]
    while 4 * orders[-1] <= dist.shape[1]:
        orders.append(2 * orders[-1])
    scales, dims, errs = [], [], []
    for n1 in orders:
        n2 = 2 * n1
        t1, t2 = dist[:, n1 - 1], dist[:, n2 - 1]
        ok = (t1 > 0) & (t2 > t1)
        # ties (lattice data) carry no ratio; too few distinct ratios give no estimate
        d, e = _gride(np.log(t2[ok] / t1[ok]), n1, n2) if ok.sum() >= 10 else (math.nan, math.nan)
        scales.append(float(np.median(t2)))
        dims.append(d)
        errs.append(e)
    return GrideCurve(np.array(orders), np.array(scales), np.array(dims), np.array(errs), n_dup)
