"""The q-state Potts model on the periodic square lattice: energies, the order parameter, exact
enumeration of small lattices and a heat-bath sampler of equilibrium configurations.

Energy E(s) = −J Σ_<ij> δ(s_i, s_j) over nearest-neighbour bonds (each bond once), s_i ∈ {0, ..., q−1},
Boltzmann weight exp(−E/T). The order parameter of a configuration is
m = (q · max_a n_a / N − 1) / (q − 1) with n_a the number of sites in state a (0 when all states
are equally filled, 1 when ordered). The 2D ferromagnet orders at T_c = J / ln(1 + √q)
(Baxter, "Exactly solved models in statistical mechanics", 1982); the transition is continuous
for q ≤ 4.

The sampler updates one sublattice of a checkerboard at a time when L is even (sites of one
colour do not interact) and the sites one by one when L is odd (a periodic odd lattice has no
two-colouring); every update draws s_i from its exact conditional given its four neighbours
(heat bath), vectorised over independent chains. Pure numpy, no PyTorch.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from physml._core import check_int, check_real, check_seed

__all__ = [
    "POTTS_MAX_ENUMERATION_SITES",
    "PottsExact",
    "potts_configurations",
    "potts_critical_temperature",
    "potts_energy",
    "potts_exact",
    "potts_order_parameter",
]

#: q^N states are enumerated; the limit is on q^N (about 4 million).
POTTS_MAX_ENUMERATION_SITES = 4_200_000


def potts_critical_temperature(q: int, coupling: float = 1.0) -> float:
    """T_c = J / ln(1 + √q) of the 2D square-lattice Potts ferromagnet."""
    q = check_int(q, "q", low=2)
    return float(coupling) / math.log1p(math.sqrt(q))


def _check_configs(s: np.ndarray, q: int | None) -> np.ndarray:
    s = np.asarray(s)
    if s.ndim < 2 or s.shape[-1] != s.shape[-2]:
        raise ValueError(f"configurations must have shape (..., L, L), got {s.shape}")
    if s.dtype.kind not in "iub":
        if s.dtype.kind != "f" or not np.all(np.isfinite(s)) or np.any(s != np.round(s)):
            raise ValueError("configurations must hold integer states 0, ..., q-1")
        s = s.astype(np.int64)
    if s.size and (s.min() < 0 or (q is not None and s.max() >= q)):
        bad = s.max() if q is not None and s.max() >= q else s.min()
        raise ValueError(f"configurations hold state {int(bad)}, outside 0, ..., {q - 1 if q else 'q-1'} "
                         f"(q = {q})")
    return s


def potts_energy(s: np.ndarray, coupling: float = 1.0) -> np.ndarray:
    """E(s) = −J Σ_<ij> δ(s_i, s_j) of configurations of shape (..., L, L), periodic boundaries."""
    s = _check_configs(s, None)
    same = (s == np.roll(s, 1, axis=-1)).sum((-1, -2)) + (s == np.roll(s, 1, axis=-2)).sum((-1, -2))
    return -float(coupling) * same.astype(np.float64)


def potts_order_parameter(s: np.ndarray, q: int) -> np.ndarray:
    """m = (q max_a n_a / N − 1)/(q − 1) of configurations of shape (..., L, L)."""
    q = check_int(q, "q", low=2)
    s = _check_configs(s, q)
    n = s.shape[-1] * s.shape[-2]
    flat = s.reshape(*s.shape[:-2], n)
    counts = np.stack([(flat == a).sum(-1) for a in range(q)], axis=-1)
    return (q * counts.max(-1) / n - 1.0) / (q - 1.0)


@dataclass(frozen=True)
class PottsExact:
    """Exact thermal averages per site at one temperature: ``energy`` ⟨E⟩/N, ``order`` ⟨m⟩,
    ``specific_heat`` (⟨E²⟩ − ⟨E⟩²)/(N T²), ``log_partition`` log Z."""

    temperature: float
    energy: float
    order: float
    specific_heat: float
    log_partition: float


def potts_exact(size: int, q: int, temperature: float, coupling: float = 1.0) -> PottsExact:
    """Exact enumeration of all q^(L²) configurations of the periodic L×L lattice.

    Raises
    ------
    ValueError
        When q^(L²) exceeds :data:`POTTS_MAX_ENUMERATION_SITES`.
    """
    size = check_int(size, "size", low=2)
    q = check_int(q, "q", low=2)
    t = check_real(temperature, "temperature", low=0.0, low_open=True)
    n = size * size
    if q**n > POTTS_MAX_ENUMERATION_SITES:
        raise ValueError(f"exact enumeration of a {size}x{size} lattice with q = {q} has {q}^{n} states; "
                         f"the limit is {POTTS_MAX_ENUMERATION_SITES}")
    energies = []
    orders = []
    for chunk in _all_configs(size, q):
        energies.append(potts_energy(chunk, coupling))
        orders.append(potts_order_parameter(chunk, q))
    e = np.concatenate(energies)
    m = np.concatenate(orders)
    log_w = -e / t
    log_z = float(np.logaddexp.reduce(log_w))
    p = np.exp(log_w - log_z)
    mean_e = float(p @ e)
    var_e = float(p @ (e - mean_e) ** 2)
    return PottsExact(t, mean_e / n, float(p @ m), var_e / (n * t * t), log_z)


def _all_configs(size: int, q: int, chunk: int = 2**16):
    n = size * size
    total = q**n
    powers = q ** np.arange(n, dtype=np.int64)
    for start in range(0, total, chunk):
        idx = np.arange(start, min(start + chunk, total), dtype=np.int64)
        yield ((idx[:, None] // powers) % q).reshape(-1, size, size)


def _heat_bath(s: np.ndarray, rows: np.ndarray, cols: np.ndarray, q: int, k: float,
               rng: np.random.Generator) -> None:
    """Heat-bath update of the sites (rows, cols) of every chain in s (n_chains, L, L), in place."""
    size = s.shape[-1]
    nb = np.stack([s[:, (rows + 1) % size, cols], s[:, (rows - 1) % size, cols],
                   s[:, rows, (cols + 1) % size], s[:, rows, (cols - 1) % size]], axis=-1)
    counts = (nb[..., None] == np.arange(q)).sum(-2)  # (chains, sites, q)
    w = np.exp(k * (counts - counts.max(-1, keepdims=True)))
    c = np.cumsum(w, -1)
    u = rng.random(c.shape[:-1] + (1,)) * c[..., -1:]
    s[:, rows, cols] = (u >= c).sum(-1)


def _sweep(s: np.ndarray, q: int, k: float, rng: np.random.Generator) -> None:
    size = s.shape[-1]
    if size % 2 == 0:
        ii, jj = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
        for colour in (0, 1):
            mask = (ii + jj) % 2 == colour
            _heat_bath(s, ii[mask], jj[mask], q, k, rng)
    else:
        for i, j in itertools.product(range(size), range(size)):
            _heat_bath(s, np.array([i]), np.array([j]), q, k, rng)


def potts_configurations(
    size: int,
    q: int,
    temperature: float,
    n_samples: int,
    *,
    coupling: float = 1.0,
    n_chains: int = 50,
    burn_in: int = 500,
    thin: int = 10,
    start: str = "ordered",
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Equilibrium configurations of the q-state Potts model on the periodic L×L lattice.

    ``n_chains`` independent heat-bath chains start ordered (all in state 0) or random
    (``start="random"``), run ``burn_in`` sweeps, then give one configuration every ``thin``
    sweeps until ``n_samples`` are collected (in rounds over the chains).

    Returns
    -------
    numpy.ndarray of shape (n_samples, L, L), dtype int64
        States 0, ..., q−1.
    """
    size = check_int(size, "size", low=2)
    q = check_int(q, "q", low=2)
    t = check_real(temperature, "temperature", low=0.0, low_open=True)
    n_samples = check_int(n_samples, "n_samples", low=1)
    n_chains = check_int(n_chains, "n_chains", low=1)
    burn_in = check_int(burn_in, "burn_in", low=0)
    thin = check_int(thin, "thin", low=1)
    if start not in ("ordered", "random"):
        raise ValueError(f"start must be 'ordered' or 'random', got {start!r}")
    seed = check_seed(seed)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    k = float(coupling) / t
    if start == "ordered":
        s = np.zeros((n_chains, size, size), dtype=np.int64)
    else:
        s = rng.integers(q, size=(n_chains, size, size))
    for _ in range(burn_in):
        _sweep(s, q, k, rng)
    out = []
    collected = 0
    while collected < n_samples:
        for _ in range(thin):
            _sweep(s, q, k, rng)
        out.append(s.copy())
        collected += n_chains
    return np.concatenate(out)[:n_samples]
