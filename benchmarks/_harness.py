"""Timing helpers for the benchmarks: medians of repeated runs, physml against a baseline
measured in the same process, reported as a ratio (machines are noisy; ratios travel)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_seconds(fn: Callable[[], Any], *, repeat: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, physml_s: float, baseline_name: str, baseline_s: float, extra: str = "") -> None:
    ratio = baseline_s / physml_s
    print(f"{name:<42} physml {physml_s * 1e3:9.1f} ms   {baseline_name} {baseline_s * 1e3:9.1f} ms   "
          f"speed-up x{ratio:5.2f}{'   ' + extra if extra else ''}", flush=True)
