"""physml.lab.compare_runs: two runs side by side, check by check (issue 24, item 1).

The arithmetic is tested on hand-made results, whose pulls are known exactly; the whole path on two
real run directories of the quick preset (one run, copied, with regressions planted by editing a
copy's result.json).
"""

from __future__ import annotations

import json
import math
import shutil
from html.parser import HTMLParser
from pathlib import Path
from statistics import NormalDist

import pytest

from physml.lab import Check, LabError, Result, compare_runs, default_threshold, run_experiments
from physml.lab._compare import P_3SIGMA

PROVENANCE = {
    "command": "physml run x", "physml": "0.1.0", "git": {"revision": "a" * 40, "dirty": False},
    "python": "3.11.7", "platform": "Linux", "cpu": {"model": "AMD EPYC", "vector": ["avx2", "avx512f"],
                                                     "cores": 2},
    "threads": {}, "executor": {"kind": "InlineExecutor", "workers": 1},
}


def result(name="exp", checks=(), *, seed=0, params=None, provenance=None, error=None, versions=None):
    return Result(name, f"claim of {name}", "source", "quick", dict(params or {"n": 10}), seed,
                  versions=dict(versions or {"physml": "0.1.0", "numpy": "2.4.6"}),
                  provenance=json.loads(json.dumps(provenance or PROVENANCE)), checks=list(checks),
                  error=error)


def write_run(directory: Path, results) -> Path:
    for r in results:
        (directory / r.name).mkdir(parents=True)
        (directory / r.name / "result.json").write_text(r.to_json())
    return directory


def only(comparison, name):
    [c] = [c for c in comparison.checks if c.name == name]
    return c


# -- the arithmetic --------------------------------------------------------------------------------


def test_pull_is_the_difference_over_the_combined_error():
    a = [result(checks=[Check("x", 1.0, 1.0, 0.3, 5.0), Check("y", 2.0, 2.0, 0.0, 1.0)])]
    b = [result(checks=[Check("x", 1.8, 1.0, 0.4, 5.0), Check("y", 2.0, 2.0, 0.0, 1.0)])]
    c = compare_runs(a, b, threshold=3.0)
    x = only(c, "x")
    assert x.difference == pytest.approx(0.8, abs=1e-15)
    assert x.sigma == pytest.approx(0.5, abs=1e-15)  # sqrt(0.3² + 0.4²)
    assert x.pull == pytest.approx(1.6, abs=1e-14)
    assert not x.flagged and math.isnan(x.tolerance_units)
    assert c.regressions == [] and c.exit_code == 0


def test_a_shift_is_flagged_although_both_runs_pass():
    a = [result(checks=[Check("x", 1.0, 1.0, 0.1, 5.0)])]
    b = [result(checks=[Check("x", 1.5, 1.0, 0.1, 5.0)])]  # pull 0.5/0.1414 = 3.54 > 3 = z_1
    c = compare_runs(a, b)
    x = only(c, "x")
    assert x.a.passed and x.b.passed and x.verdict_change is None
    assert x.pull == pytest.approx(0.5 / math.hypot(0.1, 0.1), rel=1e-12) and x.flagged
    [r] = c.regressions
    assert (r.experiment, r.check, r.kind) == ("exp", "x", "shift") and "+3.5σ" in r.detail
    assert c.exit_code == 1
    assert not compare_runs(a, b, threshold=3.6).regressions  # a given threshold is used as it is


def test_without_error_bars_the_tolerance_is_the_scale():
    a = [result(checks=[Check("t", 0.0, 0.0, 0.0, 0.2), Check("u", 1.0, 0.0, 0.0, 0.2),
                        Check("bare", 3.0, 1.0, 0.0, 0.0, "at_least")])]
    b = [result(checks=[Check("t", 0.1, 0.0, 0.0, 0.2), Check("u", 0.75, 0.0, 0.0, 0.25),
                        Check("bare", 7.0, 1.0, 0.0, 0.0, "at_least")])]
    c = compare_runs(a, b)
    t, u, bare = only(c, "t"), only(c, "u"), only(c, "bare")
    assert math.isnan(t.pull) and t.tolerance_units == pytest.approx(0.5) and not t.flagged
    # the larger of the two tolerances: |−0.25| / 0.25 = 1 is not beyond one tolerance
    assert u.tolerance_units == pytest.approx(-1.0) and not u.flagged and u.expectation_changed
    # neither an error bar nor a tolerance: no scale, shown but never flagged
    assert math.isnan(bare.pull) and math.isnan(bare.tolerance_units) and not bare.flagged
    assert bare.difference == 4.0
    assert (c.n_pulls, c.n_tolerance) == (0, 2)
    b2 = [result(checks=[Check("t", 0.3, 0.0, 0.0, 0.2)])]
    assert only(compare_runs(a, b2), "t").flagged  # moved by 1.5 tolerances


def test_default_threshold_is_bonferroni_corrected_3_sigma():
    assert default_threshold(1) == pytest.approx(3.0, abs=1e-9)
    assert default_threshold(0) == pytest.approx(3.0, abs=1e-9)
    for n in (2, 10, 100, 1000):
        z = default_threshold(n)
        assert 2 * (1 - NormalDist().cdf(z)) == pytest.approx(P_3SIGMA / n, rel=1e-9)
    assert default_threshold(100) == pytest.approx(4.197, abs=1e-3)
    checks = [Check(f"c{i}", 1.0, 1.0, 0.1, 1.0) for i in range(100)]
    c = compare_runs([result(checks=checks)], [result(checks=checks)])
    assert c.threshold_rule == "bonferroni" and c.n_pulls == 100
    assert c.threshold == pytest.approx(default_threshold(100))
    assert c.expected_false_flags == pytest.approx(P_3SIGMA, rel=1e-9)  # 0.27 %, whatever N
    given = compare_runs([result(checks=checks)], [result(checks=checks)], threshold=3.0)
    assert given.threshold_rule == "given" and given.expected_false_flags == pytest.approx(100 * P_3SIGMA)


def test_verdict_changes_and_errors():
    ok = Check("x", 1.0, 1.0, 0.1, 0.5)
    bad = Check("x", 2.0, 1.0, 0.1, 0.5)
    a = [result("e1", [ok]), result("e2", [bad]), result("e3", [ok])]
    b = [result("e1", [bad]), result("e2", [ok]), result("e3", error="Traceback ...\nRuntimeError: boom")]
    c = compare_runs(a, b, threshold=100.0)
    kinds = [(r.experiment, r.check, r.kind) for r in c.regressions]
    assert kinds == [("e1", None, "verdict"), ("e1", "x", "check failed"), ("e3", None, "verdict")]
    e2 = next(e for e in c.experiments if e.name == "e2")
    assert e2.verdict_changed and not e2.regressed  # an improvement is a change, not a regression
    e3 = next(e for e in c.experiments if e.name == "e3")
    assert e3.verdict_b == "error" and e3.error_b == "RuntimeError: boom"
    assert "RuntimeError: boom" in str(c.regressions[-1])
    assert [(k.a is not None, k.b is not None) for k in e3.checks] == [(True, False)]


def test_settings_that_differ_are_marked():
    other = json.loads(json.dumps(PROVENANCE))
    other["cpu"] = {"model": "Intel Xeon", "vector": ["avx2"], "cores": 16}
    other["git"] = {"revision": "b" * 40, "dirty": True}
    other["executor"] = {"kind": "DaskExecutor", "workers": 4}
    other["threads"] = {"OMP_NUM_THREADS": "1"}
    check = [Check("x", 1.0, 1.0, 0.1, 1.0)]
    a = [result("e1", check), result("e2", check)]
    b = [result("e1", check, seed=3, params={"n": 20}, provenance=other,
                versions={"physml": "0.1.0", "numpy": "2.4.6", "torch": "2.13"}),
         result("e2", check, provenance=other)]
    c = compare_runs(a, b)
    run_level = {s.key: (s.a, s.b) for s in c.settings}
    assert run_level["cpu model"] == ("AMD EPYC", "Intel Xeon")
    assert run_level["cpu vector"] == ("avx2, avx512f", "avx2")
    assert run_level["git revision"] == ("a" * 12, "b" * 12 + " (uncommitted changes)")
    assert run_level["executor"] == ("InlineExecutor with 1 worker(s)", "DaskExecutor with 4 worker(s)")
    assert run_level["threads.OMP_NUM_THREADS"] == (None, "1")
    assert run_level["seed"] == (0, {"mixed": [3, 0]})
    assert "versions.torch" not in run_level  # recorded only where torch was loaded
    e1 = {s.key: (s.a, s.b) for s in c.experiments[0].settings}
    assert e1["seed"] == (0, 3) and e1["params.n"] == (10, 20)
    assert e1["cpu model"] == ("AMD EPYC", "Intel Xeon")
    assert not c.regressions  # different settings alone are no regression
    text = c.to_text()
    assert "cpu model" in text and "e1: seed 0 → 3" in text and "e1: params.n 10 → 20" in text
    # results of physml 0.1 carry no provenance: not recorded, not an error
    old = [result("e1", check)]
    old[0].provenance = {}
    assert {s.key: s.b for s in compare_runs(a[:1], old).settings}["cpu model"] is None


def test_experiments_and_checks_in_one_run_only():
    a = [result("both", [Check("x", 1, 1), Check("gone", 1, 1)]), result("old", [Check("x", 1, 1)])]
    b = [result("both", [Check("x", 1, 1), Check("new", 1, 1)]), result("added", [Check("x", 1, 1)])]
    c = compare_runs(a, b)
    assert c.only_in_a == ["old"] and c.only_in_b == ["added"]
    [e] = c.experiments
    assert [(k.name, k.in_both) for k in e.checks] == [("x", True), ("gone", False), ("new", False)]
    assert c.exit_code == 0
    assert "only in A: old" in c.to_text() and "only in B: added" in c.to_text()


def test_to_dict_is_standard_json():
    a = [result(checks=[Check("x", 1.0, 1.0, 0.1, 1.0), Check("n", float("nan"), 1.0)])]
    b = [result(checks=[Check("x", 2.0, 1.0, 0.1, 1.0), Check("n", 1.0, 1.0)])]
    c = compare_runs(a, b)
    data = json.loads(c.to_json())
    assert data["exit_code"] == 1 and data["n_pulls"] == 1 and data["run_a"] == "run A"
    [exp] = data["experiments"]
    n = next(k for k in exp["checks"] if k["name"] == "n")
    assert n["difference"] == "nan" and n["pull"] == "nan" and not n["flagged"]
    assert n["verdict_change"] == "failed → passed"
    assert [r["check"] for r in data["regressions"]] == ["x"]


def test_directories_missing_or_empty(tmp_path):
    run = write_run(tmp_path / "run", [result(checks=[Check("x", 1, 1)])])
    with pytest.raises(LabError, match="is not a directory"):
        compare_runs(tmp_path / "absent", run)
    (tmp_path / "empty").mkdir()
    with pytest.raises(LabError, match=r"run B .*empty: holds no \*/result.json"):
        compare_runs(run, tmp_path / "empty")
    with pytest.raises(ValueError, match="threshold must be a finite number > 0"):
        compare_runs(run, run, threshold=0)
    (run / "exp" / "result.json").write_text("{")
    with pytest.raises(ValueError, match="result.json is not valid JSON"):
        compare_runs(run, run)


# -- two real runs -----------------------------------------------------------------------------------

FAST = ["calibration-metric", "rl-selfplay"]  # the two fastest of the catalogue; the first has error bars


@pytest.fixture(scope="module")
def real_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "a"
    results = run_experiments(FAST, out, preset="quick")
    assert [r.verdict for r in results] == ["reproduced", "reproduced"]
    return out


def copy_run(run: Path, to: Path) -> Path:
    shutil.copytree(run, to)
    return to


def edit(run: Path, name: str, change) -> None:
    path = run / name / "result.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


class Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self.ids: set[str] = set()
        self.external: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.ids.add(attrs.get("id", ""))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []
        if tag in ("script", "link", "img", "iframe"):
            self.external.append(tag)

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


@pytest.mark.slow
def test_identical_runs_have_no_regression(real_run, tmp_path):
    b = copy_run(real_run, tmp_path / "b")
    c = compare_runs(real_run, b)
    assert c.exit_code == 0 and c.regressions == [] and c.settings == [] and not c.only_in_a
    assert [e.name for e in c.experiments] == FAST
    both = [k for k in c.checks if k.in_both]
    assert both and all(k.difference == 0 for k in both)
    assert c.n_pulls >= 1 and all(k.pull == 0 for k in both if math.isfinite(k.pull))
    assert "no regression" in c.to_text()


@pytest.mark.slow
def test_planted_regressions_are_found_and_named(real_run, tmp_path):
    b = copy_run(real_run, tmp_path / "b")
    baseline = {c.name: c for c in compare_runs(real_run, real_run).checks}
    shifted = next(k for k in baseline.values() if k.a.uncertainty > 0 and k.a.passed)

    def plant(data):
        for check in data["checks"]:
            if check["name"] == shifted.name:  # 10σ further from its bound, so it still passes
                sign = -1.0 if check["comparison"] == "at_most" else 1.0
                check["measured"] += sign * 10 * check["uncertainty"]
        data["seed"] = 7
        data["params"][next(iter(data["params"]))] = 12345
        data["provenance"]["cpu"]["model"] = "Planted CPU"

    edit(b, "calibration-metric", plant)
    c = compare_runs(real_run, b)
    moved = only(c, shifted.name)
    assert moved.b.passed and moved.verdict_change is None
    assert abs(moved.pull) == pytest.approx(10 / math.sqrt(2), rel=1e-9)  # 10σ over √2 σ
    assert [(r.check, r.kind) for r in c.regressions] == [(shifted.name, "shift")]
    assert c.exit_code == 1
    own = {s.key for s in c.experiments[0].settings}
    assert {"seed", "cpu model"} <= own and any(k.startswith("params.") for k in own)
    assert {s.key for s in c.settings} >= {"seed", "cpu model"}

    def flip(data):  # the first check of rl-selfplay fails in B
        data["checks"][0]["measured"] = 1.0
        data["checks"][0]["passed"] = False
        data["verdict"] = "not reproduced"

    edit(b, "rl-selfplay", flip)
    shutil.rmtree(b / "calibration-metric")
    c = compare_runs(real_run, b)
    first = json.loads((real_run / "rl-selfplay" / "result.json").read_text())["checks"][0]["name"]
    assert [(r.experiment, r.check, r.kind) for r in c.regressions] == [
        ("rl-selfplay", None, "verdict"), ("rl-selfplay", first, "check failed")]
    assert c.only_in_a == ["calibration-metric"] and c.only_in_b == []
    assert c.exit_code == 1


@pytest.mark.slow
def test_the_html_page_shows_the_flagged_check(real_run, tmp_path):
    b = copy_run(real_run, tmp_path / "b")
    baseline = compare_runs(real_run, real_run)
    shifted = next(k for k in baseline.checks if k.a.uncertainty > 0)

    def plant(data):
        for check in data["checks"]:
            if check["name"] == shifted.name:
                check["measured"] += 10 * check["uncertainty"]

    edit(b, shifted.experiment, plant)
    c = compare_runs(real_run, b)
    html_path, json_path = c.write(tmp_path / "out")
    html = html_path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'name="viewport"' in html
    assert "overflow-x: auto" in html and "@media (max-width: 640px)" in html  # tables fit a phone
    page = Page()
    page.feed(html)
    assert page.external == []  # self-contained
    assert {"regressions", "summary", *FAST} <= page.ids
    [row] = [r for r in page.rows if r and r[0] == shifted.name and "shift" in r]
    assert row[3] == f"{c.regressions[0].detail.split('pull ')[1]}"  # the pull column
    assert row[5:7] == ["passed", "passed"]
    assert json.loads(json_path.read_text())["regressions"][0]["check"] == shifted.name
