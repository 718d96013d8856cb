"""Neural networks on PyTorch: MLPs, their initialisations, vectorised ensembles, the
finite-width theory of their statistics at initialisation, and training drivers."""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_activations": (
            "ACTIVATIONS",
            "get_activation",
        ),
        "_autoencoder": (
            "Autoencoder",
            "AutoencoderEnsemble",
            "AutoencoderTraining",
            "TiedAutoencoderEnsemble",
            "train_autoencoders",
        ),
        "_autoencoder_diagnostics": (
            "LossConcentration",
            "cap_fraction",
            "latent_tear",
            "loss_concentration",
            "principal_angles",
            "top_loss_gap",
            "top_loss_indices",
            "winding_number",
        ),
        "physml.stats": (  # re-exported: the logistic onset fit lives in the statistics floor
            "FlaggingOnset",
            "flagging_onset",
        ),
        "_classifier": (
            "MLPClassifier",
        ),
        "_cnn": (
            "ConvNet",
            "equivariance_error",
            "shift_images",
        ),
        "_ensemble_statistics": (
            "PreactivationStatistics",
            "empirical_ntk",
            "preactivation_statistics",
        ),
        "_ensemble_training": (
            "train_ensemble",
        ),
        "_generative": (
            "GAN",
            "VAE",
            "SampleQuality",
            "frechet_distance",
            "interpolate_latents",
            "sample_quality",
            "train_gan",
            "train_vae",
        ),
        "_init": (
            "WEIGHT_DISTRIBUTIONS",
            "critical_parameters",
            "haar_orthogonal",
            "initialize",
        ),
        "_mlp": (
            "MLP",
            "count_parameters",
            "dense",
        ),
        "_mlp_ensemble": (
            "MLPEnsemble",
        ),
        "_recurrent": (
            "CharLM",
            "NGramModel",
            "Vocabulary",
            "char_lm_perplexity",
            "memory_task",
            "memory_task_accuracy",
            "sample_text",
            "train_char_lm",
            "train_memory_task",
        ),
        "_theory": (
            "CriticalityCheck",
            "CriticalPoint",
            "KernelFlow",
            "check_criticality",
            "critical_initialization",
            "criticality_table",
            "gaussian_expectation",
            "kernel_recursion",
            "ntk_recursion",
            "scale_invariant_variance",
            "susceptibilities",
            "variance_recursion",
        ),
        "_training": (
            "sgd_train",
        ),
    },
)
