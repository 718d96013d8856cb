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

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_attacks": (
            "NORMS",
            "fgsm",
            "minimal_perturbation",
            "pgd",
            "predict_labels",
        ),
        "_curves": (
            "AccuracyCurve",
            "accuracy_curve",
            "nearest_other_class_distance",
        ),
    },
)
