"""Permutation nulls: what a statistic gives when the association it measures is broken.

A statistic T of values attached to fixed objects (losses at points, labels of events) is
recomputed with the values shuffled over the objects. If the values are exchangeable (the
null hypothesis), the observed T and its shuffled copies are exchangeable too, so the rank of
the observed one among them is uniform: that is the whole of the test (Good, *Permutation,
Parametric and Bootstrap Tests of Hypotheses*, Springer, 3rd ed. 2005).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from physml._core import as_generator, check_array, check_choice, check_int, check_real

__all__ = ["PermutationTest", "permutation_null", "permutation_p_value", "permutation_test"]

_ALTERNATIVES = ("greater", "less")


def permutation_null(
    statistic: Callable[[np.ndarray], Any],
    values: np.ndarray,
    *,
    n_permutations: int,
    seed: int | np.random.Generator,
) -> np.ndarray:
    """The statistic of randomly shuffled values: T(π_k(values)) for k = 1 … n_permutations.

    Each π_k is a uniformly random permutation of the first axis of ``values`` (drawn with
    ``Generator.permutation``, independently, so that a permutation may repeat). Shuffling
    labels over events gives the label-shuffle null of a two-sample statistic; shuffling
    losses over points, the null of a statistic of where the large losses are.

    Parameters
    ----------
    statistic : callable
        ``statistic(shuffled_values) -> float``; the objects the values belong to are fixed
        inside it (a closure).
    values : array_like, shape (n, ...)
        Shuffled along the first axis; the dtype is kept (labels stay integers).
    n_permutations : int
        ≥ 1.
    seed : int or numpy.random.Generator
        A Generator is used as is (its stream advances), so several calls can share one.

    Returns
    -------
    ndarray, shape (n_permutations,)
    """
    if not callable(statistic):
        raise TypeError(f"statistic must be callable, got {type(statistic).__name__}")
    x = check_array(values, "values", dtype=None, min_samples=2)
    n_permutations = check_int(n_permutations, "n_permutations", low=1)
    rng = as_generator(seed)
    return np.array([float(statistic(rng.permutation(x))) for _ in range(n_permutations)])


def permutation_p_value(observed: float, null: np.ndarray, *, alternative: str = "greater") -> float:
    """p = (1 + #{T_k ≥ T_obs}) / (1 + m) for m null values T_k (``"less"``: T_k ≤ T_obs).

    Counting the observed value among the null ones makes the p-value valid with randomly drawn
    permutations: P(p ≤ α) ≤ α under the null, with equality at α = j/(m + 1) when the statistic
    has no ties (among many distinct permutations, a repeat of the observed order is rare), and
    p is never 0 (Phipson & Smyth, "Permutation p-values should never be
    zero", Stat. Appl. Genet. Mol. Biol. 9 (2010) 39). Ties count against the alternative.

    Parameters
    ----------
    observed : float
        The statistic of the values as observed.
    null : array_like, shape (m,)
        The statistic of shuffled values (:func:`permutation_null`).
    alternative : {"greater", "less"}
        Which tail is evidence against the null; for a two-sided test pass |T|.
    """
    observed = check_real(observed, "observed")
    t = check_array(null, "null", ndim=1, min_samples=1)
    check_choice(alternative, "alternative", _ALTERNATIVES)
    extreme = t >= observed if alternative == "greater" else t <= observed
    return float((1 + np.count_nonzero(extreme)) / (1 + len(t)))


@dataclass(frozen=True)
class PermutationTest:
    """A permutation test.

    Attributes
    ----------
    observed : float
        The statistic of the values as given.
    null : ndarray, shape (n_permutations,)
        The statistic of shuffled values.
    p_value : float
        :func:`permutation_p_value` of ``observed`` against ``null``.
    alternative : str
    """

    observed: float
    null: np.ndarray
    p_value: float
    alternative: str


def permutation_test(
    statistic: Callable[[np.ndarray], Any],
    values: np.ndarray,
    *,
    n_permutations: int,
    seed: int | np.random.Generator,
    alternative: str = "greater",
) -> PermutationTest:
    """Test whether ``values`` are exchangeable over their objects with the statistic ``statistic``.

    T_obs = statistic(values) against the null of :func:`permutation_null`, with the p-value of
    :func:`permutation_p_value`.

    Parameters
    ----------
    statistic, values, n_permutations, seed
        As for :func:`permutation_null`.
    alternative : {"greater", "less"}
        Large (``"greater"``) or small values of the statistic are evidence against the null.
    """
    check_choice(alternative, "alternative", _ALTERNATIVES)
    null = permutation_null(statistic, values, n_permutations=n_permutations, seed=seed)
    observed = check_real(float(statistic(np.asarray(values))), "statistic(values)")
    return PermutationTest(
        observed=observed,
        null=null,
        p_value=permutation_p_value(observed, null, alternative=alternative),
        alternative=alternative,
    )
