"""The Plummer sphere: exact samples against the closed forms of the model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from physml.data import (
    plummer_acceleration,
    plummer_density,
    plummer_df,
    plummer_enclosed_mass,
    plummer_escape_speed,
    plummer_grad_log_df,
    plummer_log_df,
    plummer_potential,
    plummer_sample,
    plummer_velocity_dispersion,
)

N = 20_000
P_MIN = 1e-3  # KS tests at a fixed seed: fail only if the distribution is wrong (or at 1e-3 bad luck)
Z = 4.0  # standard errors allowed for a mean


@pytest.fixture(scope="module")
def sample():
    return plummer_sample(N, seed=0)


def test_radii_follow_the_enclosed_mass_cdf(sample):
    x, _ = sample
    r = np.linalg.norm(x, axis=1)
    assert stats.kstest(r, lambda s: plummer_enclosed_mass(s)).pvalue > P_MIN
    # the test has the power to see a 10% wrong scale radius
    assert stats.kstest(r, lambda s: plummer_enclosed_mass(s, scale=1.1)).pvalue < P_MIN


def test_directions_are_isotropic(sample):
    x, v = sample
    for w in (x, v):
        cos = w[:, 2] / np.linalg.norm(w, axis=1)  # uniform on (-1, 1) for isotropy
        assert stats.kstest(cos, stats.uniform(-1, 2).cdf).pvalue > P_MIN
        phi = np.arctan2(w[:, 1], w[:, 0])
        assert stats.kstest(phi, stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > P_MIN


def test_every_star_is_bound_below_the_escape_speed(sample):
    x, v = sample
    r = np.linalg.norm(x, axis=1)
    speed = np.linalg.norm(v, axis=1)
    assert np.all(speed < plummer_escape_speed(r))
    energy = 0.5 * speed**2 + plummer_potential(r)
    assert np.all(energy < 0)
    assert np.all(np.isfinite(plummer_log_df(x, v)))


def _speed_cdf_from_df(r: float):
    """CDF of the speed at fixed r from the DF itself: ∝ ∫₀^v f(r, w) w² dw (by quadrature)."""
    pos = np.array([[r, 0.0, 0.0]])
    vesc = float(plummer_escape_speed(r))

    def dens(w: float) -> float:
        return float(plummer_df(pos, np.array([[w, 0.0, 0.0]]))[0]) * w * w

    total = integrate.quad(dens, 0.0, vesc)[0]

    def cdf(q):
        return np.array([integrate.quad(dens, 0.0, qi * vesc)[0] / total for qi in np.atleast_1d(q)])

    return vesc, cdf


def test_speeds_at_fixed_radius_follow_the_distribution_function(sample):
    x, v = sample
    r = np.linalg.norm(x, axis=1)
    q = np.linalg.norm(v, axis=1) / plummer_escape_speed(r)
    # the distribution of q = v / v_esc(r) is the same at every radius (f depends on E only and
    # Φ sets the scale); compute it from plummer_df at two radii and test the samples against it
    grid = np.linspace(0.0, 1.0, 201)
    _, cdf_a = _speed_cdf_from_df(0.3)
    _, cdf_b = _speed_cdf_from_df(3.0)
    table = cdf_a(grid)
    np.testing.assert_allclose(table, cdf_b(grid), atol=1e-9)
    assert stats.kstest(q, lambda s: np.interp(s, grid, table)).pvalue > P_MIN
    # stars in a thin shell: their speeds follow the conditional distribution at that radius
    shell = (r > 0.9) & (r < 1.1)
    assert shell.sum() > 1000
    assert stats.kstest(q[shell], lambda s: np.interp(s, grid, table)).pvalue > P_MIN
    assert stats.kstest(q, stats.beta(1.5, 2.0).cdf).pvalue < P_MIN  # power against a wrong shape


def test_mean_square_speed_follows_jeans_and_virial(sample):
    x, v = sample
    r = np.linalg.norm(x, axis=1)
    v2 = np.sum(v**2, axis=1)
    # Jeans: <v²>(r) = 3σ²(r) = −Φ(r)/2, so v²/(−Φ) has mean 1/2 at every radius
    ratio = v2 / (3 * plummer_velocity_dispersion(r))
    assert abs(ratio.mean() - 1.0) < Z * ratio.std(ddof=1) / math.sqrt(N)
    for lo, hi in ((0.0, 0.5), (0.5, 1.5), (1.5, np.inf)):
        m = (r >= lo) & (r < hi)
        assert abs(ratio[m].mean() - 1.0) < Z * ratio[m].std(ddof=1) / math.sqrt(m.sum())
    # virial theorem 2K + W = 0 with W = −3πGM²/(32a): <v²> = 3π/32 per unit mass
    assert abs(v2.mean() - 3 * math.pi / 32) < Z * v2.std(ddof=1) / math.sqrt(N)


def test_virial_theorem_with_scaled_units():
    G, M, a = 0.5, 3.0, 2.0
    x, v = plummer_sample(N, seed=1, scale=a, mass=M, G=G)
    v2 = np.sum(v**2, axis=1)
    # 2K + W = 0 with K = M<v²>/2 and W = −3πGM²/(32a)
    expected = 3 * math.pi * G * M / (32 * a)
    assert abs(v2.mean() - expected) < Z * v2.std(ddof=1) / math.sqrt(N)
    r = np.linalg.norm(x, axis=1)
    cdf = lambda s: plummer_enclosed_mass(s, scale=a, mass=M, G=G) / M  # noqa: E731
    assert stats.kstest(r, cdf).pvalue > P_MIN


def test_jeans_equation_holds_for_the_dispersion():
    r = np.linspace(0.05, 5.0, 50)
    h = 1e-5

    def rho_sigma2(s):
        return plummer_density(s) * plummer_velocity_dispersion(s)

    lhs = (rho_sigma2(r + h) - rho_sigma2(r - h)) / (2 * h)
    dphi = (plummer_potential(r + h) - plummer_potential(r - h)) / (2 * h)
    np.testing.assert_allclose(lhs, -plummer_density(r) * dphi, rtol=1e-7)


@pytest.mark.parametrize(("G", "M", "a"), [(1.0, 1.0, 1.0), (0.7, 2.0, 1.5)])
def test_closed_forms_are_consistent(G, M, a):
    kw = dict(scale=a, mass=M, G=G)
    # density integrates to the enclosed mass, which tends to M
    for r in (0.3, 1.0, 4.0):
        enclosed = integrate.quad(lambda s: 4 * math.pi * s * s * plummer_density(s, **kw), 0, r)[0]
        assert enclosed == pytest.approx(float(plummer_enclosed_mass(r, **kw)), rel=1e-9)
    total = integrate.quad(lambda s: 4 * math.pi * s * s * plummer_density(s, **kw), 0, np.inf)[0]
    assert total == pytest.approx(M, rel=1e-8)
    # Poisson: (1/r²) d/dr (r² dΦ/dr) = 4πGρ
    r, h = np.linspace(0.2, 3.0, 15), 1e-4

    def r2dphi(s):
        return s**2 * (plummer_potential(s + h, **kw) - plummer_potential(s - h, **kw)) / (2 * h)

    lap = (r2dphi(r + h) - r2dphi(r - h)) / (2 * h) / r**2
    np.testing.assert_allclose(lap, 4 * math.pi * G * plummer_density(r, **kw), rtol=1e-5)
    # the acceleration is −∇Φ
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5, 3))
    grad = np.zeros_like(x)
    for i in range(3):
        e = np.zeros(3)
        e[i] = 1e-6
        grad[:, i] = (
            plummer_potential(np.linalg.norm(x + e, axis=1), **kw)
            - plummer_potential(np.linalg.norm(x - e, axis=1), **kw)
        ) / 2e-6
    np.testing.assert_allclose(plummer_acceleration(x, **kw), -grad, rtol=1e-6)
    # the DF integrates over velocities to the density
    for r in (0.0, 0.8, 2.5):
        phi = float(plummer_potential(r, **kw))
        pos = np.array([[r, 0.0, 0.0]])

        def integrand(w, pos=pos):
            return 4 * math.pi * w * w * float(plummer_df(pos, np.array([[w, 0.0, 0.0]]), **kw)[0])

        rho = integrate.quad(integrand, 0, math.sqrt(-2 * phi))[0]
        assert rho == pytest.approx(float(plummer_density(r, **kw)), rel=1e-7)


def test_grad_log_df_matches_finite_differences():
    x, v = plummer_sample(20, seed=5)
    g = plummer_grad_log_df(x, v)
    xv = np.concatenate([x, v], axis=1)
    h = 1e-6
    for i in range(6):
        e = np.zeros(6)
        e[i] = h
        up, dn = xv + e, xv - e
        fd = (plummer_log_df(up[:, :3], up[:, 3:]) - plummer_log_df(dn[:, :3], dn[:, 3:])) / (2 * h)
        np.testing.assert_allclose(g[:, i], fd, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.exp(plummer_log_df(x, v)), plummer_df(x, v), rtol=1e-12)


def test_seeds_reproduce():
    a = plummer_sample(100, seed=7)
    b = plummer_sample(100, seed=np.random.default_rng(7))
    c = plummer_sample(100, seed=8)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.allclose(a[0], c[0])


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="n must be"):
        plummer_sample(0)
    with pytest.raises(ValueError, match="scale"):
        plummer_sample(10, scale=0.0)
    with pytest.raises(ValueError, match="r must be >= 0"):
        plummer_density([-1.0])
    with pytest.raises(ValueError, match="positions must have shape"):
        plummer_acceleration(np.zeros((4, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        plummer_df(np.full((1, 3), np.nan), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="same length"):
        plummer_df(np.zeros((2, 3)), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="unbound"):
        plummer_grad_log_df(np.zeros((1, 3)), np.array([[2.0, 0.0, 0.0]]))
    assert plummer_df(np.zeros((1, 3)), np.array([[2.0, 0.0, 0.0]]))[0] == 0.0
    assert plummer_log_df(np.zeros((1, 3)), np.array([[2.0, 0.0, 0.0]]))[0] == -np.inf


def test_mass_radius_inverts_the_enclosed_mass():
    from physml.data import plummer_enclosed_mass, plummer_mass_radius

    f = np.array([0.05, 0.5, 0.75, 0.99])
    for scale in (0.5, 1.0, 3.0):
        r = plummer_mass_radius(f, scale=scale)
        np.testing.assert_allclose(plummer_enclosed_mass(r, scale=scale), f, rtol=1e-12)
    assert plummer_mass_radius(0.5) == pytest.approx(1 / np.sqrt(2 ** (2 / 3) - 1), rel=1e-15)  # 1.3048
    with pytest.raises(ValueError, match="fraction must be in"):
        plummer_mass_radius([0.5, 1.0])
