"""Timing helpers for the benchmarks: medians of repeated runs, physml against a baseline
measured in the same process, reported as a ratio (machines are noisy; ratios travel).

Ratios travel only between like CPUs: vectorised kernels run 2-3 times faster with AVX-512 than
with AVX2 alone, and bfloat16 matrix products several times faster with bfloat16 units but
about ten times slower without them (emulated). So every result line ends with the machine
(:func:`machine`: the CPU's name, torch's vector capability, whether bfloat16 is native), which
``run.py`` also prints in its header."""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable
from typing import Any


@functools.cache
def machine() -> str:
    """``"AMD EPYC 9654; torch AVX512; bfloat16 native"``: what decides the vector speed."""
    from physml._core._torch import cpu_capability

    return cpu_capability().describe()


def median_seconds(fn: Callable[[], Any], *, repeat: int = 5, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def paired_seconds(
    fn: Callable[[], Any], baseline: Callable[[], Any], *, repeat: int = 7, warmup: int = 1
) -> tuple[float, float, float]:
    """Time ``fn`` and ``baseline`` alternately, ``repeat`` times each.

    Returns the two medians and the median of the per-pair ratios baseline/fn. Alternating
    puts both under the same load when the machine's speed drifts (a shared VM's neighbours),
    and the paired ratio cancels that drift where separate medians would not."""
    for _ in range(warmup):
        fn()
        baseline()
    ours, theirs = [], []
    for _ in range(repeat):
        for f, times in ((fn, ours), (baseline, theirs)):
            start = time.perf_counter()
            f()
            times.append(time.perf_counter() - start)
    ratio = statistics.median(b / a for a, b in zip(ours, theirs, strict=True))
    return statistics.median(ours), statistics.median(theirs), ratio


def report(
    name: str,
    physml_s: float,
    baseline_name: str,
    baseline_s: float,
    extra: str = "",
    ratio: float | None = None,
) -> None:
    """Print one comparison, ending with the machine it ran on in brackets; ``ratio`` (e.g. a
    median of paired ratios) defaults to baseline_s / physml_s."""
    ratio = baseline_s / physml_s if ratio is None else ratio
    print(f"{name:<42} physml {physml_s * 1e3:9.1f} ms   {baseline_name} {baseline_s * 1e3:9.1f} ms   "
          f"speed-up x{ratio:5.2f}{'   ' + extra if extra else ''}   [{machine()}]", flush=True)
