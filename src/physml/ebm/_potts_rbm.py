"""Restricted Boltzmann machines with categorical (Potts) visible units: each visible unit takes
one of q states, coded one-hot; hidden units are Bernoulli.

Energy, with v_ia = 1 when unit i is in state a (Σ_a v_ia = 1), W of shape (n_hidden, n_visible, q),
b of shape (n_visible, q), c of shape (n_hidden,):

    E(v, h) = − Σ_ia b_ia v_ia − Σ_j c_j h_j − Σ_jia h_j W_jia v_ia,

so F(v) = −Σ_ia b_ia v_ia − Σ_j softplus(c_j + Σ_ia W_jia v_ia), p(h_j = 1 | v) is a sigmoid and
p(v_i = a | h) = softmax_a(b_ia + Σ_j h_j W_jia). The model used for lattice Potts spins and for
protein sequences (Tubiana, Cocco & Monasson, eLife 8, e39397 (2019)); q = 2 is the Bernoulli RBM
in another parametrisation.

* :class:`PottsRBMModel`: the tensors, energies, conditionals, exact log Z by enumerating the
  hidden layer (up to 25 units), and the annealing path used by
  :func:`~physml.ebm.log_likelihood_bounds` (AIS and RAISE, from a base model of independent
  categorical units).
* :class:`PottsRBM`: the estimator (CD-k or PCD-k), a physml model (save/load, ``score``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError

from physml._core import (
    Interval,
    ModelMixin,
    Options,
    check_array,
    check_choice,
    check_int,
    derive_seed,
    torch_generator,
)
from physml.ebm._partition import ais_betas
from physml.ebm._raise import annealed_log_weights, log_likelihood_bounds, log_mean_exp_with_error
from physml.ebm._rbm_model import _resolve_dtype, _seed_int, bernoulli, check_memory
from physml.training import ConstantSchedule, LinearSchedule, Schedule

__all__ = ["PottsRBM", "PottsRBMModel", "check_potts_data"]

_LOG2 = math.log(2.0)
POTTS_EXACT_MAX_HIDDEN = 25


def check_potts_data(X: Any, n_states: int, name: str = "X", n_features: int | None = None, *,
                     hint: str = "") -> np.ndarray:
    """Validate categorical data: 2-d, finite, integer states 0, ..., n_states − 1.

    A value outside the states is one line naming ``name``, its row and column, the value, the
    accepted states and the number of such values, then ``hint`` (e.g. what to do about it).

    Returns
    -------
    numpy.ndarray of int64, shape (n_samples, n_features)
    """
    arr = np.asarray(X) if not isinstance(X, np.ndarray) else X
    if arr.dtype.kind not in "biuf":
        arr = check_array(X, name, ndim=2)
    else:
        arr = check_array(arr, name, ndim=2, dtype=None)
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the Potts RBM has {n_features} "
                         "visible units")
    if arr.dtype.kind == "f":
        frac = arr != np.round(arr)
        if frac.any():
            idx = tuple(int(i) for i in np.argwhere(frac)[0])
            raise ValueError(f"{name} must hold integer states 0, ..., {n_states - 1}, but "
                             f"{name}[{idx[0]}, {idx[1]}] = {arr[idx].item()!r}")
    out = arr.astype(np.int64)
    bad = (out < 0) | (out >= n_states)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name}[{idx[0]}, {idx[1]}] = {int(out[idx])} is not a state of a Potts RBM with "
                         f"n_states={n_states}: states are the integers 0, ..., {n_states - 1} "
                         f"({int(bad.sum())} value(s) outside){'; ' + hint if hint else ''}")
    return out


class PottsRBMModel:
    """Parameters, energies and conditionals of an RBM with q-state visible units.

    Visible configurations are handled as one-hot tensors of shape (n, n_visible · q)
    (:meth:`one_hot`); :meth:`states` converts back to integer states.
    """

    def __init__(self, weights: torch.Tensor, visible_bias: torch.Tensor, hidden_bias: torch.Tensor):
        if weights.ndim != 3:
            raise ValueError("weights must have shape (n_hidden, n_visible, n_states), got "
                             f"{tuple(weights.shape)}")
        n_h, n_v, q = weights.shape
        if tuple(visible_bias.shape) != (n_v, q) or tuple(hidden_bias.shape) != (n_h,):
            raise ValueError(f"biases must have shapes ({n_v}, {q}) and ({n_h},), got "
                             f"{tuple(visible_bias.shape)} and {tuple(hidden_bias.shape)}")
        self.weights = weights
        self.visible_bias = visible_bias
        self.hidden_bias = hidden_bias

    n_hidden = property(lambda self: int(self.weights.shape[0]))
    n_visible = property(lambda self: int(self.weights.shape[1]))
    n_states = property(lambda self: int(self.weights.shape[2]))
    device = property(lambda self: self.weights.device)
    dtype = property(lambda self: self.weights.dtype)

    def parameters(self) -> dict[str, torch.Tensor]:
        return {"weights": self.weights, "visible_bias": self.visible_bias, "hidden_bias": self.hidden_bias}

    def to(self, device: Any = None, dtype: Any = None) -> PottsRBMModel:
        dt = self.dtype if dtype is None else _resolve_dtype(dtype)
        dev = self.device if device is None else torch.device(device)
        p = {k: v.detach().to(dev, dt).clone() for k, v in self.parameters().items()}
        return PottsRBMModel(p["weights"], p["visible_bias"], p["hidden_bias"])

    def _flat_w(self) -> torch.Tensor:
        return self.weights.reshape(self.n_hidden, -1)

    def one_hot(self, states: Any) -> torch.Tensor:
        """(n, n_visible) integer states → one-hot (n, n_visible · q) in the model's dtype."""
        s = torch.as_tensor(np.asarray(states), device=self.device).long()
        return torch.nn.functional.one_hot(s, self.n_states).reshape(len(s), -1).to(self.dtype)

    def states(self, v: torch.Tensor) -> np.ndarray:
        """One-hot (n, n_visible · q) → integer states (n, n_visible)."""
        return v.reshape(len(v), self.n_visible, self.n_states).argmax(-1).cpu().numpy()

    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        return torch.addmm(self.hidden_bias, v, self._flat_w().T)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        softplus = torch.nn.functional.softplus
        return -(v @ self.visible_bias.reshape(-1)) - softplus(self.hidden_input(v)).sum(-1)

    def visible_logits(self, h: torch.Tensor) -> torch.Tensor:
        """b + h W, shape (n, n_visible, q)."""
        return self.visible_bias + (h @ self._flat_w()).reshape(len(h), self.n_visible, self.n_states)

    def sample_categorical(self, logits: torch.Tensor, g: torch.Generator) -> torch.Tensor:
        """One-hot draws from softmax(logits) over the last axis, flattened to (n, n_visible · q)."""
        p = torch.softmax(logits, -1).cumsum(-1)
        u = torch.rand(p.shape[:-1] + (1,), generator=g, dtype=p.dtype, device=p.device)
        idx = (u >= p).sum(-1).clamp_(max=self.n_states - 1)
        return torch.nn.functional.one_hot(idx, self.n_states).reshape(len(logits), -1).to(self.dtype)

    def gibbs(self, v: torch.Tensor, g: torch.Generator, n_steps: int = 1) -> torch.Tensor:
        for _ in range(n_steps):
            h = bernoulli(torch.sigmoid(self.hidden_input(v)), g)
            v = self.sample_categorical(self.visible_logits(h), g)
        return v

    def exact_log_partition(self, max_elements: int = 2**22) -> float:
        """log Z = logsumexp_h [c·h + Σ_i logsumexp_a (b_ia + (h W)_ia)] over all 2^n_hidden
        hidden states, in float64 and in chunks."""
        if self.n_hidden > POTTS_EXACT_MAX_HIDDEN:
            raise ValueError(f"exact log Z of a Potts RBM sums over its {self.n_hidden} hidden units "
                             f"(2^{self.n_hidden} states); the limit is {POTTS_EXACT_MAX_HIDDEN}")
        m = self.to(dtype="float64")
        n_h = m.n_hidden
        per = max(1, max_elements // max(1, m.n_visible * m.n_states))
        parts = []
        shifts = torch.arange(n_h, dtype=torch.int64)
        for start in range(0, 2**n_h, per):
            idx = torch.arange(start, min(start + per, 2**n_h), dtype=torch.int64)
            h = ((idx[:, None] >> shifts) & 1).to(torch.float64)
            terms = h @ m.hidden_bias + torch.logsumexp(m.visible_logits(h), -1).sum(-1)
            parts.append(torch.logsumexp(terms, 0))
        return float(torch.logsumexp(torch.stack(parts), 0))

    def annealing_path(self, data: Any, base_visible_bias: Any) -> _PottsPath:
        """The path of AIS and RAISE (:mod:`physml.ebm._raise`) from independent categorical units."""
        return _PottsPath(self, data, base_visible_bias)


class _PottsPath:
    """log f_β(v) = (1−β) a·v + β b·v + Σ_j softplus(β x_j(v)), with a the base model's logits
    (the data's state frequencies, add-one smoothed, if data is given; else zero)."""

    def __init__(self, model: PottsRBMModel, data: Any, base_visible_bias: Any):
        self.model = model
        q, n_v = model.n_states, model.n_visible
        if data is not None:
            x = check_potts_data(data, q, "data", n_v)
            counts = np.stack([(x == a).sum(0) for a in range(q)], -1).astype(np.float64) + 1.0
            base = np.log(counts / counts.sum(-1, keepdims=True))
        elif base_visible_bias is not None:
            base = check_array(base_visible_bias, "base_visible_bias", shape=(n_v, q))
        else:
            base = np.zeros((n_v, q))
        self.base = torch.as_tensor(base).to(model.device, model.dtype)
        self.log_z0 = float(torch.logsumexp(self.base.to(torch.float64), -1).sum()) + model.n_hidden * _LOG2

    def prepare(self, X: Any, name: str = "X") -> torch.Tensor:
        m = self.model
        return m.one_hot(check_potts_data(X, m.n_states, name, m.n_visible))

    def neg_free_energy(self, v: torch.Tensor) -> torch.Tensor:
        return -self.model.free_energy(v)

    def log_f(self, v: torch.Tensor, beta: float, x: torch.Tensor | None = None) -> torch.Tensor:
        m = self.model
        x = m.hidden_input(v) if x is None else x
        lin = v @ ((1.0 - beta) * self.base + beta * m.visible_bias).reshape(-1)
        return lin + torch.nn.functional.softplus(beta * x).sum(-1)

    def sweep(self, v: torch.Tensor, beta: float, g: torch.Generator,
              x: torch.Tensor | None = None) -> torch.Tensor:
        m = self.model
        x = m.hidden_input(v) if x is None else x
        h = bernoulli(torch.sigmoid(beta * x), g)
        logits = (1.0 - beta) * self.base + beta * m.visible_logits(h)
        return m.sample_categorical(logits, g)

    def sample_base(self, n: int, g: torch.Generator) -> torch.Tensor:
        return self.model.sample_categorical(self.base.expand(n, -1, -1), g)


class PottsRBM(ModelMixin, TransformerMixin, BaseEstimator):
    """RBM with q-state (Potts, one-hot) visible units and Bernoulli hidden units.

    Trained by CD-k or persistent CD-k with plain SGD on the batch-mean log-likelihood gradient.
    ``fit(X)`` takes integer states 0, ..., ``n_states`` − 1 of shape (n_samples, n_features).

    Parameters
    ----------
    n_components : int
        Hidden units.
    n_states : int
        q, the states of each visible unit (data holding a larger state are refused).
    learning_rate, batch_size, n_iter, k, weight_decay, weight_scale
        As for :class:`~physml.ebm.RBM`.
    learning_rate_schedule : {"constant", "linear"}
        "linear" decays the learning rate linearly to zero over the ``n_iter`` epochs (as
        Tieleman, ICML 2008, does for PCD): the last updates average the gradient noise out
        instead of leaving the model where the last minibatches put it, which allows a larger
        initial rate (``rbm-potts`` trains with 0.2, docs/ebm.md).
    method : {"pcd", "cd"}
    n_chains : int, optional
        Persistent chains (default ``batch_size``).
    seed : int
    dtype : {"float64", "float32"}

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features, n_states)
    intercept_visible_ : ndarray of shape (n_features, n_states)
    intercept_hidden_ : ndarray of shape (n_components,)
    log_z_, log_z_stderr_, log_z_method_
        The cached log Z of :meth:`log_partition`; ``score_estimate_`` says whether the scores are
        exact or an upper estimate (AIS).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n_components": [Interval(int, 1, None)],
        "n_states": [Interval(int, 2, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "learning_rate_schedule": [Options("constant", "linear")],
        "batch_size": [Interval(int, 1, None)],
        "n_iter": [Interval(int, 0, None)],
        "method": [Options("cd", "pcd")],
        "k": [Interval(int, 1, None)],
        "n_chains": [None, Interval(int, 1, None)],
        "weight_decay": [Interval(float, 0, None)],
        "weight_scale": [Interval(float, 0, None)],
        "seed": ["seed"],
        "dtype": [Options("float32", "float64")],
    }
    _data_kind: ClassVar[str] = "categorical"

    def __init__(self, n_components: int = 32, *, n_states: int = 3, learning_rate: float = 0.05,
                 learning_rate_schedule: str = "constant", batch_size: int = 20, n_iter: int = 10,
                 method: str = "pcd", k: int = 1, n_chains: int | None = None, weight_decay: float = 0.0,
                 weight_scale: float = 0.01, seed: int = 0, dtype: str = "float64"):
        self.n_components = n_components
        self.n_states = n_states
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.k = k
        self.n_chains = n_chains
        self.weight_decay = weight_decay
        self.weight_scale = weight_scale
        self.seed = seed
        self.dtype = dtype

    # -- fitted views -------------------------------------------------------------------------
    def potts_model(self) -> PottsRBMModel:
        model = self.__dict__.get("model_")
        if model is None:
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet; call 'fit' first")
        return model

    components_ = property(lambda self: self.potts_model().weights.detach().cpu().numpy())
    intercept_visible_ = property(lambda self: self.potts_model().visible_bias.detach().cpu().numpy())
    intercept_hidden_ = property(lambda self: self.potts_model().hidden_bias.detach().cpu().numpy())

    def __sklearn_is_fitted__(self) -> bool:
        return "model_" in self.__dict__

    # -- training -----------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> PottsRBM:
        """Train from scratch for ``n_iter`` epochs on integer states ``X`` (n_samples, n_features)."""
        self._validate_params()
        x = check_potts_data(X, self.n_states, "X", hint="declare more states")
        seed = _seed_int(self.seed)
        dt = _resolve_dtype(self.dtype)
        q, n_v, n_h = self.n_states, x.shape[1], self.n_components
        counts = np.stack([(x == a).sum(0) for a in range(q)], -1).astype(np.float64) + 1.0
        b = np.log(counts / counts.sum(-1, keepdims=True))
        b -= b.mean(-1, keepdims=True)
        g0 = torch_generator(seed, "cpu")
        w = torch.randn(n_h, n_v, q, generator=g0, dtype=torch.float64) * float(self.weight_scale)
        model = PottsRBMModel(w.to(dt), torch.as_tensor(b).to(dt), torch.zeros(n_h, dtype=dt))
        self.model_ = model
        self.n_features_in_ = n_v
        for name in ("log_z_", "log_z_stderr_", "log_z_method_", "log_z_ess_", "log_z_reliable_"):
            self.__dict__.pop(name, None)
        data = model.one_hot(x)
        train_seed = derive_seed(seed, "potts-rbm-training")
        g = torch_generator(train_seed, "cpu")
        rng = np.random.default_rng(train_seed)
        n_chains = self.batch_size if self.n_chains is None else self.n_chains
        chains = data[torch.as_tensor(rng.integers(len(data), size=n_chains))].clone()
        lr, wd = float(self.learning_rate), float(self.weight_decay)
        per_epoch = -(-len(data) // self.batch_size)
        schedule: Schedule = (LinearSchedule(lr, 0.0, max(1, self.n_iter * per_epoch))
                              if self.learning_rate_schedule == "linear" else ConstantSchedule(lr))
        with torch.no_grad():
            for epoch in range(self.n_iter):
                order = torch.as_tensor(rng.permutation(len(data)))
                for batch, start in enumerate(range(0, len(data), self.batch_size)):
                    lr = schedule(epoch * per_epoch + batch)
                    v_pos = data[order[start:start + self.batch_size]]
                    h_pos = torch.sigmoid(model.hidden_input(v_pos))
                    start_neg = v_pos if self.method == "cd" else chains
                    v_neg = model.gibbs(start_neg, g, self.k)
                    if self.method == "pcd":
                        chains = v_neg
                    h_neg = torch.sigmoid(model.hidden_input(v_neg))
                    grad_w = h_pos.T @ v_pos / len(v_pos) - h_neg.T @ v_neg / len(v_neg)
                    model.weights += lr * (grad_w.reshape(model.weights.shape) - wd * model.weights)
                    model.visible_bias += lr * (v_pos.mean(0) - v_neg.mean(0)).reshape(n_v, q)
                    model.hidden_bias += lr * (h_pos.mean(0) - h_neg.mean(0))
                if not all(bool(torch.isfinite(p).all()) for p in model.parameters().values()):
                    raise FloatingPointError(f"PottsRBM training diverged (a parameter is not finite); "
                                             f"try a smaller learning_rate than {self.learning_rate:g}")
        self.n_iter_ = int(self.n_iter)
        return self

    # -- inference ----------------------------------------------------------------------------
    def _one_hot(self, X: Any, name: str = "X") -> torch.Tensor:
        model = self.potts_model()
        return model.one_hot(check_potts_data(X, self.n_states, name, model.n_visible))

    def transform(self, X: Any) -> np.ndarray:
        """p(h_j = 1 | v), shape (n_samples, n_components)."""
        model = self.potts_model()
        with torch.no_grad():
            return torch.sigmoid(model.hidden_input(self._one_hot(X))).cpu().numpy()

    def free_energy(self, X: Any) -> np.ndarray:
        model = self.potts_model()
        with torch.no_grad():
            return model.free_energy(self._one_hot(X)).to(torch.float64).cpu().numpy()

    def log_partition(self, method: str = "auto", **ais_options: Any) -> tuple[float, float]:
        """log Z and its standard error, cached: exact (hidden layer ≤ 25 units) or AIS along the
        path of :func:`~physml.ebm.log_likelihood_bounds` (options ``n_chains`` (100),
        ``n_betas`` (1000), ``data``, ``seed``)."""
        check_choice(method, "method", ("auto", "exact", "ais"))
        model = self.potts_model()
        if method == "auto":
            method = "exact" if model.n_hidden <= POTTS_EXACT_MAX_HIDDEN else "ais"
        if method == "exact":
            value, err = model.exact_log_partition(), 0.0
        else:
            n_chains = check_int(ais_options.get("n_chains", 100), "n_chains", low=2)
            bet = ais_betas(ais_options.get("n_betas", 1000))
            check_memory(self._chain_bytes(n_chains), model.device,
                         f"AIS with {n_chains} runs on a {self._shape_name()} Potts RBM")
            g = torch_generator(_seed_int(ais_options.get("seed", self.seed)), model.device)
            lw = annealed_log_weights(model.annealing_path(ais_options.get("data"), None), n_chains, bet, g)
            value, err = log_mean_exp_with_error(lw)
            w = np.exp(lw - lw.max())
            ess = float(w.sum() ** 2 / (w**2).sum())
        self.log_z_, self.log_z_stderr_, self.log_z_method_ = float(value), float(err), method
        if method == "ais":  # as RBM.log_partition: a few runs dominating make the error too small
            self.log_z_ess_, self.log_z_reliable_ = ess, bool(ess >= max(10.0, n_chains / 4))
        else:
            self.__dict__.pop("log_z_ess_", None)
            self.__dict__.pop("log_z_reliable_", None)
        return self.log_z_, self.log_z_stderr_

    def _shape_name(self) -> str:
        model = self.potts_model()
        return f"{model.n_visible}x{model.n_states}-{model.n_hidden}"

    def _chain_bytes(self, n_chains: int) -> int:
        """Peak memory of ``n_chains`` chains: one-hot visibles, hidden inputs and their
        temporaries (about four copies), in the model's dtype."""
        model = self.potts_model()
        width = model.n_visible * model.n_states + model.n_hidden
        return 4 * n_chains * width * model.weights.element_size()

    @property
    def score_estimate_(self) -> str:
        """``"exact"`` or ``"upper"`` (AIS log Z): which log-likelihood :meth:`score_samples` gives."""
        if "log_z_method_" not in self.__dict__:
            raise AttributeError("score_estimate_ exists once log Z is computed")
        return "exact" if self.log_z_method_ == "exact" else "upper"

    def score_samples(self, X: Any) -> np.ndarray:
        """log p(v) = −F(v) − log Z of each row (nats), with the cached log Z (exact when the hidden
        layer has ≤ 25 units, else AIS: an upper estimate; ``score_estimate_`` says which)."""
        v = self._one_hot(X)
        if "log_z_" not in self.__dict__:
            self.log_partition()
        with torch.no_grad():
            return (-self.model_.free_energy(v).to(torch.float64) - self.log_z_).cpu().numpy()

    def log_likelihood_bounds(self, X: Any, **options: Any) -> Any:
        """:func:`~physml.ebm.log_likelihood_bounds` of ``X`` (default seed ``self.seed``)."""
        options.setdefault("seed", self.seed)
        return log_likelihood_bounds(self, X, **options)

    def sample(self, n_samples: int, n_steps: int = 1000, seed: int = 0) -> np.ndarray:
        """``n_samples`` configurations (integer states) after ``n_steps`` block Gibbs sweeps from
        the visible biases alone."""
        model = self.potts_model()
        n_samples = check_int(n_samples, "n_samples", low=1)
        n_steps = check_int(n_steps, "n_steps", low=0)
        check_memory(self._chain_bytes(n_samples), model.device,
                     f"sampling {n_samples} chains of a {self._shape_name()} Potts RBM")
        g = torch_generator(_seed_int(seed), model.device)
        with torch.no_grad():
            v = model.sample_categorical(model.visible_bias.expand(n_samples, -1, -1), g)
            return model.states(model.gibbs(v, g, n_steps))

    # -- persistence --------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        model = self.potts_model()
        meta: dict[str, Any] = {"n_features_in_": int(self.n_features_in_), "n_iter_": int(self.n_iter_)}
        for name in ("log_z_", "log_z_stderr_", "log_z_method_", "log_z_ess_", "log_z_reliable_"):
            if name in self.__dict__:
                meta[name] = self.__dict__[name]
        return meta, {k: v.detach().cpu().numpy() for k, v in model.parameters().items()}

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        dt = _resolve_dtype(self.dtype)
        t = {k: torch.as_tensor(arrays[k]).to(dt) for k in ("weights", "visible_bias", "hidden_bias")}
        self.model_ = PottsRBMModel(t["weights"], t["visible_bias"], t["hidden_bias"])
        self.n_features_in_ = int(meta["n_features_in_"])
        self.n_iter_ = int(meta.get("n_iter_", 0))
        for name in ("log_z_", "log_z_stderr_", "log_z_method_", "log_z_ess_", "log_z_reliable_"):
            if name in meta:
                setattr(self, name, meta[name])
