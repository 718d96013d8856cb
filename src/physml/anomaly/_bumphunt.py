"""The dijet bump hunt: a fit of the standard dijet function to the mjj spectrum, sliding
signal windows, local significances and a global p-value from background-only pseudo-experiments.

Fit. The expected count in bin i is μ_i = ∫_bin f(m) dm with the dijet function
f(m) = p0 (1 − x)^p1 / x^(p2 + p3 ln x), x = m/√s. Its logarithm is *linear* in
θ = (ln p0, p1, p2, p3): ln f = θ · (1, ln(1 − x), −ln x, −ln² x). With μ_i written as
exp(θ · X(m_i)) Δ_i c_i (bin centre m_i, width Δ_i, and c_i = ∫_bin f / (Δ_i f(m_i)) from 8-point
Gauss-Legendre), the binned Poisson likelihood is a Poisson GLM with log link: convex in θ for
fixed c_i, so Newton's method finds its unique maximum; the c_i are then updated until θ no
longer changes. Weighted events are fitted as scaled Poisson counts n_i/s with s = Σw²/Σw (the
effective-count approximation).

Local significance. For a window of bins, the background B is predicted by the fit with the
window's bins masked, with its uncertainty σ_B from the fit covariance; the observed count N is
compared by the profile-likelihood significance for a Poisson count with a Gaussian-uncertain
background (Cowan, "Discovery sensitivity for a counting experiment with background
uncertainty", 2012), Z² = 2[N ln(N(B+σ²)/(B²+Nσ²)) − (B²/σ²) ln(1 + σ²(N−B)/(B(B+σ²)))], signed
by N − B; it reduces to 2[N ln(N/B) − (N − B)] for σ_B = 0 (Wilks: Z ~ N(0, 1) under the
background-only hypothesis for large B).

Global p-value. The largest local Z over all windows is compared with its distribution in
background-only pseudo-experiments drawn from the fit to the whole spectrum and analysed by the
same scan: p = (1 + #{Z_max^pseudo ≥ Z_max}) / (1 + n_pseudo).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from physml._core import as_generator, check_array, check_int, check_real, progress_bar
from physml.data import collider

__all__ = [
    "BinningError",
    "BumpHunt",
    "DijetFit",
    "FitError",
    "bump_hunt",
    "dijet_bins",
    "fit_dijet",
    "fit_dijet_histogram",
    "global_p_value",
    "local_significance",
]

#: A seed: an integer or a generator (:func:`physml._core.as_generator`).
Seed = int | np.random.Generator

_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(8)


class FitError(RuntimeError):
    """The dijet fit did not converge (raised when a converged fit is required)."""


def global_p_value(z_max: float, z_null: np.ndarray, *,
                   what: str = "pseudo-experiment") -> tuple[float, str | None]:
    """The global p-value of a scan's largest local Z from background-only scans of the same kind.

    p = (1 + #{z_null ≥ z_max}) / (1 + n) for the ``n`` finite largest local Z values ``z_null``.
    When none reaches ``z_max`` the count only bounds p below 1/(1 + n); p is then extrapolated
    with the trials factor measured at the median of ``z_null``, 0.5 / p_local(median) (at least
    1), times p_local(z_max), never above the bound.

    Returns
    -------
    p : float
    flag : str or None
        Says when and how p was extrapolated (``what`` names the background-only scans).
    """
    z_null = np.asarray(z_null, float)
    z_null = z_null[np.isfinite(z_null)]
    if len(z_null) == 0:
        raise ValueError(f"z_null: no finite largest local Z of a background-only {what}")
    exceed = int(np.sum(z_null >= z_max))
    bound = float((1 + exceed) / (1 + len(z_null)))
    if exceed or not np.isfinite(z_max):
        return bound, None
    z_ref = float(np.median(z_null))
    trials = max(1.0, 0.5 / float(stats.norm.sf(z_ref)))
    p = float(min(bound, trials * float(stats.norm.sf(z_max))))
    return p, (f"no {what} reached Z = {z_max:.2f}: p < {bound:.3g} from {len(z_null)} {what}s; p = {p:.3g} "
               f"extrapolated with the trials factor {trials:.1f} measured at Z = {z_ref:.2f}")


def hunt_answer(hunt: Any, alpha: float, window: tuple[float, float], best: Any, note: str | None) -> dict:
    """The keys every hunt's report shares (:meth:`BumpHunt.report`, ``WeakHunt.report``): the
    verdict at ``alpha`` (None without a global p-value), mass ± error, the window, local and
    global significance, the signal count and what was observed against the background at the
    best window ``best`` (an index into the hunt's ``observed``, ``background`` arrays)."""
    return {
        "signal_found": bool(hunt.p_global < alpha) if hunt.global_computed else None,
        "global_p_computed": hunt.global_computed,
        "note": note,
        "alpha": alpha,
        "mass": hunt.mass,
        "mass_err": hunt.mass_err,
        "window": [float(window[0]), float(window[1])],
        "p_value_background_only": hunt.p_global,
        "z_global": hunt.z_global,
        "z_local": hunt.z_max,
        "p_local": hunt.p_local,
        "n_signal": hunt.n_signal,
        "n_signal_err": hunt.n_signal_err,
        "observed_in_window": float(hunt.observed[best]),
        "background_in_window": float(hunt.background[best]),
        "background_in_window_err": float(hunt.background_err[best]),
        "n_pseudo": int(len(hunt.z_max_pseudo)),
    }


class BinningError(ValueError):
    """The histogram cannot be searched: too few bins for one signal window with its side bins,
    or more bins than the scan allows. ``n_bins``, ``window_bins``, ``min_side_bins``,
    ``max_bins`` and ``mass_range`` (GeV) say which, so a caller can name its own options."""

    def __init__(self, message: str, *, n_bins: int, window_bins: int, min_side_bins: int, max_bins: int,
                 mass_range: tuple[float, float]):
        super().__init__(message)
        self.n_bins = n_bins
        self.window_bins = window_bins
        self.min_side_bins = min_side_bins
        self.max_bins = max_bins
        self.mass_range = mass_range


def _design(m: np.ndarray, n_params: int, sqrt_s: float) -> np.ndarray:
    x = np.asarray(m, dtype=float) / sqrt_s
    lx = np.log(x)
    cols = [np.ones_like(x), np.log1p(-x), -lx, -lx * lx]
    return np.stack(cols[:n_params], axis=-1)


def _bin_integrals(theta: np.ndarray, edges: np.ndarray, sqrt_s: float) -> tuple[np.ndarray, np.ndarray]:
    """∫_bin exp(θ·X(m)) dm and ∫_bin X(m) exp(θ·X(m)) dm for each bin (Gauss-Legendre)."""
    a, b = edges[:-1], edges[1:]
    half = 0.5 * (b - a)
    m = 0.5 * (a + b)[:, None] + half[:, None] * _GL_NODES[None, :]
    X = _design(m, len(theta), sqrt_s)  # (bins, nodes, params)
    f = np.exp(X @ theta)
    w = half[:, None] * _GL_WEIGHTS[None, :]
    return (f * w).sum(axis=1), np.einsum("bn,bnp->bp", f * w, X)


@dataclass(frozen=True)
class DijetFit:
    """A binned Poisson maximum-likelihood fit of the dijet function.

    Attributes
    ----------
    params : ndarray, shape (4,)
        (p0, p1, p2, p3); p0 in events per GeV (p3 = 0 for a three-parameter fit). p0 = e^θ0 is
        ∞ or 0 where θ0 leaves double precision (a degenerate fit: see :attr:`usable`).
    theta, covariance : ndarray
        θ = (ln p0, p1, p2[, p3]) and its covariance (inverse Hessian of the negative
        log-likelihood), shape (n_params, n_params).
    converged : bool
    message : str
        Why the fit did not converge, or ``"ok"``.
    edges, counts : ndarray
        The histogram (counts in events, weighted sums for weighted events).
    fitted : ndarray of bool, shape (n_bins,)
        The bins used (others were masked).
    deviance : float
        2 Σ [n ln(n/μ) − (n − μ)] over the fitted bins (in effective counts).
    ndf : int
        Fitted bins minus parameters.
    gof_pvalue : float
        P(χ²_ndf ≥ deviance): a goodness-of-fit flag (small means the function does not describe
        the spectrum).
    scale : float
        Effective weight s (1 for unweighted events).
    sqrt_s : float
    """

    params: np.ndarray
    theta: np.ndarray
    covariance: np.ndarray
    converged: bool
    message: str
    edges: np.ndarray
    counts: np.ndarray
    fitted: np.ndarray
    deviance: float
    ndf: int
    gof_pvalue: float
    scale: float
    sqrt_s: float
    n_iterations: int = 0

    @property
    def usable(self) -> bool:
        """Whether the fit is a background prediction to compare counts with: converged, with
        finite parameters, p0 > 0 and a finite covariance. A fit to a spectrum with empty bins can
        "converge" to a degenerate function, p0 overflowing to ∞ (or underflowing to 0) while
        p1, p2 run to hundreds so that the shape falls off a cliff, and predict a background of
        10⁻¹⁰ or a few times the counts beside it: a spurious local Z of 5-14."""
        p, cov = self.params, self.covariance
        return bool(self.converged and np.isfinite(p).all() and p[0] > 0 and np.isfinite(cov).all())

    @property
    def errors(self) -> np.ndarray:
        """Standard errors of (ln p0, p1, p2[, p3])."""
        return np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))

    def expected(self, edges: np.ndarray | None = None) -> np.ndarray:
        """Expected counts per bin (events), by default in the fitted histogram's bins."""
        edges = self.edges if edges is None else np.asarray(edges, dtype=float)
        mu, _ = _bin_integrals(self.theta, edges, self.sqrt_s)
        return mu * self.scale

    def predict(self, low: float, high: float, *, bins: int = 8) -> tuple[float, float]:
        """Expected background events in [low, high) and its standard error from the covariance."""
        edges = np.linspace(low, high, bins + 1)
        mu, dmu = _bin_integrals(self.theta, edges, self.sqrt_s)
        grad = dmu.sum(axis=0)
        var = float(grad @ self.covariance @ grad)
        return float(mu.sum() * self.scale), float(np.sqrt(max(var, 0.0)) * self.scale)

    def density(self, mjj: np.ndarray) -> np.ndarray:
        """The fitted f(mjj) in events per GeV."""
        return collider.dijet_function(mjj, tuple(self.params), sqrt_s=self.sqrt_s)


def dijet_bins(low: float, high: float, *, relative_width: float = 0.04) -> np.ndarray:
    """Bin edges from ``low`` to ``high`` (GeV) with widths a fixed fraction of the mass (log-uniform)."""
    low = check_real(low, "low", low=0.0, low_open=True)
    high = check_real(high, "high", low=low, low_open=True)
    relative_width = check_real(relative_width, "relative_width", low=0.0, high=1.0, low_open=True)
    n = max(1, int(np.ceil(np.log(high / low) / np.log1p(relative_width))))
    return np.geomspace(low, high, n + 1)


def fit_dijet_histogram(
    edges: np.ndarray,
    counts: np.ndarray,
    *,
    mask: np.ndarray | None = None,
    n_params: int = 4,
    sqrt_s: float = 13000.0,
    scale: float = 1.0,
    max_iter: int = 200,
    start: np.ndarray | None = None,
) -> DijetFit:
    """Fit the dijet function to a histogram by binned Poisson maximum likelihood.

    Parameters
    ----------
    edges : array, shape (n_bins + 1,)
        Increasing bin edges in GeV, inside (0, √s).
    counts : array, shape (n_bins,)
        Events per bin (weighted sums allowed; see ``scale``).
    mask : array of bool, shape (n_bins,), optional
        True for the bins to fit (default all); e.g. a signal window masked out.
    n_params : {3, 4}
    scale : float
        Effective event weight: the fit treats ``counts / scale`` as Poisson counts.
    start : array, optional
        Starting θ = (ln p0, p1, ...) (default: a flat shape normalised to the counts).

    Returns
    -------
    DijetFit
        With ``converged=False`` and a ``message`` if Newton's method did not converge.

    Raises
    ------
    ValueError
        For bad edges or counts, masses outside (0, √s), or fewer fitted bins than parameters + 1.
    """
    edges = check_array(edges, "edges", ndim=1, dtype=np.float64)
    counts = check_array(counts, "counts", ndim=1, dtype=np.float64)
    n_params = check_int(n_params, "n_params", low=3, high=4)
    sqrt_s = check_real(sqrt_s, "sqrt_s", low=0.0, low_open=True)
    scale = check_real(scale, "scale", low=0.0, low_open=True)
    if len(edges) != len(counts) + 1:
        raise ValueError(f"edges has {len(edges)} entries, need len(counts) + 1 = {len(counts) + 1}")
    if np.any(np.diff(edges) <= 0):
        raise ValueError("edges must be strictly increasing")
    if edges[0] <= 0 or edges[-1] >= sqrt_s:
        raise ValueError(
            f"masses must lie inside the kinematic range (0, √s = {sqrt_s:g}) GeV; the bins span "
            f"{edges[0]:g}-{edges[-1]:g} GeV"
        )
    if (counts < 0).any():
        raise ValueError("counts must be non-negative")
    fitted = np.ones(len(counts), bool) if mask is None else np.asarray(mask, bool).copy()
    if fitted.shape != counts.shape:
        raise ValueError(f"mask has shape {fitted.shape}, counts {counts.shape}")
    if fitted.sum() < n_params + 1:
        raise ValueError(f"{int(fitted.sum())} bin(s) to fit; the {n_params}-parameter fit needs at least "
                         f"{n_params + 1}")
    n = counts[fitted] / scale
    if n.sum() <= 0:
        raise ValueError("no events in the fitted bins")
    sub_edges = edges
    centres = 0.5 * (edges[:-1] + edges[1:])
    widths = np.diff(edges)
    X = _design(centres, n_params, sqrt_s)[fitted]
    # standardised columns for a well-conditioned Newton iteration: η = β0 + Σ β_j (X_j − m_j)/s_j
    mean = X[:, 1:].mean(axis=0)
    std = X[:, 1:].std(axis=0)
    std[std == 0] = 1.0
    A = np.eye(n_params)
    A[1:, 1:] = np.diag(1.0 / std)
    A[0, 1:] = -mean / std  # θ = A β
    Z = X @ A  # so that Z β = X θ
    log_corr = np.zeros(int(fitted.sum()))

    def to_beta(theta: np.ndarray) -> np.ndarray:
        return np.linalg.solve(A, theta)

    if start is None:
        beta = np.zeros(n_params)
        beta[0] = np.log(n.sum() / np.exp(np.log(widths[fitted]) + log_corr).sum())
    else:
        beta = to_beta(np.asarray(start, dtype=float)[:n_params])
    message = "ok"
    converged = False
    iterations = 0
    offset = np.log(widths[fitted])

    def nll(b: np.ndarray, off: np.ndarray) -> float:
        eta = Z @ b + off
        return float(np.sum(np.exp(eta) - n * eta))

    for _outer in range(10):
        off = offset + log_corr
        for _ in range(max_iter):
            iterations += 1
            eta = Z @ beta + off
            mu = np.exp(eta)
            grad = Z.T @ (mu - n)
            H = Z.T @ (mu[:, None] * Z)
            try:
                step = np.linalg.solve(H, -grad)
            except np.linalg.LinAlgError:
                message = "singular Hessian (too few populated bins for the parameters)"
                break
            decrement = float(-grad @ step)
            if not np.isfinite(decrement):
                message = "non-finite likelihood"
                break
            if decrement < 1e-10:
                converged = True
                break
            t, f0 = 1.0, nll(beta, off)
            while nll(beta + t * step, off) > f0 - 0.25 * t * decrement and t > 1e-10:
                t *= 0.5
            beta = beta + t * step
        else:
            message = f"Newton's method did not converge in {max_iter} iterations"
        if message != "ok":
            converged = False
            break
        theta = A @ beta
        with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
            integ, _ = _bin_integrals(theta, sub_edges, sqrt_s)
            point = np.exp(_design(centres, n_params, sqrt_s) @ theta) * widths
            new_corr = np.log(integ / point)[fitted]
        if not np.all(np.isfinite(new_corr)):  # a degenerate shape, 0 or ∞ in a fitted bin
            converged, message = False, "non-finite parameters"
            break
        if np.max(np.abs(new_corr - log_corr), initial=0.0) < 1e-9:
            break
        log_corr = new_corr
        converged = False
    theta = A @ beta
    mu_all = _bin_integrals(theta, edges, sqrt_s)[0]
    if not np.all(np.isfinite(mu_all)) or not np.all(np.isfinite(theta)):
        converged, message = False, "non-finite parameters"
    mu_f = mu_all[fitted]
    H_beta = Z.T @ (mu_f[:, None] * Z) if np.all(np.isfinite(mu_f)) else np.full((n_params,) * 2, np.nan)
    try:
        cov_beta = np.linalg.inv(H_beta)
        cov = A @ cov_beta @ A.T
        if not np.all(np.isfinite(cov)) or np.any(np.linalg.eigvalsh(0.5 * (cov + cov.T)) <= 0):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        cov = np.full((n_params, n_params), np.nan)
        converged, message = False, "covariance not positive definite"
    with np.errstate(divide="ignore", invalid="ignore"):
        dev_terms = np.where(n > 0, n * np.log(n / mu_f), 0.0) - (n - mu_f)
    deviance = float(2 * np.sum(dev_terms))
    ndf = int(fitted.sum()) - n_params
    gof = float(stats.chi2.sf(deviance, ndf)) if ndf > 0 and np.isfinite(deviance) else float("nan")
    params = np.zeros(4)
    with np.errstate(over="ignore", under="ignore"):  # a degenerate fit: ``usable`` is False
        params[0] = np.exp(theta[0]) * scale
    params[1:n_params] = theta[1:]
    return DijetFit(params, theta, cov, converged, message, edges, counts, fitted, deviance, ndf, gof,
                    scale, sqrt_s, iterations)


def _histogram(mjj, weights, edges) -> tuple[np.ndarray, float]:
    m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
    if weights is None:
        return np.histogram(m, edges)[0].astype(float), 1.0
    w = check_array(weights, "weights", ndim=1, dtype=np.float64)
    if len(w) != len(m):
        raise ValueError(f"weights has length {len(w)}, mjj {len(m)}")
    if (w < 0).any():
        raise ValueError("weights must be non-negative")
    inside = (m >= edges[0]) & (m < edges[-1])
    sw = w[inside].sum()
    scale = float((w[inside] ** 2).sum() / sw) if sw > 0 else 1.0
    return np.histogram(m, edges, weights=w)[0], scale


def fit_dijet(
    mjj: np.ndarray,
    bins: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    n_params: int = 4,
    sqrt_s: float = 13000.0,
) -> DijetFit:
    """Histogram ``mjj`` (GeV) in ``bins`` (edges) and fit the dijet function; see
    :func:`fit_dijet_histogram`. Events outside the bins are ignored."""
    edges = check_array(bins, "bins", ndim=1, dtype=np.float64)
    counts, scale = _histogram(mjj, weights, edges)
    return fit_dijet_histogram(edges, counts, n_params=n_params, sqrt_s=sqrt_s, scale=scale)


def local_significance(n: float, b: float, sigma_b: float = 0.0) -> float:
    """Signed profile-likelihood significance of ``n`` observed over ``b ± sigma_b`` expected.

    Positive for an excess, negative for a deficit; |Z| = √(2[n ln(n/b) − (n − b)]) when
    ``sigma_b`` is 0 (see the module docstring for the general formula).
    """
    n, b, s = float(n), float(b), float(sigma_b)
    if not b > 0:
        raise ValueError(f"expected background b must be > 0, got {b}")
    if s < 0:
        raise ValueError(f"sigma_b must be >= 0, got {s}")
    if s <= 1e-9 * b:
        q = 2.0 * ((n * np.log(n / b) if n > 0 else 0.0) - (n - b))
    else:
        s2 = s * s
        first = n * np.log(n * (b + s2) / (b * b + n * s2)) if n > 0 else 0.0
        q = 2.0 * (first - (b * b / s2) * np.log1p(s2 * (n - b) / (b * (b + s2))))
    return float(np.sign(n - b) * np.sqrt(max(q, 0.0)))


@dataclass
class BumpHunt:
    """The result of :func:`bump_hunt` (all masses in GeV).

    Attributes
    ----------
    edges, counts : ndarray
        The histogram searched.
    windows : ndarray, shape (n_windows, 2)
        First and last-plus-one bin index of each signal window.
    window_edges : ndarray, shape (n_windows, 2)
        Their mass ranges.
    observed, background, background_err, z_local : ndarray, shape (n_windows,)
        N, B ± σ_B (fit with the window masked) and the signed local significance.
    converged : ndarray of bool, shape (n_windows,)
        Whether each window's background fit converged to a usable prediction
        (:attr:`DijetFit.usable`; ``z_local`` is NaN where not).
    best : int
        Index of the window with the largest local significance.
    z_max, p_local : float
        Its local significance and one-sided p-value.
    p_global, z_global : float
        Global p-value from ``n_pseudo`` background-only pseudo-experiments (and as a Z); NaN
        when it was not computed (no pseudo-experiments, or none with a converged fit).
    z_max_pseudo : ndarray
        The largest local Z of each pseudo-experiment.
    mass, mass_err : float
        Excess-weighted mean mass in the best window and its standard error.
    n_signal, n_signal_err : float
        Excess N − B in the best window (events) and its standard error √(N + σ_B²).
    background_fit : DijetFit
        The fit to the whole spectrum (the pseudo-experiments' model).
    flags : list of str
        Problems found (non-converged fits, a poor background fit, ...).
    """

    edges: np.ndarray
    counts: np.ndarray
    windows: np.ndarray
    window_edges: np.ndarray
    observed: np.ndarray
    background: np.ndarray
    background_err: np.ndarray
    z_local: np.ndarray
    converged: np.ndarray
    best: int
    z_max: float
    p_local: float
    p_global: float
    z_global: float
    z_max_pseudo: np.ndarray
    mass: float
    mass_err: float
    n_signal: float
    n_signal_err: float
    background_fit: DijetFit
    flags: list[str] = field(default_factory=list)

    @property
    def global_computed(self) -> bool:
        """Whether the global p-value was computed (pseudo-experiments ran and some converged)."""
        return bool(np.isfinite(self.p_global))

    def report(self, *, alpha: float = 0.01) -> dict:
        """The black-box answer as a JSON-friendly dict: is there a signal (global p < ``alpha``),
        its mass ± error, the p-value of the background-only hypothesis, the number of signal events.

        Without a global p-value (no pseudo-experiments) there is no verdict: ``signal_found`` is
        None, ``global_p_computed`` False and ``note`` says so. The local significance alone
        ignores the look-elsewhere effect of scanning many windows, so it cannot decide.
        """
        lo, hi = self.window_edges[self.best]
        note = None
        if not self.global_computed:
            note = (f"the global p-value was not computed ({len(self.z_max_pseudo)} pseudo-experiments"
                    + (", none with a converged fit" if len(self.z_max_pseudo) else "")
                    + f"): no verdict; the local significance Z = {self.z_max:.2f} ignores the "
                    "look-elsewhere effect of the scan over windows")
        return {
            **hunt_answer(self, alpha, (lo, hi), self.best, note),
            "background_fit": {
                "params": [float(v) for v in self.background_fit.params],
                "converged": bool(self.background_fit.converged),
                "deviance": self.background_fit.deviance,
                "ndf": self.background_fit.ndf,
                "gof_pvalue": self.background_fit.gof_pvalue,
            },
            "flags": list(self.flags),
        }


def _windows(n_bins: int, window_bins: int, min_side_bins: int) -> np.ndarray:
    starts = np.arange(min_side_bins, n_bins - min_side_bins - window_bins + 1)
    return np.stack([starts, starts + window_bins], axis=1) if len(starts) else np.empty((0, 2), int)


def _scan(edges, counts, windows, n_params, sqrt_s, scale, start=None):
    k = len(windows)
    obs, bkg, err, z = np.zeros(k), np.zeros(k), np.zeros(k), np.full(k, np.nan)
    ok = np.zeros(k, bool)
    for j, (a, b) in enumerate(windows):
        mask = np.ones(len(counts), bool)
        mask[a:b] = False
        fit = fit_dijet_histogram(edges, counts, mask=mask, n_params=n_params, sqrt_s=sqrt_s, scale=scale,
                                  start=start)
        obs[j] = counts[a:b].sum()
        if not fit.usable:
            continue
        B, sB = fit.predict(edges[a], edges[b])
        bkg[j], err[j], ok[j] = B, sB, True
        if B > 0:
            z[j] = local_significance(obs[j] / scale, B / scale, sB / scale)
    return obs, bkg, err, z, ok


def bump_hunt(
    mjj: np.ndarray,
    *,
    weights: np.ndarray | None = None,
    bins: np.ndarray | None = None,
    mass_range: tuple[float, float] | None = None,
    relative_bin_width: float = 0.04,
    window_bins: int = 4,
    min_side_bins: int = 3,
    n_params: int = 4,
    sqrt_s: float = 13000.0,
    n_pseudo: int = 200,
    seed: Seed = 0,
    max_bins: int = 1000,
    progress: bool = False,
) -> BumpHunt:
    """Search the mjj spectrum for a localised excess over the dijet function.

    Parameters
    ----------
    mjj : array, shape (n_events,)
        Dijet invariant masses (GeV), e.g. after an anomaly selection.
    weights : array, optional
        Event weights (fitted in the effective-count approximation).
    bins : array, optional
        Bin edges; default log-uniform bins of ``relative_bin_width`` over ``mass_range``.
    mass_range : (float, float), optional
        Masses searched (GeV). Default: from above the trigger turn-on (the larger of the 1st
        percentile and the most populated bin of a preliminary histogram) to the largest mass.
    window_bins : int
        Width of each sliding signal window in bins (slides by one bin).
    min_side_bins : int
        Bins the window must leave on each side, so the masked fit interpolates rather than
        extrapolates (windows nearer the ends of the spectrum are not searched).
    n_pseudo : int
        Background-only pseudo-experiments for the global p-value (0 skips it: p_global = NaN).
    seed : int or Generator
        Seeds the pseudo-experiments.
    max_bins : int
        Most bins searched (every window and pseudo-experiment refits the spectrum, so the time
        grows with the square of the bin count; 1000 bins of 0.1% are far below any dijet mass
        resolution).
    progress : bool
        Show a bar over the pseudo-experiments on a terminal (:func:`physml._core.progress_bar`).

    Raises
    ------
    BinningError
        (a ValueError) For too few bins for any window, or more than ``max_bins``.
    ValueError
        For masses outside (0, √s).
    FitError
        When the fit to the whole spectrum, or every window's, did not converge.
    """
    m = check_array(mjj, "mjj", ndim=1, dtype=np.float64, min_samples=1)
    sqrt_s = check_real(sqrt_s, "sqrt_s", low=0.0, low_open=True)
    if m.min() <= 0 or m.max() >= sqrt_s:
        raise ValueError(
            f"mjj must lie inside the kinematic range (0, √s = {sqrt_s:g}) GeV; got {m.min():g}-{m.max():g}"
        )
    window_bins = check_int(window_bins, "window_bins", low=1)
    min_side_bins = check_int(min_side_bins, "min_side_bins", low=1)
    n_pseudo = check_int(n_pseudo, "n_pseudo", low=0)
    max_bins = check_int(max_bins, "max_bins", low=1)
    if bins is None:
        relative_bin_width = check_real(relative_bin_width, "relative_bin_width", low=0.0, high=1.0,
                                        low_open=True)

        def check_count(lo: float, hi: float) -> None:  # before allocating the bins
            n_bins = int(np.ceil(np.log(hi / lo) / np.log1p(relative_bin_width)))
            if n_bins > max_bins:
                raise BinningError(
                    f"{n_bins} bins of relative width {relative_bin_width:g} over {lo:.0f}-{hi:.0f} GeV; "
                    f"at most {max_bins} are searched", n_bins=n_bins, window_bins=window_bins,
                    min_side_bins=min_side_bins, max_bins=max_bins, mass_range=(lo, hi))

        if mass_range is None:
            check_count(m.min(), m.max() * (1 + 1e-9))
            pre = dijet_bins(m.min(), m.max() * (1 + 1e-9), relative_width=relative_bin_width)
            peak = pre[int(np.argmax(np.histogram(m, pre)[0]))]
            mass_range = (max(float(np.quantile(m, 0.01)), float(peak)), float(m.max()) * (1 + 1e-9))
        lo, hi = (float(v) for v in mass_range)
        if not 0 < lo < hi < sqrt_s:
            raise ValueError(f"mass_range must satisfy 0 < low < high < √s = {sqrt_s:g} GeV, "
                             f"got {mass_range}")
        check_count(lo, hi)
        edges = dijet_bins(lo, hi, relative_width=relative_bin_width)
    else:
        edges = check_array(bins, "bins", ndim=1, dtype=np.float64)
    counts, scale = _histogram(m, weights, edges)
    windows = _windows(len(counts), window_bins, min_side_bins)
    if len(windows) == 0 or len(counts) > max_bins:
        few = len(windows) == 0
        raise BinningError(
            (f"{len(counts)} bins leave no room for a {window_bins}-bin window with {min_side_bins} bins on "
             "each side; use finer bins or a wider mass range") if few
            else f"{len(counts)} bins; at most {max_bins} are searched",
            n_bins=len(counts), window_bins=window_bins, min_side_bins=min_side_bins, max_bins=max_bins,
            mass_range=(float(edges[0]), float(edges[-1])))
    flags: list[str] = []
    full = fit_dijet_histogram(edges, counts, n_params=n_params, sqrt_s=sqrt_s, scale=scale)
    if not full.converged:
        raise FitError(f"the background fit to the whole spectrum did not converge: {full.message}")
    if full.gof_pvalue < 1e-3:
        flags.append(f"the dijet function describes the whole spectrum poorly (deviance {full.deviance:.1f} "
                     f"for {full.ndf} dof, p = {full.gof_pvalue:.2g}); a signal or a sculpted spectrum?")
    obs, bkg, err, z, ok = _scan(edges, counts, windows, n_params, sqrt_s, scale, start=full.theta)
    if not ok.any():
        raise FitError("no window's background fit converged")
    if not ok.all():
        bad = [f"{edges[a]:.0f}-{edges[b]:.0f}" for (a, b), good in zip(windows, ok, strict=True) if not good]
        flags.append(f"background fit did not converge (or degenerated) for window(s) {', '.join(bad)} GeV "
                     "(not searched)")
    best = int(np.nanargmax(np.where(ok, z, -np.inf)))
    z_max = float(z[best])
    p_local = float(stats.norm.sf(z_max))
    rng = as_generator(seed)
    mu = full.expected() / scale
    zmax_pseudo = np.full(n_pseudo, np.nan)
    bar = progress_bar(n_pseudo, desc="pseudo-experiments", show=progress and n_pseudo > 0)
    try:
        for i in range(n_pseudo):
            pseudo = rng.poisson(mu).astype(float) * scale
            _, _, _, zp, okp = _scan(edges, pseudo, windows, n_params, sqrt_s, scale, start=full.theta)
            zmax_pseudo[i] = np.max(zp[okp]) if okp.any() else np.nan
            bar.update(1)
    finally:
        bar.close()
    valid = zmax_pseudo[np.isfinite(zmax_pseudo)]
    if n_pseudo and len(valid) < n_pseudo:
        flags.append(f"{n_pseudo - len(valid)} pseudo-experiment(s) had no converged fit (left out)")
    if len(valid):
        p_global, flag = global_p_value(z_max, valid)
        if flag:
            flags.append(flag)
        z_global = float(stats.norm.isf(p_global))
    else:
        p_global = z_global = float("nan")
    a, b = windows[best]
    centres = np.sqrt(edges[a:b] * edges[a + 1 : b + 1])
    expected_bins = full.expected()[a:b]  # shape of the background inside the window
    bin_bkg = bkg[best] * expected_bins / expected_bins.sum()
    excess = counts[a:b] - bin_bkg
    total = excess.sum()
    if total > 0:
        mass = float((centres * excess).sum() / total)
        var = float(((centres - mass) ** 2 * counts[a:b] * scale).sum() / total**2)
        width = edges[a + 1 : b + 1] - edges[a:b]
        mass_err = float(np.sqrt(var + np.mean(width) ** 2 / 12.0))
    else:
        mass = float(np.sqrt(edges[a] * edges[b]))
        mass_err = float(0.5 * (edges[b] - edges[a]))
        flags.append("no excess in any window: the mass is the centre of the most significant window")
    n_sig = float(obs[best] - bkg[best])
    n_sig_err = float(np.sqrt(obs[best] * scale + err[best] ** 2))
    return BumpHunt(edges, counts, windows, np.stack([edges[windows[:, 0]], edges[windows[:, 1]]], 1),
                    obs, bkg, err, z, ok, best, z_max, p_local, p_global, z_global, zmax_pseudo, mass,
                    mass_err, n_sig, n_sig_err, full, flags)
