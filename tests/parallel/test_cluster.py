"""ClusterSpec and the --cluster options, without a batch system (see test_slurm.py for a real one)."""

from __future__ import annotations

import shutil

import pytest

from physml.cli import main
from physml.parallel import ClusterError, ClusterSpec


def test_defaults_and_job_keywords():
    spec = ClusterSpec(jobs=3, queue="short", job_extra_directives=["--qos=normal"])
    kwargs = spec.job_kwargs()
    assert kwargs["cores"] == 1 and kwargs["memory"] == "2GiB" and kwargs["walltime"] == "01:00:00"
    assert kwargs["queue"] == "short" and kwargs["job_extra_directives"] == ["--qos=normal"]
    assert "account" not in kwargs
    assert spec.describe() == "slurm: 3 job(s) x 1 core(s), 2GiB, walltime 01:00:00, queue short"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"system": "torque"}, "system must be one of"),
        ({"jobs": 0}, "jobs"),
        ({"cores": 2, "processes": 3}, "processes (3) cannot exceed cores (2)"),
        ({"memory": ""}, "memory must be a string"),
        ({"job_extra_directives": "--qos=normal"}, "list of strings"),
        ({"start_timeout": 0}, "start_timeout"),
    ],
)
def test_bad_specs_are_refused(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=None) as info:
        ClusterSpec(**kwargs)
    assert message in str(info.value)


def test_a_config_file_with_tables_and_overrides(tmp_path):
    path = tmp_path / "site.toml"
    path.write_text('walltime = "02:00:00"\n[slurm]\ncores = 4\nmemory = "8GiB"\nqueue = "short"\n'
                    '[pbs]\ncores = 8\n')
    spec = ClusterSpec.from_file(path, "slurm", jobs=5, queue=None, memory="16GiB")
    got = (spec.jobs, spec.cores, spec.memory, spec.walltime, spec.queue)
    assert got == (5, 4, "16GiB", "02:00:00", "short")
    assert ClusterSpec.from_file(path, "pbs").cores == 8


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[slurm]\ncorse = 4\n", "unknown key 'corse'"),
        ("cores = [\n", "not a readable TOML"),
        ("cores = 0\n", "cores"),
    ],
)
def test_bad_config_files(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError) as info:
        ClusterSpec.from_file(path, "slurm")
    assert message in str(info.value)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "ib-binary-channel", "--quick", "--jobs", "2"], "--jobs needs --cluster SYSTEM"),
        (["run", "ib-binary-channel", "--quick", "--cluster", "slurm", "--cluster-config", "{tmp}/none.toml"],
         "--cluster-config"),
        (["run", "ib-binary-channel", "--quick", "--cluster", "slurm", "--cluster-config", "{tmp}/bad.toml"],
         "unknown key 'corse'"),
        (["run", "ib-binary-channel", "--quick", "--cluster", "torque"], "invalid choice"),
        (["run", "ib-binary-channel", "--quick", "--cluster", "slurm", "--workers", "2"], "not allowed with"),
        (["collider", "generate", "--process", "qcd", "--events", "5", "--out", "{tmp}/e.npz",
          "--walltime", "1:00"], "--walltime needs --cluster SYSTEM"),
    ],
)
def test_cluster_usage_errors_before_any_work(tmp_path, capsys, argv, message):
    (tmp_path / "bad.toml").write_text("[slurm]\ncorse = 4\n")
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    out = tmp_path / "run"
    assert main([*argv, "--out", str(out)] if argv[0] == "run" else argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()


@pytest.mark.skipif(shutil.which("bsub") is not None, reason="LSF is installed here")
def test_a_missing_submit_command_is_one_line(tmp_path, capsys):
    with pytest.raises(ClusterError, match="'bsub' is not on PATH"):
        ClusterSpec("lsf").start()
    out = tmp_path / "run"
    assert main(["run", "ib-binary-channel", "--quick", "--cluster", "lsf", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "'bsub' is not on PATH" in err and len(err.splitlines()) == 1


def test_importing_dask_jobqueue_leaves_ctrl_c_alone():
    """dask_jobqueue's runner sets SIGINT to sys.exit() (exit 0) on import; physml restores the
    handler, so Ctrl-C in a cluster run still interrupts it (exit 130, --resume)."""
    import signal

    from physml.parallel._cluster import _import_jobqueue

    before = signal.getsignal(signal.SIGINT)
    _import_jobqueue()
    assert signal.getsignal(signal.SIGINT) is before
