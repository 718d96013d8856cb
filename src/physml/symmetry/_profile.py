"""Symmetry profiles: the direct invariance measures as functions of the transform, made
independent of how the picture is turned, mirrored or placed, as the input of a learned
classifier.

A classifier reading pixels learns the shapes of its training families and does not carry over
to new ones (docs/symmetry.md: 0.37–0.48 on the held-out families). The profile of a picture is
what its symmetry *is*, whatever the shape: how much the picture overlaps with itself turned by
each angle, mirrored about each line and shifted by each distance. The same preprocessing as
:func:`~physml.symmetry.fine_direct_class` (the figure moved to the centre, a line drawing
thickened) is applied first. :func:`symmetry_profile` gives, for a square two-colour picture:

- ``rotation`` (36): I(θ) for θ = 5°, 10°, ..., 180°, the mean of θ and 360° − θ (equal for an
  exact measure: the region is the disc);
- ``orders`` (8): the worst rotation of each order n = 2..8 and the all-angle minimum;
- ``mirror`` (20): I of the mirror lines at 5° steps, read from the best line (0°) outwards
  in both directions and averaged (so turning or mirroring the picture leaves it unchanged up
  to the 5° grid), and the refined best mirror;
- ``translation`` (4): along each grid axis the return of the pattern (the largest I(d) after
  the first minimum of I(d), d = 1..N/2) and whether I(d) has a minimum at all, the stronger
  axis first (the curves I(d) themselves are left out: with them the classifier learned the
  training patterns' curve shapes, and its held-out accuracy fell from 0.91 to 0.84,
  docs/symmetry.md);
- ``picture`` (3): the fraction of the picture the figure covers (the colour that is not the
  paper, the majority of the border), whether the figure lies on paper (at most 5% of the
  border) and whether it is a line drawing (was thickened).

Every part is unchanged by swapping the two colours, as the direct measures are: a white drawing
on black paper has the symmetry of the same drawing in black on white (an ink fraction instead of
the figure's sent a heart drawn as a light outline, read with the colours swapped, from D_1 to
D_3).
"""

from __future__ import annotations

import numpy as np

from physml._core import check_array
from physml.symmetry._fine import centred, thickened
from physml.symmetry._invariance import (
    _best_period,
    _spins,
    reflection_invariance,
    rotation_invariance,
    translation_invariance,
)

__all__ = ["PROFILE_LENGTH", "symmetry_profile", "symmetry_profiles"]

_N_ANGLES = 72  # 5° steps
_N_AXES = 36  # 5° steps over 180°
_MAX_ORDER = 8


#: Entries of a profile: rotation 36, orders 8, mirror 20, translation 4, picture 3.
PROFILE_LENGTH = _N_ANGLES // 2 + _MAX_ORDER + _N_AXES // 2 + 2 + 4 + 3


def _figure(a: np.ndarray) -> tuple[float, bool]:
    """The figure's share of the picture and whether it lies on paper."""
    border = np.concatenate([a[0], a[-1], a[1:-1, 0], a[1:-1, -1]])
    paper = 1 if border.mean() > 0.5 else 0
    return float(np.mean(a != paper)), bool(np.mean(border != paper) <= 0.05)


def symmetry_profile(image: np.ndarray) -> np.ndarray:
    """The symmetry profile (see the module) of a square two-colour picture (1 = ink), a
    float32 vector of :data:`PROFILE_LENGTH` entries."""
    a = np.asarray(image)
    _spins(a, min_size=16)  # one-line errors for a bad picture
    a = a.astype(np.uint8)
    moved, _ = centred(a)
    if moved.min() == moved.max():  # a figure of a pixel or two can vanish when moved
        moved = a
    thick = thickened(moved)
    rot = rotation_invariance(thick, max_order=_MAX_ORDER, n_angles=_N_ANGLES)
    half = (rot.curve + rot.curve[::-1]) / 2  # angles 5..355: θ and 360° − θ
    rotation = np.append(half[: _N_ANGLES // 2 - 1], half[_N_ANGLES // 2 - 1])  # 5..175, 180
    orders = [rot.order_scores[n] for n in range(2, _MAX_ORDER + 1)] + [rot.minimum]
    ref = reflection_invariance(thick, n_axes=_N_AXES)
    k = int(np.argmax(ref.curve))
    rolled = np.roll(ref.curve, -k)
    both = (rolled + np.roll(rolled[::-1], 1)) / 2  # out from the best line, both ways
    mirror = [*both[: _N_AXES // 2 + 1], ref.invariance]
    tr = translation_invariance(a)
    (vx, px), (vy, py) = _best_period(tr.curve_x), _best_period(tr.curve_y)
    returns = sorted([(vx, px is not None), (vy, py is not None)], reverse=True)
    translation = [returns[0][0], float(returns[0][1]), returns[1][0], float(returns[1][1])]
    share, on_paper = _figure(a)
    picture = [share, float(on_paper), float(thick is not moved)]
    out = np.concatenate([rotation, orders, mirror, translation, picture]).astype(np.float32)
    return out


def symmetry_profiles(images: np.ndarray) -> np.ndarray:
    """:func:`symmetry_profile` of each picture of ``images`` (n, N, N): an (n, length) array."""
    imgs = check_array(images, "images", ndim=3, dtype=None)
    if imgs.shape[1] != imgs.shape[2]:
        raise ValueError(f"images must be square, shape (n, N, N); got {imgs.shape}")
    if imgs.shape[0] == 0:
        return np.empty((0, PROFILE_LENGTH), np.float32)
    return np.stack([symmetry_profile(im) for im in imgs])
