"""The RBM likelihood-bounds and Potts-RBM experiments, run end to end with their quick presets."""

import pytest

from physml.lab import ParameterError, run_experiments

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.slow
def test_rbm_likelihood_bounds_reproduces(tmp_path):
    [r] = run_experiments(["rbm-likelihood-bounds"], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    assert r.metrics["pcd_brackets"] >= 19 and r.metrics["cd_brackets"] >= 19
    assert r.metrics["pcd_ais_10_betas_minus_exact"][0] > 0


@pytest.mark.slow
def test_rbm_potts_reproduces(tmp_path):
    [r] = run_experiments(["rbm-potts"], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    assert len(r.checks) == 6
    assert r.metrics["critical_temperature"] == pytest.approx(0.99497286, abs=1e-7)


@pytest.mark.parametrize(
    ("name", "key", "value", "message"),
    [
        ("rbm-likelihood-bounds", "n_visible", "40", r"n_visible must be in \[2, 25\]"),
        ("rbm-potts", "q", "1", "q must be"),
    ],
)
def test_impossible_parameters_are_rejected_before_running(tmp_path, name, key, value, message):
    with pytest.raises(ParameterError, match=message):
        run_experiments([name], tmp_path / "out", preset="quick", overrides={key: value})
    assert not (tmp_path / "out").exists()
