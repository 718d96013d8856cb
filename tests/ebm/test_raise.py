"""RAISE, the RAISE/AIS sandwich of the log-likelihood and the adaptive annealing schedule,
against exact enumeration on small RBMs."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from physml.ebm import (
    RBM,
    RBMModel,
    adaptive_betas,
    ais_log_partition,
    annealing_betas,
    exact_log_partition,
    log_likelihood_bounds,
    raise_log_likelihood,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


@pytest.fixture(scope="module")
def prototypes():
    """500 training and 100 test rows of 16 bits: four prototypes with 5% of the bits flipped."""
    rng = np.random.default_rng(0)
    proto = rng.random((4, 16)) < 0.5
    X = (proto[rng.integers(4, size=600)] ^ (rng.random((600, 16)) < 0.05)).astype(np.float64)
    return X[:500], X[500:]


@pytest.fixture(scope="module")
def trained(prototypes):
    """16-12 RBMs trained by PCD-1 and CD-1, with the exact mean test log-likelihood."""
    train, test = prototypes
    out = {}
    with torch.random.fork_rng():
        torch.set_num_threads(1)
        for method in ("pcd", "cd"):
            rbm = RBM(12, method=method, learning_rate=0.1, n_iter=60, batch_size=20, seed=1,
                      dtype="float64").fit(train)
            exact = float(np.mean(-rbm.free_energy(test) - exact_log_partition(rbm)))
            out[method] = (rbm, exact)
    return out


def test_raise_weights_are_unbiased_for_the_annealed_model():
    """E[ŵ] = p_ann(v) = (p_0 T_1 ... T_K)(v), computed with the transition matrices of the
    block Gibbs sweeps on a 4-3 RBM (every state enumerated)."""
    rng = np.random.default_rng(3)
    n_v, n_h = 4, 3
    model = RBMModel(torch.tensor(rng.normal(0, 2, (n_h, n_v))), torch.tensor(rng.normal(0, 1, n_v)),
                     torch.tensor(rng.normal(0, 1, n_h)))
    V, H = _states(n_v), _states(n_h)
    w, b, c = model.weights.numpy(), model.visible_bias.numpy(), model.hidden_bias.numpy()
    base = np.array([0.3, -0.5, 1.0, 0.0])

    def sweep(beta):
        ph = _sigmoid(beta * (V @ w.T + c))
        p_h = np.prod(np.where(H[None] == 1, ph[:, None, :], 1 - ph[:, None, :]), -1)
        pv = _sigmoid((1 - beta) * base + beta * (b + H @ w))
        p_v = np.prod(np.where(V[None] == 1, pv[:, None, :], 1 - pv[:, None, :]), -1)
        return p_h @ p_v

    betas = np.array([0.0, 0.3, 0.7, 1.0])
    p_ann = np.prod(np.where(V == 1, _sigmoid(base), _sigmoid(-base)), -1)
    for beta in betas[1:]:
        p_ann = p_ann @ sweep(beta)
    n = 20000
    _, log_w = raise_log_likelihood(model, V, n_chains=n, betas=betas, base_visible_bias=base, seed=1,
                                    return_log_weights=True)
    weights = np.exp(log_w)
    z = (weights.mean(1) - p_ann) / (weights.std(1, ddof=1) / np.sqrt(n))
    assert np.abs(z).max() < 4.5, z
    # and p_ann is not the model's p here (3 steps): the test can tell them apart
    log_f = V @ b + np.logaddexp(0, V @ w.T + c).sum(1)
    p = np.exp(log_f - np.logaddexp.reduce(log_f))
    assert np.abs(p_ann - p).max() > 0.05


def test_raise_converges_to_the_exact_log_likelihood_with_many_temperatures(trained, prototypes):
    rbm, exact = trained["cd"]
    _, test = prototypes
    est = raise_log_likelihood(rbm, test[:40], n_betas=2000, data=prototypes[0], seed=2)
    exact_rows = -rbm.free_energy(test[:40]) - exact_log_partition(rbm)
    # per row within 0.15 nats on average, the mean within 0.05
    assert np.mean(np.abs(est - exact_rows)) < 0.15
    assert abs(est.mean() - exact_rows.mean()) < 0.05


@pytest.mark.parametrize("method", ["pcd", "cd"])
def test_the_sandwich_brackets_the_exact_log_likelihood_in_95_percent_of_seeds(trained, prototypes, method):
    rbm, exact = trained[method]
    train, test = prototypes
    inside = 0
    for seed in range(20):
        bounds = log_likelihood_bounds(rbm, test, n_betas=300, data=train, seed=seed)
        inside += bounds.contains(exact, z=3.0)
        assert bounds.n_samples == 100 and bounds.n_betas == 300
        assert bounds.gap == pytest.approx(bounds.upper - bounds.lower)
    assert inside >= 19, inside


def test_ais_alone_overestimates_the_log_likelihood_of_a_pcd_rbm(trained, prototypes):
    """E[log Ẑ_AIS] ≤ log Z: with few temperatures the upper estimate is visibly too high."""
    rbm, exact = trained["pcd"]
    train, test = prototypes
    log_z = exact_log_partition(rbm)
    # the upper estimate minus the exact value is log Z − log Ẑ_AIS
    over = np.array([log_z - ais_log_partition(rbm, n_chains=100, n_betas=10, data=train, seed=s)[0]
                     for s in range(200)])
    assert over.mean() > 3 * over.std(ddof=1) / np.sqrt(len(over)), (over.mean(), over.std())
    assert np.mean(over > 0) > 0.5


def test_too_few_temperatures_are_flagged_wide_or_crossed(trained, prototypes):
    rbm, _ = trained["pcd"]
    train, test = prototypes
    coarse = log_likelihood_bounds(rbm, test, n_betas=5, data=train, tolerance=0.1, seed=0)
    assert coarse.wide or coarse.crossed
    fine = log_likelihood_bounds(rbm, test, n_betas=1000, data=train, tolerance=1.0, seed=0)
    assert not fine.wide and not fine.crossed
    assert "ok" in fine.summary() and "RAISE" in fine.summary()


def test_reusing_a_log_z_skips_ais(trained, prototypes):
    rbm, exact = trained["cd"]
    train, test = prototypes
    log_z = exact_log_partition(rbm)
    bounds = log_likelihood_bounds(rbm, test, n_betas=100, log_z=(log_z, 0.0), seed=0)
    assert bounds.upper == pytest.approx(exact, abs=1e-9) and bounds.upper_error == 0.0
    assert np.isnan(bounds.ais_ess)


def test_gaussian_rbm_sandwich_brackets_the_exact_log_density():
    rng = np.random.default_rng(5)
    rbm = RBM.from_parameters(rng.normal(0, 0.5, (6, 5)), rng.normal(0, 1, 5), rng.normal(0, 1, 6),
                              visible="gaussian", sigma=0.8, dtype="float64")
    x = rbm.sample(200, n_steps=50, seed=1)
    exact = float(np.mean(-rbm.free_energy(x) - exact_log_partition(rbm)))
    inside = sum(log_likelihood_bounds(rbm, x, n_betas=200, seed=s).contains(exact) for s in range(10))
    assert inside >= 9


def test_adaptive_schedule_lowers_the_spread_of_the_ais_log_weights(trained, prototypes):
    rbm, _ = trained["pcd"]
    train, _ = prototypes
    spread = {}
    for schedule in ("sigmoid", "adaptive"):
        sd = []
        for seed in range(10):
            betas = annealing_betas(rbm, 100, schedule, data=train, seed=100 + seed)
            _, _, log_w = ais_log_partition(rbm, n_chains=100, betas=betas, data=train, seed=seed,
                                            return_log_weights=True)
            sd.append(log_w.std())
        spread[schedule] = np.array(sd)
    diff = spread["sigmoid"] - spread["adaptive"]
    assert diff.mean() > 3 * diff.std(ddof=1) / np.sqrt(len(diff)), spread
    betas = adaptive_betas(rbm, 50, data=train, seed=0)
    assert betas.shape == (50,) and betas[0] == 0.0 and betas[-1] == 1.0 and np.all(np.diff(betas) > 0)


def test_estimator_says_which_estimate_its_scores_are(trained, prototypes):
    rbm, _ = trained["cd"]
    _, test = prototypes
    fresh = RBM.from_parameters(rbm.components_, rbm.intercept_visible_, rbm.intercept_hidden_,
                                dtype="float64")
    with pytest.raises(AttributeError, match="score_estimate_"):
        _ = fresh.score_estimate_
    fresh.score_samples(test)
    assert fresh.score_estimate_ == "exact"
    fresh.log_partition(method="ais", n_chains=10, n_betas=50)
    assert fresh.score_estimate_ == "upper"
    bounds = fresh.log_likelihood_bounds(test, n_betas=50)
    assert bounds.lower < bounds.upper + 3 * bounds.gap_error


def test_bad_input_gets_one_line_errors(trained, prototypes):
    rbm, _ = trained["cd"]
    _, test = prototypes
    with pytest.raises(ValueError, match="X has 15 features, but the RBM has 16 visible units"):
        log_likelihood_bounds(rbm, test[:, :15])
    bad = test.copy()
    bad[2, 3] = 0.5
    with pytest.raises(ValueError, match=r"X must be binary for a Bernoulli RBM, but X\[2, 3\] = 0.5"):
        raise_log_likelihood(rbm, bad)
    with pytest.raises(ValueError, match=r"betas must increase strictly from 0 to 1 \(betas\[2\] = 0.2"):
        log_likelihood_bounds(rbm, test, betas=[0.0, 0.5, 0.2, 1.0])
    with pytest.raises(ValueError, match="betas must increase strictly from 0 to 1"):
        raise_log_likelihood(rbm, test, betas=[0.1, 0.5, 1.0])
    with pytest.raises(ValueError, match="schedule"):
        raise_log_likelihood(rbm, test, schedule="cubic")
    with pytest.raises(ValueError, match="single row needs raise_chains >= 2"):
        log_likelihood_bounds(rbm, test[:1])
    for message in (str(e) for e in _errors(rbm, test)):
        assert "\n" not in message


def _errors(rbm, test):
    out = []
    for call in (lambda: log_likelihood_bounds(rbm, test[:, :15]),
                 lambda: log_likelihood_bounds(rbm, test, betas=[0.0, 0.5, 0.2, 1.0])):
        try:
            call()
        except ValueError as exc:
            out.append(exc)
    assert len(out) == 2
    return out


def test_reverse_ais_from_exact_samples_bounds_log_z_from_above():
    """E[log Ẑ_rev] ≥ log Z for exact model samples (drawn here by enumerating 2^12 states)."""
    from physml.ebm import reverse_ais_log_partition

    rng = np.random.default_rng(0)
    proto = rng.random((4, 12)) < 0.5
    X = (proto[rng.integers(4, size=600)] ^ (rng.random((600, 12)) < 0.05)).astype(np.float64)
    rbm = RBM(10, method="pcd", learning_rate=0.1, n_iter=60, batch_size=20, seed=1, dtype="float64").fit(X)
    log_z = exact_log_partition(rbm)
    V = _states(12)
    p = np.exp(-rbm.free_energy(V) - log_z)
    p /= p.sum()
    for n_betas in (10, 100):
        dev, err = [], []
        for s in range(20):
            samples = V[np.random.default_rng(s).choice(len(V), size=200, p=p)]
            z, e = reverse_ais_log_partition(rbm, samples, n_betas=n_betas, data=X, seed=s)
            dev.append(z - log_z)
            err.append(e)
        dev, err = np.array(dev), np.array(err)
        assert dev.mean() > -3 * dev.std(ddof=1) / np.sqrt(len(dev)), (n_betas, dev)
        assert np.sum(np.abs(dev) < 3 * err) >= 18, (n_betas, dev, err)
    # the persistent chains of the training are accepted as (approximate) samples
    z, e = reverse_ais_log_partition(rbm, rbm.trainer_.chains.samples.numpy(), n_betas=300, data=X, seed=0)
    assert np.isfinite(z) and e > 0
    with pytest.raises(ValueError, match="at least 2 samples"):
        reverse_ais_log_partition(rbm, V[:1])
