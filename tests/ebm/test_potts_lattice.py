"""The q-state Potts lattice sampler against exact enumeration."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.ebm import (
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


@pytest.mark.parametrize(("size", "q"), [(3, 3), (4, 2)])
@pytest.mark.parametrize("where", [0.8, 1.0, 1.3])
def test_sampler_reproduces_exact_energy_and_order_parameter(size, q, where):
    """3x3 (odd: site by site) and 4x4 (even: checkerboard) against enumeration of all q^N states,
    below, at and above T_c; the error from the spread of 200 independent chains' means."""
    t = where * potts_critical_temperature(q)
    exact = potts_exact(size, q, t)
    n_chains = 200
    s = potts_configurations(size, q, t, 50 * n_chains, n_chains=n_chains, burn_in=200, thin=2, seed=7)
    e = (potts_energy(s) / size**2).reshape(-1, n_chains).mean(0)
    m = potts_order_parameter(s, q).reshape(-1, n_chains).mean(0)
    for values, target in ((e, exact.energy), (m, exact.order)):
        se = values.std(ddof=1) / math.sqrt(n_chains)
        assert abs(values.mean() - target) < 4.5 * se + 1e-12, (values.mean(), target, se)


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
