"""A fast parametric toy of the LHC Olympics dijet features, for tests and quick presets.

It is *not* a physics simulation (that is :func:`physml.data.collider.generate_dijets`, with
Pythia and FastJet); it reproduces the qualitative shapes that the anomaly-detection methods
rely on, with every parameter explicit:

- background (QCD dijets): mjj drawn from the standard dijet function
  f(x) ∝ (1 − x)^p1 / x^(p2 + p3 ln x), x = mjj/√s, above ``mjj_min``; each jet's mass is
  pT × a log-normal fraction (median ``0.06``, log-width 0.55) with pT ≈ mjj/2.4; τ21 ~ Beta(5.5, 2.5)
  (mean 0.69: one-prong jets);
- signal (Z' → X Y, X, Y → qq): mjj ~ N(M, 0.05 M), with a fifth of the events losing a
  uniform 0-30% to radiation; mJ1 ~ N(m_X, 0.05 m_X + 10 GeV), mJ2 ~ N(m_Y, 0.05 m_Y + 10 GeV);
  τ21 ~ Beta(3, 4.5) (mean 0.4: two-prong jets).
"""

from __future__ import annotations

import numpy as np

from physml._core import check_int, check_real
from physml.data._common import Seed, rng_from
from physml.data.collider._events import EventTable

__all__ = ["dijet_function", "dijet_toy", "sample_dijet_function"]


def dijet_function(mjj: np.ndarray, p: tuple[float, ...], *, sqrt_s: float = 13000.0) -> np.ndarray:
    """The standard dijet fit function f(mjj) = p0 (1 − x)^p1 / x^(p2 + p3 ln x), x = mjj/√s.

    ``p`` has three or four entries (p3 = 0 when three). Used by the ATLAS and CMS dijet
    searches and the LHC Olympics bump hunts. Returns 0 where x ≥ 1.
    """
    p = tuple(float(v) for v in p)
    if len(p) not in (3, 4):
        raise ValueError(f"p must have 3 or 4 parameters (p0, p1, p2[, p3]), got {len(p)}")
    p0, p1, p2 = p[:3]
    p3 = p[3] if len(p) == 4 else 0.0
    x = np.asarray(mjj, dtype=float) / sqrt_s
    out = np.zeros_like(x)
    ok = (x > 0) & (x < 1)
    lx = np.log(x[ok])
    out[ok] = p0 * np.exp(p1 * np.log1p(-x[ok]) - (p2 + p3 * lx) * lx)
    return out


def sample_dijet_function(
    n: int,
    *,
    shape: tuple[float, float, float] = (8.0, 5.5, 0.0),
    mjj_min: float = 2500.0,
    mjj_max: float = 9000.0,
    sqrt_s: float = 13000.0,
    seed: Seed = 0,
) -> np.ndarray:
    """Draw ``n`` masses from the dijet function with (p1, p2, p3) = ``shape`` on [mjj_min, mjj_max].

    Inverse-CDF sampling on a fine grid (20,000 points, linear interpolation of the CDF).
    """
    n = check_int(n, "n", low=0)
    mjj_min = check_real(mjj_min, "mjj_min", low=0.0, low_open=True)
    mjj_max = check_real(mjj_max, "mjj_max", low=mjj_min, low_open=True, high=sqrt_s)
    grid = np.linspace(mjj_min, mjj_max, 20001)
    dens = dijet_function(grid, (1.0, *shape), sqrt_s=sqrt_s)
    cdf = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    cdf /= cdf[-1]
    return np.interp(rng_from(seed).random(n), cdf, grid)


def dijet_toy(
    n_background: int,
    n_signal: int = 0,
    *,
    m_resonance: float = 3500.0,
    m_x: float = 500.0,
    m_y: float = 100.0,
    mjj_min: float = 2500.0,
    sqrt_s: float = 13000.0,
    seed: Seed = 0,
) -> EventTable:
    """A toy event table: ``n_background`` QCD-like and ``n_signal`` resonance events, shuffled.

    Columns: ``mjj``, ``mj1``, ``mj2`` (GeV; J1 the heavier jet), ``tau21_j1``, ``tau21_j2``,
    ``label`` (1 signal, 0 background) and ``weight`` (ones). See the module docstring for the
    distributions.
    """
    n_background = check_int(n_background, "n_background", low=0)
    n_signal = check_int(n_signal, "n_signal", low=0)
    m_resonance = check_real(m_resonance, "m_resonance", low=0.0, low_open=True, high=sqrt_s)
    m_x = check_real(m_x, "m_x", low=0.0, low_open=True)
    m_y = check_real(m_y, "m_y", low=0.0, low_open=True)
    if m_x + m_y >= m_resonance:
        raise ValueError(f"m_x + m_y = {m_x + m_y:g} GeV must be below m_resonance = {m_resonance:g} GeV")
    rng = rng_from(seed)

    mjj_b = sample_dijet_function(n_background, mjj_min=mjj_min, sqrt_s=sqrt_s, seed=rng)
    pt = mjj_b / 2.4
    masses = pt[:, None] * np.exp(np.log(0.06) + 0.55 * rng.standard_normal((n_background, 2)))
    tau_b = rng.beta(5.5, 2.5, size=(n_background, 2))

    mjj_s = m_resonance * (1.0 + 0.05 * rng.standard_normal(n_signal))
    lossy = rng.random(n_signal) < 0.2
    mjj_s[lossy] *= 1.0 - 0.3 * rng.random(int(lossy.sum()))
    mx = m_x + (0.05 * m_x + 10.0) * rng.standard_normal(n_signal)
    my = m_y + (0.05 * m_y + 10.0) * rng.standard_normal(n_signal)
    masses_s = np.abs(np.stack([mx, my], axis=1))
    tau_s = rng.beta(3.0, 4.5, size=(n_signal, 2))

    mjj = np.concatenate([mjj_b, mjj_s])
    m = np.concatenate([masses, masses_s])
    tau = np.concatenate([tau_b, tau_s])
    heavy = np.argmax(m, axis=1)
    rows = np.arange(len(m))
    label = np.concatenate([np.zeros(n_background, np.int8), np.ones(n_signal, np.int8)])
    order = rng.permutation(len(mjj))
    table = {
        "mjj": mjj,
        "mj1": m[rows, heavy],
        "mj2": m[rows, 1 - heavy],
        "tau21_j1": tau[rows, heavy],
        "tau21_j2": tau[rows, 1 - heavy],
        "label": label,
        "weight": np.ones(len(mjj)),
    }
    return {k: v[order] for k, v in table.items()}
