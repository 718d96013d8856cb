"""The q-state Potts lattice model and its samplers against exact enumeration."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from physml.ebm import (
    PottsLattice,
    PottsSampler,
    integrated_autocorrelation_time,
    potts_configurations,
    potts_critical_temperature,
    potts_energy,
    potts_exact,
    potts_order_parameter,
)


def test_energy_and_order_parameter_by_hand():
    s = np.array([[0, 0, 1], [0, 2, 1], [1, 1, 1]])
    # equal neighbours (periodic), horizontal: rows 0, 1, 2 give 1, 0, 3;
    # vertical: columns 0, 1, 2 give 1, 0, 3
    assert potts_energy(s) == -8.0
    assert potts_energy(s, coupling=0.5) == -4.0
    # five sites in state 1 of nine: m = (3 * 5/9 - 1)/2
    assert potts_order_parameter(s, 3) == pytest.approx((3 * 5 / 9 - 1) / 2)
    assert potts_order_parameter(np.zeros((2, 4, 4), dtype=int), 3).tolist() == [1.0, 1.0]


def test_q2_potts_is_the_ising_model_at_half_the_coupling():
    # δ(s, s') = (1 + σσ')/2: Z_Potts(J) = exp(J N_bonds / 2T) Z_Ising(J/2); 3x3 periodic has 18 bonds
    from physml.ebm import IsingLattice, exact_enumeration

    for t in (0.7, 1.5):
        ising = exact_enumeration(IsingLattice(3), 2 * t)
        assert potts_exact(3, 2, t).log_partition == pytest.approx(ising.log_z + 18 / (2 * t), rel=1e-10)


CASES = [("heat-bath", 3, 3, 1.0), ("heat-bath", 4, 2, 1.0), ("swendsen-wang", 3, 3, 1.0),
         ("swendsen-wang", 4, 2, 1.0), ("heat-bath", 3, 3, -1.0)]


@pytest.mark.parametrize(("rule", "size", "q", "coupling"), CASES)
@pytest.mark.parametrize("where", [0.8, 1.0, 1.3])
def test_sampler_reproduces_exact_energy_and_order_parameter(rule, size, q, coupling, where):
    """3x3 (odd: three or four colour classes) and 4x4 (even: the checkerboard), ferromagnet and
    (heat bath) antiferromagnet, against enumeration of all q^N states, below, at and above T_c.

    The error of the grand mean is the spread of the 200 independent replicas' means / √200, which
    includes the autocorrelation within each chain; the effective sample size n R / (2 τ_int) must
    be large enough (≥ 2000) for that error to be a normal one (measured: 5,000-15,000). 4.5 errors:
    the 30 comparisons all pass with probability 1 − 30 · 7e-6."""
    t = where * potts_critical_temperature(q)
    exact = potts_exact(size, q, t, coupling=coupling)
    n_replicas, n_sweeps = 200, 150  # tau_int is 1-3 sweeps here: 50 sweeps of burn-in are plenty
    sampler = PottsSampler(PottsLattice(size, q, coupling), rule=rule, n_replicas=n_replicas)
    state = sampler.sample(sampler.init_state(7), 50, t)
    e, m = sampler.sweep(state, t, n_sweeps)
    assert state.sweeps == 50 + n_sweeps
    np.testing.assert_array_equal(e[-1], sampler.model.energy_per_site(sampler.spins(state)))
    for series, target in ((e, exact.energy), (m, exact.order)):
        ess = series.size / (2 * integrated_autocorrelation_time(series))
        assert ess >= 2000, ess
        se = series.mean(0).std(ddof=1) / math.sqrt(n_replicas)
        assert abs(series.mean() - target) < 4.5 * se + 1e-12, (series.mean(), target, se)


def test_potts_configurations_is_the_sampler_in_rounds():
    """The data-set function is the sampler run ``burn_in`` sweeps, then ``thin`` sweeps a round."""
    s = potts_configurations(4, 3, 1.2, 25, n_chains=10, burn_in=5, thin=3, rule="swendsen-wang", seed=4)
    sampler = PottsSampler(PottsLattice(4, 3), rule="swendsen-wang", n_replicas=10)
    state = sampler.sample(sampler.init_state(4, start="ordered"), 5, 1.2)
    rounds = [sampler.sample(state, 3, 1.2).spins.copy() for _ in range(3)]
    np.testing.assert_array_equal(s, np.concatenate(rounds)[:25])
    assert s.dtype == np.int64 and s.shape == (25, 4, 4)
    t = potts_critical_temperature(3)
    big = potts_configurations(3, 3, t, 4000, n_chains=200, burn_in=100, thin=2, seed=1)
    exact = potts_exact(3, 3, t)
    e = (potts_energy(big) / 9).reshape(-1, 200).mean(0)  # per-chain means: independent chains
    assert abs(e.mean() - exact.energy) < 4.5 * e.std(ddof=1) / math.sqrt(200)


def test_a_copied_state_continues_as_the_original_and_starts_are_honoured():
    sampler = PottsSampler(PottsLattice(5, 4), rule="heat-bath", n_replicas=3)
    state = sampler.init_state(0)
    twin = copy.deepcopy(state)
    for s in (state, twin):
        sampler.sample(s, 4, 0.8)
    np.testing.assert_array_equal(state.spins, twin.spins)
    assert state.spins.dtype == np.int8 and 0 <= state.spins.min() and state.spins.max() <= 3
    ordered = sampler.init_state(0, start="ordered")
    assert not ordered.spins.any()
    one = np.arange(25).reshape(5, 5) % 4
    np.testing.assert_array_equal(sampler.init_state(0, start=one).spins, np.broadcast_to(one, (3, 5, 5)))
    # at J/T = 0 both rules draw every site uniformly, so one sweep forgets the ordered start
    for rule in ("heat-bath", "swendsen-wang"):
        free = PottsSampler(PottsLattice(6, 3, 0.0), rule=rule, n_replicas=400)
        state = free.sample(free.init_state(1, start="ordered"), 1, 1.0)
        counts = np.bincount(state.spins.ravel(), minlength=3)
        # 14,400 uniform draws over 3 states: each count 4800 ± 57 (binomial)
        assert np.all(np.abs(counts - 4800) < 5 * 57), counts


def test_critical_temperature():
    assert potts_critical_temperature(3) == pytest.approx(1 / math.log(1 + math.sqrt(3)))
    assert potts_critical_temperature(2, coupling=2.0) == pytest.approx(2 / math.log(1 + math.sqrt(2)))


def test_bad_input():
    with pytest.raises(ValueError, match="outside 0, ..., 2"):
        potts_order_parameter(np.full((3, 3), 3), 3)
    with pytest.raises(ValueError, match=r"shape \(\.\.\., L, L\)"):
        potts_energy(np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="the limit is"):
        potts_exact(5, 3, 1.0)
    with pytest.raises(ValueError, match="start must be"):
        potts_configurations(4, 3, 1.0, 10, start="hot")
    with pytest.raises(ValueError, match="size must be"):
        potts_configurations(1, 3, 1.0, 10)
    with pytest.raises(ValueError, match="needs J >= 0"):
        PottsSampler(PottsLattice(4, 3, -1.0), rule="swendsen-wang")
    with pytest.raises(ValueError, match="rule must be one of"):
        PottsSampler(PottsLattice(4, 3), rule="wolff")
    with pytest.raises(TypeError, match="model must be a PottsLattice"):
        PottsSampler(object())
    sampler = PottsSampler(PottsLattice(4, 3), n_replicas=2)
    with pytest.raises(ValueError, match=r"start must have shape \(4, 4\) or \(2, 4, 4\)"):
        sampler.init_state(0, start=np.zeros((3, 4, 4), dtype=int))
    with pytest.raises(ValueError, match="outside 0, ..., 2"):
        sampler.init_state(0, start=np.full((4, 4), 3))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 4, 4\)"):
        sampler.init_state(0, start=np.zeros((5, 5), dtype=int))
    other = PottsSampler(PottsLattice(4, 3), n_replicas=3).init_state(0)
    with pytest.raises(ValueError, match=r"this sampler needs \(2, 4, 4\)"):
        sampler.sample(other, 1, 1.0)
    with pytest.raises(ValueError, match="T must be"):
        sampler.sample(sampler.init_state(0), 1, 0.0)
    with pytest.raises(ValueError, match="critical temperature for J > 0 only"):
        PottsLattice(4, 3, -1.0).critical_temperature()
