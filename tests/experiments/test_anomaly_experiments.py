"""The LHC Olympics experiments, end to end with their quick presets (dijet toy, seconds)."""

import pytest

from physml.lab import ParameterError, run_experiments

pytestmark = pytest.mark.usefixtures("one_torch_thread", "one_blas_thread")


@pytest.mark.slow
def test_anomaly_quick_presets_reproduce(tmp_path):
    results = run_experiments(["lhco-rnd", "lhco-blackbox"], tmp_path, preset="quick")
    for r in results:
        assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
        assert r.figures
    rnd = {r.name: r for r in results}["lhco-rnd"]
    sic = rnd.metrics["max_sic"]
    assert sic["supervised"]["mean"] > sic["autoencoder"]["mean"]
    assert all(len(v["per_seed"]) == 2 for v in sic.values())
    # the error of a mean max SIC is at least the test set's counting error of it
    assert all(v["err"] >= v["counting_err"] > 0 for v in sic.values())
    assert rnd.metrics["data"].startswith("dijet_toy") and rnd.metrics["density"] == "gmm"


def test_blackbox_check_fails_when_the_signal_box_has_no_signal(tmp_path):
    # with nothing injected the "signal box" cannot give a small p-value
    [r] = run_experiments(["lhco-blackbox"], tmp_path, preset="quick", overrides={"n_signal": "0"})
    assert r.verdict == "not reproduced"


def test_parameters_are_validated(tmp_path):
    with pytest.raises(ParameterError, match="n_seeds"):
        run_experiments(["lhco-rnd"], tmp_path / "x", preset="quick", overrides={"n_seeds": "1"})
    with pytest.raises(ParameterError, match="density"):
        run_experiments(["lhco-rnd"], tmp_path / "y", preset="quick", overrides={"density": "kde"})
    with pytest.raises(ParameterError, match="data"):
        run_experiments(["lhco-blackbox"], tmp_path / "z", preset="quick", overrides={"data": "lhco"})
