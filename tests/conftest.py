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


@pytest.fixture
def one_torch_thread():
    """Run a test with one torch thread: tiny tensors on a busy 2-core machine stall when the
    intra-op pool oversubscribes it.  Opt in with ``pytestmark = pytest.mark.usefixtures(...)``."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def one_blas_thread():
    """Run a test with one BLAS/OpenMP thread (numpy, scikit-learn) for the same reason."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        yield
