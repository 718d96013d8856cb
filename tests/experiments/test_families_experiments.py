"""The model-family experiments (issue 11), run end to end with their quick presets.

Each quick preset runs once (a few seconds of CPU); the broken settings below are shrunk further
so that they cost a fraction of that, and each names the check it must fail.
"""

import json

import pytest

from physml.lab import ParameterError, run_experiments

NAMES = ["rl-gridworld", "rl-selfplay", "cnn-symmetry", "char-lm", "generative-fashion"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _failed(result):
    return {c.name for c in result.checks if not c.passed}


def _failed_matching(result, text):
    return [n for n in _failed(result) if text in n]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.slow
def test_quick_preset_reproduces(tmp_path, name):
    [r] = run_experiments([name], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    data = json.loads((tmp_path / name / "result.json").read_text())
    assert data["figures"] and all((tmp_path / name / f).is_file() for f in data["figures"])


def test_selfplay_check_fails_for_an_untrained_agent(tmp_path):
    # with no self-play at all the agent plays its lowest-numbered free square and loses
    [r] = run_experiments(["rl-selfplay"], tmp_path, preset="quick", overrides={"episodes": "1"})
    assert r.verdict == "not reproduced"
    assert _failed_matching(r, "agent as O: losses")


def test_gridworld_check_fails_without_learning(tmp_path):
    [r] = run_experiments(["rl-gridworld"], tmp_path, preset="quick", overrides={"episodes": "20"})
    assert r.verdict == "not reproduced"
    assert _failed_matching(r, "deterministic: max over seeds")


def test_char_lm_memory_check_fails_for_an_untrained_lstm(tmp_path):
    # one training step: the LSTM cannot recall over the long lag (and the LM barely trains)
    tiny = {"max_chars": "4000", "hidden": "8", "steps": "1", "memory_steps": "1", "n_test": "200"}
    [r] = run_experiments(["char-lm"], tmp_path, preset="quick", overrides=tiny)
    assert r.verdict == "not reproduced"
    assert _failed_matching(r, "lstm recalls over lag 50")


def test_generative_check_fails_for_an_untrained_gan(tmp_path):
    tiny = {
        "n_train": "300",
        "n_eval": "100",
        "vae_epochs": "1",
        "gan_steps": "1",
        "iw_samples": "2",
        "flow_epochs": "1",
    }
    [r] = run_experiments(["generative-fashion"], tmp_path, preset="quick", overrides=tiny)
    assert r.verdict == "not reproduced"
    assert _failed_matching(r, "GAN < noise / 2")


def test_parameters_are_validated_before_running(tmp_path):
    with pytest.raises(ParameterError, match="episodes"):
        run_experiments(["rl-selfplay"], tmp_path / "out", preset="quick", overrides={"episodes": "0"})
    assert not (tmp_path / "out").exists()
