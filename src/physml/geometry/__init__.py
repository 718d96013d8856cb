"""Data geometry: know the data before training anything.

* Intrinsic dimension (:class:`CorrelationDimension`, :class:`LevinaBickel`, :class:`TwoNN`,
  :func:`local_dimension`) with k-d trees in O(N) memory and subsampling uncertainties.
* Covariance spectra and their power laws (:class:`CovarianceSpectrum`), with the
  Marchenko-Pastur spectrum of white noise as the null (:func:`marchenko_pastur_quantiles`);
  the principal axes of a sample (:func:`principal_axes`).
* Multiscale local PCA (:class:`MultiscaleLocalPCA`): noise level, tangent dimension,
  curvature and crossover scales, and whether the data resolve curvature from noise.
* Metrics from calibration covariances (:func:`whitening_map`, :func:`mahalanobis_distance`,
  :class:`CovarianceField`, :func:`polar_covariance` for radial and tangential errors).
* The spacing of uniform points on the 2-sphere: the exact law of their nearest-neighbour
  distance (:func:`sphere_nearest_neighbor`).
* Manifold learning through scikit-learn with diagnostics (:func:`embed`,
  :func:`embedding_diagnostics`).
* The dimension report (:func:`dimension_report`, :class:`DimensionReport`): the three
  estimators, the covariance spectrum and the multiscale local PCA of one data set, with the
  steps that could not run and why (what ``physml dimension`` prints).
* The data doctor (:func:`doctor`, :class:`DoctorReport`): dimension as a function of scale
  (with the multiscale TwoNN, :func:`gride_curve`) reconciled into one answer with an interval,
  the spectrum's verdict, local scales, Betti numbers of a landmark subsample
  (:func:`persistent_homology`, through ripser) and the autoencoder warning
  (:func:`autoencoder_warning`) (what ``physml doctor`` prints).

The estimators follow physml's model contract (``docs/architecture.md``, "One model contract"):
scikit-learn estimators with declared parameters, ``save``/``load`` through one file format.

Importing this package loads nothing heavy: each name loads its submodule (numpy and scipy; the
estimators also scikit-learn's ``BaseEstimator``) on first use; scikit-learn's embeddings and
brute-force neighbours (above 16 features) and matplotlib (plots) are imported by the functions
that use them. See ``docs/geometry.md``.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_dimension": (
            "CorrelationDimension",
            "LevinaBickel",
            "TwoNN",
            "correlation_sum",
            "local_dimension",
        ),
        "_doctor": (
            "MIN_DOCTOR_POINTS",
            "DoctorReport",
            "ScaleEstimate",
            "doctor",
        ),
        "_local_pca": (
            "MultiscaleLocalPCA",
            "local_singular_values",
            "sphere_curvature_constant",
        ),
        "_manifold": (
            "EMBEDDINGS",
            "EmbeddingDiagnostics",
            "embed",
            "embedding_diagnostics",
            "neighbor_preservation",
        ),
        "_metric": (
            "CovarianceField",
            "local_covariances",
            "mahalanobis_distance",
            "polar_covariance",
            "whitening_map",
        ),
        "_report": (
            "MIN_REPORT_POINTS",
            "DimensionReport",
            "dimension_report",
        ),
        "_multiscale": (
            "GrideCurve",
            "gride_curve",
        ),
        "_spacing": (
            "SphereNearestNeighbor",
            "sphere_nearest_neighbor",
        ),
        "_spectrum": (
            "CovarianceSpectrum",
            "covariance_spectrum",
            "marchenko_pastur_quantiles",
            "principal_axes",
        ),
        "_topology": (
            "Topology",
            "autoencoder_warning",
            "persistent_homology",
        ),
    },
)
