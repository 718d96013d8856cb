"""EarlyStopping: exact decisions on hand-made curves, best bookkeeping, margins, modes, the two
conventions for the best value, non-finite values, and per-member stopping (an ensemble)
equal to the scalar rule run on each member alone."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physml.training import EarlyStopping, StoppingDecision, StoppingState


def replay(rule, values, n_members=None):
    """Feed ``values`` one by one; return the final state and the decisions."""
    state = rule.init(n_members)
    decisions = []
    for v in values:
        state, d = rule.update(state, v)
        decisions.append(d)
    return state, decisions


def test_stops_exactly_when_patience_runs_out():
    # best at index 2 (1.0); then 3 updates without improvement: patience 3 runs out at index 5
    curve = [3.0, 2.0, 1.0, 1.5, 1.2, 1.1, 0.5]
    state, ds = replay(EarlyStopping(patience=3), curve[:6])
    assert [bool(d.improved) for d in ds] == [True, True, True, False, False, False]
    assert [bool(d.stop) for d in ds] == [False] * 5 + [True]
    assert int(state.stop_index) == 5 and int(state.best_index) == 2 and float(state.best) == 1.0
    assert int(state.wait) == 3 and state.count == 6 and state.shape == ()


def test_patience_restarts_after_an_improvement():
    curve = [5.0, 6.0, 4.0, 6.0, 6.0, 3.0, 7.0, 7.0, 7.0]
    state, ds = replay(EarlyStopping(patience=2), curve)
    stops = [i for i, d in enumerate(ds) if d.stop]
    assert stops[0] == 4 and int(state.stop_index) == 4  # wait: 0 1 0 1 2 -> stop at index 4
    # a stopped rule ignores later values, even a better one
    assert int(state.best_index) == 2 and float(state.best) == 4.0
    assert not any(bool(d.improved) for d in ds[5:])


def test_no_patience_never_stops_but_keeps_the_best():
    curve = [3.0, 1.0] + [2.0] * 50
    state, ds = replay(EarlyStopping(patience=None), curve)
    assert not any(bool(d.stop) for d in ds)
    assert int(state.best_index) == 1 and int(state.wait) == 50 and int(state.stop_index) == -1


def test_tie_is_not_an_improvement():
    state, ds = replay(EarlyStopping(patience=1), [1.0, 1.0])
    assert bool(ds[1].stop) and int(state.best_index) == 0


def test_absolute_and_relative_margins():
    # min mode: v improves on b if v < b - (atol + rtol |b|)
    rule = EarlyStopping(patience=5, atol=0.1)
    state, ds = replay(rule, [1.0, 0.91, 0.89])
    assert [bool(d.improved) for d in ds] == [True, False, True]
    rule = EarlyStopping(patience=5, rtol=0.1)
    state, ds = replay(rule, [10.0, 9.5, 8.9])
    assert [bool(d.improved) for d in ds] == [True, False, True]
    rule = EarlyStopping(patience=5, atol=0.5, rtol=0.1)  # margin 0.5 + 1.0 at b = 10
    state, ds = replay(rule, [10.0, 8.6, 8.4])
    assert [bool(d.improved) for d in ds] == [True, False, True]
    # the relative margin uses |b|: a negative best needs a lower value, never a higher one
    state, ds = replay(EarlyStopping(patience=5, rtol=0.1), [-10.0, -10.5, -11.1])
    assert [bool(d.improved) for d in ds] == [True, False, True]


def test_max_mode_mirrors_min_mode():
    curve = np.array([0.3, 0.5, 0.45, 0.52, 0.6, 0.58, 0.59, 0.4])
    for atol, rtol in [(0.0, 0.0), (0.03, 0.0), (0.0, 0.05), (0.01, 0.02)]:
        lo, d_lo = replay(EarlyStopping(patience=2, mode="min", atol=atol, rtol=rtol), -curve)
        hi, d_hi = replay(EarlyStopping(patience=2, mode="max", atol=atol, rtol=rtol), curve)
        assert [bool(d.improved) for d in d_lo] == [bool(d.improved) for d in d_hi]
        assert [bool(d.stop) for d in d_lo] == [bool(d.stop) for d in d_hi]
        assert float(hi.best) == -float(lo.best) and int(hi.best_index) == int(lo.best_index)


def test_significant_and_any_conventions_for_the_best():
    # a slow creep: each step improves by 0.6 < atol = 1, three steps improve by 1.8 in all
    curve = [0.0, 0.6, 1.2, 1.8]
    sig, d_sig = replay(EarlyStopping(patience=10, mode="max", atol=1.0), curve)
    # "significant": the best moves only on a jump beyond the margin from the best, 1.2 > 0 + 1
    assert [bool(d.improved) for d in d_sig] == [True, False, True, False]
    assert float(sig.best) == 1.2 and int(sig.best_index) == 2 and int(sig.wait) == 1
    anyb, d_any = replay(EarlyStopping(patience=10, mode="max", atol=1.0, update_best="any"), curve)
    # "any": every strict improvement moves the best, but none is significant against the
    # moving best, so the patience never resets (scikit-learn's tol)
    assert [bool(d.improved) for d in d_any] == [True, True, True, True]
    assert float(anyb.best) == 1.8 and int(anyb.best_index) == 3 and int(anyb.wait) == 3
    stopped, _ = replay(EarlyStopping(patience=3, mode="max", atol=1.0, update_best="any"), curve)
    assert bool(stopped.stopped) and int(stopped.stop_index) == 3 and int(stopped.best_index) == 3


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_values_never_improve(bad):
    state, ds = replay(EarlyStopping(patience=2), [bad, 2.0, bad, bad])
    assert [bool(d.improved) for d in ds] == [False, True, False, False]
    assert bool(ds[-1].stop) and int(state.best_index) == 1 and float(state.best) == 2.0
    never, _ = replay(EarlyStopping(patience=5), [bad] * 3)
    assert int(never.best_index) == -1 and float(never.best) == math.inf and int(never.wait) == 3


def test_states_are_not_changed_in_place():
    rule = EarlyStopping(patience=2)
    s0 = rule.init(3)
    s1, _ = rule.update(s0, [1.0, 2.0, 3.0])
    s2, _ = rule.update(s1, [5.0, 5.0, 5.0])
    assert s0.count == 0 and np.all(s0.best == np.inf) and np.all(s0.best_index == -1)
    assert s1.count == 1 and np.all(s1.wait == 0) and np.all(s2.wait == 1)
    assert isinstance(s2, StoppingState)


def test_decisions_are_arrays_of_the_state_shape():
    rule = EarlyStopping(patience=1)
    _, d = rule.update(rule.init(), 1.0)
    assert isinstance(d, StoppingDecision) and d.improved.shape == () and d.stop.shape == ()
    assert d.improved.dtype == bool
    _, d = rule.update(rule.init(4), np.ones(4))
    assert d.improved.shape == (4,) and d.stop.shape == (4,)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"patience": 3},
        {"patience": 2, "atol": 0.05},
        {"patience": 4, "rtol": 0.02, "mode": "max"},
        {"patience": 3, "atol": 0.03, "mode": "max", "update_best": "any"},
        {"patience": None},
    ],
)
def test_per_member_stopping_equals_the_scalar_rule_on_each_member(kwargs):
    rng = np.random.default_rng(7)
    n_steps, n_members = 60, 6
    t = np.arange(n_steps)[:, None]
    curves = np.exp(-t / rng.uniform(3, 20, n_members)) + rng.normal(0, 0.03, (n_steps, n_members))
    curves = np.round(curves, 2)  # ties and sub-margin steps happen
    curves[rng.random(curves.shape) < 0.05] = np.nan
    rule = EarlyStopping(**kwargs)
    if rule.mode == "max":  # a score that rises
        curves = 1.0 - curves
    batched, d_batched = replay(rule, curves, n_members=n_members)
    for m in range(n_members):
        single, d_single = replay(rule, curves[:, m])
        assert [bool(d.improved) for d in d_single] == [bool(d.improved[m]) for d in d_batched]
        assert [bool(d.stop) for d in d_single] == [bool(d.stop[m]) for d in d_batched]
        for field in ("best", "best_index", "wait", "stopped", "stop_index"):
            np.testing.assert_array_equal(getattr(single, field), getattr(batched, field)[m])
    if kwargs["patience"] is not None:
        stops = batched.stop_index[batched.stopped]
        assert len(set(stops.tolist())) > 1  # members stop at their own steps


def test_example_of_the_docstring():
    rule = EarlyStopping(patience=2)
    state, ds = replay(rule, [3.0, 2.0, 2.5, 2.1])
    assert (bool(ds[-1].stop), int(state.best_index), float(state.best)) == (True, 1, 2.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"patience": 0}, ValueError, "patience must be in"),
        ({"patience": 2.5}, TypeError, "patience must be an integer"),
        ({"patience": 2, "mode": "minimum"}, ValueError, "mode must be one of 'min', 'max'"),
        ({"patience": 2, "atol": -0.1}, ValueError, "atol must be a finite number in"),
        ({"patience": 2, "rtol": math.nan}, ValueError, "rtol must be a finite number"),
        ({"patience": 2, "update_best": "all"}, ValueError, "update_best must be one of"),
    ],
)
def test_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        EarlyStopping(**kwargs)


def test_bad_updates():
    rule = EarlyStopping(patience=2)
    with pytest.raises(ValueError, match="n_members must be in"):
        rule.init(0)
    with pytest.raises(ValueError, match=r"value must have shape \(3\), got \(2,\)"):
        rule.update(rule.init(3), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"value must have shape \(\), got \(2,\)"):
        rule.update(rule.init(), [1.0, 2.0])
    with pytest.raises(TypeError, match="value must be convertible"):
        rule.update(rule.init(), "low")
    with pytest.raises(TypeError, match="state must be a StoppingState"):
        rule.update({"best": 1.0}, 1.0)
