"""Log-likelihoods of RBMs bounded from both sides: reverse annealing from the data (RAISE),
the sandwich it forms with annealed importance sampling, and an adaptive annealing schedule.

* :func:`raise_log_likelihood` is the reverse AIS estimator of Burda, Grosse &
  Salakhutdinov, "Accurate and conservative estimates of MRF log-likelihood using reverse
  annealing", AISTATS 2015. Each chain starts at a data point v and anneals from the RBM down
  to the base model of independent visible units; its log weight is an unbiased estimate (in
  the weight, not its log) of p_ann(v), the marginal of the annealed model (the forward AIS
  chain's final state), so its mean log is a stochastic lower bound on log p_ann(v).
  p_ann → p as the number of intermediate distributions grows; Burda et al. argue and observe
  that RAISE underestimates the test log-likelihood of p as well (it is "conservative").
* :func:`log_likelihood_bounds` pairs it with AIS: the AIS estimate of log Z is a stochastic
  lower bound on log Z (Jensen), so −F(v) − log Ẑ_AIS is an upper estimate of log p(v). It
  returns the two mean log-likelihoods with their Monte Carlo errors, the gap and a flag when
  the gap exceeds a stated tolerance (:class:`LikelihoodBounds`).
* :func:`adaptive_betas` spaces the inverse temperatures at equal thermodynamic length:
  a pilot AIS run measures the variance of the log-weight increments, g(β) = Var_β[∂ log f/∂β],
  and the schedule is made denser where √g is large (Gelman & Meng, Statistical Science 13,
  163 (1998); Grosse, Maddison & Salakhutdinov, NeurIPS 2013).

The intermediate distributions are those of :func:`~physml.ebm.ais_log_partition`,

    log f_β(v) = (1−β) A(v) + β B(v) + Σ_j softplus(β (c + W s(v))_j),

and the transitions are block Gibbs sweeps v → h → v' at β, which are reversible with
respect to f_β (so the reverse kernel of RAISE is the same sweep). With x_K = v and
x_{k−1} drawn by the sweep at β_k from x_k (k = K, ..., 1),

    log ŵ = log p_0(x_0) + Σ_{k=1}^{K} [log f_{β_k}(x_k) − log f_{β_k}(x_{k−1})],

with p_0 = f_0 / Z_0 the normalised base model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from physml._core import check_array, check_choice, check_int, check_real, derive_seed, torch_generator
from physml.ebm._partition import ais_betas, ais_log_partition
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
    "LikelihoodBounds",
    "adaptive_betas",
    "annealing_betas",
    "log_likelihood_bounds",
    "raise_log_likelihood",
    "reverse_ais_log_partition",
]

_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)
_LOG2 = math.log(2.0)


# ---------------------------------------------------------------------------------------------
# the annealing path shared by the reverse runs and the pilot of the adaptive schedule
# ---------------------------------------------------------------------------------------------


class _Path:
    """The intermediate distributions f_β between the base model and the RBM, their Gibbs
    sweeps and the normalised base log-density (the same path as ais_log_partition)."""

    def __init__(self, model: RBMModel, data: Any, base_visible_bias: Any):
        self.model = model
        dev, dt = model.device, model.dtype
        self.gaussian = model.visible == "gaussian"
        if data is not None:
            x = check_visible_data(data, model.visible, "data", model.n_visible)
            if self.gaussian:
                base = torch.as_tensor(x.mean(axis=0, dtype=np.float64))
            else:
                p = (x.sum(axis=0, dtype=np.float64) + 1.0) / (len(x) + 2.0)
                base = torch.as_tensor(np.log(p) - np.log1p(-p))
        elif base_visible_bias is not None:
            base = torch.as_tensor(check_array(base_visible_bias, "base_visible_bias",
                                               shape=(model.n_visible,)))
        elif self.gaussian:
            base = model.visible_bias.detach().clone()
        else:
            base = torch.zeros(model.n_visible, dtype=torch.float64)
        self.base = base.to(dev, dt)
        n_h = model.n_hidden
        if self.gaussian:
            self.sigma = torch.exp(model.log_sigma)
            self.inv_sigma = 1.0 / self.sigma
            self.log_z0 = float((model.log_sigma.to(torch.float64) + _LOG_SQRT_2PI).sum()) + n_h * _LOG2
        else:
            self.log_z0 = float(torch.nn.functional.softplus(self.base.to(torch.float64)).sum()) + n_h * _LOG2

    def prepare(self, X: Any, name: str = "X") -> torch.Tensor:
        """Rows of X checked for the visible units and as a tensor of the model."""
        return self.model.as_tensor(check_visible_data(X, self.model.visible, name, self.model.n_visible))

    def neg_free_energy(self, v: torch.Tensor) -> torch.Tensor:
        return -self.model.free_energy(v)

    def base_term(self, v: torch.Tensor) -> torch.Tensor:  # A(v)
        if self.gaussian:
            return -0.5 * (((v - self.base) * self.inv_sigma) ** 2).sum(-1)
        return v @ self.base

    def target_term(self, v: torch.Tensor) -> torch.Tensor:  # B(v)
        return -self.model.visible_term(v)

    def log_f(self, v: torch.Tensor, beta: float, x: torch.Tensor | None = None) -> torch.Tensor:
        """log f_β(v); ``x`` the hidden input of ``v`` if known (saves a matrix product)."""
        x = self.model.hidden_input(v) if x is None else x
        sp = torch.nn.functional.softplus(beta * x).sum(-1)
        return (1.0 - beta) * self.base_term(v) + beta * self.target_term(v) + sp

    def sweep(self, v: torch.Tensor, beta: float, g: torch.Generator,
              x: torch.Tensor | None = None) -> torch.Tensor:
        model = self.model
        x = model.hidden_input(v) if x is None else x
        h = bernoulli(torch.sigmoid(beta * x), g)
        a = h @ model.weights
        if self.gaussian:
            mean = (1.0 - beta) * self.base + beta * (model.visible_bias + self.sigma * a)
            noise = torch.randn(mean.shape, generator=g, dtype=mean.dtype, device=mean.device)
            return mean + self.sigma * noise
        return bernoulli(torch.sigmoid((1.0 - beta) * self.base + beta * (model.visible_bias + a)), g)

    def sample_base(self, n: int, g: torch.Generator) -> torch.Tensor:
        m = self.model
        if self.gaussian:
            noise = torch.randn(n, m.n_visible, generator=g, dtype=m.dtype, device=m.device)
            return self.base + self.sigma * noise
        return bernoulli(torch.sigmoid(self.base).expand(n, -1).contiguous(), g)


def _model(rbm: Any) -> Any:
    """The model of ``rbm``: a model with its own annealing path (a Potts RBM, or an estimator
    holding one through ``potts_model()``), else an :class:`RBMModel` (:func:`as_rbm_model`)."""
    if hasattr(rbm, "annealing_path"):
        return rbm
    if hasattr(rbm, "potts_model"):
        return rbm.potts_model()
    return as_rbm_model(rbm)


def _path(model: Any, data: Any, base_visible_bias: Any) -> Any:
    if hasattr(model, "annealing_path"):
        return model.annealing_path(data, base_visible_bias)
    return _Path(model, data, base_visible_bias)


def annealed_log_weights(path: Any, n_chains: int, betas: np.ndarray, g: torch.Generator) -> np.ndarray:
    """Forward AIS along ``path``: the ``n_chains`` log weights log w + log Z_0 (their log-mean-exp
    estimates log Z). Used for models without :func:`~physml.ebm.ais_log_partition` (Potts)."""
    bet = [float(b) for b in betas]
    with torch.no_grad():
        v = path.sample_base(n_chains, g)
        log_w = torch.zeros(n_chains, dtype=torch.float64, device=v.device)
        for k in range(1, len(bet)):
            x_v = path.model.hidden_input(v)
            log_w += (path.log_f(v, bet[k], x_v) - path.log_f(v, bet[k - 1], x_v)).to(torch.float64)
            if k < len(bet) - 1:
                v = path.sweep(v, bet[k], g, x_v)
    return log_w.cpu().numpy() + path.log_z0


def log_mean_exp_with_error(log_w: np.ndarray) -> tuple[float, float]:
    """log mean(w) and its delta-method standard error std(w)/(√n mean(w)), computed stably."""
    top = log_w.max()
    r = np.exp(log_w - top)
    return float(top + np.log(r.mean())), float(r.std(ddof=1) / (math.sqrt(len(r)) * r.mean()))


def _check_betas(betas: Any) -> np.ndarray:
    bet = check_array(betas, "betas", ndim=1, min_samples=2)
    if bet[0] != 0.0 or bet[-1] != 1.0 or np.any(np.diff(bet) <= 0):
        step = np.diff(bet) <= 0
        k = int(np.argmax(step)) if step.any() else None
        where = "" if k is None else f" (betas[{k + 1}] = {bet[k + 1]:g} <= betas[{k}] = {bet[k]:g})"
        raise ValueError(f"betas must increase strictly from 0 to 1{where}")
    return bet


# ---------------------------------------------------------------------------------------------
# the adaptive schedule
# ---------------------------------------------------------------------------------------------


def adaptive_betas(
    rbm: Any,
    n_betas: int,
    *,
    n_pilot_betas: int = 200,
    n_pilot_chains: int = 50,
    data: Any = None,
    base_visible_bias: Any = None,
    seed: int | np.random.Generator = 0,
    dtype: str | torch.dtype = "float64",
) -> np.ndarray:
    """Inverse temperatures at equal thermodynamic length along the annealing path.

    A pilot forward AIS run (``n_pilot_chains`` chains, ``n_pilot_betas`` β's on the sigmoid
    schedule) records the log-weight increments δ_k = log f_{β_k}(v) − log f_{β_{k−1}}(v).
    Their variance over the chains estimates g(β) Δβ², with g(β) = Var_β[∂ log f_β/∂β] (the
    Fisher information of the path). The returned schedule places ``n_betas`` values so that
    ∫ √g dβ is the same between neighbours: for small steps each step then adds the same
    variance to the log weights, which minimises their total variance for a given number of
    steps (Gelman & Meng 1998; Grosse, Maddison & Salakhutdinov, NeurIPS 2013). The pilot
    costs n_pilot_chains × n_pilot_betas sweeps.

    Returns
    -------
    numpy.ndarray of shape (n_betas,)
        Strictly increasing from 0 to 1.
    """
    model = _model(rbm).to(dtype=_resolve_dtype(dtype))
    n_betas = check_int(n_betas, "n_betas", low=2)
    n_pilot_betas = check_int(n_pilot_betas, "n_pilot_betas", low=3)
    n_pilot_chains = check_int(n_pilot_chains, "n_pilot_chains", low=2)
    path = _path(model, data, base_visible_bias)
    bet = ais_betas(n_pilot_betas, "sigmoid")
    g = torch_generator(_seed_int(seed), model.device)
    var = np.zeros(len(bet) - 1)
    with torch.no_grad():
        v = path.sample_base(n_pilot_chains, g)
        for k in range(1, len(bet)):
            x_v = path.model.hidden_input(v)
            inc = path.log_f(v, float(bet[k]), x_v) - path.log_f(v, float(bet[k - 1]), x_v)
            var[k - 1] = float(inc.to(torch.float64).var())
            if k < len(bet) - 1:
                v = path.sweep(v, float(bet[k]), g, x_v)
    # √g per unit β on each pilot interval, floored so that no interval is skipped entirely
    width = np.diff(bet)
    density = np.sqrt(np.maximum(var, 0.0)) / width
    floor = 1e-3 * (density.max() if density.max() > 0 else 1.0)
    density = np.maximum(density, floor)
    length = np.concatenate([[0.0], np.cumsum(density * width)])
    out = np.interp(np.linspace(0.0, length[-1], n_betas), length, bet)
    out[0], out[-1] = 0.0, 1.0
    if np.any(np.diff(out) <= 0):  # ties from float rounding in very flat stretches
        out = np.maximum.accumulate(out)
        out = np.where(np.diff(out, prepend=-1.0) <= 0, np.nan, out)
        out = np.interp(np.arange(n_betas), np.flatnonzero(~np.isnan(out)), out[~np.isnan(out)])
    return out


def annealing_betas(
    rbm: Any,
    n_betas: int,
    schedule: str = "sigmoid",
    betas: Any = None,
    **pilot: Any,
) -> np.ndarray:
    """The β's of a run: ``betas`` if given (checked: strictly increasing from 0 to 1), else
    ``schedule`` ``"linear"``/``"sigmoid"`` (:func:`~physml.ebm.ais_betas`) or ``"adaptive"``
    (:func:`adaptive_betas`, with ``pilot`` its keyword arguments)."""
    if betas is not None:
        return _check_betas(betas)
    check_choice(schedule, "schedule", ("linear", "sigmoid", "adaptive"))
    if schedule == "adaptive":
        return adaptive_betas(rbm, n_betas, **pilot)
    return ais_betas(n_betas, schedule)


# ---------------------------------------------------------------------------------------------
# RAISE
# ---------------------------------------------------------------------------------------------


def raise_log_likelihood(
    rbm: Any,
    X: Any,
    *,
    n_chains: int = 1,
    n_betas: int = 1000,
    schedule: str = "sigmoid",
    betas: Any = None,
    data: Any = None,
    base_visible_bias: Any = None,
    seed: int | np.random.Generator = 0,
    dtype: str | torch.dtype = "float64",
    return_log_weights: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """RAISE estimate of log p(v) for each row of ``X`` (Burda, Grosse & Salakhutdinov 2015).

    ``n_chains`` reverse chains start at each row, anneal from β = 1 to β = 0 with one block
    Gibbs sweep per β, and each returns a log weight log ŵ (see the module docstring) with
    E[ŵ] = p_ann(v). The estimate of a row is log mean(ŵ) over its chains, whose expectation is
    ≤ log p_ann(v) (Jensen). p_ann is the marginal of the forward annealing chain; it tends to
    the RBM's p as the β's get denser, and for trained models RAISE underestimates log p(v)
    (Burda et al.; :func:`log_likelihood_bounds` measures the remaining gap).

    The base model is that of :func:`~physml.ebm.ais_log_partition` (from ``data``'s base
    rates, ``base_visible_bias``, or the default); the same choices give the same path.

    Parameters
    ----------
    rbm : RBM or RBMModel
    X : array of shape (n_samples, n_visible)
        The data to score (0/1 for Bernoulli visibles).
    n_chains : int
        Reverse chains per row.
    n_betas : int
        Number of inverse temperatures including 0 and 1 (n_betas − 1 sweeps per chain).
    schedule : {"sigmoid", "linear", "adaptive"}
        See :func:`annealing_betas`; ignored if ``betas`` is given.
    betas : array, optional
        Strictly increasing from 0 to 1.
    data, base_visible_bias
        The base model, as in :func:`~physml.ebm.ais_log_partition`.
    seed : int or numpy.random.Generator
    dtype : {"float64", "float32"}
    return_log_weights : bool
        Also return every chain's log weight, shape (n_samples, n_chains).

    Returns
    -------
    numpy.ndarray of shape (n_samples,)
        Nats (a log-density for Gaussian visibles).

    Raises
    ------
    ValueError
        ``X`` of the wrong width or with values outside the units' support; betas that do not
        increase strictly from 0 to 1.
    MemoryError
        Before allocating anything, when the chains cannot fit in the device's memory.
    """
    model = _model(rbm).to(dtype=_resolve_dtype(dtype))
    path = _path(model, data, base_visible_bias)
    x = path.prepare(X)
    n_chains = check_int(n_chains, "n_chains", low=1)
    n_runs = len(x) * n_chains
    check_memory(4 * n_runs * (x.shape[1] + model.n_hidden) * model.weights.element_size(),
                 model.device, f"RAISE with {n_runs} chains on a {model.n_visible}-{model.n_hidden} RBM")
    bet = annealing_betas(model, n_betas, schedule, betas, data=data, base_visible_bias=base_visible_bias,
                          seed=seed, dtype=dtype)
    g = torch_generator(_seed_int(seed), model.device)
    v = x.repeat_interleave(n_chains, dim=0)
    log_w = torch.zeros(n_runs, dtype=torch.float64, device=model.device)
    bet_list = [float(b) for b in bet]
    with torch.no_grad():
        x_v = path.model.hidden_input(v)
        for k in range(len(bet_list) - 1, 0, -1):
            beta = bet_list[k]
            log_w += path.log_f(v, beta, x_v).to(torch.float64)
            v = path.sweep(v, beta, g, x_v)
            x_v = path.model.hidden_input(v)
            log_w -= path.log_f(v, beta, x_v).to(torch.float64)
        log_w += path.log_f(v, 0.0).to(torch.float64) - path.log_z0
    lw = log_w.cpu().numpy().reshape(len(x), n_chains)
    top = lw.max(axis=1, keepdims=True)
    est = (top + np.log(np.exp(lw - top).mean(axis=1, keepdims=True)))[:, 0]
    if return_log_weights:
        return est, lw
    return est


def reverse_ais_log_partition(
    rbm: Any,
    samples: Any,
    *,
    n_betas: int = 1000,
    schedule: str = "sigmoid",
    betas: Any = None,
    data: Any = None,
    base_visible_bias: Any = None,
    seed: int | np.random.Generator = 0,
    dtype: str | torch.dtype = "float64",
) -> tuple[float, float]:
    """log Z from above: reverse annealing started from samples of the model.

    For each sample v, :func:`raise_log_likelihood` gives a weight ŵ(v) with E[ŵ(v)] = p_ann(v);
    for v drawn exactly from the RBM, E[ŵ(v)/f(v)] = Σ_v p_ann(v)/Z = 1/Z whatever p_ann is, so
    log Ẑ = −log mean(ŵ/f) is a stochastic upper bound on log Z (E[log Ẑ] ≥ log Z by Jensen;
    the reverse half of bidirectional Monte Carlo, Grosse, Ghahramani & Adams 2015). Exact
    samples exist only for small models; persistent chains (``rbm.trainer_.chains.samples``) or
    long Gibbs runs (:meth:`~physml.ebm.RBM.sample`) are approximate ones, and then the bound
    holds only as far as they are in equilibrium. Its pair with :func:`log_likelihood_bounds`'s
    AIS side brackets log Z from both sides.

    Returns
    -------
    log_z, standard_error : float
        The delta-method error of the log mean.
    """
    model = _model(rbm)
    work = model.to(dtype=_resolve_dtype(dtype))
    path = _path(work, data, base_visible_bias)
    v = path.prepare(samples, "samples")
    x = v.cpu().numpy() if not hasattr(model, "annealing_path") else model.states(v)
    if len(x) < 2:
        raise ValueError("reverse_ais_log_partition needs at least 2 samples for its error")
    est = raise_log_likelihood(model, x, n_betas=n_betas, schedule=schedule, betas=betas, data=data,
                               base_visible_bias=base_visible_bias, seed=seed, dtype=dtype)
    with torch.no_grad():
        log_f = path.neg_free_energy(v).to(torch.float64).cpu().numpy()
    log_mean, err = log_mean_exp_with_error(est - log_f)
    return -log_mean, err


# ---------------------------------------------------------------------------------------------
# the sandwich
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LikelihoodBounds:
    """Mean log-likelihood per sample bounded from both sides (nats).

    Attributes
    ----------
    lower, lower_error : float
        RAISE mean log-likelihood (a stochastic lower bound) and its Monte Carlo error.
    upper, upper_error : float
        Mean of −F(v) − log Ẑ_AIS (a stochastic upper estimate, since E[log Ẑ_AIS] ≤ log Z)
        and its Monte Carlo error (the AIS standard error of log Ẑ).
    gap, gap_error : float
        ``upper − lower`` and √(lower_error² + upper_error²).
    tolerance : float
        The gap allowed.
    wide : bool
        ``gap + 2 gap_error > tolerance``: the likelihood is not pinned down to the tolerance
        (with two errors' confidence); use more β's (or the adaptive schedule) or more chains.
    crossed : bool
        ``lower > upper + 2 gap_error``: the bounds crossed by more than their noise. RAISE
        bounds the annealed model p_ann, not p, and with too few β's p_ann can score the data
        higher than the RBM does (measured on small PCD-trained RBMs, docs/ebm.md); more β's
        shrink the difference.
    log_z, log_z_error : float
        The AIS estimate of log Z and its standard error.
    ais_ess : float
        Effective sample size (Σw)²/Σw² of the AIS runs.
    n_samples, n_betas : int
        Rows scored (the AIS side scores every row) and inverse temperatures used.
    raise_rows : int
        Rows RAISE scored: ``n_samples``, or a seeded random subsample of them when
        :func:`log_likelihood_bounds` was given ``raise_rows`` below ``n_samples``.
    """

    lower: float
    lower_error: float
    upper: float
    upper_error: float
    gap: float
    gap_error: float
    tolerance: float
    wide: bool
    crossed: bool
    log_z: float
    log_z_error: float
    ais_ess: float
    n_samples: int
    n_betas: int
    raise_rows: int

    def interval(self, z: float = 3.0) -> tuple[float, float]:
        """(lower − z·lower_error, upper + z·upper_error): where the true value should lie."""
        return self.lower - z * self.lower_error, self.upper + z * self.upper_error

    def contains(self, value: float, z: float = 3.0) -> bool:
        """Whether ``value`` lies in :meth:`interval`."""
        lo, hi = self.interval(z)
        return bool(lo <= value <= hi)

    def summary(self) -> str:
        """Two lines: the sandwich with its errors, and the verdict on its width."""
        rows = "" if self.raise_rows == self.n_samples else f" on {self.raise_rows} of {self.n_samples} rows"
        line = (f"{self.lower:.4f} ± {self.lower_error:.4f} (RAISE, lower{rows}) <= mean log-likelihood <= "
                f"{self.upper:.4f} ± {self.upper_error:.4f} (AIS, upper)")
        verdict = "WIDE: raise the number of temperatures" if self.wide else "ok (within tolerance)"
        if self.crossed:
            verdict = "CROSSED (RAISE above AIS beyond their errors): raise the number of temperatures"
        return (f"{line}\ngap {self.gap:.4f} ± {self.gap_error:.4f} nats, tolerance {self.tolerance:g}: "
                f"{verdict}")


def log_likelihood_bounds(
    rbm: Any,
    X: Any,
    *,
    n_betas: int = 1000,
    schedule: str = "sigmoid",
    betas: Any = None,
    ais_chains: int = 100,
    raise_chains: int = 1,
    raise_rows: int | None = None,
    data: Any = None,
    tolerance: float = 1.0,
    log_z: tuple[float, float] | None = None,
    seed: int | np.random.Generator = 0,
    dtype: str | torch.dtype = "float64",
) -> LikelihoodBounds:
    """The mean log-likelihood per row of ``X`` bracketed by RAISE (below) and AIS (above).

    * Upper: mean −F(v) − log Ẑ, with log Ẑ from :func:`~physml.ebm.ais_log_partition`
      (``ais_chains`` runs). E[log Ẑ] ≤ log Z, so this overestimates on average; its error is
      the AIS standard error (the data term is exact).
    * Lower: the mean of :func:`raise_log_likelihood` (``raise_chains`` reverse chains per
      row). Its Monte Carlo error is std(ℓ̂_n + F(v_n))/√n over the rows: the reverse-chain
      part of each estimate, whose spread over rows includes the variation of its mean from
      row to row, so the error is if anything overestimated. With a single row it is the
      delta-method error over that row's chains (``raise_chains`` ≥ 2 needed).
    * ``raise_rows``: RAISE costs ``raise_chains`` annealing runs per row, so with many rows it
      may score only a random subsample of ``raise_rows`` of them (drawn without replacement
      from the seed). The lower value is then mean_all(−F) + mean_sub(ℓ̂ + F): the exact free
      energies of every row plus the subsample's mean of the reverse-chain part, an unbiased
      estimate of the all-row RAISE mean, and its error std_sub(ℓ̂ + F)/√raise_rows includes the
      row-to-row spread of that part, so it covers the subsampling (without the finite-population
      factor √(1 − m/n), i.e. conservatively). The AIS side still scores every row.

    Both runs use the same β's (``betas``, or ``n_betas`` on ``schedule``; ``"adaptive"``
    computes them once by :func:`adaptive_betas`) and the same base model (from ``data``'s
    base rates if given, else from ``X``'s). ``wide`` flags a gap that may exceed ``tolerance`` nats
    (gap + 2 gap_error > tolerance),
    ``crossed`` a lower value above the upper one by more than twice the gap's error.

    ``log_z=(value, standard_error)`` reuses an AIS estimate made before (any base model;
    ``ais_ess`` is then NaN) instead of running AIS again.

    Returns
    -------
    LikelihoodBounds

    Raises
    ------
    ValueError
        ``X`` of the wrong width or outside the units' support, a schedule that does not
        increase strictly from 0 to 1, a single row with ``raise_chains=1``, ``raise_rows`` below 2.
    """
    model = _model(rbm)
    potts = hasattr(model, "annealing_path")
    work = model.to(dtype=_resolve_dtype(dtype))
    x_t = _path(work, None, None).prepare(X)
    x = x_t.cpu().numpy() if not potts else model.states(x_t)
    tolerance = check_real(tolerance, "tolerance", low=0.0, low_open=True)
    raise_chains = check_int(raise_chains, "raise_chains", low=1)
    if raise_rows is not None:
        raise_rows = check_int(raise_rows, "raise_rows", low=2)
    if len(x) == 1 and raise_chains < 2:
        raise ValueError("log_likelihood_bounds of a single row needs raise_chains >= 2 "
                         "for the error of RAISE")
    base_data = x if data is None else data
    bet = annealing_betas(model, n_betas, schedule, betas, data=base_data, seed=seed, dtype=dtype)
    if log_z is None:
        if potts:
            ais_chains = check_int(ais_chains, "ais_chains", low=2)
            lw_ais = annealed_log_weights(_path(work, base_data, None), ais_chains, bet,
                                          torch_generator(_seed_int(seed), model.device))
            log_z, log_z_err = log_mean_exp_with_error(lw_ais)
        else:
            log_z, log_z_err, lw_ais = ais_log_partition(model, n_chains=ais_chains, betas=bet,
                                                         data=base_data, seed=seed, dtype=dtype,
                                                         return_log_weights=True)
        w = np.exp(lw_ais - lw_ais.max())
        ess = float(w.sum() ** 2 / (w**2).sum())
    else:
        log_z, log_z_err = (check_real(float(log_z[0]), "log_z"),
                            check_real(float(log_z[1]), "log_z standard error", low=0.0))
        ess = math.nan
    with torch.no_grad():
        neg_f = _path(work, None, None).neg_free_energy(x_t).to(torch.float64).cpu().numpy()
    rseed = seed if isinstance(seed, np.random.Generator) else _seed_int(seed) + 1
    rows = np.arange(len(x))
    if raise_rows is not None and raise_rows < len(x):
        pick = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(
            derive_seed(_seed_int(seed), "raise-rows"))
        rows = np.sort(pick.choice(len(x), size=raise_rows, replace=False))
    est, lw = raise_log_likelihood(model, x[rows], n_chains=raise_chains, betas=bet, data=base_data,
                                   seed=rseed, dtype=dtype, return_log_weights=True)
    if len(rows) >= 2:
        lower_err = float(np.std(est - neg_f[rows], ddof=1) / math.sqrt(len(rows)))
    else:
        r = np.exp(lw[0] - lw[0].max())
        lower_err = float(r.std(ddof=1) / (math.sqrt(raise_chains) * r.mean()))
    if len(rows) == len(x):
        lower = float(est.mean())
    else:  # every row's exact −F plus the subsample's reverse-chain part (see the docstring)
        lower = float(neg_f.mean() + np.mean(est - neg_f[rows]))
    upper = float(neg_f.mean() - log_z)
    gap = upper - lower
    return LikelihoodBounds(
        lower=lower, lower_error=lower_err, upper=upper, upper_error=float(log_z_err), gap=gap,
        gap_error=math.hypot(lower_err, log_z_err), tolerance=tolerance,
        wide=bool(gap + 2.0 * math.hypot(lower_err, log_z_err) > tolerance),
        crossed=bool(gap < -2.0 * math.hypot(lower_err, log_z_err)),
        log_z=float(log_z), log_z_error=float(log_z_err), ais_ess=ess, n_samples=len(x), n_betas=len(bet),
        raise_rows=len(rows),
    )
