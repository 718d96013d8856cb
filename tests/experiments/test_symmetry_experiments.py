"""The symmetry experiments, end to end with their quick presets; a broken setting fails a check."""

import json

import pytest

from physml.lab import ParameterError, run_experiments

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.slow
def test_symmetry_quick_presets_reproduce(tmp_path):
    names = ["symmetry-templates", "symmetry-breaking", "symmetry-art"]
    results = run_experiments(names, tmp_path, preset="quick")
    for r in results:
        assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
        data = json.loads((tmp_path / r.name / "result.json").read_text())
        assert data["figures"] and all((tmp_path / r.name / f).is_file() for f in data["figures"])
    by = {r.name: r for r in results}
    assert by["symmetry-breaking"].metrics["direct_at_zero_breaking_min"] > 0.9
    assert by["symmetry-templates"].metrics["direct_accuracy"] > 0.6


def test_untrained_cnn_fails_the_learned_check(tmp_path):
    # one CNN epoch on four templates per class cannot classify: the learned accuracy check must fail
    [r] = run_experiments(["symmetry-templates"], tmp_path, preset="quick",
                          overrides={"n_train": "2", "n_test": "6", "cnn_epochs": "1", "decoy_epochs": "1"})
    learned = [c for c in r.checks if c.name.startswith("learned accuracy ≥")]
    assert learned and not learned[0].passed and r.verdict == "not reproduced"


def test_parameters_are_validated_before_running(tmp_path):
    with pytest.raises(ParameterError, match="size"):
        run_experiments(["symmetry-templates"], tmp_path / "out", preset="quick", overrides={"size": "8"})
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_symmetry_generalisation_quick_preset(tmp_path):
    [r] = run_experiments(["symmetry-generalisation"], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
    m = r.metrics
    from physml.symmetry import HELDOUT_FAMILIES

    assert set(m["direct_fine_accuracy_per_family"]) == {*HELDOUT_FAMILIES, "photo:china", "photo:flower"}
    assert 0.0 <= m["learned_heldout_accuracy"] <= 1.0 and m["learned_target"] == 0.85
    assert (tmp_path / r.name / "generalisation.png").is_file()
