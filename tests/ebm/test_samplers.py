"""Every sampler of physml.ebm has one shape (docs/ebm.md, "Samplers"): ``init_state(...)``
gives a state object (a dataclass) and ``sample(state, n_steps, ...)`` advances it and returns
it; the sampler itself never changes, so the state of a chain is never hidden in it.

The samplers are found, not listed: every class exported by physml.ebm with an
``init_state``, ``sample`` or ``sweep`` and no ``fit`` is one, and needs an entry in ``SETUPS``
saying how to make it and its state (a new sampler fails here until it has one).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

import physml.ebm as ebm

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _samplers() -> list[type]:
    found = []
    for name in ebm.__all__:
        obj = getattr(ebm, name)
        if isinstance(obj, type) and not hasattr(obj, "fit") and any(
            hasattr(obj, m) for m in ("init_state", "sample", "sweep")
        ):
            found.append(obj)
    return found


SAMPLERS = _samplers()


def _rbm_model() -> Any:
    g = torch.Generator().manual_seed(0)
    return ebm.RBMModel(0.5 * torch.randn(3, 5, generator=g, dtype=torch.float64),
                        torch.zeros(5, dtype=torch.float64), torch.zeros(3, dtype=torch.float64))


def _rbm(sampler: Any) -> tuple[Any, Callable[[], Any], Callable[[Any], Any]]:
    model = _rbm_model()
    g = torch.Generator().manual_seed(1)
    start = torch.bernoulli(torch.full((4, 5), 0.5, dtype=torch.float64), generator=g)
    return sampler, lambda: sampler.init_state(model, start, 3), lambda s: sampler.sample(s, 2, model=model)


def _ising(sampler: Any) -> tuple[Any, Callable[[], Any], Callable[[Any], Any]]:
    return sampler, lambda: sampler.init_state(0), lambda s: sampler.sample(s, 3, 2.5)


_W = np.array([[0.0, 1.0, -0.5], [1.0, 0.0, 0.3], [-0.5, 0.3, 0.0]])

#: How to make each sampler, a state for it, and call its ``sample``.
SETUPS: dict[str, Callable[[], tuple[Any, Callable[[], Any], Callable[[Any], Any]]]] = {
    "CheckerboardSampler": lambda: _ising(ebm.CheckerboardSampler(ebm.IsingLattice(4), n_replicas=3)),
    "WolffSampler": lambda: _ising(ebm.WolffSampler(ebm.IsingLattice(4), n_replicas=2)),
    "GraphSampler": lambda: _ising(ebm.GraphSampler(ebm.IsingGraph(_W), n_replicas=2)),
    "PottsSampler": lambda: _ising(ebm.PottsSampler(ebm.PottsLattice(4), n_replicas=3)),
    "CDSampler": lambda: _rbm(ebm.CDSampler(2)),
    "PCDSampler": lambda: _rbm(ebm.PCDSampler(2, n_chains=6)),
    "ParallelTempering": lambda: _rbm(ebm.ParallelTempering(1, n_chains=6, n_temperatures=3, beta_min=0.3)),
    "BoltzmannSampler": lambda: (
        (s := ebm.BoltzmannSampler(_W, np.zeros(3), beta=0.5, n_chains=4)),
        lambda: s.init_state(1),
        lambda state: s.sample(state, 3),
    ),
    "HopfieldDynamics": lambda: (
        (d := ebm.HopfieldDynamics(_W)),
        lambda: d.init_state(2, start=np.array([[1.0, -1.0, 1.0], [-1.0, -1.0, 1.0]])),
        lambda state: d.sample(state, 3),
    ),
}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and torch.equal(a, b)
    if isinstance(a, torch.Generator):  # random streams: the same state
        return isinstance(b, torch.Generator) and torch.equal(a.get_state(), b.get_state())
    if isinstance(a, np.random.Generator):
        return isinstance(b, np.random.Generator) and _same(a.bit_generator.state, b.bit_generator.state)
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if hasattr(a, "__dict__") and not isinstance(a, type):
        return type(a) is type(b) and _same(vars(a), vars(b))
    return bool(a == b)


def test_the_samplers_are_found():
    names = {c.__name__ for c in SAMPLERS}
    assert names >= {"CheckerboardSampler", "WolffSampler", "GraphSampler", "CDSampler", "PCDSampler",
                     "ParallelTempering", "BoltzmannSampler", "HopfieldDynamics"}, names
    assert names <= set(SETUPS), f"give {sorted(names - set(SETUPS))} an entry in SETUPS"


@pytest.mark.parametrize("cls", SAMPLERS, ids=[c.__name__ for c in SAMPLERS])
def test_state_is_explicit_and_sample_leaves_the_sampler_alone(cls):
    assert callable(getattr(cls, "init_state", None)) and callable(getattr(cls, "sample", None))
    sampler, init, sample = SETUPS[cls.__name__]()
    assert type(sampler) is cls
    before = copy.deepcopy(vars(sampler))
    ids = {k: id(v) for k, v in vars(sampler).items()}
    state = init()
    assert dataclasses.is_dataclass(state) and not isinstance(state, type)
    snapshot = copy.deepcopy(state)
    assert sample(state) is state
    assert sample(state) is state
    assert not _same(vars(state), vars(snapshot)), "sample did not advance the state"
    assert _same(vars(sampler), before), f"{cls.__name__}.sample changed the sampler"
    assert {k: id(v) for k, v in vars(sampler).items()} == ids
    # the same state (copied) advanced again gives the same chains: nothing else carries them
    twin = copy.deepcopy(snapshot)
    sample(twin)
    sample(twin)
    assert _same(vars(twin), vars(state))
