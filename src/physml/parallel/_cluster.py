"""Batch clusters (Slurm, PBS, SGE, LSF, HTCondor) through dask-jobqueue.

A :class:`ClusterSpec` says what to ask the batch system for: how many jobs, and per job
the cores, memory, walltime, queue (Slurm's partition), account and extra directives. It
comes from keyword arguments, from a small TOML file, or both (arguments win):

.. code-block:: toml

    # physml-cluster.toml: one table per batch system, or plain keys for the one in use
    [slurm]
    cores = 4
    memory = "8GiB"
    walltime = "02:00:00"
    queue = "short"
    account = "phys"
    job_extra_directives = ["--qos=normal"]

:meth:`ClusterSpec.start` starts the dask-jobqueue cluster; :class:`~physml.parallel.DaskExecutor`
takes a spec as ``cluster=`` and runs maps on it. The cluster keeps ``jobs`` jobs alive
(Dask's adaptive scaling with minimum = maximum = ``jobs``): a job killed by the batch
system (walltime, pre-emption, ``scancel``) is replaced, and the work its worker held is
rerun elsewhere. Nothing here is written by hand that dask-jobqueue already does.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import shutil
import signal
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any

from physml._core import check_choice, check_int, check_real

__all__ = ["BATCH_SYSTEMS", "ClusterError", "ClusterSpec"]

#: batch systems and their dask-jobqueue cluster classes
BATCH_SYSTEMS: dict[str, str] = {
    "slurm": "SLURMCluster",
    "pbs": "PBSCluster",
    "sge": "SGECluster",
    "lsf": "LSFCluster",
    "htcondor": "HTCondorCluster",
}

class ClusterError(RuntimeError):
    """The batch cluster cannot be used: its submit command is missing, dask-jobqueue is not
    installed, or no job started within the spec's ``start_timeout`` (its jobs are cancelled)."""


_KEYS = (
    "jobs",
    "cores",
    "processes",
    "memory",
    "walltime",
    "queue",
    "account",
    "job_extra_directives",
    "log_directory",
    "python",
    "interface",
    "start_timeout",
    "job_script_prologue",
)


def _import_jobqueue() -> Any:
    """dask_jobqueue, imported without its side effect on Ctrl-C: its runner module replaces the
    SIGINT handler with ``sys.exit()`` (exit code 0, no KeyboardInterrupt), which would turn an
    interrupted run into a silent success. The handler in place before the import is restored."""
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.getsignal(signal.SIGINT) if in_main else None
    try:
        return importlib.import_module("dask_jobqueue")
    except ImportError:
        raise ClusterError("cluster runs need dask-jobqueue: pip install dask-jobqueue") from None
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGINT, previous)


@dataclasses.dataclass(frozen=True)
class ClusterSpec:
    """What to ask a batch system for; see the module docstring.

    Parameters
    ----------
    system : {"slurm", "pbs", "sge", "lsf", "htcondor"}
    jobs : int
        Batch jobs to keep running (one Dask worker each unless ``processes`` > 1).
    cores : int
        Cores per job.
    processes : int
        Dask worker processes per job (each gets ``cores / processes`` threads).
    memory : str
        Memory per job, e.g. ``"4GiB"``.
    walltime : str
        Time limit per job, ``"HH:MM:SS"``.
    queue, account : str, optional
        Partition or queue, and account to charge.
    job_extra_directives : tuple of str
        Extra lines for the job script header, e.g. ``("--qos=normal",)`` for Slurm.
    log_directory : str, optional
        Where the jobs' output goes (default: the batch system's, usually the
        submission directory).
    python : str, optional
        The Python that runs the workers (default: this one, ``sys.executable``); physml
        must be importable by it on the compute nodes.
    interface : str, optional
        Network interface the scheduler and workers listen on (e.g. ``"ib0"``), when
        the default host name does not route between nodes.
    start_timeout : float
        Seconds to wait for the first job to start and its worker to connect (default 600);
        past it the jobs are cancelled and :class:`ClusterError` says the queue may be full.
    job_script_prologue : tuple of str
        Shell lines run in each job before its worker starts, e.g.
        ``("module load python/3.11", "source ~/venvs/physml/bin/activate")``.
    """

    system: str = "slurm"
    jobs: int = 1
    cores: int = 1
    processes: int = 1
    memory: str = "2GiB"
    walltime: str = "01:00:00"
    queue: str | None = None
    account: str | None = None
    job_extra_directives: tuple[str, ...] = ()
    log_directory: str | None = None
    python: str | None = None
    interface: str | None = None
    start_timeout: float = 600.0
    job_script_prologue: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_choice(self.system, "system", tuple(BATCH_SYSTEMS))
        for name in ("jobs", "cores", "processes"):
            check_int(getattr(self, name), name, low=1)
        if self.processes > self.cores:
            raise ValueError(f"processes ({self.processes}) cannot exceed cores ({self.cores}) per job")
        for name in ("memory", "walltime"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"{name} must be a string like '4GiB' or '01:00:00', got {value!r}")
        check_real(self.start_timeout, "start_timeout", low=0, low_open=True)
        for name in ("job_extra_directives", "job_script_prologue"):
            lines = getattr(self, name)
            if isinstance(lines, str) or not all(isinstance(line, str) for line in lines):
                raise TypeError(f"{name} must be a list of strings, got {lines!r}")
            object.__setattr__(self, name, tuple(lines))

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], system: str | None = None, **overrides: Any
    ) -> ClusterSpec:
        """A spec from a TOML file (see the module docstring), with ``overrides`` on top.

        The file holds either plain keys, or one table per batch system (``[slurm]``,
        ``[pbs]``, ...) of which the one for ``system`` is used (plain keys apply to all).
        Unknown keys are refused with the list of accepted ones.
        """
        path = Path(path)
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FileNotFoundError(f"{path}: no such cluster configuration file") from None
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: not a readable TOML cluster configuration ({exc})") from None
        system = system or table.get("system") or "slurm"
        settings = {k: v for k, v in table.items() if not isinstance(v, dict)}
        settings.update(table.get(system, {}))
        settings.pop("system", None)
        unknown = sorted(set(settings) - set(_KEYS))
        if unknown:
            raise ValueError(f"{path}: unknown key {unknown[0]!r}; accepted: {', '.join(_KEYS)}")
        settings.update({k: v for k, v in overrides.items() if v is not None})
        return cls(system=system, **settings)

    def job_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of the dask-jobqueue cluster class for this spec."""
        kwargs: dict[str, Any] = {
            "cores": self.cores,
            "processes": self.processes,
            "memory": self.memory,
            "walltime": self.walltime,
            "python": self.python or sys.executable,
            "job_extra_directives": list(self.job_extra_directives),
            "job_script_prologue": list(self.job_script_prologue),
        }
        for name in ("queue", "account", "log_directory", "interface"):
            value = getattr(self, name)
            if value is not None:
                kwargs[name] = value
        if self.system == "htcondor":
            kwargs.pop("queue", None)
            kwargs.pop("account", None)
            kwargs["disk"] = kwargs.get("memory")
        return kwargs

    def start(self) -> Any:
        """Start the dask-jobqueue cluster and keep ``jobs`` jobs alive; returns the cluster.

        Raises
        ------
        ClusterError
            If dask-jobqueue is not installed or the batch system's submit command (e.g.
            ``sbatch``) is missing.
        """
        jobqueue = _import_jobqueue()
        submit = {"slurm": "sbatch", "pbs": "qsub", "sge": "qsub", "lsf": "bsub", "htcondor": "condor_submit"}
        if shutil.which(submit[self.system]) is None:
            raise ClusterError(
                f"--cluster {self.system}: the submit command {submit[self.system]!r} is not on PATH; "
                "run physml on a login node of the cluster"
            )
        cluster_cls = getattr(jobqueue, BATCH_SYSTEMS[self.system])
        cluster = cluster_cls(**self.job_kwargs())
        try:
            # adaptive with minimum = maximum: a job the batch system kills is replaced
            cluster.adapt(minimum_jobs=self.jobs, maximum_jobs=self.jobs)
        except BaseException:
            cluster.close()
            raise
        return cluster

    def describe(self) -> str:
        """One line for logs and provenance, e.g. ``slurm: 4 jobs x 2 cores, 4GiB, 01:00:00``."""
        where = f", queue {self.queue}" if self.queue else ""
        return (
            f"{self.system}: {self.jobs} job(s) x {self.cores} core(s), {self.memory}, "
            f"walltime {self.walltime}{where}"
        )
