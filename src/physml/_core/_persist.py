"""Model files that cannot run code: one ``.npz`` archive of plain arrays and a JSON header.

Every physml model saves through :func:`write_model_file` and loads through
:func:`read_model_file`. The archive holds numeric arrays and one string, ``meta``: a JSON
object with the file's ``format`` (the class, e.g. ``"physml.ebm.RBM"``), its
``format_version``, the ``physml_version`` that wrote it, and whatever the class records
(hyper-parameters, fitted scalars). It is read with ``numpy.load(..., allow_pickle=False)``,
so a file cannot execute anything; a file that tries (a pickled object array) is refused.

Whatever goes wrong, the reader raises :class:`ModelFileError` (a ``ValueError``) with one
line that names the file and what it holds or lacks: a missing file, a directory, an empty or
truncated file, random bytes, a pickled array, another class's file or a newer format.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from physml._core._io import atomic_write_bytes
from physml._core._version import __version__

__all__ = ["ModelFileError", "model_file_format", "read_model_file", "write_model_file"]

_META = "meta"
_NUMERIC = "biufc"  # bool, signed and unsigned integers, floats, complex


class ModelFileError(ValueError):
    """A model file that cannot be read: the message is one line naming the file."""


class ModelArrays(dict):
    """The arrays of a model file, by name: a ``dict`` that also knows the ``path`` it was read
    from, so that a model rebuilt from it (:func:`physml._core.nested_model`) can name the file
    in an error."""

    def __init__(self, arrays: Mapping[str, np.ndarray], path: Path) -> None:
        super().__init__(arrays)
        self.path = path


def write_model_file(
    path: str | os.PathLike[str],
    *,
    format: str,
    version: int,
    meta: Mapping[str, Any],
    arrays: Mapping[str, Any],
) -> Path:
    """Write ``arrays`` and the JSON header to ``path`` atomically (a reader never sees half a file).

    ``format`` names what the file holds (``"physml.<package>.<Class>"``), ``version`` the
    layout of that class's files; ``meta`` must be JSON-serialisable (numpy scalars and arrays
    are converted). Arrays must be numeric.
    """
    if _META in arrays:
        raise ValueError(f"an array may not be called {_META!r}: that name holds the header")
    plain: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.kind not in _NUMERIC:
            raise TypeError(f"array {name!r} has dtype {array.dtype}; model files hold numeric arrays only")
        plain[name] = array
    header = {"format": format, "format_version": int(version), "physml_version": __version__,
              **_jsonable(dict(meta))}
    buffer = io.BytesIO()
    np.savez(buffer, **{_META: np.array(json.dumps(header))}, **plain)
    return atomic_write_bytes(path, buffer.getvalue())


def read_model_file(
    path: str | os.PathLike[str], *, format: str, versions: Collection[int]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """``(meta, arrays)`` of a file written by :func:`write_model_file` for ``format``; ``arrays``
    is a :class:`ModelArrays` (a ``dict`` that records the ``path``).

    ``versions`` are the format versions this reader understands. A header of the older
    form ``{"format": "<format>/<n>"}`` (physml 0.1) is read as version ``n``. Any other
    content gives a :class:`ModelFileError`.
    """
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such file")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory, not a model file")
    if path.stat().st_size == 0:
        raise ModelFileError(f"{path}: is empty, not a physml model file")
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            zip_start = fh.read(4) == b"PK\x03\x04"
        if zip_start:  # the archive starts but its directory at the end is missing
            raise ModelFileError(f"{path}: is a damaged or truncated model file (incomplete .npz archive)")
        raise ModelFileError(f"{path}: is not a physml model file (not an .npz archive)")
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            if _META not in names:
                raise ModelFileError(f"{path}: is not a physml model file (no {_META!r} header)")
            arrays = {name: archive[name] for name in names}
    except ModelFileError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ModelFileError(
                f"{path}: holds a pickled object array, which could run code when loaded; "
                "physml model files never do, so it is refused"
            ) from None
        raise ModelFileError(f"{path}: is not a physml model file ({_reason(exc)})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as exc:
        raise ModelFileError(f"{path}: is a damaged or truncated model file ({_reason(exc)})") from None
    header = arrays.pop(_META)
    try:
        meta = json.loads(str(header))
    except (json.JSONDecodeError, TypeError):
        meta = None
    if not isinstance(meta, dict) or not isinstance(meta.get("format"), str):
        raise ModelFileError(f"{path}: is not a physml model file (header: no JSON record with a format)")
    found, found_version = _format_and_version(meta)
    if found != format:
        short = found.rsplit(".", 1)[-1]
        what = f"a {short} ({found})" if found.startswith("physml.") else f"format {found!r}"
        raise ModelFileError(f"{path}: holds {what}, not a {format.rsplit('.', 1)[-1]} ({format})")
    if found_version not in versions:
        newest = max(versions)
        hint = "; upgrade physml to read it" if found_version > newest else ""
        raise ModelFileError(
            f"{path}: {format} file of format version {found_version}; this physml "
            f"({__version__}) reads versions {', '.join(map(str, sorted(versions)))}{hint}"
        )
    bad = [name for name, array in arrays.items() if array.dtype.kind not in _NUMERIC]
    if bad:
        raise ModelFileError(f"{path}: array {bad[0]!r} is not numeric ({arrays[bad[0]].dtype}); refused")
    meta["format"], meta["format_version"] = found, found_version
    return meta, ModelArrays(arrays, path)


def model_file_format(path: str | os.PathLike[str]) -> str | None:
    """The format (``physml.<package>.<Class>``) a model file's header names, or None where the
    file is not a readable physml model file; reads the header alone, so that a command taking
    several kinds of model can pick the reader (whose errors then say what is wrong)."""
    try:
        if not zipfile.is_zipfile(path):
            return None
        with np.load(path, allow_pickle=False) as archive:
            if _META not in archive.files:
                return None
            meta = json.loads(str(archive[_META]))
        if not (isinstance(meta, dict) and isinstance(meta.get("format"), str)):
            return None
        return _format_and_version(meta)[0]
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError, TypeError):
        return None


def _format_and_version(meta: dict[str, Any]) -> tuple[str, int]:
    fmt = meta["format"]
    if "format_version" in meta:
        try:
            return fmt, int(meta["format_version"])
        except (TypeError, ValueError):
            return fmt, -1
    name, sep, version = fmt.rpartition("/")  # physml 0.1: "physml.ebm.RBM/1"
    if sep and version.isdigit():
        return name, int(version)
    return fmt, 0


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars and arrays, tuples and paths to JSON types."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store {type(value).__name__} {value!r} in a model file's header")
