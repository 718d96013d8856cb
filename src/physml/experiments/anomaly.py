"""LHC Olympics 2020: weakly supervised anomaly detection and the black-box bump hunt.

Both experiments run on the fast parametric toy of the dijet features
(:func:`physml.data.collider.dijet_toy`) in both presets: the full preset is a larger toy, not a
Pythia sample (generating the ~10⁶ events of the R&D set with Pythia at ~100 events/s per core
takes days on this machine). Densities for ANODE and CATHODE are Gaussian mixtures, not flows
(see :mod:`physml.anomaly`), and the classifiers boosted trees.

Sources: Kahn, "Dumb Machine Learning for Physics" (seeds/003), LHC Olympics slides; Kasieczka et
al., Rep. Prog. Phys. 84, 124201 (2021); Hallin et al. (CATHODE), arXiv:2109.00546.
"""

from __future__ import annotations

from typing import Any

from physml.lab import Context, experiment

SOURCE = ("Kahn, 'Dumb Machine Learning for Physics' (seeds/003), LHC Olympics slides; Kasieczka et al., "
          "Rep. Prog. Phys. 84, 124201 (2021); Hallin et al. (CATHODE), arXiv:2109.00546")
METHODS = ("supervised", "idealized", "cwola", "anode", "cathode", "autoencoder")
WEAK = ("idealized", "cwola", "anode", "cathode")


def _rnd_seed(args: tuple) -> dict[str, float]:
    """Max SIC of every method for one seed (one data set, one set of trainings)."""
    import numpy as np
    import torch
    from threadpoolctl import threadpool_limits

    from physml.anomaly import (
        AnodeScorer,
        AutoencoderScorer,
        CathodeScorer,
        CWoLaScorer,
        SignalRegion,
        SupervisedScorer,
        anomaly_features,
        max_sic,
    )
    from physml.data.collider import dijet_toy
    from physml.lab._seeding import spawn_seeds

    n_background, n_signal, n_test, n_components, min_background, seed = args
    torch.set_num_threads(1)
    s_data, s_ref, s_sup, s_test, s_fit = spawn_seeds(seed, 5)
    sr = SignalRegion(3300.0, 3700.0, 400.0)
    with threadpool_limits(1):
        data = dijet_toy(n_background, n_signal, seed=s_data)
        X, m = anomaly_features(data), data["mjj"]
        s, b = sr.masks(data["mjj"], min_events=50)
        test = dijet_toy(n_test, n_test // 10, seed=s_test)
        t = sr.signal_mask(test["mjj"])
        Xt, mt, yt = anomaly_features(test)[t], test["mjj"][t], test["label"][t]
        ref = dijet_toy(n_background, 0, seed=s_ref)  # true background, for the idealised detector
        Xr = anomaly_features(ref)[sr.signal_mask(ref["mjj"])]
        sup = dijet_toy(n_test // 2, n_test // 20, seed=s_sup)
        ts = sr.signal_mask(sup["mjj"])
        scores = {
            "supervised": SupervisedScorer(seed=s_fit)
            .fit(anomaly_features(sup)[ts], sup["label"][ts])
            .score(Xt),
            "idealized": CWoLaScorer(seed=s_fit).fit(X[s], Xr).score(Xt),
            "cwola": CWoLaScorer(seed=s_fit).fit(X[s], X[b]).score(Xt),
            "anode": AnodeScorer(n_components, seed=s_fit).fit(X[s], m[s], X[b], m[b]).score(Xt, mt),
            "cathode": CathodeScorer(n_components, seed=s_fit).fit(X[s], m[s], X[b], m[b]).score(Xt),
            "autoencoder": AutoencoderScorer(seed=s_fit).fit(X[s]).score(Xt),
        }
    out = {k: max_sic(yt, v, min_background=min_background) for k, v in scores.items()}
    out["n_signal_in_sr"] = float(data["label"][s].sum())
    out["sic_cap"] = float(np.sqrt((yt == 0).sum() / min_background))
    return out


def _check_rnd(p: dict[str, Any]) -> None:
    from physml._validation import check_int

    check_int(p["n_seeds"], "n_seeds", low=2)
    check_int(p["n_background"], "n_background", low=5000)
    check_int(p["n_signal"], "n_signal", low=1)
    check_int(p["n_test"], "n_test", low=5000)


@experiment(
    "lhco-rnd",
    claim="On the LHC Olympics R&D features with ~1,000 injected signal events, the supervised classifier "
    "has the highest max SIC, weakly supervised methods (CWoLa, CATHODE, ANODE, the idealised detector) "
    "come close, and the autoencoder does worst.",
    source=SOURCE,
    quick=dict(n_seeds=2, n_background=20000, n_signal=300, n_test=40000, n_components=4, min_background=20,
               close_fraction=0.5),
    full=dict(n_seeds=5, n_background=1000000, n_signal=1000, n_test=1000000, n_components=8,
              min_background=50, close_fraction=0.5),
    tags=("anomaly", "collider", "kahn"),
    validate=_check_rnd,
)
def lhco_rnd(ctx: Context, n_seeds: int, n_background: int, n_signal: int, n_test: int, n_components: int,
             min_background: int, close_fraction: float) -> None:
    import numpy as np

    from physml.experiments._tolerances import sigma_multiple

    items = [(n_background, n_signal, n_test, n_components, min_background, ctx.seed_for("seed", i))
             for i in range(n_seeds)]
    rows = ctx.map(_rnd_seed, items, desc="lhco-rnd seeds")
    sic = {k: np.array([r[k] for r in rows]) for k in METHODS}
    mean = {k: float(v.mean()) for k, v in sic.items()}
    err = {k: float(v.std(ddof=1) / np.sqrt(len(v))) for k, v in sic.items()}
    z = sigma_multiple(3)
    best_weak = max(("cwola", "cathode", "anode"), key=lambda k: mean[k])
    diff_err = float(np.hypot(err["supervised"], err[best_weak]))
    ctx.check(f"max SIC: supervised − best weakly supervised ({best_weak}) ≥ 0",
              mean["supervised"] - mean[best_weak], 0.0,
              uncertainty=diff_err, tolerance=z * diff_err, comparison="at_least")
    ratio = mean[best_weak] / mean["supervised"]
    ratio_err = ratio * float(np.hypot(err[best_weak] / mean[best_weak],
                                       err["supervised"] / mean["supervised"]))
    ctx.check(f"max SIC: best weakly supervised / supervised ≥ {close_fraction}", ratio, close_fraction,
              uncertainty=ratio_err, tolerance=z * ratio_err, comparison="at_least")
    others = min(WEAK + ("supervised",), key=lambda k: mean[k])
    gap_err = float(np.hypot(err[others], err["autoencoder"]))
    ctx.check(f"max SIC: worst other method ({others}) − autoencoder ≥ 0",
              mean[others] - mean["autoencoder"], 0.0,
              uncertainty=gap_err, tolerance=z * gap_err, comparison="at_least")
    ctx.metric("max_sic", {k: {"mean": mean[k], "err": err[k], "per_seed": sic[k].tolist()} for k in METHODS})
    ctx.metric("sic_cap", float(np.mean([r["sic_cap"] for r in rows])))
    ctx.metric("signal_in_signal_region", float(np.mean([r["n_signal_in_sr"] for r in rows])))
    ctx.metric("data", "dijet_toy (parametric toy, not Pythia); ANODE/CATHODE densities: Gaussian mixtures")
    fig = ctx.new_figure(figsize=(6.5, 3.6))
    ax = fig.subplots()
    x = np.arange(len(METHODS))
    ax.bar(x, [mean[k] for k in METHODS], yerr=[err[k] for k in METHODS], color="C0")
    for i, k in enumerate(METHODS):
        ax.plot(np.full(len(sic[k]), i), sic[k], "k.", ms=4)
    ax.axhline(ctx.metrics["sic_cap"], ls="--", color="gray", lw=1, label="perfect classifier")
    ax.set(xticks=x, xticklabels=METHODS, ylabel="max SIC = TPR/√FPR",
           title=f"{n_signal} signal events injected")
    ax.legend(fontsize=7)
    ctx.figure(fig, "max_sic")


def _check_blackbox(p: dict[str, Any]) -> None:
    from physml._validation import check_int, check_real

    check_int(p["n_background"], "n_background", low=5000)
    check_int(p["n_pseudo"], "n_pseudo", low=10)
    check_real(p["alpha"], "alpha", low=0.0, high=1.0, low_open=True)


@experiment(
    "lhco-blackbox",
    claim="A bump hunt after a two-prong selection finds a resonance of undisclosed mass within ±200 GeV "
    "with a small background-only p-value and reports no signal in a sample without one, even where an "
    "autoencoder's most anomalous events pile up in the mjj tail.",
    source=SOURCE,
    quick=dict(n_background=30000, n_signal=400, n_pseudo=20, alpha=0.01, tau21_cut=0.6),
    full=dict(n_background=1000000, n_signal=1000, n_pseudo=300, alpha=0.01, tau21_cut=0.6),
    tags=("anomaly", "collider", "kahn"),
    validate=_check_blackbox,
)
def lhco_blackbox(ctx: Context, n_background: int, n_signal: int, n_pseudo: int, alpha: float,
                  tau21_cut: float) -> None:
    import numpy as np
    import torch

    from physml.anomaly import AutoencoderScorer, anomaly_features, bump_hunt
    from physml.data.collider import dijet_toy

    torch.set_num_threads(1)
    rng = ctx.rng("mass")
    true_mass = float(rng.uniform(3000.0, 5000.0))  # undisclosed to the hunt
    boxes = {
        "signal": dijet_toy(n_background, n_signal, m_resonance=true_mass, seed=ctx.seed_for("box", 1)),
        "no_signal": dijet_toy(n_background, 0, seed=ctx.seed_for("box", 2)),
    }
    reports = {}
    for name, ev in boxes.items():
        keep = (ev["tau21_j1"] < tau21_cut) & (ev["tau21_j2"] < tau21_cut)
        res = bump_hunt(ev["mjj"][keep], n_pseudo=n_pseudo, seed=ctx.seed_for("pseudo", name))
        reports[name] = res.report(alpha=alpha) | {"n_selected": int(keep.sum())}
    sig, none = reports["signal"], reports["no_signal"]
    ctx.check("signal box: |reported − true mass| ≤ 200 GeV", abs(sig["mass"] - true_mass), 200.0,
              uncertainty=sig["mass_err"], comparison="at_most")
    ctx.check(f"signal box: background-only p-value < {alpha}", sig["p_value_background_only"], alpha,
              comparison="at_most")
    ctx.check(f"no-signal box: background-only p-value ≥ {alpha}", none["p_value_background_only"], alpha,
              comparison="at_least")
    # tails fool anomaly detectors: an autoencoder on the no-signal box flags the high-mass tail ...
    ev = boxes["no_signal"]
    X = anomaly_features(ev)
    ae = AutoencoderScorer(epochs=10, seed=ctx.seed_for("ae")).fit(X)
    score = ae.score(X)
    top = score >= np.quantile(score, 0.9)
    ratio = float(np.median(ev["mjj"][top]) / np.median(ev["mjj"]))
    ctx.check("no-signal box: median mjj of the autoencoder's top 10% / of all events > 1 (tails look "
              "anomalous)", ratio, 1.0, comparison="at_least")
    # ... yet the bump hunt on the autoencoder-selected events finds no resonance
    ae_hunt = bump_hunt(ev["mjj"][top], n_pseudo=n_pseudo, seed=ctx.seed_for("pseudo", "ae"))
    ae_report = ae_hunt.report(alpha=alpha)
    ctx.check(f"no-signal box, autoencoder top 10%: background-only p-value ≥ {alpha}",
              ae_report["p_value_background_only"], alpha, comparison="at_least")
    ctx.metric("true_mass", true_mass)
    ctx.metric("reports", reports | {"no_signal_autoencoder_selected": ae_report})
    ctx.metric("data", "dijet_toy (parametric toy, not Pythia)")
    fig = ctx.new_figure(figsize=(9.0, 3.6))
    axes = fig.subplots(1, 2)
    for ax, (name, res) in zip(axes, (("signal", sig), ("no_signal", none)), strict=True):
        ev = boxes[name]
        keep = (ev["tau21_j1"] < tau21_cut) & (ev["tau21_j2"] < tau21_cut)
        ax.hist(ev["mjj"][keep], bins=60, histtype="step", log=True)
        ax.axvspan(*res["window"], color="C1", alpha=0.2,
                   label=f"best window, p = {res['p_value_background_only']:.2g}")
        if name == "signal":
            ax.axvline(true_mass, color="k", ls="--", lw=1, label="true mass")
        ax.set(xlabel="mjj [GeV]", ylabel="events", title=name)
        ax.legend(fontsize=7)
    ctx.figure(fig, "blackbox")
