"""The direct invariance measure: how much a two-colour image overlaps with its own transforms.

For a transform g the invariance is the Pearson correlation over a region Ω of the image's
spins s = 2b − 1 and the transformed spins s∘g,

    I(g) = Σ_Ω (s − s̄)(s_g − s̄_g) / √(Σ_Ω (s − s̄)² Σ_Ω (s_g − s̄_g)²),

1 for an exact symmetry, about 0 for an unrelated picture with the same colour fractions, and
−1 for a colour-swapping one; 0 where the picture is one colour on Ω (no structure there, so no
evidence of symmetry: a picture drawn only in its corners has no rotation or mirror score). Ω is
the inscribed disc for rotations and reflections through the centre and the overlap of the image
with its shifted copy for translations (no wrap-around). Grid-compatible operations (rotations
by multiples of 90°, reflections about the axes and diagonals, integer shifts) permute pixels
exactly; other angles sample the image bilinearly, so an exactly symmetric picture scores
slightly below 1 there (rasterisation).

A rotation order n holds as much as its *worst* rotation: score(n) = min over k = 1..n−1 of
I(360°k/n) (a mean would let order 8 pass on a square, whose 90° rotations are half of order 8's
rotations). The class thresholds (:data:`CLASS_THRESHOLDS`) are measured, not chosen: see
:func:`physml.symmetry.calibrate_thresholds`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from physml._core import check_int, check_real

__all__ = [
    "CLASS_THRESHOLDS",
    "DIRECT_CLASSES",
    "SMOOTHING",
    "InvarianceMeasures",
    "ReflectionInvariance",
    "RotationInvariance",
    "TranslationInvariance",
    "class_thresholds",
    "direct_class",
    "invariance_measures",
    "reflection_invariance",
    "rotation_invariance",
    "translation_invariance",
]

DIRECT_CLASSES = ("O(2)", "Z_n", "Z_2", "T_n", "none")

#: Width (pixels) of the Gaussian that smooths a picture and its rotated or mirrored copy before
#: they are compared at angles off the grid: bilinear resampling moves a one-pixel line by a
#: fraction of a pixel, which alone drops a sharp comparison of an exactly round line drawing
#: to about 0.9; compared at the one-pixel scale it stays near 1. Grid operations (90°
#: rotations, mirrors on the axes and diagonals) that map the pixels onto themselves score 1.
SMOOTHING = 1.0

#: The score each class of :func:`direct_class` must reach (see :meth:`InvarianceMeasures.scores`),
#: as :func:`physml.symmetry.calibrate_thresholds` measures them on seeded 64-pixel pictures
#: (1000 per distribution; numbers in docs/symmetry.md). Z_2 and T_n: the 99th percentile of the
#: score on pictures without symmetry (random smooth blobs and fields): 1% false alarms each
#: (measured 0.5% and 0.8%). O(2) and Z_n: the 5th percentile of the worst rotation of exactly
#: round pictures, half of them line drawings: a rotation counts when it is as close to exact as
#: rasterisation lets a round picture be (filled shapes all pass, 7% of 2–3 pixel outlines do not);
#: no asymmetric picture came near (largest 0.42 and 0.47).
CLASS_THRESHOLDS: dict[str, float] = {"O(2)": 0.95, "Z_n": 0.95, "Z_2": 0.98, "T_n": 0.76}


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
    """Pearson correlation of two equally shaped arrays; 0 if one is constant (even if both are
    the same constant: no structure, no evidence of symmetry), else 1 if identical."""
    if a.min() == a.max() or b.min() == b.max():
        return 0.0
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


def _grid_angle(degrees: float, quarter: float) -> bool:
    q = degrees / quarter
    return abs(q - round(q)) < 1e-12


def _smooth(s: np.ndarray, smoothing: float) -> np.ndarray:
    return ndimage.gaussian_filter(s, smoothing, mode="nearest") if smoothing > 0 else s


def _overlap(s: np.ndarray, smooth: np.ndarray, mask: np.ndarray, op, exact: bool) -> float:
    """I of the transform ``op``: 1 if it maps the pixels onto themselves exactly (``exact``:
    a grid operation), else the correlation of the smoothed picture with its transform; 0 if
    the picture is one colour on the region (nothing there to be symmetric)."""
    region = s[mask]
    if region.min() == region.max():
        return 0.0
    if exact and np.array_equal(op(s)[mask], region):
        return 1.0
    return _corr(smooth[mask], op(smooth)[mask])


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
        Largest n in 2..max_order whose score reaches the threshold and rises above
        ``minimum`` by the margin (see :func:`rotation_invariance`); 1 if none does; max_order
        for a round picture. Since score(n) is the worst of its rotations, every divisor of
        ``best_order`` passes too.
    order_scores : dict of int to float
        score(n) = min over k = 1..n−1 of I(rotation by 360°k/n) (physml 0.1: the mean).
    continuous : float
        Mean of I over the sampled angles.
    minimum : float
        Smallest I over every angle tried (the sampled ones and the orders' ones): the O(2)
        score, near 1 only if every rotation leaves the picture unchanged.
    angles, curve : ndarray
        Sampled angles in degrees and I at each.
    """

    invariance: float
    best_order: int
    order_scores: dict[int, float]
    continuous: float
    angles: np.ndarray
    curve: np.ndarray
    minimum: float = float("nan")


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
    image: np.ndarray,
    *,
    max_order: int = 8,
    n_angles: int = 72,
    threshold: float | None = None,
    smoothing: float = SMOOTHING,
    margin: float | None = None,
) -> RotationInvariance:
    """Invariance under rotations about the centre, the best order n and the O(2) minimum.

    Parameters
    ----------
    image : array of 0/1, shape (N, N), N >= 8
    max_order : int
        Largest n tried (>= 2).
    n_angles : int
        Angles sampled uniformly in (0°, 360°) for the continuous measure and the curve.
    threshold : float, optional
        Score an order must reach to count as a symmetry; default ``CLASS_THRESHOLDS["Z_n"]``.
    smoothing : float
        Width in pixels of the Gaussian both copies are smoothed with before they are compared
        at angles off the grid (0: none); see :data:`SMOOTHING`.
    margin : float, optional
        How far an order's score must rise above the picture's worst rotation (``minimum``) to
        count; default half of 1 − ``CLASS_THRESHOLDS["O(2)"]`` (the allowance for
        rasterisation of round pictures), 0.025. Without it a nearly round shape passes an
        order its rotations do not single out: a filled hexagon at 76 px (worst rotation 0.948)
        passed order 7 at 0.952. A picture whose worst rotation is within the allowance of 1
        is round: all orders pass.

    Returns
    -------
    RotationInvariance
        ``best_order``: the largest n whose score reaches ``threshold`` and the margin.
    """
    s = _spins(image)
    max_order = check_int(max_order, "max_order", low=2)
    n_angles = check_int(n_angles, "n_angles", low=2)
    threshold = CLASS_THRESHOLDS["Z_n"] if threshold is None else threshold
    threshold = check_real(threshold, "threshold", low=-1.0, high=1.0)
    smoothing = check_real(smoothing, "smoothing", low=0.0)
    mask = _disc(s.shape[0])
    smooth = _smooth(s, smoothing)
    cache: dict[float, float] = {}

    def at(deg: float) -> float:
        key = round(deg % 360.0, 9)
        if key not in cache:
            cache[key] = _overlap(s, smooth, mask, lambda a: _rotated(a, key), _grid_angle(key, 90.0))
        return cache[key]

    scores = {n: float(min(at(360.0 * k / n) for k in range(1, n))) for n in range(2, max_order + 1)}
    angles = 360.0 * np.arange(1, n_angles) / n_angles
    curve = np.array([at(a) for a in angles])
    minimum = float(min(cache.values()))
    allowance = 1.0 - CLASS_THRESHOLDS["O(2)"]  # how far rasterisation keeps a round picture from 1
    margin = allowance / 2 if margin is None else check_real(margin, "margin", low=0.0)
    round_ = minimum >= 1.0 - allowance  # every rotation within rasterisation of 1: all orders hold
    passing = [n for n, v in scores.items() if v >= threshold and (round_ or v - minimum >= margin)]
    best = max(passing) if passing else 1
    inv = scores[best] if passing else max(scores.values())
    return RotationInvariance(inv, best, scores, float(curve.mean()), angles, curve, minimum)


def reflection_invariance(
    image: np.ndarray, *, n_axes: int = 36, refine: bool = True, smoothing: float = SMOOTHING
) -> ReflectionInvariance:
    """Invariance under reflections about ``n_axes`` lines through the centre (multiples of
    180°/n_axes; use a multiple of 4 to include the axes and diagonals).

    With ``refine`` (default) the two best local maxima of that curve are searched further,
    within half a grid step on either side to 1/32 of a step (0.16° for 36 axes): a mirror
    line between two sampled axes is then found instead of scoring well below 1 (on 64-pixel
    pictures with one mirror at a random angle the median score rises from about 0.95 to 0.98).
    ``invariance`` and ``best_axis`` are the best of all; ``axes``/``curve`` stay the grid.
    ``smoothing``: as for :func:`rotation_invariance`."""
    s = _spins(image)
    n_axes = check_int(n_axes, "n_axes", low=1)
    smoothing = check_real(smoothing, "smoothing", low=0.0)
    mask = _disc(s.shape[0])
    smooth = _smooth(s, smoothing)

    def at(deg: float) -> float:
        return _overlap(s, smooth, mask, lambda a: _reflected(a, deg), _grid_angle(deg, 45.0))

    axes = 180.0 * np.arange(n_axes) / n_axes
    curve = np.array([at(a) for a in axes])
    k = int(np.argmax(curve))
    best, best_axis = float(curve[k]), float(axes[k])
    if refine and n_axes >= 3:
        step = 180.0 / n_axes
        peaks = [i for i in range(n_axes) if curve[i] >= curve[i - 1] and curve[i] >= curve[(i + 1) % n_axes]]
        for i in sorted(peaks, key=lambda i: -curve[i])[:2]:
            centre, value = float(axes[i]), float(curve[i])
            for width in (step / 8, step / 32):
                for a in centre + width * np.arange(-4, 5):
                    if a != centre:
                        v = at(float(a) % 180.0)
                        if v > value:
                            centre, value = float(a) % 180.0, v
            if value > best:
                best, best_axis = value, centre
    return ReflectionInvariance(best, best_axis, axes, curve)


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
        O(2): the smallest I over all rotation angles (physml 0.1: the all-angle mean, which a
        square passed); Z_n: the best score among orders >= ``min_order`` (each the worst of
        its rotations); Z_2: the best reflection; T_n: the best translation."""
        zn = max(v for n, v in self.rotation.order_scores.items() if n >= min_order)
        return {
            "O(2)": self.rotation.minimum,
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
                "minimum": r.minimum,
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
    image: np.ndarray,
    *,
    max_order: int = 8,
    n_angles: int = 72,
    n_axes: int = 36,
    threshold: float | None = None,
    smoothing: float = SMOOTHING,
) -> InvarianceMeasures:
    """Rotation, reflection and translation invariance of a two-colour square image
    (``threshold``: the rotation orders' one, default ``CLASS_THRESHOLDS["Z_n"]``)."""
    return InvarianceMeasures(
        rotation_invariance(image, max_order=max_order, n_angles=n_angles, threshold=threshold,
                            smoothing=smoothing),
        reflection_invariance(image, n_axes=n_axes, smoothing=smoothing),
        translation_invariance(image),
    )


def class_thresholds(threshold: float | Mapping[str, float] | None = None) -> dict[str, float]:
    """The per-class thresholds: :data:`CLASS_THRESHOLDS` (None), one number for every class,
    or a mapping that overrides some classes."""
    if threshold is None:
        return dict(CLASS_THRESHOLDS)
    if isinstance(threshold, Mapping):
        unknown = sorted(set(threshold) - set(CLASS_THRESHOLDS))
        if unknown:
            raise ValueError(f"threshold has unknown classes {unknown}; the classes are "
                             f"{list(CLASS_THRESHOLDS)}")
        out = dict(CLASS_THRESHOLDS)
        out.update({k: check_real(v, f"threshold[{k!r}]") for k, v in threshold.items()})
        return out
    t = check_real(threshold, "threshold")
    return dict.fromkeys(CLASS_THRESHOLDS, t)


def direct_class(measures: InvarianceMeasures, threshold: float | Mapping[str, float] | None = None) -> str:
    """The symmetry class the direct measure assigns, by a decision list from the largest group
    down: O(2) if the all-angle minimum reaches its threshold; else Z_n (n >= 3); else T_n; else
    Z_2; else "none". (A Z_n with reflections is still Z_n; O(2) has every other symmetry.)

    ``threshold``: default :data:`CLASS_THRESHOLDS` (calibrated; physml 0.1 used 0.8 for
    every class), one number for all classes, or a mapping overriding some."""
    sc = measures.scores()
    t = class_thresholds(threshold)
    for label in ("O(2)", "Z_n", "T_n", "Z_2"):
        if sc[label] >= t[label]:
            return label
    return "none"
