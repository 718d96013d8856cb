"""The storage capacity of the Hopfield network: retrieval breaks down near α = P/N ≈ 0.138.

Source: J. Walsh, "Machine Learning Beyond Physics from a Physicist's Perspective",
slide "Hopfield Networks" (Hebbian storage, the update rule, attractor "memories"); the capacity
from the replica theory of Amit, Gutfreund and Sompolinsky, PRL 55, 1530 (1985) and Ann. Phys.
173, 30 (1987).

Each (N, α) point is one item of ``ctx.map``: ``n_trials`` fresh networks with ``P = round(α N)``
random patterns, started at a stored pattern and run to a fixed point
(:func:`physml.ebm.hopfield_capacity_sweep`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml import ebm
from physml._core import check_int, check_real
from physml.experiments._tolerances import sigma_multiple
from physml.lab import Context, experiment

WALSH = (
    "Walsh, 'Machine Learning Beyond Physics from a Physicist's Perspective', slide "
    "'Hopfield Networks'"
)

#: Storage capacity of the Hebbian Hopfield network at T = 0 (Amit, Gutfreund, Sompolinsky 1985).
ALPHA_C = 0.138

#: Overlap of the retrieval state at α_c (AGS 1985): below α_c retrieval keeps m ≥ 0.967.
OVERLAP_AT_ALPHA_C = 0.967


def _capacity_point(args: tuple[int, float, int, int, int]) -> dict[str, Any]:
    n_units, alpha, n_trials, max_sweeps, seed = args
    sweep = ebm.hopfield_capacity_sweep(n_units, [alpha], n_trials, max_sweeps=max_sweeps, seed=seed)
    return {"sweep": sweep}


def _check_params(p: dict[str, Any]) -> None:
    sizes, alphas = p["sizes"], p["alphas"]
    if len(sizes) < 2 or list(sizes) != sorted(set(sizes)):
        raise ValueError(f"sizes must be at least two increasing network sizes N, got {sizes}")
    for i, n in enumerate(sizes):
        check_int(n, f"sizes[{i}]", low=10)
    if len(alphas) < 3 or list(alphas) != sorted(set(alphas)):
        raise ValueError(f"alphas must be at least three increasing loads P/N, got {alphas}")
    for i, a in enumerate(alphas):
        check_real(a, f"alphas[{i}]", low=0.0, low_open=True)
    for n in sizes:
        patterns = [max(1, int(a * n + 0.5)) for a in alphas]
        if len(set(patterns)) < len(patterns):
            raise ValueError(
                f"the loads {alphas} give repeated pattern counts P = round(α N) for N = {n}; "
                "use a coarser grid or larger N"
            )
    if p["retrieval_alpha"] not in alphas:
        raise ValueError(f"retrieval_alpha = {p['retrieval_alpha']} must be one of the alphas {alphas}")
    if p["retrieval_alpha"] >= ALPHA_C:
        raise ValueError(f"retrieval_alpha must be below alpha_c = {ALPHA_C}, got {p['retrieval_alpha']}")
    check_int(p["n_trials"], "n_trials", low=10)
    check_int(p["max_sweeps"], "max_sweeps", low=1)
    check_real(p["min_overlap"], "min_overlap", low=0.0, high=1.0, low_open=True)
    check_int(p["degree"], "degree", low=1)
    check_int(p["n_points"], "n_points", low=p["degree"] + 1, high=len(alphas))
    check_real(p["omega"], "omega", low=0.0, low_open=True)
    check_real(p["false_alarm"], "false_alarm", low=0.0, high=0.5, low_open=True)


@experiment(
    "hopfield-capacity",
    claim="A Hebbian Hopfield network retrieves its stored patterns up to a load α = P/N whose "
    "finite-size value approaches Amit, Gutfreund and Sompolinsky's α_c ≈ 0.138 as N → ∞.",
    source=f"{WALSH}; J. J. Hopfield, PNAS 79, 2554 (1982); D. J. Amit, H. Gutfreund, H. Sompolinsky, "
    "Phys. Rev. Lett. 55, 1530 (1985) and Ann. Phys. 173, 30 (1987)",
    quick=dict(
        sizes=(100, 200, 400),
        alphas=(0.1, 0.12, 0.14, 0.16, 0.18, 0.2, 0.22, 0.24),
        n_trials=40,
        max_sweeps=100,
        min_overlap=0.9,
        degree=1,
        n_points=4,
        omega=0.5,
        retrieval_alpha=0.1,
        false_alarm=0.01,
    ),
    full=dict(
        sizes=(200, 400, 800, 1600),
        alphas=(0.1, 0.12, 0.13, 0.14, 0.15, 0.16, 0.17, 0.18, 0.19, 0.2, 0.21, 0.22),
        n_trials=200,
        max_sweeps=100,
        min_overlap=0.9,
        degree=1,
        n_points=5,
        omega=0.5,
        retrieval_alpha=0.12,
        false_alarm=0.01,
    ),
    tags=("ebm", "hopfield", "walsh"),
    validate=_check_params,
)
def hopfield_capacity(
    ctx: Context,
    sizes: tuple[int, ...],
    alphas: tuple[float, ...],
    n_trials: int,
    max_sweeps: int,
    min_overlap: float,
    degree: int,
    n_points: int,
    omega: float,
    retrieval_alpha: float,
    false_alarm: float,
) -> None:
    """Retrieval versus load for several N, the breakdown load per N, and its N → ∞ limit.

    For every N the breakdown load ``α_50(N)`` is where the fraction of trials that retrieve
    (final overlap ``≥ min_overlap``) falls through 1/2: where its empirical logit
    (:meth:`~physml.ebm.HopfieldCapacitySweep.retrieval_logit`), on which a logistic breakdown
    is straight, falls through 0, located with :func:`physml.ebm.curve_crossing` (a weighted
    degree-``degree`` fit over the ``n_points`` loads nearest to it).  Finite networks retrieve
    beyond ``α_c``; the shift is extrapolated with :func:`physml.ebm.finite_size_extrapolation`
    as ``α_50(N) = α_∞ + b N^(-omega)`` (the reduced chi-square of that fit tests the assumed
    form) and ``α_∞`` is compared with 0.138.  A second check: well below ``α_c`` the largest
    network keeps the overlap of the retrieval state, ``⟨m⟩ ≥ 0.967``.
    """
    seed = ctx.seed_for("networks")
    items = [(n, float(a), n_trials, max_sweeps, seed) for n in sizes for a in alphas]
    points = ctx.map(_capacity_point, items, desc="hopfield-capacity points")
    nA = len(alphas)

    curves = []
    for i, n in enumerate(sizes):
        sweeps = [points[i * nA + j]["sweep"] for j in range(nA)]
        realised = np.array([s.alphas[0] for s in sweeps])
        mean = np.array([s.mean_overlap()[0][0] for s in sweeps])
        mean_err = np.array([s.mean_overlap()[1][0] for s in sweeps])
        frac = np.array([s.retrieval_fraction(min_overlap)[0][0] for s in sweeps])
        frac_err = np.array([s.retrieval_fraction(min_overlap)[1][0] for s in sweeps])
        logit = np.array([s.retrieval_logit(min_overlap)[0][0] for s in sweeps])
        logit_err = np.array([s.retrieval_logit(min_overlap)[1][0] for s in sweeps])
        converged = float(np.mean([s.converged.mean() for s in sweeps]))
        # the retrieval probability falls through 1/2 where its logit falls through 0
        crossing = ebm.curve_crossing(realised, logit, logit_err, 0.0, degree=degree, n_points=n_points)
        curves.append(
            {
                "N": n,
                "alpha": realised,
                "mean_overlap": mean,
                "mean_overlap_error": mean_err,
                "retrieval_fraction": frac,
                "retrieval_fraction_error": frac_err,
                "alpha_50": crossing.x,
                "alpha_50_error": crossing.x_err,
                "crossing_reduced_chi2": crossing.reduced_chi2,
                "converged_fraction": converged,
            }
        )
    ctx.metric("curves", curves)

    a50 = np.array([c["alpha_50"] for c in curves])
    a50_err = np.array([c["alpha_50_error"] for c in curves])
    fit = ebm.finite_size_extrapolation(sizes, a50, a50_err, omega=omega)
    ctx.metric(
        "extrapolation",
        {
            "alpha_inf": fit.limit,
            "error": fit.limit_err,
            "slope": fit.slope,
            "slope_error": fit.slope_err,
            "omega": omega,
            "reduced_chi2": fit.reduced_chi2,
        },
    )

    z = sigma_multiple(2, false_alarm)
    ctx.metric("sigma_multiple", z)
    ctx.check(
        f"α_c extrapolated from α_50(N), N = {sizes[0]}…{sizes[-1]}",
        fit.limit,
        ALPHA_C,
        uncertainty=fit.limit_err,
        tolerance=z * fit.limit_err,
    )
    largest = curves[-1]
    j = list(alphas).index(retrieval_alpha)
    m, m_err = largest["mean_overlap"][j], largest["mean_overlap_error"][j]
    ctx.check(
        f"⟨m⟩ at α = {retrieval_alpha:g}, N = {sizes[-1]}",
        m,
        OVERLAP_AT_ALPHA_C,
        uncertainty=m_err,
        tolerance=z * m_err,
        comparison="at_least",
    )

    fig = ctx.new_figure(figsize=(12.0, 4.2))
    ax1, ax2, ax3 = fig.subplots(1, 3)
    for i, c in enumerate(curves):
        color = f"C{i}"
        ax1.errorbar(
            c["alpha"],
            c["mean_overlap"],
            yerr=c["mean_overlap_error"],
            fmt="o-",
            ms=3,
            lw=1,
            capsize=2,
            color=color,
            label=f"N = {c['N']}",
        )
        ax2.errorbar(
            c["alpha"],
            c["retrieval_fraction"],
            yerr=c["retrieval_fraction_error"],
            fmt="o-",
            ms=3,
            lw=1,
            capsize=2,
            color=color,
            label=f"N = {c['N']}",
        )
        ax2.errorbar([c["alpha_50"]], [0.5], xerr=[c["alpha_50_error"]], fmt="x", color=color, capsize=3)
    for ax in (ax1, ax2):
        ax.axvline(ALPHA_C, color="black", ls="--", lw=1, label="α_c = 0.138 (AGS)")
        ax.set_xlabel("load α = P/N")
    ax1.axhline(OVERLAP_AT_ALPHA_C, color="grey", ls=":", lw=1, label="m(α_c) = 0.967")
    ax1.set(ylabel="final overlap ⟨m⟩ with the start pattern", title="Retrieval overlap")
    ax2.axhline(0.5, color="grey", ls=":", lw=1)
    ax2.set(ylabel=f"fraction of trials with m ≥ {min_overlap:g}", title="Retrieval probability")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    x = np.array(sizes, dtype=float) ** (-omega)
    ax3.errorbar(x, a50, yerr=a50_err, fmt="o", capsize=3, label="α_50(N)")
    fine = np.linspace(0.0, 1.05 * x.max(), 50)
    ax3.plot(
        fine,
        fit.limit + fit.slope * fine,
        color="C1",
        lw=1,
        label=f"α_∞ + b N^(−{omega:g}): α_∞ = {fit.limit:.4f} ± {fit.limit_err:.4f}",
    )
    ax3.errorbar([0.0], [fit.limit], yerr=[fit.limit_err], fmt="s", color="C1", capsize=3)
    ax3.axhline(ALPHA_C, color="black", ls="--", lw=1, label="α_c = 0.138")
    ax3.set(xlabel=f"N^(−{omega:g})", ylabel="breakdown load α_50", title="Finite-size trend")
    ax3.legend(fontsize=7)
    ctx.figure(fig, "capacity")
