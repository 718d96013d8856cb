"""physml ib FILE, run in-process through physml.cli.main."""

import json

import numpy as np
import pytest

from physml.cli import main
from physml.info import binary_entropy, binary_symmetric_ib_curve


def write_bsc(path, p=0.1):
    np.savetxt(path, [[0.5 * (1 - p), 0.5 * p], [0.5 * p, 0.5 * (1 - p)]], delimiter=",")


def test_curve_of_a_binary_symmetric_channel_matches_the_closed_form(tmp_path, capsys):
    write_bsc(tmp_path / "bsc.csv")
    out = tmp_path / "curve.json"
    assert main(["ib", str(tmp_path / "bsc.csv"), "--n-betas", "12", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "I(X;Y) = 0.531004 bits" in printed
    data = json.loads(out.read_text())
    i_xt = np.array([r["I_xt"] for r in data["rows"]])
    i_ty = np.array([r["I_ty"] for r in data["rows"]])
    np.testing.assert_allclose(i_ty, binary_symmetric_ib_curve(i_xt, 0.1), atol=1e-8)
    assert i_ty[-1] == pytest.approx(1 - binary_entropy(0.1), abs=1e-8)


def test_single_beta_and_counts(tmp_path, capsys):
    counts = np.array([[45, 5], [5, 45]])
    np.save(tmp_path / "counts.npy", counts)
    assert main(["ib", str(tmp_path / "counts.npy"), "--normalize", "--beta", "1000", "--deterministic"]) == 0
    printed = capsys.readouterr().out
    assert "I(T;Y) = 0.531004 bits" in printed and "2 cluster(s)" in printed


@pytest.mark.parametrize(
    ("table", "args", "message"),
    [
        ([[0.5, 0.2], [0.2, 0.2]], [], "sum to 1.1, not 1; pass --normalize"),
        ([[0.6, -0.1], [0.3, 0.2]], [], "is negative"),
        ([[0.5, 0.0], [0.0, 0.5]], ["--beta", "0"], "--beta must be a finite number > 0"),
        ([[0.5, 0.0], [0.0, 0.5]], ["--beta", "-1"], "--beta must be a finite number > 0"),
        ([[0.5, 0.0], [0.0, 0.5]], ["--beta-min", "10", "--beta-max", "1"], "--beta-min must be below"),
        ([[0.5, 0.0], [0.0, 0.5]], ["--out", "x.txt"], "unknown file type"),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, table, args, message, capsys):
    np.savetxt(tmp_path / "p.csv", table, delimiter=",")
    assert main(["ib", str(tmp_path / "p.csv"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_one_dimensional_table_is_refused(tmp_path, capsys):
    np.save(tmp_path / "p.npy", np.array([0.5, 0.5]))
    assert main(["ib", str(tmp_path / "p.npy")]) == 2
    assert "must be 2-D" in capsys.readouterr().err
