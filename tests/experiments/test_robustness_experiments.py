"""The adversarial-examples experiment, run end to end with its quick preset."""

import json

import pytest

from physml.lab import run_experiments

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_adversarial_fashion_quick_reproduces(tmp_path):
    [r] = run_experiments(["adversarial-fashion"], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    data = json.loads((tmp_path / r.name / "result.json").read_text())
    assert data["figures"]
    curves = data["metrics"]["curves"]
    for name, c in curves.items():
        # ε = 0 is the clean accuracy for every attack
        assert c["accuracy"][0] == pytest.approx(data["metrics"]["clean_accuracy"]), name
    b = data["metrics"]["boundary"]
    assert 0 < b["2"]["median_boundary"] < b["2"]["median_other_class"]


@pytest.mark.slow
def test_a_demand_beyond_the_physics_fails(tmp_path):
    # the boundary cannot be required to be 100x closer than the other classes
    [r] = run_experiments(["adversarial-fashion"], tmp_path, preset="quick",
                          overrides={"max_ratio_linf": "0.001"})
    assert r.verdict == "not reproduced"
