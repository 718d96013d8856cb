"""The default learned symmetry classifier: an ensemble of small MLPs on symmetry profiles,
trained on pictures of random motifs under random symmetry groups, with a temperature fitted on
a calibration split of those training pictures.

Why not pixels: the decoy → PCA image → CNN pipeline (:class:`~physml.symmetry.SymmetryClassifier`)
and a CNN on the raw pictures both learn the shapes of their training families (0.37–0.48 on the
held-out families, docs/symmetry.md). The input here is :func:`~physml.symmetry.symmetry_profile`:
how much the picture overlaps with itself under each rotation, mirror and shift, which does not
depend on what the shape is. The training pictures (:func:`~physml.symmetry.group_picture`) are
labelled by their group, and the order of a rotation group is learned by a second head.

Calibration: the ensemble's mean probability is over-confident where the members agree by habit;
one temperature T divides every member's logits (Guo, Pleiss, Sun & Weinberger, "On calibration
of modern neural networks", ICML 2017), fitted by maximum likelihood on a stratified split of the
training pictures that the members never saw (``calibration_fraction``); the order head gets its
own temperature the same way.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from scipy import optimize
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from physml import nets
from physml._core import (
    Interval,
    ModelMixin,
    Predicate,
    check_array,
    check_int,
    derive_seed,
    progress,
    spawn_seeds,
    torch_generator,
)
from physml.symmetry._fine import FINE_CLASSES
from physml.symmetry._images import MIN_IMAGE_SIZE
from physml.symmetry._procedural import group_pictures
from physml.symmetry._profile import PROFILE_LENGTH, symmetry_profile

__all__ = [
    "ORDERS",
    "LearnedCall",
    "SymmetryProfileClassifier",
    "class_name",
    "learned_call",
    "parse_class_name",
    "train_on_groups",
]

#: Rotation orders the order head tells apart.
ORDERS = tuple(range(2, 9))
_ROTATIONAL = ("D_n", "Z_n")
_NAME = re.compile(r"^([DZ])_(\d+)$")


def class_name(label: str, order: int | None) -> str:
    """The class with its order: ("D_n", 4) → "D_4", ("Z_n", 2) → "Z_2", ("D_1", 1) → "D_1",
    others as they are."""
    if label in _ROTATIONAL and order is not None:
        return f"{label[0]}_{order}"
    return label


def parse_class_name(name: str) -> tuple[str, int | None]:
    """(fine label, order) of a class name: "D_4" → ("D_n", 4), "Z_3" → ("Z_n", 3), "D_1" →
    ("D_1", 1), "D_n" → ("D_n", None), "T^2" → ("T^2", None)."""
    if name == "D_1":
        return "D_1", 1
    m = _NAME.match(name)
    if m:
        return f"{m.group(1)}_n", int(m.group(2))
    if name in FINE_CLASSES:
        return name, None
    raise ValueError(f"class name must be one of {FINE_CLASSES} or D_k / Z_k with k >= 2, got {name!r}")


def _names(value: Any) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) >= 2 and all(v in FINE_CLASSES for v in value)
            and len(set(value)) == len(value))


def _widths(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(w, int) and not isinstance(w, bool) and w >= 1 for w in value)


class SymmetryProfileClassifier(ModelMixin, ClassifierMixin, BaseEstimator):
    """The symmetry class of a two-colour picture from its symmetry profile: an ensemble of MLPs
    with a class head (fine classes) and an order head (n = 2..8 for D_n and Z_n), calibrated by
    temperature scaling on a split of the training pictures.

    A physml model (docs/architecture.md, "One model contract"): parameters checked in ``fit``;
    ``predict_proba`` gives the calibrated class probabilities (with ``return_std=True`` also
    their spread over the members); ``score(X, y)`` is the accuracy of the class (without the
    order); ``save``/``load`` write the weights in the one model-file format (no pickle).

    Parameters
    ----------
    size : int
        Side of the training pictures (:func:`train_on_groups`) and the side to prepare pictures
        at before classifying them (the profile is measured at any side; its values depend on
        the resolution, so pictures are best classified at the side the classifier was trained at).
    hidden : sequence of int
        Hidden widths of each member MLP.
    n_members : int
        MLPs trained from different seeds; probabilities are averaged over them.
    epochs, batch_size, learning_rate, momentum, weight_decay : SGD settings of each member
        (:func:`physml.nets.sgd_train`, cosine schedule).
    calibration_fraction : float
        Fraction of each class's training pictures kept out of the members' training to fit the
        temperatures (0: no calibration, T = 1).
    classes : sequence of str
        Fine classes (:data:`~physml.symmetry.FINE_CLASSES` or a subset of at least two).
    seed : int
        The split from ``derive_seed(seed, "split")``, member k from ``spawn_seeds(derive_seed(seed,
        "members"), n_members)[k]``.

    Attributes
    ----------
    classes_ : tuple of str
    members_ : list of list of (ndarray, ndarray)
        Each member's layers as (weight (n_out, n_in), bias (n_out,)), float32: the weights of
        the trained :class:`physml.nets.MLP` (ReLU between layers). Prediction is a numpy forward
        pass over them, so a classifier read from a file classifies without importing torch
        (torch is imported by :meth:`fit` only).
    mean_, scale_ : ndarray
        Standardisation of the profile features (training split).
    temperature_, order_temperature_ : float
    calibration_ : dict
        On the calibration split: accuracy, mean top probability and NLL before and after the
        temperature (empty without a split).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "size": [Interval(int, MIN_IMAGE_SIZE, None)],
        "hidden": [Predicate(_widths, "a non-empty sequence of positive ints")],
        "n_members": [Interval(int, 1, None)],
        "epochs": [Interval(int, 1, None)],
        "batch_size": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "momentum": [Interval(float, 0, 1)],
        "weight_decay": [Interval(float, 0, None)],
        "calibration_fraction": [Interval(float, 0, 0.5)],
        "classes": [Predicate(_names, f"a sequence of at least two distinct classes of {FINE_CLASSES}")],
        "seed": [Interval(int, 0, None)],
    }
    _data_kind: ClassVar[str] = "images"

    def __init__(
        self,
        *,
        size: int = 64,
        hidden: Sequence[int] = (64, 64),
        n_members: int = 5,
        epochs: int = 150,
        batch_size: int = 64,
        learning_rate: float = 0.05,
        momentum: float = 0.9,
        weight_decay: float = 1e-3,
        calibration_fraction: float = 0.2,
        classes: Sequence[str] = FINE_CLASSES,
        seed: int = 0,
    ):
        self.size = size
        self.hidden = hidden
        self.n_members = n_members
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.calibration_fraction = calibration_fraction
        self.classes = classes
        self.seed = seed

    # -- inputs ---------------------------------------------------------------------------------
    def profiles(self, X: Any, *, desc: str | None = None) -> np.ndarray:
        """The profile features (n, n_features) of the square pictures ``X`` (n, N, N) of 0/1,
        N >= 16 (the profile's length does not depend on N; ``size`` is the side the training
        pictures are drawn at, the side to prepare pictures at)."""
        imgs = check_array(X, "X", ndim=3)
        if imgs.shape[1] != imgs.shape[2] or imgs.shape[1] < MIN_IMAGE_SIZE:
            raise ValueError(f"X must hold square pictures (n, N, N) with N >= {MIN_IMAGE_SIZE}, got shape "
                             f"{imgs.shape}")
        rows = [symmetry_profile(im) for im in progress(imgs, total=len(imgs), desc=desc)]
        return np.stack(rows) if rows else np.empty((0, PROFILE_LENGTH), np.float32)

    def _targets(self, y: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Class indices and order indices (into :data:`ORDERS`, −1 if unknown or not rotational)
        of labels given as fine classes ("D_n") or names with the order ("D_4")."""
        lab = np.asarray(y)
        if lab.shape != (n,):
            raise ValueError(f"y must have shape ({n},), got {lab.shape}")
        classes = tuple(self.classes)
        if lab.dtype.kind in "biu" or (lab.dtype.kind == "f" and np.all(np.isfinite(lab))
                                       and np.all(lab == np.round(lab))):
            idx = lab.astype(np.int64)
            if n and (idx.min() < 0 or idx.max() >= len(classes)):
                raise ValueError(f"y class indices must be in 0..{len(classes) - 1}, "
                                 f"got {idx.min()}..{idx.max()}")
            return idx, np.full(n, -1)
        if lab.dtype.kind not in "USO":
            raise TypeError(f"y must hold class names or class indices, got dtype {lab.dtype}")
        idx, orders = np.empty(n, np.int64), np.full(n, -1)
        for i, name in enumerate(lab.tolist()):
            try:
                label, order = parse_class_name(str(name))
            except ValueError:
                raise ValueError(f"y holds {name!r}, not one of the classes {classes} "
                                 "(or D_k / Z_k)") from None
            if label not in classes:
                raise ValueError(f"y holds {name!r}, whose class {label!r} is not among classes {classes}")
            idx[i] = classes.index(label)
            if label in _ROTATIONAL and order is not None:
                if order not in ORDERS:
                    raise ValueError(f"y holds {name!r}: orders {ORDERS[0]}..{ORDERS[-1]} are learned")
                orders[i] = ORDERS.index(order)
        return idx, orders

    # -- training -------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> SymmetryProfileClassifier:
        """Train on the pictures ``X`` (n, size, size) of 0/1; ``y`` holds their classes, as fine
        classes ("D_n"), names with the order ("D_4", "Z_2": the order head learns from these)
        or indices into ``classes``."""
        self._validate_params()
        features = self.profiles(X, desc="symmetry profiles")
        return self.fit_profiles(features, y)

    def fit_profiles(self, features: Any, y: Any) -> SymmetryProfileClassifier:
        """Train on profile features (n, n_features) as :meth:`profiles` gives them."""
        self._validate_params()
        f = check_array(features, "features", ndim=2, min_samples=2, dtype=np.float32)
        label, order = self._targets(y, len(f))
        if len(np.unique(label)) < 2:
            raise ValueError(f"y must hold at least 2 classes, got {sorted(set(label.tolist()))}")
        train, calib = self._split(label)
        self.mean_ = f[train].mean(axis=0)
        self.scale_ = np.where(f[train].std(axis=0) > 1e-6, f[train].std(axis=0), 1.0).astype(np.float32)
        import torch

        z_np = (f - self.mean_) / self.scale_
        z = torch.from_numpy(z_np)
        targets = torch.from_numpy(np.column_stack([label, order]))
        n_classes = len(self.classes)
        self.members_ = []
        seeds = spawn_seeds(derive_seed(self.seed, "members"), self.n_members)
        for s in progress(seeds, total=self.n_members, desc="training the ensemble"):
            net = self._network(f.shape[1], s)
            nets.sgd_train(net, z[train], targets[train], _loss(n_classes), epochs=self.epochs,
                           batch_size=min(self.batch_size, len(train)), learning_rate=self.learning_rate,
                           momentum=self.momentum, weight_decay=self.weight_decay, schedule="cosine",
                           generator=torch_generator(derive_seed(s, "batches")))
            self.members_.append([(layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())
                                  for layer in net.layers])
        self.classes_ = tuple(self.classes)
        self.temperature_, self.order_temperature_ = 1.0, 1.0
        self.calibration_: dict[str, float] = {}
        if len(calib):
            logits = self._logits(z_np[calib])
            self.temperature_, before, after = _fit_temperature(logits[..., :n_classes], label[calib])
            acc = float(np.mean(_mean_softmax(logits[..., :n_classes], 1.0).argmax(1) == label[calib]))
            self.calibration_ = {"n": int(len(calib)), "accuracy": acc, "nll_before": before,
                                 "nll_after": after}
            rot = order[calib] >= 0
            if rot.sum() >= 2:
                self.order_temperature_, before, after = _fit_temperature(logits[rot][..., n_classes:],
                                                                          order[calib][rot])
                self.calibration_.update(order_nll_before=before, order_nll_after=after)
        return self

    def _split(self, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A stratified split (training, calibration) of the pictures' indices."""
        rng = np.random.default_rng(derive_seed(self.seed, "split"))
        train, calib = [], []
        for c in np.unique(label):
            idx = rng.permutation(np.nonzero(label == c)[0])
            k = int(math.floor(self.calibration_fraction * len(idx)))
            calib.extend(idx[:k].tolist())
            train.extend(idx[k:].tolist())
        return np.sort(np.array(train, dtype=np.int64)), np.sort(np.array(calib, dtype=np.int64))

    def _widths(self, n_features: int) -> tuple[int, ...]:
        return (n_features, *self.hidden, len(self.classes) + len(ORDERS))

    def _network(self, n_features: int, seed: int) -> Any:
        import torch

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return nets.MLP(self._widths(n_features), "relu")

    def _logits(self, z: np.ndarray) -> np.ndarray:
        """Logits (n, n_members, n_classes + n_orders) of standardised features (n, n_features):
        each member's forward pass in numpy, float32 (ReLU between layers, the last linear), the
        same numbers as the torch MLP's forward to float32 round-off (tested)."""
        z = np.asarray(z, np.float32)
        out = []
        for layers in self.members_:
            x = z
            for j, (w, b) in enumerate(layers):
                x = x @ w.T + b
                if j < len(layers) - 1:
                    x = np.maximum(x, np.float32(0))
            out.append(x)
        return np.stack(out, axis=1)

    # -- prediction -----------------------------------------------------------------------------
    def _member_outputs(self, X: Any, features: Any = None) -> np.ndarray:
        check_is_fitted(self)
        if features is None:
            f = self.profiles(X)
        else:
            f = check_array(features, "features", ndim=2, dtype=np.float32, n_features=len(self.mean_))
        if f.shape[1] != len(self.mean_):
            raise ValueError(f"features have {f.shape[1]} columns, the classifier was fitted on "
                             f"{len(self.mean_)}")
        return self._logits((f - self.mean_) / self.scale_)

    def predict_proba(self, X: Any, *, return_std: bool = False, features: Any = None
                      ) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
        """Calibrated class probabilities (n, n_classes), the mean over members of the softmax of
        their logits divided by ``temperature_``; with ``return_std=True`` also the members'
        standard deviation. ``features`` (from :meth:`profiles`) skips computing the profiles
        (``X`` is then ignored)."""
        logits = self._member_outputs(X, features)[..., : len(self.classes_)]
        p = _softmax(logits / self.temperature_)
        return (p.mean(axis=1), p.std(axis=1)) if return_std else p.mean(axis=1)

    def predict_order_proba(self, X: Any, *, features: Any = None) -> np.ndarray:
        """Calibrated probabilities (n, len(ORDERS)) of the rotation order n = 2..8, given that
        the picture is D_n or Z_n."""
        logits = self._member_outputs(X, features)[..., len(self.classes_):]
        return _softmax(logits / self.order_temperature_).mean(axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """The most probable fine class of each picture (without the order)."""
        p = self.predict_proba(X)
        return np.array([self.classes_[i] for i in p.argmax(axis=1)])

    def predict_names(self, X: Any, *, features: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """The most probable class with its order ("D_4", "Z_2", "O(2)", ...) of each picture and
        its probability, P(class) × P(order | D_n or Z_n) for the rotation groups."""
        out = self._member_outputs(X, features)
        k = len(self.classes_)
        p = _softmax(out[..., :k] / self.temperature_).mean(axis=1)
        po = _softmax(out[..., k:] / self.order_temperature_).mean(axis=1)
        names, probs = [], []
        for pi, poi in zip(p, po, strict=True):
            scored = {}
            for c, label in enumerate(self.classes_):
                if label in _ROTATIONAL:
                    j = int(poi.argmax())
                    scored[class_name(label, ORDERS[j])] = float(pi[c] * poi[j])
                else:
                    scored[label] = float(pi[c])
            best = max(scored, key=scored.get)
            names.append(best)
            probs.append(scored[best])
        return np.array(names), np.array(probs)

    def score(self, X: Any, y: Any = None, sample_weight: Any = None) -> float:
        """Accuracy of :meth:`predict` (the class, without the order) against ``y`` (scikit-learn's
        classifier score; higher is better)."""
        check_is_fitted(self)
        if y is None:
            raise TypeError("SymmetryProfileClassifier.score needs the labels y (the accuracy of predict(X))")
        idx, _ = self._targets(y, len(np.asarray(y)))
        names = np.asarray(self.classes_)[idx]
        return float(ClassifierMixin.score(self, X, names, sample_weight=sample_weight))

    def _train_default(self, n_per_class: int, *, seed: int) -> SymmetryProfileClassifier:
        """How :func:`~physml.symmetry.cached_classifier` trains this classifier:
        :func:`train_on_groups`."""
        return train_on_groups(self, n_per_class, seed=seed)

    # -- files ----------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta = {"n_members": len(self.members_), "n_features": int(len(self.mean_)),
                "temperature": float(self.temperature_), "order_temperature": float(self.order_temperature_),
                "calibration": dict(self.calibration_)}
        arrays: dict[str, Any] = {"mean": self.mean_, "scale": self.scale_}
        for i, layers in enumerate(self.members_):  # the names of the MLP's state_dict under member{i}
            for j, (w, b) in enumerate(layers):
                arrays[f"member{i}.layers.{j}.weight"] = w
                arrays[f"member{i}.layers.{j}.bias"] = b
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.mean_ = np.asarray(arrays["mean"], np.float32)
        self.scale_ = np.asarray(arrays["scale"], np.float32)
        widths = self._widths(int(meta["n_features"]))
        members = []
        for i in range(int(meta["n_members"])):
            layers = []
            for j, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
                w = np.asarray(arrays[f"member{i}.layers.{j}.weight"], np.float32)
                b = np.asarray(arrays[f"member{i}.layers.{j}.bias"], np.float32)
                if w.shape != (n_out, n_in) or b.shape != (n_out,):
                    raise ValueError(f"member {i} layer {j} has weights {w.shape} and bias {b.shape}, "
                                     f"expected {(n_out, n_in)} and {(n_out,)}")
                layers.append((w, b))
            members.append(layers)
        self.members_ = members
        self.temperature_ = float(meta["temperature"])
        self.order_temperature_ = float(meta["order_temperature"])
        self.calibration_ = dict(meta["calibration"])
        self.classes_ = tuple(self.classes)

    @classmethod
    def load(cls, path: str | os.PathLike[str], **overrides: Any) -> SymmetryProfileClassifier:
        """A classifier written by :meth:`save` (see :meth:`physml._core.ModelMixin.load`)."""
        return super().load(Path(path), **overrides)


def _loss(n_classes: int):
    import torch

    def loss(out: torch.Tensor, target: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
        ce = torch.nn.functional.cross_entropy(out[:, :n_classes], target[:, 0], reduction="none")
        order = torch.nn.functional.cross_entropy(out[:, n_classes:], target[:, 1].clamp(min=0),
                                                  reduction="none")
        ce = ce + torch.where(target[:, 1] >= 0, order, torch.zeros_like(order))
        return ce.mean() if reduction == "mean" else ce

    return loss


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def _mean_softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    return _softmax(logits / temperature).mean(axis=1)


def _nll(logits: np.ndarray, target: np.ndarray, temperature: float) -> float:
    p = _mean_softmax(logits, temperature)[np.arange(len(target)), target]
    return float(-np.mean(np.log(np.clip(p, 1e-12, None))))


def _fit_temperature(logits: np.ndarray, target: np.ndarray) -> tuple[float, float, float]:
    """The temperature T in [0.05, 20] minimising the NLL of the members' mean softmax(logits / T),
    with the NLL at T = 1 and at T."""
    res = optimize.minimize_scalar(lambda t: _nll(logits, target, math.exp(t)), bounds=(math.log(0.05),
                                   math.log(20.0)), method="bounded", options={"xatol": 1e-4})
    t = float(math.exp(res.x))
    return t, _nll(logits, target, 1.0), _nll(logits, target, t)


def train_on_groups(classifier: SymmetryProfileClassifier, n_per_class: int, *, seed: int = 0
                    ) -> SymmetryProfileClassifier:
    """Fit ``classifier`` on ``n_per_class`` pictures of each of its classes from
    :func:`~physml.symmetry.group_pictures` (labels with the order: "D_4", "Z_2", ...)."""
    n_per_class = check_int(n_per_class, "n_per_class", low=1)
    pics = group_pictures(n_per_class, classifier.size, seed=seed, classes=tuple(classifier.classes),
                          desc="training pictures")
    images = np.stack([p.image for p in pics])
    return classifier.fit(images, np.array([class_name(p.label, p.order) for p in pics]))


@dataclass(frozen=True)
class LearnedCall:
    """What the learned classifier says about one picture.

    Attributes
    ----------
    name : str
        The most probable class with its order ("D_4", "Z_2", "D_1", "O(2)", "T^2", "T", "none").
    probability : float
        Its calibrated probability (P(class) × P(order | class) for D_n and Z_n).
    probabilities, spread : dict of str to float
        The calibrated probability of each fine class and its standard deviation over the members.
    order_probabilities : dict of int to float
        P(order n | D_n or Z_n), n = 2..8.
    """

    name: str
    probability: float
    probabilities: dict[str, float]
    spread: dict[str, float]
    order_probabilities: dict[int, float]

    @property
    def label(self) -> str:
        """The fine class without the order ("D_n", "Z_n", "D_1", ...)."""
        return parse_class_name(self.name)[0]

    def to_dict(self) -> dict[str, Any]:
        orders = {str(k): v for k, v in self.order_probabilities.items()}
        return {"class": self.name, "probability": self.probability, "probabilities": self.probabilities,
                "spread": self.spread, "order_probabilities": orders}


def learned_call(classifier: SymmetryProfileClassifier, image: np.ndarray) -> LearnedCall:
    """The fitted ``classifier``'s call on one two-colour picture of side ``classifier.size``."""
    features = classifier.profiles(np.asarray(image)[None])
    mean, sd = classifier.predict_proba(None, return_std=True, features=features)
    orders = classifier.predict_order_proba(None, features=features)[0]
    names, probs = classifier.predict_names(None, features=features)
    return LearnedCall(str(names[0]), float(probs[0]),
                       dict(zip(classifier.classes_, mean[0].tolist(), strict=True)),
                       dict(zip(classifier.classes_, sd[0].tolist(), strict=True)),
                       dict(zip(ORDERS, orders.tolist(), strict=True)))
