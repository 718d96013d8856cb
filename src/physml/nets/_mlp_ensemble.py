"""Vectorised ensembles of MLPs: K independent networks stored as stacked tensors and evaluated
at once, with batched matrix products over a leading ensemble axis. They are trained by
:func:`physml.nets.train_ensemble` and measured by :func:`physml.nets.preactivation_statistics`
and :func:`physml.nets.empirical_ntk`."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from physml._core import check_array, check_int
from physml.nets._activations import Activation, get_activation
from physml.nets._init import initialize
from physml.nets._mlp import MLP, _check_widths

__all__ = ["MLPEnsemble"]


class MLPEnsemble(torch.nn.Module):
    """``n_members`` independent MLPs with the same widths, stored as stacked tensors.

    Layer ℓ's weights have shape (n_members, n_out, n_in) and its biases
    (n_members, n_out); the forward pass is one batched matrix product per layer.

    Parameters
    ----------
    n_members : int
    widths : sequence of int
        Layer widths including input and output, e.g. ``(1, 64, 64, 1)``.
    activation : str or callable
    bias : bool
    C_W, C_b : float, optional
        Initialisation in the book's convention (see :func:`physml.nets.initialize`);
        leave both out for the critical one of ``activation``.
    weights : {"gaussian", "orthogonal"}
    seed : int
        Member i is initialised from ``spawn_seeds(seed, n_members)[i]``.
    """

    def __init__(
        self,
        n_members: int,
        widths: Sequence[int],
        activation: str | Activation = "relu",
        *,
        bias: bool = True,
        C_W: float | None = None,
        C_b: float | None = None,
        weights: str = "gaussian",
        seed: int = 0,
    ):
        super().__init__()
        self.n_members = check_int(n_members, "n_members", low=1)
        self.widths = tuple(_check_widths(widths))
        self.activation_spec = activation
        self.activation = get_activation(activation)
        pairs = list(zip(self.widths[:-1], self.widths[1:], strict=True))
        self.weights = torch.nn.ParameterList(
            torch.nn.Parameter(torch.empty(self.n_members, b, a)) for a, b in pairs
        )
        self.biases = (
            torch.nn.ParameterList(torch.nn.Parameter(torch.empty(self.n_members, b)) for _, b in pairs)
            if bias
            else None
        )
        initialize(self, C_W=C_W, C_b=C_b, weights=weights, seed=seed)

    @property
    def depth(self) -> int:
        """Number of layers L (hidden layers + output layer)."""
        return len(self.weights)

    def parameter_pairs(self) -> list[tuple[torch.nn.Parameter, torch.nn.Parameter | None]]:
        """(weight, bias) of each layer; shapes (n_members, n_out, n_in) and (n_members, n_out)."""
        biases = [None] * self.depth if self.biases is None else list(self.biases)
        return list(zip(self.weights, biases, strict=True))

    def forward(self, x: torch.Tensor, *, return_preactivations: bool = False):
        """Outputs of every member.

        Parameters
        ----------
        x : tensor, shape (batch, n_0) shared by all members, or (n_members, batch, n_0)
        return_preactivations : bool
            Also return the list of z^(ℓ), ℓ = 1..L, each (n_members, batch, n_ℓ).

        Returns
        -------
        tensor, shape (n_members, batch, n_L)
        """
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        if x.dim() != 3 or x.shape[0] != self.n_members or x.shape[2] != self.widths[0]:
            raise ValueError(
                f"x must have shape (batch, {self.widths[0]}) or "
                f"({self.n_members}, batch, {self.widths[0]}); "
                f"got {tuple(x.shape)}"
            )
        h, pre = self._propagate(x, self.parameter_pairs())
        return (h, pre) if return_preactivations else h

    def _propagate(
        self, x: torch.Tensor, pairs: Sequence[tuple[torch.Tensor, torch.Tensor | None]]
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Forward pass of x (members, batch, n_0) through stacked (weight, bias) pairs."""
        pre = []
        h = x
        for ell, (w, b) in enumerate(pairs):
            z = (
                torch.bmm(h, w.transpose(1, 2))
                if b is None
                else torch.baddbmm(b.unsqueeze(1), h, w.transpose(1, 2))
            )
            pre.append(z)
            h = self.activation(z) if ell < self.depth - 1 else z
        return h, pre

    def member(self, i: int) -> MLP:
        """An independent :class:`~physml.nets.MLP` copy of member ``i``."""
        i = check_int(i, "i", low=0, high=self.n_members - 1)
        net = MLP(self.widths, self.activation_spec, bias=self.biases is not None)
        with torch.no_grad():
            for (w, b), (ew, eb) in zip(net.parameter_pairs(), self.parameter_pairs(), strict=True):
                w.copy_(ew[i])
                if b is not None:
                    b.copy_(eb[i])
        return net

    @classmethod
    def from_models(cls, models: Sequence[MLP]) -> MLPEnsemble:
        """Stack MLPs of identical widths, activation and bias setting into an ensemble."""
        models = list(models)
        if not models:
            raise ValueError("models must contain at least one MLP")
        first = models[0]
        for i, m in enumerate(models):
            if not isinstance(m, MLP):
                raise TypeError(f"models[{i}] must be a physml.nets.MLP, got {type(m).__name__}")
            if m.widths != first.widths or (m.layers[0].bias is None) != (first.layers[0].bias is None):
                raise ValueError(f"models[{i}] has widths {m.widths}, models[0] has {first.widths}")
            if m.output_activation is not None:
                raise ValueError("MLPEnsemble does not support an output activation")
        ens = cls(
            len(models),
            first.widths,
            first.activation,
            bias=first.layers[0].bias is not None,
            C_W=1.0,
            C_b=0.0,
        )
        with torch.no_grad():
            for ell, (w, b) in enumerate(ens.parameter_pairs()):
                w.copy_(torch.stack([m.layers[ell].weight for m in models]))
                if b is not None:
                    b.copy_(torch.stack([m.layers[ell].bias for m in models]))
        return ens

    def extra_repr(self) -> str:
        return f"n_members={self.n_members}, widths={self.widths}"


def _as_tensor(x: np.ndarray | torch.Tensor, name: str, n_features: int, dtype: torch.dtype) -> torch.Tensor:
    """Validate data of shape (batch, N) or (n_members, batch, N) (finite) and convert it."""
    if isinstance(x, torch.Tensor):
        if not torch.all(torch.isfinite(x)):
            bad = int((~torch.isfinite(x)).sum())
            raise ValueError(f"{name} contains {bad} non-finite value(s) (NaN or inf); remove or impute them")
        t = x.to(dtype)
    else:
        t = torch.as_tensor(check_array(x, name, ndim=(2, 3)), dtype=dtype)
    if t.dim() not in (2, 3) or t.shape[-1] != n_features:
        raise ValueError(
            f"{name} must have shape (n_samples, {n_features}) or (n_members, n_samples, {n_features}); "
            f"got {tuple(t.shape)}"
        )
    return t
