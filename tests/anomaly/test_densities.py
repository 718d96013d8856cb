"""The conditional densities p(x | m) under the model contract: fit(X, mjj) with mjj by position or
keyword, score_samples = log_prob, the sideband split as a setting, and files without pickle that
give identical scores and samples after loading (flows and mixtures inside)."""

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from physml._core import InvalidParameterError, ModelFileError
from physml.anomaly import ConditionalFlow, ConditionalGaussianMixture, SidebandInterpolation

pytestmark = pytest.mark.usefixtures("one_torch_thread", "one_blas_thread")

TINY_FLOW = {"transforms": 1, "hidden_features": (8, 8), "max_epochs": 3}


def events(n=800, seed=0, gap=True):
    """Two features whose first drifts with mjj; with ``gap`` the signal region 3300-3700 is cut out."""
    rng = np.random.default_rng(seed)
    m = rng.uniform(2500.0, 4500.0, n)
    if gap:
        m = m[(m < 3300) | (m > 3700)]
    X = np.column_stack([rng.normal(m / 4000, 0.3), rng.normal(0.5, 0.2, len(m))])
    return X, m


MODELS = [
    pytest.param(lambda: ConditionalGaussianMixture(2, seed=3), id="ConditionalGaussianMixture"),
    pytest.param(lambda: ConditionalFlow(TINY_FLOW, seed=3), id="ConditionalFlow"),
    pytest.param(lambda: SidebandInterpolation(2, density="gmm", seed=3), id="SidebandInterpolation-gmm"),
    pytest.param(lambda: SidebandInterpolation(density="flow", flow=TINY_FLOW, seed=3),
                 id="SidebandInterpolation-flow"),
]


@pytest.mark.parametrize("make", MODELS)
def test_mjj_by_position_or_keyword_and_score_is_the_mean(make):
    X, m = events()
    Xt, mt = events(60, seed=1, gap=False)
    a = make().fit(X, m)
    b = make().fit(X, mjj=m)
    np.testing.assert_array_equal(a.score_samples(Xt, mt), b.score_samples(Xt, mjj=mt))
    np.testing.assert_array_equal(a.score_samples(Xt, mt), a.log_prob(Xt, mt))
    assert a.score(Xt, mt) == pytest.approx(a.score_samples(Xt, mt).mean(), rel=1e-15)
    assert a.score(Xt, mjj=mt) == a.score(Xt, mt)
    with pytest.raises(TypeError, match="needs mjj"):
        a.score_samples(Xt)
    with pytest.raises(ValueError, match="one per event"):
        a.score_samples(Xt, mt[:10])
    with pytest.raises(ValueError, match="fitted on 2"):
        a.score_samples(np.c_[Xt, Xt[:, :1]], mt)
    with pytest.raises(NotFittedError):
        make().score_samples(Xt, mt)


@pytest.mark.parametrize("make", MODELS)
def test_files_give_identical_scores_and_samples(make, tmp_path):
    X, m = events()
    Xt, mt = events(60, seed=1, gap=False)
    est = make().fit(X, m)
    est.save(tmp_path / "d.npz")
    with np.load(tmp_path / "d.npz", allow_pickle=False) as z:
        header = json.loads(str(z["meta"]))
    assert header["format"] == f"physml.anomaly.{type(est).__name__}"
    back = type(est).load(tmp_path / "d.npz")
    assert repr(back.get_params()) == repr(est.get_params())  # tuples inside flow= come back as tuples
    np.testing.assert_array_equal(back.score_samples(Xt, mt), est.score_samples(Xt, mt))
    if hasattr(est, "sample"):
        np.testing.assert_array_equal(back.sample(mt, seed=4), est.sample(mt, seed=4))
    other = ConditionalGaussianMixture if not isinstance(est, ConditionalGaussianMixture) else ConditionalFlow
    with pytest.raises(ModelFileError, match=f"not a {other.__name__}"):
        other.load(tmp_path / "d.npz")


def test_the_split_is_a_setting_and_defaults_to_the_widest_gap():
    X, m = events()
    Xt, mt = events(60, seed=1, gap=False)
    by_fit = SidebandInterpolation(2, density="gmm", seed=0).fit(X, m, split=3500.0)
    by_init = SidebandInterpolation(2, density="gmm", split=3500.0, seed=0).fit(X, m)
    found = SidebandInterpolation(2, density="gmm", seed=0).fit(X, m)
    assert by_fit.split_ == by_init.split_ == 3500.0
    assert 3300 < found.split_ < 3700  # the middle of the cut-out signal region
    for est in (by_init, found):
        np.testing.assert_array_equal(est.score_samples(Xt, mt), by_fit.score_samples(Xt, mt))
    # fit's split overrides the constructor's for that fit
    assert SidebandInterpolation(2, density="gmm", split=3000.0).fit(X, m, split=3500.0).split_ == 3500.0
    assert clone(by_init).get_params()["split"] == 3500.0
    with pytest.raises(InvalidParameterError, match="split=-1"):
        SidebandInterpolation(split=-1.0).fit(X, m)
    with pytest.raises(ValueError, match="lower sideband holds 0 events"):
        SidebandInterpolation(2, density="gmm", split=2000.0).fit(X, m)


def test_parameters_are_checked_in_fit():
    X, m = events()
    with pytest.raises(InvalidParameterError, match="density='kde' is not accepted; accepted: one of 'flow'"):
        SidebandInterpolation(density="kde").fit(X, m)
    with pytest.raises(InvalidParameterError, match="n_components=0"):
        ConditionalGaussianMixture(0).fit(X, m)
    with pytest.raises(InvalidParameterError, match="flow=3"):
        ConditionalFlow(3).fit(X, m)
    with pytest.raises(ValueError, match="unknown or reserved FlowDensity parameter"):
        ConditionalFlow({"layers": 3}).fit(X, m)
    with pytest.raises(ValueError, match="mjj must be positive"):
        ConditionalGaussianMixture(2).fit(X, -m)
    with pytest.raises(NotFittedError):
        ConditionalGaussianMixture(2).sample(m)
