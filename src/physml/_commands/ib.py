"""``physml ib FILE``: the information bottleneck of a joint distribution table.

FILE holds p(x, y) as a 2-D array (rows x, columns y) in ``.npy``, ``.npz``, ``.csv``/``.txt``
or ``.h5``. Without ``--beta`` it prints the information curve (I(X;T), I(T;Y) and the number
of clusters at each β, by annealing); with ``--beta`` the solution at that β and its clusters.
``--deterministic`` uses the deterministic IB. ``--out`` writes the table as CSV or JSON.
"""

from __future__ import annotations

import argparse
import math
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
    p.set_defaults(handler=_run)


def _load(args: argparse.Namespace):
    import numpy as np

    path: Path = args.file
    table = load_numeric(path, args.key, "a joint distribution")
    if table.ndim != 2:
        raise UsageError(
            f"{path}: holds a {table.ndim}-D array of shape {table.shape}; p(x, y) must be 2-D "
            "(rows x, columns y)"
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

    h_x, i_xy = info.entropy(p.sum(1)), info.mutual_information(p)
    print(f"p(x, y): {p.shape[0]} x {p.shape[1]}; H(X) = {h_x:.6g} bits, I(X;Y) = {i_xy:.6g} bits")
    meta = {"H_x": h_x, "I_xy": i_xy, "shape": list(p.shape), "file": str(args.file)}
    if args.beta is not None:
        if args.deterministic:
            model = info.DeterministicIB(args.clusters, args.beta, n_restarts=args.restarts,
                                         seed=args.seed).fit(p)
            labels = model.labels_
        else:
            model = info.InformationBottleneck(
                args.clusters, args.beta, n_restarts=args.restarts, seed=args.seed
            ).fit(p)
            labels = np.argmax(model.encoder_, axis=1)
        used = np.unique(labels)
        print(
            f"β = {args.beta:g}: I(X;T) = {model.I_xt_:.6g} bits, I(T;Y) = {model.I_ty_:.6g} bits, "
            f"{used.size} cluster(s) in use{'' if model.converged_ else ' (NOT converged)'}"
        )
        rows = [
            {"x": i, "cluster": int(np.searchsorted(used, t)), "p_max": float(model.encoder_[i].max())}
            for i, t in enumerate(labels)
        ]
        print_table(rows, [("x", "x"), ("cluster", "cluster"), ("p_max", "max_t p(t|x)")])
        meta.update(beta=args.beta, I_xt=model.I_xt_, I_ty=model.I_ty_, converged=bool(model.converged_))
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
