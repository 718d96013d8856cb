"""Torch state dicts as the plain arrays of the one model-file format, and back.

A model holding torch modules saves their ``state_dict`` through :func:`state_to_arrays` (numpy
arrays on the CPU, named ``<prefix>.<name>``) and rebuilds it with :func:`arrays_to_state`. A
tensor of a dtype numpy lacks (``bfloat16``, the float8 types) is stored as a float32 (or
complex64) copy, which holds it exactly; its torch dtype is in the returned ``dtypes``, which a
model records in its header when it needs the exact dtypes back.

The machine: :func:`cpu_capability` says which vector kernels torch runs on this CPU and whether
the CPU has bfloat16 units (without them bfloat16 matrix products are emulated, about ten
times slower than float32), and :func:`device_memory_bytes` how much memory a device has, so
that a model too big for it is refused before anything is allocated.

Torch is imported inside the functions: the ground floor loads without it.
"""

from __future__ import annotations

import functools
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from physml._core._persist import ModelFileError

__all__ = [
    "FLOAT_DTYPES",
    "CPUCapability",
    "arrays_to_state",
    "cpu_capability",
    "device_memory_bytes",
    "format_bytes",
    "state_to_arrays",
    "torch_dtype",
]

#: The floating-point dtypes (by name) that physml's torch models compute in.
FLOAT_DTYPES = ("float32", "float64")


def torch_dtype(name: str) -> Any:
    """The torch dtype called ``name`` (``"float32"`` -> ``torch.float32``)."""
    import torch

    dtype = getattr(torch, str(name), None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"{name!r} names no torch dtype")
    return dtype


def _key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def state_to_arrays(
    state_dict: Mapping[str, Any], prefix: str = ""
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """``({<prefix>.name: numpy array}, {name: torch dtype name})`` of a ``state_dict``, copied
    to the CPU (without a prefix the arrays keep the state's names)."""
    import torch

    arrays, dtypes = {}, {}
    for name, value in state_dict.items():
        t = value.detach().cpu()
        dtypes[name] = str(t.dtype).removeprefix("torch.")
        try:
            array = t.numpy()
        except TypeError:  # a dtype numpy lacks
            array = t.to(torch.complex64 if t.is_complex() else torch.float32).numpy()
        arrays[_key(prefix, name)] = array.copy()
    return arrays, dtypes


def arrays_to_state(
    arrays: Mapping[str, np.ndarray],
    dtypes: Mapping[str, str] | None = None,
    prefix: str = "",
    *,
    device: Any = None,
) -> dict[str, Any]:
    """The ``state_dict`` that :func:`state_to_arrays` stored under ``prefix``, on ``device``.

    With ``dtypes`` (as :func:`state_to_arrays` returned them) exactly those tensors, in their
    torch dtypes (a missing array is a :class:`ModelFileError`); without, every array under
    ``prefix`` in its own dtype.
    """
    import torch

    if dtypes is None:
        start = f"{prefix}." if prefix else ""
        names = {k[len(start):]: None for k in arrays if k.startswith(start)}
    else:
        names = dict(dtypes)
    out = {}
    for name, dtype in names.items():
        key = _key(prefix, name)
        if key not in arrays:
            raise ModelFileError(f"the model file lacks the array {key!r}")
        t = torch.tensor(np.asarray(arrays[key]))
        if dtype is not None:
            t = t.to(torch_dtype(dtype))
        out[name] = t if device is None else t.to(device)
    return out


# ---------------------------------------------------------------------------------------------
# the machine
# ---------------------------------------------------------------------------------------------

#: CPU flags (as /proc/cpuinfo names them) of native bfloat16 arithmetic: AVX512-BF16 and AMX-BF16
#: on x86 (Intel Cooper Lake and Sapphire Rapids on, AMD Zen 4 on), the BF16 extension on Arm.
BF16_FLAGS = ("avx512_bf16", "amx_bf16", "bf16")


class CPUCapability(NamedTuple):
    """What the CPU offers torch (see :func:`cpu_capability`)."""

    #: the CPU's name ("AMD EPYC 9654", ...), or the platform's word for it
    model: str
    #: the vector kernels torch dispatches to: "AVX512", "AVX2", "DEFAULT", "SVE256", ...
    vector: str
    #: True with bfloat16 units, False without, None where the flags cannot be read (not Linux)
    bfloat16: bool | None

    def describe(self) -> str:
        """One line for logs and benchmark headers, e.g. ``"AMD EPYC 9654; torch AVX512; bfloat16
        native"``."""
        bf16 = {True: "bfloat16 native", False: "bfloat16 emulated", None: "bfloat16 unknown"}[self.bfloat16]
        return f"{self.model}; torch {self.vector}; {bf16}"


def _read_cpuinfo() -> str:
    try:
        return Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""


@functools.cache
def cpu_capability() -> CPUCapability:
    """The CPU's name, the vector kernels torch uses on it
    (``torch.backends.cpu.get_cpu_capability()``) and whether it has bfloat16 units (the flags
    ``avx512_bf16``/``amx_bf16``, or ``bf16`` on Arm, in /proc/cpuinfo; None where there is no
    /proc/cpuinfo). Computed once per process."""
    import torch

    try:
        vector = str(torch.backends.cpu.get_cpu_capability())
    except (AttributeError, RuntimeError):  # pragma: no cover - torch < 2.0
        vector = "unknown"
    model, flags, text = platform.processor() or platform.machine() or "unknown CPU", None, _read_cpuinfo()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key in ("model name", "Model") and value.strip():
            model = value.strip()
        elif key in ("flags", "Features") and flags is None:
            flags = set(value.split())
    bf16 = None if flags is None else any(f in flags for f in BF16_FLAGS)
    return CPUCapability(model, vector, bf16)


def device_memory_bytes(device: Any = "cpu") -> int | None:
    """The memory of ``device`` in bytes: the machine's physical memory for the CPU
    (``SC_PHYS_PAGES × SC_PAGE_SIZE``), the card's total memory for a CUDA device; None where
    it cannot be read."""
    import torch

    dev = torch.device(device)
    if dev.type == "cuda":
        try:
            return int(torch.cuda.get_device_properties(dev).total_memory)
        except (RuntimeError, AssertionError, ValueError):
            return None
    if dev.type != "cpu":
        return None
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (ValueError, OSError, AttributeError):  # not POSIX
        return None


def format_bytes(n: float) -> str:
    """``n`` bytes in binary units: ``"512 B"``, ``"1.5 GiB"``, ``"5.8 TiB"``."""
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(value) < 1024 or unit == "PiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover
