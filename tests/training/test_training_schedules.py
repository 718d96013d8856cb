"""Schedules: closed forms at chosen steps, warmup, floor, composition, validation, and the
old per-epoch cosine and linear formulas reproduced bit for bit."""

from __future__ import annotations

import math
import pickle

import pytest

from physml.training import (
    ConstantSchedule,
    CosineSchedule,
    JoinedSchedule,
    LinearSchedule,
    PiecewiseSchedule,
    Schedule,
    set_learning_rate,
)


def test_constant():
    s = ConstantSchedule(0.1)
    assert s(0) == s(10**9) == 0.1 and isinstance(s, Schedule)


def test_cosine_closed_form():
    s = CosineSchedule(1.0, decay_steps=8)
    assert s(0) == 1.0
    assert s(2) == pytest.approx((1 + math.cos(math.pi / 4)) / 2, abs=1e-15)  # 0.853553...
    assert s(4) == pytest.approx(0.5, abs=1e-15)
    assert s(6) == pytest.approx((1 - math.cos(math.pi / 4)) / 2, abs=1e-15)  # 0.146446...
    assert s(8) == 0.0 and s(100) == 0.0


def test_cosine_floor_and_warmup():
    s = CosineSchedule(0.4, decay_steps=10, final_value=0.1, warmup_steps=4, warmup_from=0.0)
    assert [s(t) for t in range(4)] == pytest.approx([0.0, 0.1, 0.2, 0.3], abs=1e-15)
    assert s(4) == 0.4  # warmup ends at the peak, where the cosine starts
    assert s(9) == pytest.approx(0.1 + 0.3 * 0.5, abs=1e-15)  # half way down
    assert s(14) == 0.1 and s(1000) == 0.1  # the floor
    values = [s(t) for t in range(4, 15)]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))


def test_old_per_epoch_cosine_is_reproduced_bit_for_bit():
    # nets.sgd_train and nets.train_autoencoders set, at the start of epoch e of E:
    #   lr * 0.5 * (1.0 + math.cos(math.pi * e / E))
    for lr in (1e-3, 3e-3, 0.05, 0.1, 0.7):
        for epochs in (1, 2, 3, 7, 10, 50, 200, 1000):
            s = CosineSchedule(lr, decay_steps=epochs)
            for e in range(epochs):
                assert s(e) == lr * 0.5 * (1.0 + math.cos(math.pi * e / epochs))


def test_linear():
    s = LinearSchedule(0.2, 0.0, steps=4)
    assert [s(t) for t in range(6)] == pytest.approx([0.2, 0.15, 0.1, 0.05, 0.0, 0.0], abs=1e-15)
    up = LinearSchedule(0.0, 1.0, steps=2)  # a warmup
    assert [up(t) for t in range(4)] == [0.0, 0.5, 1.0, 1.0]


def test_old_rbm_linear_decay_is_reproduced_bit_for_bit():
    # RBMTrainer.current_learning_rate: lr * max(0.0, 1.0 - updates_done / decay_updates)
    for lr in (1e-3, 0.01, 0.05, 0.1):
        for decay in (1, 3, 17, 250):
            s = LinearSchedule(lr, 0.0, steps=decay)
            for u in range(decay + 5):
                assert s(u) == lr * max(0.0, 1.0 - u / decay)


def test_piecewise_drops():
    s = PiecewiseSchedule(ConstantSchedule(1.0), boundaries=[3, 5], factors=[0.5, 0.1])
    assert [s(t) for t in range(7)] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.05, 0.05]
    on_cosine = PiecewiseSchedule(CosineSchedule(1.0, 10), boundaries=[5], factors=[0.5])
    assert on_cosine(7) == CosineSchedule(1.0, 10)(7) * 0.5


def test_joined_schedules_count_steps_from_their_own_start():
    warmup = LinearSchedule(0.0, 0.3, steps=3)
    decay = CosineSchedule(0.3, decay_steps=4)
    s = JoinedSchedule([warmup, decay], boundaries=[3])
    assert [s(t) for t in range(3)] == [warmup(0), warmup(1), warmup(2)]
    assert [s(t) for t in range(3, 9)] == [decay(t) for t in range(6)]
    # the same as the built-in warmup of CosineSchedule
    built_in = CosineSchedule(0.3, decay_steps=4, warmup_steps=3)
    assert [s(t) for t in range(9)] == pytest.approx([built_in(t) for t in range(9)], abs=1e-15)
    three = JoinedSchedule([ConstantSchedule(1.0), ConstantSchedule(2.0), ConstantSchedule(3.0)], [2, 4])
    assert [three(t) for t in range(6)] == [1.0, 1.0, 2.0, 2.0, 3.0, 3.0]


def test_schedules_pickle():
    s = JoinedSchedule([LinearSchedule(0.0, 0.1, 5), CosineSchedule(0.1, 20, final_value=0.01)], [5])
    again = pickle.loads(pickle.dumps(s))
    assert again == s and [again(t) for t in range(30)] == [s(t) for t in range(30)]


class _Optimiser:
    def __init__(self):
        self.param_groups = [{"lr": 1.0}, {"lr": 2.0}]


def test_set_learning_rate():
    opt = _Optimiser()
    set_learning_rate(opt, 0.25)
    assert [g["lr"] for g in opt.param_groups] == [0.25, 0.25]
    torch = pytest.importorskip("torch")
    sgd = torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=0.1)
    set_learning_rate(sgd, CosineSchedule(0.1, 4)(2))
    assert sgd.param_groups[0]["lr"] == pytest.approx(0.05)
    with pytest.raises(TypeError, match="optimizer must have param_groups"):
        set_learning_rate(object(), 0.1)
    with pytest.raises(ValueError, match="value must be a finite number"):
        set_learning_rate(opt, -0.1)


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: ConstantSchedule(-1.0), ValueError, "value must be a finite number in"),
        (lambda: CosineSchedule(0.1, 0), ValueError, "decay_steps must be in"),
        (lambda: CosineSchedule(0.1, 10, final_value=0.2), ValueError, "final_value must be <= init_value"),
        (lambda: CosineSchedule(0.1, 10, warmup_steps=-1), ValueError, "warmup_steps must be in"),
        (lambda: CosineSchedule(math.nan, 10), ValueError, "init_value must be a finite number"),
        (lambda: LinearSchedule(0.1, 0.0, steps=0), ValueError, "steps must be in"),
        (lambda: LinearSchedule(0.1, 0.0, steps=2.0), TypeError, "steps must be an integer"),
        (
            lambda: PiecewiseSchedule(ConstantSchedule(1.0), [3, 2], [0.5, 0.5]),
            ValueError,
            "boundaries must increase strictly",
        ),
        (
            lambda: PiecewiseSchedule(ConstantSchedule(1.0), [3], [0.5, 0.5]),
            ValueError,
            "factors must have one entry per boundary",
        ),
        (lambda: PiecewiseSchedule(0.1, [3], [0.5]), TypeError, "schedule must be a schedule"),
        (
            lambda: JoinedSchedule([ConstantSchedule(1.0)], [3]),
            ValueError,
            "boundaries must have one entry fewer",
        ),
        (lambda: JoinedSchedule([ConstantSchedule(1.0), 2.0], [3]), TypeError, r"schedules\[1\] must be"),
        (lambda: JoinedSchedule([ConstantSchedule(1.0)] * 3, [3, 3]), ValueError, "increase strictly"),
        (lambda: CosineSchedule(0.1, 10)(-1), ValueError, "step must be in"),
        (lambda: CosineSchedule(0.1, 10)(1.5), TypeError, "step must be an integer"),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
