"""The symmetry score of a picture (the learned classifier's class probabilities beside the direct
invariance measures), reading a classifier file of either kind, and the cache of trained
classifiers.

Torch is not imported here: the default classifier (:class:`~physml.symmetry.SymmetryProfileClassifier`)
predicts in numpy, and the talk's pipeline (:class:`~physml.symmetry.SymmetryClassifier`, module
``_talk``, which imports torch) is reached only when a file names it, through the model-file
registry (:func:`physml._core.model_class`), or when the caller hands one in."""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from physml._core import check_int, model_class, model_file_format, model_format
from physml.symmetry._images import load_image, prepare_image
from physml.symmetry._invariance import (
    InvarianceMeasures,
    class_thresholds,
    direct_class,
    invariance_measures,
)
from physml.symmetry._learned import LearnedCall, SymmetryProfileClassifier, learned_call

if TYPE_CHECKING:
    from physml.symmetry._talk import SymmetryClassifier


__all__ = [
    "CACHE_ENV_VAR",
    "SymmetryScore",
    "cached_classifier",
    "classifier_cache_key",
    "default_cache_dir",
    "load_symmetry_classifier",
    "symmetry_score",
]

#: The model-file formats of the two symmetry classifiers (``model_format`` of each class; the
#: talk's is named, not imported, since its module imports torch).
_PROFILE_FORMAT = model_format(SymmetryProfileClassifier)
_TALK_FORMAT = "physml.symmetry.SymmetryClassifier"


def _is_legacy_file(path: Path) -> bool:
    """A torch zip archive (physml 0.1's SymmetryClassifier.save), not an .npz model file."""
    try:
        if not path.is_file() or not zipfile.is_zipfile(path):
            return False
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return "meta.npy" not in names and any(n.endswith("data.pkl") for n in names)


def load_symmetry_classifier(path: str | os.PathLike[str]) -> SymmetryProfileClassifier | SymmetryClassifier:
    """A classifier file of either kind: a :class:`~physml.symmetry.SymmetryProfileClassifier` or a
    :class:`~physml.symmetry.SymmetryClassifier` (also physml 0.1's torch files); anything else is a
    :class:`physml._core.ModelFileError` naming the file. The file's header names the class, and
    only that class's module is imported (torch only for the talk's classifier)."""
    path = Path(path)
    if _is_legacy_file(path):
        return model_class(_TALK_FORMAT).load(path)
    fmt = model_file_format(path)
    if fmt in (_PROFILE_FORMAT, _TALK_FORMAT):  # the header picks the class: only its module is imported
        return model_class(fmt).load(path)
    return SymmetryProfileClassifier.load(path)  # not a classifier file: its reader says what is wrong


CACHE_ENV_VAR = "PHYSML_CACHE"
# bump when the pipeline changes what a given set of settings trains, or the file format
# (1: torch files "*.pt" of physml 0.1, 2: the model-file format "*.npz")
_CACHE_FORMAT = 2
# bump when physml.symmetry.group_picture draws other pictures for the same seed or
# physml.symmetry.symmetry_profile measures them otherwise
_PROFILE_PICTURES = 1


def default_cache_dir() -> Path:
    """Where trained classifiers are kept: ``$PHYSML_CACHE/symmetry`` if the variable is set,
    else ``$XDG_CACHE_HOME/physml/symmetry``, else ``~/.cache/physml/symmetry``."""
    root = os.environ.get(CACHE_ENV_VAR)
    if root:
        return Path(root) / "symmetry"
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "physml" / "symmetry"


def _settings(classifier: SymmetryClassifier | SymmetryProfileClassifier) -> dict[str, Any]:
    """The classifier's parameters as JSON values (tuples as lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in classifier.get_params(deep=False).items()}


def _cache_name(classifier: SymmetryClassifier | SymmetryProfileClassifier, n_per_class: int, seed: int,
                version: int) -> str:
    settings = {
        "params": _settings(classifier),
        "n_per_class": int(n_per_class),
        "seed": int(seed),
        "format": version,
        "torch": importlib.metadata.version("torch"),  # torch.__version__, without importing torch
    }
    prefix = "classifier"
    if isinstance(classifier, SymmetryProfileClassifier):  # its own names: other settings, other pictures
        settings["model"] = "SymmetryProfileClassifier"
        settings["pictures"] = _PROFILE_PICTURES
        prefix = "profile-classifier"
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]
    suffix = ".pt" if version == 1 else ".npz"
    return f"{prefix}-{classifier.size}px-{n_per_class}pc-{digest}{suffix}"


def classifier_cache_key(classifier: SymmetryClassifier | SymmetryProfileClassifier, n_per_class: int,
                         seed: int) -> str:
    """A file name that identifies a trained classifier by everything that determines it: its
    class and parameters, the number of training pictures per class, their seed, the cache
    format (and for :class:`SymmetryProfileClassifier` the version of its training pictures)
    and the torch version (the trained weights depend on torch's kernels)."""
    return _cache_name(classifier, n_per_class, seed, _CACHE_FORMAT)


def cached_classifier(
    classifier: SymmetryClassifier | SymmetryProfileClassifier,
    n_per_class: int,
    *,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
) -> tuple[Any, Path, bool]:
    """:func:`~physml.symmetry.train_on_templates` (a :class:`~physml.symmetry.SymmetryClassifier`) or
    :func:`~physml.symmetry.train_on_groups` (a :class:`~physml.symmetry.SymmetryProfileClassifier`),
    once: the trained classifier is saved in ``cache_dir``
    (default :func:`default_cache_dir`) under :func:`classifier_cache_key` and read back by
    later calls with the same settings. A cached file that cannot be read is trained afresh
    and replaced. A classifier cached by physml 0.1 (a torch file ``*.pt`` of the same
    settings) is read and written again in the model-file format, without training.

    Returns
    -------
    classifier : SymmetryClassifier (fitted)
    path : pathlib.Path
        The cache file.
    from_cache : bool
        True if it was read from the cache, False if it was trained now.
    """
    if not hasattr(classifier, "_train_default"):
        raise TypeError("classifier must be a SymmetryProfileClassifier or a SymmetryClassifier, got "
                        f"{type(classifier).__name__}")
    n_per_class = check_int(n_per_class, "n_per_class", low=1)
    seed = check_int(seed, "seed", low=0)
    classifier._validate_params()
    directory = default_cache_dir() if cache_dir is None else Path(cache_dir)
    path = directory / classifier_cache_key(classifier, n_per_class, seed)
    profile = isinstance(classifier, SymmetryProfileClassifier)
    old = directory / _cache_name(classifier, n_per_class, seed, 1)
    for candidate in (path,) if profile else (path, old):
        if not candidate.is_file():
            continue
        try:
            loaded = type(classifier).load(candidate)
        except ValueError:
            continue
        if _settings(loaded) == _settings(classifier):
            if candidate != path:  # physml 0.1's torch file: kept in the new format from now on
                loaded.save(path)
            return loaded, path, True
    fitted = classifier._train_default(n_per_class, seed=seed)
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
        The learned classifier's mean class probabilities and their standard deviation over its
        ensemble (decoys × CNNs, or the profile classifier's members; None without a classifier).
    learned : LearnedCall or None
        The call of a :class:`~physml.symmetry.SymmetryProfileClassifier` (class with its order,
        its probability, the order probabilities); None for the talk's pipeline or without one.
    """

    image: np.ndarray
    measures: InvarianceMeasures
    direct: str
    probabilities: dict[str, float] | None
    spread: dict[str, float] | None
    learned: LearnedCall | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.learned is not None:
            learned: dict[str, Any] | None = self.learned.to_dict()
        elif self.probabilities is not None:
            learned = {"probabilities": self.probabilities, "spread": self.spread}
        else:
            learned = None
        return {"direct_class": self.direct, "direct": self.measures.to_dict(), "learned": learned}


def symmetry_score(
    image: np.ndarray | str | os.PathLike[str],
    classifier: SymmetryClassifier | SymmetryProfileClassifier | None = None,
    *,
    size: int | None = None,
    threshold: float | Mapping[str, float] | None = None,
    seed: int = 0,
) -> SymmetryScore:
    """Score a picture: the direct invariance measures and, with a fitted ``classifier``, the
    learned class probabilities with their spread.

    Parameters
    ----------
    image : path (PNG/JPEG…) or array (H, W) / (H, W, 3|4)
        Binarised by the rule of :func:`physml.symmetry.prepare_image` (luminance, centre crop,
        area resize, Otsu threshold, dark = 1).
    classifier : SymmetryProfileClassifier or SymmetryClassifier, optional
        Fitted; the picture is prepared at its ``size``.
    size : int, optional
        Side to resize to; default the classifier's size, or 64 without one.
    threshold : float or mapping, optional
        Thresholds of :func:`physml.symmetry.direct_class` (default the calibrated
        :data:`~physml.symmetry.CLASS_THRESHOLDS`; one number for every class; or a mapping
        overriding some classes).
    """
    side = size if size is not None else (classifier.size if classifier is not None else 64)
    if classifier is not None and side != classifier.size:
        raise ValueError(f"size={side} differs from the classifier's size {classifier.size}")
    if isinstance(image, (str, os.PathLike)):
        binary = load_image(image, side)
    else:
        binary = prepare_image(image, side)
    measures = invariance_measures(binary, threshold=class_thresholds(threshold)["Z_n"])
    probs = spread = call = None
    if isinstance(classifier, SymmetryProfileClassifier):
        call = learned_call(classifier, binary)
        probs, spread = call.probabilities, call.spread
    elif classifier is not None:
        mean, sd = classifier.predict_proba(binary[None], return_std=True, seed=seed)
        probs = dict(zip(classifier.classes_, mean[0].tolist(), strict=True))
        spread = dict(zip(classifier.classes_, sd[0].tolist(), strict=True))
    return SymmetryScore(binary, measures, direct_class(measures, threshold), probs, spread, call)
