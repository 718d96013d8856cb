"""Ensemble statistics of an :class:`~physml.nets.MLPEnsemble` that the finite-width theory
predicts: the kernel K and the normalised four-point connected correlator R of the
preactivations, with errors from the spread of per-member averages, and the empirical NTK."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from physml._core import check_array, check_int
from physml.nets._mlp_ensemble import MLPEnsemble
from physml.nets._theory import per_layer

__all__ = ["PreactivationStatistics", "empirical_ntk", "preactivation_statistics"]


def _ratio_stats(m2: np.ndarray, m4: np.ndarray) -> tuple[float, float, float, float]:
    """K, its error, R = ⟨m4⟩/(3⟨m2⟩²) − 1 and its error from per-member means (delta method)."""
    e = len(m2)
    a, b = m2.mean(), m4.mean()
    cov = np.cov(np.stack([m2, m4]), ddof=1) / e if e > 1 else np.full((2, 2), np.nan)
    r = b / (3 * a**2)
    grad = np.array([-2 * b / (3 * a**3), 1 / (3 * a**2)])
    return float(a), float(math.sqrt(cov[0, 0])), float(r - 1), float(math.sqrt(max(grad @ cov @ grad, 0.0)))


@dataclass(frozen=True)
class PreactivationStatistics:
    """Ensemble statistics of the preactivations of one input, layer by layer (index 0 = ℓ 1).

    Attributes
    ----------
    K, K_err : ndarray, shape (L,)
        E[z²] over members and neurons, and its standard error.
    R, R_err : ndarray, shape (L,)
        R(ℓ) = E[z⁴]/(3 E[z²]²) − 1, the normalised four-point connected correlator, and its
        standard error (delta method over independent members).
    n_members : int
    member_m2, member_m4 : ndarray, shape (n_members, L)
        Each member's mean of z² and z⁴ over the neurons of each layer.
    """

    K: np.ndarray
    K_err: np.ndarray
    R: np.ndarray
    R_err: np.ndarray
    n_members: int
    member_m2: np.ndarray
    member_m4: np.ndarray

    @classmethod
    def from_moments(cls, member_m2: np.ndarray, member_m4: np.ndarray) -> PreactivationStatistics:
        """The statistics of per-member moments, e.g. those of several ensembles pooled.

        Members are independent, so K, R and their errors (delta method) come from the spread
        of the per-member means over the members, exactly as in :func:`preactivation_statistics`;
        with one member the errors are NaN.

        Parameters
        ----------
        member_m2, member_m4 : array, shape (n_members, L)
            Each member's mean of z² and z⁴ over the neurons of each layer (the
            ``member_m2`` and ``member_m4`` of a :class:`PreactivationStatistics`).
        """
        m2 = check_array(member_m2, "member_m2", ndim=2, allow_nan=True, min_samples=1)
        m4 = check_array(member_m4, "member_m4", ndim=2, allow_nan=True, min_samples=1)
        if m2.shape != m4.shape:
            raise ValueError(
                f"member_m2 and member_m4 must have the same shape; got {m2.shape} and {m4.shape}"
            )
        out = [_ratio_stats(m2[:, ell], m4[:, ell]) for ell in range(m2.shape[1])]
        K, K_err, R, R_err = (np.array(c) for c in zip(*out, strict=True))
        return cls(K, K_err, R, R_err, len(m2), m2, m4)

    def R_difference(self, layer_a: int, layer_b: int) -> tuple[float, float]:
        """R(layer_b) − R(layer_a) (1-based layers) and its standard error, from the joint
        covariance of the per-member moments (the two layers are measured on the same nets)."""
        L = self.member_m2.shape[1]
        a = check_int(layer_a, "layer_a", low=1, high=L) - 1
        b = check_int(layer_b, "layer_b", low=1, high=L) - 1
        cols = np.stack(
            [self.member_m2[:, a], self.member_m4[:, a], self.member_m2[:, b], self.member_m4[:, b]]
        )
        mean = cols.mean(axis=1)
        cov = np.cov(cols, ddof=1) / self.n_members
        ra = mean[1] / (3 * mean[0] ** 2)
        rb = mean[3] / (3 * mean[2] ** 2)
        grad = np.array(
            [2 * ra / mean[0], -1 / (3 * mean[0] ** 2), -2 * rb / mean[2], 1 / (3 * mean[2] ** 2)]
        )
        return float(rb - ra), float(math.sqrt(max(grad @ cov @ grad, 0.0)))


def preactivation_statistics(ensemble: MLPEnsemble, x: np.ndarray | torch.Tensor) -> PreactivationStatistics:
    """Measure K^(ℓ) and R(ℓ) over an ensemble of initialised networks for one input ``x``.

    Members are independent; the neurons of one member are not (their correlation is the
    finite-width effect), so errors come from the spread of per-member averages.

    Parameters
    ----------
    x : array, shape (n_0,)
    """
    dtype = ensemble.weights[0].dtype
    x = torch.as_tensor(check_array(np.asarray(x), "x", shape=(ensemble.widths[0],)), dtype=dtype)
    with torch.no_grad():
        _, pre = ensemble(x.unsqueeze(0), return_preactivations=True)
    pre = [z.to(torch.float64) for z in pre]
    m2 = np.stack([(z[:, 0] ** 2).mean(dim=1).numpy() for z in pre], axis=1)
    m4 = np.stack([(z[:, 0] ** 4).mean(dim=1).numpy() for z in pre], axis=1)
    return PreactivationStatistics.from_moments(m2, m4)


def empirical_ntk(
    ensemble: MLPEnsemble,
    x: np.ndarray | torch.Tensor,
    *,
    lambda_b: float | Sequence[float] = 0.0,
    lambda_W: float | Sequence[float] = 1.0,
    neuron: int = 0,
) -> np.ndarray:
    """The diagonal NTK Θ^(ℓ)(x, x) of one neuron of every layer, per member.

    Θ^(ℓ) = Σ_{layers k ≤ ℓ} [λ_W^(k)/n_{k−1} Σ (∂z^(ℓ)/∂W^(k))² + λ_b^(k) Σ (∂z^(ℓ)/∂b^(k))²],
    the book's learning-rate convention (compare :func:`physml.nets.ntk_recursion`); ``lambda_b``
    and ``lambda_W`` are one number or one per layer.

    Returns
    -------
    ndarray, shape (n_members, L)
    """
    lam_b = per_layer(lambda_b, "lambda_b", ensemble.depth)
    lam_W = per_layer(lambda_W, "lambda_W", ensemble.depth)
    neuron = check_int(neuron, "neuron", low=0, high=min(ensemble.widths[1:]) - 1)
    dtype = ensemble.weights[0].dtype
    x = torch.as_tensor(check_array(np.asarray(x), "x", shape=(ensemble.widths[0],)), dtype=dtype)
    _, pre = ensemble(x.unsqueeze(0), return_preactivations=True)
    pairs = ensemble.parameter_pairs()
    theta = np.zeros((ensemble.n_members, ensemble.depth))
    for ell, z in enumerate(pre):
        params, factors = [], []
        for k, (w, b) in enumerate(pairs[: ell + 1]):
            params.append(w)
            factors.append(lam_W[k] / w.shape[2])
            if b is not None:
                params.append(b)
                factors.append(lam_b[k])
        grads = torch.autograd.grad(z[:, 0, neuron].sum(), params, retain_graph=True)
        total = torch.zeros(ensemble.n_members, dtype=torch.float64)
        for factor, g in zip(factors, grads, strict=True):
            total += (g**2).flatten(1).sum(dim=1).to(torch.float64) * factor
        theta[:, ell] = total.numpy()
    return theta
