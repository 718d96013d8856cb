"""General (fully connected) Boltzmann machines: energy, Gibbs sampling, exact and sampled learning.

Conventions (the Boltzmann-machine slides of the Walsh talk, ``seeds/001``, which follow
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

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit, logsumexp
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml._core import as_generator, check_array, check_choice, check_int, check_real, check_seed

__all__ = [
    "BM_EXACT_MAX_UNITS",
    "BoltzmannMachine",
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

    Each sweep visits the unclamped units in the order ``0, 1, ..., n−1`` and sets unit ``i`` on
    with probability ``σ(−β ΔE_i) = σ(β (Σ_j W_ij s_j + b_i))`` (Walsh talk, Boltzmann-machine
    slide; Geman & Geman 1984). The Boltzmann distribution ``exp(−βE)/Z`` (or, with units
    clamped, the conditional distribution of the free units) is stationary.

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
    w, b = _check_params(weights, biases)
    beta = _check_beta(beta)
    n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
    s = _check_binary(states, "states", ndim=(1, 2), n_units=w.shape[0])
    free = np.flatnonzero(~_clamp_mask(clamp, w.shape[0]))
    rng = as_generator(seed)
    out = np.atleast_2d(s).copy()
    _gibbs(out, w, b, beta, n_sweeps, free, rng)
    return out.reshape(s.shape)


# --------------------------------------------------------------------------- estimator


class BoltzmannMachine(BaseEstimator):
    """Fully connected Boltzmann machine with visible and hidden 0/1 units.

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
        n_hidden = check_int(self.n_hidden, "n_hidden", low=0)
        beta = _check_beta(self.beta)
        method = check_choice(self.method, "method", ("exact", "sampled"))
        lr = check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        n_iter = check_int(self.n_iter, "n_iter", low=0)
        init_scale = check_real(self.init_scale, "init_scale", low=0.0)
        tol = check_real(self.tol, "tol", low=0.0)
        rng = as_generator(check_seed(self.seed))
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
        n_chains = check_int(self.n_chains, "n_chains", low=1)
        n_sweeps = check_int(self.n_sweeps, "n_sweeps", low=1)
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
        rng = as_generator(seed)
        s = rng.integers(0, 2, size=(n_samples, n)).astype(np.float64)
        _gibbs(s, self.weights_, self.biases_, _check_beta(self.beta), n_sweeps, np.arange(n), rng)
        return s if return_hidden else s[:, : self.n_features_in_]

    def log_partition(self) -> float:
        """Exact ``ln Z_β`` (enumeration; ``n ≤ 20``)."""
        self._n_units()
        return bm_exact_log_partition(self.weights_, self.biases_, self.beta)

    def score_samples(self, X: ArrayLike) -> np.ndarray:
        """Exact ``ln p(v)`` per row of ``X`` (n_samples, n_visible), in nats."""
        self._n_units()
        x = _check_binary(X, "X", ndim=2, n_units=self.n_features_in_, what="visible units")
        return bm_exact_log_marginal(x, self.weights_, self.biases_, self.beta)

    def score(self, X: ArrayLike, y: None = None) -> float:
        """Exact mean log-likelihood of ``X`` in nats per sample."""
        return float(np.mean(self.score_samples(X)))
