"""``physml nets``: the finite-width theory of MLPs at initialisation, from the command line.

``physml nets criticality --activation tanh`` prints the activation's critical initialisation
(C_b, C_W) and universality class, and, layer by layer, what the theory predicts: the kernel K,
the susceptibilities χ∥ and χ⊥, the normalised ensemble variance R = V/(nK²) at leading order
in 1/width, and the NTK. With ``--C-b`` and ``--C-W`` it uses that initialisation instead and
says whether it is critical and, if not, whether K explodes or vanishes.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from physml import nets
from physml._commands._common import UsageError, check_new_file, positive_int, print_table, write_table

__all__ = ["register"]

OUTPUT_SUFFIXES = (".csv", ".json")


def _non_negative_real(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None
        if not math.isfinite(value) or value < 0:
            raise argparse.ArgumentTypeError(f"{name} must be a finite number >= 0, got {text}")
        return value

    return parse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "nets",
        help="finite-width theory of MLPs: critical initialisation, K, χ, R and NTK by depth",
        description="The infinite- and finite-width theory of fully connected networks at initialisation.",
    )
    inner = p.add_subparsers(dest="nets_command", metavar="ACTION", required=True)
    c = inner.add_parser(
        "criticality",
        help="critical initialisation and the predicted K, χ, R and NTK by depth",
        description=(
            "Find the critical initialisation (C_b, C_W) of an activation (χ∥ = χ⊥ = 1 at the fixed "
            "point of the kernel recursion) and print, for each layer, the kernel K, the "
            "susceptibilities χ∥ and χ⊥, the normalised ensemble variance R = V/(nK²) (leading order "
            "in 1/width) and the NTK (λ_W = 1, λ_b = 0). Give --C-b and --C-W to study another "
            "initialisation. Conventions: W ~ N(0, C_W/n_in), b ~ N(0, C_b), inputs with |x|²/n_0 "
            "= --input-norm2."
        ),
    )
    c.add_argument(
        "--activation",
        required=True,
        metavar="NAME",
        help="linear, relu, tanh, sigmoid, gelu or erf",
    )
    c.add_argument("--depth", type=positive_int("--depth"), default=10, help="layers (default 10)")
    c.add_argument("--width", type=positive_int("--width"), default=100, help="hidden width n (default 100)")
    c.add_argument("--C-b", dest="C_b", type=_non_negative_real("--C-b"), help="bias variance C_b")
    c.add_argument("--C-W", dest="C_W", type=_non_negative_real("--C-W"), help="weight variance C_W (> 0)")
    c.add_argument(
        "--input-norm2",
        type=_non_negative_real("--input-norm2"),
        default=1.0,
        help="|x|²/n_0 of the input (default 1)",
    )
    c.add_argument("--out", type=Path, metavar="FILE", help="also write the table to FILE (.csv or .json)")
    c.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    c.set_defaults(handler=_criticality)


def _criticality(args: argparse.Namespace) -> int:
    if (args.C_b is None) != (args.C_W is None):
        raise UsageError("--C-b and --C-W go together: give both, or neither for the critical point")
    if args.C_W is not None and args.C_W <= 0:
        raise UsageError(f"--C-W must be > 0, got {args.C_W:g}")
    if args.out is not None:
        check_new_file(args.out, OUTPUT_SUFFIXES, "--out", force=args.force)

    if args.activation not in nets.ACTIVATIONS:
        raise UsageError(
            f"--activation {args.activation!r} is unknown; accepted: {', '.join(sorted(nets.ACTIVATIONS))}"
        )
    try:
        table = nets.criticality_table(
            args.activation,
            depth=args.depth,
            width=args.width,
            C_b=args.C_b,
            C_W=args.C_W,
            input_norm2=args.input_norm2,
        )
        check = None if args.C_b is None else nets.check_criticality(args.activation, args.C_b, args.C_W)
    except ValueError as exc:  # e.g. an activation without a critical point: the library says why
        raise UsageError(f"nets criticality: {exc}") from None

    if check is None:
        print(
            f"{table['activation']}: critical initialisation C_b = {table['C_b']:.6g}, "
            f"C_W = {table['C_W']:.6g} (universality class {table['universality_class']})"
        )
    else:
        print(check.message)
    if table["diverges_at"] is not None:
        print(
            f"diverges: K exceeds {table['K_max']:g} at layer {table['diverges_at']} of {args.depth} "
            "(from there on K is shown as inf and χ, R and the NTK as nan)"
        )
    print(f"predictions by layer (hidden width n = {args.width}, |x|²/n_0 = {args.input_norm2:g}):")
    print_table(
        table["rows"],
        [
            ("layer", "layer"),
            ("K", "K"),
            ("chi_parallel", "χ∥"),
            ("chi_perp", "χ⊥"),
            ("R", "R = V/(nK²)"),
            ("ntk", "NTK"),
        ],
    )
    if args.out is not None:
        meta = {k: table[k] for k in ("activation", "C_b", "C_W", "universality_class", "diverges_at")}
        meta.update(width=args.width, input_norm2=args.input_norm2)
        write_table(args.out, table["rows"], meta)
        print(f"wrote {args.out}", file=sys.stderr)
    return 0
