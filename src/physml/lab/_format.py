"""Formatting an experiment's checks and results, shared by the console and the HTML report
(numbers themselves are formatted by :mod:`physml._core`)."""

from __future__ import annotations

import math
from typing import Any

from physml._core import format_measurement, format_number, format_seconds
from physml.lab._types import COMPARISONS, Check, Result

__all__ = ["format_expected", "format_measurement", "format_number", "format_pull", "format_result",
           "format_seconds", "format_value"]


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
