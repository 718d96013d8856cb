"""Reading a user's own data: ``.npy``, ``.npz``, ``.csv``/``.txt``, and ``.h5`` when h5py is installed."""

from __future__ import annotations

import os
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np

__all__ = ["ARRAY_SUFFIXES", "load_array"]

#: File suffixes that :func:`load_array` reads.
ARRAY_SUFFIXES = (".npy", ".npz", ".csv", ".txt", ".h5", ".hdf5")
_ZIP_MAGIC = b"PK\x03\x04"


class _ArrayChoiceError(ValueError):
    """An ``.npz`` or HDF5 file holding several arrays when no ``key`` was given, or none named
    ``key``: ``choices`` lists the names it holds (so that a command line can name its own option)."""

    def __init__(self, message: str, choices: list[str]) -> None:
        super().__init__(message)
        self.choices = list(choices)


def load_array(path: str | os.PathLike[str], *, key: str | None = None) -> np.ndarray:
    """Load a numeric array from a file, choosing the reader by suffix.

    Parameters
    ----------
    path : path-like
        ``.npy``; ``.npz`` (the only array, or the one named ``key``); ``.csv`` or ``.txt``
        (comma, tab or whitespace separated; one header line of names is skipped; always a 2-D
        table, so one column gives shape ``(n, 1)`` and one row ``(1, d)``);
        ``.h5``/``.hdf5`` (the dataset named ``key``, or the only one).
    key : str, optional
        Which array of an ``.npz`` or HDF5 file.

    Returns
    -------
    numpy.ndarray
        Never an object array: files are read with ``allow_pickle=False``. Never empty: an
        array without rows or without columns is refused (no physml tool can use it).

    Raises
    ------
    FileNotFoundError, IsADirectoryError, PermissionError, ValueError
        One line that starts with the file's name and says what is wrong: no such file, a
        directory, unreadable, empty, truncated or damaged, not a file of its suffix's type,
        pickled objects (refused: loading them could run code), no rows or no columns. A file
        of several arrays without ``key``, or without the array ``key``, raises a ``ValueError``
        whose ``choices`` attribute lists the arrays it holds.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not a data file")
    if not path.is_file():
        raise ValueError(f"{path}: is not a regular file")
    suffix = path.suffix.lower()
    if suffix not in ARRAY_SUFFIXES:
        accepted = ", ".join(ARRAY_SUFFIXES)
        raise ValueError(f"{path}: unknown file type {suffix or '(none)'!r}; accepted: {accepted}")
    try:
        size = path.stat().st_size
        if size == 0:
            raise ValueError(f"{path}: is empty (0 bytes)")
        if suffix == ".npy":
            data = _load_npy(path, size)
        elif suffix == ".npz":
            data = _load_npz(path, key)
        elif suffix in (".csv", ".txt"):
            data = _load_text(path)
        else:
            data = _load_hdf5(path, key)
    except PermissionError:
        raise PermissionError(f"{path}: cannot be read (permission denied)") from None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        if str(exc).startswith(str(path)):
            raise
        raise ValueError(f"{path}: cannot read as {suffix[1:]} ({_reason(exc)})") from None
    if data.size == 0:
        if data.ndim == 0 or data.shape[0] == 0:
            raise ValueError(f"{path}: no rows (an array of shape {data.shape})")
        raise ValueError(f"{path}: has no columns (an array of shape {data.shape})")
    return data


def _reason(exc: BaseException) -> str:
    """The first line of an exception, never numpy's advice to load a file unsafely."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text.split("; use `usecols`")[0]  # loadtxt's advice is for Python, not for a file


def _pickled(path: Path, what: str) -> ValueError:
    return ValueError(f"{path}: {what} holds pickled Python objects, which physml refuses to load "
                      "because loading them could run code; save plain numeric arrays")


def _load_npy(path: Path, size: int) -> np.ndarray:
    fmt = np.lib.format
    with path.open("rb") as fh:
        start = fh.read(len(fmt.MAGIC_PREFIX))
        if start != fmt.MAGIC_PREFIX:
            if start.startswith(_ZIP_MAGIC):
                raise ValueError(f"{path}: is an .npz archive, not a .npy file; rename it to .npz")
            raise ValueError(f"{path}: is not a .npy file (it does not start with the NumPy header)")
        fh.seek(0)
        try:
            version = fmt.read_magic(fh)
            read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = read_header(fh)
        except (ValueError, EOFError, SyntaxError) as exc:
            raise ValueError(f"{path}: is damaged or truncated (its NumPy header cannot be read: "
                             f"{_reason(exc)})") from None
        if dtype.hasobject:
            raise _pickled(path, "the array")
        expected = fh.tell() + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size < expected:
        raise ValueError(f"{path}: is truncated: its header announces a {dtype} array of shape {shape} "
                         f"({expected} bytes) but the file has {size} bytes")
    return np.load(path, allow_pickle=False)


def _load_npz(path: Path, key: str | None) -> np.ndarray:
    if not zipfile.is_zipfile(path):
        with path.open("rb") as fh:
            start = fh.read(len(np.lib.format.MAGIC_PREFIX))
        if start.startswith(_ZIP_MAGIC):  # the archive starts, but its directory at the end is missing
            raise ValueError(f"{path}: is damaged or truncated (an incomplete .npz archive)")
        if start == np.lib.format.MAGIC_PREFIX:
            raise ValueError(f"{path}: is a .npy file, not an .npz archive; rename it to .npy")
        raise ValueError(f"{path}: is not an .npz archive (not a zip file)")
    name = key
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = list(archive.files)
            name = _choose(path, key, names)
            data = archive[name]
    except _ArrayChoiceError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc) or "pickled" in str(exc):
            raise _pickled(path, f"array {name!r}" if name else "an array") from None
        raise
    except (OSError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        raise ValueError(f"{path}: is damaged or truncated ({_reason(exc)})") from None
    if not isinstance(data, np.ndarray):  # a zip member that is no .npy: numpy gives its bytes
        raise ValueError(f"{path}: {name!r} is not a NumPy array (is this a zip file of something else?)")
    return data


def _choose(path: Path, key: str | None, names: list[str]) -> str:
    if not names:
        raise ValueError(f"{path}: holds no arrays")
    if key is None:
        if len(names) != 1:
            raise _ArrayChoiceError(
                f"{path} holds {len(names)} arrays ({', '.join(names)}); choose one with key=", names
            )
        return names[0]
    if key not in names:
        raise _ArrayChoiceError(f"{path} has no array {key!r}; it holds: {', '.join(names)}", names)
    return key


def _load_text(path: Path) -> np.ndarray:
    first, line = "", 0  # the first line that is neither blank nor a comment, and its number
    try:
        with path.open(encoding="utf-8-sig") as fh:  # -sig: the byte-order mark spreadsheets write
            for number, text in enumerate(fh, start=1):
                if text.strip() and not text.lstrip().startswith("#"):
                    first, line = text, number
                    break
    except UnicodeDecodeError:
        raise ValueError(f"{path}: is not a text file (not UTF-8 text)") from None
    delimiter = "," if "," in first else ("\t" if "\t" in first else None)
    fields = [f.strip() for f in (first.split(delimiter) if delimiter else first.split())]
    skip = 0
    try:
        [float(f) for f in fields if f]
    except ValueError:
        skip = line  # a header of column names, and the blank or comment lines before it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "input contained no data": said below
        try:
            data = np.loadtxt(path, delimiter=delimiter, skiprows=skip, dtype=np.float64, ndmin=2,
                              encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise ValueError(f"{path}: is not a text file (not UTF-8 text)") from None
    if data.shape[0] == 0:
        raise ValueError(f"{path}: no rows" + (" (only a header line)" if skip else ""))
    return data


def _load_hdf5(path: Path, key: str | None) -> np.ndarray:
    try:
        import h5py
    except ImportError:
        raise ValueError(
            f"{path}: reading HDF5 needs h5py (pip install h5py), or save as .npy/.npz"
        ) from None
    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        text = _reason(exc)
        inner = text[text.find("(") + 1 : text.rfind(")")] if "(" in text else text
        what = "is damaged or truncated" if "truncated" in inner else "is not a readable HDF5 file"
        raise ValueError(f"{path}: {what} ({inner})") from None
    try:
        with fh:
            names: list[str] = []
            fh.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
            name = _choose(path, key, names)
            data = fh[name][()]
    except (OSError, KeyError, RuntimeError) as exc:
        raise ValueError(f"{path}: is damaged or truncated ({_reason(exc)})") from None
    return np.asarray(data)
