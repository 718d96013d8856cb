"""The talk's learned symmetry classifier: decoy FCNNs reproduce each picture, the PCA images of
their last hidden layer go to an ensemble of CNNs trained on templates of known symmetry
(Barenboim, Hirn & Sanz, "Symmetry meets AI", SciPost Phys. 11, 014 (2021), arXiv:2103.06115).

It lives apart from :mod:`physml.symmetry._score` (the score of a picture, the classifier cache,
reading a classifier file): this module imports torch (through the CNN and decoy modules), and
scoring a picture with the default classifier (:class:`~physml.symmetry.SymmetryProfileClassifier`,
numpy only) must not. ``_score`` reaches this class only through the model-file registry
(:func:`physml._core.model_class`), when a file names it.
"""

from __future__ import annotations

import numbers
import os
import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from physml._core import (
    Interval,
    ModelFileError,
    ModelMixin,
    Predicate,
    arrays_to_state,
    check_array,
    derive_seed,
    spawn_seeds,
    state_to_arrays,
)
from physml.data import SYMMETRY_CLASSES, symmetric_templates
from physml.symmetry._cnn import SymmetryCNN, train_cnn
from physml.symmetry._decoy import DecoyResult, decoy_pca_images
from physml.symmetry._images import MIN_IMAGE_SIZE
from physml.symmetry._score import _is_legacy_file

__all__ = ["SymmetryClassifier", "dihedral_augment", "train_on_templates"]


def dihedral_augment(images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 8 images of each (…, H, W) image under the square's symmetry group D_4 (rotations by
    90° and reflections); a symmetry class is unchanged by them, so labels are repeated."""
    x = np.asarray(images)
    out = []
    for flip in (False, True):
        base = x[..., ::-1] if flip else x
        for k in range(4):
            out.append(np.rot90(base, k, axes=(-2, -1)))
    return np.concatenate(out), np.tile(np.asarray(labels), 8)


def _sizes(low: int) -> Predicate:
    def check(value: Any) -> bool:
        return isinstance(value, (list, tuple)) and len(value) > 0 and all(
            isinstance(w, numbers.Integral) and not isinstance(w, bool) and w >= low for w in value
        )

    return Predicate(check, f"a non-empty sequence of ints >= {low}")


def _class_names(value: Any) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) >= 2 and all(isinstance(v, str) for v in value)
            and len(set(value)) == len(value))


class SymmetryClassifier(ModelMixin, ClassifierMixin, BaseEstimator):
    """Barenboim-Hirn-Sanz pipeline: decoy networks reproduce each image, the PCA images of their
    last hidden layer go to an ensemble of CNNs trained on the templates' symmetry labels.

    A physml model (docs/architecture.md, "One model contract"): parameters checked in ``fit``
    against ``_parameter_constraints``; ``predict_proba`` gives the class probabilities (with
    ``return_std=True`` also their spread over decoys × CNNs); ``score(X, y)`` is the accuracy
    (scikit-learn's classifier score); ``save``/``load`` write the CNN weights in the one
    model-file format (``load`` also reads the torch files of physml 0.1).

    Parameters
    ----------
    size : int
        Side of the images (pixels, at least :data:`MIN_IMAGE_SIZE`); pictures are resized to it.
    hidden : sequence of int
        Hidden widths of the decoy FCNN (the last is projected with PCA), each at least 2.
    n_decoys : int
        Decoys per image; each gives its own PCA image.
    decoy_epochs, decoy_learning_rate, decoy_weight_decay : training budget and regularisation of
        the decoys (see :func:`physml.symmetry.decoy_pca_images`).
    cnn_channels, cnn_epochs : the CNNs.
    n_cnns : int
        CNNs trained from different seeds; probabilities are averaged over decoys × CNNs and
        their standard deviation is the score's spread.
    augment : bool
        Train the CNNs on the 8 D_4 images of each PCA image.
    classes : sequence of str
        At least two distinct class names.
    seed : int
        The decoys of the training images come from ``derive_seed(seed, "decoy")``, those of
        the images to classify from ``derive_seed(seed, "predict")``, the CNNs from
        ``spawn_seeds(derive_seed(seed, "cnn"), n_cnns)``.

    Attributes
    ----------
    classes_ : tuple of str
    models_ : list of SymmetryCNN
    decoy_train_ : DecoyResult
        The decoys of the training images (after :meth:`fit`; not saved).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "size": [Interval(int, MIN_IMAGE_SIZE, None)],
        "hidden": [_sizes(2)],
        "n_decoys": [Interval(int, 1, None)],
        "decoy_epochs": [Interval(int, 1, None)],
        "decoy_learning_rate": [Interval(float, 0, None, closed="neither")],
        "decoy_weight_decay": [Interval(float, 0, None)],
        "cnn_channels": [_sizes(1)],
        "cnn_epochs": [Interval(int, 1, None)],
        "n_cnns": [Interval(int, 1, None)],
        "augment": ["boolean"],
        "classes": [Predicate(_class_names, "a sequence of at least two distinct class names")],
        "seed": [Interval(int, 0, None)],
    }
    _data_kind: ClassVar[str] = "images"

    def __init__(
        self,
        *,
        size: int = 32,
        hidden: Sequence[int] = (32, 32),
        n_decoys: int = 2,
        decoy_epochs: int = 30,
        decoy_learning_rate: float = 0.01,
        decoy_weight_decay: float = 1e-4,
        cnn_channels: Sequence[int] = (8, 16),
        cnn_epochs: int = 30,
        n_cnns: int = 3,
        augment: bool = True,
        classes: Sequence[str] = SYMMETRY_CLASSES,
        seed: int = 0,
    ):
        self.size = size
        self.hidden = hidden
        self.n_decoys = n_decoys
        self.decoy_epochs = decoy_epochs
        self.decoy_learning_rate = decoy_learning_rate
        self.decoy_weight_decay = decoy_weight_decay
        self.cnn_channels = cnn_channels
        self.cnn_epochs = cnn_epochs
        self.n_cnns = n_cnns
        self.augment = augment
        self.classes = classes
        self.seed = seed

    def decoy(self, images: np.ndarray, *, seed: int | None = None) -> DecoyResult:
        """PCA images of the decoys of ``images`` (n, size, size) of 0/1 pixels; see
        :func:`decoy_pca_images`. ``seed`` defaults to ``derive_seed(self.seed, "decoy")``."""
        self._validate_params()
        imgs = check_array(images, "images", ndim=3)
        if imgs.shape[1:] != (self.size, self.size):
            raise ValueError(f"images must have shape (n, {self.size}, {self.size}), got {imgs.shape}")
        return decoy_pca_images(
            imgs,
            hidden=tuple(self.hidden),
            n_decoys=self.n_decoys,
            epochs=self.decoy_epochs,
            learning_rate=self.decoy_learning_rate,
            weight_decay=self.decoy_weight_decay,
            seed=derive_seed(self.seed, "decoy") if seed is None else seed,
        )

    def _labels(self, labels: Any, n: int) -> np.ndarray:
        classes = tuple(self.classes)
        lab = np.asarray(labels)
        if lab.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), got {lab.shape}")
        if lab.dtype.kind in "US O":
            unknown = sorted(set(lab.tolist()) - set(classes), key=str)
            if unknown:
                raise ValueError(f"labels {unknown} are not among classes {classes}")
            return np.array([classes.index(v) for v in lab.tolist()])
        if lab.dtype.kind not in "biu" and not (lab.dtype.kind == "f" and np.all(lab == np.round(lab))):
            raise TypeError(f"labels must be class names or class indices, got dtype {lab.dtype}")
        lab = lab.astype(np.int64)
        if lab.min() < 0 or lab.max() >= len(classes):
            raise ValueError(f"label indices must be in 0..{len(classes) - 1}")
        return lab

    def fit(self, X: np.ndarray, y: Any) -> SymmetryClassifier:
        """Train decoys on the images ``X`` (n, size, size) of 0/1 pixels and the CNNs on their PCA
        images; ``y`` holds the class names (or indices into ``classes``)."""
        d = self.decoy(X)
        self.fit_pca(d.pca_images, y)
        self.decoy_train_ = d
        return self

    def fit_pca(self, pca_images: np.ndarray, labels: Any) -> SymmetryClassifier:
        """Train the CNN ensemble on PCA images (n, n_decoys, 2, H, W) (all decoys of an
        image share its label)."""
        self._validate_params()
        pca = check_array(pca_images, "pca_images", ndim=5, dtype=np.float32)
        if pca.shape[2] != 2:
            raise ValueError(f"pca_images must have shape (n, n_decoys, 2, H, W), got {pca.shape}")
        lab = self._labels(labels, pca.shape[0])
        x = pca.reshape(-1, *pca.shape[2:])
        y = np.repeat(lab, pca.shape[1])
        if self.augment:
            x, y = dihedral_augment(x, y)
        self.models_ = [
            train_cnn(x, y, len(self.classes), channels=tuple(self.cnn_channels),
                               epochs=self.cnn_epochs, seed=s)[0]
            for s in spawn_seeds(derive_seed(self.seed, "cnn"), self.n_cnns)
        ]
        self.classes_ = tuple(self.classes)
        return self

    def member_probabilities(self, pca_images: np.ndarray) -> np.ndarray:
        """Class probabilities of every decoy × CNN member, shape (n, n_decoys·n_cnns, n_classes)."""
        check_is_fitted(self)
        pca = torch.as_tensor(check_array(pca_images, "pca_images", ndim=5, dtype=np.float32))
        n, k = pca.shape[:2]
        flat = pca.reshape(n * k, *pca.shape[2:])
        with torch.no_grad():
            probs = [torch.softmax(m(flat), dim=1).reshape(n, k, -1) for m in self.models_]
        return torch.cat(probs, dim=1).numpy()

    def predict_proba(
        self, X: np.ndarray, *, return_std: bool = False, seed: int | None = None
    ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Mean class probabilities (n, n_classes) over decoys × CNNs of the images ``X``
        (n, size, size); with ``return_std=True`` also their standard deviation (the spread).
        The images' decoys are seeded by ``seed`` (default ``derive_seed(self.seed, "predict")``).

        (physml 0.1 returned the pair ``(mean, spread)`` always; ask for it with ``return_std``.)
        """
        check_is_fitted(self)
        d = self.decoy(X, seed=derive_seed(self.seed, "predict") if seed is None else seed)
        p = self.member_probabilities(d.pca_images)
        mean = p.mean(axis=1)
        return (mean, p.std(axis=1)) if return_std else mean

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Most probable class name of each image."""
        mean = self.predict_proba(X)
        return np.array([self.classes_[i] for i in mean.argmax(axis=1)])

    def score(self, X: np.ndarray, y: Any = None, sample_weight: np.ndarray | None = None) -> float:
        """Accuracy of :meth:`predict` on the images ``X`` against the labels ``y`` (class names or
        indices into ``classes``; scikit-learn's classifier score; higher is better)."""
        check_is_fitted(self)
        if y is None:
            raise TypeError("SymmetryClassifier.score needs the labels y (it is the accuracy of predict(X))")
        names = np.asarray(self.classes_)[self._labels(y, len(np.asarray(y)))]
        return float(ClassifierMixin.score(self, X, names, sample_weight=sample_weight))

    def _train_default(self, n_per_class: int, *, seed: int) -> SymmetryClassifier:
        """How :func:`~physml.symmetry.cached_classifier` trains this classifier:
        :func:`train_on_templates`."""
        return train_on_templates(self, n_per_class, seed=seed)

    # -- files ----------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta = {"n_cnns": len(self.models_)}
        arrays = {}
        for i, m in enumerate(self.models_):
            arrays.update(state_to_arrays(m.state_dict(), f"cnn{i}")[0])
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self._install([arrays_to_state(arrays, None, f"cnn{i}") for i in range(int(meta["n_cnns"]))])

    def _install(self, states: list[dict[str, torch.Tensor]]) -> None:
        models = []
        for i, state in enumerate(states):
            if not isinstance(state, Mapping):
                raise TypeError(f"CNN {i} is a {type(state).__name__}, not a state dict")
            for key, value in state.items():
                if not isinstance(value, torch.Tensor):
                    raise TypeError(f"CNN {i} weight {key!r} is a {type(value).__name__}, not a tensor")
                if value.is_floating_point() and not bool(torch.isfinite(value).all()):
                    raise ValueError(f"CNN {i} weight {key!r} holds non-finite values")
            m = SymmetryCNN(len(self.classes), channels=tuple(self.cnn_channels))
            m.load_state_dict(state)
            models.append(m.eval())
        self.models_ = models
        self.classes_ = tuple(self.classes)

    @classmethod
    def load(cls, path: str | os.PathLike[str], **overrides: Any) -> SymmetryClassifier:
        """A classifier written by :meth:`save` (see :meth:`physml._core.ModelMixin.load`), or a
        torch file written by ``save`` in physml 0.1 (read with ``weights_only=True``)."""
        if _is_legacy_file(Path(path)):
            return cls._load_legacy(Path(path), overrides)
        try:
            return super().load(path, **overrides)
        except ModelFileError:
            raise
        except Exception as exc:  # a model file whose header or arrays are not a classifier's
            raise ModelFileError(
                f"{path}: is not a usable SymmetryClassifier file ({_reason(exc)})"
            ) from None

    @classmethod
    def _load_legacy(cls, path: Path, overrides: Mapping[str, Any]) -> SymmetryClassifier:
        try:
            data = torch.load(path, weights_only=True)
            if not isinstance(data, Mapping) or not isinstance(data.get("params"), Mapping):
                raise TypeError(f"it holds a {type(data).__name__} without a 'params' record")
            params = {**dict(data["params"]), **overrides}
            for key in ("hidden", "cnn_channels", "classes"):
                params[key] = tuple(params[key])
            clf = cls(**params)
            clf._validate_params()
            clf._install(list(data["models"]))
        except pickle.UnpicklingError:  # torch's message advises loading it unsafely: never pass that on
            raise ModelFileError(
                f"{path}: a torch file holding Python objects besides tensors; refused, since "
                "unpickling them could run code (physml's classifier files never hold any)"
            ) from None
        except Exception as exc:  # whatever else the file holds, it is not a classifier
            raise ModelFileError(
                f"{path}: a torch file, but not a SymmetryClassifier of physml 0.1 ({_reason(exc)})"
            ) from None
        return clf


def _reason(exc: BaseException) -> str:
    """One line: the exception's class and the first line of its message, without escapes."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = "".join(c for c in text if c.isprintable())[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def train_on_templates(
    classifier: SymmetryClassifier, n_per_class: int, *, seed: int = 0
) -> SymmetryClassifier:
    """Fit ``classifier`` on ``n_per_class`` fresh templates of each of its classes."""
    images, labels, _ = symmetric_templates(
        n_per_class, classifier.size, classes=tuple(classifier.classes), seed=seed
    )
    return classifier.fit(images, labels)
