"""General (fully connected) Boltzmann machines: energy, Gibbs sampling, exact and sampled learning.

Conventions (the Boltzmann-machine slides of the Walsh talk, "Machine Learning Beyond Physics from a
Physicist's Perspective", which follow
Ackley, Hinton, Sejnowski, Cognitive Science 9, 147 (1985)):

* units are **on/off**, ``s_i ∈ {0, 1}``; the first ``n_visible`` units are visible, the rest
  hidden; couplings ``W`` are symmetric with zero diagonal, biases ``b``;
* energy ``E(s) = −1/2 sᵀ W s − bᵀ s = −Σ_{i<j} W_ij s_i s_j − Σ_i b_i s_i``;
* Boltzmann distribution ``P_β(s) = exp(−β E(s)) / Z_β`` (the talk's Ising slide);
* heat-bath update of unit ``i``: with ``ΔE_i = E(i on) − E(i off) = −(Σ_j W_ij s_j + b_i)``,
  ``p(i on) = σ(−β ΔE_i) = 1 / (1 + exp(−β (Σ_j W_ij s_j + b_i)))``. (The talk's slide writes the
  middle expression as ``1/(1 + exp(−βΔE_i))`` and ``βΔE_i = ln p_on − ln p_off``, which flips the
  sign of its own ``ΔE_i``; the form used here, ``σ(−βΔE_i)``, is the one consistent with
  ``P_β ∝ exp(−βE)``, i.e. Hinton and Sejnowski's energy gap ``E(off) − E(on)``.)
* learning: ``∂ ⟨ln p(v)⟩_data / ∂W_ij = β (⟨s_i s_j⟩_data − ⟨s_i s_j⟩_model)`` (the talk's
  "probability of i and j being on", with β = 1 there), and ``∂/∂b_i = β (⟨s_i⟩_data − ⟨s_i⟩_model)``.
  The data term has the visibles clamped to the data and the hiddens in equilibrium.

Exact results enumerate all ``2^n`` states (``n ≤ BM_EXACT_MAX_UNITS``); enumerated states are
ordered with unit 0 as the most significant bit: index ``k`` has ``s_i = (k >> (n−1−i)) & 1``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, logsumexp
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
)

__all__ = [
    "BM_EXACT_MAX_UNITS",
    "BoltzmannChains",
    "BoltzmannMachine",
    "BoltzmannSampler",
    "bm_energy",
    "bm_exact_distribution",
    "bm_exact_gradient",
    "bm_exact_log_likelihood",
    "bm_exact_log_marginal",
    "bm_exact_log_partition",
    "bm_exact_moments",
    "bm_gibbs_sample",
]

Seed = int | np.random.Generator

BM_EXACT_MAX_UNITS = 20
"""Largest number of units (visible + hidden) for which exact enumeration is allowed."""

_CHUNK = 2**15  # states per enumeration chunk


# --------------------------------------------------------------------------- validation


def _check_beta(beta: Any) -> float:
    return check_real(beta, "beta", low=0.0, low_open=True)


def _check_params(weights: Any, biases: Any) -> tuple[np.ndarray, np.ndarray]:
    w = check_array(weights, "weights", ndim=2)
    n = w.shape[0]
    if w.shape != (n, n) or n == 0:
        raise ValueError(f"weights must be a non-empty square (n, n) matrix, got shape {w.shape}")
    scale = max(float(np.max(np.abs(w))), 1.0)
    if not np.allclose(w, w.T, rtol=0.0, atol=1e-12 * scale):
        i, j = np.unravel_index(int(np.argmax(np.abs(w - w.T))), w.shape)
        raise ValueError(
            f"weights must be symmetric (W_ij = W_ji), got W[{i},{j}]={w[i, j]!r} != W[{j},{i}]={w[j, i]!r}"
        )
    if np.any(np.diag(w) != 0):
        i = int(np.argmax(np.diag(w) != 0))
        raise ValueError(f"weights must have a zero diagonal (no self-couplings), got W[{i},{i}]={w[i, i]!r}")
    b = check_array(biases, "biases", ndim=1)
    if b.shape != (n,):
        raise ValueError(f"biases must have shape ({n},) to match weights {w.shape}, got shape {b.shape}")
    return 0.5 * (w + w.T), b


def _check_binary(
    x: Any, name: str, *, ndim: int | tuple[int, ...], n_units: int | None = None, what: str = "units"
) -> np.ndarray:
    arr = check_array(x, name, ndim=ndim)
    if n_units is not None and arr.shape[-1] != n_units:
        raise ValueError(f"{name} must have {n_units} {what} along its last axis, got shape {arr.shape}")
    bad = (arr != 0.0) & (arr != 1.0)
    if np.any(bad):
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must contain only 0 and 1 (Boltzmann-machine units are on/off), "
            f"got {arr[first]!r} at index {first}; map ±1 spins with (x + 1) / 2"
        )
    return arr


def _check_exact_size(n: int) -> None:
    if n > BM_EXACT_MAX_UNITS:
        raise ValueError(
            f"exact enumeration is limited to BM_EXACT_MAX_UNITS={BM_EXACT_MAX_UNITS} units (2^n states), "
            f"got {n} units; use sampling instead"
        )


# --------------------------------------------------------------------------- energy, enumeration


def _energy(s: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    return -0.5 * np.sum((s @ w) * s, axis=-1) - s @ b


def bm_energy(states: ArrayLike, weights: ArrayLike, biases: ArrayLike) -> np.ndarray:
    """Energy ``E(s) = −1/2 sᵀ W s − bᵀ s`` of 0/1 states.

    Parameters
    ----------
    states : array_like of shape (..., n)
        Units in {0, 1}.
    weights : array_like of shape (n, n)
        Symmetric, zero diagonal.
    biases : array_like of shape (n,)

    Returns
    -------
    ndarray of shape (...)
    """
    w, b = _check_params(weights, biases)
    s = _check_binary(states, "states", ndim=(1, 2, 3), n_units=w.shape[0])
    return _energy(s, w, b)


def _states(n: int, start: int = 0, stop: int | None = None) -> np.ndarray:
    """Enumerated states ``start..stop-1`` (unit 0 most significant), float64 of shape (k, n)."""
    stop = 2**n if stop is None else stop
    k = np.arange(start, stop, dtype=np.int64)
    return ((k[:, None] >> np.arange(n - 1, -1, -1, dtype=np.int64)) & 1).astype(np.float64)


def _chunks(n: int):
    total = 2**n
    for start in range(0, total, _CHUNK):
        yield _states(n, start, min(start + _CHUNK, total))


def _log_z(w: np.ndarray, b: np.ndarray, beta: float) -> float:
    parts = [logsumexp(-beta * _energy(s, w, b)) for s in _chunks(w.shape[0])]
    return float(logsumexp(parts))


def _moments(w: np.ndarray, b: np.ndarray, beta: float) -> tuple[np.ndarray, np.ndarray, float]:
    n = w.shape[0]
    log_z = _log_z(w, b, beta)
    mean = np.zeros(n)
    second = np.zeros((n, n))
    for s in _chunks(n):
        p = np.exp(-beta * _energy(s, w, b) - log_z)
        mean += p @ s
        second += s.T @ (p[:, None] * s)
    return mean, second, log_z


def bm_exact_log_partition(weights: ArrayLike, biases: ArrayLike, beta: float = 1.0) -> float:
    """``ln Z_β = ln Σ_s exp(−β E(s))`` by enumeration of all ``2^n`` states (``n ≤ 20``)."""
    w, b = _check_params(weights, biases)
    beta = _check_beta(beta)
    _check_exact_size(w.shape[0])
    return _log_z(w, b, beta)


def bm_exact_distribution(
    weights: ArrayLike, biases: ArrayLike, beta: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """All states and their Boltzmann probabilities ``exp(−βE)/Z`` (``n ≤ 20``).

    Returns
    -------
    states : ndarray of shape (2^n, n)
        Row ``k`` has ``s_i = (k >> (n−1−i)) & 1``.
    probabilities : ndarray of shape (2^n,)
    """
    w, b = _check_params(weights, biases)
    beta = _check_beta(beta)
    _check_exact_size(w.shape[0])
    s = _states(w.shape[0])
    log_p = -beta * _energy(s, w, b)
    return s, np.exp(log_p - logsumexp(log_p))


def bm_exact_moments(
    weights: ArrayLike, biases: ArrayLike, beta: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Exact model moments ``⟨s_i⟩`` (n,) and ``⟨s_i s_j⟩`` (n, n) by enumeration (``n ≤ 20``).

    The diagonal of the second moment equals the mean (``s_i² = s_i``).
    """
    w, b = _check_params(weights, biases)
    beta = _check_beta(beta)
    _check_exact_size(w.shape[0])
    mean, second, _ = _moments(w, b, beta)
    return mean, second


def _visible_terms(
    v: np.ndarray, w: np.ndarray, b: np.ndarray, beta: float, want_moments: bool
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """For each visible row: ``ln Σ_h exp(−β E(v, h))`` and the clamped moments over ``p(h|v)``.

    Returns the per-row log-sums (m,), and if asked the per-row ``⟨h⟩`` (m, n_h) and
    ``⟨h hᵀ⟩`` (m, n_h, n_h).
    """
    m, nv = v.shape
    nh = w.shape[0] - nv
    vis = 0.5 * np.sum((v @ w[:nv, :nv]) * v, axis=1) + v @ b[:nv]
    if nh == 0:
        return beta * vis, None, None
    hs = _states(nh)
    quad = 0.5 * np.sum((hs @ w[nv:, nv:]) * hs, axis=1) + hs @ b[nv:]  # (2^nh,)
    field = v @ w[:nv, nv:]  # (m, nh)
    log_sum = np.empty(m)
    mean_h = np.empty((m, nh)) if want_moments else None
    second_h = np.empty((m, nh, nh)) if want_moments else None
    rows = max(1, 2**22 // 2**nh)
    for start in range(0, m, rows):
        sl = slice(start, min(start + rows, m))
        logits = beta * (field[sl] @ hs.T + quad)  # (r, 2^nh)
        lse = logsumexp(logits, axis=1)
        log_sum[sl] = beta * vis[sl] + lse
        if want_moments:
            p = np.exp(logits - lse[:, None])
            mean_h[sl] = p @ hs
            second_h[sl] = np.einsum("rk,ki,kj->rij", p, hs, hs)
    return log_sum, mean_h, second_h


def _data_moments(
    v: np.ndarray, counts: np.ndarray, w: np.ndarray, b: np.ndarray, beta: float
) -> tuple[np.ndarray, np.ndarray, float]:
    """Clamped (data) moments of all units and the mean ``ln Σ_h exp(−βE(v,h))`` over the data."""
    nv = v.shape[1]
    n = w.shape[0]
    weight = counts / counts.sum()
    log_sum, mean_h, second_h = _visible_terms(v, w, b, beta, want_moments=True)
    mean = np.zeros(n)
    second = np.zeros((n, n))
    mean[:nv] = weight @ v
    second[:nv, :nv] = v.T @ (weight[:, None] * v)
    if n > nv:
        mean[nv:] = weight @ mean_h
        vh = v.T @ (weight[:, None] * mean_h)
        second[:nv, nv:] = vh
        second[nv:, :nv] = vh.T
        second[nv:, nv:] = np.einsum("r,rij->ij", weight, second_h)
    return mean, second, float(weight @ log_sum)


def _unique_rows(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, counts = np.unique(v, axis=0, return_counts=True)
    return rows, counts.astype(np.float64)


def _check_visible(visible: Any, n_units: int) -> np.ndarray:
    v = _check_binary(visible, "visible", ndim=2, what="visible units")
    if v.shape[0] < 1:
        raise ValueError("visible needs at least one sample (row), got 0")
    if v.shape[1] > n_units:
        raise ValueError(
            f"visible has {v.shape[1]} units per row but the machine has only {n_units} units in all"
        )
    return v


def bm_exact_log_marginal(
    visible: ArrayLike, weights: ArrayLike, biases: ArrayLike, beta: float = 1.0
) -> np.ndarray:
    """Exact ``ln p(v) = ln Σ_h exp(−β E(v, h)) − ln Z_β`` for each row of ``visible``.

    Parameters
    ----------
    visible : array_like of shape (m, n_visible)
        0/1 rows; the first ``n_visible`` units are visible, the remaining ``n − n_visible``
        hidden and summed over.
    weights : array_like of shape (n, n)
    biases : array_like of shape (n,)
    beta : float > 0

    Returns
    -------
    ndarray of shape (m,)
        Log-probabilities in nats.
    """
    w, b = _check_params(weights, biases)
    beta = _check_beta(beta)
    _check_exact_size(w.shape[0])
    v = _check_visible(visible, w.shape[0])
    log_sum, _, _ = _visible_terms(v, w, b, beta, want_moments=False)
    return log_sum - _log_z(w, b, beta)


def bm_exact_log_likelihood(
    visible: ArrayLike, weights: ArrayLike, biases: ArrayLike, beta: float = 1.0
) -> float:
    """Mean exact log-likelihood ``(1/m) Σ_k ln p(v_k)`` in nats per sample."""
    return float(np.mean(bm_exact_log_marginal(visible, weights, biases, beta)))


def _exact_gradient(
    v_unique: np.ndarray, counts: np.ndarray, w: np.ndarray, b: np.ndarray, beta: float
) -> tuple[np.ndarray, np.ndarray, float]:
    d_mean, d_second, mean_log_sum = _data_moments(v_unique, counts, w, b, beta)
    m_mean, m_second, log_z = _moments(w, b, beta)
    grad_w = beta * (d_second - m_second)
    np.fill_diagonal(grad_w, 0.0)
    grad_b = beta * (d_mean - m_mean)
    return grad_w, grad_b, mean_log_sum - log_z


def bm_exact_gradient(
    visible: ArrayLike, weights: ArrayLike, biases: ArrayLike, beta: float = 1.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """Exact gradient of the mean log-likelihood by enumeration (``n ≤ 20``).

    ``∂ℓ/∂W_ij = β (⟨s_i s_j⟩_data − ⟨s_i s_j⟩_model)`` and ``∂ℓ/∂b_i = β (⟨s_i⟩_data − ⟨s_i⟩_model)``
    (Ackley, Hinton, Sejnowski 1985; the Walsh talk's training slide), the data average taken
    with the visibles clamped to each row and the hiddens summed over ``p(h | v)``. ``W_ij`` and
    ``W_ji`` are one parameter; ``grad_W`` is its derivative, placed at both positions.

    Returns
    -------
    grad_weights : ndarray of shape (n, n)
        Symmetric, zero diagonal.
    grad_biases : ndarray of shape (n,)
    log_likelihood : float
        The mean log-likelihood at the given parameters (nats per sample).
    """
    w, b = _check_params(weights, biases)
    beta = _check_beta(beta)
    _check_exact_size(w.shape[0])
    v = _check_visible(visible, w.shape[0])
    rows, counts = _unique_rows(v)
    return _exact_gradient(rows, counts, w, b, beta)


# --------------------------------------------------------------------------- Gibbs sampling


def _gibbs(
    s: np.ndarray,
    w: np.ndarray,
    b: np.ndarray,
    beta: float,
    n_sweeps: int,
    free: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Systematic-scan heat-bath sweeps over the units in ``free``, all chains at once, in place."""
    c = s.shape[0]
    for _ in range(n_sweeps):
        u = rng.random((c, free.size))
        for k, i in enumerate(free):
            p_on = expit(beta * (s @ w[i] + b[i]))  # W symmetric: row i = column i
            s[:, i] = u[:, k] < p_on
    return s


def _clamp_mask(clamp: Any, n: int) -> np.ndarray:
    if clamp is None:
        return np.zeros(n, dtype=bool)
    mask = np.asarray(clamp)
    if mask.dtype != bool or mask.shape != (n,):
        raise ValueError(
            f"clamp must be None or a boolean mask of shape ({n},) (True = unit held fixed), "
            f"got {mask.dtype} array of shape {mask.shape}"
        )
    return mask


@dataclass
class BoltzmannChains:
    """Chains of a :class:`BoltzmannSampler`, advanced in place by its ``sample``.

    Attributes
    ----------
    states : ndarray of shape (n_chains, n)
        The units of every chain (float64, entries 0/1).
    rng : numpy.random.Generator
        The chains' random stream.
    sweeps : int
        Sweeps done so far.
    """

    states: np.ndarray
    rng: np.random.Generator
    sweeps: int = 0


class BoltzmannSampler:
    """Heat-bath Gibbs sampler of a Boltzmann machine, many chains at once.

    Each sweep visits the unclamped units in the order ``0, 1, ..., n−1`` and sets unit ``i``
    on with probability ``σ(−β ΔE_i) = σ(β (Σ_j W_ij s_j + b_i))`` (Walsh talk, Boltzmann-machine
    slide; Geman & Geman 1984). The Boltzmann distribution ``exp(−βE)/Z`` (or, with units
    clamped, the conditional distribution of the free units) is stationary. The sampler holds
    the machine and its settings; the chains and their random stream live in the
    :class:`BoltzmannChains` state from :meth:`init_state`.

    Parameters
    ----------
    weights : array_like of shape (n, n)
        Symmetric, zero diagonal.
    biases : array_like of shape (n,)
    beta : float > 0
        Inverse temperature.
    clamp : array_like of bool, shape (n,), optional
        Units held at their initial values (e.g. the visibles, for the data term of learning).
    n_chains : int
        Chains of a random start (a given start array sets its own number).
    """

    def __init__(self, weights: ArrayLike, biases: ArrayLike, *, beta: float = 1.0,
                 clamp: ArrayLike | None = None, n_chains: int = 1) -> None:
        self.weights, self.biases = _check_params(weights, biases)
        self.beta = _check_beta(beta)
        self.clamp = _clamp_mask(clamp, self.weights.shape[0])
        self.n_chains = check_int(n_chains, "n_chains", low=1)

    @property
    def n_units(self) -> int:
        return int(self.weights.shape[0])

    def __repr__(self) -> str:
        return f"BoltzmannSampler(n_units={self.n_units}, beta={self.beta:g}, n_chains={self.n_chains})"

    def init_state(self, seed: Seed = 0, *, start: Any = "random") -> BoltzmannChains:
        """Fresh chains.

        Parameters
        ----------
        seed : int or numpy.random.Generator
            The chains' random stream (a Generator is used as it is, shared).
        start : "random" or array_like of shape (n,) or (n_chains, n)
            Uniformly random 0/1 units for ``n_chains`` chains, or given 0/1 states (copied;
            a single state is one chain).
        """
        rng = as_generator(seed)
        if isinstance(start, str):
            check_choice(start, "start", ("random",))
            states = rng.integers(0, 2, size=(self.n_chains, self.n_units)).astype(np.float64)
        else:
            states = np.atleast_2d(_check_binary(start, "start", ndim=(1, 2), n_units=self.n_units)).copy()
        return BoltzmannChains(states, rng)

    def sample(self, state: BoltzmannChains, n_steps: int = 1) -> BoltzmannChains:
        """Advance every chain by ``n_steps`` sweeps (``n_steps · n_free`` single-site updates
        per chain), in place; returns ``state``."""
        if not isinstance(state, BoltzmannChains):
            raise TypeError(f"state must be the BoltzmannChains of init_state, got {type(state).__name__}")
        if state.states.ndim != 2 or state.states.shape[1] != self.n_units:
            raise ValueError(f"state has units of shape {state.states.shape}; this sampler needs "
                             f"(n_chains, {self.n_units})")
        n_steps = check_int(n_steps, "n_steps", low=0)
        _gibbs(state.states, self.weights, self.biases, self.beta, n_steps, np.flatnonzero(~self.clamp),
               state.rng)
        state.sweeps += n_steps
        return state


def bm_gibbs_sample(
    states: ArrayLike,
    weights: ArrayLike,
    biases: ArrayLike,
    *,
    beta: float = 1.0,
    n_sweeps: int = 1,
    clamp: ArrayLike | None = None,
    seed: Seed = 0,
) -> np.ndarray:
    """Gibbs sampling by sequential single-site heat-bath updates, many chains at once.

    One call of :class:`BoltzmannSampler`: ``init_state(seed, start=states)`` then
    ``sample(state, n_sweeps)``.

    Parameters
    ----------
    states : array_like of shape (n_chains, n) or (n,)
        Initial 0/1 states, one row per chain.
    weights : array_like of shape (n, n)
        Symmetric, zero diagonal.
    biases : array_like of shape (n,)
    beta : float > 0
        Inverse temperature.
    n_sweeps : int
        Number of sweeps (``n_sweeps · n_free`` single-site updates per chain).
    clamp : array_like of bool, shape (n,), optional
        Units held at their initial values (e.g. the visibles, for the data term of learning).
    seed : int or numpy.random.Generator

    Returns
    -------
    ndarray of the shape of ``states`` (float64, entries 0/1)
    """
    sampler = BoltzmannSampler(weights, biases, beta=beta, clamp=clamp)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
    shape = _check_binary(states, "states", ndim=(1, 2), n_units=sampler.n_units).shape
    state = sampler.sample(sampler.init_state(seed, start=states), n_sweeps)
    return state.states.reshape(shape)


# --------------------------------------------------------------------------- estimator


class BoltzmannMachine(ModelMixin, BaseEstimator):
    """Fully connected Boltzmann machine with visible and hidden 0/1 units.

    A physml model (docs/architecture.md, "One model contract"): parameters checked in ``fit``
    against ``_parameter_constraints``, ``save``/``load`` through the one model-file format,
    and :meth:`from_parameters` for couplings and biases given from elsewhere.

    Energy ``E(s) = −1/2 sᵀ W s − bᵀ s`` over ``s = (v, h)`` (visible units first), Boltzmann
    distribution ``exp(−βE)/Z``, heat-bath Gibbs updates ``p(i on) = σ(−βΔE_i)`` — the
    conventions of the Walsh talk's Boltzmann-machine slides (see the module docstring).
    Learning is gradient ascent on the mean log-likelihood,
    ``ΔW_ij = η β (⟨s_i s_j⟩_data − ⟨s_i s_j⟩_model)``, ``Δb_i = η β (⟨s_i⟩_data − ⟨s_i⟩_model)``
    (Ackley, Hinton, Sejnowski, Cognitive Science 9, 147 (1985)):

    * ``method="exact"`` (``n_visible + n_hidden ≤ 20``): both averages by enumeration, so
      learning is exact full-batch gradient ascent. The mean log-likelihood has an
      ``L``-Lipschitz gradient with ``L ≤ β² k/4`` (``k`` = number of parameters, each sufficient
      statistic in [0, 1]), so it increases monotonically for ``learning_rate < 2/L``.
    * ``method="sampled"``: the data average with the visibles clamped to the data and the
      hiddens sampled by ``n_sweeps`` Gibbs sweeps from persistent per-sample hidden states;
      the model average from ``n_chains`` persistent free-running chains advanced ``n_sweeps``
      sweeps per update (persistent chains: Younes 1989; Tieleman, ICML 2008). With
      ``average=True`` the returned parameters are the Polyak-Ruppert average of the iterates
      over the second half of the updates (Polyak & Juditsky 1992), which removes most of the
      stochastic-approximation noise.

    Without hidden units the maximum-likelihood condition is moment matching:
    ``⟨s_i⟩_model = ⟨s_i⟩_data`` and ``⟨s_i s_j⟩_model = ⟨s_i s_j⟩_data``.

    Parameters
    ----------
    n_hidden : int
        Number of hidden units.
    beta : float > 0
        Inverse temperature of the model distribution.
    method : {"exact", "sampled"}
    learning_rate : float > 0
        ``η``.
    n_iter : int
        Number of gradient updates.
    n_chains : int
        Persistent model chains (sampled method).
    n_sweeps : int
        Gibbs sweeps per update for the model chains and for the clamped hiddens (sampled method).
    batch_size : int, optional
        Data rows per update; all rows by default. Batches cycle through a fresh permutation
        per epoch.
    average : bool
        Polyak-Ruppert averaging of the iterates over the second half (sampled method).
    init_scale : float >= 0
        Standard deviation of the initial couplings (biases start at zero).
    tol : float >= 0
        Exact method: stop when the largest gradient component is below ``tol``.
    seed : int or numpy.random.Generator
        Seeds the initial couplings, the chains and the batches.

    Attributes
    ----------
    weights_ : ndarray of shape (n, n)
        Couplings ``W`` (symmetric, zero diagonal), ``n = n_visible + n_hidden``.
    biases_ : ndarray of shape (n,)
    n_features_in_ : int
        ``n_visible``.
    n_iter_ : int
        Updates performed.
    log_likelihood_history_ : ndarray of shape (n_iter_ + 1,)
        Exact method only: the exact mean log-likelihood (nats per sample) before each update
        and after the last one.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_hidden": [Interval(int, 0, None)],
        "beta": [Interval(float, 0, None, closed="neither")],
        "method": [Options("exact", "sampled")],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "n_iter": [Interval(int, 0, None)],
        "n_chains": [Interval(int, 1, None)],
        "n_sweeps": [Interval(int, 1, None)],
        "batch_size": [None, Interval(int, 1, None)],
        "average": ["boolean"],
        "init_scale": [Interval(float, 0, None)],
        "tol": [Interval(float, 0, None)],
        "seed": ["seed"],
    }
    _data_kind: ClassVar[str] = "binary"

    def __init__(
        self,
        n_hidden: int = 0,
        *,
        beta: float = 1.0,
        method: Literal["exact", "sampled"] = "exact",
        learning_rate: float = 0.1,
        n_iter: int = 200,
        n_chains: int = 100,
        n_sweeps: int = 1,
        batch_size: int | None = None,
        average: bool = True,
        init_scale: float = 0.01,
        tol: float = 0.0,
        seed: Seed = 0,
    ) -> None:
        self.n_hidden = n_hidden
        self.beta = beta
        self.method = method
        self.learning_rate = learning_rate
        self.n_iter = n_iter
        self.n_chains = n_chains
        self.n_sweeps = n_sweeps
        self.batch_size = batch_size
        self.average = average
        self.init_scale = init_scale
        self.tol = tol
        self.seed = seed

    # -- fitting

    def fit(self, X: ArrayLike, y: None = None) -> BoltzmannMachine:
        """Learn ``W`` and ``b`` from 0/1 data ``X`` of shape (n_samples, n_visible)."""
        self._validate_params()
        n_hidden, beta, method = int(self.n_hidden), float(self.beta), self.method
        lr, n_iter = float(self.learning_rate), int(self.n_iter)
        init_scale, tol = float(self.init_scale), float(self.tol)
        rng = as_generator(self.seed)
        x = _check_binary(X, "X", ndim=2, what="visible units")
        if x.shape[0] < 1 or x.shape[1] < 1:
            raise ValueError(f"X needs at least one sample and one visible unit, got shape {x.shape}")
        nv = x.shape[1]
        n = nv + n_hidden
        if method == "exact":
            _check_exact_size(n)

        w = np.triu(rng.normal(0.0, init_scale, size=(n, n)), 1)
        w = w + w.T
        b = np.zeros(n)
        if method == "exact":
            w, b, history, done = self._fit_exact(x, w, b, beta, lr, n_iter, tol)
            self.log_likelihood_history_ = history
        else:
            w, b, done = self._fit_sampled(x, w, b, beta, lr, n_iter, n_hidden, rng)
        self.weights_ = w
        self.biases_ = b
        self.n_features_in_ = nv
        self.n_iter_ = done
        return self

    @staticmethod
    def _fit_exact(x, w, b, beta, lr, n_iter, tol):
        rows, counts = _unique_rows(x)
        history = []
        done = 0
        for _ in range(n_iter):
            gw, gb, ll = _exact_gradient(rows, counts, w, b, beta)
            history.append(ll)
            if max(np.max(np.abs(gw)), np.max(np.abs(gb))) < tol:
                break
            w = w + lr * gw
            b = b + lr * gb
            done += 1
        else:
            history.append(_exact_gradient(rows, counts, w, b, beta)[2])
        return w, b, np.asarray(history), done

    def _fit_sampled(self, x, w, b, beta, lr, n_iter, n_hidden, rng):
        n_chains, n_sweeps = int(self.n_chains), int(self.n_sweeps)
        m, nv = x.shape
        batch = m if self.batch_size is None else check_int(self.batch_size, "batch_size", low=1, high=m)
        n = nv + n_hidden
        chains = rng.integers(0, 2, size=(n_chains, n)).astype(np.float64)
        data = np.concatenate([x, rng.integers(0, 2, size=(m, n_hidden)).astype(np.float64)], axis=1)
        all_units = np.arange(n)
        hidden = np.arange(nv, n)
        start_avg = n_iter // 2
        sum_w = np.zeros_like(w)
        sum_b = np.zeros_like(b)
        n_avg = 0
        perm = np.arange(m)
        pos = m
        for it in range(n_iter):
            if batch == m:
                idx = perm
            else:
                if pos + batch > m:
                    perm = rng.permutation(m)
                    pos = 0
                idx = perm[pos : pos + batch]
                pos += batch
            clamped = data[idx]
            if n_hidden:
                _gibbs(clamped, w, b, beta, n_sweeps, hidden, rng)
                data[idx] = clamped
            _gibbs(chains, w, b, beta, n_sweeps, all_units, rng)
            d_second = clamped.T @ clamped / len(idx)
            m_second = chains.T @ chains / n_chains
            gw = beta * (d_second - m_second)
            np.fill_diagonal(gw, 0.0)
            gb = beta * (clamped.mean(axis=0) - chains.mean(axis=0))
            w = w + lr * gw
            b = b + lr * gb
            if self.average and it >= start_avg:
                sum_w += w
                sum_b += b
                n_avg += 1
        if n_avg:
            w, b = sum_w / n_avg, sum_b / n_avg
        return w, b, n_iter

    @classmethod
    def from_parameters(
        cls, weights: ArrayLike, biases: ArrayLike, *, n_visible: int | None = None, **params: Any
    ) -> BoltzmannMachine:
        """A machine with given couplings and biases, ready for everything a fitted one does
        (``score_samples``, ``sample``, ``energy``, ``log_partition``, ``save``/``load``).

        Parameters
        ----------
        weights : array_like of shape (n, n)
            Couplings ``W``: symmetric, zero diagonal.
        biases : array_like of shape (n,)
        n_visible : int, optional
            The first ``n_visible`` units are visible, the rest hidden (``n_hidden`` is set to
            ``n − n_visible``); all units are visible by default.
        **params
            Other constructor arguments (``beta``, ``seed``, ...).

        Returns
        -------
        BoltzmannMachine
            Fitted, with ``n_iter_ = 0``.
        """
        w, b = _check_params(weights, biases)
        n = w.shape[0]
        nv = n if n_visible is None else check_int(n_visible, "n_visible", low=1, high=n)
        est = cls(n - nv, **params)
        est._validate_params()
        est.weights_, est.biases_, est.n_features_in_, est.n_iter_ = w, b, nv, 0
        return est

    # -- files

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        arrays = {"weights": self.weights_, "biases": self.biases_}
        if hasattr(self, "log_likelihood_history_"):
            arrays["log_likelihood_history"] = self.log_likelihood_history_
        return {"n_features_in_": int(self.n_features_in_), "n_iter_": int(self.n_iter_)}, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.weights_, self.biases_ = np.array(arrays["weights"]), np.array(arrays["biases"])
        if "log_likelihood_history" in arrays:
            self.log_likelihood_history_ = np.array(arrays["log_likelihood_history"])
        self.n_features_in_, self.n_iter_ = int(meta["n_features_in_"]), int(meta["n_iter_"])

    # -- using a fitted machine

    def _n_units(self) -> int:
        check_is_fitted(self, "weights_")
        return self.weights_.shape[0]

    def energy(self, states: ArrayLike) -> np.ndarray:
        """Energies of full 0/1 states of shape (..., n_visible + n_hidden)."""
        n = self._n_units()
        s = _check_binary(states, "states", ndim=(1, 2, 3), n_units=n)
        return _energy(s, self.weights_, self.biases_)

    def sample(
        self,
        n_samples: int,
        *,
        n_sweeps: int = 200,
        seed: Seed = 0,
        return_hidden: bool = False,
    ) -> np.ndarray:
        """Independent samples from ``n_samples`` chains started uniformly at random.

        Each chain runs ``n_sweeps`` free Gibbs sweeps at the model's ``beta``; returns the
        visible units (n_samples, n_visible), or all units if ``return_hidden``.
        """
        n = self._n_units()
        n_samples = check_int(n_samples, "n_samples", low=1)
        n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
        # the chains of self.sampler(n_chains=n_samples).init_state(seed), run on the fitted
        # couplings as they are (the sampler would first symmetrise them to the last bit)
        rng = as_generator(seed)
        s = rng.integers(0, 2, size=(n_samples, n)).astype(np.float64)
        _gibbs(s, self.weights_, self.biases_, _check_beta(self.beta), n_sweeps, np.arange(n), rng)
        return s if return_hidden else s[:, : self.n_features_in_]

    def sampler(self, *, clamp: ArrayLike | None = None, n_chains: int = 1) -> BoltzmannSampler:
        """The :class:`BoltzmannSampler` of the fitted machine at its ``beta``."""
        self._n_units()
        return BoltzmannSampler(self.weights_, self.biases_, beta=self.beta, clamp=clamp, n_chains=n_chains)

    def log_partition(self) -> float:
        """Exact ``ln Z_β`` (enumeration; ``n ≤ 20``)."""
        self._n_units()
        return bm_exact_log_partition(self.weights_, self.biases_, self.beta)

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Exact ``ln p(v)`` per row of ``X`` (n_samples, n_visible), in nats."""
        self._n_units()
        x = _check_binary(X, "X", ndim=2, n_units=self.n_features_in_, what="visible units")
        return bm_exact_log_marginal(x, self.weights_, self.biases_, self.beta)
