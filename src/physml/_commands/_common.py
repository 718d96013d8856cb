"""Argument types and errors shared by the command line's parsers (standard library only)."""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from physml import data as datasets
from physml import parallel
from physml._core import atomic_write_text, format_measurement, format_number, unwritable_reason

__all__ = [
    "UsageError",
    "add_cluster_options",
    "cluster_spec",
    "check_new_dir",
    "check_finite",
    "check_new_file",
    "load_numeric",
    "load_points",
    "non_negative_int",
    "positive_int",
    "positive_real",
    "print_table",
    "real_list",
    "write_table",
]


class UsageError(Exception):
    """A mistake in the command line or its inputs: one line on stderr, exit code 2."""


def positive_int(name: str) -> Callable[[str], int]:
    """An argparse type accepting integers >= 1, with errors that name ``name``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer, got {text!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"{name} must be >= 1, got {value}")
        return value

    return parse


def non_negative_int(name: str) -> Callable[[str], int]:
    """An argparse type accepting integers >= 0, with errors that name ``name``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a non-negative integer, got {text!r}") from None
        if value < 0:
            raise argparse.ArgumentTypeError(f"{name} must be a non-negative integer, got {value}")
        return value

    return parse


def positive_real(name: str) -> Callable[[str], float]:
    """An argparse type accepting finite reals > 0."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise argparse.ArgumentTypeError(f"{name} must be a finite number > 0, got {text}")
        return value

    return parse


def real_list(name: str) -> Callable[[str], list[float]]:
    """An argparse type for ``a,b,c`` (a list) or ``start:stop:n`` (n evenly spaced values)."""

    def parse(text: str) -> list[float]:
        try:
            if ":" in text:
                start, stop, n = text.split(":")
                count = int(n)
                if count < 1:
                    raise ValueError
                a, b = float(start), float(stop)
                if count == 1:
                    return [a]
                return [a + (b - a) * i / (count - 1) for i in range(count)]
            return [float(t) for t in text.split(",") if t.strip()]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{name} expects numbers 'a,b,c' or a range 'start:stop:count', got {text!r}"
            ) from None

    return parse


def load_numeric(path: Path, key: str | None, what: str) -> Any:
    """The numeric array in ``path`` (a file type ``physml.data.load_array`` reads), else UsageError.

    ``what`` completes the sentence "... needs numbers" in the error for a non-numeric array,
    e.g. ``"physml dimension"``. Shape checks are the caller's: they depend on the command.
    """
    if path.suffix.lower() not in datasets.ARRAY_SUFFIXES:
        accepted = ", ".join(datasets.ARRAY_SUFFIXES)
        raise UsageError(f"{path}: unknown file type {path.suffix or '(none)'!r}; accepted: {accepted}")
    try:
        data = datasets.load_array(path, key=key)
    except (OSError, ValueError) as exc:
        choices = getattr(exc, "choices", None)  # which array of an .npz or .h5: say it as the flag
        if choices is not None:
            listed = ", ".join(choices) or "none"
            if key is None:
                message = f"{path} holds {len(choices)} arrays ({listed}); choose one with --key"
            else:
                message = f"--key {key}: {path} has no such array; it holds: {listed}"
            raise UsageError(message) from None
        raise UsageError(str(exc).splitlines()[0]) from None
    if data.dtype.kind not in "biuf":
        raise UsageError(f"{path}: holds {data.dtype} values; {what} needs numbers")
    return data


def load_points(path: Path, key: str | None, what: str) -> tuple[tuple[int, ...], Any]:
    """The array in ``path`` as points: its shape, and its rows (more axes, e.g. image stacks,
    flattened) as float64, or a UsageError for a scalar, a 1-D array or a non-finite value
    (naming the first one's row and column)."""
    import numpy as np

    data = load_numeric(path, key, what)
    if data.ndim == 0:
        raise UsageError(f"{path}: holds a single number, not points")
    if data.ndim == 1:
        raise UsageError(
            f"{path}: holds a 1-D array of {data.shape[0]} values; save points as rows of a 2-D array "
            "(one value per point: shape (n, 1))"
        )
    x = data.reshape(data.shape[0], -1).astype(np.float64)
    check_finite(path, x)
    return data.shape, x


def check_finite(path: Path, x: Any) -> None:
    """A UsageError naming the count and the first row and column of NaN or inf values in ``x``."""
    import numpy as np

    bad = ~np.isfinite(x)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise UsageError(
            f"{path}: {int(bad.sum())} non-finite value(s) (NaN or inf), first at row {row}, "
            f"column {col}; remove or impute them"
        )


def check_new_file(path: Path, suffixes: tuple[str, ...], option: str, *, force: bool = False) -> None:
    """Validate an output file before any work: known suffix, not a directory, no overwrite
    without ``force``, and a parent directory that exists and can be written (a read-only
    file system or a missing permission is found now, not after the computation)."""
    if path.suffix.lower() not in suffixes:
        raise UsageError(f"{option} {path}: unknown file type; accepted: {', '.join(suffixes)}")
    if path.is_dir():
        raise UsageError(f"{option} {path}: is a directory; give a file name ({', '.join(suffixes)})")
    if path.exists() and not force:
        raise UsageError(f"{option} {path}: file exists; pass --force to overwrite")
    reason = unwritable_reason(path)
    if reason is not None:
        raise UsageError(f"{option} {path}: {reason}")


def check_new_dir(path: Path, option: str, *, force: bool = False, make_parents: bool = False) -> None:
    """Validate an output directory before any work: not a file, empty unless ``force``, and
    writable (or creatable: its parent, or with ``make_parents`` its nearest existing
    ancestor, can be written)."""
    if path.exists() and not path.is_dir():
        raise UsageError(f"{option} {path}: exists and is not a directory")
    if path.is_dir() and any(path.iterdir()) and not force:
        raise UsageError(f"{option} {path}: directory is not empty; pass --force or choose another")
    reason = unwritable_reason(path, directory=True, make_parents=make_parents)
    if reason is not None:
        raise UsageError(f"{option} {path}: {reason}")


BATCH_SYSTEMS = ("slurm", "pbs", "sge", "lsf", "htcondor")


def add_cluster_options(parser: argparse.ArgumentParser, where: Any = None) -> None:
    """Add ``--cluster`` (to the mutually exclusive group ``where``, if given) and the batch
    job options (``--jobs``, ``--job-cores``, ``--job-memory``, ``--walltime``, ``--queue``,
    ``--account``, ``--job-directive``, ``--cluster-config``, ``--cluster-logs``)."""
    (where or parser).add_argument(
        "--cluster", choices=BATCH_SYSTEMS, metavar="SYSTEM",
        help="run on batch jobs through dask-jobqueue: slurm, pbs, sge, lsf or htcondor (docs/cluster.md)",
    )
    g = parser.add_argument_group("batch cluster (with --cluster)")
    g.add_argument("--jobs", type=positive_int("--jobs"), metavar="N",
                   help="batch jobs to keep running (default 1)")
    g.add_argument("--job-cores", type=positive_int("--job-cores"), metavar="N",
                   help="cores per job (default 1)")
    g.add_argument("--job-memory", metavar="SIZE", help="memory per job, e.g. 4GiB (default 2GiB)")
    g.add_argument("--walltime", metavar="HH:MM:SS", help="time limit per job (default 01:00:00)")
    g.add_argument("--queue", metavar="NAME", help="partition (Slurm) or queue to submit to")
    g.add_argument("--account", metavar="NAME", help="account to charge the jobs to")
    g.add_argument("--job-directive", action="append", metavar="LINE", dest="job_directives",
                   help="extra job-script directive, e.g. --job-directive=--qos=normal (repeatable)")
    g.add_argument("--cluster-config", type=Path, metavar="FILE",
                   help="TOML file with the settings above (flags override it)")
    g.add_argument("--cluster-logs", type=Path, metavar="DIR", help="directory for the jobs' output files")
    g.add_argument("--job-start-timeout", type=positive_int("--job-start-timeout"), metavar="SECONDS",
                   help="give up (cancelling the jobs) if no job has started by then (default 600)")


_CLUSTER_FLAGS = {
    "jobs": "--jobs", "job_cores": "--job-cores", "job_memory": "--job-memory", "walltime": "--walltime",
    "queue": "--queue", "account": "--account", "job_directives": "--job-directive",
    "cluster_config": "--cluster-config", "cluster_logs": "--cluster-logs",
    "job_start_timeout": "--job-start-timeout",
}


def cluster_spec(args: argparse.Namespace) -> Any:
    """The :class:`physml.parallel.ClusterSpec` the batch options ask for, or None without ``--cluster``."""
    given = [flag for dest, flag in _CLUSTER_FLAGS.items() if getattr(args, dest, None) is not None]
    if getattr(args, "cluster", None) is None:
        if given:
            raise UsageError(f"{given[0]} needs --cluster SYSTEM (one of {', '.join(BATCH_SYSTEMS)})")
        return None
    ClusterSpec = parallel.ClusterSpec
    overrides = {
        "jobs": args.jobs, "cores": args.job_cores, "memory": args.job_memory, "walltime": args.walltime,
        "queue": args.queue, "account": args.account,
        "job_extra_directives": tuple(args.job_directives) if args.job_directives else None,
        "log_directory": str(args.cluster_logs) if args.cluster_logs else None,
        "start_timeout": args.job_start_timeout,
    }
    try:
        if args.cluster_config is not None:
            return ClusterSpec.from_file(args.cluster_config, args.cluster, **overrides)
        return ClusterSpec(system=args.cluster, **{k: v for k, v in overrides.items() if v is not None})
    except (OSError, ValueError, TypeError) as exc:
        config = args.cluster_config
        message = str(exc).splitlines()[0]
        if config is not None and message.startswith(str(config)):
            raise UsageError(f"--cluster-config {message}") from None
        raise UsageError(f"--cluster {args.cluster}: {message}") from None


def write_table(path: Path, rows: list[dict], meta: dict | None = None) -> None:
    """Write rows of scalars atomically as CSV (one row per dict) or JSON ({"meta", "rows"})."""
    if path.suffix.lower() == ".json":
        atomic_write_text(path, json.dumps({"meta": meta or {}, "rows": rows}, indent=2) + "\n")
        return
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write_text(path, buffer.getvalue())


def print_table(rows: list[dict], columns: list[tuple[str, str]]) -> None:
    """Print ``rows`` as aligned columns, ``value ± error`` where a ``<key>_err`` exists."""
    table = [[title for _, title in columns]]
    for row in rows:
        cells = []
        for key, _ in columns:
            value, err = row.get(key), row.get(f"{key}_err")
            if value is None:
                cells.append("-")
            elif err is None:
                cells.append(format_number(value))
            else:
                cells.append(format_measurement(value, err))
        table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(columns))]
    for r in table:
        print("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)))
