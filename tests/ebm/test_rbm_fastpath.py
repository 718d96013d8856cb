"""The fused update of a Bernoulli RBM (RBMTrainer: chains and data stacked in one workspace, one
product per phase group) against the textbook update written out phase by phase in numpy.

The reference draws its uniforms from a twin of the trainer's torch generator in the order of
block Gibbs sampling (p(h|v) uniforms, then p(v|h) uniforms, sweep by sweep), so the samples are
the same 0/1 values and the parameters agree to float64 rounding: a few hundred operations of
relative error 2^-53 on numbers of order one, far below the 1e-10 asked for, while any slip in
a scale, a sign, the momentum or the chain bookkeeping moves them by at least ε/n ~ 1e-2.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physml._core import torch_generator
from physml.ebm import RBM, CDSampler, PCDSampler, RBMModel, RBMTrainer
from physml.ebm._rbm import _training_data
from physml.ebm._rbm_samplers import ParallelTempering
from physml.ebm._rbm_training import log_likelihood_gradient

N_V, N_H = 7, 5


def _model(seed=3, dtype=torch.float64):
    rng = np.random.default_rng(seed)
    return RBMModel(torch.tensor(rng.normal(0, 0.5, (N_H, N_V)), dtype=dtype),
                    torch.tensor(rng.normal(0, 0.5, N_V), dtype=dtype),
                    torch.tensor(rng.normal(0, 0.5, N_H), dtype=dtype))


def _data(n=20, seed=1):
    return np.random.default_rng(seed).integers(0, 2, (n, N_V)).astype(np.float64)


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class Textbook:
    """CD-k / PCD-k with momentum and weight decay, phase by phase (Hinton's practical guide)."""

    def __init__(self, model, *, method, k, n_chains, lr, weight_decay, momentum, seed):
        self.w, self.b, self.c = (p.numpy().copy()
                                  for p in (model.weights, model.visible_bias, model.hidden_bias))
        self.method, self.k, self.n_chains = method, k, n_chains
        self.lr, self.wd, self.mu = lr, weight_decay, momentum
        self.g = torch_generator(seed)
        self.vel = [np.zeros_like(p) for p in (self.w, self.b, self.c)]
        self.v_neg = self.h_neg = None

    def uniform(self, shape):
        return torch.rand(shape, generator=self.g, dtype=torch.float64).numpy()

    def hidden(self, v):
        return _sigmoid(self.c + v @ self.w.T)

    def step(self, v_pos):
        h_pos = self.hidden(v_pos)
        if self.method == "cd" or self.v_neg is None:
            m = len(v_pos) if self.method == "cd" else self.n_chains
            reps = -(-m // len(v_pos))
            v_neg, h_neg = np.tile(v_pos, (reps, 1))[:m], np.tile(h_pos, (reps, 1))[:m]
        else:
            v_neg, h_neg = self.v_neg, self.h_neg
        for _ in range(self.k):
            h = (self.uniform(h_neg.shape) < h_neg).astype(float)
            v_neg = (self.uniform((len(h), N_V)) < _sigmoid(self.b + h @ self.w)).astype(float)
            h_neg = self.hidden(v_neg)
        self.v_neg, self.h_neg = v_neg, h_neg
        n, m = len(v_pos), len(v_neg)
        grads = [h_pos.T @ v_pos / n - h_neg.T @ v_neg / m - self.wd * self.w,
                 v_pos.mean(0) - v_neg.mean(0), h_pos.mean(0) - h_neg.mean(0)]
        for p, vel, g in zip((self.w, self.b, self.c), self.vel, grads, strict=True):
            vel *= self.mu
            vel += self.lr * g
            p += vel

    def epoch(self, data, batch_size):
        order = torch.randperm(len(data), generator=self.g).numpy()
        for start in range(0, len(data), batch_size):
            self.step(data[order[start:start + batch_size]])


def _pair(method, k, momentum, *, n_chains=4, batch_size=6, seed=5):
    model = _model()
    settings = dict(lr=0.1, weight_decay=0.01, momentum=momentum)
    ref = Textbook(model, method=method, k=k, n_chains=n_chains, seed=seed, **settings)
    sampler = CDSampler(k) if method == "cd" else PCDSampler(k, n_chains)
    trainer = RBMTrainer(model, sampler, learning_rate=settings["lr"], batch_size=batch_size,
                         weight_decay=settings["weight_decay"], momentum=momentum,
                         generator=torch_generator(seed))
    return model, trainer, ref


def _assert_same(model, ref):
    for got, want, name in zip((model.weights, model.visible_bias, model.hidden_bias), (ref.w, ref.b, ref.c),
                               ("weights", "visible_bias", "hidden_bias"), strict=True):
        np.testing.assert_allclose(got.numpy(), want, rtol=0, atol=1e-10, err_msg=name)


@pytest.mark.parametrize("momentum", [0.0, 0.5])
@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_fused_step_equals_the_textbook_update(method, k, momentum):
    model, trainer, ref = _pair(method, k, momentum)
    data = _data()
    for rows in (slice(0, 6), slice(6, 15), slice(15, 18)):  # the workspace grows for 9 rows, then shrinks
        trainer.step(torch.tensor(data[rows]))
        ref.step(data[rows])
        _assert_same(model, ref)
        np.testing.assert_array_equal(trainer.chains.samples.numpy(), ref.v_neg)
        np.testing.assert_allclose(trainer.chains.hidden_probs.numpy(), ref.h_neg, rtol=0, atol=1e-12)
    assert trainer.updates_done == 3


@pytest.mark.parametrize("method", ["cd", "pcd"])
def test_an_epoch_gathers_its_batches_like_the_textbook(method):
    model, trainer, ref = _pair(method, 1, 0.5, batch_size=6)
    data = _data(20)  # batches of 6, 6, 6 and 2 rows
    for _ in range(2):
        trainer.epoch(torch.tensor(data))
        ref.epoch(data, 6)
    _assert_same(model, ref)
    assert trainer.updates_done == 8


def test_chains_given_from_outside_are_taken_into_the_workspace():
    model, trainer, ref = _pair("pcd", 1, 0.0)
    data = _data()
    trainer.step(torch.tensor(data[:6]))
    ref.step(data[:6])
    start = data[10:13]  # 3 rows repeated to the 4 chains
    trainer.chains = trainer.sampler.init_state(model, torch.tensor(start), trainer.generator)
    assert not trainer.chains.in_place
    ref.v_neg = np.tile(start, (2, 1))[:4]
    ref.h_neg = ref.hidden(ref.v_neg)
    trainer.step(torch.tensor(data[6:12]))
    ref.step(data[6:12])
    _assert_same(model, ref)
    assert trainer.chains.in_place
    # the sampler alone (outside a trainer) makes new tensors and leaves its start alone
    rows = torch.tensor(data[:5])
    state = CDSampler(2).init_state(model, rows, 0)
    CDSampler(2).sample(state, 1, model=model)
    np.testing.assert_array_equal(rows.numpy(), data[:5])
    assert state.visible is not rows


def test_parallel_tempering_takes_the_same_fused_update_as_the_gradient_says():
    model = _model()
    before = model.clone()
    trainer = RBMTrainer(model, ParallelTempering(1, 4, n_temperatures=3, beta_min=0.5), learning_rate=0.1,
                         batch_size=6, weight_decay=0.01, momentum=0.5, generator=torch_generator(2))
    v_pos = torch.tensor(_data()[:6])
    trainer.step(v_pos)
    v_neg = trainer.chains.samples  # the β = 1 replicas the update used
    grads = log_likelihood_gradient(before, v_pos, before.hidden_probs(v_pos), v_neg,
                                    before.hidden_probs(v_neg))
    grads["weights"] -= 0.01 * before.weights
    for name, p in model.parameters().items():  # first update: velocity = ε g
        np.testing.assert_allclose(p.numpy(), (before.parameters()[name] + 0.1 * grads[name]).numpy(),
                                   rtol=0, atol=1e-12, err_msg=name)


def test_bfloat16_products_round_the_update_only():
    # with bfloat16 operands (8 significant bits, relative error <= 2^-9 per rounding) each entry
    # of ε g_W = Σ_r s_r h_r v_r (Σ_r |s_r| = 2ε) is off by at most 2ε·2^-9 from the rounding of
    # the operand s h, and as much again from the rounding of the product: 4ε·2^-9 = ε/128
    model = _model(dtype=torch.float32)
    trainer = RBMTrainer(model, PCDSampler(1, 4), learning_rate=0.1, batch_size=6,
                         generator=torch_generator(5), matmul_dtype=torch.bfloat16)
    data = torch.tensor(_data(), dtype=torch.float32)
    trainer.step(data[:6])
    before = model.clone()
    before.matmul_dtype = torch.bfloat16
    trainer.step(data[6:12])
    v_pos, v_neg, h_neg = data[6:12].double(), trainer.chains.visible.double(), trainer.chains.hidden.double()
    h_pos = before.hidden_probs(data[6:12]).double()
    step = 0.1 * (h_pos.T @ v_pos / 6 - h_neg.T @ v_neg / 4)
    change = (model.weights - before.weights).double()
    assert float((change - step).abs().max()) <= 0.1 / 128 + 1e-6  # 1e-6: the float32 sum W + ΔW
    assert float((change - step).abs().max()) < float(step.abs().max()) / 10  # the update itself is there
    assert model.matmul_dtype is None  # restored after the step


@pytest.mark.parametrize("method", ["pcd", "pt"])
def test_one_byte_data_trains_as_it_is_and_exactly_like_its_float_copy(method):
    x = _data(40).astype(bool)
    settings = dict(method=method, n_iter=2, batch_size=8, momentum=0.5, seed=0, n_temperatures=3)
    compact = RBM(4, **settings).fit(x)
    full = RBM(4, **settings).fit(x.astype(np.float32))
    np.testing.assert_array_equal(compact.components_, full.components_)  # the same values, batch by batch
    np.testing.assert_array_equal(compact.intercept_hidden_, full.intercept_hidden_)
    assert _training_data(compact.model_, x).dtype == torch.bool  # held as it is: the compact path ran
    a, b = RBM(4, **settings), RBM(4, **settings)
    a.partial_fit(x.astype(np.uint8))
    b.partial_fit(x.astype(np.float64))
    np.testing.assert_array_equal(a.components_, b.components_)
