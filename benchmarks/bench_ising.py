"""2D Ising Metropolis throughput at L = 1024 on one thread: physml's multi-spin coded checkerboard
sampler (64 replicas per uint64 word, numba) against vectorised numpy checkerboard Metropolis on one
int8 lattice, both measured in this run.

Throughput is attempted spin flips per nanosecond, ``L * L * replicas * sweeps / time``.  Two numpy
baselines: the textbook one (``np.roll`` neighbour sums over the whole lattice, a colour mask, one
uniform per site per half-sweep) and a tuned one that keeps the four sublattices of the
checkerboard as separate ``(L/2, L/2)`` arrays, so that it draws random numbers and computes only
for the sites it updates.  Issue targets: >= 5 flips/ns on one core and >= 100x the numpy baseline.
"""

from __future__ import annotations

import math
import time

import numpy as np

from _harness import machine, median_seconds, report

L = 1024
T = 2.0 / math.log(1.0 + math.sqrt(2.0))  # T_c, J = 1, h = 0


def numpy_textbook(spins: np.ndarray, beta: float, rng: np.random.Generator, n_sweeps: int) -> None:
    """Checkerboard Metropolis with full-lattice np.roll neighbour sums and colour masks."""
    n = spins.shape[0]
    ii, jj = np.indices(spins.shape)
    colours = [(ii + jj) % 2 == c for c in (0, 1)]
    accept = np.exp(-beta * np.arange(-8, 9, 2, dtype=np.float64)).clip(max=1.0)  # dE = -8 .. 8
    for _ in range(n_sweeps):
        for mask in colours:
            nb = np.roll(spins, 1, 0) + np.roll(spins, -1, 0) + np.roll(spins, 1, 1) + np.roll(spins, -1, 1)
            de = 2 * spins * nb  # in {-8, ..., 8}
            flip = mask & (rng.random((n, n), dtype=np.float32) < accept[(de + 8) // 2])
            spins[flip] *= -1


def numpy_sublattice(sub: list[np.ndarray], beta: float, rng: np.random.Generator, n_sweeps: int) -> None:
    """Checkerboard Metropolis on the four sublattices A = s[0::2, 0::2], B = s[0::2, 1::2],
    C = s[1::2, 0::2], D = s[1::2, 1::2] (colour 0: A, D; colour 1: B, C), updated in place."""
    a, b, c, d = sub
    accept = np.exp(-beta * np.arange(-8, 9, 2, dtype=np.float64)).clip(max=1.0).astype(np.float32)

    def update(x: np.ndarray, nb: np.ndarray) -> None:
        de = 2 * x * nb
        flip = rng.random(x.shape, dtype=np.float32) < accept[(de + 8) >> 1]
        np.negative(x, out=x, where=flip)

    for _ in range(n_sweeps):
        # A(2a, 2b): up C[a-1, b], down C[a, b], left B[a, b-1], right B[a, b]
        update(a, c + np.roll(c, 1, 0) + b + np.roll(b, 1, 1))
        # D(2a+1, 2b+1): up B[a, b], down B[a+1, b], left C[a, b], right C[a, b+1]
        update(d, b + np.roll(b, -1, 0) + c + np.roll(c, -1, 1))
        # B(2a, 2b+1): up D[a-1, b], down D[a, b], left A[a, b], right A[a, b+1]
        update(b, d + np.roll(d, 1, 0) + a + np.roll(a, -1, 1))
        # C(2a+1, 2b): up A[a, b], down A[a+1, b], left D[a, b-1], right D[a, b]
        update(c, a + np.roll(a, -1, 0) + d + np.roll(d, 1, 1))


def main(repeat: int = 3) -> None:
    import numba

    from physml.ebm import CheckerboardSampler, IsingLattice

    numba.set_num_threads(1)  # the kernels are serial; this keeps any numba parallel code to one core
    beta = 1.0 / T
    rng = np.random.default_rng(0)

    # physml: 64 replicas, fast two-class Metropolis path, no measurement inside the timed sweeps
    model = IsingLattice(L)
    sampler = CheckerboardSampler(model, rule="metropolis", n_replicas=64)
    state = sampler.init_state(0)
    sampler.sweep(state, T, 20, measure=False)  # compile and leave the random start
    n_ours = 10
    t_ours = median_seconds(lambda: sampler.sweep(state, T, n_ours, measure=False), repeat=repeat)
    cpu = time.process_time()
    sampler.sweep(state, T, n_ours, measure=False)
    cpu = time.process_time() - cpu
    ours = L * L * 64 * n_ours / t_ours / 1e9

    heat = CheckerboardSampler(model, rule="heat-bath", n_replicas=64)
    hstate = heat.init_state(1)
    heat.sweep(hstate, T, 5, measure=False)
    t_heat = median_seconds(lambda: heat.sweep(hstate, T, 4, measure=False), repeat=repeat)
    t_meas = median_seconds(lambda: sampler.sweep(state, T, 4, measure=True), repeat=repeat)

    # numpy baselines on one lattice
    spins = rng.choice(np.array([-1, 1], np.int8), size=(L, L))
    n_np = 2
    t_text = median_seconds(lambda: numpy_textbook(spins, beta, rng, n_np), repeat=repeat)
    sub = [np.ascontiguousarray(spins[i::2, j::2]) for i, j in ((0, 0), (0, 1), (1, 0), (1, 1))]
    t_sub = median_seconds(lambda: numpy_sublattice(sub, beta, rng, n_np), repeat=repeat)
    text = L * L * n_np / t_text / 1e9
    tuned = L * L * n_np / t_sub / 1e9

    # report() compares equal work: the time for one sweep of 64 lattices of 1024 x 1024
    per64 = lambda t, n, reps: t / (n * reps) * 64  # noqa: E731
    report(
        "Ising Metropolis L=1024, 64 lattices, 1 thread",
        per64(t_ours, n_ours, 64),
        "numpy",
        per64(t_text, n_np, 1),
        f"flips/ns physml {ours:.2f} (cpu-time {L * L * 64 * n_ours / cpu / 1e9:.2f}) vs numpy {text:.4f}",
    )
    report(
        "  same, tuned numpy (sublattice arrays)",
        per64(t_ours, n_ours, 64),
        "numpy",
        per64(t_sub, n_np, 1),
        f"flips/ns numpy {tuned:.4f}",
    )
    print(
        f"  physml heat-bath {L * L * 64 * 4 / t_heat / 1e9:.2f} flips/ns; Metropolis with per-sweep "
        f"energy/magnetisation of every replica {L * L * 64 * 4 / t_meas / 1e9:.2f} flips/ns; "
        f"targets >= 5 flips/ns and >= 100x: {'met' if ours >= 5 and ours / text >= 100 else 'NOT met'} "
        f"(x{ours / text:.0f} textbook, x{ours / tuned:.0f} tuned numpy)   [{machine()}]",
        flush=True,
    )


if __name__ == "__main__":
    main()
