"""Event generation with Pythia 8 and jet clustering with FastJet.

Two samples, pp with multiparton interactions and hadronisation on:

- :func:`generate_dijets`: the LHC Olympics 2020 R&D setting at 13 TeV. Background: QCD 2 → 2
  (``HardQCD:all``) above a pT-hat cut. Signal: a heavy vector resonance decaying to two
  lighter bosons that decay to quarks, generated as Pythia's W' → W Z with the W and Z masses
  reset to m_X and m_Y and their decays forced to light quarks (the challenge used neutral X
  and Y; the charges do not enter the jet features). Anti-kT R = 1.0 jets from all visible
  final-state particles; events need a jet with pT > 1.2 TeV and |η| < 2.5 and two jets; the
  features are mjj of the two leading jets and, for the heavier (J1) and lighter (J2), the
  jet mass and τ21 = τ2/τ1 (N-subjettiness, β = 1, exclusive-kT axes with
  winner-take-all recombination).
- :func:`generate_qg_jets`: Z(→ νν) + jet at 14 TeV, quark-initiated (q g → Z q) and
  gluon-initiated (q q̄ → Z g); the leading anti-kT R = 0.4 jet with 500 < pT < 550 GeV and
  |y| < 1.7; jet images and engineered features.

Pythia (``pythia8mc``) and FastJet (``fastjet``) are imported here only, by the functions.
Every event comes from the explicit seed (Pythia's ``Random:seed``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml._core import check_choice, check_int, check_real, derive_seed, progress_bar
from physml.data.collider._clustering import DIJET_COLUMNS, _constituent_arrays, _dijet_row, _jets, _quiet
from physml.data.collider._events import EventTable
from physml.data.collider._jets import generalized_angularity, jet_image

__all__ = ["DIJET_PROCESSES", "QG_FEATURES", "generate_dijets", "generate_qg_jets"]

DIJET_PROCESSES = ("qcd", "signal")
#: engineered quark/gluon features of :func:`generate_qg_jets`
QG_FEATURES = ("pt", "mass", "multiplicity", "width", "lha", "ptd2", "mass_angularity")
_PYTHIA_SEED_MAX = 900_000_000


def _require() -> tuple[Any, Any]:
    try:
        import fastjet
        import pythia8mc
    except ImportError as exc:  # pragma: no cover - the collider extra is installed by make
        raise ImportError(
            f"collider event generation needs Pythia 8 and FastJet ({exc.name} is missing): "
            "pip install 'physml[collider]' (pythia8mc==8.317.2, fastjet)"
        ) from None
    return pythia8mc, fastjet


def _pythia(settings: list[str], seed: int) -> Any:
    pythia8, _ = _require()
    with _quiet():
        p = pythia8.Pythia("", False)
        for line in [
            *settings,
            "Next:numberCount = 0",
            "Random:setSeed = on",
            f"Random:seed = {seed % _PYTHIA_SEED_MAX + 1}",
        ]:
            if not p.readString(line):
                raise RuntimeError(f"Pythia rejected the setting {line!r}")
        if not p.init():
            raise RuntimeError(f"Pythia failed to initialise with {settings}")
    return p


def _visible(p: Any, fastjet: Any) -> list[Any]:
    return [
        fastjet.PseudoJet(q.px(), q.py(), q.pz(), q.e())
        for q in p.event
        if q.isFinal() and q.isVisible()
    ]


def _dijet_settings(
    process: str, sqrt_s: float, pt_hat_min: float, m_resonance: float, m_x: float, m_y: float, bias: bool
) -> list[str]:
    common = [f"Beams:eCM = {sqrt_s}"]
    if process == "qcd":
        out = [*common, "HardQCD:all = on", f"PhaseSpace:pTHatMin = {pt_hat_min}"]
        if bias:
            out += [
                "PhaseSpace:bias2Selection = on",
                "PhaseSpace:bias2SelectionPow = 4.",
                f"PhaseSpace:bias2SelectionRef = {pt_hat_min}",
            ]
        return out
    return [
        *common,
        "NewGaugeBoson:ffbar2Wprime = on",
        "Wprime:coup2WZ = 1.",
        f"34:m0 = {m_resonance}",
        "34:onMode = off",
        "34:onIfMatch = 24 23",
        f"24:m0 = {m_x}",
        "24:onMode = off",
        "24:onIfAny = 1 2 3 4",
        f"23:m0 = {m_y}",
        "23:onMode = off",
        "23:onIfAny = 1 2 3 4",
    ]


def generate_dijets(
    n_events: int,
    process: str = "qcd",
    *,
    seed: int = 0,
    m_resonance: float = 3500.0,
    m_x: float = 500.0,
    m_y: float = 100.0,
    sqrt_s: float = 13000.0,
    pt_hat_min: float = 1000.0,
    bias: bool = False,
    jet_pt_min: float = 1200.0,
    jet_eta_max: float = 2.5,
    radius: float = 1.0,
    max_tries: int | None = None,
    progress: bool = False,
) -> EventTable:
    """Generate ``n_events`` selected dijet events with Pythia 8 and FastJet.

    Parameters
    ----------
    n_events : int
        Events passing the selection (a jet with pT > ``jet_pt_min`` and |η| < ``jet_eta_max``,
        and at least two jets).
    process : {"qcd", "signal"}
    m_resonance, m_x, m_y : float
        Signal masses in GeV (R&D set: 3500, 500, 100).
    pt_hat_min : float
        QCD pT-hat cut in GeV (below the trigger so that it does not bias the selected events).
    bias : bool
        QCD only: sample pT-hat with a (pT-hat/pt_hat_min)^4 bias to populate high masses; the
        ``weight`` column then carries the compensating event weights.
    max_tries : int, optional
        Give up after this many generated events (default 50 n_events + 1000).

    Returns
    -------
    dict
        ``mjj, mj1, mj2, tau21_j1, tau21_j2`` (GeV), ``pt_j1, pt_j2, eta_j1, eta_j2`` (the two
        leading jets by pT, J1 the heavier), ``label`` (1 for signal), ``weight`` (Pythia's event
        weight), plus ``sigma_pb`` broadcast (the generated cross-section estimate in pb after
        the run, before the jet selection).
    """
    n_events = check_int(n_events, "n_events", low=0)
    process = check_choice(process, "process", DIJET_PROCESSES)
    sqrt_s = check_real(sqrt_s, "sqrt_s", low=0.0, low_open=True)
    m_resonance = check_real(m_resonance, "m_resonance", low=0.0, low_open=True)
    m_x = check_real(m_x, "m_x", low=0.0, low_open=True)
    m_y = check_real(m_y, "m_y", low=0.0, low_open=True)
    if process == "signal":
        if m_resonance >= sqrt_s:
            raise ValueError(f"m_resonance = {m_resonance:g} GeV must be below √s = {sqrt_s:g} GeV")
        if m_x + m_y >= m_resonance:
            raise ValueError(
                f"m_x + m_y = {m_x + m_y:g} GeV must be below m_resonance = {m_resonance:g} GeV (kinematics)"
            )
    pt_hat_min = check_real(pt_hat_min, "pt_hat_min", low=0.0, low_open=True)
    jet_pt_min = check_real(jet_pt_min, "jet_pt_min", low=0.0)
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    max_tries = 50 * n_events + 1000 if max_tries is None else check_int(max_tries, "max_tries", low=1)
    if bias and process != "qcd":
        raise ValueError("bias applies to process='qcd' only")

    _, fastjet = _require()
    p = _pythia(_dijet_settings(process, sqrt_s, pt_hat_min, m_resonance, m_x, m_y, bias), seed)
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
    rows: list[tuple[float, ...]] = []
    tries = 0
    bar = _bar(n_events, f"pythia {process}", progress)
    with _quiet():
        while len(rows) < n_events:
            if tries >= max_tries:
                raise RuntimeError(
                    f"only {len(rows)} of {n_events} events passed the selection in {tries} tries; "
                    "lower jet_pt_min or raise pt_hat_min / max_tries"
                )
            tries += 1
            if not p.next():
                continue
            cs, jets = _jets(_visible(p, fastjet), fastjet, jet_def)
            if len(jets) < 2 or not any(j.pt() > jet_pt_min and abs(j.eta()) < jet_eta_max for j in jets):
                continue
            rows.append((*_dijet_row(jets, fastjet, radius), p.infoPython().weight()))
            bar.update(1)
        sigma_pb = p.infoPython().sigmaGen() * 1e9
    bar.close()
    names = (*DIJET_COLUMNS, "weight")
    data = np.array(rows, dtype=float).reshape(-1, len(names))
    table = {name: data[:, i] for i, name in enumerate(names)}
    table["label"] = np.full(len(rows), 1 if process == "signal" else 0, dtype=np.int8)
    table["sigma_pb"] = np.full(len(rows), sigma_pb)
    return table


def generate_qg_jets(
    n_jets: int,
    *,
    seed: int = 0,
    sqrt_s: float = 14000.0,
    pt_min: float = 500.0,
    pt_max: float = 550.0,
    rapidity_max: float = 1.7,
    radius: float = 0.4,
    pixels: int = 33,
    max_tries: int | None = None,
    progress: bool = False,
) -> EventTable:
    """Quark and gluon jets from Z(→ νν) + jet events, half of each.

    Quark jets come from q g → Z q, gluon jets from q q̄ → Z g (generated as two runs with
    seeds derived from ``seed``); the leading anti-kT jet of radius ``radius`` must have
    ``pt_min`` < pT < ``pt_max`` GeV and rapidity |y| < ``rapidity_max``. The defaults are those
    of the EnergyFlow quark/gluon data set (Komiske, Metodiev, Thaler, JHEP 01 (2019) 121):
    √s = 14 TeV, R = 0.4, 500-550 GeV, |y| < 1.7.

    Returns
    -------
    dict
        ``label`` (1 quark, 0 gluon), ``parton`` (PDG id of the outgoing parton of the hard
        process), the engineered features :data:`QG_FEATURES` (pT and mass in GeV; width =
        λ^1_1, lha = λ^1_0.5, ptd2 = λ^2_0, mass_angularity = λ^1_2, multiplicity = number of
        constituents), ``image`` of shape (n_jets, pixels, pixels) and ``image_aligned``, the
        same jets rotated and flipped (:func:`jet_image` with ``align=True``), shuffled.
    """
    n_jets = check_int(n_jets, "n_jets", low=0)
    pt_min = check_real(pt_min, "pt_min", low=0.0)
    pt_max = check_real(pt_max, "pt_max", low=pt_min, low_open=True)
    radius = check_real(radius, "radius", low=0.0, low_open=True)
    pixels = check_int(pixels, "pixels", low=1)
    n_quark = (n_jets + 1) // 2
    counts = {"quark": n_quark, "gluon": n_jets - n_quark}
    max_tries = 20 * n_jets + 1000 if max_tries is None else check_int(max_tries, "max_tries", low=1)
    _, fastjet = _require()
    jet_def = fastjet.JetDefinition(fastjet.antikt_algorithm, radius)
    features: list[tuple[float, ...]] = []
    images: list[np.ndarray] = []
    aligned: list[np.ndarray] = []
    labels: list[int] = []
    partons: list[int] = []
    bar = _bar(n_jets, "pythia Z+jet", progress)
    for kind, count in counts.items():
        process = "qg2gmZq" if kind == "quark" else "qqbar2gmZg"
        settings = [
            f"Beams:eCM = {sqrt_s}",
            f"WeakBosonAndParton:{process} = on",
            "WeakZ0:gmZmode = 2",
            "23:onMode = off",
            "23:onIfAny = 12 14 16",
            f"PhaseSpace:pTHatMin = {0.9 * pt_min}",
            f"PhaseSpace:pTHatMax = {1.1 * pt_max}",
        ]
        p = _pythia(settings, derive_seed(seed, "qg", kind) if isinstance(seed, int) else seed)
        got = tries = 0
        with _quiet():
            while got < count:
                if tries >= max_tries:
                    raise RuntimeError(
                        f"only {got} of {count} {kind} jets passed the selection in {tries} tries"
                    )
                tries += 1
                if not p.next():
                    continue
                cs, jets = _jets(_visible(p, fastjet), fastjet, jet_def)
                if not jets:
                    continue
                jet = jets[0]
                if not (pt_min < jet.pt() < pt_max and abs(jet.rap()) < rapidity_max):
                    continue
                pt, eta, phi = _constituent_arrays(jet)
                features.append(
                    (
                        jet.pt(),
                        jet.m(),
                        float(len(pt)),
                        generalized_angularity(pt, eta, phi, kappa=1, beta=1, radius=radius),
                        generalized_angularity(pt, eta, phi, kappa=1, beta=0.5, radius=radius),
                        generalized_angularity(pt, eta, phi, kappa=2, beta=0, radius=radius),
                        generalized_angularity(pt, eta, phi, kappa=1, beta=2, radius=radius),
                    )
                )
                images.append(jet_image(pt, eta, phi, radius=radius, pixels=pixels).astype(np.float32))
                aligned.append(
                    jet_image(pt, eta, phi, radius=radius, pixels=pixels, align=True).astype(np.float32)
                )
                labels.append(1 if kind == "quark" else 0)
                outgoing = [q.id() for q in p.process if q.status() == 23 and q.idAbs() != 23]
                partons.append(outgoing[0] if outgoing else 0)
                got += 1
                bar.update(1)
    bar.close()
    order = np.random.default_rng(derive_seed(seed, "qg", "order")).permutation(n_jets)
    data = np.array(features, dtype=float).reshape(-1, len(QG_FEATURES))
    table: EventTable = {name: data[order, i] for i, name in enumerate(QG_FEATURES)}
    table["label"] = np.array(labels, dtype=np.int8)[order]
    table["parton"] = np.array(partons, dtype=np.int32)[order]
    for key, stack in (("image", images), ("image_aligned", aligned)):
        table[key] = (np.stack(stack) if stack else np.zeros((0, pixels, pixels), np.float32))[order]
    return table


def _bar(total: int, desc: str, show: bool) -> Any:
    return progress_bar(total, desc=desc, show=show)
