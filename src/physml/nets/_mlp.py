"""Fully connected networks: the Kaplan talk's layers, composed."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from physml._core import check_array, check_int
from physml.nets._activations import Activation, get_activation

__all__ = ["MLP", "count_parameters", "dense"]


def _check_widths(widths: Sequence[int]) -> list[int]:
    widths = list(widths)
    if len(widths) < 2:
        raise ValueError(f"widths must list at least an input and an output width, got {widths!r}")
    return [check_int(w, f"widths[{i}]", low=1) for i, w in enumerate(widths)]


def count_parameters(widths: Sequence[int], *, bias: bool = True) -> int:
    """Number of weights and biases of an MLP with layer widths ``widths``.

    ``sum(n_in * n_out + n_out)`` over consecutive pairs; e.g. one dense
    784 -> 784 layer has 784 * 784 + 784 = 615,440 parameters (the Kaplan talk).
    """
    widths = _check_widths(widths)
    return sum(a * b + (b if bias else 0) for a, b in zip(widths[:-1], widths[1:], strict=True))


def dense(
    x: np.ndarray,
    weight: np.ndarray,
    bias: np.ndarray | None = None,
    activation: str | Activation = "relu",
) -> np.ndarray:
    """One neural-network layer, ``activation(weight @ x + bias)``, in float64.

    Parameters
    ----------
    x : array, shape (n_in,) or (n_samples, n_in)
    weight : array, shape (n_out, n_in)
    bias : array, shape (n_out,), optional
    activation : str or callable
        A name from :data:`physml.nets.ACTIVATIONS` or a function of a tensor.

    Returns
    -------
    array, shape (n_out,) or (n_samples, n_out)
    """
    w = check_array(weight, "weight", ndim=2)
    xs = check_array(x, "x", ndim=(1, 2))
    if xs.shape[-1] != w.shape[1]:
        raise ValueError(f"x has {xs.shape[-1]} features but weight expects {w.shape[1]} (shape {w.shape})")
    b = np.zeros(w.shape[0]) if bias is None else check_array(bias, "bias", shape=(w.shape[0],))
    act = get_activation(activation)
    z = torch.from_numpy(xs @ w.T + b)
    return act(z).numpy()


class MLP(torch.nn.Module):
    """A multilayer perceptron ``widths[0] -> widths[1] -> ... -> widths[-1]``.

    Hidden layers apply ``activation``; the output layer is linear unless
    ``output_activation`` is given. Weights use PyTorch's default initialisation
    unless set afterwards, e.g. by :func:`physml.nets.initialize` (critical or orthogonal).

    Parameters
    ----------
    widths : sequence of int
        Layer widths including input and output, e.g. ``(784, 256, 10)``.
    activation : str or callable
    bias : bool
    output_activation : str or callable, optional
    """

    def __init__(
        self,
        widths: Sequence[int],
        activation: str | Activation = "relu",
        *,
        bias: bool = True,
        output_activation: str | Activation | None = None,
    ):
        super().__init__()
        self.widths = tuple(_check_widths(widths))
        self.activation = get_activation(activation)
        self.output_activation = None if output_activation is None else get_activation(output_activation)
        self.layers = torch.nn.ModuleList(
            torch.nn.Linear(a, b, bias=bias) for a, b in zip(self.widths[:-1], self.widths[1:], strict=True)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        x = self.layers[-1](x)
        return x if self.output_activation is None else self.output_activation(x)

    def parameter_pairs(self) -> list[tuple[torch.nn.Parameter, torch.nn.Parameter | None]]:
        """(weight, bias) of each layer, input to output; weight has shape (n_out, n_in)."""
        return [(layer.weight, layer.bias) for layer in self.layers]

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())
