"""Adversarial examples for any PyTorch classifier: FGSM and PGD in the L∞ and L2 norms,
untargeted or targeted, and the smallest perturbation that changes a prediction.

FGSM (Goodfellow, Shlens & Szegedy, arXiv:1412.6572): one step x' = x + ε sign ∇ₓL (L∞) or
x' = x + ε ∇ₓL/‖∇ₓL‖₂ (L2). PGD (Madry et al., arXiv:1706.06083): iterate such steps of size
α and project back onto the ε-ball around x (and onto the valid input box) after each step.
Untargeted attacks increase the loss of the true label; targeted attacks decrease the loss of
the target label.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from physml._core import check_choice, check_int, check_real, check_seed, torch_generator

__all__ = ["NORMS", "fgsm", "minimal_perturbation", "pgd", "predict_labels"]

NORMS = ("inf", "2")


def _norm(norm: Any) -> str:
    text = str(norm).lower().replace("l", "")
    if text in ("inf", "infinity"):
        text = "inf"
    return check_choice(text, "norm", NORMS)


def _check_epsilon(epsilon: float) -> float:
    return check_real(epsilon, "epsilon", low=0.0)


def _as_tensor(x: Any, name: str) -> torch.Tensor:
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x))
    if not torch.is_floating_point(t):
        t = t.float()
    if not torch.all(torch.isfinite(t)):
        raise ValueError(f"{name} contains non-finite values")
    return t.detach()


def _labels(y: Any, n: int, name: str) -> torch.Tensor:
    t = y if isinstance(y, torch.Tensor) else torch.as_tensor(np.asarray(y))
    t = t.reshape(-1).long()
    if t.shape[0] != n:
        raise ValueError(f"{name} must hold one label per input ({n}), got {t.shape[0]}")
    return t


def _clip(x: torch.Tensor, clip: tuple[float, float] | None) -> torch.Tensor:
    return x if clip is None else x.clamp(clip[0], clip[1])


def _check_clip(clip: tuple[float, float] | None) -> tuple[float, float] | None:
    if clip is None:
        return None
    lo, hi = (float(c) for c in clip)
    if not lo < hi:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")
    return lo, hi


def _flat_norm(v: torch.Tensor, norm: str) -> torch.Tensor:
    """Per-example norm, shape (n, 1, ..., 1) for broadcasting."""
    flat = v.reshape(v.shape[0], -1)
    out = flat.abs().amax(dim=1) if norm == "inf" else flat.norm(dim=1)
    return out.reshape((-1,) + (1,) * (v.dim() - 1))


def _direction(grad: torch.Tensor, norm: str) -> torch.Tensor:
    """The steepest-ascent unit step of the norm: sign(g) for L∞, g/‖g‖₂ for L2 (0 where g = 0)."""
    if norm == "inf":
        return grad.sign()
    length = _flat_norm(grad, "2")
    return torch.where(length > 0, grad / length.clamp_min(1e-30), torch.zeros_like(grad))


def _project(delta: torch.Tensor, epsilon: torch.Tensor, norm: str) -> torch.Tensor:
    if norm == "inf":
        return torch.maximum(torch.minimum(delta, epsilon), -epsilon)
    length = _flat_norm(delta, "2")
    scale = torch.where(length > epsilon, epsilon / length.clamp_min(1e-30), torch.ones_like(length))
    return delta * scale


def _loss_gradient(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor, targeted: bool):
    """∇ₓ of the summed cross-entropy (negated for targeted attacks: the ascent direction)."""
    x = x.clone().requires_grad_(True)
    loss = torch.nn.functional.cross_entropy(model(x), labels, reduction="sum")
    (grad,) = torch.autograd.grad(-loss if targeted else loss, x)
    return grad


def _epsilon_tensor(epsilon: Any, x: torch.Tensor) -> torch.Tensor:
    eps = torch.as_tensor(np.asarray(epsilon, dtype=float), dtype=x.dtype)
    if eps.dim() == 0:
        eps = eps.expand(x.shape[0])
    if eps.shape != (x.shape[0],) or torch.any(eps < 0) or not torch.all(torch.isfinite(eps)):
        raise ValueError(f"epsilon must be a number >= 0 or one per input ({x.shape[0]}), got {epsilon!r}")
    return eps.reshape((-1,) + (1,) * (x.dim() - 1))


def fgsm(
    model: torch.nn.Module,
    x: Any,
    y: Any,
    epsilon: float,
    *,
    norm: str = "inf",
    targeted: bool = False,
    clip: tuple[float, float] | None = None,
) -> torch.Tensor:
    """The fast gradient (sign) method: one step of size ε along the loss gradient's steepest direction.

    Parameters
    ----------
    model : torch.nn.Module
        Maps inputs (n, ...) to logits (n, n_classes); its parameters are not changed.
    x : tensor or array, shape (n, ...)
        Inputs.
    y : tensor or array of int, shape (n,)
        True labels (untargeted) or target labels (``targeted=True``).
    epsilon : float
        Size of the perturbation in the chosen norm, >= 0 (input units).
    norm : {"inf", "2"}
        L∞: x + ε sign ∇ₓL; L2: x + ε ∇ₓL/‖∇ₓL‖₂.
    targeted : bool
        Step down the loss of the target labels instead of up the loss of the true ones.
    clip : (float, float), optional
        Valid input range, e.g. (0, 1) for images; applied after the step.

    Returns
    -------
    torch.Tensor, shape of x
        The adversarial inputs (detached).
    """
    norm = _norm(norm)
    _check_epsilon(epsilon)
    clip = _check_clip(clip)
    x = _as_tensor(x, "x")
    labels = _labels(y, x.shape[0], "y")
    grad = _loss_gradient(model, x, labels, targeted)
    return _clip(x + float(epsilon) * _direction(grad, norm), clip).detach()


def pgd(
    model: torch.nn.Module,
    x: Any,
    y: Any,
    epsilon: Any,
    *,
    norm: str = "inf",
    n_steps: int = 20,
    step_size: float | None = None,
    targeted: bool = False,
    random_start: bool = True,
    clip: tuple[float, float] | None = None,
    seed: int = 0,
) -> torch.Tensor:
    """Projected gradient descent: iterated steepest-ascent steps projected onto the ε-ball.

    Each step is x ← Π(x + α d), with d the FGSM direction at the current x and Π the
    projection onto {x' : ‖x' − x₀‖ ≤ ε} followed by the clip to the valid box (which can only
    shrink each coordinate's displacement, so the result stays in the ball). The iterate with
    the highest loss (lowest for targeted attacks) is returned per example.

    Parameters
    ----------
    model, x, y, norm, targeted, clip
        As in :func:`fgsm`.
    epsilon : float or array of shape (n,)
        Radius of the ball, >= 0 (one per input allowed).
    n_steps : int
        >= 1.
    step_size : float, optional
        α; default 2.5 ε / n_steps (Madry et al.).
    random_start : bool
        Start from a uniform point of the ball (L∞) or a uniform direction at uniform radius
        fraction (L2) instead of x itself.
    seed : int
        For the random start.

    Returns
    -------
    torch.Tensor, shape of x
    """
    norm = _norm(norm)
    n_steps = check_int(n_steps, "n_steps", low=1)
    clip = _check_clip(clip)
    seed = check_seed(seed)
    x0 = _as_tensor(x, "x")
    labels = _labels(y, x0.shape[0], "y")
    eps = _epsilon_tensor(epsilon, x0)
    alpha = 2.5 * eps / n_steps if step_size is None else torch.full_like(
        eps, check_real(step_size, "step_size", low=0.0, low_open=True)
    )
    delta = torch.zeros_like(x0)
    if random_start:
        gen = torch_generator(seed)
        if norm == "inf":
            delta = (2.0 * torch.rand(x0.shape, generator=gen, dtype=x0.dtype) - 1.0) * eps
        else:
            direction = _direction(torch.randn(x0.shape, generator=gen, dtype=x0.dtype), "2")
            radius = torch.rand((x0.shape[0],) + (1,) * (x0.dim() - 1), generator=gen, dtype=x0.dtype)
            delta = direction * radius * eps
    xa = _clip(x0 + delta, clip)
    best = xa.clone()
    with torch.no_grad():
        best_loss = _per_example_loss(model, xa, labels, targeted)
    for _ in range(n_steps):
        grad = _loss_gradient(model, xa, labels, targeted)
        with torch.no_grad():
            xa = x0 + _project(xa + alpha * _direction(grad, norm) - x0, eps, norm)
            xa = _clip(xa, clip)
            loss = _per_example_loss(model, xa, labels, targeted)
            better = loss > best_loss
            best[better] = xa[better]
            best_loss = torch.where(better, loss, best_loss)
    return best.detach()


def _per_example_loss(model: torch.nn.Module, x: torch.Tensor, labels: torch.Tensor, targeted: bool):
    loss = torch.nn.functional.cross_entropy(model(x), labels, reduction="none")
    return -loss if targeted else loss


def predict_labels(model: torch.nn.Module, x: Any, *, batch_size: int = 4096) -> torch.Tensor:
    """argmax of the model's logits, shape (n,), in batches without gradients."""
    x = _as_tensor(x, "x")
    with torch.no_grad():
        return torch.cat([model(x[i : i + batch_size]).argmax(1) for i in range(0, x.shape[0], batch_size)])


def minimal_perturbation(
    model: torch.nn.Module,
    x: Any,
    y: Any,
    *,
    norm: str = "2",
    epsilon_max: float,
    n_bisections: int = 12,
    attack: str = "pgd",
    n_steps: int = 20,
    clip: tuple[float, float] | None = None,
    seed: int = 0,
) -> np.ndarray:
    """The smallest ε at which the attack changes each prediction: a distance to the decision boundary.

    Bisects ε in [0, ``epsilon_max``] for every input at once; an untargeted attack of size ε
    succeeds when the predicted label differs from ``y``. Inputs already misclassified get 0;
    inputs the attack cannot flip at ``epsilon_max`` get ``inf``. The result is an upper bound
    on the true distance to the boundary (the attack may miss a closer crossing), accurate to
    ``epsilon_max / 2**n_bisections``; for a linear model it is the exact distance
    |w·x + b|/‖w‖_dual.

    Parameters
    ----------
    model, x, y, clip
        As in :func:`pgd` (``y`` the true labels).
    norm : {"inf", "2"}
    epsilon_max : float
        > 0.
    n_bisections : int
    attack : {"pgd", "fgsm"}
    n_steps : int
        PGD steps (no random start, so the result is deterministic).
    seed : int

    Returns
    -------
    numpy.ndarray, shape (n,)
    """
    norm = _norm(norm)
    epsilon_max = check_real(epsilon_max, "epsilon_max", low=0.0, low_open=True)
    n_bisections = check_int(n_bisections, "n_bisections", low=1)
    check_choice(attack, "attack", ("pgd", "fgsm"))
    x0 = _as_tensor(x, "x")
    labels = _labels(y, x0.shape[0], "y")

    def fooled(eps: np.ndarray) -> np.ndarray:
        if attack == "fgsm":
            length = torch.as_tensor(eps, dtype=x0.dtype).reshape((-1,) + (1,) * (x0.dim() - 1))
            grad = _loss_gradient(model, x0, labels, False)
            xa = _clip(x0 + length * _direction(grad, norm), clip)
        else:
            xa = pgd(model, x0, labels, eps, norm=norm, n_steps=n_steps, random_start=False, clip=clip,
                     seed=seed)
        return (predict_labels(model, xa) != labels).numpy()

    n = x0.shape[0]
    out = np.full(n, math.inf)
    wrong = (predict_labels(model, x0) != labels).numpy()
    out[wrong] = 0.0
    reach = ~wrong & fooled(np.full(n, epsilon_max))
    lo = np.zeros(n)
    hi = np.full(n, epsilon_max)
    for _ in range(n_bisections):
        mid = 0.5 * (lo + hi)
        ok = fooled(mid)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok, lo, mid)
    out[reach] = hi[reach]
    return out
