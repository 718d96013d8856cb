"""Density estimation with normalizing flows: a scikit-learn-style wrapper over zuko.

:class:`FlowDensity` standardises the data, builds a zuko flow (MAF, NSF or a continuous flow),
fits it by maximum likelihood with Adam and early stopping on a held-out validation set, and
gives log densities, their gradients with respect to the inputs, samples, and a save/load that
stores tensors and plain values only (loaded with ``torch.load(..., weights_only=True)``, which
cannot execute code).
"""

from __future__ import annotations

import contextlib
import copy
import math
import os
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch

from physml._core import check_array, check_choice, check_int, check_real, check_seed, derive_seed
from physml.flows._serialize import FORMAT, check_kind, read_payload, write_payload
from physml.training import EarlyStopping

__all__ = ["FLOWS", "MIN_SAMPLES_PER_FEATURE", "FlowDensity"]

#: Flow architectures: masked autoregressive (MADE masks), neural spline, continuous (FFJORD).
FLOWS = ("maf", "nsf", "cnf")
#: Fewest samples per feature that :meth:`FlowDensity.fit` accepts (and 20 samples at least).
MIN_SAMPLES_PER_FEATURE = 10
_DTYPES = {"float32": torch.float32, "float64": torch.float64}


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
    """A finite 2-D float array with enough samples for its number of features."""
    X = check_array(X, name, ndim=2)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} feature(s), but the flow was fitted on {n_features}")
    return X


class FlowDensity:
    """A normalizing-flow density estimator (zuko), fitted by maximum likelihood.

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
        Seeds the weights, the validation split and the batch order.

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

    # parameters ---------------------------------------------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor's parameters (scikit-learn convention)."""
        return {
            "flow": self.flow,
            "transforms": self.transforms,
            "hidden_features": tuple(self.hidden_features),
            "bins": self.bins,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
            "batch_size": self.batch_size,
            "max_epochs": self.max_epochs,
            "patience": self.patience,
            "validation_fraction": self.validation_fraction,
            "dtype": self.dtype,
            "device": self.device,
            "seed": self.seed,
        }

    def set_params(self, **params: Any) -> FlowDensity:
        valid = self.get_params()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"FlowDensity has no parameter {key!r}; accepted: {', '.join(valid)}")
            setattr(self, key, value)
        return self

    def __repr__(self) -> str:
        return f"FlowDensity(flow={self.flow!r}, seed={self.seed})"

    def _validate_params(self) -> None:
        check_choice(self.flow, "flow", FLOWS)
        check_int(self.transforms, "transforms", low=1)
        hidden = tuple(self.hidden_features)
        if not hidden:
            raise ValueError("hidden_features must list at least one layer width, got ()")
        for i, h in enumerate(hidden):
            check_int(h, f"hidden_features[{i}]", low=1)
        check_int(self.bins, "bins", low=2)
        check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        check_real(self.weight_decay, "weight_decay", low=0.0)
        check_int(self.batch_size, "batch_size", low=1)
        check_int(self.max_epochs, "max_epochs", low=1)
        check_int(self.patience, "patience", low=1)
        check_real(self.validation_fraction, "validation_fraction", low=0.0, high=0.5, low_open=True)
        check_choice(self.dtype, "dtype", tuple(_DTYPES))
        check_seed(self.seed)
        try:
            torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ValueError(
                f"device must be a torch device such as 'cpu' or 'cuda', got {self.device!r}"
            ) from None

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
        return flow.to(device=torch.device(self.device), dtype=_DTYPES[self.dtype])

    def _set_exact(self, exact: bool) -> None:
        """The continuous flow trains on Hutchinson's unbiased trace estimate, evaluates exactly."""
        from zuko.flows.continuous import FFJTransform

        for module in self.flow_.modules():
            if isinstance(module, FFJTransform):
                module.exact = exact

    def _tensor(self, X: np.ndarray) -> torch.Tensor:
        return torch.as_tensor(X, dtype=_DTYPES[self.dtype], device=torch.device(self.device))

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
            raise RuntimeError(
                "the flow's validation loss was never finite; try a smaller learning_rate or float64"
            )
        self.flow_.load_state_dict(best_state)
        self.flow_.eval()
        self._set_exact(True)
        self.history_ = history
        self.best_epoch_ = best_epoch
        self.n_epochs_ = len(history["train"])
        return self

    def _train(self, train: Any, val: Any, optimiser: Any, gen: Any, history: dict) -> tuple[float, Any, int]:
        # an improvement must beat the best by a relative 1e-6 (noise in the last digits is none)
        rule = EarlyStopping(patience=int(self.patience), rtol=1e-6)
        stopping, best_state = rule.init(), None
        batch = int(self.batch_size)
        for _ in range(int(self.max_epochs)):
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
            if decision.stop:
                break
        # best epoch counted from 0; 0 with best_state None when no validation loss was finite
        return float(stopping.best), best_state, max(int(stopping.best_index), 0)

    # evaluation --------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "flow_"):
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet; call fit(X) first")

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

    def score(self, X: Any, y: Any = None) -> float:
        """Mean log-likelihood per sample of ``X``."""
        return float(np.mean(self.log_prob(X)))

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
    def _payload(self) -> dict[str, Any]:
        self._check_fitted()
        params = self.get_params()
        params["hidden_features"] = list(params["hidden_features"])
        return {
            "format": FORMAT,
            "kind": "FlowDensity",
            "params": params,
            "n_features_in": int(self.n_features_in_),
            "n_samples_fit": int(self.n_samples_fit_),
            "mean": torch.as_tensor(self.mean_),
            "scale": torch.as_tensor(self.scale_),
            "support_low": torch.as_tensor(self.support_low_),
            "support_high": torch.as_tensor(self.support_high_),
            "history": {k: [float(x) for x in v] for k, v in self.history_.items()},
            "best_epoch": int(self.best_epoch_),
            "state_dict": {k: v.detach().cpu() for k, v in self.flow_.state_dict().items()},
        }

    @classmethod
    def _from_payload(cls, data: dict[str, Any], device: str | None = None) -> FlowDensity:
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
        est.flow_ = est._build(d)
        est.flow_.load_state_dict(data["state_dict"])
        est.flow_.eval()
        est._set_exact(True)
        return est

    def __getstate__(self) -> dict[str, Any]:
        # tensors and plain values only, so that pickles (e.g. from process pools) carry no zuko objects
        state = {k: v for k, v in self.__dict__.items() if not k.endswith("_")}
        if hasattr(self, "flow_"):
            state["_payload"] = self._payload()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        payload = state.pop("_payload", None)
        if payload is None:
            self.__dict__.update(state)
        else:
            self.__dict__.update(self._from_payload(payload).__dict__)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted flow to ``path`` (a torch file of tensors and plain values)."""
        write_payload(path, self._payload())

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, device: str | None = None) -> FlowDensity:
        """Read a flow written by :meth:`save` (``weights_only=True``: loading runs no code)."""
        data = read_payload(path)
        check_kind(path, data, cls)
        return cls._from_payload(data, device=device)
