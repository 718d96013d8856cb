"""The model-family experiments (issue 11), run end to end with their quick presets."""

import json

import pytest
import torch

from physml.lab import ParameterError, run_experiments

FAST = ["rl-gridworld", "rl-selfplay"]
TORCH = ["cnn-symmetry", "char-lm", "generative-fashion"]


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("name", FAST + TORCH)
def test_quick_preset_reproduces(tmp_path, name):
    [r] = run_experiments([name], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    data = json.loads((tmp_path / name / "result.json").read_text())
    assert data["figures"] and all((tmp_path / name / f).is_file() for f in data["figures"])


def test_selfplay_check_fails_for_an_untrained_agent(tmp_path):
    # with no self-play at all the agent plays its lowest-numbered free square and loses
    [r] = run_experiments(["rl-selfplay"], tmp_path, preset="quick", overrides={"episodes": "1"})
    assert r.verdict == "not reproduced"


def test_gridworld_check_fails_without_learning(tmp_path):
    [r] = run_experiments(["rl-gridworld"], tmp_path, preset="quick", overrides={"episodes": "20"})
    assert r.verdict == "not reproduced"


def test_parameters_are_validated_before_running(tmp_path):
    with pytest.raises(ParameterError, match="episodes"):
        run_experiments(["rl-selfplay"], tmp_path / "out", preset="quick", overrides={"episodes": "0"})
    assert not (tmp_path / "out").exists()
