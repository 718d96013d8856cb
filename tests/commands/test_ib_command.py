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


def test_soft_solution_states_its_cluster_rule(tmp_path, capsys):
    """Issue 22: "2 clusters in use" next to max p(t|x) = 0.29. Clusters are counted by a stated
    rule and soft assignments are called soft."""
    rng = np.random.default_rng(0)
    p = rng.random((4, 3))
    np.savetxt(tmp_path / "p.csv", p / p.sum(), delimiter=",")
    out = tmp_path / "r.json"
    assert main(["ib", str(tmp_path / "p.csv"), "--beta", "5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "3 cluster(s) in use" in printed and "2 of them the most likely cluster of some x" in printed
    assert "p(y|t) agree within 1e-06 counted once" in printed and "assignments are soft" in printed
    meta = json.loads(out.read_text())["meta"]
    assert meta["clusters_in_use"] == 3 and meta["clusters_most_likely"] == 2 and meta["soft"] is True
    # below the first critical β the solution is one cluster, and hard once its copies are merged
    assert main(["ib", str(tmp_path / "p.csv"), "--beta", "1"]) == 0
    printed = capsys.readouterr().out
    assert "1 cluster(s) in use" in printed and "assignments are hard" in printed


def test_no_information_prints_0_not_minus_0(tmp_path, capsys):
    np.save(tmp_path / "p.npy", np.outer([0.2, 0.3, 0.5], [0.6, 0.4]))
    for extra in (["--beta", "5", "--deterministic"], ["--beta", "5"], ["--n-betas", "3", "--deterministic"]):
        assert main(["ib", str(tmp_path / "p.npy"), *extra]) == 0
        printed = capsys.readouterr().out
        assert "-0" not in printed.replace("e-0", "")
    assert main(["ib", str(tmp_path / "p.npy"), "--beta", "5"]) == 0
    assert "I(X;T) = 0 bits, I(T;Y) = 0 bits" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (np.zeros((3, 0)), "(3, 0)"),
        (np.zeros((0, 3)), "(0, 3)"),
        (np.array([[0.3, 0.7]]), "at least 2 rows"),
        (np.array([[0.3], [0.7]]), "and 2 columns"),
        (np.full((2, 2), np.inf), "infinite"),
    ],
)
def test_degenerate_tables_exit_2(tmp_path, capsys, table, message):
    np.save(tmp_path / "p.npy", table)
    out = tmp_path / "o.csv"
    assert main(["ib", str(tmp_path / "p.npy"), "--beta", "2", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_ctrl_c_says_nothing_was_written(tmp_path, capsys, monkeypatch):
    from physml import info

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(info, "information_curve", interrupted)
    write_bsc(tmp_path / "bsc.csv")
    out = tmp_path / "c.csv"
    assert main(["ib", str(tmp_path / "bsc.csv"), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "nothing was written" in err and "--resume" not in err and not out.exists()


def test_a_table_too_big_for_the_machine_is_refused_before_any_work(tmp_path, capsys):
    from physml.info import InformationBottleneck

    # 9 float64 arrays of |X| x |T| at least: 8 * 9 * 10**10 bytes for 10**5 rows
    assert InformationBottleneck.memory_bytes(10**5, 2, n_restarts=1) >= 8 * 9 * 10**10
    counts = np.ones((100_000, 2))
    np.save(tmp_path / "p.npy", counts)
    out = tmp_path / "o.csv"
    assert main(["ib", str(tmp_path / "p.npy"), "--normalize", "--beta", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "100000 clusters (--clusters" in err and "GiB of memory, this machine has" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()
