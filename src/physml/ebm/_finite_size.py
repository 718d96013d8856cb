"""Finite-size analysis of measured curves: where two curves cross, and extrapolation in the size.

* :func:`curve_crossing`: the point where two curves measured with error bars on a common grid
  cross (or where one curve reaches a level), from a weighted polynomial fit of their difference
  near the crossing, with the uncertainty propagated from the fit (delta method).  The standard
  use is the Binder-cumulant crossing of two lattice sizes, which locates a critical temperature
  (K. Binder, Z. Phys. B 43, 119 (1981)); another is the load at which a retrieval probability
  falls to 1/2.
* :func:`finite_size_extrapolation`: ``y(L) = y_inf + b L**(-omega)`` fitted by weighted least
  squares for a given correction exponent ``omega``, giving the infinite-size limit with its error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from physml._core import check_array, check_int, check_real

__all__ = ["Crossing", "Extrapolation", "curve_crossing", "finite_size_extrapolation"]


@dataclass(frozen=True)
class Crossing:
    """Where two measured curves cross, from :func:`curve_crossing`.

    Attributes
    ----------
    x, x_err : float
        The crossing point and its standard error.
    y, y_err : float
        The first curve's value at the crossing and its standard error (fit error and the
        slope times ``x_err``, added in quadrature).
    degree : int
        Degree of the polynomials fitted.
    window : tuple of float
        The smallest and largest ``x`` of the points used.
    n_points : int
        Points used in the fit.
    chi2 : float
        Chi-square of the fit of the difference.
    dof : int
        ``n_points - degree - 1``.
    scaled : bool
        Whether the errors were scaled by ``sqrt(chi2 / dof)``.
    """

    x: float
    x_err: float
    y: float
    y_err: float
    degree: int
    window: tuple[float, float]
    n_points: int
    chi2: float
    dof: int
    scaled: bool

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else math.nan


def _weighted_polyfit(t: np.ndarray, y: np.ndarray, err: np.ndarray, degree: int) -> tuple[np.ndarray, ...]:
    """Coefficients (lowest order first), their covariance and the chi-square of a weighted fit."""
    design = np.vander(t, degree + 1, increasing=True)
    w = 1.0 / err
    a = design * w[:, None]
    coef, *_ = np.linalg.lstsq(a, y * w, rcond=None)
    cov = np.linalg.pinv(a.T @ a)
    chi2 = float(np.sum(((design @ coef - y) * w) ** 2))
    return coef, cov, chi2


def _value_and_slope(coef: np.ndarray, cov: np.ndarray, t: float) -> tuple[float, float, float]:
    powers = t ** np.arange(len(coef))
    value = float(powers @ coef)
    dpowers = np.arange(len(coef)) * np.concatenate([[0.0], t ** np.arange(len(coef) - 1)])
    slope = float(dpowers @ coef)
    var = float(powers @ cov @ powers)
    return value, slope, max(var, 0.0)


def curve_crossing(
    x: Any,
    y1: Any,
    y1_err: Any,
    y2: Any,
    y2_err: Any = None,
    *,
    degree: int = 2,
    n_points: int | None = None,
    scale_errors: bool = False,
) -> Crossing:
    """Locate the crossing of two curves measured with errors on a common grid.

    The difference ``d = y1 - y2`` (errors ``sqrt(y1_err**2 + y2_err**2)``; the curves are
    independent measurements) is fitted by weighted least squares with a polynomial of
    ``degree`` over the ``n_points`` grid points nearest to where ``d`` changes sign, and its
    root nearest to that sign change is the crossing.  Its error is the fit's error of ``d`` at
    the root over the fitted slope (first-order error propagation).

    Parameters
    ----------
    x : array_like, shape (n,)
        Strictly increasing grid, e.g. temperatures.
    y1, y1_err : array_like, shape (n,)
        First curve and its standard errors (``> 0``).
    y2 : array_like, shape (n,), or float
        Second curve, or a constant level.
    y2_err : array_like, shape (n,), optional
        Standard errors of ``y2`` (``>= 0``; default 0, e.g. for a level).
    degree : int
        Polynomial degree (1 = straight lines); ``n_points >= degree + 1``.
    n_points : int, optional
        Grid points used, nearest to the sign change (default all).
    scale_errors : bool
        Scale the errors by ``sqrt(chi2 / dof)`` when that is above 1 (for errors known only
        up to a factor).

    Returns
    -------
    Crossing

    Raises
    ------
    ValueError
        If the difference does not change sign on the grid (the curves do not cross there),
        or the fitted polynomial has no root inside the fitted window.
    """
    xs = check_array(x, "x", ndim=1, min_samples=2)
    n = xs.shape[0]
    if np.any(np.diff(xs) <= 0):
        raise ValueError("x must be strictly increasing")
    a = check_array(y1, "y1", shape=(n,))
    ea = check_array(y1_err, "y1_err", shape=(n,))
    b = np.full(n, check_real(y2, "y2")) if np.ndim(y2) == 0 else check_array(y2, "y2", shape=(n,))
    eb = np.zeros(n) if y2_err is None else check_array(y2_err, "y2_err", shape=(n,))
    if np.any(ea <= 0):
        raise ValueError("y1_err must be > 0 (every point needs an error bar)")
    if np.any(eb < 0):
        raise ValueError("y2_err must be >= 0")
    degree = check_int(degree, "degree", low=1)
    n_points = n if n_points is None else check_int(n_points, "n_points", low=degree + 1, high=n)
    if n_points < degree + 1:
        raise ValueError(f"need at least degree + 1 = {degree + 1} points, got {n_points}")

    d = a - b
    ed = np.sqrt(ea**2 + eb**2)
    sign = np.sign(d)
    changes = np.flatnonzero(sign[:-1] * sign[1:] <= 0)
    if changes.size == 0:
        above = "above" if d[0] > 0 else "below"
        raise ValueError(
            f"the curves do not cross on the grid x = [{xs[0]:g}, {xs[-1]:g}]: y1 stays {above} y2; "
            "widen the grid"
        )
    # a rough crossing: linear interpolation at each sign change, the median of them if noise
    # makes several
    guesses = []
    for i in changes:
        step = d[i] - d[i + 1]
        guesses.append(xs[i] if step == 0 else xs[i] + (xs[i + 1] - xs[i]) * d[i] / step)
    guess = float(np.median(guesses))
    use = np.sort(np.argsort(np.abs(xs - guess), kind="stable")[:n_points])
    xw = xs[use]
    centre, half = 0.5 * (xw[0] + xw[-1]), 0.5 * (xw[-1] - xw[0])
    t = (xw - centre) / half  # conditioning: the window maps onto [-1, 1]

    coef, cov, chi2 = _weighted_polyfit(t, d[use], ed[use], degree)
    dof = n_points - degree - 1
    factor = 1.0
    if scale_errors and dof > 0 and chi2 > dof:
        factor = chi2 / dof
    roots = np.roots(coef[::-1]) if np.any(coef[1:] != 0) else np.array([])
    real = roots[np.abs(roots.imag) <= 1e-9 * max(1.0, float(np.max(np.abs(roots), initial=1.0)))].real
    inside = real[(real >= -1.0 - 1e-12) & (real <= 1.0 + 1e-12)]
    if inside.size == 0:
        raise ValueError(
            f"the fitted degree-{degree} polynomial has no root in [{xw[0]:g}, {xw[-1]:g}]; "
            "use more points or a lower degree"
        )
    t0 = float(inside[np.argmin(np.abs(inside - (guess - centre) / half))])
    _, slope, var = _value_and_slope(coef, cov * factor, t0)
    if slope == 0.0:
        raise ValueError("the fitted curves are tangent at the crossing; its position is undetermined")
    x0 = centre + half * t0
    x_err = half * math.sqrt(var) / abs(slope)

    coef1, cov1, chi2_1 = _weighted_polyfit(t, a[use], ea[use], degree)
    factor1 = chi2_1 / dof if scale_errors and dof > 0 and chi2_1 > dof else 1.0
    y0, slope1, var1 = _value_and_slope(coef1, cov1 * factor1, t0)
    y_err = math.sqrt(var1 + (slope1 / half * x_err) ** 2)
    return Crossing(
        x=float(x0),
        x_err=float(x_err),
        y=y0,
        y_err=float(y_err),
        degree=degree,
        window=(float(xw[0]), float(xw[-1])),
        n_points=n_points,
        chi2=chi2,
        dof=dof,
        scaled=factor != 1.0,
    )


@dataclass(frozen=True)
class Extrapolation:
    """``y(L) = limit + slope * L**(-omega)`` from :func:`finite_size_extrapolation`.

    Attributes
    ----------
    limit, limit_err : float
        The infinite-size value and its standard error.
    slope, slope_err : float
        The amplitude ``b`` of the correction and its standard error.
    omega : float
        The correction exponent used.
    chi2 : float
    dof : int
        ``n - 2``.
    scaled : bool
        Whether the errors were scaled by ``sqrt(chi2 / dof)``.
    """

    limit: float
    limit_err: float
    slope: float
    slope_err: float
    omega: float
    chi2: float
    dof: int
    scaled: bool

    def predict(self, sizes: Any) -> np.ndarray:
        """``limit + slope * sizes**(-omega)``."""
        return self.limit + self.slope * np.asarray(sizes, dtype=float) ** (-self.omega)

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else math.nan


def finite_size_extrapolation(
    sizes: Any, values: Any, errors: Any, *, omega: float, scale_errors: bool = False
) -> Extrapolation:
    """Extrapolate ``values`` measured at ``sizes`` to infinite size, ``y = y_inf + b L**(-omega)``.

    A weighted straight-line fit in ``L**(-omega)`` (weights ``1 / errors**2``).

    Parameters
    ----------
    sizes : array_like, shape (n,)
        System sizes (``> 0``), at least 2 distinct.
    values, errors : array_like, shape (n,)
        Measurements and their standard errors (``> 0``).
    omega : float
        Correction exponent (``> 0``), e.g. ``1/2`` for a shift falling as ``N**(-1/2)``.
    scale_errors : bool
        Scale the errors by ``sqrt(chi2 / dof)`` when that is above 1.

    Returns
    -------
    Extrapolation
    """
    L = check_array(sizes, "sizes", ndim=1, min_samples=2)
    n = L.shape[0]
    y = check_array(values, "values", shape=(n,))
    e = check_array(errors, "errors", shape=(n,))
    omega = check_real(omega, "omega", low=0.0, low_open=True)
    if np.any(L <= 0):
        raise ValueError("sizes must be > 0")
    if np.any(e <= 0):
        raise ValueError("errors must be > 0")
    u = L ** (-omega)
    if np.ptp(u) == 0:
        raise ValueError("sizes must contain at least two different values")
    coef, cov, chi2 = _weighted_polyfit(u, y, e, 1)
    dof = n - 2
    scaled = bool(scale_errors and dof > 0 and chi2 > dof)
    if scaled:
        cov = cov * (chi2 / dof)
    return Extrapolation(
        limit=float(coef[0]),
        limit_err=math.sqrt(max(cov[0, 0], 0.0)),
        slope=float(coef[1]),
        slope_err=math.sqrt(max(cov[1, 1], 0.0)),
        omega=omega,
        chi2=chi2,
        dof=dof,
        scaled=scaled,
    )
