"""Helpers shared by the data generators."""

from __future__ import annotations

import numpy as np

from physml._core import as_generator

__all__ = ["Seed", "rng_from"]

Seed = int | np.random.Generator


def rng_from(seed: Seed) -> np.random.Generator:
    """:func:`physml._core.as_generator` under the name the generators use."""
    return as_generator(seed)
