"""lhco-weak-hunt: the weakly supervised hunt without a cut, end to end with its quick preset (toy)."""

import pytest

from physml.lab import ParameterError, run_experiments

pytestmark = pytest.mark.usefixtures("one_torch_thread", "one_blas_thread")


@pytest.mark.slow
def test_weak_hunt_quick_preset_reproduces(tmp_path):
    [r] = run_experiments(["lhco-weak-hunt"], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    assert r.figures
    sig = r.metrics["signal_box"]
    assert abs(sig["mass"] - r.metrics["true_mass"]) <= 200 and sig["signal_found"] is True
    assert r.metrics["plain_bump_hunt"]["signal_found"] is False
    null = r.metrics["null_boxes"]
    # 12 signal-free boxes, each calibrated on the other boxes' 22 surrogates: a false positive
    # (p < 0.1) when at most one of them reaches its Z_max, 2/23 = 8.7% of boxes under a calibrated null
    assert null["n_boxes"] == 12 and null["pool_size"] == 22
    assert null["expected_rate"] == pytest.approx(2 / 23)
    assert null["consistent"] is True and len(null["p_global"]) == 12
    assert r.metrics["data"].startswith("dijet_toy")


def test_parameters_are_validated(tmp_path):
    with pytest.raises(ParameterError, match="method"):
        run_experiments(["lhco-weak-hunt"], tmp_path / "x", preset="quick", overrides={"method": "cut"})
    with pytest.raises(ParameterError, match="n_qcd"):
        run_experiments(["lhco-weak-hunt"], tmp_path / "y", preset="quick", overrides={"n_qcd": "20000"})
    with pytest.raises(ParameterError, match="fpr_alpha"):
        run_experiments(["lhco-weak-hunt"], tmp_path / "z", preset="quick",
                        overrides={"n_null_boxes": "3", "n_pseudo_null": "2"})
