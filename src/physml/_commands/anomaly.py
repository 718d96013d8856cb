"""``physml anomaly hunt FILE``: the LHC Olympics black-box answer for an events file.

Reads the event columns (``mjj`` in GeV, and any used by ``--cut``; an optional ``weight``) from
``.npz`` (named arrays), ``.csv`` (a header of column names), ``.h5`` (named datasets or a pandas
table) or ``.root`` (a TTree's branches, through uproot; ``FILE.root:TREE`` picks a tree), applies
the cuts, runs the dijet bump hunt (fit of the dijet function, sliding windows, local
significance, global p-value from background-only pseudo-experiments) and prints the report:
whether there is a signal, its mass ± error, the background-only p-value and the number of signal
events. ``--out FILE.json`` writes the same report. With ``--n-pseudo 0`` no global p-value is
computed and the report gives no verdict (``signal_found`` null and a note), only the local
significance.

With ``--features`` (columns of the file) the selection is learnt from the data, window by window
(``--method cwola``, the default then, ``cathode`` or ``anode``; :func:`physml.anomaly.weak_hunt`),
and the global p-value comes from background-only surrogate hunts; ``--method cut`` is the plain
hunt above.
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import re
from pathlib import Path
from typing import Any

from physml import anomaly, parallel
from physml._commands._common import UsageError, check_new_file, non_negative_int, positive_int, positive_real
from physml._core import atomic_write_text
from physml.data import collider

__all__ = ["register"]

_CUT = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>)\s*([-+0-9.eE]+)\s*$")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("anomaly", help="anomaly detection on collider events: the black-box bump hunt",
                       description="Anomaly detection on dijet event files.")
    inner = p.add_subparsers(dest="anomaly_command", metavar="ACTION", required=True)
    h = inner.add_parser(
        "hunt",
        help="bump hunt in mjj: resonance mass, background-only p-value, number of signal events",
        description=(
            "Fit the dijet function to the mjj spectrum of FILE (after --cut selections), scan sliding "
            "signal windows for a local excess, and compute the global p-value of the largest one from "
            "background-only pseudo-experiments. Columns: mjj (GeV) and those named in --cut; an optional "
            "'weight' column weights the events."
        ),
    )
    h.add_argument("file", type=Path, metavar="FILE",
                   help="events: .npz, .csv (with header), .h5 or .root (FILE.root:TREE chooses a tree)")
    h.add_argument("--features", metavar="A,B,...",
                   help="columns the weakly supervised selection learns from "
                        "(e.g. mj1,mj2,tau21_j1,tau21_j2); with them the default --method is cwola")
    h.add_argument("--method", choices=("cwola", "cathode", "anode", "cut"),
                   help="cwola (default with --features), cathode, anode: a selection learnt window by "
                        "window; cut (default without --features): the plain bump hunt after --cut")
    h.add_argument("--efficiencies", default="0.1,0.02,0.005", metavar="E1,E2,...",
                   help="fractions of sideband events kept by the learnt selection (default 0.1,0.02,0.005)")
    h.add_argument("--folds", type=positive_int("--folds"), default=3,
                   help="k of the k-fold training, at least 2 (default 3)")
    where = h.add_mutually_exclusive_group()
    where.add_argument("--workers", type=positive_int("--workers"), metavar="N",
                       help="run the learnt selections' hunts (the data's and the surrogates', a task per "
                            "block of windows) on a local Dask cluster of N workers")
    where.add_argument("--scheduler", metavar="ADDRESS", help="... on the Dask cluster at ADDRESS")
    h.add_argument("--cut", action="append", default=[], metavar="EXPR",
                   help="selection such as 'tau21_j1<0.5' (repeatable; all must hold)")
    h.add_argument("--n-pseudo", type=non_negative_int("--n-pseudo"), default=None,
                   help="background-only pseudo-experiments for the global p-value (default 200 for --method "
                        "cut; 20 surrogate hunts, each retraining every window, for the learnt selections)")
    h.add_argument("--bin-width", type=positive_real("--bin-width"), default=None,
                   help="relative bin width Δm/m, at most 1 (default 0.04; 0.05 for the learnt selections)")
    h.add_argument("--window-bins", type=positive_int("--window-bins"), default=None,
                   help="signal window width in bins (default 4; 3 for the learnt selections)")
    h.add_argument("--mass-range", metavar="LO:HI",
                   help="masses searched in GeV (default: above the turn-on)")
    h.add_argument("--sqrt-s", type=positive_real("--sqrt-s"), default=13000.0,
                   help="√s in GeV (default 13000)")
    h.add_argument("--alpha", type=positive_real("--alpha"), default=0.01,
                   help="global p-value below which a signal is reported, in (0, 1) (default 0.01)")
    h.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    h.add_argument("--json", action="store_true", help="print the report as JSON")
    h.add_argument("--out", type=Path, metavar="FILE.json", help="also write the report to this file")
    h.add_argument("--force", action="store_true", help="overwrite --out")
    h.set_defaults(handler=_hunt, interrupt_note=(
        "interrupted: nothing was written (the report is written only at the end); rerun the command"))


def read_columns(path: Path) -> dict[str, Any]:
    """Named columns of an events file (:func:`physml.data.collider.read_columns`: .npz, .csv,
    .h5/.hdf5, .root, FILE.root:TREE); its one-line errors as UsageError."""
    try:
        return collider.read_columns(path)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc).splitlines()[0]) from None


def _parse_cut(text: str) -> tuple[str, str, float]:
    m = _CUT.match(text)
    if not m:
        raise UsageError(f"--cut {text!r}: expected COLUMN<VALUE, COLUMN>VALUE, <= or >= (e.g. tau21_j1<0.5)")
    try:
        return m.group(1), m.group(2), float(m.group(3))
    except ValueError:
        raise UsageError(f"--cut {text!r}: {m.group(3)!r} is not a number") from None


def _hunt(args: argparse.Namespace) -> int:
    import numpy as np

    method = args.method or ("cwola" if args.features else "cut")
    weak = method != "cut"
    if args.features and not weak:
        raise UsageError("--features: --method cut learns no selection; drop --features or use --method "
                         "cwola, cathode or anode")
    if weak and not args.features:
        raise UsageError(f"--method {method} needs --features, the columns to learn from (e.g. "
                         "--features mj1,mj2,tau21_j1,tau21_j2)")
    features = [c.strip() for c in args.features.split(",")] if args.features else []
    if weak and (any(not c for c in features) or len(set(features)) != len(features)):
        raise UsageError(f"--features {args.features!r}: give distinct column names separated by commas")
    try:
        effs = [float(v) for v in args.efficiencies.split(",")]
    except ValueError:
        raise UsageError(f"--efficiencies {args.efficiencies!r}: expected numbers in (0, 1) "
                         "separated by commas") from None
    if not effs or any(not 0 < e < 1 for e in effs):
        raise UsageError(f"--efficiencies {args.efficiencies!r}: each must lie in (0, 1)")
    if weak and args.folds < 2:
        raise UsageError(f"--folds must be at least 2, got {args.folds}")
    if args.n_pseudo is None:
        args.n_pseudo = 20 if weak else 200
    if args.bin_width is None:
        args.bin_width = 0.05 if weak else 0.04
    if args.window_bins is None:
        args.window_bins = 3 if weak else 4
    cuts = [_parse_cut(c) for c in args.cut]
    if not args.alpha < 1:
        raise UsageError(f"--alpha must be a p-value in (0, 1), got {args.alpha:g}")
    if not args.bin_width <= 1:
        raise UsageError(f"--bin-width is a relative width Δm/m in (0, 1], got {args.bin_width:g}")
    mass_range = None
    if args.mass_range:
        try:
            lo, hi = (float(v) for v in args.mass_range.split(":"))
        except ValueError:
            raise UsageError(f"--mass-range {args.mass_range!r}: expected LO:HI in GeV") from None
        if not 0 < lo < hi < args.sqrt_s:
            raise UsageError(f"--mass-range {args.mass_range}: need 0 < LO < HI < √s = {args.sqrt_s:g} GeV")
        mass_range = (lo, hi)
    if args.out is not None:
        check_new_file(args.out, (".json",), "--out", force=args.force)
    cols = read_columns(args.file)
    needed = ["mjj"] + features + [c for c, _, _ in cuts]
    missing = [c for c in dict.fromkeys(needed) if c not in cols]
    if missing:
        raise UsageError(f"{args.file}: missing column(s) {', '.join(missing)}; present: "
                         f"{', '.join(sorted(cols)) or 'none'}")
    n = len(np.atleast_1d(cols["mjj"]))
    for c in [*needed, *(["weight"] if "weight" in cols else [])]:
        v = np.asarray(cols[c])
        if v.ndim != 1 or len(v) != n or v.dtype.kind not in "biuf":
            raise UsageError(f"{args.file}: column {c!r} must be numeric and 1-D with {n} rows, "
                             f"got shape {v.shape} of {v.dtype}")
        if not np.all(np.isfinite(v)):
            raise UsageError(
                f"{args.file}: column {c!r} has {int(np.sum(~np.isfinite(v)))} non-finite value(s)")
    if n == 0:
        raise UsageError(f"{args.file}: holds no events (column 'mjj' is empty)")
    for c in features:
        if np.ptp(np.asarray(cols[c], float)) == 0:
            raise UsageError(f"{args.file}: feature column {c!r} is constant: nothing to learn from")
    if "weight" in cols and np.any(np.asarray(cols["weight"]) < 0):
        raise UsageError(f"{args.file}: column 'weight' has negative values; weights must be >= 0")
    mjj = np.asarray(cols["mjj"], float)
    weights = np.asarray(cols["weight"], float) if "weight" in cols else None
    keep = np.ones(n, bool)
    ops = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge}
    for c, op, value in cuts:
        keep &= ops[op](np.asarray(cols[c], float), value)
    if keep.sum() == 0:
        raise UsageError(f"{args.file}: no events pass the cuts ({'; '.join(args.cut)}) of {n}")
    outside = (mjj[keep] <= 0) | (mjj[keep] >= args.sqrt_s)
    if outside.any():
        raise UsageError(f"{args.file}: {int(outside.sum())} event(s) with mjj outside the kinematic range "
                         f"(0, {args.sqrt_s:g}) GeV")

    if weak:
        return _weak_hunt(args, method, features, effs, cols, mjj, keep, weights, mass_range, n)
    try:
        result = anomaly.bump_hunt(mjj[keep], weights=None if weights is None else weights[keep],
                                   mass_range=mass_range, relative_bin_width=args.bin_width,
                                   window_bins=args.window_bins, sqrt_s=args.sqrt_s, n_pseudo=args.n_pseudo,
                                   seed=args.seed, progress=True)
    except anomaly.FitError as exc:
        raise UsageError(f"{args.file}: {exc}") from None
    except ValueError as exc:
        raise _hunt_error(args, exc) from None
    report = _hunt_report(args, result, n, keep, weighted=weights is not None, example=200)
    if args.json:
        print(json.dumps(report, indent=2, allow_nan=False))
    else:
        _print(report)
    if args.out is not None:
        atomic_write_text(args.out, json.dumps(report, indent=2, allow_nan=False) + "\n")
    return 0


def _weak_hunt(args: argparse.Namespace, method: str, features: list[str], effs: list[float], cols: dict,
               mjj: Any, keep: Any, weights: Any, mass_range: Any, n: int) -> int:
    import numpy as np

    weighted = weights is not None and bool(np.ptp(weights[keep]) > 0)
    if weighted and method != "cwola":
        raise UsageError(f"{args.file}: column 'weight' is not constant; --method {method} fits densities "
                         "that take no event weights (use --method cwola or cut for weighted events)")
    X = np.column_stack([np.asarray(cols[c], float)[keep] for c in features])
    try:
        executor = parallel.make_executor(workers=args.workers, scheduler=args.scheduler)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"--workers/--scheduler: {exc}") from None
    try:
        with executor:
            result = anomaly.weak_hunt(X, mjj[keep], method=method, features=features,
                                       weights=weights[keep] if weighted else None,
                                       efficiencies=tuple(effs), mass_range=mass_range,
                                       relative_bin_width=args.bin_width,
                                       window_bins=args.window_bins, n_folds=args.folds, sqrt_s=args.sqrt_s,
                                       n_pseudo=args.n_pseudo, seed=args.seed, executor=executor)
    except ValueError as exc:
        raise _hunt_error(args, exc) from None
    report = _hunt_report(args, result, n, keep, weighted=weighted, example=20)
    text = json.dumps(report, indent=2, allow_nan=False)
    if args.json:
        print(text)
    else:
        _print_weak(report)
    if args.out is not None:
        atomic_write_text(args.out, text + "\n")
    return 0


def _print_weak(r: dict) -> None:
    def f(v: Any, spec: str = ".4g") -> str:
        return "n/a" if v is None else format(v, spec)

    print(f"{r['file']}: {r['n_selected']} of {r['n_events']} events; {r['method']} selection learnt from "
          f"{', '.join(r['features'])} in {r['n_windows']} windows")
    if r["signal_found"] is None:
        print(f"verdict: none: the global p-value was not computed; local Z = {f(r['z_local'], '.2f')} "
              "ignores the scan over windows and efficiencies; rerun with --n-pseudo > 0 for a verdict")
    else:
        verdict = "SIGNAL" if r["signal_found"] else "no significant signal"
        print(f"verdict: {verdict} (global p < {r['alpha']:g} required)")
    print(f"resonance mass: {f(r['mass'], '.0f')} ± {f(r['mass_err'], '.0f')} GeV "
          f"(window {r['window'][0]:.0f}-{r['window'][1]:.0f} GeV, efficiency {r['efficiency']:g})")
    if r["global_p_computed"]:
        print(f"p-value (background only): {f(r['p_value_background_only'])} global "
              f"(Z = {f(r['z_global'], '.2f')}, {r['n_pseudo']} background-only surrogate hunts); "
              f"local Z = {f(r['z_local'], '.2f')}")
    print(f"signal events: {f(r['n_signal'], '.0f')} ± {f(r['n_signal_err'], '.0f')} selected in the window "
          f"(observed {r['observed_in_window']:.0f}, background {r['background_in_window']:.1f} ± "
          f"{r['background_in_window_err']:.1f})")
    s = r["sculpting"]
    if s["mean_z_local"] is not None:
        print(f"sculpting check: mean local Z on background-only surrogates {s['mean_z_local']:+.2f}"
              f" ± {f(s['mean_z_local_err'], '.2f')} (0 expected), "
              f"{100 * s['fraction_z_above_2']:.1f}% above Z = 2 "
              f"({100 * s['expected_fraction_z_above_2']:.1f}% expected): "
              + ("SCULPTED" if s["sculpted"] else "no sculpted bump"))
    for flag in r["flags"]:
        print(f"flag: {flag}")


def _hunt_error(args: argparse.Namespace, exc: ValueError) -> UsageError:
    """A hunt's ValueError as one line: a BinningError names the binning options."""
    if getattr(exc, "n_bins", None) is not None:  # anomaly.BinningError: name the options
        return UsageError(_binning_message(args, exc))
    return UsageError(f"{args.file}: {str(exc).splitlines()[0]}")


def _hunt_report(args: argparse.Namespace, result: Any, n: int, keep: Any, *, weighted: bool,
                 example: int) -> dict:
    """A hunt's report with the command's context (file, counts, cuts, seed), JSON-safe."""
    report = result.report(alpha=args.alpha)
    if report["note"] is not None and args.n_pseudo == 0:
        report["note"] += (f"; rerun with --n-pseudo > 0 (e.g. {example}) for the global p-value and a "
                           "verdict")
    report.update(file=str(args.file), n_events=int(n), n_selected=int(keep.sum()), cuts=list(args.cut),
                  seed=args.seed, weighted=weighted)
    return {k: _finite(v) for k, v in report.items()}


def _binning_message(args: argparse.Namespace, exc: Any) -> str:
    lo, hi = exc.mass_range
    where = f"--bin-width {args.bin_width:g} gives {exc.n_bins} bin(s) over {lo:.0f}-{hi:.0f} GeV"
    if exc.n_bins > exc.max_bins:
        return f"{args.file}: {where}; at most {exc.max_bins} are searched: use a larger --bin-width"
    need = exc.window_bins + 2 * exc.min_side_bins
    return (f"{args.file}: {where}; a --window-bins {exc.window_bins} window with {exc.min_side_bins} bins "
            f"on each side needs {need}: use a smaller --bin-width or --window-bins, or a wider "
            "--mass-range (or more events)")


def _finite(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, dict):
        return {k: _finite(x) for k, x in v.items()}
    return v


def _print(r: dict) -> None:
    def f(v: Any, spec: str = ".4g") -> str:
        return "n/a" if v is None else format(v, spec)

    print(f"{r['file']}: {r['n_selected']} of {r['n_events']} events selected"
          + (f" ({'; '.join(r['cuts'])})" if r["cuts"] else ""))
    if r["signal_found"] is None:
        print(f"verdict: none: the global p-value was not computed ({r['n_pseudo']} pseudo-experiments); "
              f"the local significance alone is Z = {f(r['z_local'], '.2f')} "
              f"(p = {f(r['p_local'], '.2g')}), before the look-elsewhere effect; "
              + ("rerun with --n-pseudo > 0 (e.g. 200) for a verdict" if r["n_pseudo"] == 0
                 else "no pseudo-experiment had a converged fit"))
    else:
        verdict = "SIGNAL" if r["signal_found"] else "no significant signal"
        print(f"verdict: {verdict} (global p < {r['alpha']:g} required)")
    print(f"resonance mass: {f(r['mass'], '.0f')} ± {f(r['mass_err'], '.0f')} GeV "
          f"(window {r['window'][0]:.0f}-{r['window'][1]:.0f} GeV)")
    if r["global_p_computed"]:
        print(f"p-value (background only): {f(r['p_value_background_only'])} global "
              f"(Z = {f(r['z_global'], '.2f')}, {r['n_pseudo']} pseudo-experiments); "
              f"local Z = {f(r['z_local'], '.2f')}")
    else:
        print(f"p-value (background only): global not computed; local Z = {f(r['z_local'], '.2f')}")
    print(f"signal events: {f(r['n_signal'], '.0f')} ± {f(r['n_signal_err'], '.0f')} in the window "
          f"(observed {r['observed_in_window']:.0f}, background {r['background_in_window']:.0f} ± "
          f"{r['background_in_window_err']:.0f})")
    fit = r["background_fit"]
    print(f"background fit: deviance {f(fit['deviance'], '.1f')} / {fit['ndf']} dof "
          f"(p = {f(fit['gof_pvalue'], '.2g')})")
    for flag in r["flags"]:
        print(f"flag: {flag}")
