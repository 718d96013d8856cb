"""Neighbour queries and pair counts in O(N) memory: a k-d tree in low dimension, chunked
brute force above ``TREE_MAX_DIM`` features (where k-d trees degrade to all pairs, only slower)."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

__all__ = ["TREE_MAX_DIM", "NeighborIndex"]

#: Above this many features, queries use chunked brute force (scikit-learn, BLAS) instead of a k-d tree.
TREE_MAX_DIM = 16

# rows per chunk of the brute-force pair count: about 64 MiB of float64 distances
_CHUNK_BYTES = 64 * 2**20


class NeighborIndex:
    """Nearest neighbours, balls and pair counts of the points ``x``, shape (n, D)."""

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        self.tree_based = x.shape[1] <= TREE_MAX_DIM
        if self.tree_based:
            self._tree = cKDTree(x)
        else:
            from sklearn.neighbors import NearestNeighbors

            self._nn = NearestNeighbors(algorithm="brute").fit(x)
            self._sq = np.einsum("ij,ij->i", x, x)

    def knn(self, k: int) -> np.ndarray:
        """Distances of every point to its 1st..k-th nearest other point, shape (n, k)."""
        if self.tree_based:
            d, _ = self._tree.query(self.x, k=k + 1)
            return np.asarray(d[:, 1:], dtype=np.float64)
        d, _ = self._nn.kneighbors(n_neighbors=k)  # no argument: each point's own row is excluded
        return np.asarray(d, dtype=np.float64)

    def knn_indices(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Distances and indices of every point's k nearest other points, each shape (n, k)."""
        if self.tree_based:
            d, i = self._tree.query(self.x, k=k + 1)
            return np.asarray(d[:, 1:], dtype=np.float64), i[:, 1:]
        d, i = self._nn.kneighbors(n_neighbors=k)
        return np.asarray(d, dtype=np.float64), i

    def query(self, points: np.ndarray, k: int) -> np.ndarray:
        """Distances from ``points`` (m, D) to their k nearest data points, shape (m, k)."""
        if self.tree_based:
            d, _ = self._tree.query(points, k=k)
            return np.asarray(d, dtype=np.float64).reshape(len(points), k)
        d, _ = self._nn.kneighbors(points, n_neighbors=k)
        return np.asarray(d, dtype=np.float64)

    def ball(self, centre: np.ndarray, radius: float) -> np.ndarray:
        """Indices of the data points within ``radius`` of ``centre``."""
        if self.tree_based:
            return np.asarray(self._tree.query_ball_point(centre, radius), dtype=np.int64)
        return np.flatnonzero(np.linalg.norm(self.x - centre, axis=1) <= radius)

    def pair_counts(self, radii: np.ndarray) -> np.ndarray:
        """Unordered pairs ``i < j`` with ``|x_i - x_j| <= r`` for each of the increasing ``radii``."""
        n = self.x.shape[0]
        if self.tree_based:  # dual-tree counting; includes the n pairs (i, i) and both orders
            ordered = np.asarray(self._tree.count_neighbors(self._tree, radii), dtype=np.float64)
            return (ordered - n) / 2.0
        counts = np.zeros(radii.size + 1, dtype=np.int64)
        rows = max(1, _CHUNK_BYTES // (8 * n))
        x, sq = self.x, self._sq
        for start in range(0, n - 1, rows):
            stop = min(start + rows, n - 1)
            block = x[start:stop]
            # pairs (i, j) with i in the block and j > i
            d2 = sq[start:stop, None] + sq[None, start + 1 :] - 2.0 * (block @ x[start + 1 :].T)
            upper = np.arange(start + 1, n)[None, :] > np.arange(start, stop)[:, None]
            d = np.sqrt(np.clip(d2[upper], 0.0, None))
            counts += np.bincount(np.searchsorted(radii, d, side="left"), minlength=radii.size + 1)
        return np.cumsum(counts)[:-1].astype(np.float64)
