"""One verdict per picture: the fine class of the direct measure and of the learned classifier
combined, with a confidence measured on held-out pictures.

Without the learned classifier the class is :func:`~physml.symmetry.fine_direct_class`'s and the
confidence the measured precision of that call, P(true class = c | the direct measure says c),
on seeded held-out pictures (:func:`direct_reliability`: every family of
:data:`~physml.symmetry.HELDOUT_FAMILIES` and scikit-learn's photographs), with one success and
one failure added (Laplace's rule, so a class never called there is 0.5, not 0 or 1). A D_n or
Z_n call counts as right only with the right order n.

With the default learned classifier (a :class:`~physml.symmetry.LearnedCall` of
:class:`~physml.symmetry.SymmetryProfileClassifier`) the two calls are combined: when they
agree (same class and order) that is the verdict; when they disagree the learned call is taken
if its calibrated probability reaches :data:`LEARNED_OVERRULES` (0.7, the value of 0.5–0.95 that
maximised the verdict's accuracy on the held-out pictures at :data:`VERDICT_SEED`), else the
direct one. The confidence is the measured precision of the situation the verdict came from
(:data:`COMBINED_COUNTS`: agreement per class, learned chosen, direct chosen; Laplace's rule), so
agreement raises it and a disagreement lowers it. The coarse probabilities of the talk's
pipeline (:class:`~physml.symmetry.SymmetryClassifier`) do not change the verdict; whether their
top class agrees is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from physml._core import check_array, check_int
from physml.symmetry._fine import FINE_CLASSES, FineClass, coarse_class, fine_direct_class
from physml.symmetry._heldout import heldout_set, sample_photographs
from physml.symmetry._images import prepare_image
from physml.symmetry._learned import (
    LearnedCall,
    SymmetryProfileClassifier,
    class_name,
    learned_call,
    parse_class_name,
)

__all__ = [
    "COMBINED_COUNTS",
    "COMBINED_PRECISION",
    "LEARNED_OVERRULES",
    "VERDICT_COUNTS",
    "VERDICT_PRECISION",
    "VERDICT_SEED",
    "Verdict",
    "combine_calls",
    "combined_reliability",
    "direct_reliability",
    "expected_calibration_error",
    "reliability_table",
    "symmetry_verdict",
]

#: Seed of the held-out pictures the confidences are measured on (other seeds test them).
VERDICT_SEED = 20251

#: (right, called) of each fine class of the direct measure on ``direct_reliability(20)``: 20
#: pictures of each of the 11 held-out families at 64 px plus the 2 photographs (seed
#: :data:`VERDICT_SEED`). The confidence of a call c is (right + 1) / (called + 2).
VERDICT_COUNTS: dict[str, tuple[int, int]] = {
    "O(2)": (18, 18), "D_n": (38, 40), "Z_n": (40, 42), "D_1": (17, 22), "T^2": (20, 21), "T": (19, 19),
    "none": (56, 60),
}

#: The confidence of each fine call: (right + 1) / (called + 2) of :data:`VERDICT_COUNTS`.
VERDICT_PRECISION: dict[str, float] = {c: (r + 1) / (n + 2) for c, (r, n) in VERDICT_COUNTS.items()}


#: The learned call overrules a different direct call when its calibrated probability reaches
#: this: of 0.5, 0.6, 0.7, 0.8, 0.9, 0.95 (and never) the one with the most right verdicts on
#: the held-out pictures at :data:`VERDICT_SEED` (docs/symmetry.md).
LEARNED_OVERRULES = 0.7

#: (right, called) of the combined verdict with the default learned classifier
#: (``SymmetryProfileClassifier()`` trained by ``train_on_groups(clf, 300, seed=0)``) on
#: ``combined_reliability(clf, 20)`` at :data:`VERDICT_SEED`: ``"agree:<class>"`` where the two
#: calls agree, ``"learned"`` where they disagree and the learned call is taken, ``"direct"``
#: where they disagree and the direct call is kept. The confidence is (right + 1) / (called + 2).
COMBINED_COUNTS: dict[str, tuple[int, int]] = {
    "agree:O(2)": (18, 18), "agree:D_n": (34, 34), "agree:Z_n": (39, 40), "agree:D_1": (17, 19),
    "agree:T^2": (20, 20), "agree:T": (19, 19), "agree:none": (52, 52), "learned": (7, 10), "direct": (6, 10),
}

#: The confidence of each situation of :data:`COMBINED_COUNTS`.
COMBINED_PRECISION: dict[str, float] = {k: (r + 1) / (n + 2) for k, (r, n) in COMBINED_COUNTS.items()}


@dataclass(frozen=True)
class Verdict:
    """The verdict on one picture.

    Attributes
    ----------
    name : str
        The class with its order ("D_4", "Z_3", "D_1", "O(2)", "T^2", "T", "none").
    fine : FineClass
        The direct measure's decision and the scores it rests on.
    confidence : float
        Measured precision of such a verdict on the held-out families (see the module).
    learned_class : str or None
        The learned classifier's call: the class with its order (the default classifier) or the
        most probable coarse class (the talk's pipeline); None without one.
    learned_agrees : bool or None
        Whether it equals the direct call (the coarse class, for the talk's pipeline).
    learned_probability : float or None
        The calibrated probability of the default classifier's call.
    source : str
        "direct" (no learned call taken into account), "agreement", "learned" (the learned
        call overruled the direct one) or "direct over learned".
    """

    name: str
    fine: FineClass
    confidence: float
    learned_class: str | None
    learned_agrees: bool | None
    learned_probability: float | None = None
    source: str = "direct"

    def to_dict(self) -> dict:
        label, order = parse_class_name(self.name)
        basis = ("precision of the direct call on seeded held-out families (docs/symmetry.md)"
                 if self.source == "direct" else
                 "precision of verdicts reached the same way (agreement of the direct and learned calls, "
                 "or which of them was taken) on seeded held-out families (docs/symmetry.md)")
        return {
            "class": self.name,
            "confidence": self.confidence,
            "fine_class": label,
            "order": order,
            "coarse_class": coarse_class(label, order),
            "source": self.source,
            "direct_call": self.fine.name,
            "centred": self.fine.centred,
            "scores": self.fine.scores,
            "learned_class": self.learned_class,
            "learned_probability": self.learned_probability,
            "learned_agrees": self.learned_agrees,
            "basis": basis,
        }


def _right(call: FineClass, label: str, order: int | None) -> bool:
    return call.label == label and (label not in ("D_n", "Z_n") or call.order == order)


def _cases(n_per_family: int, size: int, seed: int, photographs: bool) -> list[tuple[np.ndarray, str]]:
    """(picture, true class name) of the held-out set and, with ``photographs``, the photographs."""
    n_per_family = check_int(n_per_family, "n_per_family", low=1)
    cases = [(p.image, class_name(p.label, p.order)) for p in heldout_set(n_per_family, size, seed=seed)]
    if photographs:
        cases += [(prepare_image(im, size), lab) for _, im, lab in sample_photographs()]
    return cases


def direct_reliability(n_per_family: int = 20, size: int = 64, *, seed: int = VERDICT_SEED,
                       photographs: bool = True) -> dict[str, tuple[int, int]]:
    """(right, called) per fine class of :func:`~physml.symmetry.fine_direct_class` on
    :func:`~physml.symmetry.heldout_set` (``n_per_family``, ``size``, ``seed``) and, with
    ``photographs``, scikit-learn's sample photographs (true class none) prepared at ``size``."""
    counts = {c: [0, 0] for c in FINE_CLASSES}
    for image, truth in _cases(n_per_family, size, seed, photographs):
        call = fine_direct_class(image)
        counts[call.label][1] += 1
        counts[call.label][0] += int(call.name == truth)
    return {c: (r, n) for c, (r, n) in counts.items()}


def combine_calls(direct: str, learned: str, probability: float) -> tuple[str, str]:
    """(class name, situation) of the combined verdict on the direct call ``direct`` and the
    learned call ``learned`` of calibrated ``probability`` (class names with the order, "D_4"):
    the common call where the two agree ("agree:<class>"), else the learned call if its
    probability reaches :data:`LEARNED_OVERRULES` ("learned"), else the direct one ("direct")."""
    if learned == direct:
        return direct, f"agree:{parse_class_name(direct)[0]}"
    if probability >= LEARNED_OVERRULES:
        return learned, "learned"
    return direct, "direct"


def _learned_picture(image: np.ndarray, size: int) -> np.ndarray:
    """A 0/1 picture (1 = ink) at ``size``: itself, or resized as a grey picture (ink dark)."""
    return image if image.shape[0] == size else prepare_image(1.0 - np.asarray(image, float), size)


def combined_reliability(classifier: SymmetryProfileClassifier, n_per_family: int = 20, size: int = 64, *,
                         seed: int = VERDICT_SEED, photographs: bool = True) -> dict[str, tuple[int, int]]:
    """(right, called) of the combined verdict (:func:`combine_calls`) in each situation
    (agreement per class, learned taken, direct kept) on the pictures of
    :func:`direct_reliability`; the learned classifier sees each picture at its own size."""
    counts: dict[str, list[int]] = {f"agree:{c}": [0, 0] for c in FINE_CLASSES}
    counts.update(learned=[0, 0], direct=[0, 0])
    for image, truth in _cases(n_per_family, size, seed, photographs):
        learned = learned_call(classifier, _learned_picture(image, classifier.size))
        name, situation = combine_calls(fine_direct_class(image).name, learned.name, learned.probability)
        counts[situation][1] += 1
        counts[situation][0] += int(name == truth)
    return {k: (r, n) for k, (r, n) in counts.items()}


def symmetry_verdict(image: np.ndarray, learned: LearnedCall | Mapping[str, float] | None = None, *,
                     threshold: Mapping[str, float] | None = None) -> Verdict:
    """The verdict on a two-colour square picture (1 = ink).

    ``learned``: the default classifier's call on the picture (:func:`~physml.symmetry.learned_call`),
    combined with the direct one by :func:`combine_calls`, the confidence from
    :data:`COMBINED_PRECISION`; or the coarse class probabilities of the talk's pipeline, which
    leave the direct class and its confidence (:data:`VERDICT_PRECISION`) and are reported by
    whether their top class agrees with it; or None (the direct class alone)."""
    call = fine_direct_class(image, threshold)
    if isinstance(learned, LearnedCall):
        name, situation = combine_calls(call.name, learned.name, learned.probability)
        source = "agreement" if situation.startswith("agree") else (
            "learned" if situation == "learned" else "direct over learned")
        return Verdict(name, call, COMBINED_PRECISION[situation], learned.name, learned.name == call.name,
                       learned.probability, source)
    top = agrees = None
    if learned is not None:
        top = max(learned, key=learned.get)
        agrees = top == call.coarse
    return Verdict(call.name, call, VERDICT_PRECISION[call.label], top, agrees)


def reliability_table(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> list[dict]:
    """The reliability diagram as a table: for each of ``n_bins`` equal bins of confidence on
    [0, 1] that holds predictions, their count, mean confidence and accuracy."""
    c = check_array(confidence, "confidence", ndim=1)
    ok = check_array(correct, "correct", ndim=1, shape=(len(c),)).astype(bool)
    n_bins = check_int(n_bins, "n_bins", low=1)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    which = np.clip(np.searchsorted(edges, c, side="right") - 1, 0, n_bins - 1)
    out = []
    for b in range(n_bins):
        sel = which == b
        if sel.any():
            out.append({"low": float(edges[b]), "high": float(edges[b + 1]), "count": int(sel.sum()),
                        "confidence": float(c[sel].mean()), "accuracy": float(ok[sel].mean())})
    return out


def expected_calibration_error(confidence: np.ndarray, correct: np.ndarray, n_bins: int = 10) -> float:
    """ECE = Σ_bins (count/n) |accuracy − mean confidence| over :func:`reliability_table`
    (Guo, Pleiss, Sun & Weinberger, "On calibration of modern neural networks", ICML 2017)."""
    rows = reliability_table(confidence, correct, n_bins)
    n = sum(r["count"] for r in rows)
    return float(sum(r["count"] / n * abs(r["accuracy"] - r["confidence"]) for r in rows))
