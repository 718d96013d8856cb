"""The restricted Boltzmann machine as a model: parameters, energies, free energy,
conditionals and block Gibbs sampling (:class:`RBMModel`), with the data check of its
visible layer and the one conversion from an estimator to its model (:func:`as_rbm_model`).

This is the bottom of the RBM modules, which import each other in one direction only (the
model / sampler / driver split of NetKet, Carleo et al., SoftwareX 10, 100311 (2019)):

    _rbm_model  ->  _rbm_samplers  ->  _partition  ->  _raise  ->  _rbm_training  ->  _rbm (RBM)  ->  _dbn
    (model)         (CD, PCD, PT)      (log Z, scores)  (bounds)   (RBMTrainer)      (estimator)

A module imports only modules to its left. The functions of the lower modules take an
:class:`RBMModel`; those that also accept the fitted :class:`~physml.ebm.RBM` estimator
convert it with :func:`as_rbm_model`, which recognises it by ``isinstance`` on the base class
:class:`RBMModelHolder` that the estimator derives from.

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

import abc
import math
from typing import Any

import numpy as np
import torch

from physml._core import (
    FLOAT_DTYPES,
    check_array,
    check_choice,
    check_int,
    check_seed,
    device_memory_bytes,
    format_bytes,
    torch_dtype,
    torch_generator,
)

__all__ = ["RBMModel", "as_rbm_model", "check_memory", "check_visible_data", "training_memory_bytes"]

_VISIBLE = ("bernoulli", "gaussian")
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
    if isinstance(dtype, torch.dtype) and str(dtype).removeprefix("torch.") in FLOAT_DTYPES:
        return dtype
    if isinstance(dtype, type) and dtype in (np.float32, np.float64):
        return torch_dtype(np.dtype(dtype).name)
    if isinstance(dtype, np.dtype) and dtype.name in FLOAT_DTYPES:
        return torch_dtype(dtype.name)
    check_choice(dtype, "dtype", FLOAT_DTYPES)
    return torch_dtype(dtype)


def _seed_int(seed: int | np.random.Generator) -> int:
    seed = check_seed(seed)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(2**62))
    return int(seed)


def bernoulli(p: torch.Tensor, generator: torch.Generator, *,
              out: torch.Tensor | None = None) -> torch.Tensor:
    """Binary samples with P(1) = p (same dtype as p): 1[u < p], u ~ U[0, 1).

    Equivalent in law to :func:`torch.bernoulli`, and several times faster on CPU. ``out``
    (p's shape, a floating dtype) receives the samples instead of a new tensor; the random
    stream is the same either way (one uniform per element, in row-major order).
    """
    u = torch.rand(p.shape, generator=generator, dtype=p.dtype, device=p.device)
    if out is None:
        return u.lt_(p)
    return torch.lt(u, p, out=out)


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


def training_memory_bytes(
    n_visible: int,
    n_hidden: int,
    *,
    n_samples: int = 0,
    dtype: Any = "float32",
    batch_size: int = 1,
    n_chains: int = 0,
    n_temperatures: int = 1,
    momentum: bool = False,
    gaussian: bool = False,
    early_stopping: bool = False,
) -> int:
    """A lower bound on the peak memory (bytes) of training an RBM, counted from the tensors that
    must exist together; allocator overhead and the caller's own copies come on top.

    * Initialisation draws W (``n_hidden × n_visible``) in float64 and copies it to ``dtype``.
    * Training holds W; unless the update takes the in-place path (Bernoulli visibles, no
      momentum) the gradient of W and one temporary of its size; the momentum's velocity; with
      early stopping the best parameters so far.
    * The data (``n_samples × n_visible`` in ``dtype``), the batch and the chains
      (``n_chains × n_temperatures`` visible and hidden states, and their probabilities).

    Two cases need less than this count: Bernoulli training with momentum accumulates the
    update into the velocity (no gradient or temporary of W's size), and 0/1 data given in
    one byte a value (bool, uint8) is trained on as it is, not copied into ``dtype``.
    """
    item = 8 if _resolve_dtype(dtype) == torch.float64 else 4
    weights = int(n_visible) * int(n_hidden)
    copies = 1 + (2 if (momentum or gaussian) else 0) + int(bool(momentum)) + int(bool(early_stopping))
    states = (int(batch_size) + int(n_chains) * int(n_temperatures)) * (int(n_visible) + int(n_hidden))
    return max(weights * (8 + item), weights * item * copies) + (int(n_samples) * int(n_visible)
                                                                + 2 * states) * item


def check_memory(need: int, device: Any, what: str) -> None:
    """Raise :class:`MemoryError` when ``need`` bytes exceed the memory of ``device`` (the
    machine's physical memory, or the CUDA card's), naming ``what`` needs it and both numbers.
    Nothing is checked where the memory cannot be read."""
    dev = _resolve_device(device)
    have = device_memory_bytes(dev)
    if have is not None and need > have:
        where = "this machine has" if dev.type == "cpu" else f"{dev} has"
        raise MemoryError(
            f"{what} needs at least {format_bytes(need)} of memory, but {where} {format_bytes(have)}"
        )


# ---------------------------------------------------------------------------------------------
# the model
# ---------------------------------------------------------------------------------------------


class RBMModel:
    """Parameters, energies and conditionals of a restricted Boltzmann machine.

    A small container of tensors: it knows its energy function and how to sample its
    conditionals, but not how to train itself (see :class:`~physml.ebm.RBMTrainer`).

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

    def hidden_input(self, v: torch.Tensor, *, out: torch.Tensor | None = None) -> torch.Tensor:
        """x = c + W s(v): the hidden units' total input (their logits at β = 1), shape (..., n_hidden).

        ``out``: a contiguous tensor of that shape and the model's dtype that receives x (a
        training workspace; no new tensor is made in full precision).
        """
        s = self.scaled(v).reshape(-1, self.n_visible)
        x2 = None if out is None else out.view(-1, self.n_hidden)
        if self.matmul_dtype is None or self.matmul_dtype == self.weights.dtype:
            x = torch.addmm(self.hidden_bias, s, self.weights.T, out=x2)
        else:
            low = s.to(self.matmul_dtype) @ self.matmul_weights().T
            x = low.to(self.dtype) + self.hidden_bias if x2 is None else x2.copy_(low).add_(self.hidden_bias)
        return x.view(*v.shape[:-1], self.n_hidden)

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
    def hidden_probs(self, v: torch.Tensor, beta: float | torch.Tensor = 1.0, *,
                     out: torch.Tensor | None = None) -> torch.Tensor:
        """p(h_j = 1 | v) at inverse temperature β: sigmoid(β (c + W s(v))); ``out`` as in
        :meth:`hidden_input` (the logits and then the probabilities are written there)."""
        x = self.hidden_input(v, out=out)  # a new tensor or ``out``: the in-place ops touch nothing else
        if _is_one(beta):
            return x.sigmoid_()
        if isinstance(beta, (int, float)):
            return x.mul_(beta).sigmoid_()
        return torch.sigmoid(beta * x, out=out)

    def visible_mean(self, h: torch.Tensor, beta: float | torch.Tensor = 1.0) -> torch.Tensor:
        """E[v | h]: p(v_i = 1 | h) (Bernoulli, at β) or b + σ W^T h (Gaussian, any β)."""
        if self.log_sigma is None:
            if self.matmul_dtype is None or self.matmul_dtype == self.weights.dtype:
                h2 = h.reshape(-1, self.n_hidden)
                a = torch.addmm(self.visible_bias, h2, self.weights).view(*h.shape[:-1], self.n_visible)
            else:
                a = self.visible_input(h) + self.visible_bias
            return a.sigmoid_() if _is_one(beta) else torch.sigmoid(beta * a)
        return self.visible_bias + torch.exp(self.log_sigma) * self.visible_input(h)

    def sample_hidden(self, v: torch.Tensor, generator: torch.Generator,
                      beta: float | torch.Tensor = 1.0) -> torch.Tensor:
        """Draw h ~ p(h | v) at inverse temperature β."""
        return bernoulli(self.hidden_probs(v, beta), generator)

    def sample_visible(self, h: torch.Tensor, generator: torch.Generator,
                       beta: float | torch.Tensor = 1.0, *, out: torch.Tensor | None = None) -> torch.Tensor:
        """Draw v ~ p(v | h) at inverse temperature β (variance σ²/β for Gaussian units);
        ``out`` (the shape of v) receives it instead of a new tensor."""
        mean = self.visible_mean(h, beta)
        if self.log_sigma is None:
            return bernoulli(mean, generator, out=out)
        std = torch.exp(self.log_sigma)
        if not _is_one(beta):
            std = std / torch.sqrt(torch.as_tensor(beta, dtype=self.dtype, device=self.device))
        noise = torch.randn(mean.shape, generator=generator, dtype=self.dtype, device=self.device)
        return torch.add(mean, std * noise, out=out)

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
# from an estimator to its model
# ---------------------------------------------------------------------------------------------


class RBMModelHolder(abc.ABC):
    """Base class of the objects that hold an :class:`RBMModel`: the
    :class:`~physml.ebm.RBM` estimator derives from it.

    It lets the modules below the estimator (samplers, partition functions, training) accept
    a fitted estimator without importing it: :func:`as_rbm_model` recognises a holder with
    ``isinstance`` and asks it for its model.
    """

    @abc.abstractmethod
    def rbm_model(self) -> RBMModel:
        """The fitted :class:`RBMModel` (an error if there is none yet)."""


def as_rbm_model(rbm: RBMModel | RBMModelHolder) -> RBMModel:
    """The :class:`RBMModel` of ``rbm``: the model itself, or a fitted estimator's model.

    Every function of :mod:`physml.ebm` documented as taking "RBM or RBMModel" converts its
    argument with this function and then works on the model alone.

    Parameters
    ----------
    rbm : RBMModel or RBM
        A model, or a fitted :class:`~physml.ebm.RBM` (any :class:`RBMModelHolder`).

    Returns
    -------
    RBMModel
        The same tensors (not a copy).

    Raises
    ------
    TypeError
        If ``rbm`` is neither.
    sklearn.exceptions.NotFittedError
        If ``rbm`` is an estimator that has not been fitted.
    """
    if isinstance(rbm, RBMModel):
        return rbm
    if isinstance(rbm, RBMModelHolder):
        return rbm.rbm_model()
    raise TypeError(f"rbm must be a physml RBM or RBMModel, got {type(rbm).__name__}")


