"""Reading a user's own data: ``.npy``, ``.npz``, ``.csv``/``.txt``, and ``.h5`` when h5py is installed."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

__all__ = ["ARRAY_SUFFIXES", "load_array"]

#: File suffixes that :func:`load_array` reads.
ARRAY_SUFFIXES = (".npy", ".npz", ".csv", ".txt", ".h5", ".hdf5")


def load_array(path: str | os.PathLike[str], *, key: str | None = None) -> np.ndarray:
    """Load a numeric array from a file, choosing the reader by suffix.

    Parameters
    ----------
    path : path-like
        ``.npy``; ``.npz`` (the only array, or the one named ``key``); ``.csv`` or ``.txt``
        (comma, tab or whitespace separated; one header line of names is skipped);
        ``.h5``/``.hdf5`` (the dataset named ``key``, or the only one; needs ``h5py``).
    key : str, optional
        Which array of an ``.npz`` or HDF5 file.

    Returns
    -------
    numpy.ndarray
        Never an object array: files are read with ``allow_pickle=False``.

    Raises
    ------
    FileNotFoundError, ValueError
        With a message naming the file and what is accepted.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in ARRAY_SUFFIXES:
        accepted = ", ".join(ARRAY_SUFFIXES)
        raise ValueError(f"{path}: unknown file type {suffix or '(none)'!r}; accepted: {accepted}")
    try:
        if suffix == ".npy":
            return np.load(path, allow_pickle=False)
        if suffix == ".npz":
            with np.load(path, allow_pickle=False) as archive:
                return _pick(path, key, list(archive.files), archive.__getitem__)
        if suffix in (".csv", ".txt"):
            return _load_text(path)
        return _load_hdf5(path, key)
    except (ValueError, OSError) as exc:
        if str(exc).startswith(str(path)):
            raise
        raise ValueError(f"{path}: cannot read as {suffix[1:]} ({exc})") from None


def _pick(path: Path, key: str | None, names: list[str], get) -> np.ndarray:
    if key is None:
        if len(names) != 1:
            listed = ", ".join(names) or "none"
            raise ValueError(f"{path} holds {len(names)} arrays ({listed}); choose one with key=")
        key = names[0]
    if key not in names:
        raise ValueError(f"{path} has no array {key!r}; it holds: {', '.join(names)}")
    return np.asarray(get(key))


def _load_text(path: Path) -> np.ndarray:
    with path.open(encoding="utf-8") as fh:
        first = fh.readline()
    delimiter = "," if "," in first else ("\t" if "\t" in first else None)
    fields = [f.strip() for f in (first.split(delimiter) if delimiter else first.split())]
    skip = 0
    try:
        [float(f) for f in fields if f]
    except ValueError:
        skip = 1  # a header of column names
    data = np.loadtxt(path, delimiter=delimiter, skiprows=skip, dtype=np.float64, ndmin=1)
    return data


def _load_hdf5(path: Path, key: str | None) -> np.ndarray:
    try:
        import h5py
    except ImportError:
        raise ValueError(
            f"{path}: reading HDF5 needs h5py (pip install h5py), or save as .npy/.npz"
        ) from None
    with h5py.File(path, "r") as fh:
        names: list[str] = []
        fh.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
        return _pick(path, key, names, lambda k: fh[k][()])
