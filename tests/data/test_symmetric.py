"""Templates with known symmetry: exact under their grid-compatible operations, breaking = 0 exact."""

import numpy as np
import pytest

from physml.data import SYMMETRY_CLASSES, pixel_grid, symmetric_template, symmetric_templates, symmetry_sketch

MIRRORS = {90.0: np.fliplr, 0.0: np.flipud, 45.0: lambda a: np.rot90(a, 2).T, 135.0: np.transpose}


def test_pixel_grid_is_exactly_antisymmetric():
    X, Y = pixel_grid(9)
    assert np.array_equal(X, -X[:, ::-1]) and np.array_equal(Y, -Y[::-1]) and np.array_equal(np.rot90(X), Y)


@pytest.mark.parametrize("seed", range(5))
def test_templates_are_exactly_symmetric_under_grid_operations(seed):
    t = symmetric_template("O(2)", 32, seed=seed)
    for op in (np.rot90, np.fliplr, np.flipud, np.transpose):
        assert np.array_equal(t.image, op(t.image))
    t = symmetric_template("Z_n", 32, order=4, seed=seed)
    assert np.array_equal(t.image, np.rot90(t.image))
    t = symmetric_template("Z_n", 33, order=6, seed=seed)
    assert np.array_equal(t.image, np.rot90(t.image, 2))
    t = symmetric_template("Z_2", 32, seed=seed)
    assert np.array_equal(t.image, MIRRORS[t.symmetries["reflection_axes"][0]](t.image))
    t = symmetric_template("T_n", 32, seed=seed)
    for axis in t.symmetries["translation_axes"]:
        im = t.image if axis == "x" else t.image.T
        assert np.array_equal(im[:, t.order :], im[:, : -t.order])


def test_breaking_zero_is_the_template_and_positive_breaking_changes_it():
    a = symmetric_template("Z_2", 32, seed=3)
    b = symmetric_template("Z_2", 32, breaking=0.0, seed=3)
    c = symmetric_template("Z_2", 32, breaking=1.0, seed=3)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.potential, b.potential)
    assert not np.array_equal(a.image, c.image)
    assert not np.array_equal(c.image, MIRRORS[c.symmetries["reflection_axes"][0]](c.image))


def test_templates_have_two_colours_and_labels_in_class_order():
    images, labels, templates = symmetric_templates(3, 24, seed=1)
    assert images.shape == (15, 24, 24) and images.dtype == np.uint8
    assert [t.label for t in templates] == [c for c in SYMMETRY_CLASSES for _ in range(3)]
    assert np.array_equal(labels, np.repeat(np.arange(5), 3))
    assert all(0 < im.mean() < 1 for im in images)
    again, _, _ = symmetric_templates(3, 24, seed=1)
    assert np.array_equal(images, again)


def test_sketches_are_line_drawings_with_their_symmetry():
    assert np.array_equal(symmetry_sketch("rings", 48), np.rot90(symmetry_sketch("rings", 48)))
    heart = symmetry_sketch("heart", 48)
    assert np.array_equal(heart, np.fliplr(heart)) and 0 < heart.mean() < 0.3


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [(dict(label="Z_7"), ValueError, "label must be one of"),
     (dict(label="O(2)", size=4), ValueError, "size"),
     (dict(label="O(2)", order=3), ValueError, "order is only accepted"),
     (dict(label="Z_n", order=1), ValueError, "order"),
     (dict(label="T_n", breaking=-0.1), ValueError, "breaking"),
     (dict(label="none", level=1.0), ValueError, "level")],
)
def test_template_arguments_are_validated(kwargs, error, match):
    with pytest.raises(error, match=match):
        symmetric_template(**kwargs)
