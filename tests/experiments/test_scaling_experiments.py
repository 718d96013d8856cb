"""The scaling-law experiments, run end to end with their quick presets."""

import json

import pytest

from physml.lab import ParameterError, run_experiments

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.parametrize("name", ["scaling-dimension", "scaling-fashion"])
@pytest.mark.slow
def test_scaling_quick_presets_reproduce(tmp_path, name):
    [r] = run_experiments([name], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    data = json.loads((tmp_path / r.name / "result.json").read_text())
    assert data["figures"] and all(c["uncertainty"] >= 0 for c in data["checks"])
    # the compute actually spent (steps set by convergence) lies below ml-by-the-numbers' bound,
    # which assumes every run reaches max_steps, and above one step per run
    from physml.experiments.invariance import _run_compute

    [(label, bound, _)] = _run_compute(name, "quick")
    assert "at most" in label
    spent = data["metrics"]["training_flops"]
    assert 0 < spent < bound
    assert spent > bound / data["params"]["max_steps"]


def test_sweeps_with_too_few_sizes_are_refused(tmp_path):
    for name in ("scaling-dimension", "scaling-fashion"):
        with pytest.raises(ParameterError, match="at least 4"):
            run_experiments([name], tmp_path / "out", preset="quick", overrides={"sizes": "100,200"})
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_scaling_fashion_with_a_step_cap_fails(tmp_path):
    # the old failure: a fixed step budget instead of training to convergence
    [r] = run_experiments(
        ["scaling-fashion"],
        tmp_path,
        preset="quick",
        overrides={"max_steps": 30, "sizes": "100,200,400,800", "model_widths": "2,4,8,16", "n_null": 10},
    )
    failed = {c.name for c in r.checks if not c.passed}
    assert r.verdict != "reproduced"
    assert "fraction of runs converged (not stopped by max_steps)" in failed


def test_scaling_fashion_refuses_bad_widths(tmp_path):
    with pytest.raises(ParameterError, match="check_width"):
        run_experiments(["scaling-fashion"], tmp_path / "o", preset="quick", overrides={"check_width": 16})
    with pytest.raises(ParameterError, match="model_widths"):
        run_experiments(
            ["scaling-fashion"], tmp_path / "o", preset="quick", overrides={"model_widths": "2,4"}
        )
