"""The weakly supervised hunt (``physml.anomaly.weak_hunt``, CWoLa, the default): wall time for
40,000 toy dijet events, on 1 worker (inline) against a process pool of 2 (the ratio is the
parallel speed-up): the data's hunt with 3 background-only surrogate hunts (each retrains every
window, so the time grows as 1 + n_pseudo), and the data's hunt alone, which the executor splits
into blocks of windows. The pool is started, and has imported physml, before the clock runs."""

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

    def run(executor, n_pseudo):
        return anomaly.weak_hunt(X, m, n_pseudo=n_pseudo, seed=0, executor=executor)

    small = dijet_toy(4000, 0, seed=1)
    Xs, ms = np.column_stack([small[c] for c in cols]), small["mjj"]
    with InlineExecutor() as inline, ProcessExecutor(2) as pool:
        anomaly.weak_hunt(Xs, ms, n_pseudo=1, efficiencies=(0.1,), seed=0, executor=pool)  # start the workers
        for n_pseudo, name in ((3, "weak hunt, 40k events + 3 surrogates, 2 proc"),
                               (0, "weak hunt, 40k events alone, 2 proc")):
            t1 = median_seconds(lambda n=n_pseudo: run(inline, n), repeat=repeat, warmup=0)
            t2 = median_seconds(lambda n=n_pseudo: run(pool, n), repeat=repeat, warmup=0)
            report(name, t2, "1 worker", t1)


if __name__ == "__main__":
    main()
