"""physml lm train / sample."""

import numpy as np
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


def test_parameter_count_and_memory_estimate_without_building_the_model():
    from physml.nets import CharLM

    for vocab, hidden, cell, layers, embedding in [(11, 16, "lstm", 1, None), (80, 64, "lstm", 2, None),
                                                   (5, 7, "rnn", 3, 3), (300, 50, "rnn", 1, None)]:
        model = CharLM(vocab, hidden, cell=cell, layers=layers, embedding=embedding)
        assert CharLM.n_parameters(vocab, hidden, cell=cell, layers=layers, embedding=embedding) == sum(
            p.numel() for p in model.parameters()
        )
    # 7 float32 copies of the parameters plus the activations of 32 windows of 64 steps
    n = CharLM.n_parameters(11, 128)
    per_step = 11 + 6 * 128 + 3 * 11
    assert CharLM.training_memory_bytes(11, 128) == 4 * (7 * n + 32 * 64 * per_step)


def test_train_refuses_a_model_too_big_for_the_machine(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 40)
    out = tmp_path / "m.pt"
    # 4 * 100000**2 LSTM weights: 1.6e11 bytes per float32 copy, more than any machine this runs on
    assert main(["lm", "train", "--corpus", str(corpus), "--hidden", "100000", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--hidden 100000" in err and "GiB of memory" in err and "this machine has" in err
    assert len(err.strip().splitlines()) == 1 and not out.exists()


@pytest.fixture
def trained(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 40)
    model = tmp_path / "m.pt"
    args = ["lm", "train", "--corpus", str(corpus), "--steps", "2", "--hidden", "8", "--seq-len", "8"]
    assert main([*args, "--out", str(model)]) == 0
    return model


@pytest.mark.parametrize("case", ["empty", "truncated", "random", "directory", "nan", "header", "foreign"])
def test_sample_refuses_bad_model_files_in_one_line(tmp_path, trained, capsys, case):
    import torch

    capsys.readouterr()
    bad = tmp_path / "bad.pt"
    if case == "empty":
        bad.write_bytes(b"")
    elif case == "truncated":
        bad.write_bytes(trained.read_bytes()[:300])
    elif case == "random":
        bad.write_bytes(np.random.default_rng(0).bytes(500))
    elif case == "directory":
        bad.mkdir()
    elif case == "foreign":  # a torch file holding something else
        torch.save({"weights": torch.zeros(3)}, bad)
    else:
        saved = torch.load(trained, weights_only=True)
        if case == "nan":
            saved["state_dict"]["readout.bias"][0] = float("nan")
        else:  # a header that would allocate terabytes if believed
            saved["hidden"] = 10**6
        torch.save(saved, bad)
    assert main(["lm", "sample", str(bad), "--chars", "5"]) == 2
    captured = capsys.readouterr()
    err = captured.err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and captured.out == ""
    assert "weights_only" not in err  # torch's advice never reaches the user
    expected = {"empty": "empty", "directory": "is a directory", "nan": "non-finite"}
    assert expected.get(case, "not a model saved by 'physml lm train'") in err


def test_seed_and_corpus_errors_name_the_flag(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    assert main(["lm", "train", "--corpus", str(tmp_path / "d"), "--out", str(tmp_path / "m.pt")]) == 2
    assert "--corpus" in capsys.readouterr().err
    assert main(["lm", "train", "--seed", "-1", "--out", str(tmp_path / "m.pt")]) == 2
    assert "--seed must be a non-negative integer" in capsys.readouterr().err
    assert not (tmp_path / "m.pt").exists()


def test_ctrl_c_in_training_says_nothing_was_written(tmp_path, capsys, monkeypatch):
    from physml import nets

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(nets, "train_char_lm", interrupted)
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 40)
    out = tmp_path / "m.pt"
    assert main(["lm", "train", "--corpus", str(corpus), "--hidden", "8", "--out", str(out)]) == 130
    err = capsys.readouterr().err
    assert "nothing was written" in err and "--resume" not in err and not out.exists()


def test_a_corpus_too_short_to_test_on_is_a_usage_error(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("abcdefghijkl")  # 12 characters: 11 to train on, 1 held out
    out = tmp_path / "m.pt"
    argv = ["lm", "train", "--corpus", str(corpus), "--seq-len", "1", "--hidden", "4"]
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "1 held out to test (2 needed)" in err and "Traceback" not in err and not out.exists()


def test_progress_bar_on_a_terminal_only(tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "c.txt"
    corpus.write_text("the cat sat on the mat. " * 40)
    argv = ["lm", "train", "--corpus", str(corpus), "--steps", "3", "--hidden", "8", "--seq-len", "8"]
    monkeypatch.setenv("PHYSML_PROGRESS", "0")  # what a pipe gets
    assert main([*argv, "--out", str(tmp_path / "a.pt")]) == 0
    assert "lm steps" not in capsys.readouterr().err
    monkeypatch.setenv("PHYSML_PROGRESS", "1")  # what a terminal gets
    assert main([*argv, "--out", str(tmp_path / "b.pt")]) == 0
    assert "lm steps" in capsys.readouterr().err
