"""The data doctor on data whose answers are known (issue 21, ``physml doctor``).

Sources: J. Byers, "Machine Learning and Physics: A Faustian Bargain?" (GGI, 14 September 2022),
slide "Geometry of ML: How much data is enough?"; Y. Kahn, "Dumb Machine Learning for Physics"
(IAIFI Colloquium, 10 March 2023), slides "Data dimension", "Jet images vs. cat images";
R. Batson, R. Haaf, Y. Kahn, D. Roberts, "Topological obstructions to autoencoding",
arXiv:2102.08380.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml import data, geometry
from physml._core import check_int, check_real
from physml.lab import Context, experiment

# accepted correlation dimensions (Grassberger & Procaccia 1983)
_HENON, _LORENZ = 1.21, 2.05


def _embed(x: np.ndarray, ambient: int, noise: float, rng: np.random.Generator) -> np.ndarray:
    """Rotate the rows of ``x`` at random into ``R**ambient`` and add Gaussian noise per coordinate."""
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    y = np.zeros((x.shape[0], ambient))
    y[:, : x.shape[1]] = x
    return y @ q + noise * rng.standard_normal(y.shape)


def _cases(n: int, ambient: int, noise: float, seed: int) -> list[tuple[str, Any, float, list[int] | None]]:
    """(name, points, true dimension, true Betti numbers or None)."""
    rng = np.random.default_rng(seed)
    circle = data.sphere(n, 1, seed=seed + 1)
    sphere = data.sphere(n, 2, seed=seed + 2)
    torus = data.torus(n, seed=seed + 3)
    half = n // 2
    two = np.vstack([data.sphere(half, 2, seed=seed + 4),
                     data.sphere(n - half, 2, seed=seed + 5) + [4.0, 0.0, 0.0]])
    gauss = rng.standard_normal((n, 3))
    return [
        ("circle", _embed(circle, ambient, noise, rng), 1.0, [1, 1, 0]),
        ("sphere", _embed(sphere, ambient, noise, rng), 2.0, [1, 0, 1]),
        ("torus", _embed(torus, min(ambient, 10), noise, rng), 2.0, [1, 2, 1]),
        ("two spheres", _embed(two, ambient, noise, rng), 2.0, [2, 0, 2]),
        ("Gaussian 3-plane", _embed(gauss, ambient, 0.0, rng), 3.0, [1, 0, 0]),
        ("Hénon", data.henon(n, seed=seed + 6), _HENON, None),
        ("Lorenz", data.lorenz(n, dt=0.1, seed=seed + 7), _LORENZ, None),
    ]


def _item(args: tuple[str, Any, int]) -> dict[str, Any]:
    name, x, seed = args
    r = geometry.doctor(x, seed=seed, topology=name != "Fashion-MNIST")
    return {"name": name, "report": r.to_dict(), "curve": [(c.estimator, c.scale, c.value) for c in r.curve]}


def _check_params(p: dict[str, Any]) -> None:
    check_int(p["n_points"], "n_points", low=200)
    check_int(p["ambient"], "ambient", low=4)
    check_real(p["noise"], "noise", low=0.0)
    check_int(p["n_images"], "n_images", low=400, high=60000)


@experiment(
    "doctor-known-data",
    claim="The data doctor's reconciled dimension interval contains the truth on noisy circles, spheres, a "
    "torus, two components, a Gaussian subspace and the Hénon and Lorenz attractors; its Betti numbers are "
    "right; it warns against autoencoders for the sphere and the torus and not for the Gaussian subspace; "
    "and it calls Fashion-MNIST's spectrum a power law and a sphere's not.",
    source="Byers, 'Machine Learning and Physics: A Faustian Bargain?' (GGI, 2022); Kahn, 'Dumb Machine "
    "Learning for Physics' (IAIFI, 2023); Batson, Haaf, Kahn, Roberts, arXiv:2102.08380",
    quick=dict(n_points=1500, ambient=20, noise=0.01, n_images=1000),
    full=dict(n_points=5000, ambient=50, noise=0.01, n_images=5000),
    tags=("geometry", "doctor", "byers", "kahn", "topology", "fashion-mnist"),
    validate=_check_params,
)
def doctor_known_data(ctx: Context, n_points: int, ambient: int, noise: float, n_images: int) -> None:
    cases = _cases(n_points, ambient, noise, ctx.seed_for("data"))
    images, _ = data.fashion_mnist("train")
    pick = ctx.rng("images").permutation(len(images))[:n_images]
    fashion = images[pick].reshape(n_images, -1) / 255.0
    items = [(name, x, ctx.seed_for(name)) for name, x, _, _ in cases] + [("Fashion-MNIST", fashion, 0)]
    results = {r["name"]: r for r in ctx.map(_item, items, desc="doctor")}
    table = []
    for name, _, truth, betti in cases:
        rep = results[name]["report"]
        dim = rep["dimension"]
        # the claim is the interval itself: the truth must lie within [low, high]
        ctx.check(f"{name}: true dimension {truth} within the reconciled interval", truth,
                  0.5 * (dim["low"] + dim["high"]), tolerance=0.5 * (dim["high"] - dim["low"]))
        if betti is not None:
            for k, b in enumerate(betti):
                ctx.check(f"{name}: b{k}", rep["betti"][k], b)
        table.append({"data": name, "truth": truth, "d": dim["value"], "low": dim["low"], "high": dim["high"],
                      "betti": rep["betti"], "warn": rep["autoencoder_warning"]["warn"],
                      "twonn": rep["single_scale"]["twonn"]["value"],
                      "power_law": rep["spectrum"].get("power_law")})
    for name, expected in (("sphere", 1.0), ("torus", 1.0), ("Gaussian 3-plane", 0.0)):
        warn = results[name]["report"]["autoencoder_warning"]["warn"]
        ctx.check(f"{name}: autoencoder warning", float(warn), expected)
    ctx.check("sphere: spectrum is a power law", float(results["sphere"]["report"]["spectrum"]["power_law"]),
              0.0)
    spec = results["Fashion-MNIST"]["report"]["spectrum"]
    ctx.check("Fashion-MNIST: spectrum is a power law", float(spec["power_law"]), 1.0)
    ctx.metric("table", table)
    ctx.metric("fashion_spectrum", {k: spec[k] for k in ("alpha", "alpha_error", "decades", "rms_residual")})
    ctx.metric("fashion_dimension", results["Fashion-MNIST"]["report"]["dimension"])

    fig = ctx.new_figure(figsize=(10.0, 4.0))
    axes = fig.subplots(1, 2)
    for ax, names in ((axes[0], ("circle", "sphere", "torus", "two spheres")),
                      (axes[1], ("Gaussian 3-plane", "Hénon", "Lorenz", "Fashion-MNIST"))):
        for name in names:
            pts = [(s, v) for est, s, v in results[name]["curve"] if est == "gride" and v == v]
            ax.loglog([p[0] for p in pts], [p[1] for p in pts], ".-", label=name)
        ax.set(xlabel="scale (distance)", ylabel="GRIDE dimension", title="Dimension by scale")
        ax.legend(fontsize=8)
    ctx.figure(fig, "dimension-by-scale")
