"""physml flows fit FILE: a model and plots from a user's samples, clear errors for bad input."""

from __future__ import annotations

import json

import numpy as np
import pytest

from physml.cli import main
from physml.flows import FlowEnsemble, load_flow

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture
def samples(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.multivariate_normal([0.0, 1.0, -1.0], np.diag([1.0, 0.5, 2.0]), 800)
    path = tmp_path / "samples.csv"
    np.savetxt(path, x, delimiter=",", header="a,b,c", comments="")
    return path, x


def test_fit_writes_a_model_that_loads_safely(tmp_path, samples, capsys):
    path, x = samples
    out = tmp_path / "run"
    args = ["flows", "fit", str(path), "--out", str(out), "--max-epochs", "5", "--hidden", "16,16"]
    assert main(args + ["--members", "2"]) == 0
    assert "test log-likelihood" in capsys.readouterr().out
    for name in ("model.npz", "summary.json", "training.png", "marginals.png"):
        assert (out / name).is_file()
    summary = json.loads((out / "summary.json").read_text())
    assert summary["n_features"] == 3 and summary["members"] == 2 and len(summary["epochs"]) == 2
    model = load_flow(out / "model.npz")
    assert isinstance(model, FlowEnsemble) and len(model.members_) == 2
    # the reported test log-likelihood is the saved model's on the held-out rows
    order = np.random.default_rng(0).permutation(len(x))
    test = x[order[: summary["n_test"]]]
    assert model.log_prob(test).mean() == pytest.approx(summary["test_log_likelihood"], rel=1e-6)
    # the Gaussian's own log-likelihood bounds a fitted density on average (5 epochs: well below)
    assert summary["test_log_likelihood"] < -3.0
    # not over an existing result without --force
    assert main(args) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(args + ["--force"]) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (np.full((100, 2), np.nan), "non-finite"),
        (np.zeros((10, 3)) + np.arange(3), "at least 30 training rows"),
        (np.arange(50.0), "2-D array"),
        (np.c_[np.random.default_rng(1).normal(size=200), np.ones(200)], "constant"),
    ],
)
def test_bad_input_is_a_usage_error(tmp_path, capsys, content, message):
    path = tmp_path / "bad.npy"
    np.save(path, content)
    assert main(["flows", "fit", str(path), "--out", str(tmp_path / "o"), "--max-epochs", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_unknown_file_type_and_flow(tmp_path, capsys):
    path = tmp_path / "x.png"
    path.write_bytes(b"")
    assert main(["flows", "fit", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "unknown file type" in capsys.readouterr().err
    assert main(["flows", "fit", str(path), "--out", str(tmp_path / "o"), "--flow", "glow"]) == 2


def test_one_column_file_fits_from_a_seed_that_used_to_fail(tmp_path, capsys):
    """Seed 5 started a 1-feature MAF at 268 nats per sample before the near-identity start
    (tests/flows/test_flows.py); from a file it must now fit a 1-D Gaussian."""
    from scipy import stats

    x = np.random.default_rng(2).normal(5.0, 0.5, (1000, 1))
    path = tmp_path / "one.npy"
    np.save(path, x)
    out = tmp_path / "run"
    args = ["flows", "fit", str(path), "--out", str(out), "--seed", "5", "--hidden", "16,16"]
    assert main(args + ["--max-epochs", "20", "--learning-rate", "3e-3"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    order = np.random.default_rng(5).permutation(len(x))
    test = x[order[: summary["n_test"]], 0]
    d = stats.norm(5.0, 0.5).logpdf(test) - load_flow(out / "model.npz").log_prob(test[:, None])
    kl, se = d.mean(), d.std(ddof=1) / np.sqrt(len(d))
    assert -4 * se < kl < 0.1  # KL >= 0 exactly; 0.1 nats as in the library's regression test


def test_files_are_written_only_after_the_figures_are_drawn(tmp_path, samples, capsys, monkeypatch):
    """The PNGs go through atomic_write_bytes like the rest; a failure before then writes nothing."""
    import physml._commands.flows as command

    path, _ = samples
    out = tmp_path / "run"

    def broken(*args, **kwargs):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(command, "_plots", broken)
    with pytest.raises(RuntimeError, match="drawing failed"):
        main(["flows", "fit", str(path), "--out", str(out), "--max-epochs", "1", "--hidden", "8"])
    assert not out.exists()
    monkeypatch.undo()
    written = []
    real = command.atomic_write_bytes
    monkeypatch.setattr(command, "atomic_write_bytes", lambda p, b: written.append(p.name) or real(p, b))
    assert main(["flows", "fit", str(path), "--out", str(out), "--max-epochs", "1", "--hidden", "8"]) == 0
    assert sorted(written) == ["marginals.png", "training.png"]
    for name in written:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    names = ["marginals.png", "model.npz", "summary.json", "training.png"]
    assert sorted(p.name for p in out.iterdir()) == names  # no temporary files left


@pytest.mark.parametrize(
    ("content", "extra", "message"),
    [
        (np.zeros((50, 0)), [], "(50, 0)"),
        (np.zeros((0, 3)), [], "(0, 3)"),
        (np.full((50, 2), np.inf), [], "non-finite"),
        (np.ones((1, 3)), [], "1 row(s) of 3 feature(s)"),
        (np.c_[np.random.default_rng(1).normal(size=200), np.ones(200)], ["--members", "2"],
         "column 1 is constant"),
    ],
)
def test_degenerate_samples_exit_2_in_one_line(tmp_path, capsys, content, extra, message):
    path = tmp_path / "bad.npy"
    np.save(path, content)
    out = tmp_path / "o"
    assert main(["flows", "fit", str(path), "--out", str(out), "--max-epochs", "1", *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert "np.float64" not in err and not out.exists()


@pytest.mark.parametrize("members", ["1", "2"])
def test_divergence_names_the_flag(tmp_path, samples, capsys, monkeypatch, members):
    from physml import flows

    def diverged(self, X, y=None):
        raise RuntimeError("the flow's validation loss was never finite; try a smaller learning_rate")

    monkeypatch.setattr(flows.FlowDensity, "fit", diverged)
    path, _ = samples
    out = tmp_path / "o"
    assert main(["flows", "fit", str(path), "--out", str(out), "--members", members]) == 2
    err = capsys.readouterr().err
    assert "try a smaller --learning-rate" in err and "learning_rate" not in err and not out.exists()


def test_ctrl_c_says_what_is_lost(tmp_path, samples, capsys, monkeypatch):
    from physml import flows

    def interrupted(self, X, y=None):
        raise KeyboardInterrupt

    monkeypatch.setattr(flows.FlowDensity, "fit", interrupted)
    path, _ = samples
    out = tmp_path / "o"
    assert main(["flows", "fit", str(path), "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "nothing was written" in err and "are lost" in err and "--resume" not in err and not out.exists()
