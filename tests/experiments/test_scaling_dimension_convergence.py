"""scaling-dimension trains every student to convergence: a step cap too small to converge is
reported (and fails the run), and the fits carry their χ² and Monte-Carlo p-value."""

import json

import pytest

from physml.lab import ParameterError, run_experiments

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.slow
def test_scaling_dimension_with_a_step_cap_fails(tmp_path):
    # the old failure: students stopped by a step budget instead of a validation plateau. With 100
    # steps the exponents can still pass their loose quick tolerances (they do at seed 0).
    [r] = run_experiments(
        ["scaling-dimension"], tmp_path, preset="quick", overrides={"max_steps": 100, "n_null": 20}
    )
    failed = {c.name for c in r.checks if not c.passed}
    assert r.verdict != "reproduced"
    assert "fraction of runs converged (not stopped by max_steps)" in failed
    metrics = json.loads((tmp_path / r.name / "result.json").read_text())["metrics"]
    assert metrics["converged_fraction"] == 0.0
    for row in metrics["fits"]:
        assert row["mean_steps"] == [100.0] * 4 and row["converged_fraction"] == 0.0
        assert row["chi2"] >= 0 and 1 / 21 <= row["p_value"] <= 1  # (1 + #{χ²_sim ≥ χ²}) / (1 + 20)


def test_scaling_dimension_refuses_bad_convergence_settings(tmp_path):
    for key in ("max_steps", "patience", "n_val", "n_null"):
        with pytest.raises(ParameterError, match=key):
            run_experiments(["scaling-dimension"], tmp_path / "o", preset="quick", overrides={key: 0})
    assert not (tmp_path / "o").exists()
