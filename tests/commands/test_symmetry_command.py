"""physml symmetry IMAGE...: direct measures, learned probabilities, figure; bad input exits 2."""

import json

import numpy as np
import pytest
from PIL import Image

from physml.cli import main
from physml.data import symmetry_sketch


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    # trained classifiers go to a per-test cache, never the user's
    monkeypatch.setenv("PHYSML_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "symmetry"


@pytest.fixture
def star(tmp_path):
    path = tmp_path / "star.png"
    Image.fromarray((255 * (1 - symmetry_sketch("star", 64))).astype(np.uint8)).save(path)
    return path


def test_direct_measures_find_the_star_and_write_a_figure(star, tmp_path, capsys):
    fig = tmp_path / "f.png"
    assert main(["symmetry", str(star), "--no-learned", "--figure", str(fig)]) == 0
    out = capsys.readouterr().out
    assert "direct class: Z_n" in out and "best order 5" in out
    assert fig.is_file() and fig.stat().st_size > 0


@pytest.mark.slow
def test_learned_probabilities_in_json_and_the_classifier_is_cached(star, capsys, private_cache):
    import torch

    torch.set_num_threads(1)
    argv = ["symmetry", str(star), "--json", "--train-per-class", "2", "--train-size", "16"]
    assert main(argv) == 0
    first = capsys.readouterr()
    [entry] = json.loads(first.out)
    probs = entry["learned"]["probabilities"]
    assert set(probs) == {"O(2)", "Z_n", "Z_2", "T_n", "none"} and sum(probs.values()) == pytest.approx(1.0)
    assert entry["direct"]["rotation"]["best_order"] == 5
    assert "training the classifier" in first.err and len(list(private_cache.glob("*.npz"))) == 1
    assert main(argv) == 0
    second = capsys.readouterr()
    assert "using the cached classifier" in second.err and "training" not in second.err
    assert json.loads(second.out) == json.loads(first.out)
    # other settings are another classifier; --no-cache neither reads nor writes the cache
    assert main([*argv[:4], "1", *argv[5:], "--no-cache"]) == 0
    assert "training the classifier" in capsys.readouterr().err
    assert len(list(private_cache.glob("*.npz"))) == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "empty"), (b"junk", "cannot read"), (None, "no such file")],
)
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "x.png"
    if content is not None:
        path.write_bytes(content)
    assert main(["symmetry", str(path), "--no-learned"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_one_colour_and_tiny_images_exit_2(tmp_path, capsys):
    flat, tiny = tmp_path / "flat.png", tmp_path / "tiny.png"
    Image.fromarray(np.full((40, 40), 9, np.uint8)).save(flat)
    Image.fromarray((np.eye(8) * 255).astype(np.uint8)).save(tiny)
    assert main(["symmetry", str(flat), "--no-learned"]) == 2
    assert "one colour" in capsys.readouterr().err
    assert main(["symmetry", str(tiny), "--no-learned"]) == 2
    assert "at least 16" in capsys.readouterr().err


def test_existing_figure_is_not_overwritten(star, tmp_path, capsys):
    fig = tmp_path / "f.png"
    fig.write_bytes(b"keep")
    assert main(["symmetry", str(star), "--no-learned", "--figure", str(fig)]) == 2
    assert fig.read_bytes() == b"keep"


@pytest.mark.slow
def test_a_saved_model_is_read_back_and_must_be_npz(star, tmp_path, capsys):
    import torch

    torch.set_num_threads(1)
    model = tmp_path / "clf.npz"
    argv = ["symmetry", str(star), "--json", "--train-per-class", "1", "--train-size", "16", "--no-cache"]
    assert main([*argv, "--save-model", str(model)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert model.is_file()
    assert main(["symmetry", str(star), "--json", "--model", str(model)]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert main([*argv, "--save-model", str(tmp_path / "clf.pt")]) == 2
    assert "accepted: .npz" in capsys.readouterr().err
