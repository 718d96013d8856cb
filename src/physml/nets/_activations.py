"""Activation functions by name (PyTorch)."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

__all__ = ["ACTIVATIONS", "get_activation"]

Activation = Callable[[torch.Tensor], torch.Tensor]


def _linear(z: torch.Tensor) -> torch.Tensor:
    return z


def _erf(z: torch.Tensor) -> torch.Tensor:
    return torch.erf(z)


def _gelu(z: torch.Tensor) -> torch.Tensor:
    return 0.5 * z * (1.0 + torch.erf(z / math.sqrt(2.0)))


#: Activations known by name. ``gelu`` is the exact (erf) form.
ACTIVATIONS: dict[str, Activation] = {
    "linear": _linear,
    "relu": torch.relu,
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "gelu": _gelu,
    "erf": _erf,
}


def get_activation(activation: str | Activation) -> Activation:
    """The activation called ``activation``, or ``activation`` itself if it is callable."""
    if callable(activation):
        return activation
    try:
        return ACTIVATIONS[activation]
    except (KeyError, TypeError):
        raise ValueError(
            f"activation must be a callable or one of {', '.join(ACTIVATIONS)}; got {activation!r}"
        ) from None
