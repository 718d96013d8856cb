"""Declared parameter constraints: what each alternative accepts and the one-line error."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from physml._core import Interval, InvalidParameterError, Options, Predicate, validate_params

CONSTRAINTS = {
    "n": [Interval(int, 1, None)],
    "rate": [Interval(float, 0, 1, closed="right")],
    "method": [Options("cd", "pcd")],
    "betas": [None, "array-like"],
    "seed": ["seed"],
    "flag": [bool],
    "fn": ["callable", None],
    "even": [Predicate(lambda v: v % 2 == 0, "an even number")],
}
GOOD = {"n": 3, "rate": 1.0, "method": "pcd", "betas": [0.5, 1.0], "seed": 0, "flag": False, "fn": None,
        "even": 4}


def test_good_values_pass():
    validate_params("Model", CONSTRAINTS, GOOD)
    validate_params("Model", CONSTRAINTS, {**GOOD, "seed": np.random.default_rng(1), "betas": None, "fn": len,
                                           "n": np.int64(7), "rate": 0.25})


@pytest.mark.parametrize(
    ("name", "value", "accepted"),
    [
        ("n", 0, "an int in [1, inf)"),
        ("n", 2.0, "an int in [1, inf)"),
        ("n", True, "an int in [1, inf)"),
        ("rate", 0.0, "a float in (0, 1]"),
        ("rate", float("nan"), "a float in (0, 1]"),
        ("rate", float("inf"), "a float in (0, 1]"),
        ("method", "CD", "one of 'cd', 'pcd'"),
        ("betas", "0.5", "None or a finite numeric array-like"),
        ("betas", [0.5, float("nan")], "None or a finite numeric array-like"),
        ("seed", -1, "a non-negative int or a numpy Generator"),
        ("flag", 1, "True or False"),
        ("fn", 3, "a callable or None"),
        ("even", 3, "an even number"),
    ],
)
def test_a_bad_value_gets_one_line_naming_owner_parameter_value_and_accepted(name, value, accepted):
    with pytest.raises(InvalidParameterError) as info:
        validate_params("Model", CONSTRAINTS, {**GOOD, name: value})
    text = str(info.value)
    assert text == f"Model: {name}={value!r} is not accepted; accepted: {accepted}"
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)


def test_an_undeclared_parameter_is_the_estimators_bug():
    with pytest.raises(InvalidParameterError, match="parameter 'other' has no declared constraint"):
        validate_params("Model", CONSTRAINTS, {**GOOD, "other": 1})


@given(st.integers(-5, 5), st.integers(-5, 5), st.integers(-7, 7),
       st.sampled_from(["both", "left", "right", "neither"]))
def test_interval_membership_matches_its_definition(low, high, x, closed):
    iv = Interval(int, low, high, closed=closed)
    lo_ok = x > low or (x == low and closed in ("both", "left"))
    hi_ok = x < high or (x == high and closed in ("both", "right"))
    assert iv.accepts(x) == (lo_ok and hi_ok)


def test_interval_and_options_refuse_nonsense_declarations():
    with pytest.raises(TypeError):
        Interval(str, 0, 1)
    with pytest.raises(ValueError):
        Interval(int, 0, 1, closed="open")
    with pytest.raises(ValueError):
        Options()
