"""RBM model, samplers, training drivers and estimator against exact results on tiny models."""

from __future__ import annotations

import itertools
import json
import math
import zipfile

import numpy as np
import pytest
import torch
from scipy import integrate, special, stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from physml._core import ModelFileError, derive_seed, torch_generator
from physml.ebm import (
    RBM,
    CDSampler,
    EarlyStopping,
    GibbsChains,
    ParallelTempering,
    PCDSampler,
    RBMModel,
    RBMTrainer,
    TemperedChains,
    as_rbm_model,
    exact_log_partition,
    geometric_betas,
    log_likelihood,
    log_likelihood_gradient,
    make_sampler,
    validation_metric,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def random_model(n_v, n_h, *, seed, scale=1.0, visible="bernoulli"):
    rng = np.random.default_rng(seed)
    log_sigma = torch.tensor(rng.normal(0, 0.3, n_v)) if visible == "gaussian" else None
    return RBMModel(
        torch.tensor(rng.normal(0, scale, (n_h, n_v))),
        torch.tensor(rng.normal(0, 1, n_v)),
        torch.tensor(rng.normal(0, 1, n_h)),
        visible=visible,
        log_sigma=log_sigma,
    )


def all_states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def energy_np(model, v, h):
    """The documented energies, written out independently of the library."""
    w, b, c = model.weights.numpy(), model.visible_bias.numpy(), model.hidden_bias.numpy()
    if model.visible == "bernoulli":
        return -(v @ b) - (h @ c) - np.einsum("...j,ji,...i->...", h, w, v)
    s = np.exp(model.log_sigma.numpy())
    return np.sum((v - b) ** 2 / (2 * s**2), -1) - (h @ c) - np.einsum("...j,ji,...i->...", h, w, v / s)


def exact_visible_distribution(model, beta=1.0):
    """p_β(v) ∝ Σ_h exp(−β E(v, h)) over all visible states (Bernoulli)."""
    v, h = all_states(model.n_visible), all_states(model.n_hidden)
    log_p = np.logaddexp.reduce(-beta * energy_np(model, v[:, None, :], h[None, :, :]), axis=1)
    return v, np.exp(log_p - np.logaddexp.reduce(log_p))


def chi_square_pvalue(samples, probs):
    """Goodness of fit of binary samples to an exact distribution over all states (states with
    expected count < 5 pooled into one bin)."""
    n_v = samples.shape[1]
    codes = (samples.astype(np.int64) * (1 << np.arange(n_v)[::-1])).sum(1)
    counts = np.bincount(codes, minlength=2**n_v)
    expected = len(samples) * probs
    small = expected < 5
    if small.any():
        counts = np.append(counts[~small], counts[small].sum())
        expected = np.append(expected[~small], expected[small].sum())
    return stats.chisquare(counts, expected).pvalue


def steps_to_mix(model, beta=1.0, eps=1e-7):
    """Sweeps after which the block Gibbs chain on v is within eps of stationarity:
    λ₂^t / √π_min < eps, λ₂ the second eigenvalue modulus of the exact transition matrix."""
    v, h = all_states(model.n_visible), all_states(model.n_hidden)
    e = -beta * energy_np(model, v[:, None, :], h[None, :, :])  # (states_v, states_h)
    p_h_given_v = np.exp(e - np.logaddexp.reduce(e, axis=1, keepdims=True))
    p_v_given_h = np.exp(e - np.logaddexp.reduce(e, axis=0, keepdims=True)).T
    transition = p_h_given_v @ p_v_given_h
    lam = np.sort(np.abs(np.linalg.eigvals(transition)))[-2]
    _, pi = exact_visible_distribution(model, beta)
    return int(math.ceil(math.log(eps * math.sqrt(pi.min())) / math.log(lam)))


# -- energies and conditionals -------------------------------------------------------------------


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_energy_and_free_energy_identity(visible):
    model = random_model(4, 5, seed=1, visible=visible)
    h = all_states(5)
    if visible == "bernoulli":
        v = all_states(4)
    else:
        v = np.random.default_rng(0).normal(size=(10, 4))
    e = energy_np(model, v[:, None, :], h[None, :, :])
    vt, ht = torch.tensor(v), torch.tensor(h)
    got = model.energy(vt[:, None, :].expand(-1, len(h), -1), ht[None].expand(len(v), -1, -1))
    np.testing.assert_allclose(got.numpy(), e, atol=1e-12)
    # F(v) = −log Σ_h exp(−E(v, h))
    np.testing.assert_allclose(model.free_energy(vt).numpy(), -np.logaddexp.reduce(-e, axis=1), atol=1e-12)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_hidden_conditional_matches_ratios_of_boltzmann_weights(visible):
    model = random_model(3, 4, seed=2, visible=visible)
    h = all_states(4)
    v = all_states(3) if visible == "bernoulli" else np.random.default_rng(1).normal(size=(5, 3))
    e = energy_np(model, v[:, None, :], h[None, :, :])
    exact = np.exp(-e - np.logaddexp.reduce(-e, axis=1, keepdims=True))  # p(h | v) by enumeration
    p = model.hidden_probs(torch.tensor(v)).numpy()
    factorised = np.prod(np.where(h[None] == 1, p[:, None, :], 1 - p[:, None, :]), -1)
    np.testing.assert_allclose(factorised, exact, atol=1e-12)
    # at inverse temperature β the logits scale by β
    pb = model.hidden_probs(torch.tensor(v), 0.3).numpy()
    eb = -0.3 * e
    exact_b = np.exp(eb - np.logaddexp.reduce(eb, axis=1, keepdims=True))
    np.testing.assert_allclose(
        np.prod(np.where(h[None] == 1, pb[:, None, :], 1 - pb[:, None, :]), -1), exact_b, atol=1e-12
    )


def test_bernoulli_visible_conditional_matches_ratios():
    model = random_model(4, 3, seed=3)
    v, h = all_states(4), all_states(3)
    e = energy_np(model, v[None, :, :], h[:, None, :])  # (h, v)
    exact = np.exp(-e - np.logaddexp.reduce(-e, axis=1, keepdims=True))
    p = model.visible_mean(torch.tensor(h)).numpy()
    factorised = np.prod(np.where(v[None] == 1, p[:, None, :], 1 - p[:, None, :]), -1)
    np.testing.assert_allclose(factorised, exact, atol=1e-12)
    log_p = model.log_prob_visible_given_hidden(torch.tensor(v)[None], torch.tensor(h)[:, None]).numpy()
    np.testing.assert_allclose(log_p, np.log(exact), atol=1e-12)


def test_gaussian_visible_conditional_is_the_normalised_boltzmann_weight():
    model = random_model(1, 3, seed=4, visible="gaussian")
    for h in all_states(3):
        ht = torch.tensor(h)[None]
        centre = model.visible_mean(ht).item()  # the integrand is negligible beyond ±20σ of it
        width = 20 * math.exp(model.log_sigma.item())
        norm, _ = integrate.quad(
            lambda x, h=h: math.exp(-energy_np(model, np.array([x]), h)),
            centre - width,
            centre + width,
            epsabs=0,
            epsrel=1e-13,
            limit=200,
        )
        for x in (-1.3, 0.2, 2.5):
            got = model.log_prob_visible_given_hidden(torch.tensor([[x]], dtype=torch.float64), ht).item()
            assert got == pytest.approx(-energy_np(model, np.array([x]), h) - math.log(norm), abs=1e-9)
    # several units: log-density ratios are energy differences
    model = random_model(3, 2, seed=5, visible="gaussian")
    rng = np.random.default_rng(0)
    v1, v2 = rng.normal(size=(2, 3))
    h = np.array([1.0, 0.0])
    lp = model.log_prob_visible_given_hidden(torch.tensor(np.stack([v1, v2])), torch.tensor(h)).numpy()
    assert lp[0] - lp[1] == pytest.approx(energy_np(model, v2, h) - energy_np(model, v1, h), abs=1e-12)


# -- sampling -----------------------------------------------------------------------------------


def test_block_gibbs_reproduces_the_exact_visible_distribution():
    model = random_model(4, 3, seed=6, scale=1.0)
    n_steps = steps_to_mix(model)
    assert n_steps < 200
    g = torch_generator(0)
    v0 = torch.bernoulli(torch.full((20000, 4), 0.5, dtype=torch.float64), generator=g)
    samples = model.gibbs(v0, g, n_steps).numpy()
    _, pi = exact_visible_distribution(model)
    assert chi_square_pvalue(samples, pi) > 1e-4
    # a wrong target must be rejected with the same statistics (the test has power)
    _, pi_hot = exact_visible_distribution(model, beta=0.7)
    assert chi_square_pvalue(samples, pi_hot) < 1e-4


def test_tempered_gibbs_samples_exp_minus_beta_e():
    model = random_model(4, 3, seed=7, scale=1.2)
    beta = 0.4
    n_steps = steps_to_mix(model, beta)
    g = torch_generator(1)
    v0 = torch.bernoulli(torch.full((20000, 4), 0.5, dtype=torch.float64), generator=g)
    samples = model.gibbs(v0, g, n_steps, beta=beta).numpy()
    assert chi_square_pvalue(samples, exact_visible_distribution(model, beta)[1]) > 1e-4


def test_gaussian_gibbs_reproduces_the_exact_marginal():
    model = random_model(1, 3, seed=8, scale=0.8, visible="gaussian")
    w, b, c = model.weights.numpy(), model.visible_bias.numpy(), model.hidden_bias.numpy()
    s = np.exp(model.log_sigma.numpy())
    h = all_states(3)
    u = h @ w  # (8, 1)
    log_pi = h @ c + (b * u / s + u**2 / 2).sum(1)  # p(h) from the closed-form v integral
    pi = np.exp(log_pi - np.logaddexp.reduce(log_pi))
    means = (b + s * u)[:, 0]

    def cdf(x):
        return np.sum(pi * stats.norm.cdf((np.asarray(x)[..., None] - means) / s[0]), -1)

    g = torch_generator(2)
    v0 = torch.randn(20000, 1, generator=g, dtype=torch.float64)
    samples = model.gibbs(v0, g, 100).numpy()[:, 0]
    assert stats.kstest(samples, cdf).pvalue > 1e-4
    shifted = samples + 0.1 * s[0]
    assert stats.kstest(shifted, cdf).pvalue < 1e-4  # power against a small shift


def test_parallel_tempering_replicas_sample_their_tempered_distributions():
    model = random_model(4, 3, seed=9, scale=1.5)
    betas = [1.0, 0.6, 0.3]
    n_steps = 3 * max(steps_to_mix(model, b) for b in betas)
    sampler = ParallelTempering(k=1, n_chains=6000, betas=betas)
    g = torch_generator(3)
    start = torch.bernoulli(torch.full((6000, 4), 0.5, dtype=torch.float64), generator=g)
    state = sampler.init_state(model, start, g)
    assert sampler.sample(state, n_steps, model=model) is state and state.steps == n_steps
    for i, beta in enumerate(betas):
        samples = state.visible[i].numpy()
        assert chi_square_pvalue(samples, exact_visible_distribution(model, beta)[1]) > 1e-4
    acc = state.swap_acceptance()
    assert acc.shape == (2,) and np.all((acc > 0) & (acc < 1))
    assert np.all(state.attempted > 0)


def test_ladders():
    np.testing.assert_allclose(geometric_betas(3, 0.25), [1.0, 0.5, 0.25])
    with pytest.raises(ValueError, match="betas must be strictly decreasing"):
        ParallelTempering(betas=[1.0, 0.5, 0.7])
    with pytest.raises(ValueError, match="betas must be strictly decreasing"):
        ParallelTempering(betas=[0.9, 0.5])
    with pytest.raises(ValueError, match="method must be one of"):
        make_sampler("hmc")
    assert isinstance(make_sampler("cd"), CDSampler) and isinstance(make_sampler("pcd"), PCDSampler)


# -- gradients and training --------------------------------------------------------------------


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_gradient_equals_autograd_of_the_free_energy_difference(visible):
    model = random_model(5, 4, seed=10, visible=visible)
    rng = np.random.default_rng(0)
    if visible == "bernoulli":
        v_pos, v_neg = (torch.tensor(rng.integers(0, 2, (n, 5)).astype(float)) for n in (7, 9))
    else:
        v_pos, v_neg = (torch.tensor(rng.normal(size=(n, 5))) for n in (7, 9))
    grads = log_likelihood_gradient(
        model, v_pos, model.hidden_probs(v_pos), v_neg, model.hidden_probs(v_neg), learn_sigma=True
    )
    params = {k: p.clone().requires_grad_(True) for k, p in model.parameters().items()}
    twin = RBMModel(
        params["weights"],
        params["visible_bias"],
        params["hidden_bias"],
        visible=visible,
        log_sigma=params.get("log_sigma"),
    )
    objective = twin.free_energy(v_neg).mean() - twin.free_energy(v_pos).mean()
    objective.backward()
    assert set(grads) == set(params)
    for name, p in params.items():
        np.testing.assert_allclose(grads[name].numpy(), p.grad.numpy(), atol=1e-12, err_msg=name)


def test_fast_update_equals_the_general_update():
    data = torch.tensor(np.random.default_rng(0).integers(0, 2, (30, 6)).astype(float))
    out = []
    for momentum in (0.0, 1e-9):  # 0 takes the in-place fast path
        model = random_model(6, 4, seed=11, scale=0.3)
        trainer = RBMTrainer(
            model,
            CDSampler(1),
            learning_rate=0.1,
            batch_size=30,
            weight_decay=0.01,
            momentum=momentum,
            generator=torch_generator(5),
        )
        trainer.step(data)
        out.append(model.parameters())
    for name in out[0]:
        np.testing.assert_allclose(out[0][name].numpy(), out[1][name].numpy(), atol=1e-9, err_msg=name)


def bars_and_stripes(n=3):
    patterns = set()
    for bits in itertools.product([0, 1], repeat=n):
        rows = np.repeat(np.array(bits)[:, None], n, 1)
        patterns.add(tuple(rows.ravel()))
        patterns.add(tuple(rows.T.ravel()))
    return np.array(sorted(patterns), dtype=float)


@pytest.mark.parametrize(
    "method, options",
    [
        ("cd", dict(learning_rate=0.1)),
        ("pcd", dict(learning_rate=0.05, n_chains=100)),
        ("pt", dict(learning_rate=0.1, n_chains=20, n_temperatures=5, beta_min=0.2)),
    ],
)
def test_training_increases_the_exact_log_likelihood(method, options):
    patterns = bars_and_stripes()  # 14 patterns on 9 pixels; the best model has LL = −log 14
    data = np.tile(patterns, (10, 1))
    start = RBM(8, method=method, n_iter=0, dtype="float64", seed=0, **options).fit(data)
    rbm = RBM(
        8, method=method, n_iter=250, batch_size=14, momentum=0.5, dtype="float64", seed=0, **options
    ).fit(data)
    ll0, ll1 = start.score(patterns), rbm.score(patterns)
    assert ll0 == pytest.approx(-9 * math.log(2), abs=0.01)  # nearly uniform at initialisation
    assert ll1 > ll0 + 2.0  # of the 3.6 nats between uniform and perfect
    assert ll1 < -math.log(14) + 1e-9
    if method == "pt":
        acc = rbm.swap_acceptance_
        assert acc.shape == (4,) and np.all((acc > 0) & (acc < 1))
        np.testing.assert_allclose(rbm.betas_, geometric_betas(5, 0.2))


def test_gaussian_rbm_learns_sigma_and_increases_likelihood():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 600)
    x = np.where(labels[:, None] == 1, [1.5, 1.0], [-1.5, -0.5]) + 0.4 * rng.normal(size=(600, 2))
    start = RBM(4, visible="gaussian", n_iter=0, dtype="float64").fit(x)
    rbm = RBM(
        4,
        visible="gaussian",
        n_iter=50,
        learning_rate=0.01,
        batch_size=20,
        momentum=0.5,
        learn_sigma=True,
        weight_scale=0.1,
        dtype="float64",
    ).fit(x)
    assert rbm.score(x) > start.score(x) + 1.0
    # the true mixture has entropy 2·½log(2πe·0.16) + log 2 = 1.70 nats: no model can beat it by much
    assert rbm.score(x) < -1.70 + 0.1
    np.testing.assert_allclose(rbm.sigma_, 0.4, rtol=0.2)
    fixed = RBM(4, visible="gaussian", n_iter=2, sigma=0.7, dtype="float64").fit(x)
    np.testing.assert_allclose(fixed.sigma_, 0.7)
    tempered = RBM(
        4,
        visible="gaussian",
        method="pt",
        n_iter=20,
        learning_rate=0.01,
        batch_size=20,
        momentum=0.5,
        learn_sigma=True,
        weight_scale=0.1,
        n_temperatures=4,
        beta_min=0.3,
        dtype="float64",
    ).fit(x)
    assert tempered.score(x) > start.score(x) + 1.0
    assert np.all((tempered.swap_acceptance_ > 0) & (tempered.swap_acceptance_ < 1))


def test_early_stopping_stops_and_restores_the_best_parameters():
    model = random_model(3, 2, seed=0)
    scores = iter([1.0, 3.0, 2.0, 2.5, 2.9, 0.0])
    stopper = EarlyStopping(lambda m: next(scores), patience=3, tol=0.0)
    epochs = 0
    while epochs < 6:
        model.weights.add_(1.0)
        epochs += 1
        if stopper.update(model):
            break
    assert epochs == 5 and stopper.best == 3.0
    stopper.restore(model)
    np.testing.assert_allclose(model.weights.numpy(), random_model(3, 2, seed=0).weights.numpy() + 2.0)

    x = np.tile(bars_and_stripes(), (10, 1))
    rbm = RBM(6, early_stopping=True, n_iter=50, n_iter_no_change=3, tol=1e9, seed=0).fit(x)
    assert rbm.n_iter_ == 4 and len(rbm.validation_scores_) == 4
    assert rbm.best_validation_score_ == max(rbm.validation_scores_)


def test_linear_schedule_decays_the_learning_rate_to_zero():
    patterns = bars_and_stripes()
    data = np.tile(patterns, (10, 1))  # 140 rows, batch 14: 10 updates per epoch
    rbm = RBM(6, n_iter=5, batch_size=14, learning_rate=0.1, learning_rate_schedule="linear",
              dtype="float64", seed=0).fit(data)
    trainer = rbm.trainer_
    assert trainer.decay_updates == 50 and trainer.updates_done == 50
    assert trainer.current_learning_rate() == 0.0
    # at zero learning rate, further epochs leave the parameters unchanged
    before = rbm.components_.copy()
    rbm.partial_fit(data)
    np.testing.assert_array_equal(rbm.components_, before)
    # halfway through, epsilon is half the initial value
    half = RBM(6, n_iter=4, batch_size=14, learning_rate=0.1, learning_rate_schedule="linear", seed=0)
    half.partial_fit(data)
    half.partial_fit(data)
    assert half.trainer_.current_learning_rate() == pytest.approx(0.05)
    with pytest.raises(ValueError, match="learning_rate_schedule"):
        RBM(2, learning_rate_schedule="cosine").fit(data)


# -- estimator API ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def binary_data():
    return np.random.default_rng(0).integers(0, 2, (60, 12)).astype(np.float32)


def test_sklearn_api(binary_data):
    rbm = RBM(5, n_iter=3, batch_size=10, method="pt", n_temperatures=3, seed=3)
    params = rbm.get_params()
    assert params["n_components"] == 5 and params["method"] == "pt"
    twin = clone(rbm)
    assert twin.get_params() == params and not hasattr(twin, "components_")
    with pytest.raises(NotFittedError):
        rbm.transform(binary_data)
    rbm.fit(binary_data)
    assert rbm.components_.shape == (5, 12) and rbm.components_.dtype == np.float32
    assert rbm.intercept_hidden_.shape == (5,) and rbm.intercept_visible_.shape == (12,)
    assert rbm.n_features_in_ == 12 and rbm.n_iter_ == 3
    t = rbm.transform(binary_data)
    assert t.shape == (60, 5) and np.all((t > 0) & (t < 1))
    np.testing.assert_allclose(rbm.fit_transform(binary_data), t, atol=1e-6)  # same seed, same fit
    s = rbm.sample(7, n_steps=5, seed=1)
    assert s.shape == (7, 12) and set(np.unique(s)) <= {0.0, 1.0}
    np.testing.assert_array_equal(s, rbm.sample(7, n_steps=5, seed=1))
    assert rbm.gibbs(binary_data[:4]).shape == (4, 12)
    assert rbm.sample(3, n_steps=2, init=binary_data[:3]).shape == (3, 12)
    assert rbm.free_energy(binary_data).shape == (60,) and rbm.pseudo_likelihood(binary_data).shape == (60,)
    # determinism and dependence on the seed
    np.testing.assert_array_equal(clone(rbm).fit(binary_data).components_, rbm.components_)
    assert not np.allclose(clone(rbm).set_params(seed=4).fit(binary_data).components_, rbm.components_)


def test_as_rbm_model_is_the_one_conversion_from_estimator_to_model(binary_data):
    rbm = RBM(3, n_iter=1, batch_size=20, seed=0)
    with pytest.raises(NotFittedError, match="RBM instance is not fitted yet"):
        as_rbm_model(rbm)
    with pytest.raises(NotFittedError):
        exact_log_partition(rbm)
    rbm.fit(binary_data)
    assert as_rbm_model(rbm) is rbm.model_ is rbm.rbm_model()
    assert as_rbm_model(rbm.model_) is rbm.model_
    assert exact_log_partition(rbm) == exact_log_partition(rbm.model_)

    class Lookalike:  # has the estimator's attributes but is not one: no duck typing
        model_ = rbm.model_

        def rbm_model(self):
            return self.model_

        def _model(self):
            return self.model_

    for other in (Lookalike(), rbm.components_, None):
        with pytest.raises(TypeError, match="rbm must be a physml RBM or RBMModel, got"):
            as_rbm_model(other)


def test_partial_fit_continues_training(binary_data):
    rbm = RBM(4, batch_size=20, seed=0)
    rbm.partial_fit(binary_data[:20])
    first = rbm.components_.copy()
    assert rbm.n_iter_ == 1
    rbm.partial_fit(binary_data[20:])
    assert rbm.n_iter_ == 2 and not np.allclose(first, rbm.components_)
    with pytest.raises(ValueError, match="X has 3 features, but the RBM has 12 visible units"):
        rbm.partial_fit(binary_data[:, :3])
    # fit = n_iter epochs of the same updates as partial_fit on the full data
    a = RBM(4, n_iter=2, batch_size=20, seed=0, dtype="float64").fit(binary_data)
    b = RBM(4, n_iter=2, batch_size=20, seed=0, dtype="float64")
    b.partial_fit(binary_data).partial_fit(binary_data)
    np.testing.assert_allclose(a.components_, b.components_, atol=1e-12)


def test_score_samples_uses_exact_or_ais_log_z(binary_data):
    rbm = RBM(6, n_iter=2, batch_size=10, dtype="float64").fit(binary_data)
    ll = rbm.score_samples(binary_data)
    assert rbm.log_z_method_ == "exact" and rbm.log_z_stderr_ == 0.0
    np.testing.assert_allclose(ll, log_likelihood(rbm, binary_data, exact_log_partition(rbm)), atol=1e-12)
    total = np.exp(rbm.score_samples(all_states(12))).sum()
    assert total == pytest.approx(1.0, abs=1e-10)
    assert rbm.score(binary_data) == pytest.approx(ll.mean())
    # refitting invalidates the cached log Z
    rbm.partial_fit(binary_data)
    assert not hasattr(rbm, "log_z_")
    big = RBM(26, n_iter=1, batch_size=30).fit(np.tile(np.eye(26, dtype=np.float32), (2, 1)))
    value, err = big.log_partition(n_betas=300, n_chains=50)
    assert big.log_z_method_ == "ais" and err > 0
    assert big.score_samples(np.eye(26)).shape == (26,)
    with pytest.raises(ValueError, match="limit is 25 units"):
        big.log_partition("exact")


def test_save_load_round_trip_without_pickle(tmp_path, binary_data):
    rbm = RBM(
        5,
        n_iter=2,
        batch_size=10,
        visible="gaussian",
        learn_sigma=True,
        learning_rate=0.01,
        sigma=[0.5] * 12,
        seed=2,
    ).fit(binary_data + 0.1)
    rbm.log_partition()
    path = tmp_path / "rbm.npz"
    rbm.save(path)
    loaded = RBM.load(path)
    assert loaded.get_params() == {**rbm.get_params(), "sigma": [0.5] * 12}
    for name in ("components_", "intercept_hidden_", "intercept_visible_", "sigma_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(rbm, name))
    assert loaded.log_z_ == rbm.log_z_ and loaded.n_iter_ == 2
    np.testing.assert_array_equal(loaded.score_samples(binary_data), rbm.score_samples(binary_data))
    # the file is a zip of plain .npy arrays: nothing in it can run code when loaded
    with zipfile.ZipFile(path) as z:
        assert all(name.endswith(".npy") for name in z.namelist())
    with np.load(path, allow_pickle=False) as z:
        assert all(z[k].dtype != object for k in z.files)
        header = json.loads(str(z["meta"]))
        assert (header["format"], header["format_version"]) == ("physml.ebm.RBM", 2)
    loaded.partial_fit(binary_data + 0.1)  # training can continue
    # a file with a pickled object array is refused
    evil = tmp_path / "evil.npz"
    np.savez(evil, meta=np.array([{"x": 1}], dtype=object), weights=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="pickled object array"):
        RBM.load(evil)


def test_bad_input_is_rejected_with_clear_messages(binary_data):
    x = binary_data.copy()
    x[3, 7] = 0.5
    message = r"X\[3, 7\] = .*0\.5.*values must be 0 or 1; binarise e\.g\. with X > 0\.5"
    with pytest.raises(ValueError, match=message):
        RBM(4).fit(x)
    x[3, 7] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 non-finite value\(s\).*index \(3, 7\)"):
        RBM(4).fit(x)
    with pytest.raises(ValueError, match="X must have 2 dimension"):
        RBM(4).fit(binary_data[0])
    rbm = RBM(4, n_iter=1).fit(binary_data)
    with pytest.raises(ValueError, match="X has 11 features, but the RBM has 12 visible units"):
        rbm.transform(binary_data[:, :11])
    with pytest.raises(ValueError, match="RBM: method='gibbs' is not accepted; accepted: one of 'cd', 'pcd'"):
        RBM(4, method="gibbs").fit(binary_data)
    with pytest.raises(ValueError, match="visible='poisson' is not accepted; accepted: one of"):
        RBM(4, visible="poisson").fit(binary_data)
    with pytest.raises(ValueError, match=r"n_components=0 is not accepted; accepted: an int in \[1, inf\)"):
        RBM(0).fit(binary_data)
    with pytest.raises(ValueError, match="dtype='float16' is not accepted; accepted: 'float32' or 'float64'"):
        RBM(4, dtype="float16").fit(binary_data)
    with pytest.raises(ValueError, match="device"):
        RBM(4, device="tpu").fit(binary_data)
    # Gaussian visibles accept real data but not NaN
    RBM(3, visible="gaussian", n_iter=1).fit(binary_data * 3.7)
    with pytest.raises(ValueError, match="non-finite"):
        RBM(3, visible="gaussian").fit(np.full((4, 2), np.inf))
    with pytest.raises(ValueError, match="log_sigma is only used"):
        RBMModel(torch.zeros(2, 3), torch.zeros(3), torch.zeros(2), log_sigma=torch.zeros(3))
    # bool data is accepted as binary
    RBM(3, n_iter=1).fit(binary_data > 0.5)


def test_device_auto_and_float32_model():
    rbm = RBM(3, n_iter=1, device="auto").fit(np.eye(4))
    assert rbm.model_.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert rbm.model_.dtype == torch.float32
    logits = special.logit(np.clip(np.eye(4).mean(0), 1e-3, 1 - 1e-3))
    # visible biases start at the data's base-rate log-odds (Hinton's guide)
    start = RBM(3, n_iter=0).fit(np.eye(4))
    np.testing.assert_allclose(start.intercept_visible_, logits, rtol=1e-6)


@pytest.mark.slow
def test_bfloat16_training_matches_full_precision_statistically():
    # mixed precision changes the rounding of every conditional and update; the trained models'
    # exact log-likelihoods must agree with full-precision training within the seed-to-seed spread
    patterns = bars_and_stripes()
    data = np.tile(patterns, (10, 1))
    settings = dict(method="pcd", learning_rate=0.1, n_chains=100, n_iter=300, batch_size=14, momentum=0.0)
    scores = {}
    for precision in ("full", "bfloat16"):
        fits = [RBM(8, train_precision=precision, seed=s, **settings).fit(data) for s in range(3)]
        assert all(f.model_.matmul_dtype is None for f in fits)  # evaluation runs in float32
        scores[precision] = np.array([f.score(patterns) for f in fits])
    full, half = scores["full"], scores["bfloat16"]
    assert np.all(half > -9 * math.log(2) + 2.0)  # it learns (uniform is -6.24 nats, perfect -2.64)
    se = math.sqrt(full.var(ddof=1) / 3 + half.var(ddof=1) / 3)
    assert abs(full.mean() - half.mean()) < 4 * se + 0.05
    with pytest.raises(ValueError, match="train_precision='half' is not accepted; accepted: one of 'full'"):
        RBM(4, train_precision="half").fit(data)


def test_matmul_weights_follow_in_place_updates():
    model = random_model(5, 3, seed=2, scale=0.5)
    model.matmul_dtype = torch.bfloat16
    first = model.matmul_weights()
    assert first.dtype == torch.bfloat16
    model.weights.add_(1.0)
    second = model.matmul_weights()
    torch.testing.assert_close(second.float(), model.weights.float(), rtol=2**-7, atol=0)
    v = torch.ones(2, 5, dtype=model.dtype)
    x = model.hidden_input(v)
    assert x.dtype == model.dtype
    model.matmul_dtype = None
    torch.testing.assert_close(x, model.hidden_input(v), rtol=2e-2, atol=2e-2)


# -- the model contract: given parameters, sub-seeds, old files, explicit chain states ------------


def exact_log_probabilities(model):
    """log p(v) of every visible state of a Bernoulli RBM by enumerating every (v, h)."""
    v, h = all_states(model.n_visible), all_states(model.n_hidden)
    log_w = np.logaddexp.reduce(-energy_np(model, v[:, None, :], h[None, :, :]), axis=1)
    return v, log_w - np.logaddexp.reduce(log_w)


def test_from_parameters_scores_a_tiny_rbm_exactly():
    model = random_model(3, 2, seed=12, scale=1.5)
    w, b, c = (t.numpy() for t in (model.weights, model.visible_bias, model.hidden_bias))
    rbm = RBM.from_parameters(w, b, c, dtype="float64")
    v, exact = exact_log_probabilities(model)
    np.testing.assert_allclose(rbm.score_samples(v), exact, rtol=0, atol=1e-12)
    log_z, err = rbm.log_partition()
    assert err == 0.0 and rbm.log_z_method_ == "exact"
    every_state = -energy_np(model, v[:, None], all_states(2)[None]).ravel()
    assert log_z == pytest.approx(np.logaddexp.reduce(every_state), abs=1e-12)
    np.testing.assert_array_equal(rbm.components_, w)
    assert rbm.n_features_in_ == 3 and rbm.n_iter_ == 0 and rbm.n_components == 2
    # the float32 default keeps the float32 values of the parameters
    assert RBM.from_parameters(w, b, c).components_.dtype == np.float32
    with pytest.raises(ValueError, match=r"shapes \(3,\) and \(2,\)"):
        RBM.from_parameters(w, c, b)
    with pytest.raises(ValueError, match="non-finite"):
        RBM.from_parameters(w * np.nan, b, c)


def test_from_parameters_of_a_gaussian_rbm_integrates_to_its_density():
    model = random_model(1, 2, seed=13, scale=0.8, visible="gaussian")
    sigma = np.exp(model.log_sigma.numpy())
    rbm = RBM.from_parameters(model.weights.numpy(), model.visible_bias.numpy(), model.hidden_bias.numpy(),
                              visible="gaussian", sigma=sigma, dtype="float64")
    np.testing.assert_array_equal(rbm.sigma_, sigma)
    h = all_states(2)

    def weight(x):
        return np.exp(np.logaddexp.reduce(-energy_np(model, np.array([x]), h)))

    z, _ = integrate.quad(weight, -30, 30, epsabs=0, epsrel=1e-12, limit=400)
    x = np.array([[-1.2], [0.3], [2.0]])
    expected = [math.log(weight(xi[0]) / z) for xi in x]
    np.testing.assert_allclose(rbm.score_samples(x), expected, rtol=0, atol=1e-9)
    with pytest.raises(ValueError, match=r"sigma must be a float or have shape \(1,\)"):
        RBM.from_parameters(model.weights.numpy(), model.visible_bias.numpy(), model.hidden_bias.numpy(),
                            visible="gaussian", sigma=[1.0, 2.0])


def _close(a, b, err_msg=""):
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6, err_msg=err_msg)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_an_rbm_from_a_fitted_ones_parameters_behaves_identically(tmp_path, binary_data, visible):
    x = binary_data if visible == "bernoulli" else binary_data + 0.1
    extra = {"learn_sigma": True, "learning_rate": 0.01} if visible == "gaussian" else {}
    fitted = RBM(5, visible=visible, n_iter=2, batch_size=10, seed=4, **extra).fit(x)
    sigma = fitted.sigma_ if visible == "gaussian" else 1.0
    given = RBM.from_parameters(fitted.components_, fitted.intercept_visible_, fitted.intercept_hidden_,
                                visible=visible, sigma=sigma)
    # identical for Bernoulli units; Gaussian ones store log σ, and log(exp(log σ)) may differ from
    # log σ in the last float32 bit
    same = np.testing.assert_array_equal if visible == "bernoulli" else _close
    for method in ("score_samples", "transform", "free_energy"):
        same(getattr(given, method)(x), getattr(fitted, method)(x), err_msg=method)
    same(given.log_partition(), fitted.log_partition())
    same(given.sample(6, n_steps=4, seed=3), fitted.sample(6, n_steps=4, seed=3))
    same(given.gibbs(x[:3], seed=1), fitted.gibbs(x[:3], seed=1))
    given.save(tmp_path / "given.npz")
    back = RBM.load(tmp_path / "given.npz")
    np.testing.assert_array_equal(back.score_samples(x), given.score_samples(x))
    back.partial_fit(x)  # and it trains on from there
    assert back.n_iter_ == 1 and not np.array_equal(back.components_, fitted.components_)


def test_sub_seeds_come_from_the_seed_sequence(binary_data):
    seed = 7
    rbm = RBM(4, n_iter=2, batch_size=10, n_chains=10, seed=seed, dtype="float64").fit(binary_data)
    p = np.clip(binary_data.mean(axis=0, dtype=np.float64), 1e-3, 1 - 1e-3)
    model = RBMModel.initialise(12, 4, visible_bias=np.log(p) - np.log1p(-p), seed=seed, dtype="float64")
    trainer = RBMTrainer(model, PCDSampler(1, 10), learning_rate=0.1, batch_size=10,
                         generator=torch_generator(derive_seed(seed, "rbm-training")))
    trainer.run(model.as_tensor(binary_data), 2)
    np.testing.assert_array_equal(rbm.components_, model.weights.numpy())
    # the chains are the trainer's explicit state, not the sampler's
    assert isinstance(rbm.trainer_.chains, GibbsChains) and rbm.trainer_.chains.visible.shape == (10, 12)
    assert set(vars(rbm.trainer_.sampler)) == {"k", "n_chains"}
    # the early-stopping split is drawn from its own derived seed
    stopped = RBM(4, n_iter=1, early_stopping=True, validation_fraction=0.25, seed=seed, dtype="float64")
    stopped.fit(binary_data)
    order = np.random.default_rng(derive_seed(seed, "rbm-validation")).permutation(60)
    valid = stopped.model_.as_tensor(binary_data[order[:15]])
    assert stopped.validation_scores_ == [validation_metric(stopped.model_, valid)]


def test_parallel_tempering_state_lives_in_the_trainer(binary_data):
    rbm = RBM(4, method="pt", n_temperatures=3, n_chains=8, n_iter=2, batch_size=20, seed=0).fit(binary_data)
    chains = rbm.trainer_.chains
    assert isinstance(chains, TemperedChains) and chains.visible.shape == (3, 8, 12)
    # 2 epochs of 3 batches: 6 transitions, each proposing swaps of 8 replicas in one of the 2 pairs
    assert chains.steps == 6 and chains.attempted.tolist() == [24, 24]
    np.testing.assert_array_equal(rbm.swap_acceptance_, chains.swap_acceptance())


def _old_file(path, rbm, **fitted):
    """The file physml 0.1's RBM.save wrote: one JSON string with the format "physml.ebm.RBM/1",
    the parameters and the fitted scalars side by side, and the parameter arrays."""
    meta = {"format": "physml.ebm.RBM/1", "params": rbm.get_params(), "n_features_in_": rbm.n_features_in_,
            "n_iter_": rbm.n_iter_, "validation_scores_": list(rbm.validation_scores_), **fitted}
    arrays = {k: v.detach().cpu().numpy() for k, v in rbm.model_.parameters().items()}
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)


@pytest.mark.parametrize("visible", ["bernoulli", "gaussian"])
def test_files_of_the_first_format_still_load(tmp_path, binary_data, visible):
    x = binary_data if visible == "bernoulli" else binary_data + 0.1
    sigma = [0.5] * 12 if visible == "gaussian" else 1.0
    rbm = RBM(5, visible=visible, sigma=sigma, n_iter=2, batch_size=10, learning_rate=0.01, seed=2).fit(x)
    log_z, _ = rbm.log_partition()
    path = tmp_path / "old.npz"
    _old_file(path, rbm, log_z_=log_z, log_z_stderr_=0.0, log_z_method_="exact")
    old = RBM.load(path)
    assert old.get_params() == rbm.get_params() and old.n_iter_ == 2 and old.log_z_ == log_z
    for method in ("score_samples", "transform"):
        np.testing.assert_array_equal(getattr(old, method)(x), getattr(rbm, method)(x), err_msg=method)
    # saved again, it is a file of the current format (version 2)
    old.save(tmp_path / "new.npz")
    with np.load(tmp_path / "new.npz") as z:
        assert json.loads(str(z["meta"]))["format_version"] == 2
    np.testing.assert_array_equal(RBM.load(tmp_path / "new.npz").score_samples(x), rbm.score_samples(x))
    old.partial_fit(x)
    assert old.n_iter_ == 3


def test_array_and_tuple_parameters_come_back_from_a_file(tmp_path, binary_data):
    """Regression: RBM.load passed the stored (tagged) parameters on undecoded, so an array
    sigma came back as {'__array__': ..., 'dtype': ...}."""
    x = binary_data + 0.1
    sigma = np.linspace(0.4, 0.9, 12)
    rbm = RBM(5, visible="gaussian", sigma=sigma, method="pt", betas=(1.0, 0.8, 0.5), n_iter=2, batch_size=10,
              learning_rate=0.01, dtype=torch.float64, device=torch.device("cpu"), seed=2).fit(x)
    rbm.save(tmp_path / "rbm.npz")
    back = RBM.load(tmp_path / "rbm.npz")
    assert back.betas == (1.0, 0.8, 0.5) and back.sigma.dtype == np.float64
    assert repr(back.get_params()) == repr({**rbm.get_params(), "dtype": "float64", "device": "cpu"})
    for method in ("score_samples", "transform"):
        np.testing.assert_array_equal(getattr(back, method)(x), getattr(rbm, method)(x), err_msg=method)
    np.testing.assert_array_equal(back.sample(4, n_steps=3, seed=1), rbm.sample(4, n_steps=3, seed=1))
    assert RBM.load(tmp_path / "rbm.npz", device="cpu").device == "cpu"


def test_a_newer_format_or_another_models_file_is_refused(tmp_path, binary_data):
    rbm = RBM(3, n_iter=1, seed=0).fit(binary_data)
    rbm.save(tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as z:
        arrays = {k: z[k] for k in z.files}
    header = json.loads(str(arrays.pop("meta")))
    np.savez(tmp_path / "v3.npz", meta=np.array(json.dumps({**header, "format_version": 3})), **arrays)
    with pytest.raises(ModelFileError, match=r"format version 3; .* reads versions 1, 2; upgrade physml"):
        RBM.load(tmp_path / "v3.npz")
    with pytest.raises(ValueError, match="numpy Generator"):
        RBM(3, n_iter=1, seed=np.random.default_rng(0)).fit(binary_data).save(tmp_path / "g.npz")


# -- divergence, memory, bfloat16 fallback, progress, the reliability of AIS (issue 22) ------------


@pytest.mark.parametrize("learning_rate", [1e6, 1e3])
def test_a_diverging_fit_raises_naming_the_learning_rate(binary_data, learning_rate):
    from physml.ebm._rbm_training import DIVERGENCE_BOUND, TrainingDiverged

    rbm = RBM(8, learning_rate=learning_rate, n_iter=20, batch_size=10, seed=0)
    expected = rf"diverged at epoch 1 \(max \|weights\| = .* > 100\); lower learning_rate={learning_rate:g}"
    with pytest.raises(TrainingDiverged, match=expected.replace("+", r"\+") + ", e.g. to 0.1") as info:
        rbm.fit(binary_data)
    exc = info.value
    assert isinstance(exc, FloatingPointError) and exc.epoch == 1 and exc.parameter == "weights"
    assert exc.learning_rate == learning_rate and exc.suggested_learning_rate == 0.1
    # one step moves a weight by up to ε times a gradient entry in [-1, 1]: ε = 1e3 lands beyond the bound
    assert float(rbm.model_.weights.abs().max()) > DIVERGENCE_BOUND
    # a rate that diverged although small gets a tenth of itself, to one significant figure
    assert TrainingDiverged(3, "weights", "x", 0.37).suggested_learning_rate == 0.04


def test_nan_parameters_stop_training_and_large_given_ones_do_not(binary_data):
    from physml.ebm._rbm_training import TrainingDiverged

    model = random_model(12, 4, seed=1)
    w = model.weights.numpy() * 300.0  # weights trained elsewhere, beyond the bound, may train on
    rbm = RBM.from_parameters(w, model.visible_bias.numpy(), model.hidden_bias.numpy(), learning_rate=0.01)
    rbm.partial_fit(binary_data)
    assert np.isfinite(rbm.components_).all()
    rbm.model_.hidden_bias[0] = float("nan")
    with pytest.raises(TrainingDiverged, match=r"diverged at epoch 2 \(\w+ became NaN or infinite\)"):
        rbm.partial_fit(binary_data)


def test_training_memory_is_counted_and_a_model_too_big_is_refused_before_allocating(binary_data,
                                                                                      monkeypatch):
    from physml.ebm import _rbm_model

    # W is drawn in float64 and copied to float32 (12 bytes a weight); with momentum the trainer
    # holds W, its gradient, a temporary and the velocity (16 bytes a weight) -- the larger counts
    need = _rbm_model.training_memory_bytes(100, 1000, n_samples=50, batch_size=10, n_chains=10,
                                            momentum=True)
    assert need == 100 * 1000 * 16 + (50 * 100 + 2 * 20 * 1100) * 4
    assert _rbm_model.training_memory_bytes(100, 1000, dtype="float64") == 100 * 1000 * 16 + 2 * 1100 * 8
    monkeypatch.setattr(_rbm_model, "device_memory_bytes", lambda device: 64 * 2**30)
    rbm = RBM(10**9, n_iter=1)
    with pytest.raises(MemoryError, match=r"training a 12-1000000000 RBM \(float32\) on 60 samples needs at "
                       r"least 283\.1 GiB of memory, but this machine has 64\.0 GiB"):
        rbm.fit(binary_data)
    assert "model_" not in rbm.__dict__
    small = RBM(4, n_iter=1, seed=0).fit(binary_data)
    with pytest.raises(MemoryError, match=r"sampling 10000000000 chains of a 12-4 RBM needs at least 2\.3 "):
        small.sample(10**10)
    with pytest.raises(MemoryError, match=r"AIS with 10000000000 runs on a 12-4 RBM needs at least 4\.7 TiB"):
        small.log_partition("ais", n_chains=10**10)


@pytest.mark.parametrize("native", [False, True])
def test_bfloat16_without_hardware_support_warns_and_trains_in_float32(binary_data, monkeypatch, native):
    import warnings

    from physml._core._torch import CPUCapability
    from physml.ebm import _rbm

    monkeypatch.setattr(_rbm, "cpu_capability", lambda: CPUCapability("Test CPU", "AVX2", native))
    settings = dict(n_iter=3, batch_size=10, seed=4, learning_rate=0.1)
    half = RBM(6, train_precision="bfloat16", **settings)
    if native:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            half.fit(binary_data)
        assert half.train_precision_ == "bfloat16" and half.trainer_.matmul_dtype == torch.bfloat16
        return
    with pytest.warns(RuntimeWarning, match=r"this CPU \(Test CPU, torch capability AVX2\) has no bfloat16 "
                      r"units .* training in full precision instead"):
        half.fit(binary_data)
    full = RBM(6, **settings).fit(binary_data)
    assert half.train_precision_ == "full" == full.train_precision_ and half.trainer_.matmul_dtype is None
    np.testing.assert_array_equal(half.components_, full.components_)  # exactly the float32 training


def test_verbose_shows_a_progress_bar_only_where_asked(binary_data, monkeypatch, capsys):
    monkeypatch.setenv("PHYSML_PROGRESS", "1")
    RBM(3, n_iter=4, verbose=True).fit(binary_data)
    assert "RBM epochs" in capsys.readouterr().err
    RBM(3, n_iter=4).fit(binary_data)
    assert capsys.readouterr().err == ""
    monkeypatch.delenv("PHYSML_PROGRESS")  # auto: standard error is captured here, not a terminal
    RBM(3, n_iter=4, verbose=True).fit(binary_data)
    assert capsys.readouterr().err == ""


def test_ais_reports_its_effective_sample_size():
    from physml.ebm import ais_log_partition

    model = random_model(30, 30, seed=5, scale=0.3)
    w, b, c = (t.numpy() for t in (model.weights, model.visible_bias, model.hidden_bias))
    rbm = RBM.from_parameters(w, b, c, dtype="float64", seed=7)
    log_z, err = rbm.log_partition("ais", n_chains=50, n_betas=2)
    _, _, log_w = ais_log_partition(model, n_chains=50, n_betas=2, seed=7, return_log_weights=True)
    weights = np.exp(log_w - log_w.max())
    assert rbm.log_z_ess_ == pytest.approx(weights.sum() ** 2 / (weights**2).sum(), rel=1e-12)
    assert not rbm.log_z_reliable_  # one step from independent units: a few runs carry the estimate
    rbm.log_partition("ais", n_chains=50, n_betas=500)
    assert rbm.log_z_reliable_ and rbm.log_z_ess_ > 25
    rbm.log_partition("ais", n_chains=2, n_betas=500)
    assert not rbm.log_z_reliable_  # two runs give an error bar, never a trustworthy one
