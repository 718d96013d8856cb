"""A scikit-learn-style MLP classifier trained by minibatch SGD on the negative log-likelihood."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from physml._core import check_array, check_choice, check_int, check_real, check_seed, torch_generator
from physml.nets._activations import Activation
from physml.nets._mlp import MLP
from physml.nets._training import sgd_train

__all__ = ["MLPClassifier"]


class MLPClassifier(ClassifierMixin, BaseEstimator):
    """Softmax classifier on an MLP: the "hello world" of the Kaplan talk.

    The network maps x to logits; ``predict_proba`` is their softmax,
    f(x; Θ) = (p_0, ..., p_{K-1}), and training minimises the mean negative
    log-likelihood −log p_y(x; Θ) by minibatch SGD.

    Parameters
    ----------
    hidden : sequence of int
        Hidden layer widths, e.g. ``(256,)``.
    activation : str or callable
    learning_rate, momentum, weight_decay : float
        SGD settings.
    schedule : {"constant", "cosine"}
        Learning-rate schedule over the epochs (see :func:`physml.nets.sgd_train`).
    batch_size, epochs : int
    seed : int
        Seeds the initial weights and the batch order.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    model_ : physml.nets.MLP
    loss_curve_ : list of float
        Mean training loss per epoch.
    validation_scores_ : list of float
        Accuracy on ``eval_set`` after each epoch (empty without one).
    n_parameters_ : int
    """

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
        seed: int = 0,
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

    def _check_params(self) -> None:
        check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        check_real(self.momentum, "momentum", low=0.0, high=1.0)
        check_real(self.weight_decay, "weight_decay", low=0.0)
        check_choice(self.schedule, "schedule", ("constant", "cosine"))
        check_int(self.batch_size, "batch_size", low=1)
        check_int(self.epochs, "epochs", low=0)
        check_seed(self.seed)
        for i, w in enumerate(self.hidden):
            check_int(w, f"hidden[{i}]", low=1)

    def fit(self, X: np.ndarray, y: np.ndarray, *, eval_set: tuple[np.ndarray, np.ndarray] | None = None):
        """Train on ``X`` of shape (n_samples, n_features) and labels ``y`` of shape (n_samples,)."""
        self._check_params()
        X = check_array(X, "X", ndim=2, min_samples=1, dtype=np.float32)
        y = check_array(y, "y", ndim=1, dtype=None)
        if len(y) != len(X):
            raise ValueError(f"X and y have different numbers of samples: {len(X)} and {len(y)}")
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y must contain at least 2 classes, got {self.classes_.tolist()}")
        self.n_features_in_ = X.shape[1]
        if isinstance(self.seed, np.random.Generator):
            seed = int(self.seed.integers(2**62))
        else:
            seed = int(self.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)  # the initial weights
            self.model_ = MLP((X.shape[1], *self.hidden, len(self.classes_)), self.activation)
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
            generator=torch_generator(seed + 1),
            on_epoch=evaluate,
        )
        return self

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
