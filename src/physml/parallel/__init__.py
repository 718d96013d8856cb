"""Parallel executors: one interface to run a function over many items.

:class:`InlineExecutor` runs them in this process, :class:`ProcessExecutor` in a local process
pool and :class:`DaskExecutor` on a Dask cluster (local, or one that exists, given by its
scheduler address). :func:`make_executor` picks one from ``workers`` / ``scheduler``.
``map`` hands each finished result to the caller at once and, when some items fail, lets the
others finish and raises a :class:`MapError` with both.

This floor stands on :mod:`physml._core` only; the science packages may use it, the lab does.
Dask moves pickles between machines by design: point ``scheduler`` only at a cluster you trust.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
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
