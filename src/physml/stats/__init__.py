"""Statistics helpers: the tests, nulls, fits and counting errors that the library and the
experiments share.

* Uniformity of directions: :func:`rayleigh_test` (the Rayleigh test on the sphere S^(D−1),
  with Jupp's small-sample modification), :func:`axial_alignment` (how closely directions
  line up with given axes, against mismatched pairs and a uniform direction) and
  :func:`uniform_mean_abs_cosine` (the uniform expectation of ``|cos|``).
* Permutation nulls: :func:`permutation_null` (a statistic under random relabellings or
  shuffles), :func:`permutation_p_value` and :func:`permutation_test`.
* Onset of a binomial fraction along a scan: :func:`flagging_onset` (a logistic fitted by
  maximum likelihood, with a profile-likelihood interval of its midpoint), :class:`FlaggingOnset`.
* Counting errors: :func:`mean_standard_error`, :func:`binomial_standard_error` (optionally
  floored at one count), and :func:`sic_uncertainty` (the binomial error of TPR/√FPR, e.g. at
  the maximum of a SIC curve).
* Resampling: :func:`bootstrap_standard_error` (the standard error of any statistic of n
  observations, from resamples of their indices).
* Divergences: :func:`kl_divergence_estimate` (KL(p‖q) from log densities at samples of p, with
  its standard error).

Every random draw comes from an explicit seed. Importing this package loads nothing; a name
loads its submodule on first use (numpy, and scipy where a function needs it).
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_bootstrap": (
            "bootstrap_standard_error",
        ),
        "_counting": (
            "binomial_standard_error",
            "mean_standard_error",
            "sic_uncertainty",
        ),
        "_divergence": (
            "kl_divergence_estimate",
        ),
        "_onset": (
            "FlaggingOnset",
            "flagging_onset",
        ),
        "_permutation": (
            "PermutationTest",
            "permutation_null",
            "permutation_p_value",
            "permutation_test",
        ),
        "_uniformity": (
            "AxialAlignment",
            "RayleighTest",
            "axial_alignment",
            "rayleigh_test",
            "uniform_mean_abs_cosine",
        ),
    },
)
