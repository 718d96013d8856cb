"""A scikit-learn-style MLP classifier trained by minibatch SGD on the negative log-likelihood."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from physml._core import (
    Interval,
    ModelMixin,
    Options,
    Predicate,
    arrays_to_state,
    check_array,
    derive_seed,
    state_to_arrays,
    torch_generator,
)
from physml.nets._activations import ACTIVATIONS, Activation
from physml.nets._mlp import MLP
from physml.nets._training import sgd_train

__all__ = ["MLPClassifier"]


def _widths(value: Any) -> bool:
    """A sequence of positive ints (possibly empty)."""
    return isinstance(value, (list, tuple)) and all(
        isinstance(w, numbers.Integral) and not isinstance(w, bool) and w >= 1 for w in value
    )


def _int_seed(seed: int | np.random.Generator) -> int:
    """An integer seed (a numpy Generator is advanced by one draw)."""
    return int(seed.integers(2**62)) if isinstance(seed, np.random.Generator) else int(seed)


class MLPClassifier(ModelMixin, ClassifierMixin, BaseEstimator):
    """Softmax classifier on an MLP: the "hello world" of the Kaplan talk.

    The network maps x to logits; ``predict_proba`` is their softmax,
    f(x; Θ) = (p_0, ..., p_{K-1}), and training minimises the mean negative
    log-likelihood −log p_y(x; Θ) by minibatch SGD (weighted by ``sample_weight`` if given).

    A physml model (docs/architecture.md, "One model contract"): parameters are checked in
    ``fit`` against ``_parameter_constraints``, ``score(X, y)`` is the accuracy (scikit-learn's
    classifier score), ``save``/``load`` write the network's weights in the one model-file format.

    Parameters
    ----------
    hidden : sequence of int
        Hidden layer widths, e.g. ``(256,)``; ``()`` is a linear softmax classifier.
    activation : str or callable
        A name of :data:`physml.nets.ACTIVATIONS` (a callable works but cannot be saved).
    learning_rate, momentum, weight_decay : float
        SGD settings.
    schedule : {"constant", "cosine"}
        Learning-rate schedule over the epochs (see :func:`physml.nets.sgd_train`).
    batch_size, epochs : int
    seed : int or numpy.random.Generator
        The initial weights are drawn from torch seeded with ``seed``, the batch order from
        ``derive_seed(seed, "batches")``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    model_ : physml.nets.MLP
    loss_curve_ : list of float
        Mean training loss per epoch (weighted mean with ``sample_weight``).
    validation_scores_ : list of float
        Accuracy on ``eval_set`` after each epoch (empty without one).
    n_parameters_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "hidden": [Predicate(_widths, "a sequence of positive ints")],
        "activation": [Options(*ACTIVATIONS), "callable"],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1)],
        "weight_decay": [Interval(float, 0, None)],
        "schedule": [Options("constant", "cosine")],
        "batch_size": [Interval(int, 1, None)],
        "epochs": [Interval(int, 0, None)],
        "seed": ["seed"],
    }
    _data_kind: ClassVar[str] = "labelled"

    def __init__(
        self,
        hidden: Sequence[int] = (256,),
        activation: str | Activation = "relu",
        *,
        learning_rate: float = 0.05,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        schedule: str = "constant",
        batch_size: int = 128,
        epochs: int = 10,
        seed: int | np.random.Generator = 0,
    ):
        self.hidden = hidden
        self.activation = activation
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.batch_size = batch_size
        self.epochs = epochs
        self.seed = seed

    def fit(
        self,
        X: np.ndarray,
        y: np.ndarray,
        sample_weight: np.ndarray | None = None,
        *,
        eval_set: tuple[np.ndarray, np.ndarray] | None = None,
    ) -> MLPClassifier:
        """Train on ``X`` of shape (n_samples, n_features) and labels ``y`` of shape (n_samples,).

        ``sample_weight`` (n_samples,), non-negative with a positive sum, weights each sample's
        negative log-likelihood: a minibatch's loss is Σ_b w_i ℓ_i / (|b| w̄), w̄ the mean weight
        over all samples, so that in full-batch training an integer weight is the same as
        repeating the row. ``eval_set=(X_val, y_val)`` records the accuracy after each epoch in
        ``validation_scores_``.
        """
        self._validate_params()
        X = check_array(X, "X", ndim=2, min_samples=1, dtype=np.float32)
        y = check_array(y, "y", ndim=1, dtype=None)
        if len(y) != len(X):
            raise ValueError(f"X and y have different numbers of samples: {len(X)} and {len(y)}")
        weights = None
        if sample_weight is not None:
            w = check_array(sample_weight, "sample_weight", ndim=1)
            if len(w) != len(X) or (w < 0).any() or not w.sum() > 0:
                raise ValueError(
                    f"sample_weight must hold {len(X)} non-negative weights, one per sample, "
                    "with a positive sum"
                )
            weights = torch.from_numpy(w.astype(np.float32))
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y must contain at least 2 classes, got {self.classes_.tolist()}")
        self.n_features_in_ = X.shape[1]
        seed = _int_seed(self.seed)
        self.model_ = self._network(X.shape[1], len(self.classes_), seed)
        self.n_parameters_ = self.model_.n_parameters
        self.validation_scores_: list[float] = []

        def evaluate(epoch: int, loss: float) -> None:
            if eval_set is not None:
                self.validation_scores_.append(self.score(*eval_set))
                self.model_.train()

        self.loss_curve_ = sgd_train(
            self.model_,
            torch.from_numpy(X),
            torch.from_numpy(encoded.astype(np.int64)),
            torch.nn.functional.cross_entropy,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            schedule=self.schedule,
            generator=torch_generator(derive_seed(seed, "batches")),
            on_epoch=evaluate,
            sample_weight=weights,
        )
        return self

    def _network(self, n_features: int, n_classes: int, seed: int) -> MLP:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the initial weights
            return MLP((n_features, *self.hidden, n_classes), self.activation)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities, shape (n_samples, n_classes)."""
        check_is_fitted(self, "model_")
        X = check_array(X, "X", ndim=2, dtype=np.float32)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but the classifier was fitted on {self.n_features_in_}"
            )
        self.model_.eval()
        with torch.no_grad():
            out = [torch.softmax(self.model_(torch.from_numpy(X[i : i + 4096])), dim=1)
                   for i in range(0, len(X), 4096)]
        return torch.cat(out).numpy() if out else np.empty((0, len(self.classes_)), dtype=np.float32)

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable class for each sample."""
        proba = self.predict_proba(X)  # checks that the model is fitted
        return self.classes_[np.argmax(proba, axis=1)]

    def score(
        self, X: np.ndarray, y: np.ndarray | None = None, sample_weight: np.ndarray | None = None
    ) -> float:
        """Accuracy of :meth:`predict` on ``X`` against the labels ``y`` (scikit-learn's classifier
        score; higher is better)."""
        check_is_fitted(self, "model_")
        if y is None:
            raise TypeError("MLPClassifier.score needs the labels y (it is the accuracy of predict(X))")
        return float(ClassifierMixin.score(self, X, y, sample_weight=sample_weight))

    # -- files ----------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta: dict[str, Any] = {
            "n_features_in": int(self.n_features_in_),
            "n_parameters": int(self.n_parameters_),
            "loss_curve": [float(v) for v in self.loss_curve_],
            "validation_scores": [float(v) for v in self.validation_scores_],
        }
        arrays, _ = state_to_arrays(self.model_.state_dict(), "net")
        if self.classes_.dtype.kind in "biuf":
            arrays["classes"] = self.classes_
        else:  # class names: in the JSON header
            meta["class_names"] = self.classes_.tolist()
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.classes_ = arrays["classes"] if "classes" in arrays else np.array(meta["class_names"])
        self.n_features_in_ = int(meta["n_features_in"])
        self.model_ = self._network(self.n_features_in_, len(self.classes_), 0)
        self.model_.load_state_dict(arrays_to_state(arrays, None, "net"))
        self.model_.eval()
        self.n_parameters_ = int(meta["n_parameters"])
        self.loss_curve_ = list(meta["loss_curve"])
        self.validation_scores_ = list(meta["validation_scores"])
