"""RBMs with q-state (Potts) visible units against exact enumeration."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from physml.ebm import PottsRBM, PottsRBMModel, log_likelihood_bounds, raise_log_likelihood

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_model(n_v, n_h, q, seed, scale=1.0):
    rng = np.random.default_rng(seed)
    return PottsRBMModel(torch.tensor(rng.normal(0, scale, (n_h, n_v, q))),
                         torch.tensor(rng.normal(0, 1, (n_v, q))), torch.tensor(rng.normal(0, 1, n_h)))


def brute_log_z(model):
    """log Σ_v Σ_h exp(−E(v, h)) over both layers, written out from the energy."""
    w, b, c = (t.numpy() for t in model.parameters().values())
    n_h, n_v, q = w.shape
    total = []
    for v in itertools.product(range(q), repeat=n_v):
        for h in itertools.product((0, 1), repeat=n_h):
            h = np.array(h)
            e = -sum(b[i, a] for i, a in enumerate(v)) - h @ c - sum(h @ w[:, i, a] for i, a in enumerate(v))
            total.append(-e)
    return float(np.logaddexp.reduce(total))


@pytest.mark.parametrize(("n_v", "n_h", "q"), [(3, 2, 3), (2, 4, 4), (4, 3, 2)])
def test_exact_log_z_equals_enumeration_over_both_layers(n_v, n_h, q):
    model = random_model(n_v, n_h, q, seed=n_v + n_h + q)
    assert model.exact_log_partition() == pytest.approx(brute_log_z(model), abs=1e-10)
    assert model.exact_log_partition(max_elements=5) == pytest.approx(brute_log_z(model), abs=1e-10)


def test_gibbs_sampling_reproduces_the_exact_visible_distribution():
    model = random_model(2, 3, 3, seed=1)
    states = np.array(list(itertools.product(range(3), repeat=2)))
    log_p = -model.free_energy(model.one_hot(states)).numpy() - model.exact_log_partition()
    g = torch.Generator().manual_seed(0)
    n = 20000
    v = model.gibbs(model.one_hot(np.zeros((n, 2), dtype=int)), g, 30)
    s = model.states(v)
    counts = np.array([np.sum((s == st).all(1)) for st in states])
    expected = n * np.exp(log_p)
    chi2 = float(((counts - expected) ** 2 / expected).sum())
    assert np.exp(log_p).sum() == pytest.approx(1.0, abs=1e-12)
    assert chi2 < 30.0  # 8 degrees of freedom: P(chi2 > 30) ≈ 2e-4


@pytest.fixture(scope="module")
def three_prototypes():
    rng = np.random.default_rng(0)
    proto = rng.integers(3, size=(3, 10))
    X = proto[rng.integers(3, size=600)]
    X = np.where(rng.random(X.shape) < 0.1, rng.integers(3, size=X.shape), X)
    return X[:500], X[500:]


@pytest.fixture(scope="module")
def trained(three_prototypes):
    train, _ = three_prototypes
    with torch.random.fork_rng():
        torch.set_num_threads(1)
        return PottsRBM(8, n_states=3, n_iter=40, learning_rate=0.05, seed=0).fit(train)


def test_training_increases_the_exact_log_likelihood(trained, three_prototypes):
    train, test = three_prototypes
    start = PottsRBM(8, n_states=3, n_iter=0, seed=0).fit(train)
    assert trained.score(test) > start.score(test) + 2.0
    assert trained.score_estimate_ == "exact" and trained.log_z_method_ == "exact"
    # the data's own entropy bounds what any model can reach: 10 units, 3 prototypes, 10% noise
    assert trained.score(test) < -3.0


def test_bounds_bracket_the_exact_log_likelihood(trained, three_prototypes):
    train, test = three_prototypes
    exact = trained.score(test)
    inside = sum(trained.log_likelihood_bounds(test, n_betas=300, data=train, seed=s).contains(exact)
                 for s in range(20))
    assert inside >= 19
    est = raise_log_likelihood(trained, test[:20], n_betas=1000, data=train, seed=0)
    assert abs(est.mean() - trained.score(test[:20])) < 0.1


def test_ais_log_partition_of_a_potts_rbm(trained, three_prototypes):
    train, _ = three_prototypes
    exact = trained.potts_model().exact_log_partition()
    twin = PottsRBM(8, n_states=3, seed=0)
    twin.model_, twin.n_features_in_, twin.n_iter_ = trained.potts_model(), 10, 0
    value, err = twin.log_partition(method="ais", n_chains=100, n_betas=300, data=train, seed=3)
    assert abs(value - exact) < 4 * err + 0.02 and twin.score_estimate_ == "upper"


def test_save_load_and_sample(tmp_path, trained, three_prototypes):
    _, test = three_prototypes
    trained.save(tmp_path / "p.npz")
    back = PottsRBM.load(tmp_path / "p.npz")
    np.testing.assert_array_equal(back.score_samples(test), trained.score_samples(test))
    np.testing.assert_array_equal(back.components_, trained.components_)
    s = back.sample(50, n_steps=50, seed=1)
    assert s.shape == (50, 10) and s.min() >= 0 and s.max() <= 2


def test_bad_input_gets_one_line_errors(trained, three_prototypes):
    _, test = three_prototypes
    with pytest.raises(ValueError, match=r"X\[0, 0\] = 3 is not a state of a Potts RBM with n_states=3"):
        trained.score_samples(np.full((2, 10), 3))
    with pytest.raises(ValueError, match="X has 9 features, but the Potts RBM has 10 visible units"):
        trained.transform(test[:, :9])
    with pytest.raises(ValueError, match=r"must hold integer states 0, ..., 2, but X\[0, 1\] = 0.5"):
        trained.score_samples(np.array([[0, 0.5] + [0] * 8]))
    with pytest.raises(ValueError, match="is not a state of a Potts RBM with n_states=2"):
        PottsRBM(2, n_states=2).fit(test)
    with pytest.raises(ValueError, match="betas must increase strictly"):
        log_likelihood_bounds(trained, test, betas=[0.0, 0.6, 0.5, 1.0])


@pytest.mark.slow
def test_raise_on_a_subsample_of_rows(trained, three_prototypes):
    """``raise_rows`` caps the rows RAISE runs on (a seeded random subsample); the lower value is
    every row's exact −F plus the subsample's mean of the reverse-chain part ℓ̂ + F, so it
    estimates the same all-row mean as the uncapped sandwich, with an error from the spread of that
    part. Its error is far below the naive one of subsampling the log-likelihoods themselves,
    std(log p)/√m (measured: 0.10-0.16 against 0.56 for 30 of 100 rows)."""
    train, test = three_prototypes
    naive = trained.score_samples(test).std(ddof=1) / np.sqrt(30)
    for seed in range(4):
        full = trained.log_likelihood_bounds(test, n_betas=300, data=train, seed=seed)
        cap = trained.log_likelihood_bounds(test, n_betas=300, data=train, seed=seed, raise_rows=30)
        assert (full.raise_rows, cap.raise_rows, cap.n_samples) == (100, 30, 100)
        assert cap.upper == full.upper and cap.log_z == full.log_z  # AIS still scores every row
        # the two lower values estimate one quantity with independent reverse chains
        assert abs(cap.lower - full.lower) < 4 * np.hypot(cap.lower_error, full.lower_error)
        assert cap.lower_error < naive / 2
    assert "(RAISE, lower on 30 of 100 rows)" in cap.summary()
    assert "(RAISE, lower)" in full.summary()
    same = trained.log_likelihood_bounds(test, n_betas=50, data=train, seed=1, raise_rows=100)
    assert same == trained.log_likelihood_bounds(test, n_betas=50, data=train, seed=1)
    with pytest.raises(ValueError, match="raise_rows must be"):
        trained.log_likelihood_bounds(test, raise_rows=1)
