"""Anomaly scores for the LHC Olympics dijet features: the supervised upper bound, an
autoencoder's reconstruction error, and the weakly supervised / density-based resonant methods
(CWoLa hunting, ANODE, CATHODE).

Every scorer follows scikit-learn: parameters in ``__init__``, ``fit`` learns trailing-underscore
attributes, ``score`` returns one anomaly score per event (larger = more signal-like). The
classifiers and densities they fit are those of :func:`make_classifier` and
:class:`SidebandInterpolation`, :class:`ConditionalFlow`, :class:`ConditionalGaussianMixture`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from physml import nets
from physml._core import check_array, check_int, spawn_seeds
from physml.anomaly._densities import ConditionalFlow, ConditionalGaussianMixture, SidebandInterpolation
from physml.anomaly._features import check_features
from physml.anomaly._training import (
    density_min_events,
    fit_kfold,
    make_classifier,
    sample_weight_kwargs,
    signal_probability,
)

__all__ = ["AnodeScorer", "AutoencoderScorer", "CWoLaScorer", "CathodeScorer", "SupervisedScorer"]


class SupervisedScorer:
    """The supervised upper bound: a classifier trained on labelled signal and background.

    Parameters
    ----------
    classifier : {"hgb", "mlp"} or scikit-learn classifier
    n_models : int
        Classifiers with different seeds whose probabilities are averaged.
    seed : int
    """

    def __init__(self, classifier: Any = "hgb", *, n_models: int = 1, seed: int = 0):
        self.classifier = classifier
        self.n_models = n_models
        self.seed = seed

    def fit(self, X: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None) -> SupervisedScorer:
        """``X`` (n, d) features, ``y`` (n,) 1 signal / 0 background."""
        X = check_features(X, "X")
        y = check_array(y, "y", ndim=1, dtype=None).astype(int)
        if len(y) != len(X):
            raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
        if set(np.unique(y)) != {0, 1}:
            raise ValueError("y must contain both classes 0 and 1")
        self.models_ = []
        for s in spawn_seeds(self.seed, check_int(self.n_models, "n_models", low=1)):
            m = make_classifier(self.classifier, s)
            m.fit(X, y) if sample_weight is None else m.fit(X, y, **sample_weight_kwargs(m, sample_weight))
            self.models_.append(m)
        self.n_features_in_ = X.shape[1]
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        X = check_features(X, "X", self.n_features_in_)
        return np.mean([signal_probability(m, X) for m in self.models_], axis=0)


class CWoLaScorer:
    """Classification without labels (Metodiev, Nachman & Thaler 2017; CWoLa hunting, Collins,
    Howe & Nachman 2018): a classifier trained to tell signal-region events from sideband events.

    If the features are independent of mjj for the background, the optimal SR-vs-SB classifier is
    monotonic in the signal-to-background likelihood ratio. Training is k-fold: ``oof_scores_``
    scores every training event with the model that did not see it. The same class gives the
    *idealised* anomaly detector when ``X_reference`` is a sample of true background in the SR.

    Parameters
    ----------
    n_folds : int
    classifier : {"hgb", "mlp"} or scikit-learn classifier
    balance : bool
        Weight the two classes to equal total weight.
    seed : int
    """

    def __init__(self, n_folds: int = 5, classifier: Any = "hgb", *, balance: bool = True, seed: int = 0):
        self.n_folds = n_folds
        self.classifier = classifier
        self.balance = balance
        self.seed = seed

    def fit(self, X_signal_region: np.ndarray, X_reference: np.ndarray) -> CWoLaScorer:
        """``X_signal_region`` (n1, d): data in the SR (label 1); ``X_reference`` (n0, d): the
        sidebands (label 0). Sets ``models_``, ``oof_scores_`` (SR rows first, then reference)."""
        X1 = check_features(X_signal_region, "X_signal_region")
        X0 = check_features(X_reference, "X_reference", X1.shape[1])
        n_folds = check_int(self.n_folds, "n_folds", low=2)
        X = np.concatenate([X1, X0])
        y = np.r_[np.ones(len(X1), int), np.zeros(len(X0), int)]
        w = None
        if self.balance:
            w = np.where(y == 1, len(X) / (2.0 * len(X1)), len(X) / (2.0 * len(X0)))
        self.models_, self.oof_scores_ = fit_kfold(X, y, n_folds, self.classifier, int(self.seed), w)
        self.n_signal_region_ = len(X1)
        self.n_features_in_ = X1.shape[1]
        return self

    @property
    def signal_region_scores_(self) -> np.ndarray:
        """Out-of-fold scores of the signal-region training events."""
        return self.oof_scores_[: self.n_signal_region_]

    def score(self, X: np.ndarray) -> np.ndarray:
        """Mean score of the k fold models, for events none of them was trained on."""
        X = check_features(X, "X", self.n_features_in_)
        return np.mean([signal_probability(m, X) for m in self.models_], axis=0)


class AutoencoderScorer:
    """Reconstruction error of an MLP autoencoder (:class:`physml.nets.Autoencoder`, tanh hidden
    layers, early stopping on a held-out 20%) trained on the data's standardised features: events
    unlike the bulk reconstruct poorly.

    Parameters
    ----------
    latent : int
        Bottleneck width (below the number of features).
    hidden : tuple of int
        Encoder widths (the decoder mirrors them).
    n_members : int
        Autoencoders trained at once from different seeds; the score is their mean.
    epochs, batch_size, patience : int
    learning_rate : float
        Adam's step size.
    seed : int

    Attributes
    ----------
    model_ : physml.nets.Autoencoder
    """

    def __init__(self, latent: int = 2, hidden: tuple[int, ...] = (32, 32), *, n_members: int = 1,
                 epochs: int = 30, batch_size: int = 256, learning_rate: float = 3e-3, patience: int = 5,
                 seed: int = 0):
        self.latent = latent
        self.hidden = hidden
        self.n_members = n_members
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.seed = seed

    def fit(self, X: np.ndarray) -> AutoencoderScorer:
        X = check_features(X, "X")
        self.model_ = nets.Autoencoder(
            check_int(self.latent, "latent", low=1), tuple(self.hidden), n_members=self.n_members,
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
            patience=self.patience, seed=int(self.seed),
        ).fit(X)
        self.n_features_in_ = X.shape[1]
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Squared reconstruction error per event (standardised units), averaged over members."""
        X = check_features(X, "X", self.n_features_in_)
        return np.asarray(self.model_.anomaly_score(X), dtype=float)



def _split(m_sr: np.ndarray) -> float:
    m = check_array(m_sr, "m_sr", ndim=1, dtype=np.float64, min_samples=1)
    return 0.5 * (float(m.min()) + float(m.max()))


class AnodeScorer:
    """ANODE (Nachman & Shih 2020): R(x | m) = p_data(x | m) / p_background(x | m), with the data
    density fitted in the signal region and the background density fitted on the sidebands and
    interpolated into it (:class:`SidebandInterpolation`). Score: ln R.

    Parameters
    ----------
    n_components : int
        Mixture components (``density="gmm"``).
    density : {"flow", "gmm"}
        Flows as in the paper (:class:`ConditionalFlow` in the SR) or Gaussian mixtures
        (:class:`ConditionalGaussianMixture`, faster and coarser).
    flow : dict, optional
        FlowDensity parameters (default :data:`DEFAULT_FLOW`).
    seed : int
    """

    def __init__(self, n_components: int = 8, *, density: str = "flow", flow: Mapping[str, Any] | None = None,
                 seed: int = 0):
        self.n_components = n_components
        self.density = density
        self.flow = flow
        self.seed = seed

    def fit(self, X_sr: np.ndarray, m_sr: np.ndarray, X_sb: np.ndarray, m_sb: np.ndarray, *,
            background_density: SidebandInterpolation | None = None) -> AnodeScorer:
        """Fit both densities; a fitted ``background_density`` (e.g. CATHODE's) is used as it is."""
        X_sr = check_features(X_sr, "X_sr")
        need = density_min_events(self.density, self.n_components, X_sr.shape[1] + 1)
        if len(X_sr) < need:
            raise ValueError(f"the signal region holds {len(X_sr)} events; a {self.density} density needs "
                             f"at least {need}")
        s1, s2 = spawn_seeds(int(self.seed), 2)
        if self.density == "gmm":
            self.data_density_ = ConditionalGaussianMixture(self.n_components, seed=s1).fit(X_sr, m_sr)
        else:
            self.data_density_ = ConditionalFlow(self.flow, seed=s1).fit(X_sr, m_sr)
        if background_density is None:
            background_density = SidebandInterpolation(
                self.n_components, density=self.density, flow=self.flow, seed=s2
            ).fit(X_sb, m_sb, split=_split(m_sr))
        self.background_density_ = background_density
        return self

    def score(self, X: np.ndarray, mjj: np.ndarray) -> np.ndarray:
        return self.data_density_.log_prob(X, mjj) - self.background_density_.log_prob(X, mjj)


class CathodeScorer:
    """CATHODE (Hallin et al., arXiv:2109.00546): a density p(x | m) fitted on the sidebands,
    sampled in the signal region at the SR events' masses (``oversample`` draws per event), and a
    classifier trained k-fold to tell the SR data from these background samples.

    ``oof_scores_`` scores the SR training events out of fold; ``score`` averages the fold models.

    Parameters
    ----------
    n_components : int
        Mixture components (``density="gmm"``).
    density : {"flow", "gmm"}
        The sideband density (:class:`SidebandInterpolation`): flows as in the paper, or mixtures.
    flow : dict, optional
        FlowDensity parameters (default :data:`DEFAULT_FLOW`).
    oversample, n_folds : int
    classifier : {"hgb", "mlp"} or scikit-learn classifier
    seed : int
    """

    def __init__(self, n_components: int = 8, *, density: str = "flow", flow: Mapping[str, Any] | None = None,
                 oversample: int = 4, n_folds: int = 5, classifier: Any = "hgb", seed: int = 0):
        self.n_components = n_components
        self.density = density
        self.flow = flow
        self.oversample = oversample
        self.n_folds = n_folds
        self.classifier = classifier
        self.seed = seed

    def fit(self, X_sr: np.ndarray, m_sr: np.ndarray, X_sb: np.ndarray, m_sb: np.ndarray) -> CathodeScorer:
        X_sr = check_features(X_sr, "X_sr")
        m_sr = check_array(m_sr, "m_sr", ndim=1, dtype=np.float64)
        oversample = check_int(self.oversample, "oversample", low=1)
        s1, s2, s3 = spawn_seeds(int(self.seed), 3)
        self.density_ = SidebandInterpolation(self.n_components, density=self.density, flow=self.flow,
                                              seed=s1).fit(X_sb, m_sb, split=_split(m_sr))
        rng = np.random.default_rng(s2)
        m_samples = np.repeat(m_sr, oversample)
        self.samples_ = self.density_.sample(m_samples, seed=rng)
        cw = CWoLaScorer(self.n_folds, self.classifier, balance=True, seed=s3).fit(X_sr, self.samples_)
        self.classifier_ = cw
        self.oof_scores_ = cw.signal_region_scores_
        self.n_features_in_ = X_sr.shape[1]
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        return self.classifier_.score(X)
