"""physml ising simulate / exact, run in-process through physml.cli.main."""

import csv
import json

import pytest

from physml.cli import main
from physml.ebm import kaufman


def test_simulate_writes_csv_with_errors_and_the_exact_values(tmp_path, capsys):
    out = tmp_path / "ising.csv"
    code = main(["ising", "simulate", "--L", "8", "--T", "2.0,3.0", "--sweeps", "2000", "--thermalise", "200",
                 "--replicas", "16", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "±" in printed and "e exact" in printed
    rows = list(csv.DictReader(out.open()))
    assert [float(r["T"]) for r in rows] == [2.0, 3.0]
    for r in rows:
        exact = kaufman(8, float(r["T"]))
        assert float(r["exact_energy"]) == pytest.approx(exact.energy, rel=1e-12)
        # 16 replicas x 2000 sweeps: the Monte Carlo energy is within 5 sigma of Kaufman's value
        err = float(r["energy_err"])
        assert 0 < err < 0.01
        assert abs(float(r["energy"]) - exact.energy) < 5 * err
        assert float(r["energy_tau"]) >= 0.5


def test_simulate_wolff_json_and_range(tmp_path):
    out = tmp_path / "w.json"
    args = ["--L", "8", "--T", "2.0:2.5:2", "--algorithm", "wolff", "--sweeps", "500", "--thermalise", "50"]
    assert main(["ising", "simulate", *args, "--out", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["meta"]["algorithm"] == "wolff" and data["meta"]["replicas"] == 8
    assert [row["T"] for row in data["rows"]] == [2.0, 2.5]


def test_exact_prints_kaufman(capsys):
    assert main(["ising", "exact", "--L", "4", "--T", "2.5"]) == 0
    out = capsys.readouterr().out
    assert f"{kaufman(4, 2.5).energy:.6g}"[:6] in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--L", "7", "--T", "2"], "L must be even"),
        (["--T", "0"], "--T: temperatures must be finite and > 0, got 0"),
        (["--T", "hot"], "--T expects numbers"),
        (["--T", "2", "--algorithm", "wolff", "--h", "0.5"], "Wolff sampler needs h = 0"),
        (["--T", "2", "--sweeps", "10"], "--sweeps must be >= 32"),
        (["--T", "2", "--out", "x.txt"], "unknown file type; accepted: .csv, .json"),
        (["--T", "2", "--L", "0"], "--L must be >= 1"),
        (["--T", "2", "--algorithm", "glauber"], "invalid choice"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message, capsys):
    assert main(["ising", "simulate", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert err.count("\n") == 1


def test_existing_output_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "keep.csv"
    out.write_text("precious")
    assert main(["ising", "exact", "--L", "4", "--T", "2", "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_text() == "precious"
    assert main(["ising", "exact", "--L", "4", "--T", "2", "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("L,T,log_z")
