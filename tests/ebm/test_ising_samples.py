import numpy as np
import pytest

from physml.ebm import IsingLattice, exact_enumeration, ising_configurations


@pytest.mark.parametrize("algorithm", ["wolff", "metropolis", "heat-bath"])
@pytest.mark.parametrize("T", [1.8, 3.0])
def test_configurations_follow_the_exact_distribution(algorithm, T):
    # 4x4 lattice: exact <e> and <|m|> by enumeration of 2^16 states
    lat = IsingLattice(4)
    spins, info = ising_configurations(4, T, 8000, algorithm=algorithm, seed=3)
    assert spins.shape == (8000, 4, 4) and spins.dtype == np.int8
    assert set(np.unique(spins)) <= {-1, 1}
    assert info["thin"] >= 1
    exact = exact_enumeration(lat, T)
    for observable, values in (("energy", lat.energy_per_site(spins)),
                               ("abs_magnetisation", np.abs(lat.magnetisation(spins)))):
        # samples are thinned to about 2 tau_int apart: allow for the residual correlation
        # (factor sqrt(2)) and test at 4 sigma
        sigma = np.sqrt(2) * values.std() / np.sqrt(len(values))
        assert abs(values.mean() - getattr(exact, observable)) < 4 * sigma, observable


def test_seed_reproduces_and_bad_input_is_named():
    a, _ = ising_configurations(4, 2.5, 10, seed=7)
    b, _ = ising_configurations(4, 2.5, 10, seed=7)
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="T"):
        ising_configurations(4, -1.0, 10)
    with pytest.raises(ValueError, match="algorithm"):
        ising_configurations(4, 2.0, 10, algorithm="glauber")
