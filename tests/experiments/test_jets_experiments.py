"""The jet experiments (Pythia quark/gluon jets), run end to end with their quick presets."""

import json

import pytest

from physml.lab import ParameterError, run_experiments

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.mark.slow
def test_jet_experiments_quick(tmp_path):
    results = run_experiments(["qg-linear-vs-mlp", "jet-image-spectrum"], tmp_path, preset="quick")
    for r in results:
        assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
        data = json.loads((tmp_path / r.name / "result.json").read_text())
        assert data["figures"] and all((tmp_path / r.name / f).is_file() for f in data["figures"])
    spectrum = results[1].metrics
    # the aligned (rotated, flipped) images are measured alongside the plain ones
    assert spectrum["jets_aligned_decades"] > 0 and spectrum["jets_aligned_rms_residual"] >= 0
    qg = results[0].metrics
    # multiplicity alone separates quark from gluon jets (gluons radiate more: C_A/C_F = 9/4)
    assert qg["auc_multiplicity_alone"] > 0.6
    assert 0.3 < qg["quark_fraction"] < 0.7


@pytest.mark.slow
def test_a_demanding_margin_fails(tmp_path):
    # the linear AUC cannot exceed 1: demanding it be 0.6 above the MLP's fails
    [r] = run_experiments(["qg-linear-vs-mlp"], tmp_path, preset="quick", overrides={"margin": "-0.6"})
    assert r.verdict == "not reproduced"


def test_parameters_are_checked_first(tmp_path):
    with pytest.raises(ParameterError, match="fit_range ends at rank 90"):
        run_experiments(["jet-image-spectrum"], tmp_path / "o", preset="quick",
                        overrides={"fit_range": "2,90"})
    assert not (tmp_path / "o").exists()
