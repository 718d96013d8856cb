"""Anomaly scores for the LHC Olympics dijet features: the supervised upper bound, an
autoencoder's reconstruction error, and the weakly supervised / density-based resonant methods
(CWoLa hunting, ANODE, CATHODE).

Every scorer is a scikit-learn estimator with physml's model contract (docs/architecture.md,
"One model contract"): parameters in ``__init__`` (checked in ``fit`` against one declaration),
``fit`` learns trailing-underscore attributes and returns the scorer, ``score_samples(X)`` gives
one anomaly score per event (larger = more signal-like), ``score(X)`` their mean, and
``save``/``load`` write and read one ``.npz`` of plain arrays. The weakly supervised scorers
share one ``fit(X, y, *, mjj=None)``: ``y`` is 1 for the signal-region events and 0 for the
reference (the sidebands, or true background for the idealised detector), ``mjj`` the dijet mass
of every event. The classifiers and densities they fit are those of :func:`make_classifier` and
:class:`SidebandInterpolation`, :class:`ConditionalFlow`, :class:`ConditionalGaussianMixture`.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from scipy.special import expit
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml import nets
from physml._core import (
    Interval,
    ModelMixin,
    Options,
    Predicate,
    check_array,
    derive_seed,
    nested_model,
    nested_state,
    spawn_seeds,
)
from physml.anomaly._densities import (
    _FLOW,
    _SEED,
    ConditionalFlow,
    ConditionalGaussianMixture,
    SidebandInterpolation,
)
from physml.anomaly._features import check_features, check_mjj
from physml.anomaly._training import (
    density_min_events,
    make_classifier,
    sample_weight_kwargs,
    signal_probability,
)

__all__ = ["AnodeScorer", "AutoencoderScorer", "CWoLaScorer", "CathodeScorer", "SupervisedScorer"]


# ---------------------------------------------------------------------------------------------
# declared parameters shared by the scorers

_CLASSIFIER = [
    Options("hgb", "mlp"),
    Predicate(lambda v: callable(getattr(v, "fit", None)) and callable(getattr(v, "predict_proba", None)),
              "a scikit-learn classifier (with fit and predict_proba)"),
]
_DENSITY = [Options("flow", "gmm")]


def _positive_ints(value: Any) -> bool:
    return (isinstance(value, Sequence) and not isinstance(value, str)
            and all(Interval(int, 1, None).accepts(v) for v in value))


# ---------------------------------------------------------------------------------------------
# the classifiers behind the scores: training (k-fold, balanced) and their array form in files


def _takes_sample_weight(model: Any) -> bool:
    """Whether ``model.fit`` (a pipeline's last step's) accepts ``sample_weight``."""
    from sklearn.pipeline import Pipeline
    from sklearn.utils.validation import has_fit_parameter

    last = model.steps[-1][1] if isinstance(model, Pipeline) else model
    return has_fit_parameter(last, "sample_weight")


def _balanced_rows(y: np.ndarray, seed: int) -> np.ndarray:
    """Row indices in which both classes are equally frequent: every row, and rows of the smaller
    class drawn again at random (with replacement) until it matches the larger one."""
    ones, zeros = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    small, large = (ones, zeros) if len(ones) < len(zeros) else (zeros, ones)
    extra = np.random.default_rng(seed).choice(small, size=len(large) - len(small), replace=True)
    return np.sort(np.concatenate([np.arange(len(y)), extra]))


def _fit_folds(X: np.ndarray, y: np.ndarray, n_folds: int, classifier: Any, seed: int,
               balance: bool) -> tuple[list[Any], np.ndarray]:
    """Train ``n_folds`` classifiers, each on all folds but one; out-of-fold scores for every row.

    With ``balance`` the two classes get equal total weight: through ``sample_weight`` where the
    classifier's ``fit`` takes it, otherwise by drawing rows of the smaller class again.
    """
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(X)) % n_folds
    weights = None
    if balance:
        n1 = int((y == 1).sum())
        weights = np.where(y == 1, len(X) / (2.0 * n1), len(X) / (2.0 * (len(X) - n1)))
    oof = np.zeros(len(X))
    models = []
    for k, s in enumerate(spawn_seeds(seed, n_folds)):
        train = fold != k
        if len(np.unique(y[train])) < 2:
            raise ValueError("a training fold holds only one class; give more events")
        model = make_classifier(classifier, s)
        Xk, yk = X[train], y[train]
        if weights is None:
            model.fit(Xk, yk)
        elif _takes_sample_weight(model):
            model.fit(Xk, yk, **sample_weight_kwargs(model, weights[train]))
        else:
            rows = _balanced_rows(yk, derive_seed(s, "balance"))
            model.fit(Xk[rows], yk[rows])
        oof[~train] = signal_probability(model, X[~train])
        models.append(model)
    return models, oof


class _BoostedTrees:
    """A fitted binary :class:`~sklearn.ensemble.HistGradientBoostingClassifier` as plain arrays,
    for ``predict_proba`` only: what a loaded scorer holds in place of the boosted trees it saved.

    The sum of the trees' leaf values is accumulated tree by tree onto the baseline and passed
    through the logistic function, as scikit-learn does, so the probabilities are identical.
    """

    FIELDS = ("feature_idx", "num_threshold", "missing_go_to_left", "left", "right", "is_leaf", "value")

    def __init__(self, classes: np.ndarray, baseline: float, sizes: np.ndarray,
                 nodes: Mapping[str, np.ndarray]):
        self.classes_ = np.asarray(classes)
        self.baseline = float(baseline)
        self.sizes = np.asarray(sizes, dtype=np.int64)
        self.nodes = {k: np.asarray(nodes[k]) for k in self.FIELDS}
        self.n_features_in_ = None

    @classmethod
    def from_hgb(cls, model: Any) -> _BoostedTrees:
        if getattr(model, "n_trees_per_iteration_", None) != 1:
            raise ValueError("only a binary HistGradientBoostingClassifier has an array form here")
        trees = [p for iteration in model._predictors for p in iteration]
        if any(t.nodes["is_categorical"].any() for t in trees):
            raise ValueError("boosted trees with categorical splits have no array form here")
        nodes = {k: np.concatenate([t.nodes[k] for t in trees]) if trees else np.zeros(0) for k in cls.FIELDS}
        out = cls(model.classes_, model._baseline_prediction.ravel()[0], [len(t.nodes) for t in trees], nodes)
        out.n_features_in_ = int(model.n_features_in_)
        return out

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        n, sizes = len(X), self.sizes
        start = (np.cumsum(sizes) - sizes).astype(np.intp)
        offset = np.repeat(start, sizes)
        f = self.nodes
        leaf = f["is_leaf"].astype(bool)
        feature = f["feature_idx"].astype(np.intp)
        threshold = f["num_threshold"].astype(np.float64)
        left, right = f["left"].astype(np.intp) + offset, f["right"].astype(np.intp) + offset
        missing_left = f["missing_go_to_left"].astype(bool)
        values = f["value"].astype(np.float64)
        raw = np.zeros(n, dtype=np.float64)
        raw += self.baseline
        for lo in range(0, n, 4096):  # all trees at once, a block of rows at a time
            rows = np.arange(lo, min(n, lo + 4096))
            node = np.repeat(start[:, None], len(rows), axis=1)
            active = ~leaf[node]
            while active.any():
                t, i = np.nonzero(active)
                at = node[t, i]
                x = X[rows[i], feature[at]]
                go_left = np.where(np.isnan(x), missing_left[at], x <= threshold[at])
                node[t, i] = np.where(go_left, left[at], right[at])
                active[t, i] = ~leaf[node[t, i]]
            leaves = values[node]
            block = raw[rows]
            for tree in range(len(sizes)):  # tree by tree, in scikit-learn's order of additions
                block += leaves[tree]
            raw[rows] = block
        proba = np.empty((n, 2))
        proba[:, 1] = expit(raw)
        proba[:, 0] = 1 - proba[:, 1]
        return proba


def _classifier_state(model: Any, prefix: str, owner: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A fitted classifier of :func:`make_classifier` ("hgb" or "mlp") as (meta, arrays named
    ``prefix.<name>``)."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if isinstance(model, HistGradientBoostingClassifier):
        model = _BoostedTrees.from_hgb(model)
    if isinstance(model, _BoostedTrees):
        meta = {"kind": "hgb", "baseline": model.baseline, "n_features_in": model.n_features_in_}
        arrays = {"classes": model.classes_, "sizes": model.sizes, **model.nodes}
        return meta, {f"{prefix}.{k}": v for k, v in arrays.items()}
    steps = [step for _, step in model.steps] if isinstance(model, Pipeline) else []
    if len(steps) == 2 and isinstance(steps[0], StandardScaler) and isinstance(steps[1], nets.MLPClassifier):
        scaler, mlp = steps
        record, arrays = nested_state(mlp, f"{prefix}.mlp")
        scaler_arrays = {"mean": scaler.mean_, "scale": scaler.scale_, "var": scaler.var_,
                         "n": np.asarray(scaler.n_samples_seen_)}
        arrays.update({f"{prefix}.scaler_{k}": v for k, v in scaler_arrays.items()})
        return {"kind": "mlp", "mlp": record}, arrays
    raise TypeError(f"{owner}.save: the classifier {type(model).__name__} has no array form in a model "
                    "file; fit with classifier='hgb' or 'mlp' to save the scorer")


def _classifier_from_state(meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], prefix: str) -> Any:
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if meta["kind"] == "hgb":
        nodes = {k: arrays[f"{prefix}.{k}"] for k in _BoostedTrees.FIELDS}
        trees = _BoostedTrees(arrays[f"{prefix}.classes"], meta["baseline"], arrays[f"{prefix}.sizes"], nodes)
        trees.n_features_in_ = meta["n_features_in"]
        return trees
    scaler = StandardScaler()
    scaler.mean_, scaler.scale_ = arrays[f"{prefix}.scaler_mean"], arrays[f"{prefix}.scaler_scale"]
    scaler.var_ = arrays[f"{prefix}.scaler_var"]
    scaler.n_samples_seen_ = arrays[f"{prefix}.scaler_n"][()]
    scaler.n_features_in_ = len(scaler.mean_)
    return make_pipeline(scaler, nested_model(meta["mlp"], arrays, f"{prefix}.mlp"))


def _classifiers_state(models: list[Any], owner: str) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    metas, arrays = [], {}
    for i, m in enumerate(models):
        meta, a = _classifier_state(m, f"model{i}", owner)
        metas.append(meta)
        arrays.update(a)
    return metas, arrays


def _classifiers_from_state(metas: list[Mapping[str, Any]], arrays: Mapping[str, np.ndarray]) -> list[Any]:
    return [_classifier_from_state(m, arrays, f"model{i}") for i, m in enumerate(metas)]


# ---------------------------------------------------------------------------------------------
# the scorers' data


def _region_flag(y: Any, n: int, owner: str) -> np.ndarray:
    """``y`` as 0/1 integers, one per event, holding both."""
    y = check_array(y, "y", ndim=1, dtype=None)
    if len(y) != n:
        raise ValueError(f"X and y have different lengths: {n} and {len(y)}")
    if y.dtype.kind not in "biuf" or not np.isin(y, (0, 1)).all():
        raise ValueError(f"{owner}: y must be 1 (signal region) or 0 (reference) for every event")
    y = y.astype(int)
    if y.min() == y.max():
        raise ValueError(f"{owner}: y must contain both classes 0 and 1 (reference and signal-region events)")
    return y


def _old_call(owner: str, old: str, new: str, stacklevel: int) -> None:
    warnings.warn(f"{owner}.fit({old}) is deprecated and will be removed in the next release; "
                  f"use {owner}.fit({new})", DeprecationWarning, stacklevel=stacklevel + 1)


def _split(m_sr: np.ndarray) -> float:
    return 0.5 * (float(m_sr.min()) + float(m_sr.max()))


# ---------------------------------------------------------------------------------------------
# the scorers


class SupervisedScorer(ModelMixin, BaseEstimator):
    """The supervised upper bound: a classifier trained on labelled signal and background.

    ``score_samples(X)`` is the classifiers' mean probability of signal per event;
    ``score(X)`` its mean over ``X`` (a summary, not a rating: rate the scorer with
    :func:`roc_auc` or :func:`sic_curve` of ``score_samples``).

    Parameters
    ----------
    classifier : {"hgb", "mlp"} or scikit-learn classifier
        Files (``save``) hold "hgb" and "mlp" classifiers only.
    n_models : int
        Classifiers with different seeds whose probabilities are averaged.
    seed : int

    Attributes
    ----------
    models_ : list of classifiers
        After ``load``, boosted trees are held in an array form with ``predict_proba`` only.
    n_features_in_ : int
    """

    _score_samples_kind = "anomaly"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "classifier": _CLASSIFIER, "n_models": [Interval(int, 1, None)], "seed": _SEED,
    }
    _data_kind: ClassVar[str] = "labelled"

    def __init__(self, classifier: Any = "hgb", *, n_models: int = 1, seed: int = 0):
        self.classifier = classifier
        self.n_models = n_models
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> SupervisedScorer:
        """``X`` (n, d) features, ``y`` (n,) 1 signal / 0 background, optional event weights."""
        self._validate_params()
        X = check_features(X, "X")
        y = check_array(y, "y", ndim=1, dtype=None)
        if len(y) != len(X):
            raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
        if y.dtype.kind not in "biuf" or set(np.unique(y)) != {0, 1}:
            raise ValueError("y must contain both classes 0 and 1 (and nothing else)")
        y = y.astype(int)
        if sample_weight is not None:
            sample_weight = check_array(sample_weight, "sample_weight", ndim=1)
            if len(sample_weight) != len(X) or (sample_weight < 0).any():
                raise ValueError(f"sample_weight must hold {len(X)} non-negative weights, one per event")
        models = []
        for s in spawn_seeds(self.seed, self.n_models):
            m = make_classifier(self.classifier, s)
            if sample_weight is None:
                m.fit(X, y)
            elif _takes_sample_weight(m):
                m.fit(X, y, **sample_weight_kwargs(m, sample_weight))
            else:
                raise TypeError(f"SupervisedScorer: the classifier {type(m).__name__} takes no "
                                "sample_weight; use classifier='hgb' or 'mlp' for weighted events")
            models.append(m)
        self.models_ = models
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Mean probability of signal over the classifiers, per event (larger = more signal-like)."""
        check_is_fitted(self)
        X = check_features(X, "X", self.n_features_in_)
        return np.mean([signal_probability(m, X) for m in self.models_], axis=0)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        metas, arrays = _classifiers_state(self.models_, type(self).__name__)
        return {"models": metas, "n_features_in": self.n_features_in_}, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.models_ = _classifiers_from_state(meta["models"], arrays)
        self.n_features_in_ = int(meta["n_features_in"])


class CWoLaScorer(ModelMixin, BaseEstimator):
    """Classification without labels (Metodiev, Nachman & Thaler 2017; CWoLa hunting, Collins,
    Howe & Nachman 2018): a classifier trained to tell signal-region events from sideband events.

    If the features are independent of mjj for the background, the optimal SR-vs-SB classifier is
    monotonic in the signal-to-background likelihood ratio. Training is k-fold: ``oof_scores_``
    scores every training event with the model that did not see it. The same class gives the
    *idealised* anomaly detector when the reference (``y = 0``) is true background in the SR.

    ``fit(X, y, *, mjj=None)``: ``y`` is 1 for signal-region events and 0 for the reference;
    ``mjj`` is accepted (every weakly supervised scorer takes the same call) and not used.
    ``score_samples(X)`` is the fold models' mean probability of the signal region per event;
    ``score(X)`` its mean over ``X``.

    Parameters
    ----------
    n_folds : int
    classifier : {"hgb", "mlp"} or scikit-learn classifier
        Files (``save``) hold "hgb" and "mlp" classifiers only.
    balance : bool
        Give the two classes equal total weight (sample weights where the classifier's ``fit``
        takes them, otherwise rows of the smaller class drawn again at random).
    seed : int

    Attributes
    ----------
    models_ : list of classifiers (one per fold)
    oof_scores_ : ndarray, shape (n_events,)
        Out-of-fold score of every training event, in the order of ``X``.
    region_ : ndarray, shape (n_events,)
        The training ``y``.
    n_signal_region_, n_features_in_ : int
    """

    _score_samples_kind = "anomaly"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_folds": [Interval(int, 2, None)], "classifier": _CLASSIFIER, "balance": ["boolean"], "seed": _SEED,
    }
    _data_kind: ClassVar[str] = "events"

    def __init__(self, n_folds: int = 5, classifier: Any = "hgb", *, balance: bool = True, seed: int = 0):
        self.n_folds = n_folds
        self.classifier = classifier
        self.balance = balance
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray, *, mjj: np.ndarray | None = None) -> CWoLaScorer:
        """``X`` (n, d) features, ``y`` (n,) 1 for the signal region / 0 for the reference.

        The old call ``fit(X_signal_region, X_reference)`` (signal-region rows first) still works
        for one release, with a DeprecationWarning.
        """
        self._validate_params()
        if np.ndim(y) == 2:
            _old_call("CWoLaScorer", "X_signal_region, X_reference",
                      "X, y) with y = 1 in the signal region", 2)
            X1 = check_features(X, "X_signal_region")
            X0 = check_features(y, "X_reference", X1.shape[1])
            X, y = np.concatenate([X1, X0]), np.r_[np.ones(len(X1), int), np.zeros(len(X0), int)]
        X = check_features(X, "X")
        y = _region_flag(y, len(X), type(self).__name__)
        if mjj is not None:
            check_mjj(mjj, len(X))
        self.models_, self.oof_scores_ = _fit_folds(X, y, self.n_folds, self.classifier, self.seed,
                                                    bool(self.balance))
        self.region_ = y
        self.n_signal_region_ = int(y.sum())
        self.n_features_in_ = X.shape[1]
        return self

    @property
    def signal_region_scores_(self) -> np.ndarray:
        """Out-of-fold scores of the signal-region training events."""
        check_is_fitted(self)
        return self.oof_scores_[self.region_ == 1]

    def score_samples(self, X: np.ndarray, mjj: np.ndarray | None = None) -> np.ndarray:
        """Mean score of the k fold models, for events none of them was trained on (``mjj`` unused)."""
        check_is_fitted(self)
        X = check_features(X, "X", self.n_features_in_)
        return np.mean([signal_probability(m, X) for m in self.models_], axis=0)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        metas, arrays = _classifiers_state(self.models_, type(self).__name__)
        return {"models": metas, "n_features_in": self.n_features_in_}, {
            **arrays, "oof_scores": self.oof_scores_, "region": self.region_}

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.models_ = _classifiers_from_state(meta["models"], arrays)
        self.oof_scores_, self.region_ = arrays["oof_scores"], arrays["region"]
        self.n_signal_region_ = int(self.region_.sum())
        self.n_features_in_ = int(meta["n_features_in"])


class AutoencoderScorer(ModelMixin, BaseEstimator):
    """Reconstruction error of an MLP autoencoder (:class:`physml.nets.Autoencoder`, tanh hidden
    layers, early stopping on a held-out 20%) trained on the data's standardised features: events
    unlike the bulk reconstruct poorly. ``score_samples(X)`` is the error per event (larger = more
    anomalous), ``score(X)`` its mean.

    Parameters
    ----------
    latent : int
        Bottleneck width (below the number of features).
    hidden : tuple of int
        Encoder widths (the decoder mirrors them).
    n_members : int
        Autoencoders trained at once from different seeds; the score is their mean.
    epochs, batch_size : int
    patience : int or None
        Epochs without improvement before a member stops (None: never).
    learning_rate : float
        Adam's step size.
    seed : int

    Attributes
    ----------
    model_ : physml.nets.Autoencoder
    n_features_in_ : int
    """

    _score_samples_kind = "anomaly"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "latent": [Interval(int, 1, None)],
        "hidden": [Predicate(_positive_ints, "a sequence of positive ints")],
        "n_members": [Interval(int, 1, None)],
        "epochs": [Interval(int, 1, None)],
        "batch_size": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "patience": [None, Interval(int, 1, None)],
        "seed": _SEED,
    }
    _data_kind: ClassVar[str] = "real"

    def __init__(self, latent: int = 2, hidden: tuple[int, ...] = (32, 32), *, n_members: int = 1,
                 epochs: int = 30, batch_size: int = 256, learning_rate: float = 3e-3,
                 patience: int | None = 5, seed: int = 0):
        self.latent = latent
        self.hidden = hidden
        self.n_members = n_members
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.seed = seed

    def fit(self, X: np.ndarray, y: Any = None) -> AutoencoderScorer:
        """Train on the events ``X`` (n, d); ``y`` is ignored."""
        self._validate_params()
        X = check_features(X, "X")
        self.model_ = nets.Autoencoder(
            self.latent, tuple(self.hidden), n_members=self.n_members, epochs=self.epochs,
            batch_size=self.batch_size, learning_rate=self.learning_rate, patience=self.patience,
            seed=int(self.seed),
        ).fit(X)
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """Squared reconstruction error per event (standardised units), averaged over members."""
        check_is_fitted(self)
        X = check_features(X, "X", self.n_features_in_)
        return np.asarray(self.model_.score_samples(X), dtype=float)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        record, arrays = nested_state(self.model_, "model")
        return {"model": record, "n_features_in": self.n_features_in_}, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.model_ = nested_model(meta["model"], arrays, "model")
        self.n_features_in_ = int(meta["n_features_in"])


def _weakly_supervised_data(owner: str, X: Any, y: Any, old: tuple[Any, ...], mjj: Any
                            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(X, y, mjj)`` of a weakly supervised fit, from the new call or the old
    ``fit(X_sr, m_sr, X_sb, m_sb)`` (signal-region rows first)."""
    if old:
        if len(old) != 2 or mjj is not None:
            raise TypeError(f"{owner}.fit takes (X, y, *, mjj); got {2 + len(old)} positional arguments")
        _old_call(owner, "X_sr, m_sr, X_sb, m_sb", "X, y, mjj=mjj) with y = 1 in the signal region", 3)
        X_sr, X_sb = check_features(X, "X_sr"), check_features(old[0], "X_sb")
        m_sr, m_sb = check_mjj(y, len(X_sr), "m_sr"), check_mjj(old[1], len(X_sb), "m_sb")
        X = np.concatenate([X_sr, X_sb])
        y = np.r_[np.ones(len(X_sr), int), np.zeros(len(X_sb), int)]
        mjj = np.concatenate([m_sr, m_sb])
    X = check_features(X, "X")
    y = _region_flag(y, len(X), owner)
    if mjj is None:
        raise TypeError(f"{owner}.fit needs mjj=, the dijet mass of every event")
    return X, y, check_mjj(mjj, len(X))


class AnodeScorer(ModelMixin, BaseEstimator):
    """ANODE (Nachman & Shih 2020): R(x | m) = p_data(x | m) / p_background(x | m), with the data
    density fitted in the signal region and the background density fitted on the sidebands and
    interpolated into it (:class:`SidebandInterpolation`). Score: ln R.

    ``fit(X, y, *, mjj)``: ``y`` is 1 for signal-region events and 0 for sideband events, ``mjj``
    the dijet mass of every event. ``score_samples(X, mjj)`` is ln R per event and needs the
    masses; ``score(X, mjj=mjj)`` is its mean.

    Parameters
    ----------
    n_components : int
        Mixture components (``density="gmm"``).
    density : {"flow", "gmm"}
        Flows as in the paper (:class:`ConditionalFlow` in the SR) or Gaussian mixtures
        (:class:`ConditionalGaussianMixture`, faster and coarser).
    flow : dict, optional
        FlowDensity parameters (default :data:`DEFAULT_FLOW`).
    seed : int

    Attributes
    ----------
    data_density_ : ConditionalFlow or ConditionalGaussianMixture
    background_density_ : SidebandInterpolation
    n_features_in_ : int
    """

    _score_samples_kind = "anomaly"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(int, 1, None)], "density": _DENSITY, "flow": _FLOW, "seed": _SEED,
    }
    _data_kind: ClassVar[str] = "events"

    def __init__(self, n_components: int = 8, *, density: str = "flow", flow: Mapping[str, Any] | None = None,
                 seed: int = 0):
        self.n_components = n_components
        self.density = density
        self.flow = flow
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray, *old: Any, mjj: np.ndarray | None = None,
            background_density: SidebandInterpolation | None = None) -> AnodeScorer:
        """Fit both densities; a fitted ``background_density`` (e.g. CATHODE's ``density_``) is
        used as it is. The old call ``fit(X_sr, m_sr, X_sb, m_sb)`` still works for one release,
        with a DeprecationWarning."""
        self._validate_params()
        X, y, m = _weakly_supervised_data(type(self).__name__, X, y, old, mjj)
        sr = y == 1
        X_sr, m_sr = X[sr], m[sr]
        need = density_min_events(self.density, self.n_components, X.shape[1] + 1)
        if len(X_sr) < need:
            raise ValueError(f"the signal region holds {len(X_sr)} events; a {self.density} density needs "
                             f"at least {need}")
        s1, s2 = spawn_seeds(self.seed, 2)
        if self.density == "gmm":
            self.data_density_ = ConditionalGaussianMixture(self.n_components, seed=s1).fit(X_sr, mjj=m_sr)
        else:
            self.data_density_ = ConditionalFlow(self.flow, seed=s1).fit(X_sr, mjj=m_sr)
        if background_density is None:
            background_density = SidebandInterpolation(
                self.n_components, density=self.density, flow=self.flow, seed=s2
            ).fit(X[~sr], mjj=m[~sr], split=_split(m_sr))
        self.background_density_ = background_density
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X: np.ndarray, mjj: np.ndarray | None = None) -> np.ndarray:
        """ln p_data(x | m) − ln p_background(x | m) per event; ``mjj`` (one mass per event) is needed."""
        check_is_fitted(self)
        X = check_features(X, "X", self.n_features_in_)
        if mjj is None:
            raise TypeError("AnodeScorer.score_samples needs mjj, the dijet mass of every event")
        m = check_mjj(mjj, len(X))
        return self.data_density_.log_prob(X, m) - self.background_density_.log_prob(X, m)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        data, a1 = nested_state(self.data_density_, "data")
        background, a2 = nested_state(self.background_density_, "background")
        return {"data": data, "background": background, "n_features_in": self.n_features_in_}, {**a1, **a2}

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.data_density_ = nested_model(meta["data"], arrays, "data")
        self.background_density_ = nested_model(meta["background"], arrays, "background")
        self.n_features_in_ = int(meta["n_features_in"])


class CathodeScorer(ModelMixin, BaseEstimator):
    """CATHODE (Hallin et al., arXiv:2109.00546): a density p(x | m) fitted on the sidebands,
    sampled in the signal region at the SR events' masses (``oversample`` draws per event), and a
    classifier trained k-fold to tell the SR data from these background samples.

    ``fit(X, y, *, mjj)``: ``y`` is 1 for signal-region events and 0 for sideband events, ``mjj``
    the dijet mass of every event. ``oof_scores_`` scores the SR training events out of fold;
    ``score_samples(X)`` averages the fold models (``mjj`` accepted and not used), ``score(X)``
    is its mean.

    Parameters
    ----------
    n_components : int
        Mixture components (``density="gmm"``).
    density : {"flow", "gmm"}
        The sideband density (:class:`SidebandInterpolation`): flows as in the paper, or mixtures.
    flow : dict, optional
        FlowDensity parameters (default :data:`DEFAULT_FLOW`).
    oversample, n_folds : int
    classifier : {"hgb", "mlp"} or scikit-learn classifier
        Files (``save``) hold "hgb" and "mlp" classifiers only.
    seed : int

    Attributes
    ----------
    density_ : SidebandInterpolation
    samples_ : ndarray, shape (n_sr * oversample, d)
        The background samples drawn in the signal region.
    classifier_ : CWoLaScorer
        SR data (1) against the samples (0).
    oof_scores_ : ndarray, shape (n_sr,)
    n_features_in_ : int
    """

    _score_samples_kind = "anomaly"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(int, 1, None)], "density": _DENSITY, "flow": _FLOW,
        "oversample": [Interval(int, 1, None)], "n_folds": [Interval(int, 2, None)],
        "classifier": _CLASSIFIER, "seed": _SEED,
    }
    _data_kind: ClassVar[str] = "events"

    def __init__(self, n_components: int = 8, *, density: str = "flow", flow: Mapping[str, Any] | None = None,
                 oversample: int = 4, n_folds: int = 5, classifier: Any = "hgb", seed: int = 0):
        self.n_components = n_components
        self.density = density
        self.flow = flow
        self.oversample = oversample
        self.n_folds = n_folds
        self.classifier = classifier
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray, *old: Any, mjj: np.ndarray | None = None) -> CathodeScorer:
        """Fit the sideband density, sample it in the SR and train the classifier. The old call
        ``fit(X_sr, m_sr, X_sb, m_sb)`` still works for one release, with a DeprecationWarning."""
        self._validate_params()
        X, y, m = _weakly_supervised_data(type(self).__name__, X, y, old, mjj)
        sr = y == 1
        X_sr, m_sr = X[sr], m[sr]
        s1, s2, s3 = spawn_seeds(self.seed, 3)
        self.density_ = SidebandInterpolation(self.n_components, density=self.density, flow=self.flow,
                                              seed=s1).fit(X[~sr], mjj=m[~sr], split=_split(m_sr))
        rng = np.random.default_rng(s2)
        self.samples_ = self.density_.sample(np.repeat(m_sr, self.oversample), seed=rng)
        Xc = np.concatenate([X_sr, self.samples_])
        yc = np.r_[np.ones(len(X_sr), int), np.zeros(len(self.samples_), int)]
        self.classifier_ = CWoLaScorer(self.n_folds, self.classifier, balance=True, seed=s3).fit(Xc, yc)
        self.oof_scores_ = self.classifier_.signal_region_scores_
        self.n_features_in_ = X.shape[1]
        return self

    def score_samples(self, X: np.ndarray, mjj: np.ndarray | None = None) -> np.ndarray:
        """The classifier's mean score of the k fold models per event (``mjj`` unused)."""
        check_is_fitted(self)
        return self.classifier_.score_samples(X)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        density, a1 = nested_state(self.density_, "density")
        classifier, a2 = nested_state(self.classifier_, "classifier")
        meta = {"density": density, "classifier": classifier, "n_features_in": self.n_features_in_}
        return meta, {**a1, **a2, "samples": self.samples_}

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.density_ = nested_model(meta["density"], arrays, "density")
        self.classifier_ = nested_model(meta["classifier"], arrays, "classifier")
        self.samples_ = arrays["samples"]
        self.oof_scores_ = self.classifier_.signal_region_scores_
        self.n_features_in_ = int(meta["n_features_in"])
