"""Autoencoders as vectorised ensembles: the tied-weight single layer and deep MLP encoders/decoders.

An autoencoder f_dec ∘ f_enc : R^N → R^d → R^N is trained to reconstruct its inputs,
L = ||f_dec(f_enc(x)) − x||², and the reconstruction error is its anomaly score (the Walsh
and Kahn talks). Every model here is an ensemble of ``n_members``
independent autoencoders stored as stacked tensors with a leading member axis, so that K
seeds train at once (batched matrix products) and every statement about an autoencoder can
carry its seed-to-seed spread:

* :class:`TiedAutoencoderEnsemble`: one layer with tied weights (Walsh talk), encoder
  y = f(Wx + a), decoder x̂ = Wᵀy + c, with W of shape (d, N) and biases a ∈ R^d, c ∈ R^N
  (the talk writes ``f(Wx + b)`` and ``Wᵀy − b``; the two biases live in different spaces
  unless d = N, so each has its own vector). With a linear f the optimum is PCA (Baldi &
  Hornik 1989): W has orthonormal rows spanning the top-d principal subspace and the biases
  remove the sample mean, x̂ = x̄ + WᵀW (x − x̄).
* :class:`AutoencoderEnsemble`: MLP encoder N → ... → d and decoder d → ... → N, tanh hidden
  layers and linear outputs (latent and reconstruction), as in the backup slide of the Kahn
  talk; built from two :class:`~physml.nets.MLPEnsemble` s.

:func:`train_autoencoders` trains any of them by minibatch Adam (or SGD) with early stopping
per member on a validation set; :class:`Autoencoder` is the scikit-learn style estimator
around both.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from physml._core import (
    Interval,
    ModelMixin,
    Options,
    Predicate,
    arrays_to_state,
    check_array,
    check_choice,
    check_int,
    check_real,
    check_seed,
    derive_seed,
    spawn_seeds,
    state_to_arrays,
    torch_dtype,
    torch_generator,
)
from physml.nets._activations import ACTIVATIONS, Activation, get_activation
from physml.nets._mlp import _check_widths
from physml.nets._mlp_ensemble import MLPEnsemble, _as_tensor
from physml.training import CosineSchedule, EarlyStopping, set_learning_rate

__all__ = [
    "Autoencoder",
    "AutoencoderEnsemble",
    "AutoencoderTraining",
    "TiedAutoencoderEnsemble",
    "train_autoencoders",
]


def _training_data(
    x: np.ndarray | torch.Tensor, name: str, n_members: int, n_features: int, dtype: torch.dtype
) -> torch.Tensor:
    """Training or validation data shared by all members, (n, N), or one set per member, (n_members, n, N)."""
    t = _as_tensor(x, name, n_features, dtype)
    if t.dim() == 3 and t.shape[0] != n_members:
        raise ValueError(
            f"{name} with one data set per member must have shape ({n_members}, n, {n_features}): its "
            f"first axis must match model.n_members = {n_members}; got {tuple(t.shape)}"
        )
    if t.shape[-2] < 1:
        raise ValueError(f"{name} needs at least one sample, got shape {tuple(t.shape)}")
    return t


class _AutoencoderBase(torch.nn.Module):
    """What every autoencoder ensemble shares: reconstruction and its error."""

    n_members: int
    n_features: int
    latent_dim: int

    def encode(self, x: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def decode(self, y: torch.Tensor) -> torch.Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def dtype(self) -> torch.dtype:
        """The floating-point type of the parameters (inputs are converted to it)."""
        return next(self.parameters()).dtype

    def _expand(self, x: torch.Tensor, width: int, name: str) -> torch.Tensor:
        if x.dim() == 2:
            x = x.unsqueeze(0).expand(self.n_members, -1, -1)
        if x.dim() != 3 or x.shape[0] != self.n_members or x.shape[2] != width:
            raise ValueError(
                f"{name} must have shape (batch, {width}) or ({self.n_members}, batch, {width}); "
                f"got {tuple(x.shape)}"
            )
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstructions, shape (n_members, batch, N), of x (batch, N) or (n_members, batch, N)."""
        return self.decode(self.encode(x))

    def reconstruction_error(self, x: np.ndarray | torch.Tensor, *, batch_size: int = 65536) -> np.ndarray:
        """The anomaly score ||x̂ − x||² of every member for every sample (no gradients).

        Parameters
        ----------
        x : array, shape (n_samples, N) or (n_members, n_samples, N)
            Points scored by every member, or one set per member (member i scores ``x[i]``).
        batch_size : int
            Samples per forward pass.

        Returns
        -------
        ndarray, shape (n_members, n_samples)
        """
        t = _as_tensor(x, "x", self.n_features, self.dtype)
        if t.dim() == 3 and t.shape[0] != self.n_members:
            raise ValueError(
                f"x with one set per member must have shape ({self.n_members}, n_samples, {self.n_features}) "
                f"(n_members = {self.n_members}); got {tuple(t.shape)}"
            )
        out = []
        with torch.no_grad():
            for start in range(0, t.shape[-2], batch_size):
                xb = t[..., start : start + batch_size, :]
                out.append(((self(xb) - xb) ** 2).sum(dim=2))
        return torch.cat(out, dim=1).double().numpy()

    def latent(self, x: np.ndarray | torch.Tensor) -> np.ndarray:
        """Latent coordinates f_enc(x) of every member, shape (n_members, n_samples, d)."""
        t = _as_tensor(x, "x", self.n_features, self.dtype)
        with torch.no_grad():
            return self.encode(t).double().numpy()


class TiedAutoencoderEnsemble(_AutoencoderBase):
    """``n_members`` tied-weight single-layer autoencoders x ↦ Wᵀ f(Wx + a) + c.

    Parameters
    ----------
    n_members : int
    n_features : int
        Input dimension N.
    latent_dim : int
        Latent dimension d, 1 <= d < N.
    activation : str or callable
        f; ``"linear"`` (the PCA case) by default.
    seed : int
        Member i draws W with entries N(0, 1/N) from ``spawn_seeds(seed, n_members)[i]``;
        the biases a and c start at zero.

    Attributes
    ----------
    weight : Parameter, shape (n_members, d, N)
    encoder_bias : Parameter, shape (n_members, d)
        a.
    decoder_bias : Parameter, shape (n_members, N)
        c.
    dtype : torch.dtype
    """

    def __init__(
        self,
        n_members: int,
        n_features: int,
        latent_dim: int,
        activation: str | Activation = "linear",
        *,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ):
        super().__init__()
        self.n_members = check_int(n_members, "n_members", low=1)
        self.n_features = check_int(n_features, "n_features", low=2)
        self.latent_dim = check_int(latent_dim, "latent_dim", low=1)
        if self.latent_dim >= self.n_features:
            raise ValueError(
                f"latent_dim must be below n_features = {self.n_features} (a bottleneck), "
                f"got {self.latent_dim}"
            )
        self.activation_spec = activation
        self.activation = get_activation(activation)
        seed = check_seed(seed)
        w = torch.stack(
            [
                torch.randn(
                    self.latent_dim, self.n_features, generator=torch_generator(s), dtype=torch.float64
                )
                for s in spawn_seeds(seed, self.n_members)
            ]
        ) / math.sqrt(self.n_features)
        self.weight = torch.nn.Parameter(w.to(dtype))
        self.encoder_bias = torch.nn.Parameter(torch.zeros(self.n_members, self.latent_dim, dtype=dtype))
        self.decoder_bias = torch.nn.Parameter(torch.zeros(self.n_members, self.n_features, dtype=dtype))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """y = f(Wx + a), shape (n_members, batch, d)."""
        x = self._expand(x, self.n_features, "x")
        z = torch.einsum("edn,ebn->ebd", self.weight, x)
        return self.activation(z + self.encoder_bias.unsqueeze(1))

    def decode(self, y: torch.Tensor) -> torch.Tensor:
        """x̂ = Wᵀy + c, shape (n_members, batch, N)."""
        y = self._expand(y, self.latent_dim, "y")
        return torch.einsum("edn,ebd->ebn", self.weight, y) + self.decoder_bias.unsqueeze(1)

    def extra_repr(self) -> str:
        return f"n_members={self.n_members}, n_features={self.n_features}, latent_dim={self.latent_dim}"


class AutoencoderEnsemble(_AutoencoderBase):
    """``n_members`` MLP autoencoders: encoder ``encoder_widths`` (N → ... → d) and decoder
    ``decoder_widths`` (d → ... → N), hidden layers ``activation``, latent and output linear.

    Parameters
    ----------
    n_members : int
    encoder_widths : sequence of int
        E.g. ``(3, 64, 64, 2)``: N = 3 inputs, two hidden layers of 64, latent d = 2 < N.
    decoder_widths : sequence of int, optional
        Must start at d and end at N; the mirror image of the encoder by default.
    activation : str or callable
        Hidden-layer activation, ``"tanh"`` by default (the Kahn talk).
    seed : int
        Encoder and decoder are drawn with the critical initialisation of ``activation``
        (:func:`physml.nets.initialize`) from seeds derived from ``seed``.
    dtype : torch.dtype
    """

    def __init__(
        self,
        n_members: int,
        encoder_widths: Sequence[int],
        decoder_widths: Sequence[int] | None = None,
        activation: str | Activation = "tanh",
        *,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ):
        super().__init__()
        self.n_members = check_int(n_members, "n_members", low=1)
        enc = _check_widths(encoder_widths)
        dec = list(reversed(enc)) if decoder_widths is None else _check_widths(decoder_widths)
        self.n_features, self.latent_dim = enc[0], enc[-1]
        if self.latent_dim >= self.n_features:
            raise ValueError(
                f"the latent dimension encoder_widths[-1] = {self.latent_dim} must be below the input "
                f"dimension encoder_widths[0] = {self.n_features} (a bottleneck); got encoder_widths={enc}"
            )
        if dec[0] != self.latent_dim or dec[-1] != self.n_features:
            raise ValueError(
                f"decoder_widths must start at the latent dimension {self.latent_dim} and end at the input "
                f"dimension {self.n_features}; got decoder_widths={dec} for encoder_widths={enc}"
            )
        seed = check_seed(seed)
        if isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2**62))
        self.encoder_widths, self.decoder_widths = tuple(enc), tuple(dec)
        self.activation_spec = activation
        self.encoder = MLPEnsemble(n_members, enc, activation, seed=derive_seed(seed, "encoder")).to(dtype)
        self.decoder = MLPEnsemble(n_members, dec, activation, seed=derive_seed(seed, "decoder")).to(dtype)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Latent coordinates, shape (n_members, batch, d)."""
        return self.encoder(self._expand(x, self.n_features, "x"))

    def decode(self, y: torch.Tensor) -> torch.Tensor:
        """Reconstructions, shape (n_members, batch, N)."""
        return self.decoder(self._expand(y, self.latent_dim, "y"))

    def extra_repr(self) -> str:
        return f"n_members={self.n_members}, encoder={self.encoder_widths}, decoder={self.decoder_widths}"


@dataclass(frozen=True)
class AutoencoderTraining:
    """What :func:`train_autoencoders` did.

    Attributes
    ----------
    train_loss : ndarray, shape (n_epochs_run, n_members)
        Mean squared reconstruction error per feature on the training set in each epoch.
    validation_loss : ndarray, shape (n_epochs_run, n_members)
        The same on the validation set after each epoch (NaN without validation data).
    best_epoch : ndarray of int, shape (n_members,)
        Epoch (from 1) whose parameters each member kept (the last one without validation data).
    stopped_epoch : ndarray of int, shape (n_members,)
        Epoch at which each member's patience ran out (``n_epochs_run`` if it never did).
    """

    train_loss: np.ndarray
    validation_loss: np.ndarray
    best_epoch: np.ndarray
    stopped_epoch: np.ndarray

    @property
    def best_validation_loss(self) -> np.ndarray:
        """Each member's validation loss at its best epoch, shape (n_members,)."""
        return self.validation_loss[self.best_epoch - 1, np.arange(len(self.best_epoch))]


def train_autoencoders(
    model: _AutoencoderBase,
    x: np.ndarray | torch.Tensor,
    *,
    validation: np.ndarray | torch.Tensor | None = None,
    epochs: int = 200,
    batch_size: int = 256,
    learning_rate: float = 1e-3,
    optimizer: str = "adam",
    schedule: str = "constant",
    patience: int | None = 20,
    seed: int = 0,
) -> AutoencoderTraining:
    """Train every member of an autoencoder ensemble at once, with early stopping per member.

    Each member minimises its own mean squared reconstruction error on its own shuffling of
    its training data: ``x`` shared by all members, or one data set per member (member i trains
    on ``x[i]`` and stops early on ``validation[i]``, as if it were trained alone on a sample of
    its own; this is what makes the members independent trainings, data draw included). The
    summed loss has independent gradients per member and Adam and SGD act elementwise, so one
    step on the stacked parameters is one independent step of every member.
    After each epoch every member's validation loss is measured; a member keeps the parameters
    of its best epoch and stops (is held there) once ``patience`` epochs pass without a new best
    (:class:`physml.training.EarlyStopping` with one state per member). Training ends when
    every member has stopped or after ``epochs``.

    Parameters
    ----------
    model : TiedAutoencoderEnsemble or AutoencoderEnsemble
    x : array, shape (n_samples, N) or (n_members, n_samples, N)
        Training data (finite), shared by all members or one set per member.
    validation : array, shape (n_val, N) or (n_members, n_val, N), optional
        Held-out data for early stopping, shared or one set per member (either form with
        either form of ``x``); without it no member stops early.
    epochs, batch_size : int
    learning_rate : float
    optimizer : {"adam", "sgd"}
    schedule : {"constant", "cosine"}
        Constant learning rate, or cosine annealing to zero over ``epochs`` (which removes the
        end-of-training noise of the stochastic gradient; :class:`physml.training.CosineSchedule`).
    patience : int or None
        Epochs without improvement before a member stops; ``None`` never stops.
    seed : int
        Member i shuffles with ``spawn_seeds(seed, n_members)[i]``.

    Returns
    -------
    AutoencoderTraining

    Raises
    ------
    ValueError
        Data of the wrong width, with NaN/inf, without samples, or one set per member whose
        first axis is not ``model.n_members``.
    """
    if not isinstance(model, _AutoencoderBase):
        raise TypeError(
            f"model must be a TiedAutoencoderEnsemble or an AutoencoderEnsemble, got {type(model).__name__}"
        )
    dtype = model.dtype
    xt = _training_data(x, "x", model.n_members, model.n_features, dtype)
    vt = None
    if validation is not None:
        vt = _training_data(validation, "validation", model.n_members, model.n_features, dtype)
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    check_choice(optimizer, "optimizer", ("adam", "sgd"))
    check_choice(schedule, "schedule", ("constant", "cosine"))
    if patience is not None:
        patience = check_int(patience, "patience", low=1)
    seed = check_seed(seed)
    if isinstance(seed, np.random.Generator):
        seed = int(seed.integers(2**62))

    e = model.n_members
    n = xt.shape[-2]
    members = torch.arange(e).unsqueeze(1)  # (members, 1): row i of a minibatch index comes from x[i]
    params = list(model.parameters())
    opt = (torch.optim.Adam if optimizer == "adam" else torch.optim.SGD)(params, lr=learning_rate)
    generators = [torch_generator(s) for s in spawn_seeds(seed, e)]
    best = [p.detach().clone() for p in params]
    rule = EarlyStopping(patience=patience)  # one rule per member; patience None: never stops
    stopping = rule.init(e)
    cosine = CosineSchedule(learning_rate, decay_steps=epochs)
    train_hist, val_hist = [], []
    model.train()
    for epoch in range(epochs):
        if schedule == "cosine":
            set_learning_rate(opt, cosine(epoch))
        total = torch.zeros(e, dtype=torch.float64)
        if batch_size >= n:
            # full batch: the order does not matter, and every member sees all of its (uncopied) data
            per_member = ((model(xt) - xt) ** 2).mean(dim=(1, 2))
            opt.zero_grad(set_to_none=True)
            per_member.sum().backward()
            opt.step()
            total += per_member.detach().double() * n
        else:
            order = torch.stack([torch.randperm(n, generator=g) for g in generators])
            for start in range(0, n, batch_size):
                idx = order[:, start : start + batch_size]
                xb = xt[idx] if xt.dim() == 2 else xt[members, idx]  # (members, batch, N)
                per_member = ((model(xb) - xb) ** 2).mean(dim=(1, 2))
                opt.zero_grad(set_to_none=True)
                per_member.sum().backward()
                opt.step()
                total += per_member.detach().double() * idx.shape[1]
        stopped = torch.from_numpy(stopping.stopped)
        if bool(stopped.any()):
            with torch.no_grad():
                for p, b in zip(params, best, strict=True):
                    p[stopped] = b[stopped]
        train_hist.append((total / n).numpy())
        if not np.all(np.isfinite(train_hist[-1])):
            raise FloatingPointError(
                f"training diverged at epoch {epoch + 1}; lower learning_rate (now {learning_rate})"
            )
        if vt is None:
            val_hist.append(np.full(e, np.nan))
            continue
        with torch.no_grad():
            val = torch.from_numpy(model.reconstruction_error(vt).mean(axis=1) / model.n_features)
        val_hist.append(val.numpy())
        stopping, decision = rule.update(stopping, val.numpy())
        improved = torch.from_numpy(decision.improved)
        if bool(improved.any()):
            with torch.no_grad():
                for p, b in zip(params, best, strict=True):
                    b[improved] = p.detach()[improved]
        if bool(decision.stop.all()):
            break
    n_run = len(train_hist)
    if vt is not None:
        with torch.no_grad():
            for p, b in zip(params, best, strict=True):
                p.copy_(b)
        # a member whose validation loss was never finite keeps its initial parameters and
        # reports best_epoch = epochs, as before
        best_epoch = np.where(stopping.best_index >= 0, stopping.best_index + 1, epochs)
    else:
        best_epoch = np.full(e, n_run)
    stopped_epoch = np.where(stopping.stopped, stopping.stop_index + 1, n_run)
    model.eval()
    return AutoencoderTraining(np.array(train_hist), np.array(val_hist), best_epoch, stopped_epoch)


def _widths(value: Any) -> bool:
    """A sequence of positive ints (possibly empty)."""
    return isinstance(value, (list, tuple)) and all(
        isinstance(w, numbers.Integral) and not isinstance(w, bool) and w >= 1 for w in value
    )


class Autoencoder(ModelMixin, TransformerMixin, BaseEstimator):
    """Autoencoder anomaly scores for your own data, in the scikit-learn style.

    Fits ``n_members`` autoencoders (an ensemble, for the seed-to-seed spread) on the rows of
    ``X`` and scores new rows by their reconstruction error ||x̂ − x||², the larger the more
    anomalous. Inputs are standardised feature by feature with the training mean and standard
    deviation before encoding (scores are in these standardised units).

    This is the estimator face of the ensembles: ``n_members=K`` trains K autoencoders at once
    (:class:`AutoencoderEnsemble`, or :class:`TiedAutoencoderEnsemble` with ``tied=True``), and
    :meth:`from_ensemble` wraps an ensemble trained elsewhere (e.g. by :func:`train_autoencoders`).
    A physml model (docs/architecture.md, "One model contract"): ``score_samples(X)`` is the
    anomaly score of each row (the reconstruction error averaged over the members, larger = more
    anomalous, as in :mod:`physml.anomaly`), ``score(X)`` its mean (the mean reconstruction
    error: lower means the data are reconstructed better); ``save``/``load`` write the
    ensemble's weights in the one model-file format.

    Parameters
    ----------
    latent_dim : int
        d, below the number of features.
    hidden : sequence of int
        Hidden widths of the encoder (the decoder mirrors them); ``()`` with ``tied=True`` or
        ``activation="linear"`` gives a single layer.
    activation : str
        Hidden-layer activation (tanh by default); for ``tied=True`` the latent activation.
    tied : bool
        The tied-weight single layer (:class:`TiedAutoencoderEnsemble`) instead of an MLP.
    n_members : int
    epochs, batch_size, learning_rate, patience, schedule
        As in :func:`train_autoencoders`.
    validation_fraction : float
        Fraction of the rows held out for early stopping, in [0, 1).
    seed : int or numpy.random.Generator
        The network weights, the validation split (``derive_seed(seed, "split")``) and the
        shuffling (``derive_seed(seed, "training")``).

    Attributes
    ----------
    model_ : TiedAutoencoderEnsemble or AutoencoderEnsemble
    training_ : AutoencoderTraining or None
        None for a model made by :meth:`from_ensemble`.
    mean_, scale_ : ndarray, shape (n_features,)
    n_features_in_ : int
    """

    _score_samples_kind = "anomaly"
    #: NaN for the epochs without a validation set: a record of training, not a parameter
    _nonfinite_arrays: ClassVar[tuple[str, ...]] = ("validation_loss",)
    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "latent_dim": [Interval(int, 1, None)],
        "hidden": [Predicate(_widths, "a sequence of positive ints")],
        "activation": [Options(*ACTIVATIONS), "callable"],
        "tied": ["boolean"],
        "n_members": [Interval(int, 1, None)],
        "epochs": [Interval(int, 1, None)],
        "batch_size": [Interval(int, 1, None)],
        "learning_rate": [Interval(float, 0, None, closed="neither")],
        "patience": [None, Interval(int, 1, None)],
        "schedule": [Options("constant", "cosine")],
        "validation_fraction": [Interval(float, 0, 1, closed="left")],
        "seed": ["seed"],
    }
    _data_kind: ClassVar[str] = "real"

    def __init__(
        self,
        latent_dim: int = 2,
        hidden: Sequence[int] = (64, 64),
        *,
        activation: str = "tanh",
        tied: bool = False,
        n_members: int = 1,
        epochs: int = 300,
        batch_size: int = 256,
        learning_rate: float = 1e-3,
        patience: int | None = 30,
        schedule: str = "constant",
        validation_fraction: float = 0.2,
        seed: int | np.random.Generator = 0,
    ):
        self.latent_dim = latent_dim
        self.hidden = hidden
        self.activation = activation
        self.tied = tied
        self.n_members = n_members
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.schedule = schedule
        self.validation_fraction = validation_fraction
        self.seed = seed

    def fit(self, X: np.ndarray, y: None = None) -> Autoencoder:
        """Standardise ``X`` (n_samples, n_features), split off a validation set and train."""
        self._validate_params()
        x = check_array(X, "X", ndim=2, min_samples=2)
        n, p = x.shape
        d = int(self.latent_dim)
        if d >= p:
            raise ValueError(f"latent_dim must be below the number of features {p}, got {d}")
        if self.tied and len(self.hidden):
            raise ValueError(
                f"a tied autoencoder has a single layer; pass hidden=() (got {tuple(self.hidden)})"
            )
        frac = float(self.validation_fraction)
        seed = self.seed
        if isinstance(seed, np.random.Generator):
            seed = int(seed.integers(2**62))
        self.mean_ = x.mean(axis=0)
        scale = x.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        z = (x - self.mean_) / self.scale_
        perm = np.random.default_rng(derive_seed(seed, "split")).permutation(n)
        n_val = int(round(frac * n))
        val, train = z[perm[:n_val]], z[perm[n_val:]]
        if len(train) == 0:
            raise ValueError(f"validation_fraction={frac} leaves no training rows out of {n}")
        self.model_ = self._ensemble(p, seed)
        self.training_ = train_autoencoders(
            self.model_,
            train,
            validation=val if n_val else None,
            epochs=self.epochs,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            patience=self.patience,
            schedule=self.schedule,
            seed=derive_seed(seed, "training"),
        )
        self.n_features_in_ = p
        return self

    def _ensemble(self, n_features: int, seed: int, dtype: torch.dtype = torch.float32) -> _AutoencoderBase:
        if self.tied:
            return TiedAutoencoderEnsemble(
                self.n_members, n_features, self.latent_dim, self.activation, seed=seed, dtype=dtype
            )
        widths = [n_features, *self.hidden, self.latent_dim]
        return AutoencoderEnsemble(self.n_members, widths, None, self.activation, seed=seed, dtype=dtype)

    @classmethod
    def from_ensemble(
        cls,
        model: TiedAutoencoderEnsemble | AutoencoderEnsemble,
        *,
        mean: np.ndarray | None = None,
        scale: np.ndarray | None = None,
        **params: Any,
    ) -> Autoencoder:
        """The estimator of an ensemble trained elsewhere (e.g. by :func:`train_autoencoders`),
        which then scores, transforms, saves and loads like a fitted one.

        Parameters
        ----------
        model : TiedAutoencoderEnsemble or AutoencoderEnsemble
            Used as is (not copied). An :class:`AutoencoderEnsemble` must have the mirrored
            decoder that ``hidden`` describes.
        mean, scale : array, shape (n_features,), optional
            The standardisation the ensemble was trained in, x ↦ (x − mean) / scale; by default
            none (mean 0, scale 1): the ensemble scores the data as they are.
        **params
            Training settings recorded with the model (``epochs``, ``seed``, ...). The
            architecture (``latent_dim``, ``hidden``, ``activation``, ``tied``, ``n_members``)
            is read from ``model``.
        """
        if not isinstance(model, _AutoencoderBase):
            raise TypeError("model must be a TiedAutoencoderEnsemble or an AutoencoderEnsemble, "
                            f"got {type(model).__name__}")
        if isinstance(model, TiedAutoencoderEnsemble):
            arch: dict[str, Any] = {"tied": True, "hidden": ()}
        else:
            enc = model.encoder_widths
            if model.decoder_widths != tuple(reversed(enc)):
                raise ValueError(
                    f"the ensemble's decoder {model.decoder_widths} is not the mirror of its encoder {enc}; "
                    "an Autoencoder describes mirrored ones only"
                )
            arch = {"tied": False, "hidden": tuple(enc[1:-1])}
        arch.update(latent_dim=model.latent_dim, activation=model.activation_spec, n_members=model.n_members)
        clash = sorted(set(arch) & set(params))
        if clash:
            raise TypeError(f"from_ensemble reads {', '.join(clash)} from the model; do not pass them")
        est = cls(**arch, **params)
        est._validate_params()
        p = model.n_features
        est.mean_ = np.zeros(p) if mean is None else check_array(mean, "mean", shape=(p,))
        est.scale_ = np.ones(p) if scale is None else check_array(scale, "scale", shape=(p,))
        if not np.all(est.scale_ > 0):
            raise ValueError("scale must be positive")
        est.model_ = model.eval()
        est.training_ = None
        est.n_features_in_ = p
        return est

    def _standardised(self, X: np.ndarray) -> np.ndarray:
        check_is_fitted(self)
        x = check_array(X, "X", ndim=2)
        if x.shape[1] != self.n_features_in_:
            raise ValueError(
                f"X has {x.shape[1]} features, the autoencoder was fitted on {self.n_features_in_}"
            )
        return (x - self.mean_) / self.scale_

    def member_scores(self, X: np.ndarray) -> np.ndarray:
        """Reconstruction error of every member, shape (n_members, n_samples)."""
        z = self._standardised(X)
        return self.model_.reconstruction_error(z)

    def score_samples(self, X: np.ndarray) -> np.ndarray:
        """The anomaly score of each row: the reconstruction error averaged over the members,
        shape (n_samples,); larger = more anomalous."""
        return self.member_scores(X).mean(axis=0)

    def anomaly_score(self, X: np.ndarray) -> np.ndarray:
        """Reconstruction error averaged over the members, shape (n_samples,) (the same as
        :meth:`score_samples`)."""
        return self.score_samples(X)

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Latent coordinates of every member, shape (n_members, n_samples, latent_dim)."""
        z = self._standardised(X)
        return self.model_.latent(z)

    # -- files ----------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        meta: dict[str, Any] = {
            "n_features_in": int(self.n_features_in_),
            "dtype": str(self.model_.dtype).removeprefix("torch."),
            "trained": self.training_ is not None,
        }
        arrays, _ = state_to_arrays(self.model_.state_dict(), "net")
        arrays.update(mean=self.mean_, scale=self.scale_)
        if self.training_ is not None:
            t = self.training_
            arrays.update(train_loss=t.train_loss, validation_loss=t.validation_loss,
                          best_epoch=t.best_epoch, stopped_epoch=t.stopped_epoch)
        return meta, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.n_features_in_ = int(meta["n_features_in"])
        model = self._ensemble(self.n_features_in_, 0, torch_dtype(meta["dtype"]))
        model.load_state_dict(arrays_to_state(arrays, None, "net"))
        self.model_ = model.eval()
        self.mean_, self.scale_ = arrays["mean"], arrays["scale"]
        self.training_ = None
        if meta["trained"]:
            self.training_ = AutoencoderTraining(arrays["train_loss"], arrays["validation_loss"],
                                                 arrays["best_epoch"], arrays["stopped_epoch"])
