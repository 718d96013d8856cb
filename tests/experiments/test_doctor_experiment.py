"""The doctor-known-data experiment, run end to end with its quick preset."""

import json

import pytest

from physml.lab import ParameterError, run_experiments


@pytest.mark.slow
def test_doctor_known_data_quick_preset_reproduces(tmp_path):
    pytest.importorskip("ripser")
    [r] = run_experiments(["doctor-known-data"], tmp_path, preset="quick")
    assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks if not c.passed]
    data = json.loads((tmp_path / r.name / "result.json").read_text())
    assert data["figures"] and all((tmp_path / r.name / f).is_file() for f in data["figures"])
    names = {c.name for c in r.checks}
    assert "torus: b1" in names and "Fashion-MNIST: spectrum is a power law" in names
    table = {row["data"]: row for row in r.metrics["table"]}
    assert table["circle"]["twonn"] > 2 * table["circle"]["truth"]  # noise in 20 dimensions fools TwoNN
    # jet images: the two-prong toy is checked, the scale-free toy shower reported; no Pythia in quick
    assert "two-prong toy jets: true dimension 3.0 within the reconciled interval" in names
    assert table["two-prong toy jets"]["truth"] == 3.0 and table["toy jets"]["truth"] is None
    assert set(r.metrics["jet_spectra"]) == {"two-prong toy jets", "toy jets"}


def test_doctor_known_data_parameters_are_validated_before_running(tmp_path):
    with pytest.raises(ParameterError, match="n_points"):
        run_experiments(["doctor-known-data"], tmp_path / "out", preset="quick", overrides={"n_points": "10"})
    assert not (tmp_path / "out").exists()
    with pytest.raises(ParameterError, match="pythia_jets must be 0 .* or at least 200, got 50"):
        run_experiments(["doctor-known-data"], tmp_path / "out", preset="quick",
                        overrides={"pythia_jets": "50"})
    assert not (tmp_path / "out").exists()
