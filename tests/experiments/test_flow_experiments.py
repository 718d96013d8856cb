"""The flow experiments, run end to end with their quick presets."""

import json

import pytest

from physml.lab import ParameterError, run_experiments

FLOWS = ["flow-plummer-density", "flow-plummer-acceleration", "flow-architectures"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.slow
def test_flow_quick_presets_reproduce(tmp_path):
    results = run_experiments(FLOWS, tmp_path, preset="quick")
    for r in results:
        assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
        data = json.loads((tmp_path / r.name / "result.json").read_text())
        assert data["figures"] and all((tmp_path / r.name / f).is_file() for f in data["figures"])
        assert all(c["uncertainty"] >= 0 for c in data["checks"])
    by_name = {r.name: r for r in results}
    acc = by_name["flow-plummer-acceleration"]
    # the solver given the exact DF is exact; the flows are not
    exact = next(c for c in acc.checks if c.name.startswith("CBE solver with the exact f"))
    assert exact.measured < 1e-12
    assert len(acc.metrics["member_mean_relative_error"]) == 4
    arch = by_name["flow-architectures"].metrics["architectures"]
    assert [a["flow"] for a in arch] == ["maf", "nsf", "cnf"]


@pytest.mark.slow
def test_density_check_fails_for_an_impossible_bound(tmp_path):
    # a flow cannot match the profile to 0.1% with 4000 stars: the check must be able to fail
    [r] = run_experiments(
        ["flow-plummer-density"], tmp_path, preset="quick", overrides={"max_relative_error": "0.001"}
    )
    assert r.verdict == "not reproduced"
    assert not r.checks[0].passed


def test_flow_parameters_are_validated_before_running(tmp_path):
    with pytest.raises(ParameterError, match="n_members"):
        run_experiments(
            ["flow-plummer-acceleration"], tmp_path / "a", preset="quick", overrides={"n_members": "1"}
        )
    with pytest.raises(ParameterError, match="r_cut"):
        run_experiments(
            ["flow-plummer-acceleration"], tmp_path / "b", preset="quick", overrides={"radii": "1,9"}
        )
    with pytest.raises(ParameterError, match="flow must be one of"):
        run_experiments(
            ["flow-architectures"], tmp_path / "c", preset="quick", overrides={"flows": "maf,glow"}
        )
    assert not (tmp_path / "a").exists()
