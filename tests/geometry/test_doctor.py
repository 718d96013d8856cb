"""physml.geometry.doctor on data whose answers are known (issue 21)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from physml import geometry


def _embed(x, ambient, rng):
    """Rotate the rows of x (n, k) at random into R^ambient."""
    q, _ = np.linalg.qr(rng.standard_normal((ambient, ambient)))
    y = np.zeros((x.shape[0], ambient))
    y[:, : x.shape[1]] = x
    return y @ q


def two_circles(n=1500, ambient=30, noise=0.01, seed=0):
    """Two unit circles 3 apart (true dimension 1, b0 = 2, b1 = 2) in R^30 with noise."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    x = np.column_stack([np.cos(t), np.sin(t), np.zeros(n)])
    x[n // 2 :, 0] += 3.0
    return _embed(x, ambient, rng) + noise * rng.standard_normal((n, ambient))


def circle(n=1000, ambient=30, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, 2 * np.pi, n)
    x = _embed(np.column_stack([np.cos(t), np.sin(t)]), ambient, rng)
    return x + noise * rng.standard_normal((n, ambient))


def torus(n=2500, ambient=10, noise=0.01, seed=0):
    """Torus with radii 2 and 1 (true dimension 2, b = 1, 2, 1) in R^10 with noise 0.01."""
    rng = np.random.default_rng(seed)
    u, v = rng.uniform(0, 2 * np.pi, (2, n))
    x = np.column_stack([(2 + np.cos(v)) * np.cos(u), (2 + np.cos(v)) * np.sin(u), np.sin(v)])
    return _embed(x, ambient, rng) + noise * rng.standard_normal((n, ambient))


def sphere(n=1500, ambient=10, noise=0.01, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return _embed(x, ambient, rng) + noise * rng.standard_normal((n, ambient))


def blob(n=1500, d=5, ambient=5, seed=0):
    """A Gaussian of dimension d in R^ambient (a linear subspace when d < ambient)."""
    rng = np.random.default_rng(seed)
    return _embed(rng.standard_normal((n, d)), ambient, rng)


@pytest.fixture(scope="module")
def reports():
    return {
        "circles": geometry.doctor(two_circles(), seed=0),
        "torus": geometry.doctor(torus(), seed=0),
        "sphere": geometry.doctor(sphere(), seed=0),
        "blob": geometry.doctor(blob(), seed=0),
        "subspace": geometry.doctor(blob(d=3, ambient=12), seed=0),
    }


TRUTH = {"circles": 1, "torus": 2, "sphere": 2, "blob": 5, "subspace": 3}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(TRUTH))
def test_reconciled_interval_contains_the_true_dimension(reports, name):
    value, low, high = reports[name].dimension
    assert low <= TRUTH[name] <= high, (name, reports[name].dimension)
    assert low <= value <= high
    # the interval is informative: narrower than the true dimension itself (half of it for manifolds)
    assert high - low < TRUTH[name]


@pytest.mark.slow
def test_noise_explains_the_disagreement_of_twonn_on_noisy_circles(reports):
    r = reports["circles"]
    twonn = r.single["twonn"][0]
    assert twonn > 5  # TwoNN at the nearest-neighbour scale sees the noise in 30 dimensions
    assert "TwoNN" in r.dimension_sentence and "below the noise floor" in r.dimension_sentence
    # the noise scale: sigma = 0.01 per direction, found within 10% by local PCA
    assert r.local["noise_level"] == pytest.approx(0.01, rel=0.1)
    assert r.local["curvature_radius"] == pytest.approx(1.0, rel=0.2)  # unit circles
    assert r.window[0] >= 3 * r.local["noise_floor"]


@pytest.mark.slow
def test_betti_numbers_and_autoencoder_warning(reports):
    pytest.importorskip("ripser")
    assert reports["circles"].betti == [2, 2, 0]
    assert reports["torus"].betti == [1, 2, 1]
    assert reports["sphere"].betti == [1, 0, 1]
    assert reports["blob"].betti == [1, 0, 0]
    assert reports["subspace"].betti == [1, 0, 0]
    for name in ("circles", "torus", "sphere"):
        warn, reason = reports[name].autoencoder_warning
        assert warn, name
    assert "torus" in reports["torus"].autoencoder_warning[1]
    assert "latent dimension >= 3" in reports["sphere"].autoencoder_warning[1]
    assert "components" in reports["circles"].autoencoder_warning[1]
    for name in ("blob", "subspace"):
        assert reports[name].autoencoder_warning[0] is False, name


@pytest.mark.slow
def test_report_is_json_ready_and_has_the_issue_fields(reports):
    pytest.importorskip("ripser")
    d = json.loads(json.dumps(reports["torus"].to_dict(), allow_nan=False))
    assert set(d["dimension"]) >= {"value", "low", "high"}
    assert d["betti"] == [1, 2, 1]
    assert d["autoencoder_warning"]["warn"] is True and d["autoencoder_warning"]["reason"]
    assert set(d["spectrum"]) >= {"power_law", "alpha", "decades"}
    assert d["data_size"]["alpha"] == pytest.approx(4.0 / d["dimension"]["value"])
    sections = {"dimension", "local", "spectrum", "topology", "autoencoder", "data"}
    assert set(reports["torus"].verdicts()) == sections


@pytest.mark.slow
def test_spectrum_verdicts():
    rng = np.random.default_rng(1)
    ranks = np.arange(1, 201)
    power = rng.standard_normal((2000, 200)) * ranks ** -0.75  # lambda_i = i^-1.5: alpha = 0.5
    r = geometry.doctor(power, topology=False, seed=0)
    s = r.spectrum
    assert s["power_law"] is True
    assert abs(s["alpha"] - 0.5) < 3 * s["alpha_error"] + 0.02  # + the Marchenko-Pastur bend of the tail
    assert s["decades"] >= 1.9
    expo = rng.standard_normal((2000, 50)) * np.exp(-np.arange(50) / 8.0)  # exponential, not a power law
    s = geometry.doctor(expo, topology=False, seed=0).spectrum
    assert s["power_law"] is False
    assert s["rms_residual"] > 0.2 and "not a power law" in s["verdict"]


def test_sphere_spectrum_is_not_a_power_law_and_few_features_give_no_verdict():
    s = geometry.doctor(sphere(n=600), topology=False).spectrum  # 3 eigenvalues 1/3, then noise 1e-4
    assert s["power_law"] is False and s["verdict"].startswith("not a power law")
    assert s["rms_residual"] > 1.0 and s["decades"] == 0.0
    r = geometry.doctor(blob(n=300, d=3, ambient=3), topology=False)
    assert "spectrum" in r.skipped and r.spectrum == {}
    s = geometry.doctor(blob(n=300, d=5, ambient=5), topology=False).spectrum
    assert s["power_law"] is False and s["verdict"].startswith("no verdict")  # ranks 1..2 only
    s = geometry.doctor(blob(n=2000, d=8, ambient=8), topology=False).spectrum  # white: all eigenvalues 1
    assert s["power_law"] is False and s["verdict"].startswith("flat")


def test_gride_curve_on_a_uniform_square():
    x = np.random.default_rng(3).uniform(size=(4000, 2))
    g = geometry.gride_curve(x, max_order=32)
    assert list(g.n1) == [1, 2, 4, 8, 16]
    assert np.all(np.diff(g.scales) > 0)
    inner = g.n1 <= 8  # at larger orders the square's edges lower the estimate
    assert np.all(np.abs(g.dimensions[inner] - 2.0) < 4 * g.errors[inner] + 0.05)


@pytest.mark.slow
def test_ten_thousand_points_in_fifty_dimensions_are_subsampled_and_quick():
    x = torus(n=10000, ambient=50)
    r = geometry.doctor(x, seed=0)
    assert r.n_used == 5000 and any("subsample" in n for n in r.notes)
    # the issue asks under 30 s on an idle 2-core machine (about 10 s measured); shared CI gets slack
    assert sum(r.timings.values()) < 120.0
    assert r.dimension[1] <= 2 <= r.dimension[2]


def test_bad_input():
    with pytest.raises(ValueError, match="at least 50"):
        geometry.doctor(blob(n=20))
    x = blob(n=200)
    x[3, 1] = np.nan
    with pytest.raises(ValueError):
        geometry.doctor(x)
    x = blob(n=200, d=2, ambient=2)
    dup = np.vstack([x, x[:40]])
    r = geometry.doctor(dup, topology=False)
    assert r.n_duplicates == 40 and r.n_used == 200
    assert any("40 duplicate" in n for n in r.notes)
    with pytest.raises(ValueError, match="distinct"):
        geometry.doctor(np.repeat(x[:10], 10, axis=0))
    line = np.random.default_rng(0).uniform(size=(400, 1))
    r = geometry.doctor(line, topology=False)
    assert "local" in r.skipped and "spectrum" in r.skipped
    value, low, high = r.dimension
    assert low <= 1.0 <= high
    assert "not determined" in r.verdicts()["local"]


def test_persistent_homology_of_a_circle_and_two_components():
    pytest.importorskip("ripser")
    t = geometry.persistent_homology(circle(n=600), n_landmarks=100, max_dim=1)
    assert t.betti == [1, 1]
    assert t.support[1][0] > 5 * t.threshold  # a unit circle's loop dies near sqrt(3)
    assert t.strongest_noise[1] < t.threshold
    rng = np.random.default_rng(0)
    two = np.vstack([rng.normal(0, 0.3, (200, 3)), rng.normal(5, 0.3, (200, 3))])
    t = geometry.persistent_homology(two, n_landmarks=80, max_dim=1)
    assert t.betti == [2, 0]
    warn, reason = geometry.autoencoder_warning(t.betti, 3.0)
    assert warn and "2 separate components" in reason
    assert geometry.autoencoder_warning([1, 0, 0], 2.0)[0] is False
    assert math.isinf(t.support[0][0])
