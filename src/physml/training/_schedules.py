"""Learning-rate schedules: pure functions of the step (an epoch or an update, counted from 0).

Each schedule is a small frozen dataclass called as ``schedule(step) -> float``: it holds no
state, pickles (for process pools) and composes (:class:`JoinedSchedule` runs schedules one
after another, :class:`PiecewiseSchedule` multiplies by factors at given steps). A drop on a
plateau depends on the validation curve, not on the step: see :class:`ReduceOnPlateau`.

References
----------
- Loshchilov & Hutter, "SGDR: Stochastic gradient descent with warm restarts", ICLR 2017,
  arXiv:1608.03983 (cosine annealing).
- Goyal et al., "Accurate, large minibatch SGD: training ImageNet in 1 hour",
  arXiv:1706.02677 (2017) (linear warmup).
- Tieleman, "Training restricted Boltzmann machines using approximations to the likelihood
  gradient", ICML 2008 (linear decay to zero for persistent CD).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from physml._core import check_int, check_real

__all__ = [
    "ConstantSchedule",
    "CosineSchedule",
    "JoinedSchedule",
    "LinearSchedule",
    "PiecewiseSchedule",
    "Schedule",
    "set_learning_rate",
]


@runtime_checkable
class Schedule(Protocol):
    """A learning rate as a function of the step: ``schedule(step) -> float``, step >= 0."""

    def __call__(self, step: int) -> float: ...


def _step(step: Any) -> int:
    return check_int(step, "step", low=0)


@dataclass(frozen=True)
class ConstantSchedule:
    """The same ``value`` at every step."""

    value: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", check_real(self.value, "value", low=0.0))

    def __call__(self, step: int) -> float:
        _step(step)
        return self.value


@dataclass(frozen=True)
class LinearSchedule:
    """From ``init_value`` at step 0 linearly to ``end_value`` at step ``steps``, then constant:

    ε_t = (ε_0 − ε_end) · max(0, 1 − t / steps) + ε_end.

    With ``end_value=0`` this is ε_0 · max(0, 1 − t / steps) (Tieleman 2008's decay for PCD);
    with ``init_value < end_value`` it is a warmup.
    """

    init_value: float
    end_value: float
    steps: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "init_value", check_real(self.init_value, "init_value", low=0.0))
        object.__setattr__(self, "end_value", check_real(self.end_value, "end_value", low=0.0))
        object.__setattr__(self, "steps", check_int(self.steps, "steps", low=1))

    def __call__(self, step: int) -> float:
        remaining = max(0.0, 1.0 - _step(step) / self.steps)
        return (self.init_value - self.end_value) * remaining + self.end_value


@dataclass(frozen=True)
class CosineSchedule:
    """Optional linear warmup, then a half cosine from ``init_value`` down to ``final_value``.

    For t < W (``warmup_steps``): ε_t = ε_w + (ε_0 − ε_w) t / W, from ``warmup_from`` ε_w.
    Then, with s = t − W and T = ``decay_steps``:

    ε_t = (ε_0 − ε_f) · ½ (1 + cos(π min(s, T) / T)) + ε_f,

    which is ε_0 at s = 0 and the floor ε_f (``final_value``) from s = T on. Trained for T
    epochs with t = 0..T−1 this is the annealing ε_t = ε_0 (1 + cos(π t / T)) / 2 of
    Loshchilov & Hutter (without restarts), which never quite reaches the floor.
    """

    init_value: float
    decay_steps: int
    final_value: float = 0.0
    warmup_steps: int = 0
    warmup_from: float = 0.0

    def __post_init__(self) -> None:
        init = check_real(self.init_value, "init_value", low=0.0)
        object.__setattr__(self, "init_value", init)
        object.__setattr__(self, "decay_steps", check_int(self.decay_steps, "decay_steps", low=1))
        final = check_real(self.final_value, "final_value", low=0.0)
        if final > init:
            raise ValueError(f"final_value must be <= init_value ({init:g}), got {final:g}")
        object.__setattr__(self, "final_value", final)
        object.__setattr__(self, "warmup_steps", check_int(self.warmup_steps, "warmup_steps", low=0))
        object.__setattr__(self, "warmup_from", check_real(self.warmup_from, "warmup_from", low=0.0))

    def __call__(self, step: int) -> float:
        t = _step(step)
        if t < self.warmup_steps:
            return self.warmup_from + (self.init_value - self.warmup_from) * t / self.warmup_steps
        s = min(t - self.warmup_steps, self.decay_steps)
        cosine = 1.0 + math.cos(math.pi * s / self.decay_steps)
        return (self.init_value - self.final_value) * 0.5 * cosine + self.final_value


@dataclass(frozen=True)
class PiecewiseSchedule:
    """``schedule`` times the product of the ``factors`` whose ``boundaries`` have been reached:
    at step t the factor is ∏ factors[i] over boundaries[i] <= t (step drops)."""

    schedule: Schedule
    boundaries: Sequence[int]
    factors: Sequence[float]

    def __post_init__(self) -> None:
        if not callable(self.schedule):
            raise TypeError(f"schedule must be a schedule (callable on the step), got {self.schedule!r}")
        bounds = tuple(check_int(b, f"boundaries[{i}]", low=0) for i, b in enumerate(self.boundaries))
        if any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)):
            raise ValueError(f"boundaries must increase strictly, got {list(bounds)}")
        factors = tuple(check_real(f, f"factors[{i}]", low=0.0) for i, f in enumerate(self.factors))
        if len(factors) != len(bounds):
            raise ValueError(f"factors must have one entry per boundary ({len(bounds)}), got {len(factors)}")
        object.__setattr__(self, "boundaries", bounds)
        object.__setattr__(self, "factors", factors)

    def __call__(self, step: int) -> float:
        t = _step(step)
        value = self.schedule(t)
        for boundary, factor in zip(self.boundaries, self.factors, strict=True):
            if t < boundary:
                break
            value *= factor
        return value


@dataclass(frozen=True)
class JoinedSchedule:
    """Schedules one after another: ``schedules[i]`` from step ``boundaries[i-1]`` (0 for the
    first) to ``boundaries[i]``, called with the steps counted from its own start (optax's
    ``join_schedules``)."""

    schedules: Sequence[Schedule]
    boundaries: Sequence[int]

    def __post_init__(self) -> None:
        schedules = tuple(self.schedules)
        for i, s in enumerate(schedules):
            if not callable(s):
                raise TypeError(f"schedules[{i}] must be a schedule (callable on the step), got {s!r}")
        bounds = tuple(check_int(b, f"boundaries[{i}]", low=1) for i, b in enumerate(self.boundaries))
        if len(schedules) != len(bounds) + 1:
            raise ValueError(
                f"boundaries must have one entry fewer than schedules ({len(schedules) - 1}), "
                f"got {len(bounds)}"
            )
        if any(b <= a for a, b in zip(bounds, bounds[1:], strict=False)):
            raise ValueError(f"boundaries must increase strictly, got {list(bounds)}")
        object.__setattr__(self, "schedules", schedules)
        object.__setattr__(self, "boundaries", bounds)

    def __call__(self, step: int) -> float:
        t = _step(step)
        start = 0
        for schedule, boundary in zip(self.schedules, self.boundaries, strict=False):
            if t < boundary:
                return schedule(t - start)
            start = boundary
        return self.schedules[-1](t - start)


def set_learning_rate(optimizer: Any, value: float) -> None:
    """Set the learning rate of every parameter group of a ``torch.optim`` optimiser (or any
    object with ``param_groups``, a list of dicts with an ``"lr"`` key)."""
    groups = getattr(optimizer, "param_groups", None)
    if groups is None:
        raise TypeError(
            f"optimizer must have param_groups (a torch.optim optimiser), got {type(optimizer).__name__}"
        )
    value = check_real(value, "value", low=0.0)
    for group in groups:
        group["lr"] = value
