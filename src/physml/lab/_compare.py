"""Comparing two run directories check by check: what moved, by how much, and whether it matters.

For every experiment present in both runs, and each of its checks, the two measured values are put
side by side with the pull of their difference,

    pull = (b − a) / sqrt(σa² + σb²),

and the verdict of each. A check *shifts* when its pull exceeds the threshold even if both runs
pass. When neither value has an error bar (σa = σb = 0) there is no pull: the difference is
measured in units of the check's tolerance (the larger of the two runs') and shifts when it exceeds
one tolerance, i.e. when the value moved by more than the whole band the claim allows. A value
with neither an error bar nor a tolerance has no scale: its difference is shown but never flagged
(its verdict still is).

The default threshold is Bonferroni-corrected: with N pulls compared, a check is flagged when
|pull| > z_N, where 2(1 − Φ(z_N)) = p₃/N and p₃ = 0.27 % is the two-sided probability of a 3σ
fluctuation. The chance that two runs of the same code raise any false flag is then at most the
chance of one 3σ fluctuation (z₁ = 3, z₁₀₀ ≈ 4.2). A threshold given by hand is applied to every
pull as it is; the comparison then reports the expected number of false flags, N·2(1 − Φ(z)).

A *regression* is an experiment that went from reproduced to not reproduced or error, a check that
went from passed to failed, or a shift. Settings that differ (parameters, preset, seed, physml
version and git revision, CPU model and vector capability, threads, executor, library versions) are
marked for the runs and per experiment. See docs/compare.md.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

from physml._core import __version__, atomic_write_text, format_measurement, format_number
from physml.lab._errors import LabError
from physml.lab._format import format_expected, format_value
from physml.lab._report import lab_template
from physml.lab._runner import load_results
from physml.lab._types import Check, Result, _json_float, _jsonable

__all__ = ["CheckComparison", "Comparison", "ExperimentComparison", "Regression", "SettingDiff",
           "compare_runs", "default_threshold"]

#: Two-sided probability of a fluctuation beyond 3σ of a normal variable (0.26998 %).
P_3SIGMA = math.erfc(3 / math.sqrt(2))

# settings compared for the runs as a whole (the per-experiment ones add the parameters)
_RUN_KEYS = ("preset", "seed", "physml", "git revision", "python", "platform", "cpu model", "cpu vector",
             "cpu cores", "executor")


def default_threshold(n_pulls: int) -> float:
    """The Bonferroni-corrected 3σ threshold for ``n_pulls`` pulls: ``z`` with
    ``2(1 − Φ(z)) = p₃ / n`` (3 for one pull, about 4.2 for a hundred)."""
    n = max(int(n_pulls), 1)
    return NormalDist().inv_cdf(1 - P_3SIGMA / (2 * n))


def _two_sided(z: float) -> float:
    return math.erfc(z / math.sqrt(2))


@dataclass(frozen=True)
class SettingDiff:
    """A setting that differs between the runs; ``None`` means not recorded."""

    key: str
    a: Any
    b: Any

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "a": _jsonable(self.a), "b": _jsonable(self.b)}


@dataclass(frozen=True)
class CheckComparison:
    """One check of one experiment in both runs (``a`` or ``b`` is None where it is in one only).

    ``pull`` is (b − a)/sqrt(σa² + σb²), NaN without error bars; ``tolerance_units`` is
    (b − a)/tolerance where there are no error bars but a tolerance, else NaN; ``flagged`` says
    whether either exceeds its limit (the threshold, or one tolerance).
    """

    experiment: str
    name: str
    a: Check | None
    b: Check | None
    difference: float = math.nan
    sigma: float = math.nan
    pull: float = math.nan
    tolerance_units: float = math.nan
    flagged: bool = False

    @property
    def in_both(self) -> bool:
        return self.a is not None and self.b is not None

    @property
    def failed_now(self) -> bool:
        """Passed in run A and failed in run B."""
        return self.in_both and self.a.passed and not self.b.passed  # type: ignore[union-attr]

    @property
    def verdict_change(self) -> str | None:
        """``"passed → failed"`` or ``"failed → passed"`` where the check's verdict changed."""
        if not self.in_both or self.a.passed == self.b.passed:  # type: ignore[union-attr]
            return None
        return "passed → failed" if self.a.passed else "failed → passed"  # type: ignore[union-attr]

    @property
    def expectation_changed(self) -> bool:
        """The expected value, tolerance or comparison differs between the runs."""
        if not self.in_both:
            return False
        a, b = self.a, self.b
        assert a is not None and b is not None
        return (a.expected, a.tolerance, a.comparison) != (b.expected, b.tolerance, b.comparison)

    @property
    def regressed(self) -> bool:
        return self.failed_now or self.flagged

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "a": None if self.a is None else self.a.to_dict(),
            "b": None if self.b is None else self.b.to_dict(),
            "difference": _json_float(self.difference),
            "sigma": _json_float(self.sigma),
            "pull": _json_float(self.pull),
            "tolerance_units": _json_float(self.tolerance_units),
            "flagged": self.flagged,
            "verdict_change": self.verdict_change,
            "expectation_changed": self.expectation_changed,
            "regressed": self.regressed,
        }


@dataclass(frozen=True)
class ExperimentComparison:
    """One experiment present in both runs."""

    name: str
    claim: str
    verdict_a: str
    verdict_b: str
    checks: list[CheckComparison]
    settings: list[SettingDiff] = field(default_factory=list)
    error_a: str | None = None
    error_b: str | None = None

    @property
    def verdict_changed(self) -> bool:
        return self.verdict_a != self.verdict_b

    @property
    def regressed(self) -> bool:
        """Went from reproduced to not reproduced or error."""
        return self.verdict_a == "reproduced" and self.verdict_b != "reproduced"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "claim": self.claim,
            "verdict_a": self.verdict_a,
            "verdict_b": self.verdict_b,
            "verdict_changed": self.verdict_changed,
            "regressed": self.regressed,
            "error_a": self.error_a,
            "error_b": self.error_b,
            "settings": [s.to_dict() for s in self.settings],
            "checks": [c.to_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class Regression:
    """What makes a comparison fail: ``kind`` is ``"verdict"``, ``"check failed"`` or ``"shift"``."""

    experiment: str
    check: str | None
    kind: str
    detail: str

    def __str__(self) -> str:
        where = self.experiment if self.check is None else f"{self.experiment}: {self.check}"
        return f"{where}: {self.detail}"

    def to_dict(self) -> dict[str, Any]:
        return {"experiment": self.experiment, "check": self.check, "kind": self.kind, "detail": self.detail}


@dataclass(frozen=True)
class Comparison:
    """Run B compared with run A (see the module's docstring and docs/compare.md)."""

    run_a: str
    run_b: str
    threshold: float
    threshold_rule: str  # "bonferroni" (the default) or "given"
    experiments: list[ExperimentComparison]
    only_in_a: list[str]
    only_in_b: list[str]
    settings: list[SettingDiff]
    n_results_a: int
    n_results_b: int

    # counts ---------------------------------------------------------------------------------------
    @property
    def checks(self) -> list[CheckComparison]:
        return [c for e in self.experiments for c in e.checks]

    @property
    def n_pulls(self) -> int:
        """Checks in both runs with an error bar (a finite pull): the N of the threshold."""
        return sum(math.isfinite(c.pull) for c in self.checks)

    @property
    def n_tolerance(self) -> int:
        """Checks in both runs without error bars, judged against their tolerance."""
        return sum(math.isfinite(c.tolerance_units) for c in self.checks)

    @property
    def expected_false_flags(self) -> float:
        """Expected number of pulls beyond the threshold if nothing changed (normal pulls)."""
        return self.n_pulls * _two_sided(self.threshold)

    @property
    def regressions(self) -> list[Regression]:
        """Experiments that went from reproduced to not, checks that went from passed to
        failed, and shifts beyond the threshold, in experiment order."""
        out = []
        for e in self.experiments:
            if e.regressed:
                last = f": {e.error_b}" if e.error_b else ""
                out.append(Regression(e.name, None, "verdict", f"{e.verdict_a} → {e.verdict_b}{last}"))
            for c in e.checks:
                if c.failed_now:
                    out.append(Regression(e.name, c.name, "check failed", "passed → failed"))
                if c.flagged:
                    out.append(Regression(e.name, c.name, "shift", _shift_text(c)))
        return out

    @property
    def exit_code(self) -> int:
        """1 when there are regressions, else 0."""
        return 1 if self.regressions else 0

    def summary(self) -> str:
        """One line: what was compared, the threshold and its basis, and the outcome."""
        checks = [c for c in self.checks if c.in_both]
        rule = (f"the 3σ threshold Bonferroni-corrected for {self.n_pulls} pull(s)"
                if self.threshold_rule == "bonferroni" else "as given")
        pulls = [abs(c.pull) for c in checks if math.isfinite(c.pull)]
        largest = f", the largest |pull| {max(pulls):.1f}" if pulls else ""
        verdicts = sum(e.verdict_changed for e in self.experiments)
        shifts = sum(c.flagged for c in checks)
        n_reg = len(self.regressions)
        return (
            f"{len(self.experiments)} experiment(s) in both runs, {len(checks)} check(s) compared "
            f"({self.n_pulls} with error bars: |pull| > {self.threshold:.2f}, {rule}, expects "
            f"{self.expected_false_flags:.2g} false flag(s){largest}; {self.n_tolerance} against their "
            "tolerance); "
            f"{verdicts} verdict(s) changed, {shifts} shift(s) flagged: "
            + (f"{n_reg} regression(s)" if n_reg else "no regression")
        )

    # output -----------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "run_a": self.run_a,
            "run_b": self.run_b,
            "threshold": self.threshold,
            "threshold_rule": self.threshold_rule,
            "n_results_a": self.n_results_a,
            "n_results_b": self.n_results_b,
            "n_checks": sum(c.in_both for c in self.checks),
            "n_pulls": self.n_pulls,
            "n_tolerance": self.n_tolerance,
            "expected_false_flags": self.expected_false_flags,
            "settings": [s.to_dict() for s in self.settings],
            "only_in_a": list(self.only_in_a),
            "only_in_b": list(self.only_in_b),
            "regressions": [r.to_dict() for r in self.regressions],
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "experiments": [e.to_dict() for e in self.experiments],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        """A compact table for the terminal: changed verdicts and flagged shifts first, then the
        settings that differ, experiments in one run only, and the summary line."""
        lines = [f"A: {self.run_a} ({self.n_results_a} experiment(s))",
                 f"B: {self.run_b} ({self.n_results_b} experiment(s))"]
        rows = [("experiment", "check", "A", "B", "pull", "change")]
        for e in self.experiments:
            if e.verdict_changed:
                rows.append((e.name, "(verdict)", e.verdict_a, e.verdict_b, "",
                             "REGRESSION" if e.regressed else "changed"))
            for c in e.checks:
                if c.in_both and (c.verdict_change or c.flagged):
                    change = []
                    if c.verdict_change:
                        change.append("passed → FAILED" if c.failed_now else c.verdict_change)
                    if c.flagged:
                        change.append("SHIFT")
                    rows.append((e.name, c.name, _measured(c.a), _measured(c.b), _scale_text(c),
                                 ", ".join(change)))
        if len(rows) > 1:
            widths = [min(max(len(r[i]) for r in rows), 40) for i in range(6)]
            for row in rows:
                cells = [_clip(cell, w).ljust(w) for cell, w in zip(row, widths, strict=True)]
                lines.append(("  " + "  ".join(cells)).rstrip())
        else:
            lines.append("  no verdict changed and no shift was flagged")
        if self.settings:
            lines.append("settings that differ (A → B):")
            width = max(len(s.key) for s in self.settings)
            for s in self.settings:
                lines.append(f"  {s.key.ljust(width)}  {_setting(s.a)} → {_setting(s.b)}")
        per_experiment = [(e.name, s) for e in self.experiments for s in _own_settings(e, self.settings)]
        if per_experiment:
            lines.append("experiment settings that differ (A → B):")
            for name, s in per_experiment:
                lines.append(f"  {name}: {s.key} {_setting(s.a)} → {_setting(s.b)}")
        if self.only_in_a:
            lines.append(f"only in A: {', '.join(self.only_in_a)}")
        if self.only_in_b:
            lines.append(f"only in B: {', '.join(self.only_in_b)}")
        lines.append(self.summary())
        return "\n".join(lines)

    def to_html(self) -> str:
        """The comparison as one self-contained HTML page (compare.html.j2)."""
        return lab_template("compare.html.j2").render(
            c=self,
            regressions=self.regressions,
            version=__version__,
            generated=_dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            measured=_measured,
            expected=lambda check: "" if check is None else format_expected(check),
            number=format_number,
            scale=_scale_text,
            setting=_setting,
            own_settings=lambda e: _own_settings(e, self.settings),
        )

    def write(self, directory: str | Path) -> tuple[Path, Path]:
        """Write ``directory/compare.html`` and ``directory/compare.json`` (atomically)."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        html = atomic_write_text(directory / "compare.html", self.to_html())
        data = atomic_write_text(directory / "compare.json", self.to_json())
        return html, data


# formatting helpers ----------------------------------------------------------------------------------
def _measured(check: Check | None) -> str:
    return "—" if check is None else format_measurement(check.measured, check.uncertainty)


def _scale_text(c: CheckComparison) -> str:
    if math.isfinite(c.pull):
        return f"{c.pull:+.1f}σ"
    if math.isfinite(c.tolerance_units):
        return f"{c.tolerance_units:+.2g} tol"
    if c.in_both and c.difference != 0 and not math.isnan(c.difference):
        return f"Δ {format_number(c.difference)}"
    return ""


def _shift_text(c: CheckComparison) -> str:
    a, b = _measured(c.a), _measured(c.b)
    if math.isfinite(c.pull):
        return f"shifted {a} → {b}, pull {c.pull:+.1f}σ"
    return f"shifted {a} → {b}, {abs(c.tolerance_units):.2g} tolerance(s)"


def _setting(value: Any) -> str:
    return "not recorded" if value is None else format_value(value)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _own_settings(e: ExperimentComparison, run_level: list[SettingDiff]) -> list[SettingDiff]:
    """An experiment's differing settings, less those the runs as a whole already show."""
    def key(s: SettingDiff) -> str:
        return json.dumps(s.to_dict(), sort_keys=True)

    shown = {key(s) for s in run_level}
    return [s for s in e.settings if key(s) not in shown]


# the comparison ---------------------------------------------------------------------------------------
def _settings(r: Result) -> dict[str, Any]:
    """The settings of one result as flat ``{key: value}``; a missing key was not recorded."""
    pv = r.provenance or {}
    out: dict[str, Any] = {"preset": r.preset, "seed": r.seed}
    for key, value in sorted(r.params.items()):
        out[f"params.{key}"] = value
    out["physml"] = pv.get("physml", r.versions.get("physml"))
    git = pv.get("git") if pv else None
    if isinstance(git, dict) and git.get("revision"):
        dirty = " (uncommitted changes)" if git.get("dirty") else ""
        out["git revision"] = str(git["revision"])[:12] + dirty
    elif pv:
        out["git revision"] = "not a git checkout"
    else:
        out["git revision"] = None
    out["python"] = pv.get("python", r.versions.get("python"))
    out["platform"] = pv.get("platform", r.versions.get("platform"))
    cpu = pv.get("cpu") if isinstance(pv.get("cpu"), dict) else {}
    out["cpu model"] = cpu.get("model")
    vector = cpu.get("vector")
    out["cpu vector"] = (", ".join(vector) or "none") if isinstance(vector, list) else None
    out["cpu cores"] = cpu.get("cores")
    executor = pv.get("executor")
    if isinstance(executor, dict):
        out["executor"] = f"{executor.get('kind')} with {executor.get('workers')} worker(s)"
    else:
        out["executor"] = None
    for key, value in sorted((pv.get("threads") or {}).items()):
        out[f"threads.{key}"] = value
    for key, value in sorted(r.versions.items()):
        if key not in ("python", "platform", "physml"):
            out[f"versions.{key}"] = value
    return out


def _comparable(key: str) -> bool:
    """Keys compared even when one side lacks them: a parameter added or removed, or a thread
    variable set in one run only. Library versions and torch's pool are recorded only where the
    library was loaded, which depends on what ran before in the same process."""
    return key.startswith("params.") or (key.startswith("threads.") and key != "threads.torch")


def _diff(a: dict[str, Any], b: dict[str, Any]) -> list[SettingDiff]:
    out = []
    for key in list(dict.fromkeys([*a, *b])):
        if key not in a or key not in b:
            if _comparable(key):
                out.append(SettingDiff(key, a.get(key), b.get(key)))
            continue
        if a[key] != b[key]:
            out.append(SettingDiff(key, a[key], b[key]))
    return out


def _run_settings(results: list[Result]) -> dict[str, Any]:
    """Settings shared by a run: one value where all its results agree, else all its values."""
    values: dict[str, list[Any]] = {}
    for r in results:
        for key, value in _settings(r).items():
            if key in _RUN_KEYS or key.startswith(("threads.", "versions.")):
                seen = values.setdefault(key, [])
                if value not in seen:
                    seen.append(value)
    return {k: v[0] if len(v) == 1 else {"mixed": v} for k, v in values.items()}


def _load(run: str | Path | Sequence[Result], label: str) -> tuple[str, list[Result]]:
    if isinstance(run, (str, Path)):
        path = Path(run)
        if not path.is_dir():
            raise LabError(f"{label} {path}: is not a directory")
        results = load_results(path)  # ValueError names a bad result.json
        if not results:
            raise LabError(f"{label} {path}: holds no */result.json; run 'physml run' or 'physml lab' first")
        return str(path), results
    results = list(run)
    if not all(isinstance(r, Result) for r in results):
        raise TypeError(f"{label} must be a run directory or a sequence of Result")
    return label, sorted(results, key=lambda r: r.name)


def _last_line(error: str | None) -> str | None:
    if not error:
        return None
    lines = error.strip().splitlines()
    return lines[-1] if lines else None


def _raw(a: Check, b: Check) -> tuple[float, float, float, float]:
    """(difference, combined σ, pull, difference in tolerances)."""
    difference = b.measured - a.measured
    sigma = math.hypot(a.uncertainty, b.uncertainty)
    pull = tol_units = math.nan
    if sigma > 0:
        pull = difference / sigma
    else:
        tolerance = max(a.tolerance, b.tolerance)
        if tolerance > 0:
            tol_units = difference / tolerance
    if math.isnan(difference):
        pull = tol_units = math.nan
    return difference, sigma, pull, tol_units


def compare_runs(
    run_a: str | Path | Sequence[Result],
    run_b: str | Path | Sequence[Result],
    *,
    threshold: float | None = None,
) -> Comparison:
    """Compare run B with run A, experiment by experiment and check by check.

    Parameters
    ----------
    run_a, run_b : path or sequence of Result
        Run directories (as written by ``physml run``/``physml lab``) or their results.
    threshold : float, optional
        Flag a check whose |pull| exceeds it. Default: the 3σ threshold Bonferroni-corrected for
        the number of pulls compared (:func:`default_threshold`), so that two runs of the same code
        raise a false flag no more often than a single 3σ fluctuation.

    Returns
    -------
    Comparison
        With ``regressions``, ``exit_code``, ``to_dict()``, ``to_text()`` and ``to_html()``.
    """
    if threshold is not None:
        threshold = float(threshold)
        if not (math.isfinite(threshold) and threshold > 0):
            raise ValueError(f"threshold must be a finite number > 0, got {threshold}")
    name_a, results_a = _load(run_a, "run A")
    name_b, results_b = _load(run_b, "run B")
    by_a = {r.name: r for r in results_a}
    by_b = {r.name: r for r in results_b}
    common = [n for n in sorted(by_a) if n in by_b]

    raw: dict[tuple[str, str], tuple[float, float, float, float]] = {}
    for name in common:
        checks_b = {c.name: c for c in by_b[name].checks}
        for ca in by_a[name].checks:
            if ca.name in checks_b:
                raw[(name, ca.name)] = _raw(ca, checks_b[ca.name])
    n_pulls = sum(math.isfinite(v[2]) for v in raw.values())
    rule = "bonferroni" if threshold is None else "given"
    z = default_threshold(n_pulls) if threshold is None else threshold

    experiments = []
    for name in common:
        ra, rb = by_a[name], by_b[name]
        checks_a = {c.name: c for c in ra.checks}
        checks_b = {c.name: c for c in rb.checks}
        rows = []
        for check_name in dict.fromkeys([*checks_a, *checks_b]):
            ca, cb = checks_a.get(check_name), checks_b.get(check_name)
            if ca is None or cb is None:
                rows.append(CheckComparison(name, check_name, ca, cb))
                continue
            difference, sigma, pull, tol_units = raw[(name, check_name)]
            flagged = abs(pull) > z if not math.isnan(pull) else abs(tol_units) > 1
            rows.append(CheckComparison(name, check_name, ca, cb, difference, sigma, pull, tol_units,
                                        bool(flagged)))
        rows.sort(key=lambda c: not c.in_both)  # stable: both runs first, then one run only
        experiments.append(ExperimentComparison(
            name=name,
            claim=rb.claim,
            verdict_a=ra.verdict,
            verdict_b=rb.verdict,
            checks=rows,
            settings=_diff(_settings(ra), _settings(rb)),
            error_a=_last_line(ra.error),
            error_b=_last_line(rb.error),
        ))
    return Comparison(
        run_a=name_a,
        run_b=name_b,
        threshold=z,
        threshold_rule=rule,
        experiments=experiments,
        only_in_a=[n for n in sorted(by_a) if n not in by_b],
        only_in_b=[n for n in sorted(by_b) if n not in by_a],
        settings=_diff(_run_settings(results_a), _run_settings(results_b)),
        n_results_a=len(results_a),
        n_results_b=len(results_b),
    )
