"""Density estimation with normalizing flows: a scikit-learn estimator over zuko.

:class:`FlowDensity` standardises the data, builds a zuko flow (MAF, NSF or a continuous flow),
fits it by maximum likelihood with Adam and early stopping on a held-out validation set, and
gives log densities, their gradients with respect to the inputs and samples. It follows physml's
model contract (docs/architecture.md, "One model contract"): parameters checked in ``fit``
against one declaration, ``NotFittedError`` before fit, and ``save``/``load`` through the one
model-file format (the ``state_dict`` as plain arrays; no pickle). Files of physml 0.1 (torch
files, ``torch.load(..., weights_only=True)``) still load.
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml._core import (
    FLOAT_DTYPES,
    Interval,
    ModelMixin,
    Options,
    Predicate,
    arrays_to_state,
    check_array,
    check_choice,
    check_int,
    derive_seed,
    progress_bar,
    state_to_arrays,
    torch_dtype,
)
from physml.flows._serialize import check_kind, is_torch_file, read_payload
from physml.training import EarlyStopping

__all__ = ["FLOWS", "MIN_SAMPLES_PER_FEATURE", "FlowDensity"]

#: Flow architectures: masked autoregressive (MADE masks), neural spline, continuous (FFJORD).
FLOWS = ("maf", "nsf", "cnf")
#: Fewest samples per feature that :meth:`FlowDensity.fit` accepts (and 20 samples at least).
MIN_SAMPLES_PER_FEATURE = 10


@contextlib.contextmanager
def _seeded(seed: int, device: str = "cpu") -> Iterator[None]:
    """Seed torch's global generators (zuko draws from them) inside, restore them after."""
    dev = torch.device(device)
    devices = [dev.index or 0] if dev.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _near_identity_elementwise(flow: Any, fan_in: int) -> None:
    """Start 1-feature MAF/NSF transforms near the identity, like the multi-feature ones.

    With one feature and no context, zuko (1.6) builds each MAF/NSF transform as an
    ``ElementWiseTransform`` whose parameters (affine shift and log-scale, or the spline's
    widths, heights and log-derivatives) are free tensors drawn from N(0, 1), where a
    multi-feature transform takes them from its masked network, whose output for the first
    feature is the last layer's bias, U(−1/√fan_in, 1/√fan_in). Composed over several
    transforms, N(0, 1) log-scales multiply the shifts by up to e^(±several): some seeds start
    with a loss of hundreds of nats and Adam (steps ~ learning_rate) never recovers within the
    epochs. Redraw those parameters from the bias's distribution (all zero is the identity for
    both the affine and the spline transform); the global generator is the seeded one of
    :meth:`FlowDensity._build`, so the draw still follows ``seed``.
    """
    from zuko.flows.gaussianization import ElementWiseTransform

    bound = 1.0 / math.sqrt(fan_in)
    with torch.no_grad():
        for module in flow.modules():
            if isinstance(module, ElementWiseTransform) and hasattr(module, "phi"):
                for p in module.phi:
                    p.uniform_(-bound, bound)


def check_support(model: Any, X: Any, name: str, columns: Sequence[int] | None) -> np.ndarray:
    """Points of ``X`` inside ``model.support_low_ <= x <= model.support_high_`` or a ``ValueError``."""
    cols = list(range(model.n_features_in_)) if columns is None else list(columns)
    X = check_array(X, name, ndim=2, shape=(None, len(cols)))
    lo, hi = model.support_low_[cols], model.support_high_[cols]
    out = np.any((X < lo) | (X > hi), axis=1)
    if np.any(out):
        i = int(np.nonzero(out)[0][0])
        raise ValueError(
            f"{name}: {int(out.sum())} point(s) lie outside the support of the training samples "
            f"(per feature from {np.array2string(lo, precision=3)} to "
            f"{np.array2string(hi, precision=3)}), first at index {i}: "
            f"{np.array2string(X[i], precision=3)}; the flow's density there is an extrapolation"
        )
    return X


def check_samples(X: Any, name: str = "X", *, n_features: int | None = None) -> np.ndarray:
    """A finite 2-D float array (of ``n_features`` columns if given)."""
    return check_array(X, name, ndim=2, n_features=n_features)


def _layer_widths(value: Any) -> bool:
    return (isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and len(value) > 0
            and all(Interval(int, 1, None).accepts(v) for v in value))


def _torch_device(value: Any) -> bool:
    if not isinstance(value, (str, torch.device)):
        return False
    try:
        torch.device(value)
    except (RuntimeError, TypeError, ValueError):
        return False
    return True


#: What each FlowDensity parameter accepts (checked in ``fit``).
FLOW_CONSTRAINTS: dict[str, list[Any]] = {
    "flow": [Options(*FLOWS)],
    "transforms": [Interval(int, 1, None)],
    "hidden_features": [Predicate(_layer_widths, "a non-empty sequence of positive ints (layer widths)")],
    "bins": [Interval(int, 2, None)],
    "learning_rate": [Interval(float, 0, None, closed="neither")],
    "weight_decay": [Interval(float, 0, None)],
    "batch_size": [Interval(int, 1, None)],
    "max_epochs": [Interval(int, 1, None)],
    "patience": [Interval(int, 1, None)],
    "validation_fraction": [Interval(float, 0, 0.5, closed="right")],
    "dtype": [Options(*FLOAT_DTYPES)],
    "device": [Predicate(_torch_device, "a torch device such as 'cpu' or 'cuda'")],
    "seed": [Interval(int, 0, None)],
    "verbose": ["boolean"],
}


class FlowDensity(ModelMixin, BaseEstimator):
    """A normalizing-flow density estimator (zuko), fitted by maximum likelihood.

    A scikit-learn estimator with physml's model contract (docs/architecture.md, "One model
    contract"): ``fit(X)`` returns the estimator, ``score_samples(X)`` (= :meth:`log_prob`) is
    the log density per sample, ``score(X)`` its mean (higher is better), ``save``/``load`` write
    and read one ``.npz`` of plain arrays, and :meth:`from_state_dict` makes a fitted estimator
    from weights trained elsewhere.

    Parameters
    ----------
    flow : {"maf", "nsf", "cnf"}
        Masked autoregressive flow with affine MADE transforms (``zuko.flows.MAF``), neural
        spline flow (``zuko.flows.NSF``, monotonic rational-quadratic splines) or a continuous
        normalizing flow with free-form Jacobian (FFJORD, ``zuko.flows.CNF``).
    transforms : int
        Number of autoregressive transforms (ignored by ``"cnf"``, one ODE).
    hidden_features : sequence of int
        Hidden layer widths of each transform's network (the ODE's network for ``"cnf"``).
    bins : int
        Spline bins (``"nsf"`` only).
    learning_rate, weight_decay : float
        Adam's step size and L2 penalty.
    batch_size : int
        Mini-batch size.
    max_epochs : int
        Upper bound on training epochs.
    patience : int
        Stop when the validation loss has not improved (by more than a relative 1e-6) for this
        many epochs; the weights of the best epoch are kept
        (:class:`physml.training.EarlyStopping`).
    validation_fraction : float
        Share of the samples held out for early stopping, in (0, 0.5].
    dtype : {"float32", "float64"}
        Precision of the network.
    device : str
        Torch device (``"cpu"``, ``"cuda"``).
    seed : int
        Seeds the weights, the validation split and the batch order (sub-seeds from
        :func:`physml._core.derive_seed`).
    verbose : bool
        Show a progress bar over the epochs of ``fit`` (only on a terminal).

    Attributes
    ----------
    flow_ : zuko.flows.Flow
        The fitted flow on standardised inputs.
    mean_, scale_ : numpy.ndarray, shape (n_features,)
        Standardisation: the flow models ``(x - mean_) / scale_``.
    support_low_, support_high_ : numpy.ndarray, shape (n_features,)
        The box spanned by the training samples (:meth:`check_support`).
    n_features_in_, n_samples_fit_ : int
    history_ : dict
        ``{"train": [...], "validation": [...]}``: mean negative log-likelihood per epoch, in
        standardised units (add ``sum(log(scale_))`` for the data's units).
    best_epoch_, n_epochs_ : int
    """

    #: ±inf bounds of a flow built without a support (from_state), and loss histories (a validation
    #: loss may be inf in an epoch): not trained parameters
    _nonfinite_arrays: ClassVar[tuple[str, ...]] = ("support_low", "support_high", "history_*")
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = FLOW_CONSTRAINTS
    _data_kind: ClassVar[str] = "real"
    #: 1: the torch file of physml 0.1 (``"physml.flows/1"``, read by ``load``'s legacy reader);
    #: 2: the shared model-file format (the ``state_dict`` as plain arrays).
    _file_versions: ClassVar[tuple[int, ...]] = (2,)

    def __init__(
        self,
        flow: str = "maf",
        *,
        transforms: int = 4,
        hidden_features: Sequence[int] = (64, 64),
        bins: int = 8,
        learning_rate: float = 1e-3,
        weight_decay: float = 0.0,
        batch_size: int = 256,
        max_epochs: int = 200,
        patience: int = 15,
        validation_fraction: float = 0.2,
        dtype: str = "float32",
        device: str = "cpu",
        seed: int = 0,
        verbose: bool = False,
    ):
        self.flow = flow
        self.transforms = transforms
        self.hidden_features = hidden_features
        self.bins = bins
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.patience = patience
        self.validation_fraction = validation_fraction
        self.dtype = dtype
        self.device = device
        self.seed = seed
        self.verbose = verbose

    def __sklearn_is_fitted__(self) -> bool:
        return "flow_" in self.__dict__

    # construction --------------------------------------------------------------------------------
    def _build(self, n_features: int) -> Any:
        import zuko

        hidden = tuple(int(h) for h in self.hidden_features)
        with _seeded(derive_seed(int(self.seed), "weights"), self.device):
            if self.flow == "maf":
                flow = zuko.flows.MAF(n_features, transforms=int(self.transforms), hidden_features=hidden)
            elif self.flow == "nsf":
                flow = zuko.flows.NSF(
                    n_features, bins=int(self.bins), transforms=int(self.transforms), hidden_features=hidden
                )
            else:
                flow = zuko.flows.CNF(n_features, hidden_features=hidden)
            _near_identity_elementwise(flow, hidden[-1])
        return flow.to(device=torch.device(self.device), dtype=torch_dtype(self.dtype))

    def _set_exact(self, exact: bool) -> None:
        """The continuous flow trains on Hutchinson's unbiased trace estimate, evaluates exactly."""
        from zuko.flows.continuous import FFJTransform

        for module in self.flow_.modules():
            if isinstance(module, FFJTransform):
                module.exact = exact

    def _tensor(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(X, dtype=torch_dtype(self.dtype), device=torch.device(self.device))

    @classmethod
    def from_state_dict(
        cls,
        state_dict: Mapping[str, Any],
        n_features: int,
        *,
        mean: Any = None,
        scale: Any = None,
        support: tuple[Any, Any] | None = None,
        **params: Any,
    ) -> FlowDensity:
        """A fitted FlowDensity from the weights of a zuko flow trained elsewhere (or edited).

        The flow is built from ``params`` (the constructor's arguments: ``flow``, ``transforms``,
        ``hidden_features``, ``bins``, ``dtype``, ...) for ``n_features`` features, exactly as
        :meth:`fit` builds it, and ``state_dict`` (e.g. ``zuko_flow.state_dict()`` of a
        ``zuko.flows.MAF(n_features, transforms=..., hidden_features=...)``) is loaded into it.
        It then does everything a fitted one does: :meth:`log_prob`, :meth:`grad_log_prob`,
        :meth:`sample`, ``save``/``load``.

        Parameters
        ----------
        state_dict : mapping of str to torch.Tensor
            The weights, for the architecture that ``params`` describe.
        n_features : int
        mean, scale : array_like, shape (n_features,), optional
            The standardisation: the flow models ``(x - mean) / scale`` (default 0 and 1: the
            flow is a density of ``x`` itself).
        support : (low, high), optional
            The box that :meth:`check_support` and ``outside="raise"`` accept (default all of
            R^d).
        **params
            Constructor arguments.

        Returns
        -------
        FlowDensity
            Fitted, with ``n_samples_fit_ = 0``, an empty ``history_`` and ``best_epoch_ = 0``.
        """
        est = cls(**params)
        est._validate_params()
        d = check_int(n_features, "n_features", low=1)
        vec = {}
        for name, value, default in (("mean", mean, 0.0), ("scale", scale, 1.0)):
            v = np.full(d, default) if value is None else check_array(value, name, ndim=1, shape=(d,))
            vec[name] = v.astype(np.float64)
        if np.any(vec["scale"] <= 0):
            raise ValueError(f"scale must be positive in every feature, got {vec['scale']}")
        if support is None:
            low, high = np.full(d, -np.inf), np.full(d, np.inf)
        else:
            low, high = (check_array(s, n, ndim=1, shape=(d,), allow_nan=False).astype(np.float64)
                         for s, n in zip(support, ("support[0]", "support[1]"), strict=True))
        est.mean_, est.scale_ = vec["mean"], vec["scale"]
        est.support_low_, est.support_high_ = low, high
        est.n_features_in_, est.n_samples_fit_ = d, 0
        est.history_ = {"train": [], "validation": []}
        est.best_epoch_, est.n_epochs_ = 0, 0
        flow = est._build(d)
        try:
            flow.load_state_dict(dict(state_dict))
        except (RuntimeError, KeyError, TypeError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ValueError(
                f"state_dict does not fit a {est.flow} flow of {d} feature(s) with these parameters: {first}"
            ) from None
        est._install(flow)
        return est

    def _install(self, flow: Any) -> None:
        self.flow_ = flow
        self.flow_.eval()
        self._set_exact(True)

    # fitting -----------------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> FlowDensity:
        """Fit the flow to samples ``X`` by maximum likelihood with early stopping.

        Parameters
        ----------
        X : array_like, shape (n_samples, n_features)
            Finite samples; at least ``10 * n_features`` (and 20) of them, with no constant column.
        y : ignored

        Returns
        -------
        self
        """
        self._validate_params()
        X = check_samples(X)
        n, d = X.shape
        need = max(20, MIN_SAMPLES_PER_FEATURE * d)
        if n < need:
            raise ValueError(
                f"X has {n} sample(s) for {d} feature(s); a flow needs at least {need} "
                f"({MIN_SAMPLES_PER_FEATURE} per feature, 20 at least) to fit and validate"
            )
        scale = X.std(axis=0)
        if np.any(scale <= 0):
            j = int(np.nonzero(scale <= 0)[0][0])
            raise ValueError(
                f"X column {j} is constant ({X[0, j]!r}); a density needs spread in every feature"
            )
        self.mean_ = X.mean(axis=0)
        self.scale_ = scale
        self.support_low_ = X.min(axis=0)
        self.support_high_ = X.max(axis=0)
        self.n_features_in_ = d
        self.n_samples_fit_ = n

        rng = np.random.default_rng(derive_seed(int(self.seed), "split"))
        order = rng.permutation(n)
        n_val = max(1, int(round(self.validation_fraction * n)))
        U = self._tensor((X - self.mean_) / self.scale_)
        train, val = U[order[n_val:]], U[order[:n_val]]

        self.flow_ = self._build(d)
        optimiser = torch.optim.Adam(
            self.flow_.parameters(), lr=float(self.learning_rate), weight_decay=float(self.weight_decay)
        )
        gen = torch.Generator().manual_seed(derive_seed(int(self.seed), "batches"))
        history: dict[str, list[float]] = {"train": [], "validation": []}
        with _seeded(derive_seed(int(self.seed), "noise"), self.device):  # the CNF's trace estimator
            best, best_state, best_epoch = self._train(train, val, optimiser, gen, history)
        if best_state is None:
            del self.flow_
            raise RuntimeError(
                "the flow's validation loss was never finite; try a smaller learning_rate or float64"
            )
        self.flow_.load_state_dict(best_state)
        self._install(self.flow_)
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.n_epochs_ = len(history["train"])
        return self

    def _train(self, train: Any, val: Any, optimiser: Any, gen: Any, history: dict) -> tuple[float, Any, int]:
        # an improvement must beat the best by a relative 1e-6 (noise in the last digits is none)
        rule = EarlyStopping(patience=int(self.patience), rtol=1e-6)
        stopping, best_state = rule.init(), None
        batch = int(self.batch_size)
        bar = progress_bar(int(self.max_epochs), desc="flow epochs", show=bool(self.verbose))
        try:
            for _ in range(int(self.max_epochs)):
                stopping, best_state, stop = self._epoch(train, val, optimiser, gen, history, rule, stopping,
                                                         best_state, batch)
                bar.update(1)
                if stop:
                    break
        finally:
            bar.close()
        # best epoch counted from 0; 0 with best_state None when no validation loss was finite
        return float(stopping.best), best_state, max(int(stopping.best_index), 0)

    def _epoch(self, train, val, optimiser, gen, history, rule, stopping, best_state, batch):
        """One epoch of training and validation; returns the stopping state, the best state, stop."""
        self.flow_.train()
        self._set_exact(False)
        perm = torch.randperm(len(train), generator=gen).to(train.device)
        total = 0.0
        for start in range(0, len(train), batch):
            xb = train[perm[start : start + batch]]
            loss = -self.flow_().log_prob(xb).mean()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(xb)
        history["train"].append(total / len(train))
        self.flow_.eval()
        self._set_exact(True)
        with torch.no_grad():
            v = float(-self._log_prob_std(val).mean())
        history["validation"].append(v)
        stopping, decision = rule.update(stopping, v)
        if decision.improved:
            best_state = copy.deepcopy(self.flow_.state_dict())
        return stopping, best_state, decision.stop

    # evaluation --------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        check_is_fitted(self)

    def _chunk(self) -> int:
        return 2048 if self.flow == "cnf" else 65536

    def _log_prob_std(self, U: torch.Tensor) -> torch.Tensor:
        """log density of standardised inputs (the flow's own units)."""
        parts = [self.flow_().log_prob(U[i : i + self._chunk()]) for i in range(0, len(U), self._chunk())]
        return torch.cat(parts) if parts else U.new_zeros(0)

    def check_support(self, X: Any, name: str = "X", columns: Sequence[int] | None = None) -> np.ndarray:
        """Raise ``ValueError`` for points outside the box spanned by the training samples.

        Parameters
        ----------
        X : array_like, shape (n, n_features) or (n, len(columns))
        name : str
            The argument's name for the message.
        columns : sequence of int, optional
            Which of the flow's features the columns of ``X`` are (default all).

        Returns
        -------
        numpy.ndarray
            ``X`` as a float array.
        """
        self._check_fitted()
        return check_support(self, X, name, columns)

    def log_prob(self, X: Any, *, outside: str = "allow") -> np.ndarray:
        """Log density log p(x) in the data's units.

        Parameters
        ----------
        X : array_like, shape (n, n_features)
        outside : {"allow", "raise"}
            What to do with points outside the training samples' box: evaluate the flow
            (it is a density on all of R^d) or raise ``ValueError``.

        Returns
        -------
        numpy.ndarray, shape (n,)
        """
        self._check_fitted()
        check_choice(outside, "outside", ("allow", "raise"))
        X = check_samples(X, n_features=self.n_features_in_)
        if outside == "raise":
            self.check_support(X)
        U = self._tensor((X - self.mean_) / self.scale_)
        with torch.no_grad():
            lp = self._log_prob_std(U).double().cpu().numpy()
        return lp - float(np.sum(np.log(self.scale_)))

    def score_samples(self, X: Any) -> np.ndarray:
        """Alias of :meth:`log_prob` (scikit-learn's name)."""
        return self.log_prob(X)

    def grad_log_prob(self, X: Any, *, outside: str = "allow") -> np.ndarray:
        """Gradient of log p(x) with respect to x, by automatic differentiation.

        Parameters
        ----------
        X : array_like, shape (n, n_features)
        outside : {"allow", "raise"}
            As in :meth:`log_prob`.

        Returns
        -------
        numpy.ndarray, shape (n, n_features)
            ∂ log p / ∂x in the data's units (inverse units of x).
        """
        self._check_fitted()
        check_choice(outside, "outside", ("allow", "raise"))
        X = check_samples(X, n_features=self.n_features_in_)
        if outside == "raise":
            self.check_support(X)
        U = self._tensor((X - self.mean_) / self.scale_)
        grads = []
        for i in range(0, len(U), self._chunk()):
            u = U[i : i + self._chunk()].clone().requires_grad_(True)
            (g,) = torch.autograd.grad(self.flow_().log_prob(u).sum(), u)
            grads.append(g.detach().double().cpu().numpy())
        g = np.concatenate(grads) if grads else np.zeros((0, self.n_features_in_))
        return g / self.scale_

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """Draw ``n`` samples from the fitted density.

        Returns
        -------
        numpy.ndarray, shape (n, n_features)
        """
        self._check_fitted()
        n = check_int(n, "n", low=1)
        seed = check_int(seed, "seed", low=0)
        with torch.no_grad(), _seeded(derive_seed(seed, "sample"), self.device):
            parts = [self.flow_().sample((min(self._chunk(), n - i),)) for i in range(0, n, self._chunk())]
        U = torch.cat(parts).double().cpu().numpy()
        return U * self.scale_ + self.mean_

    # persistence -------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        arrays, dtypes = state_to_arrays(self.flow_.state_dict(), "flow")
        meta = {
            "n_features_in": int(self.n_features_in_),
            "n_samples_fit": int(self.n_samples_fit_),
            "best_epoch": int(self.best_epoch_),
            "tensor_dtypes": dtypes,
        }
        arrays.update(
            mean=self.mean_, scale=self.scale_,
            support_low=self.support_low_, support_high=self.support_high_,
            history_train=np.asarray(self.history_["train"], dtype=np.float64),
            history_validation=np.asarray(self.history_["validation"], dtype=np.float64),
        )
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self._validate_params()
        d = int(meta["n_features_in"])
        self.mean_ = np.asarray(arrays["mean"], dtype=np.float64)
        self.scale_ = np.asarray(arrays["scale"], dtype=np.float64)
        self.support_low_ = np.asarray(arrays["support_low"], dtype=np.float64)
        self.support_high_ = np.asarray(arrays["support_high"], dtype=np.float64)
        self.n_features_in_ = d
        self.n_samples_fit_ = int(meta["n_samples_fit"])
        self.history_ = {"train": [float(x) for x in arrays["history_train"]],
                         "validation": [float(x) for x in arrays["history_validation"]]}
        self.best_epoch_ = int(meta["best_epoch"])
        self.n_epochs_ = len(self.history_["train"])
        flow = self._build(d)
        flow.load_state_dict(arrays_to_state(arrays, meta["tensor_dtypes"], "flow"))
        self._install(flow)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> FlowDensity:
        """Read a flow written by :meth:`save` (an ``.npz`` of plain arrays: loading runs no code).

        Torch files written by physml 0.1 (format ``"physml.flows/1"``) are read too, with
        ``torch.load(..., weights_only=True)``. ``device`` moves the flow to another torch
        device (default: the one it was saved from). Anything else raises
        :class:`physml._core.ModelFileError` naming the file.
        """
        if is_torch_file(path):
            data = read_payload(path)
            check_kind(path, data, cls)
            return cls._from_payload(data, device=device)
        return super().load(path, **({} if device is None else {"device": device}))

    @classmethod
    def _from_payload(cls, data: dict[str, Any], device: str | None = None) -> FlowDensity:
        """A flow from the payload of a physml 0.1 torch file (or pickle)."""
        params = dict(data["params"])
        params["hidden_features"] = tuple(params["hidden_features"])
        if device is not None:
            params["device"] = device
        est = cls(**params)
        est._validate_params()
        d = int(data["n_features_in"])
        est.mean_ = data["mean"].numpy().astype(np.float64)
        est.scale_ = data["scale"].numpy().astype(np.float64)
        est.support_low_ = data["support_low"].numpy().astype(np.float64)
        est.support_high_ = data["support_high"].numpy().astype(np.float64)
        est.n_features_in_ = d
        est.n_samples_fit_ = int(data["n_samples_fit"])
        est.history_ = {k: list(v) for k, v in data["history"].items()}
        est.best_epoch_ = int(data["best_epoch"])
        est.n_epochs_ = len(est.history_["train"])
        flow = est._build(d)
        flow.load_state_dict(data["state_dict"])
        est._install(flow)
        return est

    def __getstate__(self) -> dict[str, Any]:
        # plain values and numpy arrays only (the file's state), so that pickles (process pools,
        # the lab's cache) carry no zuko objects
        state = {k: v for k, v in self.__dict__.items() if not k.endswith("_")}
        if self.__sklearn_is_fitted__():
            state["_file_state"] = self._get_state()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        payload = state.pop("_payload", None)  # a pickle of physml 0.1
        fitted = state.pop("_file_state", None)
        self.__dict__.update(state)
        if payload is not None:
            self.__dict__.update(self._from_payload(payload).__dict__)
        elif fitted is not None:
            self._set_state(*fitted, max(self._file_versions))
