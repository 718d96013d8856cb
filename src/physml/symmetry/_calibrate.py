"""Where the direct classes' thresholds come from: the scores of pictures without symmetry and
of exactly round pictures, measured on seeded random pictures.

A threshold is a decision rule's false-alarm rate, so it is set from the distribution of the
score where the answer is known to be "no":

- Z_n, Z_2, T_n: the score's ``1 − false_alarm`` quantile over symmetry-free pictures
  (:func:`asymmetric_picture`: random smooth blobs or smooth random fields of varied size,
  position, anisotropy and smoothness, cut at a random level): a picture without symmetry then
  passes each threshold with probability ``false_alarm``.
- O(2): every asymmetric picture scores far below any useful O(2) threshold (its all-angle
  minimum is near or below 0), so that threshold is set by what it must accept instead: the
  ``miss`` quantile of the all-angle minimum over exactly round pictures (centred radial
  profiles cut at a random level), which is below 1 only by rasterisation. A regular polygon
  whose worst rotation is within rasterisation of 1 is then O(2) at that resolution.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import ndimage

from physml._core import check_choice, check_int, check_real, derive_seed
from physml.data import symmetric_template
from physml.symmetry._invariance import (
    DIRECT_CLASSES,
    invariance_measures,
    reflection_invariance,
    rotation_invariance,
    translation_invariance,
)

__all__ = [
    "CALIBRATION_SEED",
    "asymmetric_picture",
    "asymmetric_scores",
    "calibrate_thresholds",
    "mirror_picture",
    "round_picture",
    "symmetric_scores",
]

#: The seed :data:`~physml.symmetry.CLASS_THRESHOLDS` were calibrated with; test pictures use others.
CALIBRATION_SEED = 20240
_SCORED = DIRECT_CLASSES[:-1]


def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    c = (size - 1) / 2.0
    i, j = np.mgrid[0:size, 0:size].astype(np.float64)
    return (j - c) / (size / 2.0), (c - i) / (size / 2.0)


def asymmetric_picture(size: int = 64, seed: int = 0) -> np.ndarray:
    """A two-colour picture (size, size) with no symmetry, drawn from ``seed``.

    Half the seeds give 3–9 anisotropic Gaussian bumps (random sign, amplitude 0.5–1.5, centre
    anywhere in the picture, axes 0.08–0.5 of the half-side log-uniformly, random orientation)
    on a weak random linear gradient (slope N(0, 0.2²) per half-side); the other half a smooth
    random field (white noise filtered by a Gaussian of width size/32 to size/6 pixels,
    log-uniformly). Either is cut at a random level (quantile 0.2–0.8), so the ink covers
    20–80% of the picture. The gradient is kept weak because a picture it dominates is one
    straight edge, which is symmetric (a mirror across the edge's normal, shifts along it).
    """
    size = check_int(size, "size", low=8)
    rng = np.random.default_rng(derive_seed(int(seed), "asymmetric-picture"))
    X, Y = _grid(size)
    if rng.random() < 0.5:
        V = rng.normal(0.0, 0.2) * X + rng.normal(0.0, 0.2) * Y
        for _ in range(int(rng.integers(3, 10))):
            cx, cy = rng.uniform(-0.9, 0.9, size=2)
            a, b = np.exp(rng.uniform(math.log(0.08), math.log(0.5), size=2))
            t = rng.uniform(0.0, math.pi)
            u = (X - cx) * math.cos(t) + (Y - cy) * math.sin(t)
            v = -(X - cx) * math.sin(t) + (Y - cy) * math.cos(t)
            V = V + rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) * np.exp(-(u / a) ** 2 - (v / b) ** 2)
    else:
        sigma = size * math.exp(rng.uniform(math.log(1 / 32), math.log(1 / 6)))
        margin = int(math.ceil(3 * sigma))
        noise = rng.normal(size=(size + 2 * margin, size + 2 * margin))
        V = ndimage.gaussian_filter(noise, sigma, mode="wrap")[margin : margin + size, margin : margin + size]
    return (V < np.quantile(V, rng.uniform(0.2, 0.8))).astype(np.uint8)


def _drawing(rng: np.random.Generator, image: np.ndarray, outline: bool | None = None) -> np.ndarray:
    """Half the time (or as ``outline`` says) the picture itself, else its outline drawn 2–3
    pixels wide (the boundary pixels, dilated by a cross): line drawings lose more to
    rasterisation than filled shapes."""
    draw = rng.random() >= 0.5
    if not (draw if outline is None else outline):
        return image
    filled = image.astype(bool)
    edge = filled & ~ndimage.binary_erosion(filled, border_value=0)
    width = int(rng.integers(2, 4))
    if width > 1:
        edge = ndimage.binary_dilation(edge, iterations=width - 1)
    return edge.astype(np.uint8) if edge.any() and not edge.all() else image


def round_picture(size: int = 64, seed: int = 0, *, outline: bool | None = None) -> np.ndarray:
    """A two-colour picture (size, size) that is exactly round about its centre, drawn from
    ``seed``: a disc, an annulus or concentric rings (a radial bowl plus 0–3 cosine ripples of
    random frequency and phase, radii scaled by 0.5–1.2), cut at a random level (quantile
    0.2–0.8 of the inscribed disc's pixels, where the rotations are measured, so both colours
    are there); half of them drawn as outlines 2–3 pixels wide (``outline``: True/False for
    one kind only). Only rasterisation keeps its rotation invariance below 1."""
    size = check_int(size, "size", low=8)
    rng = np.random.default_rng(derive_seed(int(seed), "round-picture"))
    X, Y = _grid(size)
    rho = np.sqrt(X * X + Y * Y) / rng.uniform(0.5, 1.2)
    V = rng.uniform(0.5, 1.5) * rho**2
    for _ in range(int(rng.integers(0, 4))):
        V = V + rng.uniform(0.05, 0.4) * np.cos(rng.uniform(3.0, 12.0) * rho + rng.uniform(0, 2 * math.pi))
    disc = X * X + Y * Y <= 1.0
    return _drawing(rng, (V < np.quantile(V[disc], rng.uniform(0.2, 0.8))).astype(np.uint8), outline)


def asymmetric_scores(n: int, size: int = 64, *, seed: int = CALIBRATION_SEED) -> np.ndarray:
    """The direct score table (columns O(2), Z_n, Z_2, T_n as in
    :func:`~physml.symmetry.direct_scores`) of ``n`` asymmetric pictures, picture i drawn from
    ``derive_seed(seed, i)``."""
    n = check_int(n, "n", low=1)
    rows = []
    for i in range(n):
        m = invariance_measures(asymmetric_picture(size, derive_seed(seed, i)))
        sc = m.scores()
        rows.append([sc[k] for k in _SCORED])
    return np.array(rows)


def mirror_picture(
    size: int = 64, seed: int = 0, *, axis: float | None = None, outline: bool | None = None
) -> np.ndarray:
    """A two-colour picture (size, size) with exactly one mirror line through its centre, at
    ``axis`` degrees from the x axis (default random in [0°, 180°)): the bumps of
    :func:`asymmetric_picture` folded across the line (a function of the distance from the line
    and the position along it), cut at a random level (quantile 0.2–0.8 of the inscribed
    disc), half of them drawn as outlines 2–3 pixels wide (``outline``: True/False for one kind
    only). Off the grid's axes and diagonals
    only rasterisation keeps its mirror score below 1."""
    size = check_int(size, "size", low=8)
    rng = np.random.default_rng(derive_seed(int(seed), "mirror-picture"))
    phi = math.radians(rng.uniform(0.0, 180.0) if axis is None else float(axis))
    X, Y = _grid(size)
    u = np.abs(-X * math.sin(phi) + Y * math.cos(phi))  # distance from the mirror line
    v = X * math.cos(phi) + Y * math.sin(phi)  # position along it
    V = rng.normal(0.0, 0.2) * v
    for _ in range(int(rng.integers(3, 10))):
        cu, cv = rng.uniform(0.0, 0.9), rng.uniform(-0.9, 0.9)
        a, b = np.exp(rng.uniform(math.log(0.08), math.log(0.5), size=2))
        bump = np.exp(-((u - cu) / a) ** 2 - ((v - cv) / b) ** 2)
        V = V + rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) * bump
    disc = X * X + Y * Y <= 1.0
    return _drawing(rng, (V < np.quantile(V[disc], rng.uniform(0.2, 0.8))).astype(np.uint8), outline)


def symmetric_scores(label: str, n: int, size: int = 64, *, seed: int = CALIBRATION_SEED) -> np.ndarray:
    """The score of class ``label`` on ``n`` pictures that have that symmetry exactly (up to
    rasterisation), picture i drawn from ``derive_seed(seed, i)``:

    - "O(2)": :func:`round_picture`, the all-angle minimum;
    - "Z_n": :func:`physml.data.symmetric_template` "Z_n" of order 3–8 (half of them as 2–3 pixel
      outlines), the score of its own order (the worst of its rotations);
    - "Z_2": :func:`mirror_picture` at a random axis, the best mirror score;
    - "T_n": :func:`physml.data.symmetric_template` "T_n", the translation score.
    """
    n = check_int(n, "n", low=1)
    check_choice(label, "label", _SCORED)
    out = []
    for i in range(n):
        s = derive_seed(seed, i)
        if label == "O(2)":
            out.append(rotation_invariance(round_picture(size, s)).minimum)
        elif label == "Z_n":
            order = 3 + s % 6
            t = symmetric_template("Z_n", size, order=order, seed=s)
            image = _drawing(np.random.default_rng(derive_seed(s, "drawing")), t.image)
            out.append(rotation_invariance(image, max_order=order).order_scores[order])
        elif label == "Z_2":
            out.append(reflection_invariance(mirror_picture(size, s)).invariance)
        else:
            out.append(translation_invariance(symmetric_template("T_n", size, seed=s).image).invariance)
    return np.array(out)


def calibrate_thresholds(
    n: int = 1000,
    size: int = 64,
    *,
    false_alarm: float = 0.01,
    miss: float = 0.05,
    seed: int = CALIBRATION_SEED,
    return_scores: bool = False,
) -> dict[str, float] | tuple[dict[str, float], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Thresholds of the direct classes from their score distributions (deterministic for a seed).

    For each class c, two distributions of its score: on ``n`` asymmetric pictures
    (:func:`asymmetric_scores`: false alarms) and on ``n`` pictures with the symmetry
    (:func:`symmetric_scores`: misses). Z_2 and T_n: the ``1 − false_alarm`` quantile of the
    first (a picture without symmetry passes with probability ``false_alarm``). O(2) and Z_n:
    the ``miss`` quantile of the second (a picture with the symmetry fails with probability
    ``miss``), because which rotation *order* holds is decided by exactness, not by chance: a
    square's 45° rotation overlaps it by about 0.7, far above chance, yet 45° is no symmetry.
    Either way the threshold is at least the other bound (the larger of the two is taken), so
    both error rates are at most their targets where the distributions do not overlap.
    Quantiles are observed scores (numpy's "higher"/"lower" methods), rounded to 0.01 away
    from the side they guard (false alarms: up; misses: down).

    The defaults reproduce :data:`~physml.symmetry.CLASS_THRESHOLDS` (a few minutes).
    With ``return_scores=True`` also the two score tables, {class: scores}.
    """
    n = check_int(n, "n", low=1)
    false_alarm = check_real(false_alarm, "false_alarm", low=0.0, high=1.0, low_open=True)
    miss = check_real(miss, "miss", low=0.0, high=1.0, low_open=True)
    table = asymmetric_scores(n, size, seed=derive_seed(seed, "asymmetric"))
    null = {k: table[:, j] for j, k in enumerate(_SCORED)}
    exact = {k: symmetric_scores(k, n, size, seed=derive_seed(seed, "symmetric", k)) for k in _SCORED}

    def up(x: float) -> float:
        return math.ceil(round(x * 100, 6)) / 100

    def down(x: float) -> float:
        return math.floor(round(x * 100, 6)) / 100

    out = {}
    for k in _SCORED:
        alarm = up(float(np.quantile(null[k], 1 - false_alarm, method="higher")))
        missed = down(float(np.quantile(exact["O(2)" if k == "Z_n" else k], miss, method="lower")))
        out[k] = max(alarm, missed) if k in ("O(2)", "Z_n") else alarm
    return (out, null, exact) if return_scores else out
