"""Collider events: Pythia 8 + FastJet generation of LHC Olympics-style dijets and of quark and
gluon jets, a fast parametric toy of the dijet features, event tables on disk (``.npz``,
``.csv``, ``.h5``, ROOT), and the jet features of the LHC Olympics 2020 hadron files.

Pythia (``pythia8mc``), FastJet (``fastjet``) and uproot are the optional extra
``physml[collider]``; they are imported only by the functions that need them, so the toy and
the tables work without them.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_clustering": (
            "DIJET_COLUMNS",
            "cluster_dijets",
        ),
        "_events": (
            "DIJET_FEATURES",
            "EventTable",
            "check_events",
            "concatenate_events",
        ),
        "_files": (
            "COLUMN_SUFFIXES",
            "EVENT_SUFFIXES",
            "GENERATORS",
            "generate_to_file",
            "lhco_features",
            "read_columns",
            "read_events",
            "write_events",
        ),
        "_jets": (
            "delta_phi",
            "generalized_angularity",
            "jet_image",
            "nsubjettiness",
        ),
        "_lhco": (
            "LHCO_HADRONS",
            "lhco_info",
            "read_lhco",
        ),
        "_pythia": (
            "DIJET_PROCESSES",
            "QG_FEATURES",
            "generate_dijets",
            "generate_qg_jets",
        ),
        "_toy": (
            "dijet_function",
            "dijet_toy",
            "sample_dijet_function",
        ),
        "_toyjets": (
            "ToyShower",
            "toy_shower",
        ),
    },
)
