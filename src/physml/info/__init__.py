"""Information theory for learning: the information bottleneck and mutual information.

* Discrete distributions: :func:`entropy`, :func:`mutual_information`, :func:`kl_divergence`,
  :func:`binary_entropy` and its inverse; :func:`check_joint` validates a joint table.
* Information bottleneck of a joint table p(x, y): :class:`InformationBottleneck` (iterative
  IB with restarts), :class:`DeterministicIB` (Strouse & Schwab), :func:`information_curve`
  (annealing in β with cluster splitting), and the closed-form curve of the binary symmetric
  channel :func:`binary_symmetric_ib_curve`.
* Estimators from samples: :func:`mutual_information_plugin` (discrete, Miller-Madow
  correction) and :func:`mutual_information_knn` (Kraskov-Stögbauer-Grassberger).

All information is in bits. Importing this package loads numpy only. See ``docs/info.md``.
"""

from physml.info._discrete import (
    binary_entropy,
    check_joint,
    entropy,
    inverse_binary_entropy,
    kl_divergence,
    mutual_information,
)
from physml.info._estimators import (
    MutualInformationEstimate,
    mutual_information_knn,
    mutual_information_plugin,
)
from physml.info._ib import (
    DeterministicIB,
    InformationBottleneck,
    InformationCurve,
    binary_symmetric_ib_curve,
    ib_information,
    information_curve,
)

__all__ = [
    "DeterministicIB",
    "InformationBottleneck",
    "InformationCurve",
    "MutualInformationEstimate",
    "binary_entropy",
    "binary_symmetric_ib_curve",
    "check_joint",
    "entropy",
    "ib_information",
    "information_curve",
    "inverse_binary_entropy",
    "kl_divergence",
    "mutual_information",
    "mutual_information_knn",
    "mutual_information_plugin",
]
