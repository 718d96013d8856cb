"""Input checks, duplicate handling, subsampling errors and the file state shared by the geometry
estimators."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

import numpy as np

from physml._core import check_array, check_int
from physml.scaling import PowerLawFit

__all__ = [
    "check_points",
    "drop_duplicates",
    "fitted_state",
    "restore_fitted_state",
    "subsample_error",
    "subsample_splits",
]


def check_points(
    x: Any, name: str = "X", *, min_samples: int = 2, what: str = "this estimator",
    n_features: int | None = None,
) -> np.ndarray:
    """A finite float64 array of shape ``(n_samples, n_features)`` with enough rows (and
    ``n_features`` columns if given).

    A 1-D array is refused with a hint (it is ambiguous: one point or one feature).
    """
    arr = check_array(x, name, dtype=np.float64, n_features=n_features)
    if arr.ndim == 1:
        raise ValueError(
            f"{name} must have 2 dimensions (n_samples, n_features), got shape {arr.shape}; "
            "use x.reshape(-1, 1) for samples of one feature or x.reshape(1, -1) for one sample"
        )
    if arr.ndim != 2:
        raise ValueError(f"{name} must have 2 dimensions (n_samples, n_features), got shape {arr.shape}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name} has no features (shape {arr.shape})")
    if arr.shape[0] < min_samples:
        raise ValueError(f"{what} needs at least {min_samples} points, got {arr.shape[0]} ({name} of shape "
                         f"{arr.shape})")
    return arr


def drop_duplicates(
    x: np.ndarray, *, what: str = "this estimator", min_samples: int = 2
) -> tuple[np.ndarray, int]:
    """Remove repeated rows (zero distances have no scale) and say how many went.

    Returns the unique rows in their original order and the number removed; warns when
    any were removed and raises when fewer than ``min_samples`` distinct points remain.
    """
    # quick exit: if a generic projection separates every point there are no duplicates
    # (distinct points can collide only on a measure-zero set of directions)
    projection = np.sort(x @ np.sqrt(np.arange(2.0, x.shape[1] + 2.0)))
    if np.all(np.diff(projection) > 0):
        return x, 0
    _, first = np.unique(x, axis=0, return_index=True)
    n_dup = x.shape[0] - first.size
    if n_dup:
        x = x[np.sort(first)]
        warnings.warn(
            f"{what}: removed {n_dup} duplicate point(s) (zero distances carry no scale); "
            f"{x.shape[0]} distinct points remain",
            UserWarning,
            stacklevel=3,
        )
    if x.shape[0] < min_samples:
        raise ValueError(f"{what} needs at least {min_samples} distinct points, got {x.shape[0]}")
    return x, int(n_dup)


def subsample_splits(n: int, n_subsamples: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A random partition of ``range(n)`` into ``n_subsamples`` disjoint parts of (almost) equal size."""
    perm = rng.permutation(n)
    return [np.sort(part) for part in np.array_split(perm, n_subsamples)]


def subsample_error(
    estimate: Callable[[np.ndarray], float],
    x: np.ndarray,
    n_subsamples: int,
    rng: np.random.Generator,
) -> tuple[float, np.ndarray]:
    """Standard error of an estimator from disjoint subsamples.

    ``x`` is split at random into ``m = n_subsamples`` disjoint parts of ``n/m`` points; the
    estimator is applied to each. If its variance falls like ``1/n`` (the leading term for
    averages of local quantities and for U-statistics such as the correlation sum), the
    variance on all ``n`` points is ``Var_part / m``, so the standard error is
    ``std(parts, ddof=1) / sqrt(m)``. Where the variance falls faster (the ``1/n**2`` pair
    noise of correlation sums at small radii) this is conservative.

    Returns the standard error (NaN when ``n_subsamples < 2``) and the part estimates.
    """
    if n_subsamples < 2:
        return math.nan, np.array([])
    check_int(n_subsamples, "n_subsamples", low=2)
    values = np.array([estimate(x[idx]) for idx in subsample_splits(x.shape[0], n_subsamples, rng)])
    finite = values[np.isfinite(values)]
    if finite.size < 2:
        return math.nan, values
    return float(np.std(finite, ddof=1) / math.sqrt(finite.size)), values


# -- file state ------------------------------------------------------------------------------------
# A fitted estimator is saved as its numbers (JSON: floats round-trip exactly, NaN and infinities
# included), its arrays, and its power-law fit ``fit_`` if it has one (the fit's covariance as an
# array, the rest as numbers). Constructor arguments that are tuples or arrays come back from JSON
# as lists; the state records which, so that a loaded model has the same parameters.


def fitted_state(
    est: Any, numbers: Sequence[str], arrays: Sequence[str]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)`` for :meth:`ModelMixin._get_state` from the named fitted attributes."""
    params = est.get_params(deep=False)
    meta: dict[str, Any] = {
        "numbers": {name: getattr(est, name) for name in numbers},
        "tuple_params": [k for k, v in params.items() if isinstance(v, tuple)],
        "array_params": [k for k, v in params.items() if isinstance(v, np.ndarray)],
    }
    out = {name: np.asarray(getattr(est, name)) for name in arrays}
    fit = getattr(est, "fit_", None)
    if isinstance(fit, PowerLawFit):
        fields = asdict(fit)
        out["power_law_covariance"] = np.asarray(fields.pop("covariance"))
        meta["power_law"] = fields
    return meta, out


def restore_fitted_state(
    est: Any, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], *, tuples: Sequence[str] = ()
) -> None:
    """Set the attributes saved by :func:`fitted_state`; ``tuples`` names the numbers that were tuples."""
    for name, value in meta["numbers"].items():
        setattr(est, name, tuple(value) if name in tuples else value)
    arrays = dict(arrays)
    if "power_law" in meta:
        est.fit_ = PowerLawFit(**meta["power_law"], covariance=arrays.pop("power_law_covariance"))
    for name, value in arrays.items():
        setattr(est, name, value)
    for name in meta.get("tuple_params", ()):
        setattr(est, name, tuple(getattr(est, name)))
    for name in meta.get("array_params", ()):
        setattr(est, name, np.asarray(getattr(est, name)))
