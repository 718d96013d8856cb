"""Tests of physml.data's attractor orbits: Hénon and Lorenz."""

from __future__ import annotations

import numpy as np
import pytest

from physml.data import henon, lorenz

# ---------------------------------------------------------------- Hénon


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_henon_satisfies_the_map_exactly(seed):
    a, b = 1.4, 0.3
    orbit = henon(5000, a=a, b=b, seed=seed)
    assert orbit.shape == (5000, 2) and orbit.dtype == np.float64
    x, y = orbit.T
    # Evaluated in the order the docstring states, the relation holds bit for bit.
    np.testing.assert_array_equal(x[1:], 1.0 - a * (x[:-1] * x[:-1]) + y[:-1])
    np.testing.assert_array_equal(y[1:], b * x[:-1])


def test_henon_bounded_in_the_known_box():
    x, y = henon(20_000, seed=5).T
    assert np.all(np.abs(x) < 1.3) and np.all(np.abs(y) < 0.4)
    # On the attractor, not on a short periodic orbit: many distinct points.
    assert len(np.unique(np.round(x, 6))) > 10_000


def test_henon_burn_in_and_initial_point():
    start = henon(1, burn_in=0, seed=0)[0]
    assert np.all(np.abs(start) <= 0.1)  # initial point in [-0.1, 0.1]^2
    long = henon(30, burn_in=0, seed=0)
    np.testing.assert_array_equal(henon(10, burn_in=20, seed=0), long[20:])


def test_henon_determinism():
    np.testing.assert_array_equal(henon(100, seed=3), henon(100, seed=3))
    assert not np.allclose(henon(100, seed=3), henon(100, seed=4))
    np.testing.assert_array_equal(henon(100, seed=np.random.default_rng(3)), henon(100, seed=3))


def test_henon_escape_raises():
    with pytest.raises(ValueError, match="escaped.*a=2.0"):
        henon(100, a=2.0)


# ---------------------------------------------------------------- Lorenz


def test_lorenz_rk4_is_fourth_order():
    # x(0.5) from the same initial condition with RK4 steps h, h/2, h/4 (h = dt / 5). For a 4th-order
    # method the successive differences shrink by 2^4 = 16 (up to O(h) corrections), i.e. observed
    # order log2(ratio) = 4; a 3rd- or 5th-order method would give 3 or 5.
    horizon = 0.5
    ends = [lorenz(round(horizon / dt) + 1, dt=dt, burn_in=0.0, seed=1)[-1] for dt in (0.1, 0.05, 0.025)]
    ratio = np.linalg.norm(ends[0] - ends[1]) / np.linalg.norm(ends[1] - ends[2])
    assert abs(np.log2(ratio) - 4) < 0.25, ratio


def test_lorenz_bounded_and_time_average():
    traj = lorenz(20_000, dt=0.01, seed=0)  # 200 time units after a 10-unit transient
    assert traj.shape == (20_000, 3) and traj.dtype == np.float64
    x, y, z = traj.T
    assert np.all(np.abs(x) < 30) and np.all(np.abs(y) < 40) and np.all((z > 0) & (z < 60))
    assert 20 < z.mean() < 27  # long-time average of z on the attractor is about 23.5
    # Both wings are visited.
    assert np.mean(x > 0) > 0.2 and np.mean(x < 0) > 0.2


def test_lorenz_first_sample_and_sampling():
    start = lorenz(1, burn_in=0.0, seed=2)[0]
    assert -10 <= start[0] <= 10 and -10 <= start[1] <= 10 and 10 <= start[2] <= 40
    long = lorenz(50, dt=0.02, burn_in=0.0, seed=2)
    np.testing.assert_array_equal(lorenz(30, dt=0.02, burn_in=0.4, seed=2), long[20:])


def test_lorenz_determinism():
    np.testing.assert_array_equal(lorenz(200, seed=3), lorenz(200, seed=3))
    assert not np.allclose(lorenz(200, seed=3), lorenz(200, seed=4))
    np.testing.assert_array_equal(lorenz(200, seed=np.random.default_rng(3)), lorenz(200, seed=3))


def test_lorenz_blow_up_raises():
    with pytest.raises(ValueError, match="dt"):
        lorenz(10, dt=1.0, burn_in=0.0)


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: henon(0), "n_samples"),
        (lambda: henon(10, burn_in=-1), "burn_in"),
        (lambda: henon(10, a=float("inf")), "a"),
        (lambda: henon(10, b="x"), "b"),
        (lambda: henon(10, seed=1.5), "seed"),
        (lambda: lorenz(0), "n_samples"),
        (lambda: lorenz(10, dt=0.0), "dt"),
        (lambda: lorenz(10, sigma=-1.0), "sigma"),
        (lambda: lorenz(10, beta=0.0), "beta"),
        (lambda: lorenz(10, rho=float("nan")), "rho"),
        (lambda: lorenz(10, burn_in=-1.0), "burn_in"),
    ],
)
def test_invalid_arguments(call, argument):
    with pytest.raises((ValueError, TypeError), match=argument):
        call()
