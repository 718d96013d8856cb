"""Jets from particles with FastJet, and the dijet features of an event (the one implementation,
used by the Pythia generator and by the reader of the LHC Olympics hadron files).

Anti-kT jets of radius R from all given particles, those above 20 GeV sorted by pT; the features
of the two leading jets are those of the LHC Olympics 2020 R&D data set (Kasieczka et al., Rep.
Prog. Phys. 84, 124201 (2021)): mjj, and for the heavier (J1) and lighter (J2) of them the jet
mass and τ21 = τ2/τ1 (N-subjettiness, β = 1, exclusive-kT axes with winner-take-all
recombination; Thaler & Van Tilburg, JHEP 03 (2011) 015). FastJet (``fastjet``, the optional
extra ``physml[collider]``) is imported by the functions only.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import Any

import numpy as np

from physml._core import check_array, check_real, progress_bar
from physml.data.collider._events import EventTable
from physml.data.collider._jets import nsubjettiness

__all__ = ["DIJET_COLUMNS", "cluster_dijets"]

#: columns of one event's dijet features, in the order of :func:`_dijet_row`
DIJET_COLUMNS: tuple[str, ...] = (
    "mjj", "mj1", "mj2", "tau21_j1", "tau21_j2", "pt_j1", "pt_j2", "eta_j1", "eta_j2",
)
#: jets below this pT (GeV) are not counted
JET_PT_MIN = 20.0


def _require_fastjet() -> Any:
    try:
        import fastjet
    except ImportError:  # pragma: no cover - the collider extra is installed by make
        raise ImportError(
            "jet clustering needs FastJet (fastjet is missing): pip install 'physml[collider]'"
        ) from None
    return fastjet


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Pythia's and FastJet's banners and listings (they write to the C stdout)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _jets(particles: list[Any], fastjet: Any, jet_def: Any) -> tuple[Any, list[Any]]:
    """The jets above :data:`JET_PT_MIN` of ``particles`` (PseudoJets), hardest first, and their
    cluster sequence: keep it while the jets' constituents are used (FastJet refuses them after)."""
    cs = fastjet.ClusterSequence(particles, jet_def)
    return cs, fastjet.sorted_by_pt(cs.inclusive_jets(JET_PT_MIN))


def _constituent_arrays(jet: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    cons = jet.constituents()
    pt = np.array([c.pt() for c in cons])
    eta = np.array([c.eta() for c in cons])
    phi = np.array([c.phi_std() for c in cons])
    return pt, eta, phi


def _tau21(jet: Any, fastjet: Any, radius: float) -> float:
    cons = list(jet.constituents())
    if len(cons) < 2:
        return 0.0
    pt, eta, phi = _constituent_arrays(jet)
    wta = fastjet.JetDefinition(fastjet.kt_algorithm, radius, fastjet.WTA_pt_scheme)
    cs = fastjet.ClusterSequence(cons, wta)
    taus = []
    for n in (1, 2):
        axes = np.array([[a.eta(), a.phi_std()] for a in cs.exclusive_jets(n)])
        taus.append(nsubjettiness(pt, eta, phi, axes, radius=radius))
    return taus[1] / taus[0] if taus[0] > 0 else 0.0


def _dijet_row(jets: list[Any], fastjet: Any, radius: float) -> tuple[float, ...]:
    """:data:`DIJET_COLUMNS` of the two leading ``jets`` (at least two, hardest first)."""
    j_a, j_b = jets[0], jets[1]
    if j_b.m() > j_a.m():
        j_a, j_b = j_b, j_a
    return (
        (j_a + j_b).m(),
        j_a.m(),
        j_b.m(),
        _tau21(j_a, fastjet, radius),
        _tau21(j_b, fastjet, radius),
        j_a.pt(),
        j_b.pt(),
        j_a.eta(),
        j_b.eta(),
    )


def cluster_dijets(
    pt: np.ndarray, eta: np.ndarray, phi: np.ndarray, *, radius: float = 1.0, progress: bool = False
) -> EventTable:
    """The dijet features of events given as massless particles (pT, η, φ), one row per event.

    Each event's particles with pT > 0 (zeros are padding) are clustered with FastJet's anti-kT
    of radius ``radius``; events with fewer than two jets above 20 GeV are dropped.

    Parameters
    ----------
    pt, eta, phi : arrays, shape (n_events, n_particles)
        pT in GeV (>= 0; 0 marks an empty slot), pseudorapidity, azimuth in radians.
    radius : float
        The jet radius R (1.0 in the LHC Olympics).

    Returns
    -------
    dict
        :data:`DIJET_COLUMNS` (masses and momenta in GeV; J1 the heavier of the two leading jets)
        and ``event``, the row of each kept event in the input.
    """
    pt = check_array(pt, "pt", ndim=2)
    eta = check_array(eta, "eta", ndim=2)
    phi = check_array(phi, "phi", ndim=2)
    if not pt.shape == eta.shape == phi.shape:
        raise ValueError(f"pt, eta and phi must have one shape, got {pt.shape}, {eta.shape} and {phi.shape}")
    if np.any(pt < 0):
        row, col = (int(i) for i in np.argwhere(pt < 0)[0])
        raise ValueError(f"pt must be >= 0 GeV (0 marks an empty slot), got {pt[row, col]:g} in event {row}, "
                         f"particle {col}")
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    fastjet = _require_fastjet()
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
    px, py = pt * np.cos(phi), pt * np.sin(phi)
    pz, energy = pt * np.sinh(eta), pt * np.cosh(eta)
    rows: list[tuple[float, ...]] = []
    kept: list[int] = []
    bar = progress_bar(len(pt), desc="cluster jets", show=progress)
    with _quiet():  # FastJet's banner
        for i in range(len(pt)):
            on = pt[i] > 0
            particles = [fastjet.PseudoJet(*v) for v in zip(px[i, on], py[i, on], pz[i, on], energy[i, on],
                                                             strict=True)]
            cs, jets = _jets(particles, fastjet, jet_def)  # cs lives while the jets are read
            if len(jets) >= 2:
                rows.append(_dijet_row(jets, fastjet, radius))
                kept.append(i)
            bar.update(1)
    bar.close()
    data = np.array(rows, dtype=float).reshape(-1, len(DIJET_COLUMNS))
    table: EventTable = {name: data[:, k] for k, name in enumerate(DIJET_COLUMNS)}
    table["event"] = np.array(kept, dtype=np.int64)
    return table
