"""Tests of physml.ebm's Hopfield network: conventions, Lyapunov property, retrieval, capacity.

Exact statements are checked exactly (energy formula, fixed points for P = 2, the update
rule's tie, 2-cycles). Probabilistic statements are checked against bounds derived in the
tests' docstrings, at level ALPHA (a false alarm at most once in 10^4 runs per check);
seeds are fixed, so the tests are deterministic, and the tolerances say the seeds were not
chosen to pass.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import stats

from physml.ebm import (
    HopfieldDynamics,
    HopfieldNetwork,
    HopfieldState,
    corrupt_patterns,
    hebbian_weights,
    hopfield_capacity_sweep,
    hopfield_capacity_trials,
    hopfield_energy,
    hopfield_run,
    pattern_overlap,
)
from physml.ebm._hopfield import _capacity_batch

ALPHA = 1e-4


def random_patterns(rng, p, n):
    return rng.choice([-1.0, 1.0], size=(p, n))


def reference_async(s, w, theta, order):
    """Textbook loop: visit the units in ``order`` once, s_i <- +1 if sum_j W_ij s_j >= theta_i."""
    s = s.copy()
    for i in order:
        s[i] = 1.0 if w[i] @ s >= theta[i] else -1.0
    return s


def sync_map(s, w, theta):
    return np.where(s @ w >= theta, 1.0, -1.0)


# ---------------------------------------------------------------- storage and energy


def test_hebbian_weights_formula():
    rng = np.random.default_rng(0)
    xi = random_patterns(rng, 3, 7)
    w = hebbian_weights(xi)
    expected = np.zeros((7, 7))
    for i, j in itertools.product(range(7), repeat=2):
        if i != j:
            expected[i, j] = sum(x[i] * x[j] for x in xi) / 7
    np.testing.assert_allclose(w, expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(HopfieldNetwork().fit(xi).weights_, expected, rtol=0, atol=1e-15)


def test_energy_formula_matches_double_sum():
    rng = np.random.default_rng(1)
    n = 6
    a = rng.normal(size=(n, n))
    w = a + a.T
    np.fill_diagonal(w, np.abs(np.diag(w)))
    theta = rng.normal(size=n)
    s = rng.choice([-1.0, 1.0], size=(4, n))
    expected = [
        -0.5 * sum(w[i, j] * x[i] * x[j] for i in range(n) for j in range(n)) + sum(theta * x) for x in s
    ]
    np.testing.assert_allclose(hopfield_energy(s, w, theta), expected, rtol=1e-12)
    assert hopfield_energy(s[0], w, theta).shape == ()


@st.composite
def networks(draw):
    n = draw(st.integers(1, 10))
    elems = st.floats(-5, 5, allow_nan=False, allow_infinity=False)
    a = draw(hnp.arrays(np.float64, (n, n), elements=elems))
    w = np.triu(a, 1)
    w = w + w.T + np.diag(np.abs(np.diag(a)))  # symmetric, non-negative diagonal
    theta = draw(hnp.arrays(np.float64, (n,), elements=elems))
    s = draw(hnp.arrays(np.float64, (n,), elements=st.sampled_from([-1.0, 1.0])))
    sites = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=40))
    return w, theta, s, sites


@settings(max_examples=150, deadline=None, derandomize=True)
@given(networks())
def test_energy_never_increases_under_asynchronous_updates(net):
    """ΔE = −(s_i' − s_i)(h_i − θ_i) − W_ii(...) ≤ 0 for the talk's rule when W is symmetric, W_ii ≥ 0."""
    w, theta, s, sites = net
    tol = 1e-9 * (np.abs(w).sum() + np.abs(theta).sum() + 1.0)
    energy = hopfield_energy(s, w, theta)
    for i in sites:
        new = hopfield_run(s, w, theta, order=[i], max_sweeps=1).states
        if abs(w[i] @ s - theta[i]) > tol:  # away from a tie, rounding cannot decide the update
            np.testing.assert_array_equal(new, reference_async(s, w, theta, [i]))
        new_energy = hopfield_energy(new, w, theta)
        assert new_energy <= energy + tol, (i, energy, new_energy)
        s, energy = new, new_energy
    # A full run ends in a fixed point of the rule, at no higher energy.
    run = hopfield_run(s, w, theta, max_sweeps=10_000, seed=1)
    assert bool(run.converged) and int(run.period) == 1
    clear = np.abs(run.states @ w - theta) > tol
    np.testing.assert_array_equal(sync_map(run.states, w, theta)[clear], run.states[clear])
    assert hopfield_energy(run.states, w, theta) <= energy + tol


def test_async_run_with_given_order_matches_reference_loop():
    rng = np.random.default_rng(2)
    n = 25
    a = rng.normal(size=(n, n))
    w = np.triu(a, 1) + np.triu(a, 1).T
    theta = rng.normal(scale=0.5, size=n)
    s0 = rng.choice([-1.0, 1.0], size=(8, n))
    order = rng.permutation(n)
    run = hopfield_run(s0, w, theta, order=order, max_sweeps=3, seed=123)
    for k in range(8):
        s = s0[k]
        for _ in range(int(run.n_sweeps[k])):
            s = reference_async(s, w, theta, order)
        np.testing.assert_array_equal(run.states[k], s)
    # A given order makes the seed irrelevant.
    other = hopfield_run(s0, w, theta, order=order, max_sweeps=3, seed=7)
    np.testing.assert_array_equal(other.states, run.states)


def test_tie_goes_to_plus_one():
    """The talk's rule is s_i = +1 if Σ_j W_ij s_j ≥ θ_i: a field exactly at threshold gives +1."""
    w = np.zeros((3, 3))
    run = hopfield_run(-np.ones(3), w, 0.0, mode="async", order=[0, 1, 2])
    np.testing.assert_array_equal(run.states, np.ones(3))
    run = hopfield_run(-np.ones(3), w, 0.0, mode="sync")
    np.testing.assert_array_equal(run.states, np.ones(3))
    # Two patterns differing in one unit: the field there is exactly 0 (integer arithmetic), so
    # only the pattern with +1 at that unit is a fixed point.
    n = 100
    a = np.random.default_rng(3).choice([-1.0, 1.0], size=n)
    a[17] = 1.0
    b = a.copy()
    b[17] = -1.0
    net = HopfieldNetwork().fit(np.stack([a, b]))
    assert bool(net.run(a, order=np.arange(n)).n_sweeps == 0)
    run_b = net.run(b, order=np.arange(n))
    np.testing.assert_array_equal(run_b.states, a)


# ---------------------------------------------------------------- retrieval


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.integers(0, 2**32 - 1), st.integers(2, 98))
def test_two_stored_patterns_are_fixed_points(seed, distance):
    """P = 2, N = 100, Hamming distance d between the patterns.

    At unit i of ξ^1, ξ^1_i N h_i = N − 2 + a_i (N − 2d) with a_i = ξ^1_i ξ^2_i: this is
    2(N − 1 − d) > 0 where the patterns agree and 2(d − 1) > 0 where they differ. So both
    patterns are strict fixed points exactly when 2 ≤ d ≤ N − 2.
    """
    n = 100
    rng = np.random.default_rng(seed)
    xi1 = rng.choice([-1.0, 1.0], size=n)
    xi2 = xi1.copy()
    flip = rng.choice(n, size=distance, replace=False)
    xi2[flip] *= -1
    patterns = np.stack([xi1, xi2])
    net = HopfieldNetwork().fit(patterns)
    for mode in ("async", "sync"):
        run = net.run(patterns, mode=mode, seed=seed)
        np.testing.assert_array_equal(run.states, patterns)
        assert np.all(run.converged) and np.all(run.period == 1)
    fields = patterns @ net.weights_
    assert np.all(fields * patterns > 0)


def first_sweep_failure_bound(n, p, d):
    """Upper bound on P(final state ≠ ξ^1) for one Hebbian network, start = ξ^1 with d bits flipped.

    Write ξ^1_i N h_i(s) = Σ_{j≠i} (1 + z_ij) σ_j, with σ_j = ξ^1_j s_j and
    z_ij = ξ^1_i ξ^1_j Σ_{μ≥2} ξ^μ_i ξ^μ_j. Suppose every visit of the first asynchronous sweep
    so far has set its unit to ξ^1 (corrected a flipped bit or kept a right one). Then when
    unit i is visited the wrong units are D \\ V_i (D the flipped set, V_i the units visited
    before i: a set fixed by the order alone, independent of the patterns), and
    ξ^1_i N h_i = (N − 1 − 2 w_i) + Y_i with w_i = |D \\ V_i \\ {i}| ≤ d and
    Y_i = Σ_{j≠i, μ≥2} (ξ^1_i ξ^μ_i)(ξ^1_j ξ^μ_j) σ_j a sum of M = (N − 1)(P − 1) independent
    uniform ±1 terms. By induction, if no unit has Y_i ≤ −(N − 1 − 2d) the first sweep ends
    exactly in ξ^1; if moreover no unit has Y_i ≤ −(N − 1) (new noise at ξ^1), ξ^1 is a fixed
    point and the dynamics stops there. A union bound over the 2N events gives
    P(fail) ≤ N [F(N − 1 − 2d) + F(N − 1)], F(t) = P(Y ≤ −t) = P(Bin(M, 1/2) ≤ (M − t)/2),
    exactly. (The Hoeffding form exp(−t²/2M) is about 11 times looser here.)
    """
    m = (n - 1) * (p - 1)

    def tail(t):
        return stats.binom.cdf(np.floor((m - t) / 2), m, 0.5)

    return n * (tail(n - 1 - 2 * d) + tail(n - 1))


def test_retrieval_from_ten_percent_corruption_at_alpha_0_05():
    n, p, trials = 100, 5, 200  # α = 0.05
    d = 10  # 10 % of the bits flipped
    bound = first_sweep_failure_bound(n, p, d)
    assert bound < 5e-3  # ≥ 99.5 % success per network, whatever the visiting order
    result = hopfield_capacity_trials(n, p, trials, corruption=0.1, seed=11)
    np.testing.assert_allclose(result.initial_overlaps, 1 - 2 * d / n)
    failures = int(np.sum(result.overlaps < 1.0))
    # Trials are independent networks, so failures are dominated by Binomial(trials, bound).
    allowed = int(stats.binom.isf(ALPHA, trials, bound))
    assert failures <= allowed, (failures, allowed, bound)
    assert np.all(result.converged)


def test_pattern_dynamics_matches_network_dynamics():
    """The capacity kernel (fields from overlaps, N h = Ξᵀ(Ξ s) − P s) equals the network's."""

    class FixedOrder:
        def __init__(self, order):
            self.order = order

        def permutation(self, n):
            return self.order.copy()

    rng = np.random.default_rng(5)
    n, p, b = 60, 12, 4  # α = 0.2: plenty of flips
    xi = random_patterns(rng, b * p, n).reshape(b, p, n)
    start = np.stack([corrupt_patterns(x[0], 0.2, seed=k) for k, x in enumerate(xi)])
    order = rng.permutation(n)
    s = start.copy()
    converged, sweeps = _capacity_batch(
        np.ascontiguousarray(xi.transpose(0, 2, 1)).astype(np.int8), s, [FixedOrder(order)] * b, 50
    )
    for k in range(b):
        run = HopfieldNetwork().fit(xi[k]).run(start[k], order=order, max_sweeps=50)
        np.testing.assert_array_equal(s[k], run.states)
        assert converged[k] == run.converged
        # The kernel counts the flip-free confirming sweep; the network checks stability directly.
        assert sweeps[k] == run.n_sweeps + 1


def test_overlap_well_below_one_above_capacity():
    """α = 0.3 > α_c ≈ 0.138: Amit, Gutfreund, Sompolinsky (PRL 55, 1530 (1985); Ann. Phys. 173,
    30 (1987)) find no retrieval state above α_c at T = 0; starting at a pattern, the
    dynamics runs off to a spin-glass state with overlap of order 0.3 (already the first
    sweep destabilises a fraction Φ(−1/√α) ≈ 3.4 % of the units, against 4e-6 at α = 0.05).
    The retrieval overlap just below α_c is 0.967, so ⟨m⟩ < 0.9 by 5 standard errors is the
    loss of retrieval; α = 0.05 keeps ⟨m⟩ ≥ 0.99.
    """
    n, trials = 500, 20
    high = hopfield_capacity_trials(n, 150, trials, seed=21)
    assert np.all(high.converged)
    err = high.overlaps.std(ddof=1) / np.sqrt(trials)
    assert high.overlaps.mean() + 5 * err < 0.9, (high.overlaps.mean(), err)
    low = hopfield_capacity_trials(n, 25, trials, seed=22)
    assert low.overlaps.min() >= 0.99


# ---------------------------------------------------------------- synchronous dynamics


def test_synchronous_dynamics_ends_in_fixed_point_or_two_cycle():
    """Symmetric W: parallel updates reach period 1 or 2 (Goles-Chacc et al. 1985)."""
    rng = np.random.default_rng(6)
    n = 40
    a = rng.normal(size=(n, n))
    w = np.triu(a, 1) + np.triu(a, 1).T
    theta = rng.normal(scale=0.3, size=n)
    s0 = rng.choice([-1.0, 1.0], size=(300, n))
    run = hopfield_run(s0, w, theta, mode="sync", max_sweeps=1000)
    assert np.all(run.converged)
    assert set(np.unique(run.period)) <= {1, 2}
    assert np.any(run.period == 2) and np.any(run.period == 1)  # both outcomes are exercised
    once = sync_map(run.states, w, theta)
    twice = sync_map(once, w, theta)
    fixed = run.period == 1
    np.testing.assert_array_equal(once[fixed], run.states[fixed])
    np.testing.assert_array_equal(twice[~fixed], run.states[~fixed])
    assert np.all(np.any(once[~fixed] != run.states[~fixed], axis=1))


def test_two_cycle_of_an_antiferromagnetic_pair():
    w = np.array([[0.0, -1.0], [-1.0, 0.0]])
    run = hopfield_run([1.0, 1.0], w, mode="sync")
    assert bool(run.converged) and int(run.period) == 2 and int(run.n_sweeps) == 2
    np.testing.assert_array_equal(run.states, [1.0, 1.0])
    # Asynchronously the same pair settles into an antiparallel fixed point.
    run = hopfield_run([1.0, 1.0], w, order=[0, 1])
    np.testing.assert_array_equal(run.states, [-1.0, 1.0])


# ---------------------------------------------------------------- corruption, overlaps, capacity API


def test_corrupt_patterns_flips_exact_number():
    rng = np.random.default_rng(7)
    xi = random_patterns(rng, 50, 40)
    out = corrupt_patterns(xi, 0.25, seed=3)
    np.testing.assert_array_equal(np.sum(out != xi, axis=1), 10)
    np.testing.assert_array_equal(out, corrupt_patterns(xi, 0.25, seed=3))
    assert not np.array_equal(out, corrupt_patterns(xi, 0.25, seed=4))
    np.testing.assert_allclose(pattern_overlap(xi, out).diagonal(), 0.5)
    np.testing.assert_array_equal(corrupt_patterns(xi[0], 0.0, seed=1), xi[0])
    # Every unit is equally likely to be flipped: 50 x 10 flips over 40 units, chi-square.
    many = corrupt_patterns(np.ones((4000, 40)), 0.25, seed=5)
    counts = np.sum(many < 0, axis=0)
    assert stats.chisquare(counts).pvalue > ALPHA


def test_overlap_shapes_and_values():
    xi = np.array([[1.0, 1.0, -1.0, -1.0], [1.0, -1.0, 1.0, -1.0]])
    assert pattern_overlap(xi[0], xi[0]) == 1.0
    np.testing.assert_allclose(pattern_overlap(xi, -xi[0]), [-1.0, 0.0])
    assert pattern_overlap(xi, xi).shape == (2, 2)
    net = HopfieldNetwork().fit(xi)
    np.testing.assert_allclose(net.overlaps(xi), np.eye(2))


def test_capacity_trials_are_reproducible_and_batch_independent():
    a = hopfield_capacity_trials(80, 12, 6, corruption=0.1, seed=9)
    b = hopfield_capacity_trials(80, 12, 6, corruption=0.1, seed=9, batch_size=2)
    c = hopfield_capacity_trials(80, 12, 4, corruption=0.1, seed=9)
    for field in ("overlaps", "converged", "n_sweeps", "initial_overlaps"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        np.testing.assert_array_equal(getattr(a, field)[:4], getattr(c, field))
    d = hopfield_capacity_trials(80, 12, 6, corruption=0.1, seed=10)
    assert not np.array_equal(a.n_sweeps, d.n_sweeps) or not np.array_equal(a.overlaps, d.overlaps)
    assert a.alpha == 12 / 80


def test_capacity_sweep_collects_trials():
    sweep = hopfield_capacity_sweep(60, [0.05, 0.3], 5, seed=4)
    assert sweep.overlaps.shape == (2, 5)
    np.testing.assert_array_equal(sweep.n_patterns, [3, 18])
    np.testing.assert_allclose(sweep.alphas, [3 / 60, 18 / 60])
    again = hopfield_capacity_sweep(60, [0.3], 5, seed=4)  # a point does not depend on the grid
    np.testing.assert_array_equal(again.overlaps[0], sweep.overlaps[1])
    mean, err = sweep.mean_overlap()
    assert mean.shape == err.shape == (2,)


def test_retrieval_fraction_counts_trials_above_the_threshold():
    from physml.ebm import HopfieldCapacitySweep

    overlaps = np.array([[1.0, 0.98, 0.95, 0.97], [0.3, 0.95, 0.2, 0.1], [0.2, 0.3, 0.1, 0.4]])
    sweep = HopfieldCapacitySweep(
        n_units=100, alphas=np.array([0.1, 0.15, 0.2]), n_patterns=np.array([10, 15, 20]),
        overlaps=overlaps, converged=np.ones((3, 4), bool), n_sweeps=np.ones((3, 4), int),
    )
    fraction, err = sweep.retrieval_fraction(0.9)
    np.testing.assert_allclose(fraction, [1.0, 0.25, 0.0])
    # binomial error at Laplace's (k + 1) / (n + 2): positive also for k = 0 and k = n
    p = np.array([5, 2, 1]) / 6
    np.testing.assert_allclose(err, np.sqrt(p * (1 - p) / 4))
    np.testing.assert_allclose(sweep.retrieval_fraction(0.96)[0], [0.75, 0.0, 0.0])
    with pytest.raises(ValueError, match="min_overlap"):
        sweep.retrieval_fraction(1.5)
    logit, logit_err = sweep.retrieval_logit(0.9)
    k = np.array([4, 1, 0])
    np.testing.assert_allclose(logit, np.log((k + 0.5) / (4 - k + 0.5)))
    np.testing.assert_allclose(logit_err, np.sqrt(1 / (k + 0.5) + 1 / (4 - k + 0.5)))
    assert logit[1] < 0 < logit[0]  # one retrieval in four is below one half


def test_retrieval_logit_error_matches_the_binomial_scatter():
    """For n = 400 trials at p = 0.3 the empirical logit scatters as its stated error says."""
    from physml.ebm import HopfieldCapacitySweep

    rng = np.random.default_rng(5)
    hits = rng.random((2000, 400)) < 0.3
    sweep = HopfieldCapacitySweep(
        n_units=10, alphas=np.arange(1, 2001) / 10, n_patterns=np.arange(1, 2001), overlaps=hits * 1.0,
        converged=np.ones_like(hits), n_sweeps=np.ones(hits.shape, int),
    )
    logit, err = sweep.retrieval_logit(0.9)
    assert np.std(logit) == pytest.approx(np.mean(err), rel=0.05)
    assert np.mean(logit) == pytest.approx(np.log(0.3 / 0.7), abs=0.01)


# ---------------------------------------------------------------- errors


def test_errors():
    good = np.ones((2, 5))
    with pytest.raises(ValueError, match="only -1 and \\+1"):
        HopfieldNetwork().fit([[0, 1, 1, 0, 1]])
    with pytest.raises(ValueError, match="only -1 and \\+1"):
        hebbian_weights([[1, -1, 0.5]])
    with pytest.raises(ValueError, match="non-finite"):
        HopfieldNetwork().fit([[1, -1, np.nan]])
    net = HopfieldNetwork().fit(good)
    with pytest.raises(ValueError, match="5 units"):
        net.run(np.ones(4))
    with pytest.raises(ValueError, match="5 units"):
        net.energy(np.ones((3, 6)))
    with pytest.raises(ValueError, match="non-finite"):
        net.run([1, 1, np.nan, 1, 1])
    with pytest.raises(ValueError, match="3 units"):
        hopfield_run(np.ones(4), np.zeros((3, 3)))
    with pytest.raises(ValueError, match="square"):
        hopfield_run(np.ones(3), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="symmetric"):
        hopfield_run(np.ones(2), [[0.0, 1.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="non-negative diagonal"):
        hopfield_energy(np.ones(2), [[-1.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ValueError, match="thresholds"):
        hopfield_run(np.ones(3), np.zeros((3, 3)), np.zeros(2))
    with pytest.raises(ValueError, match="mode"):
        hopfield_run(np.ones(3), np.zeros((3, 3)), mode="parallel")
    with pytest.raises(ValueError, match="order"):
        hopfield_run(np.ones(3), np.zeros((3, 3)), order=[0, 3])
    with pytest.raises(ValueError, match="async"):
        hopfield_run(np.ones(3), np.zeros((3, 3)), mode="sync", order=[0, 1, 2])
    with pytest.raises(ValueError, match="max_sweeps"):
        hopfield_run(np.ones(3), np.zeros((3, 3)), max_sweeps=0)
    with pytest.raises(ValueError, match="5 units"):
        pattern_overlap(good, np.ones(3))
    with pytest.raises(ValueError, match="fraction"):
        corrupt_patterns(good, 1.5)
    with pytest.raises(ValueError, match="n_patterns"):
        hopfield_capacity_trials(10, 0, 3)
    with pytest.raises(ValueError, match="alphas"):
        hopfield_capacity_sweep(10, [0.1, -0.2], 3)
    with pytest.raises(ValueError, match="seed"):
        hopfield_capacity_trials(10, 2, 3, seed=-1)


# ---------------------------------------------------------------- the model contract


def test_predict_save_load_and_no_score(tmp_path):
    rng = np.random.default_rng(21)
    xi = random_patterns(rng, 4, 60)
    start = corrupt_patterns(xi, 0.1, seed=2)
    net = HopfieldNetwork(mode="async", max_sweeps=40, seed=3).fit(xi)
    np.testing.assert_array_equal(net.predict(start), net.run(start).states)
    np.testing.assert_array_equal(net.predict(start), net.run(start, max_sweeps=40, seed=3).states)
    np.testing.assert_array_equal(net.couplings_, xi.T @ xi - 4 * np.eye(60))
    net.save(tmp_path / "net.npz")
    back = HopfieldNetwork.load(tmp_path / "net.npz")
    assert back.get_params() == net.get_params()
    for name in ("couplings_", "weights_", "thresholds_", "patterns_"):
        np.testing.assert_array_equal(getattr(back, name), getattr(net, name))
    np.testing.assert_array_equal(back.predict(start), net.predict(start))
    assert not hasattr(net, "score")
    with pytest.raises(ValueError, match="mode='parallel' is not accepted"):
        HopfieldNetwork(mode="parallel").fit(xi)


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_network_from_couplings_runs_like_hopfield_run(mode):
    rng = np.random.default_rng(22)
    w = rng.normal(size=(12, 12))
    w = w + w.T
    np.fill_diagonal(w, 0.0)
    theta = rng.normal(scale=0.1, size=12)
    start = random_patterns(rng, 5, 12)
    net = HopfieldNetwork.from_parameters(w, theta, mode=mode, seed=4)
    assert net.n_patterns_ == 0 and net.overlaps(start).shape == (5, 0)
    expected = hopfield_run(start, w, theta, mode=mode, seed=4)
    run = net.run(start)
    for field in ("states", "converged", "n_sweeps", "period"):
        np.testing.assert_array_equal(getattr(run, field), getattr(expected, field), err_msg=field)
    np.testing.assert_allclose(net.energy(start), hopfield_energy(start, w, theta))


@pytest.mark.parametrize("mode", ["async", "sync"])
def test_dynamics_state_is_explicit_and_resumable(mode):
    rng = np.random.default_rng(23)
    xi = random_patterns(rng, 20, 50)  # above capacity: many sweeps before a fixed point
    start = corrupt_patterns(xi[:6], 0.3, seed=1)
    net = HopfieldNetwork().fit(xi)
    dynamics = net.dynamics(mode=mode)
    state = dynamics.init_state(7, start=start)
    assert isinstance(state, HopfieldState) and dynamics.sample(state, 1) is state
    for _ in range(29):
        dynamics.sample(state, 1)
    once = net.run(start, mode=mode, max_sweeps=30, seed=7)
    assert once.n_sweeps.max() > 2  # the pieces matter
    np.testing.assert_array_equal(state.states, once.states)
    np.testing.assert_array_equal(state.n_sweeps, once.n_sweeps)
    np.testing.assert_array_equal(state.period, once.period)
    with pytest.raises(ValueError, match="other dynamics"):
        HopfieldDynamics(net.weights_, mode="sync" if mode == "async" else "async").sample(state, 1)
