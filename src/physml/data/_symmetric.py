"""Two-dimensional potentials with known symmetry, rendered to two-colour images by level sets.

The templates of Barenboim, Hirn & Sanz, "Symmetry meets AI" (SciPost Phys. 11, 014 (2021),
arXiv:2103.06115; Sanz, "Symmetry meets AI"): a potential V(x, y) whose symmetry group is known by
construction
is drawn with random scales and parameters, and the image is the level set ``V < level`` (1
inside, 0 outside) at a random quantile of V, so both colours are always present.

Classes (:data:`SYMMETRY_CLASSES`):

``"O(2)"``
    radial, V = f(r): every rotation and every reflection through the centre.
``"Z_n"``
    n-fold rotations about the centre, n = 3..6 by default: V = f(ρ) + a ρ cos(n(θ − θ₀) + κρ);
    κ = 0 adds the n reflections (the dihedral group D_n, a combination), κ ≠ 0 is a chiral spiral.
``"Z_2"``
    one reflection, about an axis through the centre at 0°, 45°, 90° or 135°.
``"T_n"``
    translations by a period of P pixels along a grid axis (stripes modulated across them), or
    along both axes (a lattice, a combination); the order is P.
``"none"``
    a sum of random Gaussian bumps and a gradient.

Coordinates are the pixel centres, x_j = (2j + 1 − N)/N ∈ (−1, 1), with y pointing up, so that
rotations by 90° and reflections about the axes and diagonals map the grid onto itself. The
potentials are written in forms that such grid operations leave bit-for-bit unchanged (r² = x·x +
y·y, |u| for the mirror coordinate, repeated complex products that commute exactly with a
quarter turn, periodicity in the integer pixel index), so a template is *exactly* symmetric under
its grid-compatible operations; other angles hold up to rasterisation.

Approximate symmetry: ``breaking`` β ≥ 0 adds β·std(V)·W with W a fixed (per seed) random field
of unit standard deviation; β = 0 is the exact template.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import ndimage

from physml._core import as_generator, check_choice, check_int, check_real, check_seed, derive_seed

__all__ = [
    "SKETCHES",
    "SYMMETRY_CLASSES",
    "SymmetricTemplate",
    "pixel_grid",
    "symmetric_template",
    "symmetric_templates",
    "symmetry_sketch",
]

#: The template classes of :func:`symmetric_template`, in label order (see the module docstring).
SYMMETRY_CLASSES: tuple[str, ...] = ("O(2)", "Z_n", "Z_2", "T_n", "none")
MIN_SIZE = 8


@dataclass(frozen=True)
class SymmetricTemplate:
    """One rendered template.

    Attributes
    ----------
    image : ndarray of uint8, shape (size, size)
        1 inside the level set V < level, 0 outside; row 0 is the top of the picture.
    potential : ndarray of float64, shape (size, size)
        The (possibly broken) potential on the pixel centres.
    label : str
        One of :data:`SYMMETRY_CLASSES`.
    order : int or None
        n of Z_n, the period P in pixels of T_n (along ``symmetries["translation_axes"]``),
        2 for Z_2, None for O(2) and none.
    breaking : float
        The breaking parameter β (0: exact symmetry).
    symmetries : dict
        The full symmetry content: ``rotation_order`` (0 for none, -1 for every angle),
        ``reflection_axes`` (angles in degrees of mirror lines through the centre),
        ``translation_axes`` ("x"/"y") and ``translation_period`` (pixels).
    """

    image: np.ndarray
    potential: np.ndarray
    label: str
    order: int | None
    breaking: float
    symmetries: dict[str, Any] = field(default_factory=dict)


def pixel_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates (X, Y), each shape (size, size), in (−1, 1); y points up.

    X[i, j] = (2j + 1 − N)/N and Y[i, j] = −(2i + 1 − N)/N, exactly antisymmetric about the centre.
    """
    size = check_int(size, "size", low=1)
    c = (2.0 * np.arange(size) + 1.0 - size) / size
    X = np.broadcast_to(c[None, :], (size, size)).copy()
    Y = np.broadcast_to(-c[:, None], (size, size)).copy()
    return X, Y


def _cmul(ar: np.ndarray, ai: np.ndarray, br: np.ndarray, bi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Complex product with separate real ufuncs (no fused multiply-add, so it is exactly covariant
    under multiplying either factor by ±1, ±i)."""
    return np.subtract(ar * br, ai * bi), np.add(ar * bi, ai * br)


def _bumps(rng: np.random.Generator, X: np.ndarray, Y: np.ndarray, n: int, widths=(0.2, 0.5)) -> np.ndarray:
    """A random field: n Gaussian bumps of random sign, position and width plus a gradient."""
    V = rng.normal(0.0, 0.5) * X + rng.normal(0.0, 0.5) * Y
    for _ in range(n):
        cx, cy = rng.uniform(-0.9, 0.9, size=2)
        s = rng.uniform(*widths)
        V = V + rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) * np.exp(
            -((X - cx) ** 2 + (Y - cy) ** 2) / s**2
        )
    return V


def _radial(rng: np.random.Generator, rho: np.ndarray) -> np.ndarray:
    """A random radial profile: a bowl plus rings."""
    V = rng.uniform(0.5, 1.5) * rho**2
    for _ in range(int(rng.integers(1, 3))):
        V = V + rng.uniform(0.1, 0.4) * np.cos(rng.uniform(3.0, 9.0) * rho + rng.uniform(0, 2 * math.pi))
    return V


def _o2(rng, X, Y, order, size):
    rho = np.sqrt(X * X + Y * Y) / rng.uniform(0.6, 1.2)
    sym = {"rotation_order": -1, "reflection_axes": "all", "translation_axes": [], "translation_period": None}
    return _radial(rng, rho), None, sym


def _zn(rng, X, Y, order, size):
    n = int(rng.integers(3, 7)) if order is None else order
    r = np.sqrt(X * X + Y * Y)
    scale = rng.uniform(0.6, 1.0)
    rho = r / scale
    safe = np.maximum(r, 1e-300)
    ur, ui = X / safe, Y / safe
    pr, pi = ur, ui
    for _ in range(n - 1):
        pr, pi = _cmul(pr, pi, ur, ui)
    chiral = bool(rng.random() < 0.5)
    kappa = rng.uniform(2.0, 4.0) * rng.choice([-1.0, 1.0]) if chiral else 0.0
    theta0 = float(rng.uniform(0.0, 2 * math.pi / n))
    phase = kappa * rho - n * theta0
    ang = np.subtract(pr * np.cos(phase), pi * np.sin(phase))  # cos(nθ + κρ − nθ₀)
    V = rng.uniform(0.8, 1.2) * rho**2 + rng.uniform(0.35, 0.7) * rho * ang
    mirrors = [] if chiral else [math.degrees(theta0) + 180.0 * k / n for k in range(n)]
    sym = {
        "rotation_order": n,
        "reflection_axes": [a % 180.0 for a in mirrors],
        "translation_axes": [],
        "translation_period": None,
    }
    return V, n, sym


_AXES = (0, 45, 90, 135)  # mirror-line angles, degrees counterclockwise from the x axis


def _z2(rng, X, Y, order, size):
    axis = int(rng.choice(_AXES))
    # u: coordinate across the mirror line (flips sign under the reflection), v: along it
    u, v = {
        90: (X, Y),
        0: (Y, X),
        45: (np.subtract(X, Y), np.add(X, Y)),
        135: (np.add(X, Y), np.subtract(X, Y)),
    }[axis]
    if axis in (45, 135):
        u, v = u / math.sqrt(2.0), v / math.sqrt(2.0)
    au = np.abs(u)
    V = rng.normal(0.0, 0.6) * v + rng.uniform(0.3, 1.0) * u * u
    for _ in range(int(rng.integers(3, 6))):
        a, b = rng.uniform(0.0, 0.8), rng.uniform(-0.8, 0.8)
        s = rng.uniform(0.2, 0.45)
        V = V + rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5) * np.exp(
            -((au - a) ** 2 + (v - b) ** 2) / s**2
        )
    sym = {
        "rotation_order": 0,
        "reflection_axes": [float(axis)],
        "translation_axes": [],
        "translation_period": None,
    }
    return V, 2, sym


def _tn(rng, X, Y, order, size):
    P = int(rng.integers(max(3, size // 8), max(4, size // 3) + 1)) if order is None else order
    lattice = bool(rng.random() < 0.3)
    first = str(rng.choice(["x", "y"]))
    axes = ["x", "y"] if lattice else [first]
    j = np.arange(size)
    V = np.zeros((size, size))
    for ax in axes:
        phi = 2 * math.pi * ((j + int(rng.integers(P))) % P) / P
        prof = sum(rng.normal(0.0, 1.0 / m) * np.cos(m * phi + rng.uniform(0, 2 * math.pi)) for m in (1, 2))
        V = V + (prof[None, :] if ax == "x" else prof[:, None])
    if not lattice:  # a non-periodic modulation across the stripes
        w = Y if first == "x" else X
        V = V + rng.normal(0.0, 0.5) * w + rng.normal(0.0, 0.5) * w * w
    sym = {"rotation_order": 0, "reflection_axes": [], "translation_axes": axes, "translation_period": P}
    return V, P, sym


def _none(rng, X, Y, order, size):
    sym = {"rotation_order": 0, "reflection_axes": [], "translation_axes": [], "translation_period": None}
    return _bumps(rng, X, Y, int(rng.integers(5, 10)), (0.15, 0.4)), None, sym


_BUILDERS = {"O(2)": _o2, "Z_n": _zn, "Z_2": _z2, "T_n": _tn, "none": _none}


def symmetric_template(
    label: str,
    size: int = 32,
    *,
    order: int | None = None,
    breaking: float = 0.0,
    level: float | None = None,
    seed: int | np.random.Generator = 0,
) -> SymmetricTemplate:
    """Draw one template of symmetry class ``label``.

    Parameters
    ----------
    label : {"O(2)", "Z_n", "Z_2", "T_n", "none"}
    size : int
        Image side in pixels (>= 8).
    order : int, optional
        n for ``"Z_n"`` (2..12; default random in 3..6) or the period P in pixels for ``"T_n"``
        (2..size//2; default random in about size/8..size/3). Not accepted for other classes.
    breaking : float
        β >= 0: weight of the symmetry-breaking field in units of the potential's spread.
    level : float, optional
        Quantile of V at which the level set is drawn, in (0, 1); default random in [0.35, 0.65].
    seed : int or numpy.random.Generator
        The template (including its breaking field) depends only on the seed, not on ``breaking``.
    """
    check_choice(label, "label", SYMMETRY_CLASSES)
    size = check_int(size, "size", low=MIN_SIZE)
    breaking = check_real(breaking, "breaking", low=0.0)
    if order is not None:
        if label == "Z_n":
            order = check_int(order, "order", low=2, high=12)
        elif label == "T_n":
            order = check_int(order, "order", low=2, high=size // 2)
        else:
            raise ValueError(
                f"order is only accepted for 'Z_n' and 'T_n' templates, got order={order!r} for {label!r}"
            )
    if level is not None:
        level = check_real(level, "level", low=0.0, high=1.0, low_open=True)
        if level >= 1.0:
            raise ValueError(f"level must be a quantile in (0, 1), got {level}")
    rng = as_generator(check_seed(seed))
    X, Y = pixel_grid(size)
    V, n, sym = _BUILDERS[label](rng, X, Y, order, size)
    W = _bumps(rng, X, Y, 6)
    q = rng.uniform(0.35, 0.65) if level is None else level
    if breaking > 0.0:
        W = (W - W.mean()) / W.std()
        V = V + breaking * V.std() * W
    threshold = np.quantile(V, q)
    image = (V < threshold).astype(np.uint8)
    if image.min() == image.max():  # degenerate (flat) potential: cannot happen for these families
        raise RuntimeError(f"template {label!r} with seed {seed!r} rendered to one colour")
    return SymmetricTemplate(image, V, label, n, breaking, sym)


def symmetric_templates(
    n_per_class: int,
    size: int = 32,
    *,
    classes: tuple[str, ...] = SYMMETRY_CLASSES,
    breaking: float = 0.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, list[SymmetricTemplate]]:
    """``n_per_class`` templates of each class, in class-major order.

    Returns
    -------
    images : ndarray of uint8, shape (n_per_class·len(classes), size, size)
    labels : ndarray of int64
        Index into ``classes``.
    templates : list of SymmetricTemplate
    """
    n_per_class = check_int(n_per_class, "n_per_class", low=1)
    classes = tuple(classes)
    for c in classes:
        check_choice(c, "classes", SYMMETRY_CLASSES)
    seed = check_int(seed, "seed", low=0)
    templates = [
        symmetric_template(c, size, breaking=breaking, seed=derive_seed(seed, "template", c, i))
        for c in classes
        for i in range(n_per_class)
    ]
    images = np.stack([t.image for t in templates])
    labels = np.repeat(np.arange(len(classes)), n_per_class)
    return images, labels, templates


# ---------------------------------------------------------------------------------------------
# sketches: line drawings of shapes with known symmetry


def _outline(filled: np.ndarray, width: int) -> np.ndarray:
    """Pixels on the boundary of ``filled``, thickened to about ``width`` pixels (symmetric
    structuring elements, so grid symmetries of ``filled`` are kept exactly)."""
    filled = filled.astype(bool)
    edge = filled & ~ndimage.binary_erosion(filled, border_value=0)
    if width > 1:
        edge = ndimage.binary_dilation(edge, iterations=width - 1)
    return edge.astype(np.uint8)


def _sketch_rings(X, Y):
    r = np.sqrt(X * X + Y * Y)
    return (np.cos(3 * math.pi * r) > 0) & (r < 0.9)


def _sketch_star(X, Y):
    r = np.sqrt(X * X + Y * Y)
    th = np.arctan2(Y, X) - math.pi / 2
    return r < 0.55 * (1 + 0.45 * np.cos(5 * th))


def _sketch_pinwheel(X, Y):
    r = np.sqrt(X * X + Y * Y)
    th = np.arctan2(Y, X)
    return (np.cos(3 * th + 5 * r) > 0.2) & (r < 0.85) & (r > 0.12)


def _sketch_heart(X, Y):
    x, y = X / 0.8, (Y + 0.1) / 0.8
    return (x * x + y * y - 1) ** 3 - x * x * y**3 < 0


def _sketch_waves(X, Y):
    size = X.shape[0]
    period = max(4, size // 6)
    j = np.arange(size)
    tri = np.abs(((j % period) / period) - 0.5)[None, :]  # a zig-zag, periodic in the column index
    return np.cos(4 * math.pi * (Y * 0.6 + tri)) > 0


def _sketch_scribble(X, Y):
    rng = np.random.default_rng(20210421)
    return _bumps(rng, X, Y, 5) > 0.1


#: The line drawings of :func:`symmetry_sketch`: name -> (symmetry class, order or None).
SKETCHES: dict[str, tuple[str, int | None]] = {
    "rings": ("O(2)", None),
    "star": ("Z_n", 5),
    "pinwheel": ("Z_n", 3),
    "heart": ("Z_2", 2),
    "waves": ("T_n", None),
    "scribble": ("none", None),
}
_SKETCH_FUNCS = {
    "rings": _sketch_rings,
    "star": _sketch_star,
    "pinwheel": _sketch_pinwheel,
    "heart": _sketch_heart,
    "waves": _sketch_waves,
    "scribble": _sketch_scribble,
}


def symmetry_sketch(name: str, size: int = 64, *, line_width: int | None = None) -> np.ndarray:
    """A line drawing (1 = ink) with known symmetry, like a child's sketch.

    Parameters
    ----------
    name : str
        One of :data:`SKETCHES` (its value is the known (class, order)): concentric ``rings``
        (O(2)), a five-pointed ``star`` (Z_5 with reflections), a three-armed ``pinwheel`` (Z_3,
        chiral), a ``heart`` (one vertical mirror), ``waves`` (zig-zags periodic along x) and a
        ``scribble`` (no symmetry).
    size : int
        Side in pixels (>= 16).
    line_width : int, optional
        Stroke width in pixels; default ``max(1, size // 32)``.

    Returns
    -------
    ndarray of uint8, shape (size, size)
    """
    check_choice(name, "name", tuple(SKETCHES))
    size = check_int(size, "size", low=16)
    width = max(1, size // 32) if line_width is None else check_int(line_width, "line_width", low=1)
    X, Y = pixel_grid(size)
    return _outline(_SKETCH_FUNCS[name](X, Y), width)
