"""Ising models, their Monte Carlo samplers and a simulation driver.

The NetKet split: a *model* (:class:`IsingLattice`, :class:`IsingGraph`) knows its energy; a
*sampler* (:class:`CheckerboardSampler`, :class:`WolffSampler`, :class:`GraphSampler`) advances a
:class:`ChainState` of many replicas at a temperature; the *driver* :func:`simulate` runs a sampler
and turns its time series into observables with error bars (:mod:`physml.ebm._mcmc_stats`).

The samplers have the shape of every physml sampler (docs/ebm.md, "Samplers"):
``state = sampler.init_state(seed, start=...)``, then ``sampler.sample(state, n_steps, T)``
advances the state in place and returns it (read the spins with ``sampler.spins(state)``);
``sweep(state, T, n_sweeps, measure=True)`` does the same and returns the energy and
magnetisation after every sweep. A sampler holds only the model and its settings.

Units: ``k_B = 1``; energies and temperatures in units of the couplings as given.  Spins are
``+1``/``-1`` (``int8``); a lattice configuration has shape ``(L, L)``, a graph one ``(n,)``, and
batches put the replica axis first.

Which sampler handles what
--------------------------
* :class:`CheckerboardSampler`: the L x L periodic lattice, any ``J`` and ``h``, Metropolis or
  heat-bath, checkerboard order, multi-spin coded (64 replicas per ``uint64`` word; see
  :mod:`physml.ebm._ising_kernels`).  ``L`` must be even, and ``>= 4`` for Metropolis at ``h = 0``
  (not ergodic on the 2 x 2 torus; see the class).  The Metropolis rule with ``h = 0`` and
  ``J > 0`` runs on a faster two-class path (about 3x the general one).
* :class:`WolffSampler`: the lattice at ``h = 0``, any ``L >= 2``; one int8 lattice per replica.
* :class:`GraphSampler`: any :class:`IsingGraph` (dense couplings), single-spin Metropolis or
  heat-bath in sequential order; one int8 configuration per replica.

Each sampler is single-threaded; run independent chains (temperatures, seeds) in parallel
processes for more throughput.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from physml._core import as_generator, check_array, check_choice, check_int, check_real
from physml.ebm import _ising_kernels as _k
from physml.ebm._mcmc_stats import (
    binning_analysis,
    integrated_autocorrelation_time,
    jackknife,
    replica_agreement,
)

__all__ = [
    "ChainState",
    "CheckerboardSampler",
    "Estimate",
    "GraphSampler",
    "IsingGraph",
    "IsingLattice",
    "IsingResult",
    "WolffSampler",
    "check_temperature",
    "simulate",
]

_RULES = ("metropolis", "heat-bath")


def check_temperature(T: Any, name: str = "T") -> float:
    """Validate a temperature: a finite real number ``> 0`` (``k_B = 1``)."""
    return check_real(T, name, low=0.0, low_open=True)


def _check_spins(spins: Any, tail: tuple[int, ...], what: str) -> np.ndarray:
    s = np.asarray(spins)
    if s.ndim < len(tail) or s.shape[s.ndim - len(tail) :] != tail:
        want = ", ".join(map(str, tail))
        raise ValueError(f"spins must have shape (..., {want}) for {what}, got {s.shape}")
    if s.dtype.kind not in "biuf":
        raise TypeError(f"spins must be numbers +1 or -1, got dtype {s.dtype}")
    bad = (s != 1) & (s != -1)
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"spins must be +1 or -1; found {s[idx].item()!r} at index {idx}")
    return s.astype(np.int8)


class IsingLattice:
    """Ising model on the periodic L x L square lattice.

    ``H = -J sum_<ij> s_i s_j - h sum_i s_i`` over the ``2 L**2`` nearest-neighbour bonds of the
    torus (for ``L = 2`` each pair of neighbours is joined by two bonds).

    Parameters
    ----------
    L : int
        Linear size, ``>= 2``.
    J : float
        Coupling (``> 0`` ferromagnetic).
    h : float
        Uniform field.
    """

    def __init__(self, L: int, J: float = 1.0, h: float = 0.0) -> None:
        self.L = check_int(L, "L", low=2)
        self.J = check_real(J, "J")
        self.h = check_real(h, "h")

    @property
    def n_sites(self) -> int:
        return self.L * self.L

    @property
    def shape(self) -> tuple[int, int]:
        return (self.L, self.L)

    def __repr__(self) -> str:
        return f"IsingLattice(L={self.L}, J={self.J:g}, h={self.h:g})"

    def energy(self, spins: Any) -> np.ndarray:
        """Total energy of configurations ``spins`` of shape ``(..., L, L)``; returns shape ``(...)``."""
        s = _check_spins(spins, self.shape, repr(self)).astype(np.int64)
        bonds = (s * (np.roll(s, -1, axis=-1) + np.roll(s, -1, axis=-2))).sum(axis=(-2, -1))
        return -self.J * bonds - self.h * s.sum(axis=(-2, -1))

    def energy_per_site(self, spins: Any) -> np.ndarray:
        """Energy per site ``E / L**2``, shape ``(...)``."""
        return self.energy(spins) / self.n_sites

    def magnetisation(self, spins: Any) -> np.ndarray:
        """Magnetisation per site ``m = sum_i s_i / L**2``, shape ``(...)``."""
        s = _check_spins(spins, self.shape, repr(self))
        return s.sum(axis=(-2, -1), dtype=np.int64) / self.n_sites

    def to_graph(self) -> IsingGraph:
        """The same model as an :class:`IsingGraph` (site ``i * L + j``; double bonds add up)."""
        L, n = self.L, self.n_sites
        J = np.zeros((n, n))
        idx = np.arange(n).reshape(L, L)
        for nb in (np.roll(idx, -1, axis=0), np.roll(idx, -1, axis=1)):
            np.add.at(J, (idx.ravel(), nb.ravel()), self.J)
            np.add.at(J, (nb.ravel(), idx.ravel()), self.J)
        return IsingGraph(J, np.full(n, self.h))


class IsingGraph:
    """Ising model with arbitrary couplings: ``H = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i``.

    Parameters
    ----------
    couplings : array, shape (n, n)
        Symmetric, zero diagonal, finite.
    fields : array, shape (n,), optional
        Local fields (default zero).
    """

    def __init__(self, couplings: Any, fields: Any = None) -> None:
        J = check_array(couplings, "couplings", ndim=2)
        n = J.shape[0]
        if J.shape != (n, n) or n < 1:
            raise ValueError(f"couplings must be a square (n, n) matrix with n >= 1, got shape {J.shape}")
        diag = np.nonzero(np.diag(J))[0]
        if len(diag):
            i = int(diag[0])
            raise ValueError(
                f"couplings must have a zero diagonal, got couplings[{i}, {i}] = {float(J[i, i])!r}"
            )
        scale = max(float(np.max(np.abs(J))), 1e-300)
        asym = np.abs(J - J.T) > 1e-12 * scale
        if np.any(asym):
            i, j = (int(v) for v in np.argwhere(asym)[0])
            raise ValueError(
                f"couplings must be symmetric: couplings[{i}, {j}] = {float(J[i, j])!r} but "
                f"couplings[{j}, {i}] = {float(J[j, i])!r}"
            )
        self.couplings = 0.5 * (J + J.T)
        self.fields = np.zeros(n) if fields is None else check_array(fields, "fields", shape=(n,))

    @property
    def n_sites(self) -> int:
        return self.couplings.shape[0]

    def __repr__(self) -> str:
        return f"IsingGraph(n_sites={self.n_sites})"

    def energy(self, spins: Any) -> np.ndarray:
        """Total energy of configurations ``spins`` of shape ``(..., n)``; returns shape ``(...)``."""
        s = _check_spins(spins, (self.n_sites,), repr(self)).astype(np.float64)
        return -0.5 * np.einsum("...i,ij,...j->...", s, self.couplings, s) - s @ self.fields

    def energy_per_site(self, spins: Any) -> np.ndarray:
        """Energy per site ``E / n``, shape ``(...)``."""
        return self.energy(spins) / self.n_sites

    def magnetisation(self, spins: Any) -> np.ndarray:
        """Magnetisation per site ``sum_i s_i / n``, shape ``(...)``."""
        s = _check_spins(spins, (self.n_sites,), repr(self))
        return s.sum(axis=-1, dtype=np.int64) / self.n_sites


# ----------------------------------------------------------------------------------------------
# samplers
# ----------------------------------------------------------------------------------------------


@dataclass
class ChainState:
    """Replicas of a sampler, made by its ``init_state`` and advanced in place by its ``sample``
    (or ``sweep``, which also measures).

    Attributes
    ----------
    data : numpy.ndarray
        Sampler-specific spin storage (packed words for :class:`CheckerboardSampler`, int8 spins
        otherwise); read configurations with the sampler's ``spins(state)``.
    rng : numpy.ndarray
        Sampler-specific random-number state (``uint64``), drawn from the seed.
    n_replicas : int
    sweeps : int
        Sweeps done so far.
    info : dict
        The sampler's name and sampler-specific extras (e.g. the Wolff sampler's clusters per
        sweep).
    """

    data: np.ndarray
    rng: np.ndarray
    n_replicas: int
    sweeps: int = 0
    info: dict = field(default_factory=dict)


def _initial_spins(
    gen: np.random.Generator, start: Any, n_replicas: int, tail: tuple[int, ...]
) -> np.ndarray:
    if isinstance(start, str):
        check_choice(start, "start", ("random", "up", "down"))
        if start == "random":
            return (2 * gen.integers(0, 2, size=(n_replicas, *tail), dtype=np.int8) - 1).astype(np.int8)
        return np.full((n_replicas, *tail), 1 if start == "up" else -1, dtype=np.int8)
    s = _check_spins(start, tail, f"start of shape {tail}")
    if s.shape == tail:
        s = np.broadcast_to(s, (n_replicas, *tail))
    if s.shape != (n_replicas, *tail):
        raise ValueError(f"start must have shape {tail} or {(n_replicas, *tail)}, got {s.shape}")
    return np.array(s, dtype=np.int8)


def _trapped(spins: np.ndarray) -> np.ndarray:
    """Per replica of ``(R, L, L)`` spins: whether every site has exactly two unlike neighbours."""
    out = np.zeros(spins.shape[0], bool)
    for r, s in enumerate(spins):  # one lattice at a time: int8 temporaries of L**2 bytes
        nb = np.roll(s, 1, -1) + np.roll(s, -1, -1) + np.roll(s, 1, -2) + np.roll(s, -1, -2)
        out[r] = not np.any(nb)
    return out


def _series_bytes(n_measure: int, n_replicas: int) -> int:
    """Peak size of the per-sweep time series and their derived arrays in :func:`simulate`."""
    return 16 * 8 * n_measure * n_replicas


class _Sampler:
    model: Any
    n_replicas: int

    def _data_shape(self) -> tuple[int, ...]:
        raise NotImplementedError

    def _check_state(self, state: ChainState) -> None:
        if not isinstance(state, ChainState):
            raise TypeError(f"state must be a ChainState from init_state, got {type(state).__name__}")
        if state.n_replicas != self.n_replicas:
            raise ValueError(f"state has {state.n_replicas} replicas but the sampler {self.n_replicas}")
        if state.info.get("sampler") != type(self).__name__ or state.data.shape != self._data_shape():
            raise ValueError(
                f"state was made by {state.info.get('sampler')} with data of shape {state.data.shape}; "
                f"this {type(self).__name__} needs its own state (shape {self._data_shape()}) from init_state"
            )


class CheckerboardSampler(_Sampler):
    """Checkerboard Metropolis or heat-bath sampler for :class:`IsingLattice`, multi-spin coded.

    Sites of one colour of the checkerboard are updated together (they do not interact), then the
    other colour: one sweep is ``L**2`` attempted flips per replica.  64 replicas share the bits of
    ``uint64`` words and are updated with bitwise logic; each replica has its own independent
    random numbers, so the replicas are independent chains.  Metropolis flips with probability
    ``min(1, exp(-dE/T))``, heat-bath with ``1 / (1 + exp(dE/T))``.

    Ergodicity of Metropolis at ``h = 0``: a spin with two unlike neighbours costs ``dE = 0`` and
    always flips, so the configurations in which *every* spin has two unlike neighbours (energy 0)
    are mapped onto each other deterministically, half-sweep after half-sweep, and form a closed
    class that no other configuration reaches (each half-sweep obeys detailed balance, so no
    configuration flows in either).  There are 4 of the 16 configurations at L = 2, 36 of
    ``2**16`` at L = 4 and 196 of ``2**36`` at L = 6.  The chain is exact on the rest, whose
    Boltzmann weight differs from 1 by at most their number over ``2**N`` (``Z >= 2**N``), i.e.
    5.5e-4 at L = 4 and 3e-9 at L = 6, and vanishes faster than any power beyond; at L = 2 the
    class carries a weight of 3 % at T = 2 and 5 % at T_c (and catches a quarter of random
    starts), and the sampler refuses that case (use heat-bath, whose
    flip probabilities are all strictly between 0 and 1, or Wolff).  Random starts are redrawn
    until no replica lies in the closed class; given starts that lie there raise a warning.

    Parameters
    ----------
    model : IsingLattice
        ``L`` must be even, and ``L >= 4`` for Metropolis at ``h = 0``.
    rule : {"metropolis", "heat-bath"}
    n_replicas : int
        Independent replicas (any number ``>= 1``; the cost is that of ``ceil(n / 64) * 64``).

    References
    ----------
    Metropolis et al., J. Chem. Phys. 21, 1087 (1953); multi-spin coding: Jacobs & Rebbi,
    J. Comput. Phys. 41, 203 (1981); Block, Virnau & Preis, Comput. Phys. Commun. 181, 1549 (2010).
    """

    def __init__(self, model: IsingLattice, *, rule: str = "metropolis", n_replicas: int = 64) -> None:
        if not isinstance(model, IsingLattice):
            raise TypeError(f"model must be an IsingLattice, got {type(model).__name__}")
        if model.L % 2:
            raise ValueError(
                f"L must be even for the checkerboard sampler (an odd periodic lattice has no "
                f"checkerboard 2-colouring), got {model.L}; use the WolffSampler"
            )
        self.model = model
        self.rule = check_choice(rule, "rule", _RULES)
        self.n_replicas = check_int(n_replicas, "n_replicas", low=1)
        if self.trapping and model.J == 0.0:
            raise ValueError(
                "checkerboard Metropolis with J = 0 and h = 0 always flips (every dE = 0), a "
                "deterministic chain that samples nothing; use rule='heat-bath'"
            )
        if self.trapping and model.L == 2:
            raise ValueError(
                "checkerboard Metropolis at h = 0 is not ergodic on the 2 x 2 torus: the 4 of 16 "
                "configurations in which every spin has two unlike neighbours form a closed cycle; "
                "use rule='heat-bath' or the WolffSampler"
            )

    def __repr__(self) -> str:
        return f"CheckerboardSampler({self.model!r}, rule={self.rule!r}, n_replicas={self.n_replicas})"

    def memory_bytes(self, n_measure: int = 0) -> int:
        """Estimated peak memory of ``init_state`` plus :func:`simulate` with ``n_measure`` sweeps:
        the int8 start spins, their bit-unpacked copies while packing (about twice the padded
        replicas), the packed words and the time series."""
        n = self.model.n_sites
        padded = 64 * (-(-self.n_replicas // 64))
        return (self.n_replicas + 2 * padded) * n + padded // 8 * n + _series_bytes(n_measure, padded)

    @property
    def trapping(self) -> bool:
        """Whether the chain has a closed trapped class (Metropolis at ``h = 0``, see the class notes)."""
        return self.rule == "metropolis" and self.model.h == 0.0

    @property
    def fast_path(self) -> bool:
        """Whether the two-class Metropolis kernel applies (Metropolis, ``h = 0``, ``J > 0``)."""
        return self.rule == "metropolis" and self.model.h == 0.0 and self.model.J > 0.0

    def init_state(self, seed: int | np.random.Generator, *, start: Any = "random") -> ChainState:
        """Fresh replicas.

        Parameters
        ----------
        seed : int or numpy.random.Generator
            Source of the initial spins and of the samplers' random streams.
        start : {"random", "up", "down"} or array
            Initial spins: infinite temperature, all +1, all -1, or given spins of shape ``(L, L)``
            (copied to every replica) or ``(n_replicas, L, L)``.
        """
        gen = as_generator(seed)
        spins = _initial_spins(gen, start, self.n_replicas, self.model.shape)
        if self.trapping:
            trapped = _trapped(spins)
            if isinstance(start, str):
                while np.any(trapped):  # redraw: such a start never reaches the rest (class notes)
                    spins[trapped] = _initial_spins(gen, start, int(trapped.sum()), self.model.shape)
                    trapped = _trapped(spins)
            elif np.any(trapped):
                warnings.warn(
                    f"{int(trapped.sum())} start configuration(s) have two unlike neighbours at every "
                    "site; checkerboard Metropolis at h = 0 cycles them forever and never samples "
                    "the Boltzmann distribution",
                    RuntimeWarning,
                    stacklevel=2,
                )
        words = _k.pack_spins(spins)
        rng = np.zeros((words.shape[0], 2), np.uint64)
        rng[:, 0] = _k.splitmix_seeds(gen, (words.shape[0],))
        return ChainState(words, rng, self.n_replicas, info={"sampler": type(self).__name__})

    def _data_shape(self) -> tuple[int, ...]:
        L = self.model.L
        return (-(-self.n_replicas // 64), 2, L, L // 2)

    def spins(self, state: ChainState) -> np.ndarray:
        """Configurations of the replicas, int8 of shape ``(n_replicas, L, L)``."""
        self._check_state(state)
        return _k.unpack_words(state.data, self.n_replicas)

    def flip_probabilities(self, T: float) -> np.ndarray:
        """Flip probability of the ten classes ``q = n + 5 * (s == +1)``, ``n`` unlike neighbours."""
        beta = 1.0 / check_temperature(T)
        n = np.tile(np.arange(5), 2)
        s = np.repeat([-1.0, 1.0], 5)
        de = 2.0 * self.model.J * (4 - 2 * n) + 2.0 * self.model.h * s
        with np.errstate(over="ignore"):
            if self.rule == "metropolis":
                return np.exp(np.minimum(0.0, -beta * de))
            return 1.0 / (1.0 + np.exp(beta * de))

    def sweep(
        self, state: ChainState, T: float, n_sweeps: int = 1, *, measure: bool = True
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Advance ``state`` in place by ``n_sweeps`` sweeps at temperature ``T``.

        Returns
        -------
        (energy, magnetisation) : arrays of shape (n_sweeps, n_replicas), or None
            Energy and magnetisation per site after every sweep (when ``measure``).
        """
        self._check_state(state)
        n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
        probabilities = self.flip_probabilities(T)
        if self.trapping and probabilities.min() >= 1.0:
            raise ValueError(
                f"at T={T:g} with J={self.model.J:g} Metropolis accepts every flip (|J|/T rounds to 0): "
                "a deterministic chain that samples nothing; use rule='heat-bath'"
            )
        pt, ct = _k.flip_thresholds(probabilities)
        rows = n_sweeps if measure else 0
        width = 64 * state.data.shape[0]
        ones = np.zeros((rows, width), np.int64)
        unlike = np.zeros((rows, width), np.int64)
        _k.multispin_sweeps(state.data, n_sweeps, self.fast_path, pt, ct, state.rng, measure, ones, unlike)
        state.sweeps += n_sweeps
        if not measure:
            return None
        N = self.model.n_sites
        mag = (2 * ones[:, : self.n_replicas] - N) / N
        bonds = 2 * N - 2 * unlike[:, : self.n_replicas]
        energy = (-self.model.J * bonds - self.model.h * N * mag) / N
        return energy, mag

    def sample(self, state: ChainState, n_steps: int, T: float) -> ChainState:
        """Advance ``state`` in place by ``n_steps`` sweeps at temperature ``T``; returns it."""
        self.sweep(state, T, n_steps, measure=False)
        return state


class WolffSampler(_Sampler):
    """Wolff single-cluster sampler for :class:`IsingLattice` at ``h = 0``.

    A cluster grows from a random site over like (``J > 0``; unlike for ``J < 0``) neighbours with
    probability ``1 - exp(-2 |J| / T)`` and is flipped.  One *sweep* is a fixed number of cluster
    flips, chosen so that a sweep flips about ``L**2`` spins and is comparable with a sweep of a
    local sampler.  The number must not depend on the current configuration: stopping after a
    random number of clusters, e.g. "until ``L**2`` spins have flipped", over-weights the
    configurations that grow large clusters and biases every measurement.

    Parameters
    ----------
    model : IsingLattice
        ``h`` must be 0.
    n_replicas : int
        Independent lattices, updated one after the other.
    clusters_per_sweep : int, optional
        Cluster flips per sweep.  Default: chosen automatically per call of :meth:`sweep` from
        the mean cluster size seen in the previous call (``round(L**2 / <C>)``, stored in
        ``state.info``) and fixed within the call; unmeasured sweeps (``measure=False``, e.g.
        thermalisation) flip clusters until ``L**2`` spins have flipped, and the first measured
        call without a previous one first runs one such unrecorded sweep to calibrate.

    References
    ----------
    U. Wolff, Phys. Rev. Lett. 62, 361 (1989).
    """

    def __init__(
        self, model: IsingLattice, *, n_replicas: int = 1, clusters_per_sweep: int | None = None
    ) -> None:
        if not isinstance(model, IsingLattice):
            raise TypeError(f"model must be an IsingLattice, got {type(model).__name__}")
        if model.h != 0.0:
            raise ValueError(f"the Wolff sampler needs h = 0, got h={model.h:g}; use CheckerboardSampler")
        if model.J == 0.0:
            raise ValueError("the Wolff sampler needs J != 0")
        if model.J < 0 and model.L % 2:
            raise ValueError(
                f"the Wolff sampler needs an even L for J < 0 (an odd antiferromagnetic torus is "
                f"frustrated, and its clusters would not close), got L={model.L}"
            )
        self.model = model
        self.n_replicas = check_int(n_replicas, "n_replicas", low=1)
        self.clusters_per_sweep = (
            None if clusters_per_sweep is None else check_int(clusters_per_sweep, "clusters_per_sweep", low=1)
        )

    def __repr__(self) -> str:
        return f"WolffSampler({self.model!r}, n_replicas={self.n_replicas})"

    def memory_bytes(self, n_measure: int = 0) -> int:
        """Estimated peak memory of ``init_state`` plus :func:`simulate` with ``n_measure`` sweeps:
        one int8 lattice per replica, the cluster stack (8 bytes a site) and the time series."""
        n = self.model.n_sites
        return 2 * self.n_replicas * n + 8 * n + _series_bytes(n_measure, self.n_replicas)

    def init_state(self, seed: int | np.random.Generator, *, start: Any = "random") -> ChainState:
        """Fresh replicas; ``start`` as for :meth:`CheckerboardSampler.init_state`."""
        gen = as_generator(seed)
        spins = _initial_spins(gen, start, self.n_replicas, self.model.shape)
        rng = _k.splitmix_seeds(gen, (self.n_replicas,))
        return ChainState(spins, rng, self.n_replicas, info={"sampler": type(self).__name__})

    def _data_shape(self) -> tuple[int, ...]:
        return (self.n_replicas, *self.model.shape)

    def spins(self, state: ChainState) -> np.ndarray:
        """Configurations of the replicas, int8 of shape ``(n_replicas, L, L)`` (a copy)."""
        self._check_state(state)
        return state.data.copy()

    def _run(self, state: ChainState, beta: float, n_sweeps: int, clusters: int) -> tuple[np.ndarray, ...]:
        e = np.zeros((n_sweeps, self.n_replicas))
        m = np.zeros((n_sweeps, self.n_replicas))
        sizes = np.zeros((n_sweeps, self.n_replicas))
        stack = np.empty(self.model.n_sites, np.int64)
        _k.wolff_sweeps(state.data, beta, self.model.J, n_sweeps, clusters, state.rng, stack, e, m, sizes)
        if n_sweeps:
            state.info["wolff_clusters_per_sweep"] = max(1, round(self.model.n_sites / float(sizes.mean())))
        return e, m

    def sweep(
        self, state: ChainState, T: float, n_sweeps: int = 1, *, measure: bool = True
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Advance ``state`` in place; returns per-site energy and magnetisation after every sweep,
        arrays of shape ``(n_sweeps, n_replicas)``, when ``measure``."""
        self._check_state(state)
        beta = 1.0 / check_temperature(T)
        n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
        clusters = self.clusters_per_sweep
        if clusters is None:
            if not measure:
                self._run(state, beta, n_sweeps, 0)
                state.sweeps += n_sweeps
                return None
            if "wolff_clusters_per_sweep" not in state.info:
                self._run(state, beta, 1, 0)
            clusters = state.info["wolff_clusters_per_sweep"]
        e, m = self._run(state, beta, n_sweeps, clusters)
        state.sweeps += n_sweeps
        return (e, m) if measure else None

    def sample(self, state: ChainState, n_steps: int, T: float) -> ChainState:
        """Advance ``state`` in place by ``n_steps`` sweeps of a fixed number of clusters (as a
        measured :meth:`sweep`: a configuration-dependent number would bias the samples);
        returns it."""
        self.sweep(state, T, n_steps, measure=True)
        return state


class GraphSampler(_Sampler):
    """Single-spin Metropolis or heat-bath sampler for :class:`IsingGraph` (sequential sweeps).

    Parameters
    ----------
    model : IsingGraph
    rule : {"metropolis", "heat-bath"}
    n_replicas : int
        Independent chains.
    """

    def __init__(self, model: IsingGraph, *, rule: str = "metropolis", n_replicas: int = 16) -> None:
        if not isinstance(model, IsingGraph):
            raise TypeError(f"model must be an IsingGraph, got {type(model).__name__}")
        self.model = model
        self.rule = check_choice(rule, "rule", _RULES)
        self.n_replicas = check_int(n_replicas, "n_replicas", low=1)

    def __repr__(self) -> str:
        return f"GraphSampler({self.model!r}, rule={self.rule!r}, n_replicas={self.n_replicas})"

    def init_state(self, seed: int | np.random.Generator, *, start: Any = "random") -> ChainState:
        """Fresh replicas; ``start`` is "random", "up", "down" or spins of shape (n,) or (R, n)."""
        gen = as_generator(seed)
        spins = _initial_spins(gen, start, self.n_replicas, (self.model.n_sites,))
        rng = _k.splitmix_seeds(gen, (self.n_replicas,))
        return ChainState(spins, rng, self.n_replicas, info={"sampler": type(self).__name__})

    def _data_shape(self) -> tuple[int, ...]:
        return (self.n_replicas, self.model.n_sites)

    def spins(self, state: ChainState) -> np.ndarray:
        """Configurations of the replicas, int8 of shape ``(n_replicas, n)`` (a copy)."""
        self._check_state(state)
        return state.data.copy()

    def sweep(
        self, state: ChainState, T: float, n_sweeps: int = 1, *, measure: bool = True
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Advance ``state`` in place by ``n_sweeps`` sweeps of ``n`` attempted flips."""
        self._check_state(state)
        beta = 1.0 / check_temperature(T)
        n_sweeps = check_int(n_sweeps, "n_sweeps", low=0)
        e = np.zeros((n_sweeps, self.n_replicas))
        m = np.zeros((n_sweeps, self.n_replicas))
        _k.graph_sweeps(
            state.data, self.model.couplings, self.model.fields, beta, self.rule == "heat-bath", n_sweeps,
            state.rng, e, m,
        )
        state.sweeps += n_sweeps
        return (e, m) if measure else None

    def sample(self, state: ChainState, n_steps: int, T: float) -> ChainState:
        """Advance ``state`` in place by ``n_steps`` sweeps at temperature ``T``; returns it."""
        self.sweep(state, T, n_steps, measure=False)
        return state


# ----------------------------------------------------------------------------------------------
# driver
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """A Monte Carlo estimate: ``value +- error`` and the integrated autocorrelation time
    (in sweeps; Sokal's convention ``tau_int = 1/2 + sum_t rho(t)``)."""

    value: float
    error: float
    tau_int: float

    def __format__(self, spec: str) -> str:
        spec = spec or ".6g"
        return f"{self.value:{spec}} +- {self.error:{spec}}"


@dataclass(frozen=True)
class IsingResult:
    """Observables per site from :func:`simulate`.

    Attributes
    ----------
    T : float
    n_sites, n_replicas, n_measure : int
    energy : Estimate
        ``e = <E> / N``.
    abs_magnetisation : Estimate
        ``<|m|>``, ``m = sum_i s_i / N``.
    specific_heat : Estimate
        ``c = N (<e**2> - <e>**2) / T**2``.
    susceptibility : Estimate
        ``chi = N (<m**2> - <|m|>**2) / T``, the finite-lattice convention built on ``|m|`` (the
        symmetric ``<m>`` vanishes on a finite lattice at ``h = 0``).
    binder : Estimate
        ``U = 1 - <m**4> / (3 <m**2>**2)``.
    energy_series, magnetisation_series : numpy.ndarray, shape (n_measure, n_replicas)
        Per-sweep time series of ``e`` and ``m`` of every replica.
    state : ChainState
        The final state (to continue the run).
    equilibrated : bool
        False when the run fails the equilibration check of :func:`simulate` (the numbers are
        then not trustworthy, whatever their error bars say).
    equilibration : str
        Why not (empty when ``equilibrated``).
    replica_p : float
        The smaller :func:`~physml.ebm._mcmc_stats.replica_agreement` p-value of ``e`` and ``|m|``
        (nan with one replica).
    """

    T: float
    n_sites: int
    n_replicas: int
    n_measure: int
    energy: Estimate
    abs_magnetisation: Estimate
    specific_heat: Estimate
    susceptibility: Estimate
    binder: Estimate
    energy_series: np.ndarray = field(repr=False)
    magnetisation_series: np.ndarray = field(repr=False)
    state: ChainState = field(repr=False)
    equilibrated: bool = True
    equilibration: str = ""
    replica_p: float = float("nan")


# The equilibration check of :func:`simulate` (docs/ebm.md, "Is the run equilibrated?").
MIN_TAU_RATIO = 50  # n_measure >= 50 tau_int of e and |m| (n_eff = n / (2 tau) >= 25 per replica)
MIN_REPLICA_P = 1e-3  # replicas agree: replica_agreement p-value of e and |m| >= 0.001


def _equilibration(n: int, taus: dict[str, float], series: dict[str, np.ndarray]) -> tuple[str, float]:
    """``(reason, replica p)``: reason is empty when the run passes both tests."""
    reasons = []
    for name, tau in taus.items():
        if not (n >= MIN_TAU_RATIO * tau):
            reasons.append(f"{n} measured sweeps < {MIN_TAU_RATIO} tau_int of {name} ({tau:.3g})")
    p = float("nan")
    if next(iter(series.values())).shape[1] >= 2:
        ps = {name: replica_agreement(x) for name, x in series.items()}
        p = min(ps.values())
        for name, pv in ps.items():
            if not (pv >= MIN_REPLICA_P):
                reasons.append(f"the replicas disagree on {name} beyond their errors (p = {pv:.2g})")
    return "; ".join(reasons), p


def _mean_estimate(x: np.ndarray) -> Estimate:
    """Grand mean over replicas (independent chains) with the larger of two error estimates:
    blocking within chains, ``sqrt(sum_r err_r**2) / R``, and the spread of the chain means,
    ``std_r / sqrt(R)`` (used from 8 replicas on)."""
    n, R = x.shape
    tau = integrated_autocorrelation_time(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        runs = [binning_analysis(x[:, r]) for r in range(R)]
    if not all(b.converged for b in runs):
        warnings.warn(
            f"the blocking analysis did not converge for {sum(not b.converged for b in runs)} of {R} "
            f"replicas ({n} sweeps, tau_int ~ {tau:.3g}): measure longer",
            RuntimeWarning,
            stacklevel=3,
        )
    err_bin = math.sqrt(sum(b.error**2 for b in runs)) / R
    err = err_bin
    if R >= 8:
        err = max(err, float(np.std(x.mean(axis=0), ddof=1) / math.sqrt(R)))
    return Estimate(float(x.mean()), err, tau)


def _derived_estimate(func: Any, a: np.ndarray, b: np.ndarray) -> Estimate:
    """Jackknife over blocks of ``>= 10 tau_int`` sweeps, pooled over replicas; from 8 replicas on,
    the error is the larger of that and the spread of the per-replica jackknife estimates."""
    n, R = a.shape
    tau = max(integrated_autocorrelation_time(a), integrated_autocorrelation_time(b))
    blocks = max(2, min(n // max(1, math.ceil(10 * tau)), 64))
    with np.errstate(divide="ignore", invalid="ignore"):  # e.g. U of a replica frozen at m = 0
        value, err = jackknife(func, a, b, n_blocks=blocks)
        if R >= 8:
            per = np.array([jackknife(func, a[:, r], b[:, r], n_blocks=blocks)[0] for r in range(R)])
            spread = float(np.std(per, ddof=1) / math.sqrt(R))
            err = max(err, spread) if math.isfinite(spread) else err
    return Estimate(value, err, tau)


def simulate(
    sampler: CheckerboardSampler | WolffSampler | GraphSampler,
    T: float,
    *,
    n_thermalise: int = 1000,
    n_measure: int = 10000,
    seed: int | np.random.Generator = 0,
    start: Any = "random",
    state: ChainState | None = None,
) -> IsingResult:
    """Run ``sampler`` at temperature ``T`` and estimate observables per site with error bars.

    Parameters
    ----------
    sampler : CheckerboardSampler, WolffSampler or GraphSampler
    T : float
        Temperature, ``> 0``.
    n_thermalise : int
        Sweeps discarded first.
    n_measure : int
        Sweeps recorded (energy and magnetisation after each), at least 32.
    seed : int or numpy.random.Generator
        Seed of the initial state (ignored when ``state`` is given: the state carries its streams).
    start : str or array
        Initial spins (see ``init_state``), when ``state`` is None.
    state : ChainState, optional
        Continue from this state (advanced in place).

    Returns
    -------
    IsingResult
        Means over all replicas; errors from a blocking analysis within every chain (Jonsson's
        automatic level) combined over the independent replicas and checked against the spread
        between replicas (the larger is reported); specific heat, susceptibility and Binder
        cumulant by a jackknife over blocks of at least 10 ``tau_int``.  ``equilibrated`` is False
        when ``n_measure < 50 tau_int`` for ``e`` or ``|m|`` (fewer than 25 effective samples per
        replica), or, with two or more replicas, when they disagree on ``e`` or ``|m|``: the
        :func:`~physml.ebm._mcmc_stats.replica_agreement` p-value is below 0.001 (replicas frozen
        in different states at low temperature).
    """
    T = check_temperature(T)
    n_thermalise = check_int(n_thermalise, "n_thermalise", low=0)
    n_measure = check_int(n_measure, "n_measure", low=32)
    if state is None:
        state = sampler.init_state(seed, start=start)
    if n_thermalise:
        sampler.sweep(state, T, n_thermalise, measure=False)
    e, m = sampler.sweep(state, T, n_measure, measure=True)
    N = sampler.model.n_sites
    am = np.abs(m)
    m2 = m * m
    energy = _mean_estimate(e)
    absm = _mean_estimate(am)
    heat = _derived_estimate(lambda x, x2: N * (x2 - x * x) / T / T, e, e * e)
    chi = _derived_estimate(lambda x, x2: N * (x2 - x * x) / T, am, m2)
    binder = _derived_estimate(lambda x2, x4: 1.0 - x4 / (3.0 * x2 * x2), m2, m2 * m2)
    reason, p = _equilibration(
        n_measure, {"e": energy.tau_int, "|m|": absm.tau_int}, {"e": e, "|m|": am}
    )
    return IsingResult(
        T, N, sampler.n_replicas, n_measure, energy, absm, heat, chi, binder, e, m, state,
        equilibrated=not reason, equilibration=reason, replica_p=p,
    )
