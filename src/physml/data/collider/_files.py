"""Event tables on disk, and generation into a file in resumable, parallel chunks.

Formats: ``.npz`` (one array per column, always available), ``.h5`` (one dataset per column,
when h5py is installed) and ``.csv`` for reading 1-D columns written by other tools. Writes
are atomic: a file is either absent or complete.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from physml._core import atomic_write_bytes, atomic_write_text, check_choice, check_int, derive_seed
from physml.data.collider._events import EventTable, concatenate_events
from physml.data.collider._pythia import generate_dijets, generate_qg_jets
from physml.parallel import InlineExecutor

__all__ = ["EVENT_SUFFIXES", "GENERATORS", "generate_to_file", "read_events", "write_events"]

EVENT_SUFFIXES = (".npz", ".h5", ".csv")
GENERATORS = ("qcd", "signal", "qg")
_META = "__meta__"


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

    Returns the table, or ``(table, meta)`` with ``with_meta=True``.
    """
    path = Path(path)
    suffix = _check_suffix(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    meta: dict = {}
    if suffix == ".npz":
        with np.load(path, allow_pickle=False) as f:
            table = {k: f[k] for k in f.files if k != _META}
            if _META in f.files:
                meta = json.loads(str(f[_META]))
    elif suffix == ".h5":
        try:
            import h5py
        except ImportError:
            raise ValueError(f"{path}: reading .h5 needs h5py (pip install h5py)") from None
        with h5py.File(path, "r") as f:
            table = {k: f[k][()] for k in f.keys()}
            meta = json.loads(f.attrs.get("meta", "{}"))
    else:
        with path.open(newline="") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if not header:
                raise ValueError(f"{path}: empty CSV file (expected a header row of column names)")
            rows = list(reader)
        try:
            data = np.array(rows, dtype=float).reshape(len(rows), len(header))
        except ValueError:
            raise ValueError(f"{path}: every CSV value must be a number below the header row") from None
        table = {name.strip(): data[:, i] for i, name in enumerate(header)}
    return (table, meta) if with_meta else table


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
    parts = path.with_name(path.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    stamp = parts / "meta.json"
    if stamp.exists():
        previous = json.loads(stamp.read_text())
        if previous != meta:
            raise ValueError(
                f"{parts} holds chunks of a different request ({previous}); remove it to start over, "
                "or repeat the original request to resume"
            )
    else:
        atomic_write_text(stamp, json.dumps(meta, sort_keys=True))
    sizes = [min(chunk_size, n_events - start) for start in range(0, n_events, chunk_size)]
    files = [parts / f"part-{i:05d}.npz" for i in range(len(sizes))]
    todo = [i for i, f in enumerate(files) if not f.exists()]
    owned = executor is None
    executor = InlineExecutor() if owned else executor
    inline = isinstance(executor, InlineExecutor)
    chunk_kwargs = {**kwargs, "progress": True} if progress and inline else kwargs
    items = [(generator, sizes[i], derive_seed(seed, generator, i), chunk_kwargs) for i in todo]

    def save(index: int, table: EventTable) -> None:
        write_events(files[todo[index]], table, {"chunk": todo[index], **meta})

    try:
        executor.map(_chunk, items, on_result=save, desc=f"generate {generator}")
    finally:
        if owned:
            executor.close()
    table = concatenate_events([read_events(f) for f in files])  # type: ignore[misc]
    write_events(path, table, meta)
    shutil.rmtree(parts)
    return path
