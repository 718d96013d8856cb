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
    loss: Callable[..., torch.Tensor],
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float = 0.0,
    weight_decay: float = 0.0,
    schedule: str = "constant",
    generator: torch.Generator,
    on_epoch: Callable[[int, float], None] | None = None,
    sample_weight: torch.Tensor | None = None,
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
    sample_weight : torch.Tensor, shape (n_samples,), optional
        Non-negative weights with a positive sum. A batch b then minimises
        Σ_b w_i ℓ_i / (|b| w̄), with ℓ_i = ``loss(outputs, targets, reduction="none")`` (the
        torch.nn.functional losses take it) and w̄ the mean weight over all samples: unit weights
        give the unweighted mean, and in full-batch training an integer weight is the same as
        repeating the sample.

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
    if sample_weight is not None:
        sample_weight = torch.as_tensor(sample_weight)
        if sample_weight.shape != (n,):
            raise ValueError(f"sample_weight must have shape ({n},), got {tuple(sample_weight.shape)}")
        if bool((sample_weight < 0).any()) or not bool(torch.isfinite(sample_weight).all()):
            raise ValueError("sample_weight must be finite and non-negative")
        mean_weight = sample_weight.sum() / n
        if not mean_weight > 0:
            raise ValueError("sample_weight must have a positive sum")
    history: list[float] = []
    model.train()
    for epoch in range(epochs):
        if cosine is not None:
            set_learning_rate(optimiser, cosine(epoch))
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            if sample_weight is None:
                value = loss(model(inputs[idx]), targets[idx])
            else:
                each = loss(model(inputs[idx]), targets[idx], reduction="none")
                value = (each * sample_weight[idx]).sum() / (len(idx) * mean_weight)
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
