"""Sweeps over sizes (training-set size, model size) through the executors of
:mod:`physml.parallel`, resumable point by point: each finished point is written to a store
directory as soon as it arrives."""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from physml._core import atomic_write_bytes, check_int
from physml.parallel import InlineExecutor

__all__ = ["run_sweep", "sweep_points"]


def sweep_points(sizes: Sequence[Any], n_seeds: int, **fixed: Any) -> list[dict[str, Any]]:
    """The grid of a scaling sweep: one dict per (size, seed index) with the fixed settings.

    Returns ``[{"size": s, "replica": r, **fixed}, ...]`` in size-major order.
    """
    n_seeds = check_int(n_seeds, "n_seeds", low=1)
    return [{"size": s, "replica": r, **fixed} for s in sizes for r in range(n_seeds)]


def _key(point: Any) -> str:
    return hashlib.sha1(repr(point).encode()).hexdigest()[:20]


def run_sweep(
    fn: Callable[[Any], Any],
    points: Sequence[Any],
    *,
    executor: Any = None,
    store: str | Path | None = None,
    desc: str | None = None,
) -> list[Any]:
    """Evaluate ``fn(point)`` for every point, on an executor, resumably.

    Parameters
    ----------
    fn : callable
        A module-level (picklable) function of one point; its results must be picklable.
    points : sequence
        The sweep's points (e.g. from :func:`sweep_points`); each point's ``repr`` names it in
        the store, so points must have a stable, distinct ``repr`` (dicts, tuples, numbers).
    executor : physml.parallel.Executor, optional
        Default :class:`physml.parallel.InlineExecutor`; :func:`physml.parallel.make_executor` gives a
        process pool or a Dask cluster.
    store : path, optional
        A directory: each finished point is pickled there atomically as it arrives, and points
        already there are not computed again (an interrupted sweep resumes where it stopped).
    desc : str, optional
        Progress-bar label.

    Returns
    -------
    list
        ``fn(point)`` in the order of ``points``.
    """
    points = list(points)
    keys = [_key(p) for p in points]
    if len(set(keys)) != len(keys):
        raise ValueError("points must be distinct (two points have the same repr)")
    results: list[Any] = [None] * len(points)
    todo = list(range(len(points)))
    root = None if store is None else Path(store)
    if root is not None:
        root.mkdir(parents=True, exist_ok=True)
        todo = []
        for i, k in enumerate(keys):
            path = root / f"point-{k}.pkl"
            if path.exists():
                results[i] = pickle.loads(path.read_bytes())[1]
            else:
                todo.append(i)

    def keep(j: int, value: Any) -> None:
        i = todo[j]
        results[i] = value
        if root is not None:
            atomic_write_bytes(root / f"point-{keys[i]}.pkl", pickle.dumps((points[i], value)))

    if todo:
        own = executor is None
        ex = InlineExecutor() if own else executor
        try:
            ex.map(fn, [points[i] for i in todo], on_result=keep, desc=desc or "sweep")
        finally:
            if own:
                ex.close()
    return results
