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

Each is a scikit-learn estimator with physml's model contract (docs/architecture.md, "One model
contract") for conditional data (``_data_kind = "conditional"``): ``fit(X, mjj)``,
``score_samples(X, mjj)`` = ``log_prob(X, mjj)`` = ln p(x | m) per event in the units of x,
``score(X, mjj)`` its mean (higher is better), ``sample(mjj, seed=...)`` where the density can be
sampled, and ``save``/``load`` through one ``.npz`` of plain arrays. ``mjj`` may be passed by
position or by keyword.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from scipy.stats import gaussian_kde
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml import flows
from physml._core import (
    Interval,
    ModelMixin,
    Options,
    Predicate,
    check_array,
    check_real,
    nested_model,
    nested_state,
    spawn_seeds,
)
from physml.anomaly._features import check_features, check_mjj
from physml.anomaly._training import (
    FeatureDensity,
    density_min_events,
    flow_params,
    mixture_arrays,
    mixture_from_arrays,
)

__all__ = ["ConditionalFlow", "ConditionalGaussianMixture", "SidebandInterpolation"]

# declared parameters shared with the scorers (_scorers imports them)
_SEED = [Interval(int, 0, None)]
_FLOW = [None, Predicate(lambda v: isinstance(v, Mapping), "a dict of FlowDensity parameters")]


class _ConditionalDensity(ModelMixin, BaseEstimator):
    """What the three conditional densities share: inputs and scores."""

    _data_kind: ClassVar[str] = "conditional"

    def _features(self, X: Any) -> np.ndarray:
        return check_features(X, "X", self.n_features_in_)

    def _events(self, X: Any, mjj: Any, *, fitted: bool) -> tuple[np.ndarray, np.ndarray]:
        """``X`` and one positive mass per event, checked."""
        X = self._features(X) if fitted else check_features(X, "X")
        if mjj is None:
            raise TypeError(f"{type(self).__name__} needs mjj, the mass of every event: (X, mjj)")
        return X, check_mjj(mjj, len(X))

    def score_samples(self, X: Any, mjj: Any = None) -> np.ndarray:
        """ln p(x | m) per event, in the units of x (the same as :meth:`log_prob`)."""
        return self.log_prob(X, mjj)

    def score(self, X: Any, mjj: Any = None) -> float:
        """The mean of ln p(x | m) over the events ``(X, mjj)`` (higher is better)."""
        return float(np.mean(self.score_samples(X, mjj)))


def _masses(mjj: Any) -> np.ndarray:
    m = check_array(mjj, "mjj", ndim=1, dtype=np.float64)
    if (m <= 0).any():
        raise ValueError(f"mjj must be positive (a dijet mass), got {float(m.min()):g}")
    return m


class ConditionalGaussianMixture(_ConditionalDensity):
    """p(x | m): a Gaussian mixture of the joint (x, ln m), conditioned exactly on m.

    ``fit(X, mjj)``; ``score_samples(X, mjj)`` (= ``log_prob``) is ln p(x | m) per event in the
    units of x; ``sample(mjj, seed=...)`` draws one x per mass.

    Parameters
    ----------
    n_components : int
    seed : int
        Seeds scikit-learn's GaussianMixture (``random_state = seed mod 2³²``).

    Attributes
    ----------
    mixture_ : sklearn.mixture.GaussianMixture
        The mixture of the standardised (x, ln m).
    mean_, scale_ : numpy.ndarray, shape (n_features + 1,)
        The standardisation of (x, ln m).
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(int, 1, None)], "seed": _SEED,
    }

    def __init__(self, n_components: int = 8, *, seed: int = 0):
        self.n_components = n_components
        self.seed = seed

    def fit(self, X: Any, mjj: Any = None) -> ConditionalGaussianMixture:
        """Fit the mixture of (x, ln m) to the events ``X`` (n, d) at masses ``mjj`` (n,)."""
        from sklearn.mixture import GaussianMixture

        self._validate_params()
        X, m = self._events(X, mjj, fitted=False)
        if len(X) < self.n_components:
            raise ValueError(f"X holds {len(X)} events, fewer than n_components={self.n_components}")
        J = np.column_stack([X, np.log(m)])
        mean, scale = J.mean(axis=0), J.std(axis=0) + 1e-12
        gm = GaussianMixture(int(self.n_components), covariance_type="full",
                             reg_covar=1e-4, random_state=int(self.seed) % 2**32, max_iter=300)
        gm.fit((J - mean) / scale)
        self.mean_, self.scale_ = mean, scale
        self.mixture_ = gm
        self.n_features_in_ = X.shape[1]
        return self

    def _conditional(self, m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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

    def log_prob(self, X: Any, mjj: Any = None) -> np.ndarray:
        """ln p(x | m) per event (in the original units of x)."""
        check_is_fitted(self)
        X, m = self._events(X, mjj, fitted=True)
        d = self.n_features_in_
        Z = (X - self.mean_[:d]) / self.scale_[:d]
        log_w, means, covs = self._conditional(m)
        out = np.empty((len(X), len(covs)))
        for k, c in enumerate(covs):
            L = np.linalg.cholesky(c)
            r = np.linalg.solve(L, (Z - means[:, k]).T)
            out[:, k] = -0.5 * (r**2).sum(axis=0) - np.log(np.diag(L)).sum() - 0.5 * d * np.log(2 * np.pi)
        return np.logaddexp.reduce(out + log_w, axis=1) - np.log(self.scale_[:d]).sum()

    def sample(self, mjj: Any, *, seed: int | np.random.Generator = 0) -> np.ndarray:
        """One draw of x ~ p(x | m) per entry of ``mjj``, shape (len(mjj), d)."""
        check_is_fitted(self)
        m = _masses(mjj)
        rng = np.random.default_rng(seed)
        d = self.n_features_in_
        log_w, means, covs = self._conditional(m)
        w = np.exp(log_w)
        comp = (rng.random(len(m))[:, None] > np.cumsum(w, axis=1)).sum(axis=1)
        comp = np.minimum(comp, len(covs) - 1)
        chol = np.linalg.cholesky(covs)
        eps = rng.standard_normal((len(m), d))
        Z = means[np.arange(len(m)), comp] + np.einsum("nij,nj->ni", chol[comp], eps)
        return Z * self.scale_[:d] + self.mean_[:d]

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        arrays = {**mixture_arrays(self.mixture_, "mixture"), "mean": self.mean_, "scale": self.scale_}
        return {"n_features_in": int(self.n_features_in_)}, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.mixture_ = mixture_from_arrays(arrays, "mixture")
        self.mean_, self.scale_ = np.asarray(arrays["mean"]), np.asarray(arrays["scale"])
        self.n_features_in_ = int(meta["n_features_in"])


class ConditionalFlow(_ConditionalDensity):
    """p(x | m) from normalizing flows: a flow of the joint (x, ln m) divided by the marginal of ln m.

    :class:`physml.flows.FlowDensity` has no conditional mode, so the conditional density is
    p(x | m) = p(x, ln m) / p(ln m), with the joint a flow and the one-dimensional marginal a
    Gaussian kernel density estimate (Scott's bandwidth) of the same events' ln m. The marginal
    only shifts the score by a function of m, so errors in it do not reorder events of one mass.
    (No ``sample``: drawing from the conditional of a joint flow needs more than the flow offers;
    CATHODE samples from :class:`SidebandInterpolation` instead.)

    ``fit(X, mjj)``; ``score_samples(X, mjj)`` (= ``log_prob``) is ln p(x | m) per event.

    Parameters
    ----------
    flow : dict, optional
        :class:`~physml.flows.FlowDensity` parameters (default :data:`DEFAULT_FLOW`).
    seed : int
        The joint flow's seed.

    Attributes
    ----------
    joint_ : physml.flows.FlowDensity
        The flow of (x, ln m).
    marginal_ : scipy.stats.gaussian_kde
        The kernel density of ln m.
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"flow": _FLOW, "seed": _SEED}

    def __init__(self, flow: Mapping[str, Any] | None = None, *, seed: int = 0):
        self.flow = flow
        self.seed = seed

    def fit(self, X: Any, mjj: Any = None) -> ConditionalFlow:
        """Fit the joint flow and the marginal to the events ``X`` (n, d) at masses ``mjj`` (n,)."""
        self._validate_params()
        X, m = self._events(X, mjj, fitted=False)
        u = np.log(m)
        joint = flows.FlowDensity(**flow_params(self.flow), seed=int(self.seed))
        self.joint_ = joint.fit(np.column_stack([X, u]))
        self.marginal_ = gaussian_kde(u)
        self.n_features_in_ = X.shape[1]
        return self

    def log_prob(self, X: Any, mjj: Any = None) -> np.ndarray:
        """ln p(x | m) per event (original units of x)."""
        check_is_fitted(self)
        X, m = self._events(X, mjj, fitted=True)
        u = np.log(m)
        return self.joint_.log_prob(np.column_stack([X, u])) - self.marginal_.logpdf(u)

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        joint, arrays = nested_state(self.joint_, "joint")
        meta = {"joint": joint, "n_features_in": int(self.n_features_in_)}
        return meta, {**arrays, "marginal_points": self.marginal_.dataset[0]}

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.joint_ = nested_model(meta["joint"], arrays, "joint")
        self.marginal_ = gaussian_kde(np.asarray(arrays["marginal_points"], dtype=np.float64))
        self.n_features_in_ = int(meta["n_features_in"])


def _widest_gap(m: np.ndarray) -> float:
    """The middle of the widest gap between consecutive masses: where the sidebands part."""
    s = np.sort(m)
    gaps = np.diff(s)
    if len(gaps) == 0 or gaps.max() <= 0:
        raise ValueError("mjj needs at least two distinct masses to find the gap between the sidebands; "
                         "pass split=")
    i = int(np.argmax(gaps))
    return 0.5 * (float(s[i]) + float(s[i + 1]))


class SidebandInterpolation(_ConditionalDensity):
    """Background density in the signal region from the sidebands: densities p_lo(x) and p_hi(x)
    fitted on the events below and above ``split`` (each sideband its own window), and
    p(x | m) = (1 − t) p_lo(x) + t p_hi(x), t = clip((m − m̄_lo)/(m̄_hi − m̄_lo), 0, 1).

    ``fit(X, mjj)`` on the sideband events; ``score_samples(X, mjj)`` (= ``log_prob``) is
    ln p(x | m) per event, ``sample(mjj, seed=...)`` draws one x per mass (CATHODE's background
    sample).

    Parameters
    ----------
    n_components : int
        Mixture components (``density="gmm"``).
    density : {"flow", "gmm"}
        :class:`physml.flows.FlowDensity` (a MAF by default) or a Gaussian mixture.
    flow : dict, optional
        FlowDensity parameters for ``density="flow"`` (default :data:`DEFAULT_FLOW`).
    split : float, optional
        The mass that separates the lower from the upper sideband (the signal region lies
        between them). Default: the middle of the widest gap between consecutive masses of the
        fitted events. ``fit(X, mjj, split=...)`` overrides it for one fit.
    seed : int
        The two sideband densities get the seeds ``spawn_seeds(seed, 2)``.

    Attributes
    ----------
    densities_ : list of two densities
        The lower and upper sideband's, of the standardised features.
    mass_lo_, mass_hi_ : float
        The sidebands' mean masses.
    split_ : float
        The split used.
    mean_, scale_ : numpy.ndarray, shape (n_features,)
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(int, 1, None)],
        "density": [Options("flow", "gmm")],
        "flow": _FLOW,
        "split": [None, Interval(float, 0, None, closed="neither")],
        "seed": _SEED,
    }

    def __init__(self, n_components: int = 8, *, density: str = "flow", flow: Mapping[str, Any] | None = None,
                 split: float | None = None, seed: int = 0):
        self.n_components = n_components
        self.density = density
        self.flow = flow
        self.split = split
        self.seed = seed

    def fit(self, X: Any, mjj: Any = None, *, split: float | None = None) -> SidebandInterpolation:
        """``X`` (n, d) and ``mjj`` (n,) of the sideband events; ``split`` (the mass that separates
        them) defaults to the constructor's ``split``."""
        self._validate_params()
        X, m = self._events(X, mjj, fitted=False)
        if split is None:
            split = _widest_gap(m) if self.split is None else self.split
        split = check_real(split, "split")
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
        self.split_ = float(split)
        self.n_features_in_ = X.shape[1]
        return self

    def _t(self, m: np.ndarray) -> np.ndarray:
        return np.clip((m - self.mass_lo_) / (self.mass_hi_ - self.mass_lo_), 0.0, 1.0)

    def log_prob(self, X: Any, mjj: Any = None) -> np.ndarray:
        """ln p(x | m) per event (original units of x)."""
        check_is_fitted(self)
        X, m = self._events(X, mjj, fitted=True)
        t = self._t(m)
        Z = (X - self.mean_) / self.scale_
        lo, hi = (d.log_prob(Z) for d in self.densities_)
        with np.errstate(divide="ignore"):
            out = np.logaddexp(np.log1p(-t) + lo, np.log(t) + hi)
        return out - np.log(self.scale_).sum()

    def sample(self, mjj: Any, *, seed: int | np.random.Generator = 0) -> np.ndarray:
        """One draw of x ~ p(x | m) per entry of ``mjj``."""
        check_is_fitted(self)
        t = self._t(_masses(mjj))
        rng = np.random.default_rng(seed)
        upper = rng.random(len(t)) < t
        out = np.empty((len(t), self.n_features_in_))
        for flag, dens in ((False, self.densities_[0]), (True, self.densities_[1])):
            rows = np.nonzero(upper == flag)[0]
            if len(rows):
                out[rows] = dens.sample(len(rows), rng)
        return out * self.scale_ + self.mean_

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        metas, arrays = [], {"mean": self.mean_, "scale": self.scale_}
        for name, density in zip(("lower", "upper"), self.densities_, strict=True):
            meta, a = density.state(name)
            metas.append(meta)
            arrays.update(a)
        meta = {"densities": metas, "mass_lo": self.mass_lo_, "mass_hi": self.mass_hi_, "split": self.split_,
                "n_features_in": int(self.n_features_in_)}
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        seeds = spawn_seeds(int(self.seed), 2)
        self.densities_ = [
            FeatureDensity.from_state(m, arrays, name, n_components=self.n_components,
                                      flow=self.flow, seed=s)
            for name, m, s in zip(("lower", "upper"), meta["densities"], seeds, strict=True)
        ]
        self.mean_, self.scale_ = np.asarray(arrays["mean"]), np.asarray(arrays["scale"])
        self.mass_lo_, self.mass_hi_ = float(meta["mass_lo"]), float(meta["mass_hi"])
        self.split_ = float(meta["split"])
        self.n_features_in_ = int(meta["n_features_in"])
