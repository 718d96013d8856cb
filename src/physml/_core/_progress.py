"""Progress display for long loops (tqdm on a terminal, silent otherwise)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

__all__ = ["progress", "progress_bar"]

T = TypeVar("T")


def _enabled() -> bool:
    setting = os.environ.get("PHYSML_PROGRESS", "auto").lower()
    if setting in {"0", "off", "false", "no"}:
        return False
    if setting in {"1", "on", "true", "yes"}:
        return True
    try:  # quiet in a pipe, a file, a notebook, or where there is no standard error at all
        return bool(sys.stderr is not None and sys.stderr.isatty())
    except (AttributeError, ValueError, OSError):  # a replaced or closed stream
        return False


def progress(iterable: Iterable[T], *, total: int | None = None, desc: str | None = None) -> Iterator[T]:
    """Iterate over ``iterable`` with a progress bar on standard error.

    The bar is shown only when standard error is a terminal (or when the
    environment variable ``PHYSML_PROGRESS=1``); ``PHYSML_PROGRESS=0`` hides it.
    """
    if not _enabled():
        yield from iterable
        return
    from tqdm.auto import tqdm

    with tqdm(iterable, total=total, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True) as bar:
        yield from bar


class _SilentBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, *, desc: str | None = None, show: bool = True):
    """A progress bar advanced by hand with ``update(n)`` and ended with ``close()``; shown under
    the same rule as :func:`progress` (never with ``show=False``), otherwise an object whose
    methods do nothing."""
    if not (show and _enabled()):
        return _SilentBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, leave=False, file=sys.stderr, dynamic_ncols=True)
