"""Training 64 MLPs (width 64, depth 3, batch 256) for the same number of SGD steps, one thread:
physml's vectorised MLPEnsemble (one batched matmul per layer for all members) against a Python
loop over 64 separate MLPs with their own optimisers. Target: at least 2.5x (issue 5).

Both include initialisation. The two are timed alternately and the speed-up is the median of the
paired ratios, which cancels the machine's drifting speed. With tanh both sides spend much of their
time evaluating torch.tanh itself (3-4 ns per element on the project's CPU, the same work in either
layout), which caps that ratio; docs/nets.md has the measurements."""

from __future__ import annotations

from _harness import paired_seconds, report


def main(repeat: int = 7) -> None:
    for activation in ("relu", "tanh"):
        _compare(activation, repeat)


def _compare(activation: str, repeat: int) -> None:
    import torch

    from physml.nets import MLP, MLPEnsemble, initialize, train_ensemble

    torch.set_num_threads(1)
    n_models, widths, batch, steps = 64, (8, 64, 64, 64, 1), 256, 20
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch * steps, widths[0], generator=g)
    y = torch.sin(x.sum(dim=1, keepdim=True))

    def vectorised() -> None:
        ens = MLPEnsemble(n_models, widths, activation, seed=1)
        train_ensemble(ens, x, y, "mse", epochs=1, batch_size=batch, learning_rate=0.01, seed=2)

    def loop() -> None:
        for i in range(n_models):
            net = initialize(MLP(widths, activation), seed=i)
            opt = torch.optim.SGD(net.parameters(), lr=0.01)
            order = torch.randperm(len(x), generator=torch.Generator().manual_seed(i))
            for start in range(0, len(x), batch):
                idx = order[start : start + batch]
                loss = ((net(x[idx]) - y[idx]) ** 2).mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

    t_vec, t_loop, ratio = paired_seconds(vectorised, loop, repeat=repeat)
    report(
        f"{n_models} {activation} MLPs 8-64-64-64-1, {steps} steps, batch {batch}",
        t_vec,
        "python loop",
        t_loop,
        "(median of paired ratios)",
        ratio=ratio,
    )


if __name__ == "__main__":
    main()
