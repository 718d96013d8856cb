"""``physml scaling fit FILE``: fit a scaling law L = A·T^(−α) + C to (size, loss) results.

FILE is a table with one row per run: a size column (training-set or model size) and a loss
column (``.csv``/``.txt`` with an optional header line, ``.npy``, ``.npz`` or ``.h5``). Rows with
the same size are independent seeds. With >= 2 seeds at every size (the numbers may differ) the
per-size means are fitted weighted by their standard errors, the errors of α, A and C come from a
bootstrap that resamples each size's own seeds (``--bootstrap 0``: the fit's errors from those
standard errors, and the output says so), and the goodness of fit is a Monte-Carlo p-value
(experiments simulated under the fitted law with each size's seed count and spread,
:func:`physml.scaling.fit_scaling_law` with ``n_null``). With a single run at some size the means
are fitted unweighted and the errors come from their scatter about the curve; no p-value.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from physml import scaling
from physml._commands._common import (
    UsageError,
    check_new_file,
    load_numeric,
    non_negative_int,
    print_table,
    write_table,
)

__all__ = ["register"]

OUTPUT_SUFFIXES = (".csv", ".json")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scaling",
        help="scaling laws: fit L = A·T^(−α) + C to (size, loss) results",
        description="Scaling laws from your own sweeps.",
    )
    inner = p.add_subparsers(dest="scaling_command", metavar="ACTION", required=True)
    f = inner.add_parser(
        "fit",
        help="fit L = A·T^(−α) + C to a table of (size, loss) rows",
        description=(
            "Fit L = A·T^(−α) + C (or a pure power law with --no-offset) to the rows of FILE: one run per "
            "row, a size column and a loss column; rows of equal size are independent seeds. Prints α, A "
            "and C with errors (bootstrap over each size's seeds when every size has >= 2 of them; "
            "otherwise from the scatter of the means), the χ² with, for such seed replicas, its "
            "Monte-Carlo p-value, and the table of mean losses and the fitted curve. Needs at least 3 "
            "distinct sizes."
        ),
    )
    f.add_argument("file", type=Path, metavar="FILE", help="table: .csv, .txt, .npy, .npz or .h5")
    f.add_argument("--key", help="array name inside an .npz or .h5 file holding several")
    f.add_argument(
        "--size-column",
        type=non_negative_int("--size-column"),
        default=0,
        help="column of the sizes, counted from 0 (default 0)",
    )
    f.add_argument(
        "--loss-column",
        type=non_negative_int("--loss-column"),
        default=1,
        help="column of the losses (default 1)",
    )
    f.add_argument("--no-offset", action="store_true", help="fit L = A·T^(−α) (no irreducible loss C)")
    f.add_argument(
        "--bootstrap",
        type=non_negative_int("--bootstrap"),
        default=500,
        help="bootstrap resamples over seeds (default 500; 0: errors from the fit, said in the output)",
    )
    f.add_argument(
        "--null",
        type=non_negative_int("--null"),
        default=500,
        help="experiments simulated under the fitted law for the Monte-Carlo p-value of the χ² (needs "
        ">= 2 seeds at every size; default 500; 0: the χ²(dof) survival function)",
    )
    f.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    f.add_argument("--out", type=Path, metavar="OUT", help="write the per-size table to OUT (.csv or .json)")
    f.add_argument("--force", action="store_true", help="overwrite OUT")
    f.set_defaults(handler=_fit)


def _load(args: argparse.Namespace):
    import numpy as np

    path: Path = args.file
    table = load_numeric(path, args.key, "physml scaling fit")
    if table.ndim != 2:
        raise UsageError(
            f"{path}: needs a 2-D numeric table (one run per row), got {table.dtype} of shape {table.shape}"
        )
    for option, col in (("--size-column", args.size_column), ("--loss-column", args.loss_column)):
        if col >= table.shape[1]:
            raise UsageError(f"{option} {col}: {path} has only {table.shape[1]} column(s)")
    size = table[:, args.size_column].astype(float)
    loss = table[:, args.loss_column].astype(float)
    ok = np.isfinite(size) & np.isfinite(loss)
    if not ok.all():
        raise UsageError(f"{path}: {int((~ok).sum())} row(s) with NaN or infinite size or loss")
    if np.any(size <= 0):
        raise UsageError(f"{path}: sizes must be > 0, found {size[size <= 0][0]:g}")
    return size, loss


def _fit(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_new_file(args.out, OUTPUT_SUFFIXES, "--out", force=args.force)
    size, loss = _load(args)
    import numpy as np

    sizes, counts = np.unique(size, return_counts=True)
    if sizes.size < 3:
        raise UsageError(
            f"{args.file}: {sizes.size} distinct size(s); a scaling-law fit needs a sweep of at least 3"
        )
    groups = [loss[size == s] for s in sizes]
    means = np.array([g.mean() for g in groups])
    offset = not args.no_offset
    n_params = 3 if offset else 2
    p_value, p_how = None, None
    replicated = counts.min() >= 2
    if (not replicated or any(np.ptp(g) == 0 for g in groups)) and sizes.size <= n_params:
        raise UsageError(
            f"{args.file}: {sizes.size} sizes, some with a single run or identical losses, leave no scatter "
            f"to estimate errors; give at least {n_params + 1} sizes or >= 2 differing runs at every size"
        )
    if not offset and np.any(means <= 0):
        raise UsageError(
            f"--no-offset fits a pure power law, which needs mean losses > 0; {args.file} has "
            f"{means[means <= 0][0]:g} at size {sizes[means <= 0][0]:g}"
        )
    try:
        result = scaling.fit_scaling_law(
            sizes, groups, offset=offset, n_bootstrap=args.bootstrap, n_null=args.null, seed=args.seed
        )
    except ValueError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    fit, a_err, c_err, amp_err = result.fit, result.exponent_err, result.offset_err, result.amplitude_err
    seeds = f"{counts[0]}" if counts.min() == counts.max() else f"{counts.min()} to {counts.max()}"
    if result.error_source == "bootstrap":
        how = (
            f"bootstrap over the {seeds} seeds at each size ({result.bootstrap_exponents.size} resamples)"
        )
    elif replicated:
        why = "--bootstrap 0" if args.bootstrap == 0 else "fewer than 2 bootstrap refits succeeded"
        how = (
            f"no bootstrap ({why}): the fit's errors, from the standard errors of the means of the "
            f"{seeds} seeds at each size"
        )
    else:
        how = (
            "the fit's errors, from the scatter of the per-size means about the curve (unweighted: some "
            "sizes have a single run, so no standard error)"
        )
    sem = np.where(counts >= 2, result.sem_loss, np.nan)
    if np.isfinite(result.p_value):
        p_value = result.p_value
        p_how = (
            f"Monte Carlo, {result.null_chi2.size} simulated experiments"
            if result.null_chi2.size
            else "χ²(dof) survival function"
        )
    print(
        f"L = A·T^(−α){' + C' if offset else ''} fitted to {size.size} runs at {sizes.size} sizes; "
        f"errors: {how}"
    )
    summary = [
        {
            "alpha": fit.exponent,
            "alpha_err": a_err,
            "A": fit.amplitude,
            "A_err": amp_err,
            "C": fit.offset,
            "C_err": c_err if offset else None,
            "chi2": fit.chi2,
            "dof": fit.dof,
            "p_value": p_value,
        }
    ]
    print_table(
        summary, [("alpha", "α"), ("A", "A"), ("C", "C"), ("chi2", "χ²"), ("dof", "dof"), ("p_value", "p")]
    )
    if p_how is not None:
        print(f"p: probability of a χ² at least this large if the law holds ({p_how})")
    rows = [
        {
            "size": float(s),
            "runs": int(c),
            "mean_loss": float(m),
            "mean_loss_err": float(e) if np.isfinite(e) else None,
            "fit": float(fit.predict(s)),
        }
        for s, c, m, e in zip(sizes, counts, means, sem, strict=True)
    ]
    print()
    print_table(rows, [("size", "size"), ("runs", "runs"), ("mean_loss", "mean loss"), ("fit", "fit")])
    if args.out is not None:
        write_table(
            args.out,
            rows,
            {
                "alpha": fit.exponent,
                "alpha_err": a_err,
                "A": fit.amplitude,
                "A_err": amp_err,
                "C": fit.offset,
                "C_err": c_err if offset else None,
                "errors": how,
                "chi2": fit.chi2,
                "dof": fit.dof,
                "p_value": p_value,
            },
        )
        print(f"wrote {args.out}")
    return 0
