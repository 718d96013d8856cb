"""The LHC Olympics 2020 hadron files as published, read with h5py (no pandas, no PyTables).

The R&D data set and the black boxes (Kasieczka et al., "The LHC Olympics 2020", Rep. Prog. Phys.
84, 124201 (2021), arXiv:2101.08320; the files on Zenodo) are pandas DataFrames written to HDF5 in
pandas' "fixed" format under the key ``df``: one row per event, the hadrons of the event as
massless (pT, η, φ) triplets in columns 3i, 3i+1, 3i+2 for i < 700, zero padded, so
(n_events, 2100) values; the R&D file has a 2101st column, the signal label (1 signal, 0
background). pandas' fixed format stores the frame as the group ``df`` with the datasets
``axis0`` (column labels), ``axis1`` (row labels), ``block0_items`` (the block's column labels)
and ``block0_values`` (the values, events along the first axis), and the group attributes
``pandas_type = "frame"``, ``nblocks``, ``ndim`` and ``axis0_variety`` etc.

Such a frame is recognised in any HDF5 file (``read_columns`` reads other frames by column
label); :func:`lhco_info` checks the LHC Olympics layout and says in one line what a file holds
when it is not in it; :func:`read_lhco` reads rows of hadrons, a chunk at a time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["LHCO_HADRONS", "lhco_info", "read_lhco"]

#: hadrons per event in the published files (zero padded)
LHCO_HADRONS = 700
_COLUMNS = 3 * LHCO_HADRONS
_KEY = "df"
_HDF5_SUFFIXES = (".h5", ".hdf5")


def _text(value: Any) -> Any:
    """An HDF5 attribute as Python: bytes (as PyTables writes strings) decoded."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf-8", "replace")
    return value


def _h5py() -> Any:
    try:
        import h5py
    except ImportError:  # pragma: no cover - h5py is a dependency of physml
        raise ValueError("reading HDF5 needs h5py (pip install h5py)") from None
    try:  # compression filters (Blosc, LZ4, ...) beyond h5py's own, when installed
        import hdf5plugin  # noqa: F401
    except ImportError:
        pass
    return h5py


def _open_hdf5(path: Path) -> Any:
    """``h5py.File(path, "r")``, or a one-line ValueError naming the file."""
    h5py = _h5py()
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        inner = text[text.find("(") + 1 : text.rfind(")")] if "(" in text else text
        what = "is damaged or truncated" if "truncated" in inner else "is not a readable HDF5 file"
        raise ValueError(f"{path}: {what} ({inner})") from None


def _pandas_frame(fh: Any) -> tuple[str, Any] | None:
    """``(key, group)`` of the pandas fixed-format DataFrame in an open HDF5 file (the one under
    ``df`` when there are several), or None when the file holds none."""
    h5py = _h5py()
    frames = [
        name for name, obj in fh.items()
        if isinstance(obj, h5py.Group) and (
            _text(obj.attrs.get("pandas_type")) == "frame" or "block0_values" in obj
        )
    ]
    if not frames:
        return None
    key = _KEY if _KEY in frames else frames[0]
    return key, fh[key]


def _found(fh: Any) -> str:
    """What an HDF5 file holds, in a few words: its datasets with shapes (the first eight)."""
    h5py = _h5py()
    items: list[str] = []
    fh.visititems(lambda name, obj: items.append(f"{name} {obj.shape}") if isinstance(obj, h5py.Dataset)
                  else None)
    if not items:
        return "no datasets"
    more = f" and {len(items) - 8} more" if len(items) > 8 else ""
    return "datasets " + ", ".join(items[:8]) + more


def _check_filters(path: Path, dataset: Any, name: str) -> None:
    """A one-line error when a compression filter of ``dataset`` is not available here."""
    h5py = _h5py()
    plist = dataset.id.get_create_plist()
    for i in range(plist.get_nfilters()):
        code, _, _, label = plist.get_filter(i)
        if not h5py.h5z.filter_avail(code):
            what = _text(label) or f"id {code}"
            raise ValueError(f"{path}: {name} is compressed with the HDF5 filter {what!s} (id {code}), which "
                             "is not available here: pip install hdf5plugin")


def _layout(path: Path, fh: Any) -> dict[str, Any]:
    found = _pandas_frame(fh)
    if found is None:
        raise ValueError(f"{path}: not in the LHC Olympics layout (a pandas table under the key 'df' with "
                         f"df/block0_values of shape (n_events, {_COLUMNS}) or (n_events, {_COLUMNS + 1})); "
                         f"found {_found(fh)}")
    key, group = found
    nblocks = _text(group.attrs.get("nblocks", 1))
    values = group.get("block0_values")
    if values is None or nblocks != 1:
        raise ValueError(f"{path}: the pandas table {key!r} is not in the LHC Olympics layout (one block of "
                         f"{_COLUMNS} or {_COLUMNS + 1} numeric columns); found {nblocks} block(s)")
    shape = values.shape
    if len(shape) != 2 or shape[1] not in (_COLUMNS, _COLUMNS + 1) or values.dtype.kind not in "fiu":
        raise ValueError(f"{path}: {key}/block0_values is {values.dtype} of shape {shape}, not the LHC "
                         f"Olympics layout: (n_events, {_COLUMNS}) numbers, (pT, eta, phi) of {LHCO_HADRONS} "
                         "hadrons, and an optional label column")
    for name, length in (("axis0", shape[1]), ("block0_items", shape[1]), ("axis1", shape[0])):
        if name in group and group[name].shape != (length,):
            raise ValueError(f"{path}: {key}/{name} has shape {group[name].shape}, but {key}/block0_values "
                             f"has shape {shape}: the pandas table is inconsistent")
    _check_filters(path, values, f"{key}/block0_values")
    return {"key": key, "n_events": int(shape[0]), "n_hadrons": LHCO_HADRONS,
            "has_label": shape[1] > _COLUMNS}


def _check_path(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory, not an LHC Olympics file")
    if path.suffix.lower() not in _HDF5_SUFFIXES:
        raise ValueError(f"{path}: unknown file type {path.suffix or '(none)'!r}; the LHC Olympics files are "
                         f"HDF5 ({', '.join(_HDF5_SUFFIXES)})")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: is empty (0 bytes)")
    return path


def lhco_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Check that ``path`` is an LHC Olympics hadron file and say what it holds.

    Returns
    -------
    dict
        ``key`` (the pandas key, ``"df"``), ``n_events``, ``n_hadrons`` (700) and ``has_label``
        (the R&D file's 2101st column).

    Raises
    ------
    FileNotFoundError, IsADirectoryError, ValueError
        One line naming the file and what it holds instead (its datasets and their shapes).
    """
    path = _check_path(path)
    with _open_hdf5(path) as fh:
        return _layout(path, fh)


def read_lhco(
    path: str | os.PathLike[str], start: int = 0, stop: int | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Events ``start:stop`` of an LHC Olympics hadron file.

    Returns
    -------
    pt, eta, phi : arrays of shape (n, 700), float64
        The hadrons (pT in GeV; zero pT marks padding).
    label : int8 array of shape (n,) or None
        The R&D file's signal label; None for a file without it (the black boxes).

    Raises
    ------
    ValueError
        When the file is not in the layout (:func:`lhco_info`), or its label column holds
        something other than whole numbers.
    """
    path = _check_path(path)
    with _open_hdf5(path) as fh:
        info = _layout(path, fh)
        try:
            values = np.asarray(fh[info["key"]]["block0_values"][start:stop], dtype=np.float64)
        except OSError as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(f"{path}: cannot read events {start}:{stop} ({reason})") from None
    hadrons = values[:, :_COLUMNS].reshape(len(values), LHCO_HADRONS, 3)
    bad = ~np.isfinite(hadrons) | (hadrons[:, :, :1] < 0)  # NaN or inf anywhere, negative pT
    if bad.any():
        row, hadron, part = (int(i) for i in np.argwhere(bad)[0])
        what = f"column {3 * hadron + part} ({('pT', 'eta', 'phi')[part]} of hadron {hadron})"
        value = float(hadrons[row, hadron, part])
        raise ValueError(f"{path}: event {start + row}, {what} is {value:g}; pT must be >= 0 and every value "
                         "finite")
    label = None
    if info["has_label"]:
        column = values[:, _COLUMNS]
        whole = np.isfinite(column) & (column == np.rint(column)) & (np.abs(column) <= 127)
        if not whole.all():
            row = int(np.argmax(~whole))
            raise ValueError(f"{path}: the label column ({_COLUMNS}) must hold whole numbers, got "
                             f"{float(column[row]):g} in event {start + row}")
        label = column.astype(np.int8)
    return hadrons[:, :, 0], hadrons[:, :, 1], hadrons[:, :, 2], label
