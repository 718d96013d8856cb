"""Conditional densities p(x | mjj) for ANODE and CATHODE.

ANODE and CATHODE need p(x | mjj), from normalizing flows as in the papers (``density="flow"``,
:class:`physml.flows.FlowDensity`, a MAF by default) or from Gaussian mixtures (``density="gmm"``,
scikit-learn's GaussianMixture; faster, coarser):

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
from scipy.stats import gaussian_kde

from physml import flows
from physml._core import check_array, check_int, spawn_seeds
from physml.anomaly._features import check_features
from physml.anomaly._training import FeatureDensity, density_min_events, flow_params

__all__ = ["ConditionalFlow", "ConditionalGaussianMixture", "SidebandInterpolation"]


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

        X = check_features(X, "X")
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
        X = check_features(X, "X", self.n_features_in_)
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
        X = check_features(X, "X")
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        if len(m) != len(X):
            raise ValueError(f"X and mjj have different lengths: {len(X)} and {len(m)}")
        if (m <= 0).any():
            raise ValueError("mjj must be positive")
        u = np.log(m)
        joint = flows.FlowDensity(**flow_params(self.flow), seed=int(self.seed))
        self.joint_ = joint.fit(np.column_stack([X, u]))
        self.marginal_ = gaussian_kde(u)
        self.n_features_in_ = X.shape[1]
        return self

    def log_prob(self, X: np.ndarray, mjj: np.ndarray) -> np.ndarray:
        """ln p(x | m) per event (original units of x)."""
        X = check_features(X, "X", self.n_features_in_)
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
        X = check_features(X, "X")
        m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
        if len(m) != len(X):
            raise ValueError(f"X and mjj have different lengths: {len(X)} and {len(m)}")
        lo, hi = m < split, m >= split
        need = density_min_events(self.density, self.n_components, X.shape[1])
        for name, mask in (("lower", lo), ("upper", hi)):
            if mask.sum() < need:
                raise ValueError(f"the {name} sideband holds {int(mask.sum())} events; a {self.density} "
                                 f"density here needs at least {need}")
        self.mean_, self.scale_ = X.mean(axis=0), X.std(axis=0) + 1e-12
        Z = (X - self.mean_) / self.scale_
        self.densities_ = [
            FeatureDensity(self.density, self.n_components, self.flow, s).fit(Z[mask])
            for mask, s in zip((lo, hi), spawn_seeds(int(self.seed), 2), strict=True)
        ]
        self.mass_lo_, self.mass_hi_ = float(m[lo].mean()), float(m[hi].mean())
        self.n_features_in_ = X.shape[1]
        return self

    def _t(self, m: np.ndarray) -> np.ndarray:
        return np.clip((m - self.mass_lo_) / (self.mass_hi_ - self.mass_lo_), 0.0, 1.0)

    def log_prob(self, X: np.ndarray, mjj: np.ndarray) -> np.ndarray:
        """ln p(x | m) per event (original units of x)."""
        X = check_features(X, "X", self.n_features_in_)
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
