"""Energy-based models from statistical physics.

* The Ising model on the periodic square lattice and on arbitrary small graphs, with
  compiled checkerboard (Metropolis, heat-bath), Wolff and graph samplers, observables with
  binning / autocorrelation error bars (:func:`simulate`), the exact oracles:
  enumeration, Kaufman's finite-lattice partition function and Onsager's results, and
  finite-size analysis (:func:`curve_crossing` for Binder crossings,
  :func:`finite_size_extrapolation`).
* Hopfield networks (Hebbian storage, retrieval dynamics, capacity sweeps).
* Fully visible Boltzmann machines with exact enumeration for small systems.
* Samplers of one shape: ``state = sampler.init_state(...)`` (a small dataclass holding the
  chains and their random stream) and ``sampler.sample(state, n_steps, ...)``, which advances
  the state in place and returns it; a sampler never holds the state of its chains.
* Restricted Boltzmann machines trained by CD-k, PCD-k or parallel tempering
  (:class:`RBM`, :class:`RBMTrainer`), their partition functions (exact, AIS) and
  likelihoods bounded from both sides (RAISE below, AIS above: :func:`log_likelihood_bounds`),
  and deep belief networks stacked from them (:class:`DBN`). Their modules
  import each other one way, bottom up: the model (:class:`RBMModel`), the samplers, the
  partition functions and likelihoods, the training driver, the estimators.

Importing this package loads nothing; a name loads its submodule on first use. The Ising,
Hopfield and Boltzmann-machine modules use numpy, scipy, numba and scikit-learn and never
import PyTorch, which only the RBM / DBN modules load.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "_ising": (
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
    ),
    "_ising_exact": (
        "MAX_ENUMERATION_SPINS",
        "ExactResult",
        "KaufmanResult",
        "critical_temperature",
        "exact_enumeration",
        "kaufman",
        "onsager_energy",
        "onsager_log_partition",
        "onsager_magnetisation",
        "onsager_specific_heat",
    ),
    "_ising_samples": ("ising_configurations",),
    "_potts_lattice": (
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
    ),
    "_mcmc_stats": (
        "AutocorrelationTime",
        "BinningResult",
        "autocorrelation",
        "autocorrelation_time",
        "binning_analysis",
        "binning_error",
        "integrated_autocorrelation_time",
        "jackknife",
        "replica_agreement",
    ),
    "_finite_size": ("Crossing", "Extrapolation", "curve_crossing", "finite_size_extrapolation"),
    "_hopfield": (
        "HopfieldCapacity",
        "HopfieldCapacitySweep",
        "HopfieldDynamics",
        "HopfieldNetwork",
        "HopfieldRun",
        "HopfieldState",
        "corrupt_patterns",
        "hebbian_weights",
        "hopfield_capacity_sweep",
        "hopfield_capacity_trials",
        "hopfield_energy",
        "hopfield_run",
        "pattern_overlap",
    ),
    "_boltzmann": (
        "BM_EXACT_MAX_UNITS",
        "BoltzmannChains",
        "BoltzmannMachine",
        "BoltzmannSampler",
        "bm_energy",
        "bm_exact_distribution",
        "bm_exact_gradient",
        "bm_exact_log_likelihood",
        "bm_exact_log_marginal",
        "bm_exact_log_partition",
        "bm_exact_moments",
        "bm_gibbs_sample",
    ),
    # the RBM modules, bottom up: each imports only those above it in this table
    "_rbm_model": ("RBMModel", "as_rbm_model", "check_memory", "check_visible_data", "training_memory_bytes"),
    "_rbm_samplers": (
        "CDSampler",
        "GibbsChains",
        "PCDSampler",
        "ParallelTempering",
        "TemperedChains",
        "geometric_betas",
        "make_sampler",
    ),
    "_partition": (
        "EXACT_MAX_UNITS",
        "ais_betas",
        "ais_log_partition",
        "exact_log_partition",
        "log_likelihood",
        "pseudo_likelihood",
        "reconstruction_error",
    ),
    "_raise": (
        "LikelihoodBounds",
        "adaptive_betas",
        "annealing_betas",
        "log_likelihood_bounds",
        "raise_log_likelihood",
        "reverse_ais_log_partition",
    ),
    "_rbm_training": (
        "DIVERGENCE_BOUND",
        "EarlyStopping",
        "RBMTrainer",
        "TrainingDiverged",
        "log_likelihood_gradient",
        "validation_metric",
    ),
    "_rbm": ("RBM",),
    "_potts_rbm": ("PottsRBM", "PottsRBMModel", "check_potts_data"),
    "_dbn": ("DBN",),
}

__all__, __getattr__, __dir__ = _lazy_exports(__name__, _EXPORTS)
