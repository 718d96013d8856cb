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

Densities: ANODE and CATHODE need p(x | mjj). Until ``physml.flows`` is available this module uses
Gaussian mixtures (scikit-learn's GaussianMixture on standardised columns), not flows:

- in the signal region, :class:`ConditionalGaussianMixture` models the joint density of
  (x, ln mjj) and conditions it exactly: p(x | m) is again a Gaussian mixture with weights
  ∝ π_k N(m; μ_k^m, Σ_k^mm), means μ_k^x + Σ_k^xm (m − μ_k^m)/Σ_k^mm and covariances
  Σ_k^xx − Σ_k^xm Σ_k^mx/Σ_k^mm;
- the background in the signal region is :class:`SidebandInterpolation`: mixtures p_lo(x) and
  p_hi(x) fitted on the lower and upper sideband, mixed linearly in mjj between the sidebands'
  mean masses. (A joint mixture fitted on both sidebands and conditioned on an SR mass is *not*
  used: a component fitted to signal leaking into both sidebands sits in the gap between them
  and gets an inflated weight there, which inverts the ANODE ratio.)

The papers use normalizing flows; mixtures are coarser density estimates, so the ANODE and
CATHODE numbers here are a lower bound on what flows achieve.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from physml._validation import check_array, check_int, check_real
from physml.lab._seeding import spawn_seeds

__all__ = [
    "ANOMALY_FEATURES",
    "AnodeScorer",
    "AutoencoderScorer",
    "CWoLaScorer",
    "CathodeScorer",
    "ConditionalGaussianMixture",
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
    """Reconstruction error of an MLP autoencoder (``physml.nets.MLP`` encoder and decoder) trained
    on the data, on standardised features: events unlike the bulk reconstruct poorly.

    Parameters
    ----------
    latent : int
        Bottleneck width.
    hidden : tuple of int
        Encoder widths (the decoder mirrors them).
    epochs, batch_size : int
    learning_rate : float
        Adam's step size.
    seed : int
    """

    def __init__(self, latent: int = 2, hidden: tuple[int, ...] = (32, 32), *, epochs: int = 30,
                 batch_size: int = 256, learning_rate: float = 3e-3, seed: int = 0):
        self.latent = latent
        self.hidden = hidden
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.seed = seed

    def fit(self, X: np.ndarray) -> AutoencoderScorer:
        import torch

        from physml.lab._seeding import torch_generator
        from physml.nets import MLP

        X = _x(X, "X")
        latent = check_int(self.latent, "latent", low=1)
        epochs = check_int(self.epochs, "epochs", low=1)
        bs = check_int(self.batch_size, "batch_size", low=1)
        lr = check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        self.mean_, self.scale_ = X.mean(axis=0), X.std(axis=0) + 1e-12
        Z = torch.from_numpy(((X - self.mean_) / self.scale_).astype(np.float32))
        d = X.shape[1]
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(self.seed))
            self.model_ = torch.nn.Sequential(
                MLP((d, *self.hidden, latent), "relu"), MLP((latent, *reversed(self.hidden), d), "relu")
            )
        opt = torch.optim.Adam(self.model_.parameters(), lr=lr)
        gen = torch_generator(int(self.seed) + 1)
        self.loss_curve_ = []
        for _ in range(epochs):
            order = torch.randperm(len(Z), generator=gen)
            total = 0.0
            for i in range(0, len(Z), bs):
                batch = Z[order[i : i + bs]]
                loss = ((self.model_(batch) - batch) ** 2).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.item() * len(batch)
            self.loss_curve_.append(total / len(Z))
        self.n_features_in_ = d
        return self

    def score(self, X: np.ndarray) -> np.ndarray:
        """Mean squared reconstruction error per event (standardised units)."""
        import torch

        X = _x(X, "X", self.n_features_in_)
        Z = torch.from_numpy(((X - self.mean_) / self.scale_).astype(np.float32))
        with torch.no_grad():
            return ((self.model_(Z) - Z) ** 2).mean(dim=1).numpy().astype(float)


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


class SidebandInterpolation:
    """Background density in the signal region from the sidebands: Gaussian mixtures p_lo(x) and
    p_hi(x) fitted on the events below and above ``split``, and
    p(x | m) = (1 − t) p_lo(x) + t p_hi(x), t = clip((m − m̄_lo)/(m̄_hi − m̄_lo), 0, 1).

    Parameters
    ----------
    n_components : int
    seed : int
    """

    def __init__(self, n_components: int = 8, *, seed: int = 0):
        self.n_components = n_components
        self.seed = seed

    def fit(self, X: np.ndarray, mjj: np.ndarray, *, split: float) -> SidebandInterpolation:
        """``X`` (n, d) and ``mjj`` (n,) of the sideband events; ``split`` (GeV) separates them."""
        from sklearn.mixture import GaussianMixture

        X = _x(X, "X")
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        if len(m) != len(X):
            raise ValueError(f"X and mjj have different lengths: {len(X)} and {len(m)}")
        lo, hi = m < split, m >= split
        k = check_int(self.n_components, "n_components", low=1)
        for name, mask in (("lower", lo), ("upper", hi)):
            if mask.sum() < 10 * k:
                raise ValueError(f"the {name} sideband holds {int(mask.sum())} events; need at least "
                                 f"{10 * k} "
                                 f"for {k} mixture components")
        self.mean_, self.scale_ = X.mean(axis=0), X.std(axis=0) + 1e-12
        Z = (X - self.mean_) / self.scale_
        self.mixtures_ = []
        for mask, s in zip((lo, hi), spawn_seeds(int(self.seed), 2), strict=True):
            gm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, random_state=s % 2**32,
                                 max_iter=300)
            self.mixtures_.append(gm.fit(Z[mask]))
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
        lo, hi = (g.score_samples(Z) for g in self.mixtures_)
        with np.errstate(divide="ignore"):
            out = np.logaddexp(np.log1p(-t) + lo, np.log(t) + hi)
        return out - np.log(self.scale_).sum()

    def sample(self, mjj: np.ndarray, *, seed: int | np.random.Generator = 0) -> np.ndarray:
        """One draw of x ~ p(x | m) per entry of ``mjj``."""
        rng = np.random.default_rng(seed)
        t = self._t(check_array(mjj, "mjj", ndim=1, dtype=np.float64))
        upper = rng.random(len(t)) < t
        out = np.empty((len(t), self.n_features_in_))
        for flag, g in ((False, self.mixtures_[0]), (True, self.mixtures_[1])):
            rows = np.nonzero(upper == flag)[0]
            if len(rows) == 0:
                continue
            comp = rng.choice(len(g.weights_), size=len(rows), p=g.weights_ / g.weights_.sum())
            chol = np.linalg.cholesky(g.covariances_)
            eps = rng.standard_normal((len(rows), self.n_features_in_))
            out[rows] = g.means_[comp] + np.einsum("nij,nj->ni", chol[comp], eps)
        return out * self.scale_ + self.mean_


def _split(m_sr: np.ndarray) -> float:
    m = check_array(m_sr, "m_sr", ndim=1, dtype=np.float64, min_samples=1)
    return 0.5 * (float(m.min()) + float(m.max()))


class AnodeScorer:
    """ANODE (Nachman & Shih 2020): R(x | m) = p_data(x | m) / p_background(x | m), with the data
    density fitted in the signal region and the background density fitted on the sidebands and
    interpolated into it (:class:`SidebandInterpolation`). Score: ln R.
    """

    def __init__(self, n_components: int = 8, *, seed: int = 0):
        self.n_components = n_components
        self.seed = seed

    def fit(self, X_sr: np.ndarray, m_sr: np.ndarray, X_sb: np.ndarray, m_sb: np.ndarray) -> AnodeScorer:
        s1, s2 = spawn_seeds(int(self.seed), 2)
        self.data_density_ = ConditionalGaussianMixture(self.n_components, seed=s1).fit(X_sr, m_sr)
        self.background_density_ = SidebandInterpolation(self.n_components, seed=s2).fit(
            X_sb, m_sb, split=_split(m_sr))
        return self

    def score(self, X: np.ndarray, mjj: np.ndarray) -> np.ndarray:
        return self.data_density_.log_prob(X, mjj) - self.background_density_.log_prob(X, mjj)


class CathodeScorer:
    """CATHODE (Hallin et al., arXiv:2109.00546): a density p(x | m) fitted on the sidebands,
    sampled in the signal region at the SR events' masses (``oversample`` draws per event), and a
    classifier trained k-fold to tell the SR data from these background samples.

    ``oof_scores_`` scores the SR training events out of fold; ``score`` averages the fold models.
    """

    def __init__(self, n_components: int = 8, *, oversample: int = 4, n_folds: int = 5,
                 classifier: Any = "hgb", seed: int = 0):
        self.n_components = n_components
        self.oversample = oversample
        self.n_folds = n_folds
        self.classifier = classifier
        self.seed = seed

    def fit(self, X_sr: np.ndarray, m_sr: np.ndarray, X_sb: np.ndarray, m_sb: np.ndarray) -> CathodeScorer:
        X_sr = _x(X_sr, "X_sr")
        m_sr = check_array(m_sr, "m_sr", ndim=1, dtype=np.float64)
        oversample = check_int(self.oversample, "oversample", low=1)
        s1, s2, s3 = spawn_seeds(int(self.seed), 3)
        self.density_ = SidebandInterpolation(self.n_components, seed=s1).fit(X_sb, m_sb, split=_split(m_sr))
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
