"""Event tables on disk; generation, and jet features of LHC Olympics hadron files, into a file
in resumable, parallel chunks.

Formats: ``.npz`` (one array per column, always available), ``.h5`` (one dataset per column,
or a pandas table), ``.csv`` (a header of column names) and ``.root`` (a TTree or RNTuple with
one branch per column, through uproot) for reading columns written by other tools
(:func:`read_columns`). Writes are atomic: a file is either absent or complete.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from physml._core import (
    atomic_write_bytes,
    atomic_write_text,
    check_choice,
    check_int,
    check_real,
    derive_seed,
)
from physml.data.collider._clustering import cluster_dijets
from physml.data.collider._events import EventTable, concatenate_events
from physml.data.collider._lhco import _h5py, _layout, _open_hdf5, _pandas_frame, _text, lhco_info, read_lhco
from physml.data.collider._pythia import generate_dijets, generate_qg_jets
from physml.parallel import InlineExecutor

__all__ = [
    "COLUMN_SUFFIXES",
    "EVENT_SUFFIXES",
    "GENERATORS",
    "generate_to_file",
    "lhco_features",
    "read_columns",
    "read_events",
    "write_events",
]

EVENT_SUFFIXES = (".npz", ".h5", ".csv")
#: file types :func:`read_columns` reads
COLUMN_SUFFIXES = (".npz", ".csv", ".h5", ".hdf5", ".root")
GENERATORS = ("qcd", "signal", "qg")
_META = "__meta__"
_TREE_CLASSES = ("TTree", "ROOT::RNTuple")


def _check_suffix(path: Path, allowed: tuple[str, ...] = EVENT_SUFFIXES) -> str:
    suffix = path.suffix.lower()
    if suffix not in allowed:
        raise ValueError(f"{path}: unknown event file type {suffix!r}; accepted: {', '.join(allowed)}")
    return suffix


def write_events(path: str | Path, events: EventTable, meta: dict[str, Any] | None = None) -> Path:
    """Write an event table atomically to ``.npz`` or ``.h5``; ``meta`` (JSON-able) is stored too."""
    path = Path(path)
    suffix = _check_suffix(path, (".npz", ".h5"))
    meta_text = json.dumps(meta or {}, sort_keys=True)
    if suffix == ".npz":
        buffer = io.BytesIO()
        arrays = {k: np.asarray(v) for k, v in events.items()}
        np.savez_compressed(buffer, **arrays, **{_META: np.array(meta_text)})
        return atomic_write_bytes(path, buffer.getvalue())
    try:
        import h5py
    except ImportError:
        raise ValueError(f"{path}: writing .h5 needs h5py (pip install h5py); use .npz") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            for k, v in events.items():
                f.create_dataset(k, data=np.asarray(v), compression="gzip")
            f.attrs["meta"] = meta_text
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_events(path: str | Path, *, with_meta: bool = False) -> EventTable | tuple[EventTable, dict]:
    """Read an event table from ``.npz``, ``.h5`` or ``.csv`` (header row of column names).

    The columns are :func:`read_columns`'s. Returns the table, or ``(table, meta)`` with
    ``with_meta=True`` (the ``meta`` that :func:`write_events` stored; empty for other files).
    """
    path = Path(path)
    suffix = _check_suffix(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    table = read_columns(path)
    meta: dict = {}
    if with_meta and suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            if _META in f.files:
                meta = json.loads(str(f[_META]))
    elif with_meta and suffix == ".h5":
        with _open_hdf5(path) as f:
            meta = json.loads(_text(f.attrs.get("meta", "{}")))
    return (table, meta) if with_meta else table


class _TreeChoiceError(ValueError):
    """A ROOT file with several trees and none chosen, or without the chosen one: ``choices``
    lists its trees (so that a command line can name its own option)."""

    def __init__(self, message: str, choices: list[str]) -> None:
        super().__init__(message)
        self.choices = list(choices)


def _split_tree(path: Path, tree: str | None) -> tuple[Path, str | None]:
    """``file.root:tree`` as ``(file.root, tree)`` (when no file has the whole name)."""
    text = str(path)
    match = re.match(r"^(.*\.root):([^:/][^:]*)$", text, flags=re.IGNORECASE)
    if match and not path.exists():
        if tree is not None and tree != match.group(2):
            raise ValueError(f"{path}: names the tree {match.group(2)!r} but tree={tree!r} was given")
        return Path(match.group(1)), match.group(2)
    return path, tree


def read_columns(
    path: str | os.PathLike[str], names: Sequence[str] | None = None, *, tree: str | None = None
) -> EventTable:
    """The named columns of an events file, one number per event in each.

    Parameters
    ----------
    path : path-like
        ``.npz`` (one array per column), ``.csv`` (a header line of column names, then one row of
        numbers per event), ``.h5``/``.hdf5`` (one dataset per column, named by the last part of
        its path; or a pandas DataFrame in fixed format, by its column labels) or ``.root``
        (a TTree or RNTuple with one branch per column, read with uproot: ``physml[collider]``).
        ``"file.root:name"`` chooses the tree ``name``.
    names : sequence of str, optional
        The columns wanted (only these are read); all of them when omitted (of a ROOT file,
        all branches with one number per event).
    tree : str, optional
        The TTree or RNTuple of a ROOT file (path inside the file, e.g. ``"events"`` or
        ``"dir/events"``); needed when the file holds several.

    Returns
    -------
    dict
        Column name to array (never pickled objects: ``.npz`` files are read with
        ``allow_pickle=False``).

    Raises
    ------
    FileNotFoundError, IsADirectoryError, ValueError
        One line that starts with the file's name: no such file, a directory, an unknown type,
        empty, damaged or truncated, no rows, a missing column (naming it and the columns
        present), a ROOT file with several trees and none chosen, or without the tree or the
        branch asked for (listing those it has), a branch with a list of numbers per event, an
        LHC Olympics hadron file (whose jet features :func:`lhco_features` computes).
    """
    path, tree = _split_tree(Path(path), tree)
    if path.is_dir():
        raise IsADirectoryError(f"{path}: is a directory; give an events file ({', '.join(COLUMN_SUFFIXES)})")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in COLUMN_SUFFIXES:
        accepted = ", ".join(COLUMN_SUFFIXES)
        raise ValueError(f"{path}: unknown file type {suffix or '(none)'!r}; accepted: {accepted}")
    if tree is not None and suffix != ".root":
        raise ValueError(f"{path}: tree={tree!r} applies to ROOT files only")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    if isinstance(names, str):
        raise TypeError(f"names must be a sequence of column names, got the string {names!r} "
                        f"(use [{names!r}])")
    wanted = None if names is None else list(dict.fromkeys(names))
    try:
        if suffix == ".npz":
            return _npz_columns(path, wanted)
        if suffix == ".csv":
            return _csv_columns(path, wanted)
        if suffix == ".root":
            return _root_columns(path, wanted, tree)
        return _hdf5_columns(path, wanted)
    except PermissionError:
        raise PermissionError(f"{path}: cannot be read (permission denied)") from None
    except (OSError, ValueError) as exc:
        if str(exc).startswith(str(path)):
            raise
        raise ValueError(f"{path}: cannot read ({_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _pick(
    path: Path, columns: dict[str, Any], wanted: list[str] | None, read: Callable[[Any], Any]
) -> EventTable:
    """``read(columns[name])`` for the wanted names (all when None), or an error naming the missing."""
    if wanted is not None:
        missing = [n for n in wanted if n not in columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}; present: "
                             f"{', '.join(sorted(columns)) or 'none'}")
    return {n: np.asarray(read(columns[n])) for n in (wanted if wanted is not None else columns)}


def _npz_columns(path: Path, wanted: list[str] | None) -> EventTable:
    if not zipfile.is_zipfile(path):  # numpy would try it as a pickle
        with path.open("rb") as fh:
            started = fh.read(4) == b"PK\x03\x04"  # a zip's first entry, without its end
        what = "is damaged or truncated" if started else "is not an .npz archive (not a zip file)"
        raise ValueError(f"{path}: {what}; save the columns with numpy.savez")
    try:
        with np.load(path, allow_pickle=False) as f:
            return _pick(path, {k: k for k in f.files if k != _META}, wanted, lambda k: f[k])
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        if str(exc).startswith(str(path)):
            raise
        # never pass on numpy's advice to load pickled data
        what = "holds pickled (object) data, which is never loaded" if "pickle" in str(exc) else (
            "is not a readable .npz file (damaged or truncated)")
        raise ValueError(f"{path}: {what}; save the columns with numpy.savez") from None


def _csv_columns(path: Path, wanted: list[str] | None) -> EventTable:
    try:
        with path.open(encoding="utf-8-sig") as fh:
            header = [c.strip() for c in fh.readline().split(",")]
    except UnicodeDecodeError:
        raise ValueError(f"{path}: is not a text file (not UTF-8 text)") from None
    if not header or any(not re.match(r"^[A-Za-z_]", c) for c in header):
        raise ValueError(f"{path}: the first line must name the columns (e.g. mjj,mj1,...)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # numpy's "input contained no data": said below
        try:
            data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2, encoding="utf-8-sig")
        except ValueError as exc:
            if "number of columns changed" in str(exc):
                raise ValueError(f"{path}: every row must have one value per column name "
                                 f"({_first_line(exc)})") from None
            raise ValueError(f"{path}: every CSV value must be a number below the header row "
                             f"({_first_line(exc)})") from None
    if data.size == 0:
        raise ValueError(f"{path}: no rows after the header line")
    if data.shape[1] != len(header):
        raise ValueError(f"{path}: {len(header)} column names but {data.shape[1]} values per row")
    return _pick(path, {c: i for i, c in enumerate(header)}, wanted, lambda i: data[:, i])


def _hdf5_columns(path: Path, wanted: list[str] | None) -> EventTable:
    with _open_hdf5(path) as fh:
        frame = _pandas_frame(fh)
        if frame is not None:
            try:
                info = _layout(path, fh)
            except ValueError:
                info = None
            if info is not None:
                raise ValueError(
                    f"{path}: is an LHC Olympics hadron file ({info['n_events']} events of up to "
                    f"{info['n_hadrons']} hadrons), not event columns; compute its jet features first "
                    "(physml.data.collider.lhco_features, or physml collider features)"
                )
            return _frame_columns(path, *frame, wanted)
        h5py = _h5py()
        datasets: dict[str, list[str]] = {}
        fh.visititems(lambda name, obj: datasets.setdefault(name.split("/")[-1], []).append(name)
                      if isinstance(obj, h5py.Dataset) else None)
        # named by the last part of the path, by the whole path where two share it
        columns = {(last if len(full) == 1 else f): f for last, full in datasets.items() for f in full}
        return _pick(path, columns, wanted, lambda name: fh[name][()])


def _frame_columns(path: Path, key: str, group: Any, wanted: list[str] | None) -> EventTable:
    """The numeric columns of a pandas fixed-format DataFrame (its blocks, by column label)."""
    columns: dict[str, tuple[str, int]] = {}
    for b in range(int(_text(group.attrs.get("nblocks", 1)))):
        values, items = group.get(f"block{b}_values"), group.get(f"block{b}_items")
        if values is None or items is None or values.ndim != 2 or values.dtype.kind not in "biuf":
            continue  # strings or objects: no numeric column
        for j, label in enumerate(items[()]):
            columns[str(_text(label))] = (f"block{b}_values", j)
    return _pick(path, columns, wanted, lambda where: group[where[0]][:, where[1]])


def _root_columns(path: Path, wanted: list[str] | None, tree: str | None) -> EventTable:
    try:
        import uproot
    except ImportError:
        raise ValueError(f"{path}: reading ROOT files needs uproot: pip install 'physml[collider]'") from None
    try:
        fh = uproot.open(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: is not a readable ROOT file ({_first_line(exc)})") from None
    with fh:
        trees = sorted({k.rsplit(";", 1)[0] for k, c in fh.classnames(recursive=True).items()
                        if c in _TREE_CLASSES})
        if tree is None:
            if len(trees) != 1:
                listed = f"{len(trees)} trees ({', '.join(trees)})" if trees else "no TTree or RNTuple"
                raise _TreeChoiceError(f"{path} holds {listed}; choose one as {path}:TREE", trees)
            tree = trees[0]
        elif tree not in trees:
            listed = ", ".join(trees) or "none"
            raise _TreeChoiceError(f"{path} has no tree {tree!r}; it holds: {listed}", trees)
        t = fh[tree]
        branches = list(t.keys())
        if wanted is not None:
            missing = [n for n in wanted if n not in branches]
            if missing:
                raise ValueError(f"{path}: tree {tree!r} has no branch {', '.join(missing)}; branches: "
                                 f"{', '.join(branches) or 'none'}")
        try:
            arrays = t.arrays(wanted if wanted is not None else branches, library="np")
        except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise ValueError(f"{path}: cannot read tree {tree!r} ({_first_line(exc)})") from None
        out: EventTable = {}
        for name in wanted if wanted is not None else branches:
            a = np.asarray(arrays[name])
            if a.dtype.kind in "biuf" and a.ndim == 1:
                out[name] = a
            elif wanted is not None:  # all branches: those with lists or objects per event are left out
                raise ValueError(f"{path}: branch {name!r} of tree {tree!r} holds {t[name].typename} per "
                                 "event; one number per event is needed")
    return out


def _chunk(args: tuple[str, int, int, dict[str, Any]]) -> EventTable:
    """One chunk of events (module level so that process and Dask workers can run it)."""
    generator, n, seed, kwargs = args
    if generator == "qg":
        return generate_qg_jets(n, seed=seed, **kwargs)
    return generate_dijets(n, generator, seed=seed, **kwargs)


def generate_to_file(
    path: str | Path,
    n_events: int,
    generator: str = "qcd",
    *,
    chunk_size: int = 1000,
    seed: int = 0,
    executor: Any = None,
    overwrite: bool = False,
    progress: bool = False,
    **kwargs: Any,
) -> Path:
    """Generate ``n_events`` into ``path`` (.npz or .h5) in chunks, resumably and in parallel.

    Chunk i holds ``chunk_size`` events (the last one fewer) generated with the seed
    ``derive_seed(seed, generator, i)``, so the file does not depend on how many workers made
    it. Finished chunks land in ``<path>.parts/`` as they complete; running the same call
    again after an interruption generates only the missing ones. When all are there they are
    joined into ``path`` (atomically) and the parts are removed.

    Parameters
    ----------
    generator : {"qcd", "signal", "qg"}
        :func:`generate_dijets` with that process, or :func:`generate_qg_jets`.
    executor : physml.parallel.Executor, optional
        Runs the chunks (inline when omitted; a process pool or Dask cluster to scale out).
    progress : bool
        When the chunks run in this process (no executor, or an inline one), also show a bar
        over the events of each chunk on a terminal; the executor's own bar counts chunks.
        It changes nothing in the output or in what a resumed run must repeat.
    **kwargs
        Passed to the generator (masses, cuts, ...).
    """
    path = Path(path)
    _check_suffix(path, (".npz", ".h5"))
    n_events = check_int(n_events, "n_events", low=1)
    generator = check_choice(generator, "generator", GENERATORS)
    chunk_size = check_int(chunk_size, "chunk_size", low=1)
    seed = check_int(seed, "seed", low=0)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True (--force) to replace it")
    meta = {"generator": generator, "n_events": n_events, "chunk_size": chunk_size, "seed": seed,
            "options": {k: kwargs[k] for k in sorted(kwargs)}}
    sizes = [min(chunk_size, n_events - start) for start in range(0, n_events, chunk_size)]
    inline = executor is None or isinstance(executor, InlineExecutor)
    chunk_kwargs = {**kwargs, "progress": True} if progress and inline else kwargs
    items = [(generator, size, derive_seed(seed, generator, i), chunk_kwargs) for i, size in enumerate(sizes)]
    return _chunks_to_file(path, meta, items, _chunk, executor=executor, desc=f"generate {generator}")


def _chunks_to_file(
    path: Path,
    meta: dict[str, Any],
    items: list[Any],
    worker: Callable[[Any], EventTable],
    *,
    executor: Any,
    desc: str,
    summary: Callable[[EventTable], dict[str, Any]] | None = None,
) -> Path:
    """``worker(item)`` for each item (one chunk each) into ``path``, resumably.

    Finished chunks land in ``<path>.parts/part-NNNNN.npz`` as they complete, next to
    ``meta.json`` (``meta``, the request); a rerun of the same request computes only the missing
    chunks, a different request is refused. When all are there they are joined into ``path``
    (atomically, with ``meta`` and ``summary(table)``) and the parts are removed.
    """
    parts = path.with_name(path.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    stamp = parts / "meta.json"
    if stamp.exists():
        previous = json.loads(stamp.read_text())
        if previous != json.loads(json.dumps(meta)):
            raise ValueError(
                f"{parts} holds chunks of a different request ({previous}); remove it to start over, "
                "or repeat the original request to resume"
            )
    else:
        atomic_write_text(stamp, json.dumps(meta, sort_keys=True))
    files = [parts / f"part-{i:05d}.npz" for i in range(len(items))]
    todo = [i for i, f in enumerate(files) if not f.exists()]

    def save(index: int, table: EventTable) -> None:
        write_events(files[todo[index]], table, {"chunk": todo[index], **meta})

    owned = executor is None
    executor = InlineExecutor() if owned else executor
    try:
        executor.map(worker, [items[i] for i in todo], on_result=save, desc=desc)
    finally:
        if owned:
            executor.close()
    table = concatenate_events([read_events(f) for f in files])  # type: ignore[misc]
    write_events(path, table, {**meta, **(summary(table) if summary else {})})
    shutil.rmtree(parts)
    return path


def _lhco_chunk(args: tuple[str, int, int, float, bool]) -> EventTable:
    """The dijet features of events ``start:stop`` of an LHC Olympics file (module level so that
    process and Dask workers can run it; each reads its own rows)."""
    path, start, stop, radius, progress = args
    pt, eta, phi, label = read_lhco(path, start, stop)
    table = cluster_dijets(pt, eta, phi, radius=radius, progress=progress)
    if label is not None:
        table["label"] = label[table["event"]]
    table["event"] = table["event"] + start
    return table


def lhco_features(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    radius: float = 1.0,
    chunk_size: int = 2000,
    executor: Any = None,
    overwrite: bool = False,
    progress: bool = False,
) -> Path:
    """The dijet features of an LHC Olympics 2020 hadron file, into ``out`` (.npz or .h5).

    Each event's hadrons are clustered with FastJet into anti-kT jets of radius ``radius`` (the
    jet building of :func:`generate_dijets`); the columns are those of ``generate_dijets``:
    ``mjj, mj1, mj2, tau21_j1, tau21_j2`` (GeV; J1 the heavier of the two leading jets),
    ``pt_j1, pt_j2, eta_j1, eta_j2``, ``label`` when the file has one (the R&D set), and
    ``event``, the event's row in the input (events with fewer than two jets above 20 GeV are
    dropped, so ``event`` keeps the rows aligned with e.g. a black box's solution file).

    The file is read ``chunk_size`` events at a time; finished chunks land in ``<out>.parts/``
    and a rerun of the same call after an interruption computes only the missing ones (a
    changed input file or radius is refused rather than mixed in). ``out`` is written
    atomically at the end, its metadata (``read_events(out, with_meta=True)``) holding the
    request and the counts ``n_events`` (in the input), ``n_kept`` and ``n_dropped``.

    Parameters
    ----------
    executor : physml.parallel.Executor, optional
        Runs the chunks (inline when omitted); each worker reads its own rows of ``path``.
    progress : bool
        When the chunks run in this process, a bar over the events of each chunk on a terminal.

    Raises
    ------
    FileNotFoundError, ValueError
        A file that is not in the LHC Olympics layout (:func:`lhco_info`) or has no events,
        bad values (naming the event and column), an unknown output type.
    FileExistsError
        ``out`` exists and ``overwrite`` is False.
    """
    path, out = Path(path), Path(out)
    _check_suffix(out, (".npz", ".h5"))
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    chunk_size = check_int(chunk_size, "chunk_size", low=1)
    info = lhco_info(path)
    n = info["n_events"]
    if n == 0:
        raise ValueError(f"{path}: holds no events (the table {info['key']!r} has no rows)")
    if out.exists() and not overwrite:
        raise FileExistsError(f"{out} exists; pass overwrite=True (--force) to replace it")
    stat = path.stat()
    meta = {"source": str(path.resolve()), "source_bytes": stat.st_size, "source_mtime_ns": stat.st_mtime_ns,
            "layout": "LHC Olympics 2020", "n_events": n, "chunk_size": chunk_size, "radius": radius}
    inline = executor is None or isinstance(executor, InlineExecutor)
    items = [(str(path), start, min(start + chunk_size, n), radius, progress and inline)
             for start in range(0, n, chunk_size)]

    def summary(table: EventTable) -> dict[str, Any]:
        kept = len(table["event"])
        return {"n_kept": kept, "n_dropped": n - kept}

    return _chunks_to_file(out, meta, items, _lhco_chunk, executor=executor, desc="chunks",
                           summary=summary)
