"""The weakly supervised hunt (``physml.anomaly.weak_hunt``, CWoLa, the default): wall time for
40,000 toy dijet events with the data's hunt and 3 background-only surrogate hunts, on 1 worker
(inline) against a process pool of 2 (the ratio is the parallel speed-up; each surrogate retrains
every window, so the time grows as 1 + n_pseudo)."""

from __future__ import annotations

import numpy as np

from _harness import median_seconds, report


def main(repeat: int = 1) -> None:
    from physml import anomaly
    from physml.data.collider import dijet_toy
    from physml.parallel import InlineExecutor, ProcessExecutor

    cols = ("mj1", "mj2", "tau21_j1", "tau21_j2")
    ev = dijet_toy(40000, 400, m_resonance=4000.0, seed=0)
    X, m = np.column_stack([ev[c] for c in cols]), ev["mjj"]

    def run(executor):
        return anomaly.weak_hunt(X, m, n_pseudo=3, seed=0, executor=executor)

    with InlineExecutor() as inline:
        t1 = median_seconds(lambda: run(inline), repeat=repeat, warmup=0)
    with ProcessExecutor(2) as pool:
        t2 = median_seconds(lambda: run(pool), repeat=repeat, warmup=0)
    report("weak hunt, 40k events + 3 surrogates, 2 proc", t2, "1 worker", t1)


if __name__ == "__main__":
    main()
