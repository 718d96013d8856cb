"""The weakly supervised sliding-window hunt: a bump hunt in mjj after a selection that the data
teach, window by window, with a global p-value calibrated for the whole procedure.

For each signal region (SR: ``window_bins`` bins of the log-uniform mjj binning, sliding one bin
at a time, ``sideband_bins`` bins of sideband either side) the method learns from the data alone
which events look unlike the background:

- ``"cwola"`` (CWoLa hunting; Collins, Howe & Nachman, PRL 121, 241803 (2018)): a classifier of
  SR against sideband events, trained k-fold.
- ``"cathode"`` (Hallin et al., arXiv:2109.00546): a conditional density fitted on the sidebands,
  sampled into the SR, and a k-fold classifier of SR data against the samples.
- ``"anode"`` (Nachman & Shih, PRD 101, 075042 (2020)): ln p_SR(x|m) − ln p_SB(x|m), both
  densities refitted k-fold.

No event is scored by a model that saw it: SR and sideband events get out-of-fold scores; events
outside the window get the mean of the fold models (they trained none of them). Before training,
the features are decorrelated from mjj (``decorrelate=True``): each feature (its logarithm where
it is positive) loses the linear trend in ln mjj fitted on the window's sideband events, so that
a jet mass growing with mjj cannot teach the classifier the SR's mass range. The selection keeps
the events whose score exceeds the (1 − ε) quantile of the sideband events' scores, for each
efficiency ε in ``efficiencies``; the dijet function is fitted to the selected mjj spectrum with
the SR bins masked, and the SR count is compared with the fitted background (local Z, Cowan
2012). The test statistic is the largest local Z over every window and efficiency.

Global p-value. The largest local Z is compared with its distribution over background-only
*surrogates* analysed by the same whole procedure (every window, every efficiency, the training
itself): each surrogate keeps the data's feature rows but draws their mjj afresh from the smooth
dijet-function fit to the data's whole spectrum (as many events as the data), so the features are
independent of mjj and the spectrum holds no bump: exactly the null hypothesis that the weakly
supervised methods test (their premise is that the background features do not depend on mjj
inside a window). p = (1 + #{Z_max^surrogate ≥ Z_max}) / (1 + n_pseudo); when no surrogate
reaches the observed value it is extrapolated with the trials factor measured at the surrogates'
median (as in :func:`physml.anomaly.bump_hunt`) and flagged. A background whose features depend
on mjj beyond the linear trend is not in this null; the sculpting measure and the false-positive
rate on signal-free boxes (experiment ``lhco-weak-hunt``) check that.

Sculpting. Selecting on a background-only sample must not make a bump. Every surrogate's local Z
values (all windows and efficiencies) are pooled: their mean should be 0 and the fraction above
Z = 2 near 2.3%; a mean above 0.5 is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from physml._core import check_array, check_choice, check_int, check_real, spawn_seeds
from physml.anomaly._bumphunt import (
    BinningError,
    dijet_bins,
    fit_dijet_histogram,
    hunt_answer,
    local_significance,
)
from physml.anomaly._densities import SidebandInterpolation
from physml.anomaly._scorers import AnodeScorer
from physml.anomaly._training import make_classifier, sample_weight_kwargs, signal_probability
from physml.parallel import InlineExecutor

__all__ = ["WEAK_METHODS", "WeakHunt", "hunt_classifier", "weak_hunt"]

#: the weakly supervised selections of :func:`weak_hunt`
WEAK_METHODS = ("cwola", "cathode", "anode")


@dataclass
class WeakHunt:
    """The result of :func:`weak_hunt` (masses in GeV).

    Attributes
    ----------
    method : str
    features : list of str
    edges : ndarray
        The mjj bins searched.
    windows : ndarray, shape (n_windows, 2)
        First and last-plus-one bin of each signal region (``window_edges`` their masses).
    efficiencies : ndarray, shape (n_eff,)
    observed, background, background_err, z_local : ndarray, shape (n_windows, n_eff)
        Selected events in the SR, the fitted background there ± error, the local Z (NaN where the
        window was skipped or its fit did not converge).
    best : (int, int)
        Window and efficiency of the largest local Z.
    z_max, p_local, p_global, z_global : float
    z_max_pseudo : ndarray
        The largest local Z of each background-only surrogate.
    mass, mass_err, n_signal, n_signal_err : float
    sculpting_mean_z, sculpting_frac_z2 : float
        Mean local Z over all surrogates' windows and efficiencies, and the fraction above 2
        (NaN without surrogates).
    flags : list of str
    """

    method: str
    features: list[str]
    edges: np.ndarray
    windows: np.ndarray
    window_edges: np.ndarray
    efficiencies: np.ndarray
    observed: np.ndarray
    background: np.ndarray
    background_err: np.ndarray
    z_local: np.ndarray
    best: tuple[int, int]
    z_max: float
    p_local: float
    p_global: float
    z_global: float
    z_max_pseudo: np.ndarray
    mass: float
    mass_err: float
    n_signal: float
    n_signal_err: float
    sculpting_mean_z: float
    sculpting_mean_z_err: float
    sculpting_frac_z2: float
    n_events: int
    flags: list[str] = field(default_factory=list)

    @property
    def global_computed(self) -> bool:
        return bool(np.isfinite(self.p_global))

    @property
    def sculpted(self) -> bool:
        """Whether the selection made bumps on the background-only surrogates (mean local Z > 0.5)."""
        return bool(np.isfinite(self.sculpting_mean_z) and self.sculpting_mean_z > 0.5)

    def report(self, *, alpha: float = 0.01) -> dict:
        """The black-box answer as a JSON-friendly dict, with the keys of :meth:`BumpHunt.report`
        (``signal_found``, ``mass``, ``mass_err``, ``p_value_background_only``, ``n_signal``, ...)
        and the method's own (``method``, ``efficiency``, ``features``, ``sculpting``)."""
        w, e = self.best
        lo, hi = self.window_edges[w]
        note = None
        if not self.global_computed:
            note = (f"the global p-value was not computed ({len(self.z_max_pseudo)} surrogates): no verdict; "
                    f"the local significance Z = {self.z_max:.2f} ignores the scan over windows and "
                    "efficiencies")
        return {
            **hunt_answer(self, alpha, (lo, hi), (w, e), note),
            "method": self.method,
            "features": list(self.features),
            "efficiency": float(self.efficiencies[e]),
            "efficiencies": [float(v) for v in self.efficiencies],
            "n_windows": int(len(self.windows)),
            "calibration": "background-only surrogates: the data's feature rows with mjj drawn from the "
                           "dijet fit of the whole spectrum, analysed by the whole procedure",
            "sculpting": {
                "mean_z_local": self.sculpting_mean_z,
                "mean_z_local_err": self.sculpting_mean_z_err,
                "fraction_z_above_2": self.sculpting_frac_z2,
                "expected_fraction_z_above_2": float(stats.norm.sf(2.0)),
                "sculpted": self.sculpted,
            },
            "flags": list(self.flags),
        }


# ---------------------------------------------------------------------------------------------
# one window


def _decorrelate(X: np.ndarray, lm: np.ndarray, sb: np.ndarray, positive: np.ndarray) -> np.ndarray:
    """Features (logs where positive) minus their linear trend in ln mjj fitted on the sidebands."""
    Z = X.copy()
    Z[:, positive] = np.log(Z[:, positive])
    t = lm[sb] - lm[sb].mean()
    denom = float(t @ t)
    if denom > 0:
        slope = (t @ (Z[sb] - Z[sb].mean(axis=0))) / denom
        Z = Z - np.outer(lm - lm[sb].mean(), slope)
    return Z


def hunt_classifier(seed: int = 0) -> Any:
    """The default classifier of the hunt: strongly regularised boosted trees (few small leaves
    of at least 100 events, early stopping). Out-of-fold scores are biased against the class an
    event belongs to (a model that did not see an SR event predicts the SR slightly less there),
    which after the selection is a deficit in the SR; the regularisation keeps a classifier that
    finds nothing close to constant, so the bias stays small (measured by the sculpting check)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(
        max_iter=100, learning_rate=0.05, max_leaf_nodes=8, min_samples_leaf=100, l2_regularization=1.0,
        early_stopping=True, validation_fraction=0.25, n_iter_no_change=5, random_state=int(seed) % 2**32)


def _fit_classifier(cfg: dict, X: np.ndarray, y: np.ndarray, seed: int) -> Any:
    kind = cfg["classifier"]
    model = hunt_classifier(seed) if isinstance(kind, str) and kind == "hunt" else make_classifier(kind, seed)
    n1 = int(y.sum())
    w = np.where(y == 1, len(y) / (2.0 * n1), len(y) / (2.0 * (len(y) - n1)))  # classes balanced
    return model.fit(X, y, **sample_weight_kwargs(model, w))


def _window_scores(Z: np.ndarray, m: np.ndarray, sr: np.ndarray, sb: np.ndarray, fold: np.ndarray,
                   cfg: dict, seed: int) -> np.ndarray:
    """Anomaly score of every event from the fold model that did not see it: model k is trained on
    the window's events outside fold k and scores every event of fold k, at every mass, so the
    events inside and outside the window get scores of the same kind."""
    train = sr | sb
    method, k_folds = cfg["method"], cfg["n_folds"]
    scores = np.empty(len(Z))
    seeds = spawn_seeds(seed, k_folds + 1)
    if method == "cathode":
        m_sr = m[sr]
        split = 0.5 * (float(m_sr.min()) + float(m_sr.max()))
        density = SidebandInterpolation(cfg["n_components"], density=cfg["density"], flow=cfg["flow"],
                                        seed=seeds[-1]).fit(Z[sb], mjj=m[sb], split=split)
        rng = np.random.default_rng(seeds[-1] + 1)
        samples = density.sample(np.repeat(m_sr, cfg["oversample"]), seed=rng)
        sample_fold = rng.integers(0, k_folds, len(samples))
    lo, hi = float(m[train].min()), float(m[train].max())
    mc = np.clip(m, lo, hi)  # ANODE's densities are conditioned inside the window only
    for k in range(k_folds):
        fit, score = train & (fold != k), fold == k
        if method == "cwola":
            model = _fit_classifier(cfg, Z[fit], sr[fit].astype(int), seeds[k])
            scores[score] = signal_probability(model, Z[score])
        elif method == "cathode":
            data, bkg = Z[fit & sr], samples[sample_fold != k]
            model = _fit_classifier(cfg, np.concatenate([data, bkg]),
                                    np.r_[np.ones(len(data), int), np.zeros(len(bkg), int)], seeds[k])
            scores[score] = signal_probability(model, Z[score])
        else:
            model = AnodeScorer(cfg["n_components"], density=cfg["density"], flow=cfg["flow"],
                                seed=seeds[k]).fit(Z[fit], sr[fit].astype(int), mjj=m[fit])
            scores[score] = model.score_samples(Z[score], mc[score])
    return scores


def _count_fit(edges: np.ndarray, counts: np.ndarray, a: int, b: int, n_params: int, sqrt_s: float):
    mask = np.ones(len(counts), bool)
    mask[a:b] = False
    for n in (n_params, 3) if n_params == 4 else (n_params,):  # the 3-parameter fit where 4 diverge
        try:
            with np.errstate(all="ignore"):  # a diverging fit is flagged by converged=False
                fit = fit_dijet_histogram(edges, counts, mask=mask, n_params=n, sqrt_s=sqrt_s)
        except ValueError:
            return None
        if fit.converged:
            return fit
    return None


def _analyse(X: np.ndarray, m: np.ndarray, cfg: dict, seed: int) -> dict:
    """The whole procedure on one sample: every window, every efficiency."""
    edges, windows, effs = cfg["edges"], cfg["windows"], cfg["efficiencies"]
    sb_bins = cfg["sideband_bins"]
    lm = np.log(m)
    positive = np.all(X > 0, axis=0) if cfg["decorrelate"] else np.zeros(X.shape[1], bool)
    shape = (len(windows), len(effs))
    obs, bkg, err, z = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.full(shape, np.nan)
    skipped = []
    selections: dict[tuple[int, int], np.ndarray] = {}
    fold = np.random.default_rng(seed).permutation(len(m)) % cfg["n_folds"]
    for w, ((a, b), s) in enumerate(zip(windows, spawn_seeds(seed, len(windows)), strict=True)):
        sr = (m >= edges[a]) & (m < edges[b])
        sb = ((m >= edges[a - sb_bins]) & (m < edges[a])) | ((m >= edges[b]) & (m < edges[b + sb_bins]))
        if sb.sum() < cfg["min_sideband_events"] or sr.sum() < cfg["n_folds"] * 2:
            skipped.append(w)
            continue
        Z = _decorrelate(X, lm, sb, positive) if cfg["decorrelate"] else X
        try:
            scores = _window_scores(Z, m, sr, sb, fold, cfg, s)
        except ValueError:  # a density cannot be fitted on one sideband's few events, a fold of one class
            skipped.append(w)
            continue
        for e, eff in enumerate(effs):
            cut = float(np.quantile(scores[sb], 1.0 - eff))
            keep = scores > cut
            counts = np.histogram(m[keep], edges)[0].astype(float)
            fit = _count_fit(edges, counts, a, b, cfg["n_params"], cfg["sqrt_s"])
            obs[w, e] = counts[a:b].sum()
            if fit is None:
                continue
            B, sB = fit.predict(edges[a], edges[b])
            bkg[w, e], err[w, e] = B, sB
            if B > 0:
                z[w, e] = local_significance(obs[w, e], B, sB)
            if cfg["keep_selection"]:
                selections[(w, e)] = counts
    return {"observed": obs, "background": bkg, "background_err": err, "z_local": z, "skipped": skipped,
            "selections": selections}


def _surrogate_task(item: tuple) -> dict:
    """One background-only surrogate: feature rows kept, mjj drawn from the smooth spectrum."""
    X, fine_edges, expected, cfg, seed = item
    rng = np.random.default_rng(seed)
    p = expected / expected.sum()
    k = rng.choice(len(p), size=len(X), p=p)
    lo, hi = fine_edges[k], fine_edges[k + 1]
    m = lo * np.exp(rng.random(len(X)) * np.log(hi / lo))
    out = _analyse(X, m, {**cfg, "keep_selection": False}, int(rng.integers(2**62)))
    return {"z_local": out["z_local"]}


def _data_task(item: tuple) -> dict:
    X, m, cfg, seed = item
    return _analyse(X, m, {**cfg, "keep_selection": True}, seed)


def _task(item: tuple) -> dict:
    # one thread per task: the boosted trees' OpenMP threads on small samples are ~20x slower on a
    # shared machine, and parallelism comes from the executor (one task per hunt)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        return _data_task(item[1:]) if item[0] == "data" else _surrogate_task(item[1:])


def weak_hunt(
    X: np.ndarray,
    mjj: np.ndarray,
    *,
    method: str = "cwola",
    features: list[str] | None = None,
    efficiencies: tuple[float, ...] = (0.1, 0.02, 0.005),
    mass_range: tuple[float, float] | None = None,
    relative_bin_width: float = 0.05,
    window_bins: int = 3,
    sideband_bins: int = 2,
    min_side_bins: int = 3,
    n_folds: int = 3,
    classifier: Any = "hunt",
    density: str = "gmm",
    n_components: int = 8,
    flow: dict | None = None,
    oversample: int = 4,
    decorrelate: bool = True,
    min_sideband_events: int = 200,
    n_params: int = 4,
    sqrt_s: float = 13000.0,
    n_pseudo: int = 20,
    seed: int = 0,
    executor: Any = None,
) -> WeakHunt:
    """Weakly supervised sliding-window hunt (see the module docstring for the method).

    Parameters
    ----------
    X : array, shape (n_events, n_features)
        The features that the selection learns from (e.g. jet masses and τ21), finite.
    mjj : array, shape (n_events,)
        Dijet masses (GeV).
    method : {"cwola", "cathode", "anode"}
    features : list of str, optional
        Names of the columns of ``X`` (for the report).
    efficiencies : tuple of float
        Fractions of the sideband events kept by the selection.
    mass_range : (float, float), optional
        Masses searched (default: as :func:`bump_hunt`, from above the turn-on to the largest mass).
    relative_bin_width, window_bins, sideband_bins, min_side_bins : float, int, int, int
        Bins of Δm/m = ``relative_bin_width``; each SR is ``window_bins`` bins with
        ``sideband_bins`` bins of sideband either side, and leaves at least ``min_side_bins`` bins
        (≥ ``sideband_bins``) on each side for the fit.
    n_folds : int
        k of the k-fold training.
    classifier : {"hunt", "hgb", "mlp"} or scikit-learn classifier
        CWoLa's and CATHODE's classifier: ``"hunt"`` (default) regularised boosted trees
        (:func:`hunt_classifier`), fast; ``"hgb"``/``"mlp"`` as in the scorers.
    density, n_components, flow
        ANODE's and CATHODE's densities (``"gmm"`` default, fast; ``"flow"`` as in the papers).
    decorrelate : bool
        Remove each feature's linear trend in ln mjj (of its log where positive) fitted on the
        sidebands, per window.
    min_sideband_events : int
        Windows whose sidebands hold fewer events are not searched (flagged).
    n_pseudo : int
        Background-only surrogates for the global p-value (0: no verdict).
    seed : int
    executor : physml.parallel executor, optional
        Runs the data's hunt and the surrogates in parallel (``map``; default in this process).

    Raises
    ------
    BinningError
        Too few bins for one window with its side bins.
    ValueError
        Bad input, or no window with enough sideband events.
    """
    method = check_choice(method, "method", WEAK_METHODS)
    X = check_array(X, "X", ndim=2, dtype=np.float64, min_samples=1)
    m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
    if len(m) != len(X):
        raise ValueError(f"mjj has {len(m)} entries, X {len(X)} rows")
    sqrt_s = check_real(sqrt_s, "sqrt_s", low=0.0, low_open=True)
    if m.min() <= 0 or m.max() >= sqrt_s:
        raise ValueError(f"mjj must lie inside (0, √s = {sqrt_s:g}) GeV; got {m.min():g}-{m.max():g}")
    names = list(features) if features is not None else [f"x{i}" for i in range(X.shape[1])]
    if len(names) != X.shape[1]:
        raise ValueError(f"features names {len(names)} columns, X has {X.shape[1]}")
    constant = [n for n, c in zip(names, X.T, strict=True) if np.ptp(c) == 0]
    if constant:
        raise ValueError(f"feature(s) {', '.join(constant)} are constant: nothing to learn from")
    effs = np.asarray([check_real(e, "efficiencies", low=0.0, high=1.0, low_open=True)
                       for e in efficiencies], float)
    if len(effs) == 0:
        raise ValueError("efficiencies: give at least one")
    window_bins = check_int(window_bins, "window_bins", low=1)
    sideband_bins = check_int(sideband_bins, "sideband_bins", low=1)
    min_side_bins = max(check_int(min_side_bins, "min_side_bins", low=1), sideband_bins)
    n_folds = check_int(n_folds, "n_folds", low=2)
    n_pseudo = check_int(n_pseudo, "n_pseudo", low=0)
    min_sideband_events = check_int(min_sideband_events, "min_sideband_events", low=1)
    relative_bin_width = check_real(relative_bin_width, "relative_bin_width", low=0.0, high=1.0,
                                    low_open=True)
    if mass_range is None:
        pre = dijet_bins(m.min(), m.max() * (1 + 1e-9), relative_width=relative_bin_width)
        peak = pre[int(np.argmax(np.histogram(m, pre)[0]))]
        mass_range = (max(float(np.quantile(m, 0.01)), float(peak)), float(m.max()) * (1 + 1e-9))
    lo, hi = (float(v) for v in mass_range)
    if not 0 < lo < hi < sqrt_s:
        raise ValueError(f"mass_range must satisfy 0 < low < high < √s = {sqrt_s:g} GeV, got {mass_range}")
    inside = (m >= lo) & (m < hi)
    if inside.sum() == 0:
        raise ValueError(f"no event inside the mass range {lo:.0f}-{hi:.0f} GeV; the events span "
                         f"{m.min():.0f}-{m.max():.0f} GeV")
    edges = dijet_bins(lo, hi, relative_width=relative_bin_width)
    n_bins = len(edges) - 1
    starts = np.arange(min_side_bins, n_bins - min_side_bins - window_bins + 1)
    if len(starts) == 0:
        raise BinningError(
            f"{n_bins} bins over {lo:.0f}-{hi:.0f} GeV leave no room for a {window_bins}-bin window with "
            f"{min_side_bins} bins on each side", n_bins=n_bins, window_bins=window_bins,
            min_side_bins=min_side_bins, max_bins=1000, mass_range=(lo, hi))
    windows = np.stack([starts, starts + window_bins], axis=1)
    X, m = X[inside], m[inside]
    cfg = dict(method=method, edges=edges, windows=windows, efficiencies=effs, sideband_bins=sideband_bins,
               n_folds=n_folds, classifier=classifier, density=density, n_components=n_components, flow=flow,
               oversample=check_int(oversample, "oversample", low=1), decorrelate=bool(decorrelate),
               min_sideband_events=min_sideband_events, n_params=n_params,
               sqrt_s=sqrt_s)
    full = fit_dijet_histogram(edges, np.histogram(m, edges)[0].astype(float), n_params=n_params,
                               sqrt_s=sqrt_s)
    flags: list[str] = []
    if not full.converged:
        raise ValueError(f"the background fit to the whole spectrum did not converge: {full.message}")
    fine = np.geomspace(lo, hi, 8 * n_bins + 1)
    expected = full.expected(fine)
    s_data, *s_pseudo = spawn_seeds(seed, n_pseudo + 1)
    items = [("data", X, m, cfg, s_data)] + [("pseudo", X, fine, expected, cfg, s) for s in s_pseudo]
    if executor is None:
        executor = InlineExecutor()
    try:
        results = executor.map(_task, items, desc=f"weak hunt ({method}): data + {n_pseudo} surrogates")
    except Exception as exc:  # a physml.parallel MapError: pass on the first failure's ValueError
        first = next(iter(getattr(exc, "failures", {}).values()), None)
        if isinstance(first, ValueError):
            raise ValueError(str(first).splitlines()[0]) from exc
        raise
    data = results[0]
    z = data["z_local"]
    if data["skipped"]:
        if len(data["skipped"]) == len(windows):
            raise ValueError(
                f"every window's sidebands hold fewer than {min_sideband_events} events (or its signal "
                f"region fewer than {2 * n_folds}, or a sideband too few for its density): "
                f"{len(m)} events in {lo:.0f}-{hi:.0f} GeV are too few "
                "for the training")
        bad = [f"{edges[windows[w, 0]]:.0f}-{edges[windows[w, 1]]:.0f}" for w in data["skipped"]]
        flags.append(f"window(s) {', '.join(bad)} GeV not searched: fewer than {min_sideband_events} "
                     "sideband events (or too few for a model)")
    if not np.isfinite(z).any():
        raise ValueError("no window's background fit of the selected events converged")
    flat = int(np.nanargmax(np.where(np.isfinite(z), z, -np.inf)))
    w, e = divmod(flat, len(effs))
    z_max = float(z[w, e])
    p_local = float(stats.norm.sf(z_max))
    zp = np.array([np.nanmax(r["z_local"]) if np.isfinite(r["z_local"]).any() else np.nan
                   for r in results[1:]])
    valid = zp[np.isfinite(zp)]
    pooled = np.concatenate([r["z_local"][np.isfinite(r["z_local"])] for r in results[1:]]) if n_pseudo else \
        np.empty(0)
    if len(valid):
        exceed = int(np.sum(valid >= z_max))
        p_global = float((1 + exceed) / (1 + len(valid)))
        if exceed == 0:
            z_ref = float(np.median(valid))
            trials = max(1.0, 0.5 / float(stats.norm.sf(z_ref)))
            bound = p_global
            p_global = float(min(bound, trials * p_local))
            flags.append(f"no surrogate reached Z = {z_max:.2f}: p < {bound:.3g} from {len(valid)} "
                         f"surrogates; p = {p_global:.3g} extrapolated with the trials factor "
                         f"{trials:.1f} measured at Z = {z_ref:.2f}")
        z_global = float(stats.norm.isf(p_global))
    else:
        p_global = z_global = float("nan")
    if len(pooled):
        s_mean = float(pooled.mean())
        # windows and efficiencies of one surrogate are correlated: the error uses surrogate means
        per = np.array([np.nanmean(r["z_local"]) for r in results[1:] if np.isfinite(r["z_local"]).any()])
        s_err = float(per.std(ddof=1) / np.sqrt(len(per))) if len(per) > 1 else float("nan")
        s_frac = float(np.mean(pooled > 2.0))
        if s_mean > 0.5:
            flags.append(f"sculpting: the selection makes bumps on background-only surrogates (mean local "
                         f"Z {s_mean:.2f} ± {s_err:.2f})")
    else:
        s_mean = s_err = s_frac = float("nan")
    a, b = windows[w]
    counts = data["selections"][(w, e)]
    centres = np.sqrt(edges[a:b] * edges[a + 1 : b + 1])
    fit = _count_fit(edges, counts, a, b, n_params, sqrt_s)
    expected_bins = fit.expected()[a:b]
    excess = counts[a:b] - data["background"][w, e] * expected_bins / expected_bins.sum()
    total = excess.sum()
    if total > 0:
        mass = float((centres * excess).sum() / total)
        var = float(((centres - mass) ** 2 * counts[a:b]).sum() / total**2)
        mass_err = float(np.sqrt(var + np.mean(edges[a + 1 : b + 1] - edges[a:b]) ** 2 / 12.0))
    else:
        mass, mass_err = float(np.sqrt(edges[a] * edges[b])), float(0.5 * (edges[b] - edges[a]))
        flags.append("no excess in any window: the mass is the centre of the most significant window")
    n_sig = float(data["observed"][w, e] - data["background"][w, e])
    n_sig_err = float(np.sqrt(data["observed"][w, e] + data["background_err"][w, e] ** 2))
    return WeakHunt(method, names, edges, windows, np.stack([edges[windows[:, 0]], edges[windows[:, 1]]], 1),
                    effs, data["observed"], data["background"], data["background_err"], z, (w, e), z_max,
                    p_local, p_global, z_global, zp, mass, mass_err, n_sig, n_sig_err, s_mean, s_err, s_frac,
                    int(len(m)), flags)
