"""Where an autoencoder fails: the location and concentration of its loss on the data manifold
(its top losses, :func:`top_loss_indices`), the latent map and where it tears (and how far the top
losses lie from the tear, :func:`top_loss_gap`), winding numbers and principal angles. (The ROC AUC of an
anomaly score is :func:`physml.anomaly.roc_auc`; where along a scan an ensemble's members start
to flag an anomaly is :func:`physml.stats.flagging_onset`.)

These functions take plain arrays (points, losses, latent coordinates) so that they apply to
any model; Batson, Haaf, Kahn & Roberts, "Topological obstructions to autoencoding",
arXiv:2102.08380, is the physics behind them: a continuous encoder from a manifold with
non-trivial topology into a latent space of lower or equal dimension must break somewhere,
and there the reconstruction loss is large.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg, special

from physml._core import check_array, check_int, check_real

__all__ = [
    "LossConcentration",
    "cap_fraction",
    "latent_tear",
    "loss_concentration",
    "principal_angles",
    "top_loss_gap",
    "top_loss_indices",
    "winding_number",
]


@dataclass(frozen=True)
class LossConcentration:
    """How concentrated the largest losses are around one point of the manifold.

    Attributes
    ----------
    centre : ndarray, shape (D,)
        The top-loss point with the most top-loss points within ``radius`` of it (the mode of
        the top losses), in the coordinates of ``points``.
    centre_index : int
        Its row in ``points``.
    argmax_index : int
        Row of the single largest loss.
    fraction_top : float
        Fraction of the top-loss points within ``radius`` of the centre.
    fraction_all : float
        Fraction of all points within ``radius`` of the centre: what ``fraction_top`` would be
        if the top losses were scattered like the data.
    n_top : int
    radius : float
    """

    centre: np.ndarray
    centre_index: int
    argmax_index: int
    fraction_top: float
    fraction_all: float
    n_top: int
    radius: float

    @property
    def enrichment(self) -> float:
        """fraction_top / fraction_all (1 for no concentration)."""
        return self.fraction_top / self.fraction_all if self.fraction_all > 0 else math.inf


def _points_losses(points: np.ndarray, losses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x = check_array(points, "points", ndim=2, min_samples=1)
    loss = check_array(losses, "losses", ndim=1)
    if loss.shape[0] != x.shape[0]:
        raise ValueError(f"losses has {loss.shape[0]} entries for {x.shape[0]} points")
    return x, loss


def top_loss_indices(losses: np.ndarray, top_fraction: float) -> np.ndarray:
    """The rows of the largest losses: the top ``top_fraction`` of them, largest first.

    k = max(1, round(top_fraction · n)) of the n losses (at least one), in decreasing order of
    loss (equal losses in the order of numpy's default sort, reversed). The selection that
    :func:`loss_concentration` and :func:`top_loss_gap` look at.

    Parameters
    ----------
    losses : array, shape (n_points,)
    top_fraction : float
        In (0, 1].

    Returns
    -------
    ndarray of int, shape (k,)
    """
    loss = check_array(losses, "losses", ndim=1, min_samples=1)
    top_fraction = check_real(top_fraction, "top_fraction", low=0.0, high=1.0, low_open=True)
    n_top = max(1, int(round(top_fraction * len(loss))))
    return np.argsort(loss)[::-1][:n_top]


def loss_concentration(
    points: np.ndarray, losses: np.ndarray, *, radius: float, top_fraction: float = 0.01
) -> LossConcentration:
    """Fraction of the top ``top_fraction`` of losses inside a ball (a cap, on a sphere) of
    Euclidean radius ``radius`` around their densest point.

    Parameters
    ----------
    points : array, shape (n_points, D)
        Where the losses were measured (e.g. test points on the manifold).
    losses : array, shape (n_points,)
    radius : float
        Radius of the cap in the ambient (chordal) distance; on the unit sphere a chord r is
        the geodesic angle 2 arcsin(r/2).
    top_fraction : float
        In (0, 1]; at least one point is taken.
    """
    x, loss = _points_losses(points, losses)
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    top = top_loss_indices(loss, top_fraction)
    n_top = len(top)
    xt = x[top]
    d2 = np.sum((xt[:, None, :] - xt[None, :, :]) ** 2, axis=2)
    counts = np.sum(d2 <= radius * radius, axis=1)
    c = int(top[int(np.argmax(counts))])
    centre = x[c]
    near_all = np.sum((x - centre) ** 2, axis=1) <= radius * radius
    return LossConcentration(
        centre=centre.copy(),
        centre_index=c,
        argmax_index=int(top[0]),
        fraction_top=float(np.max(counts) / n_top),
        fraction_all=float(near_all.mean()),
        n_top=n_top,
        radius=radius,
    )


def cap_fraction(dim: int, angle: float) -> float:
    """Fraction of the area of the unit sphere S^dim within geodesic angle ``angle`` of a point.

    ∫_0^angle sin^(dim−1) t dt / ∫_0^π sin^(dim−1) t dt, e.g. angle/π on the circle and
    (1 − cos angle)/2 on the 2-sphere; the regularised incomplete beta function in general.
    """
    dim = check_int(dim, "dim", low=1)
    angle = check_real(angle, "angle", low=0.0, high=math.pi)
    # t = sin²(θ/2) = (1 − cos θ)/2 is Beta(dim/2, dim/2) for a uniform point of S^dim
    return float(special.betainc(dim / 2.0, dim / 2.0, math.sin(angle / 2.0) ** 2))


def winding_number(curve: np.ndarray, centre: np.ndarray | None = None) -> float:
    """Winding number of the closed plane curve ``curve`` (in order; the last point joins the
    first) around ``centre`` (the curve's mean by default): Σ Δarg / 2π.

    An integer (up to rounding) when consecutive points are close; the degree of a circle's
    latent map into R² \\ {centre}.

    Parameters
    ----------
    curve : array, shape (n_points, 2)
    centre : array, shape (2,), optional
    """
    c = check_array(curve, "curve", shape=(None, 2), min_samples=3)
    p = c.mean(axis=0) if centre is None else check_array(centre, "centre", shape=(2,))
    angle = np.arctan2(c[:, 1] - p[1], c[:, 0] - p[0])
    step = np.diff(np.concatenate([angle, angle[:1]]))
    step = (step + math.pi) % (2 * math.pi) - math.pi
    return float(step.sum() / (2 * math.pi))


def latent_tear(angles: np.ndarray, latent: np.ndarray) -> tuple[float, float]:
    """Where the latent map of a circle tears: the largest jump between neighbours on the circle.

    Parameters
    ----------
    angles : array, shape (n_points,)
        Angle of each point on the circle (radians).
    latent : array, shape (n_points, d)
        Latent coordinates of the points.

    Returns
    -------
    angle : float
        Midpoint (radians, in [−π, π)) between the two neighbouring points with the largest
        latent distance.
    ratio : float
        That distance over the median neighbour distance (≫ 1 at a tear).
    """
    a = check_array(angles, "angles", ndim=1, min_samples=3)
    z = check_array(latent, "latent", ndim=2)
    if z.shape[0] != a.shape[0]:
        raise ValueError(f"latent has {z.shape[0]} rows for {a.shape[0]} angles")
    order = np.argsort(np.mod(a, 2 * math.pi))
    a, z = np.mod(a[order], 2 * math.pi), z[order]
    jumps = np.linalg.norm(np.roll(z, -1, axis=0) - z, axis=1)
    i = int(np.argmax(jumps))
    a_next = a[(i + 1) % len(a)] + (2 * math.pi if i == len(a) - 1 else 0.0)
    mid = 0.5 * (a[i] + a_next)
    mid = (mid + math.pi) % (2 * math.pi) - math.pi
    median = float(np.median(jumps))
    return float(mid), float(jumps[i] / median) if median > 0 else math.inf


def top_loss_gap(
    angles: np.ndarray, losses: np.ndarray, angle: float, *, top_fraction: float = 0.01
) -> float:
    """How far ``angle`` lies from the largest losses on a circle: the smallest geodesic distance
    min_j |angle − θ_j| (modulo 2π, in [0, π]) to the angles θ_j of the top ``top_fraction`` of
    losses (:func:`top_loss_indices`).

    E.g. with ``angle`` the tear of the latent map (:func:`latent_tear`): does the loss sit
    where the map tears? For k top losses scattered uniformly and independently of ``angle``,
    P(gap ≤ a) = 1 − (1 − a/π)^k.

    Parameters
    ----------
    angles : array, shape (n_points,)
        Angle of each point on the circle (radians).
    losses : array, shape (n_points,)
    angle : float
        Radians (any real; taken modulo 2π).
    top_fraction : float
        In (0, 1].

    Returns
    -------
    float
        In [0, π].
    """
    a = check_array(angles, "angles", ndim=1, min_samples=1)
    loss = check_array(losses, "losses", ndim=1)
    if loss.shape[0] != a.shape[0]:
        raise ValueError(f"losses has {loss.shape[0]} entries for {a.shape[0]} angles")
    angle = check_real(angle, "angle")
    top = top_loss_indices(loss, top_fraction)
    return float(np.abs((a[top] - angle + math.pi) % (2 * math.pi) - math.pi).min())


def principal_angles(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Principal angles (radians, descending) between the column spans of ``a`` and ``b``.

    Parameters
    ----------
    a : array, shape (N, k)
    b : array, shape (N, l)
    """
    a = check_array(a, "a", ndim=2)
    b = check_array(b, "b", ndim=2)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"a and b must have the same number of rows, got {a.shape[0]} and {b.shape[0]}")
    return linalg.subspace_angles(a, b)

