"""Early stopping as an explicit rule: ``init`` gives a state, ``update(state, value)`` gives
the next state and a decision, in the manner of optax's init/update pairs.

The rule never touches a model: it says when a value is the new best (the trainer then keeps
a copy of its parameters) and when to stop (the trainer then restores that copy). One rule
serves one run (a scalar state) or an ensemble trained at once (one state per member, each
member deciding alone, exactly as if the scalar rule were run on it).

References
----------
- Prechelt, "Early stopping - but when?", in Neural Networks: Tricks of the Trade,
  Springer LNCS 1524 (1998): patience-based stopping on a validation curve.
- Babuschkin et al., "The DeepMind JAX Ecosystem" (2020), the optax library: gradient
  transformations as (init, update) pairs with explicit state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from physml._core import check_array, check_choice, check_int, check_real

__all__ = ["EarlyStopping", "StoppingDecision", "StoppingState"]

MODES = ("min", "max")
UPDATE_BEST = ("significant", "any")


@dataclass(frozen=True, eq=False)
class StoppingState:
    """What an :class:`EarlyStopping` rule remembers; never changed in place.

    Every array has shape ``()`` for a single run or ``(n_members,)`` for an ensemble.

    Attributes
    ----------
    count : int
        Values seen so far (the next value gets index ``count``).
    best : numpy.ndarray of float
        The best value so far (+inf for ``mode="min"``, −inf for ``"max"`` before the first
        finite value).
    best_index : numpy.ndarray of int
        Index (from 0, counting updates) of the value that gave ``best``; −1 before.
    wait : numpy.ndarray of int
        Updates since the last significant improvement (frozen once stopped).
    stopped : numpy.ndarray of bool
        Whether patience has run out.
    stop_index : numpy.ndarray of int
        Index of the update at which patience ran out; −1 while running.
    """

    count: int
    best: np.ndarray
    best_index: np.ndarray
    wait: np.ndarray
    stopped: np.ndarray
    stop_index: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        """``()`` for a single run, ``(n_members,)`` for an ensemble."""
        return self.best.shape


@dataclass(frozen=True, eq=False)
class StoppingDecision:
    """What to do after one :meth:`EarlyStopping.update` (arrays shaped like the state's).

    Attributes
    ----------
    improved : numpy.ndarray of bool
        The value is the new best: keep a copy of the parameters now.
    stop : numpy.ndarray of bool
        Patience has run out (at this update or before): stop, and restore the copy. In an
        ensemble a stopped member is held at its best while the others go on.
    """

    improved: np.ndarray
    stop: np.ndarray


@dataclass(frozen=True)
class EarlyStopping:
    """Stop when a monitored value has not improved significantly for ``patience`` updates.

    A value v improves significantly on the best b if

    * ``mode="min"``: v < b − (atol + rtol·|b|),
    * ``mode="max"``: v > b + (atol + rtol·|b|);

    the first finite value always does, and a non-finite value (NaN, ±inf) never improves.
    Each update without a significant improvement adds one to ``wait``; training stops once
    ``wait >= patience``.

    Parameters
    ----------
    patience : int or None
        Updates without a significant improvement before stopping; ``None`` never stops
        (the rule then only keeps track of the best value).
    mode : {"min", "max"}
        Whether lower (a loss) or higher (a score) is better.
    atol, rtol : float
        Absolute and relative margins, >= 0, that an improvement must exceed (both 0: any
        strict improvement counts).
    update_best : {"significant", "any"}
        Which improvements move the best value (and so the parameters to restore):
        ``"significant"`` only those beyond the margin (Keras' ``EarlyStopping``, PyTorch's
        ``ReduceLROnPlateau``), or ``"any"`` strict improvement, while ``wait`` still resets
        only on significant ones (scikit-learn's ``tol`` in ``MLPClassifier``).

    Examples
    --------
    >>> rule = EarlyStopping(patience=2)
    >>> state = rule.init()
    >>> for loss in [3.0, 2.0, 2.5, 2.1]:
    ...     state, decision = rule.update(state, loss)
    >>> bool(decision.stop), int(state.best_index), float(state.best)
    (True, 1, 2.0)
    """

    patience: int | None
    mode: str = "min"
    atol: float = 0.0
    rtol: float = 0.0
    update_best: str = "significant"

    def __post_init__(self) -> None:
        if self.patience is not None:
            object.__setattr__(self, "patience", check_int(self.patience, "patience", low=1))
        check_choice(self.mode, "mode", MODES)
        object.__setattr__(self, "atol", check_real(self.atol, "atol", low=0.0))
        object.__setattr__(self, "rtol", check_real(self.rtol, "rtol", low=0.0))
        check_choice(self.update_best, "update_best", UPDATE_BEST)

    def init(self, n_members: int | None = None) -> StoppingState:
        """The state before the first value: one run (``n_members=None``) or an ensemble."""
        shape: tuple[int, ...] = () if n_members is None else (check_int(n_members, "n_members", low=1),)
        start = np.inf if self.mode == "min" else -np.inf
        return StoppingState(
            count=0,
            best=np.full(shape, start, dtype=np.float64),
            best_index=np.full(shape, -1, dtype=np.int64),
            wait=np.zeros(shape, dtype=np.int64),
            stopped=np.zeros(shape, dtype=bool),
            stop_index=np.full(shape, -1, dtype=np.int64),
        )

    def update(self, state: StoppingState, value: Any) -> tuple[StoppingState, StoppingDecision]:
        """Take the next monitored value (a number, or one per member) and decide.

        Members that have stopped ignore their values: their state no longer changes.
        """
        if not isinstance(state, StoppingState):
            raise TypeError(f"state must be a StoppingState from init(), got {type(state).__name__}")
        v = check_array(value, "value", shape=state.shape, allow_nan=True)
        active = ~state.stopped
        finite = np.isfinite(v)
        first = state.best_index < 0
        best = state.best
        with np.errstate(invalid="ignore", over="ignore"):
            margin = self.atol + self.rtol * np.abs(best)
            if self.mode == "min":
                beyond, better = v < best - margin, v < best
            else:
                beyond, better = v > best + margin, v > best
        significant = active & finite & (first | beyond)
        moved = significant if self.update_best == "significant" else active & finite & (first | better)
        wait = np.where(significant, 0, np.where(active, state.wait + 1, state.wait))
        if self.patience is None:
            newly = np.zeros(state.shape, dtype=bool)
        else:
            newly = active & (wait >= self.patience)
        stopped = np.asarray(state.stopped | newly)
        new = StoppingState(
            count=state.count + 1,
            best=np.where(moved, v, best),
            best_index=np.where(moved, state.count, state.best_index),
            wait=wait,
            stopped=stopped,
            stop_index=np.where(newly, state.count, state.stop_index),
        )
        return new, StoppingDecision(improved=np.asarray(moved), stop=stopped)
