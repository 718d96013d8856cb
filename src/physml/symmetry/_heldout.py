"""A held-out test of generalisation: seeded pictures from shape families that neither the
templates of :func:`physml.data.symmetric_template` nor the threshold calibration use, each with
its true class in the fine vocabulary of :data:`~physml.symmetry.FINE_CLASSES`.

Families (``HELDOUT_FAMILIES``; true class and how it is drawn):

- ``polygon`` (D_n): a regular n-gon, n = 3..6, filled or as an outline;
- ``star`` (D_n): a regular star polygon {n/2}, n = 5..8, filled or as an outline;
- ``rosette`` (Z_n): n = 3..6 curved petals (each petal bent by a swirl, so no mirror: chiral);
- ``ring`` (O(2)): a disc, an annulus or 2–3 concentric circles;
- ``glyph-mirror`` (D_1): a glyph of 2–4 strokes and its mirror image about a line through its
  centre at a random angle (like A, M, V);
- ``glyph-turn`` (Z_n, n = 2): strokes and their 180° rotation (like S, N, Z);
- ``glyph`` (none): 3–5 random strokes;
- ``frieze`` (T): a random motif repeated with period P along one axis, a random profile across;
- ``wallpaper`` (T^2): a random motif tiled with periods P_x, P_y on a rectangular lattice;
- ``blob`` (none): a random star-shaped polygon (radii drawn independently) with 0–2 ellipses;
- ``near-symmetric`` (none): a regular n-gon, n = 3..6, each of whose vertices is moved by
  β times the circumradius in a random direction, β ∈ [0.2, 0.4] (recorded as ``breaking``).

Every picture varies the shape's size (0.55–0.85 of the half-side), position (the centre moved
by up to 12% of the half-side; patterns: a random phase), line width (1.5–3.5 pixels at 64 px,
scaled with the side) and noise: a grey picture (ink 0, paper 1, area-averaged from a 3×
supersampled drawing) gets Gaussian noise of σ ∈ [0, 0.12] and is binarised by Otsu's threshold
(:func:`~physml.symmetry.binarize`). :func:`sample_photographs` adds scikit-learn's two sample
photographs (class "none": neither is symmetric under any transform at the measures' resolution).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physml._core import check_choice, check_int, derive_seed
from physml.symmetry._images import binarize

__all__ = ["HELDOUT_FAMILIES", "HeldoutPicture", "heldout_picture", "heldout_set", "sample_photographs"]

#: family -> (fine class, order or None).  The order of D_n / Z_n families is drawn per picture.
HELDOUT_FAMILIES: dict[str, str] = {
    "polygon": "D_n",
    "star": "D_n",
    "rosette": "Z_n",
    "ring": "O(2)",
    "glyph-mirror": "D_1",
    "glyph-turn": "Z_n",
    "glyph": "none",
    "frieze": "T",
    "wallpaper": "T^2",
    "blob": "none",
    "near-symmetric": "none",
}

_SUPER = 3  # supersampling of the drawing before area averaging


@dataclass(frozen=True)
class HeldoutPicture:
    """One held-out picture: ``image`` (size, size) of 0/1 (1 = ink), its ``family``, its true
    fine class ``label`` and rotation ``order`` (D_n/Z_n; None otherwise), and the drawing's
    parameters ``params`` (scale, offset, line width, noise, breaking, ...)."""

    image: np.ndarray
    family: str
    label: str
    order: int | None
    params: dict


def _coords(size: int, rng: np.random.Generator, offset: float) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Supersampled coordinates in units of the half-side (y up), shifted by a random offset."""
    n = size * _SUPER
    c = (n - 1) / 2.0
    i, j = np.mgrid[0:n, 0:n].astype(np.float64)
    shift = tuple(rng.uniform(-offset, offset, size=2)) if offset > 0 else (0.0, 0.0)
    x = (j - c) / (n / 2.0) - shift[0]
    y = (c - i) / (n / 2.0) - shift[1]
    return x, y, shift


def _segments_distance(x: np.ndarray, y: np.ndarray, pts: np.ndarray, closed: bool) -> np.ndarray:
    """Distance of every grid point from a polyline through ``pts`` (k, 2)."""
    p = np.asarray(pts, dtype=np.float64)
    if closed:
        p = np.vstack([p, p[:1]])
    d = np.full(x.shape, np.inf)
    for (ax, ay), (bx, by) in zip(p[:-1], p[1:], strict=True):
        vx, vy = bx - ax, by - ay
        length2 = vx * vx + vy * vy
        t = np.clip(((x - ax) * vx + (y - ay) * vy) / length2, 0.0, 1.0) if length2 > 0 else 0.0
        d = np.minimum(d, np.hypot(x - ax - t * vx, y - ay - t * vy))
    return d


def _inside(x: np.ndarray, y: np.ndarray, pts: np.ndarray) -> np.ndarray:
    from matplotlib.path import Path

    return Path(np.asarray(pts)).contains_points(np.column_stack([x.ravel(), y.ravel()])).reshape(x.shape)


def _shape(x, y, pts, filled: bool, width: float) -> np.ndarray:
    if filled:
        return _inside(x, y, pts)
    return _segments_distance(x, y, pts, closed=True) <= width / 2


def _regular(n: int, radius: float, turn: float, radii: np.ndarray | None = None) -> np.ndarray:
    t = turn + 2 * math.pi * np.arange(n) / n
    r = radius if radii is None else radius * radii
    return np.column_stack([r * np.cos(t), r * np.sin(t)])


def _rotate(pts: np.ndarray, angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return pts @ np.array([[c, s], [-s, c]])


def _strokes(rng: np.random.Generator, k: int, half: bool) -> list[np.ndarray]:
    """k random polylines of 2–4 points in the box |x|, |y| <= 0.75 (x >= 0.05 if ``half``)."""
    out = []
    for _ in range(k):
        m = int(rng.integers(2, 5))
        px = rng.uniform(0.05 if half else -0.75, 0.75, size=m)
        py = rng.uniform(-0.75, 0.75, size=m)
        out.append(np.column_stack([px, py]))
    return out


def _stroke_ink(x, y, strokes: list[np.ndarray], width: float) -> np.ndarray:
    ink = np.zeros(x.shape, dtype=bool)
    for s in strokes:
        ink |= _segments_distance(x, y, s, closed=False) <= width / 2
    return ink


def _motif(rng: np.random.Generator, px: int, py: int) -> np.ndarray:
    """A random asymmetric two-colour motif of px × py supersampled pixels (a few ellipses)."""
    i, j = np.mgrid[0:py, 0:px].astype(np.float64)
    u, v = (j + 0.5) / px, (i + 0.5) / py
    ink = np.zeros((py, px), dtype=bool)
    for _ in range(int(rng.integers(2, 4))):
        cu, cv = rng.uniform(0.15, 0.85, size=2)
        a, b = rng.uniform(0.08, 0.3, size=2)
        t = rng.uniform(0, math.pi)
        du, dv = u - cu, v - cv
        p = du * math.cos(t) + dv * math.sin(t)
        q = -du * math.sin(t) + dv * math.cos(t)
        ink |= (p / a) ** 2 + (q / b) ** 2 <= 1.0
    return ink


def heldout_picture(family: str, size: int = 64, seed: int = 0) -> HeldoutPicture:
    """One seeded picture of a held-out ``family`` (see the module's list), side ``size`` >= 16."""
    check_choice(family, "family", tuple(HELDOUT_FAMILIES))
    size = check_int(size, "size", low=16)
    rng = np.random.default_rng(derive_seed(int(seed), "heldout", family))
    scale = float(rng.uniform(0.55, 0.85))
    width = float(rng.uniform(1.5, 3.5)) * (size / 64) / (size / 2)  # in half-side units
    filled = bool(rng.random() < 0.5)
    noise = float(rng.uniform(0.0, 0.12))
    x, y, shift = _coords(size, rng, 0.12)
    order: int | None = None
    params: dict = {"scale": scale, "offset": shift, "line_width_px": width * size / 2, "noise": noise}
    turn = float(rng.uniform(0, 2 * math.pi))
    if family == "polygon":
        order = int(rng.integers(3, 7))
        ink = _shape(x, y, _regular(order, scale, turn), filled, width)
        params["filled"] = filled
    elif family == "star":
        order = int(rng.integers(5, 9))
        pts = _regular(order, scale, turn)[(2 * np.arange(order)) % order] if order % 2 else None
        if pts is None:  # even n: {n/2} is two polygons; draw the star outline by alternating radii
            inner = scale * math.cos(2 * math.pi / order) / math.cos(math.pi / order)
            t = turn + math.pi * np.arange(2 * order) / order
            r = np.where(np.arange(2 * order) % 2 == 0, scale, inner)
            pts = np.column_stack([r * np.cos(t), r * np.sin(t)])
            ink = _shape(x, y, pts, filled, width)
        else:
            inside = _inside(x, y, pts) if filled else _segments_distance(x, y, pts, True) <= width / 2
            if filled:  # the pentagram's even-odd rule leaves the core empty: fill it
                core = _regular(order, scale * math.cos(2 * math.pi / order) / math.cos(math.pi / order),
                                turn + math.pi / order)
                inside = inside | _inside(x, y, core)
            ink = inside
        params["filled"] = filled
    elif family == "rosette":
        order = int(rng.integers(3, 7))
        r = np.hypot(x, y) / scale
        theta = np.arctan2(y, x)
        swirl = float(rng.uniform(2.0, 4.0) * rng.choice([-1.0, 1.0]))
        petals = np.cos(order * (theta - turn) + swirl * r)
        ink = (r <= 1.0) & (petals > rng.uniform(0.0, 0.4)) & (r >= 0.12) | (r < 0.12)
        params["swirl"] = swirl
    elif family == "ring":
        r = np.hypot(x, y)
        kind = int(rng.integers(0, 3))
        if kind == 0:
            ink = r <= scale
        elif kind == 1:
            ink = (r <= scale) & (r >= scale * rng.uniform(0.4, 0.8))
        else:
            ink = np.zeros(x.shape, dtype=bool)
            for radius in scale * np.linspace(1.0, rng.uniform(0.25, 0.45), int(rng.integers(2, 4))):
                ink |= np.abs(r - radius) <= width / 2
        params["kind"] = ("disc", "annulus", "circles")[kind]
    elif family in ("glyph-mirror", "glyph-turn", "glyph"):
        half = family != "glyph"
        strokes = _strokes(rng, int(rng.integers(2, 5)) if half else int(rng.integers(3, 6)), half)
        strokes = [s * scale / 0.75 for s in strokes]
        if family == "glyph-mirror":
            strokes = strokes + [s * np.array([-1.0, 1.0]) for s in strokes]
            first = strokes[0][0]
            strokes.append(np.array([first, first * np.array([-1.0, 1.0])]))  # joins the halves
        elif family == "glyph-turn":
            strokes = strokes + [-s for s in strokes]
            strokes.append(np.array([strokes[0][0], -strokes[0][0]]))
            order = 2
        strokes = [_rotate(s, turn) for s in strokes]
        ink = _stroke_ink(x, y, strokes, max(width, 2.5 / size))
        params["strokes"] = len(strokes)
    elif family in ("frieze", "wallpaper"):
        n = size * _SUPER
        p = int(rng.integers(max(3, size // 8), max(4, size // 4) + 1)) * _SUPER
        q = int(rng.integers(max(3, size // 8), max(4, size // 4) + 1)) * _SUPER
        motif = _motif(rng, p, q)
        reps = (n // q + 2, n // p + 2)
        tiled = np.tile(motif, reps)
        oy, ox = int(rng.integers(0, q)), int(rng.integers(0, p))
        ink = tiled[oy : oy + n, ox : ox + n]
        if family == "frieze":  # a random profile across: rows kept or dropped in random bands
            across = np.zeros(n, dtype=bool)
            edges = np.sort(rng.choice(np.arange(1, n), size=int(rng.integers(2, 5)) * 2, replace=False))
            for a, b in zip(edges[::2], edges[1::2], strict=True):
                across[a:b] = True
            ink = ink & across[:, None]
            if rng.random() < 0.5:
                ink = ink.T
            params["period_px"] = p / _SUPER
        else:
            params["periods_px"] = (p / _SUPER, q / _SUPER)
    elif family == "blob":
        k = int(rng.integers(5, 10))
        radii = rng.uniform(0.35, 1.0, size=k)
        t = np.sort(rng.uniform(0, 2 * math.pi, size=k))
        pts = np.column_stack([scale * radii * np.cos(t), scale * radii * np.sin(t)])
        ink = _inside(x, y, pts)
        for _ in range(int(rng.integers(0, 3))):
            cx, cy = rng.uniform(-0.6, 0.6, size=2)
            a, b = rng.uniform(0.1, 0.3, size=2)
            ink ^= ((x - cx) / a) ** 2 + ((y - cy) / b) ** 2 <= 1.0
    else:  # near-symmetric
        n_sides = int(rng.integers(3, 7))
        beta = float(rng.uniform(0.2, 0.4))
        pts = _regular(n_sides, 1.0, turn)
        way = rng.uniform(0, 2 * math.pi, size=n_sides)
        pts = pts + beta * np.column_stack([np.cos(way), np.sin(way)])  # each vertex moved by β
        pts = pts * scale / np.hypot(pts[:, 0], pts[:, 1]).max()  # within the scale
        ink = _shape(x, y, pts, filled, width)
        params.update(breaking=beta, sides=n_sides, filled=filled)
    grey = 1.0 - ink.reshape(size, _SUPER, size, _SUPER).mean(axis=(1, 3))
    grey = grey + noise * rng.normal(size=grey.shape)
    if grey.max() == grey.min():
        grey[0, 0] = 0.0
    image = binarize(grey)
    return HeldoutPicture(image, family, HELDOUT_FAMILIES[family], order, params)


def heldout_set(n_per_family: int, size: int = 64, *, seed: int = 0,
                families: tuple[str, ...] | None = None) -> list[HeldoutPicture]:
    """``n_per_family`` pictures of every family (picture i of a family from
    ``derive_seed(seed, i)``), families in the order of :data:`HELDOUT_FAMILIES`."""
    n_per_family = check_int(n_per_family, "n_per_family", low=1)
    fams = tuple(HELDOUT_FAMILIES) if families is None else tuple(families)
    return [heldout_picture(f, size, derive_seed(int(seed), i)) for f in fams for i in range(n_per_family)]


def sample_photographs() -> list[tuple[str, np.ndarray, str]]:
    """scikit-learn's sample photographs (``sklearn.datasets.load_sample_images``: a Chinese
    temple and a flower, 427 × 640 colour) as (name, RGB array, true class "none")."""
    from sklearn.datasets import load_sample_images

    data = load_sample_images()
    names = [name.rsplit("/", 1)[-1].rsplit(".", 1)[0] for name in data.filenames]
    return [(name, image, "none") for name, image in zip(names, data.images, strict=True)]
