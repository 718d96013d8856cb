"""The public API of physml 0.1.0 before the floors were laid (issue 17) still resolves.

``public_api_0.1.0.json`` lists every package's ``__all__`` as it was at the last commit before
the move (``physml.lab``'s seeding, file, progress and executor names included, which now live
in ``physml._core`` and ``physml.parallel``). A name may move between private modules, but the
import path a user wrote keeps working.
"""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest

OLD = json.loads((Path(__file__).parent / "public_api_0.1.0.json").read_text())


@pytest.mark.parametrize("package", sorted(OLD))
def test_every_old_public_name_still_resolves(package):
    module = importlib.import_module(package)
    missing = [name for name in OLD[package] if not hasattr(module, name)]
    assert not missing, f"{package} lost {missing}"
    assert set(OLD[package]) <= set(module.__all__), sorted(set(OLD[package]) - set(module.__all__))


def test_lab_re_exports_are_the_ground_floor_objects():
    import physml._core
    import physml.lab
    import physml.parallel

    for name in ("as_generator", "derive_seed", "spawn_seeds", "torch_generator", "atomic_write_bytes",
                 "atomic_write_text", "progress", "format_measurement"):
        assert getattr(physml.lab, name) is getattr(physml._core, name), name
    executors = ("Executor", "InlineExecutor", "ProcessExecutor", "DaskExecutor", "MapError", "make_executor")
    for name in executors:
        assert getattr(physml.lab, name) is getattr(physml.parallel, name), name
