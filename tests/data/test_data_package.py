"""physml.data's public surface and import cost."""

from __future__ import annotations

import subprocess
import sys
import types

import physml.data


def test_all_is_honest():
    for name in physml.data.__all__:
        assert hasattr(physml.data, name), name
    # subpackages (physml.data.collider) appear as attributes once imported; they are namespaces,
    # reached as physml.data.collider, not names exported from physml.data itself
    public = {
        n
        for n, v in vars(physml.data).items()
        if not n.startswith("_") and n != "annotations" and not isinstance(v, types.ModuleType)
    }
    assert set(physml.data.__all__) == public


def test_import_is_light():
    code = (
        "import sys, physml.data; "
        "print(sorted(m for m in ('torch', 'scipy', 'sklearn', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
