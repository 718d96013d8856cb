"""ReduceOnPlateau: drops at the steps where the patience runs out, the patience restarting
after each, a stop after the last allowed drop, the value multiplied in turn, per member."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.training import EarlyStopping, PlateauDecision, PlateauState, ReduceOnPlateau


def replay(rule, values, init=1.0, n_members=None):
    state = rule.init(init, n_members)
    decisions = []
    for v in values:
        state, d = rule.update(state, v)
        decisions.append(d)
    return state, decisions


def test_drops_at_the_right_steps_then_stops():
    # best 1.0 at index 1; patience 2: plateau at index 3 (drop 1), wait restarts, 0.5 at
    # index 4 improves, plateau at 6 (drop 2), plateau at 8 after the last drop: stop
    curve = [2.0, 1.0, 1.0, 1.1, 0.5, 0.6, 0.7, 0.5, 0.9]
    rule = ReduceOnPlateau(EarlyStopping(patience=2), factor=0.1, max_drops=2)
    state, ds = replay(rule, curve, init=0.3)
    assert [i for i, d in enumerate(ds) if d.drop] == [3, 6]
    assert [i for i, d in enumerate(ds) if d.stop] == [8]
    assert [i for i, d in enumerate(ds) if d.improved] == [0, 1, 4]
    assert [float(d.value) for d in ds] == [0.3] * 3 + [0.3 * 0.1] * 3 + [0.3 * 0.1 * 0.1] * 3
    assert int(state.drops) == 2 and int(state.stopping.best_index) == 4
    assert int(state.stopping.stop_index) == 8 and float(state.stopping.best) == 0.5


def test_the_value_is_multiplied_in_turn_like_lr_times_factor():
    lr, factor = 0.05, 0.2
    rule = ReduceOnPlateau(EarlyStopping(patience=1), factor=factor, max_drops=6)
    state, ds = replay(rule, [1.0] * 7, init=lr)
    expected = lr
    for d in ds[1:]:
        expected *= factor  # the old loop's "lr *= drop_factor", bit for bit
        assert float(d.value) == expected


def test_no_drops_allowed_is_early_stopping():
    rng = np.random.default_rng(3)
    curve = np.round(np.exp(-np.arange(80) / 15) + rng.normal(0, 0.02, 80), 2)
    stop_rule = EarlyStopping(patience=4, rtol=0.01)
    state, ds = replay(ReduceOnPlateau(stop_rule, factor=0.5, max_drops=0), curve)
    s = stop_rule.init()
    for v, d in zip(curve, ds, strict=True):
        s, e = stop_rule.update(s, v)
        assert bool(d.improved) == bool(e.improved) and bool(d.stop) == bool(e.stop) and not d.drop
    assert bool(state.stopping.stopped) and float(state.value) == 1.0


def test_unlimited_drops_never_stop():
    rule = ReduceOnPlateau(EarlyStopping(patience=3), factor=0.5)
    state, ds = replay(rule, [1.0] * 31)
    assert not any(bool(d.stop) for d in ds)
    assert [i for i, d in enumerate(ds) if d.drop] == list(range(3, 31, 3))
    assert float(state.value) == 0.5**10


def test_per_member_equals_each_member_alone():
    rng = np.random.default_rng(11)
    n, m = 70, 5
    t = np.arange(n)[:, None]
    curves = np.round(np.exp(-t / rng.uniform(4, 25, m)) + rng.normal(0, 0.02, (n, m)), 2)
    rule = ReduceOnPlateau(EarlyStopping(patience=3, rtol=1e-3), factor=0.3, max_drops=2)
    batched, d_b = replay(rule, curves, init=0.1, n_members=m)
    for j in range(m):
        single, d_s = replay(rule, curves[:, j], init=0.1)
        for key in ("improved", "drop", "stop", "value"):
            assert [getattr(d, key).item() for d in d_s] == [getattr(d, key)[j].item() for d in d_b]
        assert single.drops == batched.drops[j]
    assert len(set(batched.drops.tolist())) > 1 or len(set(batched.stopping.stop_index.tolist())) > 1


def test_types():
    rule = ReduceOnPlateau(EarlyStopping(patience=2), factor=0.5, max_drops=1)
    state, d = rule.update(rule.init(), 1.0)
    assert isinstance(state, PlateauState) and isinstance(d, PlateauDecision)
    assert state.shape == () and d.value.shape == () and d.drop.dtype == bool


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((EarlyStopping(patience=None),), {"factor": 0.5}, ValueError, "stopping must have a patience"),
        (("patience=3",), {"factor": 0.5}, TypeError, "stopping must be an EarlyStopping rule"),
        ((EarlyStopping(patience=3),), {"factor": 1.0}, ValueError, r"factor must be in \(0, 1\)"),
        ((EarlyStopping(patience=3),), {"factor": 0.0}, ValueError, "factor must be a finite number in"),
        ((EarlyStopping(patience=3),), {"factor": 0.5, "max_drops": -1}, ValueError, "max_drops must be in"),
    ],
)
def test_bad_settings(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        ReduceOnPlateau(*args, **kwargs)


def test_bad_updates():
    rule = ReduceOnPlateau(EarlyStopping(patience=3), factor=0.5)
    with pytest.raises(ValueError, match="value must be a finite number in"):
        rule.init(0.0)
    with pytest.raises(ValueError, match="value must be a finite number in"):
        rule.init(math.inf)
    with pytest.raises(TypeError, match="state must be a PlateauState"):
        rule.update(EarlyStopping(patience=3).init(), 1.0)
