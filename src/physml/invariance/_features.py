"""Invariant features: functions of a point set that every element of a group leaves unchanged.

For triangles (Byers' running example) the similarity-invariant features are the angles and
the ratios of the sides: six coordinates, but only two numbers matter for a question about shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml._core import as_generator, check_int, check_real, check_seed
from physml.invariance._groups import Group, as_point_sets, make_group

__all__ = [
    "DegenerateTriangleError",
    "invariant_features",
    "is_obtuse",
    "random_point_sets",
    "triangle_angles",
    "triangle_sides",
    "triangle_side_ratios",
]


class DegenerateTriangleError(ValueError):
    """A triangle whose vertices are (numerically) collinear: its angles and shape are undefined."""


def random_point_sets(
    n: int, n_points: int = 3, dim: int = 2, *, seed: int | np.random.Generator = 0
) -> np.ndarray:
    """Point sets with independent standard normal coordinates, shape (n, n_points, dim).

    With ``n_points = 3, dim = 2`` these are random planar triangles: 6 coordinates whose
    distribution has intrinsic dimension 6 (4 after translations, 3 after rotations, 2 after
    scalings are quotiented). Their shapes are uniform on Kendall's shape sphere.
    """
    n = check_int(n, "n", low=1)
    n_points = check_int(n_points, "n_points", low=1)
    dim = check_int(dim, "dim", low=1)
    return as_generator(check_seed(seed)).standard_normal((n, n_points, dim))


def _triangles(x: Any, rtol: float) -> tuple[np.ndarray, np.ndarray]:
    """Triangles (n, 3, dim) and side lengths (n, 3) (side k opposite vertex k); degenerate ones raise."""
    pts, _ = as_point_sets(x)
    if pts.shape[1] != 3:
        raise ValueError(f"x must hold triangles, shape (n, 3, dim); got {pts.shape[1]} point(s) per sample")
    if pts.shape[2] < 2:
        raise DegenerateTriangleError(
            "triangles in one dimension are always degenerate (collinear); need dim >= 2"
        )
    rtol = check_real(rtol, "rtol", low=0.0)
    a = pts[:, 2] - pts[:, 1]
    b = pts[:, 0] - pts[:, 2]
    c = pts[:, 1] - pts[:, 0]
    sides = np.stack([np.linalg.norm(v, axis=1) for v in (a, b, c)], axis=1)
    # twice the area, |b x c|, from the Gram determinant (any dimension)
    area2 = np.sqrt(np.maximum(np.sum(b * b, 1) * np.sum(c * c, 1) - np.sum(b * c, 1) ** 2, 0.0))
    longest = sides.max(axis=1)
    bad = area2 <= rtol * longest**2
    if np.any(bad):
        i = int(np.argmax(bad))
        raise DegenerateTriangleError(
            f"{int(bad.sum())} degenerate triangle(s) (collinear or coincident vertices), first x[{i}] = "
            f"{pts[i].tolist()}: twice its area {area2[i]:.3g} is below rtol·(longest side)² = "
            f"{rtol * longest[i] ** 2:.3g}; angles and side ratios are undefined"
        )
    return pts, sides


def triangle_sides(x: Any, *, rtol: float = 1e-12) -> np.ndarray:
    """Side lengths, shape (n, 3): side k is opposite vertex k (units of the points).

    Raises :class:`DegenerateTriangleError` when twice the area is below ``rtol`` times the
    longest side squared (collinear vertices).
    """
    return _triangles(x, rtol)[1]


def triangle_angles(x: Any, *, rtol: float = 1e-12) -> np.ndarray:
    """Interior angles at the three vertices, shape (n, 3), in radians; each row sums to π.

    Invariant under translations, rotations, reflections and scalings (similarities); a
    permutation of the vertices permutes them. Computed with ``atan2(|u×v|, u·v)``, accurate
    for small and near-straight angles.
    """
    pts, _ = _triangles(x, rtol)
    out = np.empty(pts.shape[:2])
    for k in range(3):
        u = pts[:, (k + 1) % 3] - pts[:, k]
        v = pts[:, (k + 2) % 3] - pts[:, k]
        dot = np.sum(u * v, axis=1)
        cross = np.sqrt(np.maximum(np.sum(u * u, 1) * np.sum(v * v, 1) - dot**2, 0.0))
        out[:, k] = np.arctan2(cross, dot)
    return out


def triangle_side_ratios(x: Any, *, rtol: float = 1e-12) -> np.ndarray:
    """Sides divided by the perimeter, shape (n, 3); each row sums to 1 (two free numbers).

    Similarity invariant; by the law of sines ``a : b : c = sin A : sin B : sin C``.
    """
    sides = triangle_sides(x, rtol=rtol)
    return sides / sides.sum(axis=1, keepdims=True)


def is_obtuse(x: Any, *, rtol: float = 1e-12) -> np.ndarray:
    """Whether each triangle has an angle above π/2 (boolean, shape (n,)); by the sides:
    ``c² > a² + b²`` for the longest side ``c``."""
    s = np.sort(triangle_sides(x, rtol=rtol) ** 2, axis=1)
    return s[:, 2] > s[:, 0] + s[:, 1]


def invariant_features(x: Any, group: str | Group, *, dim: int | None = None) -> np.ndarray:
    """Features of each sample invariant under ``group``, shape (n_samples, n_features).

    * With a rotation or reflection factor: the pairwise squared distances ``|x_i − x_j|²``
      (``i < j``) when translations are in the group, else the Gram matrix ``x_i·x_j``
      (``i <= j``); divided by their sum when scalings are in the group; sorted when
      permutations are. (Distances are O(d) invariants: they do not tell a point set from
      its mirror image, so under SO(d) alone they are invariant but not complete.)
    * Otherwise the flattened canonical form (:meth:`Group.canonicalize`): centred
      coordinates for translations, normalised ones for scalings, and so on.

    Parameters
    ----------
    x : array, shape (n_samples, n_points, dim) or (n_samples, dim)
    group : str or Group
        E.g. ``"translation+rotation+scaling"``.
    dim : int, optional
        Dimension for a group given by name (default: that of ``x``).
    """
    pts, _ = as_point_sets(x)
    g = make_group(group, pts.shape[2] if dim is None else dim)
    if g.dim != pts.shape[2]:
        raise ValueError(f"x has points of dimension {pts.shape[2]} but {g!r} acts on dimension {g.dim}")
    n, p, _ = pts.shape
    if "rotation" not in g and "reflection" not in g:
        return g.canonicalize(pts).reshape(n, -1)
    if "translation" in g:
        i, j = np.triu_indices(p, k=1)
        feats = np.sum((pts[:, i] - pts[:, j]) ** 2, axis=2)
    else:
        i, j = np.triu_indices(p)
        feats = np.sum(pts[:, i] * pts[:, j], axis=2)
    if feats.shape[1] == 0:
        return feats
    if "scaling" in g:
        if "translation" in g:
            total = feats.sum(axis=1, keepdims=True)
        else:
            total = np.sum(pts**2, axis=(1, 2))[:, None]
        if np.any(total == 0):
            k = int(np.argmax(total[:, 0] == 0))
            raise ValueError(f"x[{k}] has zero size: scale-invariant features are undefined")
        feats = feats / total
    if "permutation" in g:
        feats = np.sort(feats, axis=1)
    return feats
