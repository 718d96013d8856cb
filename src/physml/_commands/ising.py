"""``physml ising``: simulate the 2D Ising model and print or write observables with errors.

``physml ising simulate`` runs a sampler at one temperature or a list / range of them and
writes, per temperature, the energy, |m|, specific heat, susceptibility and Binder cumulant
per site with their error bars and autocorrelation times (plus Kaufman's exact energy and
specific heat of the same finite lattice when h = 0). ``physml ising exact`` prints the
exact values alone.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path

from physml import _core, ebm
from physml._commands._common import (
    UsageError,
    check_new_file,
    non_negative_int,
    positive_int,
    print_table,
    real_list,
    write_table,
)

__all__ = ["register"]

ALGORITHMS = ("metropolis", "heat-bath", "wolff")
OUTPUT_SUFFIXES = (".csv", ".json")


def _real(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{name} must be finite, got {text}")
        return value

    return parse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ising",
        help="simulate the 2D Ising model; exact finite-lattice values",
        description="The 2D Ising model on the periodic L x L lattice, H = -J sum s_i s_j - h sum s_i.",
    )
    inner = p.add_subparsers(dest="ising_command", metavar="ACTION", required=True)

    s = inner.add_parser(
        "simulate",
        help="Monte Carlo observables per site with error bars",
        description=(
            "Run checkerboard Metropolis, heat-bath or Wolff at each temperature and report the "
            "energy, |m|, specific heat, susceptibility and Binder cumulant per site, with errors "
            "from a blocking analysis over independent replicas, and the integrated autocorrelation "
            "time of each (in sweeps)."
        ),
    )
    s.add_argument("--L", type=positive_int("--L"), default=32, help="linear size (default 32)")
    s.add_argument(
        "--T",
        type=real_list("--T"),
        required=True,
        metavar="TEMPS",
        help="temperature(s) in units of J/k_B: '2.269', '2.0,2.2,2.4' or a range '2.0:2.6:7'",
    )
    s.add_argument("--algorithm", choices=ALGORITHMS, default="metropolis", help="(default metropolis)")
    s.add_argument("--J", type=_real("--J"), default=1.0, help="coupling (default 1)")
    s.add_argument("--h", type=_real("--h"), default=0.0, help="field (default 0; Wolff needs 0)")
    s.add_argument(
        "--sweeps", type=positive_int("--sweeps"), default=10000, help="measured sweeps (default 10000)"
    )
    s.add_argument(
        "--thermalise",
        type=non_negative_int("--thermalise"),
        default=1000,
        help="discarded sweeps (default 1000)",
    )
    s.add_argument(
        "--replicas",
        type=positive_int("--replicas"),
        default=None,
        help="independent chains (default 64 for checkerboard, 8 for Wolff)",
    )
    s.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    s.add_argument("--out", type=Path, metavar="FILE", help="write the table to FILE (.csv or .json)")
    s.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    s.set_defaults(handler=_simulate)

    e = inner.add_parser(
        "exact",
        help="exact energy and specific heat of the finite periodic lattice (Kaufman 1949)",
        description="Exact ln Z, energy and specific heat per site of the periodic L x L lattice at h = 0.",
    )
    e.add_argument("--L", type=positive_int("--L"), default=32, help="linear size (default 32)")
    e.add_argument(
        "--T", type=real_list("--T"), required=True, metavar="TEMPS", help="temperature(s), as for simulate"
    )
    e.add_argument("--J", type=_real("--J"), default=1.0, help="coupling (default 1)")
    e.add_argument("--out", type=Path, metavar="FILE", help="write the table to FILE (.csv or .json)")
    e.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    e.set_defaults(handler=_exact)


# Energies, their squares and their squares over T**2 must stay within double precision.
SCALE_LIMIT = 1e100


def _check_temperatures(temps: list[float]) -> list[float]:
    if not temps:
        raise UsageError("--T: give at least one temperature")
    bad = [t for t in temps if not (math.isfinite(t) and t > 0)]
    if bad:
        raise UsageError(f"--T: temperatures must be finite and > 0, got {bad[0]:g}")
    bad = [t for t in temps if not (1 / SCALE_LIMIT <= t <= SCALE_LIMIT)]
    if bad:
        raise UsageError(f"--T must be between {1 / SCALE_LIMIT:g} and {SCALE_LIMIT:g}, got {bad[0]:g}")
    return temps


def _check_couplings(args: argparse.Namespace) -> None:
    for flag, value in (("--J", args.J), ("--h", getattr(args, "h", 0.0))):
        if abs(value) > SCALE_LIMIT:
            raise UsageError(f"{flag} must be at most {SCALE_LIMIT:g} in magnitude, got {value:g}")


def _check_size(L: int) -> None:
    if L < 2:
        raise UsageError(f"--L must be >= 2 (the smallest periodic lattice), got {L}")


def _available_memory() -> int | None:
    """Bytes of physical memory available now (MemAvailable, else free pages), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _gb(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:,.0f}" if n_bytes >= 1e10 else f"{n_bytes / 1e9:.2g}"


def _check_simulate_args(args: argparse.Namespace) -> None:
    """Refuse, naming the flags, what the samplers cannot do (before anything is allocated)."""
    _check_size(args.L)
    _check_couplings(args)
    if args.sweeps < 32:
        raise UsageError(f"--sweeps must be >= 32 for the error analysis, got {args.sweeps}")
    if args.algorithm == "wolff":
        if args.h != 0.0:
            raise UsageError(
                f"--algorithm wolff needs --h 0, got --h {args.h:g}; use metropolis or heat-bath"
            )
        if args.J == 0.0:
            raise UsageError("--algorithm wolff needs --J != 0 (no bonds, no clusters); use heat-bath")
        if args.J < 0 and args.L % 2:
            raise UsageError(
                f"--algorithm wolff with --J {args.J:g} needs an even --L (the odd antiferromagnetic torus "
                f"is frustrated), got --L {args.L}"
            )
        return
    if args.L % 2:
        raise UsageError(
            f"--L {args.L}: --algorithm {args.algorithm} (checkerboard) needs an even --L, since an odd "
            "periodic lattice has no checkerboard colouring; use --algorithm wolff for odd --L"
        )
    if args.algorithm == "metropolis" and args.h == 0.0:
        if args.J == 0.0:
            raise UsageError(
                "--J 0 with --h 0: Metropolis accepts every flip (dE = 0 always) and samples nothing; "
                "use --algorithm heat-bath (the exact answer is e = 0, c = 0)"
            )
        if args.L == 2:
            raise UsageError(
                "--L 2: checkerboard Metropolis at --h 0 is not ergodic on the 2 x 2 torus (4 of the 16 "
                "configurations cycle among themselves); use --algorithm heat-bath or wolff"
            )


def _simulate(args: argparse.Namespace) -> int:
    temps = _check_temperatures(args.T)
    if args.out is not None:
        check_new_file(args.out, OUTPUT_SUFFIXES, "--out", force=args.force)
    _check_simulate_args(args)

    try:
        model = ebm.IsingLattice(args.L, J=args.J, h=args.h)
        if args.algorithm == "wolff":
            sampler = ebm.WolffSampler(model, n_replicas=args.replicas or 8)
        else:
            sampler = ebm.CheckerboardSampler(model, rule=args.algorithm, n_replicas=args.replicas or 64)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"ising simulate: {exc}") from None
    if getattr(sampler, "trapping", False):
        for T in temps:
            if min(sampler.flip_probabilities(T)) >= 1.0:
                raise UsageError(
                    f"--T {T:g} with --J {args.J:g}: |J|/T is so small that Metropolis accepts every flip "
                    "(a deterministic chain that samples nothing); use --algorithm heat-bath"
                )
    need = sampler.memory_bytes(args.sweeps)
    have = _available_memory()
    if have is not None and need > have:
        raise UsageError(
            f"--L {args.L} with {sampler.n_replicas} replicas and --sweeps {args.sweeps} needs about "
            f"{_gb(need)} GB for the lattices and time series; this machine has {_gb(have)} GB "
            "available: lower --L, --replicas or --sweeps"
        )

    rows = []
    for T in _core.progress(temps, total=len(temps), desc="ising simulate"):
        result = ebm.simulate(
            sampler,
            T,
            n_thermalise=args.thermalise,
            n_measure=args.sweeps,
            seed=_core.derive_seed(args.seed, "ising", T),
        )
        row: dict = {"L": args.L, "T": T, "algorithm": args.algorithm}
        for key in ("energy", "abs_magnetisation", "specific_heat", "susceptibility", "binder"):
            est = getattr(result, key)
            row[key] = est.value
            row[f"{key}_err"] = est.error
            row[f"{key}_tau"] = est.tau_int
        row["equilibrated"] = result.equilibrated
        row["equilibration"] = result.equilibration
        row["flag"] = "" if result.equilibrated else "NOT EQUILIBRATED"
        if args.h == 0.0 and not (args.J < 0 and args.L % 2):  # Kaufman: no frustrated odd torus
            exact = ebm.kaufman(args.L, T, args.J)
            row["exact_energy"] = exact.energy
            row["exact_specific_heat"] = exact.specific_heat
        rows.append(row)

    print_table(
        rows,
        [
            ("T", "T"),
            ("energy", "e"),
            ("exact_energy", "e exact"),
            ("abs_magnetisation", "|m|"),
            ("specific_heat", "c"),
            ("exact_specific_heat", "c exact"),
            ("susceptibility", "chi"),
            ("binder", "U"),
            ("flag", ""),
        ],
    )
    for row in rows:
        if not row["equilibrated"]:
            print(f"T = {row['T']:g}: not equilibrated: {row['equilibration']}", file=sys.stderr)
    if any(not row["equilibrated"] for row in rows):
        print(
            "  (criterion: --sweeps >= 50 tau_int of e and |m|, and the replicas agree on both with a "
            "p-value >= 0.001; measure longer, thermalise longer, or use --algorithm wolff)",
            file=sys.stderr,
        )
    if args.out is not None:
        meta = {
            "L": args.L,
            "J": args.J,
            "h": args.h,
            "algorithm": args.algorithm,
            "sweeps": args.sweeps,
            "thermalise": args.thermalise,
            "replicas": sampler.n_replicas,
            "seed": args.seed,
            "units": "per site; T in J/k_B; tau in sweeps",
            "equilibration_criterion": (
                "equilibrated = sweeps >= 50 tau_int of e and |m|, and (with >= 2 replicas) the replica "
                "means of e and |m| agree with their errors: chi-squared p-value >= 0.001"
            ),
        }
        write_table(args.out, rows, meta)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0


def _exact(args: argparse.Namespace) -> int:
    temps = _check_temperatures(args.T)
    if args.out is not None:
        check_new_file(args.out, OUTPUT_SUFFIXES, "--out", force=args.force)
    _check_size(args.L)
    _check_couplings(args)
    if args.J < 0 and args.L % 2:
        raise UsageError(
            f"--J {args.J:g} with odd --L {args.L}: the antiferromagnetic odd torus is frustrated and has "
            "no Kaufman solution; use an even --L"
        )

    try:
        rows = []
        for T in temps:
            r = ebm.kaufman(args.L, T, args.J)
            rows.append(
                {"L": args.L, "T": T, "log_z": r.log_z, "energy": r.energy, "specific_heat": r.specific_heat}
            )
    except (ValueError, TypeError) as exc:
        raise UsageError(f"ising exact: {exc}") from None
    print_table(rows, [("T", "T"), ("log_z", "ln Z"), ("energy", "e"), ("specific_heat", "c")])
    if args.out is not None:
        write_table(args.out, rows, {"L": args.L, "J": args.J, "source": "Kaufman 1949"})
        print(f"wrote {args.out}", file=sys.stderr)
    return 0
