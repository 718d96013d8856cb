"""A learned invariant representation, and how invariant a map is.

:class:`InvariantEmbedding` trains a :class:`physml.nets.MLP` as a siamese network with the
contrastive loss of Hadsell, Chopra & LeCun (CVPR 2006, "DrLIM"): two random elements of the
group applied to the same sample form a positive pair, pulled together; views of two different
samples form a negative pair, pushed at least ``margin`` apart. An exactly invariant map factors
through the quotient (data / group), so its image has at most the quotient's dimension.

:func:`orbit_variance` measures invariance: the variance of ``f`` along orbits against its
variance across orbits.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from physml import nets
from physml._core import (
    Interval,
    ModelMixin,
    Predicate,
    arrays_to_state,
    as_generator,
    check_int,
    derive_seed,
    state_to_arrays,
)
from physml.invariance._groups import Group, GroupElements, as_point_sets, make_group

__all__ = ["InvariantEmbedding", "OrbitVariance", "orbit_variance"]


@dataclass(frozen=True)
class OrbitVariance:
    """Variance of a map along orbits versus across them.

    Attributes
    ----------
    within : float
        Mean over samples of the variance (trace of the covariance) of ``f(g·x)`` over ``g``.
    across : float
        Variance (trace of the covariance) across samples of the orbit means of ``f``.
    ratio, ratio_err : float
        ``within / across`` (0 for an exactly invariant map, about ``k/(k-1)``·... of order 1 for a
        map that ignores the group) and its bootstrap standard error over samples.
    """

    within: float
    across: float
    ratio: float
    ratio_err: float


def orbit_variance(
    f: Callable[[np.ndarray], np.ndarray],
    x: Any,
    group: str | Group,
    *,
    n_per_orbit: int = 16,
    elements: Any = None,
    n_boot: int = 200,
    seed: int = 0,
) -> OrbitVariance:
    """How invariant ``f`` is under ``group`` on the samples ``x``.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` (n, n_points, dim) to features (n, k).
    x : array, shape (n_samples, n_points, dim) or (n_samples, dim)
        At least 2 samples.
    group : str or Group
    n_per_orbit : int
        Random group elements per sample (>= 2).
    elements : GroupElements, optional
        A pool to draw the elements from (e.g. elements seen in training) instead of fresh ones.
    n_boot : int
        Bootstrap resamplings of the samples for ``ratio_err``.
    seed : int

    Returns
    -------
    OrbitVariance
    """
    pts, vectors = as_point_sets(x)
    if len(pts) < 2:
        raise ValueError(f"x needs at least 2 samples to compare orbits, got {len(pts)}")
    g = make_group(group, pts.shape[2])
    k = check_int(n_per_orbit, "n_per_orbit", low=2)
    seed = check_int(seed, "seed", low=0)
    n, p, d = pts.shape
    rep = np.repeat(pts, k, axis=0)
    if elements is None:
        els = g.sample(n * k, p, derive_seed(seed, "orbit"))
    else:
        idx = as_generator(derive_seed(seed, "pool")).integers(0, len(elements), n * k)
        els = elements.take(idx)
    moved = g.act(rep, els)
    feats = np.asarray(f(moved[:, 0, :] if vectors else moved), dtype=np.float64).reshape(n, k, -1)
    var_within = feats.var(axis=1, ddof=1).sum(axis=1)  # (n,)
    means = feats.mean(axis=1)  # (n, m)

    def ratio(i: np.ndarray) -> float:
        across = float(means[i].var(axis=0, ddof=1).sum())
        return float(var_within[i].mean()) / across if across > 0 else math.inf

    all_idx = np.arange(n)
    rng = as_generator(derive_seed(seed, "boot"))
    boots = [ratio(rng.integers(0, n, n)) for _ in range(check_int(n_boot, "n_boot", low=2))]
    across = float(means.var(axis=0, ddof=1).sum())
    return OrbitVariance(float(var_within.mean()), across, ratio(all_idx), float(np.std(boots, ddof=1)))


def _widths(value: Any) -> bool:
    """A sequence of positive ints (possibly empty)."""
    return isinstance(value, (list, tuple)) and all(
        isinstance(w, numbers.Integral) and not isinstance(w, bool) and w >= 1 for w in value
    )


def _group_names(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(v, str) for v in value)


_ELEMENT_FIELDS = ("permutation", "orthogonal", "scale", "translation")


class InvariantEmbedding(ModelMixin, TransformerMixin, BaseEstimator):
    """A network ``f: point set -> R^n_components`` trained to be invariant under a group.

    Scikit-learn style: ``InvariantEmbedding(group="similarity").fit(X).transform(X)``; a physml
    model (docs/architecture.md, "One model contract"): parameters checked in ``fit``,
    ``save``/``load`` through the one model-file format (the network's weights, the
    standardisation and the training pool of group elements). It defines no likelihood, so it
    has no ``score``.

    Parameters
    ----------
    group : str, sequence of str or Group
        The transformations that should not change the representation (:func:`make_group`).
    n_components : int
        Output dimension.
    hidden : sequence of int
        Hidden widths of the :class:`physml.nets.MLP` (input: the flattened point set).
    activation : str
    margin : float
        Negative pairs closer than this (in embedding units) are pushed apart.
    steps, batch_size : int
        Adam steps and pairs per step.
    learning_rate : float
    n_group_elements : int, optional
        Train with elements drawn from a fixed pool of this many group elements (to test
        generalisation to elements never seen); fresh random elements every step by default.
    seed : int or numpy.random.Generator
        Seeds the initial weights (``derive_seed(seed, "init")``), the pairs and the group
        elements (``"pairs"``, ``"pool"``).

    Attributes
    ----------
    network_ : physml.nets.MLP
    group_ : Group
    mean_, scale_ : ndarray, shape (n_points·dim,)
        Input standardisation (from orbit samples of the training data).
    elements_ : GroupElements or None
        The training pool (when ``n_group_elements`` is set).
    loss_curve_ : ndarray, shape (steps,)
    positive_distance_, negative_distance_ : float
        Mean embedding distance of positive and negative pairs over the last 10% of steps.
    n_points_, dim_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "group": [str, Group, Predicate(_group_names, "a sequence of group names")],
        "n_components": [Interval(int, 1, None)],
        "hidden": [Predicate(_widths, "a sequence of positive ints")],
        "activation": [Predicate(lambda v: isinstance(v, str) and v in nets.ACTIVATIONS,
                                 "a name in physml.nets.ACTIVATIONS"), "callable"],
        "margin": [Interval(float, 0, None, closed="neither")],
        "steps": [Interval(int, 1, None)],
        "batch_size": [Interval(int, 2, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "n_group_elements": [None, Interval(int, 1, None)],
        "seed": ["seed"],
    }
    _data_kind: ClassVar[str] = "real"

    def __init__(
        self,
        group: str | Sequence[str] | Group = "similarity",
        n_components: int = 2,
        *,
        hidden: Sequence[int] = (64, 64),
        activation: str = "relu",
        margin: float = 1.0,
        steps: int = 2000,
        batch_size: int = 128,
        learning_rate: float = 3e-3,
        n_group_elements: int | None = None,
        seed: int | np.random.Generator = 0,
    ) -> None:
        self.group = group
        self.n_components = n_components
        self.hidden = hidden
        self.activation = activation
        self.margin = margin
        self.steps = steps
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.n_group_elements = n_group_elements
        self.seed = seed

    def fit(self, x: Any, y: Any = None) -> InvariantEmbedding:
        """Train on the samples ``x``, shape (n_samples, n_points, dim) or (n_samples, dim)."""
        import torch

        self._validate_params()
        pts, _ = as_point_sets(x)
        if len(pts) < 2:
            raise ValueError(f"x needs at least 2 samples (negative pairs), got {len(pts)}")
        n, p, d = pts.shape
        g = make_group(self.group, d)
        k = int(self.n_components)
        hidden = [int(h) for h in self.hidden]
        margin = float(self.margin)
        steps = int(self.steps)
        batch = int(self.batch_size)
        lr = float(self.learning_rate)
        seed = self.seed
        if isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2**62))
        rng = as_generator(derive_seed(seed, "pairs"))
        if self.n_group_elements is None:
            self.elements_ = None
        else:
            self.elements_ = g.sample(int(self.n_group_elements), p, derive_seed(seed, "pool"))

        def draw(m: int):
            if self.elements_ is None:
                return g.sample(m, p, rng)
            return self.elements_.take(rng.integers(0, len(self.elements_), m))

        views = g.act(pts[rng.integers(0, n, 4096)], draw(4096)).reshape(4096, -1)
        self.mean_ = views.mean(axis=0)
        self.scale_ = np.where(views.std(axis=0) > 0, views.std(axis=0), 1.0)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(derive_seed(seed, "init"))
            net = nets.MLP([p * d, *hidden, k], self.activation).double()
        opt = torch.optim.Adam(net.parameters(), lr=lr)
        losses = np.empty(steps)
        pos_d, neg_d = [], []
        tail = max(1, steps // 10)
        for step in range(steps):
            i = rng.integers(0, n, batch)
            j = (i + rng.integers(1, n, batch)) % n  # a different sample
            a = self._standardise(g.act(pts[i], draw(batch)))
            b = self._standardise(g.act(pts[i], draw(batch)))
            c = self._standardise(g.act(pts[j], draw(batch)))
            fa, fb, fc = net(a), net(b), net(c)
            dp = (fa - fb).pow(2).sum(1)
            dn = (fa - fc).pow(2).sum(1).add(1e-12).sqrt()
            loss = dp.mean() + torch.relu(margin - dn).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses[step] = float(loss.detach())
            if step >= steps - tail:
                pos_d.append(float(dp.detach().sqrt().mean()))
                neg_d.append(float(dn.detach().mean()))
        self.network_ = net.eval()
        self.group_ = g
        self.loss_curve_ = losses
        self.positive_distance_ = float(np.mean(pos_d))
        self.negative_distance_ = float(np.mean(neg_d))
        self.n_points_, self.dim_ = p, d
        return self

    def _standardise(self, pts: np.ndarray) -> Any:
        import torch

        flat = (pts.reshape(len(pts), -1) - self.mean_) / self.scale_
        return torch.from_numpy(flat)

    def transform(self, x: Any) -> np.ndarray:
        """Embedding of each sample, shape (n_samples, n_components)."""
        import torch

        check_is_fitted(self)
        pts, _ = as_point_sets(x)
        if pts.shape[1:] != (self.n_points_, self.dim_):
            raise ValueError(
                f"x has samples of shape {pts.shape[1:]}, the embedding was fitted on "
                f"{(self.n_points_, self.dim_)}"
            )
        with torch.no_grad():
            return self.network_(self._standardise(pts)).numpy()

    def fit_transform(self, x: Any, y: Any = None) -> np.ndarray:
        return self.fit(x).transform(x)

    # -- files ----------------------------------------------------------------------------------
    def _params_for_file(self) -> dict[str, Any]:
        params = super()._params_for_file()
        if isinstance(self.group, Group):  # written in the state; the header holds its name
            params["group"] = "+".join(self.group.names)
        return params

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        def spec(g: Group) -> dict[str, Any]:
            return {"names": list(g.names), "dim": g.dim, "translation_scale": g.translation_scale,
                    "scale_range": g.scale_range}

        meta: dict[str, Any] = {
            "group": spec(self.group_),
            "group_param": spec(self.group) if isinstance(self.group, Group) else None,
            "n_points": int(self.n_points_),
            "dim": int(self.dim_),
            "positive_distance": self.positive_distance_,
            "negative_distance": self.negative_distance_,
        }
        arrays, _ = state_to_arrays(self.network_.state_dict(), "net")
        arrays.update(mean=self.mean_, scale=self.scale_, loss_curve=self.loss_curve_)
        if self.elements_ is not None:
            meta["elements"] = [f for f in _ELEMENT_FIELDS if getattr(self.elements_, f) is not None]
            arrays.update({f"elements.{f}": getattr(self.elements_, f) for f in meta["elements"]})
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        import torch


        def group(s: Mapping[str, Any]) -> Group:
            return Group(tuple(s["names"]), s["dim"], translation_scale=s["translation_scale"],
                         scale_range=s["scale_range"])

        if meta.get("group_param") is not None:
            self.group = group(meta["group_param"])
        self.group_ = group(meta["group"])
        self.n_points_, self.dim_ = int(meta["n_points"]), int(meta["dim"])
        self.mean_, self.scale_, self.loss_curve_ = arrays["mean"], arrays["scale"], arrays["loss_curve"]
        with torch.random.fork_rng(devices=[]):
            net = nets.MLP([self.n_points_ * self.dim_, *self.hidden, int(self.n_components)],
                           self.activation).double()
        net.load_state_dict(arrays_to_state(arrays, None, "net"))
        self.network_ = net.eval()
        self.positive_distance_ = float(meta["positive_distance"])
        self.negative_distance_ = float(meta["negative_distance"])
        self.elements_ = None
        if "elements" in meta:
            self.elements_ = GroupElements(*(arrays.get(f"elements.{f}") for f in _ELEMENT_FIELDS))
