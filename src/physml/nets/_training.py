"""Training drivers: minibatch stochastic gradient descent (the model does not own its loop)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from physml.training import CosineSchedule, set_learning_rate

__all__ = ["sgd_train"]


def sgd_train(
    model: torch.nn.Module,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    schedule: str = "constant",
    generator: torch.Generator,
    on_epoch: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Minimise ``loss(model(x), y)`` by minibatch SGD, Θ ← Θ − ε ∇Θ L on shuffled batches.

    Parameters
    ----------
    model : torch.nn.Module
    inputs, targets : torch.Tensor
        Training data, first axis = samples.
    loss : callable
        ``loss(outputs, targets)`` averaged over the batch, e.g.
        :func:`torch.nn.functional.cross_entropy` (the negative log-likelihood of a softmax).
    epochs, batch_size : int
    learning_rate, momentum, weight_decay : float
        Passed to :class:`torch.optim.SGD`.
    schedule : {"constant", "cosine"}
        Learning rate per epoch: constant, or ε_t = ε (1 + cos(π t / epochs)) / 2
        (cosine annealing, which removes most of the end-of-training SGD noise;
        :class:`physml.training.CosineSchedule` over ``epochs`` steps).
    generator : torch.Generator
        Source of the shuffling order (reproducibility).
    on_epoch : callable, optional
        Called as ``on_epoch(epoch, mean_loss)`` after each epoch.

    Returns
    -------
    list of float
        The mean training loss of each epoch.

    Raises
    ------
    FloatingPointError
        If the loss becomes NaN or infinite (the learning rate is too large).
    """
    optimiser = torch.optim.SGD(
        model.parameters(), lr=learning_rate, momentum=momentum, weight_decay=weight_decay
    )
    if schedule not in ("constant", "cosine"):
        raise ValueError(f"schedule must be 'constant' or 'cosine'; got {schedule!r}")
    # the rate at the start of each epoch; None: the optimiser keeps learning_rate throughout
    cosine = None
    if schedule == "cosine" and epochs > 0:
        cosine = CosineSchedule(learning_rate, decay_steps=epochs)
    n = inputs.shape[0]
    history: list[float] = []
    model.train()
    for epoch in range(epochs):
        if cosine is not None:
            set_learning_rate(optimiser, cosine(epoch))
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            value = loss(model(inputs[idx]), targets[idx])
            optimiser.zero_grad(set_to_none=True)
            value.backward()
            optimiser.step()
            total += value.item() * len(idx)
        mean = total / n
        if not math.isfinite(mean):
            raise FloatingPointError(
                f"training diverged at epoch {epoch} (loss {mean}); lower learning_rate (now {learning_rate})"
            )
        history.append(mean)
        if on_epoch is not None:
            on_epoch(epoch, mean)
    model.eval()
    return history
