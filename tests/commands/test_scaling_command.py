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
    assert "bootstrap over the 4 seeds at each size" in capsys.readouterr().out
    meta = json.loads(out.read_text())["meta"]
    assert abs(meta["alpha"] - 0.7) < 4 * meta["alpha_err"]
    assert len(json.loads(out.read_text())["rows"]) == 6


def test_one_run_per_size_uses_the_scatter(tmp_path, capsys):
    write_runs(tmp_path / "runs.csv", [100, 200, 400, 800, 1600], 1, noise=0.0)
    assert main(["scaling", "fit", str(tmp_path / "runs.csv"), "--no-offset"]) == 0
    assert "from the scatter of the per-size means about the curve" in capsys.readouterr().out


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


def test_unequal_replicas_are_bootstrapped_per_size_and_described(tmp_path, capsys):
    # 2 to 5 seeds per size: every size resamples its own seeds; the description says so
    sizes = [100, 200, 400, 800, 1600, 3200]
    x = np.concatenate([np.full(k, s, float) for s, k in zip(sizes, [2, 3, 4, 5, 3, 2], strict=True)])
    rng = np.random.default_rng(3)
    loss = (3 * x**-0.7 + 0.05) * np.exp(0.02 * rng.standard_normal(x.size))
    np.savetxt(tmp_path / "runs.csv", np.c_[x, loss], delimiter=",")
    out = tmp_path / "fit.json"
    assert main(["scaling", "fit", str(tmp_path / "runs.csv"), "--bootstrap", "200", "--null", "50",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "errors: bootstrap over the 2 to 5 seeds at each size (200 resamples)" in printed
    assert "Monte Carlo, 50 simulated experiments" in printed
    meta = json.loads(out.read_text())["meta"]
    assert abs(meta["alpha"] - 0.7) < 4 * meta["alpha_err"]
    assert abs(meta["A"] - 3.0) < 4 * meta["A_err"]  # A_err is in the JSON (bootstrap spread of A)
    assert meta["p_value"] is not None and meta["errors"].startswith("bootstrap")


def test_no_bootstrap_says_where_the_errors_come_from(tmp_path, capsys):
    write_runs(tmp_path / "runs.csv", [100, 200, 400, 800, 1600, 3200], 4)
    out = tmp_path / "fit.json"
    assert main(["scaling", "fit", str(tmp_path / "runs.csv"), "--bootstrap", "0", "--null", "0",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "errors: no bootstrap (--bootstrap 0): the fit's errors, from the standard errors" in printed
    meta = json.loads(out.read_text())["meta"]
    assert meta["A_err"] > 0 and meta["errors"].startswith("no bootstrap")


def test_sizes_near_the_top_of_double_range_are_fitted_in_logs(tmp_path, capsys):
    # sizes 1e298 .. 1e302 with alpha = 0.3: ln A = ln 3 + 0.3 ln(1e300) = 208 is representable
    sizes = np.array([1e298, 1e299, 1e300, 1e301, 1e302])
    x = np.repeat(sizes, 3)
    rng = np.random.default_rng(4)
    loss = 3 * (x / 1e300) ** -0.3 + 0.05 + 0.001 * rng.standard_normal(x.size)
    np.savetxt(tmp_path / "big.csv", np.c_[x, loss], delimiter=",")
    out = tmp_path / "big.json"
    assert main(["scaling", "fit", str(tmp_path / "big.csv"), "--bootstrap", "100", "--null", "0",
                 "--out", str(out)]) == 0
    meta = json.loads(out.read_text())["meta"]
    assert abs(meta["alpha"] - 0.3) < 4 * meta["alpha_err"]
    assert meta["A"] == pytest.approx(3 * 1e90, rel=0.5)
    # alpha = 1.2: A = 3e360 is beyond double range (once an OverflowError traceback): refused
    loss = 3 * (x / 1e300) ** -1.2 * np.exp(0.01 * rng.standard_normal(x.size))
    np.savetxt(tmp_path / "huge.csv", np.c_[x, loss], delimiter=",")
    huge = ["scaling", "fit", str(tmp_path / "huge.csv"), "--no-offset", "--out", str(tmp_path / "h.json")]
    assert main(huge) == 2
    err = capsys.readouterr().err
    assert "overflows double precision with sizes up to 1e+302: express the sizes in a larger unit" in err
    assert "Traceback" not in err and err.count("\n") == 1 and not (tmp_path / "h.json").exists()
