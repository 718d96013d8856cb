"""The data doctor: one answer about a data set's geometry before anything is trained on it.

:func:`doctor` runs the estimators of :mod:`physml.geometry` over a range of scales and
reconciles them:

* **Local scales** (:class:`MultiscaleLocalPCA`): the noise level ``sigma`` per normal direction,
  the curvature radius, and whether the sample is dense enough to tell them apart. Two noisy
  points differ by about ``sqrt(2 (D - d)) sigma`` in the ``D - d`` normal directions: below
  three times this *noise floor*, distances measure the noise and every estimator reads a
  dimension near ``D``.
* **Dimension as a function of scale**: the multiscale TwoNN (GRIDE, :func:`gride_curve`) at
  neighbour orders 1, 2, 4, ..., the Levina-Bickel estimate (:class:`LevinaBickel`) at single
  neighbour orders, and the local slopes of the correlation sum (:class:`CorrelationDimension`),
  each placed at the scale (distance) it describes, with its error.
* **The reconciled dimension**: the median over the estimators (each counted once) of each one's
  median estimate in the window of scales above three
  times the noise floor and below half the curvature radius (or, without curvature, the radius
  holding 20% of all pairs), each corrected for the noise floor ``f`` (an estimate at distance
  ``rho`` is multiplied by ``1 - f**2 / rho**2``) and for the curvature radius ``R`` (divided by
  ``1 + rho**2 / (12 R**2)``, the chord's shortfall against the arc), with an interval from the
  lowest corrected to the highest uncorrected estimate, widened by twice their errors;
  a sentence says when the usual single-scale estimates (TwoNN, MLE at k = 10..20, the
  correlation dimension) fall outside it and why (below the noise floor, or above the curvature).
* **Spectrum** (:class:`CovarianceSpectrum`): a power law ``lambda_i ∝ i**-(1 + alpha)`` over
  the widest rank range ``1..k`` (``k >= 10``) whose fit leaves an rms residual of ``ln lambda``
  below 0.2, with alpha's error; otherwise "not a power law" with the residual that refutes it.
* **Topology** (:func:`persistent_homology`, :func:`autoencoder_warning`): Betti numbers of a
  landmark subsample and what they forbid an autoencoder.
* **How much data**: the learning-curve exponent ``alpha ≈ 4 / d`` expected for a regression on
  a ``d``-dimensional manifold (Sharma and Kaplan, "Scaling laws from the data manifold
  dimension", JMLR 23 (2022)) and what doubling the data buys.
"""

from __future__ import annotations

import importlib.util
import math
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from physml._core import check_int
from physml.geometry._common import check_points, drop_duplicates
from physml.geometry._dimension import CorrelationDimension, LevinaBickel, TwoNN, _random_pair_quantile
from physml.geometry._local_pca import _TANGENT_TOL, MultiscaleLocalPCA
from physml.geometry._multiscale import _gride_from_distances, _top_order
from physml.geometry._neighbors import NeighborIndex
from physml.geometry._spectrum import CovarianceSpectrum, covariance_spectrum
from physml.geometry._topology import Topology, autoencoder_warning, persistent_homology
from physml.scaling import fit_power_law

__all__ = ["MIN_DOCTOR_POINTS", "DoctorReport", "ScaleEstimate", "doctor"]

#: Fewest distinct points :func:`doctor` accepts (neighbour orders up to 20 and local PCA).
MIN_DOCTOR_POINTS = 50

#: rms residual of ln(lambda) below which a spectrum counts as a power law
SPECTRUM_RMS_LIMIT = 0.2
#: the window of scales starts this many noise floors up
_NOISE_FLOORS = 3.0
#: the MLE neighbour orders evaluated over scales
_MLE_ORDERS = (5, 20, 80)


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    return v


@dataclass
class ScaleEstimate:
    """One dimension estimate at one scale: ``estimator`` ("gride", "mle", "correlation"),
    ``scale`` (a distance in data units), ``value`` and its standard ``error``."""

    estimator: str
    scale: float
    value: float
    error: float


@dataclass
class DoctorReport:
    """What :func:`doctor` found. Sections that could not run are in ``skipped`` with the reason.

    Attributes
    ----------
    n_samples, n_features, n_used, n_duplicates : int
        The data given, the rows analysed (after removing duplicates and subsampling), and the
        duplicate rows removed.
    dimension : tuple of float or None
        ``(value, low, high)``: the reconciled intrinsic dimension and its interval.
    dimension_sentence : str
        How the answer was reached, and why single-scale estimators disagree with it.
    window : tuple of float
        ``(r_low, r_high)``: the scales trusted (data units).
    curve : list of ScaleEstimate
        Every estimator at every scale.
    single : dict
        The single-scale estimates ``{"twonn" | "mle" | "correlation": (value, error, scale)}``.
    local : dict
        ``noise_level``, ``noise_floor``, ``curvature_radius``, ``tangent_dimension``,
        ``resolvable``, ``trusted`` (the local PCA found a clean tangent space).
    spectrum : dict
        ``power_law``, ``alpha``, ``alpha_error``, ``decades``, ``fit_range``, ``rms_residual``,
        ``verdict``.
    topology : Topology or None
    autoencoder_warning : tuple of (bool, str)
    data_size : dict
        ``alpha`` (4/d), ``doubling_gain`` (fraction of the loss left after doubling the data),
        ``resolves_manifold`` and a ``verdict``.
    skipped : dict of str to str
    notes : list of str
    timings : dict of str to float
        Seconds per section.
    """

    n_samples: int
    n_features: int
    n_used: int
    n_duplicates: int = 0
    dimension: tuple[float, float, float] | None = None
    dimension_sentence: str = ""
    window: tuple[float, float] = (0.0, math.inf)
    curve: list[ScaleEstimate] = field(default_factory=list)
    single: dict[str, tuple[float, float, float]] = field(default_factory=dict)
    local: dict[str, Any] = field(default_factory=dict)
    spectrum: dict[str, Any] = field(default_factory=dict)
    topology: Topology | None = None
    autoencoder_warning: tuple[bool, str] = (False, "no topology computed")
    data_size: dict[str, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def betti(self) -> list[int]:
        """``[b0, b1, b2]`` as far as computed (empty without topology)."""
        return [] if self.topology is None else list(self.topology.betti)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (what ``physml doctor --json`` prints, without the file name)."""
        dim = None
        if self.dimension is not None:
            v, lo, hi = self.dimension
            dim = {"value": v, "low": lo, "high": hi, "window": [_finite(w) for w in self.window],
                   "sentence": self.dimension_sentence}
        warn, reason = self.autoencoder_warning
        return {
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "n_used": self.n_used,
            "n_duplicates": self.n_duplicates,
            "dimension": dim,
            "single_scale": {k: {"value": v, "error": _finite(e), "scale": s}
                             for k, (v, e, s) in self.single.items()},
            "dimension_by_scale": [
                {"estimator": c.estimator, "scale": c.scale, "value": _finite(c.value),
                 "error": _finite(c.error)} for c in self.curve
            ],
            "local": {k: _finite(v) for k, v in self.local.items()},
            "spectrum": {k: _finite(v) if not isinstance(v, (list, tuple)) else list(v)
                         for k, v in self.spectrum.items()},
            "betti": self.betti,
            "topology": None if self.topology is None else self.topology.to_dict(),
            "autoencoder_warning": {"warn": warn, "reason": reason},
            "data_size": {k: _finite(v) for k, v in self.data_size.items()},
            "skipped": dict(self.skipped),
            "notes": list(self.notes),
            "timings": {k: round(v, 3) for k, v in self.timings.items()},
        }

    def verdicts(self) -> dict[str, str]:
        """One short verdict per section: ``dimension``, ``local``, ``spectrum``, ``topology``,
        ``autoencoder``, ``data``; a skipped section gives its reason."""
        out: dict[str, str] = {}
        if self.dimension is not None:
            v, lo, hi = self.dimension
            out["dimension"] = f"d = {v:.2f} (interval {lo:.2f} .. {hi:.2f}). {self.dimension_sentence}"
        else:
            out["dimension"] = "not determined: " + self.skipped.get("dimension", "")
        if "local" in self.skipped:
            out["local"] = "not determined: " + self.skipped["local"]
        else:
            lc = self.local
            curv = lc["curvature_radius"]
            text = (f"noise σ ≈ {lc['noise_level']:.3g} per direction (noise floor "
                    f"{lc['noise_floor']:.3g} in distance), curvature radius "
                    + (f"≈ {curv:.3g}" if math.isfinite(curv) else "not found (flat at these scales)")
                    + ("; dense enough to tell curvature from noise" if lc["resolvable"]
                       else "; not dense enough to tell curvature from noise"))
            if not lc["trusted"]:
                text += " (no clean tangent space: these scales are rough)"
            out["local"] = text
        out["spectrum"] = self.spectrum.get("verdict", "not computed: " + self.skipped.get("spectrum", ""))
        if self.topology is not None:
            t = self.topology
            bars = ", ".join(f"b{k} = {b}" for k, b in enumerate(t.betti))
            out["topology"] = (f"{bars} (persistence above {t.threshold:.3g}; {t.n_landmarks} landmarks, "
                               f"cover radius {t.cover_radius:.3g})")
        else:
            out["topology"] = "not computed: " + self.skipped.get("topology", "")
        warn, reason = self.autoencoder_warning
        out["autoencoder"] = ("WARNING: " if warn else "no warning: ") + reason
        if self.data_size:
            out["data"] = self.data_size["verdict"]
        return out

    def figure(self) -> Any:
        """Dimension against scale, per estimator, with the trusted window shaded; a matplotlib Figure."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6.0, 4.0), layout="constrained")
        ax = fig.add_subplot()
        for name, marker in (("gride", "o"), ("mle", "s"), ("correlation", "^")):
            pts = [c for c in self.curve if c.estimator == name and math.isfinite(c.value)]
            if pts:
                ax.errorbar([c.scale for c in pts], [c.value for c in pts],
                            yerr=[c.error if math.isfinite(c.error) else 0.0 for c in pts],
                            marker=marker, ms=4, lw=1, capsize=2, label=name)
        lo, hi = self.window
        scales = [c.scale for c in self.curve if c.scale > 0]
        if scales:  # a window open at 0 or infinity is drawn to the scales measured
            lo = lo if lo > 0 else min(scales)
            hi = hi if math.isfinite(hi) else max(scales)
            ax.axvspan(lo, hi, color="green", alpha=0.1, label="trusted scales")
        if self.dimension is not None:
            v, dlo, dhi = self.dimension
            ax.axhspan(dlo, dhi, color="gray", alpha=0.2)
            ax.axhline(v, color="black", lw=0.8, ls="--", label=f"d = {v:.2f}")
        ax.set(xscale="log", yscale="log", xlabel="scale (distance)", ylabel="dimension estimate",
               title="Dimension by scale")
        ax.legend(fontsize=8)
        return fig


def doctor(
    x: Any,
    *,
    max_points: int | None = 5000,
    n_landmarks: int = 200,
    max_homology_dim: int = 2,
    topology: bool = True,
    seed: int = 0,
    reference: tuple[str, Any] | None = None,
) -> DoctorReport:
    """Diagnose the points ``x``: dimension by scale and reconciled, local scales, spectrum,
    topology and the autoencoder warning, and what more data would buy.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
        Finite points (NaN or inf raise ``ValueError``); exact duplicates are removed (noted);
        at least :data:`MIN_DOCTOR_POINTS` distinct points.
    max_points : int or None
        Analyse a random subsample of at most this many rows (None: all), noted in the report.
    n_landmarks : int
        Landmarks for the persistent homology (see :func:`persistent_homology`).
    max_homology_dim : int
        Highest Betti number computed (0, 1 or 2).
    topology : bool
        False skips the persistent homology (and the autoencoder warning).
    seed : int
        Seeds the subsample and every estimator.
    reference : (str, array_like), optional
        A named reference data set (e.g. ``("Fashion-MNIST", images)``, rows are points) whose
        covariance spectrum is measured the same way and compared: ``spectrum["reference"]``
        holds its verdict, α and the pull of the difference in α.

    Returns
    -------
    DoctorReport

    References
    ----------
    Facco, d'Errico, Rodriguez, Laio, Sci. Rep. 7, 12140 (2017) (TwoNN); Denti, Doimo, Laio,
    Mira, Sci. Rep. 12, 20005 (2022) (GRIDE); Levina, Bickel, NeurIPS 17 (2004); Grassberger,
    Procaccia, Physica D 9, 189 (1983); Little, Maggioni, Rosasco, ACHA 43, 504 (2017);
    Batson, Haaf, Kahn, Roberts, arXiv:2102.08380; Sharma, Kaplan, JMLR 23 (2022).
    """
    if max_points is not None:
        max_points = check_int(max_points, "max_points", low=MIN_DOCTOR_POINTS)
    n_landmarks = check_int(n_landmarks, "n_landmarks", low=4)
    max_homology_dim = check_int(max_homology_dim, "max_homology_dim", low=0, high=2)
    if not isinstance(topology, bool):
        raise TypeError(f"topology must be a bool, got {topology!r}")
    seed = check_int(seed, "seed", low=0)
    x = check_points(x, "X", min_samples=MIN_DOCTOR_POINTS, what="doctor")
    n_total, dim = x.shape
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        x, n_dup = drop_duplicates(x, what="doctor", min_samples=MIN_DOCTOR_POINTS)
    report = DoctorReport(n_total, dim, x.shape[0], n_dup)
    if n_dup:
        report.notes.append(f"removed {n_dup} duplicate row(s) (zero distances carry no scale)")
    rng = np.random.default_rng(seed)
    if max_points is not None and x.shape[0] > max_points:
        x = x[np.sort(rng.choice(x.shape[0], max_points, replace=False))]
        report.notes.append(f"analysed a random subsample of {max_points} of {report.n_used} distinct rows "
                            "(max_points)")
        report.n_used = max_points
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _local(report, x, seed)
        _dimension(report, x, seed)
        _spectrum(report, x, seed)
        if reference is not None:
            _compare_spectrum(report, reference, seed)
        if topology:
            _topology(report, x, n_landmarks, max_homology_dim)
        else:
            report.skipped["topology"] = "not requested"
        _data_size(report)
    report.notes += sorted({str(w.message) for w in caught})
    return report


def _timed(report: DoctorReport, name: str, t0: float) -> None:
    report.timings[name] = time.perf_counter() - t0


def _local(report: DoctorReport, x: np.ndarray, seed: int) -> None:
    t0 = time.perf_counter()
    n, dim = x.shape
    report.local = {"noise_level": math.nan, "noise_floor": 0.0, "curvature_radius": math.inf,
                    "tangent_dimension": None, "resolvable": False, "trusted": False}
    if dim < 2:
        report.skipped["local"] = "local PCA needs at least 2 features"
        return
    try:
        centers = 50 if dim <= 100 else 20  # many features make balls costly
        lp = MultiscaleLocalPCA(n_centers=min(centers, n), n_radii=16, seed=seed).fit(x)
    except ValueError as exc:
        report.skipped["local"] = str(exc)
        return
    best = int(np.argmin(np.abs(lp.radii_ - lp.best_radius_)))
    top = lp.mean_eigenvalues_[best]
    d = lp.tangent_dimension_
    # noise-free data (a linear subspace): the normal eigenvalues vanish to rounding
    exact = bool(d < top.size and np.all(top[d:] <= 1e-12 * top[0]))
    trusted = bool(abs(lp.tangent_ratio_[best] - 1.0) <= _TANGENT_TOL or exact)
    sigma = 0.0 if exact else lp.noise_level_
    report.local = {
        "noise_level": sigma,
        "noise_floor": math.sqrt(2.0 * max(dim - d, 0)) * sigma if trusted else 0.0,
        "curvature_radius": lp.curvature_radius_ if trusted else math.inf,
        "tangent_dimension": d,
        "resolvable": bool(lp.resolvable_) if trusted else False,
        "trusted": trusted,
    }
    _timed(report, "local", t0)


def _dimension(report: DoctorReport, x: np.ndarray, seed: int) -> None:
    t0 = time.perf_counter()
    n = x.shape[0]
    rng = np.random.default_rng(seed)
    kmax = _top_order(min(256, n - 1))
    dist = NeighborIndex(x).knn(kmax)
    gride = _gride_from_distances(dist)
    curve = [ScaleEstimate("gride", float(s), float(v), float(e))
             for s, v, e in zip(gride.scales, gride.dimensions, gride.errors, strict=True)]
    for k in _MLE_ORDERS:
        if k < kmax:
            m = LevinaBickel(k, k, seed=seed).fit(x)
            scale = float(np.median(dist[:, k - 1]))
            curve.append(ScaleEstimate("mle", scale, m.dimension_, m.dimension_err_))
    size = _random_pair_quantile(x, 0.2, rng)
    try:
        cd = CorrelationDimension(max_pair_fraction=0.2, n_radii=20, seed=seed).fit(x)
        noise = np.sqrt(np.clip(1.0 / cd.pair_counts_[:-1] - 1.0 / cd.pair_counts_[1:], 0.0, None))
        noise /= np.diff(np.log(cd.radii_))
        curve += [ScaleEstimate("correlation", float(r), float(s), float(e))
                  for r, s, e in zip(cd.slope_radii_, cd.local_slopes_, noise, strict=True)]
        lo, hi = cd.scaling_range_
        report.single["correlation"] = (cd.dimension_, cd.dimension_err_, math.sqrt(lo * hi))
    except ValueError as exc:
        report.notes.append(f"correlation dimension skipped: {exc}")
    tw = TwoNN(seed=seed).fit(x)
    report.single["twonn"] = (tw.dimension_, tw.dimension_err_, float(np.median(dist[:, 1])))
    if kmax >= 20:
        lb = LevinaBickel(10, 20, seed=seed).fit(x)
        report.single["mle"] = (lb.dimension_, lb.dimension_err_, float(np.median(dist[:, 19])))
    report.curve = sorted(curve, key=lambda c: (c.estimator, c.scale))
    # the window of trusted scales
    floor = report.local["noise_floor"]
    r_low = _NOISE_FLOORS * floor
    curv = report.local["curvature_radius"]
    r_high = min(curv / 2.0, size) if math.isfinite(curv) else size
    why_high = "half the curvature radius" if math.isfinite(curv) and curv / 2.0 < size else "the data's size"
    usable = [c for c in curve if math.isfinite(c.value) and c.value > 0]
    inside = [c for c in usable if r_low <= c.scale <= r_high]
    caveat = ""
    if not inside:
        above = [c for c in usable if c.scale >= r_low]
        if above:
            s_min = min(c.scale for c in above)
            inside = [c for c in above if c.scale <= 2.0 * s_min]
            caveat = (f" The noise floor ({floor:.3g}) and the curvature or size ({r_high:.3g}) leave no "
                      f"scale between them that the sample reaches; the answer uses the smallest scales "
                      f"above the noise ({s_min:.3g}..{2 * s_min:.3g}) and is rough.")
        else:
            inside = usable
            caveat = " No estimate lies above the noise floor: the answer is the noise's and is rough."
        r_high = max(c.scale for c in inside)
        r_low = min(r_low, min(c.scale for c in inside))
    report.window = (r_low, r_high)
    values = np.array([c.value for c in inside])
    errs = np.array([c.error if math.isfinite(c.error) else 0.0 for c in inside])
    # noise of floor f lengthens a distance r to sqrt(r**2 + f**2), and a count ~ r**d then grows
    # with the measured distance rho with the local exponent d / (1 - f**2 / rho**2): undo that, and
    # keep the uncorrected values as the upper side of the interval (the correction is approximate)
    scales = np.array([c.scale for c in inside])
    corrected = values * np.clip(1.0 - (floor / scales) ** 2, 0.0, 1.0)
    # curvature: on a manifold of curvature radius R the chord c between two points is shorter than
    # the arc s (s ≈ c (1 + c**2 / (24 R**2))), so a count ~ s**d grows with c with the local exponent
    # d (1 + c**2 / (12 R**2)): 2% high at half the curvature radius, more than the errors at a few
    # thousand points (a unit circle in R**50 read 1.007-1.014 after the noise correction alone)
    if math.isfinite(curv) and curv > 0:
        corrected = corrected / (1.0 + scales**2 / (12.0 * curv**2))
    # each estimator counts once, however many scales it has points at (the correlation sum has
    # ~20 slopes against GRIDE's ~8 and the MLE's 3, and its points alone would otherwise decide)
    est = np.array([c.estimator for c in inside])
    value = float(np.median([np.median(corrected[est == name]) for name in np.unique(est)]))
    low = float(np.min(corrected - 2 * errs))
    high = float(np.max(values + 2 * errs))
    report.dimension = (value, max(low, 0.0), high)
    names = sorted({c.estimator for c in inside})
    sentence = (f"{len(inside)} estimates ({', '.join(names)}) at scales {r_low:.3g}..{r_high:.3g}: "
                + (f"above {_NOISE_FLOORS:g}x the noise floor {floor:.3g} (corrected for it)" if floor > 0
                   else "no noise floor found")
                + f", below {why_high}"
                + (f" (corrected for the curvature radius {curv:.3g})." if math.isfinite(curv) and curv > 0
                   else ".")
                + caveat)
    disagree = []
    labels = {"twonn": "TwoNN", "mle": "the MLE (k = 10..20)", "correlation": "the correlation dimension"}
    for key, (v, e, s) in report.single.items():
        err = e if math.isfinite(e) else 0.0
        if v + 2 * err < low or v - 2 * err > high:
            if s < r_low:
                why = (f"it works at distance ≈ {s:.3g}, below the noise floor, where the noise fills "
                       f"all {x.shape[1]} dimensions")
            elif s > r_high:
                why = f"it works at distance ≈ {s:.3g}, beyond {why_high}"
            else:
                why = f"at distance ≈ {s:.3g} it sees too few points or an uneven density"
            disagree.append(f"{labels[key]} says {v:.2f}: {why}")
    if disagree:
        sentence += " The estimators disagree: " + "; ".join(disagree) + "."
    report.dimension_sentence = sentence
    _timed(report, "dimension", t0)


def _compare_spectrum(report: DoctorReport, reference: tuple[str, Any], seed: int) -> None:
    """The reference's spectrum, measured as the data's (on as many points, so that the fit range
    follows the same rules), and the pull of the difference in α."""
    name, points = reference
    ref = check_points(points, f"reference {name!r}", min_samples=MIN_DOCTOR_POINTS, what="doctor")
    n = min(ref.shape[0], report.n_used)
    if ref.shape[0] > n:
        ref = ref[np.sort(np.random.default_rng(seed).choice(ref.shape[0], n, replace=False))]
    scratch = DoctorReport(ref.shape[0], ref.shape[1], ref.shape[0], 0)
    _spectrum(scratch, ref, seed)
    keys = ("power_law", "alpha", "alpha_error", "decades", "fit_range")
    out = {"name": name, **{k: scratch.spectrum.get(k) for k in keys}}
    mine, theirs = report.spectrum, scratch.spectrum
    both = bool(mine.get("power_law")) and bool(theirs.get("power_law"))
    if both:
        pull = (mine["alpha"] - theirs["alpha"]) / math.hypot(mine["alpha_error"], theirs["alpha_error"])
        out["pull"] = pull
        same = "agrees with" if abs(pull) < 3 else "differs from"
        out["verdict"] = (f"α {same} {name}'s {theirs['alpha']:.3f} ± {theirs['alpha_error']:.3f} "
                          f"(pull {pull:+.1f}σ)")
    else:
        out["pull"] = math.nan
        what = "is" if theirs.get("power_law") else "is not"
        out["verdict"] = f"{name}'s spectrum {what} a power law ({theirs.get('verdict', 'no verdict')})"
    report.spectrum["reference"] = out
    if "verdict" in report.spectrum:
        report.spectrum["verdict"] += f"; against {name}: {out['verdict']}"


def _spectrum(report: DoctorReport, x: np.ndarray, seed: int) -> None:
    t0 = time.perf_counter()
    if x.shape[1] < 4:
        report.skipped["spectrum"] = f"a power-law verdict needs at least 4 features, got {x.shape[1]}"
        return
    ev = covariance_spectrum(x)
    n_pos = int(np.sum(ev > ev[0] * ev.size * np.finfo(float).eps * 10))
    # half the non-zero eigenvalues (the tail of a finite sample is noise), and no more than each of
    # the 8 subsamples behind alpha's error can resolve
    last = min(n_pos // 2, x.shape[0] // 8 - 1)
    if last < 3:
        report.spectrum = {"power_law": False, "alpha": math.nan, "alpha_error": math.nan, "decades": 0.0,
                           "fit_range": [], "rms_residual": math.nan, "rms_limit": SPECTRUM_RMS_LIMIT,
                           "eigenvalues": [float(v) for v in ev[:50]],
                           "verdict": f"no verdict: {n_pos} non-zero eigenvalue(s), and a fit needs 3 ranks "
                                      "in the first half"}
        _timed(report, "spectrum", t0)
        return
    candidates = sorted({int(round(v)) for v in np.geomspace(min(10, last), last, 24)})
    ranks = np.arange(1, last + 1, dtype=float)
    best = None
    for hi in candidates:
        if hi < 10 or ev[hi - 1] <= 0:
            continue
        fit = fit_power_law(ranks[:hi], ev[:hi])
        if math.sqrt(fit.chi2 / hi) <= SPECTRUM_RMS_LIMIT:
            best = hi
    hi = best if best is not None else last
    sp = CovarianceSpectrum(fit_range=(1, hi), seed=seed).fit(x)
    refuted = best is None and sp.rms_residual_ > SPECTRUM_RMS_LIMIT
    flat = abs(1.0 + sp.alpha_) < 0.3
    power = best is not None and not flat
    decades = math.log10(hi) if power else 0.0
    res = {"power_law": power, "alpha": sp.alpha_, "alpha_error": sp.alpha_err_, "decades": decades,
           "fit_range": [1, hi], "rms_residual": sp.rms_residual_, "rms_limit": SPECTRUM_RMS_LIMIT,
           "eigenvalues": [float(v) for v in ev[:50]]}
    if power:
        res["verdict"] = (f"power law λ_i ∝ i^-(1+α) with α = {sp.alpha_:.3f} ± {sp.alpha_err_:.3f} "
                          f"over ranks 1..{hi} ({decades:.1f} decades; rms residual "
                          f"{sp.rms_residual_:.3f} in ln λ)")
    elif refuted:
        res["verdict"] = (f"not a power law: the best straight fit over ranks 1..{hi} leaves an rms residual "
                          f"of {sp.rms_residual_:.2f} in ln λ (limit {SPECTRUM_RMS_LIMIT}), so α = "
                          f"{sp.alpha_:.2f} means nothing")
    elif flat:
        res["verdict"] = (f"flat spectrum (α = {sp.alpha_:.2f}, decay exponent {1 + sp.alpha_:.2f}): "
                          "white-noise-like, no power-law decay")
    else:
        res["verdict"] = (f"no verdict: straight within the limit over ranks 1..{hi} (α = {sp.alpha_:.2f}), "
                          "but a power law needs at least a decade of ranks (10) in the first half")
    report.spectrum = res
    _timed(report, "spectrum", t0)


def _topology(report: DoctorReport, x: np.ndarray, n_landmarks: int, max_dim: int) -> None:
    t0 = time.perf_counter()
    floor = report.local["noise_floor"]
    if importlib.util.find_spec("ripser") is None:
        report.skipped["topology"] = "persistent homology needs the ripser package (pip install ripser)"
        return
    topo = persistent_homology(x, n_landmarks=n_landmarks, max_dim=max_dim,
                               threshold=2.0 * floor if floor > 0 else None)
    report.topology = topo
    report.notes += topo.notes
    d = report.dimension[0] if report.dimension is not None else None
    report.autoencoder_warning = autoencoder_warning(topo.betti, d)
    _timed(report, "topology", t0)


def _data_size(report: DoctorReport) -> None:
    if report.dimension is None:
        return
    d = report.dimension[0]
    alpha = 4.0 / d
    gain = 2.0 ** (-alpha)
    resolved = bool(report.local.get("resolvable", False))
    report.data_size = {
        "alpha": alpha,
        "doubling_gain": gain,
        "resolves_manifold": resolved,
        "verdict": (f"expected learning-curve exponent α ≈ 4/d = {alpha:.2f}: doubling the data leaves "
                    f"{gain:.0%} of the loss (Sharma-Kaplan); "
                    + ("the sample already resolves the manifold locally (curvature stands out of the noise)"
                       if resolved else "the sample does not yet resolve the manifold's curvature from its "
                       "noise locally")),
    }
