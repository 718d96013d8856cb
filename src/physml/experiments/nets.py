"""Dumb MLPs, measured: criticality, ensemble variance over depth/width, orthogonal weights, NTK.

Every experiment draws vectorised ensembles of networks at initialisation
(:class:`physml.nets.MLPEnsemble`), measures preactivation statistics over the members and
compares them with the finite-width recursions of :mod:`physml.nets` (the book's theory).

Sources: Y. Kahn, "Dumb Machine Learning for Physics" (IAIFI Colloquium, 10 March 2023), slides "Tuning to
criticality", "Fluctuations and feature learning", "Orthogonal initializations"; Roberts, Yaida &
Hanin, *The Principles of Deep Learning Theory* (arXiv:2106.10165); Day, Kahn & Roberts,
arXiv:2310.07765.

Tolerances: each check allows ``z`` standard errors, with ``z`` from
:func:`physml.experiments._tolerances.sigma_multiple` for the experiment's number of checks at a
1% family-wise false-alarm rate. Comparisons with a leading-order (in 1/n) recursion add the
size of the next order, estimated as R²/2 (the gap between the exact (1 + c/n)^(ℓ−1) − 1 and its
leading term c(ℓ−1)/n for linear and ReLU networks); comparisons with exact results add nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy

from physml import nets
from physml._core import check_int, check_real
from physml.experiments._tolerances import sigma_multiple
from physml.lab import Context, experiment

KAHN = "Kahn, 'Dumb Machine Learning for Physics' (IAIFI Colloquium, 10 March 2023)"
PDLT = "Roberts, Yaida & Hanin, 'The Principles of Deep Learning Theory', arXiv:2106.10165"
DKR = "Day, Kahn & Roberts, arXiv:2310.07765"

N_INPUT = 4  # input x = (1, 1, 1, 1): |x|²/n_0 = 1


def _ensemble_stats(args: tuple[str, float, float, str, int, int, int, int]) -> dict[str, Any]:
    """Preactivation statistics of one ensemble (one sweep point)."""
    import torch

    activation, C_b, C_W, weights, width, depth, n_members, seed = args
    torch.set_num_threads(1)
    # members in chunks keep the memory small; each chunk has its own seed
    chunk = max(1, min(n_members, 20_000_000 // (width * width * depth + 1)))
    m2, m4 = [], []
    for i, start in enumerate(range(0, n_members, chunk)):
        k = min(chunk, n_members - start)
        ens = nets.MLPEnsemble(
            k, (N_INPUT,) + (width,) * depth, activation, C_W=C_W, C_b=C_b, weights=weights, seed=seed + i
        ).double()
        st = nets.preactivation_statistics(ens, np.ones(N_INPUT))
        m2.append(st.member_m2)
        m4.append(st.member_m4)
    return {"m2": np.concatenate(m2), "m4": np.concatenate(m4)}


def _check_common(p: dict[str, Any]) -> None:
    check_int(p["n_members"], "n_members", low=20)
    check_int(p["depth"], "depth", low=3)
    for i, w in enumerate(p.get("widths", (p.get("width", 1),))):
        check_int(w, f"widths[{i}]", low=2)


# ---------------------------------------------------------------------------------------------
# criticality-kernel

_KERNEL_CONFIGS = (
    # activation, C_b, C_W, expected flow
    ("tanh", 0.0, 1.0, "critical"),
    ("tanh", 0.0, 0.5, "vanishing"),
    ("relu", 0.0, 2.0, "critical"),
    ("relu", 0.0, 2.6, "exploding"),
    ("relu", 0.0, 1.4, "vanishing"),
)


@experiment(
    "criticality-kernel",
    claim="The measured kernel K^(ℓ) = E[z²] of tanh and ReLU networks follows the infinite-width recursion "
    "K^(ℓ+1) = C_b + C_W⟨σ²⟩_K over depth: at criticality (tanh C_W = 1, ReLU C_W = 2) it neither "
    "explodes nor "
    "vanishes exponentially, away from it it does.",
    source=f"{KAHN}, slide 'Tuning to criticality'; {PDLT}, ch. 5",
    quick=dict(width=96, depth=6, n_members=200, r_max=0.35),
    full=dict(width=256, depth=30, n_members=2000, r_max=0.35),
    tags=("nets", "kahn", "criticality"),
    validate=_check_common,
)
def criticality_kernel(ctx: Context, width: int, depth: int, n_members: int, r_max: float) -> None:
    items = [
        (a, cb, cw, "gaussian", width, depth, n_members, ctx.seed_for(a, cw))
        for a, cb, cw, _ in _KERNEL_CONFIGS
    ]
    results = ctx.map(_ensemble_stats, items, desc="criticality-kernel ensembles")
    z = sigma_multiple(2 * len(_KERNEL_CONFIGS))
    for name, act in (("tanh", "tanh"), ("relu", "relu")):
        cb, cw = nets.critical_parameters(act)
        ctx.check(
            f"{name}: critical C_W from χ∥ = χ⊥ = 1", cw, {"tanh": 1.0, "relu": 2.0}[name], tolerance=1e-9
        )
    fig = ctx.new_figure(figsize=(10.0, 4.0))
    axes = fig.subplots(1, 2)
    ell = np.arange(1, depth + 1)
    table = []
    for (act, cb, cw, expect), res in zip(_KERNEL_CONFIGS, results, strict=True):
        st = nets.PreactivationStatistics.from_moments(res["m2"], res["m4"])
        flow = nets.kernel_recursion(act, depth, C_b=cb, C_W=cw, input_norm2=1.0)
        R = nets.variance_recursion(act, [width] * (depth - 1), C_b=cb, C_W=cw, input_norm2=1.0)
        # Compare at the deepest layer where R ≤ r_max: beyond it the per-member kernels are so
        # broadly (log-normally) spread that the sample mean of z² is skewed low and its standard
        # error unreliable. For zero-bias ReLU E[z²] = K holds exactly at any width; for tanh the
        # 1/n correction to K is allowed for with its size, R·K.
        k = int(np.nonzero(R <= r_max)[0][-1])
        rel = st.K[k] / flow.K[k] - 1.0
        rel_err = st.K_err[k] / flow.K[k]
        label = f"{act} C_W={cw:g}"
        ctx.check(
            f"{label}: K^({k + 1}) measured / recursion − 1",
            rel,
            0.0,
            uncertainty=rel_err,
            tolerance=z * rel_err + (0.0 if act == "relu" else abs(R[k])),
        )
        log_growth = math.log(st.K[k] / st.K[0])
        log_err = math.hypot(st.K_err[k] / st.K[k], st.K_err[0] / st.K[0])
        if expect == "critical" and act == "relu":
            ctx.check(
                f"{label}: ln K^({k + 1})/K^(1) = 0 (scale-invariant fixed line)",
                log_growth,
                0.0,
                uncertainty=log_err,
                tolerance=z * log_err,
            )
        elif expect != "critical":
            sign = 1.0 if expect == "exploding" else -1.0
            # exponential flow: at least an e-fold, in the predicted direction
            ctx.check(
                f"{label}: {expect}, ±ln K^({k + 1})/K^(1) ≥ 1",
                sign * log_growth,
                1.0,
                uncertainty=log_err,
                tolerance=z * log_err,
                comparison="at_least",
            )
        table.append(
            {
                "activation": act,
                "C_b": cb,
                "C_W": cw,
                "expected": expect,
                "K_measured": st.K.tolist(),
                "K_err": st.K_err.tolist(),
                "K_recursion": flow.K.tolist(),
                "chi_parallel": flow.chi_parallel.tolist(),
                "chi_perp": flow.chi_perp.tolist(),
                "recursion_behaviour": flow.behaviour,
            }
        )
        ax = axes[0 if act == "tanh" else 1]
        line = ax.errorbar(ell, st.K, yerr=st.K_err, fmt="o", ms=3, label=f"measured, C_W={cw:g}")
        ax.plot(ell, flow.K, "-", color=line[0].get_color(), lw=1, label=f"recursion, C_W={cw:g}")
    for ax, act in zip(axes, ("tanh", "relu"), strict=True):
        ax.set(yscale="log", xlabel="layer ℓ", ylabel="K^(ℓ) = E[z²]", title=f"{act}, width {width}")
        ax.legend(fontsize=7)
    ctx.figure(fig, "kernel")
    ctx.metric("configurations", table)
    ctx.metric("sigma_multiple", z)


# ---------------------------------------------------------------------------------------------
# ensemble-variance-depth


def _variance_theory(act: str, width: int, depth: int) -> tuple[Any, bool]:
    """R(ℓ) for ℓ = 1..depth at criticality: exact where known, else the recursion."""
    if act in ("linear", "relu"):
        return nets.scale_invariant_variance(act, depth, width), True
    cb, cw = nets.critical_parameters(act)
    return nets.variance_recursion(act, [width] * (depth - 1), C_b=cb, C_W=cw, input_norm2=1.0), False


@experiment(
    "ensemble-variance-depth",
    claim="The normalised ensemble variance R(ℓ) = E[z⁴]/(3E[z²]²) − 1 of critical linear, ReLU and tanh "
    "networks "
    "grows like ℓ/n: exactly (1+2/n)^(ℓ−1) − 1 and (1+5/n)^(ℓ−1) − 1 for linear and ReLU, and as the "
    "four-point vertex recursion (→ 2ℓ/3n) for tanh.",
    source=f"{KAHN}, slide 'Fluctuations and feature learning' (E[z⁴]_conn/K² ∝ ℓ/n); {PDLT}, ch. 4-5",
    quick=dict(widths=(32, 64), depth=5, n_members=600, r_max=0.35),
    full=dict(widths=(32, 64, 128, 256), depth=16, n_members=4000, r_max=0.35),
    tags=("nets", "kahn", "finite-width"),
    validate=_check_common,
)
def ensemble_variance_depth(
    ctx: Context, widths: tuple[int, ...], depth: int, n_members: int, r_max: float
) -> None:
    acts = ("linear", "relu", "tanh")
    items = []
    for act in acts:
        cb, cw = nets.critical_parameters(act)
        for n in widths:
            items.append((act, cb, cw, "gaussian", int(n), depth, n_members, ctx.seed_for(act, n)))
    results = ctx.map(_ensemble_stats, items, desc="ensemble-variance-depth ensembles")
    z = sigma_multiple(len(items))
    fig = ctx.new_figure(figsize=(12.0, 4.0))
    axes = dict(zip(acts, fig.subplots(1, 3), strict=True))
    ell = np.arange(1, depth + 1)
    table = []
    for item, res in zip(items, results, strict=True):
        act, n = item[0], item[4]
        st = nets.PreactivationStatistics.from_moments(res["m2"], res["m4"])
        theory, exact = _variance_theory(act, n, depth)
        # the deepest layer where R is at most r_max: beyond, z⁴ is so heavy-tailed over the
        # members that its sample mean and standard error are unreliable (at R ≈ 0.3 repeated
        # ensembles give pulls of standard deviation ≈ 1 but a mean of up to −0.8: the sample
        # mean of z⁴ is skewed low)
        k = int(np.nonzero(theory <= r_max)[0][-1])
        tol = z * st.R_err[k] + (0.0 if exact else theory[k] ** 2 / 2)
        what = "exact" if exact else "recursion"
        ctx.check(
            f"{act} n={n}: R({k + 1}) vs {what}", st.R[k], theory[k], uncertainty=st.R_err[k], tolerance=tol
        )
        table.append(
            {
                "activation": act,
                "width": n,
                "R": st.R.tolist(),
                "R_err": st.R_err.tolist(),
                "theory": theory.tolist(),
                "theory_is_exact": exact,
                "n_R_per_layer": float(n * st.R[-1] / (depth - 1)),
            }
        )
        ax = axes[act]
        x = (ell - 1) / n
        line = ax.errorbar(x, st.R, yerr=st.R_err, fmt="o", ms=3, label=f"n={n}")
        ax.plot(x, theory, "-", lw=1, color=line[0].get_color())
    slopes = {"linear": 2.0, "relu": 5.0, "tanh": 2.0 / 3.0}
    for act, ax in axes.items():
        xs = np.linspace(0, (depth - 1) / min(widths), 50)
        ax.plot(
            xs,
            slopes[act] * xs,
            "k:",
            lw=1,
            label=f"leading order {slopes[act]:.3g}(ℓ−1)/n" if act != "tanh" else "slope 2/3 (deep limit)",
        )
        ax.set(xlabel="(ℓ − 1)/n", ylabel="R(ℓ)", title=f"{act} at criticality")
        ax.legend(fontsize=7)
    ctx.figure(fig, "variance")
    ctx.metric("ensembles", table)
    ctx.metric("sigma_multiple", z)


# ---------------------------------------------------------------------------------------------
# orthogonal-init


@experiment(
    "orthogonal-init",
    claim="With Haar-orthogonal weights the preactivation fluctuations R(ℓ) of critical tanh networks stay "
    "flat in depth, growing at most a tenth as fast as with Gaussian weights, whose R grows as the vertex "
    "recursion; a "
    "linear orthogonal network has R = −2/(n+2) exactly at every layer.",
    source=f"{KAHN}, slide 'Orthogonal initializations'; {DKR}",
    quick=dict(width=32, depth=8, n_members=600, max_ratio=0.1),
    full=dict(width=64, depth=32, n_members=4000, max_ratio=0.1),
    tags=("nets", "kahn", "orthogonal"),
    validate=_check_common,
)
def orthogonal_init(ctx: Context, width: int, depth: int, n_members: int, max_ratio: float) -> None:
    configs = [("tanh", "gaussian"), ("tanh", "orthogonal"), ("linear", "orthogonal")]
    items = [(a, 0.0, 1.0, wd, width, depth, n_members, ctx.seed_for(a, wd)) for a, wd in configs]
    gauss, orth, lin = (
        nets.PreactivationStatistics.from_moments(r["m2"], r["m4"])
        for r in ctx.map(_ensemble_stats, items, desc="orthogonal-init ensembles")
    )
    z = sigma_multiple(4)
    theory = nets.variance_recursion("tanh", [width] * (depth - 1), C_b=0.0, C_W=1.0, input_norm2=1.0)
    ctx.check(
        f"tanh Gaussian: R({depth}) vs recursion",
        gauss.R[-1],
        theory[-1],
        uncertainty=gauss.R_err[-1],
        tolerance=z * gauss.R_err[-1] + theory[-1] ** 2 / 2,
    )
    exact = -2.0 / (width + 2)
    ctx.check(
        f"linear orthogonal: R({depth}) = −2/(n+2)",
        lin.R[-1],
        exact,
        uncertainty=lin.R_err[-1],
        tolerance=z * lin.R_err[-1],
    )
    # growth from layer 2 (the first layer is special for both) to the last
    d_orth, e_orth = orth.R_difference(2, depth)
    d_theory = theory[-1] - theory[1]
    ctx.check(
        f"tanh orthogonal: R({depth}) − R(2) ≤ {max_ratio:g} × Gaussian theory",
        d_orth,
        max_ratio * d_theory,
        uncertainty=e_orth,
        tolerance=z * e_orth,
        comparison="at_most",
    )
    d_gauss, e_gauss = gauss.R_difference(2, depth)
    ctx.check(
        f"tanh Gaussian: R({depth}) − R(2) grows (> {max_ratio:g} × theory)",
        d_gauss,
        max_ratio * d_theory,
        uncertainty=e_gauss,
        tolerance=z * e_gauss,
        comparison="at_least",
    )
    ctx.metric("R_gaussian", gauss.R.tolist())
    ctx.metric("R_gaussian_err", gauss.R_err.tolist())
    ctx.metric("R_orthogonal", orth.R.tolist())
    ctx.metric("R_orthogonal_err", orth.R_err.tolist())
    ctx.metric("R_linear_orthogonal", lin.R.tolist())
    ctx.metric("R_recursion_gaussian", theory.tolist())
    ctx.metric("growth_gaussian", [d_gauss, e_gauss])
    ctx.metric("growth_orthogonal", [d_orth, e_orth])
    ctx.metric("sigma_multiple", z)

    ell = np.arange(1, depth + 1)
    fig = ctx.new_figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot()
    ax.errorbar(ell, gauss.R, yerr=gauss.R_err, fmt="o", ms=3, label="tanh, Gaussian weights")
    ax.plot(ell, theory, "-", lw=1, label="vertex recursion (Gaussian)")
    ax.errorbar(ell, orth.R, yerr=orth.R_err, fmt="s", ms=3, label="tanh, Haar-orthogonal weights")
    ax.errorbar(ell, lin.R, yerr=lin.R_err, fmt="^", ms=3, label="linear, orthogonal")
    ax.axhline(exact, color="gray", ls=":", lw=1, label="−2/(n+2)")
    ax.set(
        xlabel="layer ℓ", ylabel="R(ℓ) = E[z⁴]/3E[z²]² − 1", title=f"width {width}, critical tanh (C_W = 1)"
    )
    ax.legend(fontsize=7)
    ctx.figure(fig, "orthogonal")


# ---------------------------------------------------------------------------------------------
# ntk-depth


def _ntk_item(args: tuple[str, int, int, int, int]) -> Any:
    import torch

    act, width, depth, n_members, seed = args
    torch.set_num_threads(1)
    cb, cw = nets.critical_parameters(act)
    # members in chunks: the NTK needs every layer's gradients at once
    chunk = max(1, min(n_members, 10_000_000 // (width * width * depth + 1)))
    out = []
    for i, start in enumerate(range(0, n_members, chunk)):
        k = min(chunk, n_members - start)
        ens = nets.MLPEnsemble(k, (N_INPUT,) + (width,) * depth, act, C_W=cw, C_b=cb, seed=seed + i).double()
        out.append(nets.empirical_ntk(ens, np.ones(N_INPUT)))
    return np.concatenate(out)


@experiment(
    "ntk-depth",
    claim="The ensemble mean of the empirical neural tangent kernel follows the infinite-width NTK recursion "
    "over "
    "depth at criticality: Θ^(ℓ) = ℓ|x|²/n_0 grows linearly for ReLU and slowly decays for tanh.",
    source=f"{KAHN}, slide 'Tuning to criticality'; {PDLT}, ch. 9",
    quick=dict(width=64, depth=6, n_members=200),
    full=dict(width=128, depth=20, n_members=1000),
    tags=("nets", "kahn", "ntk"),
    validate=_check_common,
)
def ntk_depth(ctx: Context, width: int, depth: int, n_members: int) -> None:
    acts = ("relu", "tanh")
    thetas = ctx.map(
        _ntk_item, [(a, width, depth, n_members, ctx.seed_for(a)) for a in acts], desc="ntk-depth"
    )
    z = sigma_multiple(3)
    fig = ctx.new_figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot()
    ell = np.arange(1, depth + 1)
    for act, th in zip(acts, thetas, strict=True):
        cb, cw = nets.critical_parameters(act)
        theory = nets.ntk_recursion(act, depth, C_b=cb, C_W=cw, input_norm2=1.0)
        R = nets.variance_recursion(act, [width] * (depth - 1), C_b=cb, C_W=cw, input_norm2=1.0)
        mean, err = th.mean(axis=0), th.std(axis=0, ddof=1) / math.sqrt(n_members)
        # For zero-bias ReLU the mean NTK is exact at any width (flipping the sign of a row of W
        # flips z_j but not Θ_jj, so E[σ'(z_j)² Θ_jj] = E[Θ_jj]/2); for tanh the 1/n correction
        # is allowed for with its size, R(ℓ)·Θ(ℓ).
        allowance = 0.0 if act == "relu" else abs(R[-1])
        ctx.check(
            f"{act}: Θ^({depth}) measured / recursion − 1",
            mean[-1] / theory[-1] - 1.0,
            0.0,
            uncertainty=err[-1] / theory[-1],
            tolerance=z * err[-1] / theory[-1] + allowance,
        )
        if act == "relu":
            # linear growth: least-squares slope of Θ against ℓ, per member, averaged
            slopes = np.polyfit(ell, th.T, 1)[0]
            ctx.check(
                "relu: slope dΘ/dℓ (= |x|²/n_0 = 1)",
                slopes.mean(),
                1.0,
                uncertainty=slopes.std(ddof=1) / math.sqrt(n_members),
                tolerance=z * slopes.std(ddof=1) / math.sqrt(n_members),
            )
        ctx.metric(f"{act}_theta_mean", mean.tolist())
        ctx.metric(f"{act}_theta_err", err.tolist())
        ctx.metric(f"{act}_theta_recursion", theory.tolist())
        line = ax.errorbar(ell, mean, yerr=err, fmt="o", ms=3, label=f"{act}, measured")
        ax.plot(ell, theory, "-", lw=1, color=line[0].get_color(), label=f"{act}, recursion")
    ax.set(xlabel="layer ℓ", ylabel="Θ^(ℓ)(x, x)", title=f"NTK at criticality, width {width}")
    ax.legend(fontsize=7)
    ctx.figure(fig, "ntk")
    ctx.metric("sigma_multiple", z)


# ---------------------------------------------------------------------------------------------
# ensemble-training


def _pendulum(n: int, seed: int) -> tuple[Any, Any]:
    """Pendulum period over the small-angle period, T/T₀ = (2/π) K(sin²(θ₀/2)) (K the complete
    elliptic integral, parameter m), for ``n`` amplitudes θ₀ uniform in [−2.5, 2.5] rad."""
    theta = np.random.default_rng(seed).uniform(-2.5, 2.5, n)
    return theta[:, None], (2 / np.pi * scipy.special.ellipk(np.sin(theta / 2) ** 2))[:, None]


def _pendulum_grid() -> tuple[Any, Any]:
    """201 test amplitudes θ₀ in [−2.5, 2.5] and T/T₀ there."""
    theta = np.linspace(-2.5, 2.5, 201)
    return theta, 2 / np.pi * scipy.special.ellipk(np.sin(theta / 2) ** 2)


def _training_item(args: tuple[int, int, int, dict[str, Any], int]) -> dict[str, Any]:
    import torch

    width, depth, n_members, p, seed = args
    torch.set_num_threads(1)
    x, y = _pendulum(p["n_train"], p["data_seed"])
    xt, yt = _pendulum_grid()
    # the network sees u = θ₀/2.5 in [−1, 1]
    x, y, xt_t = (torch.tensor(a, dtype=torch.float32) for a in (x / 2.5, y, xt[:, None] / 2.5))
    y = y - 1.0  # T/T₀ − 1: zero at small amplitude
    ens = nets.MLPEnsemble(n_members, (1,) + (width,) * depth + (1,), "relu", seed=seed)
    with torch.no_grad():
        f0 = ens(xt_t)[:, :, 0].double().numpy()
    # the output's NTK at one amplitude (u = 0.5), before and after training
    u = np.array([0.5])
    ntk0 = nets.empirical_ntk(ens, u)[:, -1]
    # the same quantities during training, at four checkpoints: the last hidden layer's K and R
    # (ensemble statistics at u) and the output NTK averaged over members
    marks = sorted({max(1, p["epochs"] * q // 4) for q in (1, 2, 3, 4)})
    during: list[dict[str, float]] = []

    def record(epoch: int, ensemble: nets.MLPEnsemble, ntk: Any = None) -> None:
        if epoch == 0 or epoch in marks:
            st = nets.preactivation_statistics(ensemble, u)
            ntk = nets.empirical_ntk(ensemble, u)[:, -1] if ntk is None else ntk
            during.append(
                {
                    "epoch": epoch,
                    "K": float(st.K[-2]),
                    "K_err": float(st.K_err[-2]),
                    "R": float(st.R[-2]),
                    "R_err": float(st.R_err[-2]),
                    "ntk": float(ntk.mean()),
                }
            )

    record(0, ens, ntk0)

    # plain SGD sees an NTK about n·L times the book's (learning rates λ/n_in): scale the step so that
    # η Θ stays of order learning_rate whatever the width and depth
    history = nets.train_ensemble(
        ens,
        x,
        y,
        "mse",
        epochs=p["epochs"],
        batch_size=p["batch_size"],
        learning_rate=p["learning_rate"] / (width * (depth + 1)),
        momentum=0.9,
        seed=seed + 1,
        callback=record,
    )
    with torch.no_grad():
        f1 = ens(xt_t)[:, :, 0].double().numpy() + 1.0
    ntk1 = nets.empirical_ntk(ens, u)[:, -1]
    return {"init": f0, "trained": f1, "target": yt, "final_loss": history[-1], "ntk0": ntk0, "ntk1": ntk1,
            "during": during}


def _check_training_params(p: dict[str, Any]) -> None:
    check_int(p["n_members"], "n_members", low=8)
    check_int(p["n_train"], "n_train", low=4)
    check_int(p["epochs"], "epochs", low=1)
    check_int(p["batch_size"], "batch_size", low=1)
    check_real(p["learning_rate"], "learning_rate", low=0.0, low_open=True)
    if len(p["depths"]) < 2:
        raise ValueError(f"depths must list at least two depths, got {p['depths']!r}")
    for i, d in enumerate(p["depths"]):
        check_int(d, f"depths[{i}]", low=1)
    for i, w in enumerate(p["widths"]):
        check_int(w, f"widths[{i}]", low=2)


@experiment(
    "ensemble-training",
    claim="After training on the pendulum period T(θ₀)/T₀, the members of an ensemble of critical ReLU MLPs "
    "disagree more, and their NTK has moved further, the deeper the network at fixed width: the direction "
    "of the ℓ/n growth of finite-width effects (the sizes after training are not predicted here).",
    source=f"{KAHN}, slides 'Foiled by ensemble variance' and 'Fluctuations and feature learning'; "
    f"{PDLT}, ch. 10",
    quick=dict(
        widths=(32,),
        depths=(1, 6),
        n_members=32,
        n_train=32,
        epochs=100,
        batch_size=8,
        learning_rate=0.1,
        data_seed=0,
    ),
    full=dict(
        widths=(32, 128),
        depths=(1, 2, 4, 8, 12),
        n_members=128,
        n_train=64,
        epochs=300,
        batch_size=8,
        learning_rate=0.1,
        data_seed=0,
    ),
    tags=("nets", "kahn", "training"),
    validate=_check_training_params,
)
def ensemble_training(
    ctx: Context,
    widths: tuple[int, ...],
    depths: tuple[int, ...],
    n_members: int,
    n_train: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    data_seed: int,
) -> None:
    p = dict(
        n_train=n_train,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        data_seed=data_seed,
    )
    grid = [(int(w), int(d)) for w in widths for d in depths]
    results = ctx.map(
        _training_item, [(w, d, n_members, p, ctx.seed_for(w, d)) for w, d in grid], desc="ensemble-training"
    )
    table = []
    spread = {}
    ntk_change = {}
    during_table: list[dict[str, Any]] = []
    for (w, d), res in zip(grid, results, strict=True):
        f0, f1, target = res["init"], res["trained"], res["target"]
        # at initialisation E[f(u)²] = K = C_W u² exactly (zero-bias critical ReLU, n₀ = 1; checked in
        # criticality-kernel); a zero-bias ReLU net is f(u) = a u (u > 0), b |u| (u < 0), so one member
        # is two samples: reported, not checked
        u = _pendulum_grid()[0] / 2.5
        keep = np.abs(u) > 0.2
        ratio = (f0[:, keep] ** 2).mean(axis=0) / (2.0 * u[keep] ** 2)
        var = f1.var(axis=0, ddof=1).mean()  # members' disagreement at test points
        # standard error of the variance over members, by jackknife over members
        jack = np.array([np.delete(f1, i, axis=0).var(axis=0, ddof=1).mean() for i in range(n_members)])
        var_err = math.sqrt((n_members - 1) * jack.var())
        mse = ((f1.mean(axis=0) - target) ** 2).mean()
        spread[(w, d)] = (var, var_err)
        change = np.abs(res["ntk1"] - res["ntk0"]) / res["ntk0"]  # per member
        ntk_change[(w, d)] = (float(change.mean()), float(change.std(ddof=1) / math.sqrt(n_members)))
        table.append(
            {
                "width": w,
                "layers": d + 1,
                "init_ratio_mean": float(ratio.mean()),
                "trained_spread": float(var),
                "trained_spread_err": var_err,
                "ensemble_mean_test_mse": float(mse),
                "final_train_loss_mean": float(np.mean(res["final_loss"])),
                "ntk_relative_change": ntk_change[(w, d)][0],
                "ntk_relative_change_err": ntk_change[(w, d)][1],
            }
        )
        for row in res.get("during", []):
            during_table.append({"width": w, "layers": d + 1, **row})
    for w in widths:
        lo, hi = spread[(w, min(depths))], spread[(w, max(depths))]
        diff, err = hi[0] - lo[0], math.hypot(hi[1], lo[1])
        # growth must be significant: at least two standard errors (one-sided 98%)
        ctx.check(
            f"n={w}: trained spread, L={max(depths) + 1} minus L={min(depths) + 1} ≥ 2σ",
            diff,
            2.0 * err,
            uncertainty=err,
            comparison="at_least",
        )
    for w in widths:
        lo, hi = ntk_change[(w, min(depths))], ntk_change[(w, max(depths))]
        diff, err = hi[0] - lo[0], math.hypot(hi[1], lo[1])
        # the NTK moves during training by O(L/n) (representation learning at finite width)
        ctx.check(
            f"n={w}: relative NTK change in training, L={max(depths) + 1} minus L={min(depths) + 1} ≥ 2σ",
            diff,
            2.0 * err,
            uncertainty=err,
            comparison="at_least",
        )
    ctx.metric("table", table)
    # K and R of the last hidden layer and the mean output NTK at u = 0.5 during training (epoch 0 =
    # initialisation): measured, not predicted here
    ctx.metric("during_training", during_table)

    fig = ctx.new_figure(figsize=(15.0, 4.0))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    x = _pendulum_grid()[0]
    res = results[-1]
    ax1.plot(x, res["target"], "k-", lw=2, label="T/T₀")
    for f in res["trained"][:8]:
        ax1.plot(x, f, lw=0.7, alpha=0.7)
    ax1.set(xlabel="θ₀ (rad)", ylabel="T/T₀", title=f"trained members, n={grid[-1][0]}, L={grid[-1][1] + 1}")
    for w in widths:
        ls = [d + 1 for d in depths]
        ax2.errorbar(
            ls,
            [spread[(w, d)][0] for d in depths],
            yerr=[spread[(w, d)][1] for d in depths],
            fmt="o-",
            label=f"width {w}",
        )
    ax2.set(
        xlabel="layers L",
        ylabel="mean Var_members f(x) after training",
        yscale="log",
        title="trained-ensemble spread",
    )
    ax2.legend(fontsize=8)
    for w, d in grid:
        rows = [r for r in during_table if r["width"] == w and r["layers"] == d + 1]
        if rows:
            ax3.plot([r["epoch"] for r in rows], [r["ntk"] / rows[0]["ntk"] for r in rows], "o-",
                     label=f"n={w}, L={d + 1}")
    ax3.set(xlabel="epoch", ylabel="mean NTK(u=0.5) / its value at init", title="the NTK moves in training")
    ax3.legend(fontsize=7)
    ctx.figure(fig, "training")
