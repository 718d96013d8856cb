"""Training of an :class:`~physml.nets.MLPEnsemble`: every member by minibatch SGD on its own
shuffling of the data, all at once, with backpropagation through the stacked layers written out.
The loop was tuned for speed (the "Benchmark" section of the ``physml.nets`` documentation says
what each of its choices gained)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from physml._core import check_choice, check_int, check_real, check_seed, spawn_seeds, torch_generator
from physml.nets._activations import activation_backward
from physml.nets._mlp_ensemble import MLPEnsemble, _as_tensor

__all__ = ["train_ensemble"]


_LOSSES = ("mse", "cross_entropy")


def _member_loss_and_grad(
    loss: str | Callable, out: torch.Tensor, y: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-member mean loss, shape (n_members,), and its gradient with respect to ``out``
    (members, batch, n_L): closed forms for the named losses, autograd for a callable."""
    if callable(loss):
        with torch.enable_grad():
            leaf = out.detach().requires_grad_()
            per_member = loss(leaf, y)
            (grad,) = torch.autograd.grad(per_member.sum(), leaf)
        return per_member.detach(), grad
    if loss == "mse":
        d = out - y
        per_member = d.square().flatten(1).mean(dim=1)
        return per_member, d.mul_(2.0 / d[0].numel())
    # cross entropy of class indices y (members, batch): d/dout = (softmax − one-hot) / batch
    log_p = torch.log_softmax(out, dim=-1)
    per_member = -log_p.gather(-1, y.unsqueeze(-1)).squeeze(-1).mean(dim=1)
    grad = log_p.exp_()
    grad.scatter_add_(-1, y.unsqueeze(-1), torch.full_like(grad[..., :1], -1.0))
    return per_member, grad.div_(out.shape[1])


@dataclass
class _ChunkLayer:
    """Views of one layer for one chunk of members: parameters (w, its transpose, the bias as
    (members, 1, n_out)), momentum buffers and the shared workspace."""

    w: torch.Tensor
    w_t: torch.Tensor
    b: torch.Tensor | None
    v_w: torch.Tensor | None
    v_b: torch.Tensor | None
    z: torch.Tensor
    grad_h: torch.Tensor | None
    grad_w: torch.Tensor | None
    transposed_grad: bool


class _EnsembleSGD:
    """SGD steps of an :class:`MLPEnsemble`, a chunk of members at a time, without autograd.

    Backpropagation through the stacked linear layers is written out (two batched matrix
    products per layer) and each layer is updated in place as soon as its gradient is known:
    a member's update depends on that member's gradient alone, and the downstream gradient
    g·W is taken before W changes. Activations and gradients live in preallocated buffers of
    one chunk, reused by every chunk and step so that they stay in the CPU cache, and the views
    of each chunk are made once. Only a callable loss (on the outputs) and activations without
    a closed-form derivative go through autograd. The update is PyTorch's SGD:
    v ← μ v + g (v = g on the first step), p ← p − lr v."""

    def __init__(
        self,
        ensemble: MLPEnsemble,
        loss: str | Callable,
        batch: int,
        chunk: int,
        learning_rate: float,
        momentum: float,
    ):
        self.ensemble, self.loss, self.batch = ensemble, loss, batch
        self.learning_rate, self.momentum = learning_rate, momentum
        self.act = activation_backward(ensemble.activation)
        n = ensemble.n_members
        chunk = min(chunk, n)
        self.chunks = [slice(c0, min(c0 + chunk, n)) for c0 in range(0, n, chunk)]
        params = [(w.detach(), None if b is None else b.detach()) for w, b in ensemble.parameter_pairs()]
        velocity = [
            (torch.zeros_like(w), None if b is None else torch.zeros_like(b)) if momentum else (None, None)
            for w, b in params
        ]

        def buffer(*shape: int) -> torch.Tensor:
            return torch.empty(shape, dtype=params[0][0].dtype, device=params[0][0].device)

        layers = []
        for ell, (w, _) in enumerate(params):
            n_out, n_in = w.shape[1:]
            # dL/dW = gᵀh, accumulated straight into W (or v) by baddbmm_; a batched matmul is
            # slow when its output's rows are few, so a layer with fewer inputs than outputs
            # computes hᵀg into a buffer and updates with its transpose
            transposed = n_in < n_out
            layers.append(
                (
                    buffer(chunk, batch, n_out),
                    buffer(chunk, batch, n_in) if ell > 0 else None,
                    buffer(chunk, n_in, n_out) if transposed else None,
                    transposed,
                )
            )
        self.views = []
        for sl in self.chunks:
            c = sl.stop - sl.start
            views = []
            for (w, b), (v_w, v_b), (z, grad_h, grad_w, transposed) in zip(
                params, velocity, layers, strict=True
            ):
                views.append(
                    _ChunkLayer(
                        w=w[sl],
                        w_t=w[sl].transpose(1, 2),
                        b=None if b is None else b[sl].unsqueeze(1),
                        v_w=None if v_w is None else v_w[sl],
                        v_b=None if v_b is None else v_b[sl],
                        z=z[:c],
                        grad_h=None if grad_h is None else grad_h[:c],
                        grad_w=None if grad_w is None else grad_w[:c],
                        transposed_grad=transposed,
                    )
                )
            self.views.append(views)

    def step(self, k: int, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """One SGD step of chunk ``k`` on its batches x (members, batch, n_0), y; their losses."""
        layers, act, lr, mu = self.views[k], self.act, self.learning_rate, self.momentum
        short = x.shape[1] != self.batch  # the last batch of an epoch can be smaller
        last = len(layers) - 1
        with torch.no_grad():
            hs, zs = [x], []
            for ell, lay in enumerate(layers):
                z = lay.z[:, : x.shape[1]] if short else lay.z
                if lay.b is None:
                    torch.bmm(hs[-1], lay.w_t, out=z)
                else:
                    torch.baddbmm(lay.b, hs[-1], lay.w_t, out=z)
                zs.append(z)
                if ell < last:
                    hs.append(act.inplace(z) if act.from_output else self.ensemble.activation(z))
            per_member, g = _member_loss_and_grad(self.loss, zs[-1], y)
            for ell in range(last, -1, -1):
                lay, h = layers[ell], hs[ell]
                if ell > 0:
                    grad_h = lay.grad_h[:, : x.shape[1]] if short else lay.grad_h
                    # g·W; an outer product when the layer has one output (bmm is slow there)
                    if lay.w.shape[1] == 1:
                        torch.mul(g, lay.w, out=grad_h)
                    else:
                        torch.bmm(g, lay.w, out=grad_h)
                    g_below = (
                        act.backward(h, grad_h) if act.from_output else act.backward(zs[ell - 1], grad_h)
                    )
                if lay.transposed_grad:
                    grad_w = torch.bmm(h.transpose(1, 2), g, out=lay.grad_w).transpose(1, 2)
                    if lay.v_w is not None:
                        grad_w = lay.v_w.mul_(mu).add_(grad_w)
                    lay.w.sub_(grad_w, alpha=lr)
                elif lay.v_w is not None:
                    # v ← μ v + gᵀh in one pass over v (wide layers: the update is memory bound)
                    lay.v_w.baddbmm_(g.transpose(1, 2), h, beta=mu)
                    lay.w.sub_(lay.v_w, alpha=lr)
                else:
                    lay.w.baddbmm_(g.transpose(1, 2), h, alpha=-lr)
                if lay.b is not None:
                    grad_b = g.sum(dim=1)
                    if lay.v_b is not None:
                        grad_b = lay.v_b.mul_(mu).add_(grad_b)
                    lay.b.squeeze(1).sub_(grad_b, alpha=lr)
                if ell > 0:
                    g = g_below
        return per_member


def _check_matrix_shape(x: Any, name: str, n_columns: int) -> None:
    shape = tuple(x.shape) if isinstance(x, torch.Tensor | np.ndarray) else np.shape(x)
    if len(shape) != 2 or shape[1] != n_columns:
        raise ValueError(f"{name} must have shape (n_samples, {n_columns}); got {tuple(shape)}")


def _training_targets(
    targets: Any, loss: str | Callable, n: int, n_out: int, dtype: torch.dtype
) -> torch.Tensor:
    """Targets of :func:`train_ensemble`, checked against the loss and converted."""
    if callable(loss):
        t = torch.as_tensor(targets)
    elif loss == "mse":
        _check_matrix_shape(targets, "targets for 'mse'", n_out)
        t = _as_tensor(targets, "targets", n_out, dtype)
    else:
        t = torch.as_tensor(targets)
        if t.dim() != 1 or t.dtype.is_floating_point or t.dtype.is_complex or t.dtype == torch.bool:
            raise ValueError(
                f"targets for 'cross_entropy' must be integer class indices of shape (n_samples,); "
                f"got shape {tuple(t.shape)} and dtype {t.dtype}"
            )
        if len(t) and (int(t.min()) < 0 or int(t.max()) >= n_out):
            raise ValueError(
                f"targets for 'cross_entropy' must lie in [0, {n_out - 1}] (the network has {n_out} "
                f"outputs); got values from {int(t.min())} to {int(t.max())}"
            )
        t = t.long()
    if t.dim() == 0 or t.shape[0] != n:
        got = 0 if t.dim() == 0 else t.shape[0]
        raise ValueError(f"inputs and targets have different numbers of samples: {n} and {got}")
    return t


def train_ensemble(
    ensemble: MLPEnsemble,
    inputs: torch.Tensor,
    targets: torch.Tensor,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "mse",
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float = 0.0,
    seed: int = 0,
    callback: Callable[[int, MLPEnsemble], None] | None = None,
    member_chunk: int | None = None,
) -> np.ndarray:
    """Train every member by minibatch SGD on its own shuffling of the data, all at once.

    The summed loss Σ_members L_member has independent gradients per member, so one SGD step
    on the stacked parameters is one independent SGD step of each member: the same as
    ``torch.optim.SGD(lr=learning_rate, momentum=momentum)`` on each member alone (tested to
    1e-12 in float64). Backpropagation is written out for the stacked linear layers and the
    parameters are updated in place (no ``.grad`` is stored); activations without a closed-form
    derivative and a callable ``loss`` are differentiated by autograd.

    Parameters
    ----------
    inputs : tensor or array, shape (n_samples, n_0)
        Converted to the ensemble's dtype (finite values only).
    targets : tensor or array
        Shape (n_samples, n_L) for ``"mse"``; integer class indices in [0, n_L), shape
        (n_samples,), for ``"cross_entropy"``; anything the callable ``loss`` takes otherwise.
    loss : {"mse", "cross_entropy"} or callable
        A callable gets outputs (n_members, batch, n_L) and targets (n_members, batch, ...)
        and returns the per-member mean loss, shape (n_members,).
    seed : int
        Member i shuffles with ``spawn_seeds(seed, n_members)[i]``.
    callback : callable, optional
        Called as ``callback(epoch, ensemble)`` after each epoch (epochs counted from 1), for
        measurements during training, e.g. :func:`preactivation_statistics` or
        :func:`empirical_ntk` of the partly trained members. It must not change the parameters.
    member_chunk : int, optional
        Members per forward/backward pass. Every member takes each step, but ``member_chunk``
        members at a time, so that their activations stay in the CPU cache (elementwise work on
        the whole ensemble's activations is memory bound). Default: about 512 KiB of
        activations per layer per chunk. The results depend on it only through floating-point
        rounding (batched matmul kernels may sum in a different order for different batch
        counts).

    Returns
    -------
    ndarray, shape (epochs, n_members)
        Mean training loss of each member in each epoch.
    """
    if not callable(loss):
        check_choice(loss, "loss", _LOSSES)
    epochs = check_int(epochs, "epochs", low=0)
    batch_size = check_int(batch_size, "batch_size", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    momentum = check_real(momentum, "momentum", low=0.0, high=1.0)
    seed = check_seed(seed)
    dtype = ensemble.weights[0].dtype
    _check_matrix_shape(inputs, "inputs", ensemble.widths[0])
    inputs = _as_tensor(inputs, "inputs", ensemble.widths[0], dtype)
    n = inputs.shape[0]
    targets = _training_targets(targets, loss, n, ensemble.widths[-1], dtype)
    generators = [torch_generator(s) for s in spawn_seeds(seed, ensemble.n_members)]
    widest = max(ensemble.widths)
    if member_chunk is None:
        member_chunk = max(1, (512 * 1024) // (4 * min(batch_size, n) * widest))
    chunk = check_int(member_chunk, "member_chunk", low=1)
    sgd = _EnsembleSGD(ensemble, loss, min(batch_size, n), chunk, learning_rate, momentum)
    history = np.zeros((epochs, ensemble.n_members))
    for epoch in range(epochs):
        order = torch.stack([torch.randperm(n, generator=g) for g in generators])
        total = torch.zeros(ensemble.n_members, dtype=torch.float64)
        for start in range(0, n, batch_size):
            idx = order[:, start : start + batch_size]
            rows = idx.flatten().to(inputs.device)
            x_step = inputs.index_select(0, rows).view(*idx.shape, *inputs.shape[1:])
            y_step = targets.index_select(0, rows.to(targets.device)).view(*idx.shape, *targets.shape[1:])
            for k, members in enumerate(sgd.chunks):
                per_member = sgd.step(k, x_step[members], y_step[members])
                total[members] += per_member.to("cpu", torch.float64) * idx.shape[1]
        history[epoch] = (total / n).numpy()
        if not np.all(np.isfinite(history[epoch])):
            raise FloatingPointError(
                f"training diverged at epoch {epoch}; lower learning_rate (now {learning_rate})"
            )
        if callback is not None:
            callback(epoch + 1, ensemble)
    return history
