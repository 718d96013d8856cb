"""Event tables: the per-event features of the LHC Olympics R&D setting, as named columns.

An *event table* is a ``dict[str, numpy.ndarray]`` of equal-length 1-D columns. The dijet
features are those of the LHC Olympics 2020 R&D data set (Kasieczka et al., Rep. Prog. Phys.
84, 124201 (2021)): the invariant mass of the two leading large-radius jets and, for the
heavier (J1) and lighter (J2) of them, the jet mass and the N-subjettiness ratio
τ21 = τ2/τ1. Masses and momenta are in GeV.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["DIJET_FEATURES", "EventTable", "check_events", "concatenate_events"]

#: feature columns of a dijet event table (J1 is the heavier of the two leading jets)
DIJET_FEATURES: tuple[str, ...] = ("mjj", "mj1", "mj2", "tau21_j1", "tau21_j2")

EventTable = dict[str, np.ndarray]


def check_events(events: Mapping[str, np.ndarray], columns: tuple[str, ...] = DIJET_FEATURES) -> EventTable:
    """Validate an event table: the named ``columns`` exist, are finite 1-D and equally long.

    Raises
    ------
    ValueError
        Naming the missing columns and the ones present, or the column with bad values.
    """
    if not isinstance(events, Mapping):
        raise TypeError(f"events must be a mapping of column name to array, got {type(events).__name__}")
    missing = [c for c in columns if c not in events]
    if missing:
        raise ValueError(
            f"events lack the column(s) {', '.join(missing)}; needed: {', '.join(columns)}; "
            f"present: {', '.join(sorted(events)) or 'none'}"
        )
    out: EventTable = {}
    length = None
    for name, values in events.items():
        arr = np.asarray(values)
        if arr.ndim != 1 and name in columns:
            raise ValueError(f"column {name!r} must be 1-D, got shape {arr.shape}")
        if length is None:
            length = len(arr)
        elif len(arr) != length:
            raise ValueError(f"column {name!r} has {len(arr)} rows, others have {length}")
        if name in columns:
            if not np.issubdtype(arr.dtype, np.number):
                raise ValueError(f"column {name!r} must be numeric, got dtype {arr.dtype}")
            bad = ~np.isfinite(arr)
            if bad.any():
                raise ValueError(f"column {name!r} has {int(bad.sum())} non-finite value(s), first at row "
                                 f"{int(np.argmax(bad))}")
        out[name] = arr
    return out


def concatenate_events(tables: list[Mapping[str, np.ndarray]]) -> EventTable:
    """Stack event tables with the same columns, in order."""
    if not tables:
        raise ValueError("no event tables to concatenate")
    names = list(tables[0])
    for i, t in enumerate(tables[1:], 1):
        if sorted(t) != sorted(names):
            raise ValueError(f"table {i} has columns {sorted(t)}, table 0 has {sorted(names)}")
    return {n: np.concatenate([np.asarray(t[n]) for t in tables]) for n in names}
