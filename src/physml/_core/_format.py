"""Formatting numbers with their uncertainties (six significant digits, the PDG rounding of
``value ± error``, durations), shared by every floor that prints a number."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["format_measurement", "format_number", "format_seconds"]


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
