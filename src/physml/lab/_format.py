"""Formatting an experiment's checks and results, shared by the console and the HTML report
(numbers themselves are formatted by :mod:`physml._core`)."""

from __future__ import annotations

import json
import math
from typing import Any

from physml._core import format_measurement, format_number, format_seconds
from physml.lab._types import COMPARISONS, Check, Result

__all__ = ["LONG_VALUE", "format_expected", "format_full_value", "format_measurement", "format_number",
           "format_pull", "format_result", "format_seconds", "format_value", "summarize_value"]

#: A metric or parameter whose text is longer than this many characters is shown in the report as a
#: one-line summary with the full value folded away (a 2,020-character table once made the page
#: 15,000 px wide).
LONG_VALUE = 120


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


def summarize_value(value: Any, limit: int = LONG_VALUE) -> str | None:
    """A one-line summary of a value whose text is longer than ``limit`` characters or whose lists
    :func:`format_value` shortens; ``None`` when it shows the value in full within ``limit``."""
    text = format_value(value)
    if len(text) <= limit and not _shortened(value):
        return None
    if isinstance(value, (list, tuple)):
        size = f"{len(value)} item{'s' if len(value) != 1 else ''}"
    elif isinstance(value, dict):
        size = f"{len(value)} entr{'ies' if len(value) != 1 else 'y'}"
    else:
        size = f"{len(text)} characters"
    room = max(min(limit, 80) - len(size) - 3, 16)
    if len(text) <= room:
        return f"{size}: {text}"
    cut = text[:room]
    if " " in cut[room // 2:]:  # end at a word boundary when one is near
        cut = cut[: cut.rindex(" ")]
    return f"{size}: {cut.rstrip(' ,:')} …"


def _shortened(value: Any) -> bool:
    """Whether :func:`format_value` leaves items out of ``value``."""
    if isinstance(value, (list, tuple)):
        return len(value) > 8 or any(_shortened(v) for v in value[:8])
    if isinstance(value, dict):
        return any(_shortened(v) for v in value.values())
    return False


def format_full_value(value: Any, indent: int = 0) -> str:
    """The whole value as indented JSON-like text for the report: containers one entry a line,
    lists of plain numbers or strings on one (wrapping) line; nothing is shortened."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        lines = [f"{pad}  {json.dumps(str(k), ensure_ascii=False)}: {format_full_value(v, indent + 2)}"
                 for k, v in value.items()]
        return "{\n" + ",\n".join(lines) + f"\n{pad}}}"
    if isinstance(value, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in value):
            return "[" + ", ".join(format_full_value(v) for v in value) + "]"
        lines = [f"{pad}  {format_full_value(v, indent + 2)}" for v in value]
        return "[\n" + ",\n".join(lines) + f"\n{pad}]"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return json.dumps(str(value), ensure_ascii=False)


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
