"""n-body phase space in the centre-of-mass frame: the RAMBO algorithm and the sphere picture.

Relativistic phase space of n particles with total four-momentum P = (√s, 0, 0, 0) is the
measure

    dΦ_n = Π_i d³p_i / (2 E_i) · δ⁴(P − Σ_i p_i),        E_i = sqrt(m_i² + |p_i|²),

(no (2π) factors). RAMBO (Kleiss, Stirling & Ellis, Comput. Phys. Commun. 40 (1986) 359)
draws n massless momenta exactly uniformly in it, with the constant weight

    Φ_n(massless) = (π/2)^(n−1) s^(n−2) / ((n−1)! (n−2)!),

and massive momenta by rescaling the three-momenta of a massless event by one factor ξ
that restores energy conservation; the massive events then carry a weight that varies
from event to event and averages to the massive phase-space volume.

The sphere picture (Batson, Haaf, Kahn & Roberts, "Topological obstructions to
autoencoding", JHEP 04 (2021) 280, arXiv:2102.08380): with p_n = −Σ_{i<n} p_i, the
three-momenta (p_1, ..., p_{n−1}) ∈ R^(3n−3) with Σ E_i ≤ √s form a convex ball (each E_i is
a convex function of momenta) that contains the origin in its interior, and the events with
Σ E_i = √s are its boundary: a (3n−4)-sphere. The radial projection p ↦ p/|p| is a
homeomorphism from phase space onto the unit sphere S^(3n−4)
(:func:`phase_space_to_sphere`, inverse :func:`sphere_to_phase_space`).

Four-vectors are stored as (E, p_x, p_y, p_z) in the units of ``sqrt_s``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from physml._core import check_array, check_int, check_real
from physml.data._common import Seed, rng_from

__all__ = [
    "dalitz_boundary_quantile",
    "four_momentum_violation",
    "invariant_mass_squared",
    "mass_shell_violation",
    "massless_phase_space_volume",
    "phase_space",
    "phase_space_to_sphere",
    "rambo",
    "sphere_to_phase_space",
]


def _check_kinematics(
    n_particles: int, sqrt_s: float, masses: Sequence[float] | None
) -> tuple[int, float, np.ndarray]:
    n = check_int(n_particles, "n_particles", low=2)
    sqrt_s = check_real(sqrt_s, "sqrt_s", low=0.0, low_open=True)
    if masses is None:
        m = np.zeros(n)
    else:
        m = check_array(masses, "masses", ndim=1)
        if m.shape[0] != n:
            raise ValueError(f"masses must have n_particles = {n} entries, got {m.shape[0]}")
        if np.any(m < 0):
            raise ValueError(f"masses must be >= 0, got {m.tolist()}")
    if m.sum() >= sqrt_s:
        raise ValueError(
            f"the masses sum to {m.sum():g}, which must be below the centre-of-mass energy "
            f"sqrt_s = {sqrt_s:g} (no phase space otherwise)"
        )
    return n, sqrt_s, m


def massless_phase_space_volume(n_particles: int, sqrt_s: float) -> float:
    """Φ_n = (π/2)^(n−1) s^(n−2) / ((n−1)! (n−2)!), the volume of massless n-body phase space.

    In the normalisation of the module (Π d³p/(2E) δ⁴, no (2π) factors); e.g. π/2 for two
    bodies, π² s / 8 for three. Units: energy^(2n−4).
    """
    n = check_int(n_particles, "n_particles", low=2)
    sqrt_s = check_real(sqrt_s, "sqrt_s", low=0.0, low_open=True)
    s = sqrt_s * sqrt_s
    return (math.pi / 2) ** (n - 1) * s ** (n - 2) / (math.factorial(n - 1) * math.factorial(n - 2))


def _massless(rng: np.random.Generator, n_events: int, n: int, sqrt_s: float) -> np.ndarray:
    """RAMBO's massless step: n isotropic momenta with energies ~ q e^(−q), boosted to the rest
    frame of their sum and scaled so that the sum is (√s, 0⃗). Shape (n_events, n, 4).

    The boost is written without cancellations (RAMBO's original form loses ~γ² ulp in nearly
    collinear events, where the boost factor γ is large): the pair masses use
    1 − cos θ_ij = |n̂_i − n̂_j|²/2, and with b̂ the boost direction, 1 + n̂·b̂ = |n̂ + b̂|²/2 and
    1 − β = M²/(Q⁰(Q⁰ + |Q⃗|)), so that energies and momenta along b̂ are sums of non-negative terms
    or differences of terms no larger than the result's scale.
    For two bodies the boost's rounding still grows with γ, and RAMBO's result is known in closed
    form, so it is drawn directly: back-to-back momenta of energy √s/2 along a uniform direction.
    """
    if n == 2:
        cos = 2.0 * rng.random(n_events) - 1.0
        sin = np.sqrt(np.clip(1.0 - cos * cos, 0.0, None))
        phi = 2.0 * math.pi * rng.random(n_events)
        half = 0.5 * sqrt_s
        p = np.empty((n_events, 2, 4))
        p[:, :, 0] = half
        p[:, 0, 1:] = half * np.stack([sin * np.cos(phi), sin * np.sin(phi), cos], axis=1)
        p[:, 1, 1:] = -p[:, 0, 1:]
        return p
    u = 1.0 - rng.random((n_events, n, 4))  # in (0, 1]
    c = 2.0 * u[..., 0] - 1.0
    sin = np.sqrt(np.clip(1.0 - c * c, 0.0, None))
    phi = 2.0 * math.pi * u[..., 1]
    q0 = -np.log(u[..., 2] * u[..., 3])
    nhat = np.stack([sin * np.cos(phi), sin * np.sin(phi), c], axis=-1)  # (events, n, 3)
    big_q0 = q0.sum(axis=1)
    big_q = np.einsum("ei,eik->ek", q0, nhat)
    q_abs = np.linalg.norm(big_q, axis=1)
    # M² = Σ_(i<j) 2 q_i·q_j = ½ Σ_ij q⁰_i q⁰_j |n̂_i − n̂_j|²
    sep2 = np.sum((nhat[:, :, None, :] - nhat[:, None, :, :]) ** 2, axis=3)
    m2 = 0.5 * np.einsum("ei,eij,ej->e", q0, sep2, q0)
    m = np.sqrt(m2)
    bhat = -big_q / q_abs[:, None]
    gamma = big_q0 / m
    beta = q_abs / big_q0
    one_minus_beta = m2 / (big_q0 * (big_q0 + q_abs))
    x = sqrt_s / m
    cos_b = np.einsum("eik,ek->ei", nhat, bhat)
    one_plus_cos = 0.5 * np.sum((nhat + bhat[:, None, :]) ** 2, axis=2)
    scale = (x * gamma)[:, None] * q0
    p = np.empty((n_events, n, 4))
    p[..., 0] = scale * (beta[:, None] * one_plus_cos + one_minus_beta[:, None])
    parallel = scale * (one_plus_cos - one_minus_beta[:, None])
    perp = (x[:, None] * q0)[..., None] * (nhat - cos_b[..., None] * bhat[:, None, :])
    p[..., 1:] = parallel[..., None] * bhat[:, None, :] + perp
    return p


def _rescale_to_masses(p: np.ndarray, sqrt_s: float, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Massive momenta k⃗_i = ξ p⃗_i with Σ sqrt(m_i² + ξ² E_i²) = √s, and the RAMBO weight factor
    ξ^(2n−3) Π(|k_i|/E_i) √s / Σ(|k_i|²/E_i)."""
    n = p.shape[1]
    e0 = p[..., 0]  # massless energies = |p_i|
    m2 = m * m
    xi = np.ones(p.shape[0])
    # g(ξ) = Σ sqrt(m² + ξ² e0²) − √s is convex and increasing on ξ ≥ 0 with g(1) ≥ 0: Newton from
    # ξ = 1 decreases monotonically to the root
    for _ in range(200):
        e = np.sqrt(m2 + (xi[:, None] * e0) ** 2)
        g = e.sum(axis=1) - sqrt_s
        dg = np.sum(xi[:, None] * e0 * e0 / e, axis=1)
        step = g / dg
        xi = xi - step
        if np.all(np.abs(step) <= 4 * np.finfo(float).eps * xi):
            break
    k = p.copy()
    k[..., 1:] *= xi[:, None, None]
    k[..., 0] = np.sqrt(m2 + (xi[:, None] * e0) ** 2)
    kabs = xi[:, None] * e0
    factor = xi ** (2 * n - 3) * np.prod(kabs / k[..., 0], axis=1)
    factor = factor * sqrt_s / np.sum(kabs**2 / k[..., 0], axis=1)
    return k, factor


def rambo(
    n_events: int,
    n_particles: int,
    sqrt_s: float = 1.0,
    masses: Sequence[float] | None = None,
    *,
    seed: Seed = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted n-body phase-space events by RAMBO (Kleiss, Stirling & Ellis 1986).

    For massless particles every event has the same weight, Φ_n of
    :func:`massless_phase_space_volume`, and the events are exactly uniform in phase space. For
    massive particles the weight varies; the weighted events are exactly distributed as phase
    space, and the mean weight is an unbiased estimate of the massive volume Φ_n.

    Parameters
    ----------
    n_events : int
        Number of events, >= 1.
    n_particles : int
        Particles per event, >= 2.
    sqrt_s : float
        Centre-of-mass energy √s, > 0.
    masses : sequence of float, optional
        Masses m_i >= 0 (length ``n_particles``) with Σ m_i < √s; massless if omitted.
    seed : int or numpy.random.Generator

    Returns
    -------
    momenta : ndarray, shape (n_events, n_particles, 4)
        Four-vectors (E, p_x, p_y, p_z) in the centre-of-mass frame.
    weights : ndarray, shape (n_events,)
        Phase-space weights, units energy^(2n−4).
    """
    n_events = check_int(n_events, "n_events", low=1)
    n, sqrt_s, m = _check_kinematics(n_particles, sqrt_s, masses)
    rng = rng_from(seed)
    p = _massless(rng, n_events, n, sqrt_s)
    w0 = massless_phase_space_volume(n, sqrt_s)
    if not np.any(m > 0):
        return p, np.full(n_events, w0)
    k, factor = _rescale_to_masses(p, sqrt_s, m)
    return k, w0 * factor


def phase_space(
    n_events: int,
    n_particles: int,
    sqrt_s: float = 1.0,
    masses: Sequence[float] | None = None,
    *,
    seed: Seed = 0,
) -> np.ndarray:
    """Unweighted events uniform in n-body phase space (exactly, also for massive particles).

    Massless events are RAMBO's, which are already uniform. Massive RAMBO events are kept with
    probability w / w_max (von Neumann rejection) with the bound w_max = n Φ_n(massless) for
    n >= 3: with k_i = ξ|p_i| and Σ|p_i| = √s, Σ k_i²/E_i >= ξ² Σ|p_i|²/√s >= ξ² √s / n, so the
    weight factor ξ^(2n−3) Π(k_i/E_i) √s / Σ(k_i²/E_i) <= n ξ^(2n−5) <= n. For two bodies the
    weight is constant (π |p| / √s) and nothing is rejected. The acceptance falls as the masses
    approach √s.

    Parameters and returned momenta as in :func:`rambo`; shape (n_events, n_particles, 4).
    """
    n_events = check_int(n_events, "n_events", low=1)
    n, sqrt_s, m = _check_kinematics(n_particles, sqrt_s, masses)
    rng = rng_from(seed)
    if not np.any(m > 0) or n == 2:
        p = _massless(rng, n_events, n, sqrt_s)
        return p if not np.any(m > 0) else _rescale_to_masses(p, sqrt_s, m)[0]
    kept: list[np.ndarray] = []
    have = 0
    acceptance = 0.2
    while have < n_events:
        batch = math.ceil(1.2 * (n_events - have) / acceptance) + 16
        k, factor = _rescale_to_masses(_massless(rng, batch, n, sqrt_s), sqrt_s, m)
        keep = rng.random(batch) * n < factor
        kept.append(k[keep])
        have += int(keep.sum())
        acceptance = max(float(keep.mean()), 1e-3)
    return np.concatenate(kept)[:n_events]


def _check_momenta(momenta: np.ndarray) -> np.ndarray:
    p = check_array(momenta, "momenta", ndim=3)
    if p.shape[2] != 4:
        raise ValueError(f"momenta must have shape (n_events, n_particles, 4), got {p.shape}")
    if p.shape[1] < 2:
        raise ValueError(f"momenta must hold at least 2 particles per event, got {p.shape[1]}")
    return p


def four_momentum_violation(momenta: np.ndarray, sqrt_s: float = 1.0) -> np.ndarray:
    """max_μ |Σ_i p_i^μ − P^μ| / √s per event, with P = (√s, 0, 0, 0): energy and momentum
    conservation (zero up to rounding for exact events).

    Parameters
    ----------
    momenta : array, shape (n_events, n_particles, 4)
    sqrt_s : float

    Returns
    -------
    ndarray, shape (n_events,)
    """
    p = _check_momenta(momenta)
    sqrt_s = check_real(sqrt_s, "sqrt_s", low=0.0, low_open=True)
    total = p.sum(axis=1)
    total[:, 0] -= sqrt_s
    return np.max(np.abs(total), axis=1) / sqrt_s


def mass_shell_violation(momenta: np.ndarray, masses: Sequence[float] | None = None) -> np.ndarray:
    """max_i |E_i − sqrt(m_i² + |p_i|²)| / E_i per event (zero up to rounding on the mass shell)."""
    p = _check_momenta(momenta)
    m = np.zeros(p.shape[1]) if masses is None else check_array(masses, "masses", shape=(p.shape[1],))
    e = np.sqrt(m**2 + np.sum(p[..., 1:] ** 2, axis=2))
    return np.max(np.abs(p[..., 0] - e) / np.maximum(p[..., 0], np.finfo(float).tiny), axis=1)


def invariant_mass_squared(momenta: np.ndarray, particles: Sequence[int]) -> np.ndarray:
    """(Σ_{i ∈ particles} p_i)² = E² − |p⃗|² per event, e.g. the Dalitz variable m_12² for (0, 1)."""
    p = _check_momenta(momenta)
    idx = [check_int(i, "particles[]", low=0, high=p.shape[1] - 1) for i in particles]
    if not idx:
        raise ValueError("particles must name at least one particle")
    q = p[:, idx].sum(axis=1)
    return q[:, 0] ** 2 - np.sum(q[:, 1:] ** 2, axis=1)


def dalitz_boundary_quantile(momenta: np.ndarray, sqrt_s: float = 1.0) -> np.ndarray:
    """How close each massless 3-body event lies to the edge of the Dalitz plot, as the fraction
    of uniform phase space that lies at least as close.

    With energy fractions x_i = 2E_i/√s (Σ x_i = 2, 0 ≤ x_i ≤ 1 for massless particles), the
    boundary of the Dalitz plot is where one x_i reaches 1 (two particles collinear); the
    distance to it is t = min_i (1 − x_i) ∈ [0, 1/3]. Uniform massless phase space is flat in
    the Dalitz plot (x_1, x_2) (Dalitz, Phil. Mag. 44 (1953) 1068; the Particle Data Group's
    Review of Particle Physics, "Kinematics", on Dalitz plots), so (1 − x_1, 1 − x_2, 1 − x_3)
    is uniform on the 2-simplex, and its smallest coordinate has P(t > τ) = (1 − 3τ)². Returned
    is the CDF

        q = P(T ≤ t) = 1 − (1 − 3t)²,

    0 on the boundary, 1 at the centre (x_i = 2/3) and uniform on [0, 1] for events drawn
    uniformly in phase space (:func:`phase_space`), so that a generic point has q ≈ 1/2.

    Parameters
    ----------
    momenta : array, shape (n_events, 3, 4)
        Massless three-body events in the centre-of-mass frame (only the energies are used;
        t is clipped to [0, 1/3] against rounding).
    sqrt_s : float
        The centre-of-mass energy the events conserve; their energies must sum to it (relative
        tolerance 10⁻⁹).

    Returns
    -------
    ndarray, shape (n_events,)
    """
    p = _check_momenta(momenta)
    if p.shape[1] != 3:
        raise ValueError(f"momenta must hold 3 particles per event (a Dalitz plot), got {p.shape[1]}")
    sqrt_s = check_real(sqrt_s, "sqrt_s", low=0.0, low_open=True)
    energy = p[..., 0].sum(axis=1)
    bad = np.flatnonzero(np.abs(energy - sqrt_s) > 1e-9 * sqrt_s)
    if len(bad):
        raise ValueError(
            f"event {int(bad[0])} has energies summing to {energy[bad[0]]:.12g}, not sqrt_s = {sqrt_s:g} "
            f"({len(bad)} such event(s)); pass the sqrt_s of the events"
        )
    x = 2.0 * p[..., 0] / sqrt_s
    t = np.clip(np.min(1.0 - x, axis=-1), 0.0, 1.0 / 3.0)
    return 1.0 - (1.0 - 3.0 * t) ** 2


def phase_space_to_sphere(momenta: np.ndarray) -> np.ndarray:
    """The point of S^(3n−4) ⊂ R^(3n−3) of each event: (p⃗_1, ..., p⃗_(n−1)) / |(p⃗_1, ..., p⃗_(n−1))|.

    The last particle's momentum is fixed by momentum conservation and dropped; the radial
    projection of the boundary of the convex ball Σ E_i ≤ √s onto the unit sphere is a
    homeomorphism (inverse :func:`sphere_to_phase_space`).

    Parameters
    ----------
    momenta : array, shape (n_events, n_particles, 4), centre-of-mass frame

    Returns
    -------
    ndarray, shape (n_events, 3 n_particles − 3), unit rows
    """
    p = _check_momenta(momenta)
    v = p[:, :-1, 1:].reshape(p.shape[0], -1)
    norm = np.linalg.norm(v, axis=1)
    if np.any(norm == 0):
        raise ValueError("an event has all momenta zero (only possible at threshold); it has no direction")
    return v / norm[:, None]


def sphere_to_phase_space(
    points: np.ndarray, sqrt_s: float = 1.0, masses: Sequence[float] | None = None
) -> np.ndarray:
    """The event on the ray through each point of S^(3n−4): r u with Σ_i E_i(r u) = √s.

    Parameters
    ----------
    points : array, shape (n_events, 3 n − 3)
        Directions (normalised here), n the number of particles.
    sqrt_s : float
    masses : sequence of float, optional

    Returns
    -------
    ndarray, shape (n_events, n, 4)
    """
    u = check_array(points, "points", ndim=2)
    if u.shape[1] < 3 or u.shape[1] % 3:
        raise ValueError(f"points must have 3 n − 3 columns for n >= 2 particles, got {u.shape[1]}")
    n = u.shape[1] // 3 + 1
    n, sqrt_s, m = _check_kinematics(n, sqrt_s, masses)
    norm = np.linalg.norm(u, axis=1)
    if np.any(norm == 0):
        raise ValueError("points must be non-zero directions")
    u = u / norm[:, None]
    dirs = u.reshape(len(u), n - 1, 3)
    dirs = np.concatenate([dirs, -dirs.sum(axis=1, keepdims=True)], axis=1)  # (events, n, 3)
    a = np.sum(dirs**2, axis=2)  # |p_i|² = r² a_i

    def energy(r: np.ndarray) -> np.ndarray:
        return np.sqrt(m**2 + (r[:, None] ** 2) * a).sum(axis=1)

    # Σ E_i(r u) is convex and increasing in r >= 0, equal to Σ m < √s at r = 0: bisect, then Newton
    lo = np.zeros(len(u))
    hi = np.full(len(u), sqrt_s / np.sqrt(np.max(a, axis=1)))  # one |p_i| = √s already exceeds it
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        high = energy(mid) > sqrt_s
        hi = np.where(high, mid, hi)
        lo = np.where(high, lo, mid)
    r = hi
    for _ in range(3):
        e = np.sqrt(m**2 + (r[:, None] ** 2) * a)
        r = r - (e.sum(axis=1) - sqrt_s) / np.sum(r[:, None] * a / e, axis=1)
    out = np.empty((len(u), n, 4))
    out[..., 1:] = r[:, None, None] * dirs
    out[..., 0] = np.sqrt(m**2 + np.sum(out[..., 1:] ** 2, axis=2))
    return out
