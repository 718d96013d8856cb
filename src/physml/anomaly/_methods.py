"""Anomaly scores for the LHC Olympics dijet features: the supervised upper bound, an
autoencoder's reconstruction error, and the weakly supervised / density-based resonant methods
(CWoLa hunting, ANODE, CATHODE).

Every scorer follows scikit-learn: parameters in ``__init__``, ``fit`` learns trailing-underscore
attributes, ``score`` returns one anomaly score per event (larger = more signal-like).

Classifiers: ``"hgb"`` is scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
(boosted trees, the strong and well-kept choice on a handful of tabular features; Finke et al.,
arXiv:2309.13111, find them as good as neural networks for CWoLa and CATHODE), with early stopping
on an internal 20% split; ``"mlp"`` is :class:`physml.nets.MLPClassifier` on standardised features.
Any scikit-learn classifier instance may be passed instead (it is cloned).

Densities: ANODE and CATHODE need p(x | mjj), from normalizing flows as in the papers
(``density="flow"``, :class:`physml.flows.FlowDensity`, a MAF by default) or from Gaussian mixtures
(``density="gmm"``, scikit-learn's GaussianMixture; faster, coarser):

- the background in the signal region is :class:`SidebandInterpolation`: densities p_lo(x) and
  p_hi(x) fitted on the lower and upper sideband (one window each), mixed linearly in mjj between
  the sidebands' mean masses. This both evaluates and samples p(x | m), which CATHODE needs.
  (A joint mixture fitted on both sidebands and conditioned on an SR mass is *not* used: a
  component fitted to signal leaking into both sidebands sits in the gap between them and gets an
  inflated weight there, which inverts the ANODE ratio.)
- the data in the signal region (ANODE's numerator): with flows :class:`ConditionalFlow`, since
  FlowDensity has no conditional mode: a flow of the joint (x, ln m) divided by a kernel density
  of ln m; with mixtures :class:`ConditionalGaussianMixture`, a joint mixture of (x, ln m)
  conditioned exactly: p(x | m) is again a Gaussian mixture with weights
  ∝ π_k N(m; μ_k^m, Σ_k^mm), means μ_k^x + Σ_k^xm (m − μ_k^m)/Σ_k^mm and covariances
  Σ_k^xx − Σ_k^xm Σ_k^mx/Σ_k^mm.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from physml._core import check_array, check_int, spawn_seeds

__all__ = [
    "ANOMALY_FEATURES",
    "AnodeScorer",
    "AutoencoderScorer",
    "CWoLaScorer",
    "CathodeScorer",
    "ConditionalFlow",
    "ConditionalGaussianMixture",
    "DEFAULT_FLOW",
    "DENSITIES",
    "SidebandInterpolation",
    "SupervisedScorer",
    "anomaly_features",
    "make_classifier",
]

#: the usual LHC Olympics inputs (CATHODE, arXiv:2109.00546): mJ1, ΔmJ = mJ1 − mJ2 (TeV), τ21 of both
ANOMALY_FEATURES: tuple[str, ...] = ("mj1", "delta_mj", "tau21_j1", "tau21_j2")


def anomaly_features(events: Mapping[str, np.ndarray]) -> np.ndarray:
    """The matrix of :data:`ANOMALY_FEATURES` from an event table, shape (n_events, 4); masses in TeV."""
    from physml.data.collider import check_events

    ev = check_events(events, ("mjj", "mj1", "mj2", "tau21_j1", "tau21_j2"))
    mj1 = np.asarray(ev["mj1"], float) / 1000.0
    mj2 = np.asarray(ev["mj2"], float) / 1000.0
    return np.stack([mj1, mj1 - mj2, ev["tau21_j1"], ev["tau21_j2"]], axis=1).astype(float)


def make_classifier(kind: Any = "hgb", seed: int = 0) -> Any:
    """A fresh classifier: ``"hgb"``, ``"mlp"`` or a clone of a scikit-learn classifier instance."""
    from sklearn.base import clone

    if isinstance(kind, str):
        if kind == "hgb":
            from sklearn.ensemble import HistGradientBoostingClassifier

            return HistGradientBoostingClassifier(
                max_iter=200, learning_rate=0.1, max_leaf_nodes=31, early_stopping=True,
                validation_fraction=0.2, n_iter_no_change=10, random_state=int(seed) % 2**32,
            )
        if kind == "mlp":
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            from physml.nets import MLPClassifier

            return make_pipeline(
                StandardScaler(),
                MLPClassifier((64, 64), learning_rate=0.01, momentum=0.9, epochs=20, batch_size=128,
                              seed=seed),
            )
        raise ValueError(f"classifier must be 'hgb', 'mlp' or a scikit-learn classifier, got {kind!r}")
    if not hasattr(kind, "fit") or not hasattr(kind, "predict_proba"):
        raise TypeError(f"classifier must have fit and predict_proba, got {type(kind).__name__}")
    est = clone(kind)
    if "random_state" in est.get_params():
        est.set_params(random_state=int(seed) % 2**32)
    elif "seed" in est.get_params():
        est.set_params(seed=seed)
    return est


def _x(X: Any, name: str, n_features: int | None = None) -> np.ndarray:
    X = check_array(X, name, ndim=2, min_samples=1, dtype=np.float64)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, the scorer was fitted on {n_features}")
    return X


def _proba(model: Any, X: np.ndarray) -> np.ndarray:
    return np.asarray(model.predict_proba(X))[:, 1]


def _kfold(X: np.ndarray, y: np.ndarray, n_folds: int, classifier: Any, seed: int,
           sample_weight: np.ndarray | None = None) -> tuple[list[Any], np.ndarray]:
    """Train ``n_folds`` classifiers, each on all folds but one; out-of-fold scores for every row."""
    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(X)) % n_folds
    oof = np.zeros(len(X))
    models = []
    for k, s in enumerate(spawn_seeds(seed, n_folds)):
        train = fold != k
        if len(np.unique(y[train])) < 2:
            raise ValueError("a training fold holds only one class; give more events")
        model = make_classifier(classifier, s)
        if sample_weight is None:
            model.fit(X[train], y[train])
        else:
            model.fit(X[train], y[train], **_weight_kw(model, sample_weight[train]))
        oof[~train] = _proba(model, X[~train])
        models.append(model)
    return models, oof


def _weight_kw(model: Any, w: np.ndarray) -> dict:
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return {f"{model.steps[-1][0]}__sample_weight": w}
    return {"sample_weight": w}


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
        X = _x(X, "X")
        y = check_array(y, "y", ndim=1, dtype=None).astype(int)
        if len(y) != len(X):
            raise ValueError(f"X and y have different lengths: {len(X)} and {len(y)}")
        if set(np.unique(y)) != {0, 1}:
            raise ValueError("y must contain both classes 0 and 1")
        self.models_ = []
        for s in spawn_seeds(self.seed, check_int(self.n_models, "n_models", low=1)):
            m = make_classifier(self.classifier, s)
            m.fit(X, y) if sample_weight is None else m.fit(X, y, **_weight_kw(m, sample_weight))
            self.models_.append(m)
        self.n_features_in_ = X.shape[1]
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        X = _x(X, "X", self.n_features_in_)
        return np.mean([_proba(m, X) for m in self.models_], axis=0)


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
        X1 = _x(X_signal_region, "X_signal_region")
        X0 = _x(X_reference, "X_reference", X1.shape[1])
        n_folds = check_int(self.n_folds, "n_folds", low=2)
        X = np.concatenate([X1, X0])
        y = np.r_[np.ones(len(X1), int), np.zeros(len(X0), int)]
        w = None
        if self.balance:
            w = np.where(y == 1, len(X) / (2.0 * len(X1)), len(X) / (2.0 * len(X0)))
        self.models_, self.oof_scores_ = _kfold(X, y, n_folds, self.classifier, int(self.seed), w)
        self.n_signal_region_ = len(X1)
        self.n_features_in_ = X1.shape[1]
        return self

    @property
    def signal_region_scores_(self) -> np.ndarray:
        """Out-of-fold scores of the signal-region training events."""
        return self.oof_scores_[: self.n_signal_region_]

    def score(self, X: np.ndarray) -> np.ndarray:
        """Mean score of the k fold models, for events none of them was trained on."""
        X = _x(X, "X", self.n_features_in_)
        return np.mean([_proba(m, X) for m in self.models_], axis=0)


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
        from physml.nets import Autoencoder

        X = _x(X, "X")
        self.model_ = Autoencoder(
            check_int(self.latent, "latent", low=1), tuple(self.hidden), n_members=self.n_members,
            epochs=self.epochs, batch_size=self.batch_size, learning_rate=self.learning_rate,
            patience=self.patience, seed=int(self.seed),
        ).fit(X)
        self.n_features_in_ = X.shape[1]
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Squared reconstruction error per event (standardised units), averaged over members."""
        X = _x(X, "X", self.n_features_in_)
        return np.asarray(self.model_.anomaly_score(X), dtype=float)


class ConditionalGaussianMixture:
    """p(x | m): a Gaussian mixture of the joint (x, ln m), conditioned exactly on m.

    Parameters
    ----------
    n_components : int
    seed : int
    """

    def __init__(self, n_components: int = 8, *, seed: int = 0):
        self.n_components = n_components
        self.seed = seed

    def fit(self, X: np.ndarray, mjj: np.ndarray) -> ConditionalGaussianMixture:
        from sklearn.mixture import GaussianMixture

        X = _x(X, "X")
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        if len(m) != len(X):
            raise ValueError(f"X and mjj have different lengths: {len(X)} and {len(m)}")
        if (m <= 0).any():
            raise ValueError("mjj must be positive")
        J = np.column_stack([X, np.log(m)])
        self.mean_, self.scale_ = J.mean(axis=0), J.std(axis=0) + 1e-12
        gm = GaussianMixture(check_int(self.n_components, "n_components", low=1), covariance_type="full",
                             reg_covar=1e-4, random_state=int(self.seed) % 2**32, max_iter=300)
        gm.fit((J - self.mean_) / self.scale_)
        self.mixture_ = gm
        self.n_features_in_ = X.shape[1]
        return self

    def _conditional(self, m: np.ndarray):
        d = self.n_features_in_
        u = (np.log(m) - self.mean_[d]) / self.scale_[d]  # (n,)
        mu, cov, pi = self.mixture_.means_, self.mixture_.covariances_, self.mixture_.weights_
        s_mm = cov[:, d, d]  # (k,)
        s_xm = cov[:, :d, d]  # (k, d)
        log_w = np.log(pi)[None, :] - 0.5 * ((u[:, None] - mu[None, :, d]) ** 2 / s_mm[None, :]
                                            + np.log(2 * np.pi * s_mm)[None, :])
        log_w -= np.logaddexp.reduce(log_w, axis=1, keepdims=True)
        means = mu[None, :, :d] + (u[:, None] - mu[None, :, d])[..., None] * (s_xm / s_mm[:, None])[None]
        covs = cov[:, :d, :d] - np.einsum("ki,kj->kij", s_xm, s_xm) / s_mm[:, None, None]
        return log_w, means, covs

    def log_prob(self, X: np.ndarray, mjj: np.ndarray) -> np.ndarray:
        """ln p(x | m) per event (in the original units of x)."""
        X = _x(X, "X", self.n_features_in_)
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        d = self.n_features_in_
        Z = (X - self.mean_[:d]) / self.scale_[:d]
        log_w, means, covs = self._conditional(m)
        out = np.empty((len(X), len(covs)))
        for k, c in enumerate(covs):
            L = np.linalg.cholesky(c)
            r = np.linalg.solve(L, (Z - means[:, k]).T)
            out[:, k] = -0.5 * (r**2).sum(axis=0) - np.log(np.diag(L)).sum() - 0.5 * d * np.log(2 * np.pi)
        return np.logaddexp.reduce(out + log_w, axis=1) - np.log(self.scale_[:d]).sum()

    def sample(self, mjj: np.ndarray, *, seed: int | np.random.Generator = 0) -> np.ndarray:
        """One draw of x ~ p(x | m) per entry of ``mjj``, shape (len(mjj), d)."""
        rng = np.random.default_rng(seed)
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        d = self.n_features_in_
        log_w, means, covs = self._conditional(m)
        w = np.exp(log_w)
        comp = (rng.random(len(m))[:, None] > np.cumsum(w, axis=1)).sum(axis=1)
        comp = np.minimum(comp, len(covs) - 1)
        chol = np.linalg.cholesky(covs)
        eps = rng.standard_normal((len(m), d))
        Z = means[np.arange(len(m)), comp] + np.einsum("nij,nj->ni", chol[comp], eps)
        return Z * self.scale_[:d] + self.mean_[:d]


#: density estimators for ANODE and CATHODE
DENSITIES = ("flow", "gmm")
#: FlowDensity settings used when ``flow=None``: a MAF as in ANODE/CATHODE, early stopping
DEFAULT_FLOW: dict[str, Any] = dict(flow="maf", transforms=4, hidden_features=(64, 64), learning_rate=1e-3,
                                    batch_size=256, max_epochs=100, patience=10)


def _flow_params(flow: Mapping[str, Any] | None) -> dict[str, Any]:
    from physml.flows import FlowDensity

    params = dict(DEFAULT_FLOW if flow is None else flow)
    accepted = set(FlowDensity().get_params()) - {"seed"}
    bad = sorted(set(params) - accepted)
    if bad:
        raise ValueError(f"flow: unknown or reserved FlowDensity parameter(s) {bad}; "
                         f"accepted: {sorted(accepted)}")
    return params


class _Density:
    """A density of standardised features: a Gaussian mixture or a :class:`physml.flows.FlowDensity`."""

    def __init__(self, kind: str, n_components: int, flow: Mapping[str, Any] | None, seed: int):
        self.kind, self.n_components, self.flow, self.seed = kind, n_components, flow, seed

    def fit(self, Z: np.ndarray) -> _Density:
        if self.kind == "gmm":
            from sklearn.mixture import GaussianMixture

            self.model = GaussianMixture(self.n_components, covariance_type="full", reg_covar=1e-4,
                                         random_state=self.seed % 2**32, max_iter=300).fit(Z)
        else:
            from physml.flows import FlowDensity

            self.model = FlowDensity(**_flow_params(self.flow), seed=self.seed).fit(Z)
        return self

    def log_prob(self, Z: np.ndarray) -> np.ndarray:
        if self.kind == "gmm":
            return self.model.score_samples(Z)
        return self.model.log_prob(Z)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        if self.kind == "flow":
            return self.model.sample(n, seed=int(rng.integers(2**62)))
        g = self.model
        comp = rng.choice(len(g.weights_), size=n, p=g.weights_ / g.weights_.sum())
        chol = np.linalg.cholesky(g.covariances_)
        eps = rng.standard_normal((n, g.means_.shape[1]))
        return g.means_[comp] + np.einsum("nij,nj->ni", chol[comp], eps)


def _check_density(density: str, n_components: int, n_features: int) -> int:
    """The fewest events a density of this kind accepts (and validation of its parameters)."""
    if density not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES}, got {density!r}")
    if density == "gmm":
        return 10 * check_int(n_components, "n_components", low=1)
    from physml.flows._density import MIN_SAMPLES_PER_FEATURE

    return max(20, MIN_SAMPLES_PER_FEATURE * n_features)


class ConditionalFlow:
    """p(x | m) from normalizing flows: a flow of the joint (x, ln m) divided by the marginal of ln m.

    :class:`physml.flows.FlowDensity` has no conditional mode, so the conditional density is
    p(x | m) = p(x, ln m) / p(ln m), with the joint a flow and the one-dimensional marginal a
    Gaussian kernel density estimate (Scott's bandwidth) of the same events' ln m. The marginal
    only shifts the score by a function of m, so errors in it do not reorder events of one mass.
    (No ``sample``: drawing from the conditional of a joint flow needs more than the flow offers;
    CATHODE samples from :class:`SidebandInterpolation` instead.)

    Parameters
    ----------
    flow : dict, optional
        :class:`~physml.flows.FlowDensity` parameters (default :data:`DEFAULT_FLOW`).
    seed : int
    """

    def __init__(self, flow: Mapping[str, Any] | None = None, *, seed: int = 0):
        self.flow = flow
        self.seed = seed

    def fit(self, X: np.ndarray, mjj: np.ndarray) -> ConditionalFlow:
        from scipy.stats import gaussian_kde

        from physml.flows import FlowDensity

        X = _x(X, "X")
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        if len(m) != len(X):
            raise ValueError(f"X and mjj have different lengths: {len(X)} and {len(m)}")
        if (m <= 0).any():
            raise ValueError("mjj must be positive")
        u = np.log(m)
        self.joint_ = FlowDensity(**_flow_params(self.flow), seed=int(self.seed)).fit(np.column_stack([X, u]))
        self.marginal_ = gaussian_kde(u)
        self.n_features_in_ = X.shape[1]
        return self

    def log_prob(self, X: np.ndarray, mjj: np.ndarray) -> np.ndarray:
        """ln p(x | m) per event (original units of x)."""
        X = _x(X, "X", self.n_features_in_)
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        if len(m) != len(X):
            raise ValueError(f"X and mjj have different lengths: {len(X)} and {len(m)}")
        u = np.log(m)
        return self.joint_.log_prob(np.column_stack([X, u])) - self.marginal_.logpdf(u)


class SidebandInterpolation:
    """Background density in the signal region from the sidebands: densities p_lo(x) and p_hi(x)
    fitted on the events below and above ``split`` (each sideband its own window), and
    p(x | m) = (1 − t) p_lo(x) + t p_hi(x), t = clip((m − m̄_lo)/(m̄_hi − m̄_lo), 0, 1).

    Parameters
    ----------
    n_components : int
        Mixture components (``density="gmm"``).
    density : {"flow", "gmm"}
        :class:`physml.flows.FlowDensity` (a MAF by default) or a Gaussian mixture.
    flow : dict, optional
        FlowDensity parameters for ``density="flow"`` (default :data:`DEFAULT_FLOW`).
    seed : int
    """

    def __init__(self, n_components: int = 8, *, density: str = "flow", flow: Mapping[str, Any] | None = None,
                 seed: int = 0):
        self.n_components = n_components
        self.density = density
        self.flow = flow
        self.seed = seed

    def fit(self, X: np.ndarray, mjj: np.ndarray, *, split: float) -> SidebandInterpolation:
        """``X`` (n, d) and ``mjj`` (n,) of the sideband events; ``split`` (GeV) separates them."""
        X = _x(X, "X")
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        if len(m) != len(X):
            raise ValueError(f"X and mjj have different lengths: {len(X)} and {len(m)}")
        lo, hi = m < split, m >= split
        need = _check_density(self.density, self.n_components, X.shape[1])
        for name, mask in (("lower", lo), ("upper", hi)):
            if mask.sum() < need:
                raise ValueError(f"the {name} sideband holds {int(mask.sum())} events; a {self.density} "
                                 f"density here needs at least {need}")
        self.mean_, self.scale_ = X.mean(axis=0), X.std(axis=0) + 1e-12
        Z = (X - self.mean_) / self.scale_
        self.densities_ = [
            _Density(self.density, self.n_components, self.flow, s).fit(Z[mask])
            for mask, s in zip((lo, hi), spawn_seeds(int(self.seed), 2), strict=True)
        ]
        self.mass_lo_, self.mass_hi_ = float(m[lo].mean()), float(m[hi].mean())
        self.n_features_in_ = X.shape[1]
        return self

    def _t(self, m: np.ndarray) -> np.ndarray:
        return np.clip((m - self.mass_lo_) / (self.mass_hi_ - self.mass_lo_), 0.0, 1.0)

    def log_prob(self, X: np.ndarray, mjj: np.ndarray) -> np.ndarray:
        """ln p(x | m) per event (original units of x)."""
        X = _x(X, "X", self.n_features_in_)
        t = self._t(check_array(mjj, "mjj", ndim=1, dtype=np.float64))
        Z = (X - self.mean_) / self.scale_
        lo, hi = (d.log_prob(Z) for d in self.densities_)
        with np.errstate(divide="ignore"):
            out = np.logaddexp(np.log1p(-t) + lo, np.log(t) + hi)
        return out - np.log(self.scale_).sum()

    def sample(self, mjj: np.ndarray, *, seed: int | np.random.Generator = 0) -> np.ndarray:
        """One draw of x ~ p(x | m) per entry of ``mjj``."""
        rng = np.random.default_rng(seed)
        t = self._t(check_array(mjj, "mjj", ndim=1, dtype=np.float64))
        upper = rng.random(len(t)) < t
        out = np.empty((len(t), self.n_features_in_))
        for flag, dens in ((False, self.densities_[0]), (True, self.densities_[1])):
            rows = np.nonzero(upper == flag)[0]
            if len(rows):
                out[rows] = dens.sample(len(rows), rng)
        return out * self.scale_ + self.mean_


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
        X_sr = _x(X_sr, "X_sr")
        need = _check_density(self.density, self.n_components, X_sr.shape[1] + 1)
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
        X_sr = _x(X_sr, "X_sr")
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
