"""The q-state Potts model on the periodic square lattice: energies, the order parameter, exact
enumeration of small lattices and heat-bath and Swendsen–Wang samplers of equilibrium
configurations.

Energy E(s) = −J Σ_<ij> δ(s_i, s_j) over nearest-neighbour bonds (each bond once), s_i ∈ {0, ..., q−1},
Boltzmann weight exp(−E/T). The order parameter of a configuration is
m = (q · max_a n_a / N − 1) / (q − 1) with n_a the number of sites in state a (0 when all states
are equally filled, 1 when ordered). The 2D ferromagnet orders at T_c = J / ln(1 + √q)
(Baxter, "Exactly solved models in statistical mechanics", 1982); the transition is continuous
for q ≤ 4.

:class:`PottsLattice` is the model, :class:`PottsSampler` its sampler (the shape of the Ising
samplers: ``init_state``/``sample``/``sweep``/``spins``, the chains in a :class:`PottsChains`
state): heat bath (each site drawn from its exact conditional given its four neighbours, one
colour class of non-neighbouring sites at a time: the checkerboard for even L, three or four
classes for odd L, which has no two-colouring) or Swendsen–Wang clusters, vectorised over
independent replicas. :func:`potts_configurations` draws a data set with it. numpy and scipy, no
PyTorch.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse
from scipy.sparse.csgraph import connected_components

from physml._core import as_generator, check_choice, check_int, check_real, check_seed

__all__ = [
    "POTTS_MAX_ENUMERATION_SITES",
    "PottsChains",
    "PottsExact",
    "PottsLattice",
    "PottsSampler",
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


# ----------------------------------------------------------------------------------------------
# the model and its sampler
# ----------------------------------------------------------------------------------------------

_RULES = ("heat-bath", "swendsen-wang")
_NEIGHBOURS = ((1, 0), (-1, 0), (0, 1), (0, -1))


class PottsLattice:
    """The q-state Potts model on the periodic L×L lattice, E = −J Σ_<ij> δ(s_i, s_j).

    Parameters
    ----------
    L : int
        Linear size, ``>= 2`` (for ``L = 2`` each pair of neighbours is joined by two bonds).
    q : int
        States per site, ``>= 2``.
    J : float
        Coupling (``> 0`` ferromagnetic).
    """

    def __init__(self, L: int, q: int = 3, J: float = 1.0) -> None:
        self.L = check_int(L, "L", low=2)
        self.q = check_int(q, "q", low=2)
        self.J = check_real(J, "J")

    @property
    def n_sites(self) -> int:
        return self.L * self.L

    @property
    def shape(self) -> tuple[int, int]:
        return (self.L, self.L)

    def __repr__(self) -> str:
        return f"PottsLattice(L={self.L}, q={self.q}, J={self.J:g})"

    def _configs(self, s: Any) -> np.ndarray:
        s = _check_configs(s, self.q)
        if s.shape[-2:] != self.shape:
            raise ValueError(f"configurations must have shape (..., {self.L}, {self.L}) for {self!r}, "
                             f"got {s.shape}")
        return s

    def energy(self, s: Any) -> np.ndarray:
        """Total energy of configurations of shape (..., L, L)."""
        return potts_energy(self._configs(s), self.J)

    def energy_per_site(self, s: Any) -> np.ndarray:
        return self.energy(s) / self.n_sites

    def order_parameter(self, s: Any) -> np.ndarray:
        """m = (q max_a n_a / N − 1)/(q − 1), shape (...)."""
        return potts_order_parameter(self._configs(s), self.q)

    def critical_temperature(self) -> float:
        """T_c = J / ln(1 + √q) (ferromagnet, J > 0)."""
        if self.J <= 0:
            raise ValueError(f"the Potts model has a critical temperature for J > 0 only, got J={self.J:g}")
        return potts_critical_temperature(self.q, self.J)


@dataclass
class PottsChains:
    """Replicas of a :class:`PottsSampler`, made by its ``init_state`` and advanced in place by its
    ``sample`` (or ``sweep``).

    Attributes
    ----------
    spins : numpy.ndarray of int8, shape (n_replicas, L, L)
        States 0, ..., q−1 of every replica.
    rng : numpy.random.Generator
        The replicas' random stream.
    sweeps : int
        Sweeps done so far.
    """

    spins: np.ndarray
    rng: np.random.Generator
    sweeps: int = 0


def _colour_classes(size: int) -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Sets of sites of the periodic size×size lattice no two of which are neighbours, from a
    greedy colouring in row-major order: the two checkerboard colours for even L (an odd torus
    has no two-colouring and gets three or four)."""
    colour = np.full((size, size), -1, dtype=np.int64)
    for i, j in itertools.product(range(size), range(size)):
        taken = {int(colour[(i + di) % size, (j + dj) % size]) for di, dj in _NEIGHBOURS}
        colour[i, j] = min(c for c in range(5) if c not in taken)
    return tuple(tuple(np.nonzero(colour == c)) for c in range(int(colour.max()) + 1))  # type: ignore[misc]


def _heat_bath(s: np.ndarray, rows: np.ndarray, cols: np.ndarray, q: int, k: float,
               rng: np.random.Generator) -> None:
    """Heat-bath update of the sites (rows, cols), no two of them neighbours, of every replica in
    s (n_replicas, L, L), in place: each drawn from exp(k · #neighbours in state a), k = J/T."""
    size = s.shape[-1]
    nb = np.stack([s[:, (rows + 1) % size, cols], s[:, (rows - 1) % size, cols],
                   s[:, rows, (cols + 1) % size], s[:, rows, (cols - 1) % size]], axis=-1)
    x = k * (nb[..., None] == np.arange(q)).sum(-2)  # (replicas, sites, q)
    c = np.cumsum(np.exp(x - x.max(-1, keepdims=True)), -1)
    u = rng.random(c.shape[:-1] + (1,)) * c[..., -1:]
    s[:, rows, cols] = (u >= c).sum(-1)


def _swendsen_wang(s: np.ndarray, q: int, p_bond: float, rng: np.random.Generator) -> None:
    """One Swendsen–Wang update of every replica in s (n_replicas, L, L), in place: each bond
    between equal neighbours is occupied with probability p = 1 − exp(−J/T), and every cluster of
    occupied bonds gets a new state drawn uniformly from 0, ..., q−1."""
    r, size, _ = s.shape
    idx = np.arange(s.size).reshape(s.shape)
    src, dst = [], []
    for axis in (1, 2):
        occupied = (s == np.roll(s, -1, axis=axis)) & (rng.random(s.shape) < p_bond)
        src.append(idx[occupied])
        dst.append(np.roll(idx, -1, axis=axis)[occupied])
    a, b = np.concatenate(src), np.concatenate(dst)
    graph = scipy.sparse.coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(s.size, s.size))
    n_clusters, labels = connected_components(graph, directed=False)
    s[...] = rng.integers(q, size=n_clusters, dtype=s.dtype)[labels].reshape(r, size, size)


class PottsSampler:
    """Heat-bath or Swendsen–Wang sampler of :class:`PottsLattice`, many replicas at once.

    * ``rule="heat-bath"``: each site is drawn from its exact conditional given its four
      neighbours; the sites of one colour class (no two of them neighbours: the checkerboard for
      even L, a greedy colouring with three or four classes for odd L) are updated together,
      vectorised over the replicas. One sweep updates every site once. Any J.
    * ``rule="swendsen-wang"``: the cluster algorithm of Swendsen & Wang, Phys. Rev. Lett. 58,
      86 (1987), for J ≥ 0: bonds between equal neighbours are occupied with probability
      1 − exp(−J/T), clusters are found by :func:`scipy.sparse.csgraph.connected_components`, and
      each gets a uniformly drawn new state. One sweep is one such update. Its autocorrelation
      time grows much more slowly with L at T_c than the local update's.

    The sampler has the shape of every physml sampler (docs/ebm.md, "Samplers"):
    ``state = sampler.init_state(seed, start=...)``, ``sampler.sample(state, n_steps, T)``
    advances it in place and returns it, ``sweep(state, T, n_sweeps, measure=True)`` also returns
    the energy per site and the order parameter after every sweep, and ``spins(state)`` gives
    the configurations.

    Parameters
    ----------
    model : PottsLattice
    rule : {"heat-bath", "swendsen-wang"}
    n_replicas : int
        Independent chains.
    """

    def __init__(self, model: PottsLattice, *, rule: str = "heat-bath", n_replicas: int = 64) -> None:
        if not isinstance(model, PottsLattice):
            raise TypeError(f"model must be a PottsLattice, got {type(model).__name__}")
        self.model = model
        self.rule = check_choice(rule, "rule", _RULES)
        self.n_replicas = check_int(n_replicas, "n_replicas", low=1)
        if self.rule == "swendsen-wang" and model.J < 0:
            raise ValueError(f"the Swendsen-Wang sampler needs J >= 0 (a ferromagnet), got J={model.J:g}; "
                             "use rule='heat-bath'")
        self._classes = _colour_classes(model.L) if self.rule == "heat-bath" else ()

    def __repr__(self) -> str:
        return f"PottsSampler({self.model!r}, rule={self.rule!r}, n_replicas={self.n_replicas})"

    def init_state(self, seed: int | np.random.Generator, *, start: Any = "random") -> PottsChains:
        """Fresh replicas: ``start`` "random" (uniform states), "ordered" (all in state 0), or
        configurations of shape (L, L) (every replica) or (n_replicas, L, L). A Generator as
        ``seed`` is used as it is (shared)."""
        rng = as_generator(seed)
        shape = (self.n_replicas, *self.model.shape)
        if isinstance(start, str):
            check_choice(start, "start", ("random", "ordered"))
            if start == "random":
                spins = rng.integers(self.model.q, size=shape, dtype=np.int8)
            else:
                spins = np.zeros(shape, dtype=np.int8)
        else:
            given = self.model._configs(start)
            if given.shape not in (self.model.shape, shape):
                raise ValueError(f"start must have shape {self.model.shape} or {shape}, got {given.shape}")
            spins = np.array(np.broadcast_to(given, shape), dtype=np.int8)
        return PottsChains(spins, rng)

    def _check_state(self, state: PottsChains) -> None:
        if not isinstance(state, PottsChains):
            raise TypeError(f"state must be the PottsChains of init_state, got {type(state).__name__}")
        shape = (self.n_replicas, *self.model.shape)
        if state.spins.shape != shape:
            raise ValueError(f"state has spins of shape {state.spins.shape}; this sampler needs {shape}")

    def spins(self, state: PottsChains) -> np.ndarray:
        """Configurations of the replicas, int8 of shape (n_replicas, L, L) (a copy)."""
        self._check_state(state)
        return state.spins.copy()

    def sweep(self, state: PottsChains, T: float, n_sweeps: int = 1, *,
              measure: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
        """Advance ``state`` in place by ``n_sweeps`` sweeps at temperature ``T``; when ``measure``,
        returns the energy per site and the order parameter after every sweep, arrays of shape
        (n_sweeps, n_replicas)."""
        self._check_state(state)
        t = check_real(T, "T", low=0.0, low_open=True)
        n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
        model, s, rng = self.model, state.spins, state.rng
        k = model.J / t
        p_bond = -math.expm1(-k) if self.rule == "swendsen-wang" else 0.0
        e = np.zeros((n_sweeps, self.n_replicas)) if measure else None
        m = np.zeros((n_sweeps, self.n_replicas)) if measure else None
        for n in range(n_sweeps):
            if self.rule == "heat-bath":
                for rows, cols in self._classes:
                    _heat_bath(s, rows, cols, model.q, k, rng)
            else:
                _swendsen_wang(s, model.q, p_bond, rng)
            if measure:
                e[n] = potts_energy(s, model.J) / model.n_sites
                m[n] = potts_order_parameter(s, model.q)
        state.sweeps += n_sweeps
        return (e, m) if measure else None

    def sample(self, state: PottsChains, n_steps: int, T: float) -> PottsChains:
        """Advance ``state`` in place by ``n_steps`` sweeps at temperature ``T``; returns it."""
        self.sweep(state, T, n_steps, measure=False)
        return state


def potts_configurations(
    size: int,
    q: int,
    temperature: float,
    n_samples: int,
    *,
    coupling: float = 1.0,
    rule: str = "heat-bath",
    n_chains: int = 50,
    burn_in: int = 500,
    thin: int = 10,
    start: str = "ordered",
    seed: int | np.random.Generator = 0,
) -> np.ndarray:
    """Equilibrium configurations of the q-state Potts model on the periodic L×L lattice.

    A :class:`PottsSampler` (``rule`` "heat-bath" or "swendsen-wang") runs ``n_chains``
    independent chains from an ordered (all in state 0) or random (``start="random"``) start,
    ``burn_in`` sweeps, then gives one configuration every ``thin`` sweeps until ``n_samples`` are
    collected (in rounds over the chains).

    Returns
    -------
    numpy.ndarray of shape (n_samples, L, L), dtype int64
        States 0, ..., q−1.
    """
    size = check_int(size, "size", low=2)
    t = check_real(temperature, "temperature", low=0.0, low_open=True)
    n_samples = check_int(n_samples, "n_samples", low=1)
    burn_in = check_int(burn_in, "burn_in", low=0)
    thin = check_int(thin, "thin", low=1)
    check_choice(start, "start", ("ordered", "random"))
    sampler = PottsSampler(PottsLattice(size, q, coupling), rule=rule,
                           n_replicas=check_int(n_chains, "n_chains", low=1))
    state = sampler.sample(sampler.init_state(check_seed(seed), start=start), burn_in, t)
    out = []
    for _ in range(-(-n_samples // sampler.n_replicas)):
        out.append(sampler.sample(state, thin, t).spins.astype(np.int64))
    return np.concatenate(out)[:n_samples]
