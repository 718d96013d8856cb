"""The direct invariance measure against exact facts."""

import numpy as np
import pytest

from physml.data import symmetric_template, symmetry_sketch
from physml.symmetry import (
    binarize,
    direct_class,
    invariance_measures,
    reflection_invariance,
    rotation_invariance,
    translation_invariance,
)


@pytest.mark.parametrize("seed", range(4))
def test_exactly_one_for_exact_symmetries_under_their_own_operations(seed):
    o2 = symmetric_template("O(2)", 32, seed=seed).image
    rot = rotation_invariance(o2)
    assert rot.order_scores[2] == 1.0 and rot.order_scores[4] == 1.0
    refl = reflection_invariance(o2, n_axes=4)
    assert np.array_equal(refl.curve, np.ones(4))
    z4 = symmetric_template("Z_n", 32, order=4, seed=seed).image
    assert rotation_invariance(z4).order_scores[4] == 1.0
    z2 = symmetric_template("Z_2", 32, seed=seed)
    r = reflection_invariance(z2.image, n_axes=4)
    assert r.invariance == 1.0 and r.best_axis == z2.symmetries["reflection_axes"][0]
    tn = symmetric_template("T_n", 32, seed=seed)
    t = translation_invariance(tn.image)
    assert t.invariance == 1.0 and t.best_period == tn.order


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_detects_the_order_of_discrete_rotations(n):
    orders = [rotation_invariance(symmetric_template("Z_n", 64, order=n, seed=s).image).best_order
              for s in range(3)]
    assert orders == [n, n, n]


def _own_axis_invariance(beta, seed):
    t = symmetric_template("Z_2", 32, breaking=beta, seed=seed)
    r = reflection_invariance(t.image, n_axes=4)
    return r.curve[list(r.axes).index(t.symmetries["reflection_axes"][0])]


def test_breaking_zero_is_exact_and_the_measure_falls_with_breaking():
    betas = [0.0, 0.1, 0.3, 1.0]
    curves = np.array([[_own_axis_invariance(b, s) for b in betas] for s in range(24)])
    assert np.all(curves[:, 0] == 1.0)
    steps = np.diff(curves, axis=1)  # paired differences: same template, more breaking
    mean = steps.mean(axis=0)
    se = steps.std(axis=0, ddof=1) / np.sqrt(len(steps))
    # every step is a decrease by more than 3 standard errors of the paired mean difference
    assert np.all(mean < -3 * se), (mean, se)


def test_random_picture_scores_near_zero():
    rng = np.random.default_rng(0)
    noise = (rng.random((64, 64)) < 0.5).astype(np.uint8)
    m = invariance_measures(noise)
    # Pearson overlap of independent pixels: standard error 1/sqrt(#pixels) ~ 0.02 on the disc
    assert abs(m.rotation.continuous) < 0.05 and abs(m.translation.curve_x[5]) < 0.1
    assert direct_class(m) == "none"


def test_sketch_classes_are_recovered():
    assert direct_class(invariance_measures(symmetry_sketch("star", 64))) == "Z_n"
    assert direct_class(invariance_measures(symmetry_sketch("heart", 64))) == "Z_2"
    assert direct_class(invariance_measures(symmetry_sketch("rings", 64))) == "O(2)"
    assert direct_class(invariance_measures(symmetry_sketch("waves", 64))) == "T_n"


def test_colour_swap_leaves_the_measures_unchanged():
    im = symmetric_template("none", 32, seed=2).image
    a, b = invariance_measures(im).scores(), invariance_measures(1 - im).scores()
    assert a == pytest.approx(b, abs=1e-12)


@pytest.mark.parametrize(
    ("image", "match"),
    [(np.ones((32, 32), np.uint8), "one colour"),
     (np.zeros((0, 0)), "empty"),
     (np.eye(4, dtype=np.uint8), "at least"),
     (np.zeros((32, 20), np.uint8), "square"),
     (np.full((32, 32), 3), "one colour"),
     (np.arange(32 * 32).reshape(32, 32), "two colours")],
)
def test_bad_images_raise_clear_errors(image, match):
    with pytest.raises(ValueError, match=match):
        invariance_measures(image)


def test_binarize_dark_is_one_and_rejects_flat_images():
    grey = np.zeros((20, 20))
    grey[:, :5] = 255
    assert binarize(grey).sum() == 300
    with pytest.raises(ValueError, match="one colour"):
        binarize(np.full((20, 20, 3), 9))
