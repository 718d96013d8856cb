"""Exact Ising oracles checked against each other: enumeration, Kaufman's torus, Onsager's lattice."""

import itertools
import math

import numpy as np
import pytest

from physml.ebm import (
    MAX_ENUMERATION_SPINS,
    IsingGraph,
    IsingLattice,
    critical_temperature,
    exact_enumeration,
    kaufman,
    onsager_energy,
    onsager_log_partition,
    onsager_magnetisation,
    onsager_specific_heat,
)

TC = 2.0 / math.log(1.0 + math.sqrt(2.0))


def loop_enumeration(J, h, T):
    """Textbook loops over all states: ln Z, <E>/n, C/n, <m>, <|m|>, <m^2>, <m^4>."""
    n = len(h)
    rows = []
    for s in itertools.product([-1, 1], repeat=n):
        s = np.array(s, float)
        e = -sum(J[i][j] * s[i] * s[j] for i in range(n) for j in range(i + 1, n)) - float(np.dot(h, s))
        rows.append((e, s.mean()))
    e, m = np.array(rows).T
    w = np.exp(-e / T)
    z = w.sum()
    avg = lambda x: float((w * x).sum() / z)  # noqa: E731
    return {
        "log_z": math.log(z),
        "energy": avg(e) / n,
        "specific_heat": (avg(e * e) - avg(e) ** 2) / (n * T * T),
        "magnetisation": avg(m),
        "abs_magnetisation": avg(np.abs(m)),
        "m2": avg(m * m),
        "m4": avg(m**4),
    }


def test_enumeration_matches_explicit_loops_on_a_random_graph():
    rng = np.random.default_rng(0)
    n = 6
    J = np.triu(rng.normal(size=(n, n)), 1)
    J = J + J.T
    h = rng.normal(size=n) * 0.5
    for T in (0.7, 2.0):
        ex = exact_enumeration(IsingGraph(J, h), T)
        ref = loop_enumeration(J, h, T)
        for key, val in ref.items():
            assert getattr(ex, key) == pytest.approx(val, rel=1e-12, abs=1e-14), key
        chi = n * (ref["m2"] - ref["abs_magnetisation"] ** 2) / T
        assert ex.susceptibility == pytest.approx(chi, rel=1e-10)
        assert ex.binder == pytest.approx(1 - ref["m4"] / (3 * ref["m2"] ** 2), rel=1e-12)


def test_lattice_enumeration_counts_the_double_bonds_of_the_2x2_torus():
    # 2x2 torus: every neighbouring pair is joined twice, so E(all up) = -8 J and Z is known by hand:
    # states by number of down spins k: k=0,4: E=-8; k=1,3: E=0 (8 states); k=2: adjacent pairs (4
    # states) E=0, diagonal pairs (2 states) E=+8.
    T = 1.7
    ex = exact_enumeration(IsingLattice(2), T)
    z = 2 * math.exp(8 / T) + 12 + 2 * math.exp(-8 / T)
    assert ex.log_z == pytest.approx(math.log(z), rel=1e-14)
    e_total = (-8 * 2 * math.exp(8 / T) + 8 * 2 * math.exp(-8 / T)) / z
    assert ex.energy == pytest.approx(e_total / 4, rel=1e-13)


def test_field_reversal_flips_the_magnetisation_and_keeps_the_energy():
    a = exact_enumeration(IsingLattice(3, h=0.4), 2.0)
    b = exact_enumeration(IsingLattice(3, h=-0.4), 2.0)
    assert a.magnetisation > 0.1
    assert b.magnetisation == pytest.approx(-a.magnetisation, rel=1e-12)
    assert b.energy == pytest.approx(a.energy, rel=1e-12)
    assert b.abs_magnetisation == pytest.approx(a.abs_magnetisation, rel=1e-12)
    assert exact_enumeration(IsingLattice(3), 2.0).magnetisation == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("T", [0.8, 1.5, 2.0, TC, 2.269, 2.5, 3.0, 10.0])
def test_kaufman_matches_enumeration(L, T):
    ex = exact_enumeration(IsingLattice(L), T)
    k = kaufman(L, T)
    assert k.log_z == pytest.approx(ex.log_z, rel=1e-10)
    assert k.energy == pytest.approx(ex.energy, rel=1e-10)
    assert k.specific_heat == pytest.approx(ex.specific_heat, rel=1e-10)


@pytest.mark.parametrize("L", [2, 3, 4])
@pytest.mark.parametrize("T", [0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 200.0, 500.0])
def test_kaufman_matches_enumeration_at_low_and_high_temperature(L, T):
    # low T: c ~ K**2 exp(-8K) far below the exp(-4K) terms that cancel in the double-precision
    # second derivative (which gave c = -1.5e-14 at T = 0.1 and nan at T = 0.001); high T: the
    # double formula against enumeration's expm1 sums (two independent routes)
    ex = exact_enumeration(IsingLattice(L), T)
    k = kaufman(L, T)
    assert k.log_z == pytest.approx(ex.log_z, rel=1e-12)
    assert k.energy == pytest.approx(ex.energy, rel=1e-12)
    assert k.specific_heat == pytest.approx(ex.specific_heat, rel=1e-9)
    assert k.specific_heat > 0


@pytest.mark.parametrize("L", [2, 3, 4, 16, 64])
@pytest.mark.parametrize("T", [1e-3, 1e-2, 1e-6, 1e-300])
def test_kaufman_reaches_the_ground_state_without_nan(L, T):
    # two ground states with E = -2 N J: ln Z -> 2 N J / T + ln 2, e -> -2 J, c -> 0 (it underflows)
    k = kaufman(L, T)
    N = L * L
    assert k.log_z == pytest.approx(2 * N / T + math.log(2.0), rel=1e-15)
    assert k.energy == -2.0
    assert k.specific_heat == 0.0
    assert kaufman(L, T, J=-3.0).energy == -6.0 if L % 2 == 0 else True


@pytest.mark.parametrize("L", [3, 4, 16])
def test_kaufman_low_temperature_specific_heat_follows_the_single_flip_excitations(L):
    # for L >= 3 the lowest excitations are the N single flips (dE = 8 J): ln Z = 2NK + ln 2 +
    # N e^{-8K} + O(e^{-12K}), so c = 64 K**2 e^{-8K} (1 + O(e^{-4K})) and e = -2 + 8 e^{-8K}
    for T in (0.1, 0.2):
        K = 1 / T
        k = kaufman(L, T)
        assert k.specific_heat == pytest.approx(64 * K * K * math.exp(-8 * K), rel=1e-6)
        assert k.energy + 2 == pytest.approx(8 * math.exp(-8 * K), rel=1e-6)


@pytest.mark.parametrize("L", [5, 8, 32])
def test_kaufman_high_temperature_series_joins_the_double_formula(L):
    # at K = 1e-3 both routes are valid: the series (omitted terms < 1e-14) and the double formula
    # (absolute error ~1e-16 / K): they must agree to the latter's accuracy
    from physml.ebm._ising_exact import _kaufman_double, _kaufman_high_t

    for K in (1e-3, 2e-3):
        a, b = _kaufman_double(L, 1 / K, 1.0, K), _kaufman_high_t(L, 1 / K, 1.0, K)
        assert b.log_z == pytest.approx(a.log_z, rel=1e-13)
        assert b.energy == pytest.approx(a.energy, rel=1e-9)
        assert b.specific_heat == pytest.approx(a.specific_heat, rel=1e-9)
    k = kaufman(L, 1e20)
    assert k.energy == pytest.approx(-2e-20, rel=1e-12)  # e = -2 J tanh K to leading order
    assert k.specific_heat == pytest.approx(2e-40, rel=1e-12)


@pytest.mark.parametrize("L", [2, 3, 4, 5, 8])
@pytest.mark.parametrize("T", [1e8, 1e20, 1e300])
def test_exact_results_reach_the_infinite_temperature_limit(L, T):
    # to first order in K = J / T, <s_i s_j> = m K for sites joined by m bonds: with S = sum m**2 over
    # joined pairs (2N; 16 at L = 2, whose 4 pairs are joined twice), e = -J K S / N, c = K**2 S / N;
    # corrections are O(K**2) relative.  Enumeration once gave e = 0 here (cancellation), Kaufman
    # -1.3e-16 at T = 1e49
    N = L * L
    S = 16 if L == 2 else 2 * N
    K = 1 / T
    results = [kaufman(L, T)] + ([exact_enumeration(IsingLattice(L), T)] if N <= 16 else [])
    for r in results:
        assert r.energy == pytest.approx(-K * S / N, rel=1e-12)
        assert r.specific_heat == pytest.approx(K * K * S / N, rel=1e-12)
        assert r.log_z == pytest.approx(N * math.log(2.0), rel=1e-15)


def test_kaufman_of_free_spins():
    k = kaufman(4, 2.0, J=0.0)
    assert (k.log_z, k.energy, k.specific_heat) == (pytest.approx(16 * math.log(2.0), rel=1e-15), 0.0, 0.0)


def test_kaufman_is_even_in_the_coupling_and_matches_the_antiferromagnet():
    ex = exact_enumeration(IsingLattice(4, J=-1.5), 2.2)
    k = kaufman(4, 2.2, J=-1.5)
    assert k.energy == pytest.approx(ex.energy, rel=1e-10)
    assert k.specific_heat == pytest.approx(ex.specific_heat, rel=1e-10)
    assert kaufman(6, 2.2, J=-1.5) == kaufman(6, 2.2, J=1.5)


def test_kaufman_is_smooth_through_the_critical_point():
    # at T_c gamma_0 = 0 and Z_4 = 0; the analytic derivatives must not blow up there
    vals = [kaufman(16, TC * (1 + d)).specific_heat for d in (-1e-7, 0.0, 1e-7)]
    assert vals[1] == pytest.approx(0.5 * (vals[0] + vals[2]), rel=1e-8)


@pytest.mark.parametrize("T", [1.5, 2.0, 3.0])
def test_kaufman_at_l64_approaches_onsager(T):
    # away from T_c finite-size corrections decay like exp(-L / xi): invisible at L = 64
    k = kaufman(64, T)
    assert k.energy == pytest.approx(onsager_energy(T), rel=1e-9)
    assert k.specific_heat == pytest.approx(onsager_specific_heat(T), rel=1e-8)
    # below T_c the finite torus keeps the two-fold degeneracy: ln Z = N f + ln 2
    extra = math.log(2.0) if T < TC else 0.0
    assert k.log_z == pytest.approx(64**2 * onsager_log_partition(T) + extra, rel=1e-10)


def test_specific_heat_at_tc_grows_logarithmically_like_ferdinand_fisher():
    # c_L(T_c) = A0 ln L + B0 + O(ln L / L) with A0 = 8 K_c^2 / pi (Ferdinand & Fisher 1969)
    a0 = 8 * (1 / TC) ** 2 / math.pi
    sizes = [16, 32, 64, 128, 256]
    c = np.array([kaufman(L, TC).specific_heat for L in sizes])
    steps = np.diff(c) / math.log(2.0)
    assert np.all(steps > 0)
    assert np.all(np.diff(steps) < 0)  # approaching A0 from above
    assert steps[-1] == pytest.approx(a0, rel=2e-3)
    assert steps[0] == pytest.approx(a0, rel=3e-2)


def test_onsager_closed_forms():
    assert critical_temperature() == pytest.approx(2.269185314213022, rel=1e-15)
    assert critical_temperature(J=-2.0) == pytest.approx(2 * critical_temperature())
    assert onsager_energy(TC) == pytest.approx(-math.sqrt(2.0), rel=1e-12)
    assert onsager_energy(TC * (1 + 1e-9)) == pytest.approx(-math.sqrt(2.0), rel=1e-6)
    assert onsager_magnetisation(TC * 1.001) == 0.0
    assert onsager_magnetisation(2.0) == pytest.approx((1 - math.sinh(1.0) ** -4) ** 0.125, rel=1e-14)
    # critical exponent beta = 1/8: M ~ (1 - T/T_c)^(1/8)
    ratio = onsager_magnetisation(TC * (1 - 1e-7)) / onsager_magnetisation(TC * (1 - 1e-5))
    assert ratio == pytest.approx(0.01**0.125, rel=1e-4)
    assert onsager_magnetisation(0.5) == pytest.approx(1.0, abs=1e-6)
    assert onsager_specific_heat(TC) == math.inf
    both = onsager_energy(np.array([1.0, 5.0]))
    np.testing.assert_allclose(both, [onsager_energy(1.0), onsager_energy(5.0)])
    # high-temperature limit: u ~ -2 J tanh(J/T) to leading order
    assert onsager_energy(100.0) == pytest.approx(-2 * math.tanh(0.01), rel=1e-3)


@pytest.mark.parametrize("T", [1.2, 2.0, 2.6, 4.0])
def test_onsager_functions_are_consistent_derivatives(T):
    d = 1e-5 * T
    u_fd = -(onsager_log_partition(1 / (1 / T + 1e-6)) - onsager_log_partition(1 / (1 / T - 1e-6))) / 2e-6
    assert onsager_energy(T) == pytest.approx(u_fd, rel=1e-6)
    c_fd = (onsager_energy(T + d) - onsager_energy(T - d)) / (2 * d)
    assert onsager_specific_heat(T) == pytest.approx(c_fd, rel=1e-6)


def test_bad_inputs_are_rejected():
    with pytest.raises(ValueError, match=r"limited to 24 spins \(2\*\*24 states\); the model has 25 \(L=5\)"):
        exact_enumeration(IsingLattice(5), 2.0)
    with pytest.raises(ValueError, match="limited to 24 spins"):
        exact_enumeration(IsingGraph(np.zeros((MAX_ENUMERATION_SPINS + 1,) * 2)), 2.0)
    with pytest.raises(ValueError, match=r"T must be a finite number in \(0, inf\), got 0.0"):
        exact_enumeration(IsingLattice(2), 0.0)
    with pytest.raises(ValueError, match=r"T must be a finite number in \(0, inf\), got -1.0"):
        kaufman(4, -1.0)
    with pytest.raises(TypeError, match="model must be an IsingLattice or IsingGraph"):
        exact_enumeration(np.zeros((3, 3)), 1.0)
    with pytest.raises(ValueError, match=r"L must be in \[2, inf\), got 1"):
        kaufman(1, 2.0)
    with pytest.raises(ValueError, match="L must be even for J < 0"):
        kaufman(5, 2.0, J=-1.0)
    with pytest.raises(ValueError, match="T must be finite and > 0"):
        onsager_energy([1.0, -2.0])
