"""ModelMixin on a toy estimator: declared parameters, score, and save/load through one format."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError

from physml._core import Interval, InvalidParameterError, ModelFileError, ModelMixin, Options, model_format


class Gaussian(ModelMixin, BaseEstimator):
    """A diagonal Gaussian density: the smallest model with a likelihood."""

    _parameter_constraints = {"shrink": [Interval(float, 0, 1)], "kind": [Options("diag")], "seed": ["seed"]}

    def __init__(self, shrink=0.0, kind="diag", seed=0):
        self.shrink = shrink
        self.kind = kind
        self.seed = seed

    def fit(self, X, y=None):
        self._validate_params()
        X = np.asarray(X, dtype=float)
        self.mean_ = X.mean(axis=0)
        self.var_ = X.var(axis=0) * (1 - self.shrink) + self.shrink
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X):
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        z = (np.asarray(X, dtype=float) - self.mean_) ** 2 / self.var_
        return -0.5 * (z + np.log(2 * np.pi * self.var_)).sum(axis=1)

    def _get_state(self):
        return {"n_features_in_": self.n_features_in_}, {"mean": self.mean_, "var": self.var_}

    def _set_state(self, meta, arrays, version):
        self.n_features_in_ = meta["n_features_in_"]
        self.mean_, self.var_ = arrays["mean"], arrays["var"]


class Other(Gaussian):
    pass


X = np.random.default_rng(0).normal(size=(50, 3))


def test_format_name_is_the_public_package_and_class():
    assert model_format(Gaussian) == f"{__name__}.Gaussian"
    from physml.ebm import RBM

    assert model_format(RBM) == "physml.ebm.RBM"


def test_parameters_are_checked_in_fit():
    expected = r"Gaussian: shrink=2 is not accepted; accepted: a float in \[0, 1\]"
    with pytest.raises(InvalidParameterError, match=expected):
        Gaussian(shrink=2).fit(X)
    assert clone(Gaussian(shrink=0.5)).get_params() == {"shrink": 0.5, "kind": "diag", "seed": 0}


def test_score_is_the_mean_of_score_samples():
    g = Gaussian().fit(X)
    assert g.score(X) == pytest.approx(g.score_samples(X).mean(), rel=1e-15)


def test_save_load_round_trip_and_refusals(tmp_path):
    with pytest.raises(NotFittedError):
        Gaussian().save(tmp_path / "unfitted.npz")
    g = Gaussian(shrink=0.25).fit(X)
    g.save(tmp_path / "g.npz")
    h = Gaussian.load(tmp_path / "g.npz")
    assert h.get_params() == g.get_params()
    np.testing.assert_array_equal(h.score_samples(X), g.score_samples(X))
    with pytest.raises(ModelFileError, match=r"holds .*Gaussian.*, not a Other"):
        Other.load(tmp_path / "g.npz")
    with pytest.raises(ValueError, match="numpy Generator"):
        Gaussian(seed=np.random.default_rng(0)).fit(X).save(tmp_path / "gen.npz")


def test_parameters_come_back_as_they_were_saved():
    from physml._core import decode_param, encode_param
    from physml.flows import FlowDensity

    value = {"hidden": (32, (8, 8)), "list": [1, (2,)], "grid": np.linspace(0, 1, 3, dtype=np.float32),
             "n": np.int64(4), "base": FlowDensity(hidden_features=(16, 16), max_epochs=3)}
    back = decode_param(json.loads(json.dumps(encode_param(value))))
    assert back["hidden"] == (32, (8, 8)) and back["list"] == [1, (2,)] and back["n"] == 4
    assert back["grid"].dtype == np.float32 and np.array_equal(back["grid"], value["grid"])
    assert type(back["base"]) is FlowDensity and back["base"].get_params() == value["base"].get_params()


def test_torch_and_numpy_dtypes_and_devices_are_stored_by_name():
    import torch

    from physml._core import encode_param

    value = [torch.float64, torch.device("cpu"), torch.device("cuda", 1), np.dtype("float32"), np.float64]
    assert json.loads(json.dumps(encode_param(value))) == ["float64", "cpu", "cuda:1", "float32", "float64"]


class Renamed(Gaussian):
    """A model whose version-1 files called ``shrink`` ``alpha`` and kept the state beside it."""

    _file_versions = (1, 2)

    @classmethod
    def _upgrade_meta(cls, meta, version):
        if version == 1:
            params = {"shrink": meta["params"]["alpha"]}
            return {**meta, "params": params, "state": {"n_features_in_": meta["n_features_in_"]}}
        return meta


def test_load_upgrades_old_headers_before_decoding_them(tmp_path):
    g = Renamed(shrink=0.5, kind="diag").fit(X)
    old = {"format": model_format(Renamed), "format_version": 1, "n_features_in_": 3,
           "params": {"alpha": 0.5}}
    np.savez(tmp_path / "v1.npz", meta=np.array(json.dumps(old)), mean=g.mean_, var=g.var_)
    back = Renamed.load(tmp_path / "v1.npz", seed=4)
    assert back.get_params() == {**g.get_params(), "seed": 4}
    np.testing.assert_array_equal(back.score_samples(X), g.score_samples(X))
    # a version-2 file passes unchanged, its tagged parameters decoded
    Renamed(shrink=0.5).fit(X).set_params(kind=("diag",)).save(tmp_path / "v2.npz")
    assert Renamed.load(tmp_path / "v2.npz").kind == ("diag",)


def test_a_file_names_only_physml_models():
    from physml._core import decode_param, model_class

    assert model_class("physml.geometry.TwoNN").__name__ == "TwoNN"
    for bad in ("os.system", "physml.geometry.np", "physml._core.ModelFileError", "builtins.eval"):
        with pytest.raises(ValueError, match="names no physml model"):
            model_class(bad)
    with pytest.raises(ValueError, match="names no physml model"):
        decode_param({"__model__": "subprocess.Popen", "params": {"args": ["true"]}})


def test_a_fitted_model_nests_inside_another_file():
    from physml._core import nested_model, nested_state
    from physml.geometry import TwoNN

    est = TwoNN(seed=3).fit(np.random.default_rng(1).normal(size=(200, 3)))
    record, arrays = nested_state(est, "inner")
    assert all(k.startswith("inner.") for k in arrays)
    back = nested_model(json.loads(json.dumps(record)), arrays, "inner")
    assert back.dimension_ == est.dimension_ and back.get_params() == est.get_params()
    with pytest.raises(TypeError, match="no physml model"):
        nested_state(object(), "x")


def _rewrite(path, **changes):
    """The model file at ``path`` with some arrays replaced (``None`` removes one)."""
    with np.load(path, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    for name, value in changes.items():
        if value is None:
            del arrays[name]
        else:
            arrays[name] = value
    np.savez(path, **arrays)


def one_line_naming(error, path):
    text = str(error)
    assert text.startswith(f"{path}: ") and "\n" not in text and "allow_pickle" not in text, text
    return text


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_a_model_with_non_finite_parameters_is_refused_at_load(tmp_path, bad):
    g = Gaussian().fit(X)
    path = g.save(tmp_path / "g.npz")
    var = g.var_.copy()
    var[[0, 2]] = bad
    _rewrite(path, var=var)
    with pytest.raises(ModelFileError) as info:
        Gaussian.load(path)
    text = one_line_naming(info.value, path)
    assert "parameter 'var' holds 2 non-finite values (NaN or inf); the model was saved after" in text
    _rewrite(path, mean=np.full(3, np.nan))  # two bad arrays: the first is named, the other counted
    with pytest.raises(ModelFileError, match=r"parameter 'mean' holds 3 non-finite values .*1 more array"):
        Gaussian.load(path)


class Thresholded(Gaussian):
    """A model that may keep an infinite threshold: it says so."""

    _nonfinite_arrays = ("thr*",)

    def _get_state(self):
        meta, arrays = super()._get_state()
        return meta, {**arrays, "threshold": np.array([np.inf, 1.0])}


def test_a_class_may_list_the_arrays_that_hold_inf_and_no_others(tmp_path):
    path = Thresholded().fit(X).save(tmp_path / "t.npz")
    Thresholded.load(path)  # the listed array may hold inf
    _rewrite(path, var=np.array([1.0, np.nan, 1.0]))
    with pytest.raises(ModelFileError, match="parameter 'var' holds 1 non-finite value "):
        Thresholded.load(path)


def test_a_file_whose_arrays_do_not_fit_the_model_is_one_line(tmp_path):
    path = Gaussian().fit(X).save(tmp_path / "g.npz")
    _rewrite(path, var=None)
    with pytest.raises(ModelFileError) as info:
        Gaussian.load(path)
    assert "cannot rebuild the Gaussian from this file (KeyError: 'var')" in one_line_naming(info.value, path)
    with pytest.raises(TypeError, match="Gaussian.load got unknown argument"):  # a caller's mistake
        Gaussian.load(path, shrnk=0.5)


def test_nested_models_are_held_to_the_rule_with_their_names_in_the_file(tmp_path):
    from physml.ebm import DBN

    rng = np.random.default_rng(0)
    dbn = DBN(layers=(4, 3), n_iter=1).fit((rng.random((40, 6)) < 0.5).astype(float))
    path = dbn.save(tmp_path / "dbn.npz")
    dbn.save(tmp_path / "copy.npz")
    with np.load(path) as archive:
        weights = archive["layer1.weights"]
    weights[0, 0] = np.nan
    _rewrite(path, **{"layer1.weights": weights})
    with pytest.raises(ModelFileError) as info:
        DBN.load(path)
    assert "parameter 'layer1.weights' holds 1 non-finite value " in one_line_naming(info.value, path)
    DBN.load(tmp_path / "copy.npz")  # the untouched file loads
