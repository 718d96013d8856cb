"""The model families of the Kaplan talk, each measured on the claim the talk makes about it.

- ``cnn-symmetry``: translation symmetry built into the architecture — a small CNN beats a much
  larger MLP on Fashion-MNIST, and its features are exactly equivariant to pixel shifts.
- ``char-lm``: recurrent character language models P(c_{n+1} | c_n, …, c_1) against unigram and
  n-gram baselines; the LSTM remembers over more steps than the plain RNN.
- ``rl-gridworld``: tabular Q-learning converges to the optimal values of value iteration.
- ``rl-selfplay``: self-play learning of tic-tac-toe never loses against perfect (minimax) play.
- ``generative-fashion``: a VAE, a GAN and a flow (MAF on principal components) on Fashion-MNIST,
  scored by a classifier trained on real images (Fréchet distance in its feature space, class
  confidence).

Source: J. Kaplan, "Machine Learning and How Physicists Can Think About It" (Johns Hopkins University), slides
"Architecture and Symmetry", "Language Models", "Games", "Understand the World"; J. Byers (GGI, 14
September 2022),
"Generative Adversarial Network (GAN): Bug as Feature".
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml import data, flows, nets, rl, stats
from physml._core import check_int, torch_generator
from physml.experiments._tolerances import sigma_multiple
from physml.lab import Context, experiment

KAPLAN = "Kaplan, 'Machine Learning and How Physicists Can Think About It' (Johns Hopkins University)"
BYERS = "Byers, 'Machine Learning and Physics: A Faustian Bargain?' (GGI, 14 September 2022)"


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _fashion(n_train: int, n_test: int, seed: int) -> tuple[Any, Any, Any, Any]:
    """Random subsets of Fashion-MNIST, intensities in [0, 1], shape (n, 1, 28, 28)."""
    rng = np.random.default_rng(seed)
    out = []
    for split, n in (("train", n_train), ("test", n_test)):
        X, y = data.fashion_mnist(split)
        idx = np.sort(rng.choice(len(X), size=min(n, len(X)), replace=False))
        out += [(X[idx] / 255.0).astype(np.float32)[:, None], y[idx].astype(np.int64)]
    return tuple(out)  # type: ignore[return-value]


def _correct(logits_fn: Any, X: Any, y: Any) -> Any:
    """Per-image correctness (bool array) of the argmax of ``logits_fn``."""
    import torch

    with torch.no_grad():
        pred = torch.cat(
            [logits_fn(torch.from_numpy(X[i : i + 1000])).argmax(1) for i in range(0, len(X), 1000)]
        )
    return pred.numpy() == y


def _accuracy(logits_fn: Any, X: Any, y: Any) -> tuple[float, float]:
    """Accuracy of the argmax of ``logits_fn`` and its binomial standard error."""
    p = float(_correct(logits_fn, X, y).mean())
    return p, stats.binomial_standard_error(p, len(y))


def _train_convnet(X: Any, y: Any, channels: tuple[int, ...], epochs: int, seed: int) -> Any:
    import torch

    net = nets.ConvNet(channels, seed=seed)
    nets.sgd_train(
        net,
        torch.from_numpy(X),
        torch.from_numpy(y),
        torch.nn.functional.cross_entropy,
        epochs=epochs,
        batch_size=64,
        learning_rate=0.05,
        momentum=0.9,
        schedule="cosine",
        generator=torch_generator(seed + 1),
    )
    return net


def _positive(p: dict[str, Any], *keys: str) -> None:
    for k in keys:
        check_int(p[k], k, low=1)


# ---------------------------------------------------------------------------------------------
# cnn-symmetry


@experiment(
    "cnn-symmetry",
    claim="Translation symmetry built into the architecture pays: on Fashion-MNIST a small CNN "
    "reaches a higher "
    "test accuracy than an MLP with over ten times its parameters, and its convolutional features "
    "are exactly "
    "equivariant to pixel shifts (relative error ~1e-7) while the MLP's hidden layer, viewed as an "
    "image, is not "
    "(error of order 1).",
    source=f"{KAPLAN}, slide 'Architecture and Symmetry' ((spatial) translational symmetry — "
    "convolutional NNs)",
    quick=dict(n_train=1000, n_test=500, epochs=3, channels=(8, 16), mlp_epochs=3, slack_sigma=3.0),
    full=dict(n_train=20000, n_test=10000, epochs=10, channels=(16, 32), mlp_epochs=10, slack_sigma=0.0),
    tags=("nets", "kaplan", "symmetry", "fashion-mnist"),
    validate=lambda p: _positive(p, "n_train", "n_test", "epochs", "mlp_epochs"),
)
def cnn_symmetry(
    ctx: Context,
    n_train: int,
    n_test: int,
    epochs: int,
    channels: tuple[int, ...],
    mlp_epochs: int,
    slack_sigma: float,
) -> None:
    import torch

    _one_thread()
    Xtr, ytr, Xte, yte = _fashion(n_train, n_test, ctx.seed_for("data"))
    cnn = _train_convnet(Xtr, ytr, tuple(channels), epochs, ctx.seed_for("cnn"))
    # the MLP's hidden layer has 784 units so it can be viewed as a 28x28 image (the talk's 784 -> 784 layer)
    mlp = nets.MLPClassifier(
        hidden=(784,),
        epochs=mlp_epochs,
        learning_rate=0.05,
        schedule="cosine",
        batch_size=64,
        seed=ctx.seed_for("mlp"),
    )
    mlp.fit(Xtr.reshape(len(Xtr), -1), ytr)
    model = mlp.model_

    def mlp_logits(x: torch.Tensor) -> torch.Tensor:
        return model(x.reshape(len(x), -1))

    def mlp_features(x: torch.Tensor) -> torch.Tensor:
        return torch.relu(model.layers[0](x.reshape(len(x), -1))).reshape(len(x), 1, 28, 28)

    ok_c, ok_m = _correct(cnn, Xte, yte), _correct(mlp_logits, Xte, yte)
    acc_c, acc_m = float(ok_c.mean()), float(ok_m.mean())
    err_c, err_m = (stats.binomial_standard_error(a, len(yte)) for a in (acc_c, acc_m))
    ratio = model.n_parameters / cnn.n_parameters
    ctx.check("MLP parameters / CNN parameters ≥ 10", ratio, 10.0, comparison="at_least")
    # paired: both models see the same test images, so the error of the difference comes from
    # the images on which they disagree (per-image differences, not the two binomial errors)
    d = ok_c.astype(float) - ok_m.astype(float)
    diff, diff_err = stats.mean_standard_error(d)
    # slack_sigma: the quick preset (2000 images, seconds of training) cannot resolve the difference
    ctx.check(
        "test accuracy CNN − MLP > 0",
        diff,
        0.0,
        uncertainty=diff_err,
        tolerance=slack_sigma * diff_err,
        comparison="at_least",
    )
    shifts = [(1, 0), (0, 3), (2, -2), (7, 5)]
    probe = torch.from_numpy(Xte[:256])
    e_cnn = [nets.equivariance_error(cnn.features, probe, s) for s in shifts]
    e_mlp = [nets.equivariance_error(mlp_features, probe, s) for s in shifts]
    ctx.check("CNN features: max equivariance error (float32 round-off)", max(e_cnn), 0.0, tolerance=1e-5)
    ctx.check(
        "MLP hidden layer: min equivariance error is of order 1", min(e_mlp), 0.5, comparison="at_least"
    )
    # accuracy on shifted test images (circular shift by 2 pixels): what the symmetry buys
    shifted = {
        name: _accuracy(fn, nets.shift_images(Xte, (2, 2)), yte)
        for name, fn in (("cnn", cnn), ("mlp", mlp_logits))
    }
    ctx.metric("accuracy", {"cnn": [acc_c, err_c], "mlp": [acc_m, err_m]})
    ctx.metric("accuracy_shifted_2px", {k: list(v) for k, v in shifted.items()})
    ctx.metric("parameters", {"cnn": cnn.n_parameters, "mlp": model.n_parameters})
    ctx.metric("equivariance_error", {"shifts": shifts, "cnn": e_cnn, "mlp": e_mlp})

    fig = ctx.new_figure(figsize=(11.0, 3.6))
    ax = fig.subplots(1, 3)
    ax[0].bar(["CNN", "MLP"], [acc_c, acc_m], yerr=[err_c, err_m], color=["C0", "C1"])
    ax[0].bar(
        ["CNN shifted", "MLP shifted"], [shifted["cnn"][0], shifted["mlp"][0]], color=["C0", "C1"], alpha=0.5
    )
    ax[0].set(
        ylabel="test accuracy",
        ylim=(0, 1),
        title=f"{cnn.n_parameters:,} vs {model.n_parameters:,} parameters",
    )
    ax[0].tick_params(axis="x", labelsize=7)
    labels = [f"{s}" for s in shifts]
    x = np.arange(len(shifts))
    ax[1].bar(x - 0.2, np.maximum(e_cnn, 1e-9), 0.4, label="CNN features")
    ax[1].bar(x + 0.2, e_mlp, 0.4, label="MLP hidden layer")
    ax[1].set(
        yscale="log",
        xticks=x,
        xticklabels=labels,
        xlabel="shift (dy, dx)",
        ylabel="‖f(T x) − T f(x)‖ / ‖f(x)‖",
        title="equivariance error",
    )
    ax[1].legend(fontsize=7)
    with torch.no_grad():
        f0 = cnn.features(probe[:1])[0, 0].numpy()
        f1 = cnn.features(nets.shift_images(probe[:1], (7, 5)))[0, 0].numpy()
    ax[2].imshow(np.concatenate([f0, f1], axis=1), cmap="viridis")
    ax[2].set(title="a CNN feature map: x and x shifted by (7, 5)", xticks=[], yticks=[])
    ctx.figure(fig, "cnn-vs-mlp")


# ---------------------------------------------------------------------------------------------
# char-lm


def _memory_run(args: tuple[str, int, int, int, int, float | None, int]) -> tuple[float, float]:
    cell, lag, hidden, steps, n_test, timescale, seed = args
    _one_thread()
    net = nets.train_memory_task(cell, lag, hidden=hidden, steps=steps, timescale=timescale, seed=seed)
    x, y = nets.memory_task(n_test, lag, seed=seed + 1)
    return nets.memory_task_accuracy(net, x, y)


@experiment(
    "char-lm",
    claim="Autoregressive character language models trained on the Python standard library's "
    "docstrings reach "
    "a lower test perplexity per character than unigram and n-gram baselines, the LSTM lower than "
    "the plain RNN; "
    "on a delayed-recall task the LSTM remembers a symbol over a lag at which the RNN is at chance, "
    "while both "
    "learn it at a short lag.",
    source=f"{KAPLAN}, slides 'Architecture and Symmetry' (LSTM: designed to store information for "
    "more steps) "
    "and 'Language Models' (P(w_{n+1} | w_n, …, w_1)); Hochreiter & Schmidhuber, Neural "
    "Computation 9 (1997)",
    quick=dict(
        max_chars=30000,
        hidden=64,
        steps=100,
        seq_len=32,
        ngram=3,
        short_lag=5,
        long_lag=50,
        memory_steps=150,
        memory_hidden=16,
        n_test=500,
        margin=0.5,
    ),
    full=dict(
        max_chars=1000000,
        hidden=256,
        steps=3000,
        seq_len=100,
        ngram=5,
        short_lag=5,
        long_lag=100,
        memory_steps=800,
        memory_hidden=16,
        n_test=4000,
        margin=0.0,
    ),
    tags=("nets", "kaplan", "language-model", "recurrent"),
    validate=lambda p: _positive(
        p,
        "max_chars",
        "hidden",
        "steps",
        "seq_len",
        "ngram",
        "long_lag",
        "memory_steps",
        "memory_hidden",
        "n_test",
    ),
)
def char_lm(
    ctx: Context,
    max_chars: int,
    hidden: int,
    steps: int,
    seq_len: int,
    ngram: int,
    short_lag: int,
    long_lag: int,
    memory_steps: int,
    memory_hidden: int,
    n_test: int,
    margin: float,
) -> None:
    _one_thread()
    text = data.python_docstrings(max_chars)
    train, test = data.split_text(text, 0.1)
    vocab = nets.Vocabulary(text)  # closed vocabulary: every character of the corpus
    V = len(vocab)
    ppl: dict[str, float] = {}
    for n in sorted({1, 2, ngram}):
        ppl[f"{n}-gram"] = (
            nets.NGramModel(n, alpha=0.1 if n > 1 else 1.0, vocab_size=V).fit(train).perplexity(test)
        )
    curves, samples = {}, {}
    for cell in ("rnn", "lstm"):
        model = nets.CharLM(V, hidden, cell=cell, seed=ctx.seed_for(cell, "init"))
        curves[cell] = nets.train_char_lm(
            model, vocab.encode(train), steps=steps, seq_len=seq_len, seed=ctx.seed_for(cell, "train")
        )
        ppl[cell] = nets.char_lm_perplexity(model, vocab.encode(test))
        samples[cell] = nets.sample_text(
            model,
            vocab,
            prompt="Return the ",
            n_chars=200,
            temperature=0.8,
            seed=ctx.seed_for(cell, "sample"),
        )
    best_ngram = min(v for k, v in ppl.items() if k.endswith("gram") and k != "1-gram")
    ctx.check("perplexity: LSTM ≤ unigram", ppl["lstm"], ppl["1-gram"], comparison="at_most")
    # margin: the quick preset's tiny models train for seconds and are allowed a relative excess
    ctx.check(
        f"perplexity: LSTM ≤ best n-gram (n ≤ {ngram})",
        ppl["lstm"],
        best_ngram,
        tolerance=margin * best_ngram,
        comparison="at_most",
    )
    ctx.check(
        "perplexity: LSTM ≤ RNN", ppl["lstm"], ppl["rnn"], tolerance=margin * ppl["rnn"], comparison="at_most"
    )
    ctx.check(
        "perplexity: unigram ≤ vocabulary size (uniform guessing)", ppl["1-gram"], V, comparison="at_most"
    )

    # delayed recall: 4 symbols, chance 1/4
    runs = [
        (
            cell,
            lag,
            memory_hidden,
            memory_steps,
            n_test,
            2.0 * long_lag if cell == "lstm" else None,
            ctx.seed_for("memory", cell, lag),
        )
        for lag in (short_lag, long_lag)
        for cell in ("rnn", "lstm")
    ]
    acc = dict(zip([(r[0], r[1]) for r in runs], ctx.map(_memory_run, runs, desc="memory task"), strict=True))
    chance = 0.25
    chance_err = stats.binomial_standard_error(chance, n_test)
    z = sigma_multiple(5)
    for cell in ("rnn", "lstm"):
        a, e = acc[(cell, short_lag)]
        ctx.check(
            f"{cell} recalls over lag {short_lag}: accuracy ≥ 0.9",
            a,
            0.9,
            uncertainty=e,
            comparison="at_least",
        )
    a, e = acc[("lstm", long_lag)]
    ctx.check(
        f"lstm recalls over lag {long_lag}: accuracy ≥ 0.9", a, 0.9, uncertainty=e, comparison="at_least"
    )
    a, _ = acc[("rnn", long_lag)]
    ctx.check(
        f"rnn at lag {long_lag} is at chance (1/4): accuracy ≤ 1/4 + z σ",
        a,
        chance,
        uncertainty=chance_err,
        tolerance=z * chance_err,
        comparison="at_most",
    )
    ctx.metric("perplexity", ppl)
    ctx.metric("bits_per_char", {k: math.log2(v) for k, v in ppl.items()})
    ctx.metric(
        "corpus",
        {
            "source": "docstrings of the Python standard library (physml.data.python_docstrings)",
            "chars": len(text),
            "train": len(train),
            "test": len(test),
            "vocabulary": V,
        },
    )
    ctx.metric("samples", samples)
    ctx.metric("memory_accuracy", {f"{c} lag {lag}": list(v) for (c, lag), v in acc.items()})

    fig = ctx.new_figure(figsize=(10.0, 3.6))
    ax = fig.subplots(1, 2)
    for cell, c in curves.items():
        k = max(1, len(c) // 50)
        ax[0].plot(np.arange(len(c))[k - 1 :], np.convolve(c, np.ones(k) / k, "valid"), label=cell.upper())
    for name, v in ppl.items():
        if name.endswith("gram"):
            ax[0].axhline(math.log(v), ls=":", color="grey")
            ax[0].text(0, math.log(v), f" {name} (test)", fontsize=7, va="bottom")
    ax[0].set(xlabel="step", ylabel="training loss (nats/char)", title="character LM")
    ax[0].legend(fontsize=7)
    for i, cell in enumerate(("rnn", "lstm")):
        vals = [acc[(cell, lag)] for lag in (short_lag, long_lag)]
        ax[1].errorbar(
            np.array([0, 1]) + 0.05 * i,
            [v[0] for v in vals],
            yerr=[v[1] for v in vals],
            fmt="o-",
            label=cell.upper(),
        )
    ax[1].axhline(chance, ls=":", color="grey", label="chance")
    ax[1].set(
        xticks=[0, 1],
        xticklabels=[f"lag {short_lag}", f"lag {long_lag}"],
        ylabel="recall accuracy",
        ylim=(0, 1.05),
        title="delayed recall",
    )
    ax[1].legend(fontsize=7)
    ctx.figure(fig, "char-lm")


# ---------------------------------------------------------------------------------------------
# rl-gridworld


def _gridworld(slip: float) -> Any:
    # Russell & Norvig's 4x3 world, transposed to 4x4 with one wall: +1 and −1 exits
    return rl.GridWorld((4, 4), {(0, 3): 1.0, (1, 3): -1.0}, walls=[(1, 1)], step_reward=-0.04, slip=slip)


def _q_run(args: tuple[float, int, float, float, int, int]) -> dict[str, Any]:
    slip, episodes, gamma, epsilon, checkpoint_every, seed = args
    env = _gridworld(slip)
    Q_star, V_star = rl.value_iteration(env.P, env.R, gamma)
    res = rl.q_learning(
        env,
        episodes=episodes,
        gamma=gamma,
        epsilon=epsilon,
        Q_ref=Q_star,
        n_checkpoints=max(1, episodes // checkpoint_every),
        seed=seed,
    )
    V_pi = rl.policy_evaluation(env.P, env.R, res.Q.argmax(axis=1), gamma, env.terminal)
    return {
        "errors": res.errors.tolist(),
        "checkpoints": res.checkpoints.tolist(),
        "policy_loss": float((V_star - V_pi).max()),
    }


@experiment(
    "rl-gridworld",
    claim="Tabular Q-learning from sampled transitions converges to the optimal action values Q*(s, "
    "a) that value "
    "iteration computes from the model (which reproduces a hand-solved corridor exactly): to round-off in a "
    "deterministic world, and towards Q* in a slippery one, where the greedy policy's loss obeys the "
    "2ε/(1 − γ) bound.",
    source=f"{KAPLAN}, slide 'Games' (learn the value Q(s, a) of actions); Watkins & Dayan, Machine "
    "Learning 8 (1992); "
    "Singh & Yee, Machine Learning 16 (1994)",
    # checkpoints every 150 episodes in both presets, so "start" is the same point of learning
    quick=dict(episodes=3000, n_seeds=4, gamma=0.9, slip=0.2, epsilon=0.5, checkpoint_every=150),
    full=dict(episodes=40000, n_seeds=16, gamma=0.9, slip=0.2, epsilon=0.5, checkpoint_every=150),
    tags=("rl", "kaplan"),
    validate=lambda p: _positive(p, "episodes", "n_seeds", "checkpoint_every"),
)
def rl_gridworld(
    ctx: Context,
    episodes: int,
    n_seeds: int,
    gamma: float,
    slip: float,
    epsilon: float,
    checkpoint_every: int,
) -> None:
    corridor = rl.GridWorld((1, 6), {(0, 5): 1.0})
    _, V = rl.value_iteration(corridor.P, corridor.R, gamma)
    d = 5 - np.arange(6)
    exact = np.where(d > 0, gamma ** (d - 1.0), 0.0)
    ctx.check(
        "value iteration: corridor V(s) = γ^(d−1), max deviation",
        float(np.abs(V - exact).max()),
        0.0,
        tolerance=1e-10,
    )
    runs = [
        (s, episodes, gamma, epsilon, checkpoint_every, ctx.seed_for("q", s, i))
        for s in (0.0, slip)
        for i in range(n_seeds)
    ]
    out = ctx.map(_q_run, runs, desc="Q-learning")
    det, sto = out[:n_seeds], out[n_seeds:]
    det_err = max(r["errors"][-1] for r in det)
    ctx.check("deterministic: max over seeds of max|Q − Q*|", det_err, 0.0, tolerance=1e-3)
    ctx.check(
        "deterministic: greedy policy optimal, max (V* − V^π)",
        max(r["policy_loss"] for r in det),
        0.0,
        tolerance=1e-9,
    )
    first = np.array([r["errors"][0] for r in sto])
    last = np.array([r["errors"][-1] for r in sto])
    ratio = last / first
    ctx.check(
        f"slip {slip}: error shrinks, mean of max|Q − Q*| end / after {checkpoint_every} episodes",
        float(ratio.mean()),
        0.5,
        uncertainty=float(ratio.std(ddof=1) / math.sqrt(n_seeds)) if n_seeds > 1 else 0.0,
        comparison="at_most",
    )
    bound_margin = min(2 * r["errors"][-1] / (1 - gamma) - r["policy_loss"] for r in sto)
    ctx.check(
        "slip: V* − V^π ≤ 2 max|Q − Q*| / (1 − γ) (Singh & Yee), min margin",
        bound_margin,
        0.0,
        comparison="at_least",
    )
    ctx.metric(
        "final_error_slip",
        {
            "mean": float(last.mean()),
            "sem": float(last.std(ddof=1) / math.sqrt(n_seeds)) if n_seeds > 1 else 0.0,
        },
    )
    ctx.metric("policy_loss_slip", [r["policy_loss"] for r in sto])

    fig = ctx.new_figure(figsize=(6.0, 4.0))
    ax = fig.subplots()
    for name, rs in (("deterministic", det), (f"slip {slip}", sto)):
        e = np.array([r["errors"] for r in rs])
        ax.errorbar(
            rs[0]["checkpoints"], e.mean(0), yerr=e.std(0) / math.sqrt(len(rs)), fmt=".-", ms=3, label=name
        )
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="episodes",
        ylabel="max |Q − Q*|",
        title="Q-learning → value iteration",
    )
    ax.legend()
    ctx.figure(fig, "q-learning")


# ---------------------------------------------------------------------------------------------
# rl-selfplay


@experiment(
    "rl-selfplay",
    claim="Tic-tac-toe is a draw under perfect play (minimax value of the empty board 0), and a "
    "tabular Q-learner "
    "trained only by playing against itself never loses to a perfect minimax player, as X or as O, "
    "over every "
    "game such a player can choose.",
    source=f"{KAPLAN}, slide 'Games' (self-play has proven to be a powerful way to train in games like Go)",
    quick=dict(episodes=50000, epsilon=0.5),
    full=dict(episodes=200000, epsilon=0.5),
    tags=("rl", "kaplan", "self-play"),
    validate=lambda p: _positive(p, "episodes"),
)
def rl_selfplay(ctx: Context, episodes: int, epsilon: float) -> None:
    ctx.check("minimax value of the empty board (draw)", rl.minimax_value(rl.EMPTY_BOARD), 0.0)
    agent = rl.SelfPlayAgent(episodes, epsilon=epsilon, seed=ctx.seed_for("agent")).fit()
    table = {}
    for side, name in ((1, "X"), (-1, "O")):
        res = rl.worst_case_outcomes(agent.move, side)
        table[name] = res
        ctx.check(
            f"agent as {name}: losses against every perfect opponent", res["losses"] + res["illegal"], 0.0
        )
    naive = rl.worst_case_outcomes(lambda b: rl.legal_moves(b)[0], -1)
    live = [b for b in rl.reachable_positions() if rl.legal_moves(b)]
    optimal = sum(agent.move(b) in rl.minimax_moves(b) for b in live)
    ctx.metric("games_vs_minimax", table)
    ctx.metric("naive_lowest_square_as_O_vs_minimax", naive)
    ctx.metric("fraction_of_positions_with_a_minimax_move", optimal / len(live))
    ctx.metric("positions_visited", agent.n_states_seen_)
    ctx.check(
        "fraction of the 4520 positions where the greedy move is minimax-optimal",
        optimal / len(live),
        0.9,
        comparison="at_least",
    )

    fig = ctx.new_figure(figsize=(6.0, 3.5))
    ax = fig.subplots()
    names = ["self-play as X", "self-play as O", "lowest square as O"]
    rows = [table["X"], table["O"], naive]
    for i, key in enumerate(("wins", "draws", "losses")):
        ax.bar(
            [n for n in names],
            [r[key] / r["games"] for r in rows],
            bottom=[sum(r[k] for k in ("wins", "draws", "losses")[:i]) / r["games"] for r in rows],
            label=key,
        )
    ax.set(ylabel="fraction of games vs every minimax line", title="tic-tac-toe against perfect play")
    ax.legend(fontsize=7)
    ctx.figure(fig, "selfplay")


# ---------------------------------------------------------------------------------------------
# generative-fashion


def _grid(images: Any, rows: int) -> Any:
    imgs = np.asarray(images).reshape(-1, 28, 28)
    cols = len(imgs) // rows
    return imgs[: rows * cols].reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)


@experiment(
    "generative-fashion",
    claim="A VAE, a GAN and a normalizing flow (a MAF on the images' leading principal components) trained "
    "on Fashion-MNIST generate images that a classifier trained on real images "
    "places far closer to real held-out images (Fréchet distance in its feature space) than uniform noise, "
    "with real held-out images scoring best; the VAE's ELBO lies below its importance-sampled "
    "log-likelihood.",
    source=f"{KAPLAN}, slide 'Understand the World' (VAE/Glow model probabilities; or a real/fake "
    f"game); {BYERS}, "
    "'GAN: bug as feature'; Kingma & Welling, arXiv:1312.6114; Goodfellow et al., arXiv:1406.2661; "
    "Heusel et al., arXiv:1706.08500 (FID); Papamakarios et al., arXiv:1705.07057 (MAF)",
    quick=dict(
        n_train=1500,
        n_eval=300,
        vae_epochs=4,
        gan_steps=200,
        latent=8,
        classifier_epochs=2,
        classifier_channels=(8, 16),
        iw_samples=20,
        flow_components=16,
        flow_epochs=10,
    ),
    full=dict(
        n_train=20000,
        n_eval=2000,
        vae_epochs=30,
        gan_steps=6000,
        latent=16,
        classifier_epochs=5,
        classifier_channels=(16, 32),
        iw_samples=200,
        flow_components=32,
        flow_epochs=200,
    ),
    tags=("nets", "kaplan", "byers", "generative", "fashion-mnist"),
    validate=lambda p: _positive(
        p, "n_train", "n_eval", "vae_epochs", "gan_steps", "latent", "classifier_epochs", "iw_samples"
    ),
)
def generative_fashion(
    ctx: Context,
    n_train: int,
    n_eval: int,
    vae_epochs: int,
    gan_steps: int,
    latent: int,
    classifier_epochs: int,
    classifier_channels: tuple[int, ...],
    iw_samples: int,
    flow_components: int,
    flow_epochs: int,
) -> None:
    import torch
    from sklearn.decomposition import PCA

    _one_thread()
    Xtr, ytr, Xte, _ = _fashion(n_train, 2 * n_eval, ctx.seed_for("data"))
    clf = _train_convnet(Xtr, ytr, tuple(classifier_channels), classifier_epochs, ctx.seed_for("classifier"))
    flat = Xtr.reshape(len(Xtr), -1)
    vae = nets.VAE(784, latent, (256,), seed=ctx.seed_for("vae"))
    vae_curve = nets.train_vae(vae, flat, epochs=vae_epochs, seed=ctx.seed_for("vae", "train"))
    gan = nets.GAN(784, 32, (256,), seed=ctx.seed_for("gan"))
    gan_curve = nets.train_gan(gan, flat, steps=gan_steps, seed=ctx.seed_for("gan", "train"))
    # the flow (physml.flows, a MAF) models the leading principal components of the images: a flow
    # needs ~10 samples per dimension, so 784 pixels are out of reach of a few thousand images
    pca = PCA(flow_components, svd_solver="full").fit(flat)
    scores_tr = pca.transform(flat)
    flow = flows.FlowDensity("maf", max_epochs=flow_epochs, seed=ctx.seed_for("flow")).fit(scores_tr)

    def from_pca(z: Any) -> Any:
        return np.clip(pca.inverse_transform(z), 0, 1).astype(np.float32).reshape(-1, 1, 28, 28)

    gauss = ctx.rng("pca-gaussian").multivariate_normal(
        scores_tr.mean(0), np.cov(scores_tr, rowvar=False), size=n_eval
    )
    g = torch_generator(ctx.seed_for("samples"))
    reference, held_out = Xte[:n_eval], Xte[n_eval:]
    sets = {
        "real held-out": held_out,
        "VAE": vae.sample(n_eval, generator=g).numpy().reshape(-1, 1, 28, 28),
        "GAN": gan.sample(n_eval, generator=g).numpy().reshape(-1, 1, 28, 28),
        f"flow (PCA-{flow_components})": from_pca(flow.sample(n_eval, seed=ctx.seed_for("flow", "sample"))),
        f"Gaussian (PCA-{flow_components})": from_pca(gauss),
        "uniform noise": ctx.rng("noise").random((n_eval, 1, 28, 28)).astype(np.float32),
    }
    scores = {k: nets.sample_quality(clf, v, reference) for k, v in sets.items()}
    fd = {k: s.frechet for k, s in scores.items()}
    ctx.check(
        "Fréchet: real held-out < noise (the measure is validated)",
        fd["real held-out"],
        fd["uniform noise"],
        comparison="at_most",
    )
    ctx.check("Fréchet: real held-out < VAE", fd["real held-out"], fd["VAE"], comparison="at_most")
    ctx.check("Fréchet: real held-out < GAN", fd["real held-out"], fd["GAN"], comparison="at_most")
    ctx.check("Fréchet: VAE < noise / 2", fd["VAE"], fd["uniform noise"] / 2, comparison="at_most")
    ctx.check("Fréchet: GAN < noise / 2", fd["GAN"], fd["uniform noise"] / 2, comparison="at_most")
    flow_name = f"flow (PCA-{flow_components})"
    ctx.check("Fréchet: real held-out < flow", fd["real held-out"], fd[flow_name], comparison="at_most")
    ctx.check("Fréchet: flow < noise / 2", fd[flow_name], fd["uniform noise"] / 2, comparison="at_most")
    # ELBO ≤ importance-weighted bound ≤ ln p(x), per held-out image
    x = torch.from_numpy(held_out.reshape(len(held_out), -1))
    with torch.no_grad():
        elbo = vae.elbo(x, generator=g, samples=iw_samples).numpy()
        iw = vae.importance_log_likelihood(x, iw_samples, generator=g).numpy()
    gap = iw - elbo
    ctx.check(
        f"VAE: mean (IW-{iw_samples} bound − ELBO) ≥ 0 (nats)",
        float(gap.mean()),
        0.0,
        uncertainty=float(gap.std(ddof=1) / math.sqrt(len(gap))),
        comparison="at_least",
    )
    ctx.metric("frechet", fd)
    ctx.metric("confidence", {k: [s.confidence, s.confidence_err] for k, s in scores.items()})
    ctx.metric("class_entropy", {k: s.class_entropy for k, s in scores.items()})
    ctx.metric("vae_test_nats", {"elbo": float(elbo.mean()), f"iw{iw_samples}": float(iw.mean())})
    ctx.metric("vae_neg_elbo_per_epoch", vae_curve)
    ctx.metric("gan_final_losses", {k: float(np.mean(v[-50:])) for k, v in gan_curve.items()})
    ctx.metric(
        "flow",
        {
            "pca_components": flow_components,
            "pca_explained_variance": float(pca.explained_variance_ratio_.sum()),
            "epochs": flow.n_epochs_,
            "best_epoch": flow.best_epoch_,
        },
    )

    fig = ctx.new_figure(figsize=(18.0, 4.4))
    ax = fig.subplots(1, len(sets))
    for a, name in zip(ax, sets, strict=True):
        a.imshow(_grid(sets[name][:36], 6), cmap="gray_r", vmin=0, vmax=1)
        a.set(
            title=f"{name}\nFréchet {fd[name]:.3g}, conf. {scores[name].confidence:.2f}", xticks=[], yticks=[]
        )
    ctx.figure(fig, "samples")
    zr = ctx.rng("interp")
    rows = []
    for model, k in ((vae, latent), (gan, 32)):
        for _ in range(2):
            rows.append(nets.interpolate_latents(model, zr.standard_normal(k), zr.standard_normal(k), 10))
    fig = ctx.new_figure(figsize=(8.0, 3.6))
    a = fig.subplots()
    a.imshow(_grid(np.concatenate(rows), 4), cmap="gray_r", vmin=0, vmax=1)
    a.set(
        title="latent interpolation z(t) = (1 − t) z₀ + t z₁: VAE (rows 1–2), GAN (rows 3–4)",
        xticks=[],
        yticks=[],
    )
    ctx.figure(fig, "interpolation")
