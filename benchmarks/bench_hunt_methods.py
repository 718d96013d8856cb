"""The weakly supervised hunt's methods compared (issue 19): time per hunt, and sensitivity.

``make bench`` (``main()``): the time of one hunt of a 20,000-event toy box (data only, no
surrogates, one worker) for CWoLa, CATHODE and ANODE (Gaussian-mixture densities), each against
CWoLa's time.

``python benchmarks/bench_hunt_methods.py --sensitivity`` (tens of minutes; not in ``make bench``):
on toy boxes of ``--size`` QCD events plus ``n_signal`` resonance events at an undisclosed mass
(uniform in 3-5 TeV, drawn per box), the fraction of boxes in which each method finds the signal
(global p < 0.01 and the reported mass within ±200 GeV of the true one), with its binomial error,
for several ``n_signal``. Methods: ``cwola``, ``cathode``, ``anode`` (:func:`physml.anomaly.weak_hunt`),
``cut`` (:func:`physml.anomaly.bump_hunt` after a good guessed cut, τ21 < 0.5 on both jets: the toy's
signal jets are two-pronged) and ``plain`` (the bump hunt without a cut). Every method sees the
same boxes (paired). The learnt methods' global p-value is each box's largest local Z against the
largest local Z of ``--null`` signal-free boxes hunted the same way
(:func:`physml.anomaly.global_p_value`: counting, then the trials-factor extrapolation, as
``weak_hunt`` does with that many surrogates; the signal-free boxes stand in for surrogates, which
the false-positive rate of ``lhco-weak-hunt`` shows to be distributed alike); the bump hunts
calibrate on their own 200 pseudo-experiments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from _harness import median_seconds, report

COLS = ("mj1", "mj2", "tau21_j1", "tau21_j2")
WEAK = ("cwola", "cathode", "anode")


def _box(n_qcd: int, n_signal: int, seed: int) -> tuple[np.ndarray, np.ndarray, float]:
    from physml._core import spawn_seeds
    from physml.data.collider import dijet_toy

    s_mass, s_events = spawn_seeds(seed, 2)
    mass = float(np.random.default_rng(s_mass).uniform(3000.0, 5000.0))
    ev = dijet_toy(n_qcd, n_signal, m_resonance=mass, seed=s_events)
    return np.column_stack([ev[c] for c in COLS]), ev["mjj"], mass


def main(repeat: int = 1) -> None:
    from physml import anomaly
    from physml.parallel import InlineExecutor

    X, m, _ = _box(20000, 0, seed=0)
    times = {}
    with InlineExecutor() as inline:
        for method in WEAK:
            def run(method: str = method) -> None:
                anomaly.weak_hunt(X, m, method=method, n_pseudo=0, seed=0, executor=inline)

            times[method] = median_seconds(run, repeat=repeat, warmup=0)
    for method in WEAK:
        report(f"weak hunt {method}, 20k events, 1 worker", times[method], "cwola", times["cwola"])


def sensitivity(n_boxes: int, signals: list[int], n_null: int, size: int, workers: int, seed: int) -> dict:
    from physml import anomaly
    from physml._core import derive_seed
    from physml.parallel import InlineExecutor, ProcessExecutor

    executor = ProcessExecutor(workers) if workers > 1 else InlineExecutor()
    methods = (*WEAK, "cut", "plain")
    z_null: dict[str, list[float]] = {m: [] for m in WEAK}
    seconds: dict[str, list[float]] = {m: [] for m in methods}
    found = {m: {s: [] for s in signals} for m in methods}
    rows = []

    def hunt(method: str, X: np.ndarray, mjj: np.ndarray, s: int) -> tuple[float, float, float]:
        """(largest local Z, mass, global p or NaN) of one box."""
        t = time.perf_counter()
        if method in WEAK:
            r = anomaly.weak_hunt(X, mjj, method=method, n_pseudo=0, seed=s, executor=executor)
            out = (r.z_max, r.mass, float("nan"))
        else:
            keep = (X[:, 2] < 0.5) & (X[:, 3] < 0.5) if method == "cut" else np.ones(len(mjj), bool)
            try:
                r = anomaly.bump_hunt(mjj[keep], n_pseudo=200, seed=s)
                out = (r.z_max, r.mass, r.p_global)
            except ValueError:  # too few events left for the fit: nothing found
                out = (float("nan"), float("nan"), 1.0)
        seconds[method].append(time.perf_counter() - t)
        return out

    with executor:
        for i in range(n_null):
            X, mjj, _ = _box(size, 0, seed=derive_seed(seed, "null", i))
            for method in WEAK:
                z_null[method].append(hunt(method, X, mjj, derive_seed(seed, "hunt null", i))[0])
                print(f"null box {i}: {method} Z_max {z_null[method][-1]:.2f}", file=sys.stderr, flush=True)
        for n_sig in signals:
            for b in range(n_boxes):
                X, mjj, true_mass = _box(size, n_sig, seed=derive_seed(seed, "box", n_sig, b))
                for method in methods:
                    z, mass, p = hunt(method, X, mjj, derive_seed(seed, "hunt", n_sig, b))
                    if method in WEAK:
                        p = anomaly.global_p_value(z, np.array(z_null[method]), what="signal-free box")[0]
                    ok = bool(p < 0.01 and abs(mass - true_mass) <= 200.0)
                    found[method][n_sig].append(ok)
                    rows.append({"method": method, "n_signal": n_sig, "box": b, "true_mass": true_mass,
                                 "z_max": z, "mass": mass, "p_global": p, "found": ok})
                    print(f"n_signal {n_sig} box {b}: {method} Z {z:.2f} mass {mass:.0f} "
                          f"(true {true_mass:.0f}) p {p:.2g} {'FOUND' if ok else '-'}", file=sys.stderr,
                          flush=True)
    table = {}
    for method in methods:
        table[method] = {"seconds_per_hunt": float(np.median(seconds[method]))}
        for n_sig in signals:
            k, n = int(np.sum(found[method][n_sig])), len(found[method][n_sig])
            f = k / n
            err = float(np.sqrt(f * (1 - f) / n))
            table[method][n_sig] = {"found": k, "boxes": n, "fraction": f, "err": err}
    return {"size": size, "n_null": n_null, "z_null": z_null, "table": table, "rows": rows}


def _print(result: dict, signals: list[int]) -> None:
    head = " | ".join(f"{s} signal" for s in signals)
    print(f"| method | {head} | s per hunt |")
    print("|---" * (len(signals) + 2) + "|")
    for method, t in result["table"].items():
        cells = " | ".join(f"{t[s]['found']}/{t[s]['boxes']} ({t[s]['fraction']:.2f} ± {t[s]['err']:.2f})"
                           for s in signals)
        print(f"| {method} | {cells} | {t['seconds_per_hunt']:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sensitivity", action="store_true")
    parser.add_argument("--boxes", type=int, default=8)
    parser.add_argument("--signals", default="50,100,150,200")
    parser.add_argument("--null", type=int, default=10)
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default=None, help="write the result here")
    args = parser.parse_args()
    if not args.sensitivity:
        main()
    else:
        sig = [int(s) for s in args.signals.split(",")]
        res = sensitivity(args.boxes, sig, args.null, args.size, args.workers, args.seed)
        _print(res, sig)
        if args.json:
            with open(args.json, "w") as fh:
                json.dump(res, fh, indent=1, default=str)
