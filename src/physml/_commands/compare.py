"""``physml compare RUN_A RUN_B``: two run directories side by side, check by check.

Prints the changed verdicts and flagged shifts, the settings that differ and a summary line;
``--json`` prints the whole comparison as JSON instead, ``--out DIR`` also writes
``DIR/compare.html`` and ``DIR/compare.json``. Exit code 1 when B regressed against A (a claim
went from reproduced to not, a check from passed to failed, or a value shifted beyond the
threshold), so the command can guard a CI; 0 otherwise; 2 on a usage error. The comparison
itself is :func:`physml.lab.compare_runs` (docs/compare.md).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from physml import lab
from physml._commands._common import UsageError, check_new_dir, positive_real

__all__ = ["register", "run_compare"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "compare",
        help="compare two run directories check by check (exit 1 on a regression)",
        description=(
            "Compare run B with run A (directories written by 'physml run' or 'physml lab'): for every "
            "experiment in both and each of its checks, the two measured values with their uncertainties, "
            "the pull (B − A)/√(σA² + σB²) and any change of verdict; settings that differ (parameters, "
            "seed, physml revision, CPU, executor) and experiments in one run only. A check is flagged "
            "when |pull| exceeds the threshold (default: 3σ Bonferroni-corrected for the number of pulls) "
            "or, without error bars, when it moved by more than its tolerance. Exit code 1 when B "
            "regressed (a claim no longer reproduced, a check now failing, or a flagged shift), else 0."
        ),
    )
    p.add_argument("run_a", type=Path, metavar="RUN_A", help="the reference run directory")
    p.add_argument("run_b", type=Path, metavar="RUN_B", help="the run directory compared with it")
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument("--out", type=Path, metavar="DIR", help="write DIR/compare.html and DIR/compare.json")
    p.add_argument("--force", action="store_true", help="write into DIR even if it is not empty")
    p.add_argument(
        "--threshold",
        type=positive_real("--threshold"),
        metavar="Z",
        help="flag |pull| > Z (default: the 3σ threshold Bonferroni-corrected for the number of pulls)",
    )
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    return run_compare(args.run_a, args.run_b, out=args.out, as_json=args.json, threshold=args.threshold,
                       force=args.force)


def _check_run(path: Path, option: str) -> None:
    if not path.exists():
        raise UsageError(f"{option} {path}: no such directory")
    if not path.is_dir():
        raise UsageError(f"{option} {path}: is not a directory")
    if not any(path.glob("*/result.json")):
        raise UsageError(f"{option} {path}: holds no */result.json; run 'physml run' or 'physml lab' first")


def run_compare(
    run_a: str | Path,
    run_b: str | Path,
    *,
    out: str | Path | None = None,
    as_json: bool = False,
    threshold: float | None = None,
    force: bool = False,
) -> int:
    """Compare two run directories, print the result, write ``out/compare.{html,json}``.

    Returns the exit code: 1 when run B regressed against run A, else 0. Raises
    :class:`UsageError` (before any output) for a missing or empty run directory, an unreadable
    ``result.json``, an unusable ``out`` or a threshold that is not a finite number > 0.
    """
    run_a, run_b = Path(run_a), Path(run_b)
    _check_run(run_a, "RUN_A")
    _check_run(run_b, "RUN_B")
    if threshold is not None and not (math.isfinite(threshold) and threshold > 0):
        raise UsageError(f"--threshold must be a finite number > 0, got {threshold}")
    if out is not None:
        out = Path(out)
        check_new_dir(out, "--out", force=force)

    try:
        comparison = lab.compare_runs(run_a, run_b, threshold=threshold)
    except ValueError as exc:  # an incomplete or invalid result.json, named by its path
        raise UsageError(str(exc).splitlines()[0]) from None
    if as_json:
        print(json.dumps(comparison.to_dict(), indent=2, allow_nan=False, ensure_ascii=False))
    else:
        print(comparison.to_text())
    if out is not None:
        html, data = comparison.write(out)
        if not as_json:
            print(f"comparison: {html} and {data.name}")
    return comparison.exit_code
