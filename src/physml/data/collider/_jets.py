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
    z, x, y = _about_centroid(pt, eta, phi)
    dr = np.sqrt(x**2 + y**2) / radius
    return float((z**kappa * dr**beta).sum())


def _about_centroid(
    pt: np.ndarray, eta: np.ndarray, phi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """pT fractions z_i and the constituents' (Δη, Δφ) from the jet's pT-weighted centroid (the
    azimuth averaged relative to the hardest constituent, so that it does not straddle ±π)."""
    pt = np.asarray(pt, dtype=float)
    z = pt / pt.sum()
    eta0 = float((z * eta).sum())
    phi0 = float(np.asarray(phi)[np.argmax(pt)])
    phi0 = phi0 + float((z * delta_phi(phi, phi0)).sum())
    return z, np.asarray(eta, dtype=float) - eta0, delta_phi(phi, phi0)


def jet_image(
    pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, *, radius: float, pixels: int = 33, align: bool = False
) -> np.ndarray:
    """A (pixels, pixels) image of the jet in (Δη, Δφ) ∈ [−R, R]² around its pT-weighted centroid,
    pixel intensities the summed pT fraction (the image sums to the fraction of pT inside it).

    With ``align`` the jet is also rotated and flipped, the usual jet-image preprocessing (Cogan,
    Kagan, Strauss & Schwartzman, JHEP 02 (2015) 118; de Oliveira et al., JHEP 07 (2016) 069):
    the principal axis of the pT-weighted spread of the constituents lies along the image's first
    axis, and both axes point the way the pT-weighted third moment is positive. The image then no
    longer depends on how the jet happens to be oriented in (η, φ)."""
    z, x, y = _about_centroid(pt, eta, phi)
    if align:
        cxx, cxy, cyy = float((z * x * x).sum()), float((z * x * y).sum()), float((z * y * y).sum())
        angle = 0.5 * np.arctan2(2.0 * cxy, cxx - cyy)  # of the principal (largest-spread) axis
        c, s = np.cos(angle), np.sin(angle)
        x, y = c * x + s * y, -s * x + c * y
        x = -x if (z * x**3).sum() < 0 else x
        y = -y if (z * y**3).sum() < 0 else y
    edges = np.linspace(-radius, radius, pixels + 1)
    image, _, _ = np.histogram2d(x, y, bins=(edges, edges), weights=z)
    return image
