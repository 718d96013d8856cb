"""The weakly supervised sliding-window hunt (physml.anomaly.weak_hunt)."""

import numpy as np
import pytest

from physml import anomaly
from physml.data.collider import dijet_toy

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
    # deviation of a scan's maximum is ~1 in 100 boxes), the learnt selection's 5.8 (measured, seed fixed)
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
