"""physml.data's public surface and import cost."""

from __future__ import annotations

import subprocess
import sys

import physml.data


def test_all_is_honest():
    for name in physml.data.__all__:
        assert hasattr(physml.data, name), name
    public = {n for n in vars(physml.data) if not n.startswith("_") and n != "annotations"}
    assert set(physml.data.__all__) == public


def test_import_is_light():
    code = (
        "import sys, physml.data; "
        "print(sorted(m for m in ('torch', 'scipy', 'sklearn', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
