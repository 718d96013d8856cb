"""Anomaly scorers: k-fold hygiene, exact Gaussian conditioning (mixtures and flows), sideband
interpolation, and each method on the toy."""

import numpy as np
import pytest

from physml.anomaly import (
    AnodeScorer,
    AutoencoderScorer,
    CathodeScorer,
    ConditionalFlow,
    ConditionalGaussianMixture,
    CWoLaScorer,
    SidebandInterpolation,
    SignalRegion,
    SupervisedScorer,
    anomaly_features,
    roc_auc,
)
from physml.data.collider import dijet_toy

pytestmark = pytest.mark.usefixtures("one_torch_thread", "one_blas_thread")


def test_cwola_kfold_never_scores_an_event_with_a_model_that_saw_it():
    from sklearn.neighbors import KNeighborsClassifier

    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))  # labels carry no information
    y = np.r_[np.ones(200), np.zeros(200)]
    cw = CWoLaScorer(n_folds=4, classifier=KNeighborsClassifier(1), balance=False).fit(X, y)
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


SMALL_FLOW = dict(flow="maf", transforms=2, hidden_features=(32, 32), max_epochs=40, patience=5,
                  learning_rate=3e-3)


@pytest.mark.slow
def test_conditional_flow_divides_the_joint_by_the_mass_marginal():
    # x | m ~ N(2 ln m, 0.3²) with ln m uniform over a range of width ln 10: the exact conditional
    # log-likelihood has mean -1/2 - ln(0.3 √(2π)) = -0.326 and per-event spread 1/√2; leaving out
    # the marginal p(ln m) = 1/ln 10 would shift it by -ln ln 10 = -0.83.
    rng = np.random.default_rng(4)

    def draw(n):
        m = np.exp(rng.uniform(np.log(2000), np.log(20000), n))
        return (2.0 * np.log(m) + 0.3 * rng.standard_normal(n))[:, None], m

    x, m = draw(4000)
    cf = ConditionalFlow(SMALL_FLOW, seed=0).fit(x, m)
    xt, mt = draw(4000)
    mean_ll = cf.log_prob(xt, mt).mean()
    exact = -0.5 - np.log(0.3 * np.sqrt(2 * np.pi))
    sigma = np.sqrt(0.5 / len(xt))
    assert mean_ll < exact + 4 * sigma  # a model cannot beat the truth on fresh events (KL >= 0)
    assert mean_ll > exact - 0.15  # and the fit is good to a fraction of the 0.83 nat marginal


@pytest.mark.parametrize("density", ["gmm", "flow"])
def test_sideband_interpolation_mixes_the_two_sidebands_linearly_in_mass(density):
    # x0 ~ N(0, 1) in the lower sideband, N(2, 1) in the upper (x1 ~ N(0, 1) in both); halfway
    # between the sidebands' mean masses x0 has the equal mixture: mean 1, variance 1 + 1 = 2
    rng = np.random.default_rng(5)
    n = 3000
    m = np.r_[rng.uniform(2900, 3300, n), rng.uniform(3700, 4100, n)]
    x = np.column_stack([np.r_[rng.normal(0, 1, n), rng.normal(2, 1, n)], rng.normal(0, 1, 2 * n)])
    si = SidebandInterpolation(2, density=density, flow=SMALL_FLOW, seed=0).fit(x, m, split=3500)
    mid = 0.5 * (si.mass_lo_ + si.mass_hi_)
    draws = si.sample(np.full(20000, mid), seed=1)[:, 0]
    # 4 sigma of the sample mean, plus 0.1 for the density fit to 3000 events
    assert abs(draws.mean() - 1.0) < 4 * np.sqrt(2 / len(draws)) + 0.1
    assert abs(draws.var() - 2.0) < 0.25
    # at the sideband means the interpolation is that sideband's own density
    lp = si.log_prob(np.array([[0.0, 0.0], [2.0, 0.0]]), np.array([si.mass_lo_, si.mass_hi_]))
    assert lp == pytest.approx(np.full(2, -np.log(2 * np.pi)), abs=0.15)


def test_density_options_are_checked():
    x, m = np.random.default_rng(0).normal(size=(400, 2)), np.linspace(2900, 4100, 400)
    with pytest.raises(ValueError, match="density='kde' is not accepted"):
        SidebandInterpolation(density="kde").fit(x, m, split=3500)
    with pytest.raises(ValueError, match="unknown or reserved FlowDensity parameter"):
        SidebandInterpolation(density="flow", flow={"layers": 3}).fit(x, m, split=3500)
    with pytest.raises(ValueError, match="upper sideband holds"):
        SidebandInterpolation(density="flow").fit(x, m, split=4090)


def test_autoencoder_flags_points_off_its_training_manifold():
    rng = np.random.default_rng(3)
    t = rng.normal(size=2000)
    line = np.stack([t, 2 * t], axis=1) + 0.01 * rng.normal(size=(2000, 2))
    off = np.stack([t[:200], -2 * t[:200]], axis=1)
    ae = AutoencoderScorer(latent=1, hidden=(16,), epochs=20, seed=0).fit(line)
    y = np.r_[np.zeros(200), np.ones(200)]
    assert roc_auc(y, ae.score_samples(np.r_[line[:200], off])) > 0.9


@pytest.fixture(scope="module")
def toy():
    data = dijet_toy(20000, 400, seed=1)
    test = dijet_toy(20000, 2000, seed=2)
    sr = SignalRegion(3300, 3700, 400)
    s, b = sr.masks(data["mjj"])
    t = sr.signal_mask(test["mjj"])
    return data, s, b, anomaly_features(test)[t], test["mjj"][t], test["label"][t]


@pytest.mark.slow
def test_methods_separate_the_toy_signal(toy):
    data, s, b, Xt, mt, yt = toy
    X, m = anomaly_features(data), data["mjj"]
    sup = SupervisedScorer(seed=0).fit(Xt, yt)  # in-sample upper bound: sanity only
    assert roc_auc(yt, sup.score_samples(Xt)) > 0.95
    keep = s | b
    Xw, yw, mw = X[keep], s[keep].astype(int), m[keep]  # y: 1 in the signal region, 0 in the sidebands
    assert roc_auc(yt, CWoLaScorer(n_folds=3, seed=0).fit(Xw, yw).score_samples(Xt)) > 0.8
    anode = AnodeScorer(4, density="gmm", seed=0).fit(Xw, yw, mjj=mw)
    assert roc_auc(yt, anode.score_samples(Xt, mjj=mt)) > 0.8
    cath = CathodeScorer(4, density="gmm", oversample=2, n_folds=3, seed=0).fit(Xw, yw, mjj=mw)
    assert roc_auc(yt, cath.score_samples(Xt)) > 0.8
    assert len(cath.oof_scores_) == s.sum()


def test_scorer_inputs_are_checked(toy):
    data, s, b, Xt, mt, yt = toy
    with pytest.raises(ValueError, match="features"):
        CWoLaScorer(n_folds=2).fit(Xt[:100], np.arange(100) < 50).score_samples(Xt[:, :2])
    with pytest.raises(ValueError, match="both classes"):
        SupervisedScorer().fit(Xt, np.zeros(len(Xt)))
    with pytest.raises(ValueError, match="signal region"):
        SignalRegion(9000, 9100).masks(data["mjj"])
