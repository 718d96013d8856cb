"""physml anomaly hunt: the black-box report from an events file, and its usage errors."""

import json

import numpy as np
import pytest

from physml.cli import main
from physml.data.collider import dijet_toy


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("events")
    sig = dijet_toy(40000, 600, m_resonance=3800.0, seed=3)
    np.savez(d / "signal.npz", **sig)
    bkg = dijet_toy(40000, 0, seed=4)
    cols = ["mjj", "mj1", "tau21_j1"]
    np.savetxt(d / "background.csv", np.column_stack([bkg[c] for c in cols]), delimiter=",",
               header=",".join(cols), comments="")
    return d


def test_hunt_reports_the_injected_resonance(files, tmp_path, capsys):
    out = tmp_path / "report.json"
    rc = main(["anomaly", "hunt", str(files / "signal.npz"), "--cut", "tau21_j1<0.6", "--n-pseudo", "30",
               "--out", str(out)])
    assert rc == 0
    report = json.loads(out.read_text())
    assert report["signal_found"] is True
    assert abs(report["mass"] - 3800) < 200
    assert report["n_signal"] > 3 * report["n_signal_err"]
    assert "resonance mass" in capsys.readouterr().out


def test_hunt_reports_no_signal_in_background_csv(files, capsys):
    assert main(["anomaly", "hunt", str(files / "background.csv"), "--n-pseudo", "30", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["signal_found"] is False and report["n_selected"] == 40000


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--cut", "nope<1"], "missing column"),
        (["--cut", "tau21_j1<<1"], "--cut"),
        (["--cut", "tau21_j1<0"], "no events pass"),
        (["--mass-range", "3000:20000"], "--mass-range"),
    ],
)
def test_usage_errors_exit_2(files, capsys, extra, message):
    assert main(["anomaly", "hunt", str(files / "signal.npz"), "--n-pseudo", "0", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_masses_outside_the_kinematic_range_and_missing_mjj(tmp_path, capsys):
    np.savez(tmp_path / "bad.npz", mjj=np.array([3000.0, 15000.0]))
    assert main(["anomaly", "hunt", str(tmp_path / "bad.npz")]) == 2
    assert "kinematic range" in capsys.readouterr().err
    np.savez(tmp_path / "nomjj.npz", mj1=np.ones(3))
    assert main(["anomaly", "hunt", str(tmp_path / "nomjj.npz")]) == 2
    assert "mjj" in capsys.readouterr().err
    assert main(["anomaly", "hunt", str(tmp_path / "missing.npz")]) == 2


def test_without_pseudo_experiments_there_is_no_verdict(files, tmp_path, capsys):
    """Issue 22: --n-pseudo 0 printed "no significant signal" next to a local Z of 8."""
    out = tmp_path / "r.json"
    argv = ["anomaly", "hunt", str(files / "signal.npz"), "--cut", "tau21_j1<0.6", "--n-pseudo", "0"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "no significant signal" not in printed and "SIGNAL" not in printed
    assert "global p-value was not computed" in printed and "--n-pseudo" in printed
    report = json.loads(out.read_text())
    assert report["signal_found"] is None and report["global_p_computed"] is False
    assert report["p_value_background_only"] is None and report["z_global"] is None
    assert report["z_local"] > 5 and "--n-pseudo" in report["note"]  # the injected resonance, locally
    # with pseudo-experiments the verdict and the global p-value are back
    assert main([*argv[:-1], "5", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["global_p_computed"] is True and report["note"] is None
    # no pseudo-experiment reaches Z > 5: p below 1/(1 + 5), extrapolated with the trials factor
    assert report["signal_found"] is True and report["p_value_background_only"] < 1 / 6


@pytest.mark.parametrize(
    ("setup", "extra", "message"),
    [
        ("one", [], "--bin-width 0.04 gives"),
        ("none", [], "holds no events"),
        ("inf", [], "non-finite"),
        ("columns", [], "must be numeric and 1-D"),
        ("header", [], "no rows after the header line"),
        ("empty", [], "the file is empty"),
        ("random", [], "is not an .npz archive"),
        ("truncated", [], "is damaged or truncated"),
        ("objects", [], "pickled (object) data, which is never loaded"),
        ("directory", [], "is a directory"),
        ("negative", [], "'weight' has negative values"),
        ("good", ["--bin-width", "1e-9"], "at most 1000 are searched: use a larger --bin-width"),
        ("good", ["--bin-width", "2"], "--bin-width is a relative width"),
        ("good", ["--window-bins", "200"], "--window-bins 200 window"),
        ("good", ["--alpha", "1"], "--alpha must be a p-value in (0, 1)"),
    ],
)
def test_degenerate_inputs_exit_2_in_one_line(files, tmp_path, capsys, setup, extra, message):
    rng = np.random.default_rng(5)
    path = tmp_path / ("e.csv" if setup == "header" else "e.npz")
    if setup == "good":
        path = files / "signal.npz"
    elif setup == "one":
        np.savez(path, mjj=np.array([3000.0]))
    elif setup == "none":
        np.savez(path, mjj=np.zeros(0))
    elif setup == "inf":
        np.savez(path, mjj=np.full(10, np.inf))
    elif setup == "columns":
        np.savez(path, mjj=np.ones((10, 0)))
    elif setup == "header":
        path.write_text("mjj,tau21_j1\n")
    elif setup == "empty":
        path.write_bytes(b"")
    elif setup == "random":
        path.write_bytes(rng.bytes(400))
    elif setup == "truncated":
        path.write_bytes((files / "signal.npz").read_bytes()[:5000])
    elif setup == "objects":
        np.savez(path, mjj=np.array([{"a": 1}, None], dtype=object))
    elif setup == "directory":
        path.mkdir()
    elif setup == "negative":
        np.savez(path, mjj=rng.uniform(2000, 5000, 100), weight=-np.ones(100))
    out = tmp_path / "r.json"
    assert main(["anomaly", "hunt", str(path), "--n-pseudo", "0", "--out", str(out), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "allow_pickle" not in err and "n_bins" not in err and "relative_width" not in err
    assert not out.exists()


def test_progress_bar_on_a_terminal_only(files, capsys, monkeypatch):
    argv = ["anomaly", "hunt", str(files / "background.csv"), "--n-pseudo", "2", "--json"]
    monkeypatch.setenv("PHYSML_PROGRESS", "0")  # what a pipe gets
    assert main(argv) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("PHYSML_PROGRESS", "1")  # what a terminal gets
    assert main(argv) == 0
    assert "pseudo-experiments" in capsys.readouterr().err


def test_ctrl_c_says_nothing_was_written(files, tmp_path, capsys, monkeypatch):
    from physml import anomaly

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(anomaly, "bump_hunt", interrupted)
    out = tmp_path / "r.json"
    assert main(["anomaly", "hunt", str(files / "signal.npz"), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "nothing was written" in err and "--resume" not in err and not out.exists()


# ---------------------------------------------------------------------------------------------
# the learnt selections: --features and --method


@pytest.fixture(scope="module")
def weak_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("weak")
    ev = dijet_toy(20000, 180, m_resonance=4000.0, seed=11)
    np.savez(d / "box.npz", **ev)
    flat = dict(ev, flat=np.ones(len(ev["mjj"])))
    np.savez(d / "flat.npz", **flat)
    bad = dict(ev, tau21_j1=np.where(np.arange(len(ev["mjj"])) == 5, np.nan, ev["tau21_j1"]))
    np.savez(d / "nan.npz", **bad)
    few = {k: v[:400] for k, v in ev.items()}
    np.savez(d / "few.npz", **few)
    return d


FEATURES = "mj1,mj2,tau21_j1,tau21_j2"


@pytest.mark.slow
def test_weak_hunt_finds_the_resonance_without_a_cut(weak_files, tmp_path, capsys):
    out = tmp_path / "weak.json"
    rc = main(["anomaly", "hunt", str(weak_files / "box.npz"), "--features", FEATURES, "--n-pseudo", "2",
               "--json", "--out", str(out)])
    assert rc == 0
    printed = json.loads(capsys.readouterr().out)
    report = json.loads(out.read_text())
    assert printed == report
    assert report["method"] == "cwola" and report["features"] == FEATURES.split(",")
    assert abs(report["mass"] - 4000) < 200 and report["z_local"] > 5
    for key in ("signal_found", "mass", "mass_err", "p_value_background_only", "n_signal", "efficiency",
                "sculpting"):
        assert key in report


@pytest.mark.parametrize("extra, message", [
    (["--features", "mj1,nope"], "missing column(s) nope"),
    (["--features", "mj1,flat"], "'flat' is constant"),
    (["--features", "mj1,tau21_j1"], "'tau21_j1' has 1 non-finite"),
    (["--method", "cwola"], "--method cwola needs --features"),
    (["--features", "mj1", "--method", "cut"], "--method cut learns no selection"),
    (["--features", "mj1,mj1"], "distinct column names"),
    (["--features", "mj1", "--efficiencies", "0.1,2"], "--efficiencies"),
    (["--features", "mj1", "--mass-range", "9000:9500"], "no event inside the mass range"),
])
def test_weak_hunt_usage_errors(weak_files, tmp_path, capsys, extra, message):
    name = "nan.npz" if "tau21_j1" in extra[1] else "flat.npz"
    out = tmp_path / "r.json"
    argv = ["anomaly", "hunt", str(weak_files / name), "--n-pseudo", "0", "--out", str(out), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_weak_hunt_too_few_sideband_events(weak_files, capsys):
    argv = ["anomaly", "hunt", str(weak_files / "few.npz"), "--features", FEATURES, "--n-pseudo", "0"]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert "few.npz" in err and "sidebands hold fewer than" in err


def test_weighted_events_hunt_with_cwola_and_are_refused_by_cathode(tmp_path, capsys):
    """A non-constant 'weight' column: CWoLa takes the weights (its classifier, selection and fit);
    CATHODE's densities take none, so it stops in one line before any work."""
    ev = dijet_toy(4000, 0, seed=21)
    ev["weight"] = np.random.default_rng(22).uniform(0.5, 1.5, len(ev["mjj"]))
    np.savez(tmp_path / "weighted.npz", **ev)
    argv = ["anomaly", "hunt", str(tmp_path / "weighted.npz"), "--features", FEATURES, "--n-pseudo", "0",
            "--json"]
    assert main([*argv, "--method", "cwola", "--efficiencies", "0.1", "--folds", "2"]) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["weighted"] is True and report["method"] == "cwola" and report["n_selected"] == 4000
    assert main([*argv, "--method", "cathode"]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert "fits densities that take no event weights" in err and len(err.splitlines()) == 1
    assert captured.out == ""
