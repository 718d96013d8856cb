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

No event is scored by a model that saw it: every event in the mass range has a fold, and model k,
trained on the window's events outside fold k, scores every fold-k event at every mass, so events
inside and outside the window get scores of the same kind. Before training,
the features are decorrelated from mjj (``decorrelate=True``): each feature (its logarithm where
it is positive) loses the linear trend in ln mjj fitted on the window's sideband events, so that
a jet mass growing with mjj cannot teach the classifier the SR's mass range. The selection keeps
a fraction ε of the sideband events, for each efficiency ε in ``efficiencies``: the events whose
score is above a cut, and those tied at the cut at random with the probability that makes the
fraction exact (a regularised classifier's scores tie often). The dijet function is fitted to the
selected mjj spectrum with the SR bins masked (not where no selected event lies above the SR: the
fit would extrapolate, and can predict nothing there; nor a fit that diverges), and the SR count
is compared with the fitted background (local Z; Cowan, "Discovery sensitivity for a counting
experiment with background uncertainty", 2012). The test
statistic is the largest local Z over every window and efficiency. Weighted events (CWoLa): the
weights enter the classifier, the sideband fraction and the fit (scaled Poisson counts, as in
:func:`physml.anomaly.bump_hunt`).

Global p-value. The largest local Z is compared with its distribution over background-only
*surrogates* analysed by the same whole procedure (every window, every efficiency, the training
itself): each surrogate keeps the data's feature rows but draws their mjj afresh from the smooth
dijet-function fit to the data's whole spectrum (as many events as the data), so the features are
independent of mjj and the spectrum holds no bump: exactly the null hypothesis that the weakly
supervised methods test (their premise is that the background features do not depend on mjj
inside a window). p = (1 + #{Z_max^surrogate ≥ Z_max}) / (1 + n_pseudo); when no surrogate
reaches the observed value it is extrapolated with the trials factor measured at the surrogates'
median (:func:`physml.anomaly.global_p_value`, as in :func:`physml.anomaly.bump_hunt`) and
flagged. A background whose features depend on mjj beyond the linear trend is not in this null;
the sculpting measure and the false-positive rate on signal-free boxes
(:func:`false_positive_rate`, experiment ``lhco-weak-hunt``) check that.

Parallelism. The executor's unit of work is a block of windows of one hunt (the data's or a
surrogate's), about 8 tasks per worker, so that a single hunt also uses every worker. Every
random draw is seeded by the hunt (its folds, a surrogate's masses) and the window (its
trainings, its tie-breaking), never by the task or the worker: the result is bit-identical for
any executor and any number of workers.

Sculpting. Selecting on a background-only sample must not make a bump. Every surrogate's local Z
values (all windows and efficiencies) are pooled: their mean should be 0 and the fraction above
Z = 2 near 2.3%; a mean above 0.5 is flagged.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from physml._core import check_array, check_choice, check_int, check_real, derive_seed, spawn_seeds
from physml.anomaly._bumphunt import (
    BinningError,
    dijet_bins,
    fit_dijet_histogram,
    global_p_value,
    hunt_answer,
    local_significance,
)
from physml.anomaly._densities import SidebandInterpolation
from physml.anomaly._scorers import AnodeScorer
from physml.anomaly._training import (
    _bin_codes,
    _bin_thresholds,
    make_classifier,
    sample_weight_kwargs,
    signal_probability,
)
from physml.parallel import InlineExecutor

__all__ = ["WEAK_METHODS", "FalsePositiveRate", "WeakHunt", "false_positive_rate", "hunt_classifier",
           "weak_hunt"]

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


def _fit_classifier(cfg: dict, X: np.ndarray, y: np.ndarray, seed: int,
                    v: np.ndarray | None = None) -> Callable[[np.ndarray], np.ndarray]:
    """A classifier of ``y`` from ``X`` (event weights ``v``, default 1; the two classes' total
    weights balanced), as its signal probability.

    The hunt's boosted trees get the features as the codes of quantile bins computed here from
    the training rows: scikit-learn (1.9) bins weighted data with one weighted percentile per bin
    edge, in Python, ~0.2 s per fit and 85% of a hunt's time; given at most 255 distinct codes it
    takes them as they are, so the trees see 255 quantile bins per feature as for unweighted data
    and the hunt runs several times faster (the weights still enter the loss)."""
    kind = cfg["classifier"]
    v = np.ones(len(y)) if v is None else v
    v1, v0 = float(v[y == 1].sum()), float(v[y == 0].sum())
    w = v * np.where(y == 1, (v1 + v0) / (2.0 * v1), (v1 + v0) / (2.0 * v0))  # classes balanced
    if isinstance(kind, str) and kind == "hunt":
        thresholds = _bin_thresholds(X)
        trees = hunt_classifier(seed).fit(_bin_codes(X, thresholds), y, sample_weight=w)
        return lambda Z: signal_probability(trees, _bin_codes(Z, thresholds))
    model = make_classifier(kind, seed)
    model.fit(X, y, **sample_weight_kwargs(model, w))
    return lambda Z: signal_probability(model, Z)


def _window_scores(Z: np.ndarray, m: np.ndarray, sr: np.ndarray, sb: np.ndarray, fold: np.ndarray,
                   cfg: dict, seed: int, v: np.ndarray) -> np.ndarray:
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
            predict = _fit_classifier(cfg, Z[fit], sr[fit].astype(int), seeds[k], v[fit])
            scores[score] = predict(Z[score])
        elif method == "cathode":
            data, bkg = Z[fit & sr], samples[sample_fold != k]
            predict = _fit_classifier(cfg, np.concatenate([data, bkg]),
                                      np.r_[np.ones(len(data), int), np.zeros(len(bkg), int)], seeds[k])
            scores[score] = predict(Z[score])
        else:
            model = AnodeScorer(cfg["n_components"], density=cfg["density"], flow=cfg["flow"],
                                seed=seeds[k]).fit(Z[fit], sr[fit].astype(int), mjj=m[fit])
            scores[score] = model.score_samples(Z[score], mc[score])
    return scores


def _count_fit(edges: np.ndarray, counts: np.ndarray, a: int, b: int, n_params: int, sqrt_s: float,
               scale: float = 1.0):
    mask = np.ones(len(counts), bool)
    mask[a:b] = False
    for n in (n_params, 3) if n_params == 4 else (n_params,):  # the 3-parameter fit where 4 diverge
        try:
            with np.errstate(all="ignore"):  # a diverging fit is flagged by converged=False
                fit = fit_dijet_histogram(edges, counts, mask=mask, n_params=n, sqrt_s=sqrt_s, scale=scale)
        except ValueError:
            return None
        # a fit can "converge" to a degenerate function (p0 overflowing while the shape falls off a
        # cliff where a selected spectrum has empty bins): that background is no prediction
        if fit.usable:
            return fit
    return None


def _select(scores: np.ndarray, sb: np.ndarray, eff: float, rng: np.random.Generator,
            w: np.ndarray | None = None) -> np.ndarray:
    """The events whose score is above the cut that keeps a fraction ``eff`` of the sideband
    events' weight (``w``, default 1 each). A regularised classifier's scores tie often (a few
    dozen distinct values in a small window), so the cut is a score value: events above it are
    kept, and events tied at it (at any mass) at random with the probability that makes the
    expected kept weight of the sidebands exactly ``eff`` of theirs — tied events are alike to
    the classifier, so the draw biases nothing; a strict cut at a tie instead kept far fewer
    sideband events than asked for (none at all in some windows)."""
    s_sb = scores[sb]
    w_sb = np.ones(len(s_sb)) if w is None else w[sb]
    order = np.argsort(-s_sb, kind="stable")
    wanted = eff * float(w_sb.sum())
    # the first score, from the top, at which the cumulative weight passes the wanted weight
    first = int(np.searchsorted(np.cumsum(w_sb[order]), wanted, side="right"))
    cut = s_sb[order[min(first, len(s_sb) - 1)]]
    above, tied = scores > cut, scores == cut
    w_above, w_tied = float(w_sb[s_sb > cut].sum()), float(w_sb[s_sb == cut].sum())
    prob = min(1.0, max(0.0, (wanted - w_above) / w_tied)) if w_tied > 0 else 0.0
    return above | (tied & (rng.random(len(scores)) < prob))


def _window(X: np.ndarray, wt: np.ndarray, m: np.ndarray, lm: np.ndarray, positive: np.ndarray,
            fold: np.ndarray, cfg: dict, w: int, seed: int, keep_selection: bool) -> dict | None:
    """Window ``w`` of one sample (event weights ``wt``) at every efficiency (None: not searched).
    Selected weighted events are fitted as scaled Poisson counts, n/s with s = Σw²/Σw of the
    selection, as :func:`physml.anomaly.bump_hunt` fits weighted events."""
    edges, effs, sb_bins = cfg["edges"], cfg["efficiencies"], cfg["sideband_bins"]
    a, b = (int(v) for v in cfg["windows"][w])
    sr = (m >= edges[a]) & (m < edges[b])
    sb = ((m >= edges[a - sb_bins]) & (m < edges[a])) | ((m >= edges[b]) & (m < edges[b + sb_bins]))
    if sb.sum() < cfg["min_sideband_events"] or sr.sum() < cfg["n_folds"] * 2:
        return None
    Z = _decorrelate(X, lm, sb, positive) if cfg["decorrelate"] else X
    try:
        scores = _window_scores(Z, m, sr, sb, fold, cfg, seed, wt / wt.mean())
    except ValueError:  # a density cannot be fitted on one sideband's few events, a fold of one class
        return None
    n_eff = len(effs)
    obs, bkg, err, z = np.zeros(n_eff), np.zeros(n_eff), np.zeros(n_eff), np.full(n_eff, np.nan)
    scale = np.ones(n_eff)
    selections: list[np.ndarray | None] = [None] * n_eff
    rng = np.random.default_rng(derive_seed(seed, "ties"))
    for e, eff in enumerate(effs):
        keep = _select(scores, sb, float(eff), rng, wt)
        counts = np.histogram(m[keep], edges, weights=wt[keep])[0]
        total = float(counts.sum())
        scale[e] = float((wt[keep] ** 2).sum()) / total if total > 0 else 1.0
        obs[e] = counts[a:b].sum()
        if keep_selection:
            selections[e] = counts
        # the fit must interpolate the SR's background, not extrapolate it: with no selected event
        # above the window the function's fall-off there is unconstrained and it can predict ~0
        if not counts[b:].sum() > 0:
            continue
        fit = _count_fit(edges, counts, a, b, cfg["n_params"], cfg["sqrt_s"], scale[e])
        if fit is None:
            continue
        B, sB = fit.predict(edges[a], edges[b])
        bkg[e], err[e] = B, sB
        if B > 0:
            z[e] = local_significance(obs[e] / scale[e], B / scale[e], sB / scale[e])
    return {"observed": obs, "background": bkg, "background_err": err, "z_local": z, "scale": scale,
            "selections": selections}


def _hunt_masses(n: int, source: tuple) -> tuple[np.ndarray, int]:
    """The masses of one hunt and the seed of its analysis: the data's, or a background-only
    surrogate's (mjj drawn afresh from the smooth spectrum for the same feature rows)."""
    if source[0] == "data":
        return source[1], int(source[2])
    _, fine_edges, expected, seed = source
    rng = np.random.default_rng(seed)
    p = expected / expected.sum()
    k = rng.choice(len(p), size=n, p=p)
    lo, hi = fine_edges[k], fine_edges[k + 1]
    m = lo * np.exp(rng.random(n) * np.log(hi / lo))
    return m, int(rng.integers(2**62))


def _hunt_block(item: tuple) -> list[dict | None]:
    """The executor's unit of work: some windows of one hunt (the data's or a surrogate's).

    Every draw comes from the hunt's seed (its folds, its surrogate masses) and the window's
    index (its trainings), never from the task or the worker, so the results are the same however
    the windows are split into tasks and whichever worker runs them."""
    # one thread per task: the boosted trees' OpenMP threads on small samples are ~20x slower on a
    # shared machine, and parallelism comes from the executor
    from threadpoolctl import threadpool_limits

    X, wt, source, cfg, block, keep_selection = item
    with threadpool_limits(1):
        m, seed = _hunt_masses(len(X), source)
        lm = np.log(m)
        positive = np.all(X > 0, axis=0) if cfg["decorrelate"] else np.zeros(X.shape[1], bool)
        fold = np.random.default_rng(seed).permutation(len(m)) % cfg["n_folds"]
        seeds = spawn_seeds(seed, len(cfg["windows"]))
        return [_window(X, wt, m, lm, positive, fold, cfg, w, seeds[w], keep_selection) for w in block]


def weak_hunt(
    X: np.ndarray,
    mjj: np.ndarray,
    *,
    method: str = "cwola",
    weights: np.ndarray | None = None,
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
    weights : array, shape (n_events,), optional
        Event weights (≥ 0; CWoLa only, or equal weights): the classifier's sample weights, the
        selection keeps a fraction of the sidebands' weight, and the selected spectrum is fitted
        as scaled Poisson counts (n/s, s = Σw²/Σw of the selection), as in :func:`bump_hunt`;
        ``n_signal`` is then a sum of weights. The surrogates keep each row's weight.
    features : list of str, optional
        Names of the columns of ``X`` (for the report).
    efficiencies : tuple of float
        Fractions of the sideband events (their weight) kept by the selection.
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
        Runs the data's hunt and the surrogates in parallel (``map``; default in this process), a
        task per block of windows of one hunt: about 8 tasks per worker, so that one hunt alone
        also uses every worker. The result does not depend on the executor or its size.

    Raises
    ------
    BinningError
        Too few bins for one window with its side bins.
    ValueError
        Bad input, or no window with enough sideband events.
    """
    options = dict(method=method, weights=weights, features=features, efficiencies=efficiencies,
                   mass_range=mass_range,
                   relative_bin_width=relative_bin_width, window_bins=window_bins,
                   sideband_bins=sideband_bins, min_side_bins=min_side_bins, n_folds=n_folds,
                   classifier=classifier, density=density, n_components=n_components, flow=flow,
                   oversample=oversample, decorrelate=decorrelate, min_sideband_events=min_sideband_events,
                   n_params=n_params, sqrt_s=sqrt_s)
    plan = _prepare(X, mjj, options, n_pseudo=n_pseudo, seed=seed)
    [hunts] = _run([plan], executor, f"weak hunt ({plan.cfg['method']}): data + {plan.n_pseudo} surrogates, "
                                     f"{len(plan.cfg['windows'])} windows")
    return _result(plan, hunts)


@dataclass
class _Plan:
    """One sample ready to hunt: its events in the mass range, the configuration, the smooth
    spectrum its surrogates draw their masses from, and the seeds of its hunts (data first)."""

    X: np.ndarray
    w: np.ndarray
    m: np.ndarray
    names: list[str]
    cfg: dict
    mass_range: tuple[float, float]
    fine: np.ndarray
    expected: np.ndarray
    seeds: list[int]

    @property
    def n_pseudo(self) -> int:
        return len(self.seeds) - 1

    def sources(self) -> list[tuple]:
        """What :func:`_hunt_masses` needs for each hunt: the data's masses, then each surrogate's
        smooth spectrum and seed."""
        return [("data", self.m, self.seeds[0])] + [("surrogate", self.fine, self.expected, s)
                                                     for s in self.seeds[1:]]


def _prepare(X: np.ndarray, mjj: np.ndarray, options: dict, *, n_pseudo: int, seed: int) -> _Plan:
    """Check the input and options of :func:`weak_hunt` and lay out its hunts."""
    o = options
    method = check_choice(o["method"], "method", WEAK_METHODS)
    X = check_array(X, "X", ndim=2, dtype=np.float64, min_samples=1)
    m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
    if len(m) != len(X):
        raise ValueError(f"mjj has {len(m)} entries, X {len(X)} rows")
    sqrt_s = check_real(o["sqrt_s"], "sqrt_s", low=0.0, low_open=True)
    if m.min() <= 0 or m.max() >= sqrt_s:
        raise ValueError(f"mjj must lie inside (0, √s = {sqrt_s:g}) GeV; got {m.min():g}-{m.max():g}")
    if o.get("weights") is None:
        wt = np.ones(len(m))
    else:
        wt = check_array(o["weights"], "weights", ndim=1, dtype=np.float64)
        if len(wt) != len(m):
            raise ValueError(f"weights has {len(wt)} entries, mjj {len(m)}")
        if (wt < 0).any():
            raise ValueError(f"weights must be >= 0; got a minimum of {wt.min():g}")
        if method != "cwola" and np.ptp(wt) > 0:
            raise ValueError(f"weights: method {method!r} fits densities that take no event weights; give "
                             "equal weights or use method='cwola'")
    features = o["features"]
    names = list(features) if features is not None else [f"x{i}" for i in range(X.shape[1])]
    if len(names) != X.shape[1]:
        raise ValueError(f"features names {len(names)} columns, X has {X.shape[1]}")
    constant = [n for n, c in zip(names, X.T, strict=True) if np.ptp(c) == 0]
    if constant:
        raise ValueError(f"feature(s) {', '.join(constant)} are constant: nothing to learn from")
    effs = np.asarray([check_real(e, "efficiencies", low=0.0, high=1.0, low_open=True)
                       for e in o["efficiencies"]], float)
    if len(effs) == 0:
        raise ValueError("efficiencies: give at least one")
    window_bins = check_int(o["window_bins"], "window_bins", low=1)
    sideband_bins = check_int(o["sideband_bins"], "sideband_bins", low=1)
    min_side_bins = max(check_int(o["min_side_bins"], "min_side_bins", low=1), sideband_bins)
    n_folds = check_int(o["n_folds"], "n_folds", low=2)
    n_pseudo = check_int(n_pseudo, "n_pseudo", low=0)
    min_sideband_events = check_int(o["min_sideband_events"], "min_sideband_events", low=1)
    relative_bin_width = check_real(o["relative_bin_width"], "relative_bin_width", low=0.0, high=1.0,
                                    low_open=True)
    mass_range = o["mass_range"]
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
    X, m, wt = X[inside], m[inside], wt[inside]
    if not wt.sum() > 0:
        raise ValueError(f"weights: the events in {lo:.0f}-{hi:.0f} GeV have zero total weight")
    n_params = o["n_params"]
    cfg = dict(method=method, edges=edges, windows=windows, efficiencies=effs, sideband_bins=sideband_bins,
               n_folds=n_folds, classifier=o["classifier"], density=o["density"],
               n_components=o["n_components"], flow=o["flow"],
               oversample=check_int(o["oversample"], "oversample", low=1),
               decorrelate=bool(o["decorrelate"]), min_sideband_events=min_sideband_events, n_params=n_params,
               sqrt_s=sqrt_s)
    full = fit_dijet_histogram(edges, np.histogram(m, edges, weights=wt)[0], n_params=n_params, sqrt_s=sqrt_s,
                               scale=float((wt**2).sum() / wt.sum()))
    if not full.converged:
        raise ValueError(f"the background fit to the whole spectrum did not converge: {full.message}")
    fine = np.geomspace(lo, hi, 8 * n_bins + 1)
    return _Plan(X, wt, m, names, cfg, (lo, hi), fine, full.expected(fine), spawn_seeds(seed, n_pseudo + 1))


def _run(plans: list[_Plan], executor: Any, desc: str) -> list[list[dict]]:
    """Every hunt of every plan (its data's and its surrogates') through one ``executor.map``,
    one task per block of windows of one hunt; returns, per plan and hunt, its windows' results.

    Blocks: about 8 tasks per worker in all (every worker busy to the end, progress to show), and
    at least one hunt per task's worth of windows when there are many hunts (fewer copies of the
    features to send); a block takes every n-th window so that blocks cost alike (the windows at
    low mass hold the most events)."""
    executor = InlineExecutor() if executor is None else executor
    n_hunts = sum(1 + p.n_pseudo for p in plans)
    per_hunt = -(-8 * max(1, int(executor.n_workers)) // n_hunts)
    items, owner = [], []
    for i, plan in enumerate(plans):
        n_w = len(plan.cfg["windows"])
        n_blocks = max(1, min(n_w, per_hunt))
        for h, source in enumerate(plan.sources()):
            for b in range(n_blocks):
                items.append((plan.X, plan.w, source, plan.cfg, tuple(range(b, n_w, n_blocks)), h == 0))
                owner.append((i, h))
    try:
        out = executor.map(_hunt_block, items, desc=desc)
    except Exception as exc:  # a physml.parallel MapError: pass on the first failure's ValueError
        first = next(iter(getattr(exc, "failures", {}).values()), None)
        if isinstance(first, ValueError):
            raise ValueError(str(first).splitlines()[0]) from exc
        raise
    found: list[list[list[dict | None]]] = [[[None] * len(p.cfg["windows"]) for _ in range(1 + p.n_pseudo)]
                                            for p in plans]
    for (i, h), item, result in zip(owner, items, out, strict=True):
        for w, r in zip(item[4], result, strict=True):
            found[i][h][w] = r
    return [[_assemble(plan, hunt) for hunt in hunts] for plan, hunts in zip(plans, found, strict=True)]


def _assemble(plan: _Plan, windows: list[dict | None]) -> dict:
    """One hunt's windows as arrays of shape (n_windows, n_eff); ``skipped``: the windows not searched."""
    shape = (len(windows), len(plan.cfg["efficiencies"]))
    out = {"observed": np.zeros(shape), "background": np.zeros(shape), "background_err": np.zeros(shape),
           "z_local": np.full(shape, np.nan), "scale": np.ones(shape), "skipped": [], "selections": {}}
    for w, r in enumerate(windows):
        if r is None:
            out["skipped"].append(w)
            continue
        for key in ("observed", "background", "background_err", "z_local", "scale"):
            out[key][w] = r[key]
        out["selections"].update({(w, e): c for e, c in enumerate(r["selections"]) if c is not None})
    return out


def _result(plan: _Plan, hunts: list[dict]) -> WeakHunt:
    """The :class:`WeakHunt` of one plan from its hunts (the data's first, then the surrogates')."""
    cfg = plan.cfg
    edges, windows, effs, n_params, sqrt_s = (cfg[k] for k in ("edges", "windows", "efficiencies", "n_params",
                                                               "sqrt_s"))
    lo, hi = plan.mass_range
    data, surrogates = hunts[0], hunts[1:]
    flags: list[str] = []
    z = data["z_local"]
    if data["skipped"]:
        if len(data["skipped"]) == len(windows):
            raise ValueError(
                f"every window's sidebands hold fewer than {cfg['min_sideband_events']} events (or its "
                f"signal region fewer than {2 * cfg['n_folds']}, or a sideband too few for its density): "
                f"{len(plan.m)} events in {lo:.0f}-{hi:.0f} GeV are too few "
                "for the training")
        bad = [f"{edges[windows[w, 0]]:.0f}-{edges[windows[w, 1]]:.0f}" for w in data["skipped"]]
        flags.append(f"window(s) {', '.join(bad)} GeV not searched: fewer than {cfg['min_sideband_events']} "
                     "sideband events (or too few for a model)")
    if not np.isfinite(z).any():
        raise ValueError("no window's background fit of the selected events converged")
    flat = int(np.nanargmax(np.where(np.isfinite(z), z, -np.inf)))
    w, e = divmod(flat, len(effs))
    z_max = float(z[w, e])
    p_local = float(stats.norm.sf(z_max))
    zp = np.array([np.nanmax(r["z_local"]) if np.isfinite(r["z_local"]).any() else np.nan
                   for r in surrogates])
    valid = zp[np.isfinite(zp)]
    pooled = np.concatenate([r["z_local"][np.isfinite(r["z_local"])] for r in surrogates] or [np.empty(0)])
    if len(valid):
        p_global, flag = global_p_value(z_max, valid, what="surrogate")
        if flag:
            flags.append(flag)
        z_global = float(stats.norm.isf(p_global))
    else:
        p_global = z_global = float("nan")
    if len(pooled):
        s_mean = float(pooled.mean())
        # windows and efficiencies of one surrogate are correlated: the error uses surrogate means
        per = np.array([np.nanmean(r["z_local"]) for r in surrogates if np.isfinite(r["z_local"]).any()])
        s_err = float(per.std(ddof=1) / np.sqrt(len(per))) if len(per) > 1 else float("nan")
        s_frac = float(np.mean(pooled > 2.0))
        if s_mean > 0.5:
            flags.append(f"sculpting: the selection makes bumps on background-only surrogates (mean local "
                         f"Z {s_mean:.2f} ± {s_err:.2f})")
    else:
        s_mean = s_err = s_frac = float("nan")
    a, b = windows[w]
    counts, scale = data["selections"][(w, e)], float(data["scale"][w, e])
    centres = np.sqrt(edges[a:b] * edges[a + 1 : b + 1])
    fit = _count_fit(edges, counts, a, b, n_params, sqrt_s, scale)
    expected_bins = fit.expected()[a:b]
    excess = counts[a:b] - data["background"][w, e] * expected_bins / expected_bins.sum()
    total = excess.sum()
    if total > 0:
        mass = float((centres * excess).sum() / total)
        var = float(((centres - mass) ** 2 * counts[a:b] * scale).sum() / total**2)
        mass_err = float(np.sqrt(var + np.mean(edges[a + 1 : b + 1] - edges[a:b]) ** 2 / 12.0))
    else:
        mass, mass_err = float(np.sqrt(edges[a] * edges[b])), float(0.5 * (edges[b] - edges[a]))
        flags.append("no excess in any window: the mass is the centre of the most significant window")
    n_sig = float(data["observed"][w, e] - data["background"][w, e])
    n_sig_err = float(np.sqrt(data["observed"][w, e] * scale + data["background_err"][w, e] ** 2))
    return WeakHunt(cfg["method"], plan.names, edges, windows,
                    np.stack([edges[windows[:, 0]], edges[windows[:, 1]]], 1), effs, data["observed"],
                    data["background"], data["background_err"], z, (w, e), z_max, p_local, p_global, z_global,
                    zp, mass, mass_err, n_sig, n_sig_err, s_mean, s_err, s_frac, int(len(plan.m)), flags)


# ---------------------------------------------------------------------------------------------
# the false-positive rate on signal-free boxes

#: the options of :func:`weak_hunt` that :func:`false_positive_rate` passes on, with their defaults
_HUNT_DEFAULTS = {name: p.default for name, p in inspect.signature(weak_hunt).parameters.items()
                  if p.kind is p.KEYWORD_ONLY and name not in ("weights", "n_pseudo", "seed", "executor")}


def _n_rejecting(pool: int, alpha: float) -> int:
    """How many counts e of surrogates at or above Z_max give p = (1 + e)/(1 + pool) < alpha."""
    return int(np.sum((1 + np.arange(pool + 1)) / (1 + pool) < alpha))


def _leave_one_out(z_max: np.ndarray, z_null: list[np.ndarray]) -> tuple[np.ndarray, int]:
    """Each box's global p-value (as :func:`weak_hunt` computes it) from the largest local Z of the
    other boxes' surrogates ``z_null`` (NaN: a surrogate without a converged fit, dropped), and the
    smallest pool."""
    z_null = [np.asarray(z, float)[np.isfinite(z)] for z in z_null]
    p_values, sizes = np.full(len(z_max), np.nan), np.zeros(len(z_max), int)
    for i, z in enumerate(z_max):
        others = np.concatenate([v for j, v in enumerate(z_null) if j != i])
        sizes[i] = len(others)
        if len(others):
            p_values[i] = global_p_value(float(z), others)[0]
    return p_values, int(sizes.min())


@dataclass
class FalsePositiveRate:
    """The result of :func:`false_positive_rate`.

    Attributes
    ----------
    alpha : float
        A box is a false positive when its global p-value is below ``alpha``.
    hunts : list of WeakHunt
        Each signal-free box's hunt with its own ``n_pseudo`` surrogates (their ``p_global`` is
        the per-box calibration, coarse with few surrogates).
    p_values : ndarray
        Each box's global p-value calibrated on the other boxes' surrogates.
    pool_size : int
        The fewest surrogates any box's p-value was calibrated on (M).
    n_false : int
        Boxes with p < ``alpha``.
    rate, expected_rate, rate_err : float
        The observed false-positive rate; the rate of an exact calibration, r/(M + 1) with r the
        number of exceeding surrogates that still give p < α (≤ α: the p-values are discrete);
        the standard deviation of the rate under that null (beta-binomial).
    p_value : float
        Two-sided p-value of ``n_false`` under that null (2 × the smaller tail, at most 1).
    """

    alpha: float
    hunts: list[WeakHunt]
    p_values: np.ndarray
    pool_size: int
    n_false: int
    rate: float
    expected_rate: float
    rate_err: float
    p_value: float

    def consistent(self, level: float = 0.05) -> bool:
        """Whether the number of false positives is consistent with a calibrated p-value."""
        return bool(self.p_value >= level)

    def report(self) -> dict:
        """JSON-friendly summary."""
        return {
            "alpha": self.alpha,
            "n_boxes": len(self.hunts),
            "n_pseudo_per_box": int(len(self.hunts[0].z_max_pseudo)),
            "pool_size": self.pool_size,
            "false_positives": self.n_false,
            "false_positive_rate": self.rate,
            "expected_rate": self.expected_rate,
            "rate_err": self.rate_err,
            "p_value": self.p_value,
            "consistent": self.consistent(),
            "p_global": [float(v) for v in self.p_values],
            "p_global_own_surrogates": [float(h.p_global) for h in self.hunts],
            "z_max": [float(h.z_max) for h in self.hunts],
            "calibration": "each box's largest local Z against the largest local Z of the other boxes' "
                           "background-only surrogates (leave one box out)",
        }


def false_positive_rate(
    boxes: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    alpha: float = 0.1,
    n_pseudo: int = 2,
    seed: int = 0,
    executor: Any = None,
    **options: Any,
) -> FalsePositiveRate:
    """The fraction of signal-free boxes in which :func:`weak_hunt` reports p < ``alpha``.

    The global p-value of a box is its largest local Z compared with the largest local Z of
    background-only surrogates. Calibrating every box on its own 20 or more surrogates would cost
    ~20 hunts per box. Here every box gets ``n_pseudo`` surrogates, and each box's p-value is
    calibrated on the surrogates of all the *other* boxes (leave one box out): the surrogates of
    boxes drawn from the same model are draws of the same surrogate null, and none of them shares
    feature rows with the box it calibrates. What is under test is that null: if the
    surrogates' largest local Z is distributed as a signal-free box's, a box's Z_max ranks
    uniformly among its M pool values, it is a false positive when fewer than r pool values
    reach it (r = the counts for which (1 + e)/(1 + M) < α), with probability U ~ Beta(r,
    M − r + 1) given the pool (mean r/(M + 1) ≤ α), and the number of false positives among N
    boxes is beta-binomial(N, r, M − r + 1) (exact for one pool shared by all boxes; the
    leave-one-out pools differ by one box's surrogates). The standard deviation of the rate is
    ≈ sqrt(q(1 − q)(1/N + 1/M)): the boxes' binomial error and the pool's. Resolving α to 2σ ≤ α
    with M ≫ N takes N ≥ 4(1 − α)/α boxes: 36 at α = 0.1, 76 at 0.05, 396 at 0.01 (with
    ``n_pseudo=2``, M = 2(N − 1): 1.5 times as many); α must satisfy α(M + 1) > 1.

    Parameters
    ----------
    boxes : sequence of (X, mjj)
        Signal-free samples of the same size from the same model (independent for an exact
        binomial error).
    alpha : float
        The p-value threshold (0 < alpha ≤ 1).
    n_pseudo : int
        Surrogates per box (≥ 1).
    seed : int
        Box i is hunted with the i-th seed derived from it.
    executor : physml.parallel executor, optional
        Runs all the boxes' hunts, a task per block of windows (default: in this process).
    **options
        Any option of :func:`weak_hunt` (``method``, ``efficiencies``, ...).

    Raises
    ------
    ValueError
        Fewer than 2 boxes, ``alpha`` out of range or unreachable with the pool, or a box's hunt
        refused (the message names the box).
    TypeError
        An option that :func:`weak_hunt` does not take.
    """
    boxes = list(boxes)
    if len(boxes) < 2:
        raise ValueError(f"boxes: give at least 2 signal-free boxes, got {len(boxes)}")
    alpha = check_real(alpha, "alpha", low=0.0, high=1.0, low_open=True)
    n_pseudo = check_int(n_pseudo, "n_pseudo", low=1)
    unknown = sorted(set(options) - set(_HUNT_DEFAULTS))
    if unknown:
        raise TypeError(f"false_positive_rate: unknown option(s) {', '.join(unknown)}; accepted: "
                        f"{', '.join(_HUNT_DEFAULTS)}")
    n = len(boxes)
    pool = (n - 1) * n_pseudo
    if _n_rejecting(pool, alpha) == 0:
        need = max(1, int(np.floor(1.0 / alpha)) - 1)
        while _n_rejecting(need, alpha) == 0:
            need += 1
        raise ValueError(f"alpha={alpha:g}: with (n_boxes − 1) × n_pseudo = {pool} surrogates no box can "
                         f"have p < alpha by counting (p ≥ 1/{pool + 1}); give at least {need}")
    opts = {**_HUNT_DEFAULTS, **options}
    plans = []
    for i, ((X, m), s) in enumerate(zip(boxes, spawn_seeds(seed, n), strict=True)):
        try:
            plans.append(_prepare(X, m, opts, n_pseudo=n_pseudo, seed=s))
        except ValueError as exc:
            raise ValueError(f"box {i}: {str(exc).splitlines()[0]}") from exc
    method = plans[0].cfg["method"]
    outputs = _run(plans, executor, f"false-positive rate ({method}): {n} boxes × (1 + {n_pseudo}) hunts")
    hunts = []
    for i, (plan, out) in enumerate(zip(plans, outputs, strict=True)):
        try:
            hunts.append(_result(plan, out))
        except ValueError as exc:
            raise ValueError(f"box {i}: {str(exc).splitlines()[0]}") from exc
    p_values, pool = _leave_one_out(np.array([h.z_max for h in hunts]), [h.z_max_pseudo for h in hunts])
    r = _n_rejecting(pool, alpha)
    if r == 0:
        raise ValueError(f"only {pool} surrogates' fits converged for some box: too few for "
                         f"p < alpha={alpha:g}")
    n_false = int(np.sum(p_values < alpha))
    null = stats.betabinom(n, r, pool - r + 1)
    p_value = float(min(1.0, 2.0 * min(null.sf(n_false - 1), null.cdf(n_false))))
    return FalsePositiveRate(alpha, hunts, p_values, pool, n_false, n_false / n, r / (pool + 1),
                             float(null.std() / n), p_value)
