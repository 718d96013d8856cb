"""``physml collider``: generate collider events with Pythia 8 and FastJet into a file, or compute
the jet features of the LHC Olympics 2020 hadron files.

``physml collider generate --process qcd --events 100000 --out bkg.npz --workers 2`` writes the
LHC Olympics dijet features (``qcd`` background or the ``signal`` resonance), or quark and
gluon jets with images (``qg``), in chunks that land in ``<out>.parts/`` as they finish; the
same command after an interruption generates only the missing chunks. On a terminal a bar counts
the chunks (and, when they run in this process, the events of each); in a pipe nothing is shown.

``physml collider features events_anomalydetection.h5 --out feats.npz`` clusters the hadrons of
each event of an LHC Olympics file (the R&D set or a black box, as published) with FastJet and
writes the same dijet columns (and ``label`` when the file has one, ``event`` the input row), in
resumable chunks the same way.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from physml import parallel
from physml._commands._common import (
    UsageError,
    add_cluster_options,
    check_new_file,
    cluster_spec,
    non_negative_int,
    positive_int,
    positive_real,
)
from physml.data import collider

__all__ = ["register"]

OUTPUT_SUFFIXES = (".npz", ".h5")
PROCESSES = ("qcd", "signal", "qg")
#: Most chunks in one request (each is a file in <out>.parts/ until the end).
MAX_CHUNKS = 100_000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "collider",
        help="generate collider events (Pythia 8 + FastJet), or jet features of LHC Olympics files",
        description=("pp collisions at 13 TeV generated with Pythia 8, jets clustered with FastJet; the "
                     "same jet features computed from the hadrons of the LHC Olympics 2020 files."),
    )
    inner = p.add_subparsers(dest="collider_command", metavar="ACTION", required=True)
    g = inner.add_parser(
        "generate",
        help="generate dijet (qcd, signal) or quark/gluon (qg) events",
        description=(
            "qcd / signal: LHC Olympics R&D-style dijets (anti-kT R = 1.0, a jet with pT > 1.2 TeV "
            "and |eta| < 2.5), columns mjj, mj1, mj2, tau21_j1, tau21_j2 (GeV; J1 the heavier jet), "
            "jet pT and eta, label, weight. qg: Z(nu nu) + jet, leading R = 0.4 jet with 500 < pT < "
            "550 GeV; engineered features and 33x33 jet images, label 1 for quark jets. Chunks are "
            "kept as they finish, so an interrupted run resumes where it stopped."
        ),
    )
    g.add_argument("--process", choices=PROCESSES, required=True, help="what to generate")
    g.add_argument(
        "--events", type=positive_int("--events"), required=True, metavar="N", help="events to keep"
    )
    g.add_argument("--out", type=Path, required=True, metavar="FILE", help="output file (.npz or .h5)")
    g.add_argument("--chunk-size", type=positive_int("--chunk-size"), default=1000, help="events per chunk")
    g.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    g.add_argument("--m-resonance", type=positive_real("--m-resonance"), default=3500.0,
                   help="signal resonance mass in GeV (default 3500)")
    g.add_argument("--m-x", type=positive_real("--m-x"), default=500.0, help="mass of X in GeV (default 500)")
    g.add_argument("--m-y", type=positive_real("--m-y"), default=100.0, help="mass of Y in GeV (default 100)")
    g.add_argument("--bias", action="store_true",
                   help="qcd: oversample high pT-hat, with compensating weights in the weight column")
    where = g.add_mutually_exclusive_group()
    where.add_argument("--processes", type=positive_int("--processes"), metavar="N",
                       help="run chunks in a local pool of N processes")
    where.add_argument("--workers", type=positive_int("--workers"), metavar="N",
                       help="run chunks on a local Dask cluster of N workers")
    where.add_argument("--scheduler", metavar="ADDRESS", help="run chunks on the Dask cluster at ADDRESS")
    add_cluster_options(g, where)
    g.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    g.set_defaults(handler=_generate, interrupt_note=(
        "interrupted: finished chunks are kept in <out>.parts/; rerun the same command to generate only "
        "the missing ones"))

    f = inner.add_parser(
        "features",
        help="jet features (mjj, jet masses, tau21) of an LHC Olympics 2020 hadron file",
        description=(
            "Read an LHC Olympics 2020 file as published (the R&D set or a black box: a pandas table "
            "'df' of up to 700 hadrons per event as (pT, eta, phi), and in the R&D set a signal label), "
            "cluster each event's hadrons into anti-kT jets with FastJet, and write for the two leading "
            "jets the columns of 'collider generate': mjj, mj1, mj2, tau21_j1, tau21_j2 (GeV; J1 the "
            "heavier jet), their pT and eta, label (when the file has it) and event (the input row). "
            "Events with fewer than two jets above 20 GeV are dropped and counted. Chunks are kept as "
            "they finish, so an interrupted run resumes where it stopped."
        ),
    )
    f.add_argument("file", type=Path, metavar="FILE", help="LHC Olympics hadron file (.h5)")
    f.add_argument("--out", type=Path, required=True, metavar="FILE", help="output file (.npz or .h5)")
    f.add_argument("--radius", type=positive_real("--radius"), default=1.0,
                   help="anti-kT jet radius R (default 1.0, as in the LHC Olympics)")
    f.add_argument("--chunk-size", type=positive_int("--chunk-size"), default=2000,
                   help="events per chunk (default 2000; about 80 MB of memory per chunk)")
    where = f.add_mutually_exclusive_group()
    where.add_argument("--processes", type=positive_int("--processes"), metavar="N",
                       help="run chunks in a local pool of N processes")
    where.add_argument("--workers", type=positive_int("--workers"), metavar="N",
                       help="run chunks on a local Dask cluster of N workers")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="run chunks on the Dask cluster at ADDRESS (its workers must see FILE)")
    add_cluster_options(f, where)
    f.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    f.set_defaults(handler=_features, interrupt_note=(
        "interrupted: finished chunks are kept in <out>.parts/; rerun the same command to compute only "
        "the missing ones"))


def _run_chunks(args: argparse.Namespace, command: str, verb: str, work: Callable[[Any], Any]) -> bool:
    """Run ``work(executor)``, which writes ``args.out`` from resumable chunks kept in
    ``args.out.parts/``, on the executor the flags ask for; the errors as one line each. Returns
    whether finished chunks were there before (a resumed run)."""
    parts = args.out.with_name(args.out.name + ".parts")
    try:
        executor = parallel.make_executor(workers=args.workers, scheduler=args.scheduler,
                                          processes=args.processes, cluster=cluster_spec(args))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"collider {command}: {exc}") from None
    resuming = parts.exists()
    # the same arguments find the chunks again (their seeds derive from --seed and the chunk index)
    again = shlex.join(args.argv) if getattr(args, "argv", None) else "the same command"
    args.interrupt_note = (
        f"interrupted: finished chunks are kept in {parts}/; rerun {again} to {verb} only the missing ones"
    )
    try:
        with executor:
            work(executor)
    except ValueError as exc:  # e.g. parts of a different request
        raise UsageError(f"collider {command}: {str(exc).splitlines()[0]}") from None
    except RuntimeError as exc:  # a chunk failed (parallel.MapError): the finished ones are kept
        failures = getattr(exc, "failures", None)
        if not failures:
            raise
        first = next(iter(failures.values()))
        raise UsageError(
            f"collider {command}: {len(failures)} chunk(s) failed ({str(first).splitlines()[0]}); the "
            f"finished chunks are kept in {parts}/ and the same command resumes"
        ) from None
    return resuming


def _generate(args: argparse.Namespace) -> int:
    check_new_file(args.out, OUTPUT_SUFFIXES, "--out", force=args.force)
    n_chunks = math.ceil(args.events / args.chunk_size)
    if n_chunks > MAX_CHUNKS:
        raise UsageError(
            f"--events {args.events} in chunks of --chunk-size {args.chunk_size} makes {n_chunks} chunks; "
            f"at most {MAX_CHUNKS}: use a larger --chunk-size"
        )
    kwargs: dict = {}
    if args.process == "signal":
        if args.m_resonance >= 13000.0:
            raise UsageError(f"--m-resonance {args.m_resonance:g}: must be below √s = 13000 GeV")
        if args.m_x + args.m_y >= args.m_resonance:
            raise UsageError(
                f"--m-x + --m-y = {args.m_x + args.m_y:g} GeV must be below --m-resonance "
                f"{args.m_resonance:g} GeV for the decay to happen"
            )
        kwargs.update(m_resonance=args.m_resonance, m_x=args.m_x, m_y=args.m_y)
    if args.bias:
        if args.process != "qcd":
            raise UsageError("--bias applies to --process qcd only")
        kwargs["bias"] = True

    try:
        import fastjet  # noqa: F401
        import pythia8mc  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"collider generate needs Pythia 8 and FastJet ({exc.name} is missing): "
            "pip install 'physml[collider]'"
        ) from None

    resuming = _run_chunks(args, "generate", "generate", lambda executor: collider.generate_to_file(
        args.out, args.events, args.process, chunk_size=args.chunk_size, seed=args.seed, executor=executor,
        overwrite=args.force, progress=True, **kwargs))
    table = collider.read_events(args.out)
    n = len(next(iter(table.values())))
    note = " (resumed)" if resuming else ""
    print(f"wrote {n} {args.process} events to {args.out}{note}", file=sys.stderr)
    if "mjj" in table:
        import numpy as np

        q = np.percentile(table["mjj"], [16, 50, 84])
        columns = ", ".join(sorted(table))
        print(f"mjj median {q[1]:.0f} GeV (68% in {q[0]:.0f}-{q[2]:.0f}); columns: {columns}")
    else:
        frac = float(table["label"].mean()) if n else math.nan
        print(f"quark fraction {frac:.3f}; columns: {', '.join(sorted(table))}")
    return 0


def _features(args: argparse.Namespace) -> int:
    import numpy as np

    check_new_file(args.out, OUTPUT_SUFFIXES, "--out", force=args.force)
    try:
        info = collider.lhco_info(args.file)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    if info["n_events"] == 0:
        raise UsageError(f"{args.file}: holds no events")
    n_chunks = math.ceil(info["n_events"] / args.chunk_size)
    if n_chunks > MAX_CHUNKS:
        raise UsageError(
            f"{args.file}: {info['n_events']} events in chunks of --chunk-size {args.chunk_size} make "
            f"{n_chunks} chunks; at most {MAX_CHUNKS}: use a larger --chunk-size"
        )
    try:
        import fastjet  # noqa: F401
    except ImportError:
        raise UsageError(
            "collider features needs FastJet (fastjet is missing): pip install 'physml[collider]'"
        ) from None
    resuming = _run_chunks(args, "features", "compute", lambda executor: collider.lhco_features(
        args.file, args.out, radius=args.radius, chunk_size=args.chunk_size, executor=executor,
        overwrite=args.force, progress=True))
    table, meta = collider.read_events(args.out, with_meta=True)
    note = " (resumed)" if resuming else ""
    print(f"wrote {meta['n_kept']} of {meta['n_events']} events to {args.out}{note}; {meta['n_dropped']} "
          "with fewer than two jets dropped", file=sys.stderr)
    if meta["n_kept"]:
        q = np.percentile(table["mjj"], [16, 50, 84])
        columns = ", ".join(sorted(table))
        print(f"mjj median {q[1]:.0f} GeV (68% in {q[0]:.0f}-{q[2]:.0f}); columns: {columns}")
    if "label" in table:
        values, counts = np.unique(table["label"], return_counts=True)
        print("labels: " + ", ".join(f"{int(v)}: {int(c)}" for v, c in zip(values, counts, strict=True)))
    return 0
