"""Machine learning as an experimental science of scaling laws.

``scaling-dimension``: teacher-student regression on the flat d-torus (intrinsic dimension d
exactly), where a ReLU student's test loss should fall as L ∝ n^(−4/d) with the training-set
size n (Sharma & Kaplan); every student is trained to convergence (early stopping on a
validation split from the same teacher, :func:`physml.scaling.teacher_student_loss` with
``converge=True``); the fitted α·d/4 is compared with 1, the fit's χ² with the seed errors
(Monte-Carlo p-value), and the intrinsic dimension of the inputs is measured (TwoNN) and
compared with d.

``scaling-fashion``: the test cross-entropy of MLPs on Fashion-MNIST, each trained to convergence
(:func:`physml.scaling.train_to_convergence`: early stopping on a validation split), against
training-set size follows L = A n^(−α) + C; a second width shows the width does not bias α; a
separate model-size curve at the largest n; the exponent is reported with the intrinsic dimension
of the images.

Every (size, seed) point is an independent run (its own data, initialisation and batch order)
computed through ``ctx.map`` (inline, process pool or Dask, resumable point by point). Fits of
L = A n^(−α) + C weight the seed means by their standard errors; the errors of α and C come
from a bootstrap over seeds (:func:`physml.scaling.fit_scaling_law`).

Sources: J. Kaplan, "Machine Learning and How Physicists Can Think About It"; Y. Kahn, "Dumb Machine
Learning for Physics" (IAIFI, 2023); Sharma & Kaplan, arXiv:2004.10802; Kaplan et
al., arXiv:2001.08361; Batson & Kahn, arXiv:2312.02264.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml import data, geometry, nets, scaling
from physml._core import check_int, check_real, derive_seed, torch_generator
from physml.experiments._tolerances import sigma_multiple
from physml.lab import Context, experiment

KAPLAN = "Kaplan (Johns Hopkins University), scaling laws"
KAHN = "Kahn (IAIFI Colloquium, 10 March 2023), ML as an experimental science"
SHARMA = "Sharma & Kaplan, 'A neural scaling law from the dimension of the data manifold', arXiv:2004.10802"
BATSON = "Batson & Kahn, 'Scaling laws in jet classification', arXiv:2312.02264"


def _training_flops(widths: tuple[int, ...], steps: float, batch: int) -> float:
    """Training FLOPs of ``steps`` SGD steps of a ReLU MLP with these layer widths on batches of
    ``batch`` samples (:func:`physml.scaling.training_compute`; validation passes not counted)."""
    return float(scaling.training_compute(scaling.count_flops(nets.MLP(widths), (widths[0],)),
                                          samples=int(steps) * batch))


def _teacher_point(args: tuple[dict[str, Any], int, int, int]) -> dict[str, Any]:
    """One student trained to convergence on n teacher samples (one sweep point): its test loss,
    steps and whether it converged."""
    import torch

    p, dim, n_train, seed = args
    torch.set_num_threads(1)
    out = scaling.teacher_student_loss(
        dim,
        n_train,
        width=p["width"],
        depth=p["depth"],
        steps=p["max_steps"],
        batch_size=p["batch_size"],
        learning_rate=p["learning_rate"],
        momentum=p["momentum"],
        n_test=p["n_test"],
        seed=seed,
        converge=True,
        n_val=p["n_val"],
        eval_every=max(-(-n_train // min(p["batch_size"], n_train)), p["min_eval_steps"]),
        patience=p["patience"],
        max_lr_drops=p["max_lr_drops"],
    )
    return {k: out[k] for k in ("test_loss", "val_loss", "steps", "best_step", "converged")}


def _validate_dimension(p: dict[str, Any]) -> None:
    if len(p["sizes"]) < 4:
        raise ValueError(
            f"sizes must hold at least 4 training-set sizes (a 3-parameter fit), got {p['sizes']}"
        )
    for i, n in enumerate(p["sizes"]):
        check_int(n, f"sizes[{i}]", low=8)
    for i, d in enumerate(p["dims"]):
        check_int(d, f"dims[{i}]", low=1)
    check_int(p["n_seeds"], "n_seeds", low=2)
    check_int(p["max_steps"], "max_steps", low=1)
    check_int(p["min_eval_steps"], "min_eval_steps", low=1)
    check_int(p["patience"], "patience", low=1)
    check_int(p["max_lr_drops"], "max_lr_drops", low=0)
    check_int(p["n_val"], "n_val", low=1)
    check_int(p["n_null"], "n_null", low=1)
    check_real(p["model_tolerance"], "model_tolerance", low=0.0)


@experiment(
    "scaling-dimension",
    claim="For teacher-student regression on a d-dimensional data manifold, with every student trained to "
    "convergence (early stopping on a validation split), the test loss of a ReLU network falls with the "
    "training-set size n as A·n^(−α) + C (χ² consistent with the seed errors) with α ≈ 4/d (α·d/4 ≈ 1), "
    "and the measured intrinsic dimension of the inputs agrees with d.",
    source=f"{SHARMA}; {KAPLAN}; {KAHN}",
    quick=dict(
        dims=(2, 4),
        sizes=(32, 64, 128, 256),
        n_seeds=3,
        width=32,
        depth=2,
        batch_size=16,
        learning_rate=0.05,
        momentum=0.9,
        min_eval_steps=25,
        patience=3,
        max_lr_drops=1,
        max_steps=20000,
        n_val=500,
        n_test=1000,
        n_null=100,
        n_dimension=1500,
        model_tolerance=0.5,
    ),
    full=dict(
        dims=(2, 3, 4, 6, 8),
        sizes=(128, 256, 512, 1024, 2048, 4096),
        n_seeds=3,
        width=128,
        depth=2,
        batch_size=64,
        learning_rate=0.05,
        momentum=0.9,
        min_eval_steps=200,
        patience=10,
        max_lr_drops=2,
        max_steps=200000,
        n_val=2000,
        n_test=2000,
        n_null=2000,
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
    batch_size: int,
    learning_rate: float,
    momentum: float,
    min_eval_steps: int,
    patience: int,
    max_lr_drops: int,
    max_steps: int,
    n_val: int,
    n_test: int,
    n_null: int,
    n_dimension: int,
    model_tolerance: float,
) -> None:
    p = dict(
        width=width,
        depth=depth,
        batch_size=batch_size,
        learning_rate=learning_rate,
        momentum=momentum,
        min_eval_steps=min_eval_steps,
        patience=patience,
        max_lr_drops=max_lr_drops,
        max_steps=max_steps,
        n_val=n_val,
        n_test=n_test,
    )
    items = [(p, d, n, ctx.seed_for("run", d, n, r)) for d in dims for n in sizes for r in range(n_seeds)]
    runs = ctx.map(_teacher_point, items, desc="scaling-dimension students")
    shape = (len(dims), len(sizes), n_seeds)

    def table(field: str) -> np.ndarray:
        return np.array([r[field] for r in runs], dtype=float).reshape(shape)

    losses, steps, converged = table("test_loss"), table("steps"), table("converged")
    # each point measures the loss that its n examples allow only if training ended on a plateau
    # of the validation loss, not on the step cap
    ctx.check(
        "fraction of runs converged (not stopped by max_steps)",
        float(converged.mean()),
        1.0,
        comparison="at_least",
    )
    z = sigma_multiple(2 * len(dims))
    # goodness of fit: each d's Monte-Carlo p-value must clear the level at which all len(dims) fits
    # together are rejected by chance with probability 1 % (Šidák)
    p_min = 1.0 - 0.99 ** (1.0 / len(dims))
    rows = []
    fig = ctx.new_figure(figsize=(10.0, 4.0))
    ax1, ax2 = fig.subplots(1, 2)
    for k, d in enumerate(dims):
        fit = scaling.fit_scaling_law(
            np.array(sizes, dtype=float), losses[k], n_null=n_null, seed=ctx.seed_for("bootstrap", d)
        )
        ratio, ratio_err = fit.exponent * d / 4.0, fit.exponent_err * d / 4.0
        # α ≈ 4/d is an approximation (Sharma & Kaplan find agreement at the tens-of-percent level), so
        # the tolerance is the statistical error plus that model accuracy
        ctx.check(
            f"d={d}: α·d/4", ratio, 1.0, uncertainty=ratio_err, tolerance=z * ratio_err + model_tolerance
        )
        ctx.check(f"d={d}: p-value of the fit's χ²", fit.p_value, p_min, comparison="at_least")
        x, _ = scaling.teacher_student_data(n_dimension, d, seed=ctx.seed_for("dimension", d))
        est = geometry.TwoNN(seed=ctx.seed_for("twonn", d)).fit(x)
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
                "amplitude": fit.fit.amplitude,
                "offset": fit.offset,
                "offset_err": fit.offset_err,
                "chi2": fit.fit.chi2,
                "dof": fit.fit.dof,
                "p_value": fit.p_value,
                "twonn": est.dimension_,
                "twonn_err": est.dimension_err_,
                "mean_loss": fit.mean_loss,
                "sem_loss": fit.sem_loss,
                "mean_steps": steps[k].mean(1),
                "converged_fraction": float(converged[k].mean()),
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
        title="teacher-student on the flat d-torus (trained to convergence)",
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
    ctx.metric("sizes", list(sizes))
    ctx.metric("converged_fraction", float(converged.mean()))
    # the compute actually spent: the number of steps is set by convergence, not by the preset
    ctx.metric(
        "training_flops",
        sum(
            _training_flops((2 * d, *[width] * depth, 1), steps[k, j, r], min(batch_size, n))
            for k, d in enumerate(dims)
            for j, n in enumerate(sizes)
            for r in range(n_seeds)
        ),
    )
    ctx.metric("sigma_multiple", z)
    ctx.metric("p_value_threshold", p_min)


def _fashion_point(args: tuple[dict[str, Any], int, int, int, int]) -> dict[str, Any]:
    """One MLP trained to convergence on n Fashion-MNIST images; its test cross-entropy.

    ``data_seed`` draws the n training images and the validation images (disjoint, both from
    the training split); ``model_seed`` the initial weights and the batch order. The test images
    are a fixed subset of the test split, the same for every point.
    """
    import torch

    p, n, width, data_seed, model_seed = args
    torch.set_num_threads(1)
    x_tr, y_tr = data.fashion_mnist("train")
    x_te, y_te = data.fashion_mnist("test")
    order = np.random.default_rng(data_seed).permutation(len(x_tr))
    val, tr = order[: p["n_val"]], order[p["n_val"] : p["n_val"] + n]
    te = np.random.default_rng(p["test_seed"]).permutation(len(x_te))[: p["n_test"]]

    def tensors(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[Any, Any]:
        images = torch.from_numpy((x[idx].reshape(len(idx), -1) / 255.0).astype(np.float32))
        return images, torch.from_numpy(y[idx].astype(np.int64))

    (xt, yt), (xv, yv), (xe, ye) = tensors(x_tr, y_tr, tr), tensors(x_tr, y_tr, val), tensors(x_te, y_te, te)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(model_seed, "init"))
        model = nets.MLP((xt.shape[1], width, 10), "relu")
    batch = min(p["batch_size"], n)
    run = scaling.train_to_convergence(
        model,
        xt,
        yt,
        xv,
        yv,
        torch.nn.functional.cross_entropy,
        batch_size=batch,
        learning_rate=p["learning_rate"],
        momentum=p["momentum"],
        generator=torch_generator(derive_seed(model_seed, "batches")),
        eval_every=max(-(-n // batch), p["min_eval_steps"]),
        patience=p["patience"],
        max_lr_drops=p["max_lr_drops"],
        max_steps=p["max_steps"],
    )
    with torch.no_grad():
        logits = model(xe)
        loss = float(torch.nn.functional.cross_entropy(logits, ye))
        accuracy = float((logits.argmax(1) == ye).float().mean())
    return {
        "loss": loss,
        "accuracy": accuracy,
        "val_loss": run.val_loss,
        "steps": run.steps,
        "best_step": run.best_step,
        "converged": run.converged,
        "n_parameters": int(model.n_parameters),
    }


def _validate_fashion(p: dict[str, Any]) -> None:
    if len(p["sizes"]) < 4:
        raise ValueError(
            f"sizes must hold at least 4 training-set sizes (a 3-parameter fit), got {p['sizes']}"
        )
    for i, n in enumerate(p["sizes"]):
        check_int(n, f"sizes[{i}]", low=20)
    check_int(p["n_seeds"], "n_seeds", low=3)
    check_int(p["width"], "width", low=1)
    check_int(p["check_width"], "check_width", low=1)
    if p["check_width"] == p["width"]:
        raise ValueError(f"check_width must differ from width ({p['width']}), got {p['check_width']}")
    check_int(p["n_val"], "n_val", low=100)
    check_int(p["n_test"], "n_test", low=100, high=10000)
    check_int(p["n_dimension"], "n_dimension", low=100)
    check_real(p["min_significance"], "min_significance", low=0.0)
    if max(p["sizes"]) + p["n_val"] > 60000:
        raise ValueError(
            f"the largest size ({max(p['sizes'])}) plus n_val ({p['n_val']}) must fit in the 60000 training "
            "images"
        )
    widths = p["model_widths"]
    for i, w in enumerate(widths):
        check_int(w, f"model_widths[{i}]", low=1)
    if len(widths) < 4 or len(set(widths)) != len(widths):
        raise ValueError(f"model_widths must hold at least 4 distinct widths, got {widths}")


@experiment(
    "scaling-fashion",
    claim="Trained to convergence (early stopping on a validation split), MLPs on Fashion-MNIST have a test "
    "loss that falls with the training-set size n as L = A·n^(−α) + C (α > 0 significantly, χ² consistent "
    "with the seed errors), and the width does not bias the exponent (a second width gives the same α). "
    "Separately, at the largest n the loss falls with the number of parameters N as A'·N^(−α_N) + C'. "
    "α is reported with the intrinsic dimension d of the images and 4/d.",
    source=f"{KAPLAN}; {KAHN}; {SHARMA}; {BATSON}; Kaplan et al., arXiv:2001.08361 (early-stopped L(D))",
    quick=dict(
        sizes=(100, 200, 400, 800, 1600),
        n_seeds=3,
        width=16,
        check_width=8,
        model_widths=(2, 4, 8, 16),
        min_significance=1.5,
        batch_size=32,
        learning_rate=0.05,
        momentum=0.9,
        patience=3,
        max_lr_drops=1,
        min_eval_steps=20,
        max_steps=20000,
        n_val=300,
        n_test=1000,
        n_null=200,
        n_dimension=800,
    ),
    full=dict(
        sizes=(250, 500, 1000, 2000, 4000, 8000, 16000, 32000),
        n_seeds=6,
        width=512,
        check_width=256,
        model_widths=(8, 16, 32, 64, 128, 256, 512),
        min_significance=3.0,
        batch_size=64,
        learning_rate=0.05,
        momentum=0.9,
        patience=4,
        max_lr_drops=2,
        min_eval_steps=50,
        max_steps=200000,
        n_val=5000,
        n_test=10000,
        n_null=2000,
        n_dimension=5000,
    ),
    tags=("scaling", "kaplan", "kahn", "fashion-mnist"),
    validate=_validate_fashion,
)
def scaling_fashion(
    ctx: Context,
    sizes: tuple[int, ...],
    n_seeds: int,
    width: int,
    check_width: int,
    model_widths: tuple[int, ...],
    min_significance: float,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    patience: int,
    max_lr_drops: int,
    min_eval_steps: int,
    max_steps: int,
    n_val: int,
    n_test: int,
    n_null: int,
    n_dimension: int,
) -> None:
    p = dict(
        batch_size=batch_size,
        learning_rate=learning_rate,
        momentum=momentum,
        patience=patience,
        max_lr_drops=max_lr_drops,
        min_eval_steps=min_eval_steps,
        max_steps=max_steps,
        n_val=n_val,
        n_test=n_test,
        test_seed=ctx.seed_for("test"),
    )
    n_max = max(sizes)
    # two data curves (every size at `width` and at `check_width`) and the model curve (every width
    # at n_max) share runs; replica r at size n uses the same images for every width (paired widths)
    keys = [(n, w, r) for w in (width, check_width) for n in sizes for r in range(n_seeds)]
    keys += [(n_max, w, r) for w in model_widths for r in range(n_seeds) if (n_max, w, r) not in keys]
    items = [(p, n, w, ctx.seed_for("data", n, r), ctx.seed_for("model", n, w, r)) for n, w, r in keys]
    runs = dict(zip(keys, ctx.map(_fashion_point, items, desc="scaling-fashion MLPs"), strict=True))

    def table(field: str, pairs: list[tuple[int, int]]) -> np.ndarray:
        return np.array([[runs[(n, w, r)][field] for r in range(n_seeds)] for n, w in pairs], dtype=float)

    data_pairs = [(n, width) for n in sizes]
    model_pairs = [(n_max, w) for w in model_widths]
    losses = table("loss", data_pairs)
    check_losses = table("loss", [(n, check_width) for n in sizes])
    accuracy = table("accuracy", data_pairs)
    model_losses = table("loss", model_pairs)
    n_params = table("n_parameters", model_pairs)[:, 0]
    converged = np.array([r["converged"] for r in runs.values()], dtype=float)

    fit = scaling.fit_scaling_law(
        np.array(sizes, dtype=float), losses, n_null=n_null, seed=ctx.seed_for("bootstrap", "data")
    )
    cfit = scaling.fit_scaling_law(
        np.array(sizes, dtype=float), check_losses, seed=ctx.seed_for("bootstrap", "check")
    )
    mfit = scaling.fit_scaling_law(n_params, model_losses, n_null=n_null, seed=ctx.seed_for("bootstrap",
                                                                                            "model"))
    z = sigma_multiple(1)
    # each point measures the loss that its data allow only if training ended on a plateau of the
    # validation loss, not on the step cap
    ctx.check(
        "fraction of runs converged (not stopped by max_steps)",
        float(converged.mean()),
        1.0,
        comparison="at_least",
    )
    ctx.check(
        "data: α / σ_α (significance)",
        fit.exponent / fit.exponent_err,
        min_significance,
        comparison="at_least",
    )
    # goodness of fit: Monte-Carlo p-value of χ² (the seed errors are estimated from n_seeds runs)
    ctx.check("data: p-value of the fit's χ²", fit.p_value, 0.01, comparison="at_least")
    # the width does not bias the exponent: the curve at check_width has the same α. The errors
    # are added in quadrature although the two curves share their images (positively correlated
    # errors), so this tolerance is on the generous side.
    a_err = math.hypot(fit.exponent_err, cfit.exponent_err)
    ctx.check(
        f"α(width {width}) − α(width {check_width})",
        fit.exponent - cfit.exponent,
        0.0,
        uncertainty=a_err,
        tolerance=z * a_err,
    )
    # how much the width matters at n_max (paired over replicas, which share their images)
    diff = check_losses[-1] - losses[-1]
    diff_err = float(diff.std(ddof=1) / math.sqrt(n_seeds))
    ctx.check(
        "model: α_N / σ (significance)",
        mfit.exponent / mfit.exponent_err,
        min_significance,
        comparison="at_least",
    )
    ctx.check("model: p-value of the fit's χ²", mfit.p_value, 0.01, comparison="at_least")

    x_tr, _ = data.fashion_mnist("train")
    sample = ctx.rng("dimension").permutation(len(x_tr))[:n_dimension]
    images = x_tr[sample].reshape(n_dimension, -1) / 255.0
    est = geometry.TwoNN(seed=ctx.seed_for("twonn")).fit(images)
    d, d_err = est.dimension_, est.dimension_err_
    for name, f in (("", fit), ("model_", mfit)):
        ctx.metric(f"{name}alpha", f.exponent)
        ctx.metric(f"{name}alpha_err", f.exponent_err)
        ctx.metric(f"{name}offset", f.offset)
        ctx.metric(f"{name}offset_err", f.offset_err)
        ctx.metric(f"{name}amplitude", f.fit.amplitude)
        ctx.metric(f"{name}chi2", f.fit.chi2)
        ctx.metric(f"{name}dof", f.fit.dof)
        ctx.metric(f"{name}p_value", f.p_value)
        ctx.metric(f"{name}mean_loss", f.mean_loss)
        ctx.metric(f"{name}sem_loss", f.sem_loss)
    ctx.metric("sizes", list(sizes))
    ctx.metric("model_widths", list(model_widths))
    ctx.metric("model_parameters", n_params)
    ctx.metric("mean_accuracy", accuracy.mean(1))
    ctx.metric("mean_steps", table("steps", data_pairs).mean(1))
    ctx.metric("mean_best_step", table("best_step", data_pairs).mean(1))
    ctx.metric("model_mean_steps", table("steps", model_pairs).mean(1))
    ctx.metric(
        "training_flops",
        sum(
            _training_flops((784, w, 10), run["steps"], min(batch_size, n))
            for (n, w, _), run in runs.items()
        ),
    )
    ctx.metric("check_width_alpha", cfit.exponent)
    ctx.metric("check_width_alpha_err", cfit.exponent_err)
    ctx.metric("check_width_offset", cfit.offset)
    ctx.metric("check_width_mean_loss", cfit.mean_loss)
    ctx.metric("check_width_sem_loss", cfit.sem_loss)
    ctx.metric("width_effect_at_n_max", {"diff": float(diff.mean()), "diff_err": diff_err})
    ctx.metric("intrinsic_dimension", d)
    ctx.metric("intrinsic_dimension_err", d_err)
    ctx.metric("four_over_d", 4.0 / d)
    ctx.metric("four_over_d_err", 4.0 * d_err / d**2)

    fig = ctx.new_figure(figsize=(10.0, 4.0))
    ax1, ax2 = fig.subplots(1, 2)
    for ax, f, x, label in (
        (ax1, fit, np.array(sizes, dtype=float), "training-set size n"),
        (ax2, mfit, n_params, f"parameters N (one hidden layer; n = {n_max})"),
    ):
        ax.errorbar(x, f.mean_loss, yerr=f.sem_loss, fmt="o", ms=4, label="test cross-entropy (seed mean)")
        grid = np.geomspace(x.min(), x.max(), 100)
        ax.plot(
            grid,
            f.fit.predict(grid),
            "-",
            lw=1,
            label=f"A x^(−α) + C: α = {f.exponent:.2f} ± {f.exponent_err:.2f}, p = {f.p_value:.2g}",
        )
        ax.axhline(f.offset, color="gray", ls=":", label=f"C = {f.offset:.3f} ± {f.offset_err:.3f}")
        ax.set(xscale="log", yscale="log", xlabel=label, ylabel="test loss [nats]")
        ax.legend(fontsize=7)
    ax1.set_title(
        f"data scaling (width {width}; TwoNN d = {d:.1f} ± {d_err:.1f}, 4/d = {4 / d:.2f})", fontsize=9
    )
    ax2.set_title("model-size scaling at fixed data", fontsize=9)
    ctx.figure(fig, "scaling-fashion")
