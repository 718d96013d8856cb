"""A toy parton shower: scale-free jets whose statistics are known in closed form.

Each parton splits 1 → 2 with the soft-collinear (double-logarithmic) measure of QCD at fixed
coupling,

    dP = κ dz/z dθ/θ,   κ = 2 α_s C / π,   z_cut < z < 1/2,   θ_min < θ < θ_max,

z the softer daughter's pT fraction, θ the opening angle of the pair and θ_max the angle of the
splitting that made the parton (angular ordering; θ_max = R for the initiating parton). This is
the uniform density of emissions in the Lund plane (ln 1/θ, ln z) at fixed coupling (Dreyer,
Salam, Soyez, "The Lund jet plane", JHEP 12 (2018) 064). Both daughters go on splitting with the
same measure (a gluon cascade: C = C_A = 3) until their next splitting would fall below θ_min.

What is known about it, exactly:

* the angle of a parton's next splitting: the probability of none between θ and θ_max is the
  Sudakov factor (θ/θ_max)^Λ, so ln(θ_max/θ) is exponential with rate Λ = κ ln(1/(2 z_cut))
  (splittings per unit of ln 1/θ);
* z has the density 1/(z ln(1/(2 z_cut))) on [z_cut, 1/2], independent of everything else;
* the number of final partons (the multiplicity) is that of a Yule process run for a "time"
  ln(R/θ_min) at rate Λ: geometric, P(n) = p (1 − p)^(n−1) with p = (θ_min/R)^Λ, mean 1/p
  (without ``max_depth``);
* the pT and the pT-weighted centroid of the jet are conserved at every splitting (the daughters
  sit at −zθ and +(1 − z)θ from their parent along a uniformly random direction);
* the measure is invariant under θ → λθ: the cascade inside any parton of angular scale θ is the
  whole jet's cascade shrunk by θ/R. The jets have structure at every scale between θ_min and R,
  and only R, θ_min and the pixel size of an image set scales. (That alone does not make the
  covariance spectrum of their images a power law: where the hard core sits follows a
  double-logarithmic Sudakov factor, not a power.)

It is a toy: massless partons in the flat (Δη, Δφ) plane around an axis at (0, 0), fixed
coupling, the soft-collinear limit of the splitting functions, no hadronisation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from physml._core import check_int, check_real
from physml.data._common import Seed, rng_from
from physml.data.collider._jets import jet_image

__all__ = ["ToyShower", "toy_shower"]

#: most mean final partons per jet :func:`toy_shower` accepts ((R/θ_min)^Λ)
_MAX_MEAN_MULTIPLICITY = 10_000


@dataclass(frozen=True)
class ToyShower:
    """The jets of :func:`toy_shower`: final partons and the record of every splitting.

    Attributes
    ----------
    offsets : array of int, shape (n_jets + 1,)
        Jet ``i``'s partons are ``pt[offsets[i]:offsets[i + 1]]`` (and so for ``eta``, ``phi``).
    pt, eta, phi : arrays, shape (n_partons,)
        The final partons: pT (GeV) and position (Δη, Δφ) about the jet axis (0, 0).
    split_jet, z, theta, theta_max : arrays, shape (n_splittings,)
        Each splitting: its jet, the softer daughter's pT fraction, the opening angle and the
        ordering bound it was drawn below (the parent's own splitting angle, R for the first).
    radius, theta_min, rate : float
        R, the cutoff θ_min and Λ, the splittings per unit of ln(1/θ).
    """

    offsets: np.ndarray
    pt: np.ndarray
    eta: np.ndarray
    phi: np.ndarray
    split_jet: np.ndarray
    z: np.ndarray
    theta: np.ndarray
    theta_max: np.ndarray
    radius: float
    theta_min: float
    rate: float

    @property
    def n_jets(self) -> int:
        return len(self.offsets) - 1

    @property
    def multiplicity(self) -> np.ndarray:
        """Final partons per jet."""
        return np.diff(self.offsets)

    def constituents(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pt, eta, phi) of jet ``i``."""
        i = check_int(i, "i", low=0, high=self.n_jets - 1)
        s = slice(self.offsets[i], self.offsets[i + 1])
        return self.pt[s], self.eta[s], self.phi[s]

    def images(self, pixels: int = 33, *, align: bool = False, resolution: float = 0.0) -> np.ndarray:
        """Jet images, shape (n_jets, pixels, pixels), float32, over (Δη, Δφ) ∈ [−R, R]² with the
        shower's radius R; pixel intensities are pT fractions.

        With ``resolution`` 0 each image is :func:`jet_image` of the jet (each parton in the pixel
        it falls in). With ``resolution`` σ > 0 each parton is spread by a Gaussian of width σ in
        both directions and integrated over the pixels: the histogram image averaged over a
        detector's Gaussian smearing of the positions. Such an image is a smooth function of the
        partons' positions, so a family of jets with k continuous parameters is a k-dimensional
        manifold of images (the histogram jumps as a parton crosses a pixel edge). The toy's
        pT-weighted centroid is exactly the axis (0, 0), the centre :func:`jet_image` uses.
        """
        pixels = check_int(pixels, "pixels", low=1)
        resolution = check_real(resolution, "resolution", low=0.0)
        if align and resolution > 0:
            raise ValueError(f"align=True needs resolution 0 (the histogram image), got {resolution:g}")
        out = np.zeros((self.n_jets, pixels, pixels), np.float32)
        edges = np.linspace(-self.radius, self.radius, pixels + 1)
        for i in range(self.n_jets):
            pt, eta, phi = self.constituents(i)
            if resolution == 0:
                out[i] = jet_image(pt, eta, phi, radius=self.radius, pixels=pixels, align=align)
                continue
            gx = np.diff(special.ndtr((edges[None, :] - eta[:, None]) / resolution), axis=1)
            gy = np.diff(special.ndtr((edges[None, :] - phi[:, None]) / resolution), axis=1)
            out[i] = ((pt / pt.sum())[:, None] * gx).T @ gy
        return out


def toy_shower(
    n_jets: int,
    *,
    alpha_s: float = 0.118,
    color_factor: float = 3.0,
    z_cut: float = 0.01,
    radius: float = 0.4,
    theta_min: float = 0.005,
    pt: float = 500.0,
    max_depth: int | None = None,
    seed: Seed = 0,
) -> ToyShower:
    """Shower ``n_jets`` partons of transverse momentum ``pt`` with the scale-free measure
    κ dz/z dθ/θ, κ = 2 α_s C/π (see the module docstring for the measure and its exact results).

    The defaults (α_s = 0.118, C = C_A = 3, z_cut = 0.01, R = 0.4, θ_min = 0.005) give
    Λ = 0.882 splittings per unit of ln 1/θ and a mean of (R/θ_min)^Λ = 47.6 partons per jet, about
    a gluon jet's multiplicity; θ_min is below the 0.024 pixels of a 33 × 33 image of R = 0.4.
    ``max_depth`` stops the cascade after that many generations of splittings: 1 gives two-prong
    jets (one splitting, or none with probability (θ_min/R)^Λ), described by z, θ and the
    splitting's azimuth.

    Returns
    -------
    ToyShower
        The final partons of each jet and the record of every splitting.

    Raises
    ------
    ValueError
        On a parameter out of range, or one for which the mean multiplicity exceeds
        10,000.
    """
    n_jets = check_int(n_jets, "n_jets", low=0)
    alpha_s = check_real(alpha_s, "alpha_s", low=0.0, low_open=True)
    color_factor = check_real(color_factor, "color_factor", low=0.0, low_open=True)
    z_cut = check_real(z_cut, "z_cut", low=0.0, low_open=True)
    if z_cut >= 0.5:
        raise ValueError(f"z_cut must be in (0, 0.5), got {z_cut:g}")
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    theta_min = check_real(theta_min, "theta_min", low=0.0, low_open=True)
    if theta_min >= radius:
        raise ValueError(f"theta_min must be below radius = {radius:g}, got {theta_min:g}")
    pt = check_real(pt, "pt", low=0.0, low_open=True)
    if max_depth is not None:
        max_depth = check_int(max_depth, "max_depth", low=0)
    log_z = math.log(1.0 / (2.0 * z_cut))
    rate = 2.0 * alpha_s * color_factor / math.pi * log_z
    mean = (radius / theta_min) ** rate
    if mean > _MAX_MEAN_MULTIPLICITY:
        raise ValueError(
            f"(radius/theta_min)^rate = {mean:.3g} partons per jet on average (rate {rate:.3g}); "
            f"at most {_MAX_MEAN_MULTIPLICITY} are accepted: lower alpha_s or color_factor, "
            "raise z_cut or theta_min"
        )
    rng = rng_from(seed)

    # the partons still showering, all jets at once: jet, pT, position, ordering bound
    jet = np.arange(n_jets)
    p = np.full(n_jets, pt)
    x = np.zeros(n_jets)
    y = np.zeros(n_jets)
    bound = np.full(n_jets, radius)
    depth = 0
    final: list[tuple[np.ndarray, ...]] = []
    splits: list[tuple[np.ndarray, ...]] = []
    while jet.size:
        if max_depth is not None and depth >= max_depth:
            final.append((jet, p, x, y))
            break
        theta = bound * np.exp(-rng.exponential(1.0 / rate, jet.size))
        done = theta < theta_min
        final.append((jet[done], p[done], x[done], y[done]))
        go = ~done
        jet, p, x, y, bound, theta = jet[go], p[go], x[go], y[go], bound[go], theta[go]
        z = z_cut * np.exp(log_z * rng.random(jet.size))  # density ∝ 1/z on [z_cut, 1/2]
        psi = 2.0 * np.pi * rng.random(jet.size)
        ux, uy = np.cos(psi) * theta, np.sin(psi) * theta
        splits.append((jet, z, theta, bound))
        # hard daughter at −zθ, soft one at +(1 − z)θ: the pT-weighted centroid stays put
        jet = np.concatenate([jet, jet])
        p = np.concatenate([p * (1.0 - z), p * z])
        x = np.concatenate([x - z * ux, x + (1.0 - z) * ux])
        y = np.concatenate([y - z * uy, y + (1.0 - z) * uy])
        bound = np.concatenate([theta, theta])
        depth += 1
    fj, fp, fx, fy = (np.concatenate(c) for c in zip(*final, strict=True)) if final else (np.zeros(0),) * 4
    order = np.argsort(fj, kind="stable")
    sj, sz, st, sb = (np.concatenate(c) for c in zip(*splits, strict=True)) if splits else (np.zeros(0),) * 4
    sorder = np.argsort(sj, kind="stable")
    offsets = np.concatenate([[0], np.cumsum(np.bincount(fj.astype(np.intp), minlength=n_jets))])
    return ToyShower(
        offsets=offsets.astype(np.intp),
        pt=fp[order],
        eta=fx[order],
        phi=fy[order],
        split_jet=sj[sorder].astype(np.intp),
        z=sz[sorder],
        theta=st[sorder],
        theta_max=sb[sorder],
        radius=radius,
        theta_min=theta_min,
        rate=rate,
    )
