"""How far apart uniform points on the 2-sphere are: the law of the nearest-neighbour distance.

For a point of the unit sphere S² and m further points drawn independently and uniformly on it,
a cap of chordal radius ρ (all points within Euclidean distance ρ) holds the fraction ρ²/4 of the
area (Archimedes: a cap's area is 2πh with height h = ρ²/2), so the chordal distance r to the
nearest of the m points has the survival function

    P(r > ρ) = (1 − ρ²/4)^m,        0 ≤ ρ ≤ 2,

which is the Beta(1, m) law of u = ρ²/4. Its moments follow in closed form,

    E r = √π Γ(m + 1) / Γ(m + 3/2),        E r² = 4 / (m + 1).

For the distances between n sample points, m = n − 1 (the others); for a fixed point of the
sphere and a sample of n points, m = n. Either way E r = √(π/n) (1 + O(1/n)): the spacing of the
sample, half the side √(4π/n) of the area per point. (The distances of different points of one
sample are dependent; the law is that of each one.) The same Poisson-limit reasoning underlies
the nearest-neighbour dimension estimators (Levina & Bickel, NIPS 17 (2005)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from physml._core import check_array, check_int

__all__ = ["SphereNearestNeighbor", "sphere_nearest_neighbor"]


@dataclass(frozen=True)
class SphereNearestNeighbor:
    """The law of the chordal distance r from a point of the unit 2-sphere to the nearest of
    ``n_others`` independent uniform points (see :func:`sphere_nearest_neighbor`).

    Attributes
    ----------
    n_points : int
        The sample size n.
    n_others : int
        m: n − 1 for a point of the sample, n for a fixed point.
    mean : float
        E r = √π Γ(m + 1)/Γ(m + 3/2).
    std : float
        √(E r² − (E r)²) with E r² = 4/(m + 1); ≈ √((4 − π)/n) for large n.
    spacing : float
        √(π/n), the leading term of the mean for large n (for either kind of point).
    """

    n_points: int
    n_others: int
    mean: float
    std: float
    spacing: float

    def survival(self, rho: Any) -> np.ndarray:
        """P(r > ρ) = (1 − ρ²/4)^m, for ρ clipped to [0, 2]; shape of ``rho``."""
        r = np.clip(check_array(rho, "rho", ndim=None), 0.0, 2.0)
        return (1.0 - r * r / 4.0) ** self.n_others

    def cdf(self, rho: Any) -> np.ndarray:
        """P(r ≤ ρ) = 1 − (1 − ρ²/4)^m; shape of ``rho``."""
        return 1.0 - self.survival(rho)


def sphere_nearest_neighbor(n_points: int, *, fixed_point: bool = False) -> SphereNearestNeighbor:
    """The nearest-neighbour distance of n uniform points on the unit 2-sphere S² ⊂ R³.

    The chordal (Euclidean) distance r from a point to the nearest of m independent uniform
    points has P(r > ρ) = (1 − ρ²/4)^m (a cap of chordal radius ρ holds ρ²/4 of the area), mean
    √π Γ(m + 1)/Γ(m + 3/2) and E r² = 4/(m + 1). Between the points of one sample m = n − 1;
    from a fixed point of the sphere (e.g. a point of an excised band) to the sample m = n. Both
    means are √(π/n) (1 + O(1/n)) (``spacing``): a band of that half-width is as narrow as
    the sample can resolve.

    Parameters
    ----------
    n_points : int
        n, the number of sample points: ≥ 2 (≥ 1 with ``fixed_point``).
    fixed_point : bool
        False: the distance from a sample point to its nearest other sample point (m = n − 1);
        True: from a fixed point of the sphere to the nearest sample point (m = n).

    Returns
    -------
    SphereNearestNeighbor
    """
    if not isinstance(fixed_point, bool):
        raise TypeError(f"fixed_point must be a bool, got {fixed_point!r}")
    n = check_int(n_points, "n_points", low=1 if fixed_point else 2)
    m = n if fixed_point else n - 1
    mean = math.sqrt(math.pi) * math.exp(math.lgamma(m + 1.0) - math.lgamma(m + 1.5))
    second = 4.0 / (m + 1.0)
    return SphereNearestNeighbor(
        n_points=n,
        n_others=m,
        mean=mean,
        std=math.sqrt(max(second - mean * mean, 0.0)),
        spacing=math.sqrt(math.pi / n),
    )
