"""Deep belief networks: greedy stacking, up pass, and the generative down pass against the
exact distribution of a tiny network."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from physml.data import digits
from physml.ebm import DBN, RBM
from physml.ebm._dbn import layer_seed

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def binary_digits():
    return (digits()[0].reshape(-1, 64)[:400] > 7).astype(np.float64)


def states(n):
    return np.array(list(itertools.product([0.0, 1.0], repeat=n)))


def test_layers_are_trained_greedily(binary_digits):
    dbn = DBN((12, 6), n_iter=3, batch_size=20, learning_rate=0.05, dtype="float64", seed=5)
    dbn.fit(binary_digits)
    assert [r.n_components for r in dbn.rbms_] == [12, 6]
    assert dbn.rbms_[1].n_features_in_ == 12 and dbn.n_features_in_ == 64
    # layer 0 is the RBM one would train alone on the data
    alone = RBM(12, n_iter=3, batch_size=20, learning_rate=0.05, dtype="float64", seed=layer_seed(5, 0))
    np.testing.assert_array_equal(alone.fit(binary_digits).components_, dbn.rbms_[0].components_)
    # layer 1 is an RBM trained on layer 0's p(h|v)
    features = alone.transform(binary_digits)
    top = RBM(6, n_iter=3, batch_size=20, learning_rate=0.05, dtype="float64", seed=layer_seed(5, 1))
    top._validate_params()
    top._start(features)
    top._fit_validated(features)
    np.testing.assert_array_equal(top.components_, dbn.rbms_[1].components_)
    # the up pass composes the layers' p(h|v)
    out = dbn.transform(binary_digits)
    assert out.shape == (400, 6)
    np.testing.assert_allclose(out, top.model_.hidden_probs(torch.tensor(features)).numpy(), atol=1e-12)


def test_sampled_propagation_gives_binary_inputs_to_the_next_layer(binary_digits):
    dbn = DBN((10, 4), propagate="sample", n_iter=2, dtype="float64", seed=0).fit(binary_digits)
    upper = dbn.rbms_[1]
    # the second RBM's visible biases start at the base rates of its (binary) training data
    assert upper.intercept_visible_.shape == (10,)
    assert dbn.sample(5, n_steps=3).shape == (5, 64)
    assert dbn.get_params()["propagate"] == "sample"
    assert clone(dbn).get_params() == dbn.get_params()


def test_generative_down_pass_matches_the_exact_distribution():
    dbn = DBN((3, 2), n_iter=1, dtype="float64", seed=0).fit(states(3))
    rng = np.random.default_rng(1)
    for rbm in dbn.rbms_:  # random, strong parameters
        m = rbm.model_
        for p in m.parameters().values():
            p.copy_(torch.tensor(rng.normal(0, 1.2, p.shape)))
    bottom, top = dbn.rbms_[0].model_, dbn.rbms_[1].model_
    h1, h2, v = states(3), states(2), states(3)

    def e_top(a, b):  # top RBM energy over (h1, h2)
        w, bb, c = top.weights.numpy(), top.visible_bias.numpy(), top.hidden_bias.numpy()
        return -(a @ bb) - (b @ c) - np.einsum("...j,ji,...i->...", b, w, a)

    log_top = np.logaddexp.reduce(-e_top(h1[:, None, :], h2[None, :, :]), axis=1)
    p_h1 = np.exp(log_top - np.logaddexp.reduce(log_top))
    w, b = bottom.weights.numpy(), bottom.visible_bias.numpy()
    p_v1 = 1 / (1 + np.exp(-(h1 @ w + b)))  # directed p(v_i = 1 | h1)
    p_v_given_h1 = np.prod(np.where(v[None] == 1, p_v1[:, None, :], 1 - p_v1[:, None, :]), -1)
    p_v = p_h1 @ p_v_given_h1
    # 60 top-level Gibbs sweeps are enough: λ₂^60 / √min p(h1) < 1e-6 for the exact transition matrix
    e = -e_top(h1[:, None, :], h2[None, :, :])
    up = np.exp(e - np.logaddexp.reduce(e, axis=1, keepdims=True))
    down = np.exp(e - np.logaddexp.reduce(e, axis=0, keepdims=True)).T
    lam = np.sort(np.abs(np.linalg.eigvals(up @ down)))[-2]
    assert lam**60 / np.sqrt(p_h1.min()) < 1e-6
    samples = dbn.sample(20000, n_steps=60, seed=3)
    codes = (samples.astype(int) * np.array([4, 2, 1])).sum(1)
    counts = np.bincount(codes, minlength=8)
    assert stats.chisquare(counts, 20000 * p_v).pvalue > 1e-4
    # the mean option returns E[v | h1]: its average is the exact mean of v
    means = dbn.sample(20000, n_steps=60, seed=4, mean=True).mean(0)
    exact_mean = p_v @ v
    np.testing.assert_allclose(means, exact_mean, atol=5 * 0.5 / np.sqrt(20000))


def test_gaussian_first_layer():
    x = np.random.default_rng(0).normal(size=(100, 5))
    dbn = DBN((4, 3), visible="gaussian", n_iter=2, learning_rate=0.01, seed=0).fit(x)
    assert dbn.rbms_[0].visible == "gaussian" and dbn.rbms_[1].visible == "bernoulli"
    assert dbn.transform(x).shape == (100, 3)
    s = dbn.sample(6, n_steps=2)
    assert s.shape == (6, 5) and not set(np.unique(s)) <= {0.0, 1.0}


def test_bad_input(binary_digits):
    with pytest.raises(NotFittedError):
        DBN().transform(binary_digits)
    with pytest.raises(ValueError, match=r"layers=\(\) is not accepted; accepted: a non-empty sequence"):
        DBN(()).fit(binary_digits)
    with pytest.raises(ValueError, match=r"layers=\(4, 0\) is not accepted; accepted: .* of positive ints"):
        DBN((4, 0)).fit(binary_digits)
    with pytest.raises(ValueError, match="propagate='both' is not accepted; accepted: one of 'mean', 'samp"):
        DBN((4,), propagate="both").fit(binary_digits)
    with pytest.raises(ValueError, match="rbm_params must not set"):
        DBN((4,), rbm_params={"seed": 1}).fit(binary_digits)
    with pytest.raises(ValueError, match="values must be 0 or 1"):
        DBN((4,)).fit(binary_digits * 0.5)
    dbn = DBN((4,), n_iter=1, rbm_params={"n_chains": 7}).fit(binary_digits)
    assert dbn.rbms_[0].n_chains == 7
    with pytest.raises(ValueError, match="X has 3 features, but the RBM has 64 visible units"):
        dbn.transform(binary_digits[:, :3])


def test_save_load_keeps_every_layer_and_there_is_no_score(tmp_path, binary_digits):
    dbn = DBN((10, 4), n_iter=2, dtype="float64", seed=1).fit(binary_digits[:100])
    dbn.save(tmp_path / "dbn.npz")
    back = DBN.load(tmp_path / "dbn.npz")
    assert back.get_params() == dbn.get_params() and back.layers == (10, 4)
    np.testing.assert_array_equal(back.transform(binary_digits), dbn.transform(binary_digits))
    np.testing.assert_array_equal(back.sample(5, n_steps=3, seed=2), dbn.sample(5, n_steps=3, seed=2))
    for ours, theirs in zip(back.rbms_, dbn.rbms_, strict=True):
        np.testing.assert_array_equal(ours.components_, theirs.components_)
        assert ours.n_iter_ == theirs.n_iter_ == 2 and ours.get_params() == theirs.get_params()
    # a DBN's likelihood is intractable: no score, so scikit-learn's tools see none
    assert not hasattr(dbn, "score")
    with pytest.raises(NotFittedError):
        DBN().save(tmp_path / "unfitted.npz")


def _same_dbn(back, dbn, x):
    assert repr(back.get_params()) == repr(dbn.get_params())
    for ours, theirs in zip(back.rbms_, dbn.rbms_, strict=True):
        assert repr(ours.get_params()) == repr(theirs.get_params())
    np.testing.assert_array_equal(back.transform(x), dbn.transform(x))
    np.testing.assert_array_equal(back.sample(5, n_steps=3, seed=2), dbn.sample(5, n_steps=3, seed=2))


@pytest.fixture(scope="module")
def pt_dbn(binary_digits):
    """Layers whose parameters hold an array and a tuple (what the file must tag and decode)."""
    params = {"n_temperatures": 3, "betas": np.array([1.0, 0.7, 0.4]), "n_chains": 6}
    return DBN((6, 3), method="pt", n_iter=1, rbm_params=params, seed=1).fit(binary_digits[:60])


def test_layers_with_array_parameters_come_back_from_a_file(tmp_path, binary_digits, pt_dbn):
    """Regression: the layers were rebuilt from their stored (tagged) parameters undecoded."""
    pt_dbn.save(tmp_path / "dbn.npz")
    back = DBN.load(tmp_path / "dbn.npz")
    assert isinstance(back.rbms_[1].betas, np.ndarray) and back.layers == (6, 3)
    _same_dbn(back, pt_dbn, binary_digits)
    assert all(r.device == "cpu" for r in DBN.load(tmp_path / "dbn.npz", device="cpu").rbms_)


def test_files_of_the_first_dbn_format_still_load(tmp_path, binary_digits, pt_dbn):
    """Version 1 (before the layers were nested model records): each layer's RBM parameters and
    state side by side, its arrays under ``layer<i>_``."""
    import json

    layers, arrays = [], {}
    for i, rbm in enumerate(pt_dbn.rbms_):
        state, own = rbm._get_state()
        layers.append({"params": rbm._params_for_file(), "state": state})
        arrays.update({f"layer{i}_{k}": v for k, v in own.items()})
    header = {"format": "physml.ebm.DBN", "format_version": 1, "physml_version": "0.2",
              "params": pt_dbn._params_for_file(),
              "state": {"n_features_in_": 64, "layers": layers, "layers_type": "tuple"}}
    np.savez(tmp_path / "v1.npz", meta=np.array(json.dumps(header)), **arrays)
    _same_dbn(DBN.load(tmp_path / "v1.npz"), pt_dbn, binary_digits)
