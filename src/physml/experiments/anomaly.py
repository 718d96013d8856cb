"""LHC Olympics 2020: weakly supervised anomaly detection and the black-box bump hunt.

Data: the quick presets use the fast parametric toy of the dijet features
(:func:`physml.data.collider.dijet_toy`); the full presets generate real events with Pythia 8 and
FastJet (:func:`physml.data.collider.generate_dijets`) in chunks through ``ctx.map``, so the
generation is cached (``--resume`` continues it) and runs in parallel with ``--workers``. The R&D
set's 10⁶ background events take days at ~100 events/s per core, so the full presets are scaled
down (sizes in their parameters and claims).

Densities for ANODE and CATHODE are normalizing flows (:class:`physml.flows.FlowDensity`, MAF) in
the full preset and Gaussian mixtures in the quick one (``density`` parameter); the classifiers
are boosted trees.

Sources: Kahn, "Dumb Machine Learning for Physics" (IAIFI Colloquium, 10 March 2023), LHC Olympics
slides; Kasieczka et
al., Rep. Prog. Phys. 84, 124201 (2021); Nachman & Shih (ANODE), Phys. Rev. D 101, 075042 (2020);
Hallin et al. (CATHODE), arXiv:2109.00546.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml import anomaly, stats
from physml._core import check_choice, check_int, check_real, spawn_seeds
from physml.data import collider
from physml.experiments._tolerances import sigma_multiple
from physml.lab import Context, experiment

SOURCE = ("Kahn, 'Dumb Machine Learning for Physics' (IAIFI Colloquium, 10 March 2023), LHC Olympics "
          "slides; Kasieczka et al., "
          "Rep. Prog. Phys. 84, 124201 (2021); Nachman & Shih (ANODE), PRD 101, 075042 (2020); Hallin et "
          "al. (CATHODE), arXiv:2109.00546")
METHODS = ("supervised", "idealized", "cwola", "anode", "cathode", "autoencoder")
WEAK = ("idealized", "cwola", "anode", "cathode")
#: the columns kept from generated events
COLUMNS = ("mjj", "mj1", "mj2", "tau21_j1", "tau21_j2", "label", "weight")
#: flow settings of the full presets (FlowDensity parameters; a MAF as in ANODE/CATHODE)
FULL_FLOW = dict(flow="maf", transforms=4, hidden_features=(64, 64), learning_rate=1e-3, batch_size=256,
                 max_epochs=100, patience=10)


def _dijet_chunk(args: tuple[int, str, int, float]) -> dict[str, Any]:
    """One chunk of Pythia dijet events (a module-level function for the process and Dask executors)."""
    n, process, seed, m_resonance = args
    events = collider.generate_dijets(n, process, seed=seed, m_resonance=m_resonance)
    return {k: events[k] for k in COLUMNS}


def _pool(ctx: Context, data: str, name: str, n: int, process: str, chunk: int,
          m_resonance: float = 3500.0) -> dict[str, Any]:
    """``n`` events of ``process`` ("qcd" or "signal"): Pythia chunks through ``ctx.map`` or the toy."""
    if data == "toy":
        seed = ctx.seed_for("toy", name)
        ev = collider.dijet_toy(n, 0, seed=seed) if process == "qcd" else collider.dijet_toy(
            0, n, m_resonance=m_resonance, seed=seed)
        return {k: np.asarray(ev[k]) for k in COLUMNS}
    sizes = [min(chunk, n - s) for s in range(0, n, chunk)]
    items = [(k, process, ctx.seed_for(name, i), float(m_resonance)) for i, k in enumerate(sizes)]
    return collider.concatenate_events(ctx.map(_dijet_chunk, items, desc=f"pythia {name}"))


def _take(events: dict[str, Any], rows: Any) -> dict[str, Any]:
    return {k: v[rows] for k, v in events.items()}


def _regions(X_sr: np.ndarray, X_ref: np.ndarray, m_sr: np.ndarray | None = None,
             m_ref: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """One weakly supervised training set: the signal-region events (y = 1), then the reference (y = 0)."""
    y = np.r_[np.ones(len(X_sr), int), np.zeros(len(X_ref), int)]
    m = None if m_sr is None or m_ref is None else np.concatenate([m_sr, m_ref])
    return np.concatenate([X_sr, X_ref]), y, m


def _rnd_seed(args: tuple) -> dict[str, Any]:
    """Max SIC of every method for one seed: one split of the event pools, one set of trainings.

    The QCD pool is split at random into data, reference (true background, for the idealised
    detector and the supervised bound) and test; the signal pool into the injected events,
    supervised training and test.
    """
    import torch
    from threadpoolctl import threadpool_limits

    qcd, sig, n_signal, fractions, settings, seed = args
    torch.set_num_threads(1)
    s_split, s_fit = spawn_seeds(seed, 2)
    rng = np.random.default_rng(s_split)
    sr = anomaly.SignalRegion(3300.0, 3700.0, 400.0)
    n_q, n_s = len(qcd["mjj"]), len(sig["mjj"])
    q = rng.permutation(n_q)
    n_data, n_ref = int(round(fractions[0] * n_q)), int(round(fractions[1] * n_q))
    s = rng.permutation(n_s)
    n_sup = (n_s - n_signal) // 2
    data = collider.concatenate_events([_take(qcd, q[:n_data]), _take(sig, s[:n_signal])])
    ref = _take(qcd, q[n_data : n_data + n_ref])
    sup = collider.concatenate_events([ref, _take(sig, s[n_signal : n_signal + n_sup])])
    test = collider.concatenate_events([_take(qcd, q[n_data + n_ref :]), _take(sig, s[n_signal + n_sup :])])
    density = dict(n_components=settings["n_components"], density=settings["density"], flow=settings["flow"])
    with threadpool_limits(1):
        X, m = anomaly.anomaly_features(data), data["mjj"]
        in_sr, in_sb = sr.masks(m, min_events=50)
        t = sr.signal_mask(test["mjj"])
        Xt, mt, yt = anomaly.anomaly_features(test)[t], test["mjj"][t], test["label"][t]
        Xr = anomaly.anomaly_features(ref)[sr.signal_mask(ref["mjj"])]
        ts = sr.signal_mask(sup["mjj"])
        folds = settings["n_folds"]
        # the weakly supervised fits take the signal-region events (y = 1) first, then the reference
        X_w, y_w, m_w = _regions(X[in_sr], X[in_sb], m[in_sr], m[in_sb])
        cathode = anomaly.CathodeScorer(
            **density, oversample=settings["oversample"], n_folds=folds, seed=s_fit
        ).fit(X_w, y_w, mjj=m_w)
        anode = anomaly.AnodeScorer(**density, seed=s_fit).fit(X_w, y_w, mjj=m_w,
                                                                background_density=cathode.density_)
        X_ideal, y_ideal, _ = _regions(X[in_sr], Xr)
        scores = {
            "supervised": anomaly.SupervisedScorer(seed=s_fit)
            .fit(anomaly.anomaly_features(sup)[ts], sup["label"][ts])
            .score_samples(Xt),
            "idealized": anomaly.CWoLaScorer(folds, seed=s_fit).fit(X_ideal, y_ideal).score_samples(Xt),
            "cwola": anomaly.CWoLaScorer(folds, seed=s_fit).fit(X_w, y_w).score_samples(Xt),
            "anode": anode.score_samples(Xt, mjj=mt),
            "cathode": cathode.score_samples(Xt),
            "autoencoder": anomaly.AutoencoderScorer(epochs=settings["ae_epochs"], seed=s_fit)
            .fit(X[in_sr])
            .score_samples(Xt),
        }
    mb = settings["min_background"]
    n_s, n_b = int((yt == 1).sum()), int((yt == 0).sum())
    out: dict[str, Any] = {}
    for k, v in scores.items():
        c = anomaly.sic_curve(yt, v, min_background=mb)
        # the counting error of the maximum: binomial errors of TPR and FPR at its cut (nan, like the
        # maximum, when no cut keeps min_background background events)
        err = float("nan")
        if len(c.sic):
            err = stats.sic_uncertainty(c.tpr_at_max, float(c.fpr[np.argmax(c.sic)]), n_s, n_b)
        out[k], out[f"{k}_stat"] = float(c.max_sic), err
    out["n_signal_in_sr"] = float(data["label"][in_sr].sum())
    out["n_background_in_sr"] = float((data["label"][in_sr] == 0).sum())
    out["n_test_background_in_sr"] = float((yt == 0).sum())
    out["sic_cap"] = float(np.sqrt((yt == 0).sum() / mb))
    return out


def _check_rnd(p: dict[str, Any]) -> None:
    check_choice(p["data"], "data", ("toy", "pythia"))
    check_choice(p["density"], "density", ("flow", "gmm"))
    check_int(p["n_seeds"], "n_seeds", low=2)
    check_int(p["n_qcd"], "n_qcd", low=2000)
    check_int(p["n_signal"], "n_signal", low=1)
    check_int(p["n_signal_pool"], "n_signal_pool", low=p["n_signal"] + 3)
    check_real(p["data_fraction"], "data_fraction", low=0.0, high=0.9, low_open=True)
    check_real(p["reference_fraction"], "reference_fraction", low=0.0, high=0.95 - p["data_fraction"],
               low_open=True)
    check_int(p["n_folds"], "n_folds", low=2)
    check_int(p["chunk"], "chunk", low=1)


@experiment(
    "lhco-rnd",
    claim="On the LHC Olympics R&D features with ~1,000 injected signal events, the supervised classifier "
    "has the highest max SIC, weakly supervised methods (CWoLa, CATHODE, ANODE, the idealised detector) "
    "come close, and the autoencoder does worst. Full preset: Pythia 8 events, a pool of 60,000 QCD dijets "
    "(60% data, 20% reference, 20% test per seed) and 2,500 W'(3.5 TeV) → X(500) Y(100) events of which "
    "1,000 are injected; flow densities.",
    source=SOURCE,
    quick=dict(data="toy", n_seeds=2, n_qcd=40000, n_signal_pool=900, n_signal=300, data_fraction=0.3,
               reference_fraction=0.2, density="gmm", n_components=2, flow=None, n_folds=2, oversample=1,
               ae_epochs=8, min_background=20, close_fraction=0.5, chunk=1000),
    full=dict(data="pythia", n_seeds=3, n_qcd=60000, n_signal_pool=2500, n_signal=1000, data_fraction=0.6,
              reference_fraction=0.2, density="flow", n_components=8, flow=FULL_FLOW, n_folds=5, oversample=4,
              ae_epochs=50, min_background=20, close_fraction=0.5, chunk=500),
    tags=("anomaly", "collider", "kahn"),
    validate=_check_rnd,
)
def lhco_rnd(ctx: Context, data: str, n_seeds: int, n_qcd: int, n_signal_pool: int, n_signal: int,
             data_fraction: float, reference_fraction: float, density: str, n_components: int,
             flow: dict | None, n_folds: int, oversample: int, ae_epochs: int, min_background: int,
             close_fraction: float, chunk: int) -> None:
    qcd = _pool(ctx, data, "qcd", n_qcd, "qcd", chunk)
    sig = _pool(ctx, data, "signal", n_signal_pool, "signal", chunk)
    settings = dict(density=density, n_components=n_components, flow=flow, n_folds=n_folds,
                    oversample=oversample, ae_epochs=ae_epochs, min_background=min_background)
    fractions = (data_fraction, reference_fraction)
    items = [(qcd, sig, n_signal, fractions, settings, ctx.seed_for("seed", i)) for i in range(n_seeds)]
    rows = ctx.map(_rnd_seed, items, desc="lhco-rnd seeds")
    sic = {k: np.array([r[k] for r in rows]) for k in METHODS}
    mean = {k: float(v.mean()) for k, v in sic.items()}
    # error of the mean over seeds: the seed spread and the test set's counting error, in quadrature
    stat = {k: float(np.sqrt(np.mean([r[f"{k}_stat"] ** 2 for r in rows]) / n_seeds)) for k in METHODS}
    err = {k: float(np.hypot(v.std(ddof=1) / np.sqrt(len(v)), stat[k])) for k, v in sic.items()}
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
    ctx.metric("max_sic", {k: {"mean": mean[k], "err": err[k], "counting_err": stat[k],
                               "per_seed": sic[k].tolist()} for k in METHODS})
    ctx.metric("sic_cap", float(np.mean([r["sic_cap"] for r in rows])))
    for key in ("n_signal_in_sr", "n_background_in_sr", "n_test_background_in_sr"):
        ctx.metric(key, float(np.mean([r[key] for r in rows])))
    ctx.metric("data", "Pythia 8 + FastJet" if data == "pythia" else "dijet_toy (parametric toy, not Pythia)")
    ctx.metric("density", density)
    fig = ctx.new_figure(figsize=(6.5, 3.6))
    ax = fig.subplots()
    x = np.arange(len(METHODS))
    ax.bar(x, [mean[k] for k in METHODS], yerr=[err[k] for k in METHODS], color="C0")
    for i, k in enumerate(METHODS):
        ax.plot(np.full(len(sic[k]), i), sic[k], "k.", ms=4)
    ax.axhline(ctx.metrics["sic_cap"], ls="--", color="gray", lw=1, label="perfect classifier")
    ax.set(xticks=x, xticklabels=METHODS, ylabel="max SIC = TPR/√FPR",
           title=f"{n_signal} signal events injected ({'Pythia' if data == 'pythia' else 'toy'})")
    ax.legend(fontsize=7)
    ctx.figure(fig, "max_sic")


def _check_blackbox(p: dict[str, Any]) -> None:
    check_choice(p["data"], "data", ("toy", "pythia"))
    check_int(p["n_qcd"], "n_qcd", low=4000)
    check_int(p["n_signal"], "n_signal", low=0)
    check_int(p["n_pseudo"], "n_pseudo", low=10)
    check_real(p["alpha"], "alpha", low=0.0, high=1.0, low_open=True)
    check_int(p["chunk"], "chunk", low=1)


@experiment(
    "lhco-blackbox",
    claim="A bump hunt after a two-prong selection finds a resonance of undisclosed mass within ±200 GeV "
    "with a small background-only p-value and reports no signal in a sample without one, even where an "
    "autoencoder's most anomalous events pile up in the mjj tail. Full preset: Pythia 8 events, 40,000 QCD "
    "dijets split into two boxes of 20,000, 600 W' → XY events of a mass drawn in 3-5 TeV in one of them.",
    source=SOURCE,
    quick=dict(data="toy", n_qcd=40000, n_signal=300, n_pseudo=10, alpha=0.01, tau21_cut=0.6, ae_epochs=5,
               chunk=1000),
    full=dict(data="pythia", n_qcd=40000, n_signal=600, n_pseudo=300, alpha=0.01, tau21_cut=0.6, ae_epochs=50,
              chunk=500),
    tags=("anomaly", "collider", "kahn"),
    validate=_check_blackbox,
)
def lhco_blackbox(ctx: Context, data: str, n_qcd: int, n_signal: int, n_pseudo: int, alpha: float,
                  tau21_cut: float, ae_epochs: int, chunk: int) -> None:
    import torch

    torch.set_num_threads(1)
    rng = ctx.rng("mass")
    true_mass = float(rng.uniform(3000.0, 5000.0))  # undisclosed to the hunt
    qcd = _pool(ctx, data, "qcd", n_qcd, "qcd", chunk)
    half = n_qcd // 2
    boxes = {"no_signal": _take(qcd, slice(half, None))}
    box = _take(qcd, slice(0, half))
    if n_signal:
        signal = _pool(ctx, data, "signal", n_signal, "signal", chunk, true_mass)
        box = collider.concatenate_events([box, signal])
    boxes["signal"] = box
    reports = {}
    for name in ("signal", "no_signal"):
        ev = boxes[name]
        keep = (ev["tau21_j1"] < tau21_cut) & (ev["tau21_j2"] < tau21_cut)
        res = anomaly.bump_hunt(ev["mjj"][keep], n_pseudo=n_pseudo, seed=ctx.seed_for("pseudo", name))
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
    X = anomaly.anomaly_features(ev)
    score = anomaly.AutoencoderScorer(epochs=ae_epochs, seed=ctx.seed_for("ae")).fit(X).score_samples(X)
    top = score >= np.quantile(score, 0.9)
    ratio = float(np.median(ev["mjj"][top]) / np.median(ev["mjj"]))
    ctx.check("no-signal box: median mjj of the autoencoder's top 10% / of all events > 1 (tails look "
              "anomalous)", ratio, 1.0, comparison="at_least")
    # ... yet the bump hunt on the autoencoder-selected events finds no resonance
    ae_hunt = anomaly.bump_hunt(ev["mjj"][top], n_pseudo=n_pseudo, seed=ctx.seed_for("pseudo", "ae"))
    ae_report = ae_hunt.report(alpha=alpha)
    ctx.check(f"no-signal box, autoencoder top 10%: background-only p-value ≥ {alpha}",
              ae_report["p_value_background_only"], alpha, comparison="at_least")
    ctx.metric("true_mass", true_mass)
    ctx.metric("median_mjj_ratio_autoencoder_top10", ratio)
    ctx.metric("reports", reports | {"no_signal_autoencoder_selected": ae_report})
    ctx.metric("data", "Pythia 8 + FastJet" if data == "pythia" else "dijet_toy (parametric toy, not Pythia)")
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
