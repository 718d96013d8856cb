"""Error analysis of Markov-chain time series: autocorrelation, blocking, jackknife.

Conventions
-----------
* The normalised autocorrelation is ``rho(t) = C(t) / C(0)`` with the autocovariance
  ``C(t) = <(x_s - xbar)(x_{s+t} - xbar)>``.
* The integrated autocorrelation time is ``tau_int = 1/2 + sum_{t >= 1} rho(t)`` (Sokal's
  convention), so that the variance of the mean of ``n`` correlated samples is
  ``var(xbar) = 2 tau_int var(x) / n``; uncorrelated data have ``tau_int = 1/2`` and an AR(1) process
  ``x_t = r x_{t-1} + noise`` has ``tau_int = (1 + r) / (2 (1 - r))``.
* Series of shape ``(n,)`` are one chain; series of shape ``(n, n_chains)`` are independent chains
  of equal length (e.g. replicas), sampled at the same times.

References
----------
A. D. Sokal, "Monte Carlo methods in statistical mechanics: foundations and new algorithms",
in Functional Integration (Cargese 1996), Springer (1997); N. Madras and A. D. Sokal,
J. Stat. Phys. 50, 109 (1988) (automatic windowing); H. Flyvbjerg and H. G. Petersen,
J. Chem. Phys. 91, 461 (1989) (blocking); M. Jonsson, Phys. Rev. E 98, 043304 (2018) (automated
choice of the blocking level); B. Efron, The Jackknife, the Bootstrap and Other Resampling Plans,
SIAM (1982).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from physml._core import check_array, check_int, check_real

__all__ = [
    "AutocorrelationTime",
    "BinningResult",
    "autocorrelation",
    "autocorrelation_time",
    "binning_analysis",
    "binning_error",
    "integrated_autocorrelation_time",
    "jackknife",
    "replica_agreement",
]


def _series(series: Any, name: str = "series", min_samples: int = 2) -> np.ndarray:
    x = check_array(series, name, ndim=(1, 2), min_samples=min_samples)
    if x.ndim == 2 and x.shape[1] == 0:
        raise ValueError(f"{name} has shape {x.shape}: no chains")
    return x


def autocorrelation(series: Any, max_lag: int | None = None) -> np.ndarray:
    """Normalised autocorrelation function ``rho(t)``, ``t = 0 .. max_lag``.

    Parameters
    ----------
    series : array, shape (n,) or (n, n_chains)
        One chain, or independent chains: their autocovariances (each about its own mean) are
        averaged before normalising.
    max_lag : int, optional
        Largest lag (default ``n - 1``).

    Returns
    -------
    array, shape (max_lag + 1,)
        ``rho(0) = 1``; ``rho(t > 0) = 0`` for a constant series (it has no fluctuations).
    """
    x = _series(series)
    if x.ndim == 1:
        x = x[:, None]
    n = x.shape[0]
    max_lag = n - 1 if max_lag is None else check_int(max_lag, "max_lag", low=0, high=n - 1)
    d = x - x.mean(axis=0)
    size = 1 << int(np.ceil(np.log2(2 * n)))  # zero padding: no circular wrap-around
    f = np.fft.rfft(d, n=size, axis=0)
    acov = np.fft.irfft(f * np.conj(f), n=size, axis=0)[: max_lag + 1].mean(axis=1) / n
    if acov[0] <= 0.0:
        out = np.zeros(max_lag + 1)
        out[0] = 1.0
        return out
    return acov / acov[0]


def integrated_autocorrelation_time(series: Any, *, c: float = 5.0) -> float:
    """Integrated autocorrelation time with Sokal's automatic window.

    ``tau_int(W) = 1/2 + sum_{t=1}^{W} rho(t)``, with ``W`` the smallest window such that
    ``W >= c tau_int(W)`` (Madras & Sokal 1988).  The statistical error of the estimate is about
    ``tau_int sqrt(2 (2 W + 1) / n)`` (Sokal 1997, eq. 3.19).

    Parameters
    ----------
    series : array, shape (n,) or (n, n_chains)
        One chain or independent chains (their autocorrelations are averaged).
    c : float
        Window constant; 5 is usual for nearly exponential autocorrelations, larger is safer
        for slowly decaying tails.

    Returns
    -------
    float
        ``tau_int`` in units of the sampling interval; 0.5 for uncorrelated (or constant) data.
        A ``RuntimeWarning`` is issued when the series is too short for the window condition to
        be met; then the estimate at the largest window is returned and is a lower bound.  A
        series shorter than 50 ``tau_int`` also gets a warning: its own mean hides the slow
        fluctuations, so ``tau_int`` comes out too small (the criterion of emcee's
        ``integrated_time``).
    """
    return _windowed_tau(series, c, stacklevel=3)[0]


def _windowed_tau(series: Any, c: float, stacklevel: int) -> tuple[float, int, int, bool]:
    """``(tau_int, window W, samples per chain n, window condition met)``, warning as documented
    in :func:`integrated_autocorrelation_time`."""
    x = _series(series)
    c = check_real(c, "c", low=0.0, low_open=True)
    rho = autocorrelation(x)
    taus = 0.5 + np.cumsum(rho[1:])  # taus[W - 1] = tau_int(W)
    windows = np.arange(1, len(rho))
    ok = windows >= c * taus
    if not np.any(ok):
        warnings.warn(
            f"series of length {x.shape[0]} is too short for the automatic window (c={c:g}); "
            f"tau_int >= {taus[-1]:.3g} is a lower bound",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
        return float(max(taus[-1], 0.5)), int(windows[-1]), x.shape[0], False
    w = int(np.argmax(ok))
    tau = float(max(taus[w], 0.5))
    if x.shape[0] < 50 * tau:
        warnings.warn(
            f"series of length {x.shape[0]} is shorter than 50 tau_int ({tau:.3g}): the estimate is "
            "unreliable and likely too small; use a longer series",
            RuntimeWarning,
            stacklevel=stacklevel,
        )
    return tau, int(windows[w]), x.shape[0], True


@dataclass(frozen=True)
class AutocorrelationTime:
    """Outcome of :func:`autocorrelation_time`.

    Attributes
    ----------
    tau_int : float
        Integrated autocorrelation time (Sokal's convention, in units of the sampling interval).
    error : float
        Its statistical error, ``tau_int sqrt(2 (2 W + 1) / (n n_chains))``.
    window : int
        The automatic window ``W``.
    n_samples : int
        Samples per chain ``n``.
    n_chains : int
    reliable : bool
        Whether the window condition was met and ``n >= 50 tau_int``.
    """

    tau_int: float
    error: float
    window: int
    n_samples: int
    n_chains: int
    reliable: bool


def autocorrelation_time(series: Any, *, c: float = 5.0) -> AutocorrelationTime:
    """Integrated autocorrelation time with its statistical error.

    The estimate is that of :func:`integrated_autocorrelation_time` (same warnings); its variance
    for a window ``W`` is ``2 (2 W + 1) tau_int**2 / n`` for one chain of ``n`` samples (Madras &
    Sokal 1988; Sokal 1997, eq. 3.19), and ``n_chains`` times smaller for independent chains whose
    autocorrelations are averaged.

    Parameters
    ----------
    series : array, shape (n,) or (n, n_chains)
    c : float
        Window constant (see :func:`integrated_autocorrelation_time`).

    Returns
    -------
    AutocorrelationTime
    """
    x = _series(series)
    tau, window, n, met = _windowed_tau(x, c, stacklevel=3)
    chains = 1 if x.ndim == 1 else x.shape[1]
    error = tau * float(np.sqrt(2.0 * (2 * window + 1) / (n * chains)))
    return AutocorrelationTime(tau, error, window, n, chains, met and n >= 50 * tau)


@dataclass(frozen=True)
class BinningResult:
    """Outcome of :func:`binning_analysis`.

    Attributes
    ----------
    error : float
        Standard error of the mean at the chosen level.
    level : int
        Chosen blocking level ``k`` (blocks of ``2**k`` samples).
    n_blocks : int
        Number of blocks at that level.
    errors : numpy.ndarray, shape (n_levels,)
        Naive standard error ``s_k / sqrt(n_k)`` at every level (the usual "binning plot").
    converged : bool
        Whether Jonsson's test accepted a level and the series is longer than 50 ``tau_int``; if
        no level passed, ``error`` is the largest error of the levels with at least 16 blocks.
        Either way, more data are needed when False.
    tau_int : float
        ``(error / naive error at level 0)**2 / 2``, the autocorrelation time implied by the
        blocking.
    """

    error: float
    level: int
    n_blocks: int
    errors: np.ndarray
    converged: bool
    tau_int: float


def binning_analysis(series: Any) -> BinningResult:
    """Blocking analysis of one chain with Jonsson's automatic choice of the level.

    The series is repeatedly halved by averaging neighbouring pairs (Flyvbjerg & Petersen 1989);
    an odd sample at the end of a level is dropped.  At level ``k`` with ``n_k`` blocks of
    variance ``s_k**2`` and lag-one autocovariance ``gamma_k``, the statistic
    ``M_j = sum_{k >= j} n_k (gamma_k / s_k**2)**2`` is chi-squared with ``d - j`` degrees of freedom
    once the blocks of levels ``>= j`` are uncorrelated; the first level with ``M_j`` below the
    99% quantile is taken (Jonsson 2018).

    Parameters
    ----------
    series : array, shape (n,)
        At least 16 samples.

    Returns
    -------
    BinningResult
    """
    x = check_array(series, "series", ndim=1, min_samples=16)
    s2, gam, nk = [], [], []
    while len(x) >= 2:
        n = len(x)
        mu = x.mean()
        d = x - mu
        s2.append(float(np.mean(d * d)))
        gam.append(float(np.sum(d[:-1] * d[1:]) / n))
        nk.append(n)
        x = x[: n - (n % 2)]
        x = 0.5 * (x[0::2] + x[1::2])
    s2a, gama, nka = np.array(s2), np.array(gam), np.array(nk, dtype=float)
    errors = np.sqrt(s2a / np.maximum(nka - 1.0, 1.0))  # ddof = 1 for the standard error
    levels = len(s2a)
    if s2a[0] == 0.0:
        return BinningResult(0.0, 0, int(nka[0]), errors, True, 0.5)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(s2a > 0, nka * (gama / s2a) ** 2, 0.0)
    m = np.cumsum(terms[::-1])[::-1]  # m[j] = sum_{k >= j}
    q = stats.chi2.ppf(0.99, levels - np.arange(levels))
    passed = np.nonzero(m < q)[0]
    passed = passed[nka[passed] >= 4]
    if len(passed):
        k = int(passed[0])
    else:
        enough = np.nonzero(nka >= 16)[0]
        k = int(enough[np.argmax(errors[enough])])
    err = float(errors[k])
    tau = 0.5 * (err / errors[0]) ** 2 if errors[0] > 0 else 0.5
    converged = bool(len(passed)) and nka[0] >= 50 * tau
    if not converged:
        warnings.warn(
            f"binning did not converge for a series of {int(nka[0])} samples (tau_int >~ {tau:.3g}): "
            "the blocks stay correlated up to the largest usable block size; the error is a lower "
            "bound, use more data",
            RuntimeWarning,
            stacklevel=2,
        )
    return BinningResult(err, k, int(nka[k]), errors, converged, float(tau))


def binning_error(series: Any) -> float:
    """Standard error of the mean of a correlated series by blocking (see :func:`binning_analysis`).

    Parameters
    ----------
    series : array, shape (n,) or (n, n_chains)
        For independent chains, the error of the grand mean ``mean over chains of the chain means``:
        ``sqrt(sum_r err_r**2) / n_chains``.

    Returns
    -------
    float
        For uncorrelated data this is ``sigma / sqrt(n)``.
    """
    x = _series(series, min_samples=16)
    if x.ndim == 1:
        return binning_analysis(x).error
    errs = np.array([binning_analysis(x[:, r]).error for r in range(x.shape[1])])
    return float(np.sqrt(np.sum(errs**2)) / x.shape[1])


def jackknife(
    func: Callable[..., Any],
    *series: Any,
    n_blocks: int | None = None,
) -> tuple[float, float]:
    """Jackknife estimate and error of a function of means, ``func(mean(series_1), ...)``.

    Each series is cut into ``n_blocks`` consecutive blocks (per chain, for 2-D series: the blocks
    of all chains are pooled, chains being independent).  With ``B`` blocks in all and ``f_i`` the
    function of the means leaving block ``i`` out, the estimate is the bias-corrected
    ``B f(all) - (B - 1) mean_i f_i`` and the error ``sqrt((B - 1) / B sum_i (f_i - mean f)**2)``.
    Blocks should be much longer than the autocorrelation time (e.g. ``>= 10 tau_int``).

    Parameters
    ----------
    func : callable
        ``func(m_1, ..., m_k)`` of the means; it must broadcast over numpy arrays (it is called
        once with scalars and once with arrays of the ``B`` leave-one-out means).
    *series : arrays of the same shape, (n,) or (n, n_chains)
        E.g. ``e`` and ``e**2`` for a specific heat ``func = lambda e, e2: e2 - e**2``.
    n_blocks : int, optional
        Blocks per chain; default: every sample its own block.

    Returns
    -------
    (value, error) : tuple of float
    """
    if not series:
        raise TypeError("jackknife needs at least one series")
    xs = [_series(s, f"series[{i}]") for i, s in enumerate(series)]
    shape = xs[0].shape
    for i, x in enumerate(xs):
        if x.shape != shape:
            raise ValueError(f"series[{i}] has shape {x.shape}, expected {shape} like series[0]")
    n = shape[0]
    nb = n if n_blocks is None else check_int(n_blocks, "n_blocks", low=2, high=n)
    size = n // nb
    means = []
    for x in xs:
        x2 = x if x.ndim == 2 else x[:, None]
        b = x2[: nb * size].reshape(nb, size, x2.shape[1]).mean(axis=1)  # (nb, chains)
        means.append(b.T.reshape(-1))  # all blocks of all chains
    B = means[0].shape[0]
    if B < 2:
        raise ValueError("jackknife needs at least 2 blocks in all")
    totals = [m.mean() for m in means]
    loo = [(B * t - m) / (B - 1) for t, m in zip(totals, means, strict=True)]
    f_all = float(func(*totals))
    f_i = np.asarray(func(*loo), dtype=float)
    if f_i.shape != (B,):
        raise ValueError(f"func must broadcast over arrays of means; got shape {f_i.shape} for {B} blocks")
    fbar = f_i.mean()
    value = B * f_all - (B - 1) * fbar
    error = float(np.sqrt((B - 1) / B * np.sum((f_i - fbar) ** 2)))
    return float(value), error


def replica_agreement(series: Any) -> float:
    """p-value of the hypothesis that independent chains sample the same distribution.

    With ``n`` samples per chain, chain means ``xbar_r`` (``r = 1 .. R``) and variances ``v_r``, and
    the integrated autocorrelation time ``tau`` of all chains together
    (:func:`integrated_autocorrelation_time`), the expected variance of a chain mean is
    ``w = mean_r(v_r) 2 tau / n``, and ``X = (R - 1) s**2 / w``, with ``s**2`` the sample variance of
    the chain means, is about chi-squared with ``R - 1`` degrees of freedom when every chain has
    forgotten its start (a Gelman-Rubin-type comparison of the spread between chains with the
    spread within them; A. Gelman and D. B. Rubin, Statist. Sci. 7, 457 (1992)).  Chains stuck in
    different states (frozen local samplers at low temperature), chains still drifting from their
    starts, or autocorrelations longer than the series can show give a tiny p-value.

    Parameters
    ----------
    series : array, shape (n, n_chains)
        At least 16 samples and 2 chains.

    Returns
    -------
    float
        ``P(chi2_{R-1} >= X)``; 1.0 when every chain is constant at the same value, 0.0 when the
        chains are constant at different values.
    """
    x = check_array(series, "series", ndim=2, min_samples=16)
    R = x.shape[1]
    if R < 2:
        raise ValueError(f"replica_agreement needs at least 2 chains, got {R}")
    n = x.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        tau = integrated_autocorrelation_time(x)
    between = float(np.var(x.mean(axis=0), ddof=1))
    within = float(np.var(x, axis=0, ddof=1).mean()) * 2.0 * tau / n
    if within <= 0.0:
        return 1.0 if between <= 1e-30 * max(1.0, float(np.max(np.abs(x)))) ** 2 else 0.0
    return float(stats.chi2.sf((R - 1) * between / within, R - 1))
