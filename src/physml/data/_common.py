"""Helpers shared by the data generators."""

from __future__ import annotations

import numpy as np

__all__ = ["Seed", "rng_from"]

Seed = int | np.random.Generator


def rng_from(seed: Seed) -> np.random.Generator:
    """:func:`physml.lab.as_generator`, imported on first use so that importing
    :mod:`physml.data` does not import the lab (and what the lab imports)."""
    from physml.lab._seeding import as_generator

    return as_generator(seed)
