"""The anomaly scorers under the model contract: one fit signature for the weakly supervised
methods (the old ones still work, with a DeprecationWarning, and give the same numbers), class
balancing for every classifier (sample weights, or rows drawn again for classifiers without
them), and files without pickle (boosted trees as arrays, identical scores after loading)."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from physml.anomaly import AnodeScorer, CathodeScorer, CWoLaScorer, SupervisedScorer

pytestmark = pytest.mark.usefixtures("one_torch_thread", "one_blas_thread")


def events(n=1200, seed=0):
    """Features whose first column drifts with mjj, a signal-region flag and the masses."""
    rng = np.random.default_rng(seed)
    mjj = rng.uniform(2500.0, 4500.0, n)
    X = np.column_stack([rng.normal(mjj / 4000, 0.3), rng.normal(0.5, 0.2, n)])
    y = ((mjj > 3300) & (mjj < 3700)).astype(int)
    return X, y, mjj


def sr_first(X, y, mjj):
    """The same events with the signal region first: the layout of the old fit calls."""
    order = np.r_[np.flatnonzero(y == 1), np.flatnonzero(y == 0)]
    return X[order], y[order], mjj[order]


def test_the_old_calls_still_work_with_a_warning_and_give_the_same_scores():
    X, y, m = sr_first(*events())
    sr, sb = y == 1, y == 0
    Xt = events(200, seed=1)[0]
    mt = np.full(200, 3500.0)
    new = CWoLaScorer(n_folds=3, seed=4).fit(X, y)
    with pytest.deprecated_call(match=r"CWoLaScorer.fit\(X_signal_region, X_reference\)"):
        old = CWoLaScorer(n_folds=3, seed=4).fit(X[sr], X[sb])
    np.testing.assert_array_equal(old.score_samples(Xt), new.score_samples(Xt))
    np.testing.assert_array_equal(old.oof_scores_, new.oof_scores_)
    for cls, kw in ((AnodeScorer, {}), (CathodeScorer, {"oversample": 2, "n_folds": 3})):
        new = cls(2, density="gmm", seed=4, **kw).fit(X, y, mjj=m)
        with pytest.deprecated_call(match=r"fit\(X_sr, m_sr, X_sb, m_sb\)"):
            old = cls(2, density="gmm", seed=4, **kw).fit(X[sr], m[sr], X[sb], m[sb])
        np.testing.assert_array_equal(old.score_samples(Xt, mjj=mt), new.score_samples(Xt, mjj=mt))


def test_the_order_of_the_events_is_free_in_the_new_call():
    # the sideband density and the SR sample do not depend on where the SR rows sit
    X, y, m = events()
    a = AnodeScorer(2, density="gmm", seed=0).fit(X, y, mjj=m)
    b = AnodeScorer(2, density="gmm", seed=0).fit(*sr_first(X, y, m)[:2], mjj=sr_first(X, y, m)[2])
    Xt, _, mt = events(50, seed=2)
    np.testing.assert_allclose(a.score_samples(Xt, mt), b.score_samples(Xt, mt), rtol=1e-12)


def test_the_region_flag_and_the_masses_are_checked():
    X, y, m = events(300)
    with pytest.raises(ValueError, match="y must be 1 .signal region. or 0"):
        CWoLaScorer().fit(X, np.where(y == 1, 2, 0))
    with pytest.raises(ValueError, match="both classes"):
        CWoLaScorer().fit(X, np.zeros(len(X), int))
    with pytest.raises(TypeError, match="needs mjj="):
        AnodeScorer(density="gmm").fit(X, y)
    with pytest.raises(ValueError, match="mjj has 299 entries"):
        CathodeScorer(density="gmm").fit(X, y, mjj=m[:-1])
    with pytest.raises(ValueError, match="mjj must be positive"):
        AnodeScorer(density="gmm").fit(X, y, mjj=-m)
    anode = AnodeScorer(2, density="gmm").fit(X, y, mjj=m)
    with pytest.raises(TypeError, match="needs mjj"):
        anode.score_samples(X)
    with pytest.raises(NotFittedError):
        AnodeScorer().score_samples(X, mjj=m)


def uninformative(seed=3):
    """Features that carry no information about y; 1 in 5 events in the "signal region"."""
    rng = np.random.default_rng(seed)
    return rng.normal(size=(1000, 2)), (np.arange(1000) % 5 == 0).astype(int), rng.normal(size=(2000, 2))


@pytest.mark.parametrize("balance", [True, False])
def test_the_mlp_classifier_is_balanced(balance):
    # the bug: balance=True passed sample_weight to physml.nets.MLPClassifier.fit, which had none.
    # The balanced classifier's mean probability of the signal region is near 1/2, the unbalanced
    # one's near the fraction 1/5
    X, y, Xt = uninformative()
    cw = CWoLaScorer(n_folds=2, classifier="mlp", balance=balance, seed=0).fit(X, y)
    assert abs(cw.score_samples(Xt).mean() - (0.5 if balance else 0.2)) < 0.1


@pytest.mark.parametrize("balance", [True, False])
def test_a_classifier_without_sample_weights_is_balanced_by_drawing_rows_again(balance):
    from sklearn.neighbors import KNeighborsClassifier

    X, y, Xt = uninformative()
    cw = CWoLaScorer(n_folds=2, classifier=KNeighborsClassifier(60), balance=balance, seed=0).fit(X, y)
    assert abs(cw.score_samples(Xt).mean() - (0.5 if balance else 0.2)) < 0.06


def test_cathode_with_the_mlp_classifier_fits():
    X, y, m = events(600)
    cath = CathodeScorer(2, density="gmm", oversample=2, n_folds=2, classifier="mlp", seed=0).fit(X, y, mjj=m)
    assert cath.oof_scores_.shape == ((y == 1).sum(),)
    assert np.isfinite(cath.score_samples(X)).all()


def test_saved_boosted_trees_give_identical_scores_even_on_the_split_thresholds(tmp_path):
    X, y, m = events(3000)
    cw = CWoLaScorer(n_folds=3, seed=1).fit(X, y)
    # test points on the trees' thresholds, where "x <= threshold goes left" decides
    nodes = [t.nodes for model in cw.models_ for it in model._predictors for t in it]
    split = np.concatenate([n[n["is_leaf"] == 0] for n in nodes])
    rng = np.random.default_rng(0)
    Xt = events(500, seed=5)[0]
    for f in range(2):
        at = split["num_threshold"][split["feature_idx"] == f]
        Xt[: len(at[:250]), f] = rng.permutation(at)[:250]
    cw.save(tmp_path / "cwola.npz")
    back = CWoLaScorer.load(tmp_path / "cwola.npz")
    np.testing.assert_array_equal(back.score_samples(Xt), cw.score_samples(Xt))
    np.testing.assert_array_equal(back.oof_scores_, cw.oof_scores_)
    np.testing.assert_array_equal(back.signal_region_scores_, cw.signal_region_scores_)
    back.save(tmp_path / "again.npz")  # a loaded scorer saves again
    again = CWoLaScorer.load(tmp_path / "again.npz")
    np.testing.assert_array_equal(again.score_samples(Xt), cw.score_samples(Xt))


def test_a_scorer_with_a_classifier_of_its_own_cannot_be_saved_and_says_so(tmp_path):
    from sklearn.linear_model import LogisticRegression

    X, y, _ = events(300)
    sup = SupervisedScorer(LogisticRegression()).fit(X, y)
    expected = "LogisticRegression has no array form.*classifier='hgb' or 'mlp'"
    with pytest.raises(TypeError, match=expected) as info:
        sup.save(tmp_path / "s.npz")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "s.npz").exists()


def test_weighted_events_need_a_classifier_with_sample_weights():
    from sklearn.neighbors import KNeighborsClassifier

    X, y, _ = events(300)
    w = np.ones(len(X))
    assert SupervisedScorer(seed=0).fit(X, y, sample_weight=w).score_samples(X).shape == (300,)
    with pytest.raises(TypeError, match="KNeighborsClassifier takes no sample_weight"):
        SupervisedScorer(KNeighborsClassifier()).fit(X, y, sample_weight=w)


def test_mlp_scorers_save_and_load(tmp_path):
    X, y, _ = events(400)
    for est in (SupervisedScorer("mlp", seed=0).fit(X, y), CWoLaScorer(2, "mlp", seed=0).fit(X, y)):
        est.save(tmp_path / "m.npz")
        back = type(est).load(tmp_path / "m.npz")
        np.testing.assert_array_equal(back.score_samples(X), est.score_samples(X))
