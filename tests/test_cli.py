"""The command line, run as a user runs it (a subprocess) where exit codes and output matter."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from physml.cli import main


def physml(*args, cwd=None, timeout=300):
    env = dict(os.environ, PHYSML_PROGRESS="0")
    return subprocess.run([sys.executable, "-m", "physml", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=timeout)


def test_help_is_fast_and_imports_nothing_heavy():
    code = ("import sys, runpy; sys.argv=['physml','--help']\n"
            "try:\n  runpy.run_module('physml', run_name='__main__')\nexcept SystemExit: pass\n"
            "mods=('torch','matplotlib','dask','distributed','numpy','sklearn')\n"
            "heavy=[m for m in mods if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - start
    assert "HEAVY []" in out.stdout, out.stdout
    assert "run" in out.stdout and "lab" in out.stdout and "report" in out.stdout
    # generous bound for a loaded 2-core machine; typically about 0.05 s
    assert elapsed < 2.0


def test_version(capsys):
    from physml import __version__

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"physml {__version__}"


def test_list_and_json(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "layer-example" in out and "fashion-mlp" in out and "source:" in out
    assert main(["list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {d["name"] for d in data} >= {"layer-example", "fashion-mlp"}
    assert all({"name", "claim", "source", "quick", "full"} <= set(d) for d in data)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "fashion-mpl", "--quick"], "did you mean fashion-mlp"),
        (["run", "layer-example", "--set", "nonsense=1"], "has no parameter 'nonsense'"),
        (["run", "fashion-mlp", "--quick", "--set", "epochs=many"], "epochs=many: expected an integer"),
        (["run", "fashion-mlp", "--set", "epochs"], "--set expects key=value"),
        (["run", "layer-example", "--seed", "-3"], "--seed must be a non-negative integer"),
        (["run", "layer-example", "--workers", "0"], "--workers must be >= 1"),
        (["run", "layer-example", "--workers", "2", "--scheduler", "tcp://x:1"], "not allowed with"),
        (["run", "layer-example", "--quick", "--full"], "not allowed with"),
        (["run"], "required"),
        (["frobnicate"], "invalid choice"),
        (["lab", "--only", "zzz-nothing*"], "unknown experiment"),
    ],
)
def test_usage_errors_exit_2_with_one_line(args, message, capsys, tmp_path):
    with_out = args[0] in ("run", "lab") and len(args) > 1
    code = main([*args, "--out", str(tmp_path / "o")] if with_out else args)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing written


def test_usage_error_as_a_process():
    out = physml("run", "layer-example", "--set", "nonsense=1")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr


def test_existing_output_directory_without_resume(tmp_path, capsys):
    (tmp_path / "something").write_text("x")
    assert main(["run", "layer-example", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--resume" in err and len(err.strip().splitlines()) == 1


def test_run_layer_example_then_resume_then_report(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "layer-example", "--quick", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "layer-example" in printed and "reproduced" in printed and "report:" in printed
    assert json.loads((out / "layer-example" / "result.json").read_text())["verdict"] == "reproduced"
    assert main(["run", "layer-example", "--quick", "--out", str(out), "--resume"]) == 0
    assert "kept finished result" in capsys.readouterr().err
    (out / "report.html").unlink()
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").is_file()


def test_failed_check_exits_1(tmp_path, temporary_experiments):
    @temporary_experiments("tmp-cli-fail", claim="c", source="s")
    def fail(ctx):
        ctx.check("wrong", 1.0, 2.0)

    assert main(["run", "tmp-cli-fail", "--out", str(tmp_path / "r")]) == 1


def test_report_of_missing_or_empty_directory(tmp_path, capsys):
    assert main(["report", str(tmp_path / "absent")]) == 2
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is not a directory" in err and "holds no" in err


@pytest.mark.slow
def test_run_with_a_local_dask_cluster(tmp_path):
    out = physml("run", "layer-example", "--quick", "--workers", "1", "--out", str(tmp_path / "d"))
    assert out.returncode == 0, out.stderr
    assert Path(tmp_path / "d" / "layer-example" / "result.json").is_file()
