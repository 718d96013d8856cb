"""Negative-phase samplers of RBM training: contrastive divergence CD-k, persistent CD-k and
parallel tempering, each a small object with a ``negative(model, v_pos, h_pos, generator)``
method that returns samples from the model (and their hidden probabilities). They work on
an :class:`~physml.ebm.RBMModel` and know nothing of training or of the estimator (the
sampler of NetKet's model / sampler / driver split).

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
from typing import Any

import numpy as np
import torch

from physml._core import check_array, check_choice, check_int, check_real
from physml.ebm._rbm_model import RBMModel, bernoulli

__all__ = ["CDSampler", "PCDSampler", "ParallelTempering", "geometric_betas", "make_sampler"]

# ---------------------------------------------------------------------------------------------
# negative-phase samplers
# ---------------------------------------------------------------------------------------------


class CDSampler:
    """Contrastive divergence CD-k: k block Gibbs sweeps started at the data batch.

    ``negative(model, v_pos, h_pos, generator)`` returns the negative visible samples and
    their hidden probabilities p(h=1|v_neg), both with the batch's number of rows.
    """

    def __init__(self, k: int = 1):
        self.k = check_int(k, "k", low=1)

    def reset(self) -> None:
        """CD keeps no state between updates."""

    def negative(self, model: RBMModel, v_pos: torch.Tensor, h_pos: torch.Tensor,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        hp = h_pos
        for _ in range(self.k):
            v = model.sample_visible(bernoulli(hp, generator), generator)
            hp = model.hidden_probs(v)
        return v, hp


class PCDSampler:
    """Persistent contrastive divergence (Tieleman 2008): ``n_chains`` Markov chains that are
    never reset; each update advances them by k block Gibbs sweeps.

    The chains are started at p(h|v) of the first data batch seen (rows repeated if there
    are more chains than rows). The state is the chains' hidden probabilities, so that
    p(h|v_neg), needed by the gradient, is reused by the next sweep (5 matrix products per
    PCD-1 update, as in scikit-learn's BernoulliRBM).
    """

    def __init__(self, k: int = 1, n_chains: int = 100):
        self.k = check_int(k, "k", low=1)
        self.n_chains = check_int(n_chains, "n_chains", low=1)
        self.hidden: torch.Tensor | None = None
        self.visible: torch.Tensor | None = None

    def reset(self) -> None:
        self.hidden = None
        self.visible = None

    def started(self, model: RBMModel) -> bool:
        return self.hidden is not None and self.hidden.shape == (self.n_chains, model.n_hidden)

    def advance_visible(self, model: RBMModel, generator: torch.Generator) -> torch.Tensor:
        """Advance started chains by k sweeps and return their visible states; the caller
        must then set ``hidden`` to p(h|v) of them (lets the trainer batch that product
        with the positive phase)."""
        hp = self.hidden
        for i in range(self.k):
            v = model.sample_visible(bernoulli(hp, generator), generator)
            if i + 1 < self.k:
                hp = model.hidden_probs(v)
        self.visible = v
        return v

    def negative(self, model: RBMModel, v_pos: torch.Tensor, h_pos: torch.Tensor,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.started(model):
            reps = -(-self.n_chains // len(h_pos))
            self.hidden = h_pos.repeat(reps, 1)[: self.n_chains].clone()
        v = self.advance_visible(model, generator)
        self.hidden = model.hidden_probs(v)
        return v, self.hidden


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
    ladder 1 = β_0 > β_1 > ... > β_{K−1}, each distributed as exp(−β_k E(v, h)). An update does
    k block Gibbs sweeps in every replica, then proposes swaps of neighbouring
    temperatures (even pairs (0,1), (2,3), ... on even updates, odd pairs on odd ones), each
    accepted with the Metropolis probability min(1, exp((β_k − β_{k+1})(E_k − E_{k+1}))) on the
    joint energies. The β = 1 replicas are the negative samples.

    Parameters
    ----------
    k : int
        Gibbs sweeps per update.
    n_chains : int
        Replicas per temperature.
    betas : array of shape (K,), optional
        The ladder (decreasing, starting at 1); default :func:`geometric_betas`.
    n_temperatures, beta_min
        The default geometric ladder.

    Attributes
    ----------
    accepted, attempted : numpy.ndarray of shape (K − 1,)
        Swap counts per neighbouring pair; :meth:`swap_acceptance` is their ratio.
    """

    def __init__(self, k: int = 1, n_chains: int = 100, *, betas: Sequence[float] | None = None,
                 n_temperatures: int = 10, beta_min: float = 0.1):
        self.k = check_int(k, "k", low=1)
        self.n_chains = check_int(n_chains, "n_chains", low=1)
        self.betas = geometric_betas(n_temperatures, beta_min) if betas is None else _check_ladder(betas)
        self.reset()

    def reset(self) -> None:
        self.visible: torch.Tensor | None = None
        self.hidden_input: torch.Tensor | None = None
        self.accepted = np.zeros(len(self.betas) - 1, dtype=np.int64)
        self.attempted = np.zeros(len(self.betas) - 1, dtype=np.int64)
        self.parity = 0

    def betas_numpy(self) -> np.ndarray:
        return np.array(self.betas, dtype=np.float64)

    def swap_acceptance(self) -> np.ndarray:
        """Fraction of accepted swaps for each pair (β_k, β_{k+1}) so far (NaN if none tried)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.accepted / np.where(self.attempted > 0, self.attempted, np.nan)

    def sweep(self, model: RBMModel, generator: torch.Generator) -> None:
        """k Gibbs sweeps at every temperature, then one round of neighbour swaps."""
        beta = torch.as_tensor(self.betas, dtype=model.dtype, device=model.device)[:, None, None]
        x = self.hidden_input
        for _ in range(self.k):
            h = bernoulli(torch.sigmoid(beta * x), generator)
            v = model.sample_visible(h, generator, beta)
            x = model.hidden_input(v)
        energy = model.visible_term(v) - (h * x).sum(-1)  # (K, C): E(v, h) of the joint state
        n_t = len(self.betas)
        first = self.parity
        self.parity = 1 - self.parity
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
            self.accepted[idx] += counts
            self.attempted[idx] += accept.shape[1]
        self.visible, self.hidden_input = v, x

    def initialise(self, model: RBMModel, v_start: torch.Tensor) -> None:
        """Start every replica from rows of ``v_start`` (repeated as needed)."""
        reps = -(-self.n_chains // len(v_start))
        v0 = v_start.repeat(reps, 1)[: self.n_chains]
        self.visible = v0.unsqueeze(0).repeat(len(self.betas), 1, 1).contiguous()
        self.hidden_input = model.hidden_input(self.visible)

    def negative(self, model: RBMModel, v_pos: torch.Tensor, h_pos: torch.Tensor,
                 generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        if self.visible is None or self.visible.shape[-1] != model.n_visible:
            self.initialise(model, v_pos)
        else:  # the parameters changed since the last update: refresh the hidden inputs
            self.hidden_input = model.hidden_input(self.visible)
        self.sweep(model, generator)
        return self.visible[0], torch.sigmoid(self.hidden_input[0])


def make_sampler(method: str, *, k: int = 1, n_chains: int = 100, n_temperatures: int = 10,
                 beta_min: float = 0.1, betas: Sequence[float] | None = None) -> Any:
    """The negative-phase sampler for ``method`` in {"cd", "pcd", "pt"}."""
    check_choice(method, "method", ("cd", "pcd", "pt"))
    if method == "cd":
        return CDSampler(k)
    if method == "pcd":
        return PCDSampler(k, n_chains)
    return ParallelTempering(k, n_chains, betas=betas, n_temperatures=n_temperatures, beta_min=beta_min)
