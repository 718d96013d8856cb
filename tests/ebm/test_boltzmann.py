"""Tests of physml.ebm's general Boltzmann machine against exact enumeration.

Sampling is compared with the exact distribution by chi-square tests at level ALPHA (a false
alarm once in 10^4 runs per check). Learning is compared with exact gradient ascent; the
sampled-gradient result must lie inside the data's one-standard-error ellipsoid around the
exact maximum-likelihood estimate. Seeds are fixed, so the tests are deterministic; the
tolerances are derived, not tuned.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats
from scipy.special import logsumexp

from physml.ebm import (
    BM_EXACT_MAX_UNITS,
    BoltzmannChains,
    BoltzmannMachine,
    BoltzmannSampler,
    bm_energy,
    bm_exact_distribution,
    bm_exact_gradient,
    bm_exact_log_likelihood,
    bm_exact_log_marginal,
    bm_exact_log_partition,
    bm_exact_moments,
    bm_gibbs_sample,
)

ALPHA = 1e-4


def random_machine(rng, n, scale=1.0):
    w = np.triu(rng.normal(scale=scale, size=(n, n)), 1)
    return w + w.T, rng.normal(scale=scale, size=n)


def state_index(s):
    n = s.shape[1]
    return (s @ (2 ** np.arange(n - 1, -1, -1))).astype(np.int64)


def assert_chisquare(samples, probabilities):
    """Chi-square goodness of fit; cells with expected count < 5 are pooled into one cell."""
    counts = np.bincount(state_index(samples), minlength=len(probabilities))
    expected = probabilities * len(samples)
    big = expected >= 5
    obs = np.append(counts[big], counts[~big].sum())
    exp = np.append(expected[big], expected[~big].sum())
    if exp[-1] == 0:
        obs, exp = obs[:-1], exp[:-1]
    result = stats.chisquare(obs, exp)
    message = f"chi2 = {result.statistic:.1f} on {len(obs) - 1} dof, p = {result.pvalue:.2g}"
    assert result.pvalue > ALPHA, message


def n_params(n):
    return n * (n - 1) // 2 + n


def theta(w, b):
    iu = np.triu_indices(len(b), 1)
    return np.concatenate([w[iu], b])


def fisher_information(w, b, beta=1.0):
    """Per-sample Fisher information of a fully visible machine: β² Cov(s_i s_j (i<j), s_i)."""
    s, p = bm_exact_distribution(w, b, beta)
    iu = np.triu_indices(len(b), 1)
    phi = np.concatenate([(s[:, :, None] * s[:, None, :])[:, iu[0], iu[1]], s], axis=1)
    centred = phi - p @ phi
    return beta**2 * centred.T @ (p[:, None] * centred)


# ---------------------------------------------------------------- exact quantities


def test_energy_and_log_partition_by_brute_force():
    rng = np.random.default_rng(0)
    n, beta = 6, 0.7
    w, b = random_machine(rng, n)
    states = np.array(list(itertools.product([0.0, 1.0], repeat=n)))
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    energies = [-sum(w[i, j] * s[i] * s[j] for i, j in pairs) - b @ s for s in states]
    np.testing.assert_allclose(bm_energy(states, w, b), energies, rtol=1e-12, atol=1e-12)
    log_z = np.log(np.sum(np.exp(-beta * np.array(energies))))
    assert bm_exact_log_partition(w, b, beta) == pytest.approx(log_z, rel=1e-12)
    enumerated, p = bm_exact_distribution(w, b, beta)
    np.testing.assert_array_equal(enumerated, states)  # unit 0 is the most significant bit
    np.testing.assert_allclose(p, np.exp(-beta * np.array(energies) - log_z), rtol=1e-10)


def test_log_partition_chunked_for_many_units():
    """17 units span several enumeration chunks; compare with a direct sum over 2^17 states."""
    rng = np.random.default_rng(1)
    w, b = random_machine(rng, 17, scale=0.3)
    s, _ = bm_exact_distribution(np.zeros((17, 17)), np.zeros(17))
    direct = logsumexp(-0.9 * bm_energy(s, w, b))
    assert bm_exact_log_partition(w, b, 0.9) == pytest.approx(direct, rel=1e-12)


def test_visible_marginal_is_normalised_and_sums_hidden():
    rng = np.random.default_rng(2)
    nv, nh, beta = 3, 3, 1.3
    w, b = random_machine(rng, nv + nh)
    visible = np.array(list(itertools.product([0.0, 1.0], repeat=nv)))
    log_p = bm_exact_log_marginal(visible, w, b, beta)
    assert np.exp(log_p).sum() == pytest.approx(1.0, rel=1e-12)
    _, p = bm_exact_distribution(w, b, beta)
    np.testing.assert_allclose(np.exp(log_p), p.reshape(2**nv, 2**nh).sum(axis=1), rtol=1e-10)
    assert bm_exact_log_likelihood(visible[[1, 5]], w, b, beta) == pytest.approx(log_p[[1, 5]].mean())


def test_exact_gradient_matches_finite_differences():
    rng = np.random.default_rng(3)
    nv, nh, beta = 4, 2, 0.8
    w, b = random_machine(rng, nv + nh, scale=0.7)
    data = rng.integers(0, 2, size=(30, nv)).astype(float)
    gw, gb, ll = bm_exact_gradient(data, w, b, beta)
    assert ll == pytest.approx(bm_exact_log_likelihood(data, w, b, beta), rel=1e-12)
    assert np.all(np.diag(gw) == 0) and np.allclose(gw, gw.T)
    h = 1e-6

    def ll_at(w_, b_):
        return bm_exact_log_likelihood(data, w_, b_, beta)

    for i, j in [(0, 1), (2, 5), (4, 5)]:
        dw = np.zeros_like(w)
        dw[i, j] = dw[j, i] = h
        fd = (ll_at(w + dw, b) - ll_at(w - dw, b)) / (2 * h)
        assert gw[i, j] == pytest.approx(fd, abs=1e-7)
    for i in (0, 5):
        db = np.zeros_like(b)
        db[i] = h
        fd = (ll_at(w, b + db) - ll_at(w, b - db)) / (2 * h)
        assert gb[i] == pytest.approx(fd, abs=1e-7)


# ---------------------------------------------------------------- Gibbs sampling


@pytest.mark.parametrize("beta", [1.0, 0.5])
def test_gibbs_sampling_reproduces_exact_distribution(beta):
    """20,000 independent chains, 60 sweeps each (8 units, couplings of order 1: a few sweeps mix)."""
    rng = np.random.default_rng(4)
    n = 8
    w, b = random_machine(rng, n)
    start = rng.integers(0, 2, size=(20_000, n))
    samples = bm_gibbs_sample(start, w, b, beta=beta, n_sweeps=60, seed=5)
    assert set(np.unique(samples)) <= {0.0, 1.0}
    _, p = bm_exact_distribution(w, b, beta)
    assert_chisquare(samples, p)


def test_clamped_gibbs_sampling_reproduces_exact_conditional():
    rng = np.random.default_rng(6)
    nv, nh = 3, 5
    w, b = random_machine(rng, nv + nh)
    v = np.array([1.0, 0.0, 1.0])
    start = np.concatenate([np.tile(v, (20_000, 1)), rng.integers(0, 2, size=(20_000, nh))], axis=1)
    clamp = np.arange(nv + nh) < nv
    samples = bm_gibbs_sample(start, w, b, beta=0.8, n_sweeps=60, clamp=clamp, seed=7)
    np.testing.assert_array_equal(samples[:, :nv], start[:, :nv])
    _, p = bm_exact_distribution(w, b, 0.8)
    block = p.reshape(2**nv, 2**nh)[state_index(v[None])[0]]
    assert_chisquare(samples[:, nv:], block / block.sum())


def test_gibbs_same_seed_same_numbers():
    rng = np.random.default_rng(8)
    w, b = random_machine(rng, 5)
    start = rng.integers(0, 2, size=(50, 5))
    a = bm_gibbs_sample(start, w, b, n_sweeps=3, seed=1)
    np.testing.assert_array_equal(a, bm_gibbs_sample(start, w, b, n_sweeps=3, seed=1))
    assert not np.array_equal(a, bm_gibbs_sample(start, w, b, n_sweeps=3, seed=2))
    np.testing.assert_array_equal(bm_gibbs_sample(start, w, b, n_sweeps=0, seed=1), start)


# ---------------------------------------------------------------- learning


def teacher_data(seed, nv, n_samples, scale=0.5):
    rng = np.random.default_rng(seed)
    w, b = random_machine(rng, nv, scale=scale)
    s, p = bm_exact_distribution(w, b)
    return s[rng.choice(len(p), size=n_samples, p=p)]


@pytest.mark.parametrize("n_hidden", [0, 2])
def test_exact_learning_increases_log_likelihood_monotonically(n_hidden):
    """ℓ has an L-Lipschitz gradient with L ≤ β² k/4: its Hessian is β² (E_data Cov_{h|v} − Cov_model)
    of the k statistics s_i s_j, s_i ∈ [0, 1], a difference of PSD matrices each of norm ≤ k/4.
    With η = 1/L every full-gradient step raises ℓ by at least η‖∇ℓ‖²/2 (descent lemma)."""
    x = teacher_data(9, 4, 200)
    beta = 0.9
    k = n_params(4 + n_hidden)
    lr = 1.0 / (beta**2 * k / 4)
    model = BoltzmannMachine(n_hidden, beta=beta, learning_rate=lr, n_iter=150, init_scale=0.5, seed=1).fit(x)
    history = model.log_likelihood_history_
    assert history.shape == (151,) and model.n_iter_ == 150
    assert np.all(np.diff(history) >= -1e-12), np.diff(history).min()
    assert history[-1] > history[0] + 0.05
    assert model.score(x) == pytest.approx(history[-1], rel=1e-12)
    assert model.log_partition() == pytest.approx(
        bm_exact_log_partition(model.weights_, model.biases_, beta), rel=1e-12
    )


@pytest.mark.slow
def test_exact_learning_matches_moments_without_hidden_units():
    """Fully visible: ∇ℓ = β(data − model moments), so at ‖∇ℓ‖∞ < tol the moments agree to tol/β."""
    x = teacher_data(10, 5, 1000, scale=0.8)
    tol = 1e-9
    model = BoltzmannMachine(learning_rate=4 / n_params(5), n_iter=20_000, tol=tol).fit(x)
    assert model.n_iter_ < 20_000  # converged
    mean, second = bm_exact_moments(model.weights_, model.biases_)
    np.testing.assert_allclose(mean, x.mean(axis=0), rtol=0, atol=tol)
    np.testing.assert_allclose(second, x.T @ x / len(x), rtol=0, atol=tol)
    # Only βW and βb enter the distribution: the maximum-likelihood fit at β = 1/2 is twice as large.
    half = BoltzmannMachine(beta=0.5, learning_rate=16 / n_params(5), n_iter=20_000, tol=tol / 4).fit(x)
    lam = np.linalg.eigvalsh(fisher_information(model.weights_, model.biases_)).min()
    np.testing.assert_allclose(
        0.5 * theta(half.weights_, half.biases_),
        theta(model.weights_, model.biases_),
        rtol=0,
        atol=10 * tol / lam,
    )


@pytest.mark.slow
def test_sampled_learning_agrees_with_exact_learning():
    """Sampled gradients (PCD, Polyak averaging) land within the data's statistical error of the
    exact maximum-likelihood estimate θ*.

    With n data rows, the estimate's covariance is I⁻¹/n (I the Fisher information), so the
    statistical distance of another estimate is D² = n (θ − θ*)ᵀ I (θ − θ*); D² ≤ 1 means θ is
    within one standard error of θ* along every direction of parameter space. (For comparison,
    the true parameters sit at D² ~ χ²_k, mean k = 10, from θ*.)
    """
    nv, n = 4, 5000
    x = teacher_data(11, nv, n)
    exact = BoltzmannMachine(learning_rate=4 / n_params(nv), n_iter=20_000, tol=1e-9).fit(x)
    sampled = BoltzmannMachine(
        method="sampled", learning_rate=0.4, n_iter=4000, n_chains=1000, n_sweeps=1, seed=2
    ).fit(x)
    info = fisher_information(exact.weights_, exact.biases_)
    d = theta(sampled.weights_, sampled.biases_) - theta(exact.weights_, exact.biases_)
    distance = n * d @ info @ d
    assert distance <= 1.0, distance
    assert sampled.n_iter_ == 4000 and not hasattr(sampled, "log_likelihood_history_")


def test_sampled_learning_with_hidden_units_is_reproducible_and_learns():
    x = teacher_data(12, 4, 300)
    kwargs = dict(method="sampled", learning_rate=0.1, n_iter=300, n_chains=200, batch_size=100, seed=3)
    a = BoltzmannMachine(2, **kwargs).fit(x)
    b = BoltzmannMachine(2, **kwargs).fit(x)
    np.testing.assert_array_equal(a.weights_, b.weights_)
    np.testing.assert_array_equal(a.biases_, b.biases_)
    c = BoltzmannMachine(2, **{**kwargs, "seed": 4}).fit(x)
    assert not np.array_equal(a.weights_, c.weights_)
    untrained = BoltzmannMachine(2, n_iter=0).fit(x)  # the initial model: ℓ = −4 ln 2 up to 1e-2
    assert a.score(x) > untrained.score(x) + 0.1
    np.testing.assert_array_equal(a.weights_, a.weights_.T)
    assert np.all(np.diag(a.weights_) == 0)


def test_sample_reproduces_model_visible_marginal():
    rng = np.random.default_rng(13)
    w, b = random_machine(rng, 6)
    model = BoltzmannMachine(3, n_iter=0).fit(np.zeros((1, 3)))
    model.weights_, model.biases_ = w, b  # a machine with known parameters
    v = model.sample(20_000, n_sweeps=60, seed=1)
    assert v.shape == (20_000, 3)
    visible = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    assert_chisquare(v, np.exp(model.score_samples(visible)))
    full = model.sample(10, n_sweeps=5, seed=2, return_hidden=True)
    assert full.shape == (10, 6)
    np.testing.assert_array_equal(full, model.sample(10, n_sweeps=5, seed=2, return_hidden=True))


# ---------------------------------------------------------------- errors


def test_errors():
    x = np.array([[0, 1, 1], [1, 0, 1]])
    with pytest.raises(ValueError, match="only 0 and 1"):
        BoltzmannMachine().fit([[0, 0.5, 1]])
    with pytest.raises(ValueError, match="only 0 and 1"):
        BoltzmannMachine().fit([[-1, 1, 1]])
    with pytest.raises(ValueError, match="non-finite"):
        BoltzmannMachine().fit([[0, np.nan, 1]])
    model = BoltzmannMachine(1, n_iter=2).fit(x)
    with pytest.raises(ValueError, match="3 visible units"):
        model.score_samples(np.ones((2, 4)))
    with pytest.raises(ValueError, match="beta"):
        BoltzmannMachine(beta=0.0).fit(x)
    with pytest.raises(ValueError, match="beta"):
        bm_exact_log_partition(np.zeros((2, 2)), np.zeros(2), beta=-1.0)
    with pytest.raises(ValueError, match="beta"):
        bm_gibbs_sample(np.zeros((1, 2)), np.zeros((2, 2)), np.zeros(2), beta=0.0)
    with pytest.raises(ValueError, match="BM_EXACT_MAX_UNITS"):
        BoltzmannMachine(n_hidden=BM_EXACT_MAX_UNITS - 2).fit(x)
    with pytest.raises(ValueError, match="BM_EXACT_MAX_UNITS"):
        bm_exact_log_partition(np.zeros((21, 21)), np.zeros(21))
    BoltzmannMachine(n_hidden=BM_EXACT_MAX_UNITS - 2, method="sampled", n_iter=1).fit(x)  # no limit
    with pytest.raises(ValueError, match="symmetric"):
        bm_energy(np.zeros(2), [[0.0, 1.0], [0.0, 0.0]], np.zeros(2))
    with pytest.raises(ValueError, match="zero diagonal"):
        bm_energy(np.zeros(2), [[1.0, 0.0], [0.0, 0.0]], np.zeros(2))
    with pytest.raises(ValueError, match="biases"):
        bm_energy(np.zeros(2), np.zeros((2, 2)), np.zeros(3))
    with pytest.raises(ValueError, match="2 units"):
        bm_gibbs_sample(np.zeros((4, 3)), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="clamp"):
        bm_gibbs_sample(np.zeros((4, 2)), np.zeros((2, 2)), np.zeros(2), clamp=[1, 0])
    with pytest.raises(ValueError, match="method"):
        BoltzmannMachine(method="cd").fit(x)
    with pytest.raises(ValueError, match="only 0 and 1"):
        bm_exact_log_marginal([[2, 0]], np.zeros((3, 3)), np.zeros(3))
    with pytest.raises(ValueError, match="only 3 units"):
        bm_exact_log_marginal(np.zeros((1, 4)), np.zeros((3, 3)), np.zeros(3))


# ---------------------------------------------------------------- the model contract


def test_from_parameters_gives_the_exact_marginal_and_round_trips(tmp_path):
    rng = np.random.default_rng(11)
    w, b = random_machine(rng, 5)
    model = BoltzmannMachine.from_parameters(w, b, n_visible=3, beta=0.7)
    assert model.n_hidden == 2 and model.n_features_in_ == 3 and model.n_iter_ == 0
    v = np.array(list(itertools.product([0.0, 1.0], repeat=3)))
    # ln p(v) by summing the exact joint distribution over the hidden units
    states, p = bm_exact_distribution(w, b, 0.7)
    marginal = p.reshape(8, 4).sum(axis=1)
    np.testing.assert_allclose(model.score_samples(v), np.log(marginal), rtol=0, atol=1e-12)
    assert model.score(v) == pytest.approx(np.log(marginal).mean(), abs=1e-12)
    model.save(tmp_path / "bm.npz")
    back = BoltzmannMachine.load(tmp_path / "bm.npz")
    assert back.get_params() == model.get_params()
    np.testing.assert_array_equal(back.score_samples(v), model.score_samples(v))
    np.testing.assert_array_equal(back.sample(7, n_sweeps=3, seed=1), model.sample(7, n_sweeps=3, seed=1))
    with pytest.raises(ValueError, match="symmetric"):
        BoltzmannMachine.from_parameters(np.triu(w), b)
    with pytest.raises(ValueError, match=r"n_visible must be in \[1, 5\]"):
        BoltzmannMachine.from_parameters(w, b, n_visible=6)


def test_fitted_machine_saves_and_loads(tmp_path):
    x = teacher_data(3, 4, 100)
    for method in ("exact", "sampled"):
        model = BoltzmannMachine(1, method=method, n_iter=20, seed=2).fit(x)
        model.save(tmp_path / f"{method}.npz")
        back = BoltzmannMachine.load(tmp_path / f"{method}.npz")
        np.testing.assert_array_equal(back.weights_, model.weights_)
        np.testing.assert_array_equal(back.score_samples(x), model.score_samples(x))
        assert back.n_iter_ == 20 and hasattr(back, "log_likelihood_history_") == (method == "exact")


def test_sampler_state_is_explicit_and_resumable():
    rng = np.random.default_rng(12)
    w, b = random_machine(rng, 6)
    start = rng.integers(0, 2, size=(30, 6))
    clamp = np.arange(6) < 2
    sampler = BoltzmannSampler(w, b, beta=0.8, clamp=clamp)
    state = sampler.init_state(5, start=start)
    assert isinstance(state, BoltzmannChains) and state.states.shape == (30, 6)
    assert sampler.sample(state, 2) is state
    sampler.sample(state, 3)
    assert state.sweeps == 5
    # five sweeps in two calls are five sweeps in one (the stream lives in the state)
    in_one = bm_gibbs_sample(start, w, b, beta=0.8, n_sweeps=5, clamp=clamp, seed=5)
    np.testing.assert_array_equal(state.states, in_one)
    # a random start of n_chains chains is the estimator's sample
    model = BoltzmannMachine.from_parameters(w, b, n_visible=4, beta=0.8)
    chains = model.sampler(n_chains=9).init_state(3)
    model.sampler(n_chains=9).sample(chains, 4)
    np.testing.assert_array_equal(chains.states, model.sample(9, n_sweeps=4, seed=3, return_hidden=True))
    with pytest.raises(TypeError, match="BoltzmannChains"):
        sampler.sample(start, 1)
