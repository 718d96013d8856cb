"""The geometry experiments, run end to end with their quick presets."""

import json

import pytest

from physml.lab import ParameterError, run_experiments

GEOMETRY = ["dimension-attractors", "dimension-benchmark", "spectrum-powerlaw", "local-scales",
            "calibration-metric"]


@pytest.mark.slow
def test_geometry_quick_presets_reproduce(tmp_path):
    results = run_experiments(GEOMETRY, tmp_path, preset="quick")
    for r in results:
        assert r.verdict == "reproduced", r.error or [c.to_dict() for c in r.checks]
        data = json.loads((tmp_path / r.name / "result.json").read_text())
        assert data["figures"] and all((tmp_path / r.name / f).is_file() for f in data["figures"])
        assert all(c["uncertainty"] >= 0 for c in data["checks"])
    by_name = {r.name: r for r in results}
    henon = next(c for c in by_name["dimension-attractors"].checks if c.name.startswith("Hénon"))
    assert henon.uncertainty > 0
    assert by_name["dimension-benchmark"].metrics["error_table"][0]["truth"] == 10


def test_local_scales_fails_when_the_dense_sample_is_too_sparse(tmp_path):
    # 250 points on the sphere cannot resolve curvature from noise: the 'dense' check must fail
    [r] = run_experiments(["local-scales"], tmp_path, preset="quick", overrides={"n_dense": "250"})
    dense = next(c for c in r.checks if c.name.startswith("dense sample"))
    assert not dense.passed and r.verdict == "not reproduced"


def test_attractor_check_fails_for_a_wrong_accepted_value(tmp_path):
    # too short an orbit: a 1.21 +- 0 claim at zero tolerance cannot pass by luck
    [r] = run_experiments(["dimension-attractors"], tmp_path, preset="quick",
                          overrides={"n_henon": "500", "n_lorenz": "500", "tol_henon": "0.0"})
    assert r.verdict == "not reproduced"


@pytest.mark.parametrize(
    ("name", "key", "value", "message"),
    [("dimension-benchmark", "manifolds", "M99", "unknown manifold"),
     ("spectrum-powerlaw", "ising_L", "7", "even"),
     ("local-scales", "noise", "0", "noise must be")],
)
def test_geometry_parameters_are_validated_before_running(tmp_path, name, key, value, message):
    with pytest.raises(ParameterError, match=message):
        run_experiments([name], tmp_path / "out", preset="quick", overrides={key: value})
    assert not (tmp_path / "out").exists()
