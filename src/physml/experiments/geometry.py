"""Data geometry: dimensions of attractors and benchmark manifolds, covariance power laws,
local scales of a noisy manifold, and metrics from calibration.

Sources: J. Byers, "Machine Learning and Physics: A Faustian Bargain?" (GGI, 14 September 2022), slides
"Geometry of ML: How much data is enough?" and "Experimental Calibration"; Y. Kahn, "Dumb
Machine Learning for Physics" (IAIFI Colloquium, 10 March 2023), slides "Data dimension", "Jet images vs.
cat images".
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Any

import numpy as np

from physml import data, ebm, geometry, scaling, stats
from physml._core import check_int, check_real
from physml.lab import Context, experiment

BYERS = "Byers, 'Machine Learning and Physics: A Faustian Bargain?' (GGI, 14 September 2022)"
KAHN = "Kahn, 'Dumb Machine Learning for Physics' (IAIFI Colloquium, 10 March 2023)"
GP = "Grassberger & Procaccia, Physica D 9, 189 (1983)"

# Accepted correlation dimensions (Grassberger & Procaccia 1983)
HENON_D2 = 1.21
LORENZ_D2 = 2.05


def _unknown_if_nan(err: float) -> float:
    """A standard error the subsamples could not give (too few points) is unknown (inf), not zero."""
    return err if math.isfinite(err) else math.inf


def _attractor_item(args: tuple[str, int, float, int]) -> dict[str, Any]:
    name, n, dt, seed = args
    x = data.henon(n, seed=seed) if name == "henon" else data.lorenz(n, dt=dt, seed=seed)
    start = time.perf_counter()
    cd = geometry.CorrelationDimension(seed=seed).fit(x)
    seconds = time.perf_counter() - start
    lb = geometry.LevinaBickel(seed=seed).fit(x)
    tn = geometry.TwoNN(seed=seed).fit(x)
    return {
        "d2": cd.dimension_,
        "d2_err": cd.dimension_err_,
        "range": cd.scaling_range_,
        "range_found": cd.range_found_,
        "radii": cd.radii_,
        "csum": cd.correlation_sum_,
        "slopes": cd.local_slopes_,
        "slope_radii": cd.slope_radii_,
        "seconds": seconds,
        "mle": lb.dimension_,
        "mle_err": lb.dimension_err_,
        "twonn": tn.dimension_,
        "twonn_err": tn.dimension_err_,
    }


def _check_attractor_params(p: dict[str, Any]) -> None:
    check_int(p["n_henon"], "n_henon", low=500)
    check_int(p["n_lorenz"], "n_lorenz", low=500)
    check_real(p["lorenz_dt"], "lorenz_dt", low=0.0, high=0.5, low_open=True)
    check_real(p["tol_henon"], "tol_henon", low=0.0)
    check_real(p["tol_lorenz"], "tol_lorenz", low=0.0)


@experiment(
    "dimension-attractors",
    claim="The correlation dimension, measured with k-d-tree pair counts and an automatic scaling range, is "
    "1.21 for the Hénon attractor and 2.05 for the Lorenz attractor.",
    source=f"{GP} (Hénon 1.21 ± 0.01, Lorenz 2.05 ± 0.01); {KAHN}, slide 'Data dimension and isotropy'",
    quick=dict(n_henon=5000, n_lorenz=5000, lorenz_dt=0.1, tol_henon=0.09, tol_lorenz=0.23),
    full=dict(n_henon=100000, n_lorenz=50000, lorenz_dt=0.1, tol_henon=0.03, tol_lorenz=0.06),
    tags=("geometry", "kahn", "dimension"),
    validate=_check_attractor_params,
)
def dimension_attractors(
    ctx: Context, n_henon: int, n_lorenz: int, lorenz_dt: float, tol_henon: float, tol_lorenz: float
) -> None:
    # Lorenz samples lorenz_dt apart: consecutive samples of a finer trajectory would be
    # temporally correlated neighbours (a Theiler window is the alternative).
    items = [
        ("henon", n_henon, 0.0, ctx.seed_for("henon")),
        ("lorenz", n_lorenz, lorenz_dt, ctx.seed_for("lorenz")),
    ]
    henon_r, lorenz_r = ctx.map(_attractor_item, items, desc="attractors")
    for label, r, expected, tol in (
        ("Hénon", henon_r, HENON_D2, tol_henon),
        ("Lorenz", lorenz_r, LORENZ_D2, tol_lorenz),
    ):
        # tolerance: the bound on the full preset; quick = that plus 3 standard errors at its size
        err = _unknown_if_nan(r["d2_err"])
        ctx.check(f"{label} correlation dimension", r["d2"], expected, uncertainty=err, tolerance=tol)
    for label, r in (("henon", henon_r), ("lorenz", lorenz_r)):
        ctx.metric(f"{label}_scaling_range", r["range"])
        ctx.metric(f"{label}_range_found", r["range_found"])
        ctx.metric(f"{label}_seconds", round(r["seconds"], 3))
        ctx.metric(f"{label}_levina_bickel", [r["mle"], r["mle_err"]])
        ctx.metric(f"{label}_twonn", [r["twonn"], r["twonn_err"]])

    fig = ctx.new_figure(figsize=(9.0, 3.8))
    ax1, ax2 = fig.subplots(1, 2)
    for label, r, expected in (("Hénon", henon_r, HENON_D2), ("Lorenz", lorenz_r, LORENZ_D2)):
        ax1.loglog(
            r["radii"], r["csum"], ".-", ms=4, label=f"{label}: D2 = {r['d2']:.3f} ± {r['d2_err']:.3f}"
        )
        line = ax2.semilogx(r["slope_radii"], r["slopes"], ".-", ms=4, label=f"{label} local slope")[0]
        ax2.axhline(expected, color=line.get_color(), ls="--", lw=0.8)
        for edge in r["range"]:
            ax2.axvline(edge, color=line.get_color(), ls=":", lw=0.8)
    ax1.set(xlabel="r", ylabel="C(r)", title="Correlation sums")
    ax1.legend(fontsize=8)
    ax2.set(xlabel="r", ylabel="d ln C / d ln r", title="Local slopes (dashed: accepted; dotted: fit range)")
    ax2.legend(fontsize=8)
    ctx.figure(fig, "correlation-sums")


def _benchmark_item(args: tuple[str, int, int]) -> dict[str, Any]:
    name, n, seed = args
    x = data.benchmark_manifold(name, n, seed=seed)
    truth = data.BENCHMARK_MANIFOLDS[name][0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = geometry.CorrelationDimension(seed=seed).fit(x)
        baseline, baseline_name = _corrint(x, seed)
        mle = geometry.LevinaBickel(seed=seed).fit(x)
        twonn = geometry.TwoNN(seed=seed).fit(x)
    return {
        "name": name,
        "truth": truth,
        "physml_cd": ours.dimension_,
        "physml_cd_err": ours.dimension_err_,
        "corrint": baseline,
        "baseline": baseline_name,
        "mle": mle.dimension_,
        "twonn": twonn.dimension_,
    }


def _corrint(x: Any, seed: int) -> tuple[float, str]:
    """scikit-dimension's CorrInt if it is installed; else physml's reproduction of its two-radius rule."""
    try:
        import skdim  # optional, not a dependency of physml
    except ImportError:
        fit = geometry.CorrelationDimension("knn", k1=10, k2=20, n_subsamples=0, seed=seed).fit(x)
        return fit.dimension_, "CorrInt rule (median 10th/20th-neighbour radii) reproduced by physml"
    return float(skdim.id.CorrInt(k1=10, k2=20).fit(x).dimension_), f"skdim {skdim.__version__} CorrInt"


def _check_benchmark_params(p: dict[str, Any]) -> None:
    check_int(p["n_samples"], "n_samples", low=100)
    if not p["manifolds"]:
        raise ValueError("manifolds must name at least one benchmark manifold")
    for name in p["manifolds"]:
        if name not in data.BENCHMARK_MANIFOLDS:
            raise ValueError(f"unknown manifold {name!r}; accepted: {', '.join(data.BENCHMARK_MANIFOLDS)}")


_QUICK_MANIFOLDS = (
    "M1_Sphere",
    "M2_Affine_3to5",
    "M4_Nonlinear",
    "M5b_Helix2d",
    "M7_Roll",
    "M9_Affine",
    "M10b_Cubic",
    "M12_Norm",
    "M13b_Spiral",
)


@experiment(
    "dimension-benchmark",
    claim="On the Hein-Audibert/Campadelli benchmark manifolds, physml's correlation dimension (fitted "
    "over an automatic scaling range) is closer to the true dimension than scikit-dimension's two-radius "
    "CorrInt on most "
    "of them.",
    source="Hein & Audibert, ICML 2005; Campadelli et al., Math. Probl. Eng. 2015 (scikit-dimension's "
    f"BenchmarkManifolds); {KAHN}, slide 'Data dimension'",
    quick=dict(n_samples=1000, manifolds=_QUICK_MANIFOLDS),
    full=dict(
        n_samples=2500,
        manifolds=tuple(
            [
                "M1_Sphere",
                "M2_Affine_3to5",
                "M3_Nonlinear_4to6",
                "M4_Nonlinear",
                "M5a_Helix1d",
                "M5b_Helix2d",
                "M6_Nonlinear",
                "M7_Roll",
                "M8_Nonlinear",
                "M9_Affine",
                "M10a_Cubic",
                "M10b_Cubic",
                "M10c_Cubic",
                "M10d_Cubic",
                "M11_Moebius",
                "M12_Norm",
                "M13a_Scurve",
                "M13b_Spiral",
                "Mbeta",
                "Mn1_Nonlinear",
                "Mn2_Nonlinear",
                "Mp1_Paraboloid",
                "Mp2_Paraboloid",
                "Mp3_Paraboloid",
            ]
        ),
    ),
    tags=("geometry", "dimension", "benchmark"),
    validate=_check_benchmark_params,
)
def dimension_benchmark(ctx: Context, n_samples: int, manifolds: tuple[str, ...]) -> None:
    rows = ctx.map(_benchmark_item, [(m, n_samples, ctx.seed_for(m)) for m in manifolds], desc="manifolds")
    truth = np.array([r["truth"] for r in rows], dtype=float)
    ours = np.array([r["physml_cd"] for r in rows])
    base = np.array([r["corrint"] for r in rows])
    wins = int(np.sum(np.abs(ours - truth) < np.abs(base - truth)))
    n = len(rows)
    # "most": a strict majority. Binomial standard error of the count under p = wins / n.
    p = wins / n
    ctx.check(
        "manifolds where physml's D2 is closer than CorrInt",
        wins,
        n // 2 + 1,
        uncertainty=math.sqrt(n * p * (1 - p)),
        comparison="at_least",
    )
    rel_ours = float(np.mean(np.abs(ours - truth) / truth))
    rel_base = float(np.mean(np.abs(base - truth) / truth))
    ctx.check("mean relative error: physml D2 minus CorrInt", rel_ours - rel_base, 0.0, comparison="at_most")
    ctx.metric("baseline", rows[0]["baseline"])
    ctx.metric(
        "error_table",
        [
            {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items() if k != "baseline"}
            for r in rows
        ],
    )
    ctx.metric(
        "mean_relative_error",
        {
            "physml_cd": rel_ours,
            "corrint": rel_base,
            "levina_bickel": float(np.mean(np.abs([r["mle"] for r in rows] - truth) / truth)),
            "twonn": float(np.mean(np.abs([r["twonn"] for r in rows] - truth) / truth)),
        },
    )

    fig = ctx.new_figure(figsize=(9.0, 4.0))
    ax = fig.add_subplot()
    idx = np.arange(n)
    for shift, key, label in (
        (-0.3, "physml_cd", "physml D2"),
        (-0.1, "corrint", "CorrInt"),
        (0.1, "mle", "Levina-Bickel"),
        (0.3, "twonn", "TwoNN"),
    ):
        vals = np.array([r[key] for r in rows])
        ax.bar(idx + shift, vals / truth, width=0.2, label=label)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_xticks(idx, [r["name"] for r in rows], rotation=60, ha="right", fontsize=7)
    ax.set(ylabel="estimate / true dimension", title=f"Benchmark manifolds, {n_samples} points each")
    ax.legend(fontsize=8)
    ctx.figure(fig, "benchmark")


def _check_spectrum_params(p: dict[str, Any]) -> None:
    check_int(p["n_images"], "n_images", low=500, high=60000)
    check_int(p["ising_L"], "ising_L", low=4)
    if p["ising_L"] % 2:
        raise ValueError(f"ising_L must be even, got {p['ising_L']}")
    check_int(p["ising_samples"], "ising_samples", low=100)
    check_int(p["noise_samples"], "noise_samples", low=100)
    check_int(p["noise_features"], "noise_features", low=10)
    if p["noise_features"] > p["noise_samples"]:
        raise ValueError("noise_features must not exceed noise_samples")


def _ising_spectrum(args: tuple[int, int, int]) -> dict[str, Any]:
    L, n, seed = args
    spins, _ = ebm.ising_configurations(L, ebm.critical_temperature(), n, seed=seed)
    x = spins.reshape(n, -1).astype(np.float64)
    spec = geometry.CovarianceSpectrum(fit_range=(2, L * L // 4), seed=seed).fit(x)
    # lambda_1 is the k = 0 mode, L**2 <m**2> (m averages to zero by symmetry)
    top = L * L * np.mean(x, axis=1) ** 2
    return {
        "L": L,
        "eigenvalues": spec.eigenvalues_,
        "alpha": spec.alpha_,
        "alpha_err": spec.alpha_err_,
        "rms": spec.rms_residual_,
        "range": spec.fit_range_,
        "top": float(spec.eigenvalues_[0]),
        "top_err": stats.mean_standard_error(top)[1],
    }


@experiment(
    "spectrum-powerlaw",
    claim="Covariance eigenvalues follow power laws λ_i ∝ i^-(1+α) where the data have structure at all "
    "scales "
    "(Fashion-MNIST images, Ising configurations at T_c, whose top eigenvalue grows as L^(7/4)), and not for "
    "white noise, whose spectrum is the Marchenko-Pastur law.",
    source=f"{KAHN}, slide 'Jet images vs. cat images'; Maloney, Roberts, Sully, arXiv:2210.16859; "
    "Marchenko & Pastur (1967); 2D Ising γ/ν = 7/4",
    quick=dict(n_images=2000, ising_L=8, ising_samples=1000, noise_samples=1000, noise_features=100),
    full=dict(n_images=60000, ising_L=16, ising_samples=4000, noise_samples=20000, noise_features=784),
    tags=("geometry", "kahn", "spectrum", "fashion-mnist", "ising"),
    validate=_check_spectrum_params,
)
def spectrum_powerlaw(
    ctx: Context, n_images: int, ising_L: int, ising_samples: int, noise_samples: int, noise_features: int
) -> None:
    # Fashion-MNIST: ranks 2..200 (the first is the mean brightness direction)
    x, _ = data.fashion_mnist("train")
    pick = ctx.rng("images").permutation(len(x))[:n_images]
    images = x[pick].reshape(n_images, -1) / 255.0
    fashion = geometry.CovarianceSpectrum(fit_range=(2, 200), seed=ctx.seed_for("fashion")).fit(images)
    decades_f = math.log10(fashion.eigenvalues_[1] / fashion.eigenvalues_[199])
    ctx.check(
        "Fashion-MNIST α (decay faster than 1/i)",
        fashion.alpha_,
        0.0,
        uncertainty=_unknown_if_nan(fashion.alpha_err_),
        comparison="at_least",
    )
    # a power law: a straight line in log-log over at least two decades of eigenvalue
    ctx.check(
        "Fashion-MNIST rms residual of ln λ about the power law",
        fashion.rms_residual_,
        0.15,
        comparison="at_most",
    )
    ctx.check("Fashion-MNIST decades of λ spanned by the fit", decades_f, 2.0, comparison="at_least")

    # Ising at T_c at sizes L and 2L
    small, large = ctx.map(
        _ising_spectrum,
        [
            (ising_L, ising_samples, ctx.seed_for("ising", ising_L)),
            (2 * ising_L, ising_samples, ctx.seed_for("ising", 2 * ising_L)),
        ],
        desc="ising",
    )
    gamma_nu = math.log(large["top"] / small["top"]) / math.log(2.0)
    gamma_nu_err = math.hypot(large["top_err"] / large["top"], small["top_err"] / small["top"]) / math.log(
        2.0
    )
    # corrections to scaling at these sizes are a few per cent (analytic background of χ)
    ctx.check(
        "Ising T_c: λ_1 ∝ L^(γ/ν), γ/ν",
        gamma_nu,
        1.75,
        uncertainty=gamma_nu_err,
        tolerance=3 * gamma_nu_err + 0.05,
    )
    ctx.check(
        f"Ising T_c (L={2 * ising_L}) rms residual of ln λ about the power law",
        large["rms"],
        0.15,
        comparison="at_most",
    )

    # white noise: the fitted 'power law' is the Marchenko-Pastur artefact of finite T, no more
    noise = ctx.rng("noise").standard_normal((noise_samples, noise_features))
    white = geometry.CovarianceSpectrum(seed=ctx.seed_for("white")).fit(noise)
    lo, hi = white.fit_range_
    mp = geometry.marchenko_pastur_quantiles(noise_samples, noise_features)
    mp_alpha = -scaling.fit_power_law(np.arange(lo, hi + 1), mp[lo - 1 : hi]).exponent - 1.0
    ctx.check(
        "white noise α = Marchenko-Pastur prediction",
        white.alpha_,
        mp_alpha,
        uncertainty=_unknown_if_nan(white.alpha_err_),
        tolerance=(3 * white.alpha_err_ if math.isfinite(white.alpha_err_) else 0.0) + 0.01,
    )
    decades_w = math.log10(white.eigenvalues_[lo - 1] / white.eigenvalues_[hi - 1])
    ctx.check("white noise decades of λ spanned (no scales)", decades_w, 1.0, comparison="at_most")

    ctx.metric("fashion_alpha", [fashion.alpha_, fashion.alpha_err_])
    ctx.metric("ising_alpha", {str(r["L"]): [r["alpha"], r["alpha_err"], r["rms"]] for r in (small, large)})
    ctx.metric("ising_top_eigenvalue", {str(r["L"]): [r["top"], r["top_err"]] for r in (small, large)})
    ctx.metric("white_alpha", [white.alpha_, white.alpha_err_, mp_alpha])
    ctx.metric(
        "decay_exponent_1_plus_alpha",
        {"fashion": 1 + fashion.alpha_, "ising": 1 + large["alpha"], "white": 1 + white.alpha_},
    )

    fig = ctx.new_figure(figsize=(10.0, 3.6))
    axes = fig.subplots(1, 3)
    fashion.plot(axes[0])
    axes[0].set_title(f"Fashion-MNIST ({n_images} images)")
    for r in (small, large):
        ev = r["eigenvalues"]
        axes[1].loglog(
            np.arange(1, ev.size + 1), ev, ".", ms=3, label=f"L = {r['L']}, 1+α = {1 + r['alpha']:.2f}"
        )
    axes[1].set(xlabel="rank i", ylabel="λ_i", title="Ising at T_c")
    axes[1].legend(fontsize=8)
    white.plot(axes[2])
    axes[2].loglog(np.arange(1, mp.size + 1), mp, "k--", lw=1, label="Marchenko-Pastur")
    axes[2].set_title("White noise")
    axes[2].legend(fontsize=8)
    ctx.figure(fig, "spectra")


def _local_item(args: tuple[int, float, float, int, int]) -> dict[str, Any]:
    n, radius, noise, n_centers, seed = args
    x = data.sphere(n, 2, radius=radius, noise=noise, seed=seed)
    m = geometry.MultiscaleLocalPCA(n_centers=n_centers, seed=seed).fit(x)
    return {
        "d": m.tangent_dimension_,
        "sigma": m.noise_level_,
        "R": m.curvature_radius_,
        "crossover": m.crossover_radius_,
        "resolved": float(m.resolved_.mean()),
        "resolvable": m.resolvable_,
        "radii": m.radii_,
        "sv": m.mean_eigenvalues_**0.5,
        "fit_radii": m.fit_radii_,
    }


def _check_local_params(p: dict[str, Any]) -> None:
    check_int(p["n_dense"], "n_dense", low=100)
    check_int(p["n_sparse"], "n_sparse", low=20)
    check_int(p["n_centers"], "n_centers", low=10)
    check_int(p["n_repeats"], "n_repeats", low=2)
    check_real(p["radius"], "radius", low=0.0, low_open=True)
    check_real(p["noise"], "noise", low=0.0, low_open=True)


@experiment(
    "local-scales",
    claim="Multiscale local PCA of a noisy sphere recovers its noise level, tangent dimension and curvature "
    "radius, "
    "and flags a sample too sparse to tell curvature from noise.",
    source=f"{BYERS}, slide 'Geometry of ML: How much data is enough?'; "
    "Little, Maggioni, Rosasco, ACHA (2016)",
    quick=dict(n_dense=5000, n_sparse=200, radius=2.0, noise=0.04, n_centers=60, n_repeats=3),
    full=dict(n_dense=50000, n_sparse=200, radius=2.0, noise=0.04, n_centers=200, n_repeats=8),
    tags=("geometry", "byers", "local-pca"),
    validate=_check_local_params,
)
def local_scales(
    ctx: Context, n_dense: int, n_sparse: int, radius: float, noise: float, n_centers: int, n_repeats: int
) -> None:
    dense = ctx.map(
        _local_item,
        [(n_dense, radius, noise, n_centers, ctx.seed_for("dense", i)) for i in range(n_repeats)],
        desc="dense spheres",
    )
    sparse = ctx.map(
        _local_item,
        [(n_sparse, radius, noise, n_centers, ctx.seed_for("sparse", i)) for i in range(n_repeats)],
        desc="sparse spheres",
    )

    def mean_err(key: str, rows: list[dict[str, Any]]) -> tuple[float, float]:
        v = np.array([r[key] for r in rows], dtype=float)
        return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))

    dims = [r["d"] for r in dense]
    ctx.check("tangent dimension (every replica)", min(dims), 2, comparison="at_least")
    ctx.check("tangent dimension (max over replicas)", max(dims), 2, comparison="at_most")
    # tolerances: 3 standard errors over the replicas plus the method's known bias at these scales
    # (the ball truncates the noise, the r**4 law is the leading order in r / R): 10 %
    sigma, sigma_err = mean_err("sigma", dense)
    ctx.check("noise level σ", sigma, noise, uncertainty=sigma_err, tolerance=3 * sigma_err + 0.1 * noise)
    big_r, big_r_err = mean_err("R", dense)
    ctx.check(
        "curvature radius R", big_r, radius, uncertainty=big_r_err, tolerance=3 * big_r_err + 0.1 * radius
    )
    true_cross = (noise**2 * radius**2 / (1.0 / 48.0)) ** 0.25
    cross, cross_err = mean_err("crossover", dense)
    ctx.check(
        "crossover radius (48 σ² R²)^(1/4)",
        cross,
        true_cross,
        uncertainty=cross_err,
        tolerance=3 * cross_err + 0.1 * true_cross,
    )
    resolved_dense, _ = mean_err("resolved", dense)
    resolved_sparse, _ = mean_err("resolved", sparse)
    ctx.check(
        "dense sample: fraction of centres resolving curvature", resolved_dense, 0.5, comparison="at_least"
    )
    ctx.check(
        "sparse sample: fraction of centres resolving curvature", resolved_sparse, 0.5, comparison="at_most"
    )
    ctx.metric(
        "dense",
        {
            "sigma": [sigma, sigma_err],
            "R": [big_r, big_r_err],
            "crossover": [cross, cross_err],
            "resolved": resolved_dense,
            "fit_radii": dense[0]["fit_radii"],
        },
    )
    ctx.metric("sparse", {k: mean_err(k, sparse) for k in ("sigma", "R", "crossover", "resolved")})

    fig = ctx.new_figure(figsize=(9.0, 3.8))
    axes = fig.subplots(1, 2)
    for ax, rows, title in ((axes[0], dense, f"{n_dense} points"), (axes[1], sparse, f"{n_sparse} points")):
        r = rows[0]
        for j in range(r["sv"].shape[1]):
            ax.loglog(r["radii"], r["sv"][:, j], ".-", ms=3, label=f"singular value {j + 1}")
        ax.axhline(noise, color="gray", ls=":", lw=0.8, label="true σ")
        ax.loglog(r["radii"], r["radii"] / 2.0, "k--", lw=0.6, label="r / √(d+2)")
        ax.loglog(
            r["radii"], r["radii"] ** 2 / (math.sqrt(48.0) * radius), "k:", lw=0.6, label="r² / (√48 R)"
        )
        ax.axvline(true_cross, color="black", lw=0.6, ls="-.")
        ax.set(
            xlabel="ball radius r",
            ylabel="local singular value",
            title=f"{title}: resolved at {r['resolved']:.0%} of centres",
        )
        ax.legend(fontsize=7)
    ctx.figure(fig, "multiscale-svd")


def _check_calibration_params(p: dict[str, Any]) -> None:
    check_int(p["n_calibration"], "n_calibration", low=10)
    check_int(p["n_repeats"], "n_repeats", low=3)
    check_int(p["n_pairs"], "n_pairs", low=10)
    check_int(p["n_queries"], "n_queries", low=10)


def _detector_covariance(points: Any) -> Any:
    """A toy tracker's resolution at ``points`` (n, 2): radial error 0.02 (1 + r), azimuthal (tangential)
    error 0.004 (1 + 3 r), so the covariance turns with the azimuth and its anisotropy varies."""
    r = np.linalg.norm(points, axis=1)
    return geometry.polar_covariance(points, 0.02 * (1 + r), 0.004 * (1 + 3 * r))


@experiment(
    "calibration-metric",
    claim="With a position-dependent calibration covariance, whitening by Σ^(-1/2) makes Euclidean distances "
    "statistical: distances agree with the true Mahalanobis distance and nearest-source classification "
    "matches "
    "the Bayes rule, while raw Euclidean distances do neither.",
    source=f"{BYERS}, slides 'Geometry of ML: Experimental Calibration' (g(y) = Σ⁻¹(y))",
    quick=dict(n_calibration=400, n_repeats=40, n_pairs=2000, n_queries=4000),
    full=dict(n_calibration=2000, n_repeats=200, n_pairs=20000, n_queries=40000),
    tags=("geometry", "byers", "metric"),
    validate=_check_calibration_params,
)
def calibration_metric(
    ctx: Context, n_calibration: int, n_repeats: int, n_pairs: int, n_queries: int
) -> None:
    rng = ctx.rng("detector")

    def disk(n: int) -> Any:
        r = np.sqrt(rng.random(n))
        phi = rng.uniform(0, 2 * np.pi, n)
        return np.column_stack([r * np.cos(phi), r * np.sin(phi)])

    # calibration: repeated measurements of known sources
    sources = disk(n_calibration)
    chol = np.linalg.cholesky(_detector_covariance(sources))
    repeats = sources[:, None, :] + np.einsum(
        "nij,nmj->nmi", chol, rng.standard_normal((n_calibration, n_repeats, 2))
    )
    field = geometry.CovarianceField.from_repeats(repeats, n_neighbors=4)

    # distances between nearby pairs: true statistical distance vs whitened vs Euclidean
    a = disk(n_pairs) * 0.95
    b = a + rng.normal(scale=0.03, size=a.shape)
    truth = geometry.mahalanobis_distance(a, b, _detector_covariance(0.5 * (a + b)))
    whitened = field.distance(a, b)
    euclid = np.linalg.norm(a - b, axis=1)
    euclid *= np.median(truth / euclid)  # the best single scale: units cannot save Euclid
    rel_w = np.abs(whitened / truth - 1)
    rel_e = np.abs(euclid / truth - 1)
    # expected relative error of a distance from covariances of n_repeats samples averaged over 4
    # calibration points: about sqrt(1 / (2 (n_repeats - 1) * 4)), plus interpolation of the field
    expected = math.sqrt(1.0 / (8.0 * (n_repeats - 1)))
    ctx.check(
        "median |d_whitened / d_true - 1|",
        float(np.median(rel_w)),
        0.0,
        uncertainty=float(1.2533 * np.std(rel_w) / math.sqrt(n_pairs)),
        tolerance=3 * expected + 0.02,
    )
    ctx.check(
        "median |d_euclid / d_true - 1| (best scale)", float(np.median(rel_e)), 0.2, comparison="at_least"
    )

    # nearest-source classification of single measurements among nearby sources
    k = 8
    centres = disk(n_queries // k + 1)
    label = rng.integers(0, k, n_queries)
    offsets = rng.normal(scale=0.03, size=(n_queries // k + 1, k, 2))
    cand = centres[:, None, :] + offsets  # k candidate sources per query
    owner = np.arange(n_queries) // k
    src = cand[owner % len(cand), label]
    meas = src + np.einsum(
        "nij,nj->ni", np.linalg.cholesky(_detector_covariance(src)), rng.standard_normal((n_queries, 2))
    )
    group = cand[owner % len(cand)]  # (n, k, 2)
    flat_src = group.reshape(-1, 2)
    flat_meas = np.repeat(meas, k, axis=0)
    true_cov = _detector_covariance(flat_src)
    # Bayes rule with the true covariances: maximise the Gaussian likelihood
    d_true = geometry.mahalanobis_distance(flat_meas, flat_src, true_cov).reshape(-1, k)
    logdet = np.linalg.slogdet(true_cov)[1].reshape(-1, k)
    bayes = np.argmin(d_true**2 + logdet, axis=1)
    est_cov = field.covariance(flat_src)
    d_est = geometry.mahalanobis_distance(flat_meas, flat_src, est_cov).reshape(-1, k)
    whitened_nn = np.argmin(d_est**2 + np.linalg.slogdet(est_cov)[1].reshape(-1, k), axis=1)
    euclid_nn = np.argmin(np.linalg.norm(flat_meas - flat_src, axis=1).reshape(-1, k), axis=1)
    acc = {
        name: float(np.mean(pred == label))
        for name, pred in (("bayes", bayes), ("whitened", whitened_nn), ("euclid", euclid_nn))
    }
    agree_w = float(np.mean(whitened_nn == bayes))
    agree_e = float(np.mean(euclid_nn == bayes))
    se = stats.binomial_standard_error(agree_w, n_queries, one_count_floor=True)
    ctx.check(
        "whitened nearest source agrees with Bayes",
        agree_w,
        1.0 - 3 * expected,
        uncertainty=se,
        comparison="at_least",
    )
    ctx.check("Euclidean nearest source agrees with Bayes", agree_e, 0.9, comparison="at_most")
    ctx.metric("accuracy", acc)
    ctx.metric("agreement_with_bayes", {"whitened": agree_w, "euclid": agree_e})
    ctx.metric(
        "median_relative_distance_error",
        {"whitened": float(np.median(rel_w)), "euclid": float(np.median(rel_e))},
    )

    fig = ctx.new_figure(figsize=(9.0, 3.8))
    ax1, ax2 = fig.subplots(1, 2)
    grid = np.array(
        [[x, y] for x in np.linspace(-0.8, 0.8, 5) for y in np.linspace(-0.8, 0.8, 5) if x * x + y * y < 0.9]
    )
    t = np.linspace(0, 2 * np.pi, 60)
    circle = np.column_stack([np.cos(t), np.sin(t)])
    for p, c_true, c_est in zip(grid, _detector_covariance(grid), field.covariance(grid), strict=True):
        for cov, style in ((c_true, "k-"), (c_est, "r--")):
            ell = p + 2.0 * circle @ np.linalg.cholesky(cov).T
            ax1.plot(ell[:, 0], ell[:, 1], style, lw=0.8)
    ax1.set(aspect="equal", title="2σ ellipses: true (black), calibrated (red)", xlabel="y₁", ylabel="y₂")
    ax2.loglog(truth, whitened, ".", ms=1, alpha=0.4, label="whitened")
    ax2.loglog(truth, euclid, ".", ms=1, alpha=0.4, label="Euclidean (best scale)")
    lims = [truth.min(), truth.max()]
    ax2.plot(lims, lims, "k-", lw=0.8)
    ax2.set(xlabel="true statistical distance", ylabel="estimated distance", title="Pair distances")
    ax2.legend(fontsize=8, markerscale=6)
    ctx.figure(fig, "calibration")
