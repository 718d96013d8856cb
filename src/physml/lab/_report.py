"""The HTML report: one self-contained page for a run directory."""

from __future__ import annotations

import base64
import datetime as _dt
from collections import Counter
from pathlib import Path
from typing import Any

from physml._core import __version__, atomic_write_text, format_measurement, format_number, format_seconds
from physml.lab._format import format_expected, format_full_value, format_pull, format_value, summarize_value
from physml.lab._runner import load_results
from physml.lab._types import COMPARISONS, VERDICTS, Result

__all__ = ["lab_template", "render_report", "write_report"]


def lab_template(name: str) -> Any:
    """The lab's Jinja2 template ``name`` (``report.html.j2``, ``compare.html.j2``), escaped and strict."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("physml.lab", "."),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(name)


def render_report(results: list[Result], run_dir: str | Path, images: dict[tuple[str, str], str]) -> str:
    """The report as an HTML string; ``images`` maps (experiment, figure) to base64 PNG data."""
    template = lab_template("report.html.j2")
    counts = Counter({v: 0 for v in VERDICTS})
    counts.update(r.verdict for r in results)
    return template.render(
        results=results,
        counts=counts,
        run_dir=str(run_dir),
        version=__version__,
        generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        images=images,
        seconds=format_seconds,
        number=format_number,
        value=format_value,
        summary=summarize_value,
        full_value=format_full_value,
        measured=lambda c: format_measurement(c.measured, c.uncertainty),
        symbol=lambda c: COMPARISONS[c.comparison],
        expected=format_expected,
        pull=format_pull,
    )


def write_report(run_dir: str | Path, results: list[Result] | None = None) -> Path:
    """Write ``run_dir/report.html`` from the results in ``run_dir`` (or those given).

    Figures are embedded as base64 PNG so that the page is a single file.
    """
    run_dir = Path(run_dir)
    if results is None:
        results = load_results(run_dir)
    results = sorted(results, key=lambda r: r.name)
    images: dict[tuple[str, str], str] = {}
    for r in results:
        for fig in r.figures:
            path = run_dir / r.name / fig
            data = path.read_bytes() if path.is_file() else b""
            images[(r.name, fig)] = base64.b64encode(data).decode("ascii")
    return atomic_write_text(run_dir / "report.html", render_report(results, run_dir, images))
