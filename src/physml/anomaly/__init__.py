"""Anomaly detection for collider data: metrics (ROC AUC, SIC, background rejection), signal
regions and sidebands in mjj, anomaly scores (supervised bound, autoencoder, CWoLa, ANODE,
CATHODE), the dijet bump hunt with local and global significance, and the weakly supervised
sliding-window hunt (``weak_hunt``) whose global significance is calibrated for the whole procedure."""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_bumphunt": (
            "BinningError",
            "BumpHunt",
            "DijetFit",
            "FitError",
            "bump_hunt",
            "dijet_bins",
            "fit_dijet",
            "fit_dijet_histogram",
            "global_p_value",
            "local_significance",
        ),
        "_densities": (
            "ConditionalFlow",
            "ConditionalGaussianMixture",
            "SidebandInterpolation",
        ),
        "_features": (
            "ANOMALY_FEATURES",
            "anomaly_features",
        ),
        "_metrics": (
            "SICCurve",
            "background_rejection",
            "max_sic",
            "roc_auc",
            "roc_curve",
            "sic_curve",
        ),
        "_regions": (
            "SignalRegion",
        ),
        "_scorers": (
            "AnodeScorer",
            "AutoencoderScorer",
            "CathodeScorer",
            "CWoLaScorer",
            "SupervisedScorer",
        ),
        "_weakhunt": (
            "WEAK_METHODS",
            "FalsePositiveRate",
            "WeakHunt",
            "false_positive_rate",
            "weak_hunt",
        ),
        "_training": (
            "DEFAULT_FLOW",
            "DENSITIES",
            "make_classifier",
        ),
    },
)
