"""One contract for every model, checked by one test (docs/architecture.md, "One model contract").

The estimators are found, not listed: every class exported by a science package's ``__all__``
that has a ``fit`` method is a model, and every model must be a scikit-learn ``BaseEstimator``
with physml's :class:`physml._core.ModelMixin`. A new estimator is therefore covered without
editing this file; its ``_data_kind`` says which tiny data set ``fit`` gets (see ``DATA``), and
``FAST`` may give it constructor arguments that keep the test quick.

Checks (each its own test, parametrised over the estimators):
clone and get_params round trip; ``__init__`` only stores; every parameter declared and a bad
value refused in one line; NotFittedError before fit; ``fit`` returns self; the same seed gives
the same model; ``score`` is the mean of ``score_samples``; save/load gives identical outputs; a
model file with a pickled object array, or another class's file, is refused in one line; NaN,
wrong shape and wrong dtype inputs get one-line errors (hypothesis draws the bad inputs).
"""

from __future__ import annotations

import copy
import importlib
import inspect
import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

import physml
from physml._core import DATA_KINDS, InvalidParameterError, ModelFileError, ModelMixin, model_format

pytestmark = pytest.mark.usefixtures("one_torch_thread")

#: Every public subpackage but the machinery floors: where a model can live.
SCIENCE = tuple(p for p in physml._SUBPACKAGES if p not in ("experiments", "lab", "parallel"))

#: Public classes with a ``fit`` that are not models of data, and why.
NOT_MODELS: dict[str, str] = {
    "SelfPlayAgent": "a tic-tac-toe agent that learns by playing itself: fit takes no data",
}


def _public_classes() -> list[type]:
    found = []
    for package in SCIENCE:
        module = importlib.import_module(f"physml.{package}")
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, type) and callable(getattr(obj, "fit", None)) and name not in NOT_MODELS:
                found.append(obj)
    return sorted(set(found), key=lambda c: (c.__module__, c.__name__))


MODELS = _public_classes()
IDS = [c.__name__ for c in MODELS]

#: Constructor arguments that keep a fit on tiny data quick (a new estimator needs none).
FAST: dict[str, dict[str, Any]] = {
    "ConditionalFlow": {"flow": {"transforms": 1, "hidden_features": (8,), "max_epochs": 3}},
    "ConditionalGaussianMixture": {"n_components": 2},
    "SymmetryProfileClassifier": {"n_members": 2, "epochs": 20},
    "SidebandInterpolation": {"split": 3.5,
                              "flow": {"transforms": 1, "hidden_features": (8,), "max_epochs": 3}},
    "FlowDensity": {"transforms": 1, "hidden_features": (8,), "max_epochs": 5},
    "FlowEnsemble": {"n_members": 2},
    "InvariantEmbedding": {"hidden": (8,), "steps": 5, "batch_size": 16},
    "Autoencoder": {"hidden": (8,), "epochs": 3, "batch_size": 32},
    "MLPClassifier": {"hidden": (8,), "epochs": 3, "batch_size": 16},
    "PottsRBM": {"n_components": 4, "n_iter": 3},
    "SymmetryClassifier": {"size": 16, "hidden": (8, 8), "n_decoys": 1, "decoy_epochs": 2, "cnn_epochs": 1,
                           "n_cnns": 1, "augment": False},
}


# ---------------------------------------------------------------------------------------------
# tiny data of each kind: (fit args, fit kwargs, evaluation args, evaluation kwargs)

Data = tuple[tuple[Any, ...], dict[str, Any], tuple[Any, ...], dict[str, Any]]


def _real(rng: np.random.Generator) -> Data:
    X = rng.normal(size=(64, 3))
    return (X,), {}, (X[:16],), {}


def _binary(rng: np.random.Generator) -> Data:
    X = (rng.random((64, 6)) < 0.3 + 0.4 * (np.arange(6) % 2)).astype(float)
    return (X,), {}, (X[:16],), {}


def _categorical(rng: np.random.Generator) -> Data:
    """States 0, 1, 2 (q = 3, the Potts models' default): two prototypes with 20% of the sites redrawn."""
    proto = rng.integers(3, size=(2, 6))
    X = proto[rng.integers(2, size=64)]
    X = np.where(rng.random(X.shape) < 0.2, rng.integers(3, size=X.shape), X)
    return (X,), {}, (X[:16],), {}


def _spins(rng: np.random.Generator) -> Data:
    X = np.where(rng.random((3, 24)) < 0.5, -1.0, 1.0)
    return (X,), {}, (X,), {}


def _labelled(rng: np.random.Generator) -> Data:
    X = rng.normal(size=(80, 4))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return (X, y), {}, (X[:16],), {}


def _events(rng: np.random.Generator) -> Data:
    n = 400
    mjj = rng.uniform(2.0, 5.0, n)
    X = np.column_stack([rng.normal(mjj / 5, 0.3), rng.normal(0.5, 0.2, n)])
    region = ((mjj > 3.3) & (mjj < 3.7)).astype(int)
    return (X, region), {"mjj": mjj}, (X[:16],), {"mjj": mjj[:16]}


def _conditional(rng: np.random.Generator) -> Data:
    (X, _), kwargs, (Xe,), kwargs_e = _events(rng)
    return (X,), kwargs, (Xe,), kwargs_e


def _text(rng: np.random.Generator) -> Data:
    words = ["lattice", "spin", "energy", "field", "model", "data"]
    text = " ".join(rng.choice(words, size=400))
    return (text,), {}, (text[:200],), {}


def _images(rng: np.random.Generator) -> Data:
    """Binary pictures (the symmetry decoys take 0/1 images): rings, symmetric under O(2), and noise."""
    x = np.linspace(-1, 1, 16)
    r = np.hypot(*np.meshgrid(x, x))
    images = np.stack([(np.abs(r - rng.uniform(0.3, 0.6)) < 0.15).astype(float) for _ in range(8)]
                      + [(rng.random((16, 16)) < 0.5).astype(float) for _ in range(8)])
    labels = np.array(["O(2)"] * 8 + ["none"] * 8)
    return (images, labels), {}, (images[:4],), {}


def _joint(rng: np.random.Generator) -> Data:
    p = rng.random((6, 3)) + 0.05
    return (p / p.sum(),), {}, (), {}


DATA: dict[str, Callable[[np.random.Generator], Data]] = {
    "real": _real, "binary": _binary, "categorical": _categorical, "spins": _spins, "labelled": _labelled,
    "events": _events, "conditional": _conditional, "images": _images, "joint": _joint, "text": _text,
}


def data_for(cls: type) -> Data:
    return DATA[cls._data_kind](np.random.default_rng(0))


def make(cls: type, **params: Any) -> Any:
    return cls(**{**FAST.get(cls.__name__, {}), **params})


OUTPUTS = ("score_samples", "predict_proba", "transform", "predict", "decision_function")


def outputs(est: Any, data: Data) -> dict[str, Any]:
    """Everything the fitted model says about the evaluation data, as numpy arrays."""
    _, _, args, kwargs = data
    out = {}
    for method in OUTPUTS:
        if hasattr(est, method) and args:
            out[method] = np.asarray(getattr(est, method)(*args, **kwargs))
    if not out:  # a model of a table (information bottleneck): its fitted arrays are its output
        out = {k: np.asarray(v) for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")
               and isinstance(v, (np.ndarray, float, int))}
    return out


_FITTED: dict[type, Any] = {}


def fitted(cls: type) -> Any:
    if cls not in _FITTED:
        args, kwargs, _, _ = data_for(cls)
        _FITTED[cls] = make(cls).fit(*args, **kwargs)
    return _FITTED[cls]


def assert_same(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text, f"not one line: {text!r}"
    assert "Traceback" not in text
    return text


# ---------------------------------------------------------------------------------------------
# the checks


def test_every_model_is_found_and_declares_its_data():
    assert len(MODELS) >= 20, IDS
    for cls in MODELS:
        assert issubclass(cls, BaseEstimator), f"{cls.__name__} is not a scikit-learn BaseEstimator"
        assert issubclass(cls, ModelMixin), f"{cls.__name__} does not use physml._core.ModelMixin"
        assert cls._data_kind in DATA_KINDS and cls._data_kind in DATA, (cls.__name__, cls._data_kind)


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_init_only_stores_its_arguments_and_clone_round_trips(cls):
    est = make(cls)
    signature = inspect.signature(cls.__init__)
    names = [n for n, p in signature.parameters.items() if n != "self" and p.kind is not p.VAR_KEYWORD]
    assert all(p.kind is not p.VAR_POSITIONAL for p in signature.parameters.values()), "no *args in __init__"
    params = est.get_params(deep=False)
    assert sorted(params) == sorted(names)
    fitted_state = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    assert not fitted_state, "fitted state set in __init__"
    twin = clone(est)
    assert repr(twin.get_params(deep=False)) == repr(params)
    assert type(twin) is cls


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_every_parameter_is_declared_and_a_bad_value_is_one_line(cls):
    params = make(cls).get_params(deep=False)
    assert set(cls._parameter_constraints) == set(params), "declare every parameter in _parameter_constraints"
    args, kwargs, _, _ = data_for(cls)
    for name in params:
        est = make(cls).set_params(**{name: object()})
        with pytest.raises(InvalidParameterError) as info:
            est.fit(*args, **kwargs)
        assert f"{name}=" in one_line(info.value) and "accepted" in str(info.value)


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_not_fitted_before_fit(cls, tmp_path):
    est = make(cls)
    _, _, args, kwargs = data_for(cls)
    calls = [(m, args, kwargs) for m in (*OUTPUTS, "score") if hasattr(est, m) and args]
    if hasattr(est, "sample"):
        calls.append(("sample", (2,), {}))
    calls.append(("save", (tmp_path / "m.npz",), {}))
    for method, a, kw in calls:
        with pytest.raises(NotFittedError):
            getattr(est, method)(*a, **kw)
    assert not (tmp_path / "m.npz").exists()


@pytest.mark.slow
@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_fit_returns_self_and_the_same_seed_gives_the_same_model(cls):
    """Two fits from the same constructor arguments (so the same seed, for a model with randomness)
    give the same model; a model drawing from a global random state fails here."""
    args, kwargs, _, _ = data_for(cls)
    est = make(cls)
    assert est.fit(*args, **kwargs) is est
    twin = make(cls)
    twin.fit(*args, **kwargs)
    assert_same(outputs(est, data_for(cls)), outputs(twin, data_for(cls)))


@pytest.mark.slow
@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_score_is_the_mean_of_score_samples(cls):
    est = fitted(cls)
    _, _, args, kwargs = data_for(cls)
    if not (hasattr(est, "score_samples") and args):
        pytest.skip(f"{cls.__name__} has no per-sample score")
    likelihood = est._score_samples_kind == "log-likelihood"
    assert hasattr(est, "score") == likelihood or is_classifier(est), "score exists exactly for likelihoods"
    if not likelihood or is_classifier(est):
        pytest.skip(f"{cls.__name__}.score_samples is an anomaly score or a classifier's: no mean to check")
    per_sample = np.asarray(est.score_samples(*args, **kwargs), dtype=float)
    assert per_sample.shape == (len(args[0]),)
    assert est.score(*args, **kwargs) == pytest.approx(per_sample.mean(), rel=1e-12, abs=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_save_load_gives_identical_outputs(cls, tmp_path):
    est = fitted(cls)
    path = tmp_path / "model.npz"
    est.save(path)
    back = cls.load(path)
    assert type(back) is cls
    assert repr(back.get_params(deep=False)) == repr(est.get_params(deep=False))
    assert_same(outputs(est, data_for(cls)), outputs(back, data_for(cls)))


@pytest.mark.slow
@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_a_pickled_array_or_another_class_file_is_refused(cls, tmp_path):
    est = fitted(cls)
    good = tmp_path / "model.npz"
    est.save(good)
    with np.load(good, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["trap"] = np.array([{"x": 1}], dtype=object)
    np.savez(tmp_path / "pickled.npz", **arrays, allow_pickle=True)
    with pytest.raises(ModelFileError) as info:
        cls.load(tmp_path / "pickled.npz")
    assert "pickled" in one_line(info.value)
    header = json.loads(str(arrays["meta"]))
    header["format"] = "physml.other.Model"
    arrays = {k: v for k, v in arrays.items() if k != "trap"}
    arrays["meta"] = np.array(json.dumps(header))
    np.savez(tmp_path / "other.npz", **arrays)
    with pytest.raises(ModelFileError) as info:
        cls.load(tmp_path / "other.npz")
    assert model_format(cls) in one_line(info.value) and "physml.other.Model" in str(info.value)


def _bad_inputs(data: Data) -> st.SearchStrategy[tuple[str, tuple[Any, ...]]]:
    args = data[2]
    if args and isinstance(args[0], str):  # text: anything but a string or a list of strings
        text = args[0]
        return st.sampled_from([("dtype", (np.array([1.0, np.nan]), *args[1:])), ("dtype", (None, *args[1:])),
                                ("dtype", ([text, 3], *args[1:])), ("shape", ([[text]], *args[1:]))])
    X = np.asarray(args[0], dtype=float) if args else None

    @st.composite
    def draw(draw_: Any) -> tuple[str, tuple[Any, ...]]:
        kind = draw_(st.sampled_from(["nan", "inf", "shape", "dtype", "features"]))
        bad = copy.deepcopy(X)
        if kind in ("nan", "inf"):
            i = draw_(st.integers(0, bad.size - 1))
            bad.flat[i] = np.nan if kind == "nan" else np.inf
        elif kind == "shape":
            bad = bad.reshape(-1)
        elif kind == "dtype":
            bad = np.full(bad.shape, "a", dtype=object)
        else:
            bad = np.concatenate([bad, bad[..., :1]], axis=-1)
        return kind, (bad, *args[1:])

    return draw()


@pytest.mark.slow
@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_nan_wrong_shape_and_wrong_dtype_inputs_get_one_line_errors(cls):
    est = fitted(cls)
    data = data_for(cls)
    methods = [m for m in OUTPUTS if hasattr(est, m)]
    if not methods or not data[2]:
        pytest.skip(f"{cls.__name__} has no per-sample output")
    kwargs = data[3]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(_bad_inputs(data), st.sampled_from(methods))
    def check(case: tuple[str, tuple[Any, ...]], method: str) -> None:
        kind, args = case
        with pytest.raises((ValueError, TypeError)) as info:
            getattr(est, method)(*args, **kwargs)
        one_line(info.value)

    check()


@pytest.mark.parametrize("cls", MODELS, ids=IDS)
def test_bad_training_data_gets_one_line_errors(cls):
    """NaN, inf and non-numbers given to ``fit`` are refused in one line. (A flattened array is not
    refused everywhere: a Hopfield network stores a single pattern given as one vector.)"""
    args, kwargs, _, _ = data_for(cls)
    if isinstance(args[0], str):
        cases = [("a number", (3.0, *args[1:])), ("a list with a number", ([args[0], 3], *args[1:]))]
    else:
        X = np.asarray(args[0], dtype=float)
        nan, inf = X.copy(), X.copy()
        nan.flat[X.size // 2] = np.nan
        inf.flat[0] = np.inf
        cases = [("NaN", (nan, *args[1:])), ("inf", (inf, *args[1:])),
                 ("objects", (np.full(X.shape, "a", dtype=object), *args[1:]))]
    for label, bad in cases:
        try:
            make(cls).fit(*bad, **kwargs)
        except (ValueError, TypeError) as exc:
            one_line(exc)
        else:
            pytest.fail(f"{cls.__name__}.fit accepted {label} training data")


# ---------------------------------------------------------------------------------------------
# scikit-learn's own estimator checks, where a model takes the data they draw

#: Reasons shared by several models, by check.
WORDING = (
    "physml's one-line errors name the argument and the value in physml's words, not with the phrases "
    "this check looks for"
)
SHARED_REASONS = dict.fromkeys(
    ("check_all_zero_sample_weights_error", "check_classifiers_regression_target", "check_complex_data",
     "check_dtype_object", "check_estimators_empty_data_messages", "check_fit2d_1feature",
     "check_fit2d_1sample", "check_fit2d_predict1d"),
    WORDING,
)
#: Why a model cannot take the data scikit-learn's checks draw.
DATA_REASONS = {
    "AutoencoderScorer": (
        "its latent dimension must be below the number of features; scikit-learn's checks also use one or"
        " two features"
    ),
    "Autoencoder": (
        "its latent dimension must be below the number of features; scikit-learn's checks also use one or"
        " two features"
    ),
    "SupervisedScorer": "it takes labels 0 (background) and 1 (signal) only",
    "BoltzmannMachine": (
        "its units are binary: it takes 0/1 data, and scikit-learn's checks draw real numbers"
    ),
    "DBN": "its visible units are binary: it takes 0/1 data, and scikit-learn's checks draw real numbers",
    "RBM": "its Bernoulli visible units take 0/1 data, and scikit-learn's checks draw real numbers",
    "PottsRBM": "its visible units take integer states 0, ..., q-1; scikit-learn's checks draw real numbers",
    "FlowDensity": (
        "a flow needs 10 samples per feature (20 at least) to fit and validate; the checks fit on 10-20"
    ),
    "FlowEnsemble": (
        "a flow needs 10 samples per feature (20 at least) to fit and validate; the checks fit on 10-20"
    ),
    "LevinaBickel": (
        "it needs more points than its largest neighbour order (k2 = 20); the checks fit on 10-20"
    ),
    "MultiscaleLocalPCA": (
        "it needs enough points per centre and radius to resolve local scales; the checks fit on 10-20"
    ),
    "CovarianceField": (
        "fit(X) reads X as repeated measurements of one source and needs a positive-definite covariance "
        "(more rows than features, no constant column)"
    ),
    "CovarianceSpectrum": (
        "its fit range of ranks needs more non-zero eigenvalues than the checks' one to three features "
        "give"
    ),
    "InvariantEmbedding": (
        "it embeds point sets under a symmetry group (n_features_in_ counts the point coordinates), and "
        "it transforms whole sets"
    ),
    "MLPClassifier": (
        "it refuses a column-vector y instead of flattening it, checks its input count with its own "
        "message, and trains on shuffled minibatches, so weights equal repeated rows only in full-batch "
        "training"
    ),
}
#: What every model with binary units fails on scikit-learn's real-valued data, and what a
#: transformer among them fails besides.
_BINARY_UNITS = (
        "complex_data dict_unchanged dont_overwrite_parameters dtype_object estimators_dtypes "
        "estimators_empty_data_messages estimators_fit_returns_self estimators_nan_inf "
        "estimators_overwrite_params estimators_pickle f_contiguous_array_estimator fit2d_1feature "
        "fit2d_1sample fit2d_predict1d fit_check_is_fitted fit_idempotent fit_score_takes_y "
        "methods_sample_order_invariance methods_subset_invariance n_features_in "
        "n_features_in_after_fitting pipeline_consistency positive_only_tag_during_fit "
        "readonly_memmap_input"
)
_TRANSFORMER = " transformer_data_not_an_array transformer_general transformer_preserve_dtypes"
#: The checks each model fails: for the shared reasons above, else for its own.
FAILURES = {
    "AutoencoderScorer": (
        "complex_data estimators_empty_data_messages estimators_fit_returns_self "
        "estimators_overwrite_params fit2d_1feature fit2d_1sample fit_check_is_fitted fit_idempotent "
        "methods_subset_invariance n_features_in readonly_memmap_input"
    ),
    "SupervisedScorer": (
        "complex_data dict_unchanged dont_overwrite_parameters dtype_object estimators_dtypes "
        "estimators_fit_returns_self estimators_overwrite_params f_contiguous_array_estimator "
        "fit2d_1feature fit2d_1sample fit2d_predict1d fit_score_takes_y methods_sample_order_invariance "
        "methods_subset_invariance n_features_in_after_fitting positive_only_tag_during_fit "
        "readonly_memmap_input sample_weight_equivalence_on_dense_data sample_weights_list "
        "sample_weights_not_an_array sample_weights_not_overwritten sample_weights_shape"
    ),
    "BoltzmannMachine": _BINARY_UNITS,
    "DBN": _BINARY_UNITS + _TRANSFORMER,
    "RBM": _BINARY_UNITS + _TRANSFORMER,
    "PottsRBM": _BINARY_UNITS + _TRANSFORMER,
    "FlowDensity": (
        "complex_data dict_unchanged dont_overwrite_parameters dtype_object estimators_dtypes "
        "estimators_empty_data_messages estimators_nan_inf f_contiguous_array_estimator fit2d_predict1d "
        "methods_sample_order_invariance methods_subset_invariance n_features_in_after_fitting"
    ),
    "FlowEnsemble": (
        "complex_data dict_unchanged dont_overwrite_parameters dtype_object estimators_dtypes "
        "estimators_empty_data_messages estimators_nan_inf f_contiguous_array_estimator fit2d_1feature "
        "fit2d_1sample fit2d_predict1d methods_sample_order_invariance methods_subset_invariance "
        "n_features_in_after_fitting"
    ),
    "CorrelationDimension": (
        "complex_data estimators_empty_data_messages fit2d_1sample"
    ),
    "LevinaBickel": (
        "complex_data dict_unchanged dont_overwrite_parameters estimators_dtypes "
        "estimators_empty_data_messages estimators_nan_inf f_contiguous_array_estimator fit2d_1feature "
        "fit2d_1sample fit2d_predict1d methods_sample_order_invariance methods_subset_invariance "
        "n_features_in_after_fitting"
    ),
    "TwoNN": (
        "complex_data estimators_empty_data_messages fit2d_1sample"
    ),
    "MultiscaleLocalPCA": (
        "complex_data dict_unchanged dont_overwrite_parameters dtype_object estimators_dtypes "
        "estimators_empty_data_messages estimators_fit_returns_self estimators_nan_inf "
        "estimators_overwrite_params estimators_pickle f_contiguous_array_estimator fit2d_1feature "
        "fit2d_1sample fit2d_predict1d fit_score_takes_y methods_sample_order_invariance "
        "methods_subset_invariance n_features_in_after_fitting pipeline_consistency readonly_memmap_input"
    ),
    "CovarianceField": (
        "complex_data dict_unchanged dont_overwrite_parameters dtype_object estimators_dtypes "
        "estimators_empty_data_messages estimators_fit_returns_self estimators_nan_inf "
        "estimators_overwrite_params estimators_pickle f_contiguous_array_estimator fit2d_1feature "
        "fit2d_1sample fit2d_predict1d fit_check_is_fitted fit_idempotent fit_score_takes_y "
        "methods_sample_order_invariance methods_subset_invariance n_features_in "
        "n_features_in_after_fitting pipeline_consistency positive_only_tag_during_fit "
        "readonly_memmap_input"
    ),
    "CovarianceSpectrum": (
        "complex_data estimators_empty_data_messages estimators_fit_returns_self "
        "estimators_overwrite_params fit2d_1feature fit2d_1sample fit_check_is_fitted fit_idempotent "
        "n_features_in readonly_memmap_input"
    ),
    "InvariantEmbedding": (
        "complex_data estimators_empty_data_messages fit2d_1sample fit2d_predict1d n_features_in "
        "n_features_in_after_fitting"
    ),
    "Autoencoder": (
        "complex_data estimators_empty_data_messages estimators_fit_returns_self "
        "estimators_overwrite_params fit2d_1feature fit2d_1sample fit2d_predict1d fit_check_is_fitted "
        "fit_idempotent methods_sample_order_invariance n_features_in n_features_in_after_fitting "
        "readonly_memmap_input transformer_data_not_an_array transformer_general"
    ),
    "MLPClassifier": (
        "all_zero_sample_weights_error classifiers_regression_target complex_data "
        "estimators_empty_data_messages fit2d_1sample fit2d_predict1d n_features_in_after_fitting "
        "requires_y_none sample_weight_equivalence_on_dense_data supervised_y_2d"
    ),
}
SKLEARN_MODELS = [make(c) for c in MODELS if c._data_kind in ("real", "binary", "categorical", "labelled")]


def _expected_failures(estimator: Any) -> dict[str, str]:
    name = type(estimator).__name__
    checks = (f"check_{c}" for c in FAILURES.get(name, "").split())
    return {c: SHARED_REASONS.get(c, DATA_REASONS.get(name, "")) for c in checks}


@pytest.mark.slow
@parametrize_with_checks(SKLEARN_MODELS, expected_failed_checks=_expected_failures, xfail_strict=True)
def test_scikit_learn_estimator_checks(estimator, check):
    """scikit-learn's common checks on every model whose fit takes an (n_samples, n_features) array;
    the checks a model fails are listed above with the reason (most: the data these checks draw)."""
    check(estimator)
