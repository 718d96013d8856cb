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

    from physml.symmetry import COMBINED_PRECISION, FINE_CLASSES, VERDICT_PRECISION

    torch.set_num_threads(1)
    argv = ["symmetry", str(star), "--json", "--train-per-class", "3"]  # the profile classifier at 64 px
    assert main(argv) == 0
    first = capsys.readouterr()
    [entry] = json.loads(first.out)
    learned, verdict = entry["learned"], entry["verdict"]
    probs = learned["probabilities"]
    assert set(probs) == set(FINE_CLASSES) and sum(probs.values()) == pytest.approx(1.0)
    assert set(learned["order_probabilities"]) == {str(n) for n in range(2, 9)}
    assert verdict["learned_class"] == learned["class"]
    assert verdict["learned_probability"] == learned["probability"]
    assert verdict["learned_agrees"] == (learned["class"] == verdict["direct_call"])
    situation = {"agreement": f"agree:{verdict['fine_class']}", "learned": "learned",
                 "direct over learned": "direct"}[verdict["source"]]
    assert verdict["confidence"] == COMBINED_PRECISION[situation]
    assert "training the classifier on 3 pictures per class" in first.err
    assert len(list(private_cache.glob("profile-classifier-*.npz"))) == 1
    assert main(argv) == 0
    second = capsys.readouterr()
    assert "using the cached classifier" in second.err and "training" not in second.err
    assert json.loads(second.out) == json.loads(first.out)
    assert main([a for a in argv if a != "--json"]) == 0  # the text report, from the cache
    text = capsys.readouterr().out
    assert f"  verdict:      {verdict['class']} (confidence {verdict['confidence']:.2f}; " in text
    assert f"  learned:      {learned['class']} {learned['probability']:.2f} (O(2) " in text
    # other settings are another classifier; --no-cache neither reads nor writes the cache
    assert main([*argv[:4], "2", "--no-cache"]) == 0
    assert "training the classifier" in capsys.readouterr().err
    assert len(list(private_cache.glob("*.npz"))) == 1
    # the talk's pipeline: coarse probabilities, reported beside the direct verdict
    talk = ["symmetry", str(star), "--json", "--classifier", "talk", "--train-per-class", "2",
            "--train-size", "16"]
    assert main(talk) == 0
    [entry] = json.loads(capsys.readouterr().out)
    probs = entry["learned"]["probabilities"]
    assert set(probs) == {"O(2)", "Z_n", "Z_2", "T_n", "none"} and sum(probs.values()) == pytest.approx(1.0)
    top = max(probs, key=probs.get)
    v = entry["verdict"]
    assert v["learned_class"] == top and v["learned_agrees"] == (top == v["coarse_class"])
    assert v["source"] == "direct" and v["confidence"] == VERDICT_PRECISION[v["fine_class"]]
    assert len(list(private_cache.glob("classifier-16px-*.npz"))) == 1


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


def _one_line_exit_2(capsys, argv, *needles):
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert captured.out == ""
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def _square(n=96):
    i, j = np.mgrid[0:n, 0:n]
    return (abs(i - (n - 1) / 2) < n / 4) & (abs(j - (n - 1) / 2) < n / 4)


def test_8_and_16_bit_pngs_give_the_same_report(tmp_path, capsys):
    grey = np.where(_square(), 0.1, 0.9)
    Image.fromarray(np.round(grey * 255).astype(np.uint8)).save(tmp_path / "sq8.png")
    Image.fromarray(np.round(grey * 65535).astype(np.uint16)).save(tmp_path / "sq16.png")
    outs = []
    for name in ("sq8.png", "sq16.png"):
        assert main(["symmetry", str(tmp_path / name), "--no-learned", "--json"]) == 0
        [entry] = json.loads(capsys.readouterr().out)
        entry.pop("file")
        outs.append(entry)
    assert outs[0] == outs[1]
    # a filled square: four rotations (and mirrors), not all rotations, not order 8
    assert outs[0]["direct_class"] == "Z_n" and outs[0]["direct"]["rotation"]["best_order"] == 4


def test_a_square_is_order_4_in_the_text_report(tmp_path, capsys):
    Image.fromarray(np.where(_square(), 0, 255).astype(np.uint8)).save(tmp_path / "sq.png")
    assert main(["symmetry", str(tmp_path / "sq.png"), "--no-learned"]) == 0
    out = capsys.readouterr().out
    assert "direct class: Z_n" in out and "best order 4 " in out


def test_one_verdict_with_a_confidence_in_text_and_json(tmp_path, capsys):
    from physml.symmetry import VERDICT_PRECISION

    Image.fromarray(np.where(_square(), 0, 255).astype(np.uint8)).save(tmp_path / "sq.png")
    checker = (np.arange(64)[:, None] // 8 + np.arange(64)[None, :] // 8) % 2
    Image.fromarray((255 * checker).astype(np.uint8)).save(tmp_path / "checker.png")
    argv = ["symmetry", str(tmp_path / "sq.png"), str(tmp_path / "checker.png"), "--no-learned"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"verdict:      D_4 (confidence {VERDICT_PRECISION['D_n']:.2f})" in out
    assert f"verdict:      T^2 (confidence {VERDICT_PRECISION['T^2']:.2f})" in out
    assert main([*argv, "--json"]) == 0
    square, board = json.loads(capsys.readouterr().out)
    assert list(square)[:3] == ["file", "verdict", "direct_class"]
    assert "direct" in square and "learned" in square
    assert (square["verdict"]["class"], square["verdict"]["confidence"]) == ("D_4", VERDICT_PRECISION["D_n"])
    assert square["verdict"]["learned_class"] is None and square["learned"] is None
    assert board["verdict"]["class"] == "T^2" and board["verdict"]["coarse_class"] == "T_n"


def _png_header(path, width, height):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
                     + chunk(b"IEND", b""))


def test_degenerate_pictures_exit_2_with_one_line(tmp_path, capsys):
    big = tmp_path / "big.png"
    _png_header(big, 20000, 20000)
    _one_line_exit_2(capsys, ["symmetry", str(big), "--no-learned"], str(big), "20000x20000", "67108864")
    _one_line_exit_2(capsys, ["symmetry", str(tmp_path), "--no-learned"], "is a directory")
    cases = {
        "one.png": np.zeros((1, 1), np.uint8),
        "black.png": np.zeros((50, 50), np.uint8),
        "flat16.png": np.full((50, 50), 50000, np.uint16),
    }
    for name, array in cases.items():
        Image.fromarray(array).save(tmp_path / name)
    _one_line_exit_2(capsys, ["symmetry", str(tmp_path / "one.png"), "--no-learned"], "1x1", "at least 16")
    _one_line_exit_2(capsys, ["symmetry", str(tmp_path / "black.png"), "--no-learned"], "one colour")
    _one_line_exit_2(capsys, ["symmetry", str(tmp_path / "flat16.png"), "--no-learned"], "one colour")
    good = tmp_path / "good.png"
    Image.fromarray(np.where(_square(), 0, 255).astype(np.uint8)).save(good)
    (tmp_path / "cut.png").write_bytes(good.read_bytes()[:100])
    (tmp_path / "text.png").write_text("this is not a picture\n")
    _one_line_exit_2(capsys, ["symmetry", str(tmp_path / "cut.png"), "--no-learned"], "cannot read")
    _one_line_exit_2(capsys, ["symmetry", str(tmp_path / "text.png"), "--no-learned"], "cannot read")
    _one_line_exit_2(capsys, ["symmetry", str(good), "--no-learned", "--threshold", "nan"], "--threshold")
    _one_line_exit_2(capsys, ["symmetry", str(good), "--no-learned", "--size", "100000"], "--size", "4096")
    _one_line_exit_2(capsys, ["symmetry", str(good), "--train-size", "100000"], "--train-size", "512")


def _classifier_file(path, weights=None):
    import torch

    from physml.symmetry import SymmetryClassifier, SymmetryCNN

    clf = SymmetryClassifier(size=16, n_cnns=1)
    clf._install([SymmetryCNN(5, channels=(8, 16)).state_dict()])
    if weights is not None:
        with torch.no_grad():
            for w in clf.models_[0].parameters():
                w.fill_(weights)
    clf.save(path)
    return path


def _bad_models(d):
    import torch

    from physml._core import write_model_file

    real = _classifier_file(d / "real.npz")
    files = {"empty": d / "empty.npz", "random": d / "random.npz", "truncated": d / "truncated.npz",
             "directory": d / "adir", "png": d / "picture.npz", "other-class": d / "rbm.npz",
             "torch-objects": d / "objects.pt", "torch-tensor": d / "tensor.pt",
             "torch-dict": d / "dict.pt", "nan-weights": d / "nan.npz", "bad-header": d / "header.npz"}
    files["empty"].write_bytes(b"")
    files["random"].write_bytes(np.random.default_rng(0).bytes(2000))
    files["truncated"].write_bytes(real.read_bytes()[: real.stat().st_size // 2])
    files["directory"].mkdir()
    Image.fromarray(np.zeros((20, 20), np.uint8)).save(files["png"], format="PNG")
    write_model_file(files["other-class"], format="physml.ebm.RBM", version=1, meta={},
                     arrays={"W": np.zeros(3)})
    torch.save({"params": {"size": 16}, "models": [np.zeros(3)]}, files["torch-objects"])
    torch.save(torch.zeros(3), files["torch-tensor"])
    torch.save({"params": {"size": 16}, "models": [{"w": 1}]}, files["torch-dict"])
    _classifier_file(files["nan-weights"], weights=float("nan"))
    write_model_file(files["bad-header"], format="physml.symmetry.SymmetryClassifier", version=1,
                     meta={"params": {"size": 16}}, arrays={"x": np.zeros(2)})
    return real, files


def test_every_bad_model_file_is_one_line_exit_2(star, tmp_path, capsys):
    real, files = _bad_models(tmp_path)
    assert main(["symmetry", str(star), "--model", str(real), "--json"]) == 0  # the good one works
    capsys.readouterr()
    for name, path in files.items():
        err = _one_line_exit_2(capsys, ["symmetry", str(star), "--model", str(path)], "--model", str(path))
        assert "weights_only" not in err and "trust" not in err and "\x1b" not in err, (name, err)
    nan = _one_line_exit_2(capsys, ["symmetry", str(star), "--model", str(files["nan-weights"])])
    assert "non-finite" in nan


def test_a_profile_classifier_file_is_used_without_importing_torch(star, tmp_path):
    # the cached/--model path of the default classifier predicts in numpy: a fresh interpreter
    # that runs the command on a saved profile classifier must not load torch (nor matplotlib)
    import subprocess
    import sys

    from physml.symmetry import FINE_CLASSES, PROFILE_LENGTH, SymmetryProfileClassifier

    rng = np.random.default_rng(5)
    clf = SymmetryProfileClassifier(n_members=2, hidden=(16, 8), epochs=1, seed=3)  # weights real, not good
    clf.fit_profiles(rng.normal(size=(70, PROFILE_LENGTH)).astype(np.float32),
                     [FINE_CLASSES[i % len(FINE_CLASSES)] for i in range(70)])
    model = clf.save(tmp_path / "clf.npz")
    script = (
        "import sys\n"
        "from physml.cli import main\n"
        f"assert main(['symmetry', {str(star)!r}, '--model', {str(model)!r}, '--json']) == 0\n"
        "print(sorted(m for m in ('torch', 'matplotlib') if m in sys.modules), file=sys.stderr)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stderr.strip().splitlines()[-1] == "[]"
    assert json.loads(out.stdout)[0]["learned"]["class"] in {*FINE_CLASSES, *(f"{k}_{n}" for k in "DZ"
                                                                             for n in range(2, 9))}
