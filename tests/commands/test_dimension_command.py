"""physml dimension FILE: estimates for users' files, reports, and clear errors for bad input."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from physml.cli import main
from physml.data import henon, sphere


def physml(*args):
    env = dict(os.environ, PHYSML_PROGRESS="0")
    return subprocess.run([sys.executable, "-m", "physml", *args], capture_output=True, text=True, env=env,
                          timeout=120)


def test_henon_file_prints_the_three_estimates(tmp_path, capsys):
    path = tmp_path / "henon.npy"
    np.save(path, henon(5000, seed=1))
    assert main(["dimension", str(path), "--centers", "20"]) == 0
    out = capsys.readouterr().out
    assert "correlation dimension" in out and "Levina-Bickel" in out and "TwoNN" in out
    assert "scaling range" in out and "±" in out
    assert "spectrum skipped" in out  # two features: no power-law fit


def test_json_and_report_for_a_csv_with_header(tmp_path, capsys):
    x = sphere(1500, 4, seed=2)  # S^4 in R^5
    path = tmp_path / "points.csv"
    np.savetxt(path, x, delimiter=",", header="a,b,c,d,e", comments="")
    report = tmp_path / "report"
    assert main(["dimension", str(path), "--json", "--report", str(report), "--centers", "20"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_samples"] == 1500 and data["n_features"] == 5
    for key in ("correlation", "mle", "twonn"):
        est = data["dimension"][key]
        assert abs(est["value"] - 4) < 0.6 and est["error"] > 0
    assert data["spectrum"]["fit_range"] == [1, 3]  # five eigenvalues: ranks 1..max(5 // 2, 1 + 2)
    assert {"report.md", "dimension.json", "correlation.png", "spectrum.png", "local-pca.png"} <= {
        p.name for p in report.iterdir()}
    assert json.loads((report / "dimension.json").read_text())["n_used"] == 1500
    # refuses to write into a non-empty report directory
    assert main(["dimension", str(path), "--report", str(report)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_npz_image_stack_is_flattened_and_subsampled(tmp_path, capsys):
    rng = np.random.default_rng(0)
    images = rng.random((400, 4, 4))
    path = tmp_path / "img.npz"
    np.savez(path, images=images, labels=np.arange(400))
    assert main(["dimension", str(path), "--key", "images", "--max-points", "300", "--centers", "0"]) == 0
    captured = capsys.readouterr()
    assert "400 points x 16 features (300 analysed)" in captured.out
    assert "random subsample" in captured.err


@pytest.mark.slow
def test_duplicates_are_handled_and_reported(tmp_path):
    x = sphere(500, 2, seed=0)
    path = tmp_path / "dup.npy"
    np.save(path, np.vstack([x, x[:50]]))
    r = physml("dimension", str(path), "--json", "--centers", "0")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["dimension"]["correlation"]["duplicates_removed"] == 50
    assert all(np.isfinite(v["value"]) for v in data["dimension"].values())
    assert any("duplicate" in n for n in data["notes"])


@pytest.mark.parametrize(
    ("content", "suffix", "message"),
    [
        ("1,2\n3,nan\n" * 20, ".csv", "non-finite"),
        ("a,b\nx,y\nz,w\n", ".csv", "cannot read"),
        (None, ".npy", "1-D array"),
        ("1,2\n", ".csv", "needs at least 25"),
        ("single", ".npy", "needs at least 25"),
        ("1 2 3\n", ".dat", "unknown file type"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, content, suffix, message):
    path = tmp_path / f"bad{suffix}"
    if content is None:
        np.save(path, np.arange(100.0))
    elif content == "single":
        np.save(path, np.ones((1, 3)))
    else:
        path.write_text(content)
    r = physml("dimension", str(path))
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_missing_file_and_bad_options(tmp_path, capsys):
    assert main(["dimension", str(tmp_path / "nope.npy")]) == 2
    assert "no such file" in capsys.readouterr().err
    path = tmp_path / "x.npy"
    np.save(path, sphere(100, 1, seed=0))
    assert main(["dimension", str(path), "--k1", "2"]) == 2
    assert "k1" in capsys.readouterr().err
