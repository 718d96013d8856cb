"""Covariance spectra and their power laws ``lambda_i ∝ i**(-(1 + alpha))``.

The Kahn talk ("Dumb Machine Learning for Physics", IAIFI Colloquium, 10 March 2023; slide "Jet images
vs. cat images") looks at the eigenvalues of the data
covariance ``(1/T) sum_a x_(i;a) x_(j;a)``: physics data with structure at all scales has a
power-law spectrum. White noise does not: its sample covariance has the Marchenko-Pastur
spectrum, flat up to sampling noise (:func:`marchenko_pastur_quantiles`).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from physml._core import Interval, ModelMixin, Predicate, as_generator, check_int, check_real
from physml.geometry._common import (
    check_points,
    fitted_state,
    restore_fitted_state,
    subsample_error,
)
from physml.scaling import PowerLawFit, fit_power_law

__all__ = ["CovarianceSpectrum", "covariance_spectrum", "marchenko_pastur_quantiles", "principal_axes"]


def covariance_spectrum(x: Any, *, centered: bool = True) -> np.ndarray:
    """Eigenvalues of the data covariance, largest first.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
        ``T = n_samples`` observations of ``n_features`` variables, at least 2 of them.
    centered : bool
        ``True``: ``(1/T) sum_a (x_a - mean)(x_a - mean)^T``, the covariance.
        ``False``: ``(1/T) sum_a x_a x_a^T``, the second-moment matrix of the talk.

    Returns
    -------
    numpy.ndarray, shape (min(n_samples, n_features),)
        Non-negative eigenvalues (units of ``x`` squared), descending. The matrix is formed
        in the smaller of the feature (``D x D``) and sample (``T x T``) spaces, which have
        the same non-zero eigenvalues.
    """
    x = check_points(x, "x", min_samples=2, what="covariance_spectrum")
    if not isinstance(centered, bool):
        raise TypeError(f"centered must be a bool, got {centered!r}")
    return _spectrum(x, centered)


def _spectrum(x: np.ndarray, centered: bool) -> np.ndarray:
    t, d = x.shape
    if centered:
        x = x - x.mean(axis=0)
    gram = (x.T @ x) if d <= t else (x @ x.T)
    ev = np.linalg.eigvalsh(gram / t)[::-1]
    return np.clip(ev, 0.0, None)


def principal_axes(x: Any) -> tuple[np.ndarray, np.ndarray]:
    """The principal axes of a sample and the variances along them, largest first.

    The eigen-decomposition Σ = Σ_i λ_i a_i a_iᵀ of the covariance Σ = (1/T) Σ_t (x_t − x̄)(x_t − x̄)ᵀ
    of ``T`` points (the biased estimate, as for :func:`covariance_spectrum`). a_1 is the
    direction of largest variance (the first principal component), a_D that of the smallest:
    the direction that costs least to flatten, where a projection onto D − 1 dimensions loses
    least. An axis has no sign (a_i and −a_i are the same axis).

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
        At least 2 points.

    Returns
    -------
    variances : numpy.ndarray, shape (n_features,)
        λ_1 ≥ … ≥ λ_D (units of ``x`` squared; rounding may leave a zero one slightly negative).
    axes : numpy.ndarray, shape (n_features, n_features)
        Row i is the unit vector a_i.
    """
    x = check_points(x, "x", min_samples=2, what="principal_axes")
    w, v = np.linalg.eigh(np.atleast_2d(np.cov(x, rowvar=False, bias=True)))
    return w[::-1].copy(), v[:, ::-1].T.copy()


def marchenko_pastur_quantiles(n_samples: int, n_features: int, variance: float = 1.0) -> np.ndarray:
    """Expected ranked eigenvalues of the sample covariance of white noise.

    For ``T = n_samples`` independent vectors of ``D = n_features`` i.i.d. entries of variance
    ``s2``, the eigenvalue density tends to the Marchenko-Pastur law with ratio
    ``q = D / T <= 1`` on ``[s2 (1 - sqrt q)**2, s2 (1 + sqrt q)**2]``. The ``i``-th largest
    eigenvalue is approximated by the law's quantile at ``1 - (i - 1/2) / D``.

    Parameters
    ----------
    n_samples, n_features : int
        ``n_features <= n_samples``.
    variance : float
        Variance ``s2`` of each entry, > 0.

    Returns
    -------
    numpy.ndarray, shape (n_features,)
        Descending.

    References
    ----------
    V. A. Marchenko, L. A. Pastur, Math. USSR Sbornik 1, 457 (1967).
    """
    t = check_int(n_samples, "n_samples", low=1)
    d = check_int(n_features, "n_features", low=1)
    s2 = check_real(variance, "variance", low=0.0, low_open=True)
    if d > t:
        raise ValueError(f"n_features must be <= n_samples (q = D/T <= 1), got {d} > {t}")
    q = d / t
    lo, hi = (1 - math.sqrt(q)) ** 2, (1 + math.sqrt(q)) ** 2
    grid = np.linspace(lo, hi, 20001)
    with np.errstate(invalid="ignore", divide="ignore"):
        dens = np.sqrt(np.clip((hi - grid) * (grid - lo), 0.0, None)) / (2 * math.pi * q * grid)
    dens[~np.isfinite(dens)] = 0.0
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    cdf /= cdf[-1]
    probs = 1.0 - (np.arange(1, d + 1) - 0.5) / d
    return s2 * np.interp(probs, cdf, grid)


def _is_rank_range(value: Any) -> bool:
    if isinstance(value, (str, bytes)):
        return False
    lo, hi = value
    if isinstance(lo, bool) or not isinstance(lo, numbers.Integral) or lo < 1:
        return False
    return hi is None or (not isinstance(hi, bool) and isinstance(hi, numbers.Integral) and hi >= lo + 2)


class CovarianceSpectrum(ModelMixin, BaseEstimator):
    """Covariance eigenvalues and a power-law fit ``lambda_i = A i**(-(1 + alpha))``.

    The fit is :func:`physml.scaling.fit_power_law` of the eigenvalues against their rank
    ``i`` (1-based) over ``fit_range``. Its uncertainty comes from disjoint random
    subsamples of the rows (the spectrum and the fit recomputed on each), since the
    eigenvalues are correlated and the fit's own error bars are not honest.

    Parameters
    ----------
    centered : bool
        See :func:`covariance_spectrum`.
    fit_range : (int, int or None)
        First and last rank fitted, 1-based and inclusive; ``None`` for the last: half the
        numerically non-zero eigenvalues (the tail of a finite sample is noise).
    n_subsamples : int
        Subsamples for the standard error (0 or 1: none).
    seed : int or numpy.random.Generator

    Attributes
    ----------
    eigenvalues_ : numpy.ndarray
        Descending.
    alpha_, alpha_err_ : float
        ``alpha`` and its standard error; the decay exponent is ``1 + alpha``.
    fit_ : PowerLawFit
        ``exponent = -(1 + alpha)``.
    fit_range_ : (int, int)
    rms_residual_ : float
        Root-mean-square residual of ``ln lambda`` about the fitted line (0 for an exact
        power law).
    subsample_alphas_ : numpy.ndarray
    n_samples_, n_features_ : int
    n_features_in_ : int
        The same as ``n_features_`` (scikit-learn's name).

    A fitted spectrum saves with ``save(path)`` and loads with ``CovarianceSpectrum.load(path)``.
    """

    #: NaN where a subsample is too small for a fit: results, not trained parameters
    _nonfinite_arrays: ClassVar[tuple[str, ...]] = ("subsample_alphas_",)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "centered": ["boolean"],
        "fit_range": [Predicate(_is_rank_range, "a pair (first, last) of ranks with first >= 1 and last None "
                                                "or >= first + 2")],
        "n_subsamples": [Interval(int, 0, None)],
        "seed": ["seed"],
    }

    def __init__(self, *, centered: bool = True, fit_range: tuple[int, int | None] = (1, None),
                 n_subsamples: int = 8, seed: int | np.random.Generator = 0) -> None:
        self.centered = centered
        self.fit_range = fit_range
        self.n_subsamples = n_subsamples
        self.seed = seed

    def fit(self, x: Any, y: Any = None) -> CovarianceSpectrum:
        """Compute the spectrum of ``x``, shape (n_samples, n_features), and fit the power law."""
        self._validate_params()
        n_sub = int(self.n_subsamples)
        x = check_points(x, "X", min_samples=3, what="CovarianceSpectrum")
        self.n_samples_, self.n_features_ = x.shape
        self.n_features_in_ = self.n_features_
        ev = _spectrum(x, self.centered)
        self.eigenvalues_ = ev
        lo, hi = self._range(ev)
        self.fit_range_ = (lo, hi)
        self.fit_ = _fit(ev, lo, hi)
        self.alpha_ = -self.fit_.exponent - 1.0
        ranks = np.arange(lo, hi + 1)
        resid = np.log(ev[lo - 1 : hi]) - np.log(self.fit_.predict(ranks))
        self.rms_residual_ = float(np.sqrt(np.mean(resid**2)))

        def part(sub: np.ndarray) -> float:
            e = _spectrum(sub, self.centered)
            if e.size < hi or np.any(e[lo - 1 : hi] <= 0):
                return math.nan
            return -_fit(e, lo, hi).exponent - 1.0

        self.alpha_err_, self.subsample_alphas_ = subsample_error(part, x, n_sub, as_generator(self.seed))
        return self

    def _get_state(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return fitted_state(
            self, ["alpha_", "alpha_err_", "fit_range_", "rms_residual_", "n_samples_", "n_features_",
                   "n_features_in_"],
            ["eigenvalues_", "subsample_alphas_"],
        )

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        restore_fitted_state(self, meta, arrays, tuples=["fit_range_"])

    def _range(self, ev: np.ndarray) -> tuple[int, int]:
        lo, hi = self.fit_range
        tol = ev[0] * max(ev.size, 1) * np.finfo(float).eps * 10 if ev.size else 0.0
        n_pos = int(np.sum(ev > tol))
        lo = int(lo)
        hi = max(n_pos // 2, lo + 2) if hi is None else int(hi)
        if hi > n_pos:
            raise ValueError(
                f"fit_range {(lo, hi)} reaches beyond the {n_pos} non-zero eigenvalue(s) of this data "
                f"(shape {self.n_samples_} x {self.n_features_}); choose a last rank <= {n_pos}"
            )
        return lo, hi

    def plot(self, ax: Any = None) -> Any:
        """Log-log plot of the ranked eigenvalues with the fitted power law; returns the axes."""
        if ax is None:
            from matplotlib.figure import Figure

            ax = Figure(figsize=(5.0, 3.8), layout="constrained").add_subplot()
        ranks = np.arange(1, self.eigenvalues_.size + 1)
        pos = self.eigenvalues_ > 0
        ax.loglog(ranks[pos], self.eigenvalues_[pos], ".", ms=3, label="eigenvalues")
        lo, hi = self.fit_range_
        fr = np.arange(lo, hi + 1)
        ax.loglog(fr, self.fit_.predict(fr), "-", lw=1.5,
                  label=f"i^-(1+α), α = {self.alpha_:.3f}" + (
                      f" ± {self.alpha_err_:.3f}" if math.isfinite(self.alpha_err_) else ""))
        ax.set(xlabel="rank i", ylabel="eigenvalue λ_i")
        ax.legend(fontsize=8)
        return ax


def _fit(ev: np.ndarray, lo: int, hi: int) -> PowerLawFit:
    ranks = np.arange(lo, hi + 1, dtype=float)
    return fit_power_law(ranks, ev[lo - 1 : hi])
