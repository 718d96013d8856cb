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

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch

from physml._core import check_int, check_real
from physml.ebm._partition import pseudo_likelihood, reconstruction_error
from physml.ebm._rbm_model import RBMModel
from physml.ebm._rbm_samplers import CDSampler, GibbsChains, PCDSampler, TemperedChains, _check_gibbs
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

    With Bernoulli visibles the update is computed as one product per phase group, in a
    workspace kept between batches: the chains' rows and the data rows are stacked into one
    matrix V (chains first) so that their hidden probabilities H come from one product,
    and the weight gradient of both phases is one product Gᵀ V with G = diag(s) H, s = −ε/m
    on the m chain rows and +ε/n on the n data rows (the biases: Vᵀ s and Hᵀ s). For CD and
    PCD the chains live in those rows (``chains.in_place``), so a PCD-1 update is five
    matrix products of the batch's size and no copies of the chains.

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
        ``matmul_dtype`` is restored after every :meth:`step` and :meth:`epoch`.

    Attributes
    ----------
    epochs_done, updates_done : int
    chains : GibbsChains or TemperedChains or None
        The state of the sampler's chains (None before the first update; for CD, the
        chains of the last batch). With Bernoulli visibles and CD or PCD its tensors are rows
        of the trainer's workspace (``in_place``), overwritten by the next update: copy them
        to keep them. Chains set here from elsewhere are copied into the workspace.
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
        #: V, H, G and s of the Bernoulli update (rows: chains, then data), grown as needed
        self._workspace: tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor] | None = None
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

    @contextmanager
    def _precision(self) -> Iterator[None]:
        """The model's ``matmul_dtype`` set to the trainer's for the updates inside, restored after."""
        if self.matmul_dtype is None:
            yield
            return
        previous = self.model.matmul_dtype
        self.model.matmul_dtype = self.matmul_dtype
        try:
            yield
        finally:
            self.model.matmul_dtype = previous

    @torch.no_grad()
    def step(self, v_pos: torch.Tensor) -> None:
        """One parameter update from the data batch ``v_pos`` (n, n_visible)."""
        with self._precision():
            self._step(v_pos)

    def _step(self, data: torch.Tensor, rows: torch.Tensor | None = None) -> None:
        """One update from the batch ``data`` (or its rows ``rows``, gathered without a copy
        of their own)."""
        model, sampler = self.model, self.sampler
        if model.log_sigma is None and isinstance(sampler, (CDSampler, PCDSampler)):
            self._gibbs_step(data, rows)
            return
        v_pos = model.as_tensor(data if rows is None else data[rows])
        lr = self.current_learning_rate()
        self.updates_done += 1
        chains = self.chains
        h_pos = model.hidden_probs(v_pos)
        if chains is None or not sampler.persistent:
            chains = self.chains = sampler.init_state(model, v_pos, self.generator, hidden=h_pos)
        sampler.sample(chains, 1, model=model)
        v_neg, h_neg = chains.samples, chains.hidden_probs
        if model.log_sigma is None:
            self._bernoulli_update(torch.cat([v_neg, v_pos]), torch.cat([h_neg, h_pos]), len(v_neg), lr)
            return
        params = model.parameters()
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

    def _buffers(self, rows: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The first ``rows`` rows of the workspace V (visible), H (hidden probabilities),
        G (scaled H) and s (row scales); a larger one replaces it when needed (chains that
        lived in the old one are copied over by :meth:`_gibbs_step`)."""
        model, ws = self.model, self._workspace
        if ws is None or len(ws[0]) < rows or ws[0].dtype != model.dtype or ws[0].device != model.device:
            size = max(rows, 0 if ws is None else len(ws[0]))
            opts: dict[str, Any] = dict(dtype=model.dtype, device=model.device)
            ws = self._workspace = (torch.empty(size, model.n_visible, **opts),
                                    torch.empty(size, model.n_hidden, **opts),
                                    torch.empty(size, model.n_hidden, **opts), torch.empty(size, **opts))
        return ws[0][:rows], ws[1][:rows], ws[2][:rows], ws[3][:rows]

    def _gibbs_step(self, data: torch.Tensor, rows: torch.Tensor | None) -> None:
        """The update of a Bernoulli RBM with CD-k or PCD-k chains kept in the workspace's first
        rows and the batch in the next ones: for PCD, k sweeps of the chains in place, then p(h|v)
        of chains and batch in one product and :meth:`_bernoulli_update` (the same random stream
        and the same update as sampling and updating phase by phase)."""
        model, sampler, chains = self.model, self.sampler, self.chains
        lr = self.current_learning_rate()
        self.updates_done += 1
        n = len(data) if rows is None else len(rows)
        persistent = chains is not None and sampler.persistent
        if persistent:
            _check_gibbs(chains, model, type(sampler).__name__)
            m = len(chains.visible)
        else:
            m = sampler.n_chains if sampler.persistent else n
        v, h, _, _ = self._buffers(m + n)
        v_neg, h_neg, v_pos, h_pos = v[:m], h[:m], v[m:], h[m:]
        if rows is None:
            v_pos.copy_(data)
        elif data.dtype == v_pos.dtype:
            torch.index_select(data, 0, rows, out=v_pos)
        else:  # compact 0/1 data (one byte a value): gathered, then converted
            v_pos.copy_(data[rows])
        if persistent:
            if not chains.in_place or chains.visible.data_ptr() != v_neg.data_ptr() \
                    or chains.hidden.data_ptr() != h_neg.data_ptr():
                v_neg.copy_(chains.visible)  # chains made or moved elsewhere: into the workspace
                h_neg.copy_(chains.hidden)
                chains.visible, chains.hidden, chains.in_place = v_neg, h_neg, True
            sampler.sample(chains, 1, model=model, hidden=False)
            model.hidden_probs(v, out=h)  # data and chains in one product
            chains.hidden = h_neg
        else:
            model.hidden_probs(v_pos, out=h_pos)
            start = sampler.init_state(model, v_pos, self.generator, hidden=h_pos)
            v_neg.copy_(start.visible)
            h_neg.copy_(start.hidden)
            chains = self.chains = GibbsChains(v_neg, h_neg, start.generator, in_place=True)
            sampler.sample(chains, 1, model=model)
        self._bernoulli_update(v, h, m, lr)

    def _bernoulli_update(self, v: torch.Tensor, h: torch.Tensor, m: int, lr: float) -> None:
        """The update of a Bernoulli RBM from the negative phase (the first ``m`` rows of the
        visible states ``v`` and their hidden probabilities ``h``) and the data (the other n
        rows): with s = −ε/m on the first rows and +ε/n on the others, ε g_W = (diag(s) h)ᵀ v,
        ε g_b = vᵀ s, ε g_c = hᵀ s (one product for both phases), then weight decay and
        momentum as documented in the class."""
        model = self.model
        n = len(v) - m
        params = model.parameters()
        w, b, c = params["weights"], params["visible_bias"], params["hidden_bias"]
        ws = self._workspace
        if ws is not None and v.data_ptr() == ws[0].data_ptr():
            g, s = ws[2][: len(v)], ws[3][: len(v)]
        else:
            g, s = torch.empty_like(h), torch.empty(len(v), dtype=h.dtype, device=h.device)
        s[:m].fill_(-lr / m)
        s[m:].fill_(lr / n)
        torch.mul(h, s[:, None], out=g)
        if self.momentum:
            for name, p in params.items():
                if name not in self.velocity:
                    self.velocity[name] = torch.zeros_like(p)
            tw, tb, tc = (self.velocity[k].mul_(self.momentum) for k in ("weights", "visible_bias",
                                                                          "hidden_bias"))
            if self.weight_decay:
                tw.add_(w, alpha=-lr * self.weight_decay)
        else:
            tw, tb, tc = w, b, c
            if self.weight_decay:
                w.mul_(1.0 - lr * self.weight_decay)
        md = model.matmul_dtype
        if md is None or md == w.dtype:
            tw.addmm_(g.T, v)
        else:  # one low-precision product, accumulated in full precision
            tw.add_(g.to(md).T @ v.to(md))
        tb.addmv_(v.T, s)
        tc.addmv_(h.T, s)
        if self.momentum:
            w.add_(tw)
            b.add_(tb)
            c.add_(tc)

    @torch.no_grad()
    def epoch(self, data: torch.Tensor) -> None:
        """One pass over ``data`` (n_samples, n_visible) in shuffled minibatches; 0/1 data may
        be held in any dtype (e.g. bool), each batch is converted to the model's."""
        n = len(data)
        order = torch.randperm(n, generator=self.generator, device=self.generator.device)
        with self._precision():
            for start in range(0, n, self.batch_size):
                self._step(data, order[start : start + self.batch_size])

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
