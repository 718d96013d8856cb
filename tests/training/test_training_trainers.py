"""The trainers on top of physml.training: the corner cases where moving onto the shared rules
changed a trainer (negative tol refused, rel_tol on both sides of zero, a NaN loss before
training), physml.ebm.EarlyStopping as an adapter over the rule, and the RBM trainer's
learning rate as a schedule that follows its settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from physml._core import torch_generator
from physml.ebm import RBM, CDSampler, EarlyStopping, RBMModel, RBMTrainer
from physml.scaling import train_to_convergence
from physml.training import ConstantSchedule, LinearSchedule, StoppingState

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _regression(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(n)).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y[:, None])


def _converge(loss, **kw):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x, y = _regression(200, 1)
    xv, yv = _regression(300, 2)
    args = dict(batch_size=20, learning_rate=0.05, generator=torch_generator(3), max_steps=3000)
    args.update(kw)
    return model, train_to_convergence(model, x, y, xv, yv, loss(model), **args)


def test_converge_takes_the_first_finite_loss_as_best_after_a_nan_start():
    def loss(model):
        evaluations = []

        def f(out, y):
            value = torch.nn.functional.mse_loss(out, y)
            if not model.training:  # an evaluation; the one before training is NaN
                evaluations.append(1)
                if len(evaluations) == 1:
                    return value * math.nan
            return value

        return f

    _, run = _converge(loss)
    assert math.isnan(run.curve[0, 1])
    # the old loop compared everything with NaN: no improvement, val_loss NaN, best_step 0
    assert math.isfinite(run.val_loss) and run.best_step > 0
    assert run.val_loss == run.curve[run.curve[:, 0] == run.best_step, 1][0]
    assert run.converged and run.lr_drops == 2


def test_converge_applies_rel_tol_below_zero():
    def shifted(model):
        return lambda out, y: torch.nn.functional.mse_loss(out, y) - 100.0  # a loss in [-100, inf)

    # rel_tol 0.5 of |best| > 45 asks for a loss below about -140: nothing improves on the
    # start, so three plateaus of patience 2 end training (the old loop ignored rel_tol
    # below zero and took every strict decrease as an improvement)
    _, run = _converge(shifted, rel_tol=0.5, patience=2, max_lr_drops=2)
    assert run.best_step == 0 and run.converged and run.lr_drops == 2
    assert len(run.curve) == 1 + 2 * 3
    assert run.val_loss == run.curve[0, 1] < 0
    # without a margin the same shifted loss improves like the unshifted one
    _, plain = _converge(shifted, rel_tol=0.0, patience=2, max_lr_drops=2)
    assert plain.best_step > 0 and plain.val_loss < run.val_loss


@pytest.mark.parametrize("tol", [-1e-4, -1.0])
def test_negative_tol_is_refused(tol):
    with pytest.raises(ValueError, match="tol"):
        EarlyStopping(lambda m: 0.0, tol=tol)
    x = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(float)
    with pytest.raises(ValueError, match="tol"):
        RBM(3, early_stopping=True, tol=tol, n_iter=2).fit(x)


def _model():
    g = torch.Generator().manual_seed(0)
    w = 0.1 * torch.randn(3, 5, generator=g, dtype=torch.float64)
    return RBMModel(w, torch.zeros(5, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))


def test_rbm_early_stopping_adapter_reads_the_rule_state():
    scores = iter([1.0, 1.00005, 2.0, 1.5, 2.00001, 1.0, 1.0])
    model = _model()
    stopper = EarlyStopping(lambda m: next(scores), patience=3, tol=1e-4)
    assert stopper.best == -math.inf and stopper.bad_epochs == 0
    assert isinstance(stopper.state, StoppingState)
    steps = []
    for epoch in range(7):
        with torch.no_grad():
            model.weights.fill_(epoch)  # epoch k leaves W = k
        stop = stopper.update(model)
        steps.append((stopper.best, stopper.bad_epochs, stop))
        if stop:
            break
    # 1.00005 and 2.00001 move the best (and the copy) without restarting the patience
    assert steps == [(1.0, 0, False), (1.00005, 1, False), (2.0, 0, False), (2.0, 1, False),
                     (2.00001, 2, False), (2.00001, 3, True)]
    assert stopper.scores == [1.0, 1.00005, 2.0, 1.5, 2.00001, 1.0]
    stopper.restore(model)
    assert torch.all(model.weights == 4.0)  # the epoch of 2.00001


def test_rbm_trainer_schedule_follows_its_settings():
    trainer = RBMTrainer(_model(), CDSampler(1), learning_rate=0.3, batch_size=4,
                         generator=torch_generator(0))
    assert trainer.schedule == ConstantSchedule(0.3) and trainer.current_learning_rate() == 0.3
    trainer.decay_updates = 6
    assert trainer.schedule == LinearSchedule(0.3, 0.0, 6)
    trainer.updates_done = 2
    assert trainer.current_learning_rate() == 0.3 * (1.0 - 2 / 6)
    trainer.learning_rate = 0.6
    assert trainer.current_learning_rate() == 0.6 * (1.0 - 2 / 6)
    trainer.updates_done = 9
    assert trainer.current_learning_rate() == 0.0
    trainer.decay_updates = None
    assert trainer.current_learning_rate() == 0.6
    with pytest.raises(ValueError, match="decay_updates"):
        trainer.decay_updates = 0
    with pytest.raises(ValueError, match="learning_rate"):
        trainer.learning_rate = -1.0
