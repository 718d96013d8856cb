"""Collider events: Pythia 8 + FastJet generation of LHC Olympics-style dijets and of quark and
gluon jets, a fast parametric toy of the dijet features, and event tables on disk.

Pythia (``pythia8mc``) and FastJet (``fastjet``) are the optional extra ``physml[collider]``;
they are imported only by the generators, so the toy and the tables work without them.
"""

from __future__ import annotations

from physml.data.collider._events import DIJET_FEATURES, EventTable, check_events, concatenate_events
from physml.data.collider._files import (
    EVENT_SUFFIXES,
    GENERATORS,
    generate_to_file,
    read_events,
    write_events,
)
from physml.data.collider._jets import delta_phi, generalized_angularity, jet_image, nsubjettiness
from physml.data.collider._pythia import DIJET_PROCESSES, QG_FEATURES, generate_dijets, generate_qg_jets
from physml.data.collider._toy import dijet_function, dijet_toy, sample_dijet_function

__all__ = [
    "DIJET_FEATURES",
    "DIJET_PROCESSES",
    "EVENT_SUFFIXES",
    "GENERATORS",
    "QG_FEATURES",
    "EventTable",
    "check_events",
    "concatenate_events",
    "delta_phi",
    "dijet_function",
    "dijet_toy",
    "generalized_angularity",
    "generate_dijets",
    "generate_qg_jets",
    "generate_to_file",
    "jet_image",
    "nsubjettiness",
    "read_events",
    "sample_dijet_function",
    "write_events",
]
