"""The decoy pipeline and the symmetry score (tiny settings, one torch thread)."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from physml.data import symmetric_templates, symmetry_sketch
from physml.symmetry import (
    SymmetryClassifier,
    decoy_pca_images,
    dihedral_augment,
    load_image,
    pca_image,
    symmetry_score,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_pca_image_of_rank_two_activations_explains_everything():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(64, 2)) @ rng.normal(size=(2, 10))
    img, explained = pca_image(a, (8, 8))
    assert img.shape == (2, 8, 8)
    assert explained.sum() == pytest.approx(1.0, abs=1e-10)
    assert img[0].std() == pytest.approx(1.0, rel=1e-5)
    assert img[0].max() >= -img[0].min()  # sign convention: largest magnitude positive


def test_decoys_reproduce_images_without_overfitting_and_are_seeded():
    images, _, _ = symmetric_templates(1, 16, seed=0)
    r = decoy_pca_images(images, hidden=(16, 16), n_decoys=2, epochs=10, seed=3)
    assert r.pca_images.shape == (5, 2, 2, 16, 16)
    # better than predicting the majority colour everywhere
    majority = np.maximum(images.mean(axis=(1, 2)), 1 - images.mean(axis=(1, 2)))
    assert np.mean(r.holdout_accuracy.mean(axis=1) > majority) >= 0.6
    assert abs(float((r.train_accuracy - r.holdout_accuracy).mean())) < 0.1
    again = decoy_pca_images(images, hidden=(16, 16), n_decoys=2, epochs=10, seed=3)
    assert np.array_equal(r.pca_images, again.pca_images)


def test_dihedral_augment_gives_the_eight_images():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    out, y = dihedral_augment(x, np.array([2]))
    assert out.shape == (8, 1, 4, 4) and list(y) == [2] * 8
    assert len({o.tobytes() for o in out}) == 8


def test_classifier_scores_carry_a_spread_and_round_trip(tmp_path):
    images, labels, _ = symmetric_templates(2, 16, seed=1)
    clf = SymmetryClassifier(size=16, hidden=(8, 8), n_decoys=2, decoy_epochs=3, cnn_epochs=2, n_cnns=2,
                             augment=False, seed=0).fit(images, labels)
    mean, sd = clf.predict_proba(images[:3], return_std=True)
    assert mean.shape == (3, 5) and np.allclose(mean.sum(axis=1), 1.0) and np.all(sd >= 0)
    np.testing.assert_array_equal(clf.predict_proba(images[:3]), mean)
    clf.save(tmp_path / "m.npz")
    back = SymmetryClassifier.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(back.predict_proba(images[:3]), mean)
    assert back.get_params() == clf.get_params()
    score = symmetry_score(symmetry_sketch("star", 32) * 255, back)
    assert set(score.probabilities) == set(clf.classes_) and score.direct in clf.classes_
    names = np.array(clf.classes_)[labels]  # the templates' labels are indices into classes
    assert clf.score(images, labels) == clf.score(images, names) == np.mean(clf.predict(images) == names)
    with pytest.raises(NotFittedError):
        SymmetryClassifier().predict_proba(images)


def test_image_files_bad_input(tmp_path):
    from PIL import Image

    good = tmp_path / "a.png"
    Image.fromarray((255 * (1 - symmetry_sketch("heart", 40))).astype(np.uint8)).save(good)
    im = load_image(good, 32)
    assert im.shape == (32, 32) and set(np.unique(im)) == {0, 1}
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "junk.jpg").write_text("not an image")
    Image.fromarray(np.full((40, 40), 200, np.uint8)).save(tmp_path / "flat.png")
    Image.fromarray((np.eye(10) * 255).astype(np.uint8)).save(tmp_path / "tiny.png")
    for name, match in [("empty.png", "empty"), ("junk.jpg", "cannot read"), ("flat.png", "one colour"),
                        ("tiny.png", "at least 16")]:
        with pytest.raises(ValueError, match=match):
            load_image(tmp_path / name, 32)
    with pytest.raises(FileNotFoundError):
        load_image(tmp_path / "missing.png")


def test_cached_classifier_trains_once_and_replaces_a_broken_file(tmp_path):
    from physml.symmetry import cached_classifier, classifier_cache_key

    clf = SymmetryClassifier(size=16, hidden=(8, 8), n_decoys=1, decoy_epochs=2, cnn_epochs=1, n_cnns=1,
                             augment=False, seed=4)
    images, _, _ = symmetric_templates(1, 16, seed=9)
    fitted, path, hit = cached_classifier(clf, 2, seed=5, cache_dir=tmp_path)
    assert not hit and path.is_file() and path.name == classifier_cache_key(clf, 2, 5)
    again, path2, hit2 = cached_classifier(clf, 2, seed=5, cache_dir=tmp_path)
    assert hit2 and path2 == path
    assert np.allclose(again.predict_proba(images)[0], fitted.predict_proba(images)[0], atol=1e-6)
    # the key changes with every setting that changes the trained weights
    assert classifier_cache_key(clf, 3, 5) != path.name and classifier_cache_key(clf, 2, 6) != path.name
    path.write_bytes(b"garbage")
    _, _, hit3 = cached_classifier(clf, 2, seed=5, cache_dir=tmp_path)
    assert not hit3 and SymmetryClassifier.load(path).get_params() == clf.get_params()


def _tiny(seed=4):
    return SymmetryClassifier(size=16, hidden=(8, 8), n_decoys=1, decoy_epochs=2, cnn_epochs=1, n_cnns=2,
                              augment=False, seed=seed)


def _write_legacy(clf, path):
    """A classifier file as physml 0.1's SymmetryClassifier.save wrote it: torch.save of the
    parameters (tuples as lists) and the CNNs' state dicts."""
    import torch

    params = {k: list(v) if isinstance(v, tuple) else v for k, v in clf.get_params().items()}
    torch.save({"params": params, "models": [m.state_dict() for m in clf.models_]}, path)


def test_a_classifier_file_of_physml_0_1_still_loads(tmp_path):
    from physml._core import ModelFileError

    images, labels, _ = symmetric_templates(1, 16, seed=2)
    clf = _tiny().fit(images, labels)
    _write_legacy(clf, tmp_path / "old.pt")
    back = SymmetryClassifier.load(tmp_path / "old.pt")
    assert back.get_params() == clf.get_params()
    np.testing.assert_array_equal(back.predict_proba(images), clf.predict_proba(images))
    back.save(tmp_path / "new.npz")  # and it saves in the model-file format
    np.testing.assert_array_equal(SymmetryClassifier.load(tmp_path / "new.npz").predict_proba(images),
                                  clf.predict_proba(images))
    import torch

    torch.save({"params": {"size": 16}}, tmp_path / "other.pt")  # a torch file of something else
    with pytest.raises(ModelFileError, match="not a SymmetryClassifier of physml 0.1") as info:
        SymmetryClassifier.load(tmp_path / "other.pt")
    assert "\n" not in str(info.value)


def test_clone_and_parameters_are_checked_in_fit():
    from sklearn.base import clone

    from physml._core import InvalidParameterError

    clf = _tiny()
    assert clone(clf).get_params() == clf.get_params()
    images, labels, _ = symmetric_templates(1, 16, seed=2)
    for bad, match in [(dict(hidden=(8, 1)), r"hidden=\(8, 1\) is not accepted"),
                       (dict(classes=("a",)), "classes=.* is not accepted"),
                       (dict(size=8), "size=8 is not accepted; accepted: an int in \\[16, inf\\)")]:
        with pytest.raises(InvalidParameterError, match=match):
            clone(clf).set_params(**bad).fit(images, labels)
    with pytest.raises(ValueError, match="two colours"):
        clf.fit(images * 0.5, labels)
    with pytest.raises(ValueError, match="non-finite"):
        clf.fit(np.where(images == 1, np.nan, 0.0), labels)


def test_a_cache_file_of_physml_0_1_is_read_and_rewritten(tmp_path):
    from physml.symmetry import _score, cached_classifier, classifier_cache_key

    clf = _tiny(seed=6)
    fitted, path, hit = cached_classifier(clf, 1, seed=3, cache_dir=tmp_path / "a")
    assert not hit and path.suffix == ".npz" and path.name == classifier_cache_key(clf, 1, 3)
    # the same classifier as physml 0.1 cached it: a torch file under the format-1 name
    old = tmp_path / "b" / _score._cache_name(clf, 1, 3, 1)
    old.parent.mkdir()
    _write_legacy(fitted, old)
    assert old.suffix == ".pt"
    again, path2, hit2 = cached_classifier(clf, 1, seed=3, cache_dir=tmp_path / "b")
    assert hit2 and path2.name == path.name and path2.is_file()  # not trained again, now in the new format
    images, _, _ = symmetric_templates(1, 16, seed=9)
    np.testing.assert_array_equal(again.predict_proba(images), fitted.predict_proba(images))
    assert SymmetryClassifier.load(path2).get_params() == clf.get_params()
