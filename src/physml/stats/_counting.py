"""Counting errors: the standard error of a mean, of a binomial fraction, and of the SIC.

The significance improvement SIC = ε_S/√ε_B of a cut (Gallicchio & Schwartz, "Quark and gluon
tagging at the LHC", Phys. Rev. Lett. 107 (2011) 172001) is estimated from counted
efficiencies; its error follows from their binomial errors (Ullrich & Xu, "Treatment of errors
in efficiency calculations", arXiv:physics/0701199) by first-order propagation.
"""

from __future__ import annotations

import math

import numpy as np

from physml._core import check_array, check_int, check_real

__all__ = ["binomial_standard_error", "mean_standard_error", "sic_uncertainty"]


def mean_standard_error(values: np.ndarray) -> tuple[float, float]:
    """The mean of independent measurements and its standard error, s/√K.

    s is the sample standard deviation (ddof = 1) of the K values, e.g. a quantity measured on
    each member of an ensemble of independent trainings (the seed-to-seed spread over √K).

    Parameters
    ----------
    values : array_like, shape (K,)
        K ≥ 1 finite values; with one value the error is ``inf`` (nothing is known of the spread).

    Returns
    -------
    (mean, standard_error) : tuple of float
    """
    v = check_array(values, "values", ndim=1, min_samples=1)
    if len(v) < 2:
        return float(v.mean()), math.inf
    return float(v.mean()), float(v.std(ddof=1) / math.sqrt(len(v)))


def binomial_standard_error(fraction: float, n: int, *, one_count_floor: bool = False) -> float:
    """The standard error √(f(1 − f)/n) of a fraction f = k/n of n independent trials.

    The binomial standard deviation of k/n evaluated at the observed fraction (the Wald
    error): 0 when f is 0 or 1, where it understates the uncertainty of a small n.
    With ``one_count_floor`` the variance f(1 − f) is floored at 1/n,

        σ = √(max(f(1 − f), 1/n) / n) ≥ 1/n,

    so that the error is never below that of one count in n (1/n): a fraction of 0 or 1 then
    carries the error of the one trial that could have gone the other way, and a measured
    fraction is compared with a bound at a non-zero error. Above the floor (f(1 − f) ≥ 1/n) the
    two agree.

    Parameters
    ----------
    fraction : float
        f in [0, 1].
    n : int
        Number of trials, ≥ 1.
    one_count_floor : bool
        Floor the error at one count (default False: the Wald error).
    """
    f = check_real(fraction, "fraction", low=0.0, high=1.0)
    n = check_int(n, "n", low=1)
    if not isinstance(one_count_floor, bool):
        raise TypeError(f"one_count_floor must be a bool, got {one_count_floor!r}")
    if one_count_floor:
        return math.sqrt(max(f * (1 - f), 1.0 / n) / n)
    return math.sqrt(f * (1 - f) / n)


def sic_uncertainty(
    signal_efficiency: float, background_efficiency: float, n_signal: int, n_background: int
) -> float:
    """The counting error of SIC = ε_S/√ε_B, from the binomial errors of the two efficiencies.

    With ε_S = k_S/N_S and ε_B = k_B/N_B counted on independent signal and background samples,
    σ²(ε) = ε(1 − ε)/N, and to first order

        (σ_SIC / SIC)² = (1 − ε_S)/(ε_S N_S) + (1 − ε_B)/(4 ε_B N_B),

    the background term carrying the 1/4 of the square root. At the maximum of a SIC curve
    this is the error of the maximum's value at its cut (the choice of the cut on the same
    sample is not included). Valid when ε N ≫ 1 for both samples.

    Parameters
    ----------
    signal_efficiency : float
        ε_S (the TPR) in [0, 1]; at ε_S = 0 the SIC and its error are 0.
    background_efficiency : float
        ε_B (the FPR) in (0, 1].
    n_signal, n_background : int
        N_S, N_B ≥ 1: the numbers of signal and background events the efficiencies count.

    Returns
    -------
    float
        σ_SIC.
    """
    eps_s = check_real(signal_efficiency, "signal_efficiency", low=0.0, high=1.0)
    eps_b = check_real(background_efficiency, "background_efficiency", low=0.0, high=1.0, low_open=True)
    n_s = check_int(n_signal, "n_signal", low=1)
    n_b = check_int(n_background, "n_background", low=1)
    if eps_s == 0.0:
        return 0.0
    rel2 = (1 - eps_s) / (eps_s * n_s) + (1 - eps_b) / (4 * eps_b * n_b)
    return eps_s / math.sqrt(eps_b) * math.sqrt(rel2)
