"""physml collider generate and features, run in-process through physml.cli.main."""

import re

import numpy as np
import pytest

from physml._core import derive_seed
from physml.cli import main
from physml.data.collider import generate_dijets, read_events


@pytest.mark.slow
def test_generate_signal_in_chunks(tmp_path, capsys):
    out = tmp_path / "sig.npz"
    code = main(["collider", "generate", "--process", "signal", "--events", "4", "--chunk-size", "2",
                 "--seed", "3", "--out", str(out)])
    assert code == 0
    assert "mjj median" in capsys.readouterr().out
    table = read_events(out)
    assert len(table["mjj"]) == 4 and np.all(table["label"] == 1)
    second = generate_dijets(2, "signal", seed=derive_seed(3, "signal", 1))
    np.testing.assert_array_equal(table["mjj"][2:], second["mjj"])
    assert not (tmp_path / "sig.npz.parts").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--process", "signal", "--m-x", "3000", "--m-y", "600"], "must be below --m-resonance 3500 GeV"),
        (["--process", "signal", "--m-resonance", "14000"], "must be below √s = 13000 GeV"),
        (["--process", "qg", "--bias"], "--bias applies to --process qcd only"),
        (["--process", "ttbar"], "invalid choice: 'ttbar'"),
        (["--process", "qcd", "--events", "0"], "--events must be >= 1"),
    ],
)
def test_bad_input_exits_2(tmp_path, args, message, capsys):
    argv = ["collider", "generate", "--out", str(tmp_path / "x.npz"), *args]
    if "--events" not in args:
        argv += ["--events", "3"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "x.npz.parts").exists()


def test_existing_output_and_unknown_type(tmp_path, capsys):
    (tmp_path / "e.npz").write_bytes(b"")
    base = ["collider", "generate", "--process", "qcd", "--events", "2", "--out"]
    assert main([*base, str(tmp_path / "e.npz")]) == 2
    assert main([*base, str(tmp_path / "e.csv")]) == 2
    err = capsys.readouterr().err
    assert "file exists; pass --force" in err and "unknown file type; accepted: .npz, .h5" in err


def test_progress_bars_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    argv = ["collider", "generate", "--process", "signal", "--events", "2", "--chunk-size", "1"]
    monkeypatch.setenv("PHYSML_PROGRESS", "0")  # what a pipe gets
    assert main([*argv, "--out", str(tmp_path / "a.npz")]) == 0
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"wrote 2 signal events to {tmp_path / 'a.npz'}"]
    monkeypatch.setenv("PHYSML_PROGRESS", "1")  # what a terminal gets: chunks, and events in each
    assert main([*argv, "--out", str(tmp_path / "b.npz")]) == 0
    err = capsys.readouterr().err
    assert "generate signal" in err and "pythia signal" in err
    # the bars change nothing in the events
    a, b = (read_events(tmp_path / name)["mjj"] for name in ("a.npz", "b.npz"))
    np.testing.assert_array_equal(a, b)


def test_ctrl_c_keeps_the_chunks_and_says_how_to_resume(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    from physml.data import collider

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(collider, "generate_to_file", interrupted)
    out = tmp_path / "x.npz"
    argv = ["collider", "generate", "--process", "qcd", "--events", "3", "--out", str(out)]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert f"finished chunks are kept in {out}.parts/" in err
    assert "rerun physml collider generate --process qcd --events 3 --out" in err and "--resume" not in err


def test_too_many_chunks_is_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "x.npz"
    argv = ["collider", "generate", "--process", "qcd", "--events", "1000000000000", "--chunk-size", "10"]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "100000000000 chunks; at most 100000: use a larger --chunk-size" in err
    assert not out.exists() and not (tmp_path / "x.npz.parts").exists()


# -- physml collider features ------------------------------------------------------------------


def _lhco_file(path, events, labels=None):
    """An LHC Olympics hadron file as pandas writes it (the group 'df', events along the rows of
    block0_values): (pT, eta, phi) of each hadron, zero padded to 700, and an optional label."""
    import h5py

    values = np.zeros((len(events), 2100 + (labels is not None)))
    for i, hadrons in enumerate(events):
        flat = np.asarray(hadrons, float).ravel()
        values[i, : flat.size] = flat
    if labels is not None:
        values[:, -1] = labels
    with h5py.File(path, "w") as f:
        g = f.create_group("df")
        g.attrs["pandas_type"], g.attrs["nblocks"] = np.bytes_("frame"), np.int64(1)
        g["axis0"] = g["block0_items"] = np.arange(values.shape[1])
        g["axis1"], g["block0_values"] = np.arange(len(values)), values
    return path


# two back-to-back jets of two massless hadrons each: m_jet^2 = 2 pT1 pT2 (cosh Δη - cos Δφ)
DIJET = [(1000.0, 0.0, 0.0), (500.0, 0.2, 0.0), (900.0, 0.1, 3.0), (600.0, 0.1, 2.9)]


def test_features_writes_the_dijet_columns(tmp_path, capsys):
    pytest.importorskip("fastjet")
    src = _lhco_file(tmp_path / "rd.h5", [DIJET, [(700.0, 0.0, 1.0)], DIJET], labels=[1, 0, 0])
    out = tmp_path / "feats.npz"
    assert main(["collider", "features", str(src), "--out", str(out), "--chunk-size", "2"]) == 0
    captured = capsys.readouterr()
    assert f"wrote 2 of 3 events to {out}; 1 with fewer than two jets dropped" in captured.err
    assert "labels: 0: 1, 1: 1" in captured.out and "mjj median" in captured.out
    table = read_events(out)
    np.testing.assert_array_equal(table["event"], [0, 2])
    np.testing.assert_array_equal(table["label"], [1, 0])
    heavy = np.sqrt(2 * 1000 * 500 * (np.cosh(0.2) - 1))  # (1000, 0, 0) with (500, 0.2, 0)
    light = np.sqrt(2 * 900 * 600 * (1 - np.cos(0.1)))  # (900, 0.1, 3.0) with (600, 0.1, 2.9)
    assert heavy > light
    # FastJet adds the same four-vectors: float rounding only (relative 1e-9 is ~1e7 ulps)
    np.testing.assert_allclose(table["mj1"], heavy, rtol=1e-9)
    np.testing.assert_allclose(table["mj2"], light, rtol=1e-9)
    np.testing.assert_allclose(table["tau21_j1"], 0.0, atol=1e-12)  # two hadrons, two axes: tau2 = 0
    assert not (tmp_path / "feats.npz.parts").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.with_suffix(".h5").write_bytes(b"junk"), "is not a readable HDF5 file"),
        (lambda p: np.savez(p.with_suffix(".npz"), mjj=np.ones(3)), "unknown file type '.npz'"),
        (lambda p: _h5(p.with_suffix(".h5"), mjj=np.ones(3)), r"not in the LHC Olympics layout .*mjj \(3,\)"),
        (lambda p: _lhco_file(p.with_suffix(".h5"), []), "holds no events"),
    ],
)
def test_features_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, make, message):
    make(tmp_path / "in")
    src = next(tmp_path.iterdir())
    before = sorted(tmp_path.iterdir())
    assert main(["collider", "features", str(src), "--out", str(tmp_path / "f.npz")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(src) in err and "Traceback" not in err
    assert re.search(message, err), err
    assert sorted(tmp_path.iterdir()) == before


def _h5(path, **arrays):
    import h5py

    with h5py.File(path, "w") as f:
        for name, value in arrays.items():
            f[name] = value


def test_features_interrupted_says_how_to_resume(tmp_path, capsys, monkeypatch):
    pytest.importorskip("fastjet")
    from physml.data import collider

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(collider, "lhco_features", interrupted)
    src = _lhco_file(tmp_path / "bb.h5", [DIJET])
    out = tmp_path / "f.npz"
    assert main(["collider", "features", str(src), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert f"finished chunks are kept in {out}.parts/" in err and "physml collider features" in err


def test_features_progress_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    pytest.importorskip("fastjet")
    src = _lhco_file(tmp_path / "bb.h5", [DIJET, DIJET])
    monkeypatch.setenv("PHYSML_PROGRESS", "0")  # what a pipe gets
    assert main(["collider", "features", str(src), "--out", str(tmp_path / "a.npz")]) == 0
    assert capsys.readouterr().err.strip().splitlines() == [
        f"wrote 2 of 2 events to {tmp_path / 'a.npz'}; 0 with fewer than two jets dropped"]
    monkeypatch.setenv("PHYSML_PROGRESS", "1")  # what a terminal gets: chunks, and events in each
    assert main(["collider", "features", str(src), "--out", str(tmp_path / "b.npz")]) == 0
    err = capsys.readouterr().err
    assert "chunks" in err and "cluster jets" in err
