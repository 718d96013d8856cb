"""The ``physml`` command line.

Exit codes: 0 every check passed, 1 a check failed (or an experiment raised),
2 a usage error (one line on standard error, no traceback), 130 interrupted,
141 the reader of standard output went away (``physml list | head -1``): the command stops
writing and exits quietly with 128 + SIGPIPE, the code a C tool killed by SIGPIPE gives, so
that a shell sees what it sees for ``seq 1000 | head -1``. (``run`` and ``lab`` have by then
written their results and report; the run directory holds the verdicts.)

Ctrl-C prints what was kept: ``run`` and ``lab`` keep finished experiments and map items
(rerun with ``--resume``); a tool command sets ``interrupt_note`` in its parser's defaults
when it keeps something, and otherwise nothing was written (tool commands write their outputs
atomically at the end).

Only the standard library is imported at start-up; the lab and the science modules
are imported by the command that needs them, so ``physml --help`` answers at once.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import os
import select
import sys
from pathlib import Path
from typing import Any

from physml import lab, parallel
from physml._commands import tool_modules
from physml._commands._common import UsageError, add_cluster_options, cluster_spec, positive_int
from physml._commands.compare import run_compare
from physml._core import __version__

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_BROKEN_PIPE = 0, 1, 2, 130, 141

#: What Ctrl-C prints for a command whose parser sets no ``interrupt_note``.
NOTHING_WRITTEN = "interrupted: nothing was written"
RESUMABLE = "interrupted: finished work is kept; rerun with --resume to continue"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--seed must be a non-negative integer, got {value}")
    return value


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"--set expects key=value, got {text!r}")
    return key.strip(), value


def _add_run_options(p: argparse.ArgumentParser, *, default_preset: str) -> None:
    preset = p.add_mutually_exclusive_group()
    preset.add_argument("--quick", dest="preset", action="store_const", const="quick",
                        help="the quick preset: seconds, loose tolerances (used by the tests)")
    preset.add_argument("--full", dest="preset", action="store_const", const="full",
                        help="the full preset: the real measurement")
    p.set_defaults(preset=default_preset)
    p.add_argument("--out", metavar="DIR", type=Path,
                   help="run directory (default: physml-runs/<command>-<UTC time>)")
    p.add_argument("--seed", type=_seed, default=0, help="the run's seed (default 0)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int("--workers"), metavar="N",
                       help="run maps on a local Dask cluster of N worker processes")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run maps on an existing Dask cluster, e.g. tcp://host:8786; only a cluster "
                       "you trust: Dask moves pickles, which run code where they are loaded")
    add_cluster_options(p, where)
    p.add_argument("--resume", action="store_true",
                   help="continue the run directory: keep finished experiments, finish interrupted ones")
    p.add_argument("--record-hostname", action="store_true",
                   help="record this machine's name in each result's provenance (off by default)")
    p.set_defaults(interrupt_note=RESUMABLE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="physml",
        description="Machine learning the way a physicist does it: a library and a lab of measured claims.",
        epilog="Exit codes: 0 all checks passed, 1 a check failed, 2 usage error, 130 interrupted, "
        "141 output pipe closed.",
    )
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("list", help="list the experiments with their claims and sources")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="machine-readable output")
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table (as in the README)")

    p = sub.add_parser("run", help="run experiments and print their checks")
    p.add_argument("names", nargs="+", metavar="NAME", help="experiment names (see 'physml list')")
    p.add_argument("--set", dest="overrides", action="append", type=_key_value, default=[],
                   metavar="KEY=VALUE", help="override a parameter of the preset (repeatable)")
    _add_run_options(p, default_preset="full")

    p = sub.add_parser("lab", help="run the catalogue and write DIR/report.html")
    p.add_argument("--only", metavar="PATTERN", help="only experiments matching PATTERN (glob or substring)")
    _add_run_options(p, default_preset="full")

    p = sub.add_parser("report", help="re-render DIR/report.html from the results in DIR (or compare runs)")
    p.add_argument("dir", type=Path, metavar="DIR", nargs="?")
    p.add_argument("--compare", nargs=2, type=Path, metavar=("RUN_A", "RUN_B"),
                   help="compare two run directories instead (as 'physml compare'; docs/compare.md)")

    for name in tool_modules():
        importlib.import_module(f"physml._commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args: argparse.Namespace | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        args.argv = ["physml", *(sys.argv[1:] if argv is None else argv)]
        if args.version:
            print(f"physml {__version__}")
            return EXIT_OK
        if args.command is None:
            parser.print_help()
            return EXIT_USAGE
        handler = _COMMANDS.get(args.command) or args.handler
        code = handler(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at exit
        return code
    except BrokenPipeError as exc:
        if not _stdout_closed():  # another pipe or socket (e.g. a Dask connection) broke
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        note = getattr(args, "interrupt_note", None) or NOTHING_WRITTEN
        print(f"\n{note}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if isinstance(exc, (lab.LabError, ConnectionError, TimeoutError, parallel.ClusterError)):
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        raise


def _stdout_closed() -> bool:
    """Whether standard output is a pipe whose reader has gone (poll reports an error on it)."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    if not hasattr(select, "poll"):  # Windows: no poll; a broken pipe there is the output's
        return True
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def _silence_stdout() -> None:
    """Point standard output at the null device once its reader has gone, so that the
    interpreter's final flush does not report the broken pipe (the Python documentation's
    recipe for SIGPIPE, "Note on SIGPIPE" in the signal module)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):  # no real file descriptor (e.g. captured output)
        pass


def _cmd_list(args: argparse.Namespace) -> int:
    experiments = lab.list_experiments()
    if args.json:
        print(json.dumps([e.to_dict() for e in experiments], indent=2, ensure_ascii=False))
        return EXIT_OK
    if args.markdown:
        print(catalogue_markdown(experiments))
        return EXIT_OK
    width = max(len(e.name) for e in experiments)
    for e in experiments:
        print(f"{e.name.ljust(width)}  {e.claim}")
        print(f"{''.ljust(width)}  source: {e.source}")
    return EXIT_OK


def catalogue_markdown(experiments: list[Any]) -> str:
    """The experiment catalogue as a Markdown table (the README's is generated by this)."""
    lines = ["| experiment | claim | source |", "| --- | --- | --- |"]
    for e in experiments:
        cells = [f"`{e.name}`", e.claim, e.source]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def _default_out(command: str) -> Path:
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Path("physml-runs") / f"{command}-{stamp}"


def _execute(args: argparse.Namespace, experiments: list[Any], overrides: dict[str, str]) -> int:
    out = args.out or _default_out(args.command)
    lab.check_output_dir(out, args.resume)  # before starting a cluster
    # resolve every parameter before any work or cluster start-up, so usage errors come first
    if len(experiments) == 1:
        experiments[0].resolve(args.preset, overrides)
    spec = cluster_spec(args)
    with parallel.make_executor(workers=args.workers, scheduler=args.scheduler, cluster=spec) as executor:
        results = lab.run_experiments(
            experiments,
            out,
            preset=args.preset,
            seed=args.seed,
            overrides=overrides,
            executor=executor,
            resume=args.resume,
            echo=lambda line: print(line, file=sys.stderr, flush=True),
            provenance=lab.provenance(command=args.argv, executor=executor, hostname=args.record_hostname),
        )
    report = lab.write_report(out)  # before printing: a closed output pipe must not lose it
    for result in results:
        print(lab.format_result(result))
    bad = sum(r.verdict != "reproduced" for r in results)
    print(f"{len(results) - bad} of {len(results)} reproduced; results in {out}")
    print(f"report: {report}")
    return EXIT_OK if bad == 0 else EXIT_FAILED


def _cmd_run(args: argparse.Namespace) -> int:
    experiments = [lab.get_experiment(name) for name in dict.fromkeys(args.names)]
    return _execute(args, experiments, dict(args.overrides))


def _cmd_lab(args: argparse.Namespace) -> int:
    try:
        experiments = lab.select_experiments(args.only)
    except lab.UnknownExperimentError as exc:
        raise UsageError(f"--only: {exc}") from None
    return _execute(args, experiments, {})


def _cmd_report(args: argparse.Namespace) -> int:
    if args.compare is not None:
        if args.dir is not None:
            raise UsageError("report: give DIR or --compare RUN_A RUN_B, not both")
        return run_compare(*args.compare)
    if args.dir is None:
        raise UsageError("report: give the run directory DIR (or --compare RUN_A RUN_B)")
    if not args.dir.is_dir():
        raise lab.OutputDirError(f"report: {args.dir} is not a directory")
    try:
        results = lab.load_results(args.dir)
    except ValueError as exc:
        raise lab.OutputDirError(f"report: {exc}") from None
    if not results:
        raise lab.OutputDirError(
            f"report: {args.dir} holds no */result.json; run 'physml run' or 'physml lab' first"
        )
    path = lab.write_report(args.dir, results)
    print(f"report: {path}")
    return EXIT_OK if all(r.verdict == "reproduced" for r in results) else EXIT_FAILED


_COMMANDS = {"list": _cmd_list, "run": _cmd_run, "lab": _cmd_lab, "report": _cmd_report}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
