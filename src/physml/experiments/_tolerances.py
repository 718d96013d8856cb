"""Tolerances for experiments with many statistical checks.

An experiment that compares ``n`` measurements with exact values at ``|pull| <= z`` each would, at
``z = 3``, fail by chance with probability ``1 - 0.9973**n`` (5% for 20 checks) even when
everything is right.  :func:`sigma_multiple` gives the ``z`` for which all ``n`` independent
Gaussian checks pass together with probability ``1 - false_alarm`` (Šidák's correction), so a
failure means a real discrepancy at that confidence.
"""

from __future__ import annotations

from statistics import NormalDist

from physml._core import check_int, check_real

__all__ = ["sigma_multiple"]


def sigma_multiple(n_checks: int, false_alarm: float = 0.01) -> float:
    """The number of standard errors each of ``n_checks`` checks may deviate.

    Parameters
    ----------
    n_checks : int
        Independent checks of Gaussian measurements against exact values (``>= 1``).
    false_alarm : float
        Probability, in ``(0, 1)``, that at least one of them fails although all measurements
        are unbiased and their errors right.

    Returns
    -------
    float
        ``z`` with ``P(|N(0, 1)| <= z)**n_checks = 1 - false_alarm`` (3.48 for 20 checks at 1%).
    """
    n_checks = check_int(n_checks, "n_checks", low=1)
    false_alarm = check_real(false_alarm, "false_alarm", low=0.0, high=1.0, low_open=True)
    if false_alarm >= 1.0:
        raise ValueError(f"false_alarm must be below 1, got {false_alarm}")
    per_check = 1.0 - (1.0 - false_alarm) ** (1.0 / n_checks)
    return -NormalDist().inv_cdf(per_check / 2.0)  # the upper quantile, accurate for tiny tails
