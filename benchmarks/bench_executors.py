"""Executors: wall time of a map of CPU-bound items, inline against a process pool and a
local Dask cluster with as many workers as cores (the ratio is the parallel speed-up)."""

from __future__ import annotations

import os

from _harness import median_seconds, report


def burn(n: int) -> float:
    total = 0.0
    for i in range(n):
        total += (i % 7) * 0.5
    return total


def main(repeat: int = 3) -> None:
    from physml.parallel import DaskExecutor, InlineExecutor, ProcessExecutor

    workers = os.cpu_count() or 1
    items = [2_000_000] * (4 * workers)
    with InlineExecutor() as inline:
        t_inline = median_seconds(lambda: inline.map(burn, items), repeat=repeat)
    with ProcessExecutor(workers) as pool:
        t_pool = median_seconds(lambda: pool.map(burn, items), repeat=repeat)
    report(f"map of {len(items)} CPU-bound items, {workers} processes", t_pool, "inline", t_inline)
    import sys

    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this script
    with DaskExecutor(workers) as dask:
        t_dask = median_seconds(lambda: dask.map(burn, items), repeat=repeat)
    report(f"map of {len(items)} CPU-bound items, Dask x{workers}", t_dask, "inline", t_inline)


if __name__ == "__main__":
    main()
