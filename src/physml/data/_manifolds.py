"""Point clouds sampled uniformly from Riemannian manifolds embedded in Euclidean space.

"Uniformly" means with density constant with respect to the manifold's Riemannian
volume (the volume induced by the embedding), not uniform in some chart's coordinates.
Each docstring says how this is achieved.

All generators share the conventions: the result is a float64 array of shape
``(n_samples, ambient_dim)``; ``noise`` is the standard deviation of isotropic Gaussian
noise added in the ambient space; ``seed`` is an integer or a
:class:`numpy.random.Generator`. The noise is drawn after the clean points, so for a given
seed the noisy cloud is the clean cloud plus noise.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence
from typing import Literal, overload

import numpy as np
from scipy import special

from physml._core import check_array, check_int, check_real
from physml.data._common import Seed, rng_from

__all__ = ["clifford_torus", "excised_sphere", "flat_torus", "sphere", "swiss_roll", "torus"]


def _add_noise(points: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    if noise > 0:
        points = points + rng.normal(scale=noise, size=points.shape)
    return points


def _unit_vectors(rng: np.random.Generator, n: int, k: int) -> np.ndarray:
    """``n`` points uniform on the unit sphere of R^k: normalised standard Gaussians
    (Muller 1959, "A note on a method for generating points uniformly on n-dimensional spheres")."""
    g = rng.standard_normal((n, k))
    norms = np.linalg.norm(g, axis=1)
    while np.any(norms == 0):  # probability zero, but a zero vector has no direction
        bad = norms == 0
        g[bad] = rng.standard_normal((int(bad.sum()), k))
        norms = np.linalg.norm(g, axis=1)
    return g / norms[:, None]


def _random_rotation(rng: np.random.Generator, k: int) -> np.ndarray:
    """A Haar-distributed rotation of R^k (in SO(k)): QR of a Gaussian matrix with the signs
    fixed (Mezzadri 2007, "How to generate random matrices from the classical compact groups")."""
    q, r = np.linalg.qr(rng.standard_normal((k, k)))
    q = q * np.where(np.diag(r) < 0, -1.0, 1.0)
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _by_rejection(
    rng: np.random.Generator,
    n: int,
    propose: Callable[[int], np.ndarray],
    accept: Callable[[np.ndarray], np.ndarray],
    acceptance: float,
) -> np.ndarray:
    """Exactly ``n`` draws of ``propose`` kept with probability ``accept`` (von Neumann rejection).

    ``acceptance`` is the mean acceptance probability, used only to size the batches.
    """
    kept: list[np.ndarray] = []
    have = 0
    while have < n:
        m = math.ceil((n - have) / acceptance * 1.1) + 16
        proposals = propose(m)
        keep = rng.random(m) < accept(proposals)
        kept.append(proposals[keep])
        have += int(keep.sum())
    return np.concatenate(kept)[:n]


def _common(n_samples: int, noise: float) -> tuple[int, float]:
    return check_int(n_samples, "n_samples", low=1), check_real(noise, "noise", low=0.0)


def sphere(
    n_samples: int,
    dim: int,
    *,
    radius: float = 1.0,
    ambient_dim: int | None = None,
    noise: float = 0.0,
    seed: Seed = 0,
) -> np.ndarray:
    """Points uniform on the ``dim``-sphere of radius ``radius``.

    The sphere S^dim is sampled in R^(dim+1) by normalising standard Gaussian vectors
    (Muller 1959): the Gaussian is rotation invariant, so the directions are uniform with
    respect to the sphere's surface measure.

    Parameters
    ----------
    n_samples : int
        Number of points, >= 1.
    dim : int
        Intrinsic dimension, >= 1 (``dim=1`` is a circle, ``dim=2`` the usual sphere).
    radius : float
        Radius, > 0 (length units of the ambient space).
    ambient_dim : int, optional
        If given (>= dim + 1), the points are padded with zeros to R^ambient_dim and then
        rotated by a fixed Haar-random rotation of R^ambient_dim, drawn from ``seed`` before
        the points, so that the sphere does not lie in a coordinate subspace. Distances and
        norms are unchanged. If ``None``, the points are returned in R^(dim+1), unrotated.
    noise : float
        Standard deviation of isotropic Gaussian noise added in the ambient space, >= 0.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, dim + 1) or (n_samples, ambient_dim)
    """
    n, noise = _common(n_samples, noise)
    dim = check_int(dim, "dim", low=1)
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    if ambient_dim is not None:
        ambient_dim = check_int(ambient_dim, "ambient_dim")
        if ambient_dim < dim + 1:
            raise ValueError(f"ambient_dim must be at least dim + 1 = {dim + 1} (or None), got {ambient_dim}")
    rng = rng_from(seed)
    rotation = None if ambient_dim is None else _random_rotation(rng, ambient_dim)
    points = radius * _unit_vectors(rng, n, dim + 1)
    if rotation is not None:
        padded = np.zeros((n, rotation.shape[0]))
        padded[:, : dim + 1] = points
        points = padded @ rotation.T
    return _add_noise(points, noise, rng)


def excised_sphere(
    n_samples: int,
    dim: int,
    *,
    band: float = 0.2,
    radius: float = 1.0,
    noise: float = 0.0,
    seed: Seed = 0,
) -> np.ndarray:
    """Points uniform on the ``dim``-sphere with the equatorial band ``|x_last| < band * radius`` removed.

    This is the data of Batson, Haaf, Kahn and Roberts (2021), "Topological obstructions to
    autoencoding": two antipodal caps, which an autoencoder through a ``dim``-dimensional
    latent space cannot embed continuously without tearing.

    Sampling is exact, without rejection, so it stays fast when the band holds almost all
    the mass (high ``dim``): for a point uniform on S^dim in R^(dim+1), ``s = x_last**2``
    follows Beta(1/2, dim/2). ``s`` is drawn from that law conditioned on ``s >= band**2``
    by inverting its survival function, ``x_last = ±sqrt(s)`` with a fair sign, and the
    other coordinates are uniform on the sphere of radius ``sqrt(1 - s)``. Exactly
    ``n_samples`` points are returned.

    Parameters
    ----------
    n_samples : int
        Number of points, >= 1.
    dim : int
        Intrinsic dimension, >= 1; the points lie in R^(dim+1).
    band : float
        Half-width of the removed band as a fraction of the radius, in [0, 1).
    radius : float
        Radius, > 0.
    noise : float
        Standard deviation of isotropic Gaussian ambient noise, >= 0. With noise, points
        may fall in the band.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, dim + 1)
    """
    n, noise = _common(n_samples, noise)
    dim = check_int(dim, "dim", low=1)
    band = check_real(band, "band", low=0.0, high=1.0)
    if band >= 1.0:
        raise ValueError(f"band must be a finite number in [0, 1), got {band}")
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    rng = rng_from(seed)
    a, b = 0.5, dim / 2.0
    tail = float(special.betaincc(a, b, band * band))  # P(x_last**2 >= band**2)
    u = 1.0 - rng.random(n)  # in (0, 1]
    s = special.betainccinv(a, b, u * tail)
    t = np.maximum(np.sqrt(s), band)  # rounding must not put a point inside the band
    sign = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    rest = _unit_vectors(rng, n, dim) * np.sqrt(np.clip(1.0 - t * t, 0.0, None))[:, None]
    points = radius * np.column_stack([rest, sign * t])
    return _add_noise(points, noise, rng)


def torus(
    n_samples: int,
    *,
    major_radius: float = 2.0,
    minor_radius: float = 1.0,
    noise: float = 0.0,
    seed: Seed = 0,
) -> np.ndarray:
    """Points uniform (by area) on the doughnut torus in R^3.

    The point with toroidal angle θ and poloidal angle φ is
    ``((R + r cos φ) cos θ, (R + r cos φ) sin θ, r sin φ)``; its area element is
    ``r (R + r cos φ) dθ dφ``. θ is uniform and φ is drawn by rejection from the uniform
    law with acceptance probability ``(R + r cos φ) / (R + r)`` (Diaconis, Holmes,
    Shahshahani 2013, "Sampling from a manifold"), so the outer side of the doughnut gets
    more points than the inner side, as area demands.

    Parameters
    ----------
    n_samples : int
        Number of points, >= 1.
    major_radius : float
        R, distance from the centre of the tube to the axis; must exceed ``minor_radius``.
    minor_radius : float
        r, radius of the tube, > 0.
    noise : float
        Standard deviation of isotropic Gaussian ambient noise, >= 0.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, 3)
        Satisfies ``(sqrt(x**2 + y**2) - R)**2 + z**2 == r**2`` without noise.
    """
    n, noise = _common(n_samples, noise)
    big_r = check_real(major_radius, "major_radius", low=0.0, low_open=True)
    r = check_real(minor_radius, "minor_radius", low=0.0, low_open=True)
    if big_r <= r:
        raise ValueError(
            f"major_radius must be greater than minor_radius = {r} (an embedded torus), got {big_r}"
        )
    rng = rng_from(seed)
    phi = _by_rejection(
        rng,
        n,
        propose=lambda m: rng.uniform(0.0, 2.0 * np.pi, m),
        accept=lambda p: (big_r + r * np.cos(p)) / (big_r + r),
        acceptance=big_r / (big_r + r),
    )
    theta = rng.uniform(0.0, 2.0 * np.pi, n)
    ring = big_r + r * np.cos(phi)
    points = np.column_stack([ring * np.cos(theta), ring * np.sin(theta), r * np.sin(phi)])
    return _add_noise(points, noise, rng)


def flat_torus(
    n_samples: int,
    dim: int = 2,
    *,
    radii: float | Sequence[float] = 1.0,
    noise: float = 0.0,
    seed: Seed = 0,
) -> np.ndarray:
    """Points uniform on the flat torus T^dim, a product of ``dim`` circles, in R^(2 dim).

    Circle k has radius ``radii[k]`` and is embedded isometrically in coordinates
    ``(2k, 2k+1)``: the point is ``(r1 cos θ1, r1 sin θ1, r2 cos θ2, r2 sin θ2, ...)``. The
    metric is ``sum_k r_k**2 dθ_k**2``, constant in the angles (the torus is intrinsically
    flat), so independent uniform angles give the uniform volume measure.

    Parameters
    ----------
    n_samples : int
        Number of points, >= 1.
    dim : int
        Number of circles, >= 1.
    radii : float or sequence of float
        The circles' radii, > 0: one number for all, or ``dim`` numbers.
    noise : float
        Standard deviation of isotropic Gaussian ambient noise, >= 0.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, 2 * dim)
    """
    n, noise = _common(n_samples, noise)
    dim = check_int(dim, "dim", low=1)
    if isinstance(radii, numbers.Real) and not isinstance(radii, bool):
        radius = check_real(radii, "radii", low=0.0, low_open=True)
        r = np.full(dim, radius)
    else:
        r = check_array(radii, "radii", ndim=1)
        if r.shape != (dim,):
            raise ValueError(f"radii must be a number or a sequence of dim = {dim} numbers, got {radii!r}")
        if np.any(r <= 0):
            raise ValueError(f"radii must all be > 0, got {radii!r}")
    rng = rng_from(seed)
    theta = rng.uniform(0.0, 2.0 * np.pi, (n, dim))
    points = np.empty((n, 2 * dim))
    points[:, 0::2] = r * np.cos(theta)
    points[:, 1::2] = r * np.sin(theta)
    return _add_noise(points, noise, rng)


def clifford_torus(n_samples: int, dim: int = 2, *, noise: float = 0.0, seed: Seed = 0) -> np.ndarray:
    """Points uniform on the Clifford torus: the flat torus T^dim on the unit sphere S^(2 dim - 1).

    Equal to :func:`flat_torus` with all radii ``1 / sqrt(dim)`` (same seed, same points), so
    every point has norm 1. For ``dim=2`` this is the classic Clifford torus in S^3 ⊂ R^4.

    Parameters
    ----------
    n_samples : int
        Number of points, >= 1.
    dim : int
        Number of circles, >= 1.
    noise : float
        Standard deviation of isotropic Gaussian ambient noise, >= 0.
    seed : int or numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, 2 * dim)
    """
    dim = check_int(dim, "dim", low=1)
    return flat_torus(n_samples, dim, radii=1.0 / math.sqrt(dim), noise=noise, seed=seed)


def _spiral_arc_length(t: np.ndarray | float) -> np.ndarray | float:
    """Antiderivative of sqrt(1 + t**2): arc length of the spiral (t cos t, t sin t)."""
    return 0.5 * (t * np.sqrt(1.0 + t * t) + np.arcsinh(t))


@overload
def swiss_roll(
    n_samples: int,
    *,
    turns: float = ...,
    height: float = ...,
    noise: float = ...,
    seed: Seed = ...,
    return_coords: Literal[False] = ...,
) -> np.ndarray: ...


@overload
def swiss_roll(
    n_samples: int,
    *,
    turns: float = ...,
    height: float = ...,
    noise: float = ...,
    seed: Seed = ...,
    return_coords: Literal[True],
) -> tuple[np.ndarray, np.ndarray]: ...


def swiss_roll(
    n_samples: int,
    *,
    turns: float = 1.5,
    height: float = 21.0,
    noise: float = 0.0,
    seed: Seed = 0,
    return_coords: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Points uniform (by area) on the Swiss roll ``(t cos t, y, t sin t)``.

    ``t`` runs over ``[t0, t0 + 2π turns]`` with ``t0 = 1.5π`` (the defaults give
    scikit-learn's range ``[1.5π, 4.5π]``) and ``y`` over ``[0, height]``. The surface is a
    ruled surface over the Archimedean spiral, with area element ``sqrt(1 + t**2) dt dy``; so
    ``y`` is uniform and ``t`` is drawn by rejection from the uniform law with acceptance
    probability ``sqrt(1 + t**2) / sqrt(1 + t1**2)``. (scikit-learn's ``make_swiss_roll``
    draws ``t`` uniformly, which over-samples the inner turns.) The roll is isometric to
    the rectangle ``[0, L] x [0, height]`` of its intrinsic coordinates (arc length, y).

    Parameters
    ----------
    n_samples : int
        Number of points, >= 1.
    turns : float
        Number of turns of the spiral, > 0.
    height : float
        Width of the roll along y, > 0.
    noise : float
        Standard deviation of isotropic Gaussian ambient noise, >= 0.
    seed : int or numpy.random.Generator
        Source of randomness.
    return_coords : bool
        Also return the intrinsic coordinates.

    Returns
    -------
    points : numpy.ndarray of float64, shape (n_samples, 3)
    coords : numpy.ndarray of float64, shape (n_samples, 2)
        Only if ``return_coords``: arc length ``s`` along the spiral from ``t0`` (in
        ``[0, L]``) and ``y``, uniform on the rectangle; distances in these coordinates are
        geodesic distances on the roll.
    """
    n, noise = _common(n_samples, noise)
    turns = check_real(turns, "turns", low=0.0, low_open=True)
    height = check_real(height, "height", low=0.0, low_open=True)
    if not isinstance(return_coords, bool):
        raise TypeError(f"return_coords must be a bool, got {return_coords!r}")
    rng = rng_from(seed)
    t0 = 1.5 * np.pi
    t1 = t0 + 2.0 * np.pi * turns
    peak = math.sqrt(1.0 + t1 * t1)
    mean_acceptance = (_spiral_arc_length(t1) - _spiral_arc_length(t0)) / ((t1 - t0) * peak)
    t = _by_rejection(
        rng,
        n,
        propose=lambda m: rng.uniform(t0, t1, m),
        accept=lambda p: np.sqrt(1.0 + p * p) / peak,
        acceptance=float(mean_acceptance),
    )
    y = rng.uniform(0.0, height, n)
    points = np.column_stack([t * np.cos(t), y, t * np.sin(t)])
    points = _add_noise(points, noise, rng)
    if return_coords:
        s = _spiral_arc_length(t) - _spiral_arc_length(t0)
        return points, np.column_stack([s, y])
    return points
