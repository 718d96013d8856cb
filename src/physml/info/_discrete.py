"""Entropies and mutual information of discrete distributions given as probability tables (bits)."""

from __future__ import annotations

import numpy as np

from physml._core import check_array

__all__ = [
    "binary_entropy",
    "check_joint",
    "entropy",
    "inverse_binary_entropy",
    "kl_divergence",
    "mutual_information",
]

#: Tolerance on ``sum p = 1`` for probability tables.
SUM_TOL = 1e-9


def check_joint(p: np.ndarray, name: str = "p_xy") -> np.ndarray:
    """Validate a joint probability table: 2-D, finite, non-negative, sums to one.

    Parameters
    ----------
    p : array_like, shape (n_x, n_y)
    name : str
        Name of the argument in error messages.

    Returns
    -------
    numpy.ndarray of float64, shape (n_x, n_y)
    """
    p = check_array(p, name, ndim=2)
    if p.shape[0] < 1 or p.shape[1] < 1:
        raise ValueError(f"{name} must have at least one row and one column, got shape {p.shape}")
    if np.any(p < 0):
        i, j = (int(k) for k in np.argwhere(p < 0)[0])
        raise ValueError(f"{name} must have non-negative entries, got {p[i, j]} at ({i}, {j})")
    total = float(p.sum())
    if abs(total - 1.0) > SUM_TOL * max(1, p.size):
        raise ValueError(
            f"{name} must sum to 1 (a joint probability table), got {total!r}; normalise it or pass "
            "counts to the sample estimators instead"
        )
    return p


def _xlogx(p: np.ndarray) -> np.ndarray:
    out = np.zeros_like(p, dtype=float)
    pos = p > 0
    out[pos] = p[pos] * np.log2(p[pos])
    return out


def entropy(p: np.ndarray, axis: int | None = None) -> np.ndarray | float:
    """Shannon entropy ``-Σ p log2 p`` in bits (``0 log 0 = 0``); ``p`` is not renormalised."""
    p = np.asarray(p, dtype=float)
    h = -np.sum(_xlogx(p), axis=axis)
    return float(h) if np.ndim(h) == 0 else h


def kl_divergence(p: np.ndarray, q: np.ndarray, axis: int = -1) -> np.ndarray:
    """``KL[p ‖ q] = Σ p log2(p/q)`` in bits along ``axis``, broadcasting; ``inf`` where q = 0 < p."""
    p = np.asarray(p, dtype=float)
    q = np.asarray(q, dtype=float)
    p, q = np.broadcast_arrays(p, q)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * (np.log2(np.where(p > 0, p, 1.0)) - np.log2(q)), 0.0)
    return np.sum(terms, axis=axis)


def mutual_information(p_xy: np.ndarray) -> float:
    """``I(X;Y) = H(X) + H(Y) − H(X,Y)`` in bits of a joint table (validated by :func:`check_joint`)."""
    p = check_joint(p_xy)
    return max(0.0, entropy(p.sum(1)) + entropy(p.sum(0)) - entropy(p))


def binary_entropy(q: np.ndarray | float) -> np.ndarray | float:
    """``h(q) = −q log2 q − (1−q) log2(1−q)``, elementwise, for q in [0, 1]."""
    q = np.asarray(q, dtype=float)
    if np.any((q < 0) | (q > 1)):
        raise ValueError("binary_entropy needs q in [0, 1]")
    h = -(_xlogx(q) + _xlogx(1.0 - q))
    return float(h) if h.ndim == 0 else h


def inverse_binary_entropy(v: np.ndarray | float) -> np.ndarray | float:
    """The q in [0, 1/2] with ``h(q) = v``, for v in [0, 1] (elementwise, by bisection to 1e-15)."""
    v = np.asarray(v, dtype=float)
    if np.any((v < 0) | (v > 1 + 1e-12)):
        raise ValueError("inverse_binary_entropy needs v in [0, 1]")
    lo = np.zeros_like(v)
    hi = np.full_like(v, 0.5)
    for _ in range(60):  # h is increasing on [0, 1/2]; 60 halvings reach 2^-61
        mid = 0.5 * (lo + hi)
        below = np.asarray(binary_entropy(mid)) < v
        lo = np.where(below, mid, lo)
        hi = np.where(below, hi, mid)
    q = 0.5 * (lo + hi)
    return float(q) if q.ndim == 0 else q
