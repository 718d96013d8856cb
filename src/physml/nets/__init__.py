"""Neural networks on PyTorch: MLPs, their initialisations, vectorised ensembles, the
finite-width theory of their statistics at initialisation, and training drivers."""

from physml.nets._activations import ACTIVATIONS, get_activation
from physml.nets._classifier import MLPClassifier
from physml.nets._ensemble import (
    MLPEnsemble,
    PreactivationStatistics,
    empirical_ntk,
    preactivation_statistics,
    train_ensemble,
)
from physml.nets._init import WEIGHT_DISTRIBUTIONS, critical_parameters, haar_orthogonal, initialize
from physml.nets._mlp import MLP, count_parameters, dense
from physml.nets._theory import (
    CriticalityCheck,
    CriticalPoint,
    KernelFlow,
    check_criticality,
    critical_initialization,
    criticality_table,
    gaussian_expectation,
    kernel_recursion,
    ntk_recursion,
    scale_invariant_variance,
    susceptibilities,
    variance_recursion,
)
from physml.nets._training import sgd_train

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "WEIGHT_DISTRIBUTIONS",
    "CriticalPoint",
    "CriticalityCheck",
    "KernelFlow",
    "MLPClassifier",
    "MLPEnsemble",
    "PreactivationStatistics",
    "check_criticality",
    "count_parameters",
    "critical_initialization",
    "critical_parameters",
    "criticality_table",
    "dense",
    "empirical_ntk",
    "gaussian_expectation",
    "get_activation",
    "haar_orthogonal",
    "initialize",
    "kernel_recursion",
    "ntk_recursion",
    "preactivation_statistics",
    "scale_invariant_variance",
    "sgd_train",
    "susceptibilities",
    "train_ensemble",
    "variance_recursion",
]
