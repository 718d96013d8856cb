"""Functions the executor tests run in spawned processes and on Dask workers.

They live in a module (not in the test file) so that worker processes can import them
(spawned children get the parent's ``sys.path``; Dask workers get them by value, see
``cloudpickle.register_pickle_by_value`` in the tests).
"""

from __future__ import annotations

import os
import time
from pathlib import Path


def square(x: int) -> int:
    return x * x


def add(x: int, y: int, *, scale: int = 1) -> int:
    return (x + y) * scale


def slow_square(x: int, delay: float = 0.5) -> int:
    time.sleep(delay)
    return x * x


def slow_square_item(item: tuple[int, float]) -> int:
    """``item = (x, delay)``."""
    return slow_square(*item)


def fail_on(item: tuple[int, int]) -> int:
    """``item = (x, bad)``: raise ``ValueError`` when ``x == bad``, else return ``x * x``."""
    x, bad = item
    if x == bad:
        raise ValueError(f"bad item {x}")
    return x * x


def die_once(item: tuple[int, str | None]) -> int:
    """``item = (x, marker)``: with a marker path, kill this process the first time only."""
    x, marker = item
    if marker is not None:
        path = Path(marker)
        if not path.exists():
            path.write_text(str(os.getpid()))
            os._exit(1)
    return x * x


def die_always(item: tuple[int, bool]) -> int:
    """``item = (x, die)``: kill this process (every time) when ``die``, else return ``x * x``."""
    x, die = item
    if die:
        os._exit(1)
    return x * x


def thread_settings(_: object = None) -> dict[str, str | None]:
    """The thread-limiting environment variables as a worker process sees them."""
    names = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
    return {name: os.environ.get(name) for name in names}
