"""One verdict per picture: the fine class of the direct measure with a confidence measured on
the held-out families, beside what the learned classifier says.

The class is :func:`~physml.symmetry.fine_direct_class`'s: on the held-out families the direct
measure is right far more often than the learned pipeline trained on templates (docs/symmetry.md),
so the learned probabilities do not overrule it; they are reported with whether their top
coarse class agrees. The confidence is the measured precision of that call,
P(true class = c | the direct measure says c), on seeded held-out pictures
(:func:`direct_reliability`: every family of :data:`~physml.symmetry.HELDOUT_FAMILIES` and
scikit-learn's photographs), with one success and one failure added (Laplace's rule, so a class
never called there is 0.5, not 0 or 1). A D_n or Z_n call counts as right only with the right
order n.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from physml._core import check_array, check_int
from physml.symmetry._fine import FINE_CLASSES, FineClass, fine_direct_class
from physml.symmetry._heldout import heldout_set, sample_photographs
from physml.symmetry._images import prepare_image

__all__ = [
    "VERDICT_COUNTS",
    "VERDICT_PRECISION",
    "VERDICT_SEED",
    "Verdict",
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
        Measured precision of the call on the held-out families (see the module).
    learned_class : str or None
        The learned classifier's most probable (coarse) class, if one was given.
    learned_agrees : bool or None
        Whether it equals the verdict's coarse class.
    """

    name: str
    fine: FineClass
    confidence: float
    learned_class: str | None
    learned_agrees: bool | None

    def to_dict(self) -> dict:
        return {
            "class": self.name,
            "confidence": self.confidence,
            "fine_class": self.fine.label,
            "order": self.fine.order,
            "coarse_class": self.fine.coarse,
            "centred": self.fine.centred,
            "scores": self.fine.scores,
            "learned_class": self.learned_class,
            "learned_agrees": self.learned_agrees,
            "basis": "precision of the direct call on seeded held-out families (docs/symmetry.md)",
        }


def _right(call: FineClass, label: str, order: int | None) -> bool:
    return call.label == label and (label not in ("D_n", "Z_n") or call.order == order)


def direct_reliability(n_per_family: int = 20, size: int = 64, *, seed: int = VERDICT_SEED,
                       photographs: bool = True) -> dict[str, tuple[int, int]]:
    """(right, called) per fine class of :func:`~physml.symmetry.fine_direct_class` on
    :func:`~physml.symmetry.heldout_set` (``n_per_family``, ``size``, ``seed``) and, with
    ``photographs``, scikit-learn's sample photographs (true class none) prepared at ``size``."""
    n_per_family = check_int(n_per_family, "n_per_family", low=1)
    counts = {c: [0, 0] for c in FINE_CLASSES}
    cases = [(p.image, p.label, p.order) for p in heldout_set(n_per_family, size, seed=seed)]
    if photographs:
        cases += [(prepare_image(im, size), lab, None) for _, im, lab in sample_photographs()]
    for image, label, order in cases:
        call = fine_direct_class(image)
        counts[call.label][1] += 1
        counts[call.label][0] += int(_right(call, label, order))
    return {c: (r, n) for c, (r, n) in counts.items()}


def symmetry_verdict(image: np.ndarray, learned: Mapping[str, float] | None = None, *,
                     threshold: Mapping[str, float] | None = None) -> Verdict:
    """The verdict on a two-colour square picture (1 = ink): its fine direct class with the
    confidence :data:`VERDICT_PRECISION` gives it, and, with ``learned`` (the learned
    classifier's coarse class probabilities), whether the learned top class agrees."""
    call = fine_direct_class(image, threshold)
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
