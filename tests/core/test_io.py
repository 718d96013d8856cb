"""Atomic writes respect the umask; the writability probe names what is wrong."""

from __future__ import annotations

import os
import stat

import pytest

from physml._core import atomic_write_text, unwritable_reason


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_atomic_writes_get_the_modes_of_an_ordinary_open(tmp_path, mask):
    old = os.umask(mask)
    try:
        path = atomic_write_text(tmp_path / "report.html", "<p>hi</p>")
        with open(tmp_path / "plain.html", "w") as fh:
            fh.write("<p>hi</p>")
    finally:
        os.umask(old)
    mode = stat.S_IMODE(path.stat().st_mode)
    assert mode == 0o666 & ~mask == stat.S_IMODE((tmp_path / "plain.html").stat().st_mode)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left


def test_unwritable_reasons(tmp_path):
    assert unwritable_reason(tmp_path / "new.json") is None
    assert unwritable_reason(tmp_path / "a" / "b", directory=True, make_parents=True) is None
    assert "does not exist" in unwritable_reason(tmp_path / "missing" / "x.json")
    assert "is a directory" in unwritable_reason(tmp_path)
    (tmp_path / "file").write_text("x")
    assert "not a directory" in unwritable_reason(tmp_path / "file", directory=True)
    assert "not a directory" in unwritable_reason(tmp_path / "file" / "x.json")
    assert list(tmp_path.iterdir()) == [tmp_path / "file"]  # the probe leaves nothing behind
