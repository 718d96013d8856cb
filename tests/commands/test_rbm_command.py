"""physml rbm train / sample / score on a user's files."""

import os
import subprocess
import sys

import numpy as np
import pytest

from physml.cli import main
from physml.ebm import RBM, exact_log_partition

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def binary_file(tmp_path):
    rng = np.random.default_rng(0)
    prototypes = rng.random((3, 12)) < 0.5
    X = prototypes[rng.integers(3, size=300)] ^ (rng.random((300, 12)) < 0.05)
    path = tmp_path / "bits.npy"
    np.save(path, X.astype(np.uint8))
    return path, X


def test_train_sample_score_round_trip(tmp_path, binary_file, capsys):
    data, X = binary_file
    model = tmp_path / "m.npz"
    assert main(["rbm", "train", str(data), "--out", str(model), "--hidden", "6", "--epochs", "30",
                 "--batch-size", "20", "--learning-rate", "0.1"]) == 0
    assert "pseudo-log-likelihood" in capsys.readouterr().out
    rbm = RBM.load(model)
    assert rbm.visible == "bernoulli" and rbm.components_.shape == (6, 12)

    samples = tmp_path / "s.npy"
    assert main(["rbm", "sample", str(model), "--out", str(samples), "--n", "50", "--steps", "200"]) == 0
    S = np.load(samples)
    assert S.shape == (50, 12) and set(np.unique(S)) <= {0.0, 1.0}

    assert main(["rbm", "score", str(model), str(data)]) == 0
    out = capsys.readouterr().out
    assert "(exact)" in out
    mean_ll = float(out.split("mean log-likelihood per sample:")[1].split()[0])
    expected = float(np.mean(-rbm.free_energy(X.astype(np.float32)) - exact_log_partition(rbm.model_)))
    assert mean_ll == pytest.approx(expected, abs=1e-3)
    # the learned model beats the uniform distribution on 12 bits by a wide margin
    assert mean_ll > -12 * np.log(2) + 2


def test_real_valued_csv_gets_gaussian_units(tmp_path):
    path = tmp_path / "real.csv"
    np.savetxt(path, np.random.default_rng(1).normal(size=(100, 4)), delimiter=",")
    model = tmp_path / "g.npz"
    assert main(["rbm", "train", str(path), "--out", str(model), "--hidden", "3", "--epochs", "2"]) == 0
    assert RBM.load(model).visible == "gaussian"


@pytest.mark.parametrize(
    ("make", "args", "message"),
    [
        ("real", ["--visible", "bernoulli"], "--visible bernoulli needs 0/1 data"),
        ("nan", [], "NaN and inf are not accepted"),
        ("3d", [], "flatten each sample into a row"),
        ("missing", [], "no such file"),
        ("txt-out", [], "--out"),
    ],
)
def test_train_bad_input(tmp_path, capsys, make, args, message):
    data = tmp_path / "d.npy"
    out = tmp_path / "m.npz"
    if make == "real":
        np.save(data, np.full((10, 3), 0.5))
    elif make == "nan":
        X = np.zeros((10, 3))
        X[4, 1] = np.nan
        np.save(data, X)
    elif make == "3d":
        np.save(data, np.zeros((10, 2, 2)))
    elif make == "txt-out":
        np.save(data, np.zeros((10, 3)))
        out = tmp_path / "m.pkl"
    assert main(["rbm", "train", str(data), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not out.exists()


def test_sample_rejects_a_file_that_is_not_a_model(tmp_path, capsys):
    bogus = tmp_path / "x.npz"
    np.savez(bogus, a=np.zeros(3))
    assert main(["rbm", "sample", str(bogus), "--out", str(tmp_path / "s.npy")]) == 2
    assert "is not a physml model file" in capsys.readouterr().err


def test_score_rejects_data_of_the_wrong_width(tmp_path, binary_file, capsys):
    data, _ = binary_file
    model = tmp_path / "m.npz"
    assert main(["rbm", "train", str(data), "--out", str(model), "--hidden", "2", "--epochs", "1"]) == 0
    wrong = tmp_path / "w.npy"
    np.save(wrong, np.zeros((5, 7), dtype=np.uint8))
    assert main(["rbm", "score", str(model), str(wrong)]) == 2
    assert "has 7 features, but the RBM has 12 visible units" in capsys.readouterr().err


def test_exit_code_2_without_traceback_as_a_subprocess(tmp_path):
    env = dict(os.environ, PHYSML_PROGRESS="0")
    out = subprocess.run([sys.executable, "-m", "physml", "rbm", "train", str(tmp_path / "none.npy"), "--out",
                          str(tmp_path / "m.npz")], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 2
    assert out.stderr.strip().endswith("no such file") and "Traceback" not in out.stderr


def _one_error_line(err):
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


@pytest.mark.parametrize("rate", ["1e6", "1000"])
def test_a_diverging_training_is_an_error_that_suggests_a_smaller_rate(tmp_path, binary_file, capsys, rate):
    data, _ = binary_file
    model = tmp_path / "m.npz"
    assert main(["rbm", "train", str(data), "--out", str(model), "--learning-rate", rate]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert line.startswith("error: training diverged at epoch 1 (max |weights| = ")
    assert line.endswith("> 100); try a smaller --learning-rate, e.g. 0.1")
    assert not model.exists()


def test_a_model_too_big_for_the_memory_is_refused_with_the_estimate(tmp_path, binary_file, capsys,
                                                                      monkeypatch):
    from physml.ebm import _rbm_model

    monkeypatch.setattr(_rbm_model, "device_memory_bytes", lambda device: 128 * 2**30)
    data, _ = binary_file
    model = tmp_path / "m.npz"
    assert main(["rbm", "train", str(data), "--out", str(model), "--hidden", "1000000000"]) == 2
    captured = capsys.readouterr()
    line = _one_error_line(captured.err)
    assert line == ("error: rbm train: training a 12-1000000000 RBM (float32) on 300 samples needs at "
                    "least 1.6 TiB of memory, but this machine has 128.0 GiB; lower --hidden (or use fewer "
                    "samples)")
    assert captured.out == "" and not model.exists()


@pytest.fixture(scope="module")
def wide_model(tmp_path_factory):
    """A 40-30 RBM: both layers beyond exact enumeration, so score uses AIS."""
    where = tmp_path_factory.mktemp("wide")
    data = where / "wide.npy"
    np.save(data, (np.random.default_rng(3).random((200, 40)) < 0.3).astype(np.uint8))
    model = where / "w.npz"
    assert main(["rbm", "train", str(data), "--out", str(model), "--hidden", "30", "--epochs", "2"]) == 0
    return model, data


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ais-runs", "1"], "argument --ais-runs: --ais-runs must be an integer >= 2, got 1"),
        (["--ais-steps", "0"], "argument --ais-steps: --ais-steps must be >= 1, got 0"),
        (["--ais-runs", "10000000000000"], "rbm score: AIS with 10000000000000 runs on a 40-30 RBM needs"),
    ],
)
def test_score_refuses_ais_settings_that_give_no_error_bar(wide_model, capsys, args, message):
    model, data = wide_model
    capsys.readouterr()
    assert main(["rbm", "score", str(model), str(data), *args]) == 2
    assert message in _one_error_line(capsys.readouterr().err)


def test_one_ais_step_is_importance_sampling_and_a_dominated_estimate_is_flagged(wide_model, capsys):
    model, data = wide_model
    capsys.readouterr()
    assert main(["rbm", "score", str(model), str(data), "--ais-steps", "1", "--ais-runs", "20"]) == 0
    out = capsys.readouterr().out
    assert "(AIS, 20 runs of 1 step: plain importance sampling from the independent-unit base model)" in out
    assert "warning: a few AIS runs dominate (effective sample size" in out and "raise --ais-steps" in out
    assert main(["rbm", "score", str(model), str(data), "--ais-steps", "300", "--ais-runs", "20"]) == 0
    out = capsys.readouterr().out
    assert "(AIS, 20 runs of 300 steps)" in out and "warning" not in out


def test_score_prints_the_raise_ais_sandwich_and_flags_a_wide_gap(wide_model, capsys):
    model, data = wide_model
    capsys.readouterr()
    assert main(["rbm", "score", str(model), str(data), "--ais-steps", "300", "--ais-runs", "20"]) == 0
    out = capsys.readouterr().out
    assert "(AIS: an upper estimate, E[log Z_AIS] <= log Z)" in out
    assert "bounds on the mean log-likelihood per sample (RAISE below, AIS above):" in out
    line = next(s for s in out.splitlines() if "(RAISE, lower) <= mean log-likelihood <=" in s)
    lower, upper = float(line.split()[0]), float(line.split("<=")[-1].split()[0])
    mean_ll = float(out.split("mean log-likelihood per sample:")[1].split()[0])
    assert upper == pytest.approx(mean_ll, abs=1e-4) and lower < upper + 0.5
    assert "tolerance 1: ok (within tolerance)" in out
    assert main(["rbm", "score", str(model), str(data), "--ais-steps", "2", "--ais-runs", "20",
                 "--tolerance", "0.001"]) == 0
    assert "tolerance 0.001: WIDE: raise the number of temperatures (--ais-steps)" in capsys.readouterr().out
    assert main(["rbm", "score", str(model), str(data), "--tolerance", "0"]) == 2
    assert "--tolerance" in _one_error_line(capsys.readouterr().err)


def test_errors_name_flags_not_parameters(tmp_path, binary_file, capsys):
    from physml._commands.rbm import _flags

    data, _ = binary_file
    assert main(["rbm", "train", str(data), "--out", str(tmp_path / "m.npz"), "--method", "pt",
                 "--temperatures", "1"]) == 2
    assert "--temperatures must be an integer >= 2, got 1" in _one_error_line(capsys.readouterr().err)
    assert _flags("RBM: n_temperatures=1 is not accepted; accepted: an int in [2, inf)") == (
        "--temperatures 1 is not accepted; accepted: an int in [2, inf)")
    assert _flags("n_chains must be >= 2; the device 'x'") == "--ais-runs must be >= 2; the device 'x'"


def test_sample_refuses_more_chains_than_fit_in_memory(tmp_path, binary_file, capsys):
    data, _ = binary_file
    model = tmp_path / "m.npz"
    assert main(["rbm", "train", str(data), "--out", str(model), "--hidden", "2", "--epochs", "1"]) == 0
    out = tmp_path / "s.npy"
    assert main(["rbm", "sample", str(model), "--out", str(out), "--n", "100000000000000"]) == 2
    assert "rbm sample: sampling 100000000000000 chains of a 12-2 RBM needs at least" in _one_error_line(
        capsys.readouterr().err)
    assert not out.exists()


def test_train_progress_bar_only_on_request_of_a_terminal(tmp_path, binary_file, capsys, monkeypatch):
    data, _ = binary_file
    monkeypatch.delenv("PHYSML_PROGRESS", raising=False)  # auto: captured standard error is no terminal
    assert main(["rbm", "train", str(data), "--out", str(tmp_path / "a.npz"), "--epochs", "3"]) == 0
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("PHYSML_PROGRESS", "1")  # what a terminal gets
    assert main(["rbm", "train", str(data), "--out", str(tmp_path / "b.npz"), "--epochs", "3"]) == 0
    assert "RBM epochs" in capsys.readouterr().err
    assert RBM.load(tmp_path / "b.npz").verbose is False  # the saved model does not carry the bar


def test_ctrl_c_says_what_is_lost():
    from physml.cli import build_parser

    parser = build_parser()
    train = parser.parse_args(["rbm", "train", "x.npy", "--out", "m.npz"])
    assert train.interrupt_note == ("interrupted: no model was written (rbm train has no --resume; rerun it "
                                    "to train from the start)")
    sample = parser.parse_args(["rbm", "sample", "m.npz", "--out", "s.npy"])
    assert sample.interrupt_note == "interrupted: no samples were written; rerun the command"
    score = parser.parse_args(["rbm", "score", "m.npz", "x.npy"])
    assert score.interrupt_note == "interrupted: nothing was written"


def test_an_allocation_that_fails_anyway_is_one_error_line(tmp_path, binary_file, capsys, monkeypatch):
    def fit(self, X, y=None):
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 123 bytes.\nmore")

    monkeypatch.setattr(RBM, "fit", fit)
    data, _ = binary_file
    model = tmp_path / "m.npz"
    assert main(["rbm", "train", str(data), "--out", str(model)]) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        "error: rbm train: out of memory while training (DefaultCPUAllocator: not enough memory: you tried "
        "to allocate 123 bytes.); lower --hidden or --batch-size")
    assert not model.exists()


def test_score_caps_the_raise_rows_and_says_so(wide_model, capsys):
    """RAISE costs a chain per row: --raise-rows scores a seeded random subsample with it (stated in
    the text and the JSON) while AIS still scores every row."""
    import json

    model, data = wide_model
    capsys.readouterr()
    argv = ["rbm", "score", str(model), str(data), "--ais-steps", "50", "--ais-runs", "20"]
    assert main([*argv, "--raise-rows", "50"]) == 0
    out = capsys.readouterr().out
    assert "(RAISE, lower on 50 of 200 rows) <= mean log-likelihood <=" in out
    assert ("RAISE scored a random 50 of the 200 rows (--raise-rows, drawn from --seed 0) plus every row's "
            "exact free energy; AIS scored every row") in out
    assert main([*argv, "--raise-rows", "50", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["rows"] == 200 and result["log_z_method"] == "ais" and result["estimate"] == "upper"
    b = result["bounds"]
    assert (b["raise_rows"], b["raise_rows_limit"], b["rows"], b["n_betas"]) == (50, 50, 200, 51)
    # the same log Z; the scores run in float32 (eps 1.2e-7 on free energies of about 25 nats), the bounds
    # in float64
    assert b["upper"] == pytest.approx(result["mean_log_likelihood"], abs=1e-4)
    assert b["verdict"] in ("ok", "wide", "crossed") and result["ais_runs"] == 20
    assert main([*argv, "--json"]) == 0  # the default cap (1000) is above the 200 rows
    assert json.loads(capsys.readouterr().out)["bounds"]["raise_rows"] == 200
    assert main([*argv, "--raise-rows", "1"]) == 2
    assert "--raise-rows must be an integer >= 2, got 1" in _one_error_line(capsys.readouterr().err)


@pytest.fixture(scope="module")
def potts_files(tmp_path_factory):
    """A q = 3 data set (three prototypes, 10% of the sites redrawn) and Potts RBMs saved from Python:
    4 hidden units (exact log Z) and 30 (AIS and the sandwich)."""
    from physml.ebm import PottsRBM

    where = tmp_path_factory.mktemp("potts")
    rng = np.random.default_rng(0)
    X = rng.integers(3, size=(3, 10))[rng.integers(3, size=200)]
    X = np.where(rng.random(X.shape) < 0.1, rng.integers(3, size=X.shape), X)
    data = where / "states.csv"
    np.savetxt(data, X, delimiter=",", fmt="%d")
    small, wide = where / "p4.npz", where / "p30.npz"
    PottsRBM(4, n_states=3, n_iter=10, seed=0).fit(X).save(small)
    PottsRBM(30, n_states=3, n_iter=3, seed=0).fit(X).save(wide)
    return small, wide, data, X


def test_potts_models_are_scored_and_sampled(potts_files, tmp_path, capsys):
    import json

    from physml.ebm import PottsRBM

    small, wide, data, X = potts_files
    assert main(["rbm", "score", str(small), str(data)]) == 0
    out = capsys.readouterr().out
    assert "(exact)" in out and "bounds" not in out
    mean_ll = float(out.split("mean log-likelihood per sample:")[1].split()[0])
    assert mean_ll == pytest.approx(PottsRBM.load(small).score(X), abs=1e-4)
    assert main(["rbm", "score", str(wide), str(data), "--ais-steps", "50", "--ais-runs", "20",
                 "--raise-rows", "40", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["visible"] == "potts" and result["estimate"] == "upper" and result["rows"] == 200
    assert (result["bounds"]["raise_rows"], result["bounds"]["rows"]) == (40, 200)
    samples = tmp_path / "s.npy"
    assert main(["rbm", "sample", str(small), "--out", str(samples), "--n", "7", "--steps", "20"]) == 0
    S = np.load(samples)
    assert S.shape == (7, 10) and S.dtype.kind == "i" and S.min() >= 0 and S.max() <= 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("state", "[4, 2] = 3 is not a state of a Potts RBM with n_states=3: states are the integers "
                  "0, ..., 2 (1 value(s) outside)"),
        ("negative", "[0, 0] = -1 is not a state of a Potts RBM with n_states=3"),
        ("fraction", "must hold integer states 0, ..., 2, but"),
        ("width", "has 9 features, but the Potts RBM has 10 visible units"),
    ],
)
def test_potts_score_refuses_data_outside_the_states(potts_files, tmp_path, capsys, change, message):
    small, _, _, X = potts_files
    bad = X.astype(float)
    if change == "state":
        bad[4, 2] = 3
    elif change == "negative":
        bad[0, 0] = -1
    elif change == "fraction":
        bad[1, 5] = 0.5
    else:
        bad = bad[:, :9]
    path = tmp_path / "bad.npy"
    np.save(path, bad)
    capsys.readouterr()
    assert main(["rbm", "score", str(small), str(path)]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert str(path) in line and message in line, line
