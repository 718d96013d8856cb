"""Jet substructure from constituents, in numpy: N-subjettiness, angularities, jet images.

Constituents of one jet are arrays ``pt, eta, phi`` (GeV, -, rad). Azimuthal differences are
wrapped into (−π, π].
"""

from __future__ import annotations

import numpy as np

__all__ = ["delta_phi", "generalized_angularity", "jet_image", "nsubjettiness"]


def delta_phi(phi: np.ndarray, phi0: float | np.ndarray) -> np.ndarray:
    """φ − φ0 wrapped into (−π, π]."""
    return np.pi - np.mod(np.pi - (np.asarray(phi) - phi0), 2 * np.pi)


def nsubjettiness(
    pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, axes: np.ndarray, *, radius: float, beta: float = 1.0
) -> float:
    """τ_N = Σ_i pT_i min_k ΔR_{ik}^β / Σ_i pT_i R^β (Thaler & Van Tilburg, JHEP 03 (2011) 015).

    Parameters
    ----------
    pt, eta, phi : arrays, shape (n,)
        The jet's constituents.
    axes : array, shape (N, 2)
        (η, φ) of the N axes (here the exclusive-kT subjets of the jet).
    radius : float
        The jet radius R (the normalisation d0 = Σ pT R^β).
    """
    axes = np.atleast_2d(np.asarray(axes, dtype=float))
    deta = np.asarray(eta)[:, None] - axes[None, :, 0]
    dphi = delta_phi(np.asarray(phi)[:, None], axes[None, :, 1])
    dr = np.sqrt(deta**2 + dphi**2).min(axis=1)
    pt = np.asarray(pt, dtype=float)
    return float((pt * dr**beta).sum() / (pt.sum() * radius**beta))


def generalized_angularity(
    pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, *, kappa: float, beta: float, radius: float
) -> float:
    """λ^κ_β = Σ_i z_i^κ (ΔR_i / R)^β with z_i = pT_i/Σ pT and ΔR_i from the pT-weighted centroid
    (Larkoski, Thaler & Waalewijn, JHEP 11 (2014) 129). (κ, β) = (1, 1) is the width (girth/R),
    (1, 0.5) the Les Houches angularity, (2, 0) pT_D², (0, 0) the multiplicity."""
    pt = np.asarray(pt, dtype=float)
    z = pt / pt.sum()
    eta0 = float((z * eta).sum())
    phi0 = float(np.asarray(phi)[np.argmax(pt)])
    phi0 = phi0 + float((z * delta_phi(phi, phi0)).sum())
    dr = np.sqrt((np.asarray(eta) - eta0) ** 2 + delta_phi(phi, phi0) ** 2) / radius
    return float((z**kappa * dr**beta).sum())


def jet_image(
    pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, *, radius: float, pixels: int = 33
) -> np.ndarray:
    """A (pixels, pixels) image of the jet in (Δη, Δφ) ∈ [−R, R]² around its pT-weighted centroid,
    pixel intensities the summed pT fraction (the image sums to the fraction of pT inside it)."""
    pt = np.asarray(pt, dtype=float)
    z = pt / pt.sum()
    eta0 = float((z * eta).sum())
    phi0 = float(np.asarray(phi)[np.argmax(pt)])
    phi0 = phi0 + float((z * delta_phi(phi, phi0)).sum())
    edges = np.linspace(-radius, radius, pixels + 1)
    image, _, _ = np.histogram2d(np.asarray(eta) - eta0, delta_phi(phi, phi0), bins=(edges, edges), weights=z)
    return image
