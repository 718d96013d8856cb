"""Ensembles of flows, trained independently (on a lab executor) and averaged in density.

Members differ in their seed only (weights, validation split, batch order), so their spread is
the ensemble variance of one training recipe; the ensemble's density is the mixture
``p̄(x) = (1/M) Σ_m p_m(x)``, whose log-gradient is the members' gradients weighted by their
posterior share ``p_m(x) / Σ_k p_k(x)``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
from scipy.special import logsumexp, softmax
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml._core import (
    Interval,
    ModelMixin,
    check_choice,
    check_int,
    decode_param,
    derive_seed,
    model_format,
    nested_model,
    nested_state,
    read_model_file,
)
from physml.flows._density import FlowDensity, check_samples, check_support
from physml.flows._serialize import check_kind, is_torch_file, read_payload
from physml.parallel import InlineExecutor

__all__ = ["FlowEnsemble", "fit_member"]


def fit_member(item: tuple[dict[str, Any], np.ndarray]) -> FlowDensity:
    """Fit one member: ``item = (FlowDensity parameters, X)``. Module-level, so process pools
    and Dask can run it (the lab's process workers run torch on one thread each)."""
    params, X = item
    return FlowDensity(**params).fit(X)


class FlowEnsemble(ModelMixin, BaseEstimator):
    """``n_members`` flows with the recipe of ``base``, each from its own seed, averaged in density.

    A scikit-learn meta-estimator with physml's model contract (docs/architecture.md, "One model
    contract"): ``get_params(deep=True)`` shows the base flow's parameters as ``base__<name>``
    (and ``set_params(base__max_epochs=50)`` sets them), ``score_samples(X)`` (= :meth:`log_prob`)
    is the log of the averaged density, ``score(X)`` its mean, and ``save``/``load`` write and
    read one ``.npz`` of every member's arrays. :meth:`from_members` makes an ensemble of flows
    fitted elsewhere.

    Parameters
    ----------
    base : FlowDensity, optional
        The recipe (its parameters are copied; its ``seed`` is replaced). Default ``FlowDensity()``.
    n_members : int
        Number of flows (>= 1).
    seed : int
        Member ``m`` gets the seed ``derive_seed(seed, "member", m)``.

    Attributes
    ----------
    members_ : list of FlowDensity
    n_features_in_ : int
    support_low_, support_high_ : numpy.ndarray, shape (n_features,)
        The box spanned by the members' training samples.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "base": [None, FlowDensity],
        "n_members": [Interval(int, 1, None)],
        "seed": [Interval(int, 0, None)],
    }
    _data_kind: ClassVar[str] = "real"
    #: 1: the torch file of physml 0.1 (``"physml.flows/1"``, read by ``load``'s legacy reader);
    #: 2: the shared model-file format (every member's arrays, under ``member<i>.``).
    _file_versions: ClassVar[tuple[int, ...]] = (2,)

    def __init__(self, base: FlowDensity | None = None, *, n_members: int = 16, seed: int = 0):
        self.base = base
        self.n_members = n_members
        self.seed = seed

    def __sklearn_is_fitted__(self) -> bool:
        return "members_" in self.__dict__

    def _base(self) -> FlowDensity:
        return FlowDensity() if self.base is None else self.base

    def member_params(self) -> list[dict[str, Any]]:
        """The parameters of each member (the base's, with the member's seed)."""
        self._validate_params()
        self._base()._validate_params()
        out = []
        for m in range(int(self.n_members)):
            p = self._base().get_params(deep=False)
            p["seed"] = derive_seed(int(self.seed), "member", m)
            out.append(p)
        return out

    def fit(self, X: Any, y: Any = None, *, executor: Any = None) -> FlowEnsemble:
        """Fit every member on ``X``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        y : ignored
        executor : physml.parallel.Executor, optional
            Where members are trained (e.g. ``ProcessExecutor(4)`` or a ``DaskExecutor``);
            default: one after another in this process.

        Returns
        -------
        self
        """
        params = self.member_params()
        X = check_samples(X)
        own = executor is None
        ex = InlineExecutor() if own else executor
        try:
            members = ex.map(fit_member, [(p, X) for p in params], desc="flow ensemble")
        finally:
            if own:
                ex.close()
        return self._set_members(members)

    @classmethod
    def from_members(cls, members: list[FlowDensity]) -> FlowEnsemble:
        """An ensemble of already fitted flows (e.g. trained by ``ctx.map`` in an experiment).

        Its ``base`` is the first member's recipe (with seed 0) and ``n_members`` their number;
        it does everything a fitted ensemble does.
        """
        if not members:
            raise ValueError("members must hold at least one fitted FlowDensity, got none")
        for i, m in enumerate(members):
            if not isinstance(m, FlowDensity):
                raise TypeError(f"members[{i}] must be a FlowDensity, got {type(m).__name__}")
            m._check_fitted()
        ens = cls(FlowDensity(**{**members[0].get_params(deep=False), "seed": 0}), n_members=len(members))
        return ens._set_members(list(members))

    def _set_members(self, members: list[FlowDensity]) -> FlowEnsemble:
        d = {m.n_features_in_ for m in members}
        if len(d) != 1:
            raise ValueError(f"members were fitted on different numbers of features: {sorted(d)}")
        self.members_ = members
        self.n_features_in_ = d.pop()
        self.support_low_ = np.min([m.support_low_ for m in members], axis=0)
        self.support_high_ = np.max([m.support_high_ for m in members], axis=0)
        return self

    # evaluation -----------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        check_is_fitted(self)

    def check_support(self, X: Any, name: str = "X", columns: Any = None) -> np.ndarray:
        """Raise ``ValueError`` for points outside the box spanned by the training samples."""
        self._check_fitted()
        return check_support(self, X, name, columns)

    def member_log_prob(self, X: Any, *, outside: str = "allow") -> np.ndarray:
        """Each member's log density, shape (n_members, n)."""
        self._check_fitted()
        check_choice(outside, "outside", ("allow", "raise"))
        X = check_samples(X, n_features=self.n_features_in_)
        if outside == "raise":
            self.check_support(X)
        return np.stack([m.log_prob(X) for m in self.members_])

    def log_prob(self, X: Any, *, outside: str = "allow") -> np.ndarray:
        """log of the mean density, log((1/M) Σ_m p_m(x)); shape (n,)."""
        lp = self.member_log_prob(X, outside=outside)
        return logsumexp(lp, axis=0) - math.log(len(self.members_))

    def score_samples(self, X: Any) -> np.ndarray:
        """Alias of :meth:`log_prob`."""
        return self.log_prob(X)

    def member_grad_log_prob(self, X: Any, *, outside: str = "allow") -> np.ndarray:
        """Each member's ∇ₓ log p_m, shape (n_members, n, n_features)."""
        self._check_fitted()
        check_choice(outside, "outside", ("allow", "raise"))
        X = check_samples(X, n_features=self.n_features_in_)
        if outside == "raise":
            self.check_support(X)
        return np.stack([m.grad_log_prob(X) for m in self.members_])

    def grad_log_prob(self, X: Any, *, outside: str = "allow") -> np.ndarray:
        """∇ₓ log p̄ of the averaged density: Σ_m w_m ∇ log p_m with w_m = p_m / Σ_k p_k."""
        w = softmax(self.member_log_prob(X, outside=outside), axis=0)
        g = self.member_grad_log_prob(X)
        return np.einsum("mn,mnd->nd", w, g)

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Draw ``n`` samples from the mixture (a member per sample, uniformly)."""
        self._check_fitted()
        n = check_int(n, "n", low=1)
        seed = check_int(seed, "seed", low=0)
        rng = np.random.default_rng(derive_seed(seed, "mixture"))
        counts = rng.multinomial(n, np.full(len(self.members_), 1.0 / len(self.members_)))
        parts = [
            m.sample(int(c), seed=derive_seed(int(seed), "member", i))
            for i, (m, c) in enumerate(zip(self.members_, counts, strict=True))
            if c > 0
        ]
        out = np.concatenate(parts)
        return out[rng.permutation(n)]

    # persistence ----------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        members, arrays = [], {}
        for i, m in enumerate(self.members_):
            record, a = nested_state(m, f"member{i}")
            members.append(record)
            arrays.update(a)
        return {"members": members}, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self._restore(meta, arrays, device=None)

    def _restore(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], device: str | None) -> None:
        members = []
        for i, record in enumerate(meta["members"]):
            if device is not None:
                record = {**record, "params": {**record["params"], "device": device}}
            members.append(nested_model(record, arrays, f"member{i}"))
        self._set_members(members)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> FlowEnsemble:
        """Read an ensemble written by :meth:`save` (an ``.npz`` of plain arrays: loading runs no
        code). Torch files of physml 0.1 (``"physml.flows/1"``) are read too, with
        ``torch.load(..., weights_only=True)``; ``device`` moves every member to another torch
        device. Anything else raises :class:`physml._core.ModelFileError` naming the file."""
        if is_torch_file(path):
            data = read_payload(path)
            check_kind(path, data, cls)
            return cls._from_payload(data, device=device)
        # ModelMixin.load's overrides are constructor arguments; the device is the members'
        # (a FlowEnsemble has none), so it is put into their records before they are built
        meta, arrays = read_model_file(path, format=model_format(cls), versions=cls._file_versions)
        meta = cls._upgrade_meta(meta, int(meta["format_version"]))
        ens = cls(**decode_param(meta.get("params", {})))
        ens._restore(meta.get("state", {}), arrays, device=device)
        return ens

    @classmethod
    def _from_payload(cls, data: dict[str, Any], device: str | None = None) -> FlowEnsemble:
        """An ensemble from the payload of a physml 0.1 torch file."""
        members = [FlowDensity._from_payload(m, device=device) for m in data["members"]]
        ens = cls.from_members(members)
        ens.seed = int(data["seed"])
        return ens
