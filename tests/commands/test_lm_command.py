"""physml lm train / sample."""

import pytest

from physml.cli import main

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_train_then_sample(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 40)
    model = tmp_path / "m.pt"
    assert (
        main(
            [
                "lm",
                "train",
                "--corpus",
                str(corpus),
                "--steps",
                "30",
                "--hidden",
                "16",
                "--seq-len",
                "16",
                "--out",
                str(model),
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "test perplexity per character: lstm" in out and model.is_file()
    assert main(["lm", "sample", str(model), "--prompt", "the ", "--chars", "20", "--seed", "1"]) == 0
    text = capsys.readouterr().out.rstrip("\n")
    assert text.startswith("the ") and len(text) == 24
    # unknown characters in the prompt: one line, exit 2
    assert main(["lm", "sample", str(model), "--prompt", "Zebra!"]) == 2
    err = capsys.readouterr().err
    assert (
        "--prompt has characters the model never saw: 'Z', 'b', 'r', '!'" in err
        and len(err.strip().splitlines()) == 1
    )


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("empty", ["--corpus", "{d}/e.txt", "--out", "{d}/m.pt"], "the corpus is empty"),
        (None, ["--corpus", "{d}/none.txt", "--out", "{d}/m.pt"], "no such file"),
        (None, ["--out", "{d}/m.txt"], "unknown file type"),
    ],
)
def test_train_bad_input(tmp_path, capsys, setup, args, message):
    if setup == "empty":
        (tmp_path / "e.txt").write_text("\n\n")
    assert main(["lm", "train", *[a.format(d=tmp_path) for a in args]]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_sample_from_a_non_model_file(tmp_path, capsys):
    bad = tmp_path / "x.pt"
    bad.write_bytes(b"not a model")
    assert main(["lm", "sample", str(bad)]) == 2
    assert "not a model saved by 'physml lm train'" in capsys.readouterr().err
