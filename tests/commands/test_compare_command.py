"""physml compare RUN_A RUN_B, run in-process through physml.cli.main (issue 24, item 1)."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from physml._commands._common import UsageError
from physml._commands.compare import run_compare
from physml.cli import main
from physml.lab import Check, Result


def write_run(directory: Path, *checks: Check, name: str = "exp", seed: int = 0) -> Path:
    r = Result(name, "a claim", "a source", "quick", {"n": 10}, seed, checks=list(checks),
               provenance={"physml": "0.1.0", "cpu": {"model": "AMD EPYC", "vector": ["avx2"], "cores": 2}})
    (directory / name).mkdir(parents=True)
    (directory / name / "result.json").write_text(r.to_json())
    return directory


@pytest.fixture
def runs(tmp_path):
    """A reference run, an identical copy and a copy whose check moved by 10σ and still passes."""
    a = write_run(tmp_path / "a", Check("accuracy", 0.90, 0.8, 0.01, 0.0, "at_least"))
    same = write_run(tmp_path / "same", Check("accuracy", 0.90, 0.8, 0.01, 0.0, "at_least"))
    moved = write_run(tmp_path / "moved", Check("accuracy", 1.00, 0.8, 0.01, 0.0, "at_least"), seed=4)
    return a, same, moved


def test_identical_runs_exit_0(runs, capsys):
    a, same, _ = runs
    assert main(["compare", str(a), str(same)]) == 0
    out = capsys.readouterr().out
    assert "no verdict changed and no shift was flagged" in out
    assert out.strip().splitlines()[-1].endswith("no regression")


def test_a_planted_shift_exits_1_and_names_the_check(runs, capsys, tmp_path):
    a, _, moved = runs
    assert main(["compare", str(a), str(moved), "--out", str(tmp_path / "cmp")]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    [row] = [line for line in lines if "accuracy" in line]
    assert "SHIFT" in row and "+7.1σ" in row  # 0.10 / (√2 · 0.01)
    assert lines.index(row) < next(i for i, line in enumerate(lines) if "settings that differ" in line)
    assert "seed  0 → 4" in out and "1 regression(s)" in lines[-2]
    assert (tmp_path / "cmp" / "compare.html").is_file()
    data = json.loads((tmp_path / "cmp" / "compare.json").read_text())
    assert data["exit_code"] == 1 and data["regressions"][0]["check"] == "accuracy"
    assert "accuracy" in (tmp_path / "cmp" / "compare.html").read_text()
    # a looser threshold given by hand lets it pass
    assert main(["compare", str(a), str(moved), "--threshold", "8"]) == 0


def test_json_output(runs, capsys):
    a, _, moved = runs
    assert main(["compare", str(a), str(moved), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["run_a"] == str(a) and data["threshold"] == pytest.approx(3.0, abs=1e-9)
    [check] = data["experiments"][0]["checks"]
    assert check["pull"] == pytest.approx(0.1 / (0.01 * 2**0.5), rel=1e-9) and check["flagged"]


def test_run_compare_is_the_command(runs, capsys, tmp_path):
    a, same, moved = runs
    assert run_compare(a, same) == 0
    capsys.readouterr()
    assert run_compare(a, moved, out=tmp_path / "o", as_json=True, threshold=7.5) == 0  # 7.07 < 7.5
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((tmp_path / "o" / "compare.json").read_text())
    assert printed["threshold_rule"] == "given" and printed["regressions"] == []
    with pytest.raises(UsageError, match="RUN_B .*absent: no such directory"):
        run_compare(a, tmp_path / "absent")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "RUN_B {b}: no such directory"),
        ("file", "RUN_B {b}: is not a directory"),
        ("empty", "RUN_B {b}: holds no */result.json; run 'physml run' or 'physml lab' first"),
        ("broken", "is not valid JSON"),
        ("threshold", "--threshold must be a finite number > 0, got 0"),
        ("threshold-word", "--threshold must be a number, got 'big'"),
        ("out-file", "--out {out}: exists and is not a directory"),
        ("out-full", "--out {out}: directory is not empty; pass --force"),
    ],
)
def test_usage_errors_exit_2_with_one_line(case, message, runs, capsys, tmp_path):
    a = runs[0]
    b, out = tmp_path / "b", tmp_path / "out"
    args = ["compare", str(a), str(b)]
    if case == "file":
        b.write_text("x")
    elif case == "empty":
        b.mkdir()
    elif case == "broken":
        (b / "exp").mkdir(parents=True)
        (b / "exp" / "result.json").write_text("{")
    elif case != "missing":
        shutil.copytree(a, b)
    if case == "threshold":
        args += ["--threshold", "0"]
    elif case == "threshold-word":
        args += ["--threshold", "big"]
    elif case == "out-file":
        out.write_text("x")
        args += ["--out", str(out)]
    elif case == "out-full":
        out.mkdir()
        (out / "keep").write_text("x")
        args += ["--out", str(out)]
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(args) == 2
    captured = capsys.readouterr()
    assert message.format(b=b, out=out) in captured.err
    assert len(captured.err.strip().splitlines()) == 1 and "Traceback" not in captured.err
    assert captured.out == ""
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # nothing written


@pytest.mark.parametrize("case", ["missing-parent", "no-permission"])
def test_unwritable_out_is_refused_before_any_work(case, runs, capsys, tmp_path):
    a, same, _ = runs
    if case == "missing-parent":
        out = tmp_path / "no-such-dir" / "cmp"
    elif os.geteuid() == 0:  # root ignores file modes; sysfs refuses new entries even to root
        if not os.path.isdir("/sys"):
            pytest.skip("running as root and /sys is absent: no directory refuses a new one")
        out = Path("/sys") / "physml-test-compare"
    else:
        locked = tmp_path / "locked"
        locked.mkdir(mode=stat.S_IRUSR | stat.S_IXUSR)
        out = locked / "cmp"
    assert main(["compare", str(a), str(same), "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert f"--out {out}:" in captured.err and len(captured.err.strip().splitlines()) == 1
    assert captured.out == "" and not out.exists()


def test_force_writes_into_a_non_empty_directory(runs, capsys, tmp_path):
    a, same, _ = runs
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep").write_text("x")
    assert main(["compare", str(a), str(same), "--out", str(out), "--force"]) == 0
    assert {p.name for p in out.iterdir()} == {"keep", "compare.html", "compare.json"}


@pytest.mark.slow
def test_real_runs_through_the_command_line(tmp_path, capsys):
    a = tmp_path / "a"
    assert main(["run", "rl-selfplay", "--quick", "--out", str(a)]) == 0
    b = tmp_path / "b"
    shutil.copytree(a, b)
    capsys.readouterr()
    assert main(["compare", str(a), str(b)]) == 0
    assert "no regression" in capsys.readouterr().out
    path = b / "rl-selfplay" / "result.json"
    data = json.loads(path.read_text())
    data["checks"][-1]["measured"] = 0.0  # the greedy policy is no longer optimal anywhere
    data["checks"][-1]["passed"] = False
    data["verdict"] = "not reproduced"
    path.write_text(json.dumps(data))
    assert main(["compare", str(a), str(b)]) == 1
    out = capsys.readouterr().out
    assert "REGRESSION" in out and "passed → FAILED" in out
    assert data["checks"][-1]["name"][:20] in out
