"""Orbits on strange attractors: the Hénon map and the Lorenz flow.

The inner loops run on Python floats, which for a single 2- or 3-dimensional orbit is
several times faster than numpy arrays of length 2 or 3, and gives the same IEEE-754
double-precision results.
"""

from __future__ import annotations

import numpy as np

from physml._core import check_int, check_real
from physml.data._common import Seed, rng_from

__all__ = ["henon", "lorenz"]

_ESCAPE = 1e6


def henon(
    n_samples: int,
    *,
    a: float = 1.4,
    b: float = 0.3,
    burn_in: int = 1000,
    seed: Seed = 0,
) -> np.ndarray:
    """An orbit of the Hénon map (Hénon 1976, "A two-dimensional mapping with a strange attractor").

    The map is ``x' = 1 - a x**2 + y``, ``y' = b x``, evaluated exactly as
    ``1.0 - a * (x * x) + y`` and ``b * x`` in float64, so consecutive samples satisfy it
    bit for bit. The initial point is uniform in ``[-0.1, 0.1]**2`` (drawn from ``seed``),
    inside the basin of the attractor for the classic parameters; the first ``burn_in``
    iterates are discarded. For ``a=1.4, b=0.3`` the attractor lies in
    ``|x| < 1.3, |y| < 0.4``.

    Parameters
    ----------
    n_samples : int
        Number of consecutive iterates returned, >= 1.
    a, b : float
        Parameters of the map.
    burn_in : int
        Number of iterates discarded first, >= 0.
    seed : int or numpy.random.Generator
        Source of the initial point.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, 2)
        Row k is the iterate ``burn_in + k`` of the initial point, as ``(x, y)``.

    Raises
    ------
    ValueError
        If the orbit escapes (``|x| > 1e6``): for these parameters the initial point is not
        in the basin of a bounded attractor.
    """
    n = check_int(n_samples, "n_samples", low=1)
    a = check_real(a, "a")
    b = check_real(b, "b")
    burn_in = check_int(burn_in, "burn_in", low=0)
    rng = rng_from(seed)
    x0, y0 = (float(v) for v in rng.uniform(-0.1, 0.1, 2))
    x, y = x0, y0
    xs = [0.0] * n
    ys = [0.0] * n
    total = burn_in + n
    for k in range(total):
        if k >= burn_in:
            xs[k - burn_in] = x
            ys[k - burn_in] = y
            if k == total - 1:
                break
        x, y = 1.0 - a * (x * x) + y, b * x
        if not abs(x) <= _ESCAPE:  # also catches NaN
            raise ValueError(
                f"henon orbit escaped to infinity (|x| > {_ESCAPE:g} after {k + 1} iterations) from "
                f"({x0:.6g}, {y0:.6g}) with a={a}, b={b}; these parameters have no bounded attractor whose "
                "basin holds the initial point (the classic attractor is a=1.4, b=0.3)"
            )
    return np.column_stack([xs, ys])


def lorenz(
    n_samples: int,
    *,
    sigma: float = 10.0,
    rho: float = 28.0,
    beta: float = 8.0 / 3.0,
    dt: float = 0.01,
    burn_in: float = 10.0,
    seed: Seed = 0,
) -> np.ndarray:
    """A trajectory of the Lorenz system (Lorenz 1963, "Deterministic nonperiodic flow").

    ``dx/dt = sigma (y - x)``, ``dy/dt = x (rho - z) - y``, ``dz/dt = x y - beta z``,
    integrated with the classical fixed-step 4th-order Runge-Kutta method, 5 steps of
    ``dt / 5`` per sample (global error O((dt/5)**4) on a fixed time horizon). The initial
    condition is uniform in ``[-10, 10] x [-10, 10] x [10, 40]`` (drawn from ``seed``); the
    first ``round(burn_in / dt)`` samples (about ``burn_in`` time units) are discarded.
    With the classic parameters the time average of z is about 23.5.

    Parameters
    ----------
    n_samples : int
        Number of samples, >= 1, spaced by ``dt``.
    sigma, rho, beta : float
        Parameters of the system; ``sigma > 0``, ``beta > 0``.
    dt : float
        Time between samples, > 0 (time units of the equations).
    burn_in : float
        Transient discarded before the first sample, >= 0 (time units). With ``burn_in=0``
        the first sample is the initial condition.
    seed : int or numpy.random.Generator
        Source of the initial condition.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, 3)
        Row k is ``(x, y, z)`` at time ``(round(burn_in / dt) + k) * dt``.

    Raises
    ------
    ValueError
        If the integration blows up (``dt`` far too large for RK4 to be stable).
    """
    n = check_int(n_samples, "n_samples", low=1)
    s = check_real(sigma, "sigma", low=0.0, low_open=True)
    r = check_real(rho, "rho")
    bt = check_real(beta, "beta", low=0.0, low_open=True)
    dt = check_real(dt, "dt", low=0.0, low_open=True)
    burn_in = check_real(burn_in, "burn_in", low=0.0)
    n_burn = round(burn_in / dt)
    rng = rng_from(seed)
    x, y, z = (float(v) for v in rng.uniform([-10.0, -10.0, 10.0], [10.0, 10.0, 40.0]))

    substeps = 5
    h = dt / substeps
    h2 = 0.5 * h
    h6 = h / 6.0
    out = np.empty((n, 3))
    for k in range(n_burn + n):
        if k >= n_burn:
            out[k - n_burn] = (x, y, z)
            if k == n_burn + n - 1:
                break
        for _ in range(substeps):
            k1x = s * (y - x)
            k1y = x * (r - z) - y
            k1z = x * y - bt * z
            xa, ya, za = x + h2 * k1x, y + h2 * k1y, z + h2 * k1z
            k2x = s * (ya - xa)
            k2y = xa * (r - za) - ya
            k2z = xa * ya - bt * za
            xa, ya, za = x + h2 * k2x, y + h2 * k2y, z + h2 * k2z
            k3x = s * (ya - xa)
            k3y = xa * (r - za) - ya
            k3z = xa * ya - bt * za
            xa, ya, za = x + h * k3x, y + h * k3y, z + h * k3z
            k4x = s * (ya - xa)
            k4y = xa * (r - za) - ya
            k4z = xa * ya - bt * za
            x += h6 * (k1x + 2.0 * (k2x + k3x) + k4x)
            y += h6 * (k1y + 2.0 * (k2y + k3y) + k4y)
            z += h6 * (k1z + 2.0 * (k2z + k3z) + k4z)
        if not abs(x) + abs(y) + abs(z) <= 1e12:  # also catches NaN
            raise ValueError(
                f"lorenz integration blew up at t={(k + 1) * dt:g} with dt={dt} (RK4 step {h:g}); "
                "use a smaller dt"
            )
    return out
