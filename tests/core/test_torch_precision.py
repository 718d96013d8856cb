"""What the machine offers torch: the CPU's vector kernels and bfloat16 units, and its memory."""

import os

import pytest

from physml._core import _torch

AVX2_ONLY = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B12
flags\t\t: fpu sse sse2 avx avx2 fma bmi2
"""
SAPPHIRE_RAPIDS = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: avx2 avx512f avx512_bf16 amx_bf16 amx_tile
"""
ARM_BF16 = """processor\t: 0
Features\t: fp asimd sve bf16 i8mm
"""


@pytest.fixture
def cpuinfo(monkeypatch):
    def use(text):
        monkeypatch.setattr(_torch, "_read_cpuinfo", lambda: text)
        _torch.cpu_capability.cache_clear()
        return _torch.cpu_capability()

    yield use
    _torch.cpu_capability.cache_clear()


@pytest.mark.parametrize(
    ("text", "model", "bf16"),
    [
        (AVX2_ONLY, "AMD EPYC 7B12", False),
        (SAPPHIRE_RAPIDS, "Intel(R) Xeon(R) Platinum 8480+", True),
        (ARM_BF16, None, True),
        ("", None, None),  # no /proc/cpuinfo (macOS, Windows): unknown
    ],
)
def test_cpu_capability_reads_the_bfloat16_flags(cpuinfo, text, model, bf16):
    import torch

    cap = cpuinfo(text)
    assert cap.bfloat16 is bf16
    assert cap.vector == torch.backends.cpu.get_cpu_capability()
    if model is not None:
        assert cap.model == model
    word = {True: "bfloat16 native", False: "bfloat16 emulated", None: "bfloat16 unknown"}[bf16]
    assert cap.describe() == f"{cap.model}; torch {cap.vector}; {word}"


def test_device_memory_is_the_physical_memory_and_formats_in_binary_units():
    assert _torch.device_memory_bytes("cpu") == os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert _torch.device_memory_bytes("meta") is None
    assert _torch.format_bytes(512) == "512 B"
    assert _torch.format_bytes(1536) == "1.5 KiB"
    assert _torch.format_bytes(64 * 2**30) == "64.0 GiB"
    assert _torch.format_bytes(1.6 * 2**40) == "1.6 TiB"
    assert _torch.format_bytes(3 * 2**60) == "3072.0 PiB"
