"""The first experiments, run end to end with their quick presets."""

import json

import pytest

from physml.lab import ParameterError, run_experiments


@pytest.mark.slow
def test_layer_example_and_fashion_mlp_reproduce(tmp_path):
    results = run_experiments(["layer-example", "fashion-mlp"], tmp_path, preset="quick")
    for r in results:
        assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
        data = json.loads((tmp_path / r.name / "result.json").read_text())
        assert data["verdict"] == "reproduced"
        for fig in data["figures"]:
            assert (tmp_path / r.name / fig).is_file()
    layer, fashion = results
    assert layer.metrics["output"] == [20.0, 9.0, 0.0]
    assert fashion.metrics["n_parameters"] == 784 * 128 + 128 + 128 * 10 + 10
    assert fashion.metrics["untrained_accuracy"] < 0.3  # an untrained model fails the bound


def test_fashion_mlp_check_fails_for_an_untrained_model(tmp_path):
    [r] = run_experiments(["fashion-mlp"], tmp_path, preset="quick", overrides={"epochs": "0"})
    accuracy = next(c for c in r.checks if c.name == "test accuracy")
    assert not accuracy.passed and r.verdict == "not reproduced"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [("n_test", "20000", r"n_test must be in \[10, 10000\]"), ("hidden", "", "at least one hidden width"),
     ("learning_rate", "-0.1", "learning_rate must be a finite number in \\(0, inf\\)")],
)
def test_fashion_mlp_rejects_impossible_parameters_before_running(tmp_path, key, value, message):
    with pytest.raises(ParameterError, match=message):
        run_experiments(["fashion-mlp"], tmp_path / "out", preset="quick", overrides={key: value})
    assert not (tmp_path / "out").exists()
