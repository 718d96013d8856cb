"""Groups acting on point sets: translations, rotations, scalings, reflections, permutations.

A point set is an array of shape ``(n_points, dim)``; a batch of them has shape
``(n_samples, n_points, dim)``. A batch of vectors ``(n_samples, dim)`` is a batch of one-point
sets. A :class:`Group` is a product of named factors; its element ``g`` acts on a point set by

    g·x = s · (P x) Mᵀ + t

(first permute the points by ``P``, then apply the orthogonal matrix ``M`` (a rotation, a
reflection, or both), scale by ``s > 0`` and translate by ``t``). The factors present decide the
group: e.g. ``"translation+rotation+scaling"`` is the group of orientation-preserving
similarities, and the question asked about the data decides which group is relevant (Byers).

Sampling elements: rotations are Haar-distributed on SO(d) (uniform angle in 2-D; Mezzadri's
QR recipe above);
reflections are the identity or the mirror ``x_0 -> -x_0`` with probability 1/2 each (with
rotations: Haar on O(d)); permutations are uniform. Translations and scalings are not compact,
so an orbit sample needs a chosen measure: ``t ~ N(0, translation_scale² I)`` and
``ln s ~ U(-ln scale_range, ln scale_range)``.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from physml._core import as_generator, check_array, check_int, check_real, check_seed

__all__ = [
    "GROUP_NAMES",
    "Group",
    "GroupElements",
    "as_point_sets",
    "haar_rotations",
    "make_group",
]

#: The factors a :class:`Group` may have, in the order their actions are applied.
GROUP_NAMES = ("permutation", "reflection", "rotation", "scaling", "translation")


def as_point_sets(x: Any, name: str = "x") -> tuple[np.ndarray, bool]:
    """``x`` as a float64 array of shape (n_samples, n_points, dim).

    Accepts (n_samples, n_points, dim) point sets or (n_samples, dim) vectors (one point each).
    Returns the array and whether the input was a batch of vectors. Non-numeric input is a
    ``TypeError``; NaN or infinities a ``ValueError``.
    """
    arr = check_array(x, name, ndim=(2, 3))
    if arr.shape[0] == 0 or arr.shape[-1] == 0 or (arr.ndim == 3 and arr.shape[1] == 0):
        raise ValueError(f"{name} must hold at least one sample of at least one point, got shape {arr.shape}")
    if arr.ndim == 2:
        return arr[:, None, :], True
    return arr, False


def _restore(x: np.ndarray, vectors: bool) -> np.ndarray:
    return x[:, 0, :] if vectors else x


def haar_rotations(n: int, dim: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """``n`` Haar-random rotation matrices of SO(dim), shape (n, dim, dim).

    For ``dim = 2`` the rotation angle is uniform on [-π, π); in any dimension the distribution
    is invariant under left and right multiplication by fixed rotations.
    """
    n = check_int(n, "n", low=0)
    dim = check_int(dim, "dim", low=1)
    rng = as_generator(check_seed(seed))
    if dim == 1 or n == 0:
        return np.ones((n, dim, dim))
    if dim == 2:
        theta = rng.uniform(-np.pi, np.pi, n)
        c, s = np.cos(theta), np.sin(theta)
        return np.stack([np.stack([c, -s], 1), np.stack([s, c], 1)], 1)
    # Mezzadri (2007): QR of a Ginibre matrix with the signs of R's diagonal moved into Q is
    # Haar on O(d); flipping the first column where det = -1 maps it to Haar on SO(d).
    q, r = np.linalg.qr(rng.standard_normal((n, dim, dim)))
    q = q * np.where(np.diagonal(r, axis1=1, axis2=2) < 0, -1.0, 1.0)[:, None, :]
    q[:, :, 0] *= np.where(np.linalg.det(q) < 0, -1.0, 1.0)[:, None]
    return q


@dataclass(frozen=True)
class GroupElements:
    """A batch of ``n`` group elements (only the factors of their group are set).

    Attributes
    ----------
    permutation : ndarray of int, shape (n, n_points) or None
        ``(P x)[i] = x[permutation[i]]``.
    orthogonal : ndarray, shape (n, dim, dim) or None
        ``M``: rotation, reflection or their product.
    scale : ndarray, shape (n,) or None
        ``s > 0`` (dimensionless).
    translation : ndarray, shape (n, dim) or None
        ``t``, in the units of the points.
    """

    permutation: np.ndarray | None
    orthogonal: np.ndarray | None
    scale: np.ndarray | None
    translation: np.ndarray | None

    def __len__(self) -> int:
        for v in (self.permutation, self.orthogonal, self.scale, self.translation):
            if v is not None:
                return len(v)
        return 0

    def take(self, index: Any) -> GroupElements:
        """The elements at ``index`` (an integer array), e.g. to draw from a fixed pool."""
        idx = np.asarray(index, dtype=np.intp)
        return GroupElements(*(None if v is None else v[idx] for v in
                               (self.permutation, self.orthogonal, self.scale, self.translation)))


class Group:
    """A product of translations, rotations, scalings, reflections and permutations.

    Parameters
    ----------
    names : str or sequence of str
        Factors from :data:`GROUP_NAMES`, e.g. ``"translation+rotation"`` or
        ``("rotation", "scaling")``. ``"similarity"`` is short for translation+rotation+scaling,
        ``"euclidean"`` for translation+rotation, ``"orthogonal"`` for rotation+reflection.
    dim : int
        Dimension of the space the points live in.
    translation_scale : float
        Standard deviation of sampled translations (units of the points).
    scale_range : float
        Sampled scales are log-uniform in ``[1/scale_range, scale_range]`` (> 1).

    Attributes
    ----------
    names : tuple of str
        The factors, in the order of :data:`GROUP_NAMES`.
    """

    ALIASES = {
        "similarity": ("translation", "rotation", "scaling"),
        "euclidean": ("translation", "rotation"),
        "orthogonal": ("rotation", "reflection"),
    }

    def __init__(
        self,
        names: str | Sequence[str],
        dim: int = 2,
        *,
        translation_scale: float = 1.0,
        scale_range: float = 2.0,
    ) -> None:
        self.names = _parse_names(names)
        self.dim = check_int(dim, "dim", low=1)
        self.translation_scale = check_real(translation_scale, "translation_scale", low=0.0)
        self.scale_range = check_real(scale_range, "scale_range", low=1.0, low_open=True)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def __repr__(self) -> str:
        return f"Group({'+'.join(self.names)!r}, dim={self.dim})"

    @property
    def dimension(self) -> int:
        """Dimension of the group (continuous parameters) for point sets in ``dim`` dimensions."""
        d = self.dim
        return (
            ("translation" in self) * d
            + ("rotation" in self) * (d * (d - 1) // 2)
            + ("scaling" in self) * 1
        )

    # -- elements -------------------------------------------------------------------------
    def sample(self, n: int, n_points: int, seed: int | np.random.Generator = 0) -> GroupElements:
        """``n`` random elements for point sets of ``n_points`` points (see the module docs)."""
        n = check_int(n, "n", low=0)
        n_points = check_int(n_points, "n_points", low=1)
        rng = as_generator(check_seed(seed))
        d = self.dim
        perm = orth = scale = shift = None
        if "permutation" in self:
            perm = rng.permuted(np.tile(np.arange(n_points), (n, 1)), axis=1)
        if "rotation" in self:
            orth = haar_rotations(n, d, rng)
        if "reflection" in self:
            mirror = np.where(rng.random(n) < 0.5, -1.0, 1.0)
            flip = np.tile(np.eye(d), (n, 1, 1))
            flip[:, :, 0] *= mirror[:, None]  # M·diag(±1, 1, ...): mirror x_0 first
            orth = flip if orth is None else orth @ flip
        if "scaling" in self:
            half = np.log(self.scale_range)
            scale = np.exp(rng.uniform(-half, half, n))
        if "translation" in self:
            shift = rng.normal(0.0, self.translation_scale, (n, d))
        return GroupElements(perm, orth, scale, shift)

    def act(self, x: Any, g: GroupElements) -> np.ndarray:
        """``g_i · x_i`` for each sample.

        Parameters
        ----------
        x : array, shape (n, n_points, dim) or (n, dim)
        g : GroupElements of length n

        Returns
        -------
        ndarray, the shape of ``x``
        """
        pts, vectors = as_point_sets(x)
        self._check_dim(pts)
        n, n_points, _ = pts.shape
        if len(g) != n:
            raise ValueError(f"got {len(g)} group elements for {n} samples")
        y = pts
        if g.permutation is not None:
            if g.permutation.shape != (n, n_points):
                raise ValueError(f"permutations have shape {g.permutation.shape}, expected {(n, n_points)}")
            y = np.take_along_axis(y, g.permutation[:, :, None], axis=1)
        if g.orthogonal is not None:
            y = np.einsum("npj,nij->npi", y, g.orthogonal)
        if g.scale is not None:
            y = y * g.scale[:, None, None]
        if g.translation is not None:
            y = y + g.translation[:, None, :]
        return _restore(np.ascontiguousarray(y, dtype=np.float64), vectors)

    def transform(self, x: Any, seed: int | np.random.Generator = 0) -> np.ndarray:
        """Each sample moved by its own random element: ``g_i · x_i``, same shape as ``x``."""
        pts, vectors = as_point_sets(x)
        self._check_dim(pts)
        g = self.sample(pts.shape[0], pts.shape[1], seed)
        return _restore(self.act(pts, g), vectors)

    def orbit(self, x: Any, n: int, seed: int | np.random.Generator = 0) -> np.ndarray:
        """``n`` random points of the orbit of one point set ``x`` (n_points, dim).

        Returns shape (n, n_points, dim).
        """
        one = check_array(x, "x", ndim=2)
        self._check_dim(one[None])
        n = check_int(n, "n", low=1)
        pts = np.broadcast_to(one, (n, *one.shape))
        return self.act(np.ascontiguousarray(pts), self.sample(n, one.shape[0], seed))

    def orbits(self, x: Any, n_per_orbit: int, seed: int | np.random.Generator = 0) -> np.ndarray:
        """``n_per_orbit`` random orbit points of every sample.

        Returns shape (n_samples, n_per_orbit, n_points, dim).
        """
        pts, _ = as_point_sets(x)
        self._check_dim(pts)
        k = check_int(n_per_orbit, "n_per_orbit", low=1)
        n, p, d = pts.shape
        rep = np.repeat(pts, k, axis=0)
        return self.act(rep, self.sample(n * k, p, seed)).reshape(n, k, p, d)

    def _check_dim(self, pts: np.ndarray) -> None:
        if pts.shape[-1] != self.dim:
            raise ValueError(
                f"x has points of dimension {pts.shape[-1]} but {self!r} acts on dimension {self.dim}"
            )

    # -- quotients ------------------------------------------------------------------------
    def canonicalize(self, x: Any) -> np.ndarray:
        """Map each sample to a representative of its orbit (same shape as ``x``).

        In order: translation (centroid to the origin), scaling (root-mean-square distance of
        the points from the origin to 1), permutation (points sorted by squared norm when an
        orthogonal factor is present, else lexicographically), then the orthogonal factor:
        with rotations, ``x ↦ x Q`` where ``xᵀ = Q R`` (QR decomposition), i.e. ``x`` becomes
        ``Rᵀ`` (lower triangular) with positive diagonal (for SO(d) the last diagonal entry
        keeps the sign fixed by ``det Q = +1``); a reflection alone flips ``x_0`` so that
        ``Σ_i x_i0³ >= 0``.

        Each step commutes with the factors after it, so the result is the same for every
        point of an orbit (up to rounding), and canonicalising twice changes nothing. Orbits
        where the rule is ambiguous (ties in the sort, rank-deficient point sets, a zero
        point set under scaling) have measure zero for continuous data.
        """
        pts, vectors = as_point_sets(x)
        self._check_dim(pts)
        y = pts.copy()
        orthogonal = "rotation" in self or "reflection" in self
        if "translation" in self:
            y -= y.mean(axis=1, keepdims=True)
        if "scaling" in self:
            rms = np.sqrt(np.mean(np.sum(y**2, axis=2), axis=1))
            if np.any(rms == 0):
                i = int(np.argmax(rms == 0))
                raise ValueError(f"x[{i}] is a single point (zero size): its scale cannot be normalised")
            y /= rms[:, None, None]
        if "permutation" in self:
            if orthogonal:
                order = np.argsort(np.sum(y**2, axis=2), axis=1, kind="stable")
            else:
                order = np.stack([np.lexsort(s.T[::-1]) for s in y])
            y = np.take_along_axis(y, order[:, :, None], axis=1)
        if "rotation" in self:
            y = _qr_canonical(y, special="reflection" not in self)
        elif "reflection" in self:
            sign = np.where(np.sum(y[:, :, 0] ** 3, axis=1) < 0, -1.0, 1.0)
            y[:, :, 0] *= sign[:, None]
        return _restore(y, vectors)


def _qr_canonical(y: np.ndarray, special: bool) -> np.ndarray:
    """``x Q`` with ``xᵀ = Q R``, diagonal of R made positive (the last free for SO(d))."""
    n, p, d = y.shape
    q, r = np.linalg.qr(np.swapaxes(y, 1, 2), mode="complete")  # q (n, d, d), r (n, d, p)
    k = min(d, p)
    signs = np.ones((n, d))
    diag = np.diagonal(r, axis1=1, axis2=2)[:, :k]
    signs[:, :k] = np.where(diag < 0, -1.0, 1.0)
    q = q * signs[:, None, :]
    if special and d > 1:
        det = np.linalg.det(q)
        q[:, :, -1] *= np.where(det < 0, -1.0, 1.0)[:, None]
    return np.einsum("npi,nij->npj", y, q)


def _parse_names(names: str | Sequence[str]) -> tuple[str, ...]:
    if isinstance(names, str):
        parts = [s.strip() for s in names.replace(",", "+").split("+")]
    else:
        try:
            parts = [str(s).strip() for s in names]
        except TypeError:
            raise TypeError(f"group names must be a string or a sequence of strings, got {names!r}") from None
    if not parts or any(not p for p in parts):
        raise ValueError(
            f"group must name at least one factor (e.g. 'translation+rotation'); got {names!r}; "
            f"accepted: {', '.join(GROUP_NAMES + tuple(Group.ALIASES))}"
        )
    out: set[str] = set()
    for p in parts:
        key = p.lower()
        if key in Group.ALIASES:
            out.update(Group.ALIASES[key])
        elif key.rstrip("s") in GROUP_NAMES or key in GROUP_NAMES:
            out.add(key if key in GROUP_NAMES else key.rstrip("s"))
        else:
            hint = difflib.get_close_matches(key, GROUP_NAMES + tuple(Group.ALIASES), n=1)
            near = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ValueError(
                f"unknown group {p!r}{near}; accepted: {', '.join(GROUP_NAMES + tuple(Group.ALIASES))}, "
                "joined with '+'"
            )
    return tuple(n for n in GROUP_NAMES if n in out)


def make_group(names: str | Sequence[str] | Group, dim: int = 2, **kwargs: Any) -> Group:
    """``names`` as a :class:`Group` (a :class:`Group` is returned unchanged)."""
    if isinstance(names, Group):
        return names
    return Group(names, dim, **kwargs)
