"""physml.data's public surface and import cost."""

from __future__ import annotations

import subprocess
import sys
import types

import physml.data


def test_all_is_honest():
    for name in physml.data.__all__:
        assert hasattr(physml.data, name), name
    # the names load lazily; once touched, the namespace holds exactly __all__ (the collider
    # subpackage included, as a module)
    public = {n for n in vars(physml.data) if not n.startswith("_") and n != "annotations"}
    assert set(physml.data.__all__) == public
    assert isinstance(physml.data.collider, types.ModuleType)


def test_import_is_light():
    code = (
        "import sys, physml.data; "
        "print(sorted(m for m in ('torch', 'scipy', 'sklearn', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
