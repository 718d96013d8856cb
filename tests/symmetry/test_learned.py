"""The default learned classifier: training pictures under random groups, symmetry profiles, the
profile classifier and its combination with the direct call in the verdict."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone

from physml.symmetry import (
    COMBINED_COUNTS,
    COMBINED_PRECISION,
    FINE_CLASSES,
    LEARNED_OVERRULES,
    ORDERS,
    PROFILE_LENGTH,
    LearnedCall,
    SymmetryProfileClassifier,
    class_name,
    combine_calls,
    fine_direct_class,
    group_picture,
    group_pictures,
    heldout_picture,
    learned_call,
    load_symmetry_classifier,
    parse_class_name,
    symmetry_profile,
    symmetry_profiles,
    symmetry_verdict,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


# -- training pictures -------------------------------------------------------------------------
def test_group_pictures_are_seeded_two_colour_and_labelled_by_their_group():
    for label in FINE_CLASSES:
        a = group_picture(label, 48, seed=3)
        b = group_picture(label, 48, seed=3)
        assert a.image.shape == (48, 48) and a.image.dtype == np.uint8 and set(np.unique(a.image)) == {0, 1}
        np.testing.assert_array_equal(a.image, b.image)
        assert not np.array_equal(a.image, group_picture(label, 48, seed=4).image)
        assert a.label == label and (a.order is not None) == (label in ("D_n", "Z_n", "D_1"))
    assert group_picture("Z_n", 48, order=5, seed=0).order == 5
    pics = group_pictures(7, 32, seed=1, classes=("D_n", "none"))
    assert [p.label for p in pics] == ["D_n"] * 7 + ["none"] * 7
    assert [p.order for p in pics[:7]] == list(ORDERS)  # every order once per 7 pictures
    with pytest.raises(ValueError, match="label"):
        group_picture("D_4", 32)
    with pytest.raises(ValueError, match="order"):
        group_picture("T", 32, order=3)


def test_an_unbroken_rotation_group_is_exact_on_the_grid():
    """Without the offset and the noise a Z_4 / D_4 picture is mapped onto itself by a 90° turn
    up to pixels whose supersampled ink sits at Otsu's cut (rounding of cos 90° ≈ 6e-17)."""
    import physml.symmetry._procedural as proc

    rng = np.random.default_rng(0)
    n = 48 * 3
    c = (n - 1) / 2.0
    i, j = np.mgrid[0:n, 0:n].astype(float)
    x, y = (j - c) / (n / 2), (c - i) / (n / 2)
    for axis in (None, 0.3):
        motif = proc._motif(rng, 3, 0.8, 0.3, 0.05)
        ink = proc._point_group(motif, x, y, 4, axis)
        assert np.mean(ink != np.rot90(ink)) < 1e-3 and ink.any() and not ink.all()


# -- profiles ----------------------------------------------------------------------------------
@pytest.mark.parametrize("family", ["polygon", "glyph", "frieze"])
def test_profile_is_unchanged_by_turning_or_mirroring_the_picture_on_the_grid(family):
    a = heldout_picture(family, 48, seed=3).image
    p = symmetry_profile(a)
    assert p.shape == (PROFILE_LENGTH,) and p.dtype == np.float32 and np.all(np.isfinite(p))
    for op in (np.rot90, np.fliplr, np.transpose):
        np.testing.assert_allclose(symmetry_profile(np.ascontiguousarray(op(a))), p, atol=1e-6)


def test_profile_of_a_square_holds_its_group():
    square = np.zeros((48, 48), np.uint8)
    square[12:36, 12:36] = 1
    p = symmetry_profile(square)
    rotation, orders = p[:36], p[36:44]
    assert rotation[17] == 1.0 and rotation[35] == 1.0  # 90° and 180°: exact
    assert orders[0] == 1.0 and orders[2] == 1.0 and orders[6] < 0.95  # orders 2 and 4 hold, 8 does not
    assert p[44] == 1.0 and p[63] == 1.0  # the best mirror is exact
    assert symmetry_profiles(np.stack([square, square])).shape == (2, PROFILE_LENGTH)
    with pytest.raises(ValueError, match="one colour"):
        symmetry_profile(np.zeros((32, 32), np.uint8))


# -- class names -------------------------------------------------------------------------------
def test_class_names_round_trip():
    for name, parsed in {"D_4": ("D_n", 4), "Z_2": ("Z_n", 2), "D_1": ("D_1", 1), "O(2)": ("O(2)", None),
                         "T^2": ("T^2", None), "none": ("none", None), "D_n": ("D_n", None)}.items():
        assert parse_class_name(name) == parsed
        if parsed[1] is not None:
            assert class_name(*parsed) == name
    with pytest.raises(ValueError, match="class name"):
        parse_class_name("Q_3")


# -- the classifier ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small():
    """A small classifier (12 pictures per class at 32 px, 2 members) and fresh test pictures."""
    import torch

    torch.set_num_threads(1)
    train = group_pictures(12, 32, seed=11)
    clf = SymmetryProfileClassifier(size=32, n_members=2, epochs=60, seed=2)
    clf.fit(np.stack([p.image for p in train]), [class_name(p.label, p.order) for p in train])
    return clf


@pytest.mark.slow
def test_probabilities_are_calibrated_distributions_and_the_file_round_trips(small, tmp_path):
    pics = group_pictures(2, 32, seed=12)
    images = np.stack([p.image for p in pics])
    p, sd = small.predict_proba(images, return_std=True)
    assert p.shape == (14, 7) and np.allclose(p.sum(axis=1), 1.0) and np.all(sd >= 0)
    assert small.predict_order_proba(images).shape == (14, len(ORDERS))
    assert 0.05 <= small.temperature_ <= 20 and small.calibration_["n"] == 14  # floor(0.2 × 12) per class
    names, probs = small.predict_names(images)
    assert all(parse_class_name(n)[0] in FINE_CLASSES for n in names) and np.all((probs > 0) & (probs <= 1))
    path = small.save(tmp_path / "clf.npz")
    again = load_symmetry_classifier(path)
    assert isinstance(again, SymmetryProfileClassifier) and again.temperature_ == small.temperature_
    np.testing.assert_array_equal(again.predict_proba(images), p)
    call = learned_call(small, images[0])
    assert call.name == names[0] and call.probability == pytest.approx(probs[0])
    assert set(call.probabilities) == set(FINE_CLASSES) and set(call.order_probabilities) == set(ORDERS)
    assert clone(small).get_params() == small.get_params()


@pytest.mark.slow
def test_bad_labels_and_pictures_are_refused_in_one_line(small):
    clf = SymmetryProfileClassifier(size=32, n_members=1, epochs=1)
    x = np.stack([group_picture("O(2)", 32, seed=s).image for s in range(4)])
    with pytest.raises(ValueError, match="D_9"):
        clf.fit(x, ["D_9", "O(2)", "none", "none"])
    with pytest.raises(ValueError, match="Q"):
        clf.fit(x, ["Q", "O(2)", "none", "none"])
    with pytest.raises(ValueError, match=r"square pictures"):
        small.predict_proba(np.zeros((1, 16, 20)))
    with pytest.raises(ValueError, match="two colours 0 and 1"):
        small.predict_proba(np.tile([0.0, 2.0], (1, 32, 16)))
    with pytest.raises(ValueError, match="one colour"):
        small.predict_proba(np.full((1, 32, 32), 0.5))


# -- the verdict -------------------------------------------------------------------------------
def _call(name: str, p: float) -> LearnedCall:
    probs = dict.fromkeys(FINE_CLASSES, (1 - p) / 6)
    probs[parse_class_name(name)[0]] = p
    return LearnedCall(name, p, probs, dict.fromkeys(FINE_CLASSES, 0.0), dict.fromkeys(ORDERS, 1 / 7))


def test_agreement_raises_the_confidence_and_a_probable_learned_call_overrules():
    for k, (right, called) in COMBINED_COUNTS.items():
        assert COMBINED_PRECISION[k] == (right + 1) / (called + 2)
    square = np.zeros((64, 64), np.uint8)
    square[16:48, 16:48] = 1
    direct = fine_direct_class(square)
    assert direct.name == "D_4"
    v = symmetry_verdict(square, _call("D_4", 0.9))
    assert (v.name, v.confidence, v.source, v.learned_agrees) == ("D_4", COMBINED_PRECISION["agree:D_n"],
                                                                    "agreement", True)
    assert v.confidence > max(COMBINED_PRECISION["learned"], COMBINED_PRECISION["direct"])
    v = symmetry_verdict(square, _call("Z_4", LEARNED_OVERRULES))
    assert (v.name, v.confidence, v.source) == ("Z_4", COMBINED_PRECISION["learned"], "learned")
    d = v.to_dict()
    assert (d["class"], d["fine_class"], d["order"], d["coarse_class"], d["direct_call"]) == (
        "Z_4", "Z_n", 4, "Z_n", "D_4")
    v = symmetry_verdict(square, _call("Z_4", LEARNED_OVERRULES - 0.01))
    assert (v.name, v.source, v.learned_agrees) == ("D_4", "direct over learned", False)
    assert combine_calls("D_4", "none", 0.99) == ("none", "learned")
    assert combine_calls("D_4", "D_4", 0.2) == ("D_4", "agree:D_n")
    assert combine_calls("T", "D_4", 0.5) == ("T", "direct")


# -- prediction without torch ------------------------------------------------------------------
def _quick_classifier() -> tuple[SymmetryProfileClassifier, np.ndarray]:
    """A classifier trained for one epoch on random profile features (the weights need not be
    good, only real), and fresh features to predict."""
    rng = np.random.default_rng(5)
    features = rng.normal(size=(70, PROFILE_LENGTH)).astype(np.float32)
    labels = [FINE_CLASSES[i % len(FINE_CLASSES)] for i in range(70)]
    clf = SymmetryProfileClassifier(n_members=2, hidden=(16, 8), epochs=1, seed=3)
    clf.fit_profiles(features, labels)
    return clf, rng.normal(size=(9, PROFILE_LENGTH)).astype(np.float32)


def test_numpy_forward_is_the_torch_mlp_forward_to_float32_round_off():
    import torch

    from physml.nets import MLP

    clf, features = _quick_classifier()
    z = (features - clf.mean_) / clf.scale_
    ours = clf._logits(z)
    for k, layers in enumerate(clf.members_):
        net = MLP((PROFILE_LENGTH, 16, 8, len(FINE_CLASSES) + len(ORDERS)), "relu")
        with torch.no_grad():
            for layer, (w, b) in zip(net.layers, layers, strict=True):
                layer.weight.copy_(torch.from_numpy(w))
                layer.bias.copy_(torch.from_numpy(b))
            theirs = net(torch.from_numpy(z.astype(np.float32))).numpy()
        # Each float32 forward is within the rounding bound of the exact one: per layer a sum of
        # n_in + 1 terms is off by at most gamma = (n_in + 1) eps / (1 - (n_in + 1) eps) times the
        # sum of the terms' magnitudes, and an error already present is carried by |W| (ReLU
        # does not enlarge it). Two such forwards differ by at most twice the bound.
        x = z.astype(np.float64)
        err = np.zeros_like(x)
        for j, (w, b) in enumerate(layers):
            w64, b64 = w.astype(np.float64), b.astype(np.float64)
            n = w.shape[1] + 1
            gamma = n * np.finfo(np.float32).eps / (1 - n * np.finfo(np.float32).eps)
            err = err @ np.abs(w64).T + gamma * (np.abs(x) @ np.abs(w64).T + np.abs(b64))
            x = x @ w64.T + b64
            if j < len(layers) - 1:
                x = np.maximum(x, 0)
        assert np.all(np.abs(ours[:, k] - theirs) <= 2 * err)
        assert np.all(np.abs(ours[:, k] - x) <= err)
        assert not np.array_equal(ours[:, k], ours[:, 1 - k])  # the members differ: a real comparison


def test_a_classifier_read_from_a_file_predicts_without_importing_torch(tmp_path):
    import subprocess
    import sys

    clf, features = _quick_classifier()
    path = clf.save(tmp_path / "clf.npz")
    np.save(tmp_path / "features.npy", features)
    script = (
        "import sys, numpy as np\n"
        "from physml.symmetry import load_symmetry_classifier, classifier_cache_key, symmetry_score\n"
        f"clf = load_symmetry_classifier({str(path)!r})\n"
        f"p = clf.predict_proba(None, features=np.load({str(tmp_path / 'features.npy')!r}))\n"
        f"np.save({str(tmp_path / 'p.npy')!r}, p)\n"
        "classifier_cache_key(clf, 10, 0)\n"
        "symmetry_score(np.kron(np.eye(2), np.ones((16, 16))), clf)\n"
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    np.testing.assert_array_equal(np.load(tmp_path / "p.npy"), clf.predict_proba(None, features=features))
