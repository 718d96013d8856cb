"""Anomaly scorers: k-fold hygiene, exact Gaussian conditioning, and each method on the toy."""

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_limits

from physml.anomaly import (
    AnodeScorer,
    AutoencoderScorer,
    CathodeScorer,
    ConditionalGaussianMixture,
    CWoLaScorer,
    SignalRegion,
    SupervisedScorer,
    anomaly_features,
    roc_auc,
)
from physml.data.collider import dijet_toy


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    with threadpool_limits(1):
        yield
    torch.set_num_threads(before)


def test_cwola_kfold_never_scores_an_event_with_a_model_that_saw_it():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))  # labels carry no information
    cw = CWoLaScorer(n_folds=4, classifier=KNeighborsClassifier(1), balance=False).fit(X[:200], X[200:])
    y = np.r_[np.ones(200), np.zeros(200)]
    # a 1-NN memorises its training set (in-sample AUC 1); out of fold it is a coin flip
    assert abs(roc_auc(y, cw.oof_scores_) - 0.5) < 4 * np.sqrt(1 / (12 * 200) * 2)


def test_conditional_mixture_conditions_a_gaussian_exactly():
    rng = np.random.default_rng(1)
    m = np.exp(rng.uniform(np.log(2000), np.log(5000), 20000))
    x = (2.0 * np.log(m) + 0.3 * rng.standard_normal(len(m)))[:, None]
    g = ConditionalGaussianMixture(1, seed=0).fit(x, m)
    at = np.full(20000, 3000.0)
    s = g.sample(at, seed=2)[:, 0]
    assert abs(s.mean() - 2 * np.log(3000)) < 5 * 0.3 / np.sqrt(len(s)) + 0.01
    assert abs(s.std() - 0.3) < 0.01
    lp = g.log_prob(np.array([[2 * np.log(3000)]]), np.array([3000.0]))[0]
    assert lp == pytest.approx(-np.log(0.3 * np.sqrt(2 * np.pi)), abs=0.02)


def test_autoencoder_flags_points_off_its_training_manifold():
    rng = np.random.default_rng(3)
    t = rng.normal(size=2000)
    line = np.stack([t, 2 * t], axis=1) + 0.01 * rng.normal(size=(2000, 2))
    off = np.stack([t[:200], -2 * t[:200]], axis=1)
    ae = AutoencoderScorer(latent=1, hidden=(16,), epochs=20, seed=0).fit(line)
    y = np.r_[np.zeros(200), np.ones(200)]
    assert roc_auc(y, ae.score(np.r_[line[:200], off])) > 0.9


@pytest.fixture(scope="module")
def toy():
    data = dijet_toy(20000, 400, seed=1)
    test = dijet_toy(20000, 2000, seed=2)
    sr = SignalRegion(3300, 3700, 400)
    s, b = sr.masks(data["mjj"])
    t = sr.signal_mask(test["mjj"])
    return data, s, b, anomaly_features(test)[t], test["mjj"][t], test["label"][t]


def test_methods_separate_the_toy_signal(toy):
    data, s, b, Xt, mt, yt = toy
    X, m = anomaly_features(data), data["mjj"]
    sup = SupervisedScorer(seed=0).fit(Xt, yt)  # in-sample upper bound: sanity only
    assert roc_auc(yt, sup.score(Xt)) > 0.95
    assert roc_auc(yt, CWoLaScorer(n_folds=3, seed=0).fit(X[s], X[b]).score(Xt)) > 0.8
    assert roc_auc(yt, AnodeScorer(4, seed=0).fit(X[s], m[s], X[b], m[b]).score(Xt, mt)) > 0.8
    cath = CathodeScorer(4, oversample=2, n_folds=3, seed=0).fit(X[s], m[s], X[b], m[b])
    assert roc_auc(yt, cath.score(Xt)) > 0.8
    assert len(cath.oof_scores_) == s.sum()


def test_scorer_inputs_are_checked(toy):
    data, s, b, Xt, mt, yt = toy
    with pytest.raises(ValueError, match="features"):
        CWoLaScorer(n_folds=2).fit(Xt[:50], Xt[50:100]).score(Xt[:, :2])
    with pytest.raises(ValueError, match="both classes"):
        SupervisedScorer().fit(Xt, np.zeros(len(Xt)))
    with pytest.raises(ValueError, match="signal region"):
        SignalRegion(9000, 9100).masks(data["mjj"])
