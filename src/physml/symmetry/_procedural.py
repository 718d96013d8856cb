"""Training pictures for the learned classifier: a random motif with a random symmetry group
applied to it, labelled by the group (never by a shape family).

:func:`group_picture` draws a motif of 1–4 random primitives (ellipses, filled or outlined,
polyline strokes and filled triangles of random size, place and orientation) and makes the
picture invariant under a group by taking the union of the motif's images:

- ``D_n`` / ``Z_n`` (n = 2..8): the n rotations by 360°k/n about the centre, with (D_n) or
  without (Z_n) the motif's mirror image about a random line through the centre;
- ``D_1``: the motif and its mirror image about a random line through the centre;
- ``O(2)``: the motif swept around the centre (every rotation): a set of rings and discs;
- ``T`` / ``T^2``: the motif in a cell of random period P (and Q) along one (both) grid axes,
  repeated (a centred lattice half the time for T^2). T is half the time a cell of width P
  spanning the height (whatever the motif draws there across), half the time courses: bands of
  random height, each the lattice shifted by its own random phase along x (periodic along x,
  not across), a fifth of them left empty;
- ``none``: the motif alone (2–4 primitives), one lump of 2–4 large overlapping primitives,
  a symmetric construction with each copy perturbed independently (turned, moved and scaled
  by a random amount: a broken symmetry), or a symmetry-free picture of the calibration
  (:func:`~physml.symmetry.asymmetric_picture`), each a quarter of the time.

The group, not the family, is the label, and none of the held-out families' generators
(:mod:`physml.symmetry._heldout`: regular and star polygons, swirled rosettes, rings, glyphs of
strokes, friezes and wallpapers of tiled ellipse motifs, blobs, broken polygons) is used. The
nuisances are drawn independently of the group: scale 0.5–0.9 of the half-side, an offset of up
to 12% of the half-side, line widths 1.5–3.5 pixels at 64 px, Gaussian noise σ ∈ [0, 0.12] on
the grey picture, drawn 3× supersampled, area-averaged and cut at Otsu's threshold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from physml._core import check_choice, check_int, derive_seed, progress
from physml.symmetry._calibrate import asymmetric_picture
from physml.symmetry._fine import FINE_CLASSES
from physml.symmetry._heldout import _inside, _segments_distance
from physml.symmetry._images import binarize

__all__ = ["GroupPicture", "group_picture", "group_pictures"]

_SUPER = 3
_MAX_ORDER = 8

Shape = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class GroupPicture:
    """A training picture: ``image`` (size, size) of 0/1 (1 = ink), the fine class ``label`` of
    the group applied, its rotation ``order`` (D_n, Z_n; 1 for D_1; None otherwise) and the
    drawing's ``params``."""

    image: np.ndarray
    label: str
    order: int | None
    params: dict


def _primitive(rng: np.random.Generator, reach: float, size_scale: float, width: float) -> Shape:
    """One random primitive within ``reach`` of the origin: an ellipse (filled or outlined), a
    polyline stroke or a filled triangle, ``size_scale`` setting its extent."""
    kind = int(rng.integers(0, 4))
    if kind <= 1:  # ellipse
        rho, phi = rng.uniform(0.0, reach), rng.uniform(0, 2 * math.pi)
        cx, cy = rho * math.cos(phi), rho * math.sin(phi)
        a, b = rng.uniform(0.15, 0.6, size=2) * size_scale
        t = rng.uniform(0, math.pi)
        filled = kind == 0

        def ellipse(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            u = (x - cx) * math.cos(t) + (y - cy) * math.sin(t)
            v = -(x - cx) * math.sin(t) + (y - cy) * math.cos(t)
            q = np.sqrt((u / a) ** 2 + (v / b) ** 2)
            return q <= 1.0 if filled else np.abs(q - 1.0) * min(a, b) <= width / 2

        return ellipse
    rho = rng.uniform(0.0, reach, size=4)
    phi = rng.uniform(0, 2 * math.pi, size=4)
    pts = np.column_stack([rho * np.cos(phi), rho * np.sin(phi)])
    if kind == 2:  # stroke of 2–4 points
        pts = pts[: int(rng.integers(2, 5))]

        def stroke(x: np.ndarray, y: np.ndarray) -> np.ndarray:
            return _segments_distance(x, y, pts, closed=False) <= width / 2

        return stroke
    tri = pts[:3]

    def triangle(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return _inside(x, y, tri)

    return triangle


def _motif(rng: np.random.Generator, k: int, reach: float, size_scale: float, width: float) -> Shape:
    parts = [_primitive(rng, reach, size_scale, width) for _ in range(k)]

    def motif(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        out = np.zeros(x.shape, dtype=bool)
        for p in parts:
            out |= p(x, y)
        return out

    return motif


def _turn(x: np.ndarray, y: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of the points that a rotation by ``angle`` maps onto (x, y)."""
    c, s = math.cos(angle), math.sin(angle)
    return c * x + s * y, -s * x + c * y


def _mirror(x: np.ndarray, y: np.ndarray, axis: float) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(2 * axis), math.sin(2 * axis)
    return c * x + s * y, s * x - c * y


def _point_group(motif: Shape, x: np.ndarray, y: np.ndarray, order: int, axis: float | None,
                 jitter: Callable[[int], tuple[float, float, float, float]] | None = None) -> np.ndarray:
    """The union of the motif's images under the n rotations (and the mirror about ``axis``).
    ``jitter(k)`` (turn, dx, dy, scale) perturbs copy k: a broken symmetry."""
    ink = np.zeros(x.shape, dtype=bool)
    copies = 2 * order if axis is not None else order
    for k in range(copies):
        turn, dx, dy, scale = jitter(k) if jitter is not None else (0.0, 0.0, 0.0, 1.0)
        u, v = _turn(x - dx, y - dy, 2 * math.pi * (k % order) / order + turn)
        u, v = u / scale, v / scale
        if k >= order:
            u, v = _mirror(u, v, axis)
        ink |= motif(u, v)
    return ink


def _swept(motif: Shape, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The motif swept around the centre: a point is ink if some rotation of the motif covers
    it, i.e. if the motif has ink on the circle through the point."""
    radii = np.linspace(0.0, 1.5, 601)
    theta = np.linspace(0.0, 2 * math.pi, 721)[:-1]
    rr, tt = np.meshgrid(radii, theta, indexing="ij")
    on_circle = motif(rr * np.cos(tt), rr * np.sin(tt)).any(axis=1)
    r = np.hypot(x, y)
    return on_circle[np.clip(np.rint(r / radii[1]).astype(int), 0, len(radii) - 1)]


def _lattice(motif: Shape, x: np.ndarray, y: np.ndarray, px: float, py: float | None,
             centred_cell: bool) -> np.ndarray:
    """The motif (drawn in the cell [0, px) × [0, py)) repeated with periods px along x and, if
    ``py``, py along y; ``centred_cell`` adds the copy shifted by half a cell along both."""
    ink = np.zeros(x.shape, dtype=bool)
    shifts = [(0.0, 0.0), (px / 2, py / 2)] if centred_cell and py is not None else [(0.0, 0.0)]
    for sx, sy in shifts:
        u = np.mod(x - sx, px)
        v = y if py is None else np.mod(y - sy, py)
        for kx in (-1, 0, 1):
            for ky in ((-1, 0, 1) if py is not None else (0,)):
                ink |= motif(u + kx * px, v + ky * (py or 0.0))
    return ink


def group_picture(label: str, size: int = 64, *, order: int | None = None, seed: int = 0) -> GroupPicture:
    """One seeded training picture whose symmetry group is ``label`` (a fine class of
    :data:`~physml.symmetry.FINE_CLASSES`; ``order`` 2..8 for D_n and Z_n, random if None).
    A drawing that comes out one colour is redrawn from the next derived seed."""
    check_choice(label, "label", FINE_CLASSES)
    size = check_int(size, "size", low=16)
    if order is not None:
        if label not in ("D_n", "Z_n"):
            raise ValueError(f"order is for D_n and Z_n only, got order={order!r} with label {label!r}")
        order = check_int(order, "order", low=2, high=_MAX_ORDER)
    for attempt in range(100):
        rng = np.random.default_rng(derive_seed(int(seed), "group-picture", label, attempt))
        picture = _draw(rng, label, size, order)
        if picture is not None:
            return picture
    raise RuntimeError(f"no two-colour {label} picture in 100 attempts from seed {seed}")  # pragma: no cover


def _draw(rng: np.random.Generator, label: str, size: int, order: int | None) -> GroupPicture | None:
    n = size * _SUPER
    c = (n - 1) / 2.0
    i, j = np.mgrid[0:n, 0:n].astype(np.float64)
    x, y = (j - c) / (n / 2.0), (c - i) / (n / 2.0)
    scale = float(rng.uniform(0.5, 0.9))
    width = float(rng.uniform(1.5, 3.5)) * (size / 64) / (size / 2)  # half-side units
    noise = float(rng.uniform(0.0, 0.12))
    shift = rng.uniform(-0.12, 0.12, size=2)
    xs, ys = x - shift[0], y - shift[1]
    params: dict = {"scale": scale, "line_width_px": width * size / 2, "noise": noise,
                    "offset": tuple(float(s) for s in shift)}
    n_order = None
    if label in ("D_n", "Z_n"):
        n_order = int(rng.integers(2, _MAX_ORDER + 1)) if order is None else order
        k = int(rng.integers(1, 4))
        motif = _motif(rng, k, scale, scale / max(2.0, n_order / 1.5), width)
        axis = float(rng.uniform(0, math.pi)) if label == "D_n" else None
        ink = _point_group(motif, xs, ys, n_order, axis)
        params["primitives"] = k
    elif label == "D_1":
        n_order = 1
        k = int(rng.integers(1, 5))
        motif = _motif(rng, k, scale, scale / 2, width)
        ink = _point_group(motif, xs, ys, 1, float(rng.uniform(0, math.pi)))
        params["primitives"] = k
    elif label == "O(2)":
        k = int(rng.integers(1, 5))
        extent = scale * float(np.exp(rng.uniform(np.log(1 / 12), np.log(1 / 3))))  # small: thin rings
        motif = _motif(rng, k, scale, extent, width)
        ink = _swept(motif, xs, ys) & (np.hypot(xs, ys) <= scale * 1.2)
        params["primitives"] = k
    elif label in ("T", "T^2"):
        p = float(rng.uniform(max(4.0, size / 10), size / 3)) * 2 / size  # half-side units
        q = float(rng.uniform(max(4.0, size / 10), size / 3)) * 2 / size
        k = int(rng.integers(1, 4))
        reach = max(p, q) / 2
        motif = _motif(rng, k, reach, min(p, q) / 2, width)
        if label == "T" and rng.random() < 0.5:  # periodic along x only: the motif spans the height
            tall = _motif(rng, k, 1.0, 0.5, width)
            cell = _moved(motif, p / 2, 0.0)
            ink = _lattice(lambda u, v: cell(u, v) | tall(u - p / 2, v), x, y, p, None, False)
            params["kind"] = "cell"
        elif label == "T":  # courses of the motif, each with its own phase: periodic along x only
            edges = np.sort(rng.uniform(-1.0, 1.0, size=int(rng.integers(2, 6))))
            course = np.searchsorted(edges, y)
            phase = rng.uniform(0.0, p, size=len(edges) + 1)
            cell = _moved(motif, p / 2, q / 2)
            kept = rng.random(len(edges) + 1) < 0.8
            ink = _lattice(cell, x + phase[course], y, p, q, False) & kept[course]
            params["kind"] = "courses"
        else:
            centred_cell = bool(rng.random() < 0.5)
            ink = _lattice(_moved(motif, p / 2, q / 2), x, y, p, q, centred_cell)
            params["centred_cell"] = centred_cell
        ink = ink[::-1].T if rng.random() < 0.5 else ink  # the period along y instead
        params.update(periods_px=(p * size / 2, q * size / 2), primitives=k)
    else:  # none
        kind = int(rng.integers(0, 4))
        params["kind"] = ("motif", "broken", "calibration", "lump")[kind]
        if kind == 2:
            image = asymmetric_picture(size, int(rng.integers(2**31)))
            return GroupPicture(image, label, None, params) if 0 < image.sum() < image.size else None
        if kind == 0:
            k = int(rng.integers(2, 5))
            ink = _motif(rng, k, scale, scale / 2, width)(xs, ys)
        elif kind == 3:  # overlapping large primitives near the centre: one asymmetric lump
            k = int(rng.integers(2, 5))
            ink = _motif(rng, k, scale / 3, scale * 1.2, width)(xs, ys)
        else:
            m = int(rng.integers(2, 7))
            motif = _motif(rng, int(rng.integers(1, 3)), scale, scale / max(2.0, m / 1.5), width)
            axis = float(rng.uniform(0, math.pi)) if rng.random() < 0.5 else None
            amount = float(rng.uniform(0.15, 0.4))
            pert = rng.normal(size=(2 * m, 4))

            def jitter(copy: int) -> tuple[float, float, float, float]:
                t, dx, dy, s = pert[copy]
                return (amount * t * math.pi / m, amount * dx * scale / 3, amount * dy * scale / 3,
                        float(np.exp(amount * s / 2)))

            ink = _point_group(motif, xs, ys, m, axis, jitter)
            params.update(broken_order=m, breaking=amount)
    grey = 1.0 - ink.reshape(size, _SUPER, size, _SUPER).mean(axis=(1, 3))
    ink_fraction = float(np.mean(grey < 0.5))
    if not 0.02 < ink_fraction < 0.98:
        return None
    grey = grey + noise * rng.normal(size=grey.shape)
    image = binarize(grey)
    if image.min() == image.max():
        return None
    return GroupPicture(image, label, n_order, params)


def _moved(motif: Shape, dx: float, dy: float) -> Shape:
    def shape(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return motif(x - dx, y - dy)

    return shape


def group_pictures(n_per_class: int, size: int = 64, *, seed: int = 0, classes: Sequence[str] = FINE_CLASSES,
                   desc: str | None = None) -> list[GroupPicture]:
    """``n_per_class`` pictures of each class (picture i of a class from ``derive_seed(seed,
    i)``); D_n and Z_n cycle through the orders 2..8 so each order is equally represented.
    ``desc``: the label of a progress bar (shown on a terminal, see :func:`physml._core.progress`)."""
    n_per_class = check_int(n_per_class, "n_per_class", low=1)
    for label in classes:
        check_choice(label, "classes", FINE_CLASSES)
    jobs = [(label, i) for label in classes for i in range(n_per_class)]
    out = []
    for label, i in progress(jobs, total=len(jobs), desc=desc):
        order = 2 + i % (_MAX_ORDER - 1) if label in ("D_n", "Z_n") else None
        out.append(group_picture(label, size, order=order, seed=derive_seed(int(seed), i)))
    return out
