"""Equilibrium Ising configurations as a data set (for training models on them)."""

from __future__ import annotations

import math

import numpy as np

from physml._core import check_choice, check_int
from physml.ebm._ising import CheckerboardSampler, IsingLattice, WolffSampler, check_temperature
from physml.ebm._mcmc_stats import integrated_autocorrelation_time

__all__ = ["ising_configurations"]


def ising_configurations(
    L: int,
    T: float,
    n_samples: int,
    *,
    J: float = 1.0,
    algorithm: str = "wolff",
    n_replicas: int = 32,
    n_thermalise: int = 500,
    thin: int | None = None,
    seed: int | np.random.Generator = 0,
) -> tuple[np.ndarray, dict]:
    """Draw ``n_samples`` equilibrium configurations of the periodic L x L Ising model at ``h = 0``.

    ``n_replicas`` independent chains are thermalised, then every chain records a configuration
    every ``thin`` sweeps. By default ``thin`` is chosen from a pilot run as about twice the
    largest integrated autocorrelation time of the energy and ``|m|`` (at least 1), so that the
    samples are close to independent.

    Parameters
    ----------
    L : int
        Linear size (even for the checkerboard samplers).
    T : float
        Temperature in units of J/k_B, > 0.
    n_samples : int
        Number of configurations returned.
    J : float
        Coupling.
    algorithm : {"wolff", "metropolis", "heat-bath"}
    n_replicas : int
        Independent chains.
    n_thermalise : int
        Sweeps discarded at the start of every chain.
    thin : int, optional
        Sweeps between recorded configurations of a chain.
    seed : int or numpy.random.Generator

    Returns
    -------
    spins : numpy.ndarray of int8, shape (n_samples, L, L)
        Entries +1 / -1, chains interleaved.
    info : dict
        ``thin``, ``tau_energy``, ``tau_abs_magnetisation`` (of the pilot run, in sweeps),
        ``algorithm``, ``n_replicas``.
    """
    T = check_temperature(T)
    n_samples = check_int(n_samples, "n_samples", low=1)
    n_replicas = check_int(n_replicas, "n_replicas", low=1)
    n_thermalise = check_int(n_thermalise, "n_thermalise", low=0)
    check_choice(algorithm, "algorithm", ("wolff", "metropolis", "heat-bath"))
    model = IsingLattice(L, J=J)
    if algorithm == "wolff":
        sampler = WolffSampler(model, n_replicas=n_replicas)
    else:
        sampler = CheckerboardSampler(model, rule=algorithm, n_replicas=n_replicas)
    state = sampler.init_state(seed)
    if n_thermalise:
        sampler.sweep(state, T, n_thermalise, measure=False)
    tau_e = tau_m = math.nan
    if thin is None:
        e, m = sampler.sweep(state, T, 256, measure=True)
        tau_e = integrated_autocorrelation_time(e)
        tau_m = integrated_autocorrelation_time(np.abs(m))
        finite = [t for t in (tau_e, tau_m) if math.isfinite(t)]
        thin = max(1, math.ceil(2 * max(finite))) if finite else 1
    thin = check_int(thin, "thin", low=1)
    rounds = -(-n_samples // n_replicas)
    out = np.empty((rounds, n_replicas, L, L), dtype=np.int8)
    for r in range(rounds):
        # measure=True: the Wolff sampler then flips a fixed number of clusters per sweep; its
        # unmeasured sweeps stop at a random time that biases the snapshots (thermalisation only)
        sampler.sweep(state, T, thin, measure=True)
        out[r] = sampler.spins(state)
    spins = out.reshape(rounds * n_replicas, L, L)[:n_samples]
    info = {
        "thin": int(thin),
        "tau_energy": float(tau_e),
        "tau_abs_magnetisation": float(tau_m),
        "algorithm": algorithm,
        "n_replicas": n_replicas,
    }
    return spins, info
