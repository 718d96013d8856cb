"""physml.data.collider.toy_shower: the scale-free toy parton shower against its exact results.

Each distribution is tested at a fixed seed with a KS test: if the generator is right, the p-value
is one draw from U(0, 1), so p > 1e-3 fails one correct generator in a thousand seeds; the test
can fail (a wrong rate, z density or ordering gives p ~ 1e-10 or less at these sizes).
"""

import dataclasses
import math

import numpy as np
import pytest
from scipy import special, stats

from physml.data.collider import ToyShower, jet_image, toy_shower


@pytest.fixture(scope="module")
def shower() -> ToyShower:
    return toy_shower(3000, seed=11)


def test_same_seed_same_jets_other_seed_other_jets():
    a, b, c = toy_shower(50, seed=3), toy_shower(50, seed=3), toy_shower(50, seed=4)
    for name in ("offsets", "pt", "eta", "phi", "z", "theta"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.offsets, c.offsets) or not np.array_equal(a.pt, c.pt)
    np.testing.assert_array_equal(a.images(), b.images())


def test_shapes_and_the_binary_tree(shower):
    n = shower.n_jets
    assert shower.offsets.shape == (n + 1,) and shower.offsets[0] == 0
    assert shower.offsets[-1] == len(shower.pt)
    assert len(shower.eta) == len(shower.phi) == len(shower.pt)
    assert shower.multiplicity.min() >= 1
    # every splitting adds one parton: splittings per jet = multiplicity - 1
    np.testing.assert_array_equal(np.bincount(shower.split_jet, minlength=n), shower.multiplicity - 1)
    images = shower.images(pixels=25)
    assert images.shape == (n, 25, 25) and images.dtype == np.float32
    assert toy_shower(0).n_jets == 0 and toy_shower(0).images().shape == (0, 33, 33)


def test_pt_and_centroid_are_conserved(shower):
    starts = shower.offsets[:-1]
    total = np.add.reduceat(shower.pt, starts)
    np.testing.assert_allclose(total, 500.0, rtol=1e-12)
    for coord in (shower.eta, shower.phi):
        centroid = np.add.reduceat(shower.pt * coord, starts) / total
        # rounding only: each splitting moves its daughters by at most R = 0.4
        assert np.abs(centroid).max() < 1e-12


def test_z_follows_dz_over_z(shower):
    z_cut = 0.01
    assert shower.z.min() >= z_cut and shower.z.max() <= 0.5
    cdf = lambda z: np.log(z / z_cut) / math.log(0.5 / z_cut)  # noqa: E731
    assert stats.kstest(shower.z, cdf).pvalue > 1e-3


def test_splitting_angles_follow_the_sudakov_factor(shower):
    # the next splitting below theta_max: ln(theta_max/theta) ~ Exp(rate), seen only above theta_min
    u = np.log(shower.theta_max / shower.theta)
    top = np.log(shower.theta_max / shower.theta_min)
    assert np.all(shower.theta < shower.theta_max) and np.all(shower.theta >= shower.theta_min)
    pit = -np.expm1(-shower.rate * u) / -np.expm1(-shower.rate * top)  # uniform if right
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    # angular ordering: each jet's first splitting is bounded by R
    first = np.r_[True, shower.split_jet[1:] != shower.split_jet[:-1]]
    np.testing.assert_array_equal(shower.theta_max[first], shower.radius)


def test_multiplicity_is_geometric(shower):
    # a Yule process for a time ln(R/theta_min) at the rate: P(n) = p (1 - p)^(n - 1)
    p = (shower.theta_min / shower.radius) ** shower.rate
    n = shower.multiplicity
    # randomised probability integral transform of a discrete law: uniform if right
    v = np.random.default_rng(0).random(len(n))
    pit = -np.expm1((n - 1) * np.log1p(-p)) + v * p * (1 - p) ** (n - 1)
    assert stats.kstest(pit, "uniform").pvalue > 1e-3
    # the defaults' rate and mean
    assert shower.rate == pytest.approx(2 * 0.118 * 3 / math.pi * math.log(50))
    assert 1 / p == pytest.approx(47.62, abs=0.01)


def test_the_shower_is_scale_free():
    # halving R and theta_min (exactly, in binary) halves every angle with the same draws
    a = toy_shower(200, seed=5)
    b = toy_shower(200, radius=0.2, theta_min=0.0025, seed=5)
    np.testing.assert_array_equal(a.offsets, b.offsets)
    np.testing.assert_array_equal(b.eta, a.eta / 2)
    np.testing.assert_array_equal(b.theta, a.theta / 2)
    np.testing.assert_array_equal(a.images(), b.images())  # the images span [-R, R]


def test_max_depth_makes_two_prong_jets():
    s = toy_shower(2000, max_depth=1, seed=2)
    assert set(np.unique(s.multiplicity)) <= {1, 2}
    assert np.all(s.theta_max == s.radius)
    # no splitting above theta_min with probability (theta_min/R)^rate: a binomial count
    p = (s.theta_min / s.radius) ** s.rate
    k = int((s.multiplicity == 1).sum())
    assert stats.binomtest(k, len(s.multiplicity), p).pvalue > 1e-3
    assert np.all(toy_shower(10, max_depth=0).multiplicity == 1)


def test_images_are_jet_images_and_smeared_images_are_smooth(shower):
    pt, eta, phi = shower.constituents(7)
    np.testing.assert_allclose(shower.images()[7], jet_image(pt, eta, phi, radius=0.4), atol=1e-6)
    aligned = shower.images(align=True)[7]
    np.testing.assert_allclose(aligned, jet_image(pt, eta, phi, radius=0.4, align=True), atol=1e-6)
    # one parton at the axis: the image is the Gaussian integrated over each pixel
    one = toy_shower(3, max_depth=0)
    sigma = 0.05
    img = one.images(pixels=9, resolution=sigma)[0]
    edges = np.linspace(-0.4, 0.4, 10)
    g = np.diff(special.ndtr(edges / sigma))
    np.testing.assert_allclose(img, np.outer(g, g), rtol=1e-6)
    # a smeared image moves continuously with the partons, a histogram jumps. Stretching eta by 1%
    # (the centroid stays at 0, which jet_image centres on) moves parton i by d_i; each smeared
    # image changes by at most sum_i z_i 2 d_i phi(0) / sigma in L1 (the total variation of the
    # Gaussian's integral over pixels)
    two = toy_shower(400, max_depth=1, z_cut=0.2, theta_min=0.1, seed=1)
    moved = dataclasses.replace(two, eta=two.eta * 1.01)
    smooth = np.abs(two.images(resolution=sigma) - moved.images(resolution=sigma)).sum(axis=(1, 2))
    weights = two.pt / np.repeat(np.add.reduceat(two.pt, two.offsets[:-1]), two.multiplicity)
    moves = np.add.reduceat(weights * 0.01 * np.abs(two.eta), two.offsets[:-1])
    bound = moves * 2 * stats.norm.pdf(0) / sigma
    assert np.all(smooth <= bound + 1e-6) and bound.max() < 0.1
    jumps = np.abs(two.images() - moved.images()).sum(axis=(1, 2))
    assert jumps.max() > 0.3  # a parton of z >= 0.2 crossed a pixel edge


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(z_cut=0.5), "z_cut must be in"),
        (dict(theta_min=0.4), "theta_min must be below radius"),
        (dict(alpha_s=0.0), "alpha_s"),
        (dict(alpha_s=5.0), "partons per jet on average"),
        (dict(max_depth=-1), "max_depth"),
    ],
)
def test_bad_parameters_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        toy_shower(3, **kwargs)


def test_align_needs_the_histogram_image():
    with pytest.raises(ValueError, match="align=True needs resolution 0"):
        toy_shower(3).images(align=True, resolution=0.01)
