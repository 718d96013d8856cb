"""Tests of physml.data's manifold samplers: on the manifold, uniform by volume, deterministic.

Statistical tolerances: means are checked to 5 standard errors; distributions with a
Kolmogorov-Smirnov test at level ALPHA (a false alarm once in 10^4 runs per check). Seeds are
fixed, so the tests are deterministic; the tolerances say the seeds were not chosen to pass.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from physml.data import clifford_torus, excised_sphere, flat_torus, sphere, swiss_roll, torus

ALPHA = 1e-4
N = 20_000


def assert_ks(sample, cdf, args=()):
    result = stats.kstest(sample, cdf, args=args)
    assert result.pvalue > ALPHA, f"KS statistic {result.statistic:.4g}, p-value {result.pvalue:.3g}"


def assert_mean_zero(points, sd):
    """Each coordinate's mean is 0 within 5 standard errors (sd = the coordinate's standard deviation)."""
    bound = 5 * sd / np.sqrt(len(points))
    assert np.all(np.abs(points.mean(axis=0)) < bound), (points.mean(axis=0), bound)


# ---------------------------------------------------------------- spheres


@pytest.mark.parametrize("dim", [1, 2, 5])
@pytest.mark.parametrize("radius", [1.0, 3.5])
def test_sphere_on_manifold_and_uniform(dim, radius):
    x = sphere(N, dim, radius=radius, seed=dim)
    assert x.shape == (N, dim + 1) and x.dtype == np.float64
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), radius, rtol=0, atol=1e-12)
    # Each coordinate has mean 0 and variance radius^2 / (dim + 1).
    assert_mean_zero(x, radius / np.sqrt(dim + 1))
    # Exact marginal: (x_last / radius)^2 ~ Beta(1/2, dim/2); for S^2, x_last is uniform (Archimedes).
    assert_ks((x[:, -1] / radius) ** 2, stats.beta(0.5, dim / 2).cdf)
    if dim == 2:
        assert_ks(x[:, -1] / radius, "uniform", args=(-1, 2))


def test_sphere_ambient_dim_is_rotated():
    x = sphere(N, 2, radius=2.0, ambient_dim=6, seed=3)
    assert x.shape == (N, 6)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 2.0, rtol=0, atol=1e-12)
    # The points span a 3-dimensional linear subspace ...
    singular = np.linalg.svd(x, compute_uv=False)
    assert np.all(singular[3:] < 1e-10 * singular[0])
    # ... that is not a coordinate subspace: every coordinate varies.
    assert np.all(x.std(axis=0) > 0.1)
    # The rotation is a function of the seed, not of the sample size.
    basis_a = np.linalg.svd(x, full_matrices=False)[2][:3]
    basis_b = np.linalg.svd(sphere(50, 2, ambient_dim=6, seed=3), full_matrices=False)[2][:3]
    # Same subspace: the projector onto it is the same.
    np.testing.assert_allclose(basis_a.T @ basis_a, basis_b.T @ basis_b, atol=1e-10)


@pytest.mark.parametrize(("dim", "band"), [(1, 0.3), (2, 0.2), (2, 0.0), (3, 0.9), (50, 0.5)])
def test_excised_sphere(dim, band):
    radius = 2.0
    x = excised_sphere(N, dim, band=band, radius=radius, seed=7)
    assert x.shape == (N, dim + 1)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), radius, rtol=0, atol=1e-12)
    assert np.all(np.abs(x[:, -1]) >= band * radius), "a point lies in the excised band"
    # Uniform on the sphere, conditioned on |x_last| >= band: x_last^2 ~ Beta(1/2, dim/2) truncated.
    beta = stats.beta(0.5, dim / 2)
    lo = beta.cdf(band**2)
    assert_ks((x[:, -1] / radius) ** 2, lambda s: (beta.cdf(s) - lo) / (1 - lo))
    # The two caps are equally likely: binomial count within 5 sigma.
    upper = np.sum(x[:, -1] > 0)
    assert abs(upper - N / 2) < 5 * np.sqrt(N / 4)
    # The other coordinates are symmetric: mean 0 within 5 standard errors (their sd is <= radius).
    assert_mean_zero(x[:, :-1], radius)


def test_excised_sphere_s2_archimedes():
    band = 0.2
    x = excised_sphere(N, 2, band=band, seed=11)
    assert_ks(np.abs(x[:, -1]), "uniform", args=(band, 1 - band))


# ---------------------------------------------------------------- tori


def test_torus_on_manifold_and_area_uniform():
    big_r, r = 3.0, 1.0
    x = torus(N, major_radius=big_r, minor_radius=r, seed=5)
    assert x.shape == (N, 3)
    rho = np.hypot(x[:, 0], x[:, 1])
    np.testing.assert_allclose((rho - big_r) ** 2 + x[:, 2] ** 2, r**2, rtol=0, atol=1e-12)
    # Toroidal angle uniform; poloidal angle with density (R + r cos phi) / (2 pi R).
    theta = np.mod(np.arctan2(x[:, 1], x[:, 0]), 2 * np.pi)
    phi = np.mod(np.arctan2(x[:, 2], rho - big_r), 2 * np.pi)
    assert_ks(theta, "uniform", args=(0, 2 * np.pi))
    assert_ks(phi, lambda p: (big_r * p + r * np.sin(p)) / (2 * np.pi * big_r))
    # More points on the outer half (cos phi > 0) than on the inner: P = 1/2 + r / (pi R); 5 sigma.
    outside = np.sum(np.cos(phi) > 0)
    expected = N * (0.5 + r / (np.pi * big_r))
    assert abs(outside - expected) < 5 * np.sqrt(N * 0.25)


@pytest.mark.parametrize(("dim", "radii"), [(1, 2.0), (2, 1.0), (3, [0.5, 1.0, 2.0])])
def test_flat_torus(dim, radii):
    x = flat_torus(N, dim, radii=radii, seed=2)
    assert x.shape == (N, 2 * dim)
    want = np.broadcast_to(np.asarray(radii, dtype=float), (dim,))
    circle_radii = np.hypot(x[:, 0::2], x[:, 1::2])
    np.testing.assert_allclose(circle_radii, np.broadcast_to(want, circle_radii.shape), rtol=0, atol=1e-12)
    angles = np.arctan2(x[:, 1::2], x[:, 0::2])
    for k in range(dim):
        assert_ks(angles[:, k], "uniform", args=(-np.pi, 2 * np.pi))
    # Coordinate r cos(theta) has standard deviation r / sqrt(2).
    assert_mean_zero(x, np.repeat(want, 2) / np.sqrt(2))


@pytest.mark.parametrize("dim", [1, 2, 4])
def test_clifford_torus(dim):
    x = clifford_torus(2000, dim, seed=4)
    assert x.shape == (2000, 2 * dim)
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.hypot(x[:, 0::2], x[:, 1::2]), 1 / np.sqrt(dim), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(x, flat_torus(2000, dim, radii=1 / np.sqrt(dim), seed=4))


# ---------------------------------------------------------------- Swiss roll


def arc_length(t):
    return 0.5 * (t * np.sqrt(1 + t * t) + np.arcsinh(t))


@pytest.mark.parametrize("turns", [1.5, 0.25, 4.0])
def test_swiss_roll(turns):
    height = 21.0
    x, coords = swiss_roll(N, turns=turns, height=height, seed=9, return_coords=True)
    assert x.shape == (N, 3) and coords.shape == (N, 2)
    t0, t1 = 1.5 * np.pi, 1.5 * np.pi + 2 * np.pi * turns
    t = np.hypot(x[:, 0], x[:, 2])  # |(t cos t, t sin t)| = t
    assert np.all((t >= t0 - 1e-12) & (t <= t1 + 1e-12))
    np.testing.assert_allclose(x[:, 0], t * np.cos(t), atol=1e-9)
    np.testing.assert_allclose(x[:, 2], t * np.sin(t), atol=1e-9)
    s, y = coords.T
    np.testing.assert_allclose(s, arc_length(t) - arc_length(t0), atol=1e-8)
    np.testing.assert_array_equal(y, x[:, 1])
    # Area-uniform means uniform in the intrinsic (arc length, y) rectangle.
    length = arc_length(t1) - arc_length(t0)
    assert_ks(s, "uniform", args=(0, length))
    assert_ks(y, "uniform", args=(0, height))


def test_swiss_roll_default_matches_sklearn_range():
    x = swiss_roll(1000, seed=0)
    t = np.hypot(x[:, 0], x[:, 2])
    assert t.min() >= 1.5 * np.pi - 1e-12 and t.max() <= 4.5 * np.pi + 1e-12
    assert 0 <= x[:, 1].min() and x[:, 1].max() <= 21.0


# ---------------------------------------------------------------- all generators

GENERATORS = {
    "sphere": lambda **kw: sphere(300, 2, **kw),
    "sphere_ambient": lambda **kw: sphere(300, 2, ambient_dim=5, **kw),
    "excised_sphere": lambda **kw: excised_sphere(300, 2, **kw),
    "torus": lambda **kw: torus(300, **kw),
    "flat_torus": lambda **kw: flat_torus(300, 3, **kw),
    "clifford_torus": lambda **kw: clifford_torus(300, **kw),
    "swiss_roll": lambda **kw: swiss_roll(300, **kw),
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_determinism(name):
    make = GENERATORS[name]
    a, b, c = make(seed=1), make(seed=1), make(seed=2)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # A Generator seed is accepted and is the same stream as its integer seed.
    np.testing.assert_array_equal(make(seed=np.random.default_rng(1)), a)


@pytest.mark.parametrize("name", list(GENERATORS))
def test_noise_is_isotropic_gaussian_added_to_clean_points(name):
    make = GENERATORS[name]
    sigma = 0.05
    diff = make(seed=3, noise=sigma) - make(seed=3)
    # diff is sigma * N(0, 1) in every coordinate. The sample variance of m normals has relative
    # standard deviation sqrt(2 / m); check it to 5 of those, and the mean to 5 standard errors.
    m = diff.size
    assert abs(diff.var() / sigma**2 - 1) < 5 * np.sqrt(2 / m)
    assert abs(diff.mean()) < 5 * sigma / np.sqrt(m)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: sphere(0, 2), "n_samples"),
        (lambda: sphere(10.5, 2), "n_samples"),
        (lambda: sphere(10, 0), "dim"),
        (lambda: sphere(10, 2, radius=-1.0), "radius"),
        (lambda: sphere(10, 2, ambient_dim=2), "ambient_dim"),
        (lambda: sphere(10, 2, noise=-0.1), "noise"),
        (lambda: sphere(10, 2, seed=-1), "seed"),
        (lambda: sphere(10, 2, seed="a"), "seed"),
        (lambda: excised_sphere(10, 2, band=1.0), "band"),
        (lambda: excised_sphere(10, 2, band=-0.1), "band"),
        (lambda: excised_sphere(10, 2, band=float("nan")), "band"),
        (lambda: torus(10, major_radius=1.0, minor_radius=2.0), "major_radius"),
        (lambda: torus(10, minor_radius=0.0), "minor_radius"),
        (lambda: flat_torus(10, 2, radii=[1.0, 2.0, 3.0]), "radii"),
        (lambda: flat_torus(10, 2, radii=[1.0, -2.0]), "radii"),
        (lambda: flat_torus(10, 2, radii=0.0), "radii"),
        (lambda: flat_torus(10, 0), "dim"),
        (lambda: clifford_torus(10, 0), "dim"),
        (lambda: swiss_roll(10, turns=0.0), "turns"),
        (lambda: swiss_roll(10, height=-2.0), "height"),
        (lambda: swiss_roll(10, return_coords="yes"), "return_coords"),
    ],
)
def test_invalid_arguments(call, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        call()
