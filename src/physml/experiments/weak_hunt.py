"""LHC Olympics without a guessed cut: the weakly supervised sliding-window hunt
(:func:`physml.anomaly.weak_hunt`) on a box with a resonance of undisclosed mass and on
signal-free boxes.

Quick preset: the parametric dijet toy (:func:`physml.data.collider.dijet_toy`); full preset:
Pythia 8 + FastJet events generated in chunks through ``ctx.map`` (cached, ``--resume``), as in
``lhco-blackbox``. The signal-free boxes are drawn from the QCD pool left after the signal box;
when the pool holds fewer events than the boxes need they are random subsets of it and overlap
(correlated boxes: the error of the false-positive rate is then a lower bound). Their
false-positive rate is measured by :func:`physml.anomaly.false_positive_rate`: each box's global
p-value is calibrated on the other boxes' background-only surrogates, and the number of boxes
with p < ``fpr_alpha`` is tested against its beta-binomial null distribution. The hunts run on
the run's executor (``physml run --workers``), a task per block of windows.

Sources: Kahn, "Dumb Machine Learning for Physics" (IAIFI Colloquium, 10 March 2023), LHC Olympics
slides; Collins, Howe & Nachman, PRL 121, 241803 (2018) (CWoLa hunting); Kasieczka et al., Rep.
Prog. Phys. 84, 124201 (2021).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml import anomaly
from physml._core import check_choice, check_int, check_real
from physml.data import collider
from physml.experiments.anomaly import _pool, _take
from physml.lab import Context, experiment

SOURCE = ("Kahn, 'Dumb Machine Learning for Physics' (IAIFI Colloquium, 10 March 2023), LHC Olympics "
          "slides; Collins, Howe & Nachman, PRL 121, 241803 (2018); Kasieczka et al., Rep. Prog. Phys. 84, "
          "124201 (2021)")
FEATURES = ("mj1", "mj2", "tau21_j1", "tau21_j2")


def _check(p: dict[str, Any]) -> None:
    check_choice(p["data"], "data", ("toy", "pythia"))
    check_choice(p["method"], "method", anomaly.WEAK_METHODS)
    check_int(p["box_size"], "box_size", low=4000)
    check_int(p["n_qcd"], "n_qcd", low=2 * p["box_size"])
    check_int(p["n_signal"], "n_signal", low=0)
    check_int(p["n_null_boxes"], "n_null_boxes", low=2)
    check_int(p["n_pseudo"], "n_pseudo", low=1)
    check_int(p["n_pseudo_null"], "n_pseudo_null", low=1)
    check_real(p["alpha"], "alpha", low=0.0, high=1.0, low_open=True)
    check_real(p["fpr_alpha"], "fpr_alpha", low=0.0, high=1.0, low_open=True)
    pool = (p["n_null_boxes"] - 1) * p["n_pseudo_null"]
    if pool + 1 <= 1.0 / p["fpr_alpha"]:
        raise ValueError(f"fpr_alpha={p['fpr_alpha']:g} cannot be reached by counting with (n_null_boxes − 1)"
                         f" × n_pseudo_null = {pool} surrogates per box (p ≥ 1/{pool + 1}): raise "
                         "n_null_boxes or n_pseudo_null")
    check_int(p["chunk"], "chunk", low=1)


@experiment(
    "lhco-weak-hunt",
    claim="Without any cut supplied, a weakly supervised sliding-window hunt (CWoLa, k-fold, global p-value "
    "from background-only surrogates analysed by the whole procedure) finds a ~1% resonance of undisclosed "
    "mass within ±200 GeV with global p < α where the plain bump hunt without a cut does not, reports "
    "signal in signal-free boxes at a rate consistent with its threshold, and sculpts no bump. Full preset: "
    "Pythia 8, 40,000-event boxes.",
    source=SOURCE,
    quick=dict(data="toy", method="cwola", n_qcd=260000, box_size=20000, n_signal=200, n_null_boxes=12,
               n_pseudo=3, n_pseudo_null=2, alpha=0.01, fpr_alpha=0.1, chunk=1000),
    full=dict(data="pythia", method="cwola", n_qcd=200000, box_size=40000, n_signal=400, n_null_boxes=36,
              n_pseudo=20, n_pseudo_null=2, alpha=0.01, fpr_alpha=0.1, chunk=500),
    tags=("anomaly", "collider", "kahn"),
    validate=_check,
)
def lhco_weak_hunt(ctx: Context, data: str, method: str, n_qcd: int, box_size: int, n_signal: int,
                   n_null_boxes: int, n_pseudo: int, n_pseudo_null: int, alpha: float, fpr_alpha: float,
                   chunk: int) -> None:
    true_mass = float(ctx.rng("mass").uniform(3000.0, 5000.0))  # undisclosed to the hunt
    qcd = _pool(ctx, data, "qcd", n_qcd, "qcd", chunk)
    box = _take(qcd, slice(0, box_size))
    if n_signal:
        signal = _pool(ctx, data, "signal", n_signal, "signal", chunk, true_mass)
        box = collider.concatenate_events([box, signal])
    rest = _take(qcd, slice(box_size, None))
    n_rest = len(rest["mjj"])
    pick = ctx.rng("null boxes")
    disjoint = n_rest >= n_null_boxes * box_size
    boxes = []
    for i in range(n_null_boxes):
        rows = (np.arange(i * box_size, (i + 1) * box_size) if disjoint
                else np.sort(pick.choice(n_rest, box_size, replace=False)))
        boxes.append(_take(rest, rows))

    def columns(ev: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
        return np.column_stack([np.asarray(ev[c], float) for c in FEATURES]), np.asarray(ev["mjj"], float)

    sig = anomaly.weak_hunt(*columns(box), method=method, features=list(FEATURES), n_pseudo=n_pseudo,
                            seed=ctx.seed_for("hunt", "signal"), executor=ctx.executor)
    sig_report = sig.report(alpha=alpha)
    plain = anomaly.bump_hunt(np.asarray(box["mjj"], float), n_pseudo=100, seed=ctx.seed_for("plain"))
    plain_report = plain.report(alpha=alpha)
    fp = anomaly.false_positive_rate([columns(ev) for ev in boxes], alpha=fpr_alpha, n_pseudo=n_pseudo_null,
                                     seed=ctx.seed_for("hunt", "null"), executor=ctx.executor, method=method,
                                     features=list(FEATURES))
    null = fp.hunts
    # sculpting on true background: the data's own local Z over every window and efficiency of the
    # signal-free boxes (not surrogates: these keep the background's real mjj dependence)
    null_z = np.concatenate([r.z_local[np.isfinite(r.z_local)] for r in null])
    null_mean_z = float(null_z.mean())
    null_mean_err = float(np.std([np.nanmean(r.z_local) for r in null], ddof=1) / np.sqrt(len(null))
                          ) if len(null) > 1 else float(np.std(null_z) / np.sqrt(len(null_z)))
    ctx.check("signal box: |reported − true mass| ≤ 200 GeV", abs(sig.mass - true_mass), 200.0,
              uncertainty=sig.mass_err, comparison="at_most")
    ctx.check(f"signal box: global p-value < {alpha} without any cut", sig.p_global, alpha,
              comparison="at_most")
    ctx.check(f"signal box: the plain bump hunt without a cut has p ≥ {alpha}", plain.p_global, alpha,
              comparison="at_least")
    ctx.check(f"signal-free boxes: the number with p < {fpr_alpha:g} is consistent with a calibrated p-value "
              f"(two-sided beta-binomial test, {n_null_boxes} boxes, p ≥ 0.05)", fp.p_value, 0.05,
              comparison="at_least")
    ctx.check("signal-free boxes: mean local Z over windows and efficiencies ≤ 0.5 (no sculpted bump)",
              null_mean_z, 0.5, uncertainty=null_mean_err, comparison="at_most")
    # every surrogate of every box counts once (a null box has only n_pseudo_null of them)
    hunts = [r for r in [sig, *null] if np.isfinite(r.sculpting_mean_z)]
    n_sur = np.array([np.isfinite(r.z_max_pseudo).sum() for r in hunts], float)
    sur_mean = float(np.average([r.sculpting_mean_z for r in hunts], weights=n_sur))
    ctx.check("surrogates: mean local Z ≤ 0.5 (no sculpted bump)", sur_mean, 0.5, comparison="at_most")
    ctx.metric("true_mass", true_mass)
    ctx.metric("signal_box", sig_report)
    ctx.metric("plain_bump_hunt", plain_report)
    ctx.metric("null_boxes", {**fp.report(), "mean_z_local": null_mean_z, "mean_z_local_err": null_mean_err,
                              "disjoint": disjoint})
    ctx.metric("surrogates_mean_z_local", sur_mean)
    ctx.metric("data", "Pythia 8 + FastJet" if data == "pythia" else "dijet_toy (parametric toy, not Pythia)")
    fig = ctx.new_figure(figsize=(9.0, 3.6))
    ax1, ax2 = fig.subplots(1, 2)
    centres = np.sqrt(sig.window_edges[:, 0] * sig.window_edges[:, 1])
    for e, eff in enumerate(sig.efficiencies):
        ax1.plot(centres, sig.z_local[:, e], marker="o", label=f"ε = {eff:g}")
    ax1.plot(plain.window_edges.mean(axis=1), plain.z_local, color="k", lw=1, label="no selection")
    ax1.axvline(true_mass, color="k", ls="--", lw=1)
    ax1.set(xlabel="SR centre [GeV]", ylabel="local Z", title="signal box")
    ax1.legend(fontsize=7)
    for r in null:
        ax2.plot(np.sqrt(r.window_edges[:, 0] * r.window_edges[:, 1]), r.z_local.max(axis=1), alpha=0.6)
    ax2.set(xlabel="SR centre [GeV]", ylabel="max local Z over ε", title="signal-free boxes")
    ctx.figure(fig, "weak_hunt")
