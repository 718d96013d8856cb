"""Adversarial examples: nudging images in high-dimensional spaces.

An MLP is trained on Fashion-MNIST; FGSM and PGD attacks in the L∞ and L2 norms (pixels in
[0, 1], attacks clipped to that box) show how its accuracy falls with the size ε of the
perturbation, and bisection finds each test image's smallest successful PGD perturbation (its
distance to the decision boundary). These are compared with the distance from each test image
to the nearest training image of another class: the boundary is far closer than the other
classes are.

Uncertainties: binomial for accuracies; a bootstrap over test images for the ratio of median
distances. Sources: J. Byers, "Machine Learning and Physics: A Faustian Bargain?", GGI 2022 ("nudging
images in high-dimensional spaces");
Goodfellow, Shlens & Szegedy, arXiv:1412.6572 (FGSM); Madry et al., arXiv:1706.06083 (PGD).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml import data as datasets
from physml import nets, robustness
from physml._core import check_int, check_real
from physml.lab import Context, experiment

BYERS = "Byers (GGI, 14 September 2022), adversarial examples: nudging images in high-dimensional spaces"
REFS = "Goodfellow et al., arXiv:1412.6572 (FGSM); Madry et al., arXiv:1706.06083 (PGD)"


def _validate(p: dict[str, Any]) -> None:
    check_int(p["n_train"], "n_train", low=100)
    check_int(p["n_attack"], "n_attack", low=20)
    check_int(p["n_reference"], "n_reference", low=100)
    check_int(p["n_boundary"], "n_boundary", low=10)
    check_int(p["epochs"], "epochs", low=1)
    check_real(p["max_ratio_l2"], "max_ratio_l2", low=0.0)
    check_real(p["max_ratio_linf"], "max_ratio_linf", low=0.0)
    check_real(p["near_zero"], "near_zero", low=0.0, high=1.0)


def _load(n_train: int, n_attack: int, n_reference: int, seed: int) -> dict[str, Any]:
    x_tr, y_tr = datasets.fashion_mnist("train")
    x_te, y_te = datasets.fashion_mnist("test")
    rng = np.random.default_rng(seed)
    tr = rng.permutation(len(x_tr))
    te = rng.permutation(len(x_te))[:n_attack]
    flat = lambda a: (a.reshape(len(a), -1) / 255.0).astype(np.float32)  # noqa: E731
    return {
        "x_train": flat(x_tr[tr[:n_train]]),
        "y_train": y_tr[tr[:n_train]].astype(np.int64),
        "x_ref": flat(x_tr[tr[-n_reference:]]),
        "y_ref": y_tr[tr[-n_reference:]].astype(np.int64),
        "x_test": flat(x_te[te]),
        "y_test": y_te[te].astype(np.int64),
    }


@experiment(
    "adversarial-fashion",
    claim="PGD perturbations drive a Fashion-MNIST MLP's accuracy to near zero (≤ 5%) at an L∞ size of a "
    "third of the typical L∞ distance between images of different classes, and the median distance to the "
    "decision boundary is at most half (L2) and a quarter (L∞) of the median distance to the nearest image "
    "of another class.",
    source=f"{BYERS}; {REFS}",
    quick=dict(
        n_train=2000,
        epochs=6,
        hidden=(128,),
        n_attack=150,
        n_reference=1500,
        n_boundary=40,
        pgd_steps=10,
        max_ratio_l2=0.5,
        max_ratio_linf=0.25,
        near_zero=0.05,
    ),
    full=dict(
        n_train=60000,
        epochs=15,
        hidden=(256,),
        n_attack=2000,
        n_reference=20000,
        n_boundary=500,
        pgd_steps=40,
        max_ratio_l2=0.5,
        max_ratio_linf=0.25,
        near_zero=0.05,
    ),
    tags=("robustness", "byers", "fashion-mnist"),
    validate=_validate,
)
def adversarial_fashion(
    ctx: Context,
    n_train: int,
    epochs: int,
    hidden: tuple[int, ...],
    n_attack: int,
    n_reference: int,
    n_boundary: int,
    pgd_steps: int,
    max_ratio_l2: float,
    max_ratio_linf: float,
    near_zero: float,
) -> None:
    data = _load(n_train, n_attack, n_reference, ctx.seed_for("data"))
    clf = nets.MLPClassifier(
        hidden=tuple(hidden), epochs=epochs, learning_rate=0.05, schedule="cosine", seed=ctx.seed_for("model")
    )
    clf.fit(data["x_train"], data["y_train"])
    model = clf.model_
    x, y = data["x_test"], data["y_test"]
    clean = float(clf.score(x, y))
    clean_err = math.sqrt(clean * (1 - clean) / len(y))
    ctx.check("clean test accuracy", clean, 0.7, uncertainty=clean_err, comparison="at_least")

    dist = {}
    for norm in ("2", "inf"):
        dist[norm] = robustness.nearest_other_class_distance(
            x, y, reference=data["x_ref"], reference_labels=data["y_ref"], norm=norm
        )
    d_med = {k: float(np.median(v)) for k, v in dist.items()}
    grids = {norm: d_med[norm] * np.array([0.0, 0.02, 0.05, 0.1, 0.2, 1 / 3, 0.5]) for norm in ("2", "inf")}
    curves = {}
    for norm in ("2", "inf"):
        for attack in ("fgsm", "pgd"):
            curves[attack, norm] = robustness.accuracy_curve(
                model,
                x,
                y,
                grids[norm],
                attack=attack,
                norm=norm,
                n_steps=pgd_steps,
                clip=(0.0, 1.0),
                seed=ctx.seed_for("pgd", norm),
            )
    rng = ctx.rng("bootstrap")
    correct = clf.predict(x[:n_boundary]) == y[:n_boundary]
    boundary = {}
    for norm in ("2", "inf"):
        pgd_acc = curves["pgd", norm]
        if norm == "inf":
            # near zero at a third of the median L∞ distance between classes (in L2 a tail of
            # images survives longer: reported in the metrics and the figure, not checked)
            ctx.check(
                f"L∞: PGD accuracy at ε = d_other/3 (d_other = {d_med[norm]:.3g})",
                float(pgd_acc.accuracy[-2]),
                near_zero,
                uncertainty=float(pgd_acc.stderr[-2]),
                tolerance=2 * math.sqrt(near_zero * (1 - near_zero) / len(y)),
                comparison="at_most",
            )
        eps_max = d_med[norm]
        b = robustness.minimal_perturbation(
            model,
            x[:n_boundary],
            y[:n_boundary],
            norm=norm,
            epsilon_max=eps_max,
            n_bisections=10,
            n_steps=pgd_steps,
            clip=(0.0, 1.0),
        )
        b = b[correct]  # distance to the boundary of correctly classified images
        d_own = dist[norm][:n_boundary][correct]
        ratio = float(np.median(b) / np.median(d_own))
        boots = []
        for _ in range(300):
            i = rng.integers(b.size, size=b.size)
            boots.append(np.median(b[i]) / np.median(d_own[i]))
        ratio_err = float(np.std(boots, ddof=1))
        boundary[norm] = {
            "epsilon_at_near_zero_accuracy": pgd_acc.epsilon_at(near_zero),
            "median_boundary": float(np.median(b)),
            "median_other_class": float(np.median(d_own)),
            "ratio": ratio,
            "ratio_err": ratio_err,
            "unreached": int(np.sum(np.isinf(b))),
        }
        ctx.check(
            f"L{'∞' if norm == 'inf' else '2'}: median distance to boundary / to nearest other-class image",
            ratio,
            max_ratio_l2 if norm == "2" else max_ratio_linf,
            uncertainty=ratio_err,
            comparison="at_most",
        )
    # PGD is the stronger attack: never clearly above FGSM at the same ε
    gap = max(float(np.max(curves["pgd", n].accuracy - curves["fgsm", n].accuracy)) for n in ("2", "inf"))
    ctx.check(
        "PGD accuracy − FGSM accuracy, largest over ε and norms",
        gap,
        0.0,
        tolerance=3 * math.sqrt(0.25 * 2 / len(y)),
        comparison="at_most",
    )
    ctx.metric("clean_accuracy", clean)
    ctx.metric("median_other_class_distance", d_med)
    ctx.metric("boundary", boundary)
    ctx.metric(
        "curves",
        {
            f"{a}-L{n}": {"epsilon": c.epsilons, "accuracy": c.accuracy, "stderr": c.stderr}
            for (a, n), c in curves.items()
        },
    )

    fig = ctx.new_figure(figsize=(10.0, 4.0))
    axes = fig.subplots(1, 2)
    for ax, norm in zip(axes, ("2", "inf"), strict=True):
        for attack in ("fgsm", "pgd"):
            c = curves[attack, norm]
            ax.errorbar(c.epsilons, c.accuracy, yerr=c.stderr, fmt="o-", ms=3, label=attack.upper())
        ax.axvline(
            boundary[norm]["median_boundary"], color="gray", ls=":", label="median distance to boundary"
        )
        ax.axvline(d_med[norm], color="k", ls="--", label="median distance to other class")
        ax.set(
            xlabel=f"ε (L{norm}, pixels in [0, 1])",
            ylabel="test accuracy",
            ylim=(0, 1),
            title=f"L{norm} attacks",
        )
        ax.legend(fontsize=7)
    ctx.figure(fig, "accuracy-vs-epsilon")
