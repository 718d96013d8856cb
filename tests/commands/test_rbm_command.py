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
    assert "not a model written by 'physml rbm train'" in capsys.readouterr().err


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
