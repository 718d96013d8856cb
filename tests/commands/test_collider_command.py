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


def test_progress_bars_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    argv = ["collider", "generate", "--process", "signal", "--events", "2", "--chunk-size", "1"]
    monkeypatch.setenv("PHYSML_PROGRESS", "0")  # what a pipe gets
    assert main([*argv, "--out", str(tmp_path / "a.npz")]) == 0
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"wrote 2 signal events to {tmp_path / 'a.npz'}"]
    monkeypatch.setenv("PHYSML_PROGRESS", "1")  # what a terminal gets: chunks, and events in each
    assert main([*argv, "--out", str(tmp_path / "b.npz")]) == 0
    err = capsys.readouterr().err
    assert "generate signal" in err and "pythia signal" in err
    # the bars change nothing in the events
    a, b = (read_events(tmp_path / name)["mjj"] for name in ("a.npz", "b.npz"))
    np.testing.assert_array_equal(a, b)


def test_ctrl_c_keeps_the_chunks_and_says_how_to_resume(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pythia8mc")
    pytest.importorskip("fastjet")
    from physml.data import collider

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(collider, "generate_to_file", interrupted)
    out = tmp_path / "x.npz"
    argv = ["collider", "generate", "--process", "qcd", "--events", "3", "--out", str(out)]
    assert main(argv) == 130
    err = capsys.readouterr().err
    assert f"finished chunks are kept in {out}.parts/" in err
    assert "rerun physml collider generate --process qcd --events 3 --out" in err and "--resume" not in err


def test_too_many_chunks_is_refused_before_any_work(tmp_path, capsys):
    out = tmp_path / "x.npz"
    argv = ["collider", "generate", "--process", "qcd", "--events", "1000000000000", "--chunk-size", "10"]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "100000000000 chunks; at most 100000: use a larger --chunk-size" in err
    assert not out.exists() and not (tmp_path / "x.npz.parts").exists()
