"""Each trainer's reported outcome is what the physml.training rule decides on the trainer's own
recorded validation curve: the best epoch or step, where it stopped, the learning-rate drops.
Small real runs of the four trainers with early stopping (FlowDensity, train_autoencoders,
train_to_convergence, RBM), each replayed through the matching rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from physml.training import EarlyStopping, ReduceOnPlateau

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def replay(rule, values, n_members=None):
    state = rule.init(n_members)
    for v in values:
        state, d = rule.update(state, v)
        if np.all(d.stop):
            break
    return state


def test_flow_density():
    pytest.importorskip("zuko")
    from physml import flows

    rng = np.random.default_rng(0)
    x = rng.standard_normal((300, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]])
    est = flows.FlowDensity(
        "maf",
        transforms=1,
        hidden_features=(8,),
        batch_size=32,
        learning_rate=2e-2,
        max_epochs=60,
        patience=3,
        seed=1,
    ).fit(x)
    curve = est.history_["validation"]
    state = replay(EarlyStopping(patience=3, rtol=1e-6), curve)
    assert bool(state.stopped), "the run should stop early, or it tests nothing"
    assert est.best_epoch_ == int(state.best_index)
    assert est.n_epochs_ == len(curve) == int(state.stop_index) + 1


def test_train_autoencoders():
    from physml.nets import TiedAutoencoderEnsemble, train_autoencoders

    rng = np.random.default_rng(2)
    z = rng.standard_normal((4, 160, 2))
    x = (z @ rng.standard_normal((2, 6)) + 0.3 * rng.standard_normal((4, 160, 6))).astype(np.float32)
    model = TiedAutoencoderEnsemble(4, 6, 2, seed=3)
    run = train_autoencoders(
        model,
        x[:, :120],
        validation=x[:, 120:],
        epochs=80,
        batch_size=16,
        learning_rate=3e-2,
        patience=3,
        seed=4,
    )
    state = replay(EarlyStopping(patience=3), run.validation_loss, n_members=4)
    n_run = len(run.validation_loss)
    np.testing.assert_array_equal(run.best_epoch, state.best_index + 1)
    np.testing.assert_array_equal(run.stopped_epoch, np.where(state.stopped, state.stop_index + 1, n_run))
    assert state.stopped.any(), "some member should stop early, or this tests nothing"


def test_train_to_convergence():
    from physml._core import torch_generator
    from physml.scaling import train_to_convergence

    rng = np.random.default_rng(1)
    w = np.array([1.0, -2.0, 0.5])

    def data(n):
        x = rng.standard_normal((n, 3)).astype(np.float32)
        y = (x @ w + 0.1 * rng.standard_normal(n)).astype(np.float32)
        return torch.from_numpy(x), torch.from_numpy(y[:, None])

    x, y = data(200)
    xv, yv = data(400)
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    run = train_to_convergence(
        model,
        x,
        y,
        xv,
        yv,
        torch.nn.functional.mse_loss,
        batch_size=20,
        learning_rate=0.05,
        generator=torch_generator(3),
        patience=3,
        max_lr_drops=2,
        drop_factor=0.2,
        rel_tol=1e-3,
        max_steps=20_000,
    )
    rule = ReduceOnPlateau(EarlyStopping(patience=3, rtol=1e-3), factor=0.2, max_drops=2)
    state = rule.init(0.05)
    for value in run.curve[:, 1]:
        state, d = rule.update(state, value)
        if d.stop:
            break
    assert run.converged and bool(state.stopping.stopped)
    assert state.stopping.count == len(run.curve)
    assert run.best_step == run.curve[int(state.stopping.best_index), 0]
    assert run.val_loss == float(state.stopping.best)
    assert run.lr_drops == int(state.drops) == 2


def test_rbm():
    from physml.ebm import RBM

    rng = np.random.default_rng(5)
    prototypes = rng.random((3, 16)) < 0.5
    x = prototypes[rng.integers(0, 3, 400)] ^ (rng.random((400, 16)) < 0.05)
    rbm = RBM(
        8,
        learning_rate=0.1,
        batch_size=20,
        n_iter=60,
        method="cd",
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=2,
        tol=1e-3,
        seed=6,
        dtype="float64",
    )
    rbm.fit(x.astype(np.float64))
    scores = rbm.validation_scores_
    state = replay(EarlyStopping(patience=2, mode="max", atol=1e-3, update_best="any"), scores)
    assert bool(state.stopped), "the run should stop early, or it tests nothing"
    assert rbm.n_iter_ == len(scores) == int(state.stop_index) + 1
    assert rbm.best_validation_score_ == float(state.best)
