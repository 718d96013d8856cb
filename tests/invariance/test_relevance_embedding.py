"""Dimensions before and after quotienting, learning curves, the invariant embedding."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from physml.invariance import (
    InvariantEmbedding,
    LearningCurve,
    invariant_features,
    learning_curve,
    orbit_variance,
    quotient_dimensions,
    random_point_sets,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_triangle_dimensions_fall_6_4_3_2():
    x = random_point_sets(3000, seed=0)
    stages = [None, "translation", "translation+rotation", "similarity"]
    dims = quotient_dimensions(x, stages, estimator="mle")
    for q, expected in zip(dims, (6, 4, 3, 2), strict=True):
        # 5 standard errors plus the estimator's known small-sample bias (< 3%)
        assert abs(q.dimension - expected) <= 5 * q.dimension_err + 0.03 * expected, q
    assert [q.group_dimension for q in dims] == [0, 2, 3, 4]


def test_quotient_dimensions_rejects_bad_input():
    with pytest.raises(ValueError, match="estimator"):
        quotient_dimensions(random_point_sets(50), [None], estimator="pca")
    with pytest.raises(ValueError, match="non-empty sequence"):
        quotient_dimensions(random_point_sets(50), "rotation")


def test_orbit_variance_is_zero_for_invariants_and_order_one_for_raw_coordinates():
    x = random_point_sets(300, seed=1)
    inv = orbit_variance(lambda p: invariant_features(p, "similarity"), x, "similarity", seed=0)
    assert inv.ratio < 1e-20 and inv.across > 0
    raw = orbit_variance(lambda p: p.reshape(len(p), -1), x, "rotation", seed=0)
    # Haar rotations: the orbit mean of each coordinate is 0 and the variance along an orbit is
    # E|x|² = 6 for three standard normal points in the plane: within ≈ 6, across ≈ 6/16
    assert abs(raw.within - 6.0) < 5 * np.sqrt(2 * 6 / 300) and raw.ratio > 5 and raw.ratio_err > 0


def test_learning_curve_and_samples_to_reach():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 1))
    y = (x[:, 0] > 0).astype(int)
    curve = learning_curve(lambda s: KNeighborsClassifier(1), x[:400], y[:400], x[400:], y[400:],
                           [4, 16, 64, 256], n_repeats=4)
    assert curve.accuracy.shape == (4, 4) and curve.mean[-1] > 0.95
    n, err = curve.samples_to_reach(0.9)
    assert 4 <= n <= 256 and err >= 0
    manual = LearningCurve(np.array([10, 100]), np.array([[0.5, 0.5], [0.9, 0.9]]), 100)
    assert manual.samples_to_reach(0.7)[0] == pytest.approx(np.sqrt(1000.0))
    assert manual.samples_to_reach(0.95)[0] == np.inf


def test_invariant_embedding_learns_rotation_invariance():
    x = random_point_sets(300, seed=2)
    emb = InvariantEmbedding("rotation", n_components=3, hidden=(32, 32), steps=150, seed=0).fit(x)
    test = random_point_sets(300, seed=3)
    trained = orbit_variance(emb.transform, test, "rotation", seed=1)
    untrained = orbit_variance(
        InvariantEmbedding("rotation", n_components=3, hidden=(32, 32), steps=1, seed=0).fit(x).transform,
        test, "rotation", seed=1)
    assert trained.ratio < 0.1 < untrained.ratio
    assert emb.transform(test).shape == (300, 3)
    assert emb.negative_distance_ > 3 * emb.positive_distance_


def test_invariant_embedding_validates():
    with pytest.raises(NotFittedError):
        InvariantEmbedding().transform(random_point_sets(3))
    with pytest.raises(ValueError, match="unknown group"):
        InvariantEmbedding("lorentz", steps=1).fit(random_point_sets(5))
    emb = InvariantEmbedding("rotation", steps=1).fit(random_point_sets(5))
    with pytest.raises(ValueError, match="fitted on"):
        emb.transform(random_point_sets(5, n_points=4))


def test_invariant_embedding_saves_and_loads_with_its_group_and_pool(tmp_path):
    from sklearn.base import clone

    from physml.invariance import Group

    x = random_point_sets(40, seed=4)
    group = Group("rotation+scaling", 2, scale_range=1.5)
    emb = InvariantEmbedding(group, n_components=2, hidden=(8,), steps=5, batch_size=8, n_group_elements=7,
                             seed=3).fit(x)
    emb.save(tmp_path / "e.npz")
    back = InvariantEmbedding.load(tmp_path / "e.npz")
    assert repr(back.get_params()) == repr(emb.get_params())
    assert back.group.scale_range == 1.5 and back.group_.names == emb.group_.names
    np.testing.assert_array_equal(back.transform(x), emb.transform(x))
    np.testing.assert_array_equal(back.elements_.orthogonal, emb.elements_.orthogonal)
    np.testing.assert_array_equal(back.elements_.scale, emb.elements_.scale)
    assert back.elements_.translation is None and back.elements_.permutation is None
    np.testing.assert_array_equal(back.loss_curve_, emb.loss_curve_)
    assert repr(clone(emb).get_params()["group"]) == repr(group)
    assert not hasattr(emb, "score")
