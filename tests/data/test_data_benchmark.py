"""The Hein-Audibert/Campadelli benchmark manifolds."""

import numpy as np
import pytest

from physml.data import BENCHMARK_MANIFOLDS, benchmark_manifold


@pytest.mark.parametrize("name", list(BENCHMARK_MANIFOLDS))
def test_shapes_rank_and_reproducibility(name):
    d, dim, _ = BENCHMARK_MANIFOLDS[name]
    x = benchmark_manifold(name, 300, seed=1)
    assert x.shape == (300, dim) and x.dtype == np.float64 and np.all(np.isfinite(x))
    np.testing.assert_array_equal(x, benchmark_manifold(name, 300, seed=1))
    assert not np.array_equal(x, benchmark_manifold(name, 300, seed=2))
    # a d-manifold's tangent space has rank d: the local differences of nearby points span <= D dims
    assert np.linalg.matrix_rank(x - x.mean(0), tol=1e-9) >= min(d, dim)


def test_known_geometry():
    s = benchmark_manifold("M1_Sphere", 500, seed=0)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), 1.0)  # the unit 10-sphere, zero-padded
    assert np.all(s[:, 11:] == 0)
    affine = benchmark_manifold("M9_Affine", 500, seed=0)
    assert np.linalg.matrix_rank(affine) == 20 and np.all(np.abs(affine) <= 2.5)
    cube = benchmark_manifold("M10a_Cubic", 500, seed=0)
    on_face = np.any((cube[:, :11] == 0) | (cube[:, :11] == 1), axis=1)
    assert np.all(on_face)
    noisy = benchmark_manifold("M1_Sphere", 500, noise=0.1, seed=0)
    assert np.std(np.linalg.norm(noisy, axis=1)) > 0.05


def test_bad_arguments():
    with pytest.raises(ValueError, match="name must be one of"):
        benchmark_manifold("M0", 10)
    with pytest.raises(ValueError, match="n_samples"):
        benchmark_manifold("M7_Roll", 0)
