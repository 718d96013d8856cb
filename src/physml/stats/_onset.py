"""Where a binomial fraction switches on along a scan: a logistic fitted by maximum likelihood.

At each scanned value b_k of a control parameter, k of n independent trials succeed (for an
ensemble of networks: n members trained at b_k, k of which flag an anomaly). Each count is
binomial with a probability p(b) = 1/(1 + exp(−(b − b₅₀)/w)); b₅₀ and w are fitted by maximum
likelihood and the interval of b₅₀ is the profile-likelihood one, {b₅₀ : −log L_prof(b₅₀) ≤
−log L_max + 1/2}, which covers the true midpoint with probability 68.3% asymptotically (Wilks,
Ann. Math. Statist. 9 (1938) 60; Particle Data Group, Review of Particle Physics, "Statistics").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from physml._core import check_array, check_int

__all__ = ["FlaggingOnset", "flagging_onset"]


@dataclass(frozen=True)
class FlaggingOnset:
    """Where the fraction of ensemble members that flag an anomaly crosses one half, along a scan
    of a control parameter b: p(b) = 1/(1 + exp(−(b − midpoint)/width)).

    Attributes
    ----------
    midpoint : float
        b at which half the members flag (maximum likelihood).
    width : float
        Logistic width (> 0): p goes from 27% to 73% over midpoint ± width.
    midpoint_low, midpoint_high : float
        68% profile-likelihood interval of the midpoint (where the profile −log L is within 1/2
        of its minimum), on a grid over the scanned range.
    """

    midpoint: float
    width: float
    midpoint_low: float
    midpoint_high: float

    def probability(self, b: np.ndarray | float) -> np.ndarray:
        """The fitted fraction of members that flag at ``b``."""
        return 1.0 / (1.0 + np.exp(-(np.asarray(b, dtype=float) - self.midpoint) / self.width))


def flagging_onset(values: np.ndarray, n_flagging: np.ndarray, n_members: int) -> FlaggingOnset | None:
    """Locate where interpolation gives way to flagging along a scan.

    At each scanned value b_k of a control parameter (for an autoencoder, the width of a region
    excised from the training data), ``n_flagging[k]`` of ``n_members`` independently trained
    members flag the anomaly. Each count is binomial with probability p(b_k), modelled as a
    logistic p(b) = 1/(1 + exp(−(b − b₅₀)/w)); b₅₀ and w minimise

        −log L(b₅₀, w) = −Σ_k [n_k log p(b_k) + (N − n_k) log(1 − p(b_k))]

    (N = ``n_members``), with b₅₀ in the scanned range and w in [10⁻³, 1] times it, and the 68%
    interval of b₅₀ is where the profile −log L(b₅₀, ŵ(b₅₀)) lies within 1/2 of its minimum
    (Wilks' theorem), read on a grid of 301 points over the scanned range. Members that split
    into two groups (some interpolate, some flag) make the mean of a score a poor locator; the
    fraction that flags is what changes.

    Parameters
    ----------
    values : array_like, shape (K,)
        The scanned values b_k (at least 2, not all equal).
    n_flagging : array_like, shape (K,)
        Members that flag at each b_k, integers in [0, n_members].
    n_members : int

    Returns
    -------
    FlaggingOnset, or None when no member or every member flags at every b_k (nothing to locate).
    """
    n_members = check_int(n_members, "n_members", low=1)
    b = check_array(values, "values", ndim=1, min_samples=2)
    k = check_array(n_flagging, "n_flagging", ndim=1, shape=(len(b),))
    if np.any(k < 0) or np.any(k > n_members) or np.any(k != np.round(k)):
        raise ValueError(f"n_flagging must hold integers in [0, n_members={n_members}], got {k.tolist()}")
    span = float(b.max() - b.min())
    if span == 0:
        raise ValueError(f"values must not all be equal, got {b.tolist()}")
    if k.sum() == 0 or k.sum() == n_members * len(b):
        return None

    def nll(b50: float, log_w: float) -> float:
        q = np.clip(1.0 / (1.0 + np.exp(-(b - b50) / math.exp(log_w))), 1e-12, 1 - 1e-12)
        return float(-np.sum(k * np.log(q) + (n_members - k) * np.log1p(-q)))

    bounds = (math.log(1e-3 * span), math.log(span))

    def best_log_width(b50: float) -> optimize.OptimizeResult:
        return optimize.minimize_scalar(lambda lw: nll(b50, lw), bounds=bounds, method="bounded")

    def profile(b50: float) -> float:
        return float(best_log_width(b50).fun)

    grid = np.linspace(b.min(), b.max(), 301)
    prof = np.array([profile(g) for g in grid])
    i = int(np.argmin(prof))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    b50 = float(optimize.minimize_scalar(profile, bounds=(lo, hi), method="bounded").x)
    inside = grid[prof <= profile(b50) + 0.5]
    return FlaggingOnset(
        midpoint=b50,
        width=math.exp(best_log_width(b50).x),
        midpoint_low=float(inside.min()),
        midpoint_high=float(inside.max()),
    )
