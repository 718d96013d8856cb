"""Collider events: Pythia 8 + FastJet generation of LHC Olympics-style dijets and of quark and
gluon jets, a fast parametric toy of the dijet features, and event tables on disk.

Pythia (``pythia8mc``) and FastJet (``fastjet``) are the optional extra ``physml[collider]``;
they are imported only by the generators, so the toy and the tables work without them.
"""

from __future__ import annotations

from physml.data.collider._events import DIJET_FEATURES, EventTable, check_events, concatenate_events
from physml.data.collider._toy import dijet_function, dijet_toy, sample_dijet_function

__all__ = [
    "DIJET_FEATURES",
    "EventTable",
    "check_events",
    "concatenate_events",
    "dijet_function",
    "dijet_toy",
    "sample_dijet_function",
]
