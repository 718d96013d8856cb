"""Shared fixtures: temporary experiments registered for one test only."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("PHYSML_PROGRESS", "0")


@pytest.fixture
def temporary_experiments():
    """Register experiments inside a test; they are removed afterwards."""
    from physml.lab import _registry

    _registry.list_experiments()  # load the real catalogue first
    before = dict(_registry._REGISTRY)
    yield _registry.experiment
    _registry._REGISTRY.clear()
    _registry._REGISTRY.update(before)
