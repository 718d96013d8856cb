"""Training to convergence for data-scaling measurements: minibatch SGD with early stopping on a
held-out validation set and learning-rate drops on plateaus.

A point of a data-scaling curve L(D) must measure the loss that D examples allow, not the loss
that a fixed compute budget reaches: Kaplan et al. (arXiv:2001.08361, sec. 3 and 4) train each
dataset size "with early stopping" so that L(D) is not limited by the number of steps. With a
fixed step budget instead, large D are under-trained and the fitted "irreducible loss" is a
compute floor (the failure this module exists to avoid).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from physml._core import check_int, check_real
from physml.training import EarlyStopping, ReduceOnPlateau

# torch is imported by the functions: the module of teacher_student_data (numpy only) imports
# this one, and the teacher data should not load torch
if TYPE_CHECKING:
    import torch

__all__ = ["ConvergedTraining", "train_to_convergence"]


@dataclass(frozen=True)
class ConvergedTraining:
    """Outcome of :func:`train_to_convergence` (the model holds the best parameters).

    Attributes
    ----------
    val_loss : float
        Lowest validation loss seen (the model is left at those parameters).
    best_step : int
        Optimiser step at which it was reached.
    steps : int
        Steps taken in all.
    lr_drops : int
        Learning-rate drops made.
    converged : bool
        True when training ended because the validation loss stopped improving after the last
        allowed drop; False when ``max_steps`` ran out first (the point is then compute-limited).
    curve : ndarray, shape (n_evaluations, 2)
        (step, validation loss) at every evaluation.
    """

    val_loss: float
    best_step: int
    steps: int
    lr_drops: int
    converged: bool
    curve: np.ndarray


def _mean_loss(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    chunk: int = 4096,
) -> float:
    """Mean of ``loss`` over (x, y) in evaluation mode, computed in chunks without gradients."""
    import torch

    model.eval()
    total = 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], chunk):
            xb, yb = x[i : i + chunk], y[i : i + chunk]
            total += float(loss(model(xb), yb)) * xb.shape[0]
    model.train()
    return total / x.shape[0]


def train_to_convergence(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    val_inputs: torch.Tensor,
    val_targets: torch.Tensor,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    batch_size: int,
    learning_rate: float,
    generator: torch.Generator,
    momentum: float = 0.9,
    weight_decay: float = 0.0,
    eval_every: int | None = None,
    patience: int = 5,
    max_lr_drops: int = 2,
    drop_factor: float = 0.2,
    rel_tol: float = 1e-3,
    max_steps: int = 100_000,
) -> ConvergedTraining:
    """Minimise ``loss`` by minibatch SGD until the validation loss stops improving.

    Every ``eval_every`` steps the mean validation loss is computed. An evaluation improves on
    the best so far b if it is lower than b − ``rel_tol``·|b|; the parameters of the best
    evaluation are kept (the loss before training is the first best, unless it is NaN or
    infinite). After ``patience`` evaluations without improvement the model goes back to the
    best parameters and the learning rate is multiplied by ``drop_factor`` (the momentum
    buffers restart); after ``max_lr_drops`` drops the next plateau ends training
    (``converged=True``): :class:`physml.training.ReduceOnPlateau` over a
    :class:`physml.training.EarlyStopping` rule. Training also ends, unconverged, after
    ``max_steps`` steps. The model is left at the best parameters, in evaluation mode.

    Parameters
    ----------
    model : torch.nn.Module
    inputs, targets : torch.Tensor
        Training data (first axis = samples).
    val_inputs, val_targets : torch.Tensor
        Held-out data for the stopping decision only (never trained on).
    loss : callable
        ``loss(outputs, targets)`` averaged over the batch, e.g.
        :func:`torch.nn.functional.cross_entropy`.
    batch_size : int
        Minibatch size (capped at the number of samples).
    learning_rate : float
        Initial SGD learning rate.
    generator : torch.Generator
        Source of the shuffling order.
    momentum, weight_decay : float
        Passed to :class:`torch.optim.SGD`.
    eval_every : int, optional
        Steps between evaluations; default one epoch (ceil(n / batch_size) steps).
    patience : int
        Evaluations without improvement before a drop (or the end).
    max_lr_drops : int
        Learning-rate drops before the next plateau ends training.
    drop_factor : float
        Factor in (0, 1) applied to the learning rate at each drop.
    rel_tol : float
        Relative improvement that counts as one.
    max_steps : int
        Hard cap on the number of steps.

    Returns
    -------
    ConvergedTraining

    Raises
    ------
    FloatingPointError
        If the training or validation loss becomes NaN or infinite.
    """
    import torch

    n = inputs.shape[0]
    if n < 1 or targets.shape[0] != n:
        raise ValueError(
            f"inputs and targets must hold the same number (>= 1) of samples, got {n} and {targets.shape[0]}"
        )
    if val_inputs.shape[0] < 1 or val_targets.shape[0] != val_inputs.shape[0]:
        raise ValueError(
            f"val_inputs and val_targets must hold the same number (>= 1) of samples, got "
            f"{val_inputs.shape[0]} and {val_targets.shape[0]}"
        )
    batch_size = min(check_int(batch_size, "batch_size", low=1), n)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0)
    weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
    per_epoch = math.ceil(n / batch_size)
    eval_every = per_epoch if eval_every is None else check_int(eval_every, "eval_every", low=1)
    patience = check_int(patience, "patience", low=1)
    max_lr_drops = check_int(max_lr_drops, "max_lr_drops", low=0)
    drop_factor = check_real(drop_factor, "drop_factor", low=0.0, high=1.0, low_open=True)
    if drop_factor == 1.0:
        raise ValueError("drop_factor must be in (0, 1), got 1.0")
    rel_tol = check_real(rel_tol, "rel_tol", low=0.0)
    max_steps = check_int(max_steps, "max_steps", low=1)

    def optimiser(lr: float) -> torch.optim.Optimizer:
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)

    rule = ReduceOnPlateau(EarlyStopping(patience=patience, rtol=rel_tol), factor=drop_factor,
                           max_drops=max_lr_drops)
    opt = optimiser(learning_rate)
    model.train()
    initial = _mean_loss(model, val_inputs, val_targets, loss)
    best_state = copy.deepcopy(model.state_dict())
    plateau = rule.init(learning_rate)
    if math.isfinite(initial):  # the starting point is the first best (a non-finite one is none)
        plateau, _ = rule.update(plateau, initial)
    best_step, step = 0, 0
    curve = [(0, initial)]
    converged = False
    order = torch.randperm(n, generator=generator)
    pos = 0
    while step < max_steps and not converged:
        for _ in range(min(eval_every, max_steps - step)):
            if pos + batch_size > n:  # a new epoch: a fresh permutation (no short last batch)
                order = torch.randperm(n, generator=generator)
                pos = 0
            idx = order[pos : pos + batch_size]
            pos += batch_size
            value = loss(model(inputs[idx]), targets[idx])
            opt.zero_grad(set_to_none=True)
            value.backward()
            opt.step()
            step += 1
        current = _mean_loss(model, val_inputs, val_targets, loss)
        if not math.isfinite(current):
            raise FloatingPointError(
                f"training diverged by step {step} (validation loss {current}); lower learning_rate "
                f"(now {learning_rate})"
            )
        curve.append((step, current))
        plateau, decision = rule.update(plateau, current)
        if decision.improved:
            best_step, best_state = step, copy.deepcopy(model.state_dict())
        elif decision.drop:  # back to the best parameters, a smaller step, fresh momentum
            model.load_state_dict(best_state)
            opt = optimiser(float(decision.value))
        converged = bool(decision.stop)
    model.load_state_dict(best_state)
    model.eval()
    return ConvergedTraining(
        val_loss=float(plateau.stopping.best),
        best_step=int(best_step),
        steps=int(step),
        lr_drops=int(plateau.drops),
        converged=bool(converged),
        curve=np.array(curve, dtype=float),
    )
