"""The information bottleneck of a discrete joint distribution p(x, y).

Iterative IB (Tishby, Pereira & Bialek, "The information bottleneck method", physics/0004057):
minimise ``I(X;T) − β I(T;Y)`` over stochastic encoders p(t|x) by iterating the
self-consistent equations

    p(t|x) = p(t) exp(−β KL[p(y|x) ‖ p(y|t)]) / Z(x, β),
    p(t)   = Σ_x p(x) p(t|x),
    p(y|t) = Σ_x p(y|x) p(t|x) p(x) / p(t),

from random starts (keeping the lowest Lagrangian), or by annealing β upwards from the trivial
one-cluster solution with cluster splitting (deterministic annealing). Deterministic IB
(Strouse & Schwab, "The deterministic information bottleneck", Neural Comput. 29, 1611 (2017)):
minimise ``H(T) − β I(T;Y)`` over deterministic encoders t = f(x).

Information is reported in bits; β is dimensionless. Each information is a difference of
entropies (sums of many rounded terms), so a solution that carries no information comes out as
±1e-16 or so: values below :data:`ROUNDOFF_BITS` are reported as exactly 0 (never −0).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml._core import Interval, ModelMixin, as_generator, check_int, check_real, check_seed
from physml.info._discrete import (
    binary_entropy,
    check_joint,
    entropy,
    inverse_binary_entropy,
    mutual_information,
)

__all__ = [
    "CLUSTER_MERGE_TOL",
    "ROUNDOFF_BITS",
    "DeterministicIB",
    "InformationBottleneck",
    "InformationCurve",
    "binary_symmetric_ib_curve",
    "information_curve",
    "ib_information",
]

_LN2 = math.log(2.0)

#: Informations (bits) below this are round-off and reported as 0: an entropy of a table of up
#: to ~10⁶ entries is a sum rounded at ~1e-16 relative per term, far below 1e-12 bits.
ROUNDOFF_BITS = 1e-12

#: Clusters whose p(y|t) agree within this (largest absolute difference) are one cluster: copies
#: of a cluster carry the same information, however p(t|x) is shared among them.
CLUSTER_MERGE_TOL = 1e-6


def _bits(value: float) -> float:
    """``value`` (bits) with round-off below :data:`ROUNDOFF_BITS` (and −0) set to +0."""
    return 0.0 if value < ROUNDOFF_BITS else float(value)


def _check_beta(beta: float) -> float:
    return check_real(beta, "beta", low=0.0, low_open=True)


def _support(p_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p(x) on its support, p(y|x) there (rows), and the support mask."""
    p_x = p_xy.sum(1)
    keep = p_x > 0
    return p_x[keep], p_xy[keep] / p_x[keep, None], keep


def _kl_nats(p_y_x: np.ndarray, p_y_t: np.ndarray) -> np.ndarray:
    """KL[p(y|x) ‖ p(y|t)] in nats, shape (n_x, n_t); inf where p(y|t) = 0 < p(y|x).

    Two matrix products (memory n_x n_t, not n_x n_t n_y): the cross term Σ_y p(y|x) ln p(y|t)
    over the y with p(y|t) > 0, and a count of the y with p(y|x) > 0 = p(y|t) (KL infinite).
    """
    positive = p_y_t > 0
    log_q = np.log(np.where(positive, p_y_t, 1.0))  # (n_t, n_y), 0 where p(y|t) = 0
    log_p = np.log(np.where(p_y_x > 0, p_y_x, 1.0))
    neg = np.sum(p_y_x * log_p, axis=1)[:, None]  # Σ p log p, (n_x, 1)
    kl = neg - p_y_x @ log_q.T
    missing = (p_y_x > 0).astype(float) @ (~positive).T.astype(float)  # (n_x, n_t)
    kl[missing > 0] = np.inf
    return kl


def _decoder(p_x: np.ndarray, p_y_x: np.ndarray, enc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """p(t) and p(y|t) from the encoder p(t|x) (rows x). Empty clusters get p(y|t) = p(y)."""
    p_t = p_x @ enc
    joint_ty = enc.T @ (p_x[:, None] * p_y_x)  # (n_t, n_y)
    p_y = p_x @ p_y_x
    with np.errstate(divide="ignore", invalid="ignore"):
        p_y_t = np.where(p_t[:, None] > 0, joint_ty / p_t[:, None], p_y[None, :])
    return p_t, p_y_t


def ib_information(p_xy: np.ndarray, encoder: np.ndarray) -> tuple[float, float]:
    """``(I(X;T), I(T;Y))`` in bits for the encoder p(t|x), shape (n_x, n_t), rows summing to one."""
    p_xy = check_joint(p_xy)
    enc = np.asarray(encoder, dtype=float)
    if enc.ndim != 2 or enc.shape[0] != p_xy.shape[0]:
        raise ValueError(f"encoder must have shape ({p_xy.shape[0]}, n_t), got {enc.shape}")
    p_x = p_xy.sum(1)
    return _bits(mutual_information(p_x[:, None] * enc)), _bits(mutual_information(enc.T @ p_xy))


def _informations(p_x: np.ndarray, p_y_x: np.ndarray, enc: np.ndarray) -> tuple[float, float, float]:
    """I(X;T), I(T;Y), H(T) in bits on the support."""
    p_xt = p_x[:, None] * enc
    p_ty = enc.T @ (p_x[:, None] * p_y_x)
    p_t = p_xt.sum(0)
    h_t = entropy(p_t)
    i_xt = _bits(entropy(p_x) + h_t - entropy(p_xt))
    i_ty = _bits(h_t + entropy(p_ty.sum(0)) - entropy(p_ty))
    return i_xt, i_ty, _bits(h_t)


def _iterate(
    p_x: np.ndarray, p_y_x: np.ndarray, enc: np.ndarray, beta: float, max_iter: int, tol: float
) -> tuple[np.ndarray, int, bool]:
    """Iterate the IB equations from ``enc`` until max |Δ p(t|x)| < tol."""
    for it in range(1, max_iter + 1):
        p_t, p_y_t = _decoder(p_x, p_y_x, enc)
        with np.errstate(divide="ignore"):
            logits = np.log(p_t)[None, :] - beta * _kl_nats(p_y_x, p_y_t)
        logits -= logits.max(axis=1, keepdims=True)
        new = np.exp(logits)
        new /= new.sum(axis=1, keepdims=True)
        delta = float(np.max(np.abs(new - enc)))
        enc = new
        if delta < tol:
            return enc, it, True
    return enc, max_iter, False


def _fill(enc_support: np.ndarray, keep: np.ndarray, p_x: np.ndarray) -> np.ndarray:
    """Encoder on all x: rows with p(x) = 0 get p(t) (they carry no probability)."""
    full = np.empty((keep.size, enc_support.shape[1]))
    full[keep] = enc_support
    full[~keep] = p_x @ enc_support
    return full


_POSITIVE = Interval(float, 0, None, closed="neither")
_AT_LEAST_ONE = Interval(int, 1, None)


def _state(
    est: Any, numbers: tuple[str, ...], arrays: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The fitted numbers (JSON) and arrays of an information-bottleneck solution, for its file."""
    return {name: getattr(est, name) for name in numbers}, {name: getattr(est, name) for name in arrays}


def _restore(est: Any, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> None:
    for name, value in (*meta.items(), *arrays.items()):
        setattr(est, name, value)


class InformationBottleneck(ModelMixin, BaseEstimator):
    """The iterative information bottleneck of a discrete joint distribution, at one β.

    Minimises the Lagrangian ``I(X;T) − β I(T;Y)`` over encoders p(t|x) with ``n_clusters``
    values of T by iterating the self-consistent equations from ``n_restarts`` random encoders
    (rows drawn from a flat Dirichlet; the first is the hard encoder
    x -> x mod n_clusters) and keeping the solution with the lowest Lagrangian.

    Parameters
    ----------
    n_clusters : int, optional
        |T|; default |X| (enough for any β).
    beta : float
        Trade-off, > 0. β → 0 compresses everything (I(X;T) → 0); β → ∞ keeps all relevant
        information (I(T;Y) → I(X;Y)).
    n_restarts : int
        Random starts, >= 1.
    max_iter : int
        Iterations per start.
    tol : float
        Convergence: the largest change of any p(t|x) in one iteration is below ``tol``.
    seed : int or numpy.random.Generator

    Attributes
    ----------
    encoder_ : ndarray, shape (n_x, n_clusters)
        p(t|x).
    p_t_ : ndarray, shape (n_clusters,)
    p_y_given_t_ : ndarray, shape (n_clusters, n_y)
    I_xt_, I_ty_ : float
        I(X;T) and I(T;Y) in bits.
    lagrangian_ : float
        ``I_xt_ − β I_ty_`` (bits).
    n_iter_ : int
        Iterations of the kept start.
    converged_ : bool
        Whether the kept start met ``tol``.
    restart_lagrangians_ : ndarray, shape (n_restarts,)
        Lagrangian of every start (``n_restarts``, plus one for ``init``).

    A fitted solution saves with ``save(path)`` and loads with ``InformationBottleneck.load(path)``
    (see docs/architecture.md, "One model contract").
    """

    _data_kind = "joint"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_clusters": [None, _AT_LEAST_ONE],
        "beta": [_POSITIVE],
        "n_restarts": [_AT_LEAST_ONE],
        "max_iter": [_AT_LEAST_ONE],
        "tol": [_POSITIVE],
        "seed": ["seed"],
    }
    _NUMBERS = ("I_xt_", "I_ty_", "lagrangian_", "n_iter_", "converged_")
    _ARRAYS = ("encoder_", "p_t_", "p_y_given_t_", "restart_lagrangians_")

    def __init__(
        self,
        n_clusters: int | None = None,
        beta: float = 1.0,
        *,
        n_restarts: int = 10,
        max_iter: int = 5000,
        tol: float = 1e-10,
        seed: int | np.random.Generator = 0,
    ):
        self.n_clusters = n_clusters
        self.beta = beta
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.tol = tol
        self.seed = seed

    def fit(self, p_xy: np.ndarray, init: np.ndarray | None = None) -> InformationBottleneck:
        """Solve the IB for the joint table ``p_xy`` (shape (n_x, n_y), sums to one).

        ``init`` (shape (n_x, n_clusters)) is an extra starting encoder tried besides the random ones.
        """
        self._validate_params()
        p_xy = check_joint(p_xy)
        beta = float(self.beta)
        n_t = p_xy.shape[0] if self.n_clusters is None else int(self.n_clusters)
        n_restarts, max_iter, tol = int(self.n_restarts), int(self.max_iter), float(self.tol)
        rng = as_generator(self.seed)
        p_x, p_y_x, keep = _support(p_xy)
        # The first start is x -> cluster (x mod n_clusters): at large β random soft
        # starts freeze into partitions with too few clusters, which then cannot split.
        fine = np.eye(n_t)[np.arange(p_x.size) % n_t]
        starts = [rng.dirichlet(np.ones(n_t), size=p_x.size) for _ in range(n_restarts)]
        starts[0] = fine
        if init is not None:
            init = np.asarray(init, dtype=float)
            if init.shape != (p_xy.shape[0], n_t) or np.any(init < 0):
                raise ValueError(f"init must be a non-negative ({p_xy.shape[0]}, {n_t}) encoder")
            starts.append(init[keep] / init[keep].sum(1, keepdims=True))
        best = None
        lagrangians = []
        for enc0 in starts:
            enc, n_iter, ok = _iterate(p_x, p_y_x, enc0, beta, max_iter, tol)
            i_xt, i_ty, _ = _informations(p_x, p_y_x, enc)
            lag = i_xt - beta * i_ty
            lagrangians.append(lag)
            if best is None or lag < best[0] - 1e-13:
                best = (lag, enc, n_iter, ok, i_xt, i_ty)
        assert best is not None
        self.lagrangian_, enc, self.n_iter_, self.converged_, self.I_xt_, self.I_ty_ = best
        self.encoder_ = _fill(enc, keep, p_x)
        self.p_t_, self.p_y_given_t_ = _decoder(p_x, p_y_x, enc)
        self.restart_lagrangians_ = np.array(lagrangians)
        return self

    @staticmethod
    def memory_bytes(n_x: int, n_y: int, n_clusters: int | None = None, n_restarts: int = 10) -> int:
        """An estimate, on the low side, of the peak memory (bytes) of :meth:`fit` on an
        ``n_x`` × ``n_y`` table with ``n_clusters`` (default ``n_x``) clusters.

        The starting encoders (one per restart) and about eight more arrays of n_x × n_clusters
        floats while iterating (the encoder, its update, the logits, the KL divergences and their
        temporaries); fitting a 2000 × 5 table with one start grew the peak by 301 MiB, where this
        gives 275 MiB. :func:`information_curve` needs this at each β, and keeps each β's encoder.
        """
        n_x = check_int(n_x, "n_x", low=1)
        n_y = check_int(n_y, "n_y", low=1)
        n_t = n_x if n_clusters is None else check_int(n_clusters, "n_clusters", low=1)
        n_restarts = check_int(n_restarts, "n_restarts", low=1)
        return 8 * (n_x * n_t * (8 + n_restarts) + 4 * n_t * n_y + 4 * n_x * n_y)

    def distinct_clusters(self, tol: float = CLUSTER_MERGE_TOL) -> np.ndarray:
        """p(t|x) over the clusters the solution really uses, shape (n_x, k), largest p(t) first.

        A cluster is in use when p(t) > 1e-14; clusters whose p(y|t) agree within ``tol`` are
        one cluster (their columns of p(t|x) are added), because copies of a cluster carry the
        same information however an x is shared among them. Below the first critical β, for
        instance, every p(y|t) equals p(y) and the solution has one cluster, whatever the spread
        of p(t|x) over its copies. The assignments are hard where max_t of the result is 1.
        """
        check_is_fitted(self, "encoder_")
        tol = check_real(tol, "tol", low=0.0, low_open=True)
        groups = _groups(np.asarray(self.p_t_), np.asarray(self.p_y_given_t_), tol)
        return np.column_stack([self.encoder_[:, g].sum(1) for g in groups])

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return _state(self, self._NUMBERS, self._ARRAYS)

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        _restore(self, meta, arrays)


class DeterministicIB(ModelMixin, BaseEstimator):
    """Deterministic information bottleneck (Strouse & Schwab 2017) at one β.

    Minimises ``H(T) − β I(T;Y)`` over hard assignments t = f(x) by iterating
    f(x) = argmax_t [log q(t) − β KL[p(y|x) ‖ q(y|t)]], q(t) = Σ_{x: f(x)=t} p(x) and
    q(y|t) = Σ_{x: f(x)=t} p(x, y)/q(t) until no assignment changes, from ``n_restarts``
    assignments (the lowest cost kept): the first puts x in cluster x mod n_clusters, the
    others are random. Clusters that empty stay empty. For a
    deterministic encoder H(T|X) = 0, so I(X;T) = H(T).

    Parameters
    ----------
    n_clusters : int, optional
        Default |X|.
    beta : float
        > 0.
    n_restarts, max_iter : int
    seed : int or numpy.random.Generator

    Attributes
    ----------
    labels_ : ndarray of int, shape (n_x,)
        f(x) (rows with p(x) = 0 get the most probable cluster).
    encoder_ : ndarray, shape (n_x, n_clusters)
        The one-hot p(t|x).
    H_t_, I_xt_, I_ty_ : float
        Bits; ``I_xt_ == H_t_``.
    cost_ : float
        ``H_t_ − β I_ty_``.
    n_iter_ : int
    converged_ : bool

    A fitted solution saves with ``save(path)`` and loads with ``DeterministicIB.load(path)``.
    """

    _data_kind = "joint"
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_clusters": [None, _AT_LEAST_ONE],
        "beta": [_POSITIVE],
        "n_restarts": [_AT_LEAST_ONE],
        "max_iter": [_AT_LEAST_ONE],
        "seed": ["seed"],
    }
    _NUMBERS = ("H_t_", "I_xt_", "I_ty_", "cost_", "n_iter_", "converged_")
    _ARRAYS = ("labels_", "encoder_")

    def __init__(
        self,
        n_clusters: int | None = None,
        beta: float = 1.0,
        *,
        n_restarts: int = 10,
        max_iter: int = 1000,
        seed: int | np.random.Generator = 0,
    ):
        self.n_clusters = n_clusters
        self.beta = beta
        self.n_restarts = n_restarts
        self.max_iter = max_iter
        self.seed = seed

    def fit(self, p_xy: np.ndarray, y: None = None) -> DeterministicIB:
        """Solve the DIB for the joint table ``p_xy`` (shape (n_x, n_y), sums to one); ``y`` is
        ignored (scikit-learn's signature)."""
        self._validate_params()
        p_xy = check_joint(p_xy)
        beta = float(self.beta)
        n_t = p_xy.shape[0] if self.n_clusters is None else int(self.n_clusters)
        n_restarts, max_iter = int(self.n_restarts), int(self.max_iter)
        rng = as_generator(self.seed)
        p_x, p_y_x, keep = _support(p_xy)
        best = None
        for r in range(n_restarts):
            # the first start gives every x its own cluster (while clusters last): empty clusters
            # stay empty, so a random start cannot recover the fine partitions of large β
            labels = np.arange(p_x.size) % n_t if r == 0 else rng.integers(n_t, size=p_x.size)
            ok, n_iter = False, max_iter
            for it in range(1, max_iter + 1):
                n_iter = it
                enc = np.eye(n_t)[labels]
                p_t, p_y_t = _decoder(p_x, p_y_x, enc)
                with np.errstate(divide="ignore"):
                    score = np.log(p_t)[None, :] - beta * _kl_nats(p_y_x, p_y_t)
                new = np.argmax(score, axis=1)
                if np.array_equal(new, labels):
                    ok = True
                    break
                labels = new
            enc = np.eye(n_t)[labels]
            _, i_ty, h_t = _informations(p_x, p_y_x, enc)
            cost = h_t - beta * i_ty
            if best is None or cost < best[0] - 1e-13:
                best = (cost, labels, n_iter, ok, h_t, i_ty)
        assert best is not None
        self.cost_, labels, self.n_iter_, self.converged_, self.H_t_, self.I_ty_ = best
        self.I_xt_ = self.H_t_
        full = np.empty(keep.size, dtype=int)
        full[keep] = labels
        full[~keep] = int(np.argmax(np.bincount(labels, weights=p_x, minlength=n_t)))
        self.labels_ = full
        self.encoder_ = np.eye(n_t)[full]
        return self

    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        return _state(self, self._NUMBERS, self._ARRAYS)

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        _restore(self, meta, arrays)


@dataclass(frozen=True)
class InformationCurve:
    """The information plane of an IB solution path: one point per β (bits).

    Attributes
    ----------
    beta : ndarray, shape (n,)
    I_xt, I_ty : ndarray, shape (n,)
        I(X;T) and I(T;Y) of the solution at each β.
    n_clusters : ndarray of int, shape (n,)
        Distinct clusters in use (p(t) > 0, distinct p(y|t)).
    converged : ndarray of bool, shape (n,)
    H_x, I_xy : float
        The curve's end point (H(X), I(X;Y)).
    encoders : list of ndarray
        p(t|x) at each β (merged clusters; shapes (n_x, n_clusters[i])).
    """

    beta: np.ndarray
    I_xt: np.ndarray
    I_ty: np.ndarray
    n_clusters: np.ndarray
    converged: np.ndarray
    H_x: float
    I_xy: float
    encoders: list

    def slopes(self) -> np.ndarray:
        """dI(T;Y)/dI(X;T) between neighbouring points with distinct I(X;T) (NaN otherwise)."""
        dx = np.diff(self.I_xt)
        dy = np.diff(self.I_ty)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.abs(dx) > 1e-9, dy / dx, np.nan)


def _lagrangian(p_x: np.ndarray, p_y_x: np.ndarray, enc: np.ndarray, beta: float) -> float:
    i_xt, i_ty, _ = _informations(p_x, p_y_x, enc)
    return i_xt - beta * i_ty


def _groups(p_t: np.ndarray, p_y_t: np.ndarray, tol: float) -> list[list[int]]:
    """Clusters with p(t) > 1e-14 grouped by (nearly) equal p(y|t), largest p(t) first."""
    used = [t for t in np.argsort(-p_t, kind="stable") if p_t[t] > 1e-14]
    groups: list[list[int]] = []
    for t in used:
        for g in groups:
            if np.max(np.abs(p_y_t[g[0]] - p_y_t[t])) < tol:
                g.append(t)
                break
        else:
            groups.append([t])
    return groups


def _merge(enc: np.ndarray, p_x: np.ndarray, p_y_x: np.ndarray, tol: float) -> np.ndarray:
    """Merge clusters with (nearly) equal p(y|t) and drop empty ones."""
    p_t, p_y_t = _decoder(p_x, p_y_x, enc)
    return np.column_stack([enc[:, g].sum(1) for g in _groups(p_t, p_y_t, tol)])


def information_curve(
    p_xy: np.ndarray,
    betas: np.ndarray | None = None,
    *,
    n_clusters: int | None = None,
    split_scale: float = 1e-2,
    merge_tol: float = 1e-6,
    n_restarts: int = 3,
    max_iter: int = 20000,
    tol: float = 1e-11,
    seed: int | np.random.Generator = 0,
) -> InformationCurve:
    """The IB curve I(T;Y) against I(X;T) by deterministic annealing in β with cluster splitting.

    Starting from the one-cluster solution (I(X;T) = 0), β increases through ``betas``. At each
    β every cluster is split in two by a small random perturbation of p(t|x) (relative size
    ``split_scale``) while fewer than ``n_clusters`` are in use, the IB equations are iterated
    to convergence, and clusters whose p(y|t) coincide (within ``merge_tol``) are merged: a
    split survives only past the β at which the solution bifurcates. With ``n_restarts`` > 0 the
    annealed solution also competes with that many random starts at each β (lowest Lagrangian
    kept). Then a backward sweep follows each solution down in β and keeps, at every β, the
    branch with the lower Lagrangian. The restarts and the backward sweep matter at first-order
    transitions, where the annealed branch can stay metastable past the β at which a solution
    with more clusters has the lower Lagrangian.

    Parameters
    ----------
    p_xy : array_like, shape (n_x, n_y)
        Joint distribution (non-negative, sums to one).
    betas : array_like, optional
        Increasing values > 0; default 60 values from 0.1 to 1000, geometric.
    n_clusters : int, optional
        Most clusters allowed; default |X|.
    split_scale, merge_tol, tol : float
    n_restarts : int
        Random starts per β competing with the annealed solution (0: annealing only).
    max_iter : int
    seed : int or numpy.random.Generator

    Returns
    -------
    InformationCurve
    """
    p_xy = check_joint(p_xy)
    if betas is None:
        betas = np.geomspace(0.1, 1000.0, 60)
    betas = np.asarray(betas, dtype=float)
    if betas.ndim != 1 or betas.size < 1:
        raise ValueError(f"betas must be a non-empty 1-D array, got shape {betas.shape}")
    for b in betas:
        _check_beta(float(b))
    if np.any(np.diff(betas) < 0):
        raise ValueError("betas must be increasing (the annealing follows the solution upwards in β)")
    n_max = p_xy.shape[0] if n_clusters is None else check_int(n_clusters, "n_clusters", low=1)
    split_scale = check_real(split_scale, "split_scale", low=0.0, low_open=True)
    merge_tol = check_real(merge_tol, "merge_tol", low=0.0, low_open=True)
    n_restarts = check_int(n_restarts, "n_restarts", low=0)
    rng = as_generator(check_seed(seed))
    p_x, p_y_x, keep = _support(p_xy)
    enc = np.ones((p_x.size, 1))
    rows = []
    for beta in betas:
        k = enc.shape[1]
        n_split = min(k, n_max - k)
        if n_split > 0:
            order = np.argsort(-(p_x @ enc))[:n_split]
            noise = 1.0 + split_scale * rng.uniform(-1.0, 1.0, size=(p_x.size, n_split))
            halves = 0.5 * enc[:, order]
            enc = np.column_stack([np.delete(enc, order, axis=1), halves * noise, halves * (2.0 - noise)])
        enc, _, ok = _iterate(p_x, p_y_x, enc, float(beta), max_iter, tol)
        if n_restarts:
            i_xt, i_ty, _ = _informations(p_x, p_y_x, enc)
            model = InformationBottleneck(
                n_max, float(beta), n_restarts=n_restarts, max_iter=max_iter, tol=tol, seed=rng
            ).fit(p_xy)
            if model.lagrangian_ < i_xt - beta * i_ty - 1e-12:
                enc, ok = model.encoder_[keep], model.converged_
        enc = _merge(enc, p_x, p_y_x, merge_tol)
        rows.append((enc, ok))
    # Backward sweep: from each β's solution, follow β downwards; keep whichever of the two
    # branches has the lower Lagrangian (this removes the hysteresis of first-order transitions).
    for i in range(len(betas) - 2, -1, -1):
        beta = float(betas[i])
        enc, ok = _iterate(p_x, p_y_x, rows[i + 1][0], beta, max_iter, tol)[::2]
        enc = _merge(enc, p_x, p_y_x, merge_tol)
        if _lagrangian(p_x, p_y_x, enc, beta) < _lagrangian(p_x, p_y_x, rows[i][0], beta) - 1e-12:
            rows[i] = (enc, ok)
    out = []
    for enc, ok in rows:
        i_xt, i_ty, _ = _informations(p_x, p_y_x, enc)
        out.append((i_xt, i_ty, enc.shape[1], ok, _fill(enc, keep, p_x)))
    rows = out
    return InformationCurve(
        beta=betas.copy(),
        I_xt=np.array([r[0] for r in rows]),
        I_ty=np.array([r[1] for r in rows]),
        n_clusters=np.array([r[2] for r in rows]),
        converged=np.array([r[3] for r in rows]),
        H_x=entropy(p_xy.sum(1)),
        I_xy=mutual_information(p_xy),
        encoders=[r[4] for r in rows],
    )


def binary_symmetric_ib_curve(i_xt: np.ndarray | float, p: float) -> np.ndarray | float:
    """The exact IB curve of a binary symmetric channel: I(T;Y) = 1 − h(p ⋆ h⁻¹(1 − I(X;T))).

    X is a uniform bit and Y = X flipped with probability ``p``; ``a ⋆ b = a(1−b) + b(1−a)``.
    By Mrs. Gerber's lemma (Wyner & Ziv 1973) H(Y|T) >= h(p ⋆ h⁻¹(H(X|T))) for any T − X − Y,
    with equality when T is X flipped with probability q (then I(X;T) = 1 − h(q)); since
    I(T;Y) = 1 − H(Y|T) and H(X|T) = 1 − I(X;T), this is the largest I(T;Y) at given I(X;T).
    The curve is concave, leaves the origin with slope (1 − 2p)² (so the IB solution is trivial
    for β < 1/(1 − 2p)²) and ends at (1, 1 − h(p)).

    Parameters
    ----------
    i_xt : float or array_like
        I(X;T) in bits, in [0, 1].
    p : float
        Flip probability in [0, 1].

    Returns
    -------
    float or ndarray
        I(T;Y) in bits.
    """
    p = check_real(p, "p", low=0.0, high=1.0)
    u = np.asarray(i_xt, dtype=float)
    if np.any((u < -1e-12) | (u > 1 + 1e-12)):
        raise ValueError("i_xt must be in [0, 1] bits")
    q = np.asarray(inverse_binary_entropy(np.clip(1.0 - u, 0.0, 1.0)))
    out = 1.0 - np.asarray(binary_entropy(p * (1 - q) + q * (1 - p)))
    return float(out) if out.ndim == 0 else out
