"""A real single-node Slurm cluster on localhost, for the tests of ``--cluster slurm``.

:func:`start` installs the Debian packages ``slurm-wlm`` and ``munge`` when they are missing
(only as root with apt-get), starts ``munged`` as the munge user, writes a ``slurm.conf``
into a temporary folder (state and spool directories there too, one node with the machine's
CPUs), starts ``slurmctld`` and ``slurmd``, and waits for the node to be idle. :func:`stop`
cancels every job and stops the daemons it started. Where any of this is impossible,
:func:`start` raises :class:`SlurmUnavailable` with the reason, which the fixture turns into
a skip that pytest prints.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PACKAGES = ("slurm-wlm", "munge")
DAEMONS = ("/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/sbin/munged")


class SlurmUnavailable(RuntimeError):
    """Slurm cannot be started here; the message says why."""


@dataclass
class SlurmCluster:
    """A running test cluster: its config file and the daemons this process started."""

    conf: Path
    root: Path
    node: str
    cpus: int
    pids: list[int] = field(default_factory=list)
    started_munge: bool = False

    @property
    def env(self) -> dict[str, str]:
        """Environment for Slurm client commands (sbatch, squeue, scancel)."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *command: str, check: bool = True) -> str:
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=60)
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}")
        return done.stdout

    def jobs(self) -> list[tuple[str, str]]:
        """(job id, state) of the jobs the controller knows now."""
        out = self.run("squeue", "--noheader", "--format=%i %T", check=False)
        return [tuple(line.split()[:2]) for line in out.splitlines() if line.strip()]  # type: ignore[misc]


def _run(*command: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


def _install() -> None:
    if all(os.path.exists(d) for d in DAEMONS):
        return
    if os.geteuid() != 0:
        raise SlurmUnavailable("slurm-wlm and munge are not installed and installing them needs root")
    if shutil.which("apt-get") is None:
        raise SlurmUnavailable("slurm-wlm and munge are not installed and apt-get is unavailable")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        ["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-qq", *PACKAGES],
        capture_output=True, text=True, env=env, timeout=1200,
    )
    if done.returncode != 0:
        raise SlurmUnavailable(f"apt-get install {' '.join(PACKAGES)} failed: {done.stderr.strip()[-300:]}")


def _munge_works() -> bool:
    if shutil.which("munge") is None or shutil.which("unmunge") is None:
        return False
    made = subprocess.run(["munge", "-n"], capture_output=True, timeout=10)
    if made.returncode != 0:
        return False
    return subprocess.run(["unmunge"], input=made.stdout, capture_output=True, timeout=10).returncode == 0


def _start_munge() -> bool:
    """Start munged as the munge user unless one already answers; True if started here."""
    if _munge_works():
        return False
    for path in ("/run/munge", "/var/log/munge", "/var/lib/munge", "/etc/munge"):
        os.makedirs(path, exist_ok=True)
        shutil.chown(path, "munge", "munge")
    key = Path("/etc/munge/munge.key")
    if not key.exists():
        key.write_bytes(os.urandom(1024))
    shutil.chown(key, "munge", "munge")
    key.chmod(0o400)
    done = _run("runuser", "-u", "munge", "--", "/usr/sbin/munged", "--force", timeout=30)
    if done.returncode != 0:
        raise SlurmUnavailable(f"munged did not start: {done.stderr.strip()}")
    for _ in range(50):
        if _munge_works():
            return True
        time.sleep(0.1)
    raise SlurmUnavailable("munged started but munge credentials do not verify")


def _memory_mb() -> int:
    return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2**20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_conf(root: Path, node: str, cpus: int) -> Path:
    for sub in ("state", "spool", "log"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    conf = root / "slurm.conf"
    memory = max(1024, _memory_mb() - 2048)
    conf.write_text(
        "\n".join(
            [
                "ClusterName=physml-test",
                f"SlurmctldHost={node}",
                "SlurmUser=root",
                "SlurmdUser=root",
                "AuthType=auth/munge",
                "CredType=cred/munge",
                "MpiDefault=none",
                "ProctrackType=proctrack/linuxproc",
                "TaskPlugin=task/none",
                "SelectType=select/cons_tres",
                "SelectTypeParameters=CR_Core",
                "SchedulerType=sched/backfill",
                "ReturnToService=2",
                "JobCompType=jobcomp/none",
                "AccountingStorageType=accounting_storage/none",
                # free ports: no clash with a Slurm of the machine's own or a test cluster left behind
                f"SlurmctldPort={_free_port()}",
                f"SlurmdPort={_free_port()}",
                f"StateSaveLocation={root / 'state'}",
                f"SlurmdSpoolDir={root / 'spool'}",
                f"SlurmctldPidFile={root / 'slurmctld.pid'}",
                f"SlurmdPidFile={root / 'slurmd.pid'}",
                f"SlurmctldLogFile={root / 'log' / 'slurmctld.log'}",
                f"SlurmdLogFile={root / 'log' / 'slurmd.log'}",
                "SlurmctldTimeout=30",
                "SlurmdTimeout=30",
                "InactiveLimit=0",
                "KillWait=5",
                f"NodeName={node} CPUs={cpus} RealMemory={memory} State=UNKNOWN",
                "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
                "",
            ]
        )
    )
    return conf


def _stop_orphans() -> None:
    """Stop daemons of earlier test clusters whose folder is gone (a test run killed before its
    teardown): they hold ports and CPUs."""
    found = subprocess.run(["pgrep", "-f", "physml-slurm-.*/slurm.conf"], capture_output=True, text=True)
    for pid in (int(p) for p in found.stdout.split()):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        confs = [a.decode() for a in argv if a.endswith(b"/slurm.conf")]
        if confs and not Path(confs[0]).exists():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start(timeout: float = 60.0) -> SlurmCluster:
    """Start a one-node Slurm on this machine (see the module docstring)."""
    if os.geteuid() != 0:
        raise SlurmUnavailable("starting slurmctld, slurmd and munged needs root")
    _install()
    _stop_orphans()
    started_munge = _start_munge()
    node = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    root = Path(tempfile.mkdtemp(prefix="physml-slurm-"))
    root.chmod(0o755)
    conf = _write_conf(root, node, cpus)
    cluster = SlurmCluster(conf=conf, root=root, node=node, cpus=cpus, started_munge=started_munge)
    try:
        for daemon in ("/usr/sbin/slurmctld", "/usr/sbin/slurmd"):
            done = _run(daemon, "-f", str(conf), timeout=30)
            if done.returncode != 0:
                raise SlurmUnavailable(f"{daemon} did not start: {done.stderr.strip() or _log_tail(root)}")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = cluster.run("sinfo", "--noheader", "--format=%T", check=False).strip()
            if state.startswith("idle"):
                cluster.pids = _pids(root)
                return cluster
            time.sleep(0.5)
        raise SlurmUnavailable(f"the Slurm node did not become idle within {timeout:g} s: {_log_tail(root)}")
    except BaseException:
        cluster.pids = _pids(root)
        stop(cluster)
        raise


def _pids(root: Path) -> list[int]:
    pids = []
    for name in ("slurmctld.pid", "slurmd.pid"):
        try:
            pids.append(int((root / name).read_text().strip()))
        except (OSError, ValueError):
            pass
    return pids


def _log_tail(root: Path) -> str:
    lines = []
    for log in sorted((root / "log").glob("*.log")):
        lines += log.read_text(errors="replace").splitlines()[-3:]
    return " | ".join(lines)


def stop(cluster: SlurmCluster) -> None:
    """Cancel every job, stop the daemons started by :func:`start` and remove its folder."""
    cluster.run("scancel", "--full", "--user", "root", check=False) if shutil.which("scancel") else None
    # the daemons by their pid files, and any process still naming this cluster's config
    found = subprocess.run(["pgrep", "-f", str(cluster.conf)], capture_output=True, text=True)
    cluster.pids = sorted(set(cluster.pids) | {int(p) for p in found.stdout.split()} - {os.getpid()})
    for pid in cluster.pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_alive(pid) for pid in cluster.pids):
        time.sleep(0.2)
    for pid in cluster.pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    if cluster.started_munge:
        subprocess.run(["pkill", "-u", "munge", "-x", "munged"], capture_output=True)
    shutil.rmtree(cluster.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
