"""Hopfield networks: Hebbian storage, deterministic dynamics, retrieval and capacity.

Conventions (those of the Hopfield-network slide of the Walsh talk, "Machine Learning Beyond Physics from
a Physicist's Perspective", which
follow Hopfield, PNAS 79, 2554 (1982)):

* states are spins ``s_i ∈ {-1, +1}``; couplings ``W`` are symmetric, thresholds ``θ_i``;
* **update rule**: ``s_i ← +1 if Σ_j W_ij s_j ≥ θ_i, else -1`` (a tie goes to ``+1``);
* **energy**: ``E(s) = -1/2 Σ_ij W_ij s_i s_j + Σ_i θ_i s_i``.

Under asynchronous (one unit at a time) updates ``E`` never increases when ``W`` is
symmetric with a non-negative diagonal, so the dynamics ends in a local minimum (a fixed
point). Under synchronous (all units at once) updates a symmetric network ends in a fixed
point or a 2-cycle (Goles-Chacc, Fogelman-Soulié, Pellegrin, Discrete Appl. Math. 12, 261
(1985)). Patterns ``ξ^μ`` are stored with the Hebb rule ``W = (1/N) Σ_μ ξ^μ ξ^μᵀ`` with zero
diagonal (Hopfield 1982; the normalisation of Amit, Gutfreund, Sompolinsky, PRL 55, 1530
(1985), whose replica theory puts the storage capacity at ``α_c = P/N ≈ 0.138``).

For Hebbian networks the dynamics is run on the integer couplings ``N W = Ξᵀ Ξ`` (zero
diagonal), so fields and ties are exact; the capacity measurement never forms ``W`` at all
(fields from the pattern overlaps, ``N h_i = Σ_μ ξ^μ_i (ξ^μ·s) − P s_i``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml._core import (
    Interval,
    ModelMixin,
    Options,
    as_generator,
    check_array,
    check_choice,
    check_int,
    check_real,
    check_seed,
    derive_seed,
)

__all__ = [
    "HopfieldCapacity",
    "HopfieldCapacitySweep",
    "HopfieldDynamics",
    "HopfieldNetwork",
    "HopfieldRun",
    "HopfieldState",
    "corrupt_patterns",
    "hebbian_weights",
    "hopfield_capacity_sweep",
    "hopfield_capacity_trials",
    "hopfield_energy",
    "hopfield_run",
    "pattern_overlap",
]

Seed = int | np.random.Generator
Mode = Literal["async", "sync"]

# Budget (bytes) for the int8 pattern tensors of one batch of networks in the capacity runs.
_CAPACITY_BATCH_BYTES = 64 * 2**20


# --------------------------------------------------------------------------- validation


def _check_spins(x: Any, name: str, *, ndim: int | tuple[int, ...], n_units: int | None = None) -> np.ndarray:
    """A float64 array of ±1 values (NaN, other values and wrong lengths rejected)."""
    arr = check_array(x, name, ndim=ndim)
    if n_units is not None and arr.shape[-1] != n_units:
        raise ValueError(
            f"{name} must have {n_units} units along its last axis (the network has {n_units}), "
            f"got shape {arr.shape}"
        )
    if arr.shape[-1] == 0:
        raise ValueError(f"{name} must have at least one unit, got shape {arr.shape}")
    bad = np.abs(arr) != 1.0
    if np.any(bad):
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must contain only -1 and +1 (Hopfield spins), got {arr[first]!r} at index {first}; "
            "map {0, 1} data with 2*x - 1"
        )
    return arr


def _check_weights(weights: Any) -> np.ndarray:
    w = check_array(weights, "weights", ndim=2)
    n = w.shape[0]
    if w.shape != (n, n) or n == 0:
        raise ValueError(f"weights must be a non-empty square (N, N) matrix, got shape {w.shape}")
    scale = float(np.max(np.abs(w))) if w.size else 0.0
    if not np.allclose(w, w.T, rtol=0.0, atol=1e-12 * max(scale, 1.0)):
        i, j = np.unravel_index(int(np.argmax(np.abs(w - w.T))), w.shape)
        raise ValueError(
            f"weights must be symmetric (W_ij = W_ji), got W[{i},{j}]={w[i, j]!r} != W[{j},{i}]={w[j, i]!r}"
        )
    diag = np.diag(w)
    if np.any(diag < 0):
        i = int(np.argmax(diag < 0))
        raise ValueError(
            f"weights must have a non-negative diagonal (self-couplings W_ii >= 0 keep the energy a "
            f"Lyapunov function; Hebbian storage uses W_ii = 0), got W[{i},{i}]={diag[i]!r}"
        )
    return 0.5 * (w + w.T)


def _check_thresholds(thresholds: Any, n_units: int) -> np.ndarray:
    if thresholds is None:
        return np.zeros(n_units)
    t = check_array(thresholds, "thresholds", ndim=(0, 1))
    if t.ndim == 0:
        return np.full(n_units, float(t))
    if t.shape != (n_units,):
        raise ValueError(f"thresholds must be a scalar or have shape ({n_units},), got shape {t.shape}")
    return t.copy()


def _check_order(order: Any, n_units: int) -> np.ndarray | None:
    if order is None:
        return None
    o = check_array(order, "order", ndim=1, dtype=None)
    if o.size == 0:
        raise ValueError("order must list at least one unit index, got an empty sequence")
    if o.dtype.kind not in "iu":
        raise TypeError(f"order must contain integer unit indices, got dtype {o.dtype}")
    if np.any((o < 0) | (o >= n_units)):
        bad = o[(o < 0) | (o >= n_units)][0]
        raise ValueError(f"order must contain unit indices in [0, {n_units - 1}], got {int(bad)}")
    return o.astype(np.intp)


def _check_mode(mode: Any) -> str:
    return check_choice(mode, "mode", ("async", "sync"))


# --------------------------------------------------------------------------- storage, energy


def hebbian_weights(patterns: ArrayLike) -> np.ndarray:
    """Hebbian couplings ``W = (1/N) Σ_μ ξ^μ ξ^μᵀ`` with zero diagonal (Hopfield 1982).

    Parameters
    ----------
    patterns : array_like of shape (P, N) or (N,)
        Patterns ``ξ^μ`` with entries ±1.

    Returns
    -------
    ndarray of shape (N, N)
        Symmetric couplings, ``W_ii = 0``.
    """
    xi = _check_spins(patterns, "patterns", ndim=(1, 2))
    xi = np.atleast_2d(xi)
    w = xi.T @ xi
    np.fill_diagonal(w, 0.0)
    return w / xi.shape[1]


def hopfield_energy(states: ArrayLike, weights: ArrayLike, thresholds: ArrayLike | None = None) -> np.ndarray:
    """Energy ``E(s) = -1/2 Σ_ij W_ij s_i s_j + Σ_i θ_i s_i`` (Walsh talk, Hopfield slide).

    Parameters
    ----------
    states : array_like of shape (..., N)
        Spins ±1.
    weights : array_like of shape (N, N)
        Symmetric couplings with a non-negative diagonal.
    thresholds : array_like of shape (N,) or scalar, optional
        ``θ``; zero by default.

    Returns
    -------
    ndarray of shape (...)
        Energies (dimensionless, in the units of ``W``).
    """
    w = _check_weights(weights)
    s = _check_spins(states, "states", ndim=(1, 2, 3), n_units=w.shape[0])
    theta = _check_thresholds(thresholds, w.shape[0])
    return _energy(s, w, theta)


def _energy(s: np.ndarray, w: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return -0.5 * np.sum((s @ w) * s, axis=-1) + s @ theta


def pattern_overlap(patterns: ArrayLike, states: ArrayLike) -> np.ndarray:
    """Overlaps ``m^μ = (1/N) ξ^μ · s`` between patterns and states.

    Parameters
    ----------
    patterns : array_like of shape (N,) or (P, N)
    states : array_like of shape (N,) or (B, N)

    Returns
    -------
    ndarray
        ``(1/N) states @ patternsᵀ``: shape ``()``, ``(P,)``, ``(B,)`` or ``(B, P)`` following the
        inputs' leading axes (``m = 1`` means retrieval, ``m = -1`` the reversed pattern).
    """
    xi = _check_spins(patterns, "patterns", ndim=(1, 2))
    s = _check_spins(states, "states", ndim=(1, 2), n_units=xi.shape[-1])
    return (s @ xi.T) / xi.shape[-1]


def corrupt_patterns(patterns: ArrayLike, fraction: float, *, seed: Seed = 0) -> np.ndarray:
    """Flip ``round(fraction · N)`` distinct, uniformly chosen bits of each pattern.

    Parameters
    ----------
    patterns : array_like of shape (N,) or (P, N)
        Spins ±1.
    fraction : float in [0, 1]
        Fraction of the ``N`` bits to flip; the number flipped is exactly ``round(fraction · N)``
        (so the overlap with the original is ``1 − 2·round(fraction·N)/N``).
    seed : int or numpy.random.Generator

    Returns
    -------
    ndarray of the input's shape (float64)
    """
    xi = _check_spins(patterns, "patterns", ndim=(1, 2))
    fraction = check_real(fraction, "fraction", low=0.0, high=1.0)
    rng = as_generator(seed)
    return _corrupt(np.atleast_2d(xi), fraction, rng).reshape(xi.shape)


def _corrupt(xi: np.ndarray, fraction: float, rng: np.random.Generator) -> np.ndarray:
    n = xi.shape[-1]
    k = int(np.floor(fraction * n + 0.5))
    out = xi.copy()
    if k:
        sites = np.argsort(rng.random(xi.shape), axis=-1)[..., :k]
        np.put_along_axis(out, sites, -np.take_along_axis(out, sites, axis=-1), axis=-1)
    return out


# --------------------------------------------------------------------------- dynamics


@dataclass(frozen=True)
class HopfieldRun:
    """Outcome of :func:`hopfield_run` / :meth:`HopfieldNetwork.run`.

    Attributes
    ----------
    states : ndarray of shape (N,) or (B, N)
        Final spins (for a 2-cycle, the state reached when the cycle was detected).
    converged : ndarray of bool, shape () or (B,)
        Whether a fixed point (async or sync) or a 2-cycle (sync) was reached in ``max_sweeps``.
    n_sweeps : ndarray of int, shape () or (B,)
        Sweeps performed (async: passes through ``order``; sync: parallel updates).
    period : ndarray of int, shape () or (B,)
        1 for a fixed point, 2 for a 2-cycle (sync only), 0 if not converged.
    """

    states: np.ndarray
    converged: np.ndarray
    n_sweeps: np.ndarray
    period: np.ndarray


def _rule(h: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """The talk's update rule: +1 if the field reaches the threshold, else -1."""
    return np.where(h >= theta, 1.0, -1.0)


def _stable(s: np.ndarray, h: np.ndarray, theta: np.ndarray) -> np.ndarray:
    return np.all(_rule(h, theta) == s, axis=-1)


@dataclass
class HopfieldState:
    """States under :class:`HopfieldDynamics`, advanced in place by its ``sample``.

    Attributes
    ----------
    states : ndarray of shape (B, N)
        The spins of every chain (float64, ±1).
    rng : numpy.random.Generator
        The stream of the random visiting orders (asynchronous dynamics without ``order``).
    converged : ndarray of bool, shape (B,)
        Chains that reached a fixed point (or, synchronous, a 2-cycle); they no longer move.
    n_sweeps : ndarray of int, shape (B,)
        Sweeps done by each chain.
    period : ndarray of int, shape (B,)
        1 for a fixed point, 2 for a 2-cycle, 0 while running.
    previous : ndarray of shape (B, N) or None
        Synchronous dynamics: the states one step earlier (NaN before the first step), for
        the 2-cycle test; None for asynchronous dynamics.
    """

    states: np.ndarray
    rng: np.random.Generator
    converged: np.ndarray
    n_sweeps: np.ndarray
    period: np.ndarray
    previous: np.ndarray | None = None


class HopfieldDynamics:
    """Hopfield dynamics with the talk's update rule ``s_i ← +1 if Σ_j W_ij s_j ≥ θ_i else −1``,
    as a sampler: the couplings and the update scheme here, the chains in a
    :class:`HopfieldState` from :meth:`init_state`, advanced by :meth:`sample`.

    Parameters
    ----------
    weights : array_like of shape (N, N)
        Symmetric couplings with a non-negative diagonal.
    thresholds : array_like of shape (N,) or scalar, optional
        ``θ``; zero by default.
    mode : {"async", "sync"}
        ``"async"``: one unit at a time; each sweep visits the units in ``order``, or, if
        ``order`` is None, in a fresh random permutation per sweep and per chain drawn from the
        state's stream. The energy never increases; a chain stops at a fixed point.
        ``"sync"``: all units at once; a chain stops at a fixed point or a 2-cycle.
    order : array_like of int, optional
        Unit indices visited in each asynchronous sweep (repeats allowed).
    """

    def __init__(self, weights: ArrayLike, thresholds: ArrayLike | None = None, *, mode: Mode = "async",
                 order: ArrayLike | None = None) -> None:
        w = _check_weights(weights)
        self._setup(w, _check_thresholds(thresholds, w.shape[0]), mode, order)

    @classmethod
    def _checked(cls, w: np.ndarray, theta: np.ndarray, mode: Any, order: Any) -> HopfieldDynamics:
        """The dynamics of couplings and thresholds that are already checked."""
        dyn = cls.__new__(cls)
        dyn._setup(w, theta, mode, order)
        return dyn

    def _setup(self, w: np.ndarray, theta: np.ndarray, mode: Any, order: Any) -> None:
        self.mode = _check_mode(mode)
        self.order = _check_order(order, w.shape[0])
        if self.mode == "sync" and self.order is not None:
            raise ValueError(
                "order applies to mode='async' only; synchronous updates change all units at once"
            )
        self.weights = w
        self.thresholds = theta

    @property
    def n_units(self) -> int:
        return int(self.weights.shape[0])

    def __repr__(self) -> str:
        return f"HopfieldDynamics(n_units={self.n_units}, mode={self.mode!r})"

    def init_state(self, seed: Seed = 0, *, start: ArrayLike) -> HopfieldState:
        """Chains at the spins ``start`` (shape (N,) or (B, N), copied).

        ``seed`` (int or numpy Generator) seeds the random visiting orders.
        """
        rng = as_generator(check_seed(seed))
        s = np.atleast_2d(_check_spins(start, "start", ndim=(1, 2), n_units=self.n_units)).copy()
        b = s.shape[0]
        if self.mode == "async":
            converged = _stable(s, s @ self.weights, self.thresholds)
            return HopfieldState(s, rng, converged, np.zeros(b, dtype=np.int64), converged.astype(np.int64))
        zeros = np.zeros(b, dtype=np.int64)
        return HopfieldState(s, rng, np.zeros(b, dtype=bool), zeros, zeros.copy(), np.full_like(s, np.nan))

    def sample(self, state: HopfieldState, n_steps: int = 1) -> HopfieldState:
        """Up to ``n_steps`` more sweeps (async: passes through the units; sync: parallel
        updates) of the chains that have not converged, in place; returns ``state``."""
        if not isinstance(state, HopfieldState):
            raise TypeError(f"state must be the HopfieldState of init_state, got {type(state).__name__}")
        if state.states.ndim != 2 or state.states.shape[1] != self.n_units:
            raise ValueError(f"state has spins of shape {state.states.shape}; these dynamics need "
                             f"(B, {self.n_units})")
        if (state.previous is None) != (self.mode == "async"):
            raise ValueError(f"state was made for other dynamics than mode={self.mode!r}")
        n_steps = check_int(n_steps, "n_steps", low=0)
        if self.mode == "async":
            _run_async(state, self.weights, self.thresholds, self.order, n_steps)
        else:
            _run_sync(state, self.weights, self.thresholds, n_steps)
        return state


def _run_async(state: HopfieldState, w: np.ndarray, theta: np.ndarray, order: np.ndarray | None,
               max_sweeps: int) -> None:
    """Asynchronous dynamics of the chains of ``state`` under shared couplings, in place.

    Fields are kept up to date incrementally (``h += 2 s_i' W[i]`` after a flip of unit ``i``) and
    recomputed from scratch at every sweep boundary, so rounding cannot accumulate.
    """
    s, converged, n_sweeps, rng = state.states, state.converged, state.n_sweeps, state.rng
    n = s.shape[1]
    active = np.flatnonzero(~converged)
    for _ in range(max_sweeps):
        if active.size == 0:
            break
        sa = s[active]
        ha = sa @ w
        rows = np.arange(active.size)
        if order is None:
            sites = rng.permuted(np.tile(np.arange(n), (active.size, 1)), axis=1)
        else:
            sites = np.broadcast_to(order, (active.size, order.size))
        for t in range(sites.shape[1]):
            idx = sites[:, t]
            new = _rule(ha[rows, idx], theta[idx])
            changed = np.flatnonzero(new != sa[rows, idx])
            if changed.size:
                ii = idx[changed]
                sa[changed, ii] = new[changed]
                ha[changed] += (2.0 * new[changed])[:, None] * w[ii]
        s[active] = sa
        n_sweeps[active] += 1
        stable = _stable(sa, sa @ w, theta)
        converged[active[stable]] = True
        active = active[~stable]
    state.period[:] = converged


def _run_sync(state: HopfieldState, w: np.ndarray, theta: np.ndarray, max_sweeps: int) -> None:
    """Synchronous (parallel) dynamics with fixed-point and 2-cycle detection, in place."""
    s, n_sweeps, period, prev = state.states, state.n_sweeps, state.period, state.previous
    active = np.flatnonzero(period == 0)
    for _ in range(max_sweeps):
        if active.size == 0:
            break
        cur = s[active]
        new = _rule(cur @ w, theta)
        fixed = np.all(new == cur, axis=1)
        two = ~fixed & np.all(new == prev[active], axis=1)
        prev[active] = cur
        s[active] = new
        n_sweeps[active] += 1
        period[active[fixed]] = 1
        period[active[two]] = 2
        active = active[~(fixed | two)]
    state.converged[:] = period > 0


def _dynamics(
    states: np.ndarray,
    w: np.ndarray,
    theta: np.ndarray,
    mode: str,
    order: Any,
    max_sweeps: Any,
    seed: Any,
) -> HopfieldRun:
    mode = _check_mode(mode)
    max_sweeps = check_int(max_sweeps, "max_sweeps", low=1)
    seed = check_seed(seed)
    dynamics = HopfieldDynamics._checked(w, theta, mode, order)
    state = dynamics.sample(dynamics.init_state(seed, start=states), max_sweeps)
    batch = states.shape[:-1]
    return HopfieldRun(
        states=state.states.reshape(states.shape),
        converged=state.converged.reshape(batch),
        n_sweeps=state.n_sweeps.reshape(batch),
        period=state.period.reshape(batch),
    )


def hopfield_run(
    states: ArrayLike,
    weights: ArrayLike,
    thresholds: ArrayLike | None = None,
    *,
    mode: Mode = "async",
    order: ArrayLike | None = None,
    max_sweeps: int = 100,
    seed: Seed = 0,
) -> HopfieldRun:
    """Run Hopfield dynamics to a fixed point (or 2-cycle) with the talk's update rule.

    ``s_i ← +1 if Σ_j W_ij s_j ≥ θ_i else −1`` (Walsh talk; Hopfield 1982).

    Parameters
    ----------
    states : array_like of shape (N,) or (B, N)
        Initial spins ±1; a batch of ``B`` states evolves independently under the same couplings.
    weights : array_like of shape (N, N)
        Symmetric couplings with a non-negative diagonal.
    thresholds : array_like of shape (N,) or scalar, optional
        ``θ``; zero by default.
    mode : {"async", "sync"}
        ``"async"``: one unit at a time; each sweep visits the units in ``order``, or, if
        ``order`` is None, in a fresh random permutation per sweep and per state drawn from
        ``seed``. The energy never increases; stops at a fixed point. ``"sync"``: all units
        at once; stops at a fixed point or a 2-cycle.
    order : array_like of int, optional
        Unit indices visited in each asynchronous sweep (any sequence; repeats allowed, e.g.
        ``[i]`` for a single-unit update).
    max_sweeps : int
        Maximum number of sweeps (async) or parallel steps (sync).
    seed : int or numpy.random.Generator
        Seeds the random visiting order (unused for ``sync`` or a given ``order``).

    Returns
    -------
    HopfieldRun
    """
    w = _check_weights(weights)
    s = _check_spins(states, "states", ndim=(1, 2), n_units=w.shape[0])
    theta = _check_thresholds(thresholds, w.shape[0])
    return _dynamics(s, w, theta, mode, order, max_sweeps, seed)


class HopfieldNetwork(ModelMixin, BaseEstimator):
    """Hopfield network storing ±1 patterns with the Hebb rule (Hopfield, PNAS 79, 2554 (1982)).

    Conventions of the Walsh talk's Hopfield slide: spins ±1, update rule
    ``s_i ← +1 if Σ_j W_ij s_j ≥ θ_i else −1``, energy
    ``E = −1/2 Σ_ij W_ij s_i s_j + Σ_i θ_i s_i``. Storage: ``W = (1/N) Σ_μ ξ^μ ξ^μᵀ``, ``W_ii = 0``.
    The dynamics runs on the integer couplings ``N W`` against ``N θ``, so ties
    (``Σ_j W_ij s_j = θ_i``, resolved to ``+1``) are decided exactly.

    A physml model (docs/architecture.md, "One model contract"): ``fit`` stores the patterns,
    :meth:`predict` retrieves (runs the dynamics to a fixed point), ``save``/``load`` go
    through the one model-file format, and :meth:`from_parameters` makes a network of given
    couplings. It has no ``score``: a Hopfield network defines no likelihood.

    Parameters
    ----------
    thresholds : array_like of shape (N,) or float, optional
        ``θ``; zero by default.
    mode : {"async", "sync"}
        The dynamics of :meth:`predict` and the default of :meth:`run`.
    max_sweeps : int
        Sweep limit of :meth:`predict` and the default of :meth:`run`.
    seed : int or numpy.random.Generator
        Seeds the random visiting order of :meth:`predict` and is the default of :meth:`run`.

    Attributes
    ----------
    weights_ : ndarray of shape (N, N)
    thresholds_ : ndarray of shape (N,)
    couplings_ : ndarray of shape (N, N)
        The couplings the dynamics runs on: ``N W`` (exact integers) for stored patterns,
        ``W`` for a network from :meth:`from_parameters`; ``coupling_scale_`` is the factor.
    coupling_scale_ : float
        ``N`` or 1 (the thresholds are scaled alike).
    patterns_ : ndarray of shape (P, N)
        The stored patterns (none for a network from :meth:`from_parameters`).
    n_features_in_ : int
        ``N``.
    n_patterns_ : int
        ``P``; the load is ``α = P/N``.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "thresholds": [None, Interval(float, None, None), "array-like"],
        "mode": [Options("async", "sync")],
        "max_sweeps": [Interval(int, 1, None)],
        "seed": ["seed"],
    }
    _data_kind: ClassVar[str] = "spins"

    def __init__(self, thresholds: ArrayLike | float | None = None, *, mode: Mode = "async",
                 max_sweeps: int = 100, seed: Seed = 0) -> None:
        self.thresholds = thresholds
        self.mode = mode
        self.max_sweeps = max_sweeps
        self.seed = seed

    def fit(self, patterns: ArrayLike, y: None = None) -> HopfieldNetwork:
        """Store ``patterns`` (array of shape (P, N) or (N,), entries ±1)."""
        self._validate_params()
        xi = np.atleast_2d(_check_spins(patterns, "patterns", ndim=(1, 2)))
        n = xi.shape[1]
        self.thresholds_ = _check_thresholds(self.thresholds, n)
        couplings = xi.T @ xi  # exact integers in float64
        np.fill_diagonal(couplings, 0.0)
        self.couplings_ = couplings
        self.coupling_scale_ = float(n)
        self.weights_ = couplings / n
        self.patterns_ = xi.copy()
        self.n_features_in_ = n
        self.n_patterns_ = xi.shape[0]
        return self

    @classmethod
    def from_parameters(cls, weights: ArrayLike, thresholds: ArrayLike | float | None = None,
                        **params: Any) -> HopfieldNetwork:
        """A network with given couplings ``W`` (symmetric, non-negative diagonal) and thresholds,
        ready for everything a fitted one does (``run``, ``predict``, ``energy``, ``dynamics``,
        ``save``/``load``); the dynamics runs on ``W`` and ``θ`` as given, as in
        :func:`hopfield_run`. It stores no patterns (``overlaps`` has no columns); a network of
        stored patterns is ``HopfieldNetwork().fit(patterns)``.

        ``params`` are the other constructor arguments (``mode``, ``max_sweeps``, ``seed``).
        """
        est = cls(thresholds, **params)
        est._validate_params()
        w = _check_weights(weights)
        n = w.shape[0]
        est.thresholds_ = _check_thresholds(thresholds, n)
        est.couplings_, est.coupling_scale_, est.weights_ = w, 1.0, w
        est.patterns_ = np.zeros((0, n))
        est.n_features_in_, est.n_patterns_ = n, 0
        return est

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta = {"n_features_in_": int(self.n_features_in_), "n_patterns_": int(self.n_patterns_),
                "coupling_scale_": float(self.coupling_scale_)}
        arrays = {"couplings": self.couplings_, "weights": self.weights_, "thresholds": self.thresholds_,
                  "patterns": self.patterns_}
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.couplings_, self.weights_ = np.array(arrays["couplings"]), np.array(arrays["weights"])
        self.thresholds_, self.patterns_ = np.array(arrays["thresholds"]), np.array(arrays["patterns"])
        self.coupling_scale_ = float(meta["coupling_scale_"])
        self.n_features_in_, self.n_patterns_ = int(meta["n_features_in_"]), int(meta["n_patterns_"])

    def _states(self, states: ArrayLike) -> np.ndarray:
        check_is_fitted(self, "weights_")
        return _check_spins(states, "states", ndim=(1, 2), n_units=self.n_features_in_)

    def energy(self, states: ArrayLike) -> np.ndarray:
        """Energies ``E(s)`` of states of shape (N,) or (B, N); returns shape () or (B,)."""
        return _energy(self._states(states), self.weights_, self.thresholds_)

    def overlaps(self, states: ArrayLike) -> np.ndarray:
        """Overlaps ``m^μ = (1/N) ξ^μ·s`` with the stored patterns: shape (P,) or (B, P)."""
        return (self._states(states) @ self.patterns_.T) / self.n_features_in_

    def dynamics(self, *, mode: Mode | None = None, order: ArrayLike | None = None) -> HopfieldDynamics:
        """The network's :class:`HopfieldDynamics` (``mode`` defaults to the network's), to run
        chains step by step: ``dyn.sample(dyn.init_state(seed, start=states), n_sweeps)``."""
        check_is_fitted(self, "weights_")
        theta = self.coupling_scale_ * self.thresholds_
        return HopfieldDynamics._checked(self.couplings_, theta, self.mode if mode is None else mode, order)

    def run(
        self,
        states: ArrayLike,
        *,
        mode: Mode | None = None,
        order: ArrayLike | None = None,
        max_sweeps: int | None = None,
        seed: Seed | None = None,
    ) -> HopfieldRun:
        """Run the dynamics from ``states``; see :func:`hopfield_run` for the arguments (those
        not given are the network's ``mode``, ``max_sweeps`` and ``seed``)."""
        s = self._states(states)
        theta = self.coupling_scale_ * self.thresholds_
        return _dynamics(
            s, self.couplings_, theta, self.mode if mode is None else mode, order,
            self.max_sweeps if max_sweeps is None else max_sweeps, self.seed if seed is None else seed,
        )

    def predict(self, X: ArrayLike) -> np.ndarray:
        """The states the dynamics reaches from ``X`` (shape (N,) or (B, N)): retrieval.

        The network's ``mode``, ``max_sweeps`` and ``seed``; :meth:`run` also says whether each
        state converged.
        """
        return self.run(X).states


# --------------------------------------------------------------------------- capacity


@dataclass(frozen=True)
class HopfieldCapacity:
    """Per-trial outcome of :func:`hopfield_capacity_trials` (one network per trial).

    Attributes
    ----------
    n_units, n_patterns : int
        ``N`` and ``P``; ``alpha = P/N``.
    corruption : float
        Fraction of bits flipped in the start state.
    overlaps : ndarray of shape (n_trials,)
        Final overlap ``m = (1/N) ξ^1·s`` with the pattern the dynamics started from.
    initial_overlaps : ndarray of shape (n_trials,)
        Overlap of the start state (``1 − 2 round(corruption·N)/N``).
    converged : ndarray of bool, shape (n_trials,)
        Whether a fixed point was reached within ``max_sweeps``.
    n_sweeps : ndarray of int, shape (n_trials,)
    """

    n_units: int
    n_patterns: int
    corruption: float
    overlaps: np.ndarray
    initial_overlaps: np.ndarray
    converged: np.ndarray
    n_sweeps: np.ndarray

    @property
    def alpha(self) -> float:
        return self.n_patterns / self.n_units


def _trial_generators(seed: Seed, n_trials: int) -> list[np.random.Generator]:
    if isinstance(seed, np.random.Generator):
        return list(seed.spawn(n_trials))
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n_trials)]


def _capacity_batch(
    xi: np.ndarray, s: np.ndarray, rngs: list[np.random.Generator], max_sweeps: int
) -> tuple[np.ndarray, np.ndarray]:
    """Asynchronous dynamics (θ = 0) of B Hebbian networks at once, from the patterns alone.

    ``xi`` (B, N, P) int8 holds each network's patterns, ``s`` (B, N) the states (updated in
    place). ``m = Ξ s`` (B, P) is kept exact, and ``N h_i = ξ_i·m − P s_i`` (integers in float64).
    """
    b, n, p = xi.shape
    m = np.einsum("bnp,bn->bp", xi, s)
    converged = np.zeros(b, dtype=bool)
    n_sweeps = np.zeros(b, dtype=np.int64)
    active = np.arange(b)
    xa, sa, ma = xi, s.copy(), m
    for _ in range(max_sweeps):
        if active.size == 0:
            break
        rows = np.arange(active.size)
        sites = np.stack([rngs[k].permutation(n) for k in active])
        flips = np.zeros(active.size, dtype=np.int64)
        for t in range(n):
            idx = sites[:, t]
            col = xa[rows, idx]  # (A, P) patterns at the visited unit
            si = sa[rows, idx]
            field = np.einsum("ap,ap->a", col, ma) - p * si
            new = np.where(field >= 0.0, 1.0, -1.0)
            changed = np.flatnonzero(new != si)
            if changed.size:
                sa[changed, idx[changed]] = new[changed]
                ma[changed] += (2.0 * new[changed])[:, None] * col[changed]
                flips[changed] += 1
        n_sweeps[active] += 1
        done = flips == 0  # a full permutation without a flip: every unit is stable
        s[active] = sa
        if np.any(done):
            converged[active[done]] = True
            keep = ~done
            active, xa, sa, ma = active[keep], xa[keep], sa[keep], ma[keep]
    return converged, n_sweeps


def hopfield_capacity_trials(
    n_units: int,
    n_patterns: int,
    n_trials: int,
    *,
    corruption: float = 0.0,
    max_sweeps: int = 100,
    seed: Seed = 0,
    batch_size: int | None = None,
) -> HopfieldCapacity:
    """Retrieval overlaps of Hebbian networks at load ``α = P/N``, one fresh network per trial.

    Each trial draws ``P`` independent uniform ±1 patterns of ``N`` units, stores them with
    the Hebb rule (θ = 0), starts from pattern ``ξ^1`` with ``round(corruption·N)`` bits
    flipped, runs asynchronous dynamics (a fresh random permutation per sweep) to a fixed
    point and records the final overlap ``m = (1/N) ξ^1·s``. Below the capacity
    ``α_c ≈ 0.138`` (Amit, Gutfreund, Sompolinsky, PRL 55, 1530 (1985)) ``m`` stays near 1
    (the retrieval state has ``m ≈ 1 − 2Φ(−1/√α)``-level errors); above it retrieval is lost
    and ``m`` drops well below 1. Finite ``N`` smooths the transition.

    Trials are run in batches (vectorised over networks); trial ``k`` uses its own random
    stream spawned from ``seed``, so results do not depend on ``batch_size`` or ``n_trials``.
    The fields are computed from the patterns (``N h = Ξᵀ Ξ s − P s``) in exact integer
    arithmetic; memory is about ``batch_size · N · P`` bytes.

    Parameters
    ----------
    n_units : int
        ``N`` (>= 1).
    n_patterns : int
        ``P`` (>= 1).
    n_trials : int
        Number of independent networks.
    corruption : float in [0, 1]
        Fraction of bits of ``ξ^1`` flipped in the start state.
    max_sweeps : int
        Maximum asynchronous sweeps per trial.
    seed : int or numpy.random.Generator
    batch_size : int, optional
        Networks run at once; by default as many as fit in about 64 MiB of patterns.

    Returns
    -------
    HopfieldCapacity
    """
    n = check_int(n_units, "n_units", low=1)
    p = check_int(n_patterns, "n_patterns", low=1)
    n_trials = check_int(n_trials, "n_trials", low=1)
    corruption = check_real(corruption, "corruption", low=0.0, high=1.0)
    max_sweeps = check_int(max_sweeps, "max_sweeps", low=1)
    seed = check_seed(seed)
    if batch_size is None:
        batch_size = max(1, min(n_trials, _CAPACITY_BATCH_BYTES // (n * p)))
    batch_size = check_int(batch_size, "batch_size", low=1)

    rngs = _trial_generators(seed, n_trials)
    overlaps = np.empty(n_trials)
    initial = np.empty(n_trials)
    converged = np.empty(n_trials, dtype=bool)
    n_sweeps = np.empty(n_trials, dtype=np.int64)
    for start in range(0, n_trials, batch_size):
        stop = min(start + batch_size, n_trials)
        batch = rngs[start:stop]
        xi = np.empty((stop - start, n, p), dtype=np.int8)
        s = np.empty((stop - start, n))
        for k, rng in enumerate(batch):
            xi[k] = 2 * rng.integers(0, 2, size=(n, p), dtype=np.int8) - 1
            s[k] = _corrupt(xi[k, :, 0].astype(np.float64)[None], corruption, rng)[0]
        first = xi[:, :, 0].astype(np.float64)
        initial[start:stop] = np.einsum("bn,bn->b", first, s) / n
        conv, sweeps = _capacity_batch(xi, s, batch, max_sweeps)
        overlaps[start:stop] = np.einsum("bn,bn->b", first, s) / n
        converged[start:stop] = conv
        n_sweeps[start:stop] = sweeps
    return HopfieldCapacity(n, p, corruption, overlaps, initial, converged, n_sweeps)


@dataclass(frozen=True)
class HopfieldCapacitySweep:
    """Outcome of :func:`hopfield_capacity_sweep`: per-trial overlaps for each load.

    Attributes
    ----------
    n_units : int
    alphas : ndarray of shape (A,)
        Realised loads ``P/N`` (the requested ``α`` rounded to an integer ``P``).
    n_patterns : ndarray of int, shape (A,)
    overlaps : ndarray of shape (A, n_trials)
        Final overlaps with the start pattern; average over axis 1 for ``⟨m⟩(α)`` and use
        ``std/√n_trials`` as its error bar.
    converged : ndarray of bool, shape (A, n_trials)
    n_sweeps : ndarray of int, shape (A, n_trials)
    """

    n_units: int
    alphas: np.ndarray
    n_patterns: np.ndarray
    overlaps: np.ndarray
    converged: np.ndarray
    n_sweeps: np.ndarray

    def mean_overlap(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean final overlap per load and its standard error (``std / √n_trials``)."""
        t = self.overlaps.shape[1]
        err = self.overlaps.std(axis=1, ddof=1) / np.sqrt(t) if t > 1 else np.full(len(self.alphas), np.nan)
        return self.overlaps.mean(axis=1), err

    def retrieval_fraction(self, min_overlap: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Fraction of trials that retrieve the pattern, per load, and its standard error.

        A trial retrieves when its final overlap is at least ``min_overlap`` (the retrieval
        state has ``m ≥ 0.967`` up to ``α_c``; the states reached after a failure have far
        smaller overlaps, so any threshold in between counts the same trials at large ``N``).
        The error is the binomial ``sqrt(p (1 − p) / n)`` taken at ``p = (k + 1) / (n + 2)``
        (Laplace's rule of succession for ``k`` retrievals in ``n`` trials), so that it stays
        positive when all or none of the trials retrieve.

        Parameters
        ----------
        min_overlap : float in (-1, 1]

        Returns
        -------
        (fraction, error) : ndarrays of shape (A,)
        """
        min_overlap = check_real(min_overlap, "min_overlap", low=-1.0, high=1.0, low_open=True)
        n = self.overlaps.shape[1]
        k = np.sum(self.overlaps >= min_overlap, axis=1)
        smoothed = (k + 1.0) / (n + 2.0)
        return k / n, np.sqrt(smoothed * (1.0 - smoothed) / n)

    def retrieval_logit(self, min_overlap: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Empirical logit of the retrieval fraction, per load, and its standard error.

        ``ln((k + 1/2) / (n − k + 1/2))`` with variance ``1/(k + 1/2) + 1/(n − k + 1/2)`` for
        ``k`` retrievals in ``n`` trials (Haldane's and Anscombe's correction; Cox, The Analysis of
        Binary Data (1970), sec. 3.2): finite when all or none retrieve, and on a scale where a
        logistic breakdown ``P(retrieve) = 1 / (1 + exp((α − α_50) / w))`` is a straight line
        through 0 at ``α_50``.

        Parameters
        ----------
        min_overlap : float in (-1, 1]
            As in :meth:`retrieval_fraction`.

        Returns
        -------
        (logit, error) : ndarrays of shape (A,)
        """
        min_overlap = check_real(min_overlap, "min_overlap", low=-1.0, high=1.0, low_open=True)
        n = self.overlaps.shape[1]
        k = np.sum(self.overlaps >= min_overlap, axis=1)
        ok, fail = k + 0.5, n - k + 0.5
        return np.log(ok / fail), np.sqrt(1.0 / ok + 1.0 / fail)


def hopfield_capacity_sweep(
    n_units: int,
    alphas: ArrayLike,
    n_trials: int,
    *,
    corruption: float = 0.0,
    max_sweeps: int = 100,
    seed: Seed = 0,
    batch_size: int | None = None,
) -> HopfieldCapacitySweep:
    """Sweep the load ``α = P/N`` at fixed ``N``: :func:`hopfield_capacity_trials` per ``α``.

    ``P = max(1, round(α N))``. The trials at each ``(N, P)`` use a stream derived from
    ``(seed, N, P, corruption)`` (:func:`physml._core.derive_seed`), so a point's result
    does not depend on the rest of the grid; a Generator ``seed`` is first reduced to one
    integer drawn from it.

    Parameters
    ----------
    n_units : int
    alphas : array_like of shape (A,)
        Loads, each > 0.
    n_trials : int
    corruption, max_sweeps, seed, batch_size
        As in :func:`hopfield_capacity_trials`.

    Returns
    -------
    HopfieldCapacitySweep
    """
    n = check_int(n_units, "n_units", low=1)
    a = check_array(alphas, "alphas", ndim=1, min_samples=1)
    if np.any(a <= 0):
        raise ValueError(f"alphas must be positive loads P/N, got {float(a[a <= 0][0])!r}")
    n_trials = check_int(n_trials, "n_trials", low=1)
    seed = check_seed(seed)
    base = int(seed.integers(2**62)) if isinstance(seed, np.random.Generator) else seed
    ps = np.maximum(1, np.floor(a * n + 0.5)).astype(np.int64)
    results = [
        hopfield_capacity_trials(
            n,
            int(p),
            n_trials,
            corruption=corruption,
            max_sweeps=max_sweeps,
            seed=derive_seed(base, "hopfield-capacity", n, int(p), float(corruption)),
            batch_size=batch_size,
        )
        for p in ps
    ]
    return HopfieldCapacitySweep(
        n_units=n,
        alphas=ps / n,
        n_patterns=ps,
        overlaps=np.stack([r.overlaps for r in results]),
        converged=np.stack([r.converged for r in results]),
        n_sweeps=np.stack([r.n_sweeps for r in results]),
    )
