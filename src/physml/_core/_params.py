"""Declared parameter constraints, in the spirit of scikit-learn's ``_parameter_constraints``.

An estimator declares, once per class, what each constructor argument accepts::

    _parameter_constraints = {
        "n_components": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "method": [Options("cd", "pcd", "pt")],
        "betas": [None, "array-like"],
        "seed": ["seed"],
    }

and :func:`validate_params` checks the values in ``fit``. Each list holds alternatives, any of
which is enough: an :class:`Interval`, an :class:`Options` set, a type (``bool``, ``str``,
``numpy.random.Generator``, a class), ``None``, ``"seed"`` (a non-negative int or a numpy
Generator), ``"array-like"``, ``"callable"``, or a :class:`Predicate`. A value that fits none
gets one line naming the estimator, the parameter, the value and what is accepted.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from physml._core._validation import show_value

__all__ = [
    "Interval",
    "InvalidParameterError",
    "Options",
    "Predicate",
    "describe_constraint",
    "validate_params",
]


class InvalidParameterError(ValueError, TypeError):
    """A constructor argument outside what the estimator accepts (a ``ValueError`` and a
    ``TypeError``, as in scikit-learn, so that either ``except`` catches it)."""


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (``int`` or ``float``; floats accept ints) between ``low`` and ``high``
    (``None``: unbounded). ``closed`` says which ends belong to the interval. Infinities and NaN
    are never accepted."""

    kind: type
    low: float | None
    high: float | None
    closed: Literal["both", "left", "right", "neither"] = "both"

    def __post_init__(self) -> None:
        if self.kind not in (int, float):
            raise TypeError(f"Interval kind must be int or float, got {self.kind!r}")
        if self.closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"closed must be 'both', 'left', 'right' or 'neither', got {self.closed!r}")

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        wanted = numbers.Integral if self.kind is int else numbers.Real
        if not isinstance(value, wanted) or not math.isfinite(float(value)):
            return False
        if self.low is not None:
            if value < self.low or (value == self.low and self.closed in ("right", "neither")):
                return False
        if self.high is not None:
            if value > self.high or (value == self.high and self.closed in ("left", "neither")):
                return False
        return True

    def describe(self) -> str:
        left = "[" if self.low is not None and self.closed in ("both", "left") else "("
        right = "]" if self.high is not None and self.closed in ("both", "right") else ")"
        low = "-inf" if self.low is None else f"{self.low:g}"
        high = "inf" if self.high is None else f"{self.high:g}"
        noun = "an int" if self.kind is int else "a float"
        return f"{noun} in {left}{low}, {high}{right}"


class Options:
    """One of a fixed set of values (compared with ``==``)."""

    def __init__(self, *values: Any) -> None:
        if not values:
            raise ValueError("Options needs at least one value")
        self.values = tuple(values)

    def accepts(self, value: Any) -> bool:
        try:
            return any(value == v and type(value) is type(v) for v in self.values)
        except (TypeError, ValueError):  # arrays compare elementwise
            return False

    def describe(self) -> str:
        shown = ", ".join(map(repr, self.values))
        return f"one of {shown}" if len(self.values) > 1 else shown


@dataclass(frozen=True)
class Predicate:
    """A test ``check(value) -> bool`` with the words that describe what it accepts."""

    check: Callable[[Any], bool]
    description: str

    def accepts(self, value: Any) -> bool:
        try:
            return bool(self.check(value))
        except (TypeError, ValueError):
            return False

    def describe(self) -> str:
        return self.description


def _array_like(value: Any) -> bool:
    if isinstance(value, (str, bytes, Mapping)) or value is None:
        return False
    try:
        array = np.asarray(value)
    except (TypeError, ValueError):
        return False
    return array.dtype.kind in "biuf" and array.ndim >= 1 and bool(np.all(np.isfinite(array)))


_NAMED: dict[str, Predicate] = {
    "seed": Predicate(
        lambda v: isinstance(v, np.random.Generator)
        or (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= 0),
        "a non-negative int or a numpy Generator",
    ),
    "array-like": Predicate(_array_like, "a finite numeric array-like"),
    "callable": Predicate(callable, "a callable"),
    "boolean": Predicate(lambda v: isinstance(v, (bool, np.bool_)), "True or False"),
}


def _accepts(constraint: Any, value: Any) -> bool:
    if constraint is None:
        return value is None
    if isinstance(constraint, str):
        return _NAMED[constraint].accepts(value)
    if isinstance(constraint, type):
        if constraint is bool:
            return isinstance(value, (bool, np.bool_))
        if constraint is int:
            return isinstance(value, numbers.Integral) and not isinstance(value, bool)
        if constraint is float:
            return isinstance(value, numbers.Real) and not isinstance(value, bool)
        return isinstance(value, constraint)
    return constraint.accepts(value)


def describe_constraint(constraint: Any) -> str:
    """The words for one alternative, as used in error messages."""
    if constraint is None:
        return "None"
    if isinstance(constraint, str):
        if constraint not in _NAMED:
            raise ValueError(f"unknown named constraint {constraint!r}; known: {', '.join(_NAMED)}")
        return _NAMED[constraint].describe()
    if isinstance(constraint, type):
        words = {bool: "True or False", int: "an int", float: "a float", str: "a string"}
        return words.get(constraint, f"a {constraint.__name__}")
    return constraint.describe()


def validate_params(owner: str, constraints: Mapping[str, Sequence[Any]], params: Mapping[str, Any]) -> None:
    """Check every parameter in ``params`` against its declared alternatives.

    Raises
    ------
    InvalidParameterError
        For the first parameter that fits none of its alternatives, or that has no declaration
        (a declaration is part of the estimator, so a missing one is the estimator's bug).
    """
    for name, value in params.items():
        if name not in constraints:
            raise InvalidParameterError(f"{owner}: parameter {name!r} has no declared constraint")
        alternatives = constraints[name]
        if any(_accepts(c, value) for c in alternatives):
            continue
        accepted = [describe_constraint(c) for c in alternatives]
        words = accepted[0] if len(accepted) == 1 else ", ".join(accepted[:-1]) + " or " + accepted[-1]
        raise InvalidParameterError(f"{owner}: {name}={show_value(value)} is not accepted; accepted: {words}")
