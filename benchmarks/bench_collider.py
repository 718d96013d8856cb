"""Collider event generation throughput (Pythia 8 + FastJet, LHCO QCD dijets with the jet
features) with one and with two worker processes, in the same run.

Both runs generate the same events: chunk i always has the seed derive_seed(seed, "qcd", i),
whatever the number of workers. Target (issue 8): near-linear scaling, i.e. a ratio close to
the number of workers on an otherwise idle machine.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from _harness import report

N_EVENTS, CHUNK = 240, 30


def _rate(n_workers: int, directory: Path) -> float:
    from physml.data.collider import generate_to_file
    from physml.parallel import ProcessExecutor

    out = directory / f"qcd-{n_workers}.npz"
    with ProcessExecutor(n_workers) as executor:
        executor.map(abs, [0] * n_workers)  # start the workers before the clock
        start = time.perf_counter()
        generate_to_file(out, N_EVENTS, "qcd", chunk_size=CHUNK, seed=1, executor=executor)
        return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        one = _rate(1, Path(tmp))
        two = _rate(2, Path(tmp))
    report(
        f"{N_EVENTS} QCD dijet events (Pythia+FastJet), 2 workers vs 1",
        two,
        "1 worker",
        one,
        f"{N_EVENTS / one:.1f} vs {N_EVENTS / two:.1f} events/s (ideal ratio 2)",
    )


if __name__ == "__main__":
    main()
