"""The nearest-neighbour law of uniform points on the 2-sphere against closed forms, numerical
integration and seeded Monte-Carlo samples.

Statistical tolerances: Z = 3.89 standard errors (two-sided 10⁻⁴ per check); KS tests at P_MIN.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate
from scipy import stats as scipy_stats
from scipy.spatial import cKDTree

from physml.data import sphere
from physml.geometry import SphereNearestNeighbor, sphere_nearest_neighbor

Z = float(scipy_stats.norm.isf(0.5e-4))
P_MIN = 1e-3


def test_closed_forms():
    # one other point: r has density ρ/2 on [0, 2], mean 4/3, E r² = 2
    one = sphere_nearest_neighbor(1, fixed_point=True)
    assert one.n_others == 1 and one.mean == pytest.approx(4 / 3, rel=1e-14)
    assert one.std == pytest.approx(math.sqrt(2 - 16 / 9), rel=1e-13)
    assert sphere_nearest_neighbor(2).n_others == 1 and sphere_nearest_neighbor(2).mean == one.mean
    law = sphere_nearest_neighbor(1500)
    assert law.n_points == 1500 and law.n_others == 1499
    assert law.spacing == math.sqrt(math.pi / 1500)  # the band of ae-excised-equator
    # the mean and E r² as integrals of the survival function, ∫ P(r > ρ) dρ and ∫ 2ρ P(r > ρ) dρ
    for lw in (law, sphere_nearest_neighbor(40, fixed_point=True), one):
        mean = integrate.quad(lambda r, lw=lw: float(lw.survival(r)), 0, 2, limit=200)[0]
        second = integrate.quad(lambda r, lw=lw: 2 * r * float(lw.survival(r)), 0, 2, limit=200)[0]
        assert lw.mean == pytest.approx(mean, rel=1e-8)
        assert lw.std == pytest.approx(math.sqrt(second - mean**2), rel=1e-6)
    # the large-n expansions: mean √(π/n)(1 + 1/(8n) + O(n⁻²)) between sample points, variance (4 − π)/n
    assert law.mean / law.spacing - 1 == pytest.approx(1 / (8 * 1500), rel=1e-2)
    assert law.std**2 * 1500 == pytest.approx(4 - math.pi, rel=1e-3)
    assert law.cdf(np.array([0.0, 2.0, 5.0])).tolist() == [0.0, 1.0, 1.0]


def test_sample_distances_follow_the_law():
    # R independent samples of n points: the mean nearest-neighbour distance of each sample scatters
    # about E r; the grand mean is compared within Z standard errors of the replicas' spread, and the
    # distance of point 0 of each sample (independent across samples) with the law by a KS test
    n, replicas = 500, 200
    law = sphere_nearest_neighbor(n)
    means, first = [], []
    for k in range(replicas):
        x = sphere(n, 2, seed=k)
        d = cKDTree(x).query(x, k=2)[0][:, 1]
        means.append(d.mean())
        first.append(d[0])
    means = np.array(means)
    assert abs(means.mean() - law.mean) < Z * means.std(ddof=1) / math.sqrt(replicas)
    assert scipy_stats.kstest(first, law.cdf).pvalue > P_MIN
    # the spread of a single distance is the law's: the sample variance has relative error
    # √((2 + κ)/R), κ the excess kurtosis, so the standard deviation half of it
    kappa = float(scipy_stats.kurtosis(first))
    assert np.std(first, ddof=1) == pytest.approx(law.std, rel=Z * 0.5 * math.sqrt((2 + kappa) / replicas))


def test_distances_from_a_fixed_point_follow_the_law():
    n, replicas = 300, 2000
    law = sphere_nearest_neighbor(n, fixed_point=True)
    pole = np.array([0.0, 0.0, 1.0])
    d = np.array(
        [np.linalg.norm(sphere(n, 2, seed=10_000 + k) - pole, axis=1).min() for k in range(replicas)]
    )
    assert abs(d.mean() - law.mean) < Z * law.std / math.sqrt(replicas)
    assert scipy_stats.kstest(d, law.cdf).pvalue > P_MIN
    # and the test has power: the law of the sample points (n − 1 others) at n = 200 is rejected
    assert scipy_stats.kstest(d, sphere_nearest_neighbor(200).cdf).pvalue < P_MIN


def test_bad_input():
    with pytest.raises(ValueError, match=r"n_points must be in \[2, inf\), got 1"):
        sphere_nearest_neighbor(1)
    with pytest.raises(ValueError, match=r"n_points must be in \[1, inf\), got 0"):
        sphere_nearest_neighbor(0, fixed_point=True)
    with pytest.raises(TypeError, match="n_points must be an integer"):
        sphere_nearest_neighbor(10.0)
    with pytest.raises(TypeError, match="fixed_point must be a bool"):
        sphere_nearest_neighbor(10, fixed_point=1)
    assert isinstance(sphere_nearest_neighbor(3), SphereNearestNeighbor)
