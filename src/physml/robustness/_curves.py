"""Robustness curves: accuracy under attack as a function of ε, and the distance between
examples of different classes (the scale an ε should be compared with)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from physml._core import check_choice, check_int
from physml.robustness._attacks import _as_tensor, _labels, _norm, fgsm, pgd, predict_labels

__all__ = ["AccuracyCurve", "accuracy_curve", "nearest_other_class_distance"]


@dataclass(frozen=True)
class AccuracyCurve:
    """Accuracy under an attack at each ε.

    Attributes
    ----------
    epsilons : ndarray, shape (k,)
    accuracy : ndarray, shape (k,)
        Fraction of inputs still classified correctly.
    stderr : ndarray, shape (k,)
        Binomial standard error sqrt(a(1 − a)/n).
    n_samples : int
    attack, norm : str
    """

    epsilons: np.ndarray
    accuracy: np.ndarray
    stderr: np.ndarray
    n_samples: int
    attack: str
    norm: str

    def epsilon_at(self, accuracy: float) -> float:
        """The smallest ε on the grid at which the accuracy is at most ``accuracy`` (inf if none)."""
        below = np.nonzero(self.accuracy <= accuracy)[0]
        return float(self.epsilons[below[0]]) if below.size else math.inf


def accuracy_curve(
    model: torch.nn.Module,
    x: Any,
    y: Any,
    epsilons: Any,
    *,
    attack: str = "pgd",
    norm: str = "inf",
    n_steps: int = 20,
    random_start: bool = True,
    clip: tuple[float, float] | None = None,
    batch_size: int = 1024,
    seed: int = 0,
) -> AccuracyCurve:
    """Accuracy of ``model`` on untargeted attacks of each size ε.

    Parameters
    ----------
    model : torch.nn.Module
        Inputs to logits.
    x : tensor or array, shape (n, ...)
    y : array of int, shape (n,)
        True labels.
    epsilons : array_like, shape (k,)
        Attack sizes, >= 0 (ε = 0 gives the clean accuracy).
    attack : {"pgd", "fgsm"}
    norm : {"inf", "2"}
    n_steps : int
        PGD steps.
    random_start : bool
        PGD from a random point of the ball (see :func:`physml.robustness.pgd`).
    clip : (float, float), optional
        Valid input range.
    batch_size : int
    seed : int
        PGD random starts (batch b uses seed + b).

    Returns
    -------
    AccuracyCurve
    """
    check_choice(attack, "attack", ("pgd", "fgsm"))
    norm = _norm(norm)
    batch_size = check_int(batch_size, "batch_size", low=1)
    eps = np.asarray(epsilons, dtype=float).reshape(-1)
    if eps.size == 0 or np.any(~np.isfinite(eps)) or np.any(eps < 0):
        raise ValueError(f"epsilons must be finite numbers >= 0, got {epsilons!r}")
    x = _as_tensor(x, "x")
    labels = _labels(y, x.shape[0], "y")
    n = x.shape[0]
    correct = np.zeros(eps.size)
    for b, start in enumerate(range(0, n, batch_size)):
        xb, yb = x[start : start + batch_size], labels[start : start + batch_size]
        for i, e in enumerate(eps):
            if e == 0:
                xa = xb
            elif attack == "fgsm":
                xa = fgsm(model, xb, yb, float(e), norm=norm, clip=clip)
            else:
                xa = pgd(model, xb, yb, float(e), norm=norm, n_steps=n_steps, random_start=random_start,
                         clip=clip, seed=seed + b)
            correct[i] += int((predict_labels(model, xa) == yb).sum())
    acc = correct / n
    return AccuracyCurve(eps, acc, np.sqrt(acc * (1 - acc) / n), n, attack, norm)


def nearest_other_class_distance(
    x: Any, y: Any, *, reference: Any = None, reference_labels: Any = None, norm: str = "2"
) -> np.ndarray:
    """For each input, the distance to the nearest example of a different class.

    Parameters
    ----------
    x : array, shape (n, ...)
        Inputs (flattened per example).
    y : array of int, shape (n,)
    reference, reference_labels : arrays, optional
        The examples searched (default: ``x``, ``y`` themselves).
    norm : {"inf", "2"}

    Returns
    -------
    numpy.ndarray, shape (n,)
        ``inf`` where the reference holds no other class.
    """
    norm = _norm(norm)
    xq = _as_tensor(x, "x").double()
    xq = xq.reshape(xq.shape[0], -1)
    yq = _labels(y, xq.shape[0], "y")
    if reference is None:
        xr, yr = xq, yq
    else:
        xr = _as_tensor(reference, "reference").double()
        xr = xr.reshape(xr.shape[0], -1)
        yr = _labels(reference_labels, xr.shape[0], "reference_labels")
        if xr.shape[1] != xq.shape[1]:
            raise ValueError(f"reference has {xr.shape[1]} features per example, x has {xq.shape[1]}")
    p = math.inf if norm == "inf" else 2.0
    out = np.empty(xq.shape[0])
    chunk = max(1, 2_000_000 // max(1, xr.shape[0]))
    for start in range(0, xq.shape[0], chunk):
        d = torch.cdist(xq[start : start + chunk], xr, p=p)
        same = yq[start : start + chunk, None] == yr[None, :]
        d[same] = math.inf
        out[start : start + chunk] = d.min(dim=1).values.numpy()
    return out
