"""The model contract that every physml estimator shares (docs/architecture.md, "One model contract").

:class:`ModelMixin` goes before scikit-learn's ``BaseEstimator`` in a model's bases::

    class RBM(ModelMixin, TransformerMixin, BaseEstimator):
        _parameter_constraints = {...}      # one declaration per class
        _data_kind = "binary"               # what fit expects (the common test makes such data)

        def fit(self, X, y=None):
            self._validate_params()
            ...
            return self

        def _get_state(self):               # fitted state -> (JSON meta, numeric arrays)
        def _set_state(self, meta, arrays, version):

It gives the model

* ``_validate_params()``: the constructor arguments checked against ``_parameter_constraints``
  (:func:`physml._core.validate_params`), one line naming the parameter, the value and what is
  accepted;
* ``save(path)`` / ``Class.load(path)``: one ``.npz`` of plain arrays and a JSON header through
  :func:`physml._core.write_model_file`, recording the format name (``physml.<package>.<Class>``),
  the format version and the physml version; no pickle, and another class's file is refused with
  one line naming both; a model whose float arrays hold NaN or inf (saved after training diverged)
  is refused too, unless its class lists the array in ``_nonfinite_arrays``;
* ``score(X)``: the mean of ``score_samples(X)`` (higher is better), present only where the model
  defines ``score_samples``.
"""

from __future__ import annotations

import fnmatch
import importlib
import os
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.utils.metaestimators import available_if

from physml._core._params import validate_params
from physml._core._persist import ModelFileError, _reason, read_model_file, write_model_file

__all__ = [
    "DATA_KINDS",
    "ModelMixin",
    "decode_param",
    "encode_param",
    "model_class",
    "model_format",
    "nested_model",
    "nested_state",
]

#: What a model's ``fit`` takes, by name; the common estimator test makes tiny data of each kind.
DATA_KINDS = {
    "real": "X, float array (n_samples, n_features)",
    "binary": "X, array of 0/1 (n_samples, n_features)",
    "categorical": "X, array of integer states 0, ..., q-1 (n_samples, n_features), e.g. Potts spins",
    "spins": "X, array of ±1 (n_samples, n_features): patterns",
    "labelled": "X, float array (n_samples, n_features), and class labels y",
    "events": "X, float array of event features, y the signal-region flag (1) against the reference (0), "
    "and the keyword mjj, the resonance coordinate",
    "conditional": "X, float array of event features, and the keyword mjj that the density is conditioned on",
    "images": "X, float array (n_images, height, width)",
    "joint": "p, a joint probability table (n_x, n_y)",
    "text": "X, a string (or a list of strings) of text",
}


def model_format(cls: type) -> str:
    """``physml.<package>.<Class>``: the public package (the module path up to its first private
    part) and the class name, so that moving a class between private modules keeps its files."""
    parts = []
    for part in cls.__module__.split("."):
        if part.startswith("_"):
            break
        parts.append(part)
    return ".".join([*parts, cls.__qualname__])


def model_class(format: str) -> type:
    """The physml model class a file's ``format`` names (``physml.<package>.<Class>``).

    Only classes of physml packages that use :class:`ModelMixin` are returned, so a file can
    name nothing else to be built. Only public module paths are imported (``model_format``
    writes nothing else): a file naming ``physml.__main__`` or a private module is refused
    before anything is imported, so it cannot run the command line or any module's code."""
    module, _, name = format.rpartition(".")
    parts = module.split(".")
    public = all(part.isidentifier() and not part.startswith("_") for part in parts)
    if parts[0] != "physml" or len(parts) < 2 or not public or not name.isidentifier():
        raise ValueError(f"{format!r} names no physml model")
    cls = getattr(importlib.import_module(module), name, None)
    if not (isinstance(cls, type) and issubclass(cls, ModelMixin)):
        raise ValueError(f"{format!r} names no physml model")
    return cls


def encode_param(value: Any) -> Any:
    """A constructor argument as JSON: tuples, numpy arrays and (unfitted) physml models inside
    it are tagged so that :func:`decode_param` gives back the same value; a torch device or
    dtype and a numpy dtype are stored as their names (``"cpu"``, ``"float32"``)."""
    if isinstance(value, tuple):
        return {"__tuple__": [encode_param(v) for v in value]}
    if isinstance(value, list):
        return [encode_param(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): encode_param(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return {"__array__": value.tolist(), "dtype": str(value.dtype)}
    if isinstance(value, np.generic):
        return value.item()
    if type(value).__module__ == "torch" and type(value).__name__ in ("device", "dtype"):
        return str(value).removeprefix("torch.")  # "cuda:0", "float32" (torch is not imported)
    if isinstance(value, np.dtype):
        return value.name
    if isinstance(value, type) and issubclass(value, np.generic):  # np.float32
        return np.dtype(value).name
    if isinstance(value, ModelMixin):  # its own file form (e.g. a torch device as a string)
        return {"__model__": model_format(type(value)), "params": value._params_for_file()}
    return value


def decode_param(value: Any) -> Any:
    """The inverse of :func:`encode_param` (plain JSON values pass through)."""
    if isinstance(value, list):
        return [decode_param(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"__tuple__"}:
            return tuple(decode_param(v) for v in value["__tuple__"])
        if set(value) == {"__array__", "dtype"}:
            return np.array(value["__array__"], dtype=value["dtype"])
        if set(value) == {"__model__", "params"}:
            return model_class(value["__model__"])(**decode_param(value["params"]))
        return {k: decode_param(v) for k, v in value.items()}
    return value


def nested_state(model: Any, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """A fitted physml model inside another model's file: ``(record, arrays)``, its arrays named
    ``prefix.<name>``. :func:`nested_model` rebuilds it."""
    if not isinstance(model, ModelMixin):
        raise TypeError(f"a {type(model).__name__} is no physml model and cannot be written to a model file")
    meta, arrays = model._get_state()
    record = {"format": model_format(type(model)), "version": max(type(model)._file_versions),
              "params": model._params_for_file(), "state": meta}
    return record, {f"{prefix}.{k}": np.asarray(v) for k, v in arrays.items()}


def nested_model(record: Mapping[str, Any], arrays: Mapping[str, np.ndarray], prefix: str) -> Any:
    """The model that :func:`nested_state` wrote under ``prefix``; its arrays are held to the
    same rule as a model loaded on its own (no NaN or inf but where its class allows them)."""
    cls = model_class(record["format"])
    if record["version"] not in cls._file_versions:
        raise ValueError(f"the model file holds a {record['format']} of format version {record['version']}, "
                         f"which this physml does not read (it reads {list(cls._file_versions)})")
    model = cls(**decode_param(record["params"]))
    inner = {k[len(prefix) + 1:]: v for k, v in arrays.items() if k.startswith(prefix + ".")}
    parent = _LOADING.get()
    if parent is not None:  # the enclosing model leaves these arrays to this one's rule
        parent.nested.append(prefix + ".")
        path, full = parent.path, parent.prefix + prefix + "."
    else:  # e.g. an ensemble that reads its file itself: the arrays know their file
        path, full = getattr(arrays, "path", None), prefix + "."
    _restore_state(model, record["state"], inner, record["version"], path=path, prefix=full)
    return model


#: What goes wrong when a model is rebuilt from a file's contents (a missing or misshapen array,
#: a header value of the wrong type): reported as a ModelFileError naming the file.
_REBUILD_ERRORS = (KeyError, IndexError, ValueError, TypeError, RuntimeError, AttributeError)


@dataclass
class _Loading:
    """The model being restored from a file: its file, the prefix of its arrays' names in the
    file, and the prefixes of the nested models restored inside it so far."""

    path: Path | None
    prefix: str
    nested: list[str] = field(default_factory=list)


_LOADING: ContextVar[_Loading | None] = ContextVar("physml_model_loading", default=None)


def _restore_state(model: Any, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int,
                   *, path: Path | None, prefix: str) -> None:
    """``model._set_state``, then refuse a float array holding NaN or inf that the class does not
    list in ``_nonfinite_arrays``; with a ``path``, a failure to rebuild becomes a ModelFileError
    naming the file. (The check comes after ``_set_state`` so that nested models, which apply
    their own classes' rule, are known; a model that failed is never returned either way.)"""
    frame = _Loading(path, prefix)
    token = _LOADING.set(frame)
    failure: BaseException | None = None
    try:
        model._set_state(meta, arrays, version)
    except ModelFileError:
        raise
    except _REBUILD_ERRORS as exc:
        failure = exc
    finally:
        _LOADING.reset(token)
    _refuse_nonfinite(type(model), arrays, frame)
    if failure is not None:
        if path is None:
            raise failure
        what = type(model).__name__ + (f" ({prefix.rstrip('.')})" if prefix else "")
        raise ModelFileError(f"{path}: cannot rebuild the {what} from this file "
                             f"({_reason(failure)})") from None


def _refuse_nonfinite(cls: type, arrays: Mapping[str, np.ndarray], frame: _Loading) -> None:
    """ModelFileError for the first float array of ``cls``'s own (not its nested models') that
    holds NaN or inf, unless ``cls._nonfinite_arrays`` lists it."""
    allowed = getattr(cls, "_nonfinite_arrays", ())
    bad: list[tuple[str, int]] = []
    for name, value in arrays.items():
        if name.startswith(tuple(frame.nested)) or any(fnmatch.fnmatchcase(name, p) for p in allowed):
            continue
        array = np.asarray(value)
        if array.dtype.kind in "fc":
            count = int(array.size - np.count_nonzero(np.isfinite(array)))
            if count:
                bad.append((name, count))
    if bad:
        name, count = bad[0]
        more = f" (and {len(bad) - 1} more array(s))" if len(bad) > 1 else ""
        where = frame.path if frame.path is not None else "model file"
        raise ModelFileError(
            f"{where}: parameter {frame.prefix + name!r} holds {count} non-finite value{'s' * (count != 1)} "
            f"(NaN or inf){more}; the model was saved after training diverged"
        )


class ModelMixin:
    """Parameter validation, save/load and ``score`` for a scikit-learn estimator."""

    #: ``{parameter: [alternatives]}``, see :func:`physml._core.validate_params`.
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {}
    #: One of :data:`DATA_KINDS`.
    _data_kind: ClassVar[str] = "real"
    #: File format versions ``load`` reads; ``save`` writes the newest.
    _file_versions: ClassVar[tuple[int, ...]] = (1,)
    #: Arrays of the file (names, or ``fnmatch`` patterns such as ``"history_*"``) that may hold
    #: NaN or inf: results that can be undefined (a subsample's estimate, a validation loss not
    #: computed), never trained parameters. ``load`` refuses any other float array holding NaN or
    #: inf: a model saved after its training diverged would give meaningless outputs.
    _nonfinite_arrays: ClassVar[tuple[str, ...]] = ()

    # -- parameters -----------------------------------------------------------------------------
    def _validate_params(self) -> None:
        """Check the constructor arguments against ``_parameter_constraints`` (call it in ``fit``)."""
        validate_params(type(self).__name__, self._parameter_constraints, self.get_params(deep=False))  # type: ignore[attr-defined]

    # -- scoring --------------------------------------------------------------------------------
    #: What ``score_samples`` gives: ``"log-likelihood"`` (higher is better, so ``score`` is its
    #: mean) or ``"anomaly"`` (higher is more anomalous: no ``score``, since a mean anomaly score is
    #: no measure of a good model; give scikit-learn's tools an explicit ``scoring``).
    _score_samples_kind: ClassVar[str] = "log-likelihood"

    @available_if(lambda self: hasattr(self, "score_samples") and self._score_samples_kind == "log-likelihood")  # noqa: E501
    def score(self, X: Any, y: Any = None, **kwargs: Any) -> float:
        """The mean log-likelihood, :meth:`score_samples` averaged over ``X`` (higher is better);
        keyword arguments go to ``score_samples``. Models whose ``score_samples`` is an anomaly
        score have no ``score``; a classifier defines its own (the accuracy)."""
        return float(np.mean(self.score_samples(X, **kwargs)))  # type: ignore[attr-defined]

    # -- files ----------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The fitted state as ``(JSON-serialisable meta, {name: numeric array})``."""
        raise NotImplementedError(f"{type(self).__name__} does not define its file state")

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        """Restore the fitted state written by :meth:`_get_state` (files of ``version``)."""
        raise NotImplementedError(f"{type(self).__name__} does not define its file state")

    def _params_for_file(self) -> dict[str, Any]:
        """Constructor arguments as stored in a file (:func:`encode_param`: tuples, arrays and
        unfitted models inside them come back as they were). A numpy Generator seed cannot be
        stored and is refused (save a model fitted from an integer seed)."""
        params = self.get_params(deep=False)  # type: ignore[attr-defined]
        for name, value in params.items():
            if isinstance(value, np.random.Generator):
                raise ValueError(
                    f"{type(self).__name__}.save: {name} is a numpy Generator, which a file cannot hold; "
                    "fit with an integer seed to save the model"
                )
        return {name: encode_param(value) for name, value in params.items()}

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the fitted model to ``path`` (an ``.npz`` of plain arrays and a JSON header),
        atomically. Loading it runs no code: see :meth:`load`."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self)
        meta, arrays = self._get_state()
        header = {"params": self._params_for_file(), "state": meta}
        return write_model_file(path, format=model_format(type(self)), version=max(self._file_versions),
                                meta=header, arrays=arrays)

    @classmethod
    def load(cls, path: str | os.PathLike[str], **overrides: Any) -> Any:
        """A model written by :meth:`save`; ``overrides`` replace saved constructor arguments that
        do not change the fitted state (e.g. ``device``). Files of another class, of an unknown
        format version, damaged files, files holding pickled objects and models whose parameters
        hold NaN or inf (see ``_nonfinite_arrays``) are refused with a
        :class:`physml._core.ModelFileError` naming the file."""
        names = getattr(cls, "_get_param_names", None)
        unknown = sorted(set(overrides) - set(names())) if names is not None else []
        if unknown:
            raise TypeError(f"{cls.__name__}.load got unknown argument(s) {', '.join(unknown)}")
        meta, arrays = read_model_file(path, format=model_format(cls), versions=cls._file_versions)
        version = int(meta["format_version"])
        try:
            meta = cls._upgrade_meta(meta, version)
            params = {**decode_param(meta.get("params", {})), **overrides}
            model = cls(**params)
        except _REBUILD_ERRORS as exc:
            raise ModelFileError(
                f"{path}: cannot rebuild a {cls.__name__} from this file ({_reason(exc)})"
            ) from None
        _restore_state(model, meta.get("state", {}), arrays, version, path=Path(path), prefix="")
        return model

    @classmethod
    def _upgrade_meta(cls, meta: dict[str, Any], version: int) -> dict[str, Any]:
        """The header of a file of an older ``version`` in today's shape, ``{"params": encoded
        constructor arguments, "state": what _set_state reads, ...}``; called by :meth:`load`
        before the parameters are decoded. The default returns ``meta`` unchanged."""
        return meta
