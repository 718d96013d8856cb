"""Supervised learning as an information bottleneck, measured on joint distributions whose
answers are known.

The IB curve of a binary symmetric channel has a closed form (Mrs. Gerber's lemma); the curve
of any joint distribution starts at (0, 0), ends at (H(X), I(X;Y)), is monotone and concave, and
its slope at β is 1/β. All of these are exact, so the tolerances are numerical: the
convergence tolerance of the iteration (max |Δp(t|x)| < 1e-11 gives informations accurate to
far better than 1e-6 bits) and the resolution of the β grid.

Sources: J. Byers, "Machine Learning and Physics: A Faustian Bargain?", GGI 2022 (supervised learning as
an information bottleneck); Tishby,
Pereira & Bialek, physics/0004057; Strouse & Schwab, Neural Comput. 29, 1611 (2017).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from physml import info
from physml._core import check_int, check_real
from physml.lab import Context, experiment

BYERS = "Byers (GGI, 14 September 2022), supervised learning as an information bottleneck"
TPB = "Tishby, Pereira & Bialek, physics/0004057"
NUMERIC = 1e-6  # bits: far above the iteration's error, far below any physical effect


def _validate(p: dict[str, Any]) -> None:
    check_real(p["flip"], "flip", low=0.0, high=0.5)
    if not 0.0 < p["flip"] < 0.5:
        raise ValueError(f"flip must be in (0, 0.5), got {p['flip']}")
    check_int(p["n_betas"], "n_betas", low=10)
    check_real(p["beta_max"], "beta_max", low=10.0)
    check_int(p["n_joints"], "n_joints", low=1)
    for name in ("n_x", "n_y"):
        check_int(p[name], name, low=2)


@experiment(
    "ib-binary-channel",
    claim="The information bottleneck of a binary symmetric channel (flip probability p) follows the closed "
    "form I(T;Y) = 1 − h(p ⋆ h⁻¹(1 − I(X;T))) and is trivial below β_c = 1/(1−2p)²; for random joint "
    "distributions the IB curve rises monotonically and concavely from (0, 0) to (H(X), I(X;Y)) with "
    "slope 1/β.",
    source=f"{BYERS}; {TPB}; Wyner & Ziv, IEEE Trans. Inf. Theory 19, 769 (1973) (Mrs. Gerber's lemma)",
    quick=dict(flip=0.1, n_betas=30, beta_max=1e4, n_joints=2, n_x=4, n_y=3, n_restarts=1),
    full=dict(flip=0.1, n_betas=120, beta_max=1e5, n_joints=6, n_x=8, n_y=4, n_restarts=5),
    tags=("info", "byers", "information-bottleneck"),
    validate=_validate,
)
def ib_binary_channel(
    ctx: Context,
    flip: float,
    n_betas: int,
    beta_max: float,
    n_joints: int,
    n_x: int,
    n_y: int,
    n_restarts: int,
) -> None:
    p = flip
    bsc = np.array([[0.5 * (1 - p), 0.5 * p], [0.5 * p, 0.5 * (1 - p)]])
    beta_c = 1.0 / (1.0 - 2.0 * p) ** 2
    betas = np.geomspace(0.2, beta_max, n_betas)
    curve = info.information_curve(bsc, betas, n_restarts=n_restarts, seed=ctx.seed_for("bsc"))
    exact = info.binary_symmetric_ib_curve(curve.I_xt, p)
    ctx.check(
        "BSC: max |I(T;Y) − closed form| (bits)",
        float(np.max(np.abs(curve.I_ty - exact))),
        0.0,
        tolerance=NUMERIC,
        comparison="at_most",
    )
    below, above = betas < beta_c, betas > beta_c * (betas[1] / betas[0])
    ctx.check(
        "BSC: max I(X;T) for β < β_c (bits)",
        float(np.max(curve.I_xt[below])),
        0.0,
        tolerance=NUMERIC,
        comparison="at_most",
    )
    ctx.check(
        "BSC: min I(X;T) one grid step above β_c (bits)",
        float(np.min(curve.I_xt[above])),
        1e-3,
        comparison="at_least",
    )
    ctx.check(
        "BSC: I(T;Y) at β_max = 1 − h(p)", float(curve.I_ty[-1]), 1.0 - info.binary_entropy(p),
        tolerance=NUMERIC,
    )
    ctx.metric("bsc", {"beta": betas, "I_xt": curve.I_xt, "I_ty": curve.I_ty, "beta_c": beta_c})

    rows = []
    worst_slope = 0.0
    worst_end = 0.0
    worst_start = 0.0
    worst_monotone = 0.0
    worst_dib = 0.0
    curves = []
    for j in range(n_joints):
        rng = ctx.rng("joint", j)
        joint = rng.dirichlet(np.ones(n_x * n_y)).reshape(n_x, n_y)
        c = info.information_curve(joint, betas, n_restarts=n_restarts, seed=ctx.seed_for("curve", j))
        h_x, i_xy = info.entropy(joint.sum(1)), info.mutual_information(joint)
        worst_start = max(worst_start, c.I_xt[0], c.I_ty[0])
        worst_end = max(worst_end, abs(c.I_xt[-1] - h_x), abs(c.I_ty[-1] - i_xy))
        worst_monotone = max(worst_monotone, -np.min(np.diff(c.I_xt)), -np.min(np.diff(c.I_ty)))
        # chord slopes between optimal points at β1 < β2 lie in [1/β2, 1/β1] (concavity, slope 1/β)
        dx, dy = np.diff(c.I_xt), np.diff(c.I_ty)
        moving = dx > 1e-7
        s = dy[moving] / dx[moving]
        if s.size:
            worst_slope = max(
                worst_slope,
                float(np.max(s - 1 / betas[:-1][moving])),
                float(np.max(1 / betas[1:][moving] - s)),
            )
        dib = info.DeterministicIB(beta=beta_max * 1e3, n_restarts=n_restarts, seed=ctx.seed_for("dib",
                                                                                                 j)).fit(
            joint
        )
        worst_dib = max(worst_dib, abs(dib.I_ty_ - i_xy))
        rows.append(
            {
                "H_x": h_x,
                "I_xy": i_xy,
                "end": (c.I_xt[-1], c.I_ty[-1]),
                "max_clusters": int(c.n_clusters.max()),
                "all_converged": bool(c.converged.all()),
            }
        )
        curves.append(c)
    ctx.check(
        "random joints: max |start − (0, 0)| (bits)",
        worst_start,
        0.0,
        tolerance=NUMERIC,
        comparison="at_most",
    )
    ctx.check(
        "random joints: max |end − (H(X), I(X;Y))| (bits)",
        worst_end,
        0.0,
        tolerance=1e-3,
        comparison="at_most",
    )
    ctx.check(
        "random joints: largest decrease along the curve (bits)",
        worst_monotone,
        0.0,
        tolerance=NUMERIC,
        comparison="at_most",
    )
    ctx.check(
        "random joints: chord slopes outside [1/β₂, 1/β₁]",
        worst_slope,
        0.0,
        tolerance=1e-4,
        comparison="at_most",
    )
    ctx.check(
        "deterministic IB at large β: max |I(T;Y) − I(X;Y)| (bits)",
        worst_dib,
        0.0,
        tolerance=NUMERIC,
        comparison="at_most",
    )
    ctx.metric("random_joints", rows)

    fig = ctx.new_figure(figsize=(10.0, 4.0))
    ax1, ax2 = fig.subplots(1, 2)
    u = np.linspace(0, 1, 200)
    ax1.plot(u, info.binary_symmetric_ib_curve(u, p), "k-", lw=1, label="closed form")
    ax1.plot(curve.I_xt, curve.I_ty, "o", ms=3, label="iterative IB (annealed)")
    ax1.set(xlabel="I(X;T) [bits]", ylabel="I(T;Y) [bits]", title=f"binary symmetric channel, p = {p:g}")
    ax1.legend(fontsize=8)
    for j, c in enumerate(curves):
        line = ax2.plot(c.I_xt, c.I_ty, ".-", ms=3, lw=0.8, label=f"joint {j}")
        ax2.plot([c.H_x], [c.I_xy], "*", ms=9, color=line[0].get_color())
    ax2.set(
        xlabel="I(X;T) [bits]", ylabel="I(T;Y) [bits]", title=f"random {n_x}×{n_y} joints (★: H(X), I(X;Y))"
    )
    ax2.legend(fontsize=7)
    ctx.figure(fig, "information-plane")
    ctx.metric("beta_c", beta_c)
    ctx.metric("beta_grid_ratio", float(betas[1] / betas[0]))
