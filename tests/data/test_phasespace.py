"""n-body phase space (RAMBO) against exact kinematics, closed-form volumes and analytic densities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from physml.data import (
    dalitz_boundary_quantile,
    four_momentum_violation,
    invariant_mass_squared,
    mass_shell_violation,
    massless_phase_space_volume,
    phase_space,
    phase_space_to_sphere,
    rambo,
    sphere_to_phase_space,
)

P_MIN = 1e-3  # KS / chi-square at a fixed seed: fail only for a wrong distribution (or 1e-3 bad luck)
Z = 4.0  # standard errors allowed for a Monte Carlo mean
EPS = np.finfo(float).eps


def phi2(sqrt_s: float, m1: float, m2: float) -> float:
    """Exact two-body volume π |p| / √s (Π d³p/2E δ⁴ normalisation)."""
    s = sqrt_s**2
    lam = (s - (m1 + m2) ** 2) * (s - (m1 - m2) ** 2)
    return math.pi * math.sqrt(max(lam, 0.0)) / (2 * s)


def phi3(sqrt_s: float, m1: float, m2: float, m3: float) -> float:
    """Exact three-body volume π²/(4s) × Dalitz-plot area, the area by quadrature."""
    s = sqrt_s**2

    def width(m12s: float) -> float:
        m12 = math.sqrt(m12s)
        e2 = (m12s - m1**2 + m2**2) / (2 * m12)
        e3 = (s - m12s - m3**2) / (2 * m12)
        return 4 * math.sqrt(max(e2**2 - m2**2, 0.0)) * math.sqrt(max(e3**2 - m3**2, 0.0))

    area, _ = integrate.quad(width, (m1 + m2) ** 2, (sqrt_s - m3) ** 2, limit=200, epsabs=0, epsrel=1e-10)
    return math.pi**2 / (4 * s) * area


def phi_recursive(sqrt_s: float, masses: list[float]) -> float:
    """Φ_n(√s) = ∫ dM² Φ_2(√s; M, m_n) Φ_(n−1)(M; m_1..m_(n−1)), ending at the exact Φ_2."""
    if len(masses) == 2:
        return phi2(sqrt_s, *masses)
    if len(masses) == 3 and any(masses):
        return phi3(sqrt_s, *masses)
    lo = sum(masses[:-1])

    def f(m2: float) -> float:
        m = math.sqrt(m2)
        return phi2(sqrt_s, m, masses[-1]) * phi_recursive(m, masses[:-1]) if m > lo else 0.0

    val, _ = integrate.quad(f, lo**2, (sqrt_s - masses[-1]) ** 2, limit=200, epsabs=0, epsrel=1e-9)
    return val


# ------------------------------------------------------------------------------------------- volumes


def test_massless_volume_closed_form_small_n():
    assert massless_phase_space_volume(2, 3.0) == pytest.approx(math.pi / 2, rel=1e-15)
    assert massless_phase_space_volume(3, 2.0) == pytest.approx(math.pi**2 * 4 / 8, rel=1e-15)


@pytest.mark.parametrize("n", [3, 4, 5])
def test_massless_volume_equals_the_recursion(n):
    # the closed form against the independent two-body recursion, by quadrature
    assert massless_phase_space_volume(n, 1.7) == pytest.approx(phi_recursive(1.7, [0.0] * n), rel=1e-7)


@pytest.mark.parametrize("n", [2, 3, 6])
def test_massless_weight_is_the_closed_form_volume(n):
    _, w = rambo(100, n, 2.5, seed=1)
    assert np.all(w == massless_phase_space_volume(n, 2.5))


def test_two_body_massive_weight_is_exact():
    _, w = rambo(1000, 2, 2.0, [0.3, 0.9], seed=2)
    np.testing.assert_allclose(w, phi2(2.0, 0.3, 0.9), rtol=1e-12)


@pytest.mark.parametrize("masses", [[0.3, 0.5, 0.1], pytest.param([0.05, 0.05, 1.6], marks=pytest.mark.slow)])
def test_three_body_massive_mean_weight_is_the_volume(masses):
    _, w = rambo(100_000, 3, 2.0, masses, seed=3)
    exact = phi3(2.0, *masses)
    assert abs(w.mean() - exact) < Z * w.std() / math.sqrt(len(w))


def test_four_body_massive_mean_weight_is_the_recursion():
    masses = [0.1, 0.2, 0.3, 0.15]
    _, w = rambo(100_000, 4, 1.5, masses, seed=4)
    exact = phi_recursive(1.5, masses)
    assert abs(w.mean() - exact) < Z * w.std() / math.sqrt(len(w))


# ------------------------------------------------------------------------------------ conservation


@pytest.mark.parametrize(
    ("n", "masses"), [(2, None), (3, None), (5, None), (3, [0.2, 0.4, 0.6]), (4, [0.1] * 4)]
)
def test_four_momentum_is_conserved_to_rounding(n, masses):
    p, _ = rambo(20_000, n, 2.0, masses, seed=5)
    v = four_momentum_violation(p, 2.0)
    # machine precision: the boost is written without cancellations (a few ulp of √s; RAMBO's
    # textbook form loses up to ~1e-10 here in nearly collinear events)
    assert np.median(v) <= 2 * EPS
    assert v.max() <= 64 * EPS
    assert mass_shell_violation(p, masses).max() <= 64 * EPS
    assert np.all(p[..., 0] > 0)


def test_unweighted_massive_events_conserve_and_sit_on_shell():
    masses = [0.2, 0.4, 0.6]
    p = phase_space(5000, 3, 2.0, masses, seed=6)
    assert p.shape == (5000, 3, 4)
    assert four_momentum_violation(p, 2.0).max() < 1e-12
    assert mass_shell_violation(p, masses).max() < 1e-12


def test_violations_see_a_broken_event():
    p, _ = rambo(3, 3, 1.0, seed=0)
    p[1, 0, 1] += 1e-6
    assert four_momentum_violation(p, 1.0)[1] == pytest.approx(1e-6, rel=1e-6)
    assert mass_shell_violation(p)[1] > 1e-7


# -------------------------------------------------------------------------------- uniform measure


def test_two_body_massless_is_isotropic_back_to_back():
    p, _ = rambo(20_000, 2, 3.0, seed=7)
    np.testing.assert_allclose(p[:, :, 0], 1.5, rtol=1e-13)
    np.testing.assert_allclose(p[:, 0, 1:], -p[:, 1, 1:], atol=1e-13)
    cos = p[:, 0, 3] / p[:, 0, 0]
    phi = np.arctan2(p[:, 0, 2], p[:, 0, 1])
    assert stats.kstest(cos, stats.uniform(-1, 2).cdf).pvalue > P_MIN
    assert stats.kstest(phi, stats.uniform(-math.pi, 2 * math.pi).cdf).pvalue > P_MIN


def test_three_body_massless_dalitz_plot_is_flat():
    s = 4.0
    p, _ = rambo(20_000, 3, 2.0, seed=8)
    m12 = invariant_mass_squared(p, (0, 1))
    m23 = invariant_mass_squared(p, (1, 2))
    # flat in the triangle m12² + m23² <= s: m12² has density ∝ (s − m12²) and, given m12²,
    # m23²/(s − m12²) is uniform on (0, 1)
    assert stats.kstest(m12, lambda t: 1 - (1 - t / s) ** 2).pvalue > P_MIN
    assert stats.kstest(m23 / (s - m12), "uniform").pvalue > P_MIN
    # energy fractions x_i = 2E_i/√s have density 2x on (0, 1): x² is uniform
    for i in range(3):
        assert stats.kstest(p[:, i, 0] ** 2, "uniform").pvalue > P_MIN
    # orientation: particle 0's direction and the event plane's normal are isotropic
    n = np.cross(p[:, 0, 1:], p[:, 1, 1:])
    for v in (p[:, 0, 1:], n):
        cos = v[:, 2] / np.linalg.norm(v, axis=1)
        assert stats.kstest(cos, stats.uniform(-1, 2).cdf).pvalue > P_MIN


def _dalitz_square(p, s):
    """Map massless 3-body events to the unit square, (u, v) = (1 − (1 − m12²/s)², m23²/(s − m12²)):
    uniform on [0, 1]² exactly when the Dalitz plot is flat (the CDF of m12² and the conditional
    CDF of m23² given m12²)."""
    m12 = invariant_mass_squared(p, (0, 1))
    m23 = invariant_mass_squared(p, (1, 2))
    return 1 - (1 - m12 / s) ** 2, m23 / (s - m12)


def _square_chi2_pvalue(u, v, bins=10):
    counts = np.histogram2d(u, v, bins=bins, range=[[0, 1], [0, 1]])[0].ravel()
    expected = len(u) / bins**2
    chi2 = float(np.sum((counts - expected) ** 2) / expected)
    return stats.chi2.sf(chi2, bins**2 - 1)


def test_three_body_massless_dalitz_plot_is_jointly_flat():
    # a joint test on 100 cells (the KS tests above see the marginals, this one also the correlation)
    s = 4.0
    p, _ = rambo(40_000, 3, 2.0, seed=14)
    u, v = _dalitz_square(p, s)
    assert _square_chi2_pvalue(u, v) > P_MIN
    # and it has power: keeping events with probability 1 − 0.3 x₁ (x₁ = 2E₁/√s, a 30% tilt across
    # the plot) is rejected
    x1 = 2 * p[:, 0, 0] / 2.0
    keep = np.random.default_rng(15).random(len(p)) < 1 - 0.3 * x1
    assert _square_chi2_pvalue(*_dalitz_square(p[keep], s)) < P_MIN


def _event(energies_and_directions):
    """A massless event from (E, unit direction) pairs."""
    return np.array([[[e, *(e * np.asarray(d, dtype=float))] for e, d in energies_and_directions]])


def test_dalitz_boundary_quantile_exact_values():
    c, s3 = -0.5, math.sqrt(3) / 2
    mercedes = _event([(1 / 3, (1, 0, 0)), (1 / 3, (c, s3, 0)), (1 / 3, (c, -s3, 0))])  # x_i = 2/3
    assert dalitz_boundary_quantile(mercedes)[0] == pytest.approx(1.0, abs=1e-14)
    edge = _event([(0.5, (1, 0, 0)), (0.25, (-1, 0, 0)), (0.25, (-1, 0, 0))])  # x_1 = 1: 2 ∥ 3
    assert dalitz_boundary_quantile(edge)[0] == pytest.approx(0.0, abs=1e-14)
    # x = (0.9, 0.6, 0.5): t = 0.1, q = 1 − 0.7² = 0.51 (any event with these energies; built from
    # the angles that conserve momentum)
    x = np.array([0.9, 0.6, 0.5])
    cos12 = (x[2] ** 2 - x[0] ** 2 - x[1] ** 2) / (2 * x[0] * x[1])
    d1, d2 = np.array([1.0, 0, 0]), np.array([cos12, math.sqrt(1 - cos12**2), 0])
    d3 = -(x[0] * d1 + x[1] * d2) / x[2]
    event = _event([(x[0] / 2, d1), (x[1] / 2, d2), (x[2] / 2, d3)])
    assert four_momentum_violation(event)[0] < 1e-15
    assert dalitz_boundary_quantile(event)[0] == pytest.approx(0.51, rel=1e-13)
    # energies in other units: the same event at √s = 3
    assert dalitz_boundary_quantile(3 * event, 3.0)[0] == pytest.approx(0.51, rel=1e-13)


def test_dalitz_boundary_quantile_is_uniform_for_uniform_phase_space():
    p = phase_space(20_000, 3, 2.0, seed=16)
    q = dalitz_boundary_quantile(p, 2.0)
    assert stats.kstest(q, "uniform").pvalue > P_MIN
    # and it has power: events thinned towards the edge (kept with probability 1/2 + 3(1 − max_i x_i)/2,
    # from 1/2 where one x_i reaches 1 to 1 at the centre) are not uniform
    keep = np.random.default_rng(17).random(len(p)) < 0.5 + 1.5 * (1 - p[:, :, 0].max(axis=1))
    assert stats.kstest(q[keep], "uniform").pvalue < P_MIN


def _frozen_boundary_quantile(x):
    """ae-phase-space's helper before it moved here (on energy fractions), verbatim."""
    t = np.clip(np.min(1.0 - x, axis=-1), 0.0, 1.0 / 3.0)
    return 1.0 - (1.0 - 3.0 * t) ** 2


def test_dalitz_boundary_quantile_same_numbers_as_the_former_experiment_helper():
    p = phase_space(500, 3, 1.0, seed=18)
    np.testing.assert_array_equal(dalitz_boundary_quantile(p), _frozen_boundary_quantile(2.0 * p[..., 0]))


def test_dalitz_boundary_quantile_bad_input():
    with pytest.raises(ValueError, match="3 particles per event"):
        dalitz_boundary_quantile(phase_space(5, 4, 1.0, seed=0))
    with pytest.raises(ValueError, match=r"energies summing to 2, not sqrt_s = 1"):
        dalitz_boundary_quantile(phase_space(5, 3, 2.0, seed=0))
    with pytest.raises(ValueError, match="sqrt_s"):
        dalitz_boundary_quantile(phase_space(5, 3, 1.0, seed=0), 0.0)


def _massive_m12_cdf(sqrt_s, m1, m2, m3):
    s = sqrt_s**2
    lo, hi = (m1 + m2) ** 2, (sqrt_s - m3) ** 2
    grid = np.linspace(lo, hi, 4001)

    def width(m12s):
        m12 = np.sqrt(m12s)
        e2 = (m12s - m1**2 + m2**2) / (2 * m12)
        e3 = (s - m12s - m3**2) / (2 * m12)
        return 4 * np.sqrt(np.clip(e2**2 - m2**2, 0, None) * np.clip(e3**2 - m3**2, 0, None))

    cum = integrate.cumulative_simpson(width(grid), x=grid, initial=0.0)
    return lambda t: np.interp(t, grid, cum / cum[-1])


def test_unweighted_massive_dalitz_projection_matches_phase_space():
    masses = [0.2, 0.4, 0.6]
    cdf = _massive_m12_cdf(2.0, *masses)
    p = phase_space(20_000, 3, 2.0, masses, seed=9)
    assert stats.kstest(invariant_mass_squared(p, (0, 1)), cdf).pvalue > P_MIN
    # the test has the power to see the missing weights: raw massive RAMBO events are not uniform
    raw, _ = rambo(20_000, 3, 2.0, masses, seed=9)
    assert stats.kstest(invariant_mass_squared(raw, (0, 1)), cdf).pvalue < P_MIN


def test_weighted_massive_dalitz_projection_matches_phase_space():
    masses = [0.3, 0.5, 0.1]
    p, w = rambo(100_000, 3, 2.0, masses, seed=10)
    cdf = _massive_m12_cdf(2.0, *masses)
    m12 = invariant_mass_squared(p, (0, 1))
    edges = np.linspace((0.8) ** 2, (1.9) ** 2, 21)
    sums = np.histogram(m12, edges, weights=w)[0]
    var = np.histogram(m12, edges, weights=w**2)[0]
    expected = len(w) * phi3(2.0, *masses) * np.diff(cdf(edges))
    chi2 = float(np.sum((sums - expected) ** 2 / var))
    assert stats.chi2.sf(chi2, len(sums)) > P_MIN


# ----------------------------------------------------------------------------------- sphere picture


@pytest.mark.parametrize(
    ("n", "masses"), [(2, None), (3, None), (3, [0.2, 0.4, 0.6]), (4, [0.1, 0.0, 0.3, 0.2])]
)
def test_sphere_map_round_trip(n, masses):
    p = phase_space(500, n, 2.0, masses, seed=11)
    u = phase_space_to_sphere(p)
    assert u.shape == (500, 3 * n - 3)
    np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, rtol=1e-14)
    back = sphere_to_phase_space(u, 2.0, masses)
    np.testing.assert_allclose(back, p, atol=1e-12)
    # and every point of the sphere is an event (surjective): random directions map into phase space
    v = np.random.default_rng(0).standard_normal((200, 3 * n - 3))
    q = sphere_to_phase_space(v, 2.0, masses)
    assert four_momentum_violation(q, 2.0).max() < 1e-12
    np.testing.assert_allclose(
        phase_space_to_sphere(q), v / np.linalg.norm(v, axis=1, keepdims=True), atol=1e-13
    )


def test_two_body_sphere_picture_is_the_direction():
    p = phase_space(10, 2, 1.0, seed=12)
    np.testing.assert_allclose(phase_space_to_sphere(p), p[:, 0, 1:] / p[:, 0, :1], rtol=1e-13)


# ------------------------------------------------------------------------------------------ bad input


def test_masses_at_or_above_the_centre_of_mass_energy_are_rejected():
    with pytest.raises(ValueError, match="centre-of-mass energy"):
        rambo(10, 3, 1.0, [0.5, 0.3, 0.2])
    with pytest.raises(ValueError, match="centre-of-mass energy"):
        phase_space(10, 2, 1.0, [0.7, 0.6])
    with pytest.raises(ValueError, match="masses must be >= 0"):
        rambo(10, 2, 1.0, [-0.1, 0.2])
    with pytest.raises(ValueError, match="3 entries"):
        rambo(10, 3, 1.0, [0.1, 0.2])
    with pytest.raises(ValueError, match="n_particles"):
        rambo(10, 1, 1.0)
    with pytest.raises(ValueError, match="sqrt_s"):
        rambo(10, 3, 0.0)
    with pytest.raises(ValueError, match="non-finite"):
        rambo(10, 2, 1.0, [float("nan"), 0.1])
    with pytest.raises(ValueError, match="3 n − 3 columns"):
        sphere_to_phase_space(np.ones((2, 4)))
    with pytest.raises(ValueError, match="shape"):
        phase_space_to_sphere(np.ones((2, 3, 3)))


def test_same_seed_same_events():
    a, _ = rambo(50, 4, 1.0, [0.1] * 4, seed=13)
    b, _ = rambo(50, 4, 1.0, [0.1] * 4, seed=13)
    np.testing.assert_array_equal(a, b)
