"""Dynamics from a phase-space density: accelerations from the collisionless Boltzmann equation.

In a steady state the phase-space density f(x, v) of a collisionless system obeys

    v · ∇ₓ f + a · ∇ᵥ f = 0,   a = −∇Φ(x),

and dividing by f, ``v · ∇ₓ log f + a · ∇ᵥ log f = 0`` at every velocity. At a fixed position the
acceleration ``a`` (three unknowns) is therefore the least-squares solution of one linear
equation per velocity, ``(∇ᵥ log f) · a = −v · ∇ₓ log f`` (Green, Ting & Kamdar, "Deep
Potential"; Buckley, Lim, Putney & Shih, arXiv:2205.01129; An, Naik et al., MNRAS 506, 5721).
Any model of log f with a gradient serves: a fitted flow or ensemble, or an exact distribution
function. The mass density then follows from Poisson's equation ∇·a = −4πGρ.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from physml._core import as_generator, check_array, check_int, check_real

__all__ = [
    "CBEAcceleration",
    "cbe_acceleration",
    "local_velocities",
    "poisson_density",
    "radial_density_profile",
    "sphere_points",
]


@dataclass(frozen=True)
class CBEAcceleration:
    """Accelerations solved from the collisionless Boltzmann equation.

    Attributes
    ----------
    acceleration : numpy.ndarray, shape (n, 3)
        Least-squares −∇Φ at each position.
    standard_error : numpy.ndarray, shape (n, 3)
        Its standard error from the residuals, ``sqrt(diag(s² (AᵀA)⁻¹))`` with
        ``s² = |residual|² / (n_velocities − 3)`` (treats the equations as independent).
    residual_rms : numpy.ndarray, shape (n,)
        Root-mean-square residual of the equations at the solution (0 for an exact steady f).
    n_velocities : int
    """

    acceleration: np.ndarray
    standard_error: np.ndarray
    residual_rms: np.ndarray
    n_velocities: int


GradLogF = Callable[[np.ndarray], np.ndarray]


def _gradient_function(model: Any, *, phase_space: bool = True) -> tuple[GradLogF, Any]:
    """``grad(xv) -> (n, 6)`` from a fitted flow/ensemble or a plain callable, and the model."""
    if hasattr(model, "grad_log_prob"):
        if not hasattr(model, "n_features_in_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError(f"this {type(model).__name__} is not fitted yet; call fit(X) first")
        if phase_space and model.n_features_in_ != 6:
            raise ValueError(
                f"accelerations need a density on 6-D phase space (x, y, z, vx, vy, vz); this "
                f"{type(model).__name__} was fitted on {model.n_features_in_} feature(s)"
            )
        return model.grad_log_prob, model
    if callable(model):
        return model, None
    raise TypeError(
        "model must be a fitted FlowDensity/FlowEnsemble (anything with grad_log_prob) or a callable "
        f"returning ∇ log f of shape (n, 6); got {type(model).__name__}"
    )


def _velocity_sets(velocities: Any, n_pos: int) -> np.ndarray:
    v = check_array(velocities, "velocities", ndim=(2, 3))
    if v.ndim == 2:
        v = np.broadcast_to(v, (n_pos,) + v.shape)
    if v.shape[0] != n_pos or v.shape[2] != 3:
        raise ValueError(
            f"velocities must have shape (n_velocities, 3) or (n_positions={n_pos}, n_velocities, 3), "
            f"got {v.shape}"
        )
    if v.shape[1] < 4:
        raise ValueError(
            f"velocities: need at least 4 velocities per position (3 unknowns and an error), got {v.shape[1]}"
        )
    return v


def cbe_acceleration(model: Any, positions: Any, velocities: Any) -> CBEAcceleration:
    """Solve v·∇ₓ log f + a·∇ᵥ log f = 0 for the acceleration a at each position.

    Parameters
    ----------
    model : FlowDensity, FlowEnsemble or callable
        A density fitted on 6-D phase space with columns (x, y, z, vx, vy, vz), or a function
        mapping points of shape (n, 6) to ∇ log f of shape (n, 6) (e.g. an exact DF).
    positions : array_like, shape (n, 3)
        Where to solve; for a fitted model they must lie in its training samples' support.
    velocities : array_like, shape (n_velocities, 3) or (n, n_velocities, 3)
        The velocities at which the equation is imposed (shared or per position; at least 4).
        Choose velocities where f is well measured, e.g. :func:`local_velocities` of the data.

    Returns
    -------
    CBEAcceleration
    """
    grad, fitted = _gradient_function(model)
    x = check_array(positions, "positions", ndim=2, shape=(None, 3))
    if fitted is not None:
        fitted.check_support(x, "positions", columns=(0, 1, 2))
    v = _velocity_sets(velocities, len(x))
    n, k = v.shape[0], v.shape[1]
    xv = np.concatenate([np.broadcast_to(x[:, None, :], (n, k, 3)), v], axis=2).reshape(n * k, 6)
    g = np.asarray(grad(xv), dtype=np.float64)
    if g.shape != (n * k, 6):
        raise ValueError(f"the gradient of log f must have shape ({n * k}, 6), got {g.shape}")
    if not np.all(np.isfinite(g)):
        raise ValueError("the gradient of log f is not finite at some (position, velocity): is f > 0 there?")
    g = g.reshape(n, k, 6)
    A = g[:, :, 3:]  # ∇ᵥ log f
    b = -np.einsum("nkd,nkd->nk", v, g[:, :, :3])  # −v·∇ₓ log f
    acc = np.empty((n, 3))
    err = np.empty((n, 3))
    rms = np.empty(n)
    for i in range(n):
        sol, *_ = np.linalg.lstsq(A[i], b[i], rcond=None)
        res = A[i] @ sol - b[i]
        acc[i] = sol
        rms[i] = math.sqrt(float(np.mean(res**2)))
        s2 = float(res @ res) / (k - 3)
        cov = s2 * np.linalg.pinv(A[i].T @ A[i])
        err[i] = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return CBEAcceleration(acc, err, rms, k)


def local_velocities(positions: Any, velocities: Any, at: Any, k: int = 64) -> np.ndarray:
    """The velocities of the ``k`` samples nearest (in position) to each point of ``at``.

    A model-free sample of the local velocity distribution, at which f is well measured: the
    natural velocities for :func:`cbe_acceleration`.

    Parameters
    ----------
    positions, velocities : array_like, shape (n_samples, 3)
        The stars (or samples drawn from a flow).
    at : array_like, shape (n, 3)
    k : int
        Neighbours per point (4 <= k <= n_samples).

    Returns
    -------
    numpy.ndarray, shape (n, k, 3)
    """
    x = check_array(positions, "positions", ndim=2, shape=(None, 3))
    v = check_array(velocities, "velocities", ndim=2, shape=(len(x), 3))
    at = check_array(at, "at", ndim=2, shape=(None, 3))
    k = check_int(k, "k", low=4, high=len(x))
    _, idx = cKDTree(x).query(at, k=k)
    return v[np.asarray(idx).reshape(len(at), k)]


def poisson_density(
    model: Any, positions: Any, velocities: Any, *, step: float = 0.05, G: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Mass density ρ = −∇·a / (4πG) from CBE accelerations by central differences.

    The acceleration is solved at ``x ± step·e_i`` with the same velocities (common random
    numbers, so their noise largely cancels in the differences); the truncation error is
    O(step²) times the third derivatives of a.

    Parameters
    ----------
    model : as for :func:`cbe_acceleration`
    positions : array_like, shape (n, 3)
    velocities : array_like, shape (n_velocities, 3) or (n, n_velocities, 3)
    step : float
        Finite-difference step (> 0), in the units of the positions.
    G : float
        Gravitational constant (> 0).

    Returns
    -------
    density, standard_error : numpy.ndarray, shape (n,)
        The error propagates the least-squares errors of the six accelerations (independent).
    """
    x = check_array(positions, "positions", ndim=2, shape=(None, 3))
    h = check_real(step, "step", low=0.0, low_open=True)
    G = check_real(G, "G", low=0.0, low_open=True)
    v = _velocity_sets(velocities, len(x))
    div = np.zeros(len(x))
    var = np.zeros(len(x))
    for i in range(3):
        e = np.zeros(3)
        e[i] = h
        up = cbe_acceleration(model, x + e, v)
        dn = cbe_acceleration(model, x - e, v)
        div += (up.acceleration[:, i] - dn.acceleration[:, i]) / (2 * h)
        var += (up.standard_error[:, i] ** 2 + dn.standard_error[:, i] ** 2) / (2 * h) ** 2
    scale = 4 * math.pi * G
    return -div / scale, np.sqrt(var) / scale


def sphere_points(radii: Any, n_directions: int, seed: int | np.random.Generator = 0) -> np.ndarray:
    """Points on spheres: ``n_directions`` isotropic unit vectors (the same for every radius).

    Returns
    -------
    numpy.ndarray, shape (len(radii), n_directions, 3)
    """
    r = check_array(radii, "radii", ndim=1)
    if np.any(r < 0):
        raise ValueError(f"radii must be >= 0, got a minimum of {r.min()}")
    n = check_int(n_directions, "n_directions", low=1)
    u = as_generator(seed).standard_normal((n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    return r[:, None, None] * u[None, :, :]


def radial_density_profile(
    model: Any, radii: Any, *, n_directions: int = 64, seed: int | np.random.Generator = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Angle-averaged density of a model fitted on 3-D positions, at each radius.

    Parameters
    ----------
    model : FlowDensity or FlowEnsemble
        Fitted on positions (3 features), e.g. the positions of stars; its density is the
        probability density of one star's position (multiply by the total mass for ρ).
    radii : array_like, shape (n_radii,)
        Radii at which the spheres must lie inside the training samples' support.
    n_directions : int
        Isotropic directions averaged over on each sphere.

    Returns
    -------
    mean, standard_error : numpy.ndarray, shape (n_radii,)
        The mean density over directions and its standard error (the spread over directions,
        which for a spherical system measures the model's anisotropy).
    """
    if not hasattr(model, "log_prob") or not hasattr(model, "n_features_in_"):
        raise TypeError(f"model must be a fitted FlowDensity or FlowEnsemble, got {type(model).__name__}")
    if model.n_features_in_ != 3:
        raise ValueError(
            f"a radial density profile needs a density of 3-D positions; the model has "
            f"{model.n_features_in_} feature(s)"
        )
    pts = sphere_points(radii, n_directions, seed)
    flat = pts.reshape(-1, 3)
    p = np.exp(model.log_prob(flat, outside="raise")).reshape(pts.shape[:2])
    err = p.std(axis=1, ddof=1) / math.sqrt(p.shape[1]) if p.shape[1] > 1 else np.zeros(len(p))
    return p.mean(axis=1), err
