"""Jets generated with Pythia 8 and FastJet: quark versus gluon discrimination by a "dumb" linear
model against an MLP on jet images, and the covariance spectrum of jet images."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml import data, geometry, nets
from physml._core import check_int
from physml.data import collider
from physml.lab import Context, experiment

KAHN = "Kahn, 'Dumb Machine Learning for Physics' (IAIFI Colloquium, 10 March 2023)"
QG_SOURCE = (
    f"{KAHN}, slide 'Jet images vs. cat images' (quark vs. gluon: linear regression on engineered "
    "features does better!?); Komiske, Metodiev, Thaler, JHEP 01 (2019) 121 (the Z+jet quark/gluon "
    "sample); Larkoski, Thaler, Waalewijn, JHEP 11 (2014) 129 (angularities)"
)
#: the engineered features of the linear model
ENGINEERED = ("multiplicity", "width", "lha", "ptd2", "mass_angularity", "mass")


def _qg_chunk(args: tuple[int, int]) -> dict[str, Any]:
    """One chunk of quark/gluon jets (a module-level function for the process and Dask executors)."""
    n, seed = args
    return collider.generate_qg_jets(n, seed=seed)


def _qg_jets(ctx: Context, n_jets: int, chunk: int = 250) -> dict[str, Any]:
    """Quark/gluon jets generated in chunks through ``ctx.map`` (cached, so a rerun resumes)."""
    sizes = [min(chunk, n_jets - s) for s in range(0, n_jets, chunk)]
    items = [(n, ctx.seed_for("qg", i)) for i, n in enumerate(sizes)]
    return collider.concatenate_events(ctx.map(_qg_chunk, items, desc="pythia Z+jet"))


def _check_qg(p: dict[str, Any]) -> None:
    check_int(p["n_jets"], "n_jets", low=40)
    check_int(p["n_folds"], "n_folds", low=2, high=20)
    check_int(p["epochs"], "epochs", low=1)
    for i, w in enumerate(p["hidden"]):
        check_int(w, f"hidden[{i}]", low=1)


@experiment(
    "qg-linear-vs-mlp",
    claim="For quark versus gluon jets (Pythia Z+jet, anti-kT R = 0.4, 500-550 GeV), a linear model on "
    "six engineered features (multiplicity, width, Les Houches angularity, pT_D², mass angularity, "
    "mass) separates them (AUC above 0.7) and does at least as well as an MLP on 33x33 jet images "
    "trained on the same jets (AUC no more than 0.02 below it).",
    source=QG_SOURCE,
    quick=dict(n_jets=80, n_folds=2, hidden=(32,), epochs=5, min_auc=0.6, margin=0.02),
    full=dict(n_jets=10000, n_folds=5, hidden=(256, 256), epochs=30, min_auc=0.7, margin=0.02),
    validate=_check_qg,
)
def qg_linear_vs_mlp(
    ctx: Context,
    n_jets: int,
    n_folds: int,
    hidden: tuple[int, ...],
    epochs: int,
    min_auc: float,
    margin: float,
) -> None:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    jets = _qg_jets(ctx, n_jets)
    y = jets["label"].astype(int)
    features = np.column_stack([jets[k] for k in ENGINEERED])
    images = jets["image"].reshape(len(y), -1).astype(np.float32)
    # standardise the image pixels with training statistics inside each fold
    folds = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=ctx.seed_for("folds") % 2**32)
    auc_lin, auc_mlp, auc_mult = [], [], []
    for k, (train, test) in enumerate(folds.split(features, y)):
        linear = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        linear.fit(features[train], y[train])
        auc_lin.append(roc_auc_score(y[test], linear.predict_proba(features[test])[:, 1]))
        auc_mult.append(roc_auc_score(y[test], -jets["multiplicity"][test]))
        mean, std = images[train].mean(axis=0), images[train].std(axis=0) + 1e-3
        mlp = nets.MLPClassifier(hidden, epochs=epochs, learning_rate=0.01, weight_decay=1e-4,
                            schedule="cosine", seed=ctx.seed_for("mlp", k))
        mlp.fit((images[train] - mean) / std, y[train])
        auc_mlp.append(roc_auc_score(y[test], mlp.predict_proba((images[test] - mean) / std)[:, 1]))
    lin, mlp_auc = np.array(auc_lin), np.array(auc_mlp)
    # spread over folds: the folds' test sets are disjoint, their training sets overlap; the standard
    # error of the mean of K fold AUCs is estimated as std/sqrt(K)
    se = lambda a: float(a.std(ddof=1) / math.sqrt(len(a)))  # noqa: E731
    diff = lin - mlp_auc
    ctx.check("linear model AUC on engineered features", float(lin.mean()), min_auc,
              uncertainty=se(lin), comparison="at_least")
    ctx.check(f"linear AUC minus MLP-on-images AUC (at least -{margin})", float(diff.mean()), -margin,
              uncertainty=se(diff), comparison="at_least")
    ctx.metric("auc_linear_folds", lin.tolist())
    ctx.metric("auc_mlp_images_folds", mlp_auc.tolist())
    ctx.metric("auc_multiplicity_alone", float(np.mean(auc_mult)))
    ctx.metric("mlp_parameters", int(mlp.n_parameters_))
    ctx.metric("linear_parameters", len(ENGINEERED) + 1)
    ctx.metric("quark_fraction", float(y.mean()))

    fig = ctx.new_figure(figsize=(10.0, 4.0))
    ax1, ax2 = fig.subplots(1, 2)
    quark = y == 1
    for label, mask in (("quark", quark), ("gluon", ~quark)):
        ax1.hist(jets["multiplicity"][mask], bins=30, histtype="step", density=True, label=label)
    ax1.set(xlabel="constituent multiplicity", ylabel="density", title="quark vs gluon jets")
    ax1.legend()
    gluon_mean, quark_mean = jets["image"][~quark].mean(axis=0), jets["image"][quark].mean(axis=0)
    mean_img = np.log10(gluon_mean + 1e-6) - np.log10(quark_mean + 1e-6)
    im = ax2.imshow(mean_img.T, origin="lower", extent=(-0.4, 0.4, -0.4, 0.4), cmap="RdBu_r",
                    vmin=-1, vmax=1)
    fig.colorbar(im, ax=ax2, label="log10 (gluon / quark) mean pT fraction")
    ax2.set(xlabel="Δη", ylabel="Δφ", title="gluon jets are wider")
    ctx.figure(fig, "qg")


def _check_spectrum(p: dict[str, Any]) -> None:
    check_int(p["n_jets"], "n_jets", low=40)
    check_int(p["n_images"], "n_images", low=40)
    lo, hi = p["fit_range"]
    check_int(lo, "fit_range[0]", low=1)
    check_int(hi, "fit_range[1]", low=lo + 2)
    if hi >= min(p["n_jets"], p["n_images"]):
        raise ValueError(f"fit_range ends at rank {hi}: need more than {hi} jets and images")


@experiment(
    "jet-image-spectrum",
    claim="The covariance eigenvalues of quark/gluon jet images fall as a power law λ_i ∝ i^-(1+α) over "
    "more than two decades, like those of Fashion-MNIST images: jets have important features at all "
    "scales.",
    source=f"{KAHN}, slides 'power laws in data covariance eigenvalues' and 'Jet images vs. cat images'; "
    "Maloney, Roberts, Sully, arXiv:2210.16859",
    quick=dict(n_jets=80, n_images=500, fit_range=(2, 30), max_residual=0.3, min_decades=1.0),
    full=dict(n_jets=5000, n_images=10000, fit_range=(2, 200), max_residual=0.15, min_decades=2.0),
    validate=_check_spectrum,
)
def jet_image_spectrum(
    ctx: Context,
    n_jets: int,
    n_images: int,
    fit_range: tuple[int, int],
    max_residual: float,
    min_decades: float,
) -> None:
    jets = _qg_jets(ctx, n_jets)
    lo, hi = fit_range
    spectra = {}
    jet_pixels = jets["image"].reshape(n_jets, -1).astype(np.float64)
    spectra["jets"] = geometry.CovarianceSpectrum(fit_range=(lo, hi),
                                                  seed=ctx.seed_for("jets")).fit(jet_pixels)
    # the same jets rotated and flipped (the usual jet-image preprocessing): measured, not checked
    aligned = jets["image_aligned"].reshape(n_jets, -1).astype(np.float64)
    spectra["jets_aligned"] = geometry.CovarianceSpectrum(fit_range=(lo, hi),
                                                          seed=ctx.seed_for("aligned")).fit(
        aligned
    )
    x, _ = data.fashion_mnist("train")
    pick = ctx.rng("fashion").permutation(len(x))[:n_images]
    fashion = x[pick].reshape(n_images, -1) / 255.0
    spectra["fashion"] = geometry.CovarianceSpectrum(fit_range=(lo, hi),
                                                     seed=ctx.seed_for("fashion")).fit(fashion)
    for name, sp in spectra.items():
        ev = sp.eigenvalues_
        decades = math.log10(ev[lo - 1] / ev[hi - 1])
        err = sp.alpha_err_ if math.isfinite(sp.alpha_err_) else math.inf
        ctx.metric(f"{name}_alpha", float(sp.alpha_))
        ctx.metric(f"{name}_alpha_err", float(err))
        ctx.metric(f"{name}_rms_residual", float(sp.rms_residual_))
        ctx.metric(f"{name}_decades", float(decades))
        if name == "jets":
            ctx.check("jet images: rms residual of ln λ about the power law", float(sp.rms_residual_),
                      max_residual, comparison="at_most")
            ctx.check("jet images: decades of λ spanned by the fit", float(decades), min_decades,
                      comparison="at_least")
            ctx.check("jet images: α (decay faster than 1/i)", float(sp.alpha_), 0.0,
                      uncertainty=err, comparison="at_least")

    fig = ctx.new_figure(figsize=(6.0, 4.5))
    ax = fig.subplots()
    for name, sp in spectra.items():
        ev = sp.eigenvalues_
        ranks = np.arange(1, len(ev) + 1)
        keep = ev > ev[0] * 1e-12
        ax.loglog(ranks[keep], ev[keep] / ev[lo - 1], label=f"{name}: α = {sp.alpha_:.2f}")
    ax.axvspan(lo, hi, color="0.9")
    ax.set(xlabel="rank i", ylabel=f"λ_i / λ_{lo}", title="covariance spectra")
    ax.legend()
    ctx.figure(fig, "spectra")
