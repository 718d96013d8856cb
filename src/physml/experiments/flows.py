"""Normalizing flows on stellar phase space: densities and accelerations of a Plummer sphere.

The stars are exact samples of the isotropic Plummer sphere (:func:`physml.data.plummer_sample`,
G = M = a = 1), kept inside ``r < r_cut`` (the truncated sample has the same f inside, with its
mass fraction M(<r_cut) known exactly; the cut removes the r⁻⁵ tail whose positions have no
finite variance, which no standardisation can tame). Flows are :class:`physml.flows.FlowDensity`
(zuko); ensembles are trained member by member through ``ctx.map`` (so ``--workers`` spreads
them over processes or a Dask cluster and ``--resume`` keeps finished members) and averaged in
density (:class:`physml.flows.FlowEnsemble`). Accelerations solve the collisionless Boltzmann
equation by least squares at the velocities of the 64 stars nearest each position
(:func:`physml.flows.cbe_acceleration`, :func:`physml.flows.local_velocities`).

Exact facts used as checks: the true distribution function is known, so the held-out estimate
of KL(p‖q) = E_p[log p − log q] must be ≥ 0 within its standard error for any correctly
normalised flow; the CBE solver given the exact f must return −∇Φ to rounding error.

Sources: Y. Kahn, "Dumb Machine Learning for Physics" (IAIFI Colloquium, 10 March 2023), slides "Learning
(stellar)
phase space", "Plummer sphere", "one NF / average / 16 NF's", "Foiled by ensemble variance";
Buckley, Lim, Putney & Shih, arXiv:2205.01129; Green, Ting & Kamdar, "Deep Potential" (ApJ 2023);
An, Naik et al., MNRAS 506, 5721.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml import data, stats
from physml import flows as flowlib
from physml._core import check_choice, check_int, check_real
from physml.experiments._tolerances import sigma_multiple
from physml.lab import Context, experiment

KAHN = "Kahn, 'Dumb Machine Learning for Physics' (IAIFI Colloquium, 10 March 2023)"
BUCKLEY = "Buckley, Lim, Putney & Shih, arXiv:2205.01129"
GREEN = "Green, Ting & Kamdar, 'Deep Potential', ApJ 2023"

K_VELOCITIES = 64
POISSON_STEP = 0.1  # step for ∇·a by central differences (truncation error ~ step²·a‴/6)
N_BOOTSTRAP = 400  # resamples of the positions for the standard error of a ratio of mean errors


def _check_common(p: dict[str, Any]) -> None:
    check_int(p["n_stars"], "n_stars", low=200)
    check_real(p["r_cut"], "r_cut", low=1.0)
    check_int(p["max_epochs"], "max_epochs", low=1)
    check_real(p["learning_rate"], "learning_rate", low=0.0, low_open=True)
    check_int(p["transforms"], "transforms", low=1)
    check_int(p["hidden"], "hidden", low=2)
    for f in p.get("flows", (p.get("flow", "maf"),)):
        check_choice(f, "flow", ("maf", "nsf", "cnf"))
    for key in ("n_flows", "n_members", "n_seeds"):
        if key in p:
            check_int(p[key], key, low=2)
    for i, r in enumerate(p.get("radii", ())):
        check_real(r, f"radii[{i}]", low=0.0, low_open=True)
        if r >= p["r_cut"]:
            raise ValueError(f"radii[{i}] = {r} must be below r_cut = {p['r_cut']}")


def _stars(n: int, r_cut: float, seed: int) -> tuple[Any, Any, float]:
    """Plummer stars with r < r_cut: positions, velocities and the kept mass fraction M(<r_cut)."""
    x, v = data.plummer_sample(n, seed)
    keep = np.linalg.norm(x, axis=1) < r_cut
    return x[keep], v[keep], float(data.plummer_enclosed_mass(r_cut))


def _flow_params(flow: str, transforms: int, hidden: int, max_epochs: int, lr: float) -> dict[str, Any]:
    return dict(
        flow=flow,
        transforms=transforms,
        hidden_features=(hidden, hidden),
        max_epochs=max_epochs,
        learning_rate=lr,
        batch_size=512,
        patience=10,
    )


def _fit_members(ctx: Context, base: dict[str, Any], X: Any, n: int, label: str) -> list[Any]:
    items = [({**base, "seed": ctx.seed_for(label, i)}, X) for i in range(n)]
    return ctx.map(flowlib.fit_member, items, desc=f"{ctx.name}: {label}")


def _dense_radii(n: int) -> Any:
    """Radii between the 5% and 75% enclosed-mass radii: where the stars are dense."""
    lo, hi = data.plummer_mass_radius([0.05, 0.75])
    return np.geomspace(lo, hi, n)


# ---------------------------------------------------------------------------------------------
# flow-plummer-density


@experiment(
    "flow-plummer-density",
    claim="A normalizing flow fitted to the positions of Plummer-sphere stars reproduces the analytic "
    "density ρ(r) = (3/4π)(1 + r²)^(−5/2) within 5% where the stars are dense (between the 5% and "
    "75% enclosed-mass radii), and it is a normalised density: its held-out KL divergence from the "
    "true distribution is ≥ 0.",
    source=f"{KAHN}, slides 'Learning (stellar) phase space', 'Plummer sphere'; {GREEN}",
    quick=dict(
        n_stars=4000,
        r_cut=5.0,
        flow="maf",
        transforms=3,
        hidden=32,
        max_epochs=40,
        learning_rate=3e-3,
        n_flows=2,
        n_radii=8,
        max_relative_error=0.3,
    ),
    full=dict(
        n_stars=50_000,
        r_cut=10.0,
        flow="nsf",
        transforms=4,
        hidden=64,
        max_epochs=200,
        learning_rate=1e-3,
        n_flows=3,
        n_radii=12,
        max_relative_error=0.05,
    ),
    tags=("flows", "kahn", "plummer"),
    validate=_check_common,
)
def flow_plummer_density(
    ctx: Context,
    n_stars: int,
    r_cut: float,
    flow: str,
    transforms: int,
    hidden: int,
    max_epochs: int,
    learning_rate: float,
    n_flows: int,
    n_radii: int,
    max_relative_error: float,
) -> None:
    x, _, frac = _stars(n_stars, r_cut, ctx.seed_for("train"))
    x_test, _, _ = _stars(max(1000, n_stars // 4), r_cut, ctx.seed_for("test"))
    base = _flow_params(flow, transforms, hidden, max_epochs, learning_rate)
    members = _fit_members(ctx, base, x, n_flows, "flow")
    ens = flowlib.FlowEnsemble.from_members(members)

    radii = _dense_radii(n_radii)
    wide = np.geomspace(0.05, min(0.8 * r_cut, 6.0), 40)
    truth = data.plummer_density(radii) / frac  # the truncated sample's density (per unit mass kept)
    seed = ctx.seed_for("directions")
    member_rel = np.array([flowlib.radial_density_profile(m, radii,
                                                          seed=seed)[0] / truth - 1 for m in members])
    ens_prof, ens_err = flowlib.radial_density_profile(ens, radii, seed=seed)
    rel = ens_prof / truth - 1
    worst = float(np.max(np.abs(rel)))
    member_worst = np.max(np.abs(member_rel), axis=1)
    unc = stats.mean_standard_error(member_worst)[1]
    ctx.check(
        f"max |ρ_flow/ρ − 1| over {radii[0]:.2f} ≤ r ≤ {radii[-1]:.2f} (average of {n_flows} flows)",
        worst,
        max_relative_error,
        uncertainty=unc,
        comparison="at_most",
    )
    # exact bound: no normalised density beats the truth on held-out samples
    r_test = np.linalg.norm(x_test, axis=1)
    log_p = np.log(data.plummer_density(r_test) / frac)
    z = sigma_multiple(1 + n_flows)
    kl, kl_err = stats.kl_divergence_estimate(log_p, ens.log_prob(x_test))
    ctx.check(
        "held-out KL(p‖q) of the average ≥ 0",
        kl,
        0.0,
        uncertainty=kl_err,
        tolerance=z * kl_err,
        comparison="at_least",
    )
    kls = []
    for i, m in enumerate(members):
        k, e = stats.kl_divergence_estimate(log_p, m.log_prob(x_test))
        kls.append((k, e))
        ctx.check(
            f"held-out KL(p‖q) of flow {i} ≥ 0", k, 0.0, uncertainty=e, tolerance=z * e, comparison="at_least"
        )

    ctx.metric("n_train", len(x))
    ctx.metric("mass_fraction_kept", frac)
    ctx.metric("radii", radii)
    ctx.metric("relative_error_average", rel)
    ctx.metric("relative_error_average_direction_se", ens_err / truth)
    ctx.metric("relative_error_members", member_rel)
    ctx.metric("kl_average", [kl, kl_err])
    ctx.metric("kl_members", kls)
    ctx.metric("epochs", [m.n_epochs_ for m in members])

    fig = ctx.new_figure(figsize=(10.0, 4.0))
    ax1, ax2 = fig.subplots(1, 2)
    rho_wide = data.plummer_density(wide) / frac
    ax1.loglog(wide, rho_wide, "k-", lw=2, label="analytic (3/4π)(1+r²)^(−5/2)")
    for i, m in enumerate(members):
        ax1.loglog(
            wide,
            flowlib.radial_density_profile(m, wide, seed=seed)[0],
            "-",
            lw=0.8,
            alpha=0.6,
            label="single flows" if i == 0 else None,
        )
    ax1.loglog(wide, flowlib.radial_density_profile(ens, wide, seed=seed)[0], "C3--", lw=1.5, label="average")
    ax1.axvspan(radii[0], radii[-1], color="0.9", zorder=0)
    ax1.set(xlabel="r", ylabel="ρ(r) / M(<r_cut)", title=f"{flow.upper()}, {len(x)} stars")
    ax1.legend(fontsize=7)
    for i, mr in enumerate(member_rel):
        ax2.plot(radii, mr, "-", lw=0.8, alpha=0.6, label="single flows" if i == 0 else None)
    ax2.errorbar(radii, rel, yerr=ens_err / truth, fmt="C3o-", ms=3, label="average")
    ax2.axhline(0, color="k", lw=0.8)
    for s in (-1, 1):
        ax2.axhline(s * max_relative_error, color="k", ls=":", lw=0.8)
    ax2.set(xscale="log", xlabel="r", ylabel="ρ_flow/ρ − 1", title="relative error (dense region)")
    ax2.legend(fontsize=7)
    ctx.figure(fig, "density")


# ---------------------------------------------------------------------------------------------
# flow-plummer-acceleration


def _accelerations(model: Any, positions: Any, velocities: Any) -> Any:
    return flowlib.cbe_acceleration(model, positions, velocities).acceleration


@experiment(
    "flow-plummer-acceleration",
    claim="Accelerations solved from the collisionless Boltzmann equation with a flow-learned f(x, v) of "
    "a Plummer sphere are foiled by ensemble variance: single flows scatter about −∇Φ, most of a "
    "single flow's squared error is member-to-member variance, and the density averaged over 16 "
    "flows gives a smaller error than a single flow (within 10% of the analytic acceleration); the "
    "solver itself, given the exact f, returns −∇Φ to rounding error.",
    source=f"{KAHN}, slides 'one NF / average / 16 NF's', 'Foiled by ensemble variance'; {BUCKLEY}; {GREEN}",
    quick=dict(
        n_stars=4000,
        r_cut=5.0,
        flow="maf",
        transforms=3,
        hidden=32,
        max_epochs=40,
        learning_rate=3e-3,
        n_members=4,
        radii=(0.25, 0.5, 1.0, 1.5, 2.0),
        n_directions=8,
        max_ensemble_error=0.35,
        min_variance_share=0.25,
    ),
    full=dict(
        n_stars=50_000,
        r_cut=10.0,
        flow="maf",
        transforms=4,
        hidden=64,
        max_epochs=200,
        learning_rate=1e-3,
        n_members=16,
        radii=(0.25, 0.5, 0.75, 1.0, 1.5, 2.0),
        n_directions=16,
        max_ensemble_error=0.1,
        min_variance_share=0.5,
    ),
    tags=("flows", "kahn", "plummer", "ensembles"),
    validate=_check_common,
)
def flow_plummer_acceleration(
    ctx: Context,
    n_stars: int,
    r_cut: float,
    flow: str,
    transforms: int,
    hidden: int,
    max_epochs: int,
    learning_rate: float,
    n_members: int,
    radii: tuple[float, ...],
    n_directions: int,
    max_ensemble_error: float,
    min_variance_share: float,
) -> None:
    x, v, _ = _stars(n_stars, r_cut, ctx.seed_for("train"))
    X = np.concatenate([x, v], axis=1)
    base = _flow_params(flow, transforms, hidden, max_epochs, learning_rate)
    members = _fit_members(ctx, base, X, n_members, "member")
    ens = flowlib.FlowEnsemble.from_members(members)

    r = np.asarray(radii, dtype=float)
    pos = flowlib.sphere_points(r, n_directions, ctx.seed_for("directions")).reshape(-1, 3)
    vel = flowlib.local_velocities(x, v, pos, k=K_VELOCITIES)
    truth = data.plummer_acceleration(pos)
    norm = np.linalg.norm(truth, axis=1)

    exact = _accelerations(lambda xv: data.plummer_grad_log_df(xv[:, :3], xv[:, 3:]), pos, vel)
    exact_err = float(np.max(np.linalg.norm(exact - truth, axis=1) / norm))
    ctx.check("CBE solver with the exact f: max |a − (−∇Φ)|/|∇Φ|", exact_err, 0.0, tolerance=1e-9)

    a_m = np.stack([_accelerations(m, pos, vel) for m in members])  # (M, P, 3)
    a_e = _accelerations(ens, pos, vel)
    rel_m = np.linalg.norm(a_m - truth, axis=2) / norm  # (M, P)
    rel_e = np.linalg.norm(a_e - truth, axis=1) / norm  # (P,)
    P = len(pos)
    rng = ctx.rng("bootstrap")

    def ratio(idx: Any) -> float:
        return float(rel_e[idx].mean() / rel_m[:, idx].mean())

    ctx.check(
        f"ensemble error / single-flow error ({n_members} flows averaged in density)",
        ratio(np.arange(P)),
        1.0,
        uncertainty=stats.bootstrap_standard_error(ratio, P, n_resamples=N_BOOTSTRAP, seed=rng),
        comparison="at_most",
    )
    ctx.check(
        "ensemble: mean |a − (−∇Φ)|/|∇Φ|",
        float(rel_e.mean()),
        max_ensemble_error,
        uncertainty=stats.mean_standard_error(rel_e)[1],
        comparison="at_most",
    )
    # bias-variance split of the single flows' squared error: mean over members of
    # |a_m − a|² = |ā − a|² + mean |a_m − ā|²  (ā = the members' mean acceleration)
    sq = np.sum((a_m - truth) ** 2, axis=2) / norm**2  # (M, P)
    var = np.sum((a_m - a_m.mean(axis=0)) ** 2, axis=2) / norm**2  # (M, P)

    def variance_share(idx: Any) -> float:
        return float(var[:, idx].mean() / sq[:, idx].mean())

    ctx.check(
        "single flows: member-to-member variance / mean squared error",
        variance_share(np.arange(P)),
        min_variance_share,
        uncertainty=stats.bootstrap_standard_error(variance_share, P, n_resamples=N_BOOTSTRAP, seed=rng),
        comparison="at_least",
    )

    ar_m = -np.einsum("mpd,pd->mp", a_m, pos) / np.linalg.norm(pos, axis=1)  # radial components
    ar_e = -np.einsum("pd,pd->p", a_e, pos) / np.linalg.norm(pos, axis=1)
    by_r = lambda a: a.reshape(*a.shape[:-1], len(r), n_directions).mean(axis=-1)  # noqa: E731
    ctx.metric("radii", r)
    ctx.metric("analytic_radial_acceleration", r / (1 + r**2) ** 1.5)
    ctx.metric("member_radial_acceleration", by_r(ar_m))
    ctx.metric("ensemble_radial_acceleration", by_r(ar_e))
    ctx.metric("member_relative_error_by_radius", by_r(rel_m))
    ctx.metric("ensemble_relative_error_by_radius", by_r(rel_e))
    ctx.metric("member_mean_relative_error", rel_m.mean(axis=1))
    ctx.metric("ensemble_mean_relative_error", float(rel_e.mean()))
    ctx.metric("single_flow_spread_by_radius", by_r(np.sqrt(var.mean(axis=0))))
    ctx.metric("epochs", [m.n_epochs_ for m in members])
    ctx.metric("n_train", len(x))
    # Poisson's equation: ρ = −∇·a / 4πG from the ensemble's accelerations (central differences)
    rho, rho_err = flowlib.poisson_density(ens, pos, vel, step=POISSON_STEP)
    rho_true = data.plummer_density(np.linalg.norm(pos, axis=1))
    ctx.metric("poisson_step", POISSON_STEP)
    ctx.metric("ensemble_poisson_density_by_radius", by_r(rho))
    ctx.metric("ensemble_poisson_density_relative_error_by_radius", by_r(rho / rho_true - 1))

    fig = ctx.new_figure(figsize=(14.0, 4.0))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    rr = np.linspace(0.0, r.max() * 1.05, 200)
    ax1.plot(rr, rr / (1 + rr**2) ** 1.5, "k-", lw=2, label="analytic |∇Φ|")
    for i, row in enumerate(by_r(ar_m)):
        ax1.plot(r, row, "-", color="0.6", lw=0.8, label="single flows" if i == 0 else None)
    ax1.plot(r, by_r(ar_e), "C3o-", lw=1.5, label=f"average of {n_members}")
    ax1.set(xlabel="r", ylabel="radial acceleration", title=f"{flow.upper()}, {len(x)} stars")
    ax1.legend(fontsize=7)
    e_m = by_r(rel_m)
    ax2.errorbar(
        r,
        e_m.mean(axis=0),
        yerr=e_m.std(axis=0, ddof=1),
        fmt="o-",
        color="0.4",
        ms=3,
        label="single flows (mean ± sd)",
    )
    ax2.plot(r, by_r(rel_e), "C3o-", label=f"average of {n_members}")
    ax2.set(xlabel="r", ylabel="|a − (−∇Φ)| / |∇Φ|", ylim=(0, None), title="acceleration error")
    ax2.legend(fontsize=7)
    ax3.plot(rr, data.plummer_density(rr), "k-", lw=2, label="analytic ρ")
    ax3.plot(r, by_r(rho), "C3o", label=f"−∇·a/4πG, average of {n_members}")
    ax3.set(xlabel="r", ylabel="ρ", title="density from Poisson's equation")
    ax3.legend(fontsize=7)
    ctx.figure(fig, "acceleration")


# ---------------------------------------------------------------------------------------------
# flow-architectures


@experiment(
    "flow-architectures",
    claim="On the same Plummer phase-space sample, MAF, NSF and a continuous (FFJORD) flow all learn a "
    "normalised density (held-out KL from the true f ≥ 0) within 0.25 nats per star of the true "
    "distribution function; their test log-likelihoods and CBE acceleration errors are compared "
    "with their spread over seeds.",
    source=f"{KAHN}, slides 'MADE masking', 'FFJORD masking'; {BUCKLEY}; {GREEN}",
    quick=dict(
        n_stars=1200,
        r_cut=5.0,
        flows=("maf", "nsf", "cnf"),
        transforms=2,
        hidden=16,
        max_epochs=20,
        cnf_max_epochs=2,
        learning_rate=3e-3,
        n_seeds=2,
        max_kl=1.5,
    ),
    full=dict(
        n_stars=10_000,
        r_cut=10.0,
        flows=("maf", "nsf", "cnf"),
        transforms=4,
        hidden=64,
        max_epochs=200,
        cnf_max_epochs=40,
        learning_rate=1e-3,
        n_seeds=3,
        max_kl=0.25,
    ),
    tags=("flows", "kahn", "plummer"),
    validate=_check_common,
)
def flow_architectures(
    ctx: Context,
    n_stars: int,
    r_cut: float,
    flows: tuple[str, ...],
    transforms: int,
    hidden: int,
    max_epochs: int,
    cnf_max_epochs: int,
    learning_rate: float,
    n_seeds: int,
    max_kl: float,
) -> None:
    x, v, frac = _stars(n_stars, r_cut, ctx.seed_for("train"))
    xt, vt, _ = _stars(max(1000, n_stars // 4), r_cut, ctx.seed_for("test"))
    X, Xt = np.concatenate([x, v], axis=1), np.concatenate([xt, vt], axis=1)
    log_p = data.plummer_log_df(xt, vt) - math.log(frac)  # the truncated sample's normalised f
    items = []
    for f in flows:
        epochs = cnf_max_epochs if f == "cnf" else max_epochs
        base = _flow_params(f, transforms, hidden, epochs, learning_rate)
        items += [({**base, "seed": ctx.seed_for(f, s)}, X) for s in range(n_seeds)]
    fitted = ctx.map(flowlib.fit_member, items, desc="flow-architectures")

    radii = np.array([0.5, 1.0, 1.5])
    pos = flowlib.sphere_points(radii, 8, ctx.seed_for("directions")).reshape(-1, 3)
    vel = flowlib.local_velocities(x, v, pos, k=K_VELOCITIES)
    truth = data.plummer_acceleration(pos)
    norm = np.linalg.norm(truth, axis=1)

    z = sigma_multiple(len(items))
    table = []
    for j, f in enumerate(flows):
        models = fitted[j * n_seeds : (j + 1) * n_seeds]
        kls, lls, accs = [], [], []
        for s, m in enumerate(models):
            lq = m.log_prob(Xt)
            kl, kl_err = stats.kl_divergence_estimate(log_p, lq)
            ctx.check(
                f"{f} seed {s}: held-out KL(p‖q) ≥ 0",
                kl,
                0.0,
                uncertainty=kl_err,
                tolerance=z * kl_err,
                comparison="at_least",
            )
            a = _accelerations(m, pos, vel)
            kls.append(kl)
            lls.append(float(lq.mean()))
            accs.append(float(np.mean(np.linalg.norm(a - truth, axis=1) / norm)))
        kls_a = np.array(kls)
        ctx.check(
            f"{f}: mean held-out KL(p‖q) over {n_seeds} seeds (nats per star)",
            float(kls_a.mean()),
            max_kl,
            uncertainty=stats.mean_standard_error(kls_a)[1],
            comparison="at_most",
        )
        table.append(
            {
                "flow": f,
                "test_log_likelihood": float(np.mean(lls)),
                "test_log_likelihood_sd": float(np.std(lls, ddof=1)),
                "kl": float(kls_a.mean()),
                "kl_sd": float(kls_a.std(ddof=1)),
                "acceleration_error": float(np.mean(accs)),
                "acceleration_error_sd": float(np.std(accs, ddof=1)),
                "epochs": [m.n_epochs_ for m in models],
                "parameters": int(sum(p.numel() for p in models[0].flow_.parameters())),
            }
        )
    ctx.metric("true_test_log_likelihood", float(np.mean(log_p)))
    ctx.metric("architectures", table)
    ctx.metric("n_train", len(x))

    fig = ctx.new_figure(figsize=(10.0, 4.0))
    ax1, ax2 = fig.subplots(1, 2)
    names = [t["flow"].upper() for t in table]
    pos_x = np.arange(len(table))
    ax1.errorbar(pos_x, [t["kl"] for t in table], yerr=[t["kl_sd"] for t in table], fmt="o", capsize=4)
    ax1.axhline(0, color="k", lw=0.8)
    ax1.set(
        xticks=pos_x,
        xticklabels=names,
        ylabel="held-out KL(p‖q) [nats/star]",
        title="density (spread over seeds)",
    )
    ax2.errorbar(
        pos_x,
        [t["acceleration_error"] for t in table],
        yerr=[t["acceleration_error_sd"] for t in table],
        fmt="o",
        capsize=4,
    )
    ax2.set(
        xticks=pos_x,
        xticklabels=names,
        ylabel="mean |a − (−∇Φ)| / |∇Φ|",
        ylim=(0, None),
        title="CBE acceleration (single flows)",
    )
    ctx.figure(fig, "architectures")
