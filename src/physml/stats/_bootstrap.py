"""The bootstrap standard error of a statistic of n observations.

Efron & Tibshirani, *An Introduction to the Bootstrap* (Chapman & Hall, 1993), ch. 6: the
standard error of a statistic T of n independent observations is estimated by the standard
deviation of T over samples of size n drawn with replacement from the observations. For the
mean this is the plug-in σ̂/√n, with σ̂² = Σ(x − x̄)²/n; for a ratio of means or a quantile,
where no simple formula applies, the resampling does the propagation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from physml._core import as_generator, check_int, check_real

__all__ = ["bootstrap_standard_error"]


def bootstrap_standard_error(
    statistic: Callable[[np.ndarray], Any],
    n: int,
    *,
    n_resamples: int,
    seed: int | np.random.Generator,
) -> float:
    """The bootstrap standard error of ``statistic``: the standard deviation of T(I_b) over resamples.

    Each resample I_b (b = 1 … B) is n indices drawn uniformly with replacement from 0 … n − 1
    (``Generator.integers(0, n, n)``); the statistic receives the indices and looks up the
    observations itself (a closure), so that paired arrays (e.g. the errors of two models at the
    same positions) are resampled together. The result is

        SE_boot = √( Σ_b (T_b − T̄)² / (B − 1) ),

    which converges to the ideal bootstrap standard error as B grows, with a relative Monte-Carlo
    error ≈ 1/√(2B) for a near-normal T; B of a few hundred suffices for a standard error
    (Efron & Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 6). For the mean of the
    observations the ideal value is σ̂/√n with σ̂² = Σ(x − x̄)²/n.

    Parameters
    ----------
    statistic : callable
        ``statistic(indices) -> float`` with ``indices`` an int array of shape (n,).
    n : int
        Number of observations, ≥ 2.
    n_resamples : int
        B ≥ 2.
    seed : int or numpy.random.Generator
        A Generator is used as is (its stream advances), so several calls can share one.

    Returns
    -------
    float
        SE_boot ≥ 0 (0 when the statistic does not depend on the resample).
    """
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {type(statistic).__name__}")
    n = check_int(n, "n", low=2)
    n_resamples = check_int(n_resamples, "n_resamples", low=2)
    rng = as_generator(seed)
    values = [statistic(rng.integers(0, n, n)) for _ in range(n_resamples)]
    for b, v in enumerate(values):
        check_real(v, f"statistic of resample {b}")
    return float(np.std(values, ddof=1))
