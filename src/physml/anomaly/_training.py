"""Fitting the models behind the anomaly scores: classifiers (trained k-fold, with out-of-fold
scores) and the densities of standardised features that ANODE and CATHODE build on.

Classifiers: ``"hgb"`` is scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier`
(boosted trees, the strong and well-kept choice on a handful of tabular features; Finke et al.,
arXiv:2309.13111, find them as good as neural networks for CWoLa and CATHODE), with early stopping
on an internal 20% split; ``"mlp"`` is :class:`physml.nets.MLPClassifier` on standardised features.
Any scikit-learn classifier instance may be passed instead (it is cloned).

Weighted boosted trees bin their features themselves (:class:`PrebinnedBoostedTrees`):
scikit-learn 1.9 bins weighted data with one weighted percentile per bin edge, in a Python loop,
which took 85% of a weakly supervised hunt's time and a third of the ``lhco-rnd`` experiment's; the
classifiers of ``"hgb"`` and those of :func:`physml.anomaly.weak_hunt` are fitted on the codes of
the training rows' unweighted quantile bins instead, the weights still entering the loss.

Densities: a normalizing flow (``"flow"``, :class:`physml.flows.FlowDensity`, a MAF by default as
in the ANODE and CATHODE papers) or a Gaussian mixture (``"gmm"``, scikit-learn's GaussianMixture;
faster, coarser). scikit-learn loads with this module (the boosted trees are a subclass of its
classifier); torch, through the flows and networks, when a model is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from physml import flows, nets
from physml._core import check_int, nested_model, nested_state

__all__ = [
    "DEFAULT_FLOW",
    "DENSITIES",
    "FeatureDensity",
    "density_min_events",
    "flow_params",
    "make_classifier",
    "mixture_arrays",
    "mixture_from_arrays",
    "sample_weight_kwargs",
    "signal_probability",
]


def make_classifier(kind: Any = "hgb", seed: int = 0) -> Any:
    """A fresh classifier: ``"hgb"``, ``"mlp"`` or a clone of a scikit-learn classifier instance."""
    from sklearn.base import clone

    if isinstance(kind, str):
        if kind == "hgb":
            return PrebinnedBoostedTrees(
                max_iter=200, learning_rate=0.1, max_leaf_nodes=31, early_stopping=True,
                validation_fraction=0.2, n_iter_no_change=10, random_state=int(seed) % 2**32,
            )
        if kind == "mlp":
            from sklearn.pipeline import make_pipeline
            from sklearn.preprocessing import StandardScaler

            return make_pipeline(
                StandardScaler(),
                nets.MLPClassifier((64, 64), learning_rate=0.01, momentum=0.9, epochs=20, batch_size=128,
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


def _bin_thresholds(X: np.ndarray, max_bins: int = 255) -> list[np.ndarray]:
    """Per column, the bin thresholds of scikit-learn's boosted trees for unweighted data: the
    midpoints of the distinct values where there are at most ``max_bins``, else the
    ``averaged_inverted_cdf`` percentiles at ``max_bins`` equal steps (duplicates dropped)."""
    out = []
    for col in X.T:
        distinct = np.unique(col)
        if len(distinct) <= max_bins:
            out.append(0.5 * (distinct[1:] + distinct[:-1]))
        else:
            q = np.linspace(0.0, 100.0, max_bins + 1)[1:-1]
            out.append(np.unique(np.percentile(col, q, method="averaged_inverted_cdf")))
    return out


def _bin_codes(X: np.ndarray, thresholds: list[np.ndarray]) -> np.ndarray:
    """Each value's bin (x is in bin i when t[i−1] < x ≤ t[i], as scikit-learn bins)."""
    return np.column_stack([np.searchsorted(t, c, side="left") for t, c in zip(thresholds, X.T, strict=True)]
                           ).astype(np.float64)


class PrebinnedBoostedTrees(HistGradientBoostingClassifier):
    """scikit-learn's :class:`~sklearn.ensemble.HistGradientBoostingClassifier`, binning weighted
    data itself (the classifier of ``make_classifier("hgb")``).

    scikit-learn 1.9 bins weighted data with one weighted percentile per bin edge, in a Python
    loop (~0.15 s per fit of a few thousand events on four features, more than the boosting). Given
    ``sample_weight``, this class computes the bins of the *unweighted* training rows
    (:func:`_bin_thresholds`, all rows, the early-stopping split included), fits the trees on the
    bin codes (at most ``max_bins`` distinct values, which scikit-learn takes as they are: the same
    trees as the plain classifier fitted on those codes) and then writes every split "code ≤ c" back
    as "x ≤ t[⌊c⌋]", the upper edge of bin ⌊c⌋. The fitted model is an ordinary fitted
    HistGradientBoostingClassifier of the raw features: its predictions equal the plain classifier's
    on the codes, and its trees go into a model file unchanged. The weights still enter the loss and
    the early stopping; only the bin edges are the rows' quantiles rather than the weighted ones.
    Without weights (or with NaN, non-arrays, categorical features, ``warm_start``) it is the plain
    classifier.
    """

    def fit(self, X: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> PrebinnedBoostedTrees:
        plain = (sample_weight is None or self.warm_start or type(X) is not np.ndarray
                 or self.categorical_features not in (None, "from_dtype"))
        if not plain:
            X = np.asarray(X, dtype=np.float64)
            plain = X.ndim != 2 or not np.isfinite(X).all()
        if plain:
            return super().fit(X, y, sample_weight=sample_weight, **kwargs)
        thresholds = _bin_thresholds(X, self.max_bins)
        if kwargs.get("X_val") is not None:
            kwargs["X_val"] = _bin_codes(np.asarray(kwargs["X_val"], dtype=np.float64), thresholds)
        super().fit(_bin_codes(X, thresholds), y, sample_weight=sample_weight, **kwargs)
        for iteration in self._predictors:
            for tree in iteration:
                nodes = tree.nodes
                split = np.flatnonzero(~nodes["is_leaf"].astype(bool))
                codes = np.floor(nodes["num_threshold"][split]).astype(np.intp)
                nodes["num_threshold"][split] = [thresholds[f][c] for f, c in
                                                 zip(nodes["feature_idx"][split], codes, strict=True)]
        return self


def signal_probability(model: Any, X: np.ndarray) -> np.ndarray:
    """The fitted classifier's probability of class 1 (signal, or signal region) per row of ``X``."""
    return np.asarray(model.predict_proba(X))[:, 1]



def sample_weight_kwargs(model: Any, w: np.ndarray) -> dict:
    """The keyword that hands sample weights ``w`` to ``model.fit`` (a pipeline's last step's)."""
    from sklearn.pipeline import Pipeline

    if isinstance(model, Pipeline):
        return {f"{model.steps[-1][0]}__sample_weight": w}
    return {"sample_weight": w}



#: density estimators for ANODE and CATHODE
DENSITIES = ("flow", "gmm")
#: FlowDensity settings used when ``flow=None``: a MAF as in ANODE/CATHODE, early stopping
DEFAULT_FLOW: dict[str, Any] = dict(flow="maf", transforms=4, hidden_features=(64, 64), learning_rate=1e-3,
                                    batch_size=256, max_epochs=100, patience=10)



def flow_params(flow: Mapping[str, Any] | None) -> dict[str, Any]:
    """FlowDensity parameters from ``flow`` (default :data:`DEFAULT_FLOW`), checked; no ``seed``."""
    params = dict(DEFAULT_FLOW if flow is None else flow)
    accepted = set(flows.FlowDensity().get_params(deep=False)) - {"seed"}
    bad = sorted(set(params) - accepted)
    if bad:
        raise ValueError(f"flow: unknown or reserved FlowDensity parameter(s) {bad}; "
                         f"accepted: {sorted(accepted)}")
    return params



class FeatureDensity:
    """A density of standardised features: a Gaussian mixture or a :class:`physml.flows.FlowDensity`.

    A part of :class:`~physml.anomaly.SidebandInterpolation`, not a model of its own: its fitted
    state goes into the owner's file through :meth:`state` and :meth:`from_state`.
    """

    def __init__(self, kind: str, n_components: int, flow: Mapping[str, Any] | None, seed: int):
        self.kind, self.n_components, self.flow, self.seed = kind, n_components, flow, seed

    def fit(self, Z: np.ndarray) -> FeatureDensity:
        if self.kind == "gmm":
            from sklearn.mixture import GaussianMixture

            self.model = GaussianMixture(self.n_components, covariance_type="full", reg_covar=1e-4,
                                         random_state=self.seed % 2**32, max_iter=300).fit(Z)
        else:
            self.model = flows.FlowDensity(**flow_params(self.flow), seed=self.seed).fit(Z)
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

    def state(self, prefix: str) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The fitted density as ``(JSON meta, numeric arrays named prefix.<name>)`` for a model file."""
        if self.kind == "gmm":
            return {"kind": "gmm"}, mixture_arrays(self.model, prefix)
        record, arrays = nested_state(self.model, prefix)
        return {"kind": "flow", "flow": record}, arrays

    @classmethod
    def from_state(cls, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], prefix: str, *,
                   n_components: int, flow: Mapping[str, Any] | None, seed: int) -> FeatureDensity:
        """The density that :meth:`state` wrote under ``prefix``."""
        density = cls(meta["kind"], n_components, flow, seed)
        if meta["kind"] == "gmm":
            density.model = mixture_from_arrays(arrays, prefix)
        else:
            density.model = nested_model(meta["flow"], arrays, prefix)
        return density


_MIXTURE = ("weights", "means", "covariances", "precisions", "precisions_cholesky")


def mixture_arrays(mixture: Any, prefix: str) -> dict[str, np.ndarray]:
    """The fitted parameters of a full-covariance scikit-learn GaussianMixture, as arrays named
    ``prefix.<name>``."""
    return {f"{prefix}.{name}": np.asarray(getattr(mixture, name + "_")) for name in _MIXTURE}


def mixture_from_arrays(arrays: Mapping[str, np.ndarray], prefix: str) -> Any:
    """A fitted full-covariance GaussianMixture from :func:`mixture_arrays` (the same scores and
    draws as the one it was taken from)."""
    from sklearn.mixture import GaussianMixture

    weights = np.asarray(arrays[f"{prefix}.weights"], dtype=np.float64)
    mixture = GaussianMixture(len(weights), covariance_type="full")
    for name in _MIXTURE:
        setattr(mixture, name + "_", np.asarray(arrays[f"{prefix}.{name}"], dtype=np.float64))
    mixture.n_features_in_ = mixture.means_.shape[1]
    mixture.converged_, mixture.n_iter_, mixture.lower_bound_ = True, 0, -np.inf
    return mixture


def density_min_events(density: str, n_components: int, n_features: int) -> int:
    """The fewest events a density of this kind accepts (and validation of its parameters)."""
    if density not in DENSITIES:
        raise ValueError(f"density must be one of {DENSITIES}, got {density!r}")
    if density == "gmm":
        return 10 * check_int(n_components, "n_components", low=1)
    return max(20, flows.MIN_SAMPLES_PER_FEATURE * n_features)
