"""Input validation shared by every public function of physml.

Errors name the argument, show the offending value and say what is accepted,
in the style of scikit-learn's ``check_array``.
"""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "check_array",
    "check_choice",
    "check_int",
    "check_real",
    "check_seed",
    "show_value",
]


def show_value(value: Any, limit: int = 60) -> str:
    """``repr(value)`` on one line (an array's rows joined), shortened to ``limit`` characters for
    an error message."""
    text = " ".join(repr(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_array(
    x: Any,
    name: str,
    *,
    ndim: int | Sequence[int] | None = None,
    dtype: Any = np.float64,
    allow_nan: bool = False,
    min_samples: int = 0,
    shape: Sequence[int | None] | None = None,
    n_features: int | None = None,
) -> np.ndarray:
    """Convert ``x`` to an array and check it.

    Parameters
    ----------
    x : array_like
        The user's input.
    name : str
        The argument's name, used in error messages.
    ndim : int or sequence of int, optional
        Accepted numbers of dimensions.
    dtype : numpy dtype, optional
        Target dtype (``None`` keeps the input's dtype).
    allow_nan : bool
        Whether NaN and infinities are accepted.
    min_samples : int
        Minimum length of the first axis.
    shape : sequence of (int or None), optional
        Required shape; ``None`` entries are free.
    n_features : int, optional
        Required length of the last axis of an array of 2 or more dimensions: the number of
        features a model was fitted on (``n_features_in_``).

    Returns
    -------
    numpy.ndarray
    """
    if x is None:
        raise TypeError(f"{name} must be an array, got None")
    if type(x).__module__.startswith("scipy.sparse"):
        kind = type(x).__name__
        raise TypeError(f"{name} is a sparse {kind}; physml takes dense arrays (use {name}.toarray())")
    try:
        with warnings.catch_warnings():  # numpy would drop an imaginary part with a warning
            warnings.simplefilter("error", np.exceptions.ComplexWarning)
            arr = np.asarray(x, dtype=dtype)
    except np.exceptions.ComplexWarning:
        raise ValueError(f"{name} holds complex numbers; physml takes real arrays here") from None
    except (TypeError, ValueError) as exc:
        kind = np.dtype(dtype).name if dtype is not None else "an array"
        got = show_value(x)
        if isinstance(x, np.ndarray):
            got = f"an array of dtype {x.dtype} and shape {x.shape}"
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise TypeError(f"{name} must be convertible to {kind} array, got {got}: {reason}") from None
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {arr.shape}")
    if shape is not None:
        pairs = zip(shape, arr.shape, strict=False)
        if arr.ndim != len(shape) or any(s is not None and s != a for s, a in pairs):
            want = "(" + ", ".join("any" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name} must have shape {want}, got {arr.shape}")
    if n_features is not None and arr.ndim >= 2 and arr.shape[-1] != n_features:
        raise ValueError(f"{name} has {arr.shape[-1]} features, but the model was fitted on {n_features}")
    if min_samples and (arr.ndim == 0 or arr.shape[0] < min_samples):
        got = 0 if arr.ndim == 0 else arr.shape[0]
        raise ValueError(f"{name} needs at least {min_samples} sample(s) along axis 0, got {got}")
    if not allow_nan and arr.dtype.kind in "fc" and not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))
        first = tuple(int(i) for i in bad[0])
        raise ValueError(
            f"{name} contains {len(bad)} non-finite value(s) (NaN or inf), first at index {first}; "
            "remove or impute them"
        )
    return arr


def check_int(value: Any, name: str, *, low: int | None = None, high: int | None = None) -> int:
    """Check that ``value`` is an integer in ``[low, high]``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {show_value(value)}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be in {_interval(low, high)}, got {value}")
    return value


def check_real(
    value: Any,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
) -> float:
    """Check that ``value`` is a finite real number in the given interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {show_value(value)}")
    value = float(value)
    bad = not np.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value > high
    if bad:
        raise ValueError(f"{name} must be a finite number in {_interval(low, high, low_open)}, got {value}")
    return value


def check_choice(value: Any, name: str, choices: Sequence[Any]) -> Any:
    """Check that ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {show_value(value)}")
    return value


def check_seed(seed: Any, name: str = "seed") -> int | np.random.Generator:
    """Accept a non-negative integer or a ``numpy.random.Generator``."""
    if isinstance(seed, np.random.Generator):
        return seed
    return check_int(seed, name, low=0)


def _interval(low: float | None, high: float | None, low_open: bool = False) -> str:
    left = "(" if low_open or low is None else "["
    right = "]" if high is not None else ")"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"
