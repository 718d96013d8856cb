"""The inputs of the anomaly scores: the LHC Olympics dijet features, and the check that every
scorer applies to a feature matrix."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from physml._core import check_array
from physml.data import collider

__all__ = ["ANOMALY_FEATURES", "anomaly_features", "check_features", "check_mjj"]

#: the usual LHC Olympics inputs (CATHODE, arXiv:2109.00546): mJ1, ΔmJ = mJ1 − mJ2 (TeV), τ21 of both
ANOMALY_FEATURES: tuple[str, ...] = ("mj1", "delta_mj", "tau21_j1", "tau21_j2")


def anomaly_features(events: Mapping[str, np.ndarray]) -> np.ndarray:
    """The matrix of :data:`ANOMALY_FEATURES` from an event table, shape (n_events, 4); masses in TeV."""
    ev = collider.check_events(events, ("mjj", "mj1", "mj2", "tau21_j1", "tau21_j2"))
    mj1 = np.asarray(ev["mj1"], float) / 1000.0
    mj2 = np.asarray(ev["mj2"], float) / 1000.0
    return np.stack([mj1, mj1 - mj2, ev["tau21_j1"], ev["tau21_j2"]], axis=1).astype(float)


def check_features(X: Any, name: str, n_features: int | None = None) -> np.ndarray:
    """``X`` as a finite float matrix of at least one row (and ``n_features`` columns if given)."""
    return check_array(X, name, ndim=2, min_samples=1, dtype=np.float64, n_features=n_features)


def check_mjj(mjj: Any, n_events: int, name: str = "mjj") -> np.ndarray:
    """``mjj`` as a finite, positive float vector of one mass per event (``n_events`` of them)."""
    m = check_array(mjj, name, ndim=1, dtype=np.float64)
    if len(m) != n_events:
        raise ValueError(f"{name} has {len(m)} entries, one per event is needed ({n_events})")
    if (m <= 0).any():
        raise ValueError(f"{name} must be positive (a dijet mass), got {float(m.min()):g}")
    return m
