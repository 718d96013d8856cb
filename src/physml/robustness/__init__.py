"""Adversarial examples: small input perturbations that change a classifier's answer.

* Attacks on any PyTorch classifier (inputs to logits): :func:`fgsm` and :func:`pgd`, in the
  L∞ or L2 norm, untargeted or targeted, with an optional valid input box.
* :func:`minimal_perturbation`: the smallest ε that flips each prediction (bisection), a
  distance to the decision boundary.
* :func:`accuracy_curve`: accuracy against ε; :func:`nearest_other_class_distance`: the
  distance from each example to the nearest example of another class, the scale to compare ε
  with.

See ``docs/robustness.md``.
"""

from physml.robustness._attacks import NORMS, fgsm, minimal_perturbation, pgd, predict_labels
from physml.robustness._curves import AccuracyCurve, accuracy_curve, nearest_other_class_distance

__all__ = [
    "NORMS",
    "AccuracyCurve",
    "accuracy_curve",
    "fgsm",
    "minimal_perturbation",
    "nearest_other_class_distance",
    "pgd",
    "predict_labels",
]
