"""Offline text corpora."""

import pytest

from physml.data import python_docstrings, read_text, split_text


def test_python_docstrings_prefix_is_deterministic_prose():
    a = python_docstrings(5000)
    assert len(a) == 5000 and a == python_docstrings(5000)
    assert sum(c.isalpha() for c in a) > 0.6 * len(a)


def test_python_docstrings_reads_a_given_directory(tmp_path):
    (tmp_path / "m.py").write_text('"""Module doc."""\n\ndef f():\n    """Function doc."""\n')
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "t.py").write_text('"""Skipped."""\n')
    (tmp_path / "pkg" / "tests" / "deep").mkdir(parents=True)  # skipped at any depth
    (tmp_path / "pkg" / "tests" / "deep" / "t.py").write_text('"""Skipped too."""\n')
    assert python_docstrings(stdlib_dir=tmp_path) == "Module doc.\n\nFunction doc."
    with pytest.raises(FileNotFoundError, match="no Python source files"):
        python_docstrings(stdlib_dir=tmp_path / "test" / "nothing")


def test_read_text_rejects_empty_and_binary(tmp_path):
    (tmp_path / "e.txt").write_text("  \n")
    with pytest.raises(ValueError, match="the corpus is empty"):
        read_text(tmp_path / "e.txt")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ValueError, match="not utf-8 text"):
        read_text(tmp_path / "b.txt")


def test_split_text():
    train, test = split_text("abcdefghij", 0.2)
    assert (train, test) == ("abcdefgh", "ij")
    with pytest.raises(ValueError, match="text is empty"):
        split_text("", 0.1)
