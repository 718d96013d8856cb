"""physml doctor DATA: verdicts, JSON, the HTML report, and one-line errors for bad input."""

import json

import numpy as np
import pytest

from physml.cli import main
from physml.data import sphere, torus


@pytest.fixture(scope="module")
def torus_file(tmp_path_factory):
    rng = np.random.default_rng(0)
    x = torus(1500, seed=1)
    q, _ = np.linalg.qr(rng.standard_normal((10, 10)))
    x = np.column_stack([x, np.zeros((1500, 7))]) @ q + 0.01 * rng.standard_normal((1500, 10))
    path = tmp_path_factory.mktemp("doctor") / "torus.npy"
    np.save(path, x)
    return path


def test_json_has_the_issue_fields_and_out_writes_the_report(torus_file, tmp_path, capsys):
    pytest.importorskip("ripser")
    out = tmp_path / "report"
    assert main(["doctor", str(torus_file), "--json", "--out", str(out)]) == 0
    data = json.loads(capsys.readouterr().out)
    dim = data["dimension"]
    assert dim["low"] <= 2 <= dim["high"]
    assert data["betti"] == [1, 2, 1]
    assert data["autoencoder_warning"]["warn"] is True and "torus" in data["autoencoder_warning"]["reason"]
    assert data["spectrum"]["power_law"] is False and "decades" in data["spectrum"]
    assert data["shape"] == [1500, 10]
    assert {p.name for p in out.iterdir()} == {"report.html", "doctor.json"}
    assert json.loads((out / "doctor.json").read_text())["betti"] == [1, 2, 1]
    page = (out / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "data:image/png;base64," in page and "b1 = 2" in page
    # refuses to write into a non-empty directory, before any work
    assert main(["doctor", str(torus_file), "--out", str(out)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_text_verdicts_for_a_csv(tmp_path, capsys):
    pytest.importorskip("ripser")
    path = tmp_path / "sphere.csv"
    np.savetxt(path, sphere(400, 2, seed=3), delimiter=",")
    assert main(["doctor", str(path), "--landmarks", "80", "--max-betti", "1"]) == 0
    out = capsys.readouterr().out
    for title in ("dimension:", "local scales:", "spectrum:", "topology:", "autoencoder:", "how much data:"):
        assert title in out, title
    assert "b0 = 1, b1 = 0" in out and "b2" not in out.split("topology:")[1].split("\n")[0]
    assert "needs at least 4 features" in out  # three features: no spectrum verdict


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: np.zeros((10, 3)) + np.arange(10)[:, None], "10 distinct point(s) of 10; physml doctor"),
        (lambda: np.repeat(np.eye(5), 30, axis=0), "5 distinct point(s) of 150"),
        (lambda: np.where(np.eye(60, 3) > 0, np.nan, 1.0), "non-finite value(s)"),
        (lambda: np.arange(100.0), "1-D array of 100 values"),
    ],
)
def test_bad_input_gives_one_line_errors(tmp_path, capsys, make, message):
    path = tmp_path / "bad.npy"
    np.save(path, make())
    out = tmp_path / "out"
    assert main(["doctor", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and "Traceback" not in err
    assert not out.exists()


def test_bad_options_and_file_types(tmp_path, capsys):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).normal(size=(100, 3)))
    assert main(["doctor", str(path), "--max-points", "10"]) == 2
    assert "--max-points" in capsys.readouterr().err
    assert main(["doctor", str(path), "--max-betti", "3"]) == 2
    assert "--max-betti" in capsys.readouterr().err
    other = tmp_path / "x.png"
    other.write_bytes(b"not an array")
    assert main(["doctor", str(other)]) == 2
    assert "unknown file type" in capsys.readouterr().err


def _blob_images(folder, n, size=(12, 12), seed=0):
    """Gaussian spots at random positions: a 2-parameter family of images."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    folder.mkdir()
    yy, xx = np.mgrid[: size[1], : size[0]]
    for i in range(n):
        cx, cy = rng.uniform(3, size[0] - 3), rng.uniform(3, size[1] - 3)
        img = 255 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / 4.0)
        Image.fromarray(img.astype(np.uint8)).save(folder / f"img{i:03d}.png")


@pytest.mark.slow
def test_a_folder_of_images_is_one_point_per_image(tmp_path, capsys):
    folder = tmp_path / "images"
    _blob_images(folder, 300)
    assert main(["doctor", str(folder), "--json", "--no-topology"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["shape"] == [300, 12, 12] and data["n_features"] == 144
    dim = data["dimension"]
    assert dim["low"] <= 2.0 <= dim["high"]  # two positions; 8-bit rounding adds a little noise


def test_bad_image_folders(tmp_path, capsys):
    from PIL import Image

    folder = tmp_path / "mixed"
    _blob_images(folder, 60)
    Image.fromarray(np.zeros((10, 14), dtype=np.uint8)).save(folder / "odd.png")
    assert main(["doctor", str(folder)]) == 2
    err = capsys.readouterr().err.strip()
    assert "images of mixed sizes: img000.png is 12x12 grey, odd.png is 14x10 grey" in err and "\n" not in err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["doctor", str(empty)]) == 2
    assert "without image files" in capsys.readouterr().err
    (folder / "odd.png").write_bytes(b"not a png")
    assert main(["doctor", str(folder)]) == 2
    assert "odd.png: not a readable image" in capsys.readouterr().err


@pytest.mark.slow
def test_pictures_get_a_symmetry_section_and_a_fashion_mnist_reference(tmp_path, capsys):
    """Item 2 and 5: a folder of pictures is compared with Fashion-MNIST's spectrum, and the
    pictures' direct symmetry verdicts are counted. Fashion-MNIST test images agree with the
    training images' exponent; squares are called D_4."""
    from PIL import Image

    from physml.data import fashion_mnist

    images, _ = fashion_mnist("test")
    shirts = tmp_path / "fashion"
    shirts.mkdir()
    for i in range(200):
        Image.fromarray(images[i]).save(shirts / f"{i:03d}.png")
    assert main(["doctor", str(shirts), "--no-topology", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = out["spectrum"]["reference"]
    assert ref["name"] == "Fashion-MNIST" and ref["power_law"] and abs(ref["pull"]) < 3
    assert out["symmetry"]["pictures"] == 40 and sum(out["symmetry"]["classes"].values()) == 40

    squares = tmp_path / "squares"
    squares.mkdir()
    rng = np.random.default_rng(0)
    for i in range(60):
        picture = np.zeros((64, 64), dtype=np.uint8)
        half = int(rng.integers(10, 20))
        cy, cx = (int(c) for c in rng.integers(24, 40, size=2))
        picture[cy - half : cy + half, cx - half : cx + half] = 255
        picture = np.clip(picture + rng.normal(0, 10, picture.shape), 0, 255).astype(np.uint8)
        Image.fromarray(picture).save(squares / f"{i:03d}.png")
    assert main(["doctor", str(squares), "--no-topology", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    classes = out["symmetry"]["classes"]
    assert max(classes, key=classes.get) == "D_4", classes
