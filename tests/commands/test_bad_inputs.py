"""Every tool command against hostile inputs: exit 2, one line on stderr, no traceback, nothing written.

The suite is parametrised over commands and cases (issue 22): a new command is covered by
adding one line to ``READERS`` (commands that read a data file), ``MODEL_READERS``
(commands that read a saved model) or ``WRITERS`` (commands that write an output).
Each command line is built from small valid inputs made once per module, with the one
argument under test replaced by a bad one; so a failure names what the command did wrong
with that argument alone.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from physml.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")

# -- valid inputs --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def good(tmp_path_factory) -> dict[str, Path]:
    """Small valid inputs for every command, made once."""
    d = tmp_path_factory.mktemp("good")
    rng = np.random.default_rng(0)
    np.save(d / "binary.npy", (rng.random((60, 6)) < 0.5).astype(np.uint8))
    np.save(d / "points.npy", rng.standard_normal((300, 3)))
    np.save(d / "joint.npy", rng.random((4, 3)) + 0.1)
    sizes = np.repeat([100.0, 200.0, 400.0, 800.0], 3)
    loss = 3 * sizes**-0.7 + 0.05 + 0.001 * rng.standard_normal(sizes.size)
    np.savetxt(d / "runs.csv", np.c_[sizes, loss], delimiter=",", header="size,loss", comments="")
    from physml.data.collider import dijet_toy

    np.savez(d / "events.npz", **dijet_toy(20000, 300, m_resonance=3800.0, seed=3))
    import h5py

    with h5py.File(d / "lhco.h5", "w") as f:  # an LHC Olympics hadron file: two back-to-back hadrons
        g = f.create_group("df")
        g.attrs["pandas_type"], g.attrs["nblocks"] = np.bytes_("frame"), np.int64(1)
        hadrons = np.zeros((2, 2100))
        hadrons[:, :6] = [1500.0, 0.0, 0.0, 1400.0, 0.3, 3.0]
        g["axis0"] = g["block0_items"] = np.arange(2100)
        g["axis1"], g["block0_values"] = np.arange(2), hadrons
    (d / "corpus.txt").write_text("the cat sat on the mat. " * 40)

    from PIL import Image

    yy, xx = np.mgrid[-1:1:64j, -1:1:64j]
    ring = (np.abs(np.hypot(xx, yy) - 0.5) < 0.1).astype(np.uint8) * 255
    Image.fromarray(ring).save(d / "ring.png")

    from physml import ebm

    ebm.RBM(n_components=3, n_iter=2, seed=0).fit(np.load(d / "binary.npy")).save(d / "rbm.npz")
    ebm.PottsRBM(3, n_states=3, n_iter=2, seed=0).fit(rng.integers(3, size=(60, 6))).save(d / "potts.npz")
    from physml import lab

    lab.run_experiments(["ib-binary-channel"], d / "run", preset="quick")
    return {p.stem: p for p in d.iterdir()}


# -- bad files -----------------------------------------------------------------------------


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _truncated(path: Path) -> None:
    import io

    buffer = io.BytesIO()
    if path.suffix == ".npz":
        np.savez(buffer, x=np.arange(400.0).reshape(100, 4))
    else:
        np.save(buffer, np.arange(400.0).reshape(100, 4))
    data = buffer.getvalue()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path: Path) -> None:
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())


def _directory(path: Path) -> None:
    path.mkdir()


def _missing(path: Path) -> None:
    pass


def _header_only(path: Path) -> None:
    path.write_text("a,b,c\n")


def _no_rows(path: Path) -> None:
    np.save(path, np.zeros((0, 3)))


def _no_columns(path: Path) -> None:
    np.save(path, np.zeros((10, 0)))


def _all_inf(path: Path) -> None:
    np.save(path, np.full((50, 3), np.inf))


BAD_FILES: dict[str, tuple[str, Callable[[Path], None]]] = {
    "empty-npy": (".npy", _empty),
    "empty-npz": (".npz", _empty),
    "empty-csv": (".csv", _empty),
    "truncated-npz": (".npz", _truncated),
    "truncated-npy": (".npy", _truncated),
    "random-bytes-npz": (".npz", _random_bytes),
    "random-bytes-h5": (".h5", _random_bytes),
    "directory": (".npy", _directory),
    "missing": (".npy", _missing),
    "header-only-csv": (".csv", _header_only),
    "no-rows": (".npy", _no_rows),
    "no-columns": (".npy", _no_columns),
    "all-inf": (".npy", _all_inf),
}

#: commands that read a data file: name -> argv with "{bad}" for the file, "{out}" for a fresh
#: output path and "{good:NAME}" for a valid input
READERS: dict[str, list[str]] = {
    "rbm train": ["rbm", "train", "{bad}", "--out", "{out}.npz", "--epochs", "1"],
    "rbm score": ["rbm", "score", "{good:rbm}", "{bad}", "--ais-runs", "4", "--ais-steps", "20"],
    "rbm score (Potts)": ["rbm", "score", "{good:potts}", "{bad}", "--ais-runs", "4", "--ais-steps", "20"],
    "flows fit": ["flows", "fit", "{bad}", "--out", "{out}", "--max-epochs", "1"],
    "anomaly hunt": ["anomaly", "hunt", "{bad}", "--n-pseudo", "0"],
    "collider features": ["collider", "features", "{bad}", "--out", "{out}.npz"],
    "ib": ["ib", "{bad}", "--n-betas", "3"],
    "scaling fit": ["scaling", "fit", "{bad}", "--bootstrap", "0"],
    "dimension": ["dimension", "{bad}"],
}

#: commands that read a saved model
MODEL_READERS: dict[str, tuple[str, list[str]]] = {
    "rbm sample": (".npz", ["rbm", "sample", "{bad}", "--out", "{out}.npy", "--n", "5"]),
    "rbm score": (".npz", ["rbm", "score", "{bad}", "{good:binary}"]),
    "lm sample": (".pt", ["lm", "sample", "{bad}", "--chars", "5"]),
    "symmetry --model": (".npz", ["symmetry", "{good:ring}", "--model", "{bad}"]),
}

#: model-file cases (the data-file cases that make sense for a model)
BAD_MODELS = ["empty-npz", "truncated-npz", "random-bytes-npz", "directory", "missing"]

#: commands that write an output: name -> (argv with "{dest}" for the output, suffix of a good output)
WRITERS: dict[str, tuple[list[str], str]] = {
    "ising simulate": (
        ["ising", "simulate", "--L", "4", "--T", "2", "--sweeps", "50", "--out", "{dest}"], ".csv"
    ),
    "ising exact": (["ising", "exact", "--L", "4", "--T", "2", "--out", "{dest}"], ".csv"),
    "nets criticality": (
        ["nets", "criticality", "--activation", "tanh", "--depth", "3", "--out", "{dest}"], ".csv"
    ),
    "rbm train": (["rbm", "train", "{good:binary}", "--out", "{dest}", "--epochs", "1"], ".npz"),
    "rbm sample": (["rbm", "sample", "{good:rbm}", "--out", "{dest}", "--n", "5"], ".npy"),
    "rbm sample (Potts)": (["rbm", "sample", "{good:potts}", "--out", "{dest}", "--n", "5"], ".npy"),
    "flows fit": (["flows", "fit", "{good:points}", "--out", "{dest}", "--max-epochs", "1"], ""),
    "anomaly hunt": (["anomaly", "hunt", "{good:events}", "--n-pseudo", "0", "--out", "{dest}"], ".json"),
    "ib": (["ib", "{good:joint}", "--n-betas", "3", "--out", "{dest}"], ".csv"),
    "scaling fit": (["scaling", "fit", "{good:runs}", "--bootstrap", "0", "--out", "{dest}"], ".json"),
    "dimension --report": (["dimension", "{good:points}", "--report", "{dest}"], ""),
    "symmetry --figure": (["symmetry", "{good:ring}", "--no-learned", "--figure", "{dest}"], ".png"),
    "lm train": (["lm", "train", "--corpus", "{good:corpus}", "--steps", "2", "--out", "{dest}"], ".pt"),
    "collider generate": (
        ["collider", "generate", "--process", "qcd", "--events", "5", "--out", "{dest}"], ".npz"
    ),
    "collider features": (["collider", "features", "{good:lhco}", "--out", "{dest}"], ".npz"),
    "compare": (["compare", "{good:run}", "{good:run}", "--out", "{dest}"], ""),
    "run": (["run", "ib-binary-channel", "--quick", "--out", "{dest}"], ""),
    "lab": (["lab", "--quick", "--only", "ib-binary-channel", "--out", "{dest}"], ""),
}


def _fill(argv: list[str], good: dict[str, Path], **paths: Path) -> list[str]:
    out = []
    for arg in argv:
        for key, path in good.items():
            arg = arg.replace(f"{{good:{key}}}", str(path))
        for key, path in paths.items():
            arg = arg.replace(f"{{{key}}}", str(path))
        out.append(arg)
    return out


def _listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _assert_one_line_usage_error(code: int, capsys, argv: list[str]) -> str:
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2, f"{argv}: exit {code}, stderr {captured.err!r}"
    assert "Traceback" not in captured.err
    assert err.startswith("error: "), err
    assert len(err.splitlines()) == 1, f"{argv}: more than one line: {err!r}"
    assert "allow_pickle" not in err and "weights_only" not in err, err
    return err


# -- the cases -----------------------------------------------------------------------------


@pytest.mark.parametrize("case", list(BAD_FILES))
@pytest.mark.parametrize("command", list(READERS))
def test_bad_data_file(command, case, good, tmp_path, capsys):
    suffix, make = BAD_FILES[case]
    bad = tmp_path / f"input{suffix}"
    make(bad)
    before = _listing(tmp_path)
    argv = _fill(READERS[command], good, bad=bad, out=tmp_path / "result")
    err = _assert_one_line_usage_error(main(argv), capsys, argv)
    assert str(bad) in err or bad.name in err, f"the message does not name the file: {err}"
    assert _listing(tmp_path) == before, "something was written"


@pytest.mark.parametrize("case", BAD_MODELS)
@pytest.mark.parametrize("command", list(MODEL_READERS))
def test_bad_model_file(command, case, good, tmp_path, capsys):
    suffix, argv = MODEL_READERS[command]
    make = BAD_FILES[case][1]
    bad = tmp_path / f"model{suffix}"
    make(bad)
    before = _listing(tmp_path)
    argv = _fill(argv, good, bad=bad, out=tmp_path / "result")
    err = _assert_one_line_usage_error(main(argv), capsys, argv)
    assert bad.name in err, f"the message does not name the file: {err}"
    assert _listing(tmp_path) == before, "something was written"


def _dest_in_missing_parent(root: Path, suffix: str) -> Path:
    return root / "no-such-dir" / f"result{suffix}"


def _dest_is_wrong_kind(root: Path, suffix: str) -> Path:
    # a directory where a file is meant, a file where a directory is meant
    dest = root / f"taken{suffix}"
    if suffix:
        dest.mkdir()
    else:
        dest.write_text("not a directory\n")
    return dest


def _dest_no_permission(root: Path, suffix: str) -> Path:
    if os.geteuid() == 0:
        # root ignores file modes; sysfs refuses file creation even to root
        if not os.path.isdir("/sys"):
            pytest.skip("running as root and /sys is absent: no directory refuses a new file")
        return Path("/sys") / f"physml-test-result{suffix}"
    locked = root / "locked"
    locked.mkdir(mode=0o500)
    return locked / f"result{suffix}"


@pytest.fixture
def read_only_dir(tmp_path):
    """A directory on a read-only file system (a read-only tmpfs; needs root and mount)."""
    target = tmp_path / "ro"
    target.mkdir()
    mount = shutil.which("mount")
    if os.geteuid() != 0 or mount is None:
        pytest.skip("mounting a read-only file system needs root and mount(8)")
    command = [mount, "-t", "tmpfs", "-o", "ro,size=64k", "tmpfs", str(target)]
    done = subprocess.run(command, capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {done.stderr.decode().strip()}")
    yield target
    subprocess.run(["umount", str(target)], check=False)


DEST_CASES = {
    "missing-parent": _dest_in_missing_parent,
    "wrong-kind": _dest_is_wrong_kind,
    "no-permission": _dest_no_permission,
}


@pytest.mark.parametrize(
    ("command", "case"),
    # output directories are created with their parents: a missing parent is no error for them
    [(c, k) for c in WRITERS for k in DEST_CASES if WRITERS[c][1] or k != "missing-parent"],
)
def test_unwritable_output(command, case, good, tmp_path, capsys):
    argv, suffix = WRITERS[command]
    dest = DEST_CASES[case](tmp_path, suffix)
    before = _listing(tmp_path)
    argv = _fill(argv, good, dest=dest)
    err = _assert_one_line_usage_error(main(argv), capsys, argv)
    assert dest.name in err, err
    assert _listing(tmp_path) == before, "something was written"


@pytest.mark.parametrize("command", list(WRITERS))
def test_read_only_file_system(command, good, read_only_dir, capsys):
    argv, suffix = WRITERS[command]
    dest = read_only_dir / f"result{suffix}"
    argv = _fill(argv, good, dest=dest)
    err = _assert_one_line_usage_error(main(argv), capsys, argv)
    assert "read-only" in err, err


def test_broken_pipe_is_quiet(tmp_path):
    """``physml list | head -1`` prints one line and no 'Broken pipe' complaint."""
    done = subprocess.run(
        f"{sys.executable} -m physml list | head -1", shell=True, capture_output=True, text=True, cwd=tmp_path
    )
    assert len(done.stdout.splitlines()) == 1
    assert done.stderr == "", done.stderr


# -- degenerate and extreme values ------------------------------------------------------------

#: name -> (argv, expected exit code, text that must appear in stdout (exit 0) or stderr (exit 2))
EXTREMES: dict[str, tuple[list[str], int, str]] = {
    "ising exact at T = 0.001": (["ising", "exact", "--L", "4", "--T", "0.001"], 0, "-2"),
    "ising simulate --J 0 metropolis": (["ising", "simulate", "--L", "4", "--T", "2", "--J", "0"], 2, "--J"),
    "ising simulate --L 2 metropolis": (["ising", "simulate", "--L", "2", "--T", "2"], 2, "--L"),
    "ising simulate --L 100000": (["ising", "simulate", "--L", "100000", "--T", "2"], 2, "GB"),
    "nets criticality diverges": (
        ["nets", "criticality", "--activation", "relu", "--C-b", "0", "--C-W", "3", "--depth", "3000"],
        0, "diverges",
    ),
    "flops of a huge mlp": (["flops", "mlp:1000000,1000000,10"], 0, "1,000,0"),
    "rbm train --hidden 1e9": (
        ["rbm", "train", "{good:binary}", "--out", "{tmp}/m.npz", "--hidden", "1000000000"], 2, "memory"
    ),
    "rbm train diverging": (
        ["rbm", "train", "{good:binary}", "--out", "{tmp}/m.npz", "--learning-rate", "1e6", "--epochs", "3"],
        2, "--learning-rate",
    ),
    "rbm score --ais-runs 1": (
        ["rbm", "score", "{good:rbm}", "{good:binary}", "--ais-runs", "1"], 2, "--ais-runs"
    ),
    "lm train --hidden 100000": (
        ["lm", "train", "--corpus", "{good:corpus}", "--hidden", "100000", "--out", "{tmp}/lm.pt"],
        2, "memory",
    ),
    "anomaly hunt without pseudo-experiments": (
        ["anomaly", "hunt", "{good:events}", "--n-pseudo", "0"], 0, "global p-value was not computed"
    ),
}


@pytest.mark.parametrize("name", list(EXTREMES))
def test_extreme_values_are_refused_or_answered_honestly(name, good, tmp_path, capsys):
    argv, expected, text = EXTREMES[name]
    argv = _fill(argv, good, tmp=tmp_path)
    code = main(argv)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    if expected == 2:
        err = captured.err.strip()
        assert code == 2 and len(err.splitlines()) == 1, (code, err)
        assert text in err, err
        assert not list(tmp_path.iterdir()), "something was written"
    else:
        assert code == expected, (code, captured.err)
        assert text in captured.out, captured.out


@pytest.mark.parametrize("command", ["rbm train", "flows fit", "ib", "scaling fit", "dimension"])
def test_several_arrays_are_chosen_with_the_flag(command, good, tmp_path, capsys):
    bad = tmp_path / "two.npz"
    np.savez(bad, a=np.zeros((30, 3)), b=np.ones((30, 3)))
    argv = _fill(READERS[command], good, bad=bad, out=tmp_path / "result")
    err = _assert_one_line_usage_error(main(argv), capsys, argv)
    assert "choose one with --key" in err and "key=" not in err, err
    err = _assert_one_line_usage_error(main([*argv, "--key", "zz"]), capsys, argv)
    assert err.startswith("error: --key zz:") and "it holds: a, b" in err, err
