"""The weakly supervised sliding-window hunt (physml.anomaly.weak_hunt)."""

import numpy as np
import pytest
from scipy import stats

from physml import anomaly
from physml._core import spawn_seeds
from physml.anomaly import _weakhunt as wh
from physml.data.collider import dijet_toy
from physml.parallel import InlineExecutor

COLS = ("mj1", "mj2", "tau21_j1", "tau21_j2")


def _events(n_background, n_signal, seed, mass=4000.0):
    ev = dijet_toy(n_background, n_signal, m_resonance=mass, seed=seed)
    return np.column_stack([ev[c] for c in COLS]), ev["mjj"]


@pytest.mark.slow
def test_cwola_hunt_finds_the_resonance_that_the_plain_hunt_misses():
    X, m = _events(20000, 180, seed=11)
    plain = anomaly.bump_hunt(m, n_pseudo=0)
    result = anomaly.weak_hunt(X, m, features=list(COLS), n_pseudo=3, seed=0)
    report = result.report()
    # 180 signal events (0.9%) in a 5% resolution peak: the plain hunt's local Z is 3.7 (a 4-sigma
    # deviation of a scan's maximum is ~1 in 100 boxes), the learnt selection's 8.4 (measured, seed fixed)
    assert plain.z_max < 4.2
    assert result.z_max > 5.0 and result.z_max > plain.z_max + 1.5
    assert abs(report["mass"] - 4000) < 200
    assert report["signal_found"] is True
    assert report["n_signal"] > 3 * report["n_signal_err"]
    assert set(report) >= {"signal_found", "mass", "mass_err", "p_value_background_only", "n_signal",
                           "method", "efficiency", "sculpting"}
    # no event scored by a model that saw it: a background-only surrogate's local Z is N(0, 1) per
    # window; 3 surrogates x ~30 (window, efficiency) pairs, correlated: mean within 0.5 of 0
    assert abs(result.sculpting_mean_z) < 0.5
    assert not result.sculpted


@pytest.mark.slow
def test_background_only_hunt_reports_no_signal_and_no_sculpting():
    X, m = _events(20000, 0, seed=12)
    result = anomaly.weak_hunt(X, m, features=list(COLS), n_pseudo=3, seed=1)
    # without signal the observed Z_max is one more draw of the surrogates' distribution (~2-3.5)
    assert result.z_max < 4.5
    assert result.report()["signal_found"] is False
    assert abs(result.sculpting_mean_z) < 0.5


def test_no_pseudo_experiments_gives_no_verdict():
    X, m = _events(6000, 0, seed=13)
    result = anomaly.weak_hunt(X, m, n_pseudo=0, efficiencies=(0.1,), seed=0)
    report = result.report()
    assert report["signal_found"] is None and report["global_p_computed"] is False
    assert "not computed" in report["note"]
    assert np.isnan(result.sculpting_mean_z)


def test_decorrelation_removes_the_mass_trend_of_the_jet_masses():
    from physml.anomaly._weakhunt import _decorrelate

    X, m = _events(20000, 0, seed=14)
    Z = _decorrelate(X, np.log(m), np.ones(len(m), bool), np.all(X > 0, axis=0))
    # toy jet masses are mjj/2.4 times a log-normal: their log has slope 1 in ln mjj, and none after
    before = np.corrcoef(np.log(X[:, 0]), np.log(m))[0, 1]
    after = np.corrcoef(Z[:, 0], np.log(m))[0, 1]
    assert before > 0.2 and abs(after) < 4 / np.sqrt(len(m))


def test_bad_input():
    X, m = _events(3000, 0, seed=15)
    with pytest.raises(ValueError, match="constant"):
        anomaly.weak_hunt(np.column_stack([X, np.ones(len(X))]), m, features=[*COLS, "flat"], n_pseudo=0)
    with pytest.raises(ValueError, match="method"):
        anomaly.weak_hunt(X, m, method="magic", n_pseudo=0)
    with pytest.raises(ValueError, match="entries"):
        anomaly.weak_hunt(X, m[:-1], n_pseudo=0)
    with pytest.raises(ValueError, match="no event inside"):
        anomaly.weak_hunt(X, m, mass_range=(8000.0, 9000.0), n_pseudo=0)
    with pytest.raises(anomaly.BinningError):
        anomaly.weak_hunt(X, m, mass_range=(3000.0, 3300.0), n_pseudo=0)
    with pytest.raises(ValueError, match="sidebands hold fewer than 5000"):
        anomaly.weak_hunt(X, m, min_sideband_events=5000, n_pseudo=0)
    with pytest.raises(ValueError):
        anomaly.weak_hunt(np.where(np.arange(len(X))[:, None] == 0, np.nan, X), m, n_pseudo=0)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["cathode", "anode"])
def test_density_methods_find_the_resonance(method):
    X, m = _events(10000, 200, seed=16)
    result = anomaly.weak_hunt(X, m, method=method, n_pseudo=0, efficiencies=(0.1, 0.02),
                               mass_range=(3000.0, 6000.0), n_components=4, seed=0)
    assert result.method == method and result.z_local.shape == (len(result.windows), 2)
    # above ~4 TeV one sideband of 10,000 toy events is too small for a density: flagged, not searched
    assert any("not searched" in f for f in result.flags)
    # 200 signal events at 4 TeV over ~800 background events in the window: found at the right place
    assert result.z_max > 3.0
    assert abs(result.mass - 4000) < 300


# --- the executor's unit of work: blocks of windows of one hunt -------------------------------


class _ClaimsEightWorkers(InlineExecutor):
    """Runs inline but reports 8 workers, so weak_hunt cuts every hunt into more blocks of windows."""

    @property
    def n_workers(self):
        return 8


def test_results_do_not_depend_on_how_the_windows_are_split_into_tasks():
    X, m = _events(6000, 60, seed=17)
    kw = dict(n_pseudo=1, efficiencies=(0.1, 0.02), n_folds=2, seed=3)
    a = anomaly.weak_hunt(X, m, **kw)  # 2 hunts x 4 blocks
    b = anomaly.weak_hunt(X, m, executor=_ClaimsEightWorkers(), **kw)  # a block per window
    # every draw is seeded by the hunt and the window: bit-identical, not merely close
    assert np.array_equal(a.z_local, b.z_local, equal_nan=True)
    assert np.array_equal(a.z_max_pseudo, b.z_max_pseudo, equal_nan=True)
    assert (a.mass, a.p_global, a.sculpting_mean_z) == (b.mass, b.p_global, b.sculpting_mean_z)


@pytest.mark.slow
def test_a_process_pool_gives_the_same_hunt():
    from physml.parallel import ProcessExecutor

    X, m = _events(6000, 60, seed=18)
    kw = dict(n_pseudo=1, efficiencies=(0.1,), n_folds=2, seed=4)
    a = anomaly.weak_hunt(X, m, **kw)
    with ProcessExecutor(2) as pool:
        b = anomaly.weak_hunt(X, m, executor=pool, **kw)
    assert np.array_equal(a.z_local, b.z_local, equal_nan=True)
    assert np.array_equal(a.z_max_pseudo, b.z_max_pseudo, equal_nan=True)


def test_selection_keeps_the_asked_fraction_of_sideband_events_despite_ties():
    rng = np.random.default_rng(0)
    n = 20000
    sb = np.arange(n) < n // 2
    # 5 distinct scores, ~20% each: a strict cut at the (1 - eps) quantile would keep no event at all
    scores = rng.integers(0, 5, n).astype(float)
    for eff in (0.1, 0.02, 0.005):
        keep = wh._select(scores, sb, eff, np.random.default_rng(1))
        top = scores.max()
        assert keep[scores < top].sum() == 0
        tied_sb, tied_out = (scores == top) & sb, (scores == top) & ~sb
        prob = eff * sb.sum() / tied_sb.sum()  # nothing above the top value: only tied events
        for tied in (tied_sb, tied_out):  # kept ~ Binomial(n_tied, prob) inside and outside the sidebands
            k, nt = keep[tied].sum(), tied.sum()
            assert abs(k - prob * nt) < 4 * np.sqrt(nt * prob * (1 - prob))
    # distinct scores: exactly eps x n_sb sideband events above the cut
    scores = rng.random(n)
    for eff, want in ((0.1, 1000), (0.02, 200), (0.005, 50)):
        assert wh._select(scores, sb, eff, np.random.default_rng(2))[sb].sum() == want


def test_a_degenerate_background_fit_is_not_a_prediction():
    # a selected spectrum seen in a signal-free toy box: empty bins above a 3-bin window
    edges = anomaly.dijet_bins(2503.566, 6853.972, relative_width=0.05)
    counts = np.array([34, 25, 19, 12, 16, 10, 6, 3, 0, 3, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0], float)
    mask = np.ones(len(counts), bool)
    mask[9:12] = False
    with np.errstate(all="ignore"):
        four = anomaly.fit_dijet_histogram(edges, counts, mask=mask, n_params=4)
    # "converged", with p0 overflowing: it predicted 0.05 events where 7 were seen (local Z > 5)
    assert four.converged and not np.isfinite(four.params).all()
    fit = wh._count_fit(edges, counts, 9, 12, 4, 13000.0)
    assert fit is None or (np.isfinite(fit.params).all() and fit.params[3] == 0)  # the 3-parameter fallback


# --- the false-positive rate --------------------------------------------------------------------


def test_leave_one_out_counts_follow_the_beta_binomial_null():
    # box and surrogate Z_max drawn alike (a calibrated null): N = 11 boxes, 1 surrogate each,
    # alpha = 0.1: M = 10, r = 1; the count is beta-binomial(11, 1, 10) for a shared pool, and
    # the leave-one-out pools differ from it by one value
    rng = np.random.default_rng(5)
    n_sim, N = 600, 11
    counts = np.array([np.sum(wh._leave_one_out(rng.normal(size=N), list(rng.normal(size=(N, 1))))[0] < 0.1)
                       for _ in range(n_sim)])
    null = stats.betabinom(N, 1, 10)
    # Monte Carlo errors: sd/sqrt(n_sim) for the mean, binomial for a tail; 4 sigma
    assert abs(counts.mean() - null.mean()) < 4 * null.std() / np.sqrt(n_sim)
    tail = null.sf(2)  # P(K >= 3)
    assert abs(np.mean(counts >= 3) - tail) < 4 * np.sqrt(tail * (1 - tail) / n_sim)


def test_false_positive_rate_bookkeeping():
    boxes = [_events(5000, 0, seed=30 + i) for i in range(4)]
    kw = dict(efficiencies=(0.1,), n_folds=2)
    fp = anomaly.false_positive_rate(boxes, alpha=0.2, n_pseudo=2, seed=6, **kw)
    assert len(fp.hunts) == 4 and fp.pool_size == 6
    z = np.array([h.z_max for h in fp.hunts])
    for i in range(4):
        pool = np.concatenate([g.z_max_pseudo for j, g in enumerate(fp.hunts) if j != i])
        exceed = np.sum(pool >= z[i])
        if exceed:
            assert fp.p_values[i] == (1 + exceed) / 7
        else:  # extrapolated with the trials factor, never above the counting bound
            assert 0 < fp.p_values[i] <= 1 / 7
    # p < 0.2 exactly when no surrogate of the pool reaches the box: r = 1, expected rate 1/7
    assert fp.n_false == np.sum(fp.p_values < 0.2) and fp.rate == fp.n_false / 4
    assert fp.expected_rate == pytest.approx(1 / 7)
    null = stats.betabinom(4, 1, 6)
    assert fp.rate_err == pytest.approx(null.std() / 4)
    assert fp.p_value == pytest.approx(min(1.0, 2 * min(null.sf(fp.n_false - 1), null.cdf(fp.n_false))))
    # each box is the hunt weak_hunt gives with the box's derived seed
    own = anomaly.weak_hunt(*boxes[1], n_pseudo=2, seed=spawn_seeds(6, 4)[1], **kw)
    assert own.z_max == fp.hunts[1].z_max and np.array_equal(own.z_max_pseudo, fp.hunts[1].z_max_pseudo)
    assert set(fp.report()) >= {"false_positives", "false_positive_rate", "expected_rate", "p_value",
                                "p_global"}


def test_false_positive_rate_bad_input():
    boxes = [_events(3000, 0, seed=40 + i) for i in range(3)]
    with pytest.raises(ValueError, match="at least 2"):
        anomaly.false_positive_rate(boxes[:1])
    with pytest.raises(ValueError, match="give at least 10"):
        anomaly.false_positive_rate(boxes, alpha=0.1, n_pseudo=1)
    with pytest.raises(TypeError, match="unknown option.*colour"):
        anomaly.false_positive_rate(boxes, alpha=0.5, n_pseudo=1, colour="red")
    with pytest.raises(ValueError, match="^box 1: mjj has"):
        anomaly.false_positive_rate([boxes[0], (boxes[1][0], boxes[1][1][:-1])], alpha=0.9)


def test_global_p_value_counts_then_extrapolates():
    p, flag = anomaly.global_p_value(2.5, np.array([1.0, 2.0, 3.0, np.nan]))
    assert p == 2 / 4 and flag is None  # one of the 3 finite values reaches 2.5
    p, flag = anomaly.global_p_value(5.0, np.array([1.0, 2.0, 3.0]), what="surrogate")
    # none reaches 5: trials factor 0.5 / P(Z > 2) at the median, times P(Z > 5), below the bound 1/4
    assert p == pytest.approx(0.5 / stats.norm.sf(2.0) * stats.norm.sf(5.0), rel=1e-12)
    assert "no surrogate reached Z = 5.00" in flag and "3 surrogates" in flag
    with pytest.raises(ValueError, match="z_null"):
        anomaly.global_p_value(1.0, np.array([np.nan]))


# --- weighted events (CWoLa) ------------------------------------------------------------------


def test_equal_weights_give_the_unweighted_hunt():
    X, m = _events(6000, 60, seed=50)
    kw = dict(n_pseudo=1, efficiencies=(0.1, 0.02), n_folds=2, seed=7)
    a = anomaly.weak_hunt(X, m, **kw)
    b = anomaly.weak_hunt(X, m, weights=np.full(len(m), 2.0), **kw)
    # weight 2 (a power of 2: every product exact): the classifier's weights are normalised, the
    # selection keeps the same sideband fraction, and the fit of n/s with s = 2 is the same fit
    assert np.array_equal(a.z_local, b.z_local, equal_nan=True)
    assert np.array_equal(a.z_max_pseudo, b.z_max_pseudo, equal_nan=True)
    assert a.mass == b.mass and a.p_global == b.p_global
    assert b.n_signal == 2 * a.n_signal and b.n_signal_err == 2 * a.n_signal_err


def test_integer_weights_fit_like_duplicated_events_with_their_own_error():
    # the histogram of events of weight k is that of k copies; the scaled Poisson fit of n/s has the
    # same maximum (the log-likelihood is divided by s) and a covariance s times larger, so the
    # background is the same and its error sqrt(s) times the copies' (which wrongly count as independent)
    rng = np.random.default_rng(8)
    edges = anomaly.dijet_bins(2600.0, 6000.0, relative_width=0.05)
    mjj = 2600.0 * np.exp(rng.exponential(0.25, 20000))
    k = rng.integers(1, 4, len(mjj)).astype(float)
    counts = np.histogram(mjj, edges, weights=k)[0]
    assert np.array_equal(counts, np.histogram(np.repeat(mjj, k.astype(int)), edges)[0])
    s = float((k**2).sum() / k.sum())
    weighted = wh._count_fit(edges, counts, 8, 11, 4, 13000.0, s)
    copies = wh._count_fit(edges, counts, 8, 11, 4, 13000.0, 1.0)
    (b_w, e_w), (b_c, e_c) = weighted.predict(edges[8], edges[11]), copies.predict(edges[8], edges[11])
    assert b_w == pytest.approx(b_c, rel=1e-6) and e_w == pytest.approx(np.sqrt(s) * e_c, rel=1e-4)


def test_weighted_selection_keeps_the_asked_fraction_of_sideband_weight():
    rng = np.random.default_rng(9)
    n = 5000
    sb = rng.random(n) < 0.6
    scores, w = rng.random(n), rng.integers(1, 4, n).astype(float)
    for eff in (0.1, 0.02, 0.005):
        wanted = eff * w[sb].sum()
        keep = wh._select(scores, sb, eff, np.random.default_rng(1), w)
        # distinct scores: the sideband events above the cut weigh at most the wanted weight, and
        # with the one at the cut (kept by chance) more: the kept weight is within one weight of it
        assert scores[keep].min() > scores[~keep].max()  # the events kept are the highest scores
        assert abs(w[sb & keep].sum() - wanted) < w.max()


def test_weights_bad_input():
    X, m = _events(3000, 0, seed=51)
    with pytest.raises(ValueError, match="weights has 2999 entries"):
        anomaly.weak_hunt(X, m, weights=np.ones(len(m) - 1), n_pseudo=0)
    with pytest.raises(ValueError, match="weights must be >= 0"):
        anomaly.weak_hunt(X, m, weights=-np.ones(len(m)), n_pseudo=0)
    with pytest.raises(ValueError, match="'anode' fits densities"):
        anomaly.weak_hunt(X, m, method="anode", weights=np.arange(len(m), dtype=float), n_pseudo=0)
