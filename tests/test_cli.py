"""The command line, run as a user runs it (a subprocess) where exit codes and output matter."""

import json
import os
import re
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
        (["lab", "--only", "zzz-nothing*"], "--only: no experiment matches the pattern 'zzz-nothing*'; "
                                            "the experiments are: adversarial-fashion,"),
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
    printed, err = capsys.readouterr()
    assert re.search(r"^\[1/1\] layer-example: reproduced in \d+\.\d s \(elapsed 0:\d\d\)$", err, re.M), err
    assert "layer-example" in printed and "reproduced" in printed and "report:" in printed
    assert json.loads((out / "layer-example" / "result.json").read_text())["verdict"] == "reproduced"
    assert main(["run", "layer-example", "--quick", "--out", str(out), "--resume"]) == 0
    assert "[1/1] layer-example: kept finished result" in capsys.readouterr().err
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


def test_only_pattern_lists_every_experiment(capsys):
    from physml import lab

    assert main(["lab", "--only", "zzz*"]) == 2
    err = capsys.readouterr().err
    assert "unknown experiment" not in err and len(err.strip().splitlines()) == 1
    assert all(e.name in err for e in lab.list_experiments())


@pytest.mark.parametrize("command", ["run", "lab"])
def test_unwritable_out_is_refused_before_any_work(command, tmp_path, capsys, monkeypatch):
    from physml import lab

    def no_work(*args, **kwargs):
        raise AssertionError("the run started although --out cannot be written")

    monkeypatch.setattr(lab, "run_experiments", no_work)
    (tmp_path / "file").write_text("x")
    names = ["layer-example"] if command == "run" else ["--only", "layer-example"]
    for out, reason in [(tmp_path / "file" / "run", "is not a directory"),
                        (tmp_path / "file", "exists and is not a directory")]:
        assert main([command, *names, "--quick", "--out", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"--out {out}" in err and reason in err, err
        assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert (tmp_path / "file").read_text() == "x"


def test_out_on_a_file_system_that_refuses_writes(capsys):
    from physml._core import unwritable_reason

    out = Path("/sys/physml-test-run")
    if unwritable_reason(out, directory=True, make_parents=True) is None:
        pytest.skip("/sys is writable here")
    assert main(["run", "layer-example", "--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: --out {out}: cannot be written: ") and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("argv", "note"),
    [
        (["run", "layer-example", "--quick"], "interrupted: finished work is kept; rerun with --resume"),
        (["lab", "--only", "layer-example", "--quick"], "rerun with --resume"),
        (["list"], "interrupted: nothing was written"),
        (["report", "."], "interrupted: nothing was written"),
    ],
)
def test_interrupt_message_fits_the_command(argv, note, tmp_path, capsys, monkeypatch):
    from physml import cli, lab

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(lab, "run_experiments", interrupted)
    monkeypatch.setitem(cli._COMMANDS, "list", interrupted)
    monkeypatch.setitem(cli._COMMANDS, "report", interrupted)
    with_out = argv[0] in ("run", "lab")
    assert main([*argv, "--out", str(tmp_path / "o")] if with_out else argv) == 130
    err = capsys.readouterr().err
    assert note in err and len(err.strip().splitlines()) == 1
    assert ("--resume" in err) == with_out


def test_tool_command_interrupt_note_comes_from_its_parser(capsys, monkeypatch):
    from physml import cli

    def interrupted(args):
        raise KeyboardInterrupt

    parser = cli.build_parser()
    notes = {}
    for action in parser._subparsers._group_actions:  # every command's parser defaults
        for name, sub in action.choices.items():
            notes[name] = sub.get_default("interrupt_note")
    assert notes["run"] == notes["lab"] == cli.RESUMABLE
    assert notes["list"] is None and notes["report"] is None
    monkeypatch.setitem(cli._COMMANDS, "list", interrupted)
    real = cli.build_parser

    def with_note():
        p = real()
        for action in p._subparsers._group_actions:
            action.choices["list"].set_defaults(interrupt_note="interrupted: half the list was kept")
        return p

    monkeypatch.setattr(cli, "build_parser", with_note)
    assert main(["list"]) == 130
    assert capsys.readouterr().err.strip() == "interrupted: half the list was kept"


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["--version"]])
def test_closed_output_pipe_exits_quietly(args):
    """The reader of standard output has gone before physml writes: no 'Broken pipe', no traceback,
    exit 141 (128 + SIGPIPE, what a C tool killed by SIGPIPE gives)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        out = subprocess.run([sys.executable, "-m", "physml", *args], stdout=write_end,
                             stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert out.stderr == ""
    assert out.returncode == 141


def test_list_into_head_is_quiet():
    physml_bin = Path(sys.executable).parent / "physml"
    if not physml_bin.exists():
        pytest.skip("no physml script next to this Python")
    out = subprocess.run(["bash", "-c", f"'{physml_bin}' list | head -1"], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0 and out.stderr == ""
    assert out.stdout.startswith("adversarial-fashion ") and out.stdout.count("\n") == 1


def test_broken_pipe_that_is_not_stdout_is_an_error(capsys, monkeypatch):
    from physml import cli

    def lost_scheduler(args):
        raise BrokenPipeError(32, "Broken pipe (the scheduler's connection)")

    monkeypatch.setitem(cli._COMMANDS, "list", lost_scheduler)
    assert main(["list"]) == 2
    assert "scheduler's connection" in capsys.readouterr().err
