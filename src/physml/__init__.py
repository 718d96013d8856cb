"""physml: machine learning the way a physicist does it.

Subpackages are imported on first use (``physml.nets`` pulls in PyTorch), so
``import physml`` and the command line stay fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from physml._core import __version__

_SUBPACKAGES = (
    "anomaly",
    "data",
    "ebm",
    "experiments",
    "flows",
    "geometry",
    "info",
    "invariance",
    "lab",
    "nets",
    "parallel",
    "rl",
    "robustness",
    "scaling",
    "stats",
    "symmetry",
    "training",
)

#: functions offered at the top level, by the package that defines them
_FUNCTIONS = {"doctor": "geometry"}

__all__ = ["__version__", *_FUNCTIONS, *_SUBPACKAGES]


def __getattr__(name: str) -> Any:
    if name in _SUBPACKAGES:
        return importlib.import_module(f"physml.{name}")
    if name in _FUNCTIONS:  # physml.doctor(X): know your data before you train on it
        return getattr(importlib.import_module(f"physml.{_FUNCTIONS[name]}"), name)
    raise AttributeError(f"module 'physml' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
