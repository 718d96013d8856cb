"""The nets experiments, run end to end with their quick presets."""

import json

import pytest

from physml.lab import ParameterError, run_experiments

NETS = ["criticality-kernel", "ensemble-variance-depth", "orthogonal-init", "ntk-depth", "ensemble-training"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.slow
def test_nets_quick_presets_reproduce(tmp_path):
    results = run_experiments(NETS, tmp_path, preset="quick")
    for r in results:
        assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
        data = json.loads((tmp_path / r.name / "result.json").read_text())
        assert data["figures"] and all((tmp_path / r.name / f).is_file() for f in data["figures"])
        assert all(c["uncertainty"] >= 0 for c in data["checks"])
    by_name = {r.name: r for r in results}
    assert any(c.uncertainty > 0 for c in by_name["ensemble-variance-depth"].checks)
    # ensemble-training measures K, R and the NTK during training; at epoch 0 a zero-bias critical
    # ReLU net has K = C_W u² = 2 (0.5)² = 0.5 at every layer
    during = by_name["ensemble-training"].metrics["during_training"]
    epochs = sorted({row["epoch"] for row in during})
    assert epochs[0] == 0 and len(epochs) >= 2
    for row in (r for r in during if r["epoch"] == 0):
        assert abs(row["K"] - 0.5) < 5 * row["K_err"]


@pytest.mark.slow
def test_orthogonal_check_fails_for_gaussian_level_growth(tmp_path):
    # demanding that orthogonal tanh grows at most -1 x the Gaussian growth cannot pass
    [r] = run_experiments(["orthogonal-init"], tmp_path, preset="quick", overrides={"max_ratio": "-1.0"})
    assert r.verdict == "not reproduced"


def test_nets_parameters_are_validated_before_running(tmp_path):
    with pytest.raises(ParameterError, match="n_members"):
        run_experiments(["ntk-depth"], tmp_path / "out", preset="quick", overrides={"n_members": "1"})
    assert not (tmp_path / "out").exists()
