"""physml.data.collider: the toy, jet substructure, Pythia + FastJet generation, event files."""

import math

import numpy as np
import pytest
from scipy import stats

from physml.data import collider
from physml.data.collider import (
    DIJET_FEATURES,
    check_events,
    delta_phi,
    dijet_function,
    dijet_toy,
    generalized_angularity,
    generate_dijets,
    generate_qg_jets,
    generate_to_file,
    jet_image,
    nsubjettiness,
    read_events,
    sample_dijet_function,
    write_events,
)


def test_dijet_function_sampling_follows_its_cdf():
    m = sample_dijet_function(20000, mjj_min=2500.0, mjj_max=7000.0, seed=0)
    assert m.min() >= 2500.0 and m.max() <= 7000.0

    def cdf(x):
        grid = np.linspace(2500.0, 7000.0, 40001)
        dens = dijet_function(grid, (1.0, 8.0, 5.5))
        c = np.concatenate([[0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
        return np.interp(x, grid, c / c[-1])

    # a fixed seed: the KS p-value is one draw from U(0, 1) if the sampler is right
    assert stats.kstest(m, cdf).pvalue > 1e-3
    # the function itself: p0 (1-x)^p1 / x^(p2 + p3 ln x)
    x = 3000.0 / 13000.0
    expected = 2.0 * (1 - x) ** 7 / x ** (4 + 0.5 * math.log(x))
    assert dijet_function(np.array([3000.0]), (2.0, 7.0, 4.0, 0.5))[0] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="3 or 4 parameters"):
        dijet_function(np.array([1.0]), (1.0, 2.0))


def test_toy_columns_labels_and_signal_masses():
    t = dijet_toy(5000, 1000, m_x=400.0, m_y=150.0, seed=1)
    check_events(t)
    assert set(DIJET_FEATURES) <= set(t) and len(t["mjj"]) == 6000
    assert int(t["label"].sum()) == 1000
    assert np.all(t["mj1"] >= t["mj2"])
    s = t["label"] == 1
    # X is the heavier jet except where a Gaussian fluctuation reorders them (not here: 400 vs 150)
    err = (0.05 * 400 + 10) / math.sqrt(1000)
    assert abs(t["mj1"][s].mean() - 400.0) < 5 * err
    assert np.mean(t["tau21_j1"][s]) < np.mean(t["tau21_j1"][~s])  # two-prong signal
    np.testing.assert_array_equal(dijet_toy(50, 5, seed=3)["mjj"], dijet_toy(50, 5, seed=3)["mjj"])
    with pytest.raises(ValueError, match="must be below m_resonance"):
        dijet_toy(10, 10, m_resonance=500.0, m_x=400.0, m_y=150.0)


def test_check_events_names_what_is_missing_and_bad():
    t = dijet_toy(10, seed=0)
    del t["tau21_j2"]
    with pytest.raises(ValueError, match="lack the column\\(s\\) tau21_j2; needed: mjj"):
        check_events(t)
    t = dijet_toy(10, seed=0)
    t["mjj"][3] = np.nan
    with pytest.raises(ValueError, match="'mjj' has 1 non-finite value\\(s\\), first at row 3"):
        check_events(t)


def test_nsubjettiness_and_angularities_exact_cases():
    # two equal-pT particles a distance d apart, axis on one of them: tau1 = pT d / (2 pT R) = d / 2R
    pt, eta, phi = np.array([100.0, 100.0]), np.array([0.0, 0.3]), np.array([0.0, 0.4])
    d = 0.5
    assert nsubjettiness(pt, eta, phi, np.array([[0.0, 0.0]]), radius=1.0) == pytest.approx(d / 2)
    # with an axis on each particle tau2 = 0
    assert nsubjettiness(pt, eta, phi, np.array([[0.0, 0.0], [0.3, 0.4]]), radius=1.0) == 0.0
    # azimuth wraps: particles at phi = ±(pi - 0.1) are 0.2 apart
    assert delta_phi(np.array([math.pi - 0.1]), -(math.pi - 0.1))[0] == pytest.approx(-0.2)
    # n equal particles: multiplicity (kappa = beta = 0) is n, pT_D^2 (kappa = 2, beta = 0) is 1/n
    rng = np.random.default_rng(0)
    n = 7
    pt, eta, phi = np.full(n, 50.0), rng.normal(0, 0.1, n), rng.normal(0, 0.1, n)
    assert generalized_angularity(pt, eta, phi, kappa=0, beta=0, radius=0.4) == pytest.approx(n)
    assert generalized_angularity(pt, eta, phi, kappa=2, beta=0, radius=0.4) == pytest.approx(1 / n)
    image = jet_image(pt, eta, phi, radius=0.4, pixels=33)
    assert image.shape == (33, 33) and image.sum() == pytest.approx(1.0)


def test_aligned_jet_image_does_not_depend_on_the_jet_orientation():
    # an elongated, lopsided jet rotated by any angle about its centroid (and reflected) gives the
    # same aligned image; its principal axis lies along the first image axis, both third moments >= 0
    rng = np.random.default_rng(3)
    n = 60
    pt = rng.exponential(20.0, n)
    u, v = rng.normal(0, 0.12, n), rng.normal(0, 0.03, n)
    u = u + 0.08 * (u > 0.1)  # a hard tail on one side: a definite third moment
    z = pt / pt.sum()
    u, v = u - (z * u).sum(), v - (z * v).sum()
    reference = None
    for angle, mirror in ((0.0, 1), (0.7, 1), (2.5, 1), (-1.9, -1), (math.pi, -1)):
        c, s = math.cos(angle), math.sin(angle)
        deta, dphi = c * u - s * v, s * u + c * v
        eta, phi = 0.3 + deta, 1.0 + mirror * dphi
        plain = jet_image(pt, eta, phi, radius=0.4, pixels=33)
        image = jet_image(pt, eta, phi, radius=0.4, pixels=33, align=True)
        assert image.sum() == pytest.approx(plain.sum())
        if reference is None:
            reference = image
        np.testing.assert_allclose(image, reference, atol=1e-12)
    centres = np.linspace(-0.4, 0.4, 34)[:-1] + 0.4 / 33
    x, y = np.meshgrid(centres, centres, indexing="ij")
    w = reference / reference.sum()
    assert (w * x * x).sum() > 3 * (w * y * y).sum()  # elongated along the first axis
    assert abs((w * x * y).sum()) < 0.05 * (w * x * x).sum()
    assert (w * x**3).sum() > 0


@pytest.fixture(scope="module")
def signal_events():
    return generate_dijets(40, "signal", seed=11)


def test_pythia_signal_passes_the_selection_and_peaks_at_m_x(signal_events):
    t = signal_events
    check_events(t)
    assert len(t["mjj"]) == 40 and np.all(t["label"] == 1)
    # the selection: a jet above 1.2 TeV with |eta| < 2.5 among the two leading ones (or a third
    # jet, rarely); the leading pair carries most of the resonance mass
    assert np.mean(np.maximum(t["pt_j1"], t["pt_j2"]) > 1200.0) > 0.9
    assert np.all(t["mj1"] >= t["mj2"]) and np.all((t["tau21_j1"] >= 0) & (t["tau21_j1"] <= 1.5))
    # X (500 GeV) is the heavier jet in most events; the median sits within 10% of m_X
    assert abs(np.median(t["mj1"]) - 500.0) < 50.0
    assert 2800.0 < np.median(t["mjj"]) < 3800.0


def test_pythia_is_reproducible_from_its_seed(signal_events):
    again = generate_dijets(5, "signal", seed=11)
    np.testing.assert_array_equal(again["mjj"], signal_events["mjj"][:5])
    other = generate_dijets(5, "signal", seed=12)
    assert not np.array_equal(other["mjj"], again["mjj"])


@pytest.mark.slow
def test_pythia_qcd_and_qg_jets():
    q = generate_dijets(10, "qcd", seed=3)
    assert np.all(q["label"] == 0) and q["sigma_pb"][0] > 0
    jets = generate_qg_jets(8, seed=4)
    assert jets["image"].shape == (8, 33, 33) and int(jets["label"].sum()) == 4
    assert np.all((jets["pt"] > 500) & (jets["pt"] < 550))
    # quark jets come from q g -> Z q: the outgoing parton is a quark exactly when labelled so
    quark = jets["label"] == 1
    assert np.all(np.abs(jets["parton"][quark]) <= 6) and np.all(jets["parton"][~quark] == 21)
    assert np.all(jets["image"].sum(axis=(1, 2)) <= 1.0 + 1e-5)


def test_bad_generator_input():
    with pytest.raises(ValueError, match="process must be one of 'qcd', 'signal'"):
        generate_dijets(1, "ttbar")
    with pytest.raises(ValueError, match="must be below m_resonance"):
        generate_dijets(1, "signal", m_resonance=500.0, m_x=450.0, m_y=100.0)
    with pytest.raises(ValueError, match="bias applies to process='qcd' only"):
        generate_dijets(1, "signal", bias=True)


def test_event_files_round_trip(tmp_path):
    t = dijet_toy(20, 3, seed=0)
    write_events(tmp_path / "e.npz", t, {"note": "toy"})
    back, meta = read_events(tmp_path / "e.npz", with_meta=True)
    assert meta == {"note": "toy"}
    for k in t:
        np.testing.assert_array_equal(back[k], t[k])
    csv = tmp_path / "e.csv"
    csv.write_text("mjj,mj1\n3000,500\n3100,nan_is_not_a_number\n")
    with pytest.raises(ValueError, match="every CSV value must be a number"):
        read_events(csv)
    with pytest.raises(ValueError, match="unknown event file type '.txt'; accepted: .npz, .h5, .csv"):
        read_events(tmp_path / "e.txt")
    with pytest.raises(FileNotFoundError):
        read_events(tmp_path / "missing.npz")


def test_generate_to_file_resumes_only_missing_chunks(tmp_path, monkeypatch):
    calls = []

    def fake_chunk(args):
        generator, n, seed, kwargs = args
        calls.append(seed)
        if len(calls) == 2 and not getattr(fake_chunk, "failed", False):
            fake_chunk.failed = True
            raise RuntimeError("interrupted")
        return dijet_toy(n, seed=seed)

    import physml.data.collider._files as files

    monkeypatch.setattr(files, "_chunk", fake_chunk)
    out = tmp_path / "bkg.npz"
    with pytest.raises(Exception, match="interrupted"):
        generate_to_file(out, 25, "qcd", chunk_size=10, seed=5)
    assert not out.exists()
    parts = sorted(p.name for p in (tmp_path / "bkg.npz.parts").glob("part-*.npz"))
    assert parts == ["part-00000.npz", "part-00002.npz"]  # chunk 1 failed, the others were kept
    calls.clear()
    with pytest.raises(ValueError, match="holds chunks of a different request"):
        generate_to_file(out, 25, "qcd", chunk_size=10, seed=6)
    generate_to_file(out, 25, "qcd", chunk_size=10, seed=5)
    assert len(calls) == 1  # only the missing chunk
    table = read_events(out)
    assert len(table["mjj"]) == 25 and not (tmp_path / "bkg.npz.parts").exists()
    # the same file from scratch, in one go
    fresh = tmp_path / "fresh.npz"
    generate_to_file(fresh, 25, "qcd", chunk_size=10, seed=5)
    np.testing.assert_array_equal(read_events(fresh)["mjj"], table["mjj"])
    with pytest.raises(FileExistsError, match="exists; pass overwrite=True"):
        generate_to_file(fresh, 25, "qcd", chunk_size=10, seed=5)


@pytest.mark.slow
def test_generate_to_file_runs_pythia_chunks(tmp_path):
    from physml._core import derive_seed

    out = generate_to_file(tmp_path / "s.npz", 6, "signal", chunk_size=3, seed=2)
    table = read_events(out)
    first = generate_dijets(3, "signal", seed=derive_seed(2, "signal", 0))
    np.testing.assert_array_equal(table["mjj"][:3], first["mjj"])
    assert collider.GENERATORS == ("qcd", "signal", "qg")
