import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from physml.lab import OutputDirError, ParameterError, Result, run_experiments


@pytest.fixture
def toy(temporary_experiments):
    """A toy experiment that records what it ran, with a map cached per item."""

    @temporary_experiments("tmp-toy", claim="Two plus two is four.", source="arithmetic",
                           quick=dict(n=3, target=4.0), full=dict(n=5, target=4.0))
    def toy_experiment(ctx, n, target):
        squares = ctx.map(_square, range(n))
        ctx.check("2 + 2", 2 + 2, target, tolerance=0.0)
        ctx.check("sum of squares", sum(squares), sum(i * i for i in range(n)), uncertainty=0.5,
                  tolerance=1.0)
        ctx.metric("squares", squares)
        ctx.metric("draw", float(ctx.rng("draw").random()))
        fig = ctx.new_figure()
        fig.add_subplot().plot(squares)
        ctx.figure(fig, "squares")

    @temporary_experiments("tmp-broken", claim="It raises.", source="nowhere")
    def broken(ctx):
        ctx.check("fine", 1, 1)
        raise RuntimeError("boom")

    return toy_experiment


def _square(i):
    return i * i


def test_run_writes_result_and_figure(tmp_path, toy):
    [r] = run_experiments(["tmp-toy"], tmp_path / "run", preset="quick", seed=7)
    folder = tmp_path / "run" / "tmp-toy"
    data = json.loads((folder / "result.json").read_text())
    assert data["verdict"] == "reproduced" == r.verdict
    assert data["params"] == {"n": 3, "target": 4.0}
    assert data["seed"] == 7 and data["preset"] == "quick"
    assert data["figures"] == ["squares.png"]
    assert (folder / "squares.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert {"python", "physml", "numpy"} <= set(data["versions"])
    assert data["metrics"]["squares"] == [0, 1, 4]
    assert not list((tmp_path / "run").glob(".*partial"))  # nothing half-written left


def test_same_seed_same_numbers_other_seed_other_numbers(tmp_path, toy):
    a = run_experiments(["tmp-toy"], tmp_path / "a", seed=1)[0].metrics["draw"]
    b = run_experiments(["tmp-toy"], tmp_path / "b", seed=1)[0].metrics["draw"]
    c = run_experiments(["tmp-toy"], tmp_path / "c", seed=2)[0].metrics["draw"]
    assert a == b != c


def test_failed_check_and_error_verdicts(tmp_path, toy):
    [r] = run_experiments(["tmp-toy"], tmp_path / "r", overrides={"target": "5"})
    assert r.verdict == "not reproduced"
    [e] = run_experiments(["tmp-broken"], tmp_path / "e")
    assert e.verdict == "error" and "RuntimeError: boom" in e.error
    saved = json.loads((tmp_path / "e" / "tmp-broken" / "result.json").read_text())
    assert saved["verdict"] == "error"


def test_existing_output_directory_needs_resume(tmp_path, toy):
    run_experiments(["tmp-toy"], tmp_path)
    with pytest.raises(OutputDirError, match="--resume"):
        run_experiments(["tmp-toy"], tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputDirError, match="not a directory"):
        run_experiments(["tmp-toy"], tmp_path / "file")


def test_unwritable_output_directory_is_refused_before_any_work(tmp_path, toy):
    from physml.lab import check_output_dir

    (tmp_path / "file").write_text("x")
    refused = r"^--out .*/file/run: cannot be written: .*/file is not a directory$"
    with pytest.raises(OutputDirError, match=refused):
        run_experiments(["tmp-toy"], tmp_path / "file" / "run")
    check_output_dir(tmp_path / "missing" / "parents" / "run", resume=False)  # parents are made
    assert not (tmp_path / "missing").exists()  # the check itself writes nothing


def test_progress_lines_count_time_and_estimate(tmp_path, toy, temporary_experiments):
    for name in ("tmp-one", "tmp-two"):
        temporary_experiments(name, claim="c", source="s")(lambda ctx: ctx.check("one", 1, 1))
    lines = []
    run_experiments(["tmp-one", "tmp-broken", "tmp-two"], tmp_path, echo=lines.append)
    assert lines[0] == "[1/3] tmp-one: running (quick preset)"
    first = r"\[1/3\] tmp-one: reproduced in \d+\.\d s \(elapsed \d+:\d\d, about \d+:\d\d left\)"
    assert re.fullmatch(first, lines[1]), lines[1]
    assert re.fullmatch(r"\[2/3\] tmp-broken: error in .*, about \d+:\d\d left\)", lines[3]), lines[3]
    last = r"\[3/3\] tmp-two: reproduced in \d+\.\d s \(elapsed \d+:\d\d\)"
    assert re.fullmatch(last, lines[5]), lines[5]
    kept = []
    run_experiments(["tmp-one", "tmp-two"], tmp_path, resume=True, echo=kept.append)
    assert kept == ["[1/2] tmp-one: kept finished result (reproduced)",
                    "[2/2] tmp-two: kept finished result (reproduced)"]


def test_time_left_is_the_mean_time_of_finished_experiments_times_those_to_come():
    from physml.lab._runner import _clock, _progress_note

    assert _progress_note(41.2, [2.0, 4.0], 3) == "elapsed 0:41, about 0:09 left"
    assert _progress_note(41.2, [2.0, 4.0], 0) == "elapsed 0:41"
    assert _progress_note(5.0, [], 4) == "elapsed 0:05"  # nothing finished yet: no estimate
    assert _clock(3725) == "1:02:05" and _clock(59.6) == "1:00"


def test_resume_keeps_finished_and_reruns_changed(tmp_path, toy):
    run_experiments(["tmp-toy"], tmp_path, seed=1)
    stamp = (tmp_path / "tmp-toy" / "result.json").stat().st_mtime_ns
    lines = []
    run_experiments(["tmp-toy"], tmp_path, seed=1, resume=True, echo=lines.append)
    assert (tmp_path / "tmp-toy" / "result.json").stat().st_mtime_ns == stamp
    assert "kept finished result" in lines[0]
    [r] = run_experiments(["tmp-toy"], tmp_path, seed=1, resume=True, overrides={"n": "4"})
    assert r.params["n"] == 4 and Result.load(tmp_path / "tmp-toy" / "result.json").params["n"] == 4


def test_unknown_override_for_several_experiments(tmp_path, toy):
    with pytest.raises(ParameterError, match="no selected experiment"):
        run_experiments(["tmp-toy", "layer-example"], tmp_path, overrides={"zzz": "1"})
    with pytest.raises(ParameterError):
        run_experiments(["tmp-toy"], tmp_path, overrides={"zzz": "1"})
    assert not any(tmp_path.iterdir())  # nothing written before the parameters were valid


INTERRUPTED = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from physml.lab import experiment, run_experiments

    # A job started in the background (`make test &`, nohup, some CI runners) inherits SIGINT
    # ignored, and Python then installs no KeyboardInterrupt handler: install it here.
    signal.signal(signal.SIGINT, signal.default_int_handler)

    marker = Path(sys.argv[2])
    calls = Path(sys.argv[3])

    def work(i):
        with calls.open("a") as fh:
            fh.write(f"{i} ")
        if i == 2 and not marker.exists():
            os.kill(os.getpid(), signal.SIGINT)  # interrupted in the middle of the map
        return i * 10

    @experiment("tmp-interrupted", claim="c", source="s", quick=dict(n=4), full=dict(n=4))
    def interrupted(ctx, n):
        values = ctx.map(work, range(n))
        ctx.metric("values", values)
        ctx.check("sum", sum(values), 60)

    run_experiments(["tmp-interrupted"], sys.argv[1], resume=True)
    """
)


@pytest.mark.slow
def test_interrupted_run_resumes_without_redoing_finished_items(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(INTERRUPTED)
    out, marker, calls = tmp_path / "run", tmp_path / "marker", tmp_path / "calls"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    first = subprocess.run([sys.executable, str(script), str(out), str(marker), str(calls)], env=env,
                           capture_output=True, text=True, timeout=120)
    assert first.returncode != 0 and "KeyboardInterrupt" in first.stderr
    assert not (out / "tmp-interrupted").exists()
    cached = sorted(p.name for p in (out / ".tmp-interrupted.partial" / "cache").iterdir())
    assert cached == ["map0-0.npz", "map0-1.npz"]
    assert calls.read_text().split() == ["0", "1", "2"]
    calls.unlink()
    marker.write_text("go on")
    second = subprocess.run([sys.executable, str(script), str(out), str(marker), str(calls)], env=env,
                            capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    result = Result.load(out / "tmp-interrupted" / "result.json")
    assert result.verdict == "reproduced" and result.metrics["values"] == [0, 10, 20, 30]
    assert calls.read_text().split() == ["2", "3"]  # items 0 and 1 came from the cache
    assert not (out / ".tmp-interrupted.partial").exists()
