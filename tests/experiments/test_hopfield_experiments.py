"""hopfield-capacity with its quick preset: retrieval breaks down near alpha_c, and the check can fail."""

import json

import pytest

import physml.experiments.hopfield as hopfield
from physml.lab import ParameterError, run_experiments


@pytest.mark.slow
def test_hopfield_capacity_reproduces(tmp_path):
    [r] = run_experiments(["hopfield-capacity"], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    data = json.loads((tmp_path / "hopfield-capacity" / "result.json").read_text())
    assert data["figures"] == ["capacity.png"]
    curves = r.metrics["curves"]
    assert [c["N"] for c in curves] == [100, 200, 400]
    # finite networks break down beyond alpha_c, and less so the larger they are
    a50 = [c["alpha_50"] for c in curves]
    assert all(a > 0.138 for a in a50)
    assert a50[0] > a50[-1]
    assert r.metrics["extrapolation"]["slope"] > 0
    for c in r.checks:
        assert c.uncertainty > 0


@pytest.mark.slow
def test_hopfield_capacity_fails_against_a_wrong_capacity(tmp_path, monkeypatch):
    monkeypatch.setattr(hopfield, "ALPHA_C", 0.2)
    [r] = run_experiments(["hopfield-capacity"], tmp_path, preset="quick")
    assert r.error is None, r.error
    alpha = next(c for c in r.checks if c.name.startswith("α_c"))
    assert alpha.expected == 0.2 and not alpha.passed
    assert r.verdict == "not reproduced"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("sizes", "400,100", "increasing"),
        ("alphas", "0.1,0.101,0.2", "repeated pattern counts"),
        ("retrieval_alpha", "0.15", "must be one of the alphas"),
        ("n_points", "20", "n_points must be"),
    ],
)
def test_impossible_parameters_are_usage_errors(tmp_path, key, value, message):
    with pytest.raises(ParameterError, match=message):
        run_experiments(["hopfield-capacity"], tmp_path / "out", preset="quick", overrides={key: value})
