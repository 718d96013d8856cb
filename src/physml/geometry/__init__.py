"""Data geometry: know the data before training anything.

* Intrinsic dimension (:class:`CorrelationDimension`, :class:`LevinaBickel`, :class:`TwoNN`,
  :func:`local_dimension`) with k-d trees in O(N) memory and subsampling uncertainties.
* Covariance spectra and their power laws (:class:`CovarianceSpectrum`), with the
  Marchenko-Pastur spectrum of white noise as the null (:func:`marchenko_pastur_quantiles`).
* Multiscale local PCA (:class:`MultiscaleLocalPCA`): noise level, tangent dimension,
  curvature and crossover scales, and whether the data resolve curvature from noise.
* Metrics from calibration covariances (:func:`whitening_map`, :func:`mahalanobis_distance`,
  :class:`CovarianceField`).
* Manifold learning through scikit-learn with diagnostics (:func:`embed`,
  :func:`embedding_diagnostics`).

Importing this package loads numpy only; scipy, scikit-learn and matplotlib are imported
by the functions that use them. See ``docs/geometry.md``.
"""

from physml.geometry._dimension import (
    CorrelationDimension,
    LevinaBickel,
    TwoNN,
    correlation_sum,
    local_dimension,
)
from physml.geometry._local_pca import MultiscaleLocalPCA, local_singular_values, sphere_curvature_constant
from physml.geometry._manifold import (
    EMBEDDINGS,
    EmbeddingDiagnostics,
    embed,
    embedding_diagnostics,
    neighbor_preservation,
)
from physml.geometry._metric import CovarianceField, local_covariances, mahalanobis_distance, whitening_map
from physml.geometry._spectrum import CovarianceSpectrum, covariance_spectrum, marchenko_pastur_quantiles

__all__ = [
    "EMBEDDINGS",
    "CorrelationDimension",
    "CovarianceField",
    "CovarianceSpectrum",
    "EmbeddingDiagnostics",
    "LevinaBickel",
    "MultiscaleLocalPCA",
    "TwoNN",
    "correlation_sum",
    "covariance_spectrum",
    "embed",
    "embedding_diagnostics",
    "local_covariances",
    "local_dimension",
    "local_singular_values",
    "mahalanobis_distance",
    "marchenko_pastur_quantiles",
    "neighbor_preservation",
    "sphere_curvature_constant",
    "whitening_map",
]
