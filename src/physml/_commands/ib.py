"""``physml ib FILE``: the information bottleneck of a joint distribution table.

FILE holds p(x, y) as a 2-D array (rows x, columns y) in ``.npy``, ``.npz``, ``.csv``/``.txt``
or ``.h5``. Without ``--beta`` it prints the information curve (I(X;T), I(T;Y) and the number
of clusters at each β, by annealing); with ``--beta`` the solution at that β and its clusters.
``--deterministic`` uses the deterministic IB. ``--out`` writes the table as CSV or JSON.

Clusters are counted by a stated rule: a cluster is in use when p(t) > 0, and clusters whose
p(y|t) agree (within ``MERGE_TOL``) count once. With ``--beta`` the assignments
are called soft when some x has max_t p(t|x) < 0.99 (``SOFT_BELOW``), and their range is printed.
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from physml import info
from physml._commands._common import (
    UsageError,
    check_new_file,
    load_numeric,
    non_negative_int,
    positive_int,
    positive_real,
    print_table,
    write_table,
)

__all__ = ["register"]

OUTPUT_SUFFIXES = (".csv", ".json")
#: Assignments are reported as soft when some x has max_t p(t|x) below this.
SOFT_BELOW = 0.99
#: Clusters whose p(y|t) agree within this (largest absolute difference) count as one.
MERGE_TOL = 1e-6


def _physical_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _num(value: float) -> str:
    """A number of bits for printing (never "-0")."""
    return f"{value + 0.0:.6g}"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ib",
        help="information bottleneck of a joint distribution table p(x, y)",
        description=(
            "Solve the information bottleneck min I(X;T) − β I(T;Y) (Tishby, Pereira & Bialek) for the "
            "joint distribution in FILE (rows x, columns y; entries >= 0 summing to 1, or counts with "
            "--normalize). Prints the information curve over β (annealing with cluster splitting and "
            "restarts), or with --beta the solution at one β. Information in bits."
        ),
    )
    p.add_argument("file", type=Path, metavar="FILE", help="p(x, y): .npy, .npz, .csv, .txt or .h5 (2-D)")
    p.add_argument("--key", help="array name inside an .npz or .h5 file holding several")
    p.add_argument(
        "--normalize", action="store_true", help="treat the table as counts and divide by the total"
    )
    p.add_argument("--beta", type=positive_real("--beta"), help="solve at this β only (> 0)")
    p.add_argument(
        "--beta-min", type=positive_real("--beta-min"), default=0.1, help="curve: smallest β (0.1)"
    )
    p.add_argument(
        "--beta-max", type=positive_real("--beta-max"), default=1000.0, help="curve: largest β (1000)"
    )
    p.add_argument("--n-betas", type=positive_int("--n-betas"), default=40, help="curve: number of β (40)")
    p.add_argument("--clusters", type=positive_int("--clusters"), help="most clusters |T| (default |X|)")
    p.add_argument(
        "--deterministic",
        action="store_true",
        help="deterministic IB (Strouse & Schwab): min H(T) − β I(T;Y), hard clusters",
    )
    p.add_argument("--restarts", type=positive_int("--restarts"), default=5, help="random starts (5)")
    p.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    p.add_argument("--out", type=Path, metavar="OUT", help="write the table to OUT (.csv or .json)")
    p.add_argument("--force", action="store_true", help="overwrite OUT")
    p.set_defaults(handler=_run,
                   interrupt_note="interrupted: nothing was written (--out is written at the end)")


def _load(args: argparse.Namespace):
    import numpy as np

    path: Path = args.file
    table = load_numeric(path, args.key, "a joint distribution")
    if table.ndim != 2:
        raise UsageError(
            f"{path}: holds a {table.ndim}-D array of shape {table.shape}; p(x, y) must be 2-D "
            "(rows x, columns y)"
        )
    if min(table.shape) < 2:
        raise UsageError(
            f"{path}: holds a table of shape {table.shape}; p(x, y) needs at least 2 rows (values of x) "
            "and 2 columns (values of y): with fewer, I(X;Y) = 0 and there is nothing to compress"
        )
    table = table.astype(np.float64)
    if not np.all(np.isfinite(table)):
        raise UsageError(f"{path}: contains NaN or infinite entries")
    if np.any(table < 0):
        i, j = (int(k) for k in np.argwhere(table < 0)[0])
        raise UsageError(f"{path}: entry ({i}, {j}) is negative ({table[i, j]}); probabilities must be >= 0")
    total = float(table.sum())
    if args.normalize:
        if total <= 0:
            raise UsageError(f"{path}: all entries are zero; nothing to normalise")
        table = table / total
    elif abs(total - 1.0) > 1e-9 * max(1, table.size):
        raise UsageError(
            f"{path}: entries sum to {total:.10g}, not 1; pass --normalize to treat them as counts"
        )
    return table


def _run(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_new_file(args.out, OUTPUT_SUFFIXES, "--out", force=args.force)
    if args.beta is None and not args.beta_min < args.beta_max:
        raise UsageError(f"--beta-min must be below --beta-max, got {args.beta_min} and {args.beta_max}")
    p = _load(args)
    import numpy as np

    n_x, n_y = p.shape
    need = info.InformationBottleneck.memory_bytes(n_x, n_y, args.clusters, args.restarts)
    have = _physical_memory()
    if have is not None and need > have:
        raise UsageError(
            f"{args.file}: a {n_x} x {n_y} table with {args.clusters or n_x} clusters (--clusters, default "
            f"the number of rows) and --restarts {args.restarts} needs at least {need / 2**30:,.1f} GiB of "
            f"memory, this machine has {have / 2**30:,.1f} GiB; give a smaller --clusters"
        )

    h_x, i_xy = info.entropy(p.sum(1)) + 0.0, info.mutual_information(p) + 0.0  # + 0.0: never -0
    print(f"p(x, y): {p.shape[0]} x {p.shape[1]}; H(X) = {_num(h_x)} bits, I(X;Y) = {_num(i_xy)} bits")
    meta = {"H_x": h_x, "I_xy": i_xy, "shape": list(p.shape), "file": str(args.file)}
    if args.beta is not None:
        if args.deterministic:
            model = info.DeterministicIB(args.clusters, args.beta, n_restarts=args.restarts,
                                         seed=args.seed).fit(p)
            used, labels = np.unique(model.labels_, return_inverse=True)
            p_max = model.encoder_.max(axis=1)
            rule = "clusters holding some x (deterministic IB: every x in one cluster)"
        else:
            model = info.InformationBottleneck(
                args.clusters, args.beta, n_restarts=args.restarts, seed=args.seed
            ).fit(p)
            merged = model.distinct_clusters(MERGE_TOL)  # columns: clusters in use, largest p(t) first
            used, labels, p_max = range(merged.shape[1]), np.argmax(merged, axis=1), merged.max(axis=1)
            rule = (f"clusters with p(t) > 0, those whose p(y|t) agree within {MERGE_TOL:g} "
                    "counted once")
        k, lowest, soft = len(used), float(p_max.min()), bool(p_max.min() < SOFT_BELOW)
        print(
            f"β = {args.beta:g}: I(X;T) = {_num(model.I_xt_)} bits, I(T;Y) = {_num(model.I_ty_)} bits, "
            f"{k} cluster(s) in use{'' if model.converged_ else ' (NOT converged)'}"
        )
        likeliest = int(np.unique(labels).size)
        print(f"in use: {rule}" + (f"; {likeliest} of them the most likely cluster of some x" if likeliest < k
                                   else ""))
        if soft:
            print(f"assignments are soft: max_t p(t|x) ranges from {lowest:.3g} to {float(p_max.max()):.3g} "
                  f"(below {SOFT_BELOW:g} for {int(np.sum(p_max < SOFT_BELOW))} of {len(p_max)} x; "
                  "1 is a hard assignment)")
        else:
            print(f"assignments are hard: max_t p(t|x) >= {SOFT_BELOW:g} for every x")
        rows = [{"x": i, "cluster": int(t), "p_max": float(m)} for i, (t, m) in enumerate(zip(labels, p_max,
                                                                                              strict=True))]
        print_table(rows, [("x", "x"), ("cluster", "cluster"), ("p_max", "max_t p(t|x)")])
        meta.update(beta=args.beta, I_xt=model.I_xt_, I_ty=model.I_ty_, converged=bool(model.converged_),
                    clusters_in_use=k, clusters_rule=rule, clusters_most_likely=likeliest, soft=soft,
                    min_p_max=lowest)
    else:
        betas = np.geomspace(args.beta_min, args.beta_max, args.n_betas)
        if args.deterministic:
            rows = []
            for b in betas:
                m = info.DeterministicIB(args.clusters, float(b), n_restarts=args.restarts,
                                         seed=args.seed).fit(p)
                rows.append(
                    {
                        "beta": float(b),
                        "I_xt": m.I_xt_,
                        "I_ty": m.I_ty_,
                        "clusters": int(np.unique(m.labels_).size),
                    }
                )
        else:
            curve = info.information_curve(
                p, betas, n_clusters=args.clusters, n_restarts=args.restarts, seed=args.seed
            )
            rows = [
                {"beta": float(b), "I_xt": float(x), "I_ty": float(y), "clusters": int(k)}
                for b, x, y, k in zip(curve.beta, curve.I_xt, curve.I_ty, curve.n_clusters, strict=True)
            ]
        print_table(
            rows,
            [("beta", "β"), ("I_xt", "I(X;T) [bits]"), ("I_ty", "I(T;Y) [bits]"), ("clusters", "clusters")],
        )
        meta["method"] = "deterministic" if args.deterministic else "iterative (annealed)"
    if args.out is not None:
        write_table(args.out, rows, meta)
        print(f"wrote {args.out}")
    return 0 if all(math.isfinite(r.get("I_ty", 0.0)) for r in rows) else 1
