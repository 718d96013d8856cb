"""Small shared training pieces: early stopping, drops on plateaus, learning-rate schedules.

Composable the way optax composes (init, update) pairs: a rule holds its settings, its
state is an explicit frozen dataclass, and a trainer threads the state through its loop::

    rule = EarlyStopping(patience=10, rtol=1e-6)
    state = rule.init()                       # or rule.init(n_members) for an ensemble
    for epoch in range(max_epochs):
        ...                                   # train one epoch, measure val_loss
        state, decision = rule.update(state, val_loss)
        if decision.improved:
            best = copy_of_parameters()
        if decision.stop:
            break
    restore(best)

* :class:`EarlyStopping` (with :class:`StoppingState`, :class:`StoppingDecision`): patience,
  absolute/relative margins, minimise or maximise, which improvements move the best;
  vectorised over the members of an ensemble (each member decides alone).
* :class:`ReduceOnPlateau` (with :class:`PlateauState`, :class:`PlateauDecision`): multiply a
  learning rate by a factor where an :class:`EarlyStopping` rule would stop; stop after the
  last allowed drop.
* Schedules, pure functions of the step: :class:`ConstantSchedule`, :class:`LinearSchedule`,
  :class:`CosineSchedule` (warmup, cosine decay to a floor), :class:`PiecewiseSchedule` (step
  drops), :class:`JoinedSchedule` (one after another); :func:`set_learning_rate` applies a
  value to a torch optimiser.

The pieces are plain Python and numpy (no torch), so the numpy-first and the torch trainers
share them. Importing this package loads nothing; a name loads its submodule.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_plateau": ("PlateauDecision", "PlateauState", "ReduceOnPlateau"),
        "_schedules": (
            "ConstantSchedule",
            "CosineSchedule",
            "JoinedSchedule",
            "LinearSchedule",
            "PiecewiseSchedule",
            "Schedule",
            "set_learning_rate",
        ),
        "_stopping": ("EarlyStopping", "StoppingDecision", "StoppingState"),
    },
)
