"""physml ising simulate / exact, run in-process through physml.cli.main."""

import csv
import json
import math

import pytest

from physml.cli import main
from physml.ebm import IsingLattice, exact_enumeration, kaufman


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
        (["--L", "7", "--T", "2"], "--L 7: --algorithm metropolis (checkerboard) needs an even --L"),
        (["--L", "3", "--T", "2", "--algorithm", "heat-bath"], "use --algorithm wolff for odd --L"),
        (["--L", "2", "--T", "2"], "--L 2: checkerboard Metropolis at --h 0 is not ergodic"),
        (["--L", "1", "--T", "2"], "--L must be >= 2"),
        (["--T", "0"], "--T: temperatures must be finite and > 0, got 0"),
        (["--T", "1e-300"], "--T must be between 1e-100 and 1e+100, got 1e-300"),
        (["--T", "hot"], "--T expects numbers"),
        (["--T", "2", "--algorithm", "wolff", "--h", "0.5"], "--algorithm wolff needs --h 0, got --h 0.5"),
        (["--T", "2", "--algorithm", "wolff", "--J", "0"], "--algorithm wolff needs --J != 0"),
        (["--T", "2", "--algorithm", "wolff", "--J", "-1", "--L", "5"], "needs an even --L"),
        (["--T", "2", "--J", "0"], "--J 0 with --h 0: Metropolis accepts every flip"),
        (["--T", "2", "--J", "1e-300"], "--T 2 with --J 1e-300: |J|/T is so small"),
        (["--T", "2", "--J", "1e300"], "--J must be at most 1e+100 in magnitude"),
        (["--T", "2", "--h", "1e300"], "--h must be at most 1e+100 in magnitude"),
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


def test_exact_bad_input_names_the_flags(capsys):
    for args, message in [
        (["--L", "5", "--J", "-1", "--T", "2"], "--J -1 with odd --L 5"),
        (["--L", "1", "--T", "2"], "--L must be >= 2"),
        (["--L", "4", "--T", "2", "--J", "1e300"], "--J must be at most"),
    ]:
        assert main(["ising", "exact", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_exact_at_very_low_temperature_gives_the_ground_state(tmp_path, capsys):
    # the Kaufman sum once went to nan at T = 0.001
    out = tmp_path / "low.json"
    assert main(["ising", "exact", "--L", "4", "--T", "0.001,0.01,0.3", "--out", str(out)]) == 0
    assert "nan" not in capsys.readouterr().out
    rows = json.loads(out.read_text())["rows"]
    assert [r["energy"] for r in rows[:2]] == [-2.0, -2.0]
    assert [r["specific_heat"] for r in rows[:2]] == [0.0, 0.0]
    assert rows[0]["log_z"] == pytest.approx(2 * 16 / 0.001 + math.log(2.0), rel=1e-15)
    assert rows[2]["specific_heat"] == pytest.approx(exact_enumeration(IsingLattice(4), 0.3).specific_heat,
                                                     rel=1e-9)


def test_free_spins_with_heat_bath_are_exact(tmp_path):
    # J = 0, h = 0: a free paramagnet, e = 0 and c = 0 exactly (Metropolis is refused: it flips always)
    out = tmp_path / "free.json"
    args = ["--L", "4", "--T", "2", "--J", "0", "--algorithm", "heat-bath", "--sweeps", "500"]
    assert main(["ising", "simulate", *args, "--out", str(out)]) == 0
    row = json.loads(out.read_text())["rows"][0]
    assert (row["energy"], row["energy_err"], row["specific_heat"]) == (0.0, 0.0, 0.0)
    assert (row["exact_energy"], row["exact_specific_heat"]) == (0.0, 0.0)
    # <|m|> of 16 free spins: sum over k of C(16, k) |16 - 2k| / 16 / 2**16
    exact_m = sum(math.comb(16, k) * abs(16 - 2 * k) for k in range(17)) / 16 / 2**16
    assert abs(row["abs_magnetisation"] - exact_m) < 5 * row["abs_magnetisation_err"]


def test_frozen_run_is_flagged_in_the_table_and_the_file(tmp_path, capsys):
    out = tmp_path / "frozen.json"
    args = ["--L", "4", "--T", "0.2,3.0", "--sweeps", "2000", "--thermalise", "500"]
    assert main(["ising", "simulate", *args, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert "NOT EQUILIBRATED" in lines[1] and "NOT EQUILIBRATED" not in lines[2]
    assert "T = 0.2: not equilibrated: the replicas disagree" in captured.err
    data = json.loads(out.read_text())
    assert [r["equilibrated"] for r in data["rows"]] == [False, True]
    assert "p-value >= 0.001" in data["meta"]["equilibration_criterion"]


def test_a_lattice_too_big_for_memory_is_refused_with_the_number(tmp_path, capsys, monkeypatch):
    from physml._commands import ising as command

    monkeypatch.setattr(command, "_available_memory", lambda: 24e9)
    out = tmp_path / "big.csv"
    assert main(["ising", "simulate", "--L", "100000", "--T", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--L 100000 with 64 replicas and --sweeps 10000 needs about 2,000 GB" in err
    assert "this machine has 24 GB available" in err and err.count("\n") == 1
    assert not out.exists()
    # Wolff: one int8 lattice per replica, 8 replicas
    assert main(["ising", "simulate", "--L", "100000", "--T", "2", "--algorithm", "wolff"]) == 2
    assert "needs about 240 GB" in capsys.readouterr().err
