"""Correlation dimension of 20,000 Hénon points: physml (k-d-tree pair counts over an automatic
scaling range, with subsampling errors) against scikit-dimension's CorrInt algorithm (two radii,
an O(N**2) all-pairs count) in the same run, and peak memory at N = 20,000 and 200,000.

The baseline is CorrInt itself when scikit-dimension is importable, else the same algorithm
written out here (median k1-th / k2-th neighbour distances, chunked all-pairs count as in
skdim 0.5). The accepted value is 1.21 +- 0.01 (Grassberger & Procaccia 1983).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from _harness import median_seconds, report

ACCEPTED = 1.21
N = 20000


def corrint_bruteforce(x, k1: int = 10, k2: int = 20) -> float:
    """scikit-dimension's CorrInt: slope of ln C between the median k1-th and k2-th neighbour
    distances, the pairs counted over the full N x N distance matrix in chunks."""
    import numpy as np
    from sklearn.metrics import pairwise_distances_chunked
    from sklearn.neighbors import NearestNeighbors

    dists, _ = NearestNeighbors(n_neighbors=k2 + 1).fit(x).kneighbors(x)
    r1, r2 = np.median(dists[:, k1]), np.median(dists[:, k2])
    s1 = s2 = -len(x)
    for chunk in pairwise_distances_chunked(x):
        s1 += int((chunk < r1).sum())
        s2 += int((chunk < r2).sum())
    return float(np.log(s2 / s1) / np.log(r2 / r1))


def baseline():
    try:
        import skdim
    except ImportError:
        return "CorrInt O(N²) (re-implemented)", corrint_bruteforce
    return f"skdim {skdim.__version__} CorrInt", lambda x: float(skdim.id.CorrInt().fit(x).dimension_)


_PEAK = """
import json
import numpy as np
import scipy.spatial  # imported before the baseline reading: modules are not data
from physml.geometry import CorrelationDimension
from physml.scaling import fit_power_law
CorrelationDimension(n_subsamples=0).fit(np.random.default_rng(0).random((100, 2)))  # warm every import
x = np.load({path!r})

def hwm():
    with open("/proc/self/status") as fh:
        return int(next(line for line in fh if line.startswith("VmHWM")).split()[1])

with open("/proc/self/clear_refs", "w") as fh:  # reset the peak (a fork inherits the parent's)
    fh.write("5")
before = hwm()
d = CorrelationDimension(seed=0).fit(x).dimension_
after = hwm()
print(json.dumps({{"before_kib": before, "after_kib": after, "dimension": d}}))
"""


def peak_memory(n: int) -> dict:
    """Growth of the peak resident memory (Linux VmHWM) of a fresh process during the fit (KiB);
    the points are read from a file so that generating them does not set the peak."""
    import numpy as np

    from physml.data import henon

    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1] / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "henon.npy")
        np.save(path, henon(n, seed=1))
        out = subprocess.run([sys.executable, "-c", _PEAK.format(path=path)], capture_output=True, text=True,
                             check=True, env=env)
    return json.loads(out.stdout)


def main(repeat: int = 3) -> None:
    from physml.data import henon
    from physml.geometry import CorrelationDimension

    x = henon(N, seed=1)
    name, other = baseline()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = CorrelationDimension(seed=0).fit(x)
        theirs = other(x)
        t_ours = median_seconds(lambda: CorrelationDimension(seed=0).fit(x), repeat=repeat)
        t_theirs = median_seconds(lambda: other(x), repeat=repeat, warmup=0)
    errors = f"|error| {abs(ours.dimension_ - ACCEPTED):.3f} vs {abs(theirs - ACCEPTED):.3f}"
    accuracy = (f"D2 physml {ours.dimension_:.3f} ± {ours.dimension_err_:.3f} vs {theirs:.3f} "
                f"(accepted {ACCEPTED}; {errors})")
    report(f"correlation dimension, Hénon N={N}", t_ours, name, t_theirs, accuracy)
    small, large = peak_memory(N), peak_memory(10 * N)
    grow_small = small["after_kib"] - small["before_kib"]
    grow_large = large["after_kib"] - large["before_kib"]
    print(f"peak memory growth during the fit: N={N}: {grow_small / 1024:.1f} MiB, N={10 * N}: "
          f"{grow_large / 1024:.1f} MiB (ratio {grow_large / max(grow_small, 1):.1f} for 10x the points; "
          f"an N x N float64 matrix at N={10 * N} would be {(10 * N) ** 2 * 8 / 2**30:.0f} GiB); "
          f"D2 at N={10 * N}: {large['dimension']:.3f}", flush=True)


if __name__ == "__main__":
    main()
