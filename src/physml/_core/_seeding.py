"""Seeds: every random draw in physml comes from an explicit seed.

A run has one integer seed. Independent streams (ensemble members, sweep points,
data sets) are derived from it with :class:`numpy.random.SeedSequence`, so that
results do not depend on how work is split over processes or workers.
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np

from physml._core._validation import check_seed

__all__ = ["as_generator", "derive_seed", "spawn_seeds", "torch_generator"]


def as_generator(seed: int | np.random.Generator, name: str = "seed") -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``seed``.

    An integer seed gives a fresh PCG64 generator; a generator is returned as is,
    so that functions can be composed while sharing one stream.
    """
    seed = check_seed(seed, name)
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def spawn_seeds(seed: int, n: int) -> list[int]:
    """Derive ``n`` independent integer seeds from ``seed``.

    The i-th derived seed depends only on ``seed`` and ``i``.
    """
    seed = check_seed(seed)
    if isinstance(seed, np.random.Generator):
        raise TypeError("spawn_seeds needs an integer seed, got a Generator")
    children = np.random.SeedSequence(seed).spawn(int(n))
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]


def derive_seed(seed: int, *keys: Any) -> int:
    """Derive a seed from ``seed`` and a tuple of hashable labels (names, indices).

    Stable across processes and Python versions (no use of ``hash``).
    """
    seed = check_seed(seed)
    if isinstance(seed, np.random.Generator):
        raise TypeError("derive_seed needs an integer seed, got a Generator")
    words = [zlib.crc32(repr(k).encode()) for k in keys]
    state = np.random.SeedSequence([seed, *words]).generate_state(1, dtype=np.uint64)[0]
    return int(state >> np.uint64(1))


def torch_generator(seed: int | np.random.Generator, device: Any = "cpu") -> Any:
    """A :class:`torch.Generator` on ``device`` seeded from ``seed``.

    ``seed`` is an integer or a numpy Generator (which is advanced by one draw).
    """
    import torch

    seed = check_seed(seed)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**62))
    g = torch.Generator(device=torch.device(device))
    g.manual_seed(int(seed))
    return g
