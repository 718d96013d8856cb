"""Sweeps over sizes (training-set size, model size) through the executors of
:mod:`physml.parallel`, resumable point by point: each finished point is written to a store
directory as soon as it arrives, as JSON and plain arrays (:class:`physml._core.ValueStore`),
never as a pickle, so that reading a store someone else made runs no code."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from physml._core import ValueStore, check_int
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
        A module-level (picklable) function of one point. With a ``store`` its results must be
        what the store holds (:data:`physml._core.STORABLE`: numbers, strings, lists, tuples and
        dicts of them, numpy arrays, torch tensors, fitted physml models); anything else raises
        a ``TypeError`` naming the type.
    points : sequence
        The sweep's points (e.g. from :func:`sweep_points`); each point's ``repr`` names it in
        the store, so points must have a stable, distinct ``repr`` (dicts, tuples, numbers).
    executor : physml.parallel.Executor, optional
        Default :class:`physml.parallel.InlineExecutor`; :func:`physml.parallel.make_executor` gives a
        process pool or a Dask cluster.
    store : path, optional
        A directory: each finished point is written there atomically as it arrives
        (``point-<hash>.npz``: the point's ``repr`` and its result), and points already there are
        not computed again (an interrupted sweep resumes where it stopped). An entry that cannot
        be read, or that names another point, is computed again; files of other names (the
        ``.pkl`` pickles that earlier physml versions wrote) are never read.
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
    cache = None if store is None else ValueStore(store, what="run_sweep results")
    if cache is not None:
        Path(store).mkdir(parents=True, exist_ok=True)
        todo = []
        missing = object()
        for i, k in enumerate(keys):
            entry = cache.get(f"point-{k}", missing)
            ours = type(entry) is dict and entry.keys() == {"point", "value"}
            if ours and entry["point"] == repr(points[i]):
                results[i] = entry["value"]
            else:
                todo.append(i)

    def keep(j: int, value: Any) -> None:
        i = todo[j]
        results[i] = value
        if cache is not None:
            cache.put(f"point-{keys[i]}", {"point": repr(points[i]), "value": value})

    if todo:
        own = executor is None
        ex = InlineExecutor() if own else executor
        try:
            ex.map(fn, [points[i] for i in todo], on_result=keep, desc=desc or "sweep")
        finally:
            if own:
                ex.close()
    return results
