"""Partition functions and likelihoods of RBMs: exact enumeration over the smaller layer,
annealed importance sampling, and the per-sample scores built on them.

* :func:`exact_log_partition` sums exp(−F) over every state of one layer (the other layer
  summed or integrated out analytically), in log space and in chunks.
* :func:`ais_log_partition` is the annealed importance sampling estimator of Salakhutdinov &
  Murray, "On the quantitative analysis of deep belief networks", ICML 2008 (after Neal,
  "Annealed importance sampling", Statistics and Computing 11, 125 (2001)), from a base-rate
  RBM with no hidden couplings.
* :func:`log_likelihood`, :func:`pseudo_likelihood` (deterministic: every visible bit, unlike
  scikit-learn's one random bit; Besag 1975) and :func:`reconstruction_error`.

Every function takes an :class:`~physml.ebm.RBMModel` or a fitted :class:`~physml.ebm.RBM`
(converted by :func:`~physml.ebm.as_rbm_model`). Energy conventions: see
:mod:`physml.ebm._rbm_model`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from physml._core import check_array, check_choice, check_int, check_real, torch_generator
from physml.ebm._rbm_model import (
    RBMModel,
    _resolve_dtype,
    _seed_int,
    as_rbm_model,
    bernoulli,
    check_memory,
    check_visible_data,
)

__all__ = [
    "EXACT_MAX_UNITS",
    "ais_betas",
    "ais_log_partition",
    "exact_log_partition",
    "log_likelihood",
    "pseudo_likelihood",
    "reconstruction_error",
]

EXACT_MAX_UNITS = 25
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG2 = math.log(2.0)


def _as_data(model: RBMModel, X: Any, name: str = "X") -> torch.Tensor:
    if isinstance(X, torch.Tensor):
        if X.ndim != 2 or X.shape[1] != model.n_visible:
            raise ValueError(f"{name} must have shape (n_samples, {model.n_visible}), got {tuple(X.shape)}")
        return X.to(device=model.device, dtype=model.dtype)
    return model.as_tensor(check_visible_data(X, model.visible, name, model.n_visible, min_samples=0))


def _bits(start: int, stop: int, n_bits: int, device: torch.device) -> torch.Tensor:
    idx = torch.arange(start, stop, dtype=torch.int64, device=device)
    shifts = torch.arange(n_bits, dtype=torch.int64, device=device)
    return ((idx[:, None] >> shifts) & 1).to(torch.float64)


# ---------------------------------------------------------------------------------------------
# exact
# ---------------------------------------------------------------------------------------------


def exact_log_partition(rbm: Any, *, max_elements: int = 2**22) -> float:
    """log Z by exhaustive summation over the states of one layer, in float64.

    Bernoulli-Bernoulli: the sum runs over the smaller layer S (2^|S| states), the other
    layer summed analytically,
        log Z = logsumexp_s [a·s + Σ_k softplus(d_k + (W s)_k)]
    (a, d the biases of S and of the other layer). Gaussian-Bernoulli: the sum runs over
    the hidden states and the Gaussian integral over v is done in closed form,
        Z = Π_i √(2π) σ_i · Σ_h exp(c·h + Σ_i [b_i u_i/σ_i + u_i²/2]),   u = W^T h.

    The enumeration is split into a low block of bits whose contributions are precomputed
    and a high block added by broadcasting, evaluated in chunks of at most ``max_elements``
    numbers and combined in log space.

    Parameters
    ----------
    rbm : RBM or RBMModel
    max_elements : int
        Chunk size (memory ~ 8 bytes × max_elements).

    Returns
    -------
    float
        log Z in nats.

    Raises
    ------
    ValueError
        If the layer summed over has more than 25 units (use :func:`ais_log_partition`).
    """
    model = as_rbm_model(rbm)
    max_elements = check_int(max_elements, "max_elements", low=1)
    dev = model.device
    w = model.weights.detach().to(torch.float64)
    b = model.visible_bias.detach().to(torch.float64)
    c = model.hidden_bias.detach().to(torch.float64)
    gaussian = model.visible == "gaussian"
    if gaussian:
        n_sum, layer = model.n_hidden, "hidden"
    else:
        layer = "hidden" if model.n_hidden <= model.n_visible else "visible"
        n_sum = min(model.n_hidden, model.n_visible)
    if n_sum > EXACT_MAX_UNITS:
        why = " (a Gaussian-Bernoulli RBM can only be summed over its hidden layer)" if gaussian else ""
        raise ValueError(
            f"exact_log_partition sums over the {layer} layer, which has {n_sum} units here "
            f"(2^{n_sum} states){why}; the limit is {EXACT_MAX_UNITS} units. "
            "Use ais_log_partition for larger RBMs."
        )
    const = 0.0
    if gaussian:
        sigma = torch.exp(model.log_sigma.detach().to(torch.float64))
        coupling = w  # u = h @ W, shape (states, n_visible)
        lin, other_bias = c, None
        quad_coef = b / sigma
        const = float((model.log_sigma.detach().to(torch.float64) + _LOG_SQRT_2PI).sum())
    elif layer == "hidden":
        coupling, lin, other_bias = w, c, b
    else:
        coupling, lin, other_bias = w.T, b, c

    def other_sum(pre: torch.Tensor) -> torch.Tensor:
        if gaussian:
            return (pre * quad_coef + 0.5 * pre * pre).sum(-1)
        return torch.nn.functional.softplus(pre).sum(-1)

    n_other = coupling.shape[1]
    n_low = min(n_sum, max(0, int(math.log2(max(1, max_elements // max(1, n_other))))))
    low = _bits(0, 2**n_low, n_low, dev)
    pre_low = low @ coupling[:n_low] if n_low else torch.zeros(1, n_other, dtype=torch.float64, device=dev)
    if other_bias is not None:
        pre_low = pre_low + other_bias
    lin_low = low @ lin[:n_low] if n_low else torch.zeros(1, dtype=torch.float64, device=dev)
    n_high = n_sum - n_low
    per_chunk = max(1, max_elements // (pre_low.shape[0] * n_other))
    parts = []
    for start in range(0, 2**n_high, per_chunk):
        high = _bits(start, min(start + per_chunk, 2**n_high), n_high, dev)
        pre_high = high @ coupling[n_low:]
        lin_high = high @ lin[n_low:]
        terms = lin_high[:, None] + lin_low[None, :] + other_sum(pre_high[:, None, :] + pre_low[None, :, :])
        parts.append(torch.logsumexp(terms.reshape(-1), 0))
    return float(torch.logsumexp(torch.stack(parts), 0)) + const


# ---------------------------------------------------------------------------------------------
# annealed importance sampling
# ---------------------------------------------------------------------------------------------


def ais_betas(n_betas: int, schedule: str = "sigmoid", *, delta: float = 4.0) -> np.ndarray:
    """Inverse temperatures 0 = β_0 < β_1 < ... < β_K = 1 (``n_betas`` = K + 1 values).

    ``"linear"``: evenly spaced. ``"sigmoid"``: β_t ∝ sigmoid(δ (2t/K − 1)) rescaled to [0, 1]
    (Grosse, Maddison, Salakhutdinov, NeurIPS 2013), denser near both ends.
    """
    n = check_int(n_betas, "n_betas", low=2)
    check_choice(schedule, "schedule", ("linear", "sigmoid"))
    t = np.linspace(0.0, 1.0, n)
    if schedule == "linear":
        return t
    s = 1.0 / (1.0 + np.exp(-check_real(delta, "delta", low=0.0, low_open=True) * (2 * t - 1)))
    out = (s - s[0]) / (s[-1] - s[0])
    out[0], out[-1] = 0.0, 1.0
    return out


def ais_log_partition(
    rbm: Any,
    *,
    n_chains: int = 100,
    n_betas: int = 10000,
    schedule: str = "sigmoid",
    betas: Any = None,
    data: Any = None,
    base_visible_bias: Any = None,
    seed: int | np.random.Generator = 0,
    dtype: str | torch.dtype = "float64",
    return_log_weights: bool = False,
) -> tuple[float, float] | tuple[float, float, np.ndarray]:
    """Estimate log Z by annealed importance sampling (Salakhutdinov & Murray, ICML 2008).

    The base model A has the same visible units and no couplings: Bernoulli visibles with
    biases b_A (the log-odds of the data's base rates p_i = (Σ_n x_ni + 1)/(N + 2) if ``data``
    is given, else ``base_visible_bias``, else 0), or Gaussian visibles N(b_A, σ_i²) with b_A
    the data mean (else ``base_visible_bias``, else the model's b). Intermediate
    distributions interpolate the visible terms and scale the couplings,

        log p*_β(v) = (1−β) A(v) + β B(v) + Σ_j softplus(β (c + W s(v))_j),

    where A(v), B(v) are the visible terms of the base and target (b·v, or −Σ(v−b)²/(2σ²)),
    so p*_0 is the base model (times 2^n_hidden) and p*_1 = exp(−F). Each of ``n_chains``
    independent runs starts with an exact draw from A, accumulates
    log w = Σ_k [log p*_{β_k}(v_k) − log p*_{β_{k−1}}(v_k)], and moves v_k → v_{k+1} with one
    block Gibbs sweep that leaves p_{β_k} invariant. Then log Ẑ = log Z_A + log mean(w).

    The standard error is the delta-method error of log mean(w),
    SE = std(w) / (√n_chains · mean(w)), computed from w / max(w) (stable in log space).
    It is honest only when the weights are not heavy-tailed: use enough β's (it is
    reported, together with the log weights if asked, so that this can be checked).
    log Ẑ is biased low by about SE²/2 (Jensen), negligible when SE is small.

    Parameters
    ----------
    rbm : RBM or RBMModel
    n_chains : int
        Independent AIS runs.
    n_betas : int
        Number of inverse temperatures including 0 and 1.
    schedule : {"sigmoid", "linear"}
        Spacing of the β's (see :func:`ais_betas`); ignored if ``betas`` is given.
    betas : array of shape (K + 1,), optional
        Increasing, from 0 to 1.
    data : array of shape (n_samples, n_visible), optional
        Training data for the base rates.
    base_visible_bias : array of shape (n_visible,), optional
        Explicit b_A (if ``data`` is not given).
    seed : int or numpy.random.Generator
    dtype : {"float64", "float32"}
        Precision of the runs (float64 by default: the log weights sum many small terms).
    return_log_weights : bool
        Also return the ``n_chains`` log importance weights log w + log Z_A.

    Returns
    -------
    log_z : float
    standard_error : float
    log_weights : numpy.ndarray of shape (n_chains,)
        Only with ``return_log_weights``.

    Raises
    ------
    ValueError
        ``n_chains < 2`` (the standard error needs two runs) or ``n_betas < 2`` (β = 0 and 1;
        two are plain importance sampling from the base model).
    MemoryError
        Before allocating anything, when the runs' states cannot fit in the device's memory.
    """
    source = as_rbm_model(rbm)
    model = source.to(dtype=_resolve_dtype(dtype))
    n_chains = check_int(n_chains, "n_chains", low=2)
    # the runs' visible and hidden states, inputs and probabilities (a few copies of each)
    check_memory(4 * n_chains * (model.n_visible + model.n_hidden) * model.weights.element_size(),
                 model.device, f"AIS with {n_chains} runs on a {model.n_visible}-{model.n_hidden} RBM")
    if betas is None:
        bet = ais_betas(n_betas, schedule)
    else:
        bet = check_array(betas, "betas", ndim=1, min_samples=2)
        if bet[0] != 0.0 or bet[-1] != 1.0 or np.any(np.diff(bet) <= 0):
            raise ValueError("betas must increase strictly from 0 to 1")
    dev, dt = model.device, model.dtype
    gaussian = model.visible == "gaussian"
    b = model.visible_bias
    if data is not None:
        x = check_visible_data(data, model.visible, "data", model.n_visible)
        if gaussian:
            base = torch.as_tensor(x.mean(axis=0, dtype=np.float64))
        else:
            p = (x.sum(axis=0, dtype=np.float64) + 1.0) / (len(x) + 2.0)
            base = torch.as_tensor(np.log(p) - np.log1p(-p))
    elif base_visible_bias is not None:
        base = torch.as_tensor(check_array(base_visible_bias, "base_visible_bias", shape=(model.n_visible,)))
    else:
        base = b.detach().clone() if gaussian else torch.zeros(model.n_visible, dtype=torch.float64)
    base = base.to(dev, dt)
    g = torch_generator(_seed_int(seed), dev)
    n_h = model.n_hidden

    if gaussian:
        sigma = torch.exp(model.log_sigma)
        inv_sigma = 1.0 / sigma
        log_z_base = float((model.log_sigma.to(torch.float64) + _LOG_SQRT_2PI).sum()) + n_h * _LOG2

        def base_minus_target(v: torch.Tensor) -> torch.Tensor:  # B(v) − A(v)
            return (0.5 * (((v - base) * inv_sigma) ** 2 - ((v - b) * inv_sigma) ** 2)).sum(-1)

        v = base + sigma * torch.randn(n_chains, model.n_visible, generator=g, dtype=dt, device=dev)
    else:
        log_z_base = float(torch.nn.functional.softplus(base.to(torch.float64)).sum()) + n_h * _LOG2
        diff = b - base

        def base_minus_target(v: torch.Tensor) -> torch.Tensor:
            return v @ diff

        v = bernoulli(torch.sigmoid(base).expand(n_chains, -1).contiguous(), g)

    softplus = torch.nn.functional.softplus
    log_w = torch.zeros(n_chains, dtype=torch.float64, device=dev)
    bet_list = [float(x) for x in bet]
    with torch.no_grad():
        for k in range(1, len(bet_list)):
            b_prev, b_cur = bet_list[k - 1], bet_list[k]
            x = model.hidden_input(v)
            inc = (softplus(b_cur * x) - softplus(b_prev * x)).sum(-1)
            inc += (b_cur - b_prev) * base_minus_target(v)
            log_w += inc.to(torch.float64)
            if k == len(bet_list) - 1:
                break
            h = bernoulli(torch.sigmoid(b_cur * x), g)
            a = h @ model.weights
            if gaussian:
                mean = (1.0 - b_cur) * base + b_cur * (b + sigma * a)
                v = mean + sigma * torch.randn(mean.shape, generator=g, dtype=dt, device=dev)
            else:
                v = bernoulli(torch.sigmoid((1.0 - b_cur) * base + b_cur * (b + a)), g)
    lw = log_w.cpu().numpy() + log_z_base
    top = lw.max()
    r = np.exp(lw - top)
    mean_r = r.mean()
    log_z = float(top + np.log(mean_r))
    stderr = float(r.std(ddof=1) / (math.sqrt(n_chains) * mean_r))
    if return_log_weights:
        return log_z, stderr, lw
    return log_z, stderr


# ---------------------------------------------------------------------------------------------
# per-sample scores
# ---------------------------------------------------------------------------------------------


def log_likelihood(rbm: Any, X: Any, log_z: float) -> np.ndarray:
    """log p(v) = −F(v) − log Z for each row of ``X``, shape (n_samples,).

    A log-probability (nats) for Bernoulli visibles, a log-density for Gaussian ones.
    """
    model = as_rbm_model(rbm)
    log_z = check_real(float(log_z), "log_z")
    v = _as_data(model, X)
    with torch.no_grad():
        return (-model.free_energy(v).to(torch.float64) - log_z).cpu().numpy()


def pseudo_likelihood(rbm: Any, X: Any, *, max_elements: int = 2**22) -> np.ndarray:
    """Deterministic pseudo-log-likelihood Σ_i log p(v_i | v_−i) of each row (Besag 1975).

    Every visible bit is flipped in turn: log p(v_i | v_−i) = −softplus(F(v) − F(v^(i))),
    with v^(i) the state with bit i flipped; all n_visible terms are summed (scikit-learn's
    ``BernoulliRBM.score_samples`` flips one random bit and multiplies by n_visible, so it is
    random; this is its expectation over the flipped bit, times the same factor).

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
        In nats (≤ 0). Bernoulli visibles only.
    """
    model = as_rbm_model(rbm)
    if model.visible != "bernoulli":
        raise ValueError("pseudo_likelihood is defined here for Bernoulli visibles only; "
                         "use reconstruction_error for Gaussian ones")
    v = _as_data(model, X)
    w_t = model.weights.T  # (n_v, n_h)
    chunk = max(1, check_int(max_elements, "max_elements", low=1) // (model.n_visible * model.n_hidden))
    out = []
    softplus = torch.nn.functional.softplus
    with torch.no_grad():
        for start in range(0, len(v), chunk):
            vc = v[start : start + chunk]
            x = model.hidden_input(vc)  # (n, n_h)
            delta = 1.0 - 2.0 * vc  # +1 where the bit goes 0 -> 1
            x_flip = x[:, None, :] + delta[:, :, None] * w_t[None]
            # F(v^(i)) − F(v) = −b_i δ_i − Σ_j [softplus(x'_j) − softplus(x_j)]
            d_free = -delta * model.visible_bias - (softplus(x_flip) - softplus(x)[:, None, :]).sum(-1)
            out.append((-softplus(-d_free)).sum(-1).to(torch.float64))
    if not out:
        return np.zeros(0)
    return torch.cat(out).cpu().numpy()


def reconstruction_error(rbm: Any, X: Any) -> np.ndarray:
    """Squared reconstruction error Σ_i (v_i − E[v_i | h = p(h|v)])² of each row.

    Deterministic mean-field up-down pass: hidden probabilities p(h=1|v), then the visible
    mean given them (sigmoid(b + W^T p) or b + σ W^T p). Shape (n_samples,).
    """
    model = as_rbm_model(rbm)
    v = _as_data(model, X)
    with torch.no_grad():
        recon = model.visible_mean(model.hidden_probs(v))
        return ((v - recon) ** 2).sum(-1).to(torch.float64).cpu().numpy()
