"""The autoencoder experiments, run end to end with their quick presets."""

import json
import math

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
@pytest.mark.slow
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


@pytest.mark.slow
def test_quick_presets_reproduce_their_claims(quick_results):
    _, results = quick_results
    for name in ("ae-linear-pca", "ae-sphere-deadzone", "ae-phase-space", "ae-clifford-torus"):
        r = results[name]
        assert r.verdict == "reproduced", [c.to_dict() for c in r.checks if not c.passed]


@pytest.mark.slow
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


@pytest.mark.slow
def test_clifford_positive_control_finds_the_donut(quick_results):
    # members started at the donut (encoder fitted to it, decoder to its inverse) and then trained like
    # the others keep it: every grid point reconstructed well within the threshold, while no ordinary
    # member gets below it; so the architecture can represent the embedding and the test recognises it
    _, results = quick_results
    r = results["ae-clifford-torus"]
    [control] = [c for c in r.checks if c.name.startswith("positive control")]
    assert control.passed and control.measured >= 0.75
    m = r.metrics
    assert max(m["control_worst_grid_loss"]) < 0.05 < min(m["worst_grid_loss"])


@pytest.mark.slow
def test_clifford_control_started_at_a_non_injective_chart_fails(tmp_path):
    # the broken control: the encoder fitted to (cos θ, sin θ, 0), which forgets φ, and the decoder to
    # the conditional mean; the same training does not repair it, and the control check sees it
    [r] = run_experiments(
        ["ae-clifford-torus"],
        tmp_path,
        preset="quick",
        overrides={"control_chart": "circle", "n_members": "2"},
    )
    assert r.verdict == "not reproduced"
    [control] = [c for c in r.checks if c.name.startswith("positive control")]
    assert not control.passed
    assert min(r.metrics["control_worst_grid_loss"]) > 0.05


def test_torus_charts():
    import numpy as np

    from physml.data import clifford_torus
    from physml.experiments.autoencoders import _torus_chart

    x = clifford_torus(500, 2, seed=3)
    donut = _torus_chart(x, "donut")
    rho = np.hypot(donut[:, 0], donut[:, 1])
    # on the surface of the torus of radii R = 1, r = 1/2 ...
    np.testing.assert_allclose((rho - 1.0) ** 2 + donut[:, 2] ** 2, 0.25, atol=1e-12)
    # ... and injective: its inverse (θ, φ) -> (cos θ, sin θ, cos φ, sin φ)/√2 recovers every point
    theta, phi = np.arctan2(donut[:, 1], donut[:, 0]), np.arctan2(donut[:, 2], rho - 1.0)
    back = np.column_stack([np.cos(theta), np.sin(theta), np.cos(phi), np.sin(phi)]) / math.sqrt(2.0)
    np.testing.assert_allclose(back, x, atol=1e-12)
    # the broken chart forgets φ: points that differ only in φ land on the same point
    y = x.copy()
    y[:, 2:] *= -1  # φ -> φ + π
    circle = _torus_chart(x, "circle")
    np.testing.assert_allclose(_torus_chart(y, "circle"), circle, atol=1e-12)
    assert np.abs(_torus_chart(y, "donut") - donut).max() > 0.5
    with pytest.raises(ValueError, match="unknown chart"):
        _torus_chart(x, "square")


def test_nearest_neighbour_distance_of_a_uniform_sphere_sample():
    # the principle behind ae-excised-equator's band: the mean (chordal) nearest-neighbour distance of
    # n uniform points on the unit 2-sphere is sqrt(pi) Gamma(n)/Gamma(n + 1/2) -> sqrt(pi/n) (a cap of
    # chordal radius r holds r^2/4 of the area). Per point the distance has variance (4 - pi)/n; the
    # tolerance allows 5 standard errors with the variance doubled for neighbour pairs counted twice.
    from scipy.spatial import cKDTree

    from physml.data import sphere
    from physml.geometry import sphere_nearest_neighbor

    n = 20000
    x = sphere(n, 2, seed=3)
    nn = cKDTree(x).query(x, k=2)[0][:, 1]
    se = math.sqrt(2 * (4 - math.pi) / n / n)
    assert abs(nn.mean() - sphere_nearest_neighbor(n).spacing) < 5 * se


@pytest.mark.slow
def test_equator_scan_and_principled_band(quick_results):
    _, results = quick_results
    m = results["ae-excised-equator"].metrics
    assert m["band"] == pytest.approx(math.sqrt(math.pi / 1500))  # the quick preset's n_train
    scan = m["scan"]
    assert scan["band"] == sorted(scan["band"]) and scan["band"][0] == 0.0 and scan["band"][-1] == 0.3
    assert m["band"] in scan["band"]
    k = scan["band"].index(m["band"])
    assert scan["auc_per_member"][k] == pytest.approx(m["auc_per_member"])
    # power: removing 30% of the sphere is flagged far more than removing nothing (both measured over
    # independent seeds; the difference is many standard errors in the quick preset)
    diff = scan["auc_mean"][-1] - scan["auc_mean"][0]
    assert diff > 4 * math.hypot(scan["auc_se"][-1], scan["auc_se"][0])


@pytest.mark.slow
def test_equator_check_fails_for_a_wide_band(tmp_path):
    # a band 6.5 nearest-neighbour distances wide (|z| < 0.30 for 1500 points) removes 30% of the sphere,
    # the trained networks flag the equator, and the claim check sees it
    [r] = run_experiments(
        ["ae-excised-equator"], tmp_path, preset="quick", overrides={"band_spacings": "6.5", "scan_bands": ""}
    )
    assert r.verdict == "not reproduced"
    assert not [c for c in r.checks if c.name.startswith("ROC AUC")][0].passed


def test_parameters_are_validated_before_running(tmp_path):
    with pytest.raises(ParameterError, match="latent_dim"):
        run_experiments(["ae-linear-pca"], tmp_path / "a", preset="quick", overrides={"latent_dim": "8"})
    with pytest.raises(ParameterError, match="signal_high"):
        run_experiments(["ae-phase-space"], tmp_path / "b", preset="quick", overrides={"signal_high": "0.1"})
    with pytest.raises(ParameterError, match="n_members"):
        run_experiments(["ae-sphere-deadzone"], tmp_path / "c", preset="quick", overrides={"n_members": "1"})
    eq = ["ae-excised-equator"]
    with pytest.raises(ParameterError, match="band_spacings"):
        run_experiments(eq, tmp_path / "d", preset="quick", overrides={"band_spacings": "0"})
    with pytest.raises(ParameterError, match=r"scan_bands\[1\]"):
        run_experiments(eq, tmp_path / "e", preset="quick", overrides={"scan_bands": "0.1,0.95"})
    with pytest.raises(ParameterError, match="below 0.9"):
        run_experiments(eq, tmp_path / "f", preset="quick", overrides={"band_spacings": "30"})
    with pytest.raises(ParameterError, match="control_chart"):
        run_experiments(
            ["ae-clifford-torus"], tmp_path / "g", preset="quick", overrides={"control_chart": "square"}
        )
    assert not any((tmp_path / d).exists() for d in "abcdefg")
