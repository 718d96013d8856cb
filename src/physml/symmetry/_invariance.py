"""The direct invariance measure: how much a two-colour image overlaps with its own transforms.

For a transform g the invariance is the Pearson correlation over a region Ω of the image's
spins s = 2b − 1 and the transformed spins s∘g,

    I(g) = Σ_Ω (s − s̄)(s_g − s̄_g) / √(Σ_Ω (s − s̄)² Σ_Ω (s_g − s̄_g)²),

1 for an exact symmetry, about 0 for an unrelated picture with the same colour fractions, and
−1 for a colour-swapping one. Ω is the inscribed disc for rotations and reflections through
the centre and the overlap of the image with its shifted copy for translations (no
wrap-around). Grid-compatible operations (rotations by multiples of 90°, reflections about the
axes and diagonals, integer shifts) permute pixels exactly; other angles sample the image
bilinearly, so an exactly symmetric picture scores slightly below 1 there (rasterisation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from physml._core import check_int, check_real

__all__ = [
    "DIRECT_CLASSES",
    "InvarianceMeasures",
    "ReflectionInvariance",
    "RotationInvariance",
    "TranslationInvariance",
    "direct_class",
    "invariance_measures",
    "reflection_invariance",
    "rotation_invariance",
    "translation_invariance",
]

DIRECT_CLASSES = ("O(2)", "Z_n", "Z_2", "T_n", "none")


def _spins(image: np.ndarray, min_size: int = 8) -> np.ndarray:
    a = np.asarray(image)
    if a.ndim != 2:
        raise ValueError(f"image must be a 2-D two-colour array, got shape {a.shape}")
    if a.size == 0:
        raise ValueError("image is empty")
    if a.shape[0] != a.shape[1]:
        raise ValueError(f"image must be square (crop or pad it), got {a.shape[0]}x{a.shape[1]}")
    if a.shape[0] < min_size:
        raise ValueError(f"image is {a.shape[0]}x{a.shape[1]} pixels; the measures need at least {min_size}")
    values = np.unique(a)
    if len(values) == 1:
        raise ValueError(f"image has one colour (every pixel is {values[0]}); invariance is undefined")
    if len(values) > 2 or not np.all(np.isin(values, (0, 1))):
        raise ValueError(
            f"image must hold two colours 0 and 1 (see physml.symmetry.binarize), got values "
            f"{values[:5].tolist()}{'...' if len(values) > 5 else ''}"
        )
    return 2.0 * a.astype(np.float64) - 1.0


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equally shaped arrays; 1 if identical, 0 if one is constant."""
    if np.array_equal(a, b):
        return 1.0
    a = a - a.mean()
    b = b - b.mean()
    den = math.sqrt(float(np.sum(a * a)) * float(np.sum(b * b)))
    return float(np.sum(a * b) / den) if den > 0 else 0.0


def _disc(n: int) -> np.ndarray:
    c = (n - 1) / 2.0
    i, j = np.mgrid[0:n, 0:n]
    return (i - c) ** 2 + (j - c) ** 2 <= (n / 2.0) ** 2


def _sample(s: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """s at the points matrix·(x, y) (coordinates about the centre, y up), bilinear."""
    n = s.shape[0]
    c = (n - 1) / 2.0
    i, j = np.mgrid[0:n, 0:n].astype(np.float64)
    x, y = j - c, c - i
    xs = matrix[0, 0] * x + matrix[0, 1] * y
    ys = matrix[1, 0] * x + matrix[1, 1] * y
    return ndimage.map_coordinates(s, [c - ys, xs + c], order=1, mode="nearest")


def _rotated(s: np.ndarray, degrees: float) -> np.ndarray:
    """The picture rotated counterclockwise by ``degrees``."""
    q = degrees / 90.0
    if abs(q - round(q)) < 1e-12:
        return np.rot90(s, int(round(q)) % 4)
    t = math.radians(degrees)
    inverse = np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    return _sample(s, inverse)


def _reflected(s: np.ndarray, degrees: float) -> np.ndarray:
    """The picture mirrored about the line through the centre at ``degrees`` from the x axis."""
    d = degrees % 180.0
    exact = {0.0: np.flipud, 90.0: np.fliplr, 45.0: lambda a: np.rot90(a, 2).T, 135.0: np.transpose}
    for angle, op in exact.items():
        if abs(d - angle) < 1e-12:
            return op(s)
    t = math.radians(2 * degrees)
    m = np.array([[math.cos(t), math.sin(t)], [math.sin(t), -math.cos(t)]])
    return _sample(s, m)


@dataclass(frozen=True)
class RotationInvariance:
    """Rotations about the image centre.

    Attributes
    ----------
    invariance : float
        Score of ``best_order`` (or the largest order score when none reaches the threshold).
    best_order : int
        Largest n in 2..max_order whose score reaches the threshold; 1 if none does.
    order_scores : dict of int to float
        score(n) = mean over k = 1..n−1 of I(rotation by 360°k/n).
    continuous : float
        Mean of I over the sampled angles (all rotations: O(2)).
    angles, curve : ndarray
        Sampled angles in degrees and I at each.
    """

    invariance: float
    best_order: int
    order_scores: dict[int, float]
    continuous: float
    angles: np.ndarray
    curve: np.ndarray


@dataclass(frozen=True)
class ReflectionInvariance:
    """Reflections about lines through the centre.

    Attributes
    ----------
    invariance : float
        max over axes of I.
    best_axis : float
        Angle of the best mirror line in degrees from the x axis (counterclockwise, y up).
    axes, curve : ndarray
        Sampled axis angles in [0, 180) and I at each.
    """

    invariance: float
    best_axis: float
    axes: np.ndarray
    curve: np.ndarray


@dataclass(frozen=True)
class TranslationInvariance:
    """Shifts along the grid axes (overlap of the image with its shifted copy, no wrap-around).

    Attributes
    ----------
    invariance : float
        max over the two axes of the best I beyond the first minimum of I(d) (the first
        return of the pattern); I at the largest shift if I(d) never rises again.
    best_period : int or None
        The shift of that maximum in pixels; None if I(d) has no minimum (no repeat).
    best_axis : {"x", "y"}
    shifts : ndarray of int
        1..max_shift.
    curve_x, curve_y : ndarray
        I at each shift along x (columns) and y (rows).
    """

    invariance: float
    best_period: int | None
    best_axis: str
    shifts: np.ndarray
    curve_x: np.ndarray
    curve_y: np.ndarray


def rotation_invariance(
    image: np.ndarray, *, max_order: int = 8, n_angles: int = 72, threshold: float = 0.8
) -> RotationInvariance:
    """Invariance under rotations about the centre, the best order n and the O(2) average.

    Parameters
    ----------
    image : array of 0/1, shape (N, N), N >= 8
    max_order : int
        Largest n tried (>= 2).
    n_angles : int
        Angles sampled uniformly in (0°, 360°) for the continuous measure and the curve.
    threshold : float
        Score an order must reach to count as a symmetry.
    """
    s = _spins(image)
    max_order = check_int(max_order, "max_order", low=2)
    n_angles = check_int(n_angles, "n_angles", low=2)
    threshold = check_real(threshold, "threshold", low=-1.0, high=1.0)
    mask = _disc(s.shape[0])
    ref = s[mask]
    cache: dict[float, float] = {}

    def at(deg: float) -> float:
        key = round(deg % 360.0, 9)
        if key not in cache:
            cache[key] = _corr(ref, _rotated(s, key)[mask])
        return cache[key]

    scores = {n: float(np.mean([at(360.0 * k / n) for k in range(1, n)])) for n in range(2, max_order + 1)}
    angles = 360.0 * np.arange(1, n_angles) / n_angles
    curve = np.array([at(a) for a in angles])
    passing = [n for n, v in scores.items() if v >= threshold]
    best = max(passing) if passing else 1
    inv = scores[best] if passing else max(scores.values())
    return RotationInvariance(inv, best, scores, float(curve.mean()), angles, curve)


def reflection_invariance(image: np.ndarray, *, n_axes: int = 36) -> ReflectionInvariance:
    """Invariance under reflections about ``n_axes`` lines through the centre (multiples of
    180°/n_axes; use a multiple of 4 to include the axes and diagonals)."""
    s = _spins(image)
    n_axes = check_int(n_axes, "n_axes", low=1)
    mask = _disc(s.shape[0])
    ref = s[mask]
    axes = 180.0 * np.arange(n_axes) / n_axes
    curve = np.array([_corr(ref, _reflected(s, a)[mask]) for a in axes])
    k = int(np.argmax(curve))
    return ReflectionInvariance(float(curve[k]), float(axes[k]), axes, curve)


def _shift_curve(s: np.ndarray, max_shift: int) -> np.ndarray:
    return np.array([_corr(s[:, d:], s[:, :-d]) for d in range(1, max_shift + 1)])


def _best_period(curve: np.ndarray) -> tuple[float, int | None]:
    rises = np.nonzero(curve[:-1] < curve[1:])[0]
    if len(rises) == 0:
        return float(curve[-1]), None
    first_min = int(rises[0])
    k = first_min + int(np.argmax(curve[first_min:]))
    return float(curve[k]), k + 1


def translation_invariance(image: np.ndarray, *, max_shift: int | None = None) -> TranslationInvariance:
    """Invariance under shifts along x and y, and the best period.

    Parameters
    ----------
    image : array of 0/1, shape (N, N)
    max_shift : int, optional
        Largest shift in pixels (default N // 2, so the overlap is at least half the image).
    """
    s = _spins(image)
    n = s.shape[0]
    max_shift = n // 2 if max_shift is None else check_int(max_shift, "max_shift", low=2, high=n - 2)
    cx = _shift_curve(s, max_shift)
    cy = _shift_curve(s.T, max_shift)
    (vx, px), (vy, py) = _best_period(cx), _best_period(cy)
    best = (vx, px, "x") if vx >= vy else (vy, py, "y")
    return TranslationInvariance(best[0], best[1], best[2], np.arange(1, max_shift + 1), cx, cy)


@dataclass(frozen=True)
class InvarianceMeasures:
    """The three families' measures of one image."""

    rotation: RotationInvariance
    reflection: ReflectionInvariance
    translation: TranslationInvariance

    def scores(self, min_order: int = 3) -> dict[str, float]:
        """One degree of invariance per class of :data:`DIRECT_CLASSES` except "none":
        O(2): the all-angle mean; Z_n: the best score among orders >= ``min_order``; Z_2: the
        best reflection; T_n: the best translation."""
        zn = max(v for n, v in self.rotation.order_scores.items() if n >= min_order)
        return {
            "O(2)": self.rotation.continuous,
            "Z_n": zn,
            "Z_2": self.reflection.invariance,
            "T_n": self.translation.invariance,
        }

    def to_dict(self) -> dict:
        r, f, t = self.rotation, self.reflection, self.translation
        return {
            "rotation": {
                "invariance": r.invariance,
                "best_order": r.best_order,
                "continuous": r.continuous,
                "order_scores": {str(k): v for k, v in r.order_scores.items()},
            },
            "reflection": {"invariance": f.invariance, "best_axis_degrees": f.best_axis},
            "translation": {
                "invariance": t.invariance,
                "best_period": t.best_period,
                "best_axis": t.best_axis,
            },
        }


def invariance_measures(
    image: np.ndarray, *, max_order: int = 8, n_angles: int = 72, n_axes: int = 36, threshold: float = 0.8
) -> InvarianceMeasures:
    """Rotation, reflection and translation invariance of a two-colour square image."""
    return InvarianceMeasures(
        rotation_invariance(image, max_order=max_order, n_angles=n_angles, threshold=threshold),
        reflection_invariance(image, n_axes=n_axes),
        translation_invariance(image),
    )


def direct_class(measures: InvarianceMeasures, threshold: float = 0.8) -> str:
    """The symmetry class the direct measure assigns, by a decision list from the largest group
    down: O(2) if the all-angle mean reaches ``threshold``; else Z_n (n >= 3); else T_n; else
    Z_2; else "none". (A Z_n with reflections is still Z_n; O(2) has every other symmetry.)"""
    sc = measures.scores()
    for label in ("O(2)", "Z_n", "T_n", "Z_2"):
        if sc[label] >= threshold:
            return label
    return "none"
