import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from physml.nets import ACTIVATIONS, MLP, MLPClassifier, count_parameters, dense, get_activation


def test_dense_reproduces_the_talks_layer():
    w = [[4, 5, 6], [3, 2, 1], [-9, -8, -7]]
    b = [12, 3, 4]
    x = [3, -2, 1]
    np.testing.assert_array_equal(dense(x, w, b, "linear"), [20, 9, -14])
    np.testing.assert_array_equal(dense(x, w, b, "relu"), [20, 9, 0])
    batch = dense([x, [0, 0, 0]], w, b, "relu")
    np.testing.assert_array_equal(batch, [[20, 9, 0], [12, 3, 4]])


def test_dense_rejects_bad_input():
    w = np.eye(3)
    with pytest.raises(ValueError, match=r"x contains 1 non-finite value\(s\).*index \(1,\)"):
        dense([1.0, np.nan, 0.0], w)
    with pytest.raises(ValueError, match="x has 2 features but weight expects 3"):
        dense([1.0, 2.0], w)
    with pytest.raises(ValueError, match=r"bias must have shape \(3\)"):
        dense([1.0, 2.0, 3.0], w, [1.0])
    with pytest.raises(ValueError, match="activation must be a callable or one of"):
        dense([1.0, 2.0, 3.0], w, activation="swish-ish")
    with pytest.raises(TypeError, match="weight must be convertible"):
        dense([1.0, 2.0, 3.0], [["a", "b", "c"]] * 3)


def test_parameter_count_of_the_talks_mnist_layer():
    assert count_parameters((784, 784)) == 615_440
    assert count_parameters((784, 784), bias=False) == 784 * 784
    assert count_parameters((3, 5, 2)) == 3 * 5 + 5 + 5 * 2 + 2
    with pytest.raises(ValueError, match="at least an input and an output"):
        count_parameters((3,))
    with pytest.raises(ValueError, match=r"widths\[1\] must be in \[1, inf\)"):
        count_parameters((3, 0))


def test_mlp_shapes_and_parameter_count():
    net = MLP((7, 16, 8, 3), "tanh")
    assert net(torch.zeros(5, 7)).shape == (5, 3)
    assert net.n_parameters == count_parameters((7, 16, 8, 3))


def test_activations_match_their_definitions():
    z = torch.linspace(-3, 3, 101, dtype=torch.float64)
    torch.testing.assert_close(ACTIVATIONS["gelu"](z), torch.nn.functional.gelu(z))
    torch.testing.assert_close(ACTIVATIONS["erf"](z), torch.erf(z))
    torch.testing.assert_close(ACTIVATIONS["linear"](z), z)
    custom = get_activation(lambda t: t**2)
    torch.testing.assert_close(custom(z), z**2)


def _blobs(n=600, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.array([[3.0, 0.0], [-3.0, 0.0], [0.0, 3.0]])
    y = rng.integers(0, 3, n)
    return centres[y] + rng.normal(size=(n, 2)), np.array(["a", "b", "c"])[y]


def test_classifier_learns_separable_blobs_and_is_reproducible():
    X, y = _blobs()
    a = MLPClassifier(hidden=(16,), epochs=20, learning_rate=0.05, seed=3).fit(X, y)
    b = MLPClassifier(hidden=(16,), epochs=20, learning_rate=0.05, seed=3).fit(X, y)
    c = MLPClassifier(hidden=(16,), epochs=20, learning_rate=0.05, seed=4).fit(X, y)
    # Bayes error of these blobs is below 0.2%; 600 test points: a 5-sigma floor is far above 0.9
    X_test, y_test = _blobs(seed=1)
    assert a.score(X_test, y_test) > 0.95
    assert list(a.classes_) == ["a", "b", "c"]
    np.testing.assert_array_equal(a.predict_proba(X_test), b.predict_proba(X_test))
    assert not np.array_equal(a.predict_proba(X_test), c.predict_proba(X_test))
    assert len(a.loss_curve_) == 20 and a.loss_curve_[-1] < a.loss_curve_[0]
    proba = a.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert clone(a).get_params()["hidden"] == (16,)


def test_classifier_input_errors():
    X, y = _blobs(50)
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match=r"X contains 1 non-finite.*\(4, 1\)"):
        MLPClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="different numbers of samples"):
        MLPClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="at least 2 classes"):
        MLPClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match=r"MLPClassifier: learning_rate=-1 is not accepted; accepted"):
        MLPClassifier(learning_rate=-1).fit(X, y)
    with pytest.raises(ValueError, match="schedule='linear' is not accepted; accepted: one of 'constant'"):
        MLPClassifier(schedule="linear").fit(X, y)
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    fitted = MLPClassifier(epochs=1).fit(X, y)
    with pytest.raises(ValueError, match="X has 3 features, but the classifier was fitted on 2"):
        fitted.predict(np.zeros((2, 3)))


def test_divergent_training_is_reported():
    X, y = _blobs(100)
    with pytest.raises(FloatingPointError, match="lower learning_rate"):
        MLPClassifier(learning_rate=1e6, momentum=0.9, epochs=5).fit(X * 1e3, y)


def test_integer_sample_weights_are_repeated_rows_in_full_batch_training():
    # full batch: the weighted loss Σ w ℓ / Σ w is the mean loss over the data with each row
    # repeated w times, so both runs take the same gradient steps (up to float32 summation order)
    X, y = _blobs(60)
    w = np.random.default_rng(1).integers(0, 4, len(X))
    w[:3] = [1, 2, 3]
    settings = dict(hidden=(8,), epochs=15, learning_rate=0.1, batch_size=10_000, seed=2)
    weighted = MLPClassifier(**settings).fit(X, y, sample_weight=w)
    repeated = MLPClassifier(**settings).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=0, atol=2e-5)
    np.testing.assert_allclose(weighted.loss_curve_, repeated.loss_curve_, rtol=2e-5)
    # unit weights are the unweighted fit; minibatches with weights run too
    ones = MLPClassifier(**settings).fit(X, y, sample_weight=np.ones(len(X)))
    plain = MLPClassifier(**settings).fit(X, y)
    np.testing.assert_allclose(ones.predict_proba(X), plain.predict_proba(X), rtol=0, atol=1e-6)
    MLPClassifier(hidden=(8,), epochs=2, batch_size=16).fit(X, y, sample_weight=w)
    for bad in (-np.ones(len(X)), np.zeros(len(X)), np.ones(len(X) - 1)):
        with pytest.raises(ValueError, match="sample_weight must hold 60 non-negative weights"):
            MLPClassifier(epochs=1).fit(X, y, sample_weight=bad)


def test_classifier_saves_loads_and_scores_with_labels(tmp_path):
    from physml._core import InvalidParameterError

    X, y = _blobs(200)
    for labels in (y, np.searchsorted(["a", "b", "c"], y).astype(np.uint8)):
        clf = MLPClassifier(hidden=(8, 4), epochs=3, seed=1).fit(X, labels, eval_set=(X, labels))
        clf.save(tmp_path / "c.npz")
        back = MLPClassifier.load(tmp_path / "c.npz")
        assert back.get_params() == clf.get_params() and back.classes_.dtype == clf.classes_.dtype
        np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
        np.testing.assert_array_equal(back.predict(X), clf.predict(X))
        assert back.loss_curve_ == clf.loss_curve_ and back.validation_scores_ == clf.validation_scores_
        assert back.score(X, labels) == clf.score(X, labels) == clf.validation_scores_[-1]
    with pytest.raises(TypeError, match="needs the labels y"):
        clf.score(X)
    with pytest.raises(NotFittedError):
        MLPClassifier().score(X, y)
    with pytest.raises(InvalidParameterError, match=r"hidden=\(8, 0\) is not accepted"):
        MLPClassifier(hidden=(8, 0)).fit(X, y)
