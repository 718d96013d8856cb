"""Normalizing flows (issue 7), on 6-D Plummer phase-space samples, one torch thread per process.

1. ``FlowDensity.fit`` (MAF 4x64, 10 epochs, early stopping never triggered) against a bare zuko
   training loop of the same flow, batches and epochs on the same training rows: the ratio is the
   cost of physml's validation pass per epoch, best-weights copy and standardisation (below 1 means
   physml is slower).
2. ``FlowEnsemble.fit`` of 4 members on a process pool with as many workers as cores against the
   same members trained one after another in this process: the parallel speed-up of ensembles.
"""

from __future__ import annotations

import os

from _harness import median_seconds, report


def _data(n: int):
    import numpy as np

    from physml.data import plummer_sample

    x, v = plummer_sample(n, seed=0)
    keep = np.linalg.norm(x, axis=1) < 10
    return np.concatenate([x[keep], v[keep]], axis=1)


def main(repeat: int = 3) -> None:
    import torch

    torch.set_num_threads(1)
    X = _data(8000)
    _wrapper_overhead(X, repeat)
    _ensemble_speedup(X, repeat)


def _wrapper_overhead(X, repeat: int) -> None:
    import numpy as np
    import torch
    import zuko

    from physml.flows import FlowDensity

    epochs, batch = 10, 512
    params = dict(
        transforms=4, hidden_features=(64, 64), max_epochs=epochs, batch_size=batch, patience=epochs
    )
    n_train = len(X) - int(round(0.2 * len(X)))  # FlowDensity holds out 20% for validation
    U = torch.as_tensor((X - X.mean(axis=0)) / X.std(axis=0), dtype=torch.float32)[:n_train]

    def physml() -> None:
        FlowDensity("maf", seed=0, **params).fit(X)

    def bare() -> None:
        torch.manual_seed(0)
        flow = zuko.flows.MAF(X.shape[1], transforms=4, hidden_features=(64, 64))
        opt = torch.optim.Adam(flow.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(1)
        for _ in range(epochs):
            perm = torch.randperm(len(U), generator=g)
            for start in range(0, len(U), batch):
                loss = -flow().log_prob(U[perm[start : start + batch]]).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()

    t_physml = median_seconds(physml, repeat=repeat)
    t_bare = median_seconds(bare, repeat=repeat)
    report(
        f"MAF 4x64 fit, {n_train} x 6, {epochs} epochs",
        t_physml,
        "bare zuko loop",
        t_bare,
        extra=f"({np.round(100 * (t_physml / t_bare - 1)):.0f}% overhead)",
    )


def _ensemble_speedup(X, repeat: int) -> None:
    from physml.flows import FlowDensity, FlowEnsemble
    from physml.parallel import ProcessExecutor

    workers = os.cpu_count() or 1
    base = FlowDensity(
        "maf", transforms=4, hidden_features=(64, 64), max_epochs=5, batch_size=512, patience=5
    )
    members = 4

    def inline() -> None:
        FlowEnsemble(base, n_members=members, seed=0).fit(X)

    with ProcessExecutor(workers) as pool:
        t_pool = median_seconds(
            lambda: FlowEnsemble(base, n_members=members, seed=0).fit(X, executor=pool), repeat=repeat
        )
    t_inline = median_seconds(inline, repeat=repeat)
    report(f"ensemble of {members} MAFs, {workers} processes", t_pool, "one after another", t_inline)


if __name__ == "__main__":
    main()
