"""The Plummer sphere: exact samples of stellar phase space and its closed forms.

The isotropic Plummer model (Plummer 1911; Binney & Tremaine, *Galactic Dynamics*, §4.3.3) with
gravitational constant ``G``, mass ``M`` and scale radius ``a`` has

* density      ρ(r) = 3M / (4π a³) · (1 + r²/a²)^(−5/2),
* potential    Φ(r) = −GM / √(r² + a²),
* acceleration −∇Φ = −GM x / (r² + a²)^(3/2),
* enclosed mass M(<r) = M r³ / (r² + a²)^(3/2),
* distribution function f(x, v) = F (−E)^(7/2) for E = v²/2 + Φ(r) < 0 and 0 otherwise, with
  F = 24√2 a² / (7π³ G⁵ M⁴) (the phase-space mass density; it integrates to M, so for
  ``mass=1`` it is the probability density of one star).

Samples are exact (no rejection, no Markov chain): the radius inverts the enclosed-mass fraction
``m = r³/(r² + a²)^(3/2)`` uniform on (0, 1); at fixed radius the speed ``v = q v_esc(r)`` with
``v_esc = √(−2Φ)`` has ``q² ~ Beta(3/2, 9/2)`` (the density ``∝ q² (1 − q²)^(7/2)`` of the DF over
speeds written for ``u = q²``); directions are isotropic.

Units: any consistent set; the defaults ``G = M = a = 1`` are Hénon units.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml._core import as_generator, check_array, check_int, check_real

__all__ = [
    "plummer_acceleration",
    "plummer_density",
    "plummer_df",
    "plummer_enclosed_mass",
    "plummer_escape_speed",
    "plummer_grad_log_df",
    "plummer_mass_radius",
    "plummer_log_df",
    "plummer_potential",
    "plummer_sample",
    "plummer_velocity_dispersion",
]


def _params(scale: float, mass: float, G: float) -> tuple[float, float, float]:
    return (
        check_real(scale, "scale", low=0.0, low_open=True),
        check_real(mass, "mass", low=0.0, low_open=True),
        check_real(G, "G", low=0.0, low_open=True),
    )


def _radii(r: Any) -> np.ndarray:
    r = check_array(r, "r", dtype=np.float64)
    if np.any(r < 0):
        raise ValueError(f"r must be >= 0 (a radius), got a minimum of {r.min()}")
    return r


def _points(x: Any, name: str) -> np.ndarray:
    return check_array(x, name, ndim=2, shape=(None, 3))


def plummer_density(r: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0) -> np.ndarray:
    """Mass density ρ(r) = 3M/(4πa³) (1 + r²/a²)^(−5/2); shape of ``r``."""
    a, m, _ = _params(scale, mass, G)
    r = _radii(r)
    return 3.0 * m / (4.0 * math.pi * a**3) * (1.0 + (r / a) ** 2) ** -2.5


def plummer_potential(r: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0) -> np.ndarray:
    """Gravitational potential Φ(r) = −GM/√(r² + a²); shape of ``r``."""
    a, m, g = _params(scale, mass, G)
    r = _radii(r)
    return -g * m / np.sqrt(r**2 + a**2)


def plummer_enclosed_mass(r: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0) -> np.ndarray:
    """Mass inside radius r, M r³/(r² + a²)^(3/2) (the radial CDF times M); shape of ``r``."""
    a, m, _ = _params(scale, mass, G)
    r = _radii(r)
    return m * r**3 / (r**2 + a**2) ** 1.5


def plummer_mass_radius(fraction: Any, *, scale: float = 1.0) -> np.ndarray:
    """The radius enclosing ``fraction`` of the mass, a / √(f^(−2/3) − 1): the inverse of
    :func:`plummer_enclosed_mass` / M (the half-mass radius is ≈ 1.305 a). Shape of ``fraction``,
    each in (0, 1)."""
    a = check_real(scale, "scale", low=0.0, low_open=True)
    f = check_array(fraction, "fraction", dtype=np.float64)
    if np.any((f <= 0) | (f >= 1)):
        raise ValueError(f"fraction must be in (0, 1), got values from {f.min():g} to {f.max():g}")
    return a / np.sqrt(f ** (-2.0 / 3.0) - 1.0)


def plummer_escape_speed(r: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0) -> np.ndarray:
    """Escape speed √(−2Φ(r)); bound stars (E < 0) are slower. Shape of ``r``."""
    return np.sqrt(-2.0 * plummer_potential(r, scale=scale, mass=mass, G=G))


def plummer_velocity_dispersion(
    r: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0
) -> np.ndarray:
    """One-dimensional velocity dispersion σ²(r) = −Φ(r)/6 (isotropic, so ⟨v²⟩ = 3σ²).

    It solves the Jeans equation d(ρσ²)/dr = −ρ dΦ/dr with ρσ² → 0 at infinity.
    """
    return -plummer_potential(r, scale=scale, mass=mass, G=G) / 6.0


def plummer_acceleration(
    positions: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0
) -> np.ndarray:
    """Gravitational acceleration −∇Φ = −GM x/(r² + a²)^(3/2).

    Parameters
    ----------
    positions : array_like, shape (n, 3)

    Returns
    -------
    numpy.ndarray, shape (n, 3)
    """
    a, m, g = _params(scale, mass, G)
    x = _points(positions, "positions")
    r2 = np.sum(x**2, axis=1, keepdims=True)
    return -g * m * x / (r2 + a**2) ** 1.5


def _df_norm(a: float, m: float, g: float) -> float:
    return 24.0 * math.sqrt(2.0) * a**2 / (7.0 * math.pi**3 * g**5 * m**4)


def _energy(positions: Any, velocities: Any, a: float, m: float, g: float) -> np.ndarray:
    x = _points(positions, "positions")
    v = _points(velocities, "velocities")
    if len(x) != len(v):
        raise ValueError(f"positions and velocities must have the same length, got {len(x)} and {len(v)}")
    return 0.5 * np.sum(v**2, axis=1) - g * m / np.sqrt(np.sum(x**2, axis=1) + a**2)


def plummer_df(
    positions: Any, velocities: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0
) -> np.ndarray:
    """Phase-space mass density f(x, v) = 24√2 a²/(7π³G⁵M⁴) (−E)^(7/2) for E < 0, else 0.

    It integrates to ``mass`` over phase space; for ``mass=1`` it is a probability density.

    Parameters
    ----------
    positions, velocities : array_like, shape (n, 3)

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    a, m, g = _params(scale, mass, G)
    e = _energy(positions, velocities, a, m, g)
    return _df_norm(a, m, g) * np.where(e < 0, np.abs(np.minimum(e, 0.0)) ** 3.5, 0.0)


def plummer_log_df(
    positions: Any, velocities: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0
) -> np.ndarray:
    """log f(x, v); ``-inf`` for unbound points (E >= 0). Shape (n,)."""
    a, m, g = _params(scale, mass, G)
    e = _energy(positions, velocities, a, m, g)
    out = np.full(e.shape, -np.inf)
    bound = e < 0
    out[bound] = math.log(_df_norm(a, m, g)) + 3.5 * np.log(-e[bound])
    return out


def plummer_grad_log_df(
    positions: Any, velocities: Any, *, scale: float = 1.0, mass: float = 1.0, G: float = 1.0
) -> np.ndarray:
    """Gradient of log f with respect to (x, v): ``(3.5/(−E)) · (−∇Φ, −v)``.

    Parameters
    ----------
    positions, velocities : array_like, shape (n, 3)
        Bound points only (E < 0); elsewhere f = 0 and its log has no gradient.

    Returns
    -------
    numpy.ndarray, shape (n, 6)
        Columns 0-2 are ∇ₓ log f, columns 3-5 are ∇ᵥ log f.
    """
    a, m, g = _params(scale, mass, G)
    e = _energy(positions, velocities, a, m, g)
    if np.any(e >= 0):
        i = int(np.nonzero(e >= 0)[0][0])
        raise ValueError(
            f"{int(np.sum(e >= 0))} point(s) are unbound (E >= 0, outside the support of f), first at "
            f"index {i} with E = {e[i]:.6g}; log f has no gradient there"
        )
    x = np.asarray(positions, dtype=np.float64)
    v = np.asarray(velocities, dtype=np.float64)
    acc = plummer_acceleration(x, scale=a, mass=m, G=g)
    k = (3.5 / -e)[:, None]
    return np.concatenate([k * acc, -k * v], axis=1)


def _isotropic(rng: np.random.Generator, n: int) -> np.ndarray:
    u = rng.standard_normal((n, 3))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def plummer_sample(
    n: int,
    seed: int | np.random.Generator = 0,
    *,
    scale: float = 1.0,
    mass: float = 1.0,
    G: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact samples of positions and velocities of an isotropic Plummer sphere.

    Parameters
    ----------
    n : int
        Number of stars (>= 1).
    seed : int or numpy.random.Generator
    scale, mass, G : float
        Scale radius a, total mass M and gravitational constant (all > 0).

    Returns
    -------
    positions, velocities : numpy.ndarray, shape (n, 3) each
        Drawn from f(x, v) ∝ (−E)^(7/2): radii from the enclosed-mass fraction, speeds
        ``q v_esc(r)`` with ``q² ~ Beta(3/2, 9/2)``, isotropic directions. Every star is bound.
    """
    n = check_int(n, "n", low=1)
    a, m, g = _params(scale, mass, G)
    rng = as_generator(seed)
    frac = rng.uniform(0.0, 1.0, n)
    while np.any(frac == 0.0):  # r = 0 needs frac = 0 exactly, which the inversion cannot take
        bad = frac == 0.0
        frac[bad] = rng.uniform(0.0, 1.0, int(bad.sum()))
    r = a / np.sqrt(frac ** (-2.0 / 3.0) - 1.0)
    positions = r[:, None] * _isotropic(rng, n)
    q = np.sqrt(rng.beta(1.5, 4.5, n))
    speed = q * plummer_escape_speed(r, scale=a, mass=m, G=g)
    velocities = speed[:, None] * _isotropic(rng, n)
    return positions, velocities
