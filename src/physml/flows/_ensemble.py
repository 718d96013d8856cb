"""Ensembles of flows, trained independently (on a lab executor) and averaged in density.

Members differ in their seed only (weights, validation split, batch order), so their spread is
the ensemble variance of one training recipe; the ensemble's density is the mixture
``p̄(x) = (1/M) Σ_m p_m(x)``, whose log-gradient is the members' gradients weighted by their
posterior share ``p_m(x) / Σ_k p_k(x)``.
"""

from __future__ import annotations

import math
import os
from typing import Any

import numpy as np
from scipy.special import logsumexp, softmax

from physml._core import check_choice, check_int, check_seed, derive_seed
from physml.flows._density import FlowDensity, check_samples, check_support
from physml.flows._serialize import FORMAT, check_kind, read_payload, write_payload
from physml.parallel import InlineExecutor

__all__ = ["FlowEnsemble", "fit_member"]


def fit_member(item: tuple[dict[str, Any], np.ndarray]) -> FlowDensity:
    """Fit one member: ``item = (FlowDensity parameters, X)``. Module-level, so process pools
    and Dask can run it (the lab's process workers run torch on one thread each)."""
    params, X = item
    return FlowDensity(**params).fit(X)


class FlowEnsemble:
    """``n_members`` flows with the recipe of ``base``, each from its own seed, averaged in density.

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
    """

    def __init__(self, base: FlowDensity | None = None, *, n_members: int = 16, seed: int = 0):
        self.base = base
        self.n_members = n_members
        self.seed = seed

    def __repr__(self) -> str:
        return f"FlowEnsemble(base={self._base()!r}, n_members={self.n_members}, seed={self.seed})"

    def _base(self) -> FlowDensity:
        return FlowDensity() if self.base is None else self.base

    def member_params(self) -> list[dict[str, Any]]:
        """The parameters of each member (the base's, with the member's seed)."""
        if self.base is not None and not isinstance(self.base, FlowDensity):
            raise TypeError(f"base must be a FlowDensity, got {type(self.base).__name__}")
        n = check_int(self.n_members, "n_members", low=1)
        seed = check_seed(self.seed)
        if isinstance(seed, np.random.Generator):
            raise TypeError("seed must be an integer for an ensemble, got a Generator")
        out = []
        for m in range(n):
            p = self._base().get_params()
            p["seed"] = derive_seed(int(seed), "member", m)
            out.append(p)
        return out

    def fit(self, X: Any, y: Any = None, *, executor: Any = None) -> FlowEnsemble:
        """Fit every member on ``X``.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
        executor : physml.parallel.Executor, optional
            Where members are trained (e.g. ``ProcessExecutor(4)`` or a ``DaskExecutor``);
            default: one after another in this process.
        """
        params = self.member_params()
        FlowDensity(**params[0])._validate_params()
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
        """An ensemble of already fitted flows (e.g. trained by ``ctx.map`` in an experiment)."""
        if not members:
            raise ValueError("members must hold at least one fitted FlowDensity, got none")
        for i, m in enumerate(members):
            if not isinstance(m, FlowDensity):
                raise TypeError(f"members[{i}] must be a FlowDensity, got {type(m).__name__}")
            m._check_fitted()
        ens = cls(FlowDensity(**{**members[0].get_params(), "seed": 0}), n_members=len(members))
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
        if not hasattr(self, "members_"):
            raise RuntimeError("this FlowEnsemble is not fitted yet; call fit(X) first")

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

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood per sample of the averaged density."""
        return float(np.mean(self.log_prob(X)))

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
    def _payload(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "format": FORMAT,
            "kind": "FlowEnsemble",
            "n_members": len(self.members_),
            "seed": int(self.seed) if isinstance(self.seed, (int, np.integer)) else 0,
            "members": [m._payload() for m in self.members_],
        }

    @classmethod
    def _from_payload(cls, data: dict[str, Any], device: str | None = None) -> FlowEnsemble:
        members = [FlowDensity._from_payload(m, device=device) for m in data["members"]]
        ens = cls.from_members(members)
        ens.seed = int(data["seed"])
        return ens

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write all members to one torch file of tensors and plain values."""
        write_payload(path, self._payload())

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> FlowEnsemble:
        """Read an ensemble written by :meth:`save` (``weights_only=True``)."""
        data = read_payload(path)
        check_kind(path, data, cls)
        return cls._from_payload(data, device=device)
