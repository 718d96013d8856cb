"""Files: atomic writes (a reader never sees a half-written file) and a writability probe
(an output that cannot be written is found before any work, not after it)."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text", "unwritable_reason"]


def _umask() -> int:
    # os.umask can only be read by setting it; set it back at once
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory and
    an atomic rename, so that ``path`` holds either the old or the new content.

    The file gets the permissions an ordinary ``open(path, "w")`` would give (0666 less
    the umask), not the private 0600 of a temporary file, so a report can be shared.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Like :func:`atomic_write_bytes` for UTF-8 text."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _probe(directory: Path) -> str | None:
    """Why no file can be created in the existing ``directory``, or None if one can."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".physml-probe.", dir=directory)
    except OSError as exc:
        if exc.errno == errno.EROFS:
            return f"{directory} is on a read-only file system"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return f"no permission to write in {directory}"
        return f"cannot write in {directory} ({exc.strerror or exc})"
    os.close(fd)
    os.unlink(tmp)
    return None


def unwritable_reason(
    path: str | os.PathLike, *, directory: bool = False, make_parents: bool = False
) -> str | None:
    """Why ``path`` cannot be written, as a phrase, or None if it can; writes nothing that stays.

    Parameters
    ----------
    path : path-like
        A file to create or replace (``directory=False``) or a directory to create or
        write into (``directory=True``).
    directory : bool
        Whether ``path`` is meant to be a directory.
    make_parents : bool
        For a directory: whether missing parents will be created (then the nearest
        existing ancestor must be writable); otherwise the parent must exist.

    Use it before the work that produces the output, so that a read-only file system, a
    missing or unwritable parent directory, or a file where a directory is meant (and the
    reverse) is reported at once.
    """
    path = Path(path)
    if directory:
        if path.exists() and not path.is_dir():
            return "exists and is not a directory"
        if path.is_dir():
            return _probe(path)
    elif path.is_dir():
        return "is a directory; give a file name"
    parent = path.parent
    if directory and make_parents:
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
    if not parent.exists():
        return f"directory {parent} does not exist"
    if not parent.is_dir():
        return f"{parent} is not a directory"
    return _probe(parent)
