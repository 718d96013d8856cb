"""Anomaly detection for collider data: metrics (ROC AUC, SIC, background rejection), signal
regions and sidebands in mjj, anomaly scores (supervised bound, autoencoder, CWoLa, ANODE,
CATHODE) and the dijet bump hunt with local and global significance."""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_bumphunt": (
            "BumpHunt",
            "DijetFit",
            "FitError",
            "bump_hunt",
            "dijet_bins",
            "fit_dijet",
            "fit_dijet_histogram",
            "local_significance",
        ),
        "_methods": (
            "ANOMALY_FEATURES",
            "DEFAULT_FLOW",
            "DENSITIES",
            "AnodeScorer",
            "AutoencoderScorer",
            "CathodeScorer",
            "ConditionalFlow",
            "ConditionalGaussianMixture",
            "CWoLaScorer",
            "SidebandInterpolation",
            "SupervisedScorer",
            "anomaly_features",
            "make_classifier",
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
    },
)
