"""Training drivers for RBMs, kept apart from the model and the samplers (the driver of
NetKet's model / sampler / driver split): the log-likelihood gradient, a minibatch SGD
driver with momentum and weight decay (:class:`RBMTrainer`, which draws its negative phase
from a sampler of :mod:`physml.ebm._rbm_samplers` and holds the state of its chains), and
early stopping on a held-out metric (the pseudo-likelihood or reconstruction error of
:mod:`physml.ebm._partition`).

The log-likelihood gradient of an RBM with free energy F is
∇_θ log p(v) = −∇_θ F(v) + E_model[∇_θ F], estimated with the data batch (positive phase)
and samples from the model (negative phase), the hidden units summed out analytically
(Rao-Blackwellised: p(h|v) enters, not h samples).

References
----------
- Hinton, "Training products of experts by minimizing contrastive divergence",
  Neural Computation 14, 1771 (2002) (CD-k).
- Tieleman, "Training restricted Boltzmann machines using approximations to the likelihood
  gradient", ICML 2008 (persistent CD; the linearly decayed learning rate).
- Hinton, "A Practical Guide to Training Restricted Boltzmann Machines", UTML TR 2010-003
  (momentum, weight decay, initialisation).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from physml._core import check_int, check_real
from physml.ebm._partition import pseudo_likelihood, reconstruction_error
from physml.ebm._rbm_model import RBMModel
from physml.ebm._rbm_samplers import GibbsChains, PCDSampler, TemperedChains
from physml.training import ConstantSchedule, LinearSchedule, Schedule
from physml.training import EarlyStopping as StoppingRule

__all__ = [
    "DIVERGENCE_BOUND",
    "EarlyStopping",
    "RBMTrainer",
    "TrainingDiverged",
    "log_likelihood_gradient",
    "validation_metric",
]


# ---------------------------------------------------------------------------------------------
# divergence
# ---------------------------------------------------------------------------------------------

#: Largest |θ| of a weight, a hidden bias or a Bernoulli visible bias that training accepts
#: (log-odds units). A parameter of 100 changes a conditional log-odds by 100 (odds of e^100),
#: which no finite data set supports: maximum likelihood lets a parameter grow only
#: logarithmically in the number of updates, while each update moves it by at most about
#: ε / (1 − μ) (learning rate ε, momentum μ; every gradient entry lies in [−1, 1]); so a
#: parameter beyond the bound means steps far too large. Parameters given beyond it (weights
#: trained elsewhere, :meth:`~physml.ebm.RBM.from_parameters`) may grow to 10 times their
#: starting size.
DIVERGENCE_BOUND = 100.0


class TrainingDiverged(FloatingPointError):
    """Training diverged: a parameter became NaN or infinite, or exceeded the bound
    (:data:`DIVERGENCE_BOUND`). The message names the epoch and the learning rate; the
    attributes hold them for a caller that words its own message.

    Attributes
    ----------
    epoch : int
        The epoch (counted from 1 over the trainer's life) after which it was detected.
    parameter : str
        The name of the offending parameter (``"weights"``, ``"hidden_bias"``, ...).
    detail : str
        What was found, e.g. ``"max |weights| = 6.2e+20 > 100"`` or ``"weights became NaN or
        infinite"``.
    learning_rate : float
        The learning rate used.
    suggested_learning_rate : float
        A smaller one to try: a tenth of it, and at most 0.1 (Hinton's practical guide starts
        at 0.01-0.1 for binary units), to one significant figure.
    """

    def __init__(self, epoch: int, parameter: str, detail: str, learning_rate: float):
        self.epoch, self.parameter, self.detail = int(epoch), parameter, detail
        self.learning_rate = float(learning_rate)
        self.suggested_learning_rate = float(f"{min(self.learning_rate / 10, 0.1):.0e}")
        super().__init__(
            f"RBM training diverged at epoch {self.epoch} ({detail}); lower learning_rate="
            f"{self.learning_rate:g}, e.g. to {self.suggested_learning_rate:g}"
        )


# ---------------------------------------------------------------------------------------------
# gradient and driver
# ---------------------------------------------------------------------------------------------


def log_likelihood_gradient(model: RBMModel, v_pos: torch.Tensor, h_pos: torch.Tensor,
                            v_neg: torch.Tensor, h_neg: torch.Tensor,
                            *, learn_sigma: bool = False) -> dict[str, torch.Tensor]:
    """Stochastic estimate of ∇_θ of the mean log-likelihood: E_data[−∇F] − E_model[−∇F].

    Parameters
    ----------
    v_pos, h_pos : torch.Tensor, shapes (n, n_visible), (n, n_hidden)
        Data batch and p(h=1|v_pos).
    v_neg, h_neg : torch.Tensor, shapes (m, n_visible), (m, n_hidden)
        Negative samples and p(h=1|v_neg).
    learn_sigma : bool
        Also return the gradient for ``log_sigma`` (Gaussian visibles).

    Returns
    -------
    dict of str to torch.Tensor
        Keys of :meth:`RBMModel.parameters` (``log_sigma`` only if ``learn_sigma``).
    """
    n, m = len(v_pos), len(v_neg)
    s_pos, s_neg = model.scaled(v_pos), model.scaled(v_neg)
    grad_w = torch.addmm(h_pos.T @ s_pos, h_neg.T, s_neg, beta=1.0 / n, alpha=-1.0 / m)
    grad_c = h_pos.mean(0) - h_neg.mean(0)
    if model.log_sigma is None:
        grad_b = v_pos.mean(0) - v_neg.mean(0)
    else:
        inv_var = torch.exp(-2 * model.log_sigma)
        grad_b = (v_pos.mean(0) - v_neg.mean(0)) * inv_var
    out = {"weights": grad_w, "visible_bias": grad_b, "hidden_bias": grad_c}
    if learn_sigma and model.log_sigma is not None:
        def minus_dF_dlogsigma(v: torch.Tensor, s: torch.Tensor, hp: torch.Tensor) -> torch.Tensor:
            z = (v - model.visible_bias) * torch.exp(-model.log_sigma)
            return (z**2 - s * (hp @ model.weights)).mean(0)

        out["log_sigma"] = minus_dF_dlogsigma(v_pos, s_pos, h_pos) - minus_dF_dlogsigma(v_neg, s_neg, h_neg)
    return out


class RBMTrainer:
    """Minibatch stochastic gradient ascent on the log-likelihood of an RBM.

    Update per batch: velocity ← μ velocity + ε (g − λ W), θ ← θ + velocity, with g from
    :func:`log_likelihood_gradient` (weight decay λ on the weights only, as in Hinton's
    guide). The model's tensors are updated in place.

    Parameters
    ----------
    model : RBMModel
    sampler : CDSampler, PCDSampler or ParallelTempering
        Its chains are started at the first batch (CD: at every batch) and their state is
        kept in ``chains``; the sampler itself holds only its settings.
    learning_rate, batch_size, weight_decay, momentum
    learn_sigma : bool
        Update log σ of Gaussian visibles.
    generator : torch.Generator
        Batch order and sampling (on the model's device); the chains' state shares it.
    decay_updates : int, optional
        Decay the learning rate linearly to zero over this many updates,
        ε_u = ε max(0, 1 − u / decay_updates) (Tieleman 2008 for PCD); constant if None.
        Setting ``learning_rate`` or ``decay_updates`` later rebuilds ``schedule``.
    matmul_dtype : torch.dtype, optional
        Mixed precision: the matrix products of each update (conditionals, sampling, the
        weight gradient) take operands of this dtype (e.g. ``torch.bfloat16``) with the
        parameters and their updates kept in the model's dtype. The model's own
        ``matmul_dtype`` is restored after every update.

    Attributes
    ----------
    epochs_done, updates_done : int
    chains : GibbsChains or TemperedChains or None
        The state of the sampler's chains (None before the first update; for CD, the
        chains of the last batch).
    schedule : physml.training.Schedule
        ε as a function of ``updates_done``: a :class:`~physml.training.LinearSchedule` to zero
        over ``decay_updates``, or a :class:`~physml.training.ConstantSchedule`.
    """

    def __init__(self, model: RBMModel, sampler: Any, *, learning_rate: float, batch_size: int,
                 weight_decay: float = 0.0, momentum: float = 0.0, learn_sigma: bool = False,
                 generator: torch.Generator, decay_updates: int | None = None,
                 matmul_dtype: torch.dtype | None = None):
        self.model = model
        self.matmul_dtype = matmul_dtype
        self.sampler = sampler
        self._decay_updates: int | None = None
        self.learning_rate = learning_rate
        self.batch_size = check_int(batch_size, "batch_size", low=1)
        self.weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
        self.momentum = check_real(momentum, "momentum", low=0.0, high=1.0)
        self.learn_sigma = bool(learn_sigma) and model.log_sigma is not None
        self.generator = generator
        self.chains: GibbsChains | TemperedChains | None = None
        self.velocity: dict[str, torch.Tensor] = {}
        self.epochs_done = 0
        self.updates_done = 0
        self.decay_updates = decay_updates

    @property
    def learning_rate(self) -> float:
        """ε before any decay."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: float) -> None:
        self._learning_rate = check_real(value, "learning_rate", low=0.0, low_open=True)
        self._set_schedule()

    @property
    def decay_updates(self) -> int | None:
        """Updates over which ε decays linearly to zero (None: constant)."""
        return self._decay_updates

    @decay_updates.setter
    def decay_updates(self, value: int | None) -> None:
        self._decay_updates = None if value is None else check_int(value, "decay_updates", low=1)
        self._set_schedule()

    def _set_schedule(self) -> None:
        if self._decay_updates is None:
            self.schedule: Schedule = ConstantSchedule(self._learning_rate)
        else:
            self.schedule = LinearSchedule(self._learning_rate, 0.0, self._decay_updates)

    def current_learning_rate(self) -> float:
        """ε for the next update (after the linear decay, if any)."""
        return self.schedule(self.updates_done)

    @torch.no_grad()
    def step(self, v_pos: torch.Tensor) -> None:
        """One parameter update from the data batch ``v_pos`` (n, n_visible)."""
        if self.matmul_dtype is None:
            self._step(v_pos)
            return
        previous = self.model.matmul_dtype
        self.model.matmul_dtype = self.matmul_dtype
        try:
            self._step(v_pos)
        finally:
            self.model.matmul_dtype = previous

    def _step(self, v_pos: torch.Tensor) -> None:
        model, lr, sampler = self.model, self.current_learning_rate(), self.sampler
        self.updates_done += 1
        chains = self.chains
        if isinstance(sampler, PCDSampler) and chains is not None:
            # one matrix product for the hidden probabilities of data and chains together
            sampler.sample(chains, 1, model=model, hidden=False)
            v_neg = chains.visible
            probs = model.hidden_probs(torch.cat([v_pos, v_neg]))
            h_pos, h_neg = probs[: len(v_pos)], probs[len(v_pos) :]
            chains.hidden = h_neg
        else:
            h_pos = model.hidden_probs(v_pos)
            if chains is None or not sampler.persistent:
                chains = self.chains = sampler.init_state(model, v_pos, self.generator, hidden=h_pos)
            sampler.sample(chains, 1, model=model)
            v_neg, h_neg = chains.samples, chains.hidden_probs
        n, m = len(v_pos), len(v_neg)
        params = model.parameters()
        if self.momentum == 0.0 and model.log_sigma is None:
            # fast path (Bernoulli, plain SGD): in-place rank-n updates, no temporaries
            w = params["weights"]
            if self.weight_decay:
                w.mul_(1.0 - lr * self.weight_decay)
            if model.matmul_dtype is None or model.matmul_dtype == w.dtype:
                w.addmm_(h_pos.T, v_pos, alpha=lr / n).addmm_(h_neg.T, v_neg, alpha=-lr / m)
            else:  # one low-precision product for both phases, accumulated into W in full precision
                md = model.matmul_dtype
                h = torch.cat([h_pos * (lr / n), h_neg * (-lr / m)]).to(md)
                w.add_(h.T @ torch.cat([v_pos, v_neg]).to(md))
            params["visible_bias"].add_(v_pos.sum(0), alpha=lr / n).add_(v_neg.sum(0), alpha=-lr / m)
            params["hidden_bias"].add_(h_pos.sum(0), alpha=lr / n).add_(h_neg.sum(0), alpha=-lr / m)
            return
        grads = log_likelihood_gradient(model, v_pos, h_pos, v_neg, h_neg, learn_sigma=self.learn_sigma)
        if self.weight_decay:
            grads["weights"].add_(params["weights"], alpha=-self.weight_decay)
        for name, g in grads.items():
            if self.momentum:
                vel = self.velocity.get(name)
                if vel is None:
                    vel = self.velocity[name] = torch.zeros_like(g)
                vel.mul_(self.momentum).add_(g, alpha=lr)
                params[name].add_(vel)
            else:
                params[name].add_(g, alpha=lr)

    @torch.no_grad()
    def epoch(self, data: torch.Tensor) -> None:
        """One pass over ``data`` (n_samples, n_visible) in shuffled minibatches."""
        n = len(data)
        order = torch.randperm(n, generator=self.generator, device=self.generator.device)
        for start in range(0, n, self.batch_size):
            self.step(data[order[start : start + self.batch_size]])

    def run(self, data: torch.Tensor, n_epochs: int, *, early_stopping: EarlyStopping | None = None,
            on_epoch: Callable[[int], None] | None = None) -> None:
        """``n_epochs`` epochs (fewer if ``early_stopping`` says stop; it then restores the best
        parameters); ``on_epoch(epochs_done)`` after each.

        Raises
        ------
        TrainingDiverged
            After the first epoch that leaves a parameter NaN or infinite, or a weight, a hidden
            bias or a Bernoulli visible bias beyond ``max(DIVERGENCE_BOUND, 10 × its size at the
            start of the call)`` in absolute value.
        """
        limits = self._divergence_limits()
        for _ in range(check_int(n_epochs, "n_epochs", low=0)):
            self.epoch(data)
            self.epochs_done += 1
            self._check_divergence(limits)
            if on_epoch is not None:
                on_epoch(self.epochs_done)
            if early_stopping is not None and early_stopping.update(self.model):
                break
        if early_stopping is not None:
            early_stopping.restore(self.model)

    def _divergence_limits(self) -> dict[str, float]:
        """The bound on max |θ| of each bounded parameter (those in log-odds units)."""
        bounded = ("weights", "hidden_bias") + (("visible_bias",) if self.model.log_sigma is None else ())
        params = self.model.parameters()
        limits = {}
        for name in bounded:
            start = float(params[name].abs().max()) if params[name].numel() else 0.0
            limits[name] = max(DIVERGENCE_BOUND, 10.0 * start) if np.isfinite(start) else float("inf")
        return limits

    def _check_divergence(self, limits: dict[str, float]) -> None:
        for name, p in self.model.parameters().items():
            if not bool(torch.isfinite(p).all()):
                raise TrainingDiverged(self.epochs_done, name, f"{name} became NaN or infinite",
                                       self.learning_rate)
            if name in limits and p.numel():
                top = float(p.abs().max())
                if top > limits[name]:
                    raise TrainingDiverged(self.epochs_done, name,
                                           f"max |{name}| = {top:.2g} > {limits[name]:g}", self.learning_rate)


class EarlyStopping:
    """Stop when ``metric(model)`` (higher is better) has not improved by more than ``tol`` for
    ``patience`` consecutive epochs; remembers and restores the best parameters.

    Every improvement, however small, moves the best score and the parameters kept (the
    convention of scikit-learn's ``tol``); only one by more than ``tol`` restarts the patience.
    The decisions are those of a :class:`physml.training.EarlyStopping` rule
    (``mode="max"``, ``atol=tol``, ``update_best="any"``), held in ``rule`` and ``state``; this
    class adds the metric, the recorded scores and the copy of the parameters.

    Parameters
    ----------
    metric : callable
        ``metric(model) -> float`` after each epoch, e.g. :func:`validation_metric`.
    patience : int
        Epochs without an improvement by more than ``tol`` before stopping.
    tol : float
        Margin (>= 0) an improvement must exceed to restart the patience.
    """

    def __init__(self, metric: Callable[[RBMModel], float], *, patience: int = 5, tol: float = 1e-4):
        self.metric = metric
        self.patience = check_int(patience, "patience", low=1)
        self.tol = check_real(tol, "tol", low=0.0)
        self.rule = StoppingRule(patience=self.patience, mode="max", atol=self.tol, update_best="any")
        self.state = self.rule.init()
        self.scores: list[float] = []
        self.best_params: dict[str, torch.Tensor] | None = None

    @property
    def best(self) -> float:
        """The best score so far (−inf before the first finite one)."""
        return float(self.state.best)

    @property
    def bad_epochs(self) -> int:
        """Epochs since the last improvement by more than ``tol``."""
        return int(self.state.wait)

    def update(self, model: RBMModel) -> bool:
        """Record the metric after an epoch; return True when training should stop."""
        score = float(self.metric(model))
        self.scores.append(score)
        self.state, decision = self.rule.update(self.state, score)
        if decision.improved:
            self.best_params = {k: v.detach().clone() for k, v in model.parameters().items()}
        return bool(decision.stop)

    def restore(self, model: RBMModel) -> None:
        if self.best_params is not None:
            for name, p in model.parameters().items():
                p.copy_(self.best_params[name])


def validation_metric(model: RBMModel, data: torch.Tensor) -> float:
    """Held-out metric for early stopping (higher is better): the mean deterministic
    pseudo-log-likelihood for Bernoulli visibles, minus the mean reconstruction error for
    Gaussian ones (the pseudo-likelihood of a continuous unit has no closed form)."""
    if model.visible == "bernoulli":
        return float(np.mean(pseudo_likelihood(model, data)))
    return -float(np.mean(reconstruction_error(model, data)))
