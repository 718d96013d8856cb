"""Parallel executors: one interface to run a function over many items.

:class:`InlineExecutor` runs them in this process, :class:`ProcessExecutor` in a local process
pool and :class:`DaskExecutor` on a Dask cluster (local, or one that exists, given by its
scheduler address). :func:`make_executor` picks one from ``workers`` / ``scheduler``.
``map`` hands each finished result to the caller at once and, when some items fail, lets the
others finish and raises a :class:`MapError` with both.

This floor stands on :mod:`physml._core` only; the science packages may use it, the lab does.
Dask moves pickles (functions, arguments, results) between the client, the scheduler and the
workers by design, and unpickling runs code: point ``scheduler`` (``physml run --scheduler``)
only at a cluster you trust, since whoever runs it can run code in your process. A process pool
pickles too, but only between your own processes. What the lab keeps on disk holds no pickles
(:class:`physml._core.ValueStore`), so a run directory from elsewhere is safe to resume.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_cluster": ("BATCH_SYSTEMS", "ClusterError", "ClusterSpec"),
        "_executors": (
            "DaskExecutor",
            "Executor",
            "InlineExecutor",
            "MapError",
            "ProcessExecutor",
            "make_executor",
        ),
    },
)
