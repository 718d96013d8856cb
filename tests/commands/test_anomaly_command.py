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
