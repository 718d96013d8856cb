"""The information-bottleneck experiment, run end to end with its quick preset."""

import json

import pytest

from physml.lab import ParameterError, run_experiments


def test_ib_binary_channel_quick_reproduces(tmp_path):
    [r] = run_experiments(["ib-binary-channel"], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    data = json.loads((tmp_path / r.name / "result.json").read_text())
    assert data["figures"] and all((tmp_path / r.name / f).is_file() for f in data["figures"])
    assert data["metrics"]["beta_c"] == pytest.approx(1 / 0.8**2)


def test_ib_parameters_are_validated(tmp_path):
    with pytest.raises(ParameterError, match="flip"):
        run_experiments(["ib-binary-channel"], tmp_path / "out", preset="quick", overrides={"flip": "0.5"})
    assert not (tmp_path / "out").exists()
