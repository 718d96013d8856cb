"""The restricted Boltzmann machine estimator :class:`RBM`: a scikit-learn-style front that
composes the model (:mod:`physml.ebm._rbm_model`), a negative-phase sampler
(:mod:`physml.ebm._rbm_samplers`), the training driver (:mod:`physml.ebm._rbm_training`) and
the partition functions and likelihoods (:mod:`physml.ebm._partition`). It is the top of the
RBM modules: it imports all of them, and none of them imports it (they accept the fitted
estimator through :func:`~physml.ebm.as_rbm_model`, which checks ``isinstance`` against
:class:`~physml.ebm._rbm_model.RBMModelHolder`, a base class of :class:`RBM`).

Energy conventions: see :mod:`physml.ebm._rbm_model`.
"""

from __future__ import annotations

import warnings
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
    Predicate,
    check_array,
    check_choice,
    check_int,
    cpu_capability,
    derive_seed,
    progress_bar,
    torch_generator,
)
from physml.ebm._partition import (
    EXACT_MAX_UNITS,
    ais_log_partition,
    exact_log_partition,
    log_likelihood,
    pseudo_likelihood,
)
from physml.ebm._raise import log_likelihood_bounds
from physml.ebm._rbm_model import (
    _VISIBLE,
    RBMModel,
    RBMModelHolder,
    _resolve_device,
    _resolve_dtype,
    _seed_int,
    check_memory,
    check_visible_data,
    training_memory_bytes,
)
from physml.ebm._rbm_samplers import TemperedChains, make_sampler
from physml.ebm._rbm_training import EarlyStopping, RBMTrainer, validation_metric

__all__ = ["RBM"]

_METHODS = ("cd", "pcd", "pt")


def _resolves(resolve: Any) -> Any:
    def check(value: Any) -> bool:
        try:
            resolve(value)
        except (ValueError, TypeError):
            return False
        return True

    return check


def _training_data(model: RBMModel, X: np.ndarray) -> torch.Tensor:
    """The training data on the model's device: 0/1 data of one byte a value (bool, uint8, int8)
    as it is (not copied on the CPU), which the trainer converts batch by batch as it gathers
    them, instead of a copy of the whole set in the model's dtype; anything else in that dtype."""
    if model.visible == "bernoulli" and X.dtype.itemsize == 1 and X.dtype.kind in "biu":
        return torch.as_tensor(X, device=model.device)
    return model.as_tensor(X)


def _positive_sigma(value: Any) -> bool:
    if isinstance(value, (str, bytes, bool)):
        return False
    s = np.asarray(value, dtype=np.float64)
    return s.ndim <= 1 and s.size > 0 and bool(np.all(np.isfinite(s)) and np.all(s > 0))


#: What the RBM's settings accept (the DBN passes the same settings to its layers).
DEVICE = Predicate(_resolves(_resolve_device),
                   "'cpu', 'auto', or a CUDA device that torch sees ('cuda', 'cuda:N')")
DTYPE = Predicate(_resolves(_resolve_dtype), "'float32' or 'float64' (or the torch or numpy dtype)")
TRAINING_CONSTRAINTS: dict[str, list[Any]] = {
    "learning_rate": [Interval(float, 0, None, closed="neither")],
    "batch_size": [Interval(int, 1, None)],
    "n_iter": [Interval(int, 0, None)],
    "method": [Options(*_METHODS)],
    "k": [Interval(int, 1, None)],
    "weight_decay": [Interval(float, 0, None)],
    "momentum": [Interval(float, 0, 1)],
    "weight_scale": [Interval(float, 0, None)],
    "seed": ["seed"],
    "device": [DEVICE],
    "dtype": [DTYPE],
}


class RBM(ModelMixin, TransformerMixin, BaseEstimator, RBMModelHolder):
    """Restricted Boltzmann machine estimator (Bernoulli or Gaussian visibles, Bernoulli hiddens).

    scikit-learn compatible (``get_params``/``clone``, ``fit``/``partial_fit``/``transform``),
    with the parameter names of :class:`sklearn.neural_network.BernoulliRBM`
    (``components_``, ``intercept_hidden_``, ``intercept_visible_``), and a physml model
    (docs/architecture.md, "One model contract"): parameters checked in ``fit`` against
    ``_parameter_constraints``, ``save``/``load`` through the one model-file format, and
    :meth:`from_parameters` for weights trained elsewhere. The energy convention
    is in :mod:`physml.ebm._rbm_model`. Training uses :class:`~physml.ebm.RBMTrainer` with
    the negative-phase sampler chosen by ``method``: contrastive divergence CD-k (Hinton
    2002), persistent CD (Tieleman, ICML 2008) or parallel tempering (Desjardins et al.,
    AISTATS 2010).

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
        reconstruction error for Gaussian ones) has not improved by more than ``tol`` for
        ``n_iter_no_change`` epochs, and restore the best parameters (:class:`EarlyStopping`).
    validation_fraction, n_iter_no_change, tol
        Early-stopping settings (``tol >= 0``).
    weight_scale : float
        Initial weights are N(0, weight_scale²).
    seed : int or numpy.random.Generator
        Seeds the initial weights; the batch order and the samplers draw from
        ``derive_seed(seed, "rbm-training")``, the early-stopping split from
        ``derive_seed(seed, "rbm-validation")`` (:func:`physml._core.derive_seed`).
    device : str
        "cpu", "cuda", "cuda:N" or "auto" (CUDA when torch sees it).
    dtype : {"float32", "float64"}
        Computation precision (float64 for exact tests, float32 for speed).
    train_precision : {"full", "bfloat16"}
        "bfloat16": during training the matrix products (the conditionals and the weight
        update) take bfloat16 operands with float32 accumulation, while the parameters and
        their updates stay in ``dtype``; several times faster where the hardware has bfloat16
        units (CPUs with AVX512-BF16 or AMX, recent GPUs). Everything after training
        (likelihoods, AIS, sampling, ``transform``) runs in ``dtype``. Where the hardware lacks
        them (a CPU without the ``avx512_bf16``/``amx_bf16`` flags, e.g. an AVX2-only one, or a
        GPU older than compute capability 8.0) bfloat16 is emulated, about ten times slower
        than float32 and less precise; there ``fit`` warns (RuntimeWarning, naming the CPU's
        capability) and trains in ``dtype`` instead. ``train_precision_`` says which was used.
    verbose : bool
        Show a progress bar over the epochs on standard error (only when it is a terminal;
        ``PHYSML_PROGRESS`` overrides, see :func:`physml._core.progress`).

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
    train_precision_ : {"full", "bfloat16"}
        The precision the last ``fit``/``partial_fit`` trained in (``"full"`` where bfloat16 was
        asked for but the hardware lacks it).
    validation_scores_ : list of float
        Validation metric after each epoch (empty without early stopping).
    swap_acceptance_ : ndarray of shape (n_temperatures − 1,)
        Parallel tempering: swap acceptance rate of each neighbouring pair (cumulative).
    betas_ : ndarray
        Parallel tempering: the ladder used.
    trainer_ : RBMTrainer
        The training driver; its ``chains`` hold the state of the persistent chains.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **TRAINING_CONSTRAINTS,
        "n_components": [Interval(int, 1, None)],
        "visible": [Options(*_VISIBLE)],
        "learning_rate_schedule": [Options("constant", "linear")],
        "n_chains": [None, Interval(int, 1, None)],
        "n_temperatures": [Interval(int, 2, None)],
        "beta_min": [Interval(float, 0, 1, closed="right")],
        "betas": [None, "array-like"],
        "sigma": [Predicate(_positive_sigma, "a positive float or a 1-d array of positive floats")],
        "learn_sigma": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(float, 0, 1, closed="right")],
        "n_iter_no_change": [Interval(int, 1, None)],
        "tol": [Interval(float, 0, None)],
        "train_precision": [Options("full", "bfloat16")],
        "verbose": ["boolean"],
    }
    _data_kind: ClassVar[str] = "binary"
    #: 1: the header of physml 0.1 (``"physml.ebm.RBM/1"``, fitted state beside the parameters);
    #: 2: the shared model-file header (fitted state under ``"state"``).
    _file_versions: ClassVar[tuple[int, ...]] = (1, 2)

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
        verbose: bool = False,
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
        self.verbose = verbose

    # -- fitted views -------------------------------------------------------------------------
    def rbm_model(self) -> RBMModel:
        """The fitted :class:`RBMModel` (``model_``); raises NotFittedError before fitting."""
        model = self.__dict__.get("model_")
        if model is None:
            raise NotFittedError(
                f"This {type(self).__name__} instance is not fitted yet; call 'fit' or 'partial_fit' first"
            )
        return model

    @property
    def components_(self) -> np.ndarray:
        return self.rbm_model().weights.detach().cpu().numpy()

    @property
    def intercept_hidden_(self) -> np.ndarray:
        return self.rbm_model().hidden_bias.detach().cpu().numpy()

    @property
    def intercept_visible_(self) -> np.ndarray:
        return self.rbm_model().visible_bias.detach().cpu().numpy()

    @property
    def sigma_(self) -> np.ndarray:
        model = self.rbm_model()
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

    def _make_trainer(self, model: RBMModel, seed: int) -> RBMTrainer:
        n_chains = self.batch_size if self.n_chains is None else self.n_chains
        sampler = make_sampler(self.method, k=self.k, n_chains=n_chains, n_temperatures=self.n_temperatures,
                               beta_min=self.beta_min, betas=self.betas)
        return RBMTrainer(
            model, sampler, learning_rate=self.learning_rate, batch_size=self.batch_size,
            weight_decay=self.weight_decay, momentum=self.momentum,
            learn_sigma=bool(self.learn_sigma) and self.visible == "gaussian",
            generator=torch_generator(seed, model.device),
        )

    def _training_matmul_dtype(self, device: torch.device) -> torch.dtype | None:
        """The dtype of the training's matrix products: bfloat16 when asked for and the device
        computes it natively, otherwise None (the parameters' dtype), with a RuntimeWarning
        when bfloat16 was asked for in vain. Sets ``train_precision_``."""
        self.train_precision_ = "full"
        if self.train_precision != "bfloat16":
            return None
        if device.type == "cuda":
            native = bool(torch.cuda.is_bf16_supported(including_emulation=False))
            where = f"the GPU {torch.cuda.get_device_name(device)} has no bfloat16 units"
        else:
            cpu = cpu_capability()
            native = cpu.bfloat16 is not False  # unknown (no /proc/cpuinfo): trust the request
            where = (f"this CPU ({cpu.model}, torch capability {cpu.vector}) has no bfloat16 units "
                     "(no avx512_bf16 or amx_bf16 flag)")
        if not native:
            warnings.warn(
                f"train_precision='bfloat16': {where}, so bfloat16 would be emulated, about ten times "
                "slower than float32 and less precise; training in full precision instead",
                RuntimeWarning,
                stacklevel=3,
            )
            return None
        self.train_precision_ = "bfloat16"
        return torch.bfloat16

    def training_memory(self, n_samples: int, n_features: int) -> int:
        """A lower bound (bytes) on the memory that :meth:`fit` on ``n_samples`` × ``n_features``
        data takes with these settings (:func:`~physml.ebm._rbm_model.training_memory_bytes`)."""
        n_chains = self.batch_size if self.n_chains is None else self.n_chains
        n_temps = self.n_temperatures if self.betas is None else len(np.atleast_1d(self.betas))
        return training_memory_bytes(
            n_features, self.n_components, n_samples=n_samples, dtype=self.dtype, batch_size=self.batch_size,
            n_chains=n_chains, n_temperatures=n_temps if self.method == "pt" else 1,
            momentum=self.momentum > 0, gaussian=self.visible == "gaussian",
            early_stopping=bool(self.early_stopping),
        )

    def check_memory(self, n_samples: int, n_features: int) -> None:
        """Raise MemoryError, with both numbers, when :meth:`training_memory` exceeds the
        memory of ``device`` (physical memory, or the CUDA card's); ``fit`` calls it before
        allocating the model."""
        check_memory(
            self.training_memory(n_samples, n_features), self.device,
            f"training a {n_features}-{self.n_components} RBM ({self.dtype}) on {n_samples} samples",
        )

    def _start(self, X: np.ndarray) -> None:
        self.check_memory(*X.shape)
        seed = _seed_int(self.seed)
        self._install(self._new_model(X, seed), seed)

    def _run(self, data: torch.Tensor, n_epochs: int, early_stopping: EarlyStopping | None = None) -> None:
        """``n_epochs`` epochs of the trainer, in the training precision, with a progress bar
        when ``verbose``."""
        self.trainer_.matmul_dtype = self._training_matmul_dtype(self.model_.device)
        bar = progress_bar(n_epochs, desc="RBM epochs", show=bool(self.verbose))
        try:
            self.trainer_.run(data, n_epochs, early_stopping=early_stopping, on_epoch=lambda _: bar.update(1))
        finally:
            bar.close()

    def _install(self, model: RBMModel, seed: int, n_iter: int = 0) -> None:
        """Make ``model`` the fitted model, with a fresh trainer (its chains start at the next
        batch) that has done ``n_iter`` epochs."""
        self.n_features_in_ = model.n_visible
        self.model_ = model
        self.trainer_ = self._make_trainer(model, derive_seed(seed, "rbm-training"))
        self.trainer_.epochs_done = n_iter
        self.n_iter_ = n_iter
        self.validation_scores_: list[float] = []
        for name in ("best_validation_score_", "swap_acceptance_", "betas_", "train_precision_"):
            self.__dict__.pop(name, None)
        self._clear_log_z()

    @classmethod
    def from_parameters(
        cls,
        weights: Any,
        visible_bias: Any,
        hidden_bias: Any,
        *,
        visible: str = "bernoulli",
        sigma: Any = 1.0,
        **params: Any,
    ) -> RBM:
        """An RBM with given parameters (trained elsewhere, or written down), ready for
        everything a fitted one does: ``score_samples`` (exact or AIS log Z, as after
        ``fit``), ``transform``, ``sample``, ``log_partition``, ``save``/``load``, and
        ``partial_fit`` to train on from there.

        Parameters
        ----------
        weights : array of shape (n_hidden, n_visible)
            W (``components_``; scikit-learn's BernoulliRBM has the same layout).
        visible_bias : array of shape (n_visible,)
            b (``intercept_visible_``).
        hidden_bias : array of shape (n_hidden,)
            c (``intercept_hidden_``).
        visible : {"bernoulli", "gaussian"}
            Visible unit type; the energy conventions are in :mod:`physml.ebm._rbm_model`.
        sigma : float or array of shape (n_visible,)
            σ of Gaussian visibles (ignored for Bernoulli ones). The model keeps log σ, as a
            fitted one does, so a ``sigma_`` given back may differ from it in the last bit.
        **params
            Other constructor arguments (``dtype``, ``device``, ``seed``, training settings
            for ``partial_fit``); ``n_components`` is ``weights.shape[0]``.

        Returns
        -------
        RBM
            Fitted, with ``n_iter_ = 0``. The parameters are copied to ``dtype`` (default
            float32; pass ``dtype="float64"`` to keep float64 values exactly).
        """
        w = check_array(weights, "weights", ndim=2)
        n_hidden, n_visible = w.shape
        b = check_array(visible_bias, "visible_bias", ndim=1)
        c = check_array(hidden_bias, "hidden_bias", ndim=1)
        if b.shape != (n_visible,) or c.shape != (n_hidden,):
            raise ValueError(
                f"visible_bias and hidden_bias must have shapes ({n_visible},) and ({n_hidden},) for weights "
                f"of shape {w.shape} (n_hidden, n_visible), got {b.shape} and {c.shape}"
            )
        est = cls(n_hidden, visible=visible, sigma=sigma, **params)
        est._validate_params()
        dev, dt = _resolve_device(est.device), _resolve_dtype(est.dtype)
        log_sigma = None
        if visible == "gaussian":
            s = np.asarray(sigma, dtype=np.float64)
            if s.ndim == 1 and s.shape != (n_visible,):
                raise ValueError(f"sigma must be a float or have shape ({n_visible},), got shape {s.shape}")
            log_sigma = torch.as_tensor(np.log(np.broadcast_to(s, (n_visible,)))).to(dev, dt)
        model = RBMModel(torch.as_tensor(w).to(dev, dt), torch.as_tensor(b).to(dev, dt),
                         torch.as_tensor(c).to(dev, dt), visible=visible, log_sigma=log_sigma)
        est._install(model, _seed_int(est.seed))
        return est

    def fit(self, X: Any, y: Any = None) -> RBM:
        """Train from scratch for ``n_iter`` epochs on ``X`` of shape (n_samples, n_features).

        Raises
        ------
        MemoryError
            Before allocating the model, when :meth:`training_memory` exceeds the device's memory.
        physml.ebm._rbm_training.TrainingDiverged
            A ``FloatingPointError`` naming the epoch and ``learning_rate``, when a parameter
            becomes NaN or infinite or exceeds ``DIVERGENCE_BOUND`` (the learning rate is too
            large); the parameters are left as they were then.
        """
        self._validate_params()
        X = self._validate(X, reset=True)
        self._start(X)
        return self._fit_validated(X)

    def _fit_validated(self, X: np.ndarray) -> RBM:
        """Training on already validated data (also used by the DBN with mean-field inputs)."""
        model = self.model_
        train, valid = X, None
        if self.early_stopping:
            rng = np.random.default_rng(derive_seed(_seed_int(self.seed), "rbm-validation"))
            n_valid = max(1, int(round(self.validation_fraction * len(X))))
            if n_valid >= len(X):
                raise ValueError(
                    f"validation_fraction={self.validation_fraction} leaves no training data for "
                    f"{len(X)} sample(s)"
                )
            order = rng.permutation(len(X))
            valid, train = X[order[:n_valid]], X[order[n_valid:]]
        self._set_decay(len(train))
        data = _training_data(model, train)
        stopper = None
        if valid is not None:
            vdata = model.as_tensor(valid)
            stopper = EarlyStopping(lambda m: validation_metric(m, vdata), patience=self.n_iter_no_change,
                                    tol=self.tol)
        self._run(data, self.n_iter, stopper)
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
            self._validate_params()
        X = self._validate(X, reset=first)
        if first:
            self._start(X)
            self._set_decay(len(X))
        self._run(_training_data(self.model_, X), 1)
        self.n_iter_ = self.trainer_.epochs_done
        self._after_training()
        return self

    def _set_decay(self, n_train: int) -> None:
        if self.learning_rate_schedule == "linear":
            per_epoch = -(-n_train // self.batch_size)
            self.trainer_.decay_updates = max(1, self.n_iter * per_epoch)

    def _after_training(self) -> None:
        self._clear_log_z()
        chains = self.trainer_.chains
        if isinstance(chains, TemperedChains):
            self.swap_acceptance_ = chains.swap_acceptance()
            self.betas_ = self.trainer_.sampler.betas_numpy()

    def _clear_log_z(self) -> None:
        for name in ("log_z_", "log_z_stderr_", "log_z_method_", "log_z_ess_", "log_z_reliable_"):
            self.__dict__.pop(name, None)

    # -- inference ----------------------------------------------------------------------------
    def _tensor(self, X: Any, name: str = "X") -> torch.Tensor:
        model = self.rbm_model()
        return model.as_tensor(check_visible_data(X, self.visible, name, model.n_visible))

    def transform(self, X: Any) -> np.ndarray:
        """Hidden activation probabilities p(h_j = 1 | v), shape (n_samples, n_components)."""
        model = self.rbm_model()
        v = self._tensor(X)
        with torch.no_grad():
            return model.hidden_probs(v).cpu().numpy()

    def log_partition(self, method: str = "auto", **ais_options: Any) -> tuple[float, float]:
        """log Z and its standard error, cached until the parameters change.

        ``method="auto"`` is exact (:func:`~physml.ebm.exact_log_partition`,
        standard error 0) when the layer summed over has at most 25 units (the smaller layer
        for Bernoulli visibles, the hidden layer for Gaussian ones), otherwise annealed
        importance sampling (:func:`~physml.ebm.ais_log_partition` with
        ``ais_options``, default seed ``self.seed``).

        After AIS, ``log_z_ess_`` is the effective sample size (Σw)²/Σw² of the runs'
        importance weights (Kish). The standard error assumes weights that are not heavy-tailed;
        an effective sample size below ``max(10, n_chains / 4)`` means that a few runs dominate
        and the error is underestimated (with 100 runs of one step on a 40-30 RBM, estimates
        6 standard errors off were seen at an effective size of 12): ``log_z_reliable_`` is
        then False, and more β's help.
        """
        check_choice(method, "method", ("auto", "exact", "ais"))
        model = self.rbm_model()
        summed = model.n_hidden if model.visible == "gaussian" else min(model.n_hidden, model.n_visible)
        if method == "auto":
            method = "exact" if summed <= EXACT_MAX_UNITS else "ais"
        if method == "exact":
            value, err = exact_log_partition(model), 0.0
        else:
            ais_options.setdefault("seed", self.seed)
            ais_options.pop("return_log_weights", None)
            value, err, log_w = ais_log_partition(model, return_log_weights=True, **ais_options)
            w = np.exp(log_w - log_w.max())
            ess = float(w.sum() ** 2 / (w**2).sum())
        self.log_z_, self.log_z_stderr_, self.log_z_method_ = float(value), float(err), method
        if method == "ais":
            self.log_z_ess_ = ess
            self.log_z_reliable_ = bool(ess >= max(10.0, len(log_w) / 4))
        return self.log_z_, self.log_z_stderr_

    @property
    def score_estimate_(self) -> str:
        """Which log-likelihood :meth:`score_samples` and :meth:`score` give with the cached log Z:
        ``"exact"``, or ``"upper"`` when log Z came from AIS (E[log Ẑ] ≤ log Z, so the scores
        overestimate on average; :meth:`log_likelihood_bounds` gives the bound from below).
        AttributeError before log Z has been computed."""
        if "log_z_method_" not in self.__dict__:
            raise AttributeError("score_estimate_ exists once log Z is computed "
                                 "(log_partition or score_samples)")
        return "exact" if self.log_z_method_ == "exact" else "upper"

    def score_samples(self, X: Any) -> np.ndarray:
        """Log-likelihood log p(v) = −F(v) − log Z of each sample, shape (n_samples,).

        Uses the cached log Z (``log_z_``, computed by :meth:`log_partition` with
        ``method="auto"`` on first use: exact when the layer summed over has ≤ 25 units,
        otherwise AIS, whose standard error is ``log_z_stderr_``). ``score_estimate_`` says which
        it is: ``"exact"``, or ``"upper"`` for AIS, a stochastic upper estimate of the
        log-likelihood (AIS underestimates log Z on average); use :meth:`log_likelihood_bounds`
        for the sandwich. For Gaussian visibles this is a log-density (nats per sample, in the
        data's units).
        """
        v = self._tensor(X)
        if "log_z_" not in self.__dict__:
            self.log_partition()
        return log_likelihood(self.model_, v, self.log_z_)

    def log_likelihood_bounds(self, X: Any, **options: Any) -> Any:
        """The mean log-likelihood of ``X`` bracketed by RAISE (below) and AIS (above):
        :func:`~physml.ebm.log_likelihood_bounds` with ``options`` (default seed ``self.seed``)."""
        options.setdefault("seed", self.seed)
        return log_likelihood_bounds(self.rbm_model(), self._tensor(X).cpu().numpy(), **options)

    def pseudo_likelihood(self, X: Any) -> np.ndarray:
        """Deterministic pseudo-log-likelihood Σ_i log p(v_i | v_−i) of each sample (Bernoulli)."""
        return pseudo_likelihood(self.rbm_model(), self._tensor(X))

    def free_energy(self, X: Any) -> np.ndarray:
        """F(v) of each sample, shape (n_samples,)."""
        model = self.rbm_model()
        with torch.no_grad():
            return model.free_energy(self._tensor(X)).cpu().numpy()

    def gibbs(self, v: Any, *, n_steps: int = 1, seed: int | np.random.Generator = 0) -> np.ndarray:
        """``n_steps`` block Gibbs sweeps from ``v`` (n_samples, n_features); returns the new v."""
        model = self.rbm_model()
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

        Raises
        ------
        MemoryError
            Before allocating anything, when the chains' states cannot fit in the device's memory.
        """
        model = self.rbm_model()
        n_samples = check_int(n_samples, "n_samples", low=1)
        n_steps = check_int(n_steps, "n_steps", low=0)
        item = model.weights.element_size()
        check_memory(4 * n_samples * (model.n_visible + model.n_hidden) * item, model.device,
                     f"sampling {n_samples} chains of a {model.n_visible}-{model.n_hidden} RBM")
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
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The parameters as arrays; epochs, validation scores and a computed log Z in the
        header. The chains and momentum are not saved (``partial_fit`` after ``load`` starts
        fresh chains)."""
        model = self.rbm_model()
        meta: dict[str, Any] = {
            "n_features_in_": int(self.n_features_in_),
            "n_iter_": int(getattr(self, "n_iter_", 0)),
            "validation_scores_": [float(s) for s in getattr(self, "validation_scores_", [])],
        }
        for name in ("log_z_", "log_z_stderr_", "log_z_method_", "log_z_ess_", "log_z_reliable_",
                     "best_validation_score_"):
            if name in self.__dict__:
                meta[name] = self.__dict__[name]
        arrays = {k: v.detach().cpu().numpy() for k, v in model.parameters().items()}
        for name in ("swap_acceptance_", "betas_"):
            if name in self.__dict__:
                arrays[name] = np.asarray(self.__dict__[name], dtype=np.float64)
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        """Versions 1 and 2 hold the same arrays and fitted scalars (version 1 beside the
        parameters in the header, moved under ``"state"`` by :meth:`_upgrade_meta`)."""
        dev, dt = _resolve_device(self.device), _resolve_dtype(self.dtype)
        t = {k: torch.as_tensor(arrays[k]).to(dev, dt) for k in ("weights", "visible_bias", "hidden_bias",
                                                                  "log_sigma") if k in arrays}
        model = RBMModel(t["weights"], t["visible_bias"], t["hidden_bias"], visible=self.visible,
                         log_sigma=t.get("log_sigma"))
        self._install(model, _seed_int(self.seed), int(meta.get("n_iter_", 0)))
        self.validation_scores_ = [float(s) for s in meta.get("validation_scores_", [])]
        for name in ("log_z_", "log_z_stderr_", "log_z_method_", "log_z_ess_", "log_z_reliable_",
                     "best_validation_score_"):
            if name in meta:
                setattr(self, name, meta[name])
        for name in ("swap_acceptance_", "betas_"):
            if name in arrays:
                setattr(self, name, np.array(arrays[name]))

    @classmethod
    def _upgrade_meta(cls, meta: dict[str, Any], version: int) -> dict[str, Any]:
        """Files of physml 0.1 (format ``"physml.ebm.RBM/1"``, version 1) hold the fitted scalars
        beside ``params`` in the header; :meth:`load` (``RBM.load(path, device="cpu")`` to
        override the saved device) reads them from ``"state"``. The persistent chains and
        momentum are not saved: ``partial_fit`` after loading starts from fresh chains."""
        if version != 1:
            return meta
        header = {"format", "format_version", "physml_version", "params"}
        return {**{k: meta[k] for k in header if k in meta},
                "state": {k: v for k, v in meta.items() if k not in header}}

    def __sklearn_is_fitted__(self) -> bool:
        return "model_" in self.__dict__
