"""The autoencoder experiments, run end to end with their quick presets."""

import json

import pytest
import torch

from physml.lab import ParameterError, run_experiments

AE = ["ae-linear-pca", "ae-sphere-deadzone", "ae-excised-equator", "ae-phase-space", "ae-clifford-torus"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def quick_results(tmp_path_factory):
    torch.set_num_threads(1)
    out = tmp_path_factory.mktemp("ae")
    return out, {r.name: r for r in run_experiments(AE, out, preset="quick")}


@pytest.mark.parametrize("name", AE)
def test_quick_preset_runs_and_records_checks_with_spread(quick_results, name):
    out, results = quick_results
    r = results[name]
    assert r.verdict != "error", r.error
    data = json.loads((out / name / "result.json").read_text())
    assert data["checks"] and data["figures"]
    assert all((out / name / f).is_file() for f in data["figures"])
    assert all(c["uncertainty"] >= 0 for c in data["checks"])
    # every experiment but the deterministic-data PCA one reports a seed-to-seed spread
    assert any(c["uncertainty"] > 0 for c in data["checks"])


def test_quick_presets_reproduce_their_claims(quick_results):
    _, results = quick_results
    for name in ("ae-linear-pca", "ae-sphere-deadzone", "ae-clifford-torus"):
        r = results[name]
        assert r.verdict == "reproduced", [c.to_dict() for c in r.checks if not c.passed]


def test_pca_metrics_are_exact_facts(quick_results):
    _, results = quick_results
    m = results["ae-linear-pca"].metrics
    assert max(m["principal_angles_rad"]) < 1e-2
    assert min(m["loss_excess_over_pca"]) > -1e-9  # nothing beats PCA (Eckart-Young)


def test_pca_checks_fail_for_an_undertrained_autoencoder(tmp_path):
    # after 10 full-batch steps the weights are still far from the principal subspace
    [r] = run_experiments(["ae-linear-pca"], tmp_path, preset="quick", overrides={"epochs": "10"})
    assert r.verdict == "not reproduced"
    failed = {c.name for c in r.checks if not c.passed}
    assert any("principal angle" in name for name in failed)


def test_clifford_check_fails_when_every_member_counts_as_found(tmp_path):
    # a threshold above the torus's squared diameter (2) calls every member an embedding
    [r] = run_experiments(
        ["ae-clifford-torus"], tmp_path, preset="quick", overrides={"tear_threshold": "10", "epochs": "2"}
    )
    assert r.verdict == "not reproduced"


def test_parameters_are_validated_before_running(tmp_path):
    with pytest.raises(ParameterError, match="latent_dim"):
        run_experiments(["ae-linear-pca"], tmp_path / "a", preset="quick", overrides={"latent_dim": "8"})
    with pytest.raises(ParameterError, match="signal_high"):
        run_experiments(["ae-phase-space"], tmp_path / "b", preset="quick", overrides={"signal_high": "0.1"})
    with pytest.raises(ParameterError, match="n_members"):
        run_experiments(["ae-sphere-deadzone"], tmp_path / "c", preset="quick", overrides={"n_members": "1"})
    assert not any((tmp_path / d).exists() for d in "abc")
