"""Autoencoders and the topology that defeats them, measured with ensembles.

The tied linear autoencoder recovers PCA (Walsh talk); a continuous encoder from a manifold
with non-trivial topology into a latent space of its own dimension must break somewhere, so a
random normal point gets a large loss, an excised submanifold is interpolated through, and
uniform 3-body phase space (a 5-sphere) defeats a bump hunt (Kahn talk, after Batson, Haaf,
Kahn & Roberts, "Topological obstructions to autoencoding", JHEP 04 (2021) 280,
arXiv:2102.08380).

Every network statement is measured on an ensemble of independent autoencoders
(:class:`physml.nets.AutoencoderEnsemble`, all members in one batched training run), and its
uncertainty is the seed-to-seed spread (standard error over members). The members are
independent trainings in every respect the talk's "from seed to seed" covers: each has its own
initialisation, its own shuffling and its own training and validation sample, drawn from its own
seed (``train_autoencoders`` with data of shape (members, n, N)). With one shared sample, the
sample's own anisotropy chose where all members broke (the 2-sphere below), so the spread over
members was the spread at a fixed data set. Only ``ae-linear-pca``, whose claim is about the
sample's PCA, shares its sample.
Tolerances: ``z`` standard errors with ``z`` from
:func:`physml.experiments._tolerances.sigma_multiple` for the experiment's number of
statistical checks at a 1% family-wise false-alarm rate.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy

from physml import anomaly, data, geometry, nets, stats
from physml._core import check_choice, check_int, check_real, derive_seed
from physml.experiments._tolerances import sigma_multiple
from physml.lab import Context, experiment

KAHN = "Kahn, 'Dumb Machine Learning for Physics' (IAIFI Colloquium, 10 March 2023)"
WALSH = "Walsh, 'Machine Learning Beyond Physics from a Physicist's Perspective'"
BHKR = "Batson, Haaf, Kahn & Roberts, 'Topological obstructions to autoencoding', arXiv:2102.08380"


# ---------------------------------------------------------------------------------------------
# shared pieces


def _fit(job: dict[str, Any]) -> dict[str, Any]:
    """Train one autoencoder ensemble and evaluate it: reconstruction errors (and optionally latent
    coordinates) of named point sets. A module-level function so that ``ctx.map`` can ship it.

    ``train`` and ``validation`` are (members, n, N), one sample per member; an evaluated set is
    (n, N), scored by every member, or (members, n, N), member i scoring its own set i. An optional
    ``pretrain`` (the keyword arguments of :func:`_fit_halves`) starts every member at a given chart
    before the autoencoder training, which is then the same as without it; the evaluated sets are
    also scored after the pretraining (``pretrained_loss:NAME``).

    The validation sets of the experiments are as large as their training sets, so that early stopping
    (which keeps the epoch of smallest validation loss) cannot favour a break inside a hole of a small
    validation sample. (A precaution: for the full ``ae-sphere-deadzone`` it changed nothing, the same
    tears and loss maxima appear with a fifth as many validation points.)"""
    import torch

    torch.set_num_threads(1)
    model = nets.AutoencoderEnsemble(job["n_members"], job["widths"], seed=job["seed"])
    out: dict[str, Any] = {}
    if "pretrain" in job:
        _fit_halves(model, **job["pretrain"])
        for name, points in job["evaluate"].items():
            out[f"pretrained_loss:{name}"] = model.reconstruction_error(points)
    epochs = job["epochs"]
    history = nets.train_autoencoders(
        model,
        job["train"],
        validation=job["validation"],
        epochs=epochs,
        batch_size=job["batch_size"],
        learning_rate=job["learning_rate"],
        schedule="cosine",
        patience=max(10, epochs // 4),
        seed=job["seed"] + 1,
    )
    out["best_validation_loss"] = history.best_validation_loss
    out["best_epoch"] = history.best_epoch
    out["train_loss"] = history.train_loss.mean(axis=1)
    for name, points in job["evaluate"].items():
        out[f"loss:{name}"] = model.reconstruction_error(points)
    for name in job.get("latent", ()):
        out[f"latent:{name}"] = model.latent(job["evaluate"][name]).astype(np.float32)
    return out


# plain minibatch SGD with momentum for the supervised pretraining of :func:`_fit_halves` (a smooth
# regression of a few outputs; these values converge within tens of epochs for tanh widths 32-64)
_PRETRAIN_LEARNING_RATE = 0.1
_PRETRAIN_MOMENTUM = 0.9


def _fit_halves(
    model: Any, points: Any, codes: Any, *, epochs: int, batch_size: int, seed: int
) -> tuple[Any, Any]:
    """Start every member of an :class:`~physml.nets.AutoencoderEnsemble` at a given chart: fit its
    encoder to the map ``points`` (n, N) ↦ ``codes`` (n, d) and its decoder to the inverse, ``codes`` ↦
    ``points``, each by supervised least squares (:func:`physml.nets.train_ensemble`, SGD with momentum,
    each member its own shuffling). Returns the two loss histories, each (epochs, members).

    Only a composition of the library's ensemble trainer with the ensemble's two halves (kept here
    because only the positive control of ``ae-clifford-torus`` needs it); if ``codes`` is not an
    injective function of ``points``, the decoder learns the conditional mean of the points instead."""
    import torch

    dtype = model.dtype
    x = torch.as_tensor(points, dtype=dtype)
    y = torch.as_tensor(codes, dtype=dtype)
    kw = dict(
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=_PRETRAIN_LEARNING_RATE,
        momentum=_PRETRAIN_MOMENTUM,
    )
    enc = nets.train_ensemble(model.encoder, x, y, seed=derive_seed(seed, "encoder"), **kw)
    dec = nets.train_ensemble(model.decoder, y, x, seed=derive_seed(seed, "decoder"), **kw)
    return enc, dec


def _per_member(draw: Any, n_members: int) -> Any:
    """One independent sample per member, stacked to (n_members, n, N): ``draw(i)`` is member i's
    sample, drawn from a seed of its own."""
    return np.stack([draw(i) for i in range(n_members)])


def _check_training(p: dict[str, Any]) -> None:
    check_int(p["n_members"], "n_members", low=2)
    check_int(p["epochs"], "epochs", low=1)
    check_int(p["batch_size"], "batch_size", low=1)
    check_real(p["learning_rate"], "learning_rate", low=0.0, low_open=True)
    if "hidden" in p:
        if not p["hidden"]:
            raise ValueError("hidden must list at least one hidden width")
        for i, h in enumerate(p["hidden"]):
            check_int(h, f"hidden[{i}]", low=1)
    for key in ("top_fraction", "cap_area"):
        if key in p:
            check_real(p[key], key, low=0.0, high=0.5, low_open=True)


def _top_fraction_in_cap(points: Any, radius: float, top_fraction: float) -> Callable[[Any], float]:
    """The fraction of the top losses in the densest cap of ``radius`` (``fraction_top`` of
    :func:`physml.nets.loss_concentration`) as a function of the losses at ``points``: the statistic
    whose shuffled-loss null (:func:`physml.stats.permutation_null`) is the baseline of no concentration."""
    return lambda losses: nets.loss_concentration(
        points, losses, radius=radius, top_fraction=top_fraction
    ).fraction_top


def _auc(signal: Any, background: Any) -> float:
    """ROC AUC of a score that should be larger for ``signal`` (physml.anomaly's, one implementation)."""
    return anomaly.roc_auc(np.r_[np.ones(len(signal)), np.zeros(len(background))], np.r_[signal, background])


# ---------------------------------------------------------------------------------------------
# ae-linear-pca


def _check_pca(p: dict[str, Any]) -> None:
    _check_training(p)
    n = check_int(p["n_features"], "n_features", low=2)
    check_int(p["latent_dim"], "latent_dim", low=1, high=n - 1)
    check_int(p["n_samples"], "n_samples", low=n + 1)
    check_real(p["max_angle"], "max_angle", low=0.0, low_open=True)


@experiment(
    "ae-linear-pca",
    claim="A tied-weight linear autoencoder x → Wᵀ(Wx + a) + c, trained to minimise the reconstruction "
    "error, recovers PCA: its weights span the top principal subspace (principal angles below 1e-2 rad), "
    "with orthonormal rows, and the bias removes the sample mean.",
    source=f"{WALSH}, slide 'Autoencoders: simplest autoencoder'; Baldi & Hornik, Neural Netw. 2 (1989) 53",
    quick=dict(
        n_features=8,
        latent_dim=3,
        n_samples=1000,
        n_members=6,
        epochs=600,
        batch_size=1000,
        learning_rate=0.1,
        max_angle=1e-2,
    ),
    full=dict(
        n_features=16,
        latent_dim=5,
        n_samples=2000,
        n_members=32,
        epochs=3000,
        batch_size=2000,
        learning_rate=0.1,
        max_angle=1e-2,
    ),
    tags=("nets", "autoencoder", "walsh"),
    validate=_check_pca,
)
def ae_linear_pca(
    ctx: Context,
    n_features: int,
    latent_dim: int,
    n_samples: int,
    n_members: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    max_angle: float,
) -> None:
    import torch

    torch.set_num_threads(1)
    rng = ctx.rng("data")
    # a Gaussian cloud with variances 2^-k along a random orthonormal frame, centred at a random point
    # (offsets much larger than the spread make gradient descent slow: the uncentred second moment then
    # dominates the weights' gradient; standardise such data first)
    variances = 2.0 ** -np.arange(n_features)
    frame, _ = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    offset = rng.standard_normal(n_features)
    x = (rng.standard_normal((n_samples, n_features)) * np.sqrt(variances)) @ frame.T + offset
    mean = x.mean(axis=0)
    cov = np.cov(x - mean, rowvar=False, bias=True)
    evals, evecs = np.linalg.eigh(cov)
    evals, evecs = evals[::-1], evecs[:, ::-1]
    pca_loss = float(evals[latent_dim:].sum() / n_features)  # per-feature mean squared error of PCA

    model = nets.TiedAutoencoderEnsemble(
        n_members, n_features, latent_dim, "linear", seed=ctx.seed_for("init"), dtype=torch.float64
    )
    history = nets.train_autoencoders(
        model,
        x,
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        schedule="cosine",
        patience=None,
        seed=ctx.seed_for("shuffle"),
    )
    w = model.weight.detach().numpy()  # (K, d, N)
    a = model.encoder_bias.detach().numpy()
    c = model.decoder_bias.detach().numpy()
    angles = np.array([nets.principal_angles(wi.T, evecs[:, :latent_dim]).max() for wi in w])
    ortho = np.array([np.abs(wi @ wi.T - np.eye(latent_dim)).max() for wi in w])
    loss = model.reconstruction_error(x).mean(axis=1) / n_features
    excess = loss / pca_loss - 1.0
    # x̂ = WᵀW x + Wᵀa + c should be x̄ + WᵀW(x − x̄): the biases remove the mean, Wᵀa + c = (1 − WᵀW) x̄
    centre_err = np.array(
        [
            np.linalg.norm(wi.T @ ai + ci - (np.eye(n_features) - wi.T @ wi) @ mean)
            for wi, ai, ci in zip(w, a, c, strict=True)
        ]
    ) / math.sqrt(variances.sum())

    ctx.check(
        "largest principal angle to the top PCA subspace, worst member (rad)",
        float(angles.max()),
        max_angle,
        uncertainty=float(angles.std(ddof=1)),
        comparison="at_most",
    )
    ctx.check(
        "max |WWᵀ − 1|, worst member (rows orthonormal)",
        float(ortho.max()),
        max_angle,
        uncertainty=float(ortho.std(ddof=1)),
        comparison="at_most",
    )
    ctx.check(
        "loss / PCA loss − 1, best member (Eckart-Young: never below 0)",
        float(excess.min()),
        -1e-9,
        uncertainty=float(excess.std(ddof=1)),
        comparison="at_least",
    )
    ctx.check(
        "loss / PCA loss − 1, worst member",
        float(excess.max()),
        max_angle,
        uncertainty=float(excess.std(ddof=1)),
        comparison="at_most",
    )
    ctx.check(
        "|Wᵀa + c − (1 − WᵀW) mean| / data scale, worst member (the biases remove the mean)",
        float(centre_err.max()),
        max_angle,
        uncertainty=float(centre_err.std(ddof=1)),
        comparison="at_most",
    )
    ctx.metric("principal_angles_rad", angles.tolist())
    ctx.metric("orthonormality_error", ortho.tolist())
    ctx.metric("loss_excess_over_pca", excess.tolist())
    ctx.metric("pca_loss_per_feature", pca_loss)
    ctx.metric("eigenvalues", evals.tolist())

    fig = ctx.new_figure(figsize=(9.0, 3.6))
    a, b = fig.subplots(1, 2)
    a.semilogy(np.maximum(history.train_loss / pca_loss - 1.0, 1e-16), lw=0.8)
    a.set(xlabel="epoch", ylabel="loss / PCA loss − 1", title=f"{n_members} tied linear autoencoders")
    b.semilogy(np.arange(n_members), angles, "o")
    b.axhline(max_angle, color="k", ls="--", lw=0.8)
    b.set(xlabel="member", ylabel="largest principal angle (rad)", title="angle to the PCA subspace")
    ctx.figure(fig, "pca")


# ---------------------------------------------------------------------------------------------
# ae-sphere-deadzone

# The "tear" of a circle's latent map is a steep stretch of the (continuous) encoder, a few tenths of
# a radian wide, where the latent coordinate sweeps its whole range; the loss maximum lies inside it.
TEAR_ARC = math.pi / 10


def _check_sphere(p: dict[str, Any]) -> None:
    _check_training(p)
    check_int(p["n_train"], "n_train", low=10)
    check_int(p["n_test"], "n_test", low=200)


@experiment(
    "ae-sphere-deadzone",
    claim="An autoencoder with latent dimension d trained on the uniformly sampled d-sphere (circle, sphere) "
    "must break its latent map somewhere: some perfectly normal points are reconstructed at least one "
    "radius away, the top-1% losses crowd into a small cap (far above a shuffled-loss baseline) whose "
    "position "
    "changes at random from seed to seed; on the circle the loss sits where the latent map tears. Without "
    "the "
    "obstruction (a circle with latent dimension 2) the latent map winds once and nothing is torn.",
    source=f"{KAHN}, slides 'Can an autoencoder learn a 2-sphere?'; {BHKR}",
    quick=dict(
        n_members=8,
        n_train=1000,
        n_test=4000,
        hidden=(32,),
        epochs=60,
        batch_size=100,
        learning_rate=1e-2,
        top_fraction=0.01,
        cap_area=0.02,
    ),
    full=dict(
        n_members=16,
        n_train=3000,
        n_test=20000,
        hidden=(64,),
        epochs=200,
        batch_size=128,
        learning_rate=3e-3,
        top_fraction=0.01,
        cap_area=0.02,
    ),
    tags=("nets", "autoencoder", "topology", "kahn"),
    validate=_check_sphere,
)
def ae_sphere_deadzone(
    ctx: Context,
    n_members: int,
    n_train: int,
    n_test: int,
    hidden: tuple[int, ...],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    top_fraction: float,
    cap_area: float,
) -> None:
    configs = (
        # name, sphere dimension, ambient dimension, latent dimension
        ("circle", 1, 2, 1),
        ("2-sphere", 2, 3, 2),
        ("circle, latent 2 (control)", 1, 3, 2),
    )
    # the control circle lies in one random plane of R³, the same for training, validation and test
    rot = np.linalg.qr(ctx.rng("control-plane").standard_normal((3, 3)))[0][:, :2]

    def points(n: int, dim: int, ambient: int, *key: Any) -> Any:
        x = data.sphere(n, dim, seed=ctx.seed_for(*key))
        return x if ambient == dim + 1 else x @ rot.T

    def samples(dim: int, ambient: int, key: str, name: str) -> Any:
        """A training (or validation) sample of its own for every member: each seed is an independent
        training, so the sample's own anisotropy cannot pick the same break for all of them."""
        return _per_member(lambda i: points(n_train, dim, ambient, key, name, i), n_members)

    jobs = [
        dict(
            n_members=n_members,
            widths=(ambient, *hidden, latent),
            epochs=epochs,
            batch_size=batch_size,
            learning_rate=learning_rate,
            seed=ctx.seed_for("init", name),
            train=samples(dim, ambient, "train", name),
            validation=samples(dim, ambient, "val", name),
            evaluate={"test": points(n_test, dim, ambient, "test", name)},
            latent=("test",),
        )
        for name, dim, ambient, latent in configs
    ]
    results = ctx.map(_fit, jobs, desc="ae-sphere-deadzone ensembles")
    z = sigma_multiple(7)
    summary: dict[str, Any] = {}
    fig = ctx.new_figure(figsize=(12.0, 3.6))
    axes = fig.subplots(1, 3)
    for (name, dim, _amb, latent), job, res in zip(configs, jobs, results, strict=True):
        test = job["evaluate"]["test"]
        losses = res["loss:test"]
        if name.startswith("circle, latent 2"):
            plane = test @ rot  # back to the plane of the circle
            angles = np.arctan2(plane[:, 1], plane[:, 0])
            order = np.argsort(angles)
            winding = np.array([nets.winding_number(zl[order]) for zl in res["latent:test"]])
            ok = np.abs(np.round(winding)) == 1
            summary[name] = {"winding": winding.tolist(), "max_loss": losses.max(axis=1).tolist()}
            ctx.check(
                f"{name}: fraction of members whose latent circle winds once",
                float(ok.mean()),
                1.0,
                uncertainty=stats.binomial_standard_error(ok.mean(), n_members),
                comparison="at_least",
            )
            m, se = stats.mean_standard_error(losses.max(axis=1))
            ctx.check(
                f"{name}: worst-point loss ||x̂ − x||² (no tear: far below a radius², 1)",
                m,
                0.25,
                uncertainty=se,
                tolerance=z * se,
                comparison="at_most",
            )
            axes[2].plot(*res["latent:test"][0][order].T, lw=0.6)
            axes[2].set(title=f"{name}:\nlatent circle of member 0", xlabel="y₁", ylabel="y₂")
            continue
        angle = scipy.optimize.brentq(lambda a, d=dim: nets.cap_fraction(d, a) - cap_area, 1e-9, math.pi)
        radius = 2 * math.sin(angle / 2)
        rng = ctx.rng("null", name)
        conc = [nets.loss_concentration(test, lm, radius=radius, top_fraction=top_fraction) for lm in losses]
        frac = np.array([c.fraction_top for c in conc])
        # the baseline: the same losses shuffled over the points once per member, from one stream
        in_cap = _top_fraction_in_cap(test, radius, top_fraction)
        null = np.array([stats.permutation_null(in_cap, lm, n_permutations=1, seed=rng)[0] for lm in losses])
        worst = losses.max(axis=1)
        centres = np.array([c.centre for c in conc])
        rayleigh = stats.rayleigh_test(centres).statistic
        m, se = stats.mean_standard_error(worst)
        ctx.check(
            f"{name}: worst-point loss ||x̂ − x||² on uniform data (≥ 1: reconstructed a radius away)",
            m,
            1.0,
            uncertainty=se,
            tolerance=z * se,
            comparison="at_least",
        )
        m, se = stats.mean_standard_error(frac - null)
        ctx.check(
            f"{name}: top-{top_fraction:.0%} losses in a {cap_area:.0%}-area cap minus the shuffled baseline "
            f"(> {z:.1f} standard errors)",
            m,
            z * se,
            uncertainty=se,
            comparison="at_least",
        )
        q = float(scipy.stats.chi2.isf(1e-3, dim + 1))
        ctx.check(
            f"{name}: Rayleigh statistic of the loss-maximum positions over seeds (≤ χ²_{dim + 1} 99.9%: "
            "uniformly scattered)",
            rayleigh,
            q,
            comparison="at_most",
        )
        entry = {
            "cap_angle_rad": angle,
            "fraction_top_in_cap": frac.tolist(),
            "fraction_shuffled": null.tolist(),
            "fraction_all_in_cap": [c.fraction_all for c in conc],
            "point_like_members": int(np.sum(frac >= 0.5)),
            "worst_loss": worst.tolist(),
            "median_loss": np.median(losses, axis=1).tolist(),
            "loss_max_positions": centres.tolist(),
            "rayleigh": rayleigh,
        }
        # where each member breaks: near the smallest-variance principal axis of its own training sample
        # (the direction that costs least to flatten, as for PCA)? |cos| of the angle between the break
        # and that axis, against the other members' axes and a uniform direction, Γ(D/2)/(√π Γ((D+1)/2))
        own_axes = np.array([geometry.principal_axes(xi)[1][-1] for xi in job["train"]])
        alignment = stats.axial_alignment(centres, own_axes)
        entry["break_alignment_own_sample_axis"] = alignment.matched.tolist()
        entry["break_alignment_other_members_axes"] = alignment.mismatched_mean
        entry["break_alignment_uniform"] = alignment.uniform_mean
        if dim == 1:
            angles = np.arctan2(test[:, 1], test[:, 0])
            tears, hits = [], []
            for lm, zl in zip(losses, res["latent:test"], strict=True):
                tear, ratio = nets.latent_tear(angles, zl)
                tears.append((tear, ratio))
                hits.append(nets.top_loss_gap(angles, lm, tear, top_fraction=top_fraction) <= TEAR_ARC)
            hits = np.array(hits, dtype=float)
            entry["tear_angle_and_jump_ratio"] = tears
            ctx.check(
                f"{name}: fraction of members whose latent tear lies within π/10 rad of a top-loss point "
                "(by chance: ~0.2)",
                float(hits.mean()),
                1.0,
                uncertainty=stats.binomial_standard_error(hits.mean(), n_members),
                tolerance=0.25,
                comparison="at_least",
            )
        summary[name] = entry
        ax = axes[dim - 1]
        ax.hist(np.log10(losses.ravel() + 1e-12), bins=60, histtype="step", color="k")
        ax.set(
            yscale="log",
            xlabel="log₁₀ reconstruction error",
            ylabel="test points (all members)",
            title=f"{name}, latent {latent}:\ntop-1% in cap {frac.mean():.2f} (shuffled {null.mean():.2f})",
        )
    ctx.metric("configurations", summary)
    ctx.metric("sigma_multiple", z)
    ctx.figure(fig, "deadzone")


# ---------------------------------------------------------------------------------------------
# ae-excised-equator


def _check_equator(p: dict[str, Any]) -> None:
    _check_sphere(p)
    check_real(p["band_spacings"], "band_spacings", low=0.0, low_open=True)
    band = p["band_spacings"] * geometry.sphere_nearest_neighbor(p["n_train"]).spacing
    if band >= 0.9:
        raise ValueError(
            f"band_spacings={p['band_spacings']} gives a band half-width {band:.3g} for "
            f"n_train={p['n_train']}; it must stay below 0.9"
        )
    for i, b in enumerate(p["scan_bands"]):
        check_real(b, f"scan_bands[{i}]", low=0.0, high=0.9)
    check_real(p["max_auc"], "max_auc", low=0.5, high=1.0)


@experiment(
    "ae-excised-equator",
    claim="An autoencoder (latent dimension 2) trained on the 2-sphere with its equator excised (a band "
    "as narrow as the training sample's nearest-neighbour distance, so that the equator is absent from the "
    "training data but no macroscopic region is) interpolates through it: the ROC AUC of the reconstruction "
    "error for equator points against held-out normal points stays near 0.5, far from a useful anomaly "
    "tag, and the few equator points it does flag crowd near one point.",
    source=f"{KAHN}, slides '\"Anomalous\" submanifolds: unit sphere, excised equator'; {BHKR}",
    quick=dict(
        n_members=8,
        n_train=1500,
        n_test=4000,
        hidden=(32,),
        epochs=60,
        batch_size=100,
        learning_rate=1e-2,
        band_spacings=1.0,
        scan_bands=(0.0, 0.3),
        top_fraction=0.05,
        cap_area=0.05,
        max_auc=0.75,
    ),
    full=dict(
        n_members=16,
        n_train=3000,
        n_test=10000,
        hidden=(64,),
        epochs=200,
        batch_size=128,
        learning_rate=3e-3,
        band_spacings=1.0,
        scan_bands=(0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3),
        top_fraction=0.05,
        cap_area=0.05,
        max_auc=0.75,
    ),
    tags=("nets", "autoencoder", "topology", "anomaly", "kahn"),
    validate=_check_equator,
)
def ae_excised_equator(
    ctx: Context,
    n_members: int,
    n_train: int,
    n_test: int,
    hidden: tuple[int, ...],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    band_spacings: float,
    scan_bands: tuple[float, ...],
    top_fraction: float,
    cap_area: float,
    max_auc: float,
) -> None:
    """The talk excises the equator, a 1-dimensional submanifold of zero area, which a finite sample from
    the whole sphere does not contain either: what the training data can register of an excision is a band
    at least as wide as its own resolution. The band of the claim is the narrowest excision at that
    resolution, half-width ``band_spacings`` (1 by default) times the mean nearest-neighbour distance of the
    training sample, sqrt(π/n_train) (0.032 for 3000 points). Every equator point is then at least as far
    from the training data as a typical point of the sphere is from its nearest sample point, the band's
    full width sqrt(4π/n_train) is the side of the area per training point, and it removes a fraction
    equal to the half-width of the sphere's area (Archimedes): the equator is absent, no macroscopic region
    is. (A wide band, e.g. |z| < 0.2, removes 20% of the area and leaves two well separated discs, a
    different question.) How the answer depends on the band is measured by a scan over ``scan_bands``
    (0 = nothing excised, the reference): every band trains its own ``n_members`` members, all bands in
    one batched ensemble, every member on its own sample."""
    spacing = geometry.sphere_nearest_neighbor(n_train)
    band = band_spacings * spacing.spacing
    bands = [band] + sorted({float(b) for b in scan_bands} - {band})
    t = 2 * math.pi * ctx.rng("equator").random(n_test)
    equator = np.column_stack([np.cos(t), np.sin(t), np.zeros(n_test)])

    def draw(n: int, key: str) -> Any:
        """For every band, one sample per member from its own seed: (n_bands * n_members, n, 3)."""
        return np.concatenate(
            [
                _per_member(
                    lambda i, b=b: data.excised_sphere(n, 2, band=b, seed=ctx.seed_for(key, f"{b:.6g}", i)),
                    n_members,
                )
                for b in bands
            ]
        )

    train = draw(n_train, "train")
    job = dict(
        n_members=n_members * len(bands),
        widths=(3, *hidden, 2),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=ctx.seed_for("init"),
        train=train,
        validation=draw(n_train, "val"),
        evaluate={"normal": draw(n_test, "test"), "equator": equator},
    )
    [res] = ctx.map(_fit, [job], desc="ae-excised-equator ensembles (all bands)")

    def of_band(j: int, key: str) -> Any:
        return res[key][j * n_members : (j + 1) * n_members]

    aucs_by_band = np.array(
        [
            [_auc(e, n) for e, n in zip(of_band(j, "loss:equator"), of_band(j, "loss:normal"), strict=True)]
            for j in range(len(bands))
        ]
    )  # (n_bands, n_members)
    loss_equator, loss_normal = of_band(0, "loss:equator"), of_band(0, "loss:normal")
    aucs = aucs_by_band[0]
    z = sigma_multiple(2)
    m, se = stats.mean_standard_error(aucs)
    ctx.check(
        f"ROC AUC of the loss, equator vs held-out normal points, band |z| < {band:.3f} (the training "
        f"sample's nearest-neighbour distance; mean over seeds; ≤ {max_auc}: not flagged)",
        m,
        max_auc,
        uncertainty=se,
        tolerance=z * se,
        comparison="at_most",
    )
    # the flagged equator points: the top losses along the equator, concentrated in one arc?
    # (an arc of half-width π·cap_area holds cap_area of the circle: a chord 2 sin(π cap_area / 2))
    chord = 2 * math.sin(math.pi * cap_area / 2)
    fracs = np.array(
        [
            nets.loss_concentration(equator, le, radius=chord, top_fraction=top_fraction).fraction_top
            for le in loss_equator
        ]
    )
    m, se = stats.mean_standard_error(fracs)
    ctx.check(
        f"top-{top_fraction:.0%} equator losses within one arc holding {cap_area:.0%} of the equator "
        f"(minus {2 * cap_area:.0%}, the most a scattered set could reach by chance; > 0 means one isolated "
        "spot)",
        m - 2 * cap_area,
        z * se,
        uncertainty=se,
        comparison="at_least",
    )

    # the scan: where does interpolation give way to flagging?
    order = np.argsort(bands)
    scan_b = np.array(bands)[order]
    scan_auc = aucs_by_band[order]
    mean_auc = scan_auc.mean(axis=1)
    se_auc = scan_auc.std(axis=1, ddof=1) / math.sqrt(n_members)
    # a member flags the equator when its AUC exceeds max_auc; the members split (some interpolate, some
    # separate the caps), so the transition is located on the fraction that flags, not on the mean AUC
    n_flagging = (scan_auc > max_auc).sum(axis=1)
    onset = stats.flagging_onset(scan_b, n_flagging, n_members) if len(scan_b) > 1 else None
    nn = scipy.spatial.cKDTree(train[0]).query(train[0], k=2)[0][:, 1]  # member 0 of the claim's band
    ctx.metric("band", band)
    ctx.metric("nearest_neighbour_distance_formula", spacing.spacing)
    ctx.metric("nearest_neighbour_distance_exact_mean", spacing.mean)
    ctx.metric("nearest_neighbour_distance_member0_sample", float(nn.mean()))
    ctx.metric("auc_per_member", aucs.tolist())
    ctx.metric("top_equator_fraction_in_arc", fracs.tolist())
    ctx.metric("median_loss_normal", np.median(loss_normal, axis=1).tolist())
    ctx.metric("median_loss_equator", np.median(loss_equator, axis=1).tolist())
    ctx.metric(
        "scan",
        {
            "band": scan_b.tolist(),
            "area_fraction_removed": scan_b.tolist(),
            "auc_mean": mean_auc.tolist(),
            "auc_se": se_auc.tolist(),
            "fraction_of_members_flagging": (scan_auc > max_auc).mean(axis=1).tolist(),
            "auc_per_member": scan_auc.tolist(),
            "median_loss_equator": [
                float(np.median(of_band(int(j), "loss:equator"))) for j in order
            ],
            "median_loss_normal": [float(np.median(of_band(int(j), "loss:normal"))) for j in order],
        },
    )
    ctx.metric(
        "flagging_midpoint",
        None
        if onset is None
        else {
            "b50": onset.midpoint,
            "width": onset.width,
            "b50_low": onset.midpoint_low,
            "b50_high": onset.midpoint_high,
        },
    )
    ctx.metric("sigma_multiple", z)

    fig = ctx.new_figure(figsize=(14.0, 3.8))
    a, b, c = fig.subplots(1, 3)
    bins = np.linspace(-7, 1, 60)
    a.hist(np.log10(loss_normal[0] + 1e-12), bins=bins, density=True, histtype="step", label="normal")
    a.hist(np.log10(loss_equator[0] + 1e-12), bins=bins, density=True, histtype="step", label="equator")
    a.set(xlabel="log₁₀ reconstruction error", ylabel="density", title=f"member 0, band |z| < {band:.3f}")
    a.legend()
    by_t = np.argsort(t)
    for le in loss_equator[:4]:
        b.semilogy(t[by_t], le[by_t], lw=0.6)
    b.set(
        xlabel="azimuth on the equator (rad)", ylabel="reconstruction error", title="loss along the equator"
    )
    jitter = 0.003 * (np.arange(n_members) - n_members / 2) / n_members
    for k, bk in enumerate(scan_b):
        c.plot(bk + jitter, scan_auc[k], ".", color="0.6", ms=3)
    c.errorbar(scan_b, mean_auc, yerr=se_auc, fmt="o-", color="k", ms=4, label="mean ± s.e. over seeds")
    flagging = n_flagging / n_members
    c.plot(scan_b, flagging, "s", color="C1", ms=4, label=f"fraction of seeds with AUC > {max_auc}")
    if onset is not None:
        fine = np.linspace(scan_b.min(), scan_b.max(), 200)
        c.plot(fine, onset.probability(fine), color="C1", ls="--", lw=0.8, label="logistic fit")
    c.axhline(max_auc, color="r", ls="--", lw=0.8, label=f"claim bound {max_auc}")
    c.axhline(0.5, color="0.5", ls=":", lw=0.8)
    c.axvline(band, color="b", lw=0.8, label="nearest-neighbour distance")
    c.set(
        xlabel="band half-width (= area fraction removed)", ylabel="AUC, equator vs normal", ylim=(0, 1.02)
    )
    half = "" if onset is None else f"\nhalf the seeds flag at b = {onset.midpoint:.3f}"
    c.set_title("interpolation vs flagging" + half)
    c.legend(fontsize=7)
    ctx.figure(fig, "equator")


# ---------------------------------------------------------------------------------------------
# ae-phase-space


def _check_phase_space(p: dict[str, Any]) -> None:
    _check_sphere(p)
    check_int(p["latent_dim"], "latent_dim", low=1, high=11)
    lo = check_real(p["signal_low"], "signal_low", low=0.0, high=1.0)
    hi = check_real(p["signal_high"], "signal_high", low=0.0, high=1.0)
    if hi <= lo:
        raise ValueError(f"signal_high must exceed signal_low, got {lo} and {hi}")
    check_real(p["max_auc"], "max_auc", low=0.5, high=1.0)


@experiment(
    "ae-phase-space",
    claim="An autoencoder with latent dimension 5 trained on the four-vectors of uniform massless 3-body "
    "phase space (a 5-sphere) puts its loss maximum at a generic interior point of the Dalitz plot, at a "
    "position "
    "that "
    "changes from seed to seed, though nothing there is anomalous; in the bump-hunt cartoon (a signal band "
    "of "
    "m₁₂² excised from training) pure signal is not separated from background.",
    source=f"{KAHN}, slides 'Autoencoding phase space', 'Failure of a bump hunt'; {BHKR}",
    quick=dict(
        n_members=6,
        n_train=2000,
        n_test=4000,
        hidden=(32, 32),
        latent_dim=5,
        # 30 epochs left the networks undertrained, with their loss maxima at the Dalitz edges
        # (quantile 0.13); 150 epochs (early stopping may end sooner) show the trained behaviour
        epochs=150,
        batch_size=100,
        learning_rate=1e-2,
        top_fraction=0.01,
        signal_low=0.3,
        signal_high=0.4,
        max_auc=0.75,
    ),
    full=dict(
        n_members=16,
        n_train=10000,
        n_test=20000,
        hidden=(64, 64),
        latent_dim=5,
        epochs=150,
        batch_size=256,
        learning_rate=3e-3,
        top_fraction=0.01,
        signal_low=0.3,
        signal_high=0.4,
        max_auc=0.75,
    ),
    tags=("nets", "autoencoder", "topology", "anomaly", "phase-space", "kahn"),
    validate=_check_phase_space,
)
def ae_phase_space(
    ctx: Context,
    n_members: int,
    n_train: int,
    n_test: int,
    hidden: tuple[int, ...],
    latent_dim: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    top_fraction: float,
    signal_low: float,
    signal_high: float,
    max_auc: float,
) -> None:
    def events(n: int, *key: Any) -> tuple[Any, Any]:
        p = data.phase_space(n, 3, 1.0, seed=ctx.seed_for(*key))
        return p.reshape(n, 12), p

    def split(n: int, *key: Any) -> tuple[Any, Any]:
        """n events outside and n inside the signal band (uniform phase space restricted to each),
        drawn in chunks until both have n."""
        outside, inside, n_out, n_in, chunk = [], [], 0, 0, 0
        while n_out < n or n_in < n:
            flat, p = events(int(n / min(signal_high - signal_low, 0.5)) * 3 + 100, *key, chunk)
            m12 = data.invariant_mass_squared(p, (0, 1))
            band = (m12 >= signal_low) & (m12 < signal_high)
            outside.append(flat[~band])
            inside.append(flat[band])
            n_out, n_in, chunk = n_out + int((~band).sum()), n_in + int(band.sum()), chunk + 1
        return np.concatenate(outside)[:n], np.concatenate(inside)[:n]

    def sidebands(n: int, *key: Any) -> Any:
        """n events outside the signal band, drawn in chunks until there are n."""
        kept, have, chunk = [], 0, 0
        while have < n:
            flat, p = events(n + n // 2 + 100, *key, chunk)
            m12 = data.invariant_mass_squared(p, (0, 1))
            kept.append(flat[(m12 < signal_low) | (m12 >= signal_high)])
            have, chunk = have + len(kept[-1]), chunk + 1
        return np.concatenate(kept)[:n]

    # a training and a validation sample of its own for every member (independent trainings)
    x_train = _per_member(lambda i: events(n_train, "train", i)[0], n_members)
    x_val = _per_member(lambda i: events(n_train, "val", i)[0], n_members)
    x_test, p_test = events(n_test, "test")
    side_train = _per_member(lambda i: sidebands(n_train, "bump-train", i), n_members)
    side_val = _per_member(lambda i: sidebands(n_train, "bump-val", i), n_members)
    background, signal = split(n_test // 2, "bump-test")
    common = dict(
        n_members=n_members,
        widths=(12, *hidden, latent_dim),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
    )
    jobs = [
        dict(
            common,
            seed=ctx.seed_for("init", "uniform"),
            train=x_train,
            validation=x_val,
            evaluate={"test": x_test},
        ),
        dict(
            common,
            seed=ctx.seed_for("init", "bump"),
            train=side_train,
            validation=side_val,
            evaluate={"signal": signal, "background": background},
        ),
    ]
    uniform, bump = ctx.map(_fit, jobs, desc="ae-phase-space ensembles")
    z = sigma_multiple(3)

    # where is the loss maximum? Dalitz position of each member's worst event
    x_frac = 2.0 * p_test[..., 0]  # energy fractions (√s = 1)
    worst = np.argmax(uniform["loss:test"], axis=1)
    quantile = data.dalitz_boundary_quantile(p_test[worst])
    top_quantiles = np.array(
        [
            data.dalitz_boundary_quantile(p_test[nets.top_loss_indices(lm, top_fraction)]).mean()
            for lm in uniform["loss:test"]
        ]
    )
    m, se = stats.mean_standard_error(quantile)
    se_null = 1.0 / math.sqrt(12.0 * n_members)  # a uniform quantile has variance 1/12
    ctx.check(
        "boundary-distance quantile of the loss maximum in the Dalitz plot (0.5: a generic point; 0: the "
        "edge)",
        m,
        0.5,
        uncertainty=se,
        tolerance=z * max(se, se_null),
    )
    centres = data.phase_space_to_sphere(p_test[worst])
    rayleigh = stats.rayleigh_test(centres).statistic
    q = float(scipy.stats.chi2.isf(1e-3, centres.shape[1]))
    ctx.check(
        "Rayleigh statistic of the loss-maximum positions on S⁵ over seeds (≤ χ²_6 99.9%: scattered)",
        rayleigh,
        q,
        comparison="at_most",
    )
    aucs = np.array(
        [_auc(s, b) for s, b in zip(bump["loss:signal"], bump["loss:background"], strict=True)]
    )
    m, se = stats.mean_standard_error(aucs)
    ctx.check(
        f"bump hunt: ROC AUC of the loss, signal band ({signal_low} ≤ m₁₂²/s < {signal_high}) vs sidebands "
        f"(≤ {max_auc}: not separated)",
        m,
        max_auc,
        uncertainty=se,
        tolerance=z * se,
        comparison="at_most",
    )
    ctx.metric("loss_max_boundary_quantile", quantile.tolist())
    ctx.metric("top_losses_mean_boundary_quantile", top_quantiles.tolist())
    ctx.metric("loss_max_energy_fractions", x_frac[worst].tolist())
    ctx.metric("worst_loss", uniform["loss:test"].max(axis=1).tolist())
    ctx.metric("median_loss", np.median(uniform["loss:test"], axis=1).tolist())
    ctx.metric("bump_auc_per_member", aucs.tolist())
    ctx.metric("rayleigh", rayleigh)
    ctx.metric("sigma_multiple", z)

    fig = ctx.new_figure(figsize=(10.0, 3.8))
    a, b = fig.subplots(1, 2)
    lm = uniform["loss:test"][0]
    sc = a.scatter(x_frac[:, 0], x_frac[:, 1], c=np.log10(lm), s=1, cmap="viridis")
    a.plot(x_frac[worst, 0], x_frac[worst, 1], "r+", ms=8, label="loss maximum of each seed")
    a.set(xlabel="x₁ = 2E₁/√s", ylabel="x₂ = 2E₂/√s", title="log₁₀ loss over the Dalitz plot (member 0)")
    a.legend(fontsize=7)
    fig.colorbar(sc, ax=a)
    bins = np.linspace(
        np.log10(bump["loss:background"].min() + 1e-12), np.log10(bump["loss:background"].max()), 50
    )
    b.hist(
        np.log10(bump["loss:background"].ravel()), bins=bins, density=True, histtype="step", label="sidebands"
    )
    b.hist(np.log10(bump["loss:signal"].ravel()), bins=bins, density=True, histtype="step", label="signal")
    b.set(
        yscale="log",
        xlabel="log₁₀ reconstruction error",
        ylabel="density (all members)",
        title=f"bump hunt: AUC {aucs.mean():.2f} ± {aucs.std(ddof=1) / math.sqrt(n_members):.2f}",
    )
    b.legend()
    ctx.figure(fig, "phase-space")


# ---------------------------------------------------------------------------------------------
# ae-clifford-torus


_TORUS_CHARTS = ("donut", "circle")


def _torus_chart(x: Any, chart: str) -> Any:
    """A map of the Clifford torus points x = (cos θ, sin θ, cos φ, sin φ)/√2, shape (n, 4), to R³.

    ``"donut"``: the standard embedding ((R + r cos φ) cos θ, (R + r cos φ) sin θ, r sin φ) with
    R = 1, r = 1/2, injective (an embedding of T² in R³). ``"circle"``: (cos θ, sin θ, 0), which forgets
    φ (not injective; for the broken control)."""
    theta = np.arctan2(x[:, 1], x[:, 0])
    phi = np.arctan2(x[:, 3], x[:, 2])
    if chart == "donut":
        rho = 1.0 + 0.5 * np.cos(phi)
        return np.column_stack([rho * np.cos(theta), rho * np.sin(theta), 0.5 * np.sin(phi)])
    if chart == "circle":
        return np.column_stack([np.cos(theta), np.sin(theta), np.zeros_like(theta)])
    raise ValueError(f"unknown chart {chart!r}; expected one of {_TORUS_CHARTS}")


def _check_torus(p: dict[str, Any]) -> None:
    _check_training(p)
    check_int(p["n_train"], "n_train", low=10)
    check_int(p["grid"], "grid", low=8)
    check_real(p["tear_threshold"], "tear_threshold", low=0.0, low_open=True)
    check_real(p["max_found_fraction"], "max_found_fraction", low=0.0, high=1.0)
    check_int(p["n_control"], "n_control", low=1)
    check_int(p["control_pretrain_epochs"], "control_pretrain_epochs", low=1)
    check_choice(p["control_chart"], "control_chart", _TORUS_CHARTS)
    check_real(p["min_control_found"], "min_control_found", low=0.0, high=1.0)


@experiment(
    "ae-clifford-torus",
    claim="Autoencoders with a 3-dimensional latent space trained on the Clifford torus in R⁴ rarely find "
    "the donut embedding that exists: most seeds end in a poor minimum whose latent map folds the torus, "
    "leaving "
    "points reconstructed far away (the fraction of seeds that find it is below one half).",
    source=f"{KAHN}, slides 'Can an autoencoder learn the correct \"donut\" embedding in R³?'; {BHKR}",
    quick=dict(
        n_members=8,
        n_train=1200,
        hidden=(32, 32),
        epochs=60,
        batch_size=100,
        learning_rate=1e-2,
        grid=40,
        tear_threshold=0.05,
        max_found_fraction=0.5,
        n_control=4,
        control_pretrain_epochs=20,
        control_chart="donut",
        min_control_found=0.75,
    ),
    full=dict(
        n_members=64,
        n_train=4000,
        hidden=(64, 64),
        epochs=300,
        batch_size=256,
        learning_rate=3e-3,
        grid=100,
        tear_threshold=0.05,
        max_found_fraction=0.5,
        n_control=4,
        control_pretrain_epochs=50,
        control_chart="donut",
        min_control_found=0.75,
    ),
    tags=("nets", "autoencoder", "topology", "kahn"),
    validate=_check_torus,
)
def ae_clifford_torus(
    ctx: Context,
    n_members: int,
    n_train: int,
    hidden: tuple[int, ...],
    epochs: int,
    batch_size: int,
    learning_rate: float,
    grid: int,
    tear_threshold: float,
    max_found_fraction: float,
    n_control: int,
    control_pretrain_epochs: int,
    control_chart: str,
    min_control_found: float,
) -> None:
    # (cos θ, sin θ, cos φ, sin φ)/√2 on a grid that covers the whole torus
    th, ph = np.meshgrid(
        np.linspace(0, 2 * math.pi, grid, endpoint=False),
        np.linspace(0, 2 * math.pi, grid, endpoint=False),
        indexing="ij",
    )
    on_grid = np.column_stack(
        [np.cos(th.ravel()), np.sin(th.ravel()), np.cos(ph.ravel()), np.sin(ph.ravel())]
    )
    on_grid /= math.sqrt(2.0)
    job = dict(
        n_members=n_members,
        widths=(4, *hidden, 3),
        epochs=epochs,
        batch_size=batch_size,
        learning_rate=learning_rate,
        seed=ctx.seed_for("init"),
        train=_per_member(
            lambda i: data.clifford_torus(n_train, 2, seed=ctx.seed_for("train", i)), n_members
        ),
        validation=_per_member(
            lambda i: data.clifford_torus(n_train, 2, seed=ctx.seed_for("val", i)), n_members
        ),
        evaluate={"grid": on_grid},
        latent=("grid",),
    )
    # The positive control: n_control further members (own initialisations and samples) whose encoder is
    # first fitted to an explicit chart of the torus in R³ (the donut) and whose decoder to its inverse,
    # then trained as an autoencoder exactly like the members above. If they pass the test below, the
    # architecture can represent the embedding, the training keeps it, and the test recognises it.
    pretrain_points = data.clifford_torus(n_train, 2, seed=ctx.seed_for("pretrain", "control"))
    control = dict(
        job,
        n_members=n_control,
        seed=ctx.seed_for("init", "control"),
        train=_per_member(
            lambda i: data.clifford_torus(n_train, 2, seed=ctx.seed_for("train", "control", i)), n_control
        ),
        validation=_per_member(
            lambda i: data.clifford_torus(n_train, 2, seed=ctx.seed_for("val", "control", i)), n_control
        ),
        pretrain=dict(
            points=pretrain_points,
            codes=_torus_chart(pretrain_points, control_chart),
            epochs=control_pretrain_epochs,
            batch_size=batch_size,
            seed=ctx.seed_for("pretrain-sgd", "control"),
        ),
    )
    res, ctl = ctx.map(_fit, [job, control], desc="ae-clifford-torus ensemble and control")
    # The test: decoder ∘ encoder = identity on the torus forces the encoder to be injective, i.e. an
    # embedding of T² in R³ (the donut). A member "finds the donut" when every grid point of the torus is
    # reconstructed to within tear_threshold (squared distance; the torus has diameter² 2): a fold or tear
    # of the latent map conflates distant points and reconstructs some of them far away.
    worst = res["loss:grid"].max(axis=1)
    found = worst < tear_threshold
    f = float(found.mean())
    se = stats.binomial_standard_error(f, n_members, one_count_floor=True)
    ctx.check(
        "fraction of seeds that find the donut embedding (every torus point reconstructed within the "
        "threshold)",
        f,
        max_found_fraction,
        uncertainty=se,
        comparison="at_most",
    )
    control_worst = ctl["loss:grid"].max(axis=1)
    control_found = control_worst < tear_threshold
    fc = float(control_found.mean())
    ctx.check(
        f"positive control: fraction of {n_control} members started at the {control_chart} chart, then "
        "trained as the others, that pass the same test",
        fc,
        min_control_found,
        uncertainty=stats.binomial_standard_error(fc, n_control, one_count_floor=True),
        comparison="at_least",
    )
    ctx.metric("worst_grid_loss", worst.tolist())
    ctx.metric("found", found.tolist())
    ctx.metric("median_grid_loss", np.median(res["loss:grid"], axis=1).tolist())
    ctx.metric("best_validation_loss", res["best_validation_loss"].tolist())
    ctx.metric("control_worst_grid_loss", control_worst.tolist())
    ctx.metric("control_median_grid_loss", np.median(ctl["loss:grid"], axis=1).tolist())
    ctx.metric("control_worst_grid_loss_after_pretraining", ctl["pretrained_loss:grid"].max(axis=1).tolist())
    ctx.metric("control_best_epoch", ctl["best_epoch"].tolist())
    # the grid is uniform on the torus, so its mean loss estimates each member's expected loss: whether the
    # donut is a deeper minimum than the ones the ordinary members end in
    ctx.metric("mean_grid_loss", res["loss:grid"].mean(axis=1).tolist())
    ctx.metric("control_mean_grid_loss", ctl["loss:grid"].mean(axis=1).tolist())
    ctx.metric("control_best_validation_loss", ctl["best_validation_loss"].tolist())

    fig = ctx.new_figure(figsize=(16.0, 3.8))
    a, b, c, d = fig.subplots(1, 4)
    a.semilogy(np.sort(worst), "o", label="members")
    a.semilogy(np.sort(control_worst), "s", label=f"control ({control_chart} start)")
    a.axhline(tear_threshold, color="k", ls="--", lw=0.8)
    a.set(
        xlabel="member (sorted)",
        ylabel="worst grid loss",
        title=f"donut found by {found.sum()}/{n_members}, control {control_found.sum()}/{n_control}",
    )
    a.legend(fontsize=7)
    shown = (
        (b, res, int(np.argmin(worst)), "best member"),
        (c, res, int(np.argmax(worst)), "worst member"),
        (d, ctl, int(np.argmax(control_worst)), "worst control member"),
    )
    log_loss = [np.log10(r["loss:grid"][k] + 1e-12) for _, r, k, _ in shown]
    lo, hi = min(v.min() for v in log_loss), max(v.max() for v in log_loss)
    for (ax, r, k, label), colour in zip(shown, log_loss, strict=True):
        lat = r["latent:grid"][k]
        sc = ax.scatter(lat[:, 0], lat[:, 1], c=colour, s=2, cmap="viridis", vmin=lo, vmax=hi)
        ax.set(xlabel="y₁", ylabel="y₂", title=f"{label}: latent (y₁, y₂)")
    fig.colorbar(sc, ax=d, label="log₁₀ grid loss (same scale in the three panels)")
    ctx.figure(fig, "clifford")
