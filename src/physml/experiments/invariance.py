"""Invariance, relevance and compression (Byers' triangles), and ML by the numbers (Kaplan).

Sources: J. Byers, "Machine Learning and Physics: A Faustian Bargain?" (GGI, 14 September 2022), slides
"Choosing the Relevance of Triangles", "Shapes and Geometric Invariants", "Transformations: From
Model to Model Relevance Space", "Model compression: Triangle Example"; J. Kaplan, "Machine
Learning and How Physicists Can Think About It" (Johns Hopkins University), slides "MNIST by the Numbers",
"ML by the Numbers", "Why Now?".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml import geometry, invariance, nets, scaling
from physml._core import check_int, check_real
from physml.experiments._tolerances import sigma_multiple
from physml.lab import Context, experiment, get_experiment

BYERS = "Byers, 'Machine Learning and Physics: A Faustian Bargain?' (GGI, 14 September 2022)"
KAPLAN = "Kaplan, 'Machine Learning and How Physicists Can Think About It' (Johns Hopkins University)"
HADSELL = "Hadsell, Chopra, LeCun, 'Dimensionality reduction by learning an invariant mapping', CVPR 2006"
KAPLAN_LAWS = "Kaplan et al., arXiv:2001.08361 (training C ≈ 6N FLOPs per token)"

STAGES = (None, "translation", "translation+rotation", "translation+rotation+scaling")
STAGE_DIMENSIONS = (6, 4, 3, 2)
# Levina-Bickel's small-sample bias at these sizes (a few per cent, measured on Gaussian data in
# tests/invariance): a systematic allowance added to the statistical one.
MLE_SYSTEMATIC = 0.03
SHAPE_THRESHOLD = 2 * math.pi / 3  # the shape question: is the largest angle above 120 degrees?


def _check_triangles(p: dict[str, Any]) -> None:
    check_int(p["n_triangles"], "n_triangles", low=200)
    check_int(p["n_test"], "n_test", low=100)
    check_int(p["n_repeats"], "n_repeats", low=2)
    check_int(p["embed_steps"], "embed_steps", low=1)
    check_int(p["embed_samples"], "embed_samples", low=100)
    check_real(p["target_accuracy"], "target_accuracy", low=0.5, high=1.0)
    check_real(p["min_ratio"], "min_ratio", low=1.0)
    if len(p["sizes"]) < 3 or any(b <= a for a, b in zip(p["sizes"][:-1], p["sizes"][1:], strict=True)):
        raise ValueError(f"sizes must be at least 3 increasing training-set sizes, got {p['sizes']}")
    if p["sizes"][-1] > p["n_triangles"]:
        raise ValueError(f"the largest size {p['sizes'][-1]} exceeds n_triangles = {p['n_triangles']}")


@experiment(
    "triangles-relevance",
    claim="Random planar triangles have intrinsic dimension 6, 4, 3 and 2 as translations, rotations and "
    "scale are quotiented; a shape classifier (largest angle above 120°?) reaches a given accuracy with far "
    "fewer samples on the angles than on the raw coordinates; and a network trained to be "
    "similarity-invariant gives a two-dimensional representation.",
    source=f"{BYERS}, slides 'Choosing the Relevance of Triangles' and 'Model compression: Triangle "
    f"Example'; {HADSELL}; P(obtuse) = 3/4 for Gaussian vertices (Eisenberg & Sullivan, Math. Mag. 69, "
    "1996)",
    quick=dict(
        n_triangles=4096, n_test=1000, sizes=(8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096), n_repeats=3,
        target_accuracy=0.7, min_ratio=10.0, embed_samples=1000, embed_steps=300,
    ),
    full=dict(
        n_triangles=32768, n_test=5000,
        sizes=(8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768), n_repeats=10,
        target_accuracy=0.8, min_ratio=10.0, embed_samples=5000, embed_steps=3000,
    ),
    tags=("invariance", "byers", "dimension", "relevance"),
    validate=_check_triangles,
)
def triangles_relevance(
    ctx: Context,
    n_triangles: int,
    n_test: int,
    sizes: tuple[int, ...],
    n_repeats: int,
    target_accuracy: float,
    min_ratio: float,
    embed_samples: int,
    embed_steps: int,
) -> None:
    import torch
    from sklearn.neighbors import KNeighborsClassifier

    torch.set_num_threads(1)
    x = invariance.random_point_sets(n_triangles, seed=ctx.seed_for("train"))
    xt = invariance.random_point_sets(n_test, seed=ctx.seed_for("test"))
    z = sigma_multiple(7)

    # 1. dimension before and after quotienting (Levina-Bickel; TwoNN as a second opinion)
    mle = invariance.quotient_dimensions(x, STAGES, estimator="mle", seed=ctx.seed_for("mle"))
    two = invariance.quotient_dimensions(x, STAGES, estimator="twonn", seed=ctx.seed_for("twonn"))
    labels = ("raw", "translations quotiented", "+ rotations", "+ scale")
    for q, d, label in zip(mle, STAGE_DIMENSIONS, labels, strict=True):
        ctx.check(f"dimension, {label} (Levina-Bickel)", q.dimension, d, uncertainty=q.dimension_err,
                  tolerance=z * q.dimension_err + MLE_SYSTEMATIC * d)
    ctx.metric("dimensions_levina_bickel", [[q.group, q.dimension, q.dimension_err] for q in mle])
    ctx.metric("dimensions_twonn", [[q.group, q.dimension, q.dimension_err] for q in two])

    # 2. labels: the fraction of obtuse triangles is exactly 3/4 for Gaussian vertices
    y, yt = invariance.is_obtuse(x), invariance.is_obtuse(xt)
    frac = float(y.mean())
    err = math.sqrt(0.75 * 0.25 / n_triangles)
    ctx.check("fraction of obtuse triangles", frac, 0.75, uncertainty=err, tolerance=z * err)

    # 3. sample efficiency: k-nearest neighbours on raw coordinates versus on the angles, for the
    # shape question "is the largest angle above 120°?" (43.6% yes: near balanced, so chance is ~56%)
    y = invariance.triangle_angles(x).max(axis=1) > SHAPE_THRESHOLD
    yt = invariance.triangle_angles(xt).max(axis=1) > SHAPE_THRESHOLD
    ctx.metric("fraction_above_120_degrees", float(y.mean()))
    def knn(seed: int) -> Any:
        return KNeighborsClassifier(n_neighbors=5)

    raw = invariance.learning_curve(knn, x.reshape(n_triangles, -1), y, xt.reshape(n_test, -1), yt, sizes,
                         n_repeats=n_repeats, seed=ctx.seed_for("raw"))
    inv = invariance.learning_curve(knn, invariance.triangle_angles(x), y, invariance.triangle_angles(xt),
                                    yt, sizes,
                         n_repeats=n_repeats, seed=ctx.seed_for("angles"))
    similarity = invariance.Group("similarity")
    canon = invariance.learning_curve(knn, similarity.canonicalize(x).reshape(n_triangles, -1), y,
                           similarity.canonicalize(xt).reshape(n_test, -1), yt, sizes,
                           n_repeats=n_repeats, seed=ctx.seed_for("canonical"))
    n_canon = canon.samples_to_reach(target_accuracy, seed=ctx.seed_for("boot-canonical"))
    ctx.metric("samples_to_target_canonical", n_canon)
    ctx.metric("learning_curve_canonical", canon.mean)
    n_raw, n_raw_err = raw.samples_to_reach(target_accuracy, seed=ctx.seed_for("boot-raw"))
    n_inv, n_inv_err = inv.samples_to_reach(target_accuracy, seed=ctx.seed_for("boot-inv"))
    if math.isfinite(n_raw):
        ratio = n_raw / n_inv
        ratio_err = ratio * math.hypot(n_raw_err / n_raw, n_inv_err / n_inv)
    else:  # raw coordinates never got there: report the lower bound from the largest size
        ratio, ratio_err = sizes[-1] / n_inv, math.inf
    ctx.check(f"samples to {target_accuracy:.0%} accuracy (>120°?): raw / angles", ratio, min_ratio,
              uncertainty=ratio_err if math.isfinite(ratio_err) else 0.0, comparison="at_least")
    ctx.metric("samples_to_target_raw", [n_raw, n_raw_err])
    ctx.metric("samples_to_target_angles", [n_inv, n_inv_err])
    ctx.metric("learning_curve_sizes", raw.sizes)
    ctx.metric("learning_curve_raw", raw.mean)
    ctx.metric("learning_curve_angles", inv.mean)

    # 4. a learned similarity-invariant map: its image is two-dimensional
    emb = invariance.InvariantEmbedding("similarity", n_components=2, hidden=(64, 64), steps=embed_steps,
                             seed=ctx.seed_for("embedding")).fit(x[:embed_samples])
    ov = invariance.orbit_variance(emb.transform, xt, "similarity", seed=ctx.seed_for("orbits"))
    ctx.check("learned map: orbit variance / across-orbit variance", ov.ratio, 0.1, uncertainty=ov.ratio_err,
              comparison="at_most")
    xi = invariance.random_point_sets(max(n_test, 2000), seed=ctx.seed_for("image"))
    image = emb.transform(xi)
    lb = geometry.LevinaBickel(seed=ctx.seed_for("image-dimension")).fit(image)
    # 2 outputs: the check fails if the map collapses shapes onto a curve or fails to be invariant
    ctx.check("learned map: dimension of its image (2 outputs)", lb.dimension_, 2.0,
              uncertainty=lb.dimension_err_, tolerance=z * lb.dimension_err_ + 0.25)
    ctx.metric("embedding_negative_over_positive_distance", emb.negative_distance_ / emb.positive_distance_)

    fig = ctx.new_figure(figsize=(12.0, 3.8))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    pos = np.arange(len(STAGES))
    ax1.errorbar(pos - 0.05, [q.dimension for q in mle], [q.dimension_err for q in mle], fmt="o",
                 label="Levina-Bickel")
    ax1.errorbar(pos + 0.05, [q.dimension for q in two], [q.dimension_err for q in two], fmt="s",
                 label="TwoNN")
    ax1.plot(pos, STAGE_DIMENSIONS, "k_", ms=20, label="6 − dim(group)")
    ax1.set_xticks(pos, ["raw", "/T", "/T⋊R", "/T⋊R⋊S"])
    ax1.set(ylabel="intrinsic dimension", title="Quotienting compresses")
    ax1.legend(fontsize=8)
    ax2.errorbar(raw.sizes, raw.mean, raw.err, fmt="o-", label="raw coordinates (6)")
    ax2.errorbar(inv.sizes, inv.mean, inv.err, fmt="s-", label="angles (invariants)")
    ax2.errorbar(canon.sizes, canon.mean, canon.err, fmt="^-", label="canonical form (similarity)")
    ax2.axhline(target_accuracy, color="k", ls="--", lw=0.8)
    ax2.set(xscale="log", xlabel="training triangles", ylabel="test accuracy",
            title="Sample efficiency (5-NN), largest angle > 120°?")
    ax2.legend(fontsize=8)
    largest = invariance.triangle_angles(xi[:1000]).max(axis=1)
    sc = ax3.scatter(image[:1000, 0], image[:1000, 1], c=largest, s=4, cmap="viridis")
    fig.colorbar(sc, ax=ax3, label="largest angle (rad)")
    ax3.set(xlabel="embedding 1", ylabel="embedding 2", title="Learned invariant map")
    ctx.figure(fig, "triangles")


def _check_embedding(p: dict[str, Any]) -> None:
    check_int(p["n_train"], "n_train", low=10)
    check_int(p["n_test"], "n_test", low=10)
    check_int(p["n_points"], "n_points", low=2)
    check_int(p["dim"], "dim", low=2)
    check_int(p["steps"], "steps", low=1)
    check_int(p["n_elements"], "n_elements", low=1)
    check_real(p["max_ratio"], "max_ratio", low=0.0, low_open=True)

    invariance.Group(p["group"], p["dim"])


@experiment(
    "invariant-embedding",
    claim="A siamese network trained with a contrastive loss on pairs from a few sampled rotations of 3-D "
    "point clouds becomes rotation invariant: on new clouds and new Haar-random rotations its variance along "
    "orbits is a small fraction of its variance across orbits, as small as for the rotations it saw.",
    source=f"{BYERS}, slide 'Transformations: From Model to Model Relevance Space'; {HADSELL}",
    quick=dict(group="rotation", n_points=4, dim=3, n_train=500, n_test=300, n_elements=16, steps=300,
               n_components=4, max_ratio=0.1),
    full=dict(group="rotation", n_points=6, dim=3, n_train=5000, n_test=2000, n_elements=64, steps=4000,
              n_components=8, max_ratio=0.05),
    tags=("invariance", "byers", "contrastive"),
    validate=_check_embedding,
)
def invariant_embedding(
    ctx: Context,
    group: str,
    n_points: int,
    dim: int,
    n_train: int,
    n_test: int,
    n_elements: int,
    steps: int,
    n_components: int,
    max_ratio: float,
) -> None:
    import torch

    torch.set_num_threads(1)
    measured_group = invariance.Group("rotation", dim)  # the symmetry of the data, whatever was trained
    x = invariance.random_point_sets(n_train, n_points, dim, seed=ctx.seed_for("train"))
    xt = invariance.random_point_sets(n_test, n_points, dim, seed=ctx.seed_for("test"))
    emb = invariance.InvariantEmbedding(invariance.Group(group, dim), n_components=n_components,
                                        hidden=(64, 64), steps=steps, n_group_elements=n_elements,
                                        seed=ctx.seed_for("embedding")).fit(x)
    untrained = invariance.InvariantEmbedding(invariance.Group(group, dim), n_components=n_components,
                                              hidden=(64, 64), steps=1, seed=ctx.seed_for("embedding")).fit(x)
    seen = invariance.orbit_variance(emb.transform, xt, measured_group,
                                     elements=emb.elements_ if group == "rotation"
                          else None, seed=ctx.seed_for("seen"))
    unseen = invariance.orbit_variance(emb.transform, xt, measured_group, seed=ctx.seed_for("unseen"))
    before = invariance.orbit_variance(untrained.transform, xt, measured_group, seed=ctx.seed_for("unseen"))
    ctx.check("new clouds, new rotations: within / across orbit variance", unseen.ratio, max_ratio,
              uncertainty=unseen.ratio_err, comparison="at_most")
    # generalisation within the group: unseen rotations no worse than seen ones (3 x, plus errors)
    ctx.check("unseen / seen rotations (ratio of ratios)", unseen.ratio / seen.ratio, 3.0,
              uncertainty=unseen.ratio / seen.ratio * math.hypot(unseen.ratio_err / unseen.ratio,
                                                                 seen.ratio_err / seen.ratio),
              comparison="at_most")
    ctx.metric("ratio_untrained", [before.ratio, before.ratio_err])
    ctx.metric("ratio_seen_rotations", [seen.ratio, seen.ratio_err])
    ctx.metric("ratio_unseen_rotations", [unseen.ratio, unseen.ratio_err])
    ctx.metric("positive_negative_distances", [emb.positive_distance_, emb.negative_distance_])

    fig = ctx.new_figure(figsize=(9.0, 3.6))
    ax1, ax2 = fig.subplots(1, 2)
    ax1.semilogy(np.convolve(emb.loss_curve_, np.ones(20) / 20, mode="valid"))
    ax1.set(xlabel="step", ylabel="contrastive loss (20-step mean)", title="Training")
    orbit = measured_group.orbit(xt[0], 200, seed=ctx.seed_for("picture"))
    others = emb.transform(xt[:300])
    mine = emb.transform(orbit)
    ax2.scatter(others[:, 0], others[:, 1], s=5, c="0.6", label="other clouds")
    ax2.scatter(mine[:, 0], mine[:, 1], s=5, c="C3", label="one cloud, 200 rotations")
    ax2.set(xlabel="embedding 1", ylabel="embedding 2", title="Orbits collapse")
    ax2.legend(fontsize=8)
    ctx.figure(fig, "embedding")


# -- ML by the numbers ---------------------------------------------------------------------------
BRAIN_FLOPS_PER_SECOND = 1e15  # Kaplan talk: cortex ~ a petaflop
BRAIN_TRAINING_SECONDS = 1e9  # ~30 years


def _hand_counts(n: int, lstm_steps: int) -> dict[str, tuple[int, int]]:
    """(parameters, forward FLOPs per sample) of each family, by hand, for the experiment's specs."""
    def dense(a: int, b: int) -> tuple[int, int]:
        return a * b + b, 2 * a * b + b

    mlp = [dense(784, 256), dense(256, 10)]
    conv1 = (16 * 9 + 16, 16 * 28 * 28 * (2 * 9 + 1))
    conv2 = (32 * 16 * 9 + 32, 32 * 28 * 28 * (2 * 16 * 9 + 1))
    readout = dense(32 * 7 * 7, 10)
    lstm_params = 4 * 64 * (32 + 64) + 8 * 64
    lstm = (lstm_params, lstm_steps * (4 * 2 * (32 + 64) * 64 + 8 * 64))
    gru = (3 * 64 * (32 + 64) + 6 * 64, lstm_steps * (3 * 2 * (32 + 64) * 64 + 6 * 64))
    rnn = (64 * (32 + 64) + 2 * 64, lstm_steps * (2 * (32 + 64) * 64 + 2 * 64))
    ae = [dense(784, 128), dense(128, 32), dense(32, 128), dense(128, 784)]
    total = lambda layers: (sum(p for p, _ in layers), sum(f for _, f in layers))  # noqa: E731
    return {
        f"dense:{n},{n}": dense(n, n),
        "mlp:784,256,10": total(mlp),
        "cnn:1x28x28,16,32": total([conv1, conv2, readout]),
        f"lstm:32,64,steps={lstm_steps}": lstm,
        f"gru:32,64,steps={lstm_steps}": gru,
        f"rnn:32,64,steps={lstm_steps}": rnn,
        "autoencoder:784,128,32": total(ae),
    }


def _run_compute(name: str, preset: str) -> list[tuple[str, float, int]]:
    """(label, training FLOPs, samples processed) of each run of a registered experiment's preset."""
    p = get_experiment(name).preset(preset)
    runs = []
    if name == "fashion-mlp":
        c = scaling.count_flops(nets.MLP((784, *p["hidden"], 10)), (784,))
        samples = p["n_models"] * p["epochs"] * p["n_train"]
        runs.append((f"{name} ({preset})", scaling.training_compute(c, samples=samples), samples))
    elif name == "scaling-fashion":
        # trained to convergence: the preset fixes only the step cap, so this is an upper bound (the
        # compute actually spent is the experiment's own metric `training_flops`)
        seeds = range(p["n_seeds"])
        keys = {(n, w, r) for w in (p["width"], p["check_width"]) for n in p["sizes"] for r in seeds}
        keys |= {(max(p["sizes"]), w, r) for w in p["model_widths"] for r in seeds}
        total, samples = 0.0, 0
        for n, w, _ in keys:
            s = p["max_steps"] * min(p["batch_size"], n)
            total += scaling.training_compute(scaling.count_flops(nets.MLP((784, w, 10)), (784,)), samples=s)
            samples += s
        runs.append((f"{name} ({preset}, at most: every run at max_steps)", total, samples))
    elif name == "scaling-dimension":
        total, samples = 0.0, 0
        for d in p["dims"]:
            c = scaling.count_flops(nets.MLP((2 * d, *[p["width"]] * p["depth"], 1)), (2 * d,))
            s = p["n_seeds"] * sum(p["max_steps"] * min(p["batch_size"], n) for n in p["sizes"])
            total += scaling.training_compute(c, samples=s)
            samples += s
        runs.append((f"{name} ({preset}, at most: every run at max_steps)", total, samples))
    return runs


@experiment(
    "ml-by-the-numbers",
    claim="A dense 784→784 layer has 615,440 parameters; physml's FLOP counter agrees exactly with hand "
    "counts for MLP, CNN, RNN/LSTM/GRU and autoencoder models (2 FLOPs per multiply-add, 1 per bias; "
    "training ≈ 3 × forward); the training compute of the Fashion-MNIST MLP and the scaling sweeps is "
    "reported beside a human brain's ~10²⁴ FLOPs.",
    source=f"{KAPLAN}, slides 'MNIST by the Numbers', 'ML by the Numbers' and 'Why Now?'; {KAPLAN_LAWS}",
    quick=dict(width=784, lstm_steps=10, runs=("fashion-mlp",)),
    full=dict(width=784, lstm_steps=100, runs=("fashion-mlp", "scaling-fashion", "scaling-dimension")),
    tags=("scaling", "kaplan", "compute"),
)
def ml_by_the_numbers(ctx: Context, width: int, lstm_steps: int, runs: tuple[str, ...]) -> None:
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    torch.set_num_threads(1)

    c = scaling.count_flops(scaling.model_from_spec(f"dense:{width},{width}")[0], (width,))
    ctx.check(f"parameters of a dense {width}→{width} layer", c.parameters, 615_440 if width == 784 else
              nets.count_parameters((width, width)))
    table = []
    # bias elements applied per sample: one per output unit of each dense layer, per output pixel of a conv
    bias_adds = {"dense": width, "mlp": 256 + 10, "cnn": (16 + 32) * 28 * 28 + 10}
    for spec, (params, forward) in _hand_counts(width, lstm_steps).items():
        model, shape = scaling.model_from_spec(spec, seed=ctx.seed_for(spec))
        got = scaling.count_flops(model, shape)
        family = spec.split(":")[0]
        if family != "dense":
            ctx.check(f"{family}: forward FLOPs / hand count", got.forward_flops / forward, 1.0)
            ctx.check(f"{family}: parameters / hand count", got.parameters / params, 1.0)
        table.append({"spec": spec, "parameters": got.parameters, "forward_flops": got.forward_flops,
                      "training_flops_per_sample": got.training_flops_per_sample})
        if family in bias_adds:  # PyTorch's own counter: the products only, no bias additions
            with FlopCounterMode(display=False) as counter:
                with torch.no_grad():
                    model(torch.zeros(1, *shape))
            ctx.check(f"{family}: (forward − bias additions) / torch FlopCounterMode",
                      (got.forward_flops - bias_adds[family]) / counter.get_total_flops(), 1.0)
    ctx.metric("counts", table)

    compute = []
    for name in runs:
        for preset in ("quick", "full"):
            try:
                compute.extend(_run_compute(name, preset))
            except Exception as exc:  # an experiment not (yet) in the catalogue: say so, do not guess
                ctx.metric(f"compute_{name}_{preset}_unavailable", f"{type(exc).__name__}: {exc}")
    brain = BRAIN_FLOPS_PER_SECOND * BRAIN_TRAINING_SECONDS
    ctx.metric("training_compute", [
        {"run": r, "flops": f, "samples": s, "fraction_of_brain_lifetime": f / brain} for r, f, s in compute
    ])
    ctx.metric("brain_lifetime_flops", brain)
    ctx.metric("alexnet_training_flops (talk)", 1e19)

    fig = ctx.new_figure(figsize=(8.0, 4.0))
    ax = fig.add_subplot()
    labels = [r for r, _, _ in compute] + ["AlexNet (talk)", "human brain, 30 years (talk)"]
    values = [f for _, f, _ in compute] + [1e19, brain]
    ax.barh(np.arange(len(values)), np.log10(values), color=["C0"] * len(compute) + ["C1", "C3"])
    ax.set_yticks(np.arange(len(values)), labels, fontsize=8)
    ax.set(xlabel="log10 training FLOPs", title="Training compute")
    ctx.figure(fig, "compute")
