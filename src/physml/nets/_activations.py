"""Activation functions by name (PyTorch)."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import torch

__all__ = ["ACTIVATIONS", "ActivationBackward", "activation_backward", "get_activation"]

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


class ActivationBackward(NamedTuple):
    """How to backpropagate through an elementwise activation h = σ(z).

    ``from_output`` is True when σ'(z) is a function of h alone (linear, ReLU, tanh, sigmoid):
    then ``inplace(z)`` overwrites z with σ(z) and ``backward(h, grad_h)`` overwrites grad_h
    with σ'(z)·grad_h, so neither z nor a graph is kept. Otherwise ``inplace`` is None and
    ``backward(z, grad_h)`` returns σ'(z)·grad_h by autograd at z (σ must be elementwise)."""

    from_output: bool
    inplace: Callable[[torch.Tensor], torch.Tensor] | None
    backward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _relu_backward_(h: torch.Tensor, grad_h: torch.Tensor) -> torch.Tensor:
    return torch.ops.aten.threshold_backward.grad_input(grad_h, h, 0.0, grad_input=grad_h)


def _tanh_backward_(h: torch.Tensor, grad_h: torch.Tensor) -> torch.Tensor:
    return torch.ops.aten.tanh_backward.grad_input(grad_h, h, grad_input=grad_h)


def _sigmoid_backward_(h: torch.Tensor, grad_h: torch.Tensor) -> torch.Tensor:
    return torch.ops.aten.sigmoid_backward.grad_input(grad_h, h, grad_input=grad_h)


def _linear_backward_(h: torch.Tensor, grad_h: torch.Tensor) -> torch.Tensor:
    return grad_h


_CLOSED_FORMS = {
    _linear: ActivationBackward(True, _linear, _linear_backward_),
    torch.relu: ActivationBackward(True, torch.relu_, _relu_backward_),
    torch.tanh: ActivationBackward(True, torch.tanh_, _tanh_backward_),
    torch.sigmoid: ActivationBackward(True, torch.sigmoid_, _sigmoid_backward_),
}


def activation_backward(activation: str | Activation) -> ActivationBackward:
    """Backpropagation through ``activation`` without a graph where a closed form exists.

    Named activations whose derivative is a function of the output (linear, ReLU, tanh,
    sigmoid) use that closed form in place; any other activation, including a custom callable,
    is differentiated by autograd at the preactivation. See :class:`ActivationBackward`."""
    fn = get_activation(activation)
    if fn in _CLOSED_FORMS:
        return _CLOSED_FORMS[fn]

    def backward(z: torch.Tensor, grad_h: torch.Tensor) -> torch.Tensor:
        with torch.enable_grad():
            leaf = z.detach().requires_grad_()
            (grad_z,) = torch.autograd.grad(fn(leaf), leaf, grad_h)
        return grad_z

    return ActivationBackward(False, None, backward)
