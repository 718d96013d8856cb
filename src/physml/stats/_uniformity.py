"""Uniformity of directions: the Rayleigh test, and the alignment of directions with axes.

Mardia & Jupp, *Directional Statistics* (Wiley, 2000), ch. 10 (the Rayleigh test on the
sphere S^(p−1)) and ch. 9 (the uniform distribution on the sphere, axial data); Jupp,
"Modifications of the Rayleigh and Bingham tests for uniformity of directions", J. Multivariate
Anal. 77 (2001) 1-20 (the small-sample correction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from physml._core import check_array, check_int

__all__ = ["AxialAlignment", "RayleighTest", "axial_alignment", "rayleigh_test", "uniform_mean_abs_cosine"]


def _unit_rows(x: np.ndarray, name: str) -> np.ndarray:
    """The rows of ``x`` scaled to unit length; a zero row has no direction."""
    norm = np.linalg.norm(x, axis=1, keepdims=True)
    zero = np.flatnonzero(norm[:, 0] == 0)
    if len(zero):
        raise ValueError(f"{name} has a zero row at index {int(zero[0])}; a direction needs a non-zero row")
    return x / norm


@dataclass(frozen=True)
class RayleighTest:
    """The Rayleigh test of uniformity of ``n`` directions in R^D (on the sphere S^(D−1)).

    Attributes
    ----------
    statistic : float
        S = D n |R̄|², with R̄ the mean of the unit vectors. E[S] = D exactly under uniformity
        (for every n), and S → χ²_D in distribution as n grows; S ≈ D n when the directions
        coincide.
    modified_statistic : float
        Jupp's S* = (1 − 1/(2n)) S + S²/(2n(D + 2)), which follows χ²_D up to O(n⁻²) instead
        of O(n⁻¹).
    p_value : float
        P(χ²_D ≥ S*): the probability, for uniform directions, of a resultant at least as long.
    mean_resultant_length : float
        |R̄| in [0, 1].
    n : int
    dimension : int
        D, the dimension of the ambient space.
    """

    statistic: float
    modified_statistic: float
    p_value: float
    mean_resultant_length: float
    n: int
    dimension: int


def rayleigh_test(directions: np.ndarray) -> RayleighTest:
    """Test whether directions are uniform on the sphere: the Rayleigh test.

    The rows of ``directions`` are scaled to unit vectors u_i and averaged, R̄ = Σ u_i / n.
    Under uniformity E|R̄|² = 1/n and S = D n |R̄|² is asymptotically χ²_D (Mardia & Jupp,
    *Directional Statistics*, 2000, ch. 10); the p-value is taken from Jupp's modified
    statistic S* = (1 − 1/(2n)) S + S²/(2n(D + 2)) (Jupp, J. Multivariate Anal. 77 (2001) 1),
    whose χ²_D approximation is good to O(n⁻²), so that it holds for a handful of directions.
    The test has the most power against a unimodal alternative (von Mises-Fisher); directions
    clustered at two antipodal points are not detected (use axes for those).

    Parameters
    ----------
    directions : array_like, shape (n, D)
        Non-zero vectors, D ≥ 2; only their directions matter.

    Returns
    -------
    RayleighTest
    """
    x = check_array(directions, "directions", ndim=2, min_samples=1)
    if x.shape[1] < 2:
        raise ValueError(f"directions must have at least 2 columns (D >= 2), got {x.shape[1]}")
    u = _unit_rows(x, "directions")
    n, d = u.shape
    s = float(d * n * np.sum(u.mean(axis=0) ** 2))
    modified = (1.0 - 1.0 / (2.0 * n)) * s + s * s / (2.0 * n * (d + 2))
    return RayleighTest(
        statistic=s,
        modified_statistic=modified,
        p_value=float(scipy_stats.chi2.sf(modified, d)),
        mean_resultant_length=math.sqrt(s / (d * n)),
        n=n,
        dimension=d,
    )


def uniform_mean_abs_cosine(dimension: int) -> float:
    """E|u · a| for a uniform unit vector u in R^D and a fixed unit vector a.

    u · a has the density ∝ (1 − t²)^((D−3)/2) on [−1, 1] (Mardia & Jupp, *Directional
    Statistics*, 2000, ch. 9), so E|u · a| = Γ(D/2) / (√π Γ((D+1)/2)): 1 for D = 1, 2/π on the
    circle, 1/2 on the 2-sphere, ≈ sqrt(2/(π D)) for large D.

    Parameters
    ----------
    dimension : int
        D ≥ 1.
    """
    d = check_int(dimension, "dimension", low=1)
    if d < 170:  # math.gamma overflows beyond 171
        return math.gamma(d / 2) / (math.sqrt(math.pi) * math.gamma((d + 1) / 2))
    return math.exp(math.lgamma(d / 2) - math.lgamma((d + 1) / 2)) / math.sqrt(math.pi)


@dataclass(frozen=True)
class AxialAlignment:
    """How closely K directions line up with K axes, paired row by row.

    Attributes
    ----------
    matched : ndarray, shape (K,)
        |cos| of the angle between direction i and axis i (1: along the axis; 0: orthogonal).
    mismatched_mean : float
        Mean |cos| between direction i and axis j over the pairs i ≠ j: what the matched values
        are when the pairing carries no information (the directions and axes as they are,
        their association broken).
    uniform_mean : float
        E|cos| for a uniform direction, :func:`uniform_mean_abs_cosine` (D).
    """

    matched: np.ndarray
    mismatched_mean: float
    uniform_mean: float


def axial_alignment(directions: np.ndarray, axes: np.ndarray) -> AxialAlignment:
    """The alignment |cos θ_ij| = |u_i · a_j| of directions u_i with axes a_j (unit vectors).

    An axis is a line through the origin (a and −a are the same axis), so the alignment is the
    absolute cosine (Mardia & Jupp, *Directional Statistics*, 2000, ch. 9 on axial data). For
    paired data (u_i measured on the sample that defined a_i) it compares the matched pairs
    i = j with the mismatched ones i ≠ j, a permutation-style null that keeps the distributions
    of the directions and of the axes, and with a uniform direction,
    E|cos| = Γ(D/2) / (√π Γ((D+1)/2)).

    Parameters
    ----------
    directions : array_like, shape (K, D)
        Non-zero vectors; scaled to unit length here.
    axes : array_like, shape (K, D)
        Non-zero vectors, one per direction; scaled to unit length here.

    Returns
    -------
    AxialAlignment
    """
    u = check_array(directions, "directions", ndim=2, min_samples=2)
    a = check_array(axes, "axes", shape=u.shape)
    cos = np.abs(_unit_rows(u, "directions") @ _unit_rows(a, "axes").T)
    k = len(cos)
    return AxialAlignment(
        matched=np.diag(cos).copy(),
        mismatched_mean=float(cos[~np.eye(k, dtype=bool)].mean()),
        uniform_mean=uniform_mean_abs_cosine(u.shape[1]),
    )
