"""Run every benchmark (``make bench``): each prints physml's median time, the baseline's
median time measured in the same run, and their ratio, with the machine (CPU, vector
capability, bfloat16 units) in the header and on every result line."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(HERE))
    from _harness import machine

    names = argv or sorted(p.stem for p in HERE.glob("bench_*.py"))
    print(f"machine: {machine()}", flush=True)
    for name in names:
        print(f"== {name}", flush=True)
        importlib.import_module(name).main()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
