"""physml on a real batch cluster: a one-node Slurm started on this machine (issue 23).

The fixture installs and starts Slurm and munge where it can (root and apt-get, see
``_slurm.py``) and skips with the reason otherwise. The tests then run a map, a lab
experiment and a collider generation through ``--cluster slurm`` and compare them with
inline runs of the same seed, and cancel a job mid-run with ``scancel``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import _executor_tasks as tasks
import _slurm
import numpy as np
import pytest

from physml.parallel import ClusterError, ClusterSpec, DaskExecutor, MapError

pytestmark = pytest.mark.slow

#: the batch workers import the functions of the map tests from this folder
ON_PATH = (f"export PYTHONPATH={Path(__file__).parent}",)

PHYSML = [sys.executable, "-m", "physml"]


@pytest.fixture(scope="module")
def slurm():
    try:
        cluster = _slurm.start()
    except _slurm.SlurmUnavailable as exc:
        pytest.skip(f"no Slurm here: {exc}")
    before = os.environ.get("SLURM_CONF")
    os.environ["SLURM_CONF"] = str(cluster.conf)
    try:
        yield cluster
    finally:
        _slurm.stop(cluster)
        if before is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = before


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_a_map_survives_a_cancelled_job(slurm, tmp_path):
    """scancel of a running job mid-map: its work is rerun, the job replaced, nothing lost."""
    spec = ClusterSpec(jobs=2, memory="1GiB", walltime="00:10:00", log_directory=str(tmp_path),
                       job_script_prologue=ON_PATH)
    items = list(range(16))
    with DaskExecutor(cluster=spec) as executor:
        seen: list[int] = []
        cancelled: list[str] = []

        def on_result(index: int, value: int) -> None:
            seen.append(index)
            if len(seen) == 3 and not cancelled:
                running = [job for job, state in slurm.jobs() if state == "RUNNING"]
                slurm.run("scancel", running[0])
                cancelled.append(running[0])

        results = executor.map(tasks.slow_square, items, on_result=on_result)
        jobs_after = [job for job, _ in slurm.jobs()]
    assert results == [x * x for x in items]
    assert sorted(seen) == items, "an item was lost or delivered twice"
    assert cancelled and cancelled[0] not in jobs_after


def test_a_task_that_kills_its_workers_is_reported_not_retried_forever(slurm, tmp_path):
    """Item 2 kills every worker that runs it: it is reported after Dask's allowed failures,
    every other item finishes, and the killed jobs are replaced meanwhile."""
    spec = ClusterSpec(jobs=2, memory="1GiB", walltime="00:10:00", log_directory=str(tmp_path),
                       job_script_prologue=ON_PATH, start_timeout=120)
    items = [(x, x == 2) for x in range(6)]
    start = time.monotonic()
    with DaskExecutor(cluster=spec) as executor, pytest.raises(MapError) as info:
        executor.map(tasks.die_always, items)
    assert sorted(info.value.failures) == [2]
    assert [r for i, r in enumerate(info.value.results) if i != 2] == [x * x for x in range(6) if x != 2]
    assert time.monotonic() - start < 300


def test_jobs_that_never_start_time_out_and_are_cancelled(slurm, tmp_path):
    """A queue that never starts the jobs (here: held until an hour from now): a clear error
    after the start timeout, and no job left behind."""
    spec = ClusterSpec(jobs=2, memory="1GiB", walltime="00:10:00", log_directory=str(tmp_path),
                       job_extra_directives=["--begin=now+3600"], start_timeout=8)
    with pytest.raises(ClusterError, match="no batch job started within 8 s"):
        DaskExecutor(cluster=spec)
    _wait_for(lambda: not slurm.jobs(), 30, "the pending jobs to be cancelled")


def _checks(run_dir: Path, name: str) -> dict[str, float]:
    result = json.loads((run_dir / name / "result.json").read_text())
    return {c["name"]: c["measured"] for c in result["checks"]}


EXPERIMENT = "hopfield-capacity"


def test_lab_run_on_slurm_equals_inline(slurm, tmp_path):
    inline, batch = tmp_path / "inline", tmp_path / "batch"
    subprocess.run([*PHYSML, "run", EXPERIMENT, "--quick", "--out", str(inline)], check=True, cwd=tmp_path,
                   capture_output=True)
    done = subprocess.run(
        [*PHYSML, "run", EXPERIMENT, "--quick", "--out", str(batch), "--cluster", "slurm", "--jobs", "2",
         "--job-memory", "1GiB", "--walltime", "00:10:00", "--cluster-logs", str(tmp_path / "logs")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert _checks(batch, EXPERIMENT) == _checks(inline, EXPERIMENT)
    provenance = json.loads((batch / EXPERIMENT / "result.json").read_text())["provenance"]
    assert "slurm" in json.dumps(provenance)


def test_scancel_and_interrupt_then_resume(slurm, tmp_path):
    """The batch job is cancelled and the driver interrupted mid-run; --resume finishes it
    with the same numbers as an uninterrupted inline run, keeping the cached items."""
    inline, batch = tmp_path / "inline", tmp_path / "batch"
    longer = ["--set", "n_trials=1500"]  # about 1 s per map item: time to interrupt it mid-run
    reference = subprocess.run([*PHYSML, "run", EXPERIMENT, "--quick", *longer, "--out", str(inline)],
                               cwd=tmp_path, capture_output=True)
    assert reference.returncode in (0, 1), reference.stderr  # the verdict may differ off the preset
    argv = [*PHYSML, "run", EXPERIMENT, "--quick", *longer, "--out", str(batch), "--cluster", "slurm",
            "--jobs", "1", "--job-memory", "1GiB", "--walltime", "00:10:00",
            "--cluster-logs", str(tmp_path / "logs")]
    driver = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cache = batch / f".{EXPERIMENT}.partial" / "cache"
    try:
        _wait_for(lambda: cache.is_dir() and len(list(cache.iterdir())) >= 2, 300, "two cached items")
        assert driver.poll() is None, "the run finished before it could be interrupted"
        for job, _ in slurm.jobs():
            slurm.run("scancel", job)
        driver.send_signal(signal.SIGINT)
        _, err = driver.communicate(timeout=120)
    finally:
        if driver.poll() is None:
            driver.kill()
    assert driver.returncode == 130, err[-2000:]
    assert "--resume" in err
    assert len(list(cache.iterdir())) >= 2, "the cached items were lost"
    assert not (batch / EXPERIMENT).exists()
    done = subprocess.run([*argv, "--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert done.returncode == reference.returncode, done.stderr[-2000:]
    assert _checks(batch, EXPERIMENT) == _checks(inline, EXPERIMENT)
    _wait_for(lambda: not slurm.jobs(), 60, "the jobs to end after the run")


def test_collider_generate_on_slurm_equals_inline(slurm, tmp_path):
    pytest.importorskip("pythia8mc")
    common = ["collider", "generate", "--process", "qcd", "--events", "40", "--chunk-size", "10",
              "--seed", "3"]
    inline, batch = tmp_path / "inline.npz", tmp_path / "batch.npz"
    subprocess.run([*PHYSML, *common, "--out", str(inline)], check=True, cwd=tmp_path, capture_output=True)
    done = subprocess.run(
        [*PHYSML, *common, "--out", str(batch), "--cluster", "slurm", "--jobs", "2", "--job-memory", "1GiB",
         "--walltime", "00:10:00", "--cluster-logs", str(tmp_path / "logs")],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(inline) as a, np.load(batch) as b:
        assert sorted(a.files) == sorted(b.files)
        for key in a.files:
            np.testing.assert_array_equal(a[key], b[key], err_msg=key)
