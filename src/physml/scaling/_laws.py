"""Scaling laws with an irreducible loss: fits of L = A·T^(−α) + C, and their uncertainties
from a bootstrap over independent seeds (Kaplan et al., arXiv:2001.08361; Sharma & Kaplan,
arXiv:2004.10802)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import stats
from scipy.optimize import least_squares

from physml._core import as_generator, check_array, check_int, check_seed

__all__ = ["OffsetPowerLawFit", "ScalingLawFit", "fit_offset_power_law", "fit_scaling_law"]

MIN_POINTS = 3
_LOG_MAX = math.log(np.finfo(float).max)  # ln A beyond this: A overflows


@dataclass(frozen=True)
class OffsetPowerLawFit:
    """Result of :func:`fit_offset_power_law`: ``y = amplitude * x**(-exponent) + offset``.

    Attributes
    ----------
    exponent, exponent_err : float
        α (positive for a falling loss) and its standard error.
    amplitude, amplitude_err : float
        A and its standard error.
    offset, offset_err : float
        C, the irreducible part, and its standard error (0 and 0 for ``offset=False``).
    covariance : numpy.ndarray, shape (3, 3) or (2, 2)
        Covariance of ``(ln A, α, C)`` (without C when the offset is fixed at zero).
    chi2 : float
        Sum of squared weighted residuals.
    dof : int
        Points minus parameters.
    scaled : bool
        Whether the covariance was scaled by ``chi2 / dof`` (no ``y_err``).
    """

    exponent: float
    exponent_err: float
    amplitude: float
    amplitude_err: float
    offset: float
    offset_err: float
    covariance: np.ndarray
    chi2: float
    dof: int
    scaled: bool

    def predict(self, x: np.ndarray | float) -> np.ndarray:
        """``amplitude * x**(-exponent) + offset``."""
        return self.amplitude * np.asarray(x, dtype=float) ** (-self.exponent) + self.offset

    @property
    def reduced_chi2(self) -> float:
        return self.chi2 / self.dof if self.dof > 0 else math.nan


def _check_xy(x: np.ndarray, y: np.ndarray, y_err: np.ndarray | None, n_params: int):
    x = check_array(x, "x", ndim=1)
    y = check_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same length, got {x.shape[0]} and {y.shape[0]}")
    n = x.shape[0]
    if n < MIN_POINTS:
        raise ValueError(f"a scaling-law fit needs at least {MIN_POINTS} points (sizes), got {n}")
    if np.any(x <= 0):
        raise ValueError("x (sizes) must be > 0")
    if y_err is not None:
        y_err = check_array(y_err, "y_err", ndim=1)
        if y_err.shape != y.shape:
            raise ValueError(f"y_err must have the same length as y, got {y_err.shape[0]} and {n}")
        if np.any(y_err <= 0):
            raise ValueError("y_err must be > 0")
    elif n <= n_params:
        raise ValueError(
            f"fitting {n_params} parameters to {n} points leaves no scatter to estimate errors from; "
            f"give y_err or at least {n_params + 1} points"
        )
    return x, y, y_err


def fit_offset_power_law(
    x: np.ndarray,
    y: np.ndarray,
    y_err: np.ndarray | None = None,
    *,
    offset: bool = True,
) -> OffsetPowerLawFit:
    """Fit ``y = A x**(-α) + C`` by weighted nonlinear least squares.

    The offset is profiled first: for 400 trial values of C below min(y), ``y − C`` is fitted
    as a pure power law in log-log space (as :func:`physml.scaling.fit_power_law` does); the
    best C starts
    a Levenberg-Marquardt fit of all three parameters ``(ln A, α, C)`` to the residuals
    ``(model − y)/y_err``. Errors are the inverse Gauss-Newton Hessian, scaled by χ²/dof when
    no ``y_err`` is given.

    Parameters
    ----------
    x, y : array_like, shape (n,)
        Sizes (> 0) and losses; ``n >= 3`` (one more without ``y_err``).
    y_err : array_like, shape (n,), optional
        Standard errors of ``y`` (> 0).
    offset : bool
        Fit C (default) or fix it at zero.

    Returns
    -------
    OffsetPowerLawFit
    """
    n_params = 3 if offset else 2
    x, y, y_err = _check_xy(x, y, y_err, n_params)
    sigma = np.ones_like(y) if y_err is None else y_err
    lx = np.log(x)

    def profile(c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each trial offset c (m,): χ², ln A, α of the log-log fit of y − c (vectorised)."""
        r = y[None, :] - c[:, None]
        ok = np.all(r > 0, axis=1)
        r = np.where(ok[:, None], r, 1.0)
        w = (r / sigma) ** 2  # first-order weights of ln r
        ly = np.log(r)
        sw, sx, sy = w.sum(1), (w * lx).sum(1), (w * ly).sum(1)
        sxx, sxy = (w * lx * lx).sum(1), (w * lx * ly).sum(1)
        with np.errstate(all="ignore"):
            slope = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
            inter = (sy - slope * sx) / sw
            model = np.exp(inter[:, None] + slope[:, None] * lx) + c[:, None]
            chi = np.sum(((model - y) / sigma) ** 2, axis=1)
        chi = np.where(ok & np.isfinite(chi), chi, np.inf)
        return chi, inter, -slope

    if offset:
        span = float(np.ptp(y)) or abs(float(y.min())) or 1.0
        grid = float(y.min()) - span * np.geomspace(1e-6, 10.0, 400)
        chi, la, al = profile(grid)
        k = int(np.argmin(chi))
        p0 = np.array([la[k], al[k], grid[k]])
    else:
        if np.any(y <= 0):
            raise ValueError("y must be > 0 to fit a power law without an offset")
        _, la, al = profile(np.zeros(1))
        p0 = np.array([la[0], al[0]])

    if not np.all(np.isfinite(p0)):
        raise ValueError("no power law fits these points (is the loss falling with the size?)")

    def resid(p: np.ndarray) -> np.ndarray:
        c = p[2] if offset else 0.0
        with np.errstate(over="ignore"):
            return (np.exp(p[0] - p[1] * lx) + c - y) / sigma

    def jac(p: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            power = np.exp(p[0] - p[1] * lx) / sigma
        cols = [power, -lx * power] + ([1.0 / sigma] if offset else [])
        return np.stack(cols, axis=1)

    sol = least_squares(resid, p0, jac=jac, method="lm", x_scale="jac", max_nfev=2000)
    p = sol.x
    chi2 = float(np.sum(sol.fun**2))
    dof = x.size - n_params
    jtj = sol.jac.T @ sol.jac
    cov = np.linalg.pinv(jtj)
    scaled = y_err is None
    if scaled:
        cov = cov * (chi2 / dof)
    if not p[0] < _LOG_MAX:
        raise ValueError(
            f"the amplitude A = e^{p[0]:.6g} of L = A·T^(−α) + C (α = {p[1]:.4g}) overflows double "
            f"precision with sizes up to {float(x.max()):.3g}: express the sizes in a larger unit "
            f"(e.g. divide them by {10.0 ** math.floor(float(np.log10(x.min()))):.0e})"
        )
    amp = math.exp(p[0])
    err = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    return OffsetPowerLawFit(
        exponent=float(p[1]),
        exponent_err=float(err[1]),
        amplitude=amp,
        amplitude_err=amp * float(err[0]),
        offset=float(p[2]) if offset else 0.0,
        offset_err=float(err[2]) if offset else 0.0,
        covariance=cov,
        chi2=chi2,
        dof=dof,
        scaled=scaled,
    )


@dataclass(frozen=True)
class ScalingLawFit:
    """A scaling law fitted to losses measured over sizes and seeds (:func:`fit_scaling_law`).

    Attributes
    ----------
    sizes : ndarray, shape (n,)
    mean_loss, sem_loss : ndarray, shape (n,)
        Mean over seeds and its standard error (0 with one seed).
    fit : OffsetPowerLawFit
        Fit to the means (weighted by ``sem_loss`` when there are >= 2 seeds).
    exponent, exponent_err : float
        α and its error: the bootstrap standard deviation over seeds when there are >= 2
        seeds, otherwise the fit's error.
    offset, offset_err : float
        C and its error (same rule).
    bootstrap_exponents, bootstrap_offsets : ndarray, shape (n_bootstrap,)
        Refits of seed resamples (empty with one seed; failed refits are dropped).
    amplitude, amplitude_err : float
        A and its error (same rule as for α).
    error_source : str
        ``"bootstrap"`` when the errors of α, A and C are bootstrap standard deviations (>= 2 seeds
        at every size and >= 2 successful refits), ``"fit"`` when they are the fit's own errors:
        from the seed standard errors of the means when every size has >= 2 seeds (then
        ``fit.scaled`` is False), from the scatter about the curve otherwise.
    p_value : float
        Goodness of fit: the probability of a χ² at least as large as the fit's if the law
        holds. With ``n_null > 0`` (and >= 2 seeds) it is a Monte-Carlo p-value that accounts for
        the standard errors being themselves estimated from few seeds (see
        :func:`fit_scaling_law`); with ``n_null = 0`` the χ²(dof) survival function; NaN without
        seed errors.
    null_chi2 : ndarray, shape (n_null,)
        The χ² of the simulated experiments (empty for the χ²(dof) p-value).
    """

    sizes: np.ndarray
    mean_loss: np.ndarray
    sem_loss: np.ndarray
    fit: OffsetPowerLawFit
    exponent: float
    exponent_err: float
    offset: float
    offset_err: float
    bootstrap_exponents: np.ndarray
    bootstrap_offsets: np.ndarray
    p_value: float = math.nan
    null_chi2: np.ndarray = field(default_factory=lambda: np.empty(0))
    amplitude: float = math.nan
    amplitude_err: float = math.nan
    error_source: str = "fit"


def _seed_groups(losses: object, n_sizes: int) -> list[np.ndarray]:
    """The losses per size as a list of 1-D arrays (rows of a 2-D array, or a ragged sequence)."""
    if isinstance(losses, np.ndarray) or (
        isinstance(losses, (list, tuple)) and all(np.ndim(g) == 0 for g in losses)
    ):
        table = check_array(losses, "losses", ndim=(1, 2))
        if table.ndim == 1:
            table = table[:, None]
        groups = list(table)
    else:
        groups = [check_array(g, f"losses[{i}]", ndim=1) for i, g in enumerate(losses)]
    if len(groups) != n_sizes:
        raise ValueError(f"losses must have one row per size ({n_sizes}), got {len(groups)}")
    return groups


def fit_scaling_law(
    sizes: np.ndarray,
    losses: np.ndarray,
    *,
    offset: bool = True,
    n_bootstrap: int = 200,
    n_null: int = 0,
    seed: int | np.random.Generator = 0,
) -> ScalingLawFit:
    """Fit L = A·T^(−α) + C to losses of independent runs and bootstrap the error over seeds.

    Parameters
    ----------
    sizes : array_like, shape (n,)
        Training-set or model sizes T (> 0), ``n >= 3``.
    losses : array_like, shape (n, n_seeds), or a sequence of n 1-D arrays
        Loss of each independent run (seed) at each size; a 1-D array is one seed; a ragged
        sequence gives each size its own number of seeds (the bootstrap then resamples every
        size's own seeds, and the simulated experiments draw as many).
    offset : bool
        Fit the irreducible loss C (default) or fix it at zero.
    n_bootstrap : int
        Resamples: at each size the seeds are drawn with replacement, the means refitted.
    n_null : int
        Simulated experiments for a Monte-Carlo goodness-of-fit p-value (0: the χ²(dof)
        survival function instead). With k seeds the standard errors of the means are estimated
        from k values, so the fit's χ² is not χ²(dof)-distributed (the residuals are nearer
        Student-t with k − 1 degrees of freedom: heavy tails for k = 3 or 4). Each simulated
        experiment draws k losses per size from a normal distribution centred on the fitted law
        with the observed seed spread at that size, and is fitted exactly as the data were;
        ``p_value = (1 + #{χ²_sim >= χ²}) / (1 + n_null)``.
    seed : int or numpy.random.Generator

    Returns
    -------
    ScalingLawFit
    """
    sizes = check_array(sizes, "sizes", ndim=1)
    groups = _seed_groups(losses, sizes.shape[0])
    if sizes.shape[0] < MIN_POINTS:
        raise ValueError(
            f"a scaling-law fit needs a sweep of at least {MIN_POINTS} sizes, got {sizes.shape[0]}"
        )
    n_bootstrap = check_int(n_bootstrap, "n_bootstrap", low=0)
    n_null = check_int(n_null, "n_null", low=0)
    rng = as_generator(check_seed(seed))
    counts = np.array([g.size for g in groups])
    mean = np.array([g.mean() for g in groups])
    replicated = bool(counts.min() >= 2)
    spread = np.array([g.std(ddof=1) if g.size >= 2 else 0.0 for g in groups])
    sem = spread / np.sqrt(counts)
    y_err = sem if replicated and np.all(sem > 0) else None
    fit = fit_offset_power_law(sizes, mean, y_err, offset=offset)
    boot_a, boot_c, boot_amp = [], [], []
    if replicated:
        for _ in range(n_bootstrap):
            samples = [g[rng.integers(g.size, size=g.size)] for g in groups]
            m = np.array([x.mean() for x in samples])
            s = np.array([x.std(ddof=1) for x in samples]) / np.sqrt(counts)
            try:
                b = fit_offset_power_law(sizes, m, s if np.all(s > 0) else None, offset=offset)
            except (ValueError, np.linalg.LinAlgError):
                continue
            boot_a.append(b.exponent)
            boot_c.append(b.offset)
            boot_amp.append(b.amplitude)
    if len(boot_a) >= 2:
        a_err, c_err = float(np.std(boot_a, ddof=1)), float(np.std(boot_c, ddof=1))
        amp_err, source = float(np.std(boot_amp, ddof=1)), "bootstrap"
    else:
        a_err, c_err, amp_err, source = fit.exponent_err, fit.offset_err, fit.amplitude_err, "fit"
    p_value, null_chi2 = math.nan, np.empty(0)
    if y_err is not None:
        if n_null > 0:
            null_chi2 = _null_chi2(sizes, fit, spread, counts, offset, n_null, rng)
            p_value = float((1 + np.sum(null_chi2 >= fit.chi2)) / (1 + null_chi2.size))
        else:
            p_value = float(stats.chi2.sf(fit.chi2, fit.dof)) if fit.dof > 0 else math.nan
    return ScalingLawFit(
        sizes=sizes,
        mean_loss=mean,
        sem_loss=sem,
        fit=fit,
        exponent=fit.exponent,
        exponent_err=a_err,
        offset=fit.offset,
        offset_err=c_err,
        bootstrap_exponents=np.array(boot_a),
        bootstrap_offsets=np.array(boot_c),
        p_value=p_value,
        null_chi2=null_chi2,
        amplitude=fit.amplitude,
        amplitude_err=amp_err,
        error_source=source,
    )


def _null_chi2(
    sizes: np.ndarray,
    fit: OffsetPowerLawFit,
    spread: np.ndarray,
    counts: np.ndarray,
    offset: bool,
    n_null: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """χ² of ``n_null`` experiments simulated under the fitted law with the observed seed spread
    (k_i normal seeds at size i, means weighted by their estimated standard errors, refitted)."""
    centre = fit.predict(sizes)
    out = []
    for _ in range(n_null):
        samples = [c + sd * rng.standard_normal(k) for c, sd, k in zip(centre, spread, counts, strict=True)]
        m = np.array([x.mean() for x in samples])
        s = np.array([x.std(ddof=1) for x in samples]) / np.sqrt(counts)
        try:
            out.append(fit_offset_power_law(sizes, m, s, offset=offset).chi2)
        except (ValueError, np.linalg.LinAlgError):
            continue
    return np.array(out)
