"""The dimension report: every estimator of :mod:`physml.geometry` run on one data set.

:func:`dimension_report` is what ``physml dimension FILE`` computes: the correlation dimension
(automatic scaling range), the Levina-Bickel maximum-likelihood estimate and TwoNN, each with a
subsampling standard error; the power-law fit of the covariance spectrum; and the local scales
of multiscale local PCA (noise level, tangent dimension, curvature radius, and whether the data
resolve curvature from noise). A step that cannot run on the data (too few features, radii that
cannot be chosen) is skipped with its reason instead of failing the whole report, and the
warnings of the estimators (duplicates removed, no straight scaling range) become notes.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from physml._core import check_int
from physml.geometry._common import check_points
from physml.geometry._dimension import CorrelationDimension, LevinaBickel, TwoNN
from physml.geometry._local_pca import MultiscaleLocalPCA
from physml.geometry._spectrum import CovarianceSpectrum

__all__ = ["MIN_REPORT_POINTS", "DimensionReport", "dimension_report"]

#: Fewest points :func:`dimension_report` accepts (the estimators need neighbours of order k2 = 20).
MIN_REPORT_POINTS = 25

# local PCA on many features: balls are costly, so fewer centres by default
_WIDE = 100


def _finite(v: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@dataclass
class DimensionReport:
    """The geometry of one data set, as found by :func:`dimension_report`.

    Attributes
    ----------
    n_samples, n_features : int
        Shape of the data given.
    n_used : int
        Rows analysed (a random subsample when the data held more than ``max_points``).
    seed, k1, k2 : int
        The settings of the report.
    correlation : CorrelationDimension or None
        Fitted, or None when skipped (likewise the following).
    mle : LevinaBickel or None
    twonn : TwoNN or None
    spectrum : CovarianceSpectrum or None
        Needs at least 4 features.
    local : MultiscaleLocalPCA or None
        Needs at least 2 features; None also when ``n_centers=0``.
    skipped : dict of str to str
        Why a step (``"correlation"``, ``"mle"``, ``"twonn"``, ``"spectrum"``, ``"local"``)
        did not run.
    notes : list of str
        The estimators' warnings (sorted, each once), then what the report itself did
        (subsampling, fewer local-PCA centres).
    """

    n_samples: int
    n_features: int
    n_used: int
    seed: int
    k1: int
    k2: int
    correlation: CorrelationDimension | None = None
    mle: LevinaBickel | None = None
    twonn: TwoNN | None = None
    spectrum: CovarianceSpectrum | None = None
    local: MultiscaleLocalPCA | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def dimensions(self) -> dict[str, tuple[float, float]]:
        """``{"correlation" | "mle" | "twonn": (estimate, standard error)}`` for the estimators that ran."""
        fits = {"correlation": self.correlation, "mle": self.mle, "twonn": self.twonn}
        return {k: (est.dimension_, est.dimension_err_) for k, est in fits.items() if est is not None}

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready values (what ``physml dimension --json`` prints, without the
        file name and shape). Infinite or undefined errors and radii are ``None``; the spectrum
        lists at most its first 50 eigenvalues."""
        out: dict[str, Any] = {
            "n_samples": self.n_samples,
            "n_features": self.n_features,
            "n_used": self.n_used,
            "seed": self.seed,
            "dimension": {},
            "notes": list(self.notes),
        }

        def skip(section: str) -> None:  # in the order the steps ran
            if section in self.skipped:
                out.setdefault("skipped", {})[section] = self.skipped[section]

        skip("correlation")
        cd = self.correlation
        if cd is not None:
            out["dimension"]["correlation"] = {
                "value": cd.dimension_,
                "error": _finite(cd.dimension_err_),
                "scaling_range": list(cd.scaling_range_),
                "range_found": cd.range_found_,
                "duplicates_removed": cd.n_duplicates_,
            }
        skip("mle")
        if self.mle is not None:
            out["dimension"]["mle"] = {
                "value": self.mle.dimension_,
                "error": _finite(self.mle.dimension_err_),
                "k1": self.k1,
                "k2": self.k2,
            }
        skip("twonn")
        if self.twonn is not None:
            out["dimension"]["twonn"] = {
                "value": self.twonn.dimension_,
                "error": _finite(self.twonn.dimension_err_),
            }
        skip("spectrum")
        sp = self.spectrum
        if sp is not None:
            out["spectrum"] = {
                "alpha": sp.alpha_,
                "alpha_error": _finite(sp.alpha_err_),
                "fit_range": list(sp.fit_range_),
                "rms_residual": sp.rms_residual_,
                "centered": sp.centered,
                "eigenvalues": [float(v) for v in sp.eigenvalues_[:50]],
            }
        skip("local")
        lp = self.local
        if lp is not None:
            out["local"] = {
                "tangent_dimension": lp.tangent_dimension_,
                "noise_level": lp.noise_level_,
                "curvature_radius": _finite(lp.curvature_radius_),
                "crossover_radius": _finite(lp.crossover_radius_),
                "resolved_fraction": float(np.mean(lp.resolved_)),
                "resolvable": lp.resolvable_,
                "fit_radii": list(lp.fit_radii_),
                "n_centers": int(lp.centers_.size),
            }
        return out

    def figures(self) -> dict[str, Any]:
        """Matplotlib figures of the steps that ran: ``"correlation"`` (the correlation sum with
        the fitted power law, and the local slopes with the scaling range), ``"spectrum"``
        (:meth:`CovarianceSpectrum.plot`) and ``"local"`` (:meth:`MultiscaleLocalPCA.plot`)."""
        from matplotlib.figure import Figure

        figures: dict[str, Any] = {}
        cd = self.correlation
        if cd is not None:
            fig = Figure(figsize=(9.0, 3.6), layout="constrained")
            ax1, ax2 = fig.subplots(1, 2)
            ax1.loglog(cd.radii_, cd.correlation_sum_, ".-")
            fitted = cd.fit_.predict(cd.radii_)
            ax1.loglog(cd.radii_, fitted, "k--", lw=0.8, label=f"D2 = {cd.dimension_:.3f}")
            ax1.set(xlabel="r", ylabel="C(r)", title="Correlation sum")
            ax1.legend(fontsize=8)
            ax2.semilogx(cd.slope_radii_, cd.local_slopes_, ".-")
            for edge in cd.scaling_range_:
                ax2.axvline(edge, color="gray", ls=":")
            ax2.set(xlabel="r", ylabel="d ln C / d ln r", title="Local slopes and scaling range")
            figures["correlation"] = fig
        if self.spectrum is not None:
            ax = self.spectrum.plot()
            ax.set_title("Covariance spectrum")
            figures["spectrum"] = ax.figure
        if self.local is not None:
            figures["local"] = self.local.plot().figure
        return figures


def dimension_report(
    x: Any,
    *,
    k1: int = 10,
    k2: int = 20,
    max_points: int | None = 20000,
    n_centers: int | None = None,
    seed: int = 0,
) -> DimensionReport:
    """Intrinsic dimension, covariance spectrum and local scales of the points ``x``.

    Runs :class:`CorrelationDimension` (automatic scaling range), :class:`LevinaBickel`
    (neighbour orders ``k1..k2``) and :class:`TwoNN`, each with its subsampling standard error;
    :class:`CovarianceSpectrum` (centred, at least 4 features); and :class:`MultiscaleLocalPCA`
    (16 radii, at least 2 features). A step that raises ``ValueError`` on these data is recorded
    in ``skipped`` with its message and the others still run; warnings raised by the estimators
    are collected in ``notes`` instead of being shown.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
        Finite points, at least :data:`MIN_REPORT_POINTS` of them.
    k1, k2 : int
        Neighbour orders of the maximum-likelihood estimate, ``3 <= k1 <= k2``.
    max_points : int or None
        Analyse a random subsample of at most this many rows (None: all rows).
    n_centers : int or None
        Centres of the multiscale local PCA; default 50, or 20 above 100 features (noted);
        0 skips the local analysis.
    seed : int
        Seeds the subsample and every estimator.

    Returns
    -------
    DimensionReport

    References
    ----------
    P. Grassberger, I. Procaccia, "Measuring the strangeness of strange attractors", Physica D
    9, 189 (1983); E. Levina, P. J. Bickel, "Maximum likelihood estimation of intrinsic
    dimension", NeurIPS 17 (2004); E. Facco, M. d'Errico, A. Rodriguez, A. Laio, "Estimating
    the intrinsic dimension of datasets by a minimal neighborhood information", Sci. Rep. 7,
    12140 (2017); A. V. Little, M. Maggioni, L. Rosasco, "Multiscale geometric methods for data
    sets I: multiscale SVD, noise and curvature", Appl. Comput. Harmon. Anal. 43, 504 (2017).
    """
    k1 = check_int(k1, "k1", low=3)
    k2 = check_int(k2, "k2", low=k1)
    if max_points is not None:
        max_points = check_int(max_points, "max_points", low=1)
    if n_centers is not None:
        n_centers = check_int(n_centers, "n_centers", low=0)
    seed = check_int(seed, "seed", low=0)
    x = check_points(x, "X", min_samples=MIN_REPORT_POINTS, what="dimension_report")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = _analyse(x, k1, k2, max_points, n_centers, seed)
    report.notes = sorted({str(w.message) for w in caught}) + report.notes
    return report


def _analyse(
    x: np.ndarray, k1: int, k2: int, max_points: int | None, n_centers: int | None, seed: int
) -> DimensionReport:
    rng = np.random.default_rng(seed)
    n_total = x.shape[0]
    notes = []
    if max_points is not None and n_total > max_points:
        x = x[np.sort(rng.choice(n_total, max_points, replace=False))]
        notes.append(f"analysed a random subsample of {max_points} of {n_total} rows (max_points)")
    report = DimensionReport(n_total, x.shape[1], x.shape[0], seed, k1, k2, notes=notes)

    def attempt(section: str, fn: Any) -> Any:
        try:
            return fn()
        except ValueError as exc:
            report.skipped[section] = str(exc)
            return None

    report.correlation = attempt("correlation", lambda: CorrelationDimension(k1=k1, k2=k2, seed=seed).fit(x))
    report.mle = attempt("mle", lambda: LevinaBickel(k1, k2, seed=seed).fit(x))
    report.twonn = attempt("twonn", lambda: TwoNN(seed=seed).fit(x))
    if x.shape[1] >= 4:
        report.spectrum = attempt("spectrum", lambda: CovarianceSpectrum(seed=seed).fit(x))
    else:
        report.skipped["spectrum"] = "needs at least 4 features for a power-law fit"
    centers = n_centers
    if centers is None:
        centers = 50 if x.shape[1] <= _WIDE else 20
        if x.shape[1] > _WIDE:
            report.notes.append(
                "multiscale local PCA on 20 centres (many features make balls costly; n_centers)"
            )
    if centers and x.shape[1] >= 2:
        local_pca = MultiscaleLocalPCA(n_centers=centers, n_radii=16, seed=seed)
        report.local = attempt("local", lambda: local_pca.fit(x))
    elif centers:
        report.skipped["local"] = "needs at least 2 features"
    return report
