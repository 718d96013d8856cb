"""Restricted Boltzmann machines measured: partition functions, likelihoods, and Ising data.

Source: M. Walsh's talk on Hopfield networks, Boltzmann machines and RBMs, which
ends by saying there are no reliable software packages for training and using RBMs; the
methods are Hinton (2002) for CD, Tieleman (2008) for PCD, Salakhutdinov & Murray (2008) for
AIS, and Torlai & Melko (2016) for RBMs trained on Ising configurations.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from physml import data, ebm
from physml._core import check_int, check_real, derive_seed
from physml.lab import Context, experiment

WALSH = "Walsh, Hopfield networks, Boltzmann machines and RBMs"


def _binarised_fashion(split: str, n: int, seed: int) -> Any:
    """``n`` Fashion-MNIST images of ``split`` (a seeded random subset), binarised at grey 128."""
    images, _ = data.fashion_mnist(split)
    take = np.random.default_rng(seed).permutation(len(images))[:n]
    return (images[take].reshape(n, -1) >= 128).astype(np.float32)


def _model_from_arrays(arrays: dict[str, Any]) -> Any:
    """The float64 model of an RBM with the given W, b, c (whichever library trained it)."""
    rbm = ebm.RBM.from_parameters(arrays["weights"], arrays["visible_bias"], arrays["hidden_bias"],
                                  dtype="float64")
    return rbm.model_


def _arrays(components: Any, hidden: Any, visible: Any) -> dict[str, Any]:
    return {
        "weights": np.asarray(components, dtype=np.float64),
        "hidden_bias": np.asarray(hidden, dtype=np.float64),
        "visible_bias": np.asarray(visible, dtype=np.float64),
    }


# -------------------------------------------------------------------------------------------
# rbm-exact-vs-ais
# -------------------------------------------------------------------------------------------


def _ais_run(item: tuple[dict[str, Any], dict[str, Any], int]) -> dict[str, float]:
    """One AIS estimate of log Z (an independent run of ``n_chains`` chains)."""
    arrays, options, seed = item
    options = dict(options)
    base = options.pop("base_rates", None)
    log_z, stderr = ebm.ais_log_partition(
        _model_from_arrays(arrays), base_visible_bias=base, seed=seed, dtype="float64", **options
    )
    return {"log_z": float(log_z), "stderr": float(stderr)}


def _check_ais_params(p: dict[str, Any]) -> None:
    check_int(p["n_hidden"], "n_hidden", low=1, high=ebm.EXACT_MAX_UNITS)
    check_int(p["n_train"], "n_train", low=100, high=60000)
    check_int(p["epochs"], "epochs", low=1)
    check_int(p["n_runs"], "n_runs", low=2)
    check_int(p["n_chains"], "n_chains", low=2)
    check_int(p["n_betas"], "n_betas", low=2)
    check_real(p["learning_rate"], "learning_rate", low=0.0, low_open=True)
    check_real(p["max_deviation"], "max_deviation", low=0.0, low_open=True)
    for i, n in enumerate(p["schedule_betas"]):
        check_int(n, f"schedule_betas[{i}]", low=2)


@experiment(
    "rbm-exact-vs-ais",
    claim="Annealed importance sampling estimates the log partition function of an RBM trained by CD-1 on "
    "binarised Fashion-MNIST to within 0.5 nats and 3 standard errors of the exact value.",
    source=f"{WALSH}; Salakhutdinov & Murray, 'On the quantitative analysis of deep belief networks', "
    "ICML 2008 (AIS for RBMs)",
    quick=dict(
        n_hidden=10, n_train=5000, epochs=2, learning_rate=0.05, n_runs=3, n_chains=64, n_betas=1000,
        schedule_betas=(100, 300, 1000), max_deviation=0.5,
    ),
    full=dict(
        n_hidden=20, n_train=60000, epochs=5, learning_rate=0.05, n_runs=5, n_chains=100, n_betas=10000,
        schedule_betas=(100, 300, 1000, 3000, 10000), max_deviation=0.5,
    ),
    tags=("ebm", "rbm", "walsh", "fashion-mnist"),
    validate=_check_ais_params,
)
def rbm_exact_vs_ais(
    ctx: Context,
    n_hidden: int,
    n_train: int,
    epochs: int,
    learning_rate: float,
    n_runs: int,
    n_chains: int,
    n_betas: int,
    schedule_betas: tuple[int, ...],
    max_deviation: float,
) -> None:
    x = _binarised_fashion("train", n_train, ctx.seed_for("data"))
    # the AIS base model: independent visibles with the data's base rates (Salakhutdinov & Murray)
    p = (x.sum(axis=0, dtype=np.float64) + 1.0) / (len(x) + 2.0)
    base = np.log(p) - np.log1p(-p)

    def options(betas: int) -> dict[str, Any]:
        return {"n_chains": n_chains, "n_betas": betas, "base_rates": base}

    # CD-1 as in Salakhutdinov & Murray (the claim), and PCD with momentum for contrast: PCD
    # carves sharper, more separated modes that AIS chains started from the base model can miss
    models = {
        "CD-1": ebm.RBM(n_hidden, method="cd", k=1, learning_rate=learning_rate, batch_size=100,
                        n_iter=epochs,
                    seed=ctx.seed_for("rbm", "cd")).fit(x),
        "PCD-1": ebm.RBM(n_hidden, method="pcd", k=1, learning_rate=learning_rate, batch_size=100,
                         n_iter=epochs,
                     momentum=0.5, seed=ctx.seed_for("rbm", "pcd")).fit(x),
    }
    found: dict[str, dict[str, Any]] = {}
    for label, rbm in models.items():
        arrays = _arrays(rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_)
        exact = float(ebm.exact_log_partition(_model_from_arrays(arrays)))
        items = [(arrays, options(n_betas), ctx.seed_for("ais", label, i)) for i in range(n_runs)]
        runs = ctx.map(_ais_run, items, desc=f"AIS runs, {label}")
        est = np.array([r["log_z"] for r in runs])
        se = np.array([r["stderr"] for r in runs])
        found[label] = {"exact": exact, "arrays": arrays, "dev": est - exact, "se": se}

    cd = found["CD-1"]
    dev, se = cd["dev"], cd["se"]
    worst = int(np.argmax(np.abs(dev)))
    ctx.check(f"CD-1 model: largest |AIS − exact| of {n_runs} runs (nats)", float(np.abs(dev[worst])),
              max_deviation, uncertainty=float(se[worst]), comparison="at_most")
    ctx.check(f"CD-1 model: largest |AIS − exact| / standard error of {n_runs} runs",
              float((np.abs(dev) / se).max()), 3.0, comparison="at_most")
    for label, f in found.items():
        key = label.lower().replace("-", "")
        ctx.metric(f"{key}_exact_log_z", f["exact"])
        ctx.metric(f"{key}_ais_minus_exact", f["dev"])
        ctx.metric(f"{key}_ais_stderr", f["se"])
        ctx.metric(f"{key}_largest_pull", float((np.abs(f["dev"]) / f["se"]).max()))
    ctx.metric("cd1: spread of runs / mean reported stderr", float(np.std(dev, ddof=1) / np.mean(se)))
    ctx.metric("n_hidden_states_enumerated", 2**n_hidden)

    items = [(cd["arrays"], options(b), ctx.seed_for("schedule", b)) for b in schedule_betas]
    sweep = ctx.map(_ais_run, items, desc="AIS schedule")

    fig = ctx.new_figure(figsize=(9.0, 3.6))
    ax1, ax2 = fig.subplots(1, 2)
    for shift, (label, f) in zip((-0.1, 0.1), found.items(), strict=True):
        ax1.errorbar(np.arange(n_runs) + shift, f["dev"], yerr=f["se"], fmt="o", capsize=3,
                     label=f"{label} model")
    ax1.axhline(0.0, color="black", lw=1)
    for s in (-max_deviation, max_deviation):
        ax1.axhline(s, color="grey", ls="--", lw=1)
    ax1.set_yscale("symlog", linthresh=1.0)
    ax1.set(xlabel="AIS run", ylabel="log Z(AIS) − log Z(exact) (nats)",
            title=f"{n_betas} temperatures, {n_chains} chains")
    ax1.legend(fontsize=8)
    exact = cd["exact"]
    sd = np.array([r["log_z"] for r in sweep]) - exact
    ss = np.array([r["stderr"] for r in sweep])
    ax2.errorbar(schedule_betas, sd, yerr=ss, fmt="o-", capsize=3)
    ax2.axhline(0.0, color="black", lw=1)
    ax2.set_xscale("log")
    ax2.set(xlabel="number of intermediate distributions", ylabel="log Z − exact (nats)",
            title=f"784-{n_hidden} CD-1 RBM: AIS against the number of temperatures")
    ctx.figure(fig, "ais")


# -------------------------------------------------------------------------------------------
# rbm-fashion
# -------------------------------------------------------------------------------------------


def _fashion_trainer(item: tuple[str, dict[str, Any], int]) -> dict[str, Any]:
    """Train one library's RBM on binarised Fashion-MNIST and measure its test log-likelihood."""
    import torch

    library, p, seed = item
    x = _binarised_fashion("train", p["n_train"], seed)
    x_test = _binarised_fashion("test", p["n_test"], derive_seed(seed, "test-images"))
    start = time.perf_counter()
    if library == "physml":
        rbm = ebm.RBM(p["n_hidden"], method="pcd", k=1, learning_rate=p["learning_rate"],
                  learning_rate_schedule="linear", batch_size=p["batch_size"], n_iter=p["epochs"],
                  seed=seed).fit(x)
        arrays = _arrays(rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_)
    else:
        from sklearn.neural_network import BernoulliRBM

        rbm = BernoulliRBM(p["n_hidden"], learning_rate=p["learning_rate"], batch_size=p["batch_size"],
                           n_iter=p["epochs"], random_state=seed % 2**32).fit(x.astype(np.float64))
        arrays = _arrays(rbm.components_, rbm.intercept_hidden_, rbm.intercept_visible_)
    seconds = time.perf_counter() - start

    model = _model_from_arrays(arrays)
    prob = (x.sum(axis=0, dtype=np.float64) + 1.0) / (len(x) + 2.0)
    log_z, log_z_se = ebm.ais_log_partition(model, n_chains=p["ais_chains"], n_betas=p["ais_betas"],
                                        base_visible_bias=np.log(prob) - np.log1p(-prob),
                                        seed=derive_seed(seed, "ais"))
    ll = ebm.log_likelihood(model, torch.as_tensor(x_test, dtype=torch.float64), log_z)
    pl = ebm.pseudo_likelihood(model, torch.as_tensor(x_test, dtype=torch.float64))
    gen = torch.Generator().manual_seed(derive_seed(seed, "samples"))
    with torch.no_grad():
        v = torch.bernoulli(torch.sigmoid(model.visible_bias).expand(p["n_show"], -1), generator=gen)
        v = model.gibbs(v, gen, p["gibbs_steps"])
        shown = model.visible_mean(model.sample_hidden(v, gen)).numpy()
    return {
        "library": library,
        "seconds": seconds,
        "log_z": float(log_z),
        "log_z_se": float(log_z_se),
        "test_ll": np.asarray(ll, dtype=np.float64),
        "test_pl": np.asarray(pl, dtype=np.float64),
        "samples": shown.astype(np.float32),
        "filters": arrays["weights"][: p["n_show"]].astype(np.float32),
    }


def _check_fashion_params(p: dict[str, Any]) -> None:
    check_int(p["n_hidden"], "n_hidden", low=1)
    check_int(p["n_train"], "n_train", low=100, high=60000)
    check_int(p["n_test"], "n_test", low=10, high=10000)
    check_int(p["epochs"], "epochs", low=1)
    check_int(p["batch_size"], "batch_size", low=1)
    check_real(p["learning_rate"], "learning_rate", low=0.0, low_open=True)
    check_int(p["ais_chains"], "ais_chains", low=2)
    check_int(p["ais_betas"], "ais_betas", low=2)
    check_int(p["n_show"], "n_show", low=1, high=p["n_hidden"])
    check_int(p["gibbs_steps"], "gibbs_steps", low=1)


@experiment(
    "rbm-fashion",
    claim="A 784-500 RBM trained by PCD-1 with a decaying learning rate on binarised Fashion-MNIST reaches "
    "a test log-likelihood (by AIS) at least as high as scikit-learn's BernoulliRBM given the same epochs, "
    "batch size, Gibbs sweeps and initial learning rate.",
    source=f"{WALSH}; Tieleman, ICML 2008 (PCD); Salakhutdinov & Murray, ICML 2008 (AIS); "
    "scikit-learn BernoulliRBM",
    quick=dict(
        n_hidden=64, n_train=5000, n_test=1000, epochs=5, batch_size=100, learning_rate=0.05,
        ais_chains=32, ais_betas=500, n_show=16, gibbs_steps=200,
    ),
    full=dict(
        n_hidden=500, n_train=60000, n_test=10000, epochs=10, batch_size=100, learning_rate=0.05,
        ais_chains=100, ais_betas=10000, n_show=25, gibbs_steps=1000,
    ),
    tags=("ebm", "rbm", "walsh", "fashion-mnist"),
    validate=_check_fashion_params,
)
def rbm_fashion(
    ctx: Context,
    n_hidden: int,
    n_train: int,
    n_test: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    ais_chains: int,
    ais_betas: int,
    n_show: int,
    gibbs_steps: int,
) -> None:
    p = dict(n_hidden=n_hidden, n_train=n_train, n_test=n_test, epochs=epochs, batch_size=batch_size,
             learning_rate=learning_rate, ais_chains=ais_chains, ais_betas=ais_betas, n_show=n_show,
             gibbs_steps=gibbs_steps)
    # the same data, test images and seed for both libraries
    seed = ctx.seed_for("rbm-fashion")
    ours, theirs = ctx.map(_fashion_trainer, [("physml", p, seed), ("sklearn", p, seed)],
                           desc="physml and sklearn RBMs")
    # paired comparison on the same test images; the log Z errors add (independent AIS runs)
    diff = ours["test_ll"] - theirs["test_ll"]
    paired = float(np.std(diff, ddof=1) / math.sqrt(len(diff)))
    sigma = math.sqrt(paired**2 + ours["log_z_se"] ** 2 + theirs["log_z_se"] ** 2)
    ctx.check("physml − sklearn test log-likelihood per image (nats)", float(diff.mean()), 0.0,
              uncertainty=sigma, tolerance=3 * sigma, comparison="at_least")
    # AIS can miss modes and overstate a likelihood (see rbm-exact-vs-ais), so compare the
    # deterministic pseudo-log-likelihood as well, which needs no partition function
    pl_diff = ours["test_pl"] - theirs["test_pl"]
    pl_sigma = float(np.std(pl_diff, ddof=1) / math.sqrt(len(pl_diff)))
    ctx.check("physml − sklearn test pseudo-log-likelihood per image (nats)", float(pl_diff.mean()), 0.0,
              uncertainty=pl_sigma, tolerance=3 * pl_sigma, comparison="at_least")
    for r in (ours, theirs):
        ll = r["test_ll"]
        se = math.sqrt(float(np.var(ll, ddof=1)) / len(ll) + r["log_z_se"] ** 2)
        ctx.metric(f"{r['library']} test log-likelihood per image", float(ll.mean()))
        ctx.metric(f"{r['library']} test log-likelihood uncertainty", se)
        ctx.metric(f"{r['library']} log Z (AIS)", [r["log_z"], r["log_z_se"]])
        ctx.metric(f"{r['library']} training seconds", r["seconds"])
        ctx.metric(f"{r['library']} test pseudo-log-likelihood per image", float(r["test_pl"].mean()))
    ratio = theirs["seconds"] / ours["seconds"]
    ctx.metric("training time ratio sklearn / physml (same process, indicative)", ratio)

    side = int(math.ceil(math.sqrt(n_show)))

    def grid(images: Any) -> Any:
        canvas = np.ones((side * 29 - 1, side * 29 - 1))
        for i, img in enumerate(images[:n_show]):
            r, c = divmod(i, side)
            canvas[r * 29 : r * 29 + 28, c * 29 : c * 29 + 28] = img.reshape(28, 28)
        return canvas

    fig = ctx.new_figure(figsize=(9.0, 4.6))
    axes = fig.subplots(1, 2)
    for ax, r in zip(axes, (ours, theirs), strict=True):
        ax.imshow(grid(r["samples"]), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"{r['library']}: samples after {gibbs_steps} Gibbs sweeps\n"
                     f"test log-likelihood {r['test_ll'].mean():.1f} nats/image", fontsize=9)
        ax.axis("off")
    ctx.figure(fig, "samples")

    fig = ctx.new_figure(figsize=(9.0, 4.6))
    axes = fig.subplots(1, 2)
    for ax, r in zip(axes, (ours, theirs), strict=True):
        w = r["filters"]
        scale = np.abs(w).max(axis=1, keepdims=True)
        ax.imshow(grid(0.5 + 0.5 * w / np.maximum(scale, 1e-12)), cmap="RdBu_r", vmin=0, vmax=1)
        ax.set_title(f"{r['library']}: weights of {n_show} hidden units", fontsize=9)
        ax.axis("off")
    ctx.figure(fig, "filters")


# -------------------------------------------------------------------------------------------
# rbm-ising
# -------------------------------------------------------------------------------------------


def _ising_rbm(item: tuple[dict[str, Any], float, int]) -> dict[str, Any]:
    """Train an RBM on equilibrium Ising configurations at ``T`` and sample it."""
    p, T, seed = item
    L = p["L"]
    lattice = ebm.IsingLattice(L)
    spins, info = ebm.ising_configurations(L, T, p["n_samples"], algorithm="wolff", seed=seed)
    x = ((spins.reshape(len(spins), -1) + 1) // 2).astype(np.float32)
    start = time.perf_counter()
    rbm = ebm.RBM(p["n_hidden"], method="pcd", k=p["k"], learning_rate=p["learning_rate"],
              learning_rate_schedule="linear", momentum=0.5, batch_size=100, n_iter=p["epochs"],
              seed=derive_seed(seed, "rbm")).fit(x)
    seconds = time.perf_counter() - start
    v = rbm.sample(p["n_chains"], n_steps=p["gibbs_steps"], seed=derive_seed(seed, "samples"))
    generated = (2 * v - 1).reshape(-1, L, L).astype(np.int8)

    def stats(s: Any) -> dict[str, float]:
        e = lattice.energy_per_site(s)
        m = np.abs(lattice.magnetisation(s))
        n = len(s)
        return {"energy": float(e.mean()), "energy_se": float(e.std(ddof=1) / math.sqrt(n)),
                "abs_m": float(m.mean()), "abs_m_se": float(m.std(ddof=1) / math.sqrt(n))}

    return {
        "T": T,
        "data": stats(spins),
        "rbm": stats(generated),
        "exact_energy": ebm.kaufman(L, T).energy,
        "thin": info["thin"],
        "seconds": seconds,
        "examples_data": spins[:4],
        "examples_rbm": generated[:4],
    }


def _check_ising_params(p: dict[str, Any]) -> None:
    L = check_int(p["L"], "L", low=2)
    if L % 2:
        raise ValueError(f"L must be even (the periodic lattice the RBM learns is bipartite), got {L}")
    if not p["temperatures"]:
        raise ValueError("temperatures must list at least one temperature, e.g. 1.8,2.27,3.0")
    for i, T in enumerate(p["temperatures"]):
        check_real(T, f"temperatures[{i}]", low=0.0, low_open=True)
    check_int(p["n_samples"], "n_samples", low=100)
    check_int(p["n_hidden"], "n_hidden", low=1)
    check_int(p["epochs"], "epochs", low=1)
    check_int(p["k"], "k", low=1)
    check_real(p["learning_rate"], "learning_rate", low=0.0, low_open=True)
    check_int(p["n_chains"], "n_chains", low=10)
    check_int(p["gibbs_steps"], "gibbs_steps", low=1)
    check_real(p["relative_tolerance"], "relative_tolerance", low=0.0, low_open=True)


@experiment(
    "rbm-ising",
    claim="An RBM trained on equilibrium Ising configurations generates configurations whose energy and "
    "|magnetisation| per site match those of its training data within 5%, below, near and above T_c.",
    source=f"{WALSH}, the bridge from the Ising model to Boltzmann machines; Torlai & Melko, 'Learning "
    "thermodynamics with Boltzmann machines', PRB 94, 165134 (2016)",
    quick=dict(
        L=4, temperatures=(1.8, 2.27, 3.0), n_samples=5000, n_hidden=16, epochs=150, k=1, learning_rate=0.1,
        n_chains=1000, gibbs_steps=300, relative_tolerance=0.1,
    ),
    full=dict(
        L=8, temperatures=(1.5, 1.8, 2.1, 2.27, 2.5, 3.0, 3.5), n_samples=20000, n_hidden=64, epochs=300, k=1,
        learning_rate=0.05, n_chains=5000, gibbs_steps=2000, relative_tolerance=0.05,
    ),
    tags=("ebm", "rbm", "ising", "walsh"),
    validate=_check_ising_params,
)
def rbm_ising(
    ctx: Context,
    L: int,
    temperatures: tuple[float, ...],
    n_samples: int,
    n_hidden: int,
    epochs: int,
    k: int,
    learning_rate: float,
    n_chains: int,
    gibbs_steps: int,
    relative_tolerance: float,
) -> None:
    p = dict(L=L, n_samples=n_samples, n_hidden=n_hidden, epochs=epochs, k=k, learning_rate=learning_rate,
             n_chains=n_chains, gibbs_steps=gibbs_steps)
    runs = ctx.map(_ising_rbm, [(p, float(T), ctx.seed_for("T", T)) for T in temperatures],
                   desc="RBM per temperature")
    for r in runs:
        for key, label in (("energy", "energy"), ("abs_m", "|m|")):
            d, g = r["data"], r["rbm"]
            ratio = g[key] / d[key]
            sigma = abs(ratio) * math.hypot(g[f"{key}_se"] / g[key], d[f"{key}_se"] / d[key])
            ctx.check(f"T = {r['T']:g}: RBM / data {label}", ratio, 1.0, uncertainty=sigma,
                      tolerance=relative_tolerance + 3 * sigma)
    keep = ("T", "data", "rbm", "exact_energy", "thin", "seconds")
    ctx.metric("per_temperature", [{k: r[k] for k in keep} for r in runs])

    fig = ctx.new_figure(figsize=(9.0, 3.8))
    ax1, ax2 = fig.subplots(1, 2)
    Ts = np.array([r["T"] for r in runs])
    grid = np.linspace(min(Ts) * 0.95, max(Ts) * 1.05, 120)
    ax1.plot(grid, [ebm.kaufman(L, t).energy for t in grid], "k-", lw=1, label=f"exact {L}x{L} (Kaufman)")
    for which, marker in (("data", "o"), ("rbm", "s")):
        e = [r[which]["energy"] for r in runs]
        e_se = [r[which]["energy_se"] for r in runs]
        m = [r[which]["abs_m"] for r in runs]
        m_se = [r[which]["abs_m_se"] for r in runs]
        label = "training data (Wolff)" if which == "data" else "RBM samples"
        ax1.errorbar(Ts, e, yerr=e_se, fmt=marker, mfc="none", capsize=2, label=label)
        ax2.errorbar(Ts, m, yerr=m_se, fmt=marker, mfc="none", capsize=2, label=label)
    for ax in (ax1, ax2):
        ax.axvline(ebm.critical_temperature(), color="grey", ls=":", lw=1)
        ax.set_xlabel("T")
        ax.legend(fontsize=8)
    ax1.set(ylabel="energy per site", title=f"{L}x{L} Ising: energy")
    ax2.set(ylabel="<|m|>", title=f"{L}x{L} Ising: |magnetisation|")
    ctx.figure(fig, "observables")

    fig = ctx.new_figure(figsize=(1.3 * 8, 1.3 * 2 * len(runs) / 2 + 0.6))
    axes = fig.subplots(len(runs), 8, squeeze=False)
    for row, r in zip(axes, runs, strict=True):
        for j, ax in enumerate(row):
            src = r["examples_data"] if j < 4 else r["examples_rbm"]
            ax.imshow(src[j % 4], cmap="gray", vmin=-1, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
        row[0].set_ylabel(f"T = {r['T']:g}", fontsize=8)
    axes[0][0].set_title("data", fontsize=8)
    axes[0][4].set_title("RBM", fontsize=8)
    ctx.figure(fig, "configurations")
