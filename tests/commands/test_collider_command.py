"""physml collider generate, run in-process through physml.cli.main."""

import numpy as np
import pytest

from physml._core import derive_seed
from physml.cli import main
from physml.data.collider import generate_dijets, read_events


@pytest.mark.slow
def test_generate_signal_in_chunks(tmp_path, capsys):
    out = tmp_path / "sig.npz"
    code = main(["collider", "generate", "--process", "signal", "--events", "4", "--chunk-size", "2",
                 "--seed", "3", "--out", str(out)])
    assert code == 0
    assert "mjj median" in capsys.readouterr().out
    table = read_events(out)
    assert len(table["mjj"]) == 4 and np.all(table["label"] == 1)
    second = generate_dijets(2, "signal", seed=derive_seed(3, "signal", 1))
    np.testing.assert_array_equal(table["mjj"][2:], second["mjj"])
    assert not (tmp_path / "sig.npz.parts").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--process", "signal", "--m-x", "3000", "--m-y", "600"], "must be below --m-resonance 3500 GeV"),
        (["--process", "signal", "--m-resonance", "14000"], "must be below √s = 13000 GeV"),
        (["--process", "qg", "--bias"], "--bias applies to --process qcd only"),
        (["--process", "ttbar"], "invalid choice: 'ttbar'"),
        (["--process", "qcd", "--events", "0"], "--events must be >= 1"),
    ],
)
def test_bad_input_exits_2(tmp_path, args, message, capsys):
    argv = ["collider", "generate", "--out", str(tmp_path / "x.npz"), *args]
    if "--events" not in args:
        argv += ["--events", "3"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x.npz").exists() and not (tmp_path / "x.npz.parts").exists()


def test_existing_output_and_unknown_type(tmp_path, capsys):
    (tmp_path / "e.npz").write_bytes(b"")
    base = ["collider", "generate", "--process", "qcd", "--events", "2", "--out"]
    assert main([*base, str(tmp_path / "e.npz")]) == 2
    assert main([*base, str(tmp_path / "e.csv")]) == 2
    err = capsys.readouterr().err
    assert "file exists; pass --force" in err and "unknown file type; accepted: .npz, .h5" in err
