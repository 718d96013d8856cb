"""Stored results that cannot run code: one ``.npz`` of plain arrays and a JSON tree per value.

The lab's cache (each finished item of ``ctx.map``) and resumable sweeps
(``physml.scaling.run_sweep(store=...)``) keep finished work on disk so that an interrupted run
continues where it stopped. A run directory may come from someone else, so reading it back must
not execute anything: pickle is never used. A value is written by :func:`dumps_value` as an
``.npz`` archive (read with ``numpy.load(..., allow_pickle=False)``) holding

* ``value.json``: the value's tree as JSON (UTF-8 bytes in a ``uint8`` array), and
* ``a0``, ``a1``, ...: the numpy arrays inside it, referenced from the tree.

What a stored value may be built of (:data:`STORABLE`):

* ``None``, ``bool``, ``int``, ``float`` (``nan`` and ``±inf`` included), ``complex``, ``str``;
* ``list``, ``tuple`` (kept apart: a tuple comes back as a tuple) and ``dict`` (also
  ``collections.OrderedDict``) whose keys are ``str``, ``int``, ``float``, ``bool``, ``None`` or
  tuples of these (key types come back as they were);
* numpy arrays and scalars of bool, integer, float, complex or string dtype (dtype, shape and
  memory order come back exactly; object arrays are refused);
* torch tensors, and so state dicts (stored as numpy arrays, restored as CPU tensors of the same
  dtype, ``bfloat16`` included, without gradient);
* fitted physml models (any :class:`physml._core.ModelMixin`): stored through their own
  model-file state and rebuilt by their class, which must be a physml model class (the model
  contract, which loads scikit-learn, is loaded only when a stored model is read back);
* instances of dataclasses defined in physml (e.g. a sweep's outcome) whose fields are
  storable: stored field by field and rebuilt by calling the class, which must be a dataclass of
  a ``physml`` module.

Anything else is refused by :func:`dumps_value` with a ``TypeError`` naming the type, where it
sits in the value, and what is accepted. Reading is strict the other way: a damaged, truncated
or foreign file, or one holding a pickled array, raises :class:`StoreError`; a
:class:`ValueStore` treats such an entry as absent, so the work is done again, never executed.
"""

from __future__ import annotations

import dataclasses
import importlib
import io
import json
import os
import re
import sys
import zipfile
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from physml._core._io import atomic_write_bytes
from physml._core._torch import arrays_to_state, state_to_arrays

__all__ = ["STORABLE", "StoreError", "ValueStore", "dumps_value", "loads_value"]

#: What a stored value may be built of, in words (used in the error for anything else).
STORABLE = (
    "None, bool, int, float, complex, str, lists, tuples and dicts of them (dict keys: str, int, "
    "float, bool, None or tuples of them), numpy arrays and scalars of bool, integer, float, complex "
    "or string dtype, torch tensors (and state dicts), fitted physml models and physml dataclasses"
)

_FORMAT = "physml.store"
_VERSION = 1
_HEADER = "value.json"
_ARRAY_KINDS = "biufcUS"  # bool, signed and unsigned integers, floats, complex, str, bytes
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TAGS = ("__tuple__", "__dict__", "__array__", "__scalar__", "__complex__", "__tensor__", "__model__",
         "__dataclass__")


class StoreError(ValueError):
    """A stored value that cannot be read back: damaged, truncated, foreign or unsafe."""


def _physml_class(cls: type) -> bool:
    return cls.__module__ == "physml" or cls.__module__.startswith("physml.")


def _public_name(cls: type) -> str | None:
    """``physml.<package>.<Class>``: where the class's public package exports it (the module path
    up to its first private part), or None if that package does not export this very class."""
    parts = []
    for part in cls.__module__.split("."):
        if part.startswith("_"):
            break
        parts.append(part)
    name = ".".join([*parts, cls.__qualname__])
    return name if _public_class(name) is cls else None


def _public_class(name: str) -> Any:
    """The object a public physml name (``physml.<package>.<Class>``, no private or dunder part,
    so never ``physml.__main__``) refers to, or None."""
    module, _, attribute = name.rpartition(".")
    parts = module.split(".")
    public = all(p.isidentifier() and not p.startswith("_") for p in [*parts, attribute])
    if parts[0] != "physml" or not public:
        return None
    try:
        return getattr(importlib.import_module(module), attribute, None)
    except ImportError:
        return None


def _names_main(node: Any) -> bool:
    """Whether any string in a JSON tree names a ``__main__`` module (which importing would run)."""
    if isinstance(node, str):
        return "__main__" in node
    if isinstance(node, list):
        return any(_names_main(v) for v in node)
    if isinstance(node, dict):
        return any(_names_main(k) or _names_main(v) for k, v in node.items())
    return False


# -- writing ---------------------------------------------------------------------------------------
class _Encoder:
    def __init__(self, what: str):
        self.what = what
        self.arrays: dict[str, np.ndarray] = {}

    def refuse(self, value: Any, where: str, why: str = "") -> TypeError:
        at = f" at {where}" if where else ""
        return TypeError(f"{self.what} must be {STORABLE}; got {type(value)!r}{at}{why}")

    def array(self, array: np.ndarray) -> str:
        name = f"a{len(self.arrays)}"
        self.arrays[name] = array
        return name

    def encode(self, value: Any, where: str) -> Any:
        kind = type(value)
        if value is None or kind in (bool, str):
            return value
        if kind is int:
            return value
        if kind is float:
            return value  # json writes nan and inf as NaN and Infinity and reads them back
        if kind is complex:
            return {"__complex__": [value.real, value.imag]}
        if kind is list:
            return [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if kind is tuple:
            return {"__tuple__": [self.encode(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if kind is dict or kind is OrderedDict:
            return self.mapping(value, where)
        if isinstance(value, np.ndarray):
            if kind is not np.ndarray:
                raise self.refuse(value, where, " (a subclass of numpy.ndarray; pass numpy.asarray of it)")
            if value.dtype.kind not in _ARRAY_KINDS or value.dtype.names is not None:
                raise self.refuse(value, where, f" of dtype {value.dtype}")
            return {"__array__": self.array(value)}
        if isinstance(value, np.generic):
            if value.dtype.kind not in _ARRAY_KINDS:
                raise self.refuse(value, where, f" of dtype {value.dtype}")
            return {"__scalar__": self.array(np.asarray(value))}
        torch = sys.modules.get("torch")
        if torch is not None and isinstance(value, torch.Tensor):
            return self.tensor(value, where)
        estimator = sys.modules.get("physml._core._estimator")
        if estimator is not None and isinstance(value, estimator.ModelMixin):
            return self.model(value, where, estimator)
        if dataclasses.is_dataclass(value) and not isinstance(value, type) and _physml_class(kind):
            return self.dataclass(value, where)
        raise self.refuse(value, where)

    def dataclass(self, value: Any, where: str) -> Any:
        kind = type(value)
        fields = dataclasses.fields(value)
        if any(not f.init for f in fields):
            raise self.refuse(value, where, " (a dataclass with fields its constructor does not take)")
        name = _public_name(kind)
        if name is None:
            raise self.refuse(value, where, " (a physml dataclass that its package does not export)")
        return {"__dataclass__": name,
                "fields": {f.name: self.encode(getattr(value, f.name), f"{where}.{f.name}") for f in fields}}

    def key(self, key: Any, where: str) -> Any:
        if key is None or type(key) in (bool, int, float, str):
            return key
        if type(key) is tuple:
            return {"__tuple__": [self.key(k, where) for k in key]}
        raise self.refuse(key, where, " as a dict key")

    def mapping(self, value: dict[Any, Any], where: str) -> Any:
        plain = type(value) is dict and all(type(k) is str and k not in _TAGS for k in value)
        if plain:
            return {k: self.encode(v, f"{where}[{k!r}]") for k, v in value.items()}
        pairs = [[self.key(k, f"{where}"), self.encode(v, f"{where}[{k!r}]")] for k, v in value.items()]
        return {"__dict__": pairs, "ordered": type(value) is OrderedDict}

    def tensor(self, value: Any, where: str) -> Any:
        if value.is_sparse or value.layout != sys.modules["torch"].strided:
            raise self.refuse(value, where, " (a sparse tensor; store its dense form)")
        arrays, dtypes = state_to_arrays({"t": value})
        return {"__tensor__": self.array(arrays["t"]), "dtype": dtypes["t"]}

    def model(self, value: Any, where: str, estimator: Any) -> Any:
        prefix = f"m{len(self.arrays)}"
        try:
            record, arrays = estimator.nested_state(value, prefix)
        except Exception as exc:  # an unfitted model, or one without a file state
            raise self.refuse(value, where, f" that cannot be stored ({type(exc).__name__}: {exc})") from None
        names = {}
        for name, array in arrays.items():
            array = np.asarray(array)
            if array.dtype.kind not in _ARRAY_KINDS:
                raise self.refuse(value, where, f" whose array {name!r} has dtype {array.dtype}")
            names[name[len(prefix) + 1:]] = self.array(array)
        try:
            text = json.dumps(record)
        except (TypeError, ValueError) as exc:
            raise self.refuse(value, where, f" whose file state is not JSON ({exc})") from None
        return {"__model__": json.loads(text), "arrays": names}


def dumps_value(value: Any, *, what: str = "a stored value") -> bytes:
    """The bytes of an ``.npz`` archive that holds ``value`` (see the module docstring).

    ``what`` names the value in the ``TypeError`` raised for anything not in :data:`STORABLE`,
    e.g. ``"ctx.map results"``: "ctx.map results must be ...; got <class 'set'> at [0]['x']".
    """
    encoder = _Encoder(what)
    tree = encoder.encode(value, "")
    header = json.dumps({"format": _FORMAT, "version": _VERSION, "value": tree}, allow_nan=True)
    buffer = io.BytesIO()
    np.savez(buffer, allow_pickle=False, **{_HEADER: np.frombuffer(header.encode("utf-8"), dtype=np.uint8)},
             **encoder.arrays)
    return buffer.getvalue()


# -- reading ---------------------------------------------------------------------------------------
class _Decoder:
    def __init__(self, arrays: dict[str, np.ndarray]):
        self.arrays = arrays

    def array(self, name: Any) -> np.ndarray:
        if not isinstance(name, str) or name not in self.arrays:
            raise StoreError(f"refers to an array {name!r} it does not hold")
        return self.arrays[name]

    def decode(self, node: Any) -> Any:
        if node is None or type(node) in (bool, int, float, str):
            return node
        if type(node) is list:
            return [self.decode(v) for v in node]
        if type(node) is not dict:
            raise StoreError(f"holds an unknown node {type(node).__name__}")
        if len(node) == 1 and "__tuple__" in node:
            return tuple(self.decode(v) for v in self.listed(node["__tuple__"]))
        if set(node) == {"__dict__", "ordered"}:
            out = OrderedDict() if node["ordered"] is True else {}
            for pair in self.listed(node["__dict__"]):
                if type(pair) is not list or len(pair) != 2:
                    raise StoreError("holds a malformed dict entry")
                key = self.decode(pair[0])
                try:
                    out[key] = self.decode(pair[1])
                except TypeError:
                    raise StoreError("holds a dict key that is not hashable") from None
            return out
        if len(node) == 1 and "__array__" in node:
            return self.array(node["__array__"])
        if len(node) == 1 and "__scalar__" in node:
            scalar = self.array(node["__scalar__"])
            if scalar.ndim != 0:
                raise StoreError("holds a scalar that is not 0-dimensional")
            return scalar[()]
        if len(node) == 1 and "__complex__" in node:
            re_im = self.listed(node["__complex__"])
            if len(re_im) != 2 or not all(type(x) in (int, float) for x in re_im):
                raise StoreError("holds a malformed complex number")
            return complex(re_im[0], re_im[1])
        if set(node) == {"__tensor__", "dtype"}:
            array = self.array(node["__tensor__"])
            return arrays_to_state({"t": array}, {"t": str(node["dtype"])})["t"]
        if set(node) == {"__model__", "arrays"}:
            return self.model(node["__model__"], node["arrays"])
        if set(node) == {"__dataclass__", "fields"}:
            return self.dataclass(node["__dataclass__"], node["fields"])
        if any(k in _TAGS for k in node):
            raise StoreError(f"holds a malformed tagged node ({', '.join(sorted(node))})")
        return {k: self.decode(v) for k, v in node.items()}

    @staticmethod
    def listed(value: Any) -> list[Any]:
        if type(value) is not list:
            raise StoreError("holds a malformed container")
        return value

    def dataclass(self, name: Any, fields: Any) -> Any:
        if not isinstance(name, str) or type(fields) is not dict:
            raise StoreError(f"holds a malformed dataclass {name!r}")
        cls = _public_class(name)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls) and _physml_class(cls)):
            raise StoreError(f"names {name!r}, which is no physml dataclass")
        if set(fields) != {f.name for f in dataclasses.fields(cls) if f.init}:
            raise StoreError(f"holds fields that do not match the dataclass {name}")
        return cls(**{k: self.decode(v) for k, v in fields.items()})

    def model(self, record: Any, names: Any) -> Any:
        if type(record) is not dict or type(names) is not dict:
            raise StoreError("holds a malformed model")
        if _names_main(record):  # model_class would import it, and that runs the command line
            raise StoreError("names a __main__ module; refused")
        arrays = {f"m.{k}": self.array(v) for k, v in names.items()}
        # nested_model builds only physml model classes (physml._core.model_class) from their state.
        # The model contract loads scikit-learn, which listing the catalogue must not: load it here.
        estimator = importlib.import_module("physml._core._estimator")
        return estimator.nested_model(record, arrays, "m")


def loads_value(data: bytes, *, source: str = "stored value") -> Any:
    """The value that :func:`dumps_value` wrote; :class:`StoreError` for anything else.

    ``source`` names the file in the error. Nothing in ``data`` is executed: the archive is
    read with ``allow_pickle=False``, its tree is JSON, and only the types of :data:`STORABLE`
    are built (a model only by a physml model class, from its arrays).
    """
    if not data:
        raise StoreError(f"{source}: is empty")
    if not data.startswith(b"PK"):
        raise StoreError(f"{source}: is not a physml store entry (not an .npz archive)")
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "pickle" in str(exc).lower():
            raise StoreError(f"{source}: holds a pickled object array; refused") from None
        raise StoreError(f"{source}: is damaged ({type(exc).__name__})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, RuntimeError) as exc:
        raise StoreError(f"{source}: is damaged or truncated ({type(exc).__name__})") from None
    header = arrays.pop(_HEADER, None)
    if header is None or header.dtype != np.uint8 or header.ndim != 1:
        raise StoreError(f"{source}: is not a physml store entry (no {_HEADER})")
    try:
        record = json.loads(header.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise StoreError(f"{source}: is not a physml store entry ({_HEADER} is not JSON)") from None
    if not isinstance(record, dict) or record.get("format") != _FORMAT or "value" not in record:
        raise StoreError(f"{source}: is not a physml store entry")
    if record.get("version") != _VERSION:
        raise StoreError(f"{source}: is a store entry of version {record.get('version')!r}; "
                         f"this physml reads version {_VERSION}")
    bad = [name for name, array in arrays.items() if array.dtype.kind not in _ARRAY_KINDS]
    if bad:
        raise StoreError(f"{source}: array {bad[0]!r} has dtype {arrays[bad[0]].dtype}; refused")
    try:
        return _Decoder(arrays).decode(record["value"])
    except StoreError as exc:
        raise StoreError(f"{source}: {exc}") from None
    except (RecursionError, Exception) as exc:  # a model state that does not fit its class, a bad dtype
        raise StoreError(f"{source}: cannot be rebuilt ({type(exc).__name__}: {exc})") from None


# -- a directory of values -------------------------------------------------------------------------
_MISSING = object()


class ValueStore:
    """A directory of stored values, one ``<key>.npz`` each, written atomically.

    Parameters
    ----------
    root : path
        The directory (created on the first :meth:`put`).
    what : str
        Names the values in the ``TypeError`` for an unstorable one (e.g. ``"ctx.map results"``).

    :meth:`get` treats a missing, damaged or foreign entry alike, as not stored, so the caller
    computes it again; files of other names (such as the pickles of older physml versions) are
    never read.
    """

    suffix = ".npz"

    def __init__(self, root: str | os.PathLike[str], *, what: str = "a stored value"):
        self.root = Path(root)
        self.what = what

    def path(self, key: str) -> Path:
        """The file of ``key`` (letters, digits, ``_``, ``.``, ``-``)."""
        if not _KEY.match(key):
            raise ValueError(f"store key must be letters, digits, '_', '.' or '-'; got {key!r}")
        return self.root / f"{key}{self.suffix}"

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """The value stored under ``key``; ``default`` (or :class:`KeyError` without one) when
        there is none or the entry cannot be read."""
        path = self.path(key)
        try:
            value = loads_value(path.read_bytes(), source=str(path))
        except (OSError, StoreError):
            if default is _MISSING:
                raise KeyError(key) from None
            return default
        return value

    def put(self, key: str, value: Any) -> Path:
        """Store ``value`` under ``key`` atomically (``TypeError`` if it is not storable)."""
        return atomic_write_bytes(self.path(key), dumps_value(value, what=self.what))
