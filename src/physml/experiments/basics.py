"""First experiments: the Kaplan talk's explicit layer and its "hello world" classifier.

Source: J. Kaplan, "Machine Learning and How Physicists Can Think About It"
(Johns Hopkins University), slides "A Very Explicit Example" and "Hello World - MNIST".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml import data, nets
from physml._core import check_int, check_real
from physml.lab import Context, experiment

KAPLAN = "Kaplan, 'Machine Learning and How Physicists Can Think About It' (Johns Hopkins University)"

# The talk's toy layer: w, b and one data point x.
TALK_W = ((4.0, 5.0, 6.0), (3.0, 2.0, 1.0), (-9.0, -8.0, -7.0))
TALK_B = (12.0, 3.0, 4.0)
TALK_X = (3.0, -2.0, 1.0)
TALK_PREACTIVATION = (20.0, 9.0, -14.0)
TALK_OUTPUT = (20.0, 9.0, 0.0)


@experiment(
    "layer-example",
    claim="The talk's 3x3 ReLU layer maps x = (3, -2, 1) to ReLU(w·x + b) = ReLU(20, 9, -14) = (20, 9, 0).",
    source=f"{KAPLAN}, slide 'A Very Explicit Example'",
    tags=("nets", "kaplan"),
)
def layer_example(ctx: Context) -> None:
    pre = nets.dense(TALK_X, TALK_W, TALK_B, activation="linear")
    out = nets.dense(TALK_X, TALK_W, TALK_B, activation="relu")
    # exact small-integer arithmetic in float64: no rounding, so the tolerance is zero
    for i in range(3):
        ctx.check(f"w·x + b [{i}]", pre[i], TALK_PREACTIVATION[i])
        ctx.check(f"ReLU output [{i}]", out[i], TALK_OUTPUT[i])
    ctx.metric("preactivation", pre)
    ctx.metric("output", out)

    fig = ctx.new_figure(figsize=(5.0, 3.2))
    ax = fig.add_subplot()
    idx = np.arange(3)
    ax.bar(idx - 0.2, pre, width=0.4, label="w·x + b")
    ax.bar(idx + 0.2, out, width=0.4, label="ReLU(w·x + b)")
    ax.axhline(0.0, color="black", lw=0.8)
    ax.set_xticks(idx, [f"unit {i}" for i in idx])
    ax.set_title("The talk's explicit layer")
    ax.legend()
    ctx.figure(fig, "layer")


def _fashion_member(args: tuple[dict[str, Any], int]) -> dict[str, Any]:
    """Train and test one MLP classifier on Fashion-MNIST (one ensemble member)."""
    p, seed = args
    x_train, y_train = data.fashion_mnist("train")
    x_test, y_test = data.fashion_mnist("test")
    rng = np.random.default_rng(seed)
    train = rng.permutation(len(x_train))[: p["n_train"]]
    test = rng.permutation(len(x_test))[: p["n_test"]]
    x_train = x_train[train].reshape(len(train), -1) / 255.0
    x_test = x_test[test].reshape(len(test), -1) / 255.0
    y_train, y_test = y_train[train], y_test[test]
    clf = nets.MLPClassifier(
        hidden=p["hidden"],
        activation="relu",
        learning_rate=p["learning_rate"],
        momentum=p["momentum"],
        schedule="cosine",
        batch_size=p["batch_size"],
        epochs=0,
        seed=seed,
    ).fit(x_train, y_train)
    untrained = clf.score(x_test, y_test)
    clf.set_params(epochs=p["epochs"]).fit(x_train, y_train, eval_set=(x_test, y_test))
    predicted = clf.predict(x_test)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test.astype(int), predicted.astype(int)), 1)
    return {
        "accuracy": float(np.mean(predicted == y_test)),
        "untrained_accuracy": float(untrained),
        "loss_curve": clf.loss_curve_,
        "test_curve": clf.validation_scores_,
        "n_parameters": clf.n_parameters_,
        "confusion": confusion,
    }


def _check_fashion_params(p: dict[str, Any]) -> None:
    check_int(p["n_train"], "n_train", low=10, high=60000)
    check_int(p["n_test"], "n_test", low=10, high=10000)
    check_int(p["n_models"], "n_models", low=1)
    check_int(p["epochs"], "epochs", low=0)
    check_int(p["batch_size"], "batch_size", low=1)
    check_real(p["learning_rate"], "learning_rate", low=0.0, low_open=True)
    check_real(p["momentum"], "momentum", low=0.0, high=1.0)
    if not p["hidden"]:
        raise ValueError("hidden must list at least one hidden width, e.g. 256,128")
    for i, w in enumerate(p["hidden"]):
        check_int(w, f"hidden[{i}]", low=1)


@experiment(
    "fashion-mlp",
    claim="An MLP trained by minibatch SGD on the negative log-likelihood classifies Fashion-MNIST "
    "test images with accuracy of at least 0.88.",
    source=f"{KAPLAN}, slides 'Hello World - MNIST' and 'How does it learn?'; Xiao, Rasul, Vollgraf, "
    "arXiv:1708.07747 (Fashion-MNIST; MLP benchmarks 0.87-0.88)",
    quick=dict(
        n_train=10000, n_test=2000, hidden=(128,), epochs=5, batch_size=128, learning_rate=0.05,
        momentum=0.9, n_models=1, min_accuracy=0.75,
    ),
    full=dict(
        n_train=60000, n_test=10000, hidden=(512, 256), epochs=20, batch_size=128, learning_rate=0.05,
        momentum=0.9, n_models=3, min_accuracy=0.88,
    ),
    tags=("nets", "kaplan", "fashion-mnist"),
    validate=_check_fashion_params,
)
def fashion_mlp(
    ctx: Context,
    n_train: int,
    n_test: int,
    hidden: tuple[int, ...],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    momentum: float,
    n_models: int,
    min_accuracy: float,
) -> None:
    params = dict(n_train=n_train, n_test=n_test, hidden=tuple(hidden), epochs=epochs, batch_size=batch_size,
                  learning_rate=learning_rate, momentum=momentum)
    members = ctx.map(_fashion_member, [(params, ctx.seed_for("member", i)) for i in range(n_models)],
                      desc="fashion-mlp members")

    acc = np.array([m["accuracy"] for m in members])
    mean = float(acc.mean())
    # statistical error of a test accuracy on n_test images (binomial), plus the seed-to-seed spread
    binomial = math.sqrt(mean * (1 - mean) / n_test)
    spread = float(acc.std(ddof=1)) if n_models > 1 else 0.0
    uncertainty = math.sqrt(binomial**2 + spread**2 / n_models)
    ctx.check("test accuracy", mean, min_accuracy, uncertainty=uncertainty, comparison="at_least")
    widths = (784, *hidden, 10)
    ctx.check("parameter count = Σ(n_in·n_out + n_out)", members[0]["n_parameters"],
              nets.count_parameters(widths))

    ctx.metric("n_parameters", members[0]["n_parameters"])
    ctx.metric("member_accuracies", acc)
    ctx.metric("seed_spread", spread)
    ctx.metric("untrained_accuracy", float(np.mean([m["untrained_accuracy"] for m in members])))
    ctx.metric("n_parameters / n_train", members[0]["n_parameters"] / n_train)

    fig = ctx.new_figure(figsize=(9.0, 3.6))
    ax1, ax2 = fig.subplots(1, 2)
    epochs_axis = np.arange(1, epochs + 1)
    for i, m in enumerate(members):
        ax1.plot(epochs_axis, m["loss_curve"], marker="o", label=f"model {i}")
        ax2.plot(epochs_axis, m["test_curve"], marker="o", label=f"model {i}")
    ax1.set(xlabel="epoch", ylabel="training NLL per image", title="Training loss")
    ax2.axhline(min_accuracy, color="black", ls="--", lw=1, label=f"claim ≥ {min_accuracy}")
    ax2.set(xlabel="epoch", ylabel="test accuracy", title="Test accuracy")
    ax2.legend(fontsize=8)
    from matplotlib.ticker import MaxNLocator

    for ax in (ax1, ax2):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ctx.figure(fig, "training")

    confusion = sum(m["confusion"] for m in members)
    fig = ctx.new_figure(figsize=(6.5, 5.5))
    ax = fig.add_subplot()
    rates = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    image = ax.imshow(rates, cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(10), data.FASHION_MNIST_CLASSES, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(10), data.FASHION_MNIST_CLASSES, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true", title="Confusion (row-normalised)")
    fig.colorbar(image, ax=ax)
    ctx.figure(fig, "confusion")
