"""Where a result came from: the command, the code, the machine and how the work was spread.

Measured speeds depend on the CPU (the Ising benchmark runs at 12 flips/ns with AVX-512 and 5 with
AVX2 only), and a number can only be compared with another from the same code; so every
``result.json`` records its provenance. The host name is recorded only when asked for.
"""

from __future__ import annotations

import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from physml._core import __version__

__all__ = ["cpu_info", "git_revision", "provenance"]

#: CPU flags (as /proc/cpuinfo names them) that decide which vector kernels run.
VECTOR_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16", "asimd", "sve")
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS")


def cpu_info() -> dict[str, Any]:
    """``{"model": str, "vector": [flags], "cores": int}`` from /proc/cpuinfo where it exists."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model") and value.strip():
            model = value.strip()
        elif key in ("flags", "Features") and not flags:
            flags = set(value.split())
    return {"model": model, "vector": [f for f in VECTOR_FLAGS if f in flags], "cores": os.cpu_count() or 1}


def git_revision(path: str | os.PathLike[str] | None = None) -> dict[str, Any] | None:
    """``{"revision": sha, "dirty": bool}`` of the git checkout holding ``path`` (physml's own
    source by default), or None when it is not in one (an installed wheel) or git is missing."""
    where = Path(path) if path is not None else Path(__file__).resolve().parent
    try:
        head = subprocess.run(["git", "-C", str(where), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10)
        if head.returncode != 0:
            return None
        status = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--untracked-files=no"],
                                capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return {"revision": head.stdout.strip(), "dirty": bool(status.stdout.strip())}


def provenance(
    *, command: Sequence[str] | None = None, executor: Any = None, hostname: bool = False
) -> dict[str, Any]:
    """The provenance recorded with every result.

    Parameters
    ----------
    command : sequence of str, optional
        The command line (default: this process's ``sys.argv``).
    executor : physml.parallel.Executor, optional
        Recorded as its class and number of workers.
    hostname : bool
        Record the machine's name too (off by default: a result file may be shared).
    """
    argv = list(sys.argv if command is None else command)
    if argv:
        argv[0] = Path(argv[0]).name
    threads: dict[str, Any] = {name: os.environ[name] for name in _THREAD_VARIABLES if name in os.environ}
    if "torch" in sys.modules:  # report torch's pool only where torch is in use; never import it here
        threads["torch"] = int(sys.modules["torch"].get_num_threads())
    out: dict[str, Any] = {
        "command": shlex.join(argv),
        "physml": __version__,
        "git": git_revision(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu_info(),
        "threads": threads,
        "executor": None if executor is None else {
            "kind": type(executor).__name__, "workers": int(getattr(executor, "n_workers", 1))},
    }
    spec = getattr(executor, "spec", None)
    if out["executor"] is not None and spec is not None:
        out["executor"]["cluster"] = spec.describe()  # e.g. "slurm: 4 job(s) x 2 core(s), ..."
    if hostname:
        out["hostname"] = platform.node()
    return out
