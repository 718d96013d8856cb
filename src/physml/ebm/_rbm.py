"""Restricted Boltzmann machines: the model (energies, conditionals, block Gibbs sampling)
and a scikit-learn-style estimator :class:`RBM` that composes it with the training drivers
of :mod:`physml.ebm._rbm_training` and the partition functions of :mod:`physml.ebm._partition`.

Energy conventions (v: visible units, h ∈ {0,1}: hidden units, W = ``components_`` of shape
(n_hidden, n_visible), b = ``intercept_visible_``, c = ``intercept_hidden_``):

* Bernoulli-Bernoulli (v ∈ {0,1}):

      E(v, h) = − Σ_i b_i v_i − Σ_j c_j h_j − Σ_ij h_j W_ji v_i

* Gaussian-Bernoulli (v ∈ ℝ, per-unit standard deviation σ_i > 0; Cho, Ilin, Raiko,
  ICANN 2011 write the same energy with σ_i² in the interaction, we use the common
  Hinton-Salakhutdinov form with v_i/σ_i):

      E(v, h) = Σ_i (v_i − b_i)² / (2σ_i²) − Σ_j c_j h_j − Σ_ij h_j W_ji v_i / σ_i

In both cases p(v, h) = exp(−E(v, h)) / Z. Summing the hidden units out analytically gives
the free energy F(v) = −log Σ_h exp(−E(v, h)):

      F(v) = V(v) − Σ_j softplus(c_j + Σ_i W_ji s_i(v)),

with V(v) = −b·v, s(v) = v (Bernoulli) or V(v) = Σ (v−b)²/(2σ²), s(v) = v/σ (Gaussian).
The conditionals factorise: p(h_j = 1 | v) = sigmoid(c_j + Σ_i W_ji s_i(v));
p(v_i = 1 | h) = sigmoid(b_i + Σ_j h_j W_ji) (Bernoulli) or
v_i | h ~ N(b_i + σ_i Σ_j h_j W_ji, σ_i²) (Gaussian).

At inverse temperature β (used by parallel tempering) the joint law is ∝ exp(−β E): the
logits are multiplied by β and, for Gaussian units, the variance becomes σ²/β.

References: Smolensky (1986); Hinton, Neural Computation 14, 1771 (2002) (contrastive
divergence); Hinton & Salakhutdinov, Science 313, 504 (2006) (Gaussian visibles);
Hinton, "A Practical Guide to Training RBMs", UTML TR 2010-003.
"""

from __future__ import annotations

import io
import json
import math
import os
from typing import Any

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError

from physml._core import (
    atomic_write_bytes,
    check_array,
    check_choice,
    check_int,
    check_real,
    check_seed,
    torch_generator,
)

__all__ = ["RBM", "RBMModel"]

_VISIBLE = ("bernoulli", "gaussian")
_METHODS = ("cd", "pcd", "pt")
_DTYPES = {"float32": torch.float32, "float64": torch.float64}
_FORMAT = "physml.ebm.RBM/1"
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


# ---------------------------------------------------------------------------------------------
# helpers shared by the ebm modules
# ---------------------------------------------------------------------------------------------


def _resolve_device(device: Any) -> torch.device:
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(f"device must be 'cpu', 'cuda', 'cuda:N' or 'auto'; got {device!r}: {exc}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device {device!r} was requested but torch sees no CUDA device; use 'cpu' or 'auto'"
        )
    return dev


def _resolve_dtype(dtype: Any) -> torch.dtype:
    if isinstance(dtype, torch.dtype) and dtype in _DTYPES.values():
        return dtype
    if isinstance(dtype, type) and dtype in (np.float32, np.float64):
        return _DTYPES[np.dtype(dtype).name]
    if isinstance(dtype, np.dtype) and dtype.name in _DTYPES:
        return _DTYPES[dtype.name]
    check_choice(dtype, "dtype", tuple(_DTYPES))
    return _DTYPES[dtype]


def _seed_int(seed: int | np.random.Generator) -> int:
    seed = check_seed(seed)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**62))
    return int(seed)


def bernoulli(p: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Binary samples with P(1) = p (same dtype as p): 1[u < p], u ~ U[0, 1).

    Equivalent in law to :func:`torch.bernoulli`, and several times faster on CPU.
    """
    u = torch.rand(p.shape, generator=generator, dtype=p.dtype, device=p.device)
    return u.lt_(p)


def check_visible_data(
    X: Any, visible: str, name: str = "X", n_features: int | None = None, *, min_samples: int = 1
) -> np.ndarray:
    """Validate data for an RBM's visible layer.

    Rejects non-2D input, NaN/inf, a wrong number of features and, for Bernoulli visibles,
    any value other than 0 or 1 (naming the first offending value and its index).

    Returns
    -------
    numpy.ndarray of shape (n_samples, n_features)
        The input, not copied where possible (bool and integer dtypes are kept).
    """
    arr = np.asarray(X) if not isinstance(X, np.ndarray) else X
    if arr.dtype.kind not in "biuf":
        arr = check_array(X, name, ndim=2, min_samples=min_samples)
    else:
        arr = check_array(arr, name, ndim=2, dtype=None, min_samples=min_samples)
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(
            f"{name} has {arr.shape[1]} features, but the RBM has {n_features} visible units"
        )
    if visible == "bernoulli" and arr.dtype.kind != "b" and arr.size:
        bad = (arr != 0) & (arr != 1)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"{name} must be binary for a Bernoulli RBM, but {name}[{', '.join(map(str, idx))}] = "
                f"{arr[idx].item()!r} ({int(bad.sum())} non-binary value(s)); values must be 0 or 1; "
                f"binarise e.g. with X > 0.5"
            )
    return arr


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------


class RBMModel:
    """Parameters, energies and conditionals of a restricted Boltzmann machine.

    A small container of tensors: it knows its energy function and how to sample its
    conditionals, but not how to train itself (see :mod:`physml.ebm._rbm_training`).

    Parameters
    ----------
    weights : torch.Tensor, shape (n_hidden, n_visible)
        W (scikit-learn's ``components_``).
    visible_bias : torch.Tensor, shape (n_visible,)
        b.
    hidden_bias : torch.Tensor, shape (n_hidden,)
        c.
    visible : {"bernoulli", "gaussian"}
    log_sigma : torch.Tensor, shape (n_visible,), optional
        log σ of the Gaussian visible units (required for ``visible="gaussian"``).

    See the module docstring for the energy convention.
    """

    def __init__(
        self,
        weights: torch.Tensor,
        visible_bias: torch.Tensor,
        hidden_bias: torch.Tensor,
        *,
        visible: str = "bernoulli",
        log_sigma: torch.Tensor | None = None,
    ):
        check_choice(visible, "visible", _VISIBLE)
        if weights.ndim != 2:
            raise ValueError(f"weights must have shape (n_hidden, n_visible), got {tuple(weights.shape)}")
        n_h, n_v = weights.shape
        if tuple(visible_bias.shape) != (n_v,) or tuple(hidden_bias.shape) != (n_h,):
            raise ValueError(
                f"biases must have shapes ({n_v},) and ({n_h},), got {tuple(visible_bias.shape)} "
                f"and {tuple(hidden_bias.shape)}"
            )
        if visible == "gaussian":
            if log_sigma is None:
                raise ValueError("a Gaussian-Bernoulli RBM needs log_sigma of shape (n_visible,)")
            if tuple(log_sigma.shape) != (n_v,):
                raise ValueError(f"log_sigma must have shape ({n_v},), got {tuple(log_sigma.shape)}")
        elif log_sigma is not None:
            raise ValueError("log_sigma is only used with visible='gaussian'")
        self.visible = visible
        self.weights = weights
        self.visible_bias = visible_bias
        self.hidden_bias = hidden_bias
        self.log_sigma = log_sigma
        #: dtype of the matrix products (None: the parameters' dtype); a trainer sets it to
        #: torch.bfloat16 for mixed-precision training and restores it afterwards
        self.matmul_dtype: torch.dtype | None = None
        self._lowp_weights: tuple[tuple[int, int, torch.dtype], torch.Tensor] | None = None

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def initialise(
        cls,
        n_visible: int,
        n_hidden: int,
        *,
        visible: str = "bernoulli",
        weight_scale: float = 0.01,
        sigma: float | np.ndarray = 1.0,
        visible_bias: np.ndarray | None = None,
        seed: int | np.random.Generator = 0,
        device: str | torch.device = "cpu",
        dtype: str | torch.dtype = "float32",
    ) -> RBMModel:
        """Random small weights W ~ N(0, weight_scale²), zero hidden biases.

        ``visible_bias`` defaults to zero; Hinton's guide recommends log(p_i/(1−p_i)) of the
        data's base rates for Bernoulli units (the estimator does that).
        """
        n_visible = check_int(n_visible, "n_visible", low=1)
        n_hidden = check_int(n_hidden, "n_hidden", low=1)
        dev, dt = _resolve_device(device), _resolve_dtype(dtype)
        g = torch_generator(seed, "cpu")
        w = torch.randn(n_hidden, n_visible, generator=g, dtype=torch.float64) * float(weight_scale)
        b = torch.zeros(n_visible, dtype=torch.float64)
        if visible_bias is not None:
            b = torch.as_tensor(np.asarray(visible_bias, dtype=np.float64).reshape(n_visible))
        log_sigma = None
        if visible == "gaussian":
            s = np.broadcast_to(np.asarray(sigma, dtype=np.float64), (n_visible,))
            if not np.all(np.isfinite(s)) or np.any(s <= 0):
                raise ValueError(f"sigma must be positive and finite, got {sigma!r}")
            log_sigma = torch.as_tensor(np.log(s)).to(dev, dt)
        return cls(
            w.to(dev, dt), b.to(dev, dt), torch.zeros(n_hidden, dtype=dt, device=dev),
            visible=visible, log_sigma=log_sigma,
        )

    @property
    def n_visible(self) -> int:
        return int(self.weights.shape[1])

    @property
    def n_hidden(self) -> int:
        return int(self.weights.shape[0])

    @property
    def device(self) -> torch.device:
        return self.weights.device

    @property
    def dtype(self) -> torch.dtype:
        return self.weights.dtype

    @property
    def sigma(self) -> torch.Tensor | None:
        """σ of the Gaussian visible units, shape (n_visible,) (None for Bernoulli)."""
        return None if self.log_sigma is None else torch.exp(self.log_sigma)

    def parameters(self) -> dict[str, torch.Tensor]:
        """The parameter tensors by name (``log_sigma`` only for Gaussian visibles)."""
        out = {"weights": self.weights, "visible_bias": self.visible_bias, "hidden_bias": self.hidden_bias}
        if self.log_sigma is not None:
            out["log_sigma"] = self.log_sigma
        return out

    def to(self, device: Any = None, dtype: Any = None) -> RBMModel:
        """A copy on ``device`` with ``dtype`` (either may be None to keep it)."""
        dev = self.device if device is None else _resolve_device(device)
        dt = self.dtype if dtype is None else _resolve_dtype(dtype)
        p = {k: v.detach().to(dev, dt).clone() for k, v in self.parameters().items()}
        return RBMModel(p["weights"], p["visible_bias"], p["hidden_bias"], visible=self.visible,
                        log_sigma=p.get("log_sigma"))

    def clone(self) -> RBMModel:
        return self.to()

    def as_tensor(self, v: Any) -> torch.Tensor:
        """``v`` as a tensor on the model's device and dtype."""
        return torch.as_tensor(v).to(device=self.device, dtype=self.dtype)

    # -- energies -----------------------------------------------------------------------------
    def scaled(self, v: torch.Tensor) -> torch.Tensor:
        """s(v): v for Bernoulli visibles, v/σ for Gaussian ones."""
        return v if self.log_sigma is None else v * torch.exp(-self.log_sigma)

    def visible_term(self, v: torch.Tensor) -> torch.Tensor:
        """V(v) = −b·v (Bernoulli) or Σ (v−b)²/(2σ²) (Gaussian), shape v.shape[:-1]."""
        if self.log_sigma is None:
            return -(v @ self.visible_bias)
        return 0.5 * (((v - self.visible_bias) * torch.exp(-self.log_sigma)) ** 2).sum(-1)

    def matmul_weights(self) -> torch.Tensor:
        """W in :attr:`matmul_dtype` (a cached copy, refreshed whenever W changes in place)."""
        if self.matmul_dtype is None or self.matmul_dtype == self.weights.dtype:
            return self.weights
        key = (self.weights.data_ptr(), self.weights._version, self.matmul_dtype)
        if self._lowp_weights is None or self._lowp_weights[0] != key:
            self._lowp_weights = (key, self.weights.to(self.matmul_dtype))
        return self._lowp_weights[1]

    def hidden_input(self, v: torch.Tensor) -> torch.Tensor:
        """x = c + W s(v): the hidden units' total input (their logits at β = 1), shape (..., n_hidden)."""
        s = self.scaled(v).reshape(-1, self.n_visible)
        if self.matmul_dtype is None or self.matmul_dtype == self.weights.dtype:
            x = torch.addmm(self.hidden_bias, s, self.weights.T)
        else:
            x = (s.to(self.matmul_dtype) @ self.matmul_weights().T).to(self.dtype) + self.hidden_bias
        return x.reshape(*v.shape[:-1], self.n_hidden)

    def visible_input(self, h: torch.Tensor) -> torch.Tensor:
        """Σ_j h_j W_ji, shape (..., n_visible)."""
        h2 = h.reshape(-1, self.n_hidden)
        if self.matmul_dtype is None or self.matmul_dtype == self.weights.dtype:
            a = h2 @ self.weights
        else:
            a = (h2.to(self.matmul_dtype) @ self.matmul_weights()).to(self.dtype)
        return a.reshape(*h.shape[:-1], self.n_visible)

    def energy(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """E(v, h) for batches of visible (..., n_visible) and hidden (..., n_hidden) states."""
        x = self.hidden_input(v)
        return self.visible_term(v) - (h * x).sum(-1)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = −log Σ_h exp(−E(v, h)) = V(v) − Σ_j softplus(x_j), shape v.shape[:-1]."""
        return self.visible_term(v) - torch.nn.functional.softplus(self.hidden_input(v)).sum(-1)

    # -- conditionals -------------------------------------------------------------------------
    def hidden_probs(self, v: torch.Tensor, beta: float | torch.Tensor = 1.0) -> torch.Tensor:
        """p(h_j = 1 | v) at inverse temperature β: sigmoid(β (c + W s(v)))."""
        x = self.hidden_input(v)
        return torch.sigmoid(x if _is_one(beta) else beta * x)

    def visible_mean(self, h: torch.Tensor, beta: float | torch.Tensor = 1.0) -> torch.Tensor:
        """E[v | h]: p(v_i = 1 | h) (Bernoulli, at β) or b + σ W^T h (Gaussian, any β)."""
        a = self.visible_input(h)
        if self.log_sigma is None:
            a = a + self.visible_bias
            return torch.sigmoid(a if _is_one(beta) else beta * a)
        return self.visible_bias + torch.exp(self.log_sigma) * a

    def sample_hidden(self, v: torch.Tensor, generator: torch.Generator,
                      beta: float | torch.Tensor = 1.0) -> torch.Tensor:
        """Draw h ~ p(h | v) at inverse temperature β."""
        return bernoulli(self.hidden_probs(v, beta), generator)

    def sample_visible(self, h: torch.Tensor, generator: torch.Generator,
                       beta: float | torch.Tensor = 1.0) -> torch.Tensor:
        """Draw v ~ p(v | h) at inverse temperature β (variance σ²/β for Gaussian units)."""
        mean = self.visible_mean(h, beta)
        if self.log_sigma is None:
            return bernoulli(mean, generator)
        std = torch.exp(self.log_sigma)
        if not _is_one(beta):
            std = std / torch.sqrt(torch.as_tensor(beta, dtype=self.dtype, device=self.device))
        return mean + std * torch.randn(mean.shape, generator=generator, dtype=self.dtype, device=self.device)

    def gibbs(self, v: torch.Tensor, generator: torch.Generator, n_steps: int = 1,
              beta: float | torch.Tensor = 1.0) -> torch.Tensor:
        """``n_steps`` block Gibbs sweeps v → h ~ p(h|v) → v ~ p(v|h); returns the last v."""
        for _ in range(n_steps):
            v = self.sample_visible(self.sample_hidden(v, generator, beta), generator, beta)
        return v

    def log_prob_visible_given_hidden(self, v: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """log p(v | h) (a log-probability for Bernoulli, a log-density for Gaussian units)."""
        if self.log_sigma is None:
            a = self.visible_input(h) + self.visible_bias
            return (v * a - torch.nn.functional.softplus(a)).sum(-1)
        mean = self.visible_mean(h)
        z = (v - mean) * torch.exp(-self.log_sigma)
        return (-0.5 * z**2 - self.log_sigma - _LOG_SQRT_2PI).sum(-1)


def _is_one(beta: Any) -> bool:
    return isinstance(beta, (int, float)) and beta == 1.0


# ---------------------------------------------------------------------------------------------
# the estimator
# ---------------------------------------------------------------------------------------------


class RBM(TransformerMixin, BaseEstimator):
    """Restricted Boltzmann machine estimator (Bernoulli or Gaussian visibles, Bernoulli hiddens).

    scikit-learn compatible (``get_params``/``clone``, ``fit``/``partial_fit``/``transform``),
    with the parameter names of :class:`sklearn.neural_network.BernoulliRBM`
    (``components_``, ``intercept_hidden_``, ``intercept_visible_``). The energy convention
    is in :mod:`physml.ebm._rbm`. Training uses the drivers of
    :mod:`physml.ebm._rbm_training`: contrastive divergence CD-k (Hinton 2002), persistent CD
    (Tieleman, ICML 2008) or parallel tempering (Desjardins et al., AISTATS 2010).

    Parameters
    ----------
    n_components : int
        Number of hidden units.
    visible : {"bernoulli", "gaussian"}
        Visible unit type. Bernoulli data must be 0/1.
    learning_rate : float
        SGD step size ε on the batch-mean log-likelihood gradient (scikit-learn's convention).
    learning_rate_schedule : {"constant", "linear"}
        "linear" decays ε linearly to zero over the ``n_iter`` epochs of :meth:`fit` (or of
        ``partial_fit`` calls on data of the same size), as Tieleman (2008) does for PCD.
    batch_size : int
    n_iter : int
        Number of epochs (passes over the training data).
    method : {"cd", "pcd", "pt"}
        Negative-phase sampler: CD-k, persistent CD-k, or parallel tempering.
    k : int
        Gibbs sweeps per update.
    n_chains : int, optional
        Persistent chains (per temperature for "pt"); default ``batch_size``.
    n_temperatures : int
        Number of inverse temperatures in the geometric ladder 1 = β_0 > ... > β_min ("pt").
    beta_min : float
        Smallest inverse temperature of the default ladder.
    betas : sequence of float, optional
        A user-given ladder (decreasing, first element 1); overrides n_temperatures/beta_min.
    weight_decay : float
        L2 penalty λ on W (the gradient gets −λ W).
    momentum : float
        Classical momentum μ (velocity ← μ velocity + ε grad).
    sigma : float or array of shape (n_visible,)
        Initial σ of Gaussian visible units (ignored for Bernoulli).
    learn_sigma : bool
        Learn log σ by gradient ascent (Gaussian visibles; Cho, Ilin, Raiko 2011).
    early_stopping : bool
        Hold out ``validation_fraction`` of the data, stop when the validation metric
        (mean deterministic pseudo-log-likelihood for Bernoulli visibles, minus the mean
        reconstruction error for Gaussian ones) has not improved by ``tol`` for
        ``n_iter_no_change`` epochs, and restore the best parameters.
    validation_fraction, n_iter_no_change, tol
        Early-stopping settings.
    weight_scale : float
        Initial weights are N(0, weight_scale²).
    seed : int
        Seeds the initial weights, the batch order and the samplers.
    device : str
        "cpu", "cuda", "cuda:N" or "auto" (CUDA when torch sees it).
    dtype : {"float32", "float64"}
        Computation precision (float64 for exact tests, float32 for speed).
    train_precision : {"full", "bfloat16"}
        "bfloat16": during training the matrix products (the conditionals and the weight
        update) take bfloat16 operands with float32 accumulation, while the parameters and
        their updates stay in ``dtype``; several times faster where the hardware has bfloat16
        units (CPUs with AVX512-BF16 or AMX, recent GPUs). Everything after training
        (likelihoods, AIS, sampling, ``transform``) runs in ``dtype``.

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    intercept_hidden_ : ndarray of shape (n_components,)
    intercept_visible_ : ndarray of shape (n_features,)
    sigma_ : ndarray of shape (n_features,)
        Gaussian visibles only.
    model_ : RBMModel
        The underlying tensors.
    n_features_in_, n_iter_ : int
    validation_scores_ : list of float
        Validation metric after each epoch (empty without early stopping).
    swap_acceptance_ : ndarray of shape (n_temperatures − 1,)
        Parallel tempering: swap acceptance rate of each neighbouring pair (cumulative).
    betas_ : ndarray
        Parallel tempering: the ladder used.
    """

    def __init__(
        self,
        n_components: int = 256,
        *,
        visible: str = "bernoulli",
        learning_rate: float = 0.1,
        learning_rate_schedule: str = "constant",
        batch_size: int = 10,
        n_iter: int = 10,
        method: str = "pcd",
        k: int = 1,
        n_chains: int | None = None,
        n_temperatures: int = 10,
        beta_min: float = 0.1,
        betas: Any = None,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        sigma: Any = 1.0,
        learn_sigma: bool = False,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        weight_scale: float = 0.01,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
        train_precision: str = "full",
    ):
        self.n_components = n_components
        self.visible = visible
        self.learning_rate = learning_rate
        self.learning_rate_schedule = learning_rate_schedule
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.k = k
        self.n_chains = n_chains
        self.n_temperatures = n_temperatures
        self.beta_min = beta_min
        self.betas = betas
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.sigma = sigma
        self.learn_sigma = learn_sigma
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.weight_scale = weight_scale
        self.seed = seed
        self.device = device
        self.dtype = dtype
        self.train_precision = train_precision

    # -- parameter checks ---------------------------------------------------------------------
    def _check_params(self) -> None:
        check_int(self.n_components, "n_components", low=1)
        check_choice(self.visible, "visible", _VISIBLE)
        check_choice(self.train_precision, "train_precision", ("full", "bfloat16"))
        check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        check_choice(self.learning_rate_schedule, "learning_rate_schedule", ("constant", "linear"))
        check_int(self.batch_size, "batch_size", low=1)
        check_int(self.n_iter, "n_iter", low=0)
        check_choice(self.method, "method", _METHODS)
        check_int(self.k, "k", low=1)
        if self.n_chains is not None:
            check_int(self.n_chains, "n_chains", low=1)
        check_int(self.n_temperatures, "n_temperatures", low=2)
        check_real(self.beta_min, "beta_min", low=0.0, high=1.0, low_open=True)
        check_real(self.weight_decay, "weight_decay", low=0.0)
        check_real(self.momentum, "momentum", low=0.0, high=1.0)
        check_real(self.validation_fraction, "validation_fraction", low=0.0, high=1.0, low_open=True)
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_real(self.tol, "tol")
        check_real(self.weight_scale, "weight_scale", low=0.0)
        check_seed(self.seed)
        if not isinstance(self.learn_sigma, (bool, np.bool_)):
            raise TypeError(f"learn_sigma must be True or False, got {self.learn_sigma!r}")
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise TypeError(f"early_stopping must be True or False, got {self.early_stopping!r}")
        _resolve_device(self.device)
        _resolve_dtype(self.dtype)

    # -- fitted views -------------------------------------------------------------------------
    def _model(self) -> RBMModel:
        model = self.__dict__.get("model_")
        if model is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call 'fit' or 'partial_fit' first"
            )
        return model

    @property
    def components_(self) -> np.ndarray:
        return self._model().weights.detach().cpu().numpy()

    @property
    def intercept_hidden_(self) -> np.ndarray:
        return self._model().hidden_bias.detach().cpu().numpy()

    @property
    def intercept_visible_(self) -> np.ndarray:
        return self._model().visible_bias.detach().cpu().numpy()

    @property
    def sigma_(self) -> np.ndarray:
        model = self._model()
        if model.log_sigma is None:
            raise AttributeError("sigma_ exists only for visible='gaussian'")
        return model.sigma.detach().cpu().numpy()

    # -- training -----------------------------------------------------------------------------
    def _validate(self, X: Any, *, reset: bool) -> np.ndarray:
        n_features = None if reset else self.n_features_in_
        return check_visible_data(X, self.visible, "X", n_features)

    def _new_model(self, X: np.ndarray, seed: int) -> RBMModel:
        mean = X.mean(axis=0, dtype=np.float64)
        if self.visible == "bernoulli":
            p = np.clip(mean, 1e-3, 1 - 1e-3)
            bias = np.log(p) - np.log1p(-p)
        else:
            bias = mean
        return RBMModel.initialise(
            X.shape[1], self.n_components, visible=self.visible, weight_scale=self.weight_scale,
            sigma=self.sigma, visible_bias=bias, seed=seed, device=self.device, dtype=self.dtype,
        )

    def _make_trainer(self, model: RBMModel, seed: int) -> Any:
        from physml.ebm._rbm_training import RBMTrainer, make_sampler

        n_chains = self.batch_size if self.n_chains is None else self.n_chains
        sampler = make_sampler(self.method, k=self.k, n_chains=n_chains, n_temperatures=self.n_temperatures,
                               beta_min=self.beta_min, betas=self.betas)
        return RBMTrainer(
            model, sampler, learning_rate=self.learning_rate, batch_size=self.batch_size,
            weight_decay=self.weight_decay, momentum=self.momentum,
            learn_sigma=bool(self.learn_sigma) and self.visible == "gaussian",
            generator=torch_generator(seed, model.device),
            matmul_dtype=torch.bfloat16 if self.train_precision == "bfloat16" else None,
        )

    def _start(self, X: np.ndarray) -> None:
        seed = _seed_int(self.seed)
        self.n_features_in_ = X.shape[1]
        self.model_ = self._new_model(X, seed)
        self.trainer_ = self._make_trainer(self.model_, seed + 1)
        self.n_iter_ = 0
        self.validation_scores_: list[float] = []
        self._clear_log_z()

    def fit(self, X: Any, y: Any = None) -> RBM:
        """Train from scratch for ``n_iter`` epochs on ``X`` of shape (n_samples, n_features)."""
        self._check_params()
        X = self._validate(X, reset=True)
        self._start(X)
        return self._fit_validated(X)

    def _fit_validated(self, X: np.ndarray) -> RBM:
        """Training on already validated data (also used by the DBN with mean-field inputs)."""
        from physml.ebm._rbm_training import EarlyStopping, validation_metric

        model = self.model_
        train, valid = X, None
        if self.early_stopping:
            rng = np.random.default_rng(_seed_int(self.seed) + 2)
            n_valid = max(1, int(round(self.validation_fraction * len(X))))
            if n_valid >= len(X):
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no training data for "
                    f"{len(X)} sample(s)"
                )
            order = rng.permutation(len(X))
            valid, train = X[order[:n_valid]], X[order[n_valid:]]
        self._set_decay(len(train))
        data = model.as_tensor(train)
        stopper = None
        if valid is not None:
            vdata = model.as_tensor(valid)
            stopper = EarlyStopping(lambda m: validation_metric(m, vdata), patience=self.n_iter_no_change,
                                    tol=self.tol)
        self.trainer_.run(data, self.n_iter, early_stopping=stopper)
        self.n_iter_ = self.trainer_.epochs_done
        if stopper is not None:
            self.validation_scores_ = list(stopper.scores)
            self.best_validation_score_ = stopper.best
        self._after_training()
        return self

    def partial_fit(self, X: Any, y: Any = None) -> RBM:
        """One epoch of minibatch updates over ``X`` (one update if ``len(X) <= batch_size``).

        The first call initialises the model; later calls continue with the same persistent
        chains, momentum and random stream.
        """
        first = "model_" not in self.__dict__
        if first:
            self._check_params()
        X = self._validate(X, reset=first)
        if first:
            self._start(X)
            self._set_decay(len(X))
        self.trainer_.run(self.model_.as_tensor(X), 1)
        self.n_iter_ = self.trainer_.epochs_done
        self._after_training()
        return self

    def _set_decay(self, n_train: int) -> None:
        if self.learning_rate_schedule == "linear":
            per_epoch = -(-n_train // self.batch_size)
            self.trainer_.decay_updates = max(1, self.n_iter * per_epoch)

    def _after_training(self) -> None:
        self._clear_log_z()
        swap = getattr(self.trainer_.sampler, "swap_acceptance", None)
        if swap is not None:
            self.swap_acceptance_ = swap()
            self.betas_ = self.trainer_.sampler.betas_numpy()

    def _clear_log_z(self) -> None:
        for name in ("log_z_", "log_z_stderr_", "log_z_method_"):
            self.__dict__.pop(name, None)

    # -- inference ----------------------------------------------------------------------------
    def _tensor(self, X: Any, name: str = "X") -> torch.Tensor:
        model = self._model()
        return model.as_tensor(check_visible_data(X, self.visible, name, model.n_visible))

    def transform(self, X: Any) -> np.ndarray:
        """Hidden activation probabilities p(h_j = 1 | v), shape (n_samples, n_components)."""
        model = self._model()
        v = self._tensor(X)
        with torch.no_grad():
            return model.hidden_probs(v).cpu().numpy()

    def log_partition(self, method: str = "auto", **ais_options: Any) -> tuple[float, float]:
        """log Z and its standard error, cached until the parameters change.

        ``method="auto"`` is exact (:func:`~physml.ebm._partition.exact_log_partition`,
        standard error 0) when the layer summed over has at most 25 units (the smaller layer
        for Bernoulli visibles, the hidden layer for Gaussian ones), otherwise annealed
        importance sampling (:func:`~physml.ebm._partition.ais_log_partition` with
        ``ais_options``, default seed ``self.seed``).
        """
        from physml.ebm._partition import EXACT_MAX_UNITS, ais_log_partition, exact_log_partition

        check_choice(method, "method", ("auto", "exact", "ais"))
        model = self._model()
        summed = model.n_hidden if model.visible == "gaussian" else min(model.n_hidden, model.n_visible)
        if method == "auto":
            method = "exact" if summed <= EXACT_MAX_UNITS else "ais"
        if method == "exact":
            value, err = exact_log_partition(model), 0.0
        else:
            ais_options.setdefault("seed", self.seed)
            value, err = ais_log_partition(model, **ais_options)
        self.log_z_, self.log_z_stderr_, self.log_z_method_ = float(value), float(err), method
        return self.log_z_, self.log_z_stderr_

    def score_samples(self, X: Any) -> np.ndarray:
        """Log-likelihood log p(v) = −F(v) − log Z of each sample, shape (n_samples,).

        Uses the cached log Z (``log_z_``, computed by :meth:`log_partition` with
        ``method="auto"`` on first use: exact when the layer summed over has ≤ 25 units,
        otherwise AIS, whose standard error is ``log_z_stderr_``). For Gaussian visibles
        this is a log-density (nats per sample, in the data's units).
        """
        from physml.ebm._partition import log_likelihood

        v = self._tensor(X)
        if "log_z_" not in self.__dict__:
            self.log_partition()
        return log_likelihood(self.model_, v, self.log_z_)

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood per sample (see :meth:`score_samples`)."""
        return float(np.mean(self.score_samples(X)))

    def pseudo_likelihood(self, X: Any) -> np.ndarray:
        """Deterministic pseudo-log-likelihood Σ_i log p(v_i | v_−i) of each sample (Bernoulli)."""
        from physml.ebm._partition import pseudo_likelihood

        return pseudo_likelihood(self._model(), self._tensor(X))

    def free_energy(self, X: Any) -> np.ndarray:
        """F(v) of each sample, shape (n_samples,)."""
        model = self._model()
        with torch.no_grad():
            return model.free_energy(self._tensor(X)).cpu().numpy()

    def gibbs(self, v: Any, *, n_steps: int = 1, seed: int | np.random.Generator = 0) -> np.ndarray:
        """``n_steps`` block Gibbs sweeps from ``v`` (n_samples, n_features); returns the new v."""
        model = self._model()
        n_steps = check_int(n_steps, "n_steps", low=0)
        x = self._tensor(v, "v")
        with torch.no_grad():
            return model.gibbs(x, torch_generator(seed, model.device), n_steps).cpu().numpy()

    def sample(self, n_samples: int, n_steps: int = 1000, seed: int | np.random.Generator = 0,
               *, init: Any = None) -> np.ndarray:
        """Draw ``n_samples`` visible configurations by block Gibbs sampling.

        Each of the ``n_samples`` independent chains starts from ``init`` (n_samples,
        n_features) or, by default, from the model's visible biases alone (v_i ~ sigmoid(b_i)
        or N(b_i, σ_i²)), and runs ``n_steps`` sweeps.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_features)
        """
        model = self._model()
        n_samples = check_int(n_samples, "n_samples", low=1)
        n_steps = check_int(n_steps, "n_steps", low=0)
        g = torch_generator(seed, model.device)
        with torch.no_grad():
            if init is None:
                zeros = torch.zeros(n_samples, model.n_hidden, dtype=model.dtype, device=model.device)
                v = model.sample_visible(zeros, g)
            else:
                v = self._tensor(init, "init")
                if len(v) != n_samples:
                    raise ValueError(f"init must have {n_samples} rows (n_samples), got {len(v)}")
            return model.gibbs(v, g, n_steps).cpu().numpy()

    # -- persistence --------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted RBM to ``path`` (a ``.npz`` archive of plain arrays), atomically.

        The archive holds the parameter arrays and one JSON string (hyper-parameters,
        fitted scalars, format version); it contains no pickled objects, so loading it with
        :meth:`load` (``numpy.load(..., allow_pickle=False)``) cannot execute code.
        """
        model = self._model()
        params = self.get_params()
        if params["betas"] is not None:
            params["betas"] = [float(b) for b in np.asarray(params["betas"], dtype=float)]
        if not np.isscalar(params["sigma"]):
            params["sigma"] = [float(s) for s in np.asarray(params["sigma"], dtype=float).ravel()]
        if isinstance(params["seed"], np.random.Generator):
            params["seed"] = 0
        if not isinstance(params["dtype"], str):
            params["dtype"] = str(_resolve_dtype(params["dtype"])).removeprefix("torch.")
        params["device"] = str(params["device"])
        meta = {
            "format": _FORMAT,
            "params": params,
            "n_features_in_": int(self.n_features_in_),
            "n_iter_": int(getattr(self, "n_iter_", 0)),
            "validation_scores_": [float(s) for s in getattr(self, "validation_scores_", [])],
        }
        for name in ("log_z_", "log_z_stderr_", "log_z_method_"):
            if name in self.__dict__:
                meta[name] = self.__dict__[name]
        arrays = {k: v.detach().cpu().numpy() for k, v in model.parameters().items()}
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.array(json.dumps(meta)), **arrays)
        atomic_write_bytes(path, buffer.getvalue())  # never a half-written model file

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> RBM:
        """Read an RBM written by :meth:`save` (no pickle: ``allow_pickle=False``).

        ``device`` overrides the saved device (e.g. to load a GPU-trained RBM on a CPU).
        The persistent chains and momentum are not saved: ``partial_fit`` after loading
        starts from fresh chains.
        """
        with np.load(path, allow_pickle=False) as z:
            meta = json.loads(str(z["meta"]))
            arrays = {k: z[k] for k in z.files if k != "meta"}
        if meta.get("format") != _FORMAT:
            raise ValueError(f"{path} is not an RBM file written by RBM.save (format {meta.get('format')!r})")
        params = meta["params"]
        if device is not None:
            params["device"] = device
        est = cls(**params)
        dev, dt = _resolve_device(est.device), _resolve_dtype(est.dtype)
        t = {k: torch.as_tensor(v).to(dev, dt) for k, v in arrays.items()}
        est.model_ = RBMModel(t["weights"], t["visible_bias"], t["hidden_bias"], visible=est.visible,
                              log_sigma=t.get("log_sigma"))
        est.n_features_in_ = meta["n_features_in_"]
        est.n_iter_ = meta["n_iter_"]
        est.validation_scores_ = meta["validation_scores_"]
        est.trainer_ = est._make_trainer(est.model_, _seed_int(est.seed) + 1)
        est.trainer_.epochs_done = est.n_iter_
        for name in ("log_z_", "log_z_stderr_", "log_z_method_"):
            if name in meta:
                setattr(est, name, meta[name])
        return est

    def __sklearn_is_fitted__(self) -> bool:
        return "model_" in self.__dict__
