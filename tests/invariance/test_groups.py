"""Groups acting on point sets: exact invariances, canonical forms, Haar rotations, bad input."""

import numpy as np
import pytest
from scipy import stats

from physml.invariance import (
    GROUP_NAMES,
    DegenerateTriangleError,
    Group,
    haar_rotations,
    invariant_features,
    is_obtuse,
    random_point_sets,
    triangle_angles,
    triangle_side_ratios,
    triangle_sides,
)

GROUPS = ["translation", "rotation", "scaling", "reflection", "permutation", "similarity",
          "rotation+reflection", "translation+rotation+scaling+reflection+permutation",
          "rotation+permutation", "reflection+permutation", "translation+scaling"]
EPS = 1e-12  # machine precision times the O(1) sizes of the point sets


@pytest.mark.parametrize("names", GROUPS)
@pytest.mark.parametrize("dim", [2, 3])
def test_canonical_form_is_idempotent_and_constant_on_orbits(names, dim):
    g = Group(names, dim)
    x = random_point_sets(50, n_points=4, dim=dim, seed=1)
    c = g.canonicalize(x)
    np.testing.assert_allclose(g.canonicalize(c), c, atol=EPS)
    for s in range(3):
        np.testing.assert_allclose(g.canonicalize(g.transform(x, seed=s)), c, atol=EPS)


@pytest.mark.parametrize("names", GROUPS)
def test_canonical_form_lies_on_the_orbit(names):
    # the representative is g·x for some g: every invariant of the full group agrees
    x = random_point_sets(30, n_points=3, dim=2, seed=2)
    g = Group(names, 2)
    np.testing.assert_allclose(invariant_features(g.canonicalize(x), g), invariant_features(x, g), atol=EPS)


@pytest.mark.parametrize("names", GROUPS)
def test_invariant_features_are_exactly_invariant(names):
    x = random_point_sets(40, n_points=3, dim=2, seed=3)
    g = Group(names, 2)
    f = invariant_features(x, g)
    for s in range(3):
        np.testing.assert_allclose(invariant_features(g.transform(x, seed=s), g), f, atol=EPS)


def test_invariant_features_separate_orbits_of_other_groups():
    # rotation invariants change under translation: the features are not trivially constant
    x = random_point_sets(20, seed=4)
    moved = Group("translation").transform(x, seed=0)
    assert np.abs(invariant_features(moved, "rotation") - invariant_features(x, "rotation")).max() > 0.1


def test_vectors_are_one_point_sets():
    v = np.random.default_rng(0).normal(size=(10, 3))
    g = Group("rotation+scaling", 3)
    out = g.transform(v, seed=1)
    assert out.shape == v.shape
    np.testing.assert_allclose(np.linalg.norm(g.canonicalize(out), axis=1), 1.0, atol=EPS)


def test_haar_rotation_angle_is_uniform_in_two_dimensions():
    r = haar_rotations(4000, 2, seed=7)
    np.testing.assert_allclose(r @ np.swapaxes(r, 1, 2), np.tile(np.eye(2), (4000, 1, 1)), atol=EPS)
    assert np.allclose(np.linalg.det(r), 1.0)
    theta = np.arctan2(r[:, 1, 0], r[:, 0, 0])
    assert stats.kstest(theta, stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > 0.01


def test_haar_rotations_in_three_dimensions():
    r = haar_rotations(4000, 3, seed=8)
    assert np.allclose(np.linalg.det(r), 1.0)
    # Haar on SO(3): the rotation angle ω has density (1 - cos ω)/π on [0, π]
    omega = np.arccos(np.clip((np.trace(r, axis1=1, axis2=2) - 1) / 2, -1, 1))
    cdf = lambda w: (w - np.sin(w)) / np.pi  # noqa: E731
    assert stats.kstest(omega, cdf).pvalue > 0.01
    # a rotated fixed vector is uniform on the sphere: each coordinate is U(-1, 1)
    z = (r @ np.array([0.0, 0.0, 1.0]))[:, 0]
    assert stats.kstest(z, stats.uniform(-1, 2).cdf).pvalue > 0.01


def test_group_dimension_and_orbits():
    assert Group("similarity", 2).dimension == 4
    assert Group("translation+rotation", 3).dimension == 6
    x = random_point_sets(1, seed=0)[0]
    orb = Group("rotation").orbit(x, 100, seed=0)
    np.testing.assert_allclose(np.linalg.norm(orb, axis=2), np.tile(np.linalg.norm(x, axis=1), (100, 1)))
    assert Group("rotation").orbits(random_point_sets(5, seed=1), 7).shape == (5, 7, 3, 2)


def test_triangle_invariants():
    right = np.array([[[0.0, 0.0], [3.0, 0.0], [0.0, 4.0]]])
    np.testing.assert_allclose(triangle_sides(right), [[5.0, 4.0, 3.0]])
    np.testing.assert_allclose(triangle_angles(right)[0, 0], np.pi / 2)
    np.testing.assert_allclose(triangle_side_ratios(right), [[5 / 12, 4 / 12, 3 / 12]])
    equilateral = np.array([[[0.0, 0.0], [1.0, 0.0], [0.5, np.sqrt(3) / 2]]])
    np.testing.assert_allclose(triangle_angles(equilateral), np.full((1, 3), np.pi / 3))
    x = random_point_sets(200, seed=5)
    a = triangle_angles(x)
    np.testing.assert_allclose(a.sum(axis=1), np.pi, atol=EPS)
    sim = Group("similarity+reflection")
    np.testing.assert_allclose(triangle_angles(sim.transform(x, seed=1)), a, atol=1e-10)
    ratios = triangle_side_ratios(x)
    np.testing.assert_allclose(triangle_side_ratios(sim.transform(x, seed=2)), ratios, atol=EPS)
    np.testing.assert_array_equal(is_obtuse(x), a.max(axis=1) > np.pi / 2)


def test_degenerate_triangles_raise():
    collinear = np.array([[[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]])
    for fn in (triangle_angles, triangle_side_ratios, is_obtuse):
        with pytest.raises(DegenerateTriangleError, match="collinear"):
            fn(collinear)
    with pytest.raises(DegenerateTriangleError):
        triangle_angles(np.zeros((1, 3, 2)))
    with pytest.raises(ValueError, match="triangles"):
        triangle_angles(np.zeros((1, 4, 2)))


@pytest.mark.parametrize("bad", ["rotations+shear", "lorentz", "", "translation+"])
def test_unknown_group_names_raise(bad):
    with pytest.raises(ValueError, match="accepted"):
        Group(bad)


def test_group_names_are_accepted_in_any_order_and_plural():
    assert Group("scalings+translation").names == ("scaling", "translation")
    assert set(Group("+".join(GROUP_NAMES)).names) == set(GROUP_NAMES)


def test_non_numeric_and_wrong_shapes_raise():
    with pytest.raises(TypeError, match="x must be convertible"):
        Group("rotation").canonicalize([["a", "b"]])
    with pytest.raises(ValueError, match="non-finite"):
        Group("rotation").canonicalize([[np.nan, 1.0]])
    with pytest.raises(ValueError, match="dimension 3"):
        Group("rotation", 2).canonicalize(np.zeros((2, 3, 3)))
