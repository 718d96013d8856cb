"""Power-law fits ``y = A x**p`` by weighted least squares in log-log space."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physml._core import check_array

__all__ = ["PowerLawFit", "fit_power_law"]

_LOG_MAX = math.log(np.finfo(float).max)


@dataclass(frozen=True)
class PowerLawFit:
    """Result of :func:`fit_power_law`: ``y = prefactor * x**exponent``.

    Attributes
    ----------
    exponent, exponent_err : float
        ``p`` and its standard error.
    prefactor, prefactor_err : float
        ``A`` and its standard error (propagated from ``ln A``); inf where ``A`` overflows double
        precision (e.g. a steep law over sizes near 1e300), when only ``log_prefactor`` is usable.
    log_prefactor : float
        ``ln A`` (always finite; :meth:`predict` works from it).
    covariance : numpy.ndarray, shape (2, 2)
        Covariance of ``(ln A, p)``.
    chi2 : float
        Sum of squared weighted residuals in ``ln y``.
    dof : int
        ``n - 2``.
    scaled : bool
        True when the errors were scaled by ``sqrt(chi2 / dof)`` (no ``y_err`` given, or
        ``scale_errors=True``).
    """

    exponent: float
    exponent_err: float
    prefactor: float
    prefactor_err: float
    log_prefactor: float
    covariance: np.ndarray
    chi2: float
    dof: int
    scaled: bool

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        """``prefactor * x**exponent``."""
        with np.errstate(divide="ignore"):
            return np.exp(self.log_prefactor + self.exponent * np.log(np.asarray(x, dtype=float)))

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else math.nan


def fit_power_law(
    x: np.ndarray,
    y: np.ndarray,
    y_err: np.ndarray | None = None,
    *,
    scale_errors: bool | None = None,
) -> PowerLawFit:
    """Fit ``y = A x**p`` by least squares on ``ln y = ln A + p ln x``.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Positive, finite values; ``n >= 2`` (``n >= 3`` to estimate errors without ``y_err``).
    y_err : array_like, shape (n,), optional
        Standard errors of ``y`` (positive); the weights are ``(y / y_err)**2``, the
        first-order error of ``ln y``.
    scale_errors : bool, optional
        Scale the parameter covariance by the reduced chi-square. Default: True without
        ``y_err`` (the scatter sets the errors), False with it (the given errors do).

    Returns
    -------
    PowerLawFit
    """
    x = check_array(x, "x", ndim=1)
    y = check_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    if np.any(x <= 0) or np.any(y <= 0):
        raise ValueError("fit_power_law needs x > 0 and y > 0 (it fits in log-log space)")
    n = x.shape[0]
    if n < 2:
        raise ValueError(f"fit_power_law needs at least 2 points, got {n}")
    if y_err is None:
        w = np.ones(n)
        scale = True if scale_errors is None else bool(scale_errors)
    else:
        y_err = check_array(y_err, "y_err", ndim=1)
        if y_err.shape != y.shape:
            raise ValueError(f"y_err must have the same length as y, got {y_err.shape[0]} and {n}")
        if np.any(y_err <= 0):
            raise ValueError("y_err must be > 0")
        w = (y / y_err) ** 2
        scale = False if scale_errors is None else bool(scale_errors)
    if scale and n < 3:
        raise ValueError("fit_power_law needs at least 3 points to estimate errors from the scatter")
    design = np.column_stack([np.ones(n), np.log(x)])
    ly = np.log(y)
    precision = design.T @ (design * w[:, None])
    cov = np.linalg.inv(precision)
    beta = cov @ (design.T @ (w * ly))
    resid = ly - design @ beta
    chi2 = float(np.sum(w * resid**2))
    dof = n - 2
    if scale and dof > 0:
        cov = cov * (chi2 / dof)
    log_a, p = float(beta[0]), float(beta[1])
    a = math.exp(log_a) if log_a < _LOG_MAX else math.inf  # ln A is kept in log_prefactor
    return PowerLawFit(
        exponent=p,
        exponent_err=math.sqrt(max(cov[1, 1], 0.0)),
        prefactor=a,
        prefactor_err=a * math.sqrt(max(cov[0, 0], 0.0)),
        log_prefactor=log_a,
        covariance=cov,
        chi2=chi2,
        dof=dof,
        scaled=scale,
    )
