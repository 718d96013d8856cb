"""``physml dimension FILE``: the geometry of a user's data set.

Reads points (rows) from ``.npy``, ``.npz``, ``.csv``/``.txt`` or ``.h5`` and prints the
intrinsic dimension by three estimators with uncertainties (correlation dimension with its
scaling range, Levina-Bickel maximum likelihood, TwoNN), the covariance spectrum's power-law
fit, and the local scales of multiscale PCA (noise level, tangent dimension, curvature radius,
and whether the data resolve curvature from noise). ``--json`` prints the same as JSON;
``--report DIR`` writes ``report.md``, ``dimension.json`` and plots. The analysis is
:func:`physml.geometry.dimension_report`; this module reads the file and prints or writes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
from pathlib import Path
from typing import Any

from physml import geometry
from physml._commands._common import UsageError, check_new_dir, load_points, non_negative_int, positive_int
from physml._core import atomic_write_bytes, atomic_write_text, format_measurement, format_number

__all__ = ["register"]

#: the report's parameter names, as this command's options, in the notes it prints
_OPTION_NAMES = {"(max_points)": "(--max-points)", "; n_centers)": "; --centers)"}
#: file names of the report's figures
_FIGURE_FILES = {"correlation": "correlation.png", "spectrum": "spectrum.png", "local": "local-pca.png"}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "dimension",
        help="intrinsic dimension, covariance spectrum and local scales of a data file",
        description=(
            "Estimate the intrinsic dimension of the points in FILE (one point per row) with the "
            "correlation dimension (k-d-tree pair counts, automatic scaling range), the Levina-Bickel "
            "maximum-likelihood estimator and TwoNN, each with a subsampling standard error; fit a power "
            "law to the covariance spectrum; and measure local scales with multiscale local PCA. "
            "Arrays with more than two axes (e.g. image stacks) are flattened to one row per sample."
        ),
    )
    p.add_argument(
        "file", type=Path, metavar="FILE", help="data: .npy, .npz, .csv, .txt or .h5 (rows are points)"
    )
    p.add_argument("--key", help="array name inside an .npz or .h5 file holding several")
    p.add_argument(
        "--max-points",
        type=positive_int("--max-points"),
        default=20000,
        help="analyse a random subsample of at most this many rows (default 20000)",
    )
    p.add_argument(
        "--k1", type=positive_int("--k1"), default=10, help="first neighbour order for MLE (default 10)"
    )
    p.add_argument(
        "--k2", type=positive_int("--k2"), default=20, help="last neighbour order for MLE (default 20)"
    )
    p.add_argument(
        "--centers",
        type=non_negative_int("--centers"),
        default=None,
        help="centres for multiscale local PCA (default 50, 20 above 100 features; 0 skips it)",
    )
    p.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument(
        "--report", type=Path, metavar="DIR", help="write report.md, dimension.json and plots to DIR"
    )
    p.add_argument("--force", action="store_true", help="write into --report DIR even if it is not empty")
    p.set_defaults(handler=_run)


def _load(args: argparse.Namespace) -> Any:
    path: Path = args.file
    shape, x = load_points(path, args.key, "physml dimension")
    least = geometry.MIN_REPORT_POINTS
    if x.shape[0] < least:
        raise UsageError(f"{path}: {x.shape[0]} point(s); physml dimension needs at least {least}")
    return shape, x


def _run(args: argparse.Namespace) -> int:
    if args.k1 < 3 or args.k2 < args.k1:
        raise UsageError(f"--k1/--k2: need 3 <= k1 <= k2, got k1={args.k1}, k2={args.k2}")
    if args.report is not None:
        check_new_dir(args.report, "--report", force=args.force)
    shape, x = _load(args)
    report = geometry.dimension_report(
        x, k1=args.k1, k2=args.k2, max_points=args.max_points, n_centers=args.centers, seed=args.seed
    )
    result = report.to_dict()
    result["notes"] = [_with_options(note) for note in result["notes"]]
    result["file"] = str(args.file)
    result["shape"] = list(shape)
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False, default=str))
    else:
        _print(result)
    if args.report is not None:
        _write_report(args.report, result, report)
        print(f"wrote {args.report / 'report.md'}", file=sys.stderr)
    return 0


def _with_options(note: str) -> str:
    for name, option in _OPTION_NAMES.items():
        note = note.replace(name, option)
    return note


def _pm(value: float, err: float | None) -> str:
    return format_measurement(value, err) if err else format_number(value)


def _print(r: dict) -> None:
    num = format_number
    print(
        f"{r['file']}: {r['n_samples']} points x {r['n_features']} features"
        + (f" ({r['n_used']} analysed)" if r["n_used"] != r["n_samples"] else "")
    )
    dims = r["dimension"]
    print("intrinsic dimension")
    if "correlation" in dims:
        c = dims["correlation"]
        lo, hi = c["scaling_range"]
        print(
            f"  correlation dimension   {_pm(c['value'], c['error']):>16}   "
            f"scaling range r = {num(lo)} .. {num(hi)}"
            + ("" if c["range_found"] else " (no straight range found)")
        )
    if "mle" in dims:
        m = dims["mle"]
        print(f"  Levina-Bickel MLE       {_pm(m['value'], m['error']):>16}   k = {m['k1']}..{m['k2']}")
    if "twonn" in dims:
        print(f"  TwoNN                   {_pm(dims['twonn']['value'], dims['twonn']['error']):>16}")
    if "spectrum" in r:
        s = r["spectrum"]
        lo, hi = s["fit_range"]
        print("covariance spectrum (centred): λ_i ∝ i^-(1+α)")
        print(
            f"  α = {_pm(s['alpha'], s['alpha_error'])} over ranks {lo}..{hi}; "
            f"rms residual of ln λ {s['rms_residual']:.3f}"
        )
    if "local" in r:
        lc = r["local"]
        print("local scales (multiscale local PCA)")
        print(
            f"  tangent dimension {lc['tangent_dimension']}, noise level σ ≈ {num(lc['noise_level'])}, "
            f"curvature radius ≈ {num(lc['curvature_radius']) if lc['curvature_radius'] else 'none found'}, "
            f"crossover radius ≈ {num(lc['crossover_radius']) if lc['crossover_radius'] else '-'}"
        )
        verdict = "yes" if lc["resolvable"] else "no"
        print(
            f"  enough data locally to tell curvature from noise: {verdict} "
            f"({lc['resolved_fraction']:.0%} of {lc['n_centers']} centres)"
        )
    for section, why in r.get("skipped", {}).items():
        print(f"  ({section} skipped: {why})")
    for note in r["notes"]:
        print(f"note: {note}", file=sys.stderr)


def _write_report(out: Path, result: dict, report: geometry.DimensionReport) -> None:
    out.mkdir(parents=True, exist_ok=True)
    figures = []
    for key, fig in report.figures().items():
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        atomic_write_bytes(out / _FIGURE_FILES[key], buffer.getvalue())
        figures.append(_FIGURE_FILES[key])
    atomic_write_text(
        out / "dimension.json", json.dumps(result, indent=2, allow_nan=False, default=str) + "\n"
    )
    lines = [f"# Geometry of {result['file']}", "", "```"]
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer), contextlib.redirect_stderr(io.StringIO()):
        _print(result)
    lines += buffer.getvalue().rstrip().splitlines() + ["```", ""]
    lines += [f"- {note}" for note in result["notes"]]
    lines += ["", *[f"![{f}]({f})" for f in figures], ""]
    atomic_write_text(out / "report.md", "\n".join(lines))
