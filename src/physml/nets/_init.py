"""Initialisations in the convention of *The Principles of Deep Learning Theory*:
Gaussian weights W ~ N(0, C_W / n_in) and biases b ~ N(0, C_b), critical presets per
activation, and Haar-orthogonal weights (Day, Kahn & Roberts, arXiv:2310.07765)."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from physml._core import check_choice, check_int, check_real, check_seed, spawn_seeds, torch_generator
from physml.nets._theory import critical_initialization

__all__ = ["WEIGHT_DISTRIBUTIONS", "critical_parameters", "haar_orthogonal", "initialize"]

#: The weight distributions :func:`initialize` knows.
WEIGHT_DISTRIBUTIONS = ("gaussian", "orthogonal")


def haar_orthogonal(n_out: int, n_in: int, *, generator: Any, dtype: Any = None) -> Any:
    """A Haar-random matrix of shape (n_out, n_in) with orthonormal rows or columns.

    The Q factor of the QR decomposition of a Gaussian matrix, with the columns multiplied by
    the signs of R's diagonal (without that correction Q is not Haar distributed). For
    n_out >= n_in the columns are orthonormal (QᵀQ = 1), otherwise the rows (QQᵀ = 1).
    """
    import torch

    n_out = check_int(n_out, "n_out", low=1)
    n_in = check_int(n_in, "n_in", low=1)
    big, small = max(n_out, n_in), min(n_out, n_in)
    a = torch.randn(big, small, generator=generator, dtype=torch.float64)
    q, r = torch.linalg.qr(a)
    signs = torch.sign(torch.diagonal(r))
    signs[signs == 0] = 1.0
    q = q * signs
    q = q if n_out >= n_in else q.T
    return q.to(dtype or torch.get_default_dtype())


def critical_parameters(activation: Any) -> tuple[float, float]:
    """(C_b, C_W) of the critical initialisation of ``activation`` (see
    :func:`physml.nets.critical_initialization`): ReLU (0, 2), tanh (0, 1), linear (0, 1),
    erf (0, π/4), GELU ≈ (0.17292, 1.98306)."""
    try:
        return _critical_cached(activation)
    except TypeError:  # an unhashable callable
        point = critical_initialization(activation)
        return point.C_b, point.C_W


@lru_cache(maxsize=64)
def _critical_cached(activation: Any) -> tuple[float, float]:
    point = critical_initialization(activation)
    return point.C_b, point.C_W


def _draw_layer(weight: Any, bias: Any, C_W: float, C_b: float, weights: str, generator: Any) -> None:
    import torch

    n_out, n_in = weight.shape
    with torch.no_grad():
        if weights == "gaussian":
            w = torch.randn(n_out, n_in, generator=generator, dtype=torch.float64) * math.sqrt(C_W / n_in)
        else:
            # entries of variance C_W / n_in as in the Gaussian case; W = sqrt(C_W) O when square
            w = haar_orthogonal(n_out, n_in, generator=generator, dtype=torch.float64)
            w = w * math.sqrt(C_W * max(1.0, n_out / n_in))
        weight.copy_(w.to(weight.dtype))
        if bias is not None:
            b = torch.randn(n_out, generator=generator, dtype=torch.float64) * math.sqrt(C_b)
            bias.copy_(b.to(bias.dtype))


def initialize(
    model: Any,
    *,
    C_W: float | None = None,
    C_b: float | None = None,
    weights: str = "gaussian",
    seed: int = 0,
) -> Any:
    """Draw the weights and biases of an :class:`~physml.nets.MLP` or
    :class:`~physml.nets.MLPEnsemble` in place and return the model.

    Parameters
    ----------
    model : MLP or MLPEnsemble
    C_W, C_b : float, optional
        Weight variance times fan-in (> 0) and bias variance (>= 0). Leave both out for the
        critical initialisation of the model's activation.
    weights : {"gaussian", "orthogonal"}
        W ~ N(0, C_W/n_in) entrywise, or W = sqrt(C_W max(1, n_out/n_in)) O with O Haar
        orthogonal (orthonormal rows or columns), so that every entry has variance C_W/n_in.
        Biases are Gaussian either way.
    seed : int
        The seed. An ensemble's member i uses ``spawn_seeds(seed, n_members)[i]``, so it equals
        an MLP initialised with that seed.
    """
    check_choice(weights, "weights", WEIGHT_DISTRIBUTIONS)
    seed = check_seed(seed)
    if (C_W is None) != (C_b is None):
        raise ValueError("give both C_W and C_b, or neither for the critical initialisation")
    if C_W is None:
        try:
            C_b, C_W = critical_parameters(model.activation)
        except ValueError as exc:
            raise ValueError(f"{exc}; pass C_W and C_b explicitly") from None
    C_W = check_real(C_W, "C_W", low=0.0, low_open=True)
    C_b = check_real(C_b, "C_b", low=0.0)
    layers = model.parameter_pairs()
    n_members = getattr(model, "n_members", None)
    if n_members is None:
        g = torch_generator(seed)
        for w, b in layers:
            _draw_layer(w, b, C_W, C_b, weights, g)
    else:
        for i, s in enumerate(
            spawn_seeds(seed, n_members)
            if not hasattr(seed, "integers")
            else [int(seed.integers(2**62)) for _ in range(n_members)]
        ):
            g = torch_generator(s)
            for w, b in layers:
                _draw_layer(w[i], None if b is None else b[i], C_W, C_b, weights, g)
    return model
