"""The learned symmetry classifier (decoy FCNN → PCA image → CNN) and the symmetry score of a
picture: the classifier's class probabilities beside the direct invariance measures."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import torch

from physml._core import atomic_write_bytes, check_int, check_real, check_seed, derive_seed, spawn_seeds
from physml.data import SYMMETRY_CLASSES, symmetric_templates
from physml.symmetry._cnn import SymmetryCNN, train_cnn
from physml.symmetry._decoy import DecoyResult, decoy_pca_images
from physml.symmetry._images import MIN_IMAGE_SIZE, load_image, prepare_image
from physml.symmetry._invariance import InvarianceMeasures, direct_class, invariance_measures

__all__ = [
    "CACHE_ENV_VAR",
    "SymmetryClassifier",
    "SymmetryScore",
    "cached_classifier",
    "classifier_cache_key",
    "default_cache_dir",
    "dihedral_augment",
    "symmetry_score",
    "train_on_templates",
]


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


class SymmetryClassifier:
    """Barenboim-Hirn-Sanz pipeline: decoy networks reproduce each image, the PCA images of their
    last hidden layer go to an ensemble of CNNs trained on the templates' symmetry labels.

    Parameters
    ----------
    size : int
        Side of the images (pixels); pictures are resized to it.
    hidden : sequence of int
        Hidden widths of the decoy FCNN (the last is projected with PCA).
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
    classes : tuple of str
    seed : int

    Attributes
    ----------
    classes_ : tuple of str
    models_ : list of SymmetryCNN
    decoy_train_ : DecoyResult
        The decoys of the training images.
    """

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
        self.hidden = tuple(hidden)
        self.n_decoys = n_decoys
        self.decoy_epochs = decoy_epochs
        self.decoy_learning_rate = decoy_learning_rate
        self.decoy_weight_decay = decoy_weight_decay
        self.cnn_channels = tuple(cnn_channels)
        self.cnn_epochs = cnn_epochs
        self.n_cnns = n_cnns
        self.augment = augment
        self.classes = tuple(classes)
        self.seed = seed

    def _validate(self) -> None:
        check_int(self.size, "size", low=MIN_IMAGE_SIZE)
        check_int(self.n_decoys, "n_decoys", low=1)
        check_int(self.n_cnns, "n_cnns", low=1)
        check_int(self.decoy_epochs, "decoy_epochs", low=1)
        check_int(self.cnn_epochs, "cnn_epochs", low=1)
        check_real(self.decoy_learning_rate, "decoy_learning_rate", low=0.0, low_open=True)
        check_seed(self.seed)
        if len(self.classes) < 2:
            raise ValueError(f"classes must name at least two classes, got {self.classes!r}")

    def decoy(self, images: np.ndarray, *, seed: int | None = None) -> DecoyResult:
        """PCA images of the decoys of ``images`` (n, size, size); see :func:`decoy_pca_images`."""
        self._validate()
        imgs = np.asarray(images)
        if imgs.ndim != 3 or imgs.shape[1:] != (self.size, self.size):
            raise ValueError(f"images must have shape (n, {self.size}, {self.size}), got {imgs.shape}")
        return decoy_pca_images(
            imgs,
            hidden=self.hidden,
            n_decoys=self.n_decoys,
            epochs=self.decoy_epochs,
            learning_rate=self.decoy_learning_rate,
            weight_decay=self.decoy_weight_decay,
            seed=derive_seed(self.seed, "decoy") if seed is None else seed,
        )

    def _labels(self, labels: Any, n: int) -> np.ndarray:
        lab = np.asarray(labels)
        if lab.shape != (n,):
            raise ValueError(f"labels must have shape ({n},), got {lab.shape}")
        if lab.dtype.kind in "US O":
            unknown = sorted(set(lab.tolist()) - set(self.classes))
            if unknown:
                raise ValueError(f"labels {unknown} are not among classes {self.classes}")
            return np.array([self.classes.index(v) for v in lab.tolist()])
        lab = lab.astype(np.int64)
        if lab.min() < 0 or lab.max() >= len(self.classes):
            raise ValueError(f"label indices must be in 0..{len(self.classes) - 1}")
        return lab

    def fit(self, images: np.ndarray, labels: Any) -> SymmetryClassifier:
        """Train decoys on ``images`` (n, size, size) and the CNNs on their PCA images."""
        d = self.decoy(images)
        self.decoy_train_ = d
        return self.fit_pca(d.pca_images, labels)

    def fit_pca(self, pca_images: np.ndarray, labels: Any) -> SymmetryClassifier:
        """Train the CNN ensemble on PCA images (n, n_decoys, 2, size, size) (all decoys of an
        image share its label)."""
        self._validate()
        pca = np.asarray(pca_images, dtype=np.float32)
        if pca.ndim != 5 or pca.shape[2] != 2:
            raise ValueError(f"pca_images must have shape (n, n_decoys, 2, H, W), got {pca.shape}")
        lab = self._labels(labels, pca.shape[0])
        x = pca.reshape(-1, *pca.shape[2:])
        y = np.repeat(lab, pca.shape[1])
        if self.augment:
            x, y = dihedral_augment(x, y)
        self.models_ = [
            train_cnn(x, y, len(self.classes), channels=self.cnn_channels, epochs=self.cnn_epochs, seed=s)[0]
            for s in spawn_seeds(derive_seed(self.seed, "cnn"), self.n_cnns)
        ]
        self.classes_ = self.classes
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "models_"):
            raise RuntimeError("this SymmetryClassifier is not fitted yet; call fit or load first")

    @torch.no_grad()
    def member_probabilities(self, pca_images: np.ndarray) -> np.ndarray:
        """Class probabilities of every decoy × CNN member, shape (n, n_decoys·n_cnns, n_classes)."""
        self._check_fitted()
        pca = torch.as_tensor(np.asarray(pca_images, dtype=np.float32))
        n, k = pca.shape[:2]
        flat = pca.reshape(n * k, *pca.shape[2:])
        probs = [torch.softmax(m(flat), dim=1).reshape(n, k, -1) for m in self.models_]
        return torch.cat(probs, dim=1).numpy()

    def predict_proba(self, images: np.ndarray, *, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Mean class probabilities (n, n_classes) over decoys × CNNs, and their standard deviation."""
        self._check_fitted()
        d = self.decoy(images, seed=derive_seed(self.seed, "predict") if seed is None else seed)
        p = self.member_probabilities(d.pca_images)
        return p.mean(axis=1), p.std(axis=1)

    def predict(self, images: np.ndarray) -> np.ndarray:
        """Most probable class name of each image."""
        mean, _ = self.predict_proba(images)
        return np.array([self.classes_[i] for i in mean.argmax(axis=1)])

    # persistence ----------------------------------------------------------------------------
    def get_params(self) -> dict[str, Any]:
        return {
            k: getattr(self, k)
            for k in (
                "size",
                "hidden",
                "n_decoys",
                "decoy_epochs",
                "decoy_learning_rate",
                "decoy_weight_decay",
                "cnn_channels",
                "cnn_epochs",
                "n_cnns",
                "augment",
                "classes",
                "seed",
            )
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters and the CNN weights (a torch file readable with weights_only);
        the file appears whole or not at all."""
        self._check_fitted()
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
        buf = BytesIO()
        torch.save({"params": params, "models": [m.state_dict() for m in self.models_]}, buf)
        atomic_write_bytes(Path(path), buf.getvalue())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> SymmetryClassifier:
        """Read a classifier written by :meth:`save`."""
        path = Path(path)
        try:
            data = torch.load(path, weights_only=True)
            params = dict(data["params"])
            for key in ("hidden", "cnn_channels", "classes"):
                params[key] = tuple(params[key])
            clf = cls(**params)
            models = []
            for state in data["models"]:
                m = SymmetryCNN(len(clf.classes), channels=clf.cnn_channels)
                m.load_state_dict(state)
                models.append(m.eval())
        except _LOAD_ERRORS as exc:
            raise ValueError(
                f"{path}: not a saved SymmetryClassifier ({exc.__class__.__name__}: {exc})"
            ) from None
        clf.models_ = models
        clf.classes_ = clf.classes
        return clf


def train_on_templates(
    classifier: SymmetryClassifier, n_per_class: int, *, seed: int = 0
) -> SymmetryClassifier:
    """Fit ``classifier`` on ``n_per_class`` fresh templates of each of its classes."""
    images, labels, _ = symmetric_templates(
        n_per_class, classifier.size, classes=classifier.classes, seed=seed
    )
    return classifier.fit(images, labels)


_LOAD_ERRORS = (OSError, RuntimeError, KeyError, TypeError, ValueError, EOFError, pickle.UnpicklingError)
CACHE_ENV_VAR = "PHYSML_CACHE"
_CACHE_FORMAT = 1  # bump when the pipeline changes what a given set of settings trains


def default_cache_dir() -> Path:
    """Where trained classifiers are kept: ``$PHYSML_CACHE/symmetry`` if the variable is set,
    else ``$XDG_CACHE_HOME/physml/symmetry``, else ``~/.cache/physml/symmetry``."""
    root = os.environ.get(CACHE_ENV_VAR)
    if root:
        return Path(root) / "symmetry"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "physml" / "symmetry"


def classifier_cache_key(classifier: SymmetryClassifier, n_per_class: int, seed: int) -> str:
    """A file name that identifies a trained classifier by everything that determines it: its
    parameters, the number of training templates per class, the template seed, the cache
    format and the torch version (the trained weights depend on torch's kernels)."""
    params = {k: list(v) if isinstance(v, tuple) else v for k, v in classifier.get_params().items()}
    settings = {
        "params": params,
        "n_per_class": int(n_per_class),
        "seed": int(seed),
        "format": _CACHE_FORMAT,
        "torch": torch.__version__,
    }
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    return f"classifier-{classifier.size}px-{n_per_class}pc-{digest}.pt"


def cached_classifier(
    classifier: SymmetryClassifier,
    n_per_class: int,
    *,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[SymmetryClassifier, Path, bool]:
    """:func:`train_on_templates`, once: the trained classifier is saved in ``cache_dir``
    (default :func:`default_cache_dir`) under :func:`classifier_cache_key` and read back by
    later calls with the same settings. A cached file that cannot be read is trained afresh
    and replaced.

    Returns
    -------
    classifier : SymmetryClassifier (fitted)
    path : pathlib.Path
        The cache file.
    from_cache : bool
        True if it was read from the cache, False if it was trained now.
    """
    n_per_class = check_int(n_per_class, "n_per_class", low=1)
    seed = check_seed(seed)
    classifier._validate()
    directory = default_cache_dir() if cache_dir is None else Path(cache_dir)
    path = directory / classifier_cache_key(classifier, n_per_class, seed)
    if path.is_file():
        try:
            loaded = SymmetryClassifier.load(path)
        except ValueError:
            pass
        else:
            if loaded.get_params() == classifier.get_params():
                return loaded, path, True
    fitted = train_on_templates(classifier, n_per_class, seed=seed)
    directory.mkdir(parents=True, exist_ok=True)
    fitted.save(path)
    return fitted, path, False


@dataclass(frozen=True)
class SymmetryScore:
    """The symmetry score of one picture.

    Attributes
    ----------
    image : ndarray of uint8, shape (N, N)
        The binarised picture that was measured.
    measures : InvarianceMeasures
        The direct measures.
    direct : str
        The class the direct measure assigns (:func:`physml.symmetry.direct_class`).
    probabilities, spread : dict of str to float, or None
        The learned pipeline's mean class probabilities and their standard deviation over the
        decoy × CNN ensemble (None without a classifier).
    """

    image: np.ndarray
    measures: InvarianceMeasures
    direct: str
    probabilities: dict[str, float] | None
    spread: dict[str, float] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "direct_class": self.direct,
            "direct": self.measures.to_dict(),
            "learned": None
            if self.probabilities is None
            else {"probabilities": self.probabilities, "spread": self.spread},
        }


def symmetry_score(
    image: np.ndarray | str | os.PathLike[str],
    classifier: SymmetryClassifier | None = None,
    *,
    size: int | None = None,
    threshold: float = 0.8,
    seed: int = 0,
) -> SymmetryScore:
    """Score a picture: the direct invariance measures and, with a fitted ``classifier``, the
    learned class probabilities with their spread.

    Parameters
    ----------
    image : path (PNG/JPEG…) or array (H, W) / (H, W, 3|4)
        Binarised by the rule of :func:`physml.symmetry.prepare_image` (luminance, centre crop,
        area resize, Otsu threshold, dark = 1).
    classifier : SymmetryClassifier, optional
    size : int, optional
        Side to resize to; default the classifier's size, or 64 without one.
    threshold : float
        Threshold of :func:`physml.symmetry.direct_class`.
    """
    side = size if size is not None else (classifier.size if classifier is not None else 64)
    if classifier is not None and side != classifier.size:
        raise ValueError(f"size={side} differs from the classifier's size {classifier.size}")
    if isinstance(image, (str, os.PathLike)):
        binary = load_image(image, side)
    else:
        binary = prepare_image(image, side)
    measures = invariance_measures(binary, threshold=threshold)
    probs = spread = None
    if classifier is not None:
        mean, sd = classifier.predict_proba(binary[None], seed=seed)
        probs = dict(zip(classifier.classes_, mean[0].tolist(), strict=True))
        spread = dict(zip(classifier.classes_, sd[0].tolist(), strict=True))
    return SymmetryScore(binary, measures, direct_class(measures, threshold), probs, spread)
