"""The new pieces make the same decisions as each trainer's own loop did on the same sequence of
validation values. Each ``old_*`` function below is the decision logic of a trainer as written
before physml.training existed (commit d869378), copied with the training and the parameter
copies taken out; the curves are hand-made edge cases and many random noisy curves with ties,
sub-margin creeps and (where the trainer allowed them) NaNs."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from physml.training import EarlyStopping, ReduceOnPlateau

# ----------------------------------------------------------------------------------------------
# the old loops
# ----------------------------------------------------------------------------------------------


def old_rbm(scores, patience, tol):
    """physml.ebm.EarlyStopping.update (metric: higher is better), once per epoch; RBMTrainer.run
    breaks when it returns True."""
    best, best_epoch, bad_epochs, saves = -math.inf, None, 0, []
    for epoch, score in enumerate(scores):
        saved = False
        if score > best + tol:
            best, best_epoch, saved = score, epoch, True
            bad_epochs = 0
        else:
            if score > best:
                best, best_epoch, saved = score, epoch, True
            bad_epochs += 1
        saves.append(saved)
        if bad_epochs >= patience:
            return {"saves": saves, "best": best, "best_epoch": best_epoch, "epochs": epoch + 1}
    return {"saves": saves, "best": best, "best_epoch": best_epoch, "epochs": len(scores)}


def old_flow(validation, patience):
    """physml.flows.FlowDensity._train: the early-stopping part of each epoch."""
    best, best_state, best_epoch, waited, saves = math.inf, None, 0, 0, []
    for epoch, v in enumerate(validation):
        improved = math.isfinite(v) and (best_state is None or v < best - 1e-6 * abs(best))
        saves.append(improved)
        if improved:
            best, best_state, best_epoch, waited = v, "state", epoch, 0
        else:
            waited += 1
            if waited >= int(patience):
                break
    return {
        "saves": saves,
        "best": best,
        "best_epoch": best_epoch if best_state else None,
        "epochs": len(saves),
    }


def old_autoencoders(validation, patience, epochs):
    """physml.nets.train_autoencoders: per-member stopping after each epoch (``validation`` has
    shape (epochs, members))."""
    e = validation.shape[1]
    best_val = torch.full((e,), math.inf, dtype=torch.float64)
    best_epoch = np.full(e, epochs, dtype=int)
    stopped_epoch = np.full(e, 0, dtype=int)
    since = np.zeros(e, dtype=int)
    stopped = torch.zeros(e, dtype=torch.bool)
    saves = []
    n_run = 0
    for epoch in range(epochs):
        n_run += 1
        val = torch.from_numpy(validation[epoch])
        improved = (val < best_val) & ~stopped
        saves.append(improved.numpy().copy())
        if bool(improved.any()):
            best_val = torch.where(improved, val, best_val)
            best_epoch[improved.numpy()] = epoch + 1
        since = np.where(improved.numpy(), 0, since + 1)
        if patience is not None:
            newly = (since >= patience) & ~stopped.numpy()
            stopped_epoch[newly] = epoch + 1
            stopped |= torch.from_numpy(newly)
            if bool(stopped.all()):
                break
    stopped_epoch[stopped_epoch == 0] = n_run
    return {
        "saves": np.array(saves),
        "best_epoch": best_epoch,
        "stopped_epoch": stopped_epoch,
        "epochs": n_run,
        "best": best_val.numpy(),
    }


def old_converge(curve, patience, max_lr_drops, drop_factor, rel_tol, learning_rate):
    """physml.scaling.train_to_convergence: ``curve[0]`` is the evaluation before training, then
    one per ``eval_every`` steps (max_steps taken as never reached)."""
    lr = learning_rate
    best = curve[0]
    best_step, drops, since = 0, 0, 0
    converged = False
    saves, drop_at, lrs = [True], [], [lr]
    for i in range(1, len(curve)):
        current = curve[i]
        if current < best * (1.0 - rel_tol) if best > 0 else current < best:
            best, best_step, since = current, i, 0
            saves.append(True)
            lrs.append(lr)
            continue
        saves.append(False)
        since += 1
        if since >= patience:
            if drops >= max_lr_drops:
                converged = True
            else:
                drops += 1
                lr *= drop_factor
                drop_at.append(i)
                since = 0
        lrs.append(lr)
        if converged:
            break
    return {
        "saves": saves,
        "best": best,
        "best_index": best_step,
        "drops": drops,
        "drop_at": drop_at,
        "converged": converged,
        "lrs": lrs,
        "evaluations": len(saves),
    }


# ----------------------------------------------------------------------------------------------
# the same decisions from physml.training
# ----------------------------------------------------------------------------------------------


def new_rbm(scores, patience, tol):
    rule = EarlyStopping(patience=patience, mode="max", atol=tol, update_best="any")
    state, saves = rule.init(), []
    for score in scores:
        state, d = rule.update(state, score)
        saves.append(bool(d.improved))
        if d.stop:
            break
    best_epoch = int(state.best_index) if state.best_index >= 0 else None
    return {"saves": saves, "best": float(state.best), "best_epoch": best_epoch, "epochs": state.count}


def new_flow(validation, patience):
    rule = EarlyStopping(patience=patience, rtol=1e-6)
    state, saves = rule.init(), []
    for v in validation:
        state, d = rule.update(state, v)
        saves.append(bool(d.improved))
        if d.stop:
            break
    best_epoch = int(state.best_index) if state.best_index >= 0 else None
    return {"saves": saves, "best": float(state.best), "best_epoch": best_epoch, "epochs": state.count}


def new_autoencoders(validation, patience, epochs):
    rule = EarlyStopping(patience=patience)
    state, saves = rule.init(validation.shape[1]), []
    for epoch in range(epochs):
        state, d = rule.update(state, validation[epoch])
        saves.append(d.improved)
        if np.all(d.stop):
            break
    n_run = state.count
    return {
        "saves": np.array(saves),
        "best_epoch": np.where(state.best_index >= 0, state.best_index + 1, epochs),
        "stopped_epoch": np.where(state.stopped, state.stop_index + 1, n_run),
        "epochs": n_run,
        "best": state.best,
    }


def new_converge(curve, patience, max_lr_drops, drop_factor, rel_tol, learning_rate):
    rule = ReduceOnPlateau(
        EarlyStopping(patience=patience, rtol=rel_tol), factor=drop_factor, max_drops=max_lr_drops
    )
    state = rule.init(learning_rate)
    saves, drop_at, lrs = [], [], []
    for i, current in enumerate(curve):
        state, d = rule.update(state, current)
        saves.append(bool(d.improved))
        lrs.append(float(d.value))
        if d.drop:
            drop_at.append(i)
        if d.stop:
            break
    return {
        "saves": saves,
        "best": float(state.stopping.best),
        "best_index": int(state.stopping.best_index),
        "drops": int(state.drops),
        "drop_at": drop_at,
        "converged": bool(state.stopping.stopped),
        "lrs": lrs,
        "evaluations": state.stopping.count,
    }


# ----------------------------------------------------------------------------------------------
# curves
# ----------------------------------------------------------------------------------------------


def random_losses(seed, n=120, nan_rate=0.0, decimals=3):
    """A noisy decaying loss with a floor, rounded (ties, tiny steps), optionally with NaNs."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    tau, floor, noise = rng.uniform(3, 40), rng.uniform(0.01, 1.0), rng.uniform(0.001, 0.05)
    curve = floor + rng.uniform(0.5, 3) * np.exp(-t / tau) + noise * rng.standard_normal(n)
    curve = np.round(np.abs(curve), decimals)
    if nan_rate:
        curve[rng.random(n) < nan_rate] = np.nan
    return curve


HAND_MADE = [
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # ties only
    [5.0, 4.0, 3.0, 2.0, 1.0, 0.5, 0.25, 0.125],  # never a plateau
    [1.0, 0.99995, 0.9999, 0.99985, 0.9998, 0.99975, 0.9997, 0.99965],  # creep below the margins
    [2.0, 1.0, 1.0000001, 0.9999995, 0.9999990, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6],
    [0.0, 0.0, -0.0, 0.0],
    [3.0, 2.0, 2.5, 2.1, 1.0, 1.5, 1.5, 1.5],
]


# ----------------------------------------------------------------------------------------------
# tests
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("patience", "tol"), [(1, 0.0), (3, 1e-4), (5, 1e-3), (4, 0.02), (2, 0.1)])
def test_rbm_early_stopping(patience, tol):
    for seed in range(40):
        scores = -random_losses(seed, nan_rate=0.03 if seed % 2 else 0.0)  # a score: higher is better
        assert new_rbm(scores, patience, tol) == old_rbm(scores, patience, tol), seed


@pytest.mark.parametrize("curve", HAND_MADE)
@pytest.mark.parametrize(("patience", "tol"), [(1, 0.0), (2, 1e-4), (3, 0.5)])
def test_rbm_early_stopping_hand_made(curve, patience, tol):
    scores = [-v for v in curve] + [math.nan, -100.0]
    assert new_rbm(scores, patience, tol) == old_rbm(scores, patience, tol)
    assert new_rbm(scores[::-1], patience, tol) == old_rbm(scores[::-1], patience, tol)


def creeping_losses(seed, n=120):
    """A loss on a plateau that moves by a few parts in 10^6 per epoch: steps on both sides of
    the flow's relative margin of 10^-6."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(-3.0, 3.0)
    return level * (1.0 + 1e-6 * np.cumsum(rng.normal(-0.5, 1.5, n)))


@pytest.mark.parametrize("patience", [1, 2, 5, 15])
def test_flow_early_stopping(patience):
    for seed in range(40):
        # negative log-likelihoods can be negative: shift some curves below zero; NaNs and infs too
        curve = random_losses(seed, nan_rate=0.03 if seed % 3 == 0 else 0.0, decimals=8) - (seed % 2) * 2.0
        if seed % 5 == 0:
            curve[np.random.default_rng(seed).random(len(curve)) < 0.03] = np.inf
        assert new_flow(curve, patience) == old_flow(list(curve), patience), seed
        creep = creeping_losses(seed)
        assert new_flow(creep, patience) == old_flow(list(creep), patience), seed


@pytest.mark.parametrize("curve", [*HAND_MADE, [math.nan, math.inf, 1.0, math.nan, 0.5], [math.nan] * 4])
@pytest.mark.parametrize("patience", [1, 2, 3])
def test_flow_early_stopping_hand_made(curve, patience):
    assert new_flow(curve, patience) == old_flow(curve, patience)


@pytest.mark.parametrize("patience", [None, 1, 3, 20])
def test_autoencoder_per_member_stopping(patience):
    members, epochs = 7, 100
    for seed in range(25):
        validation = np.stack([random_losses(100 * seed + m, epochs, decimals=4) for m in range(members)], 1)
        if seed % 4 == 0:
            validation[np.random.default_rng(seed).random(validation.shape) < 0.02] = np.nan
        old = old_autoencoders(validation, patience, epochs)
        new = new_autoencoders(validation, patience, epochs)
        assert new["epochs"] == old["epochs"], seed
        np.testing.assert_array_equal(new["saves"], old["saves"])
        for key in ("best_epoch", "stopped_epoch", "best"):
            np.testing.assert_array_equal(new[key], old[key])


def test_autoencoder_member_that_never_improves():
    # all-NaN validation for member 1: the old loop kept best_epoch = epochs (see the migration
    # plan); the new state says best_index = -1, which the trainer maps to the same number
    validation = np.array([[1.0, math.nan], [0.5, math.nan], [0.6, math.nan], [0.7, math.nan]])
    old, new = old_autoencoders(validation, 2, 10), new_autoencoders(validation, 2, 10)
    assert new["epochs"] == old["epochs"] == 4
    for key in ("best_epoch", "stopped_epoch", "best", "saves"):
        np.testing.assert_array_equal(new[key], old[key])


@pytest.mark.parametrize(
    ("patience", "max_lr_drops", "drop_factor", "rel_tol"),
    [(5, 2, 0.2, 1e-3), (1, 0, 0.5, 0.0), (3, 4, 0.1, 1e-2), (2, 1, 0.3, 1e-4)],
)
def test_convergence_drops_and_stop(patience, max_lr_drops, drop_factor, rel_tol):
    args = (patience, max_lr_drops, drop_factor, rel_tol, 0.05)
    for seed in range(40):
        curve = random_losses(seed, n=200, decimals=5)  # losses >= 0, finite (the old loop raised otherwise)
        assert new_converge(curve, *args) == old_converge(list(curve), *args), seed  # lrs bit for bit


@pytest.mark.parametrize("curve", HAND_MADE)
@pytest.mark.parametrize(("patience", "max_lr_drops"), [(1, 0), (1, 2), (2, 1)])
def test_convergence_hand_made(curve, patience, max_lr_drops):
    args = (patience, max_lr_drops, 0.2, 1e-3, 0.1)
    assert new_converge(curve, *args) == old_converge(curve, *args)
