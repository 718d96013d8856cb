"""Provenance in every result.json and on the report: command, code revision, CPU, threads, executor."""

from __future__ import annotations

import json
import platform
import subprocess
from pathlib import Path

import pytest

from physml.lab import Result, cpu_info, git_revision, provenance, run_experiments, write_report
from physml.parallel import InlineExecutor

ROOT = Path(__file__).resolve().parents[2]


def test_provenance_names_command_code_cpu_and_executor():
    p = provenance(command=["/usr/bin/physml", "run", "x", "--set", "a=1 2"], executor=InlineExecutor())
    assert p["command"] == "physml run x --set 'a=1 2'"
    assert p["physml"] and p["python"] == platform.python_version()
    assert p["executor"] == {"kind": "InlineExecutor", "workers": 1}
    assert p["cpu"]["cores"] >= 1 and isinstance(p["cpu"]["vector"], list) and p["cpu"]["model"]
    assert "hostname" not in p
    assert provenance(hostname=True)["hostname"] == platform.node()
    json.dumps(p)  # JSON as it stands


def test_vector_flags_come_from_the_cpu():
    text = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    info = cpu_info()
    if "avx2" in text.split():
        assert "avx2" in info["vector"]
    if " avx512f " in f" {text} ":
        assert "avx512f" in info["vector"]


def test_git_revision_of_a_checkout_and_none_outside(tmp_path):
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.returncode != 0:
        pytest.skip("not running from a git checkout")
    rev = git_revision(ROOT / "src" / "physml")
    assert rev is not None and rev["revision"] == head.stdout.strip() and isinstance(rev["dirty"], bool)
    assert git_revision(tmp_path) is None


def test_every_result_and_the_report_carry_it(tmp_path, temporary_experiments):
    @temporary_experiments("provenance-probe", claim="c", source="s", quick={}, full={})
    def probe(ctx):
        ctx.check("one", 1.0, 1.0, tolerance=0.1)

    mine = provenance(command=["physml", "run", "provenance-probe"], executor=InlineExecutor())
    (result,) = run_experiments(["provenance-probe"], tmp_path / "run", provenance=mine)
    saved = json.loads((tmp_path / "run" / "provenance-probe" / "result.json").read_text())
    assert saved["provenance"] == json.loads(json.dumps(mine)) == result.provenance
    html = write_report(tmp_path / "run").read_text()
    assert "physml run provenance-probe" in html and mine["cpu"]["model"] in html
    old = {k: v for k, v in saved.items() if k != "provenance"}  # a result of physml 0.1
    assert Result.from_dict(old).provenance == {}
