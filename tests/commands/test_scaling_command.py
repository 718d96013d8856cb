"""physml scaling fit FILE, run in-process through physml.cli.main."""

import json

import numpy as np
import pytest

from physml.cli import main


def write_runs(path, sizes, n_seeds, noise=0.02, seed=0):
    x = np.repeat(np.asarray(sizes, dtype=float), n_seeds)
    rng = np.random.default_rng(seed)
    loss = (3 * x**-0.7 + 0.05) * np.exp(noise * rng.standard_normal(x.size))
    np.savetxt(path, np.c_[x, loss], delimiter=",", header="size,loss", comments="")


def test_fit_recovers_the_exponent(tmp_path, capsys):
    write_runs(tmp_path / "runs.csv", [100, 200, 400, 800, 1600, 3200], 4)
    out = tmp_path / "fit.json"
    assert main(["scaling", "fit", str(tmp_path / "runs.csv"), "--bootstrap", "100", "--out", str(out)]) == 0
    assert "bootstrap over 4 seeds" in capsys.readouterr().out
    meta = json.loads(out.read_text())["meta"]
    assert abs(meta["alpha"] - 0.7) < 4 * meta["alpha_err"]
    assert len(json.loads(out.read_text())["rows"]) == 6


def test_one_run_per_size_uses_the_scatter(tmp_path, capsys):
    write_runs(tmp_path / "runs.csv", [100, 200, 400, 800, 1600], 1, noise=0.0)
    assert main(["scaling", "fit", str(tmp_path / "runs.csv"), "--no-offset"]) == 0
    assert "fit to the per-size means" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("sizes", "n_seeds", "args", "message"),
    [
        ([100, 200], 3, [], "2 distinct size(s); a scaling-law fit needs a sweep of at least 3"),
        ([100, 200, 400], 1, [], "leave no scatter"),
        ([100, 200, 400], 2, ["--loss-column", "5"], "--loss-column 5: "),
    ],
)
def test_bad_input_exits_2_with_one_line(tmp_path, sizes, n_seeds, args, message, capsys):
    write_runs(tmp_path / "runs.csv", sizes, n_seeds)
    assert main(["scaling", "fit", str(tmp_path / "runs.csv"), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
