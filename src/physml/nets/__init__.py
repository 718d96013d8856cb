"""Neural networks on PyTorch: MLPs, their initialisations, vectorised ensembles, the
finite-width theory of their statistics at initialisation, and training drivers."""

from physml.nets._activations import ACTIVATIONS, get_activation
from physml.nets._autoencoder import (
    Autoencoder,
    AutoencoderEnsemble,
    AutoencoderTraining,
    TiedAutoencoderEnsemble,
    train_autoencoders,
)
from physml.nets._autoencoder_diagnostics import (
    LossConcentration,
    cap_fraction,
    latent_tear,
    loss_concentration,
    principal_angles,
    roc_auc,
    winding_number,
)
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
    "Autoencoder",
    "AutoencoderEnsemble",
    "AutoencoderTraining",
    "LossConcentration",
    "TiedAutoencoderEnsemble",
    "cap_fraction",
    "latent_tear",
    "loss_concentration",
    "principal_angles",
    "roc_auc",
    "train_autoencoders",
    "winding_number",
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
