"""The benchmark manifolds of Hein & Audibert (2005) and Campadelli et al. (2015).

These are the data sets of scikit-dimension's ``BenchmarkManifolds`` (adapted there from
GeoMLE): the same names, intrinsic and ambient dimensions and parametrisations, drawn here
from a :class:`numpy.random.Generator` (so the points differ from scikit-dimension's for
the same integer seed, the distributions do not). Like the original, most are uniform in
their parameters, not in the manifold's volume.

References
----------
M. Hein, J.-Y. Audibert, "Intrinsic dimensionality estimation of submanifolds in R^d",
ICML 2005; P. Campadelli, E. Casiraghi, C. Ceruti, A. Rozza, "Intrinsic dimension
estimation: relevant techniques and a benchmark framework", Math. Probl. Eng. 2015, 759567.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from physml._core import check_choice, check_int, check_real
from physml.data._common import Seed, rng_from

__all__ = ["BENCHMARK_MANIFOLDS", "benchmark_manifold"]

#: name -> (intrinsic dimension, ambient dimension, description)
BENCHMARK_MANIFOLDS: dict[str, tuple[int, int, str]] = {
    "M1_Sphere": (10, 11, "10-sphere linearly embedded"),
    "M2_Affine_3to5": (3, 5, "affine space"),
    "M3_Nonlinear_4to6": (4, 6, "concentrated figure, mistakable for a 3-d one"),
    "M4_Nonlinear": (4, 8, "nonlinear manifold"),
    "M5a_Helix1d": (1, 3, "1-d helix"),
    "M5b_Helix2d": (2, 3, "2-d helix"),
    "M6_Nonlinear": (6, 36, "nonlinear manifold"),
    "M7_Roll": (2, 3, "Swiss roll"),
    "M8_Nonlinear": (12, 72, "nonlinear, highly curved manifold"),
    "M9_Affine": (20, 20, "affine space"),
    "M10a_Cubic": (10, 11, "10-d hypercube surface"),
    "M10b_Cubic": (17, 18, "17-d hypercube surface"),
    "M10c_Cubic": (24, 25, "24-d hypercube surface"),
    "M10d_Cubic": (70, 71, "70-d hypercube surface"),
    "M11_Moebius": (2, 3, "Moebius band, 10 times twisted"),
    "M12_Norm": (20, 20, "isotropic multivariate Gaussian"),
    "M13a_Scurve": (2, 3, "2-d S-curve"),
    "M13b_Spiral": (1, 13, "1-d helix curve"),
    "Mbeta": (10, 40, "smooth manifold with a non-uniform (beta) density"),
    "Mn1_Nonlinear": (18, 72, "nonlinearly embedded manifold of high dimension"),
    "Mn2_Nonlinear": (24, 96, "nonlinearly embedded manifold of high dimension"),
    "Mp1_Paraboloid": (3, 12, "3-d paraboloid, nonlinearly embedded, multivariate Burr density"),
    "Mp2_Paraboloid": (6, 21, "6-d paraboloid, nonlinearly embedded, multivariate Burr density"),
    "Mp3_Paraboloid": (9, 30, "9-d paraboloid, nonlinearly embedded, multivariate Burr density"),
}


def _pad(cols: list[np.ndarray], n: int, dim: int) -> np.ndarray:
    data = np.column_stack(cols)
    return np.hstack([data, np.zeros((n, dim - data.shape[1]))])


def _sphere(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    v = rng.standard_normal((n, d + 1))
    return _pad([v / np.linalg.norm(v, axis=1, keepdims=True)], n, dim)


def _affine3_5(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    p = 4.0 * rng.random((d, n))
    a = np.array([[1.2, -0.5, 0], [0.5, 0.9, 0], [-0.5, -0.2, 1], [0.4, -0.9, -0.1], [1.1, -0.3, 0]])
    b = np.array([[3, -1, 0, 0, 8]]).T
    return (a @ p + b).T


def _nonlinear4_6(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    p0, p1, p2, p3 = rng.random((d, n))
    return np.column_stack([
        p1**2 * np.cos(2 * np.pi * p0),
        p2**2 * np.sin(2 * np.pi * p0),
        p1 + p2 + (p1 - p3) ** 2,
        p1 - 2 * p2 + (p0 - p3) ** 2,
        -p1 - 2 * p2 + (p2 - p3) ** 2,
        p0**2 - p1**2 + p2**2 - p3**2,
    ])


def _nonlinear(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    m = dim // (2 * d)
    p = rng.random((d, n))
    f = np.zeros((2 * d, n))
    f[0::2] = np.cos(2 * np.pi * p)
    f[1::2] = np.sin(2 * np.pi * p)
    r = np.zeros((2 * d, n))
    r[0::2] = np.vstack([p[1:], p[0]])
    r[1::2] = np.vstack([p[1:], p[0]])
    return np.hstack([(r * f).T] * m)


def _helix1(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    t = 2 * np.pi / n + rng.random(n) * 2 * np.pi
    return _pad([(2 + np.cos(8 * t)) * np.cos(t), (2 + np.cos(8 * t)) * np.sin(t), np.sin(8 * t)], n, dim)


def _helix2(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    r = 10 * np.pi * rng.random(n)
    p = 10 * np.pi * rng.random(n)
    return _pad([r * np.cos(p), r * np.sin(p), 0.5 * p], n, dim)


def _roll(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    p = 21 * rng.random(n)
    return _pad([t * np.cos(t), p, t * np.sin(t)], n, dim)


def _affine(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    p = rng.random((d, n)) * 5 - 2.5
    return (np.eye(dim, d) @ p).T


def _cubic(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    per_face = n // (2 * (d + 1)) + 1
    faces = []
    for i in range(d + 1):
        for value in (0.0, 1.0):
            face = rng.random((per_face, d + 1))
            face[:, i] = value
            faces.append(face)
    return _pad([np.vstack(faces)[:n]], n, dim)


def _moebius(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    phi = rng.random(n) * 2 * np.pi
    rad = rng.random(n) * 2 - 1
    return np.column_stack([
        (1 + 0.5 * rad * np.cos(5.0 * phi)) * np.cos(phi),
        (1 + 0.5 * rad * np.cos(5.0 * phi)) * np.sin(phi),
        0.5 * rad * np.sin(5.0 * phi),
    ])


def _norm(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    return _pad([rng.standard_normal((n, d))], n, dim)


def _scurve(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    t = 3 * np.pi * (rng.random(n) - 0.5)
    p = 2.0 * rng.random(n)
    return _pad([np.sin(t), p, np.sign(t) * (np.cos(t) - 1)], n, dim)


def _spiral(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    t = 10 * np.pi * rng.random(n)
    return _pad([100 * np.cos(t), 100 * np.sin(t), t], n, dim)


def _beta(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    x = rng.beta(10.0, 0.5, size=(n, d))
    t1 = x * np.sin(np.cos(2 * np.pi * x))
    t2 = x * np.cos(np.sin(2 * np.pi * x))
    return np.hstack([t1, t2, t1, t2])


def _campadelli_n(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    x = rng.random((n, d))
    rev = x[:, ::-1]
    t1 = np.tan(x * np.cos(rev))
    t2 = np.arctan(rev * np.sin(x))
    return np.hstack([t1, t2, t1, t2])


def _paraboloid(rng: np.random.Generator, n: int, d: int, dim: int) -> np.ndarray:
    e = rng.exponential(1.0, (d + 1, n))
    x = (1.0 / (1 + e[1:] / e[0])).T
    x = np.hstack([x, (x**2).sum(axis=1, keepdims=True)])
    return np.hstack([x, np.sin(x), x**2])


_GENERATORS: dict[str, Callable[[np.random.Generator, int, int, int], np.ndarray]] = {
    "M1_Sphere": _sphere,
    "M2_Affine_3to5": _affine3_5,
    "M3_Nonlinear_4to6": _nonlinear4_6,
    "M4_Nonlinear": _nonlinear,
    "M5a_Helix1d": _helix1,
    "M5b_Helix2d": _helix2,
    "M6_Nonlinear": _nonlinear,
    "M7_Roll": _roll,
    "M8_Nonlinear": _nonlinear,
    "M9_Affine": _affine,
    "M10a_Cubic": _cubic,
    "M10b_Cubic": _cubic,
    "M10c_Cubic": _cubic,
    "M10d_Cubic": _cubic,
    "M11_Moebius": _moebius,
    "M12_Norm": _norm,
    "M13a_Scurve": _scurve,
    "M13b_Spiral": _spiral,
    "Mbeta": _beta,
    "Mn1_Nonlinear": _campadelli_n,
    "Mn2_Nonlinear": _campadelli_n,
    "Mp1_Paraboloid": _paraboloid,
    "Mp2_Paraboloid": _paraboloid,
    "Mp3_Paraboloid": _paraboloid,
}


def benchmark_manifold(name: str, n_samples: int = 2500, *, noise: float = 0.0, seed: Seed = 0) -> np.ndarray:
    """Points from one benchmark manifold of :data:`BENCHMARK_MANIFOLDS`.

    Parameters
    ----------
    name : str
        A key of :data:`BENCHMARK_MANIFOLDS`, e.g. ``"M1_Sphere"``.
    n_samples : int
        Number of points, >= 1.
    noise : float
        Standard deviation of isotropic Gaussian ambient noise, >= 0.
    seed : int or numpy.random.Generator

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, ambient dimension)
    """
    name = check_choice(name, "name", tuple(BENCHMARK_MANIFOLDS))
    n = check_int(n_samples, "n_samples", low=1)
    noise = check_real(noise, "noise", low=0.0)
    d, dim, _ = BENCHMARK_MANIFOLDS[name]
    rng = rng_from(seed)
    data = _GENERATORS[name](rng, n, d, dim)
    if noise > 0:
        data = data + rng.normal(scale=noise, size=data.shape)
    return np.ascontiguousarray(data, dtype=np.float64)
