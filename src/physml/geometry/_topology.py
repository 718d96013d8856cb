"""Persistent homology of a landmark subsample, Betti numbers, and what they mean for autoencoders.

The Vietoris-Rips persistence is computed by ripser (Bauer's algorithm; the ``ripser`` package of
scikit-tda, C. Tralie, N. Saul, R. Bar-On, JOSS 3, 925 (2018)) on a greedy (max-min) landmark
subsample, which covers the data within ``cover_radius_``: every point lies that close to a
landmark, so features shorter than about the cover radius can be artefacts of the subsample.

Betti numbers count the features that persist longer than a stated threshold:

* ``b1``, ``b2``: bars of the H1 and H2 diagrams with persistence ``death - birth`` above
  ``1.5 * cover_radius`` (or a larger threshold given, such as a multiple of the noise scale);
* ``b0``: the components of the landmarks' single-linkage graph at twice that threshold that
  hold at least ``min_component_fraction`` of all points (each point counts for its nearest
  landmark), so that a lone outlier picked as a landmark is not a component.

An autoencoder's encoder maps the data continuously into ``R**k``. A closed ``d``-dimensional
manifold (a circle, a sphere, a torus: their top Betti number ``b_d`` is 1) cannot be mapped
into ``R**d`` injectively (Borsuk-Ulam / invariance of domain): a latent of the intrinsic dimension
must tear the data, and ``k >= d + 1`` is needed (``2 d`` always suffices, Whitney). Several
components cannot be reached by a continuous decoder from a connected latent space without
passing through the gaps. See R. Batson, R. Haaf, Y. Kahn, D. Roberts, "Topological obstructions
to autoencoding", JHEP 04 (2021) 280, arXiv:2102.08380.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial import cKDTree

from physml._core import check_int, check_real
from physml.geometry._common import check_points

__all__ = ["Topology", "autoencoder_warning", "persistent_homology"]

#: the landmark cover radius times this is the default persistence threshold for b1, b2
_COVER_FACTOR = 1.5


@dataclass
class Topology:
    """Persistent homology of a landmark subsample (:func:`persistent_homology`).

    Attributes
    ----------
    betti : list of int
        ``[b0, b1, ...]`` up to ``max_dim``.
    threshold : float
        Persistence above which an H1/H2 bar counts (units of the data); b0 merges landmarks
        closer than twice this.
    support : list of list of float
        For each dimension, the persistences of the bars counted (``inf`` for the component
        that never dies), longest first.
    strongest_noise : list of float
        For each dimension, the longest persistence below the threshold (0 if none): the
        margin between the two says how clear the count is.
    diagrams : list of numpy.ndarray
        The (birth, death) pairs of each dimension.
    n_landmarks : int
    cover_radius : float
        Every point lies within this distance of a landmark.
    notes : list of str
    """

    betti: list[int]
    threshold: float
    support: list[list[float]]
    strongest_noise: list[float]
    diagrams: list[np.ndarray]
    n_landmarks: int
    cover_radius: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (``inf`` written as null)."""
        return {
            "betti": list(self.betti),
            "threshold": self.threshold,
            "support": [[p if math.isfinite(p) else None for p in s] for s in self.support],
            "strongest_noise": list(self.strongest_noise),
            "n_landmarks": self.n_landmarks,
            "cover_radius": self.cover_radius,
            "notes": list(self.notes),
        }


def persistent_homology(
    x: Any,
    *,
    n_landmarks: int = 200,
    max_dim: int = 2,
    threshold: float | None = None,
    min_component_fraction: float = 0.05,
) -> Topology:
    """Betti numbers of the points ``x`` from the Rips persistence of a max-min landmark subsample.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
        Finite points, at least 4.
    n_landmarks : int
        Landmarks (greedy max-min subsample, started at the first point; all points if fewer),
        >= 4. H2 costs grow like the cube of this number: 200 takes about 2 s.
    max_dim : int
        Highest homology dimension, 0, 1 or 2.
    threshold : float, optional
        Persistence threshold; default ``1.5 * cover_radius``. A larger one is used as given.
    min_component_fraction : float
        Least fraction of all points a component must hold to count in ``b0``, in [0, 0.5].

    Returns
    -------
    Topology
    """
    from ripser import ripser  # optional and heavy (it imports scikit-learn): loaded on first use

    n_landmarks = check_int(n_landmarks, "n_landmarks", low=4)
    max_dim = check_int(max_dim, "max_dim", low=0, high=2)
    frac = check_real(min_component_fraction, "min_component_fraction", low=0.0, high=0.5)
    x = check_points(x, "X", min_samples=4, what="persistent_homology")
    n = x.shape[0]
    m = min(n_landmarks, n)
    result = ripser(x, maxdim=max_dim, n_perm=m) if m < n else ripser(x, maxdim=max_dim)
    landmarks = np.asarray(result["idx_perm"]) if m < n else np.arange(n)
    cover = float(result["r_cover"]) if m < n else 0.0
    diagrams = [np.asarray(d, dtype=np.float64).reshape(-1, 2) for d in result["dgms"]]
    notes = []
    if threshold is None:
        tau = _COVER_FACTOR * cover
        if tau <= 0:  # every point a landmark: the smallest merge height sets the scale
            finite = diagrams[0][np.isfinite(diagrams[0][:, 1]), 1]
            tau = 1.5 * float(np.median(finite)) if finite.size else 0.0
    else:
        tau = max(check_real(threshold, "threshold", low=0.0), _COVER_FACTOR * cover)
    if m < n:
        notes.append(f"persistent homology of {m} max-min landmarks of {n} points "
                     f"(cover radius {cover:.3g})")
    # b0: single-linkage components of the landmarks at 2 tau, weighted by the points they cover
    lx = x[landmarks]
    if m >= 2:
        labels = fcluster(linkage(lx, method="single"), t=2.0 * tau, criterion="distance")
    else:
        labels = np.ones(m, dtype=int)
    _, nearest = cKDTree(lx).query(x)
    sizes = np.bincount(labels[nearest], minlength=labels.max() + 1)
    b0 = max(1, int(np.sum(sizes >= frac * n)))
    small = int(np.sum((sizes > 0) & (sizes < frac * n)))
    if small:
        notes.append(f"{small} small cluster(s) of landmarks (under {frac:.0%} of the points each) "
                     "not counted as components")
    h0 = np.sort(diagrams[0][:, 1] - diagrams[0][:, 0])[::-1]
    betti, support, noise = [b0], [[float(v) for v in h0[:b0]]], [float(h0[b0]) if h0.size > b0 else 0.0]
    for dgm in diagrams[1:]:
        pers = np.sort(dgm[:, 1] - dgm[:, 0])[::-1] if dgm.size else np.zeros(0)
        keep = pers > tau
        betti.append(int(keep.sum()))
        support.append([float(v) for v in pers[keep]])
        noise.append(float(pers[~keep][0]) if (~keep).any() else 0.0)
    return Topology(betti, float(tau), support, noise, diagrams, m, cover, notes)


_SHAPES = {
    (1, 1): "a circle (or a closed curve)",
    (1, 0, 1): "a sphere (b2 = 1, no loops)",
    (1, 2, 1): "a torus (two loops and an enclosed cavity)",
}


def autoencoder_warning(betti: list[int], dimension: float | None) -> tuple[bool, str]:
    """Whether an autoencoder with a latent of the intrinsic dimension must tear the data, and why.

    Parameters
    ----------
    betti : list of int
        ``[b0, b1, (b2)]`` from :func:`persistent_homology`.
    dimension : float or None
        The intrinsic dimension (rounded to the nearest integer); None if unknown.

    Returns
    -------
    (bool, str)
        The warning and its reason in one sentence.
    """
    if not betti:
        return False, "no topology computed"
    b = list(betti) + [0] * (3 - len(betti))
    d = None if dimension is None or not math.isfinite(dimension) else max(1, round(dimension))
    loops = [f"b{k} = {b[k]}" for k in (1, 2) if b[k] > 0]
    if not loops and b[0] == 1:
        return False, ("one component and no persistent loops or cavities: no topological "
                       "obstruction to a latent space of the intrinsic dimension")
    parts = []
    if loops:
        shape = _SHAPES.get(tuple(b[: 3 if b[2] else 2]) if b[0] == 1 else (), "")
        if b[0] > 1 and b[1] == b[0] and b[2] == 0:
            shape = f"{b[0]} separate circles (closed curves)"
        closed = (d is not None and d <= 2 and b[d] > 0)
        what = f"the data look like {shape}" if shape else "the data have " + ", ".join(loops)
        if closed:
            parts.append(
                f"{what}: a closed {d}-dimensional manifold cannot be mapped into R^{d} without tearing, "
                f"so an autoencoder with latent dimension {d} must fail somewhere; use latent dimension "
                f">= {d + 1} ({2 * d} always suffices), or a latent space with the same topology "
                "(angles on circles, a sphere)"
            )
        else:
            parts.append(
                f"{what}: an encoder into R^d that flattens these loops/cavities is not invertible "
                "there; use a latent dimension above the intrinsic one or a latent space with the same "
                "topology"
            )
    if b[0] > 1:
        parts.append(
            f"{b[0]} separate components: a continuous decoder from a connected latent space must "
            "pass through the gaps between them (it generates points off the data); use a mixture "
            "or a discrete latent variable for the component"
        )
    return True, "; ".join(parts)
