"""The lab's value types: a check of a measured number against an expectation, and
the result of one experiment as written to ``result.json``."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["COMPARISONS", "VERDICTS", "Check", "Result"]

Comparison = Literal["close", "at_least", "at_most"]

#: How a check compares ``measured`` with ``expected`` (symbol used in reports).
COMPARISONS: dict[str, str] = {"close": "≈", "at_least": "≥", "at_most": "≤"}

#: The possible verdicts of an experiment.
VERDICTS = ("reproduced", "not reproduced", "error")

RESULT_KEYS = (
    "name",
    "claim",
    "source",
    "preset",
    "params",
    "seed",
    "seconds",
    "versions",
    "checks",
    "metrics",
    "figures",
    "verdict",
)


def _number(value: Any, what: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} must be a real number, got {value!r}") from None


@dataclass(frozen=True)
class Check:
    """One measured number compared with an expectation.

    Parameters
    ----------
    name : str
        Short identifier, e.g. ``"test accuracy"``.
    measured : float
        The measured value.
    expected : float
        The expected value (``comparison="close"``) or bound (``"at_least"``, ``"at_most"``).
    uncertainty : float
        One standard error of ``measured`` (0 for exact arithmetic).
    tolerance : float
        Allowed deviation: ``|measured - expected| <= tolerance`` for ``"close"``,
        ``measured >= expected - tolerance`` for ``"at_least"`` and
        ``measured <= expected + tolerance`` for ``"at_most"``.
    comparison : {"close", "at_least", "at_most"}
    """

    name: str
    measured: float
    expected: float
    uncertainty: float = 0.0
    tolerance: float = 0.0
    comparison: Comparison = "close"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"check name must be a non-empty string, got {self.name!r}")
        if self.comparison not in COMPARISONS:
            raise ValueError(
                f"comparison must be one of {', '.join(COMPARISONS)}; got {self.comparison!r}"
            )
        for attr in ("measured", "expected", "uncertainty", "tolerance"):
            object.__setattr__(self, attr, _number(getattr(self, attr), f"check {self.name!r}: {attr}"))
        for attr in ("uncertainty", "tolerance"):
            value = getattr(self, attr)
            if not (value >= 0):
                raise ValueError(f"check {self.name!r}: {attr} must be >= 0, got {value}")

    @property
    def passed(self) -> bool:
        """Whether the measurement agrees with the expectation (NaN never passes)."""
        m, e, t = self.measured, self.expected, self.tolerance
        if math.isnan(m):
            return False
        if self.comparison == "close":
            return abs(m - e) <= t
        if self.comparison == "at_least":
            return m >= e - t
        return m <= e + t

    @property
    def pull(self) -> float:
        """(measured - expected) / uncertainty; NaN when the uncertainty is zero."""
        return (self.measured - self.expected) / self.uncertainty if self.uncertainty > 0 else math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "measured": _json_float(self.measured),
            "uncertainty": _json_float(self.uncertainty),
            "expected": _json_float(self.expected),
            "tolerance": _json_float(self.tolerance),
            "comparison": self.comparison,
            "passed": self.passed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Check:
        return cls(
            name=data["name"],
            measured=_from_json_float(data["measured"]),
            expected=_from_json_float(data["expected"]),
            uncertainty=_from_json_float(data.get("uncertainty", 0.0)),
            tolerance=_from_json_float(data.get("tolerance", 0.0)),
            comparison=data.get("comparison", "close"),
        )


def _json_float(x: float) -> float | str:
    """JSON has no NaN/inf: write them as strings so the file stays standard JSON."""
    return x if math.isfinite(x) else str(x)


def _from_json_float(x: Any) -> float:
    return float(x)


@dataclass
class Result:
    """What one experiment measured: the content of ``result.json``."""

    name: str
    claim: str
    source: str
    preset: str
    params: dict[str, Any]
    seed: int
    seconds: float = 0.0
    versions: dict[str, str] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    figures: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def verdict(self) -> str:
        """``"error"`` if it raised, ``"reproduced"`` if it has checks and all passed."""
        if self.error is not None:
            return "error"
        if self.checks and all(c.passed for c in self.checks):
            return "reproduced"
        return "not reproduced"

    def to_dict(self) -> dict[str, Any]:
        data = {
            "name": self.name,
            "claim": self.claim,
            "source": self.source,
            "preset": self.preset,
            "params": self.params,
            "seed": self.seed,
            "seconds": round(self.seconds, 3),
            "versions": self.versions,
            "provenance": _jsonable(self.provenance),
            "checks": [c.to_dict() for c in self.checks],
            "metrics": _jsonable(self.metrics),
            "figures": list(self.figures),
            "verdict": self.verdict,
        }
        if self.error is not None:
            data["error"] = self.error
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        missing = [k for k in RESULT_KEYS if k not in data]
        if missing:
            raise ValueError(f"result is missing key(s): {', '.join(missing)}")
        return cls(
            name=data["name"],
            claim=data["claim"],
            source=data["source"],
            preset=data["preset"],
            params=dict(data["params"]),
            seed=int(data["seed"]),
            seconds=float(data["seconds"]),
            versions=dict(data["versions"]),
            provenance=dict(data.get("provenance") or {}),  # absent in results of physml 0.1
            checks=[Check.from_dict(c) for c in data["checks"]],
            metrics=dict(data["metrics"]),
            figures=list(data["figures"]),
            error=data.get("error"),
        )

    @classmethod
    def load(cls, path: str | Path) -> Result:
        """Read a ``result.json`` file (``ValueError`` if it is incomplete or not JSON)."""
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ValueError(f"{path} does not hold a JSON object")
        try:
            return cls.from_dict(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: {exc}") from None


def _jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays and tuples to plain JSON values; NaN/inf to strings."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return _jsonable(value.tolist())
    if isinstance(value, float):
        return _json_float(value)
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)
