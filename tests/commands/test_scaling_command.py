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


def test_seed_replicas_give_a_monte_carlo_p_value(tmp_path, capsys):
    sizes = [100, 200, 400, 800, 1600, 3200]
    write_runs(tmp_path / "law.csv", sizes, 4, seed=1)
    out = tmp_path / "fit.json"
    args = ["--bootstrap", "50", "--null", "200"]
    assert main(["scaling", "fit", str(tmp_path / "law.csv"), *args, "--out", str(out)]) == 0
    assert "Monte Carlo, 200 simulated experiments" in capsys.readouterr().out
    p_law = json.loads(out.read_text())["meta"]["p_value"]
    # data drawn from the law: p is uniform on (0, 1], so p > 0.01 unless this seed is a 1 % fluke
    assert 0.01 < p_law <= 1
    # a curve with a step between 400 and 800 (the loss jumps down by 30 %) is not the law
    x = np.repeat(np.asarray(sizes, dtype=float), 4)
    rng = np.random.default_rng(2)
    loss = (3 * x**-0.7 + 0.05) * np.where(x > 500, 0.7, 1.0) * np.exp(0.02 * rng.standard_normal(x.size))
    np.savetxt(tmp_path / "step.csv", np.c_[x, loss], delimiter=",")
    out2 = tmp_path / "step.json"
    assert main(["scaling", "fit", str(tmp_path / "step.csv"), *args, "--out", str(out2)]) == 0
    assert json.loads(out2.read_text())["meta"]["p_value"] < 0.01
    # without replicas there is no seed spread to simulate: no p-value
    write_runs(tmp_path / "one.csv", sizes, 1, noise=0.0)
    assert main(["scaling", "fit", str(tmp_path / "one.csv"), "--out", str(tmp_path / "one.json")]) == 0
    assert json.loads((tmp_path / "one.json").read_text())["meta"]["p_value"] is None
