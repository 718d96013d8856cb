"""Learning-rate drops on plateaus, built on an :class:`~physml.training.EarlyStopping` rule:
where the rule would stop, the value (a learning rate, or a scale for one) is multiplied by a
factor and the patience starts again; after the last allowed drop the next plateau stops.

References
----------
- Kaplan et al., "Scaling laws for neural language models", arXiv:2001.08361 (2020):
  training to convergence with early stopping for data-limited losses.
- PyTorch's ``torch.optim.lr_scheduler.ReduceLROnPlateau`` and optax's
  ``contrib.reduce_on_plateau``, the same rule without a final stop.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from physml._core import check_int, check_real
from physml.training._stopping import EarlyStopping, StoppingState

__all__ = ["PlateauDecision", "PlateauState", "ReduceOnPlateau"]


@dataclass(frozen=True, eq=False)
class PlateauState:
    """What a :class:`ReduceOnPlateau` rule remembers; never changed in place.

    Attributes
    ----------
    stopping : StoppingState
        The plateau detector's state (its best value is the run's best).
    value : numpy.ndarray of float
        The current value: the initial one times ``factor`` once per drop, multiplied in turn.
    drops : numpy.ndarray of int
        Drops made so far.
    """

    stopping: StoppingState
    value: np.ndarray
    drops: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        """``()`` for a single run, ``(n_members,)`` for an ensemble."""
        return self.stopping.shape


@dataclass(frozen=True, eq=False)
class PlateauDecision:
    """What to do after one :meth:`ReduceOnPlateau.update` (arrays shaped like the state's).

    Attributes
    ----------
    improved : numpy.ndarray of bool
        The value is the new best: keep a copy of the parameters.
    drop : numpy.ndarray of bool
        A plateau: switch to ``value`` (and, commonly, go back to the best parameters and
        restart the optimiser's moments).
    stop : numpy.ndarray of bool
        A plateau after the last allowed drop (now or before): stop at the best parameters.
    value : numpy.ndarray of float
        The value to use from now on.
    """

    improved: np.ndarray
    drop: np.ndarray
    stop: np.ndarray
    value: np.ndarray


@dataclass(frozen=True)
class ReduceOnPlateau:
    """Multiply a value by ``factor`` each time ``stopping`` runs out of patience.

    Parameters
    ----------
    stopping : EarlyStopping
        Detects a plateau: its ``patience`` updates without a significant improvement (as
        :class:`EarlyStopping` defines one). Must have a patience.
    factor : float
        In (0, 1): the value after a drop is the value before times ``factor``.
    max_drops : int or None
        Drops allowed; the plateau after the last one stops (0: the first plateau stops,
        which is plain early stopping). ``None`` never stops.

    Examples
    --------
    >>> rule = ReduceOnPlateau(EarlyStopping(patience=1), factor=0.5, max_drops=1)
    >>> state = rule.init(0.1)
    >>> for loss in [1.0, 1.0, 1.0]:
    ...     state, decision = rule.update(state, loss)
    ...     print(bool(decision.drop), bool(decision.stop), float(decision.value))
    False False 0.1
    True False 0.05
    False True 0.05
    """

    stopping: EarlyStopping
    factor: float
    max_drops: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.stopping, EarlyStopping):
            raise TypeError(f"stopping must be an EarlyStopping rule, got {type(self.stopping).__name__}")
        if self.stopping.patience is None:
            raise ValueError("stopping must have a patience (an integer >= 1) to detect plateaus, got None")
        factor = check_real(self.factor, "factor", low=0.0, high=1.0, low_open=True)
        if factor == 1.0:
            raise ValueError("factor must be in (0, 1), got 1.0")
        object.__setattr__(self, "factor", factor)
        if self.max_drops is not None:
            object.__setattr__(self, "max_drops", check_int(self.max_drops, "max_drops", low=0))

    def init(self, value: float = 1.0, n_members: int | None = None) -> PlateauState:
        """The state before the first value; ``value`` is the initial learning rate (or scale)."""
        value = check_real(value, "value", low=0.0, low_open=True)
        stopping = self.stopping.init(n_members)
        return PlateauState(
            stopping=stopping,
            value=np.full(stopping.shape, value, dtype=np.float64),
            drops=np.zeros(stopping.shape, dtype=np.int64),
        )

    def update(self, state: PlateauState, monitored: Any) -> tuple[PlateauState, PlateauDecision]:
        """Take the next monitored value (a number, or one per member) and decide."""
        if not isinstance(state, PlateauState):
            raise TypeError(f"state must be a PlateauState from init(), got {type(state).__name__}")
        stopping, decision = self.stopping.update(state.stopping, monitored)
        plateau = decision.stop & ~state.stopping.stopped  # patience ran out at this update
        if self.max_drops is None:
            drop = plateau
        else:
            drop = plateau & (state.drops < self.max_drops)
        if np.any(drop):  # patience starts again; the best value is kept
            stopping = replace(
                stopping,
                wait=np.where(drop, 0, stopping.wait),
                stopped=np.asarray(stopping.stopped & ~drop),
                stop_index=np.where(drop, -1, stopping.stop_index),
            )
        drop = np.asarray(drop)
        value = np.where(drop, state.value * self.factor, state.value)
        new = PlateauState(stopping=stopping, value=value, drops=np.asarray(state.drops + drop))
        return new, PlateauDecision(improved=decision.improved, drop=drop, stop=stopping.stopped, value=value)
