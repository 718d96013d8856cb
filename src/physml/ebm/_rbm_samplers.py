"""Samplers of an RBM: contrastive divergence CD-k, persistent CD-k and parallel tempering.

They share the shape of every physml sampler (docs/ebm.md, "Samplers"): the sampler holds
only its settings; the chains live in an explicit state object made by
``init_state(model, start, seed)`` and advanced by ``sample(state, n_steps, model=model)``,
which updates the state in place and returns it. The state holds the chains, their hidden
probabilities and the random stream (a :class:`torch.Generator`, shared with the caller
when one is passed as ``seed``). The model is passed to every call, because training
changes it between calls; the samplers know nothing of training or of the estimator (the
sampler of NetKet's model / sampler / driver split). :class:`~physml.ebm.RBMTrainer` holds
the state of its persistent chains in ``chains``.

References
----------
- Hinton, "Training products of experts by minimizing contrastive divergence",
  Neural Computation 14, 1771 (2002) (CD-k).
- Tieleman, "Training restricted Boltzmann machines using approximations to the likelihood
  gradient", ICML 2008 (persistent CD).
- Desjardins, Courville, Bengio, Vincent, Delalleau, "Tempered Markov chain Monte Carlo for
  training of restricted Boltzmann machines", AISTATS 2010; Cho, Raiko, Ilin, IJCNN 2010
  (parallel tempering; replica exchange of Swendsen & Wang 1986, Geyer 1991).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from physml._core import check_array, check_choice, check_int, check_real, torch_generator
from physml.ebm._rbm_model import RBMModel, _seed_int, bernoulli

__all__ = [
    "CDSampler",
    "GibbsChains",
    "PCDSampler",
    "ParallelTempering",
    "TemperedChains",
    "geometric_betas",
    "make_sampler",
]


# ---------------------------------------------------------------------------------------------
# chain states
# ---------------------------------------------------------------------------------------------


@dataclass
class GibbsChains:
    """Block-Gibbs chains of an RBM (the state of :class:`CDSampler` and :class:`PCDSampler`).

    Attributes
    ----------
    visible : torch.Tensor of shape (n_chains, n_visible)
        The chains' visible states.
    hidden : torch.Tensor of shape (n_chains, n_hidden) or None
        p(h = 1 | visible) under the model of the last call (reused by the next sweep), or
        None after ``sample(..., hidden=False)`` until the caller sets it.
    generator : torch.Generator
        The chains' random stream.
    steps : int
        Transitions done so far.
    in_place : bool
        ``visible`` and ``hidden`` are buffers that belong to the chains (rows of a trainer's
        workspace, :class:`~physml.ebm.RBMTrainer`): the sweeps overwrite them in place instead
        of making new tensors. Leave it False when they are shared with anything else (CD
        starts its chains on the data batch itself).
    """

    visible: torch.Tensor
    hidden: torch.Tensor | None
    generator: torch.Generator
    steps: int = 0
    in_place: bool = False

    @property
    def samples(self) -> torch.Tensor:
        """The visible states of the chains (n_chains, n_visible)."""
        return self.visible

    @property
    def hidden_probs(self) -> torch.Tensor:
        """p(h = 1 | samples), shape (n_chains, n_hidden)."""
        if self.hidden is None:
            raise ValueError("the chains' hidden probabilities were not computed (sample(..., hidden=False))")
        return self.hidden


@dataclass
class TemperedChains:
    """Replicas of :class:`ParallelTempering`: joint states (v, h) at every inverse temperature.

    Attributes
    ----------
    visible : torch.Tensor of shape (n_temperatures, n_chains, n_visible)
        Visible states, β = 1 first.
    hidden_input : torch.Tensor of shape (n_temperatures, n_chains, n_hidden)
        c + W s(v) of ``visible`` under the model of the last call.
    generator : torch.Generator
    accepted, attempted : numpy.ndarray of shape (n_temperatures − 1,)
        Swap counts per neighbouring pair; :meth:`swap_acceptance` is their ratio.
    parity : int
        Which pairs the next swap round proposes (0: (0,1), (2,3), ...; 1: (1,2), ...).
    steps : int
        Transitions done so far.
    """

    visible: torch.Tensor
    hidden_input: torch.Tensor
    generator: torch.Generator
    accepted: np.ndarray
    attempted: np.ndarray
    parity: int = 0
    steps: int = 0

    @property
    def samples(self) -> torch.Tensor:
        """The β = 1 replicas' visible states (n_chains, n_visible)."""
        return self.visible[0]

    @property
    def hidden_probs(self) -> torch.Tensor:
        """p(h = 1 | samples) at β = 1, shape (n_chains, n_hidden)."""
        return torch.sigmoid(self.hidden_input[0])

    def swap_acceptance(self) -> np.ndarray:
        """Fraction of accepted swaps for each pair (β_k, β_{k+1}) so far (NaN if none tried)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.accepted / np.where(self.attempted > 0, self.attempted, np.nan)


def _generator(seed: Any, model: RBMModel) -> torch.Generator:
    """``seed`` itself if it is a torch Generator (a stream shared with the caller), else a
    generator on the model's device seeded from it."""
    if isinstance(seed, torch.Generator):
        return seed
    return torch_generator(_seed_int(seed), model.device)


def _start_rows(model: RBMModel, start: Any, name: str = "start") -> torch.Tensor:
    v = start if isinstance(start, torch.Tensor) else model.as_tensor(np.asarray(start, dtype=np.float64))
    if v.ndim != 2 or v.shape[1] != model.n_visible or len(v) == 0:
        raise ValueError(f"{name} must have shape (n_rows >= 1, {model.n_visible}), got {tuple(v.shape)}")
    return v


def _repeat_rows(x: torch.Tensor, n: int) -> torch.Tensor:
    reps = -(-n // len(x))
    return x.repeat(reps, 1)[:n]


def _check_gibbs(state: Any, model: RBMModel, owner: str) -> GibbsChains:
    if not isinstance(state, GibbsChains):
        raise TypeError(f"{owner}.sample needs the GibbsChains of its init_state, got {type(state).__name__}")
    if state.visible.shape[-1] != model.n_visible:
        raise ValueError(
            f"the chains have {state.visible.shape[-1]} visible units but the model {model.n_visible}"
        )
    if state.hidden is None:
        raise ValueError("the chains' hidden probabilities are missing: set state.hidden = p(h|v) after "
                         "sample(..., hidden=False)")
    return state


def _gibbs_transitions(model: RBMModel, state: GibbsChains, sweeps: int, hidden: bool) -> None:
    """``sweeps`` block Gibbs sweeps h ~ p(h|v), v ~ p(v|h) from the stored p(h|v), written
    into the state's own tensors when ``state.in_place``."""
    g = state.generator
    hp = state.hidden
    v = state.visible
    own = state.in_place
    for i in range(sweeps):
        v = model.sample_visible(bernoulli(hp, g), g, out=v if own else None)
        if hidden or i + 1 < sweeps:
            hp = model.hidden_probs(v, out=hp if own else None)
    state.visible = v
    state.hidden = hp if hidden or sweeps == 0 else None


# ---------------------------------------------------------------------------------------------
# samplers
# ---------------------------------------------------------------------------------------------


class _BlockGibbs:
    """Block Gibbs transitions of :class:`GibbsChains` (CD and PCD)."""

    k: int
    persistent: ClassVar[bool]

    def sample(self, state: GibbsChains, n_steps: int = 1, *, model: RBMModel,
               hidden: bool = True) -> GibbsChains:
        """Advance the chains by ``n_steps`` transitions of k sweeps; returns ``state``.

        ``hidden=False`` skips p(h|v) of the final visible states (``state.hidden`` is then
        None until the caller sets it, e.g. computed together with other data).
        """
        _check_gibbs(state, model, type(self).__name__)
        n_steps = check_int(n_steps, "n_steps", low=0)
        _gibbs_transitions(model, state, self.k * n_steps, hidden)
        state.steps += n_steps
        return state


class CDSampler(_BlockGibbs):
    """Contrastive divergence CD-k: k block Gibbs sweeps started at the data batch.

    ``init_state(model, batch, seed, hidden=p(h|batch))`` puts one chain on each row of the
    batch; ``sample(state, 1, model=model)`` runs the k sweeps. A trainer makes a fresh state
    for every batch (``persistent = False``).
    """

    persistent: ClassVar[bool] = False

    def __init__(self, k: int = 1):
        self.k = check_int(k, "k", low=1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k})"

    def init_state(self, model: RBMModel, start: Any, seed: Any = 0, *,
                   hidden: torch.Tensor | None = None) -> GibbsChains:
        """Chains on the rows of ``start`` (n_rows, n_visible).

        Parameters
        ----------
        model : RBMModel
        start : tensor or array of shape (n_rows, n_visible)
            The chains' first visible states (not copied).
        seed : int, numpy Generator or torch.Generator
            The chains' random stream; a torch Generator is used as it is (shared).
        hidden : torch.Tensor, optional
            p(h = 1 | start) if the caller has it already.
        """
        v = _start_rows(model, start)
        hp = model.hidden_probs(v) if hidden is None else hidden
        return GibbsChains(v, hp, _generator(seed, model))


class PCDSampler(_BlockGibbs):
    """Persistent contrastive divergence (Tieleman 2008): ``n_chains`` Markov chains that are
    never reset; each transition advances them by k block Gibbs sweeps.

    ``init_state(model, batch, seed, hidden=p(h|batch))`` starts the chains at the first data
    batch (rows repeated if there are more chains than rows). The state keeps the chains'
    hidden probabilities, so that p(h|v_neg), needed by the gradient, is reused by the next
    sweep (5 matrix products per PCD-1 update, as in scikit-learn's BernoulliRBM).
    """

    persistent: ClassVar[bool] = True

    def __init__(self, k: int = 1, n_chains: int = 100):
        self.k = check_int(k, "k", low=1)
        self.n_chains = check_int(n_chains, "n_chains", low=1)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k}, n_chains={self.n_chains})"

    def init_state(self, model: RBMModel, start: Any, seed: Any = 0, *,
                   hidden: torch.Tensor | None = None) -> GibbsChains:
        """``n_chains`` chains on the rows of ``start``, repeated as needed; see
        :meth:`CDSampler.init_state`."""
        v = _start_rows(model, start)
        hp = model.hidden_probs(v) if hidden is None else hidden
        return GibbsChains(_repeat_rows(v, self.n_chains), _repeat_rows(hp, self.n_chains).clone(),
                           _generator(seed, model))


def geometric_betas(n_temperatures: int, beta_min: float) -> np.ndarray:
    """Geometric ladder β_k = β_min^(k/(K−1)), k = 0..K−1: 1 = β_0 > ... > β_{K−1} = β_min."""
    n = check_int(n_temperatures, "n_temperatures", low=2)
    beta_min = check_real(beta_min, "beta_min", low=0.0, high=1.0, low_open=True)
    return beta_min ** (np.arange(n) / (n - 1))


def _check_ladder(betas: Any) -> np.ndarray:
    b = check_array(betas, "betas", ndim=1, min_samples=2)
    if b[0] != 1.0 or np.any(b <= 0) or np.any(np.diff(b) >= 0):
        raise ValueError(
            "betas must be strictly decreasing inverse temperatures in (0, 1] starting at 1, "
            f"got {b.tolist()}"
        )
    return b


class ParallelTempering:
    """Parallel tempering (replica exchange) for the negative phase.

    ``n_chains`` replicas of the joint state (v, h) at each inverse temperature of the
    ladder 1 = β_0 > β_1 > ... > β_{K−1}, each distributed as exp(−β_k E(v, h)). A transition
    does k block Gibbs sweeps in every replica, then proposes swaps of neighbouring
    temperatures (even pairs (0,1), (2,3), ... on even transitions, odd pairs on odd ones),
    each accepted with the Metropolis probability min(1, exp((β_k − β_{k+1})(E_k − E_{k+1})))
    on the joint energies. The β = 1 replicas are the negative samples
    (``state.samples``). The replicas, the swap counts and the parity live in the
    :class:`TemperedChains` state.

    Parameters
    ----------
    k : int
        Gibbs sweeps per transition.
    n_chains : int
        Replicas per temperature.
    betas : array of shape (K,), optional
        The ladder (decreasing, starting at 1); default :func:`geometric_betas`.
    n_temperatures, beta_min
        The default geometric ladder.
    """

    persistent: ClassVar[bool] = True

    def __init__(self, k: int = 1, n_chains: int = 100, *, betas: Sequence[float] | None = None,
                 n_temperatures: int = 10, beta_min: float = 0.1):
        self.k = check_int(k, "k", low=1)
        self.n_chains = check_int(n_chains, "n_chains", low=1)
        self.betas = geometric_betas(n_temperatures, beta_min) if betas is None else _check_ladder(betas)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(k={self.k}, n_chains={self.n_chains}, betas={self.betas.tolist()})"

    def betas_numpy(self) -> np.ndarray:
        return np.array(self.betas, dtype=np.float64)

    def init_state(self, model: RBMModel, start: Any, seed: Any = 0, *,
                   hidden: torch.Tensor | None = None) -> TemperedChains:
        """Every replica at every temperature starts from rows of ``start`` (repeated as
        needed); ``seed`` as for :meth:`CDSampler.init_state` (``hidden`` is not used)."""
        v0 = _repeat_rows(_start_rows(model, start), self.n_chains)
        visible = v0.unsqueeze(0).repeat(len(self.betas), 1, 1).contiguous()
        pairs = len(self.betas) - 1
        return TemperedChains(visible, model.hidden_input(visible), _generator(seed, model),
                              np.zeros(pairs, dtype=np.int64), np.zeros(pairs, dtype=np.int64))

    def sample(self, state: TemperedChains, n_steps: int = 1, *, model: RBMModel) -> TemperedChains:
        """Advance the replicas by ``n_steps`` transitions; returns ``state``.

        The hidden inputs are first recomputed under ``model`` (its parameters may have
        changed since the last call).
        """
        if not isinstance(state, TemperedChains):
            raise TypeError(f"ParallelTempering.sample needs the TemperedChains of its init_state, "
                            f"got {type(state).__name__}")
        if state.visible.shape[0] != len(self.betas) or state.visible.shape[-1] != model.n_visible:
            raise ValueError(
                f"the replicas have shape {tuple(state.visible.shape)}; this sampler needs "
                f"({len(self.betas)}, n_chains, {model.n_visible})"
            )
        n_steps = check_int(n_steps, "n_steps", low=0)
        state.hidden_input = model.hidden_input(state.visible)
        for _ in range(n_steps):
            self._transition(model, state)
        return state

    def _transition(self, model: RBMModel, state: TemperedChains) -> None:
        """k Gibbs sweeps at every temperature, then one round of neighbour swaps."""
        generator = state.generator
        beta = torch.as_tensor(self.betas, dtype=model.dtype, device=model.device)[:, None, None]
        x = state.hidden_input
        for _ in range(self.k):
            h = bernoulli(torch.sigmoid(beta * x), generator)
            v = model.sample_visible(h, generator, beta)
            x = model.hidden_input(v)
        energy = model.visible_term(v) - (h * x).sum(-1)  # (K, C): E(v, h) of the joint state
        n_t = len(self.betas)
        first = state.parity
        state.parity = 1 - state.parity
        lo = torch.arange(first, n_t - 1, 2, device=model.device)
        if len(lo):
            hi = lo + 1
            dbeta = (beta[lo, 0, 0] - beta[hi, 0, 0])[:, None]
            log_acc = dbeta * (energy[lo] - energy[hi])
            u = torch.rand(log_acc.shape, generator=generator, dtype=model.dtype, device=model.device)
            accept = torch.log(u) < log_acc  # (pairs, C)
            acc_v = accept[:, :, None]
            v_lo, v_hi = v[lo], v[hi]
            x_lo, x_hi = x[lo], x[hi]
            v[lo] = torch.where(acc_v, v_hi, v_lo)
            v[hi] = torch.where(acc_v, v_lo, v_hi)
            x[lo] = torch.where(acc_v, x_hi, x_lo)
            x[hi] = torch.where(acc_v, x_lo, x_hi)
            counts = accept.sum(1).cpu().numpy()
            idx = lo.cpu().numpy()
            state.accepted[idx] += counts
            state.attempted[idx] += accept.shape[1]
        state.visible, state.hidden_input = v, x
        state.steps += 1


def make_sampler(method: str, *, k: int = 1, n_chains: int = 100, n_temperatures: int = 10,
                 beta_min: float = 0.1, betas: Sequence[float] | None = None) -> Any:
    """The negative-phase sampler for ``method`` in {"cd", "pcd", "pt"}."""
    check_choice(method, "method", ("cd", "pcd", "pt"))
    if method == "cd":
        return CDSampler(k)
    if method == "pcd":
        return PCDSampler(k, n_chains)
    return ParallelTempering(k, n_chains, betas=betas, n_temperatures=n_temperatures, beta_min=beta_min)
