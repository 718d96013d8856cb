"""Machine learning as an experimental science of scaling laws.

``scaling-dimension``: teacher-student regression on the flat d-torus (intrinsic dimension d
exactly), where a ReLU student's test loss should fall as L ∝ n^(−4/d) with the training-set
size n (Sharma & Kaplan); the fitted α·d/4 is compared with 1 and the intrinsic dimension of
the inputs is measured (TwoNN) and compared with d.

``scaling-fashion``: the test cross-entropy of MLPs on Fashion-MNIST against training-set size
follows L = A n^(−α) + C; the exponent is reported with the intrinsic dimension of the images.

Every (size, seed) point is an independent run (its own data, initialisation and batch order)
computed through ``ctx.map`` (inline, process pool or Dask, resumable point by point). Fits of
L = A n^(−α) + C weight the seed means by their standard errors; the errors of α and C come
from a bootstrap over seeds (:func:`physml.scaling.fit_scaling_law`).

Sources: J. Kaplan, seeds/002; Y. Kahn, seeds/003; Sharma & Kaplan, arXiv:2004.10802; Kaplan et
al., arXiv:2001.08361; Batson & Kahn, arXiv:2312.02264.
"""

from __future__ import annotations

import math
from typing import Any

from physml.lab import Context, experiment

KAPLAN = "Kaplan (seeds/002), scaling laws"
KAHN = "Kahn (seeds/003), ML as an experimental science"
SHARMA = "Sharma & Kaplan, 'A neural scaling law from the dimension of the data manifold', arXiv:2004.10802"
BATSON = "Batson & Kahn, 'Scaling laws in jet classification', arXiv:2312.02264"


def _teacher_point(args: tuple[dict[str, Any], int, int, int]) -> float:
    """Test loss of one student (one sweep point)."""
    import torch

    from physml.scaling import teacher_student_loss

    p, dim, n_train, seed = args
    torch.set_num_threads(1)
    out = teacher_student_loss(
        dim,
        n_train,
        width=p["width"],
        depth=p["depth"],
        steps=p["steps"],
        batch_size=p["batch_size"],
        learning_rate=p["learning_rate"],
        n_test=p["n_test"],
        seed=seed,
    )
    return out["test_loss"]


def _validate_dimension(p: dict[str, Any]) -> None:
    from physml._validation import check_int, check_real

    if len(p["sizes"]) < 4:
        raise ValueError(
            f"sizes must hold at least 4 training-set sizes (a 3-parameter fit), got {p['sizes']}"
        )
    for i, n in enumerate(p["sizes"]):
        check_int(n, f"sizes[{i}]", low=8)
    for i, d in enumerate(p["dims"]):
        check_int(d, f"dims[{i}]", low=1)
    check_int(p["n_seeds"], "n_seeds", low=2)
    check_real(p["model_tolerance"], "model_tolerance", low=0.0)


@experiment(
    "scaling-dimension",
    claim="For teacher-student regression on a d-dimensional data manifold, the test loss of a ReLU network "
    "falls with the training-set size n as A·n^(−α) + C with α ≈ 4/d (α·d/4 ≈ 1), and the measured intrinsic "
    "dimension of the inputs agrees with d.",
    source=f"{SHARMA}; {KAPLAN}; {KAHN}",
    quick=dict(
        dims=(2, 4),
        sizes=(32, 64, 128, 256),
        n_seeds=2,
        width=32,
        depth=2,
        steps=300,
        batch_size=16,
        learning_rate=0.05,
        n_test=1000,
        n_dimension=1500,
        model_tolerance=0.5,
    ),
    full=dict(
        dims=(2, 3, 4, 6, 8),
        sizes=(128, 256, 512, 1024, 2048, 4096),
        n_seeds=3,
        width=128,
        depth=2,
        steps=3000,
        batch_size=64,
        learning_rate=0.05,
        n_test=2000,
        n_dimension=4000,
        model_tolerance=0.3,
    ),
    tags=("scaling", "kaplan", "kahn", "dimension"),
    validate=_validate_dimension,
)
def scaling_dimension(
    ctx: Context,
    dims: tuple[int, ...],
    sizes: tuple[int, ...],
    n_seeds: int,
    width: int,
    depth: int,
    steps: int,
    batch_size: int,
    learning_rate: float,
    n_test: int,
    n_dimension: int,
    model_tolerance: float,
) -> None:
    import numpy as np

    from physml.experiments._tolerances import sigma_multiple
    from physml.geometry import TwoNN
    from physml.scaling import fit_scaling_law, teacher_student_data

    p = dict(
        width=width,
        depth=depth,
        steps=steps,
        batch_size=batch_size,
        learning_rate=learning_rate,
        n_test=n_test,
    )
    items = [(p, d, n, ctx.seed_for("run", d, n, r)) for d in dims for n in sizes for r in range(n_seeds)]
    losses = ctx.map(_teacher_point, items, desc="scaling-dimension students")
    losses = np.array(losses).reshape(len(dims), len(sizes), n_seeds)
    z = sigma_multiple(2 * len(dims))
    rows = []
    fig = ctx.new_figure(figsize=(10.0, 4.0))
    ax1, ax2 = fig.subplots(1, 2)
    for k, d in enumerate(dims):
        fit = fit_scaling_law(np.array(sizes, dtype=float), losses[k], seed=ctx.seed_for("bootstrap", d))
        ratio, ratio_err = fit.exponent * d / 4.0, fit.exponent_err * d / 4.0
        # α ≈ 4/d is an approximation (Sharma & Kaplan find agreement at the tens-of-percent level), so
        # the tolerance is the statistical error plus that model accuracy
        ctx.check(
            f"d={d}: α·d/4", ratio, 1.0, uncertainty=ratio_err, tolerance=z * ratio_err + model_tolerance
        )
        x, _ = teacher_student_data(n_dimension, d, seed=ctx.seed_for("dimension", d))
        est = TwoNN(seed=ctx.seed_for("twonn", d)).fit(x)
        # TwoNN's own bias on a flat torus at these sizes is a few percent of d
        ctx.check(
            f"d={d}: TwoNN intrinsic dimension",
            est.dimension_,
            float(d),
            uncertainty=est.dimension_err_,
            tolerance=z * est.dimension_err_ + 0.05 * d,
        )
        rows.append(
            {
                "d": d,
                "alpha": fit.exponent,
                "alpha_err": fit.exponent_err,
                "alpha_d_over_4": ratio,
                "alpha_d_over_4_err": ratio_err,
                "offset": fit.offset,
                "offset_err": fit.offset_err,
                "chi2": fit.fit.chi2,
                "dof": fit.fit.dof,
                "twonn": est.dimension_,
                "twonn_err": est.dimension_err_,
                "mean_loss": fit.mean_loss,
                "sem_loss": fit.sem_loss,
            }
        )
        line = ax1.errorbar(sizes, fit.mean_loss, yerr=fit.sem_loss, fmt="o", ms=3, label=f"d={d}")
        grid = np.geomspace(min(sizes), max(sizes), 100)
        ax1.plot(grid, fit.fit.predict(grid), "-", lw=0.8, color=line[0].get_color())
    # the ordering alone: a lower dimension gives a steeper fall
    if len(dims) >= 2:
        a = [r["alpha"] for r in rows]
        e = [r["alpha_err"] for r in rows]
        ctx.check(
            f"α(d={dims[0]}) − α(d={dims[-1]}) > 0",
            a[0] - a[-1],
            0.0,
            uncertainty=math.hypot(e[0], e[-1]),
            comparison="at_least",
        )
    ax1.set(
        xscale="log",
        yscale="log",
        xlabel="training-set size n",
        ylabel="test MSE / Var(teacher)",
        title="teacher-student on the flat d-torus",
    )
    ax1.legend(fontsize=7)
    ds = np.array([r["d"] for r in rows], dtype=float)
    ax2.errorbar(
        ds, [r["alpha"] for r in rows], yerr=[r["alpha_err"] for r in rows], fmt="o", label="fitted α"
    )
    dd = np.linspace(ds.min(), ds.max(), 100)
    ax2.plot(dd, 4 / dd, "k--", lw=1, label="4/d")
    ax2.set(xlabel="manifold dimension d", ylabel="α", title="scaling exponent vs dimension")
    ax2.legend(fontsize=8)
    ctx.figure(fig, "scaling-dimension")
    ctx.metric("fits", rows)
    ctx.metric("sigma_multiple", z)


def _fashion_point(args: tuple[dict[str, Any], int, int]) -> dict[str, float]:
    """Test cross-entropy and accuracy of one MLP trained on n Fashion-MNIST images."""
    import numpy as np
    import torch

    from physml.data import fashion_mnist
    from physml.lab import derive_seed
    from physml.nets import MLPClassifier

    p, n, seed = args
    torch.set_num_threads(1)
    x_tr, y_tr = fashion_mnist("train")
    x_te, y_te = fashion_mnist("test")
    tr = np.random.default_rng(derive_seed(seed, "train")).permutation(len(x_tr))[:n]
    te = np.random.default_rng(p["test_seed"]).permutation(len(x_te))[: p["n_test"]]
    x = x_tr[tr].reshape(n, -1) / 255.0
    xt = x_te[te].reshape(len(te), -1) / 255.0
    yt = y_te[te]
    epochs = max(p["min_epochs"], p["steps"] * p["batch_size"] // n)
    clf = MLPClassifier(
        hidden=tuple(p["hidden"]),
        epochs=epochs,
        batch_size=p["batch_size"],
        learning_rate=p["learning_rate"],
        weight_decay=p["weight_decay"],
        schedule="cosine",
        seed=derive_seed(seed, "model"),
    )
    clf.fit(x, y_tr[tr])
    proba = clf.predict_proba(xt)
    index = np.searchsorted(clf.classes_, yt)
    ok = (index < len(clf.classes_)) & (clf.classes_[np.minimum(index, len(clf.classes_) - 1)] == yt)
    p_true = np.where(ok, proba[np.arange(len(yt)), np.minimum(index, len(clf.classes_) - 1)], 0.0)
    loss = float(-np.mean(np.log(np.clip(p_true, 1e-12, 1.0))))
    return {"loss": loss, "accuracy": float(np.mean(clf.predict(xt) == yt)), "epochs": epochs}


def _validate_fashion(p: dict[str, Any]) -> None:
    from physml._validation import check_int

    if len(p["sizes"]) < 4:
        raise ValueError(
            f"sizes must hold at least 4 training-set sizes (a 3-parameter fit), got {p['sizes']}"
        )
    for i, n in enumerate(p["sizes"]):
        check_int(n, f"sizes[{i}]", low=20)
    check_int(p["n_seeds"], "n_seeds", low=2)
    check_int(p["n_dimension"], "n_dimension", low=100)


@experiment(
    "scaling-fashion",
    claim="The test loss of MLPs on Fashion-MNIST falls with the training-set size n as a power law plus a "
    "constant, L = A·n^(−α) + C (a good fit, α > 0 significantly); α is reported with the intrinsic "
    "dimension d of the images and 4/d.",
    source=f"{KAPLAN}; {KAHN}; {SHARMA}; {BATSON}",
    quick=dict(
        sizes=(100, 200, 400, 800, 1600),
        n_seeds=2,
        hidden=(32,),
        steps=100,
        min_epochs=2,
        batch_size=64,
        learning_rate=0.05,
        weight_decay=5e-4,
        n_test=1000,
        n_dimension=800,
    ),
    full=dict(
        sizes=(250, 500, 1000, 2000, 4000, 8000, 16000, 32000),
        n_seeds=3,
        hidden=(256,),
        steps=1500,
        min_epochs=6,
        batch_size=64,
        learning_rate=0.02,
        weight_decay=5e-4,
        n_test=5000,
        n_dimension=5000,
    ),
    tags=("scaling", "kaplan", "kahn", "fashion-mnist"),
    validate=_validate_fashion,
)
def scaling_fashion(
    ctx: Context,
    sizes: tuple[int, ...],
    n_seeds: int,
    hidden: tuple[int, ...],
    steps: int,
    min_epochs: int,
    batch_size: int,
    learning_rate: float,
    weight_decay: float,
    n_test: int,
    n_dimension: int,
) -> None:
    import numpy as np
    from scipy import stats

    from physml.data import fashion_mnist
    from physml.geometry import TwoNN
    from physml.scaling import fit_scaling_law

    p = dict(
        hidden=hidden,
        steps=steps,
        min_epochs=min_epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        weight_decay=weight_decay,
        n_test=n_test,
        test_seed=ctx.seed_for("test"),
    )
    items = [(p, n, ctx.seed_for("run", n, r)) for n in sizes for r in range(n_seeds)]
    runs = ctx.map(_fashion_point, items, desc="scaling-fashion MLPs")
    losses = np.array([r["loss"] for r in runs]).reshape(len(sizes), n_seeds)
    accuracy = np.array([r["accuracy"] for r in runs]).reshape(len(sizes), n_seeds)
    fit = fit_scaling_law(np.array(sizes, dtype=float), losses, seed=ctx.seed_for("bootstrap"))
    ctx.check(
        "α > 0 (loss falls with data)", fit.exponent, 0.0, uncertainty=fit.exponent_err, comparison="at_least"
    )
    ctx.check("α / σ_α (significance)", fit.exponent / fit.exponent_err, 3.0, comparison="at_least")
    # goodness of fit: χ² of the seed means (weighted by their standard errors) below its 99.9% quantile
    # (the errors of means of a few seeds are themselves uncertain, hence the generous quantile)
    chi2_max = float(stats.chi2.ppf(0.999, fit.fit.dof))
    ctx.check("χ² of the fit", fit.fit.chi2, chi2_max, comparison="at_most")

    x_tr, _ = fashion_mnist("train")
    sample = ctx.rng("dimension").permutation(len(x_tr))[:n_dimension]
    images = x_tr[sample].reshape(n_dimension, -1) / 255.0
    est = TwoNN(seed=ctx.seed_for("twonn")).fit(images)
    d, d_err = est.dimension_, est.dimension_err_
    ctx.metric("alpha", fit.exponent)
    ctx.metric("alpha_err", fit.exponent_err)
    ctx.metric("offset", fit.offset)
    ctx.metric("offset_err", fit.offset_err)
    ctx.metric("amplitude", fit.fit.amplitude)
    ctx.metric("chi2", fit.fit.chi2)
    ctx.metric("dof", fit.fit.dof)
    ctx.metric("intrinsic_dimension", d)
    ctx.metric("intrinsic_dimension_err", d_err)
    ctx.metric("four_over_d", 4.0 / d)
    ctx.metric("four_over_d_err", 4.0 * d_err / d**2)
    ctx.metric("sizes", list(sizes))
    ctx.metric("mean_loss", fit.mean_loss)
    ctx.metric("sem_loss", fit.sem_loss)
    ctx.metric("mean_accuracy", accuracy.mean(1))

    fig = ctx.new_figure(figsize=(6.0, 4.0))
    ax = fig.add_subplot()
    ax.errorbar(sizes, fit.mean_loss, yerr=fit.sem_loss, fmt="o", ms=4, label="test cross-entropy")
    grid = np.geomspace(min(sizes), max(sizes), 100)
    ax.plot(
        grid,
        fit.fit.predict(grid),
        "-",
        lw=1,
        label=f"A n^(−α) + C, α = {fit.exponent:.2f} ± {fit.exponent_err:.2f}",
    )
    ax.axhline(fit.offset, color="gray", ls=":", label=f"C = {fit.offset:.3f}")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="training-set size n",
        ylabel="test loss [nats]",
        title=f"Fashion-MNIST MLPs (TwoNN d = {d:.1f} ± {d_err:.1f}, 4/d = {4 / d:.2f})",
    )
    ax.legend(fontsize=8)
    ctx.figure(fig, "scaling-fashion")
