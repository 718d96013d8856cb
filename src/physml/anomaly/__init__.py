"""Anomaly detection for collider data: metrics (ROC AUC, SIC, background rejection), signal
regions and sidebands in mjj, anomaly scores (supervised bound, autoencoder, CWoLa, ANODE,
CATHODE) and the dijet bump hunt with local and global significance."""

from physml.anomaly._bumphunt import (
    BumpHunt,
    DijetFit,
    FitError,
    bump_hunt,
    dijet_bins,
    fit_dijet,
    fit_dijet_histogram,
    local_significance,
)
from physml.anomaly._methods import (
    ANOMALY_FEATURES,
    DEFAULT_FLOW,
    DENSITIES,
    AnodeScorer,
    AutoencoderScorer,
    CathodeScorer,
    ConditionalFlow,
    ConditionalGaussianMixture,
    CWoLaScorer,
    SidebandInterpolation,
    SupervisedScorer,
    anomaly_features,
    make_classifier,
)
from physml.anomaly._metrics import SICCurve, background_rejection, max_sic, roc_auc, roc_curve, sic_curve
from physml.anomaly._regions import SignalRegion

__all__ = [
    "ANOMALY_FEATURES",
    "AnodeScorer",
    "AutoencoderScorer",
    "BumpHunt",
    "CWoLaScorer",
    "CathodeScorer",
    "ConditionalFlow",
    "ConditionalGaussianMixture",
    "DEFAULT_FLOW",
    "DENSITIES",
    "DijetFit",
    "FitError",
    "SICCurve",
    "SidebandInterpolation",
    "SignalRegion",
    "SupervisedScorer",
    "anomaly_features",
    "background_rejection",
    "bump_hunt",
    "dijet_bins",
    "fit_dijet",
    "fit_dijet_histogram",
    "local_significance",
    "make_classifier",
    "max_sic",
    "roc_auc",
    "roc_curve",
    "sic_curve",
]
