"""Formatting numbers with their uncertainties, shared by the console and the HTML report."""

from __future__ import annotations

import math
from typing import Any

from physml.lab._types import COMPARISONS, Check, Result

__all__ = ["format_measurement", "format_number", "format_result", "format_seconds"]


def format_number(x: Any) -> str:
    """Six significant digits; integers as integers."""
    if isinstance(x, bool) or x is None:
        return str(x)
    if isinstance(x, int):
        return str(x)
    try:
        x = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not math.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def format_measurement(measured: float, uncertainty: float) -> str:
    """``measured ± uncertainty`` with the uncertainty to two significant digits and the
    value rounded to the same decimal place (the Particle Data Group's convention, simplified)."""
    if not math.isfinite(measured) or not (uncertainty > 0) or not math.isfinite(uncertainty):
        return format_number(measured)
    place = math.floor(math.log10(uncertainty)) - 1
    scale = abs(measured) if measured != 0 else uncertainty
    if -6 <= place <= 3 and 1e-4 <= scale < 1e7:
        if place > 0:
            return f"{round(measured, -place):.0f} ± {round(uncertainty, -place):.0f}"
        decimals = -place
        return f"{measured:.{decimals}f} ± {uncertainty:.{decimals}f}"
    exponent = math.floor(math.log10(scale))
    digits = max(0, exponent - place)
    factor = 10.0**exponent
    return f"({measured / factor:.{digits}f} ± {uncertainty / factor:.{digits}f})e{exponent:+03d}"


def format_seconds(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{int(minutes)} min {int(secs)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{int(hours)} h {int(minutes)} min"


def format_pull(check: Check) -> str:
    pull = check.pull
    return "" if math.isnan(pull) else f"{pull:+.1f}σ"


def format_expected(check: Check) -> str:
    return f"{COMPARISONS[check.comparison]} {format_number(check.expected)}"


def format_value(value: Any) -> str:
    """A metric or parameter: numbers formatted, lists shortened."""
    if isinstance(value, (list, tuple)):
        shown = ", ".join(format_value(v) for v in value[:8])
        return f"[{shown}{', …' if len(value) > 8 else ''}]"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {format_value(v)}" for k, v in value.items())
    if isinstance(value, (int, float)):
        return format_number(value)
    return str(value)


def format_result(result: Result) -> str:
    """A plain-text table of an experiment's checks, for the terminal."""
    when = format_seconds(result.seconds)
    header = f"{result.name} [{result.preset}, seed {result.seed}, {when}]: {result.verdict}"
    rows = [("check", "measured", "expected", "tolerance", "")]
    for c in result.checks:
        rows.append((c.name, format_measurement(c.measured, c.uncertainty), format_expected(c),
                     format_number(c.tolerance), "ok" if c.passed else "FAILED"))
    lines = [header]
    if result.checks:
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        for row in rows:
            cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
            lines.append(("  " + "  ".join(cells)).rstrip())
    if result.error:
        last = result.error.strip().splitlines()[-1]
        lines.append(f"  error: {last}")
    return "\n".join(lines)
