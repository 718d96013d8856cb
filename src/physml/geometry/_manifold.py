"""Manifold learning through scikit-learn (PCA, Isomap, LLE), with geometry diagnostics.

The embeddings are scikit-learn's; physml adds the checks a physicist wants before trusting
one: the intrinsic dimension of the data and of the embedding, and how many of each point's
nearest neighbours survive the map (k-d trees, O(N k) memory).

Isomap and LLE in scikit-learn build dense N x N matrices (geodesic distances, eigenproblems):
:func:`embed` refuses more than ``max_samples`` points rather than exhausting memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial import cKDTree

from physml._core import check_choice, check_int
from physml.geometry._common import check_points
from physml.geometry._dimension import LevinaBickel

__all__ = ["EMBEDDINGS", "EmbeddingDiagnostics", "embed", "embedding_diagnostics", "neighbor_preservation"]

#: Methods accepted by :func:`embed`.
EMBEDDINGS = ("pca", "isomap", "lle")


def embed(
    x: Any,
    n_components: int = 2,
    *,
    method: str = "pca",
    n_neighbors: int = 10,
    max_samples: int = 5000,
    seed: int = 0,
) -> np.ndarray:
    """Embed ``x`` in ``n_components`` dimensions with scikit-learn.

    Parameters
    ----------
    x : array_like, shape (n_samples, n_features)
    n_components : int
        Target dimension, 1 <= n_components <= n_features.
    method : {"pca", "isomap", "lle"}
        :class:`sklearn.decomposition.PCA`, :class:`sklearn.manifold.Isomap` or
        :class:`sklearn.manifold.LocallyLinearEmbedding` (standard LLE).
    n_neighbors : int
        Neighbourhood size of Isomap and LLE.
    max_samples : int
        Isomap and LLE need O(n_samples**2) memory in scikit-learn; larger inputs are refused
        (subsample first). PCA has no limit.
    seed : int
        For the randomised parts of the solvers.

    Returns
    -------
    numpy.ndarray, shape (n_samples, n_components)
    """
    method = check_choice(method, "method", EMBEDDINGS)
    x = check_points(x, "x", min_samples=2, what="embed")
    n, dim = x.shape
    k = check_int(n_components, "n_components", low=1, high=dim)
    seed = check_int(seed, "seed", low=0)
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(n_components=k, random_state=seed).fit_transform(x)
    nn = check_int(n_neighbors, "n_neighbors", low=2)
    if nn >= n:
        raise ValueError(f"n_neighbors must be smaller than the {n} points, got {nn}")
    limit = check_int(max_samples, "max_samples", low=2)
    if n > limit:
        raise ValueError(
            f"{method} in scikit-learn needs O(n**2) memory; got {n} points > max_samples={limit}. "
            "Subsample the data or raise max_samples"
        )
    if method == "isomap":
        from sklearn.manifold import Isomap

        return Isomap(n_neighbors=nn, n_components=k).fit_transform(x)
    from sklearn.manifold import LocallyLinearEmbedding

    return LocallyLinearEmbedding(n_neighbors=nn, n_components=k, random_state=seed).fit_transform(x)


def neighbor_preservation(x: Any, y: Any, n_neighbors: int = 10) -> np.ndarray:
    """Fraction of each point's ``n_neighbors`` nearest neighbours in ``x`` that are also among
    its nearest neighbours in the embedding ``y`` (1 = the neighbourhood survived).

    A random map scores about ``n_neighbors / n_samples``.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)
    """
    x = check_points(x, "x", min_samples=2, what="neighbor_preservation")
    y = check_points(y, "y", min_samples=2, what="neighbor_preservation")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"x and y must have the same number of rows, got {x.shape[0]} and {y.shape[0]}")
    k = check_int(n_neighbors, "n_neighbors", low=1, high=x.shape[0] - 1)
    _, ix = cKDTree(x).query(x, k=k + 1)
    _, iy = cKDTree(y).query(y, k=k + 1)
    ix, iy = np.sort(ix[:, 1:], axis=1), np.sort(iy[:, 1:], axis=1)
    return np.array([np.intersect1d(a, b, assume_unique=True).size for a, b in zip(ix, iy, strict=True)]) / k


@dataclass(frozen=True)
class EmbeddingDiagnostics:
    """What :func:`embedding_diagnostics` measured.

    Attributes
    ----------
    data_dimension, data_dimension_err : float
        Levina-Bickel dimension of the input.
    embedding_dimension, embedding_dimension_err : float
        Levina-Bickel dimension of the embedding.
    neighbor_preservation : float
        Mean of :func:`neighbor_preservation`.
    n_neighbors : int
    """

    data_dimension: float
    data_dimension_err: float
    embedding_dimension: float
    embedding_dimension_err: float
    neighbor_preservation: float
    n_neighbors: int


def embedding_diagnostics(x: Any, y: Any, n_neighbors: int = 10, *, seed: int = 0) -> EmbeddingDiagnostics:
    """Intrinsic dimension before and after an embedding, and neighbourhood preservation.

    An embedding that keeps the manifold has the same dimension as the data (when
    ``n_components`` is at least that) and a preservation near 1; tearing or folding shows
    as lost neighbours.
    """
    x = check_points(x, "x", min_samples=22, what="embedding_diagnostics")
    y = check_points(y, "y", min_samples=22, what="embedding_diagnostics")
    before = LevinaBickel(seed=seed).fit(x)
    after = LevinaBickel(seed=seed).fit(y)
    keep = float(np.mean(neighbor_preservation(x, y, n_neighbors)))
    return EmbeddingDiagnostics(
        data_dimension=before.dimension_,
        data_dimension_err=before.dimension_err_,
        embedding_dimension=after.dimension_,
        embedding_dimension_err=after.dimension_err_,
        neighbor_preservation=keep,
        n_neighbors=int(n_neighbors),
    )
