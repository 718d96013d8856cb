"""Information theory for learning: the information bottleneck and mutual information.

* Discrete distributions: :func:`entropy`, :func:`mutual_information`, :func:`kl_divergence`,
  :func:`binary_entropy` and its inverse; :func:`check_joint` validates a joint table.
* Information bottleneck of a joint table p(x, y): :class:`InformationBottleneck` (iterative
  IB with restarts), :class:`DeterministicIB` (Strouse & Schwab), :func:`information_curve`
  (annealing in β with cluster splitting), and the closed-form curve of the binary symmetric
  channel :func:`binary_symmetric_ib_curve`.
* Estimators from samples: :func:`mutual_information_plugin` (discrete, Miller-Madow
  correction) and :func:`mutual_information_knn` (Kraskov-Stögbauer-Grassberger).

All information is in bits. The two bottleneck solvers follow physml's model contract
(``docs/architecture.md``, "One model contract"). Importing this package loads nothing heavy: each
name loads its submodule on first use (numpy; scipy for the k-nearest-neighbour estimator;
scikit-learn's ``BaseEstimator`` for the bottleneck solvers). See ``docs/info.md``.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_discrete": (
            "binary_entropy",
            "check_joint",
            "entropy",
            "inverse_binary_entropy",
            "kl_divergence",
            "mutual_information",
        ),
        "_estimators": (
            "MutualInformationEstimate",
            "mutual_information_knn",
            "mutual_information_plugin",
        ),
        "_ib": (
            "CLUSTER_MERGE_TOL",
            "DeterministicIB",
            "InformationBottleneck",
            "InformationCurve",
            "ROUNDOFF_BITS",
            "binary_symmetric_ib_curve",
            "ib_information",
            "information_curve",
        ),
    },
)
