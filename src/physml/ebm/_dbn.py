"""Deep belief networks by greedy layer-wise stacking of RBMs (Hinton, Osindero, Teh,
"A fast learning algorithm for deep belief nets", Neural Computation 18, 1527 (2006)).

The first RBM models the data; RBM l+1 models the hidden representation of RBM l (its
probabilities p(h|v), or binary samples from them). The generative model is the top RBM
(an undirected associative memory) over the two top layers, with directed sigmoid
connections p(h_{l−1} | h_l) downwards given by the lower RBMs' visible conditionals.
No up-down fine-tuning is done.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.exceptions import NotFittedError

from physml._core import (
    ModelMixin,
    Options,
    Predicate,
    check_int,
    derive_seed,
    encode_param,
    model_format,
    nested_model,
    nested_state,
    torch_generator,
)
from physml.ebm._rbm import RBM, TRAINING_CONSTRAINTS
from physml.ebm._rbm_model import _VISIBLE, _seed_int, bernoulli, check_visible_data

__all__ = ["DBN"]


def _layer_widths(value: Any) -> bool:
    return (isinstance(value, Sequence) and not isinstance(value, str) and len(value) > 0
            and all(isinstance(n, numbers.Integral) and not isinstance(n, bool) and n >= 1 for n in value))


class DBN(ModelMixin, TransformerMixin, BaseEstimator):
    """Deep belief network: a stack of RBMs trained greedily, layer by layer.

    A physml model (docs/architecture.md, "One model contract"): parameters checked in ``fit``,
    ``save``/``load`` through the one model-file format (every layer's parameters). It has
    no ``score``: the likelihood of a DBN is intractable (use the layers' own scores).

    Parameters
    ----------
    layers : sequence of int
        Hidden layer widths, bottom to top, e.g. ``(256, 64)``.
    visible : {"bernoulli", "gaussian"}
        Unit type of the data layer (the upper layers are Bernoulli).
    propagate : {"mean", "sample"}
        What each RBM passes to the next as training data: p(h=1|v) ("mean", the usual
        choice) or one binary sample h ~ p(h|v) per data point ("sample").
    learning_rate, batch_size, n_iter, method, k, weight_decay, momentum, weight_scale
        Passed to every layer's :class:`~physml.ebm.RBM`.
    rbm_params : dict, optional
        Further :class:`RBM` parameters for every layer (e.g. ``{"n_chains": 50}``).
    seed : int
        Layer l is trained with seed ``derive_seed(seed, "dbn-layer", l)``.
    device, dtype
        As for :class:`RBM`.

    Attributes
    ----------
    rbms_ : list of RBM
        The fitted layers, bottom first.
    n_features_in_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        **TRAINING_CONSTRAINTS,
        "layers": [Predicate(_layer_widths, "a non-empty sequence of positive ints")],
        "visible": [Options(*_VISIBLE)],
        "propagate": [Options("mean", "sample")],
        "rbm_params": [None, dict],
    }
    _data_kind: ClassVar[str] = "binary"
    #: 1: each layer's RBM ``{"params", "state"}``, arrays under ``layer<i>_``;
    #: 2: each layer a nested RBM record (:func:`physml._core.nested_state`), arrays under ``layer<i>.``.
    _file_versions: ClassVar[tuple[int, ...]] = (1, 2)

    def __init__(
        self,
        layers: Sequence[int] = (256, 64),
        *,
        visible: str = "bernoulli",
        propagate: str = "mean",
        learning_rate: float = 0.1,
        batch_size: int = 10,
        n_iter: int = 10,
        method: str = "pcd",
        k: int = 1,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        weight_scale: float = 0.01,
        rbm_params: dict[str, Any] | None = None,
        seed: int = 0,
        device: str = "cpu",
        dtype: str = "float32",
    ):
        self.layers = layers
        self.visible = visible
        self.propagate = propagate
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.n_iter = n_iter
        self.method = method
        self.k = k
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.weight_scale = weight_scale
        self.rbm_params = rbm_params
        self.seed = seed
        self.device = device
        self.dtype = dtype

    def _layer_rbm(self, index: int, n_hidden: int) -> RBM:
        params = dict(
            n_components=n_hidden, visible=self.visible if index == 0 else "bernoulli",
            learning_rate=self.learning_rate, batch_size=self.batch_size, n_iter=self.n_iter,
            method=self.method, k=self.k, weight_decay=self.weight_decay, momentum=self.momentum,
            weight_scale=self.weight_scale, seed=layer_seed(self.seed, index), device=self.device,
            dtype=self.dtype,
        )
        extra = dict(self.rbm_params or {})
        clash = sorted(set(extra) & {"n_components", "visible", "seed"})
        if clash:
            raise ValueError(f"rbm_params must not set {clash}: they are set per layer by the DBN")
        params.update(extra)
        return RBM(**params)

    def fit(self, X: Any, y: Any = None) -> DBN:
        """Train the layers greedily on ``X`` (n_samples, n_features), bottom first."""
        self._validate_params()
        layers = [int(n) for n in self.layers]
        self.rbms_: list[RBM] = []
        data: Any = X
        g = None
        for i, n_hidden in enumerate(layers):
            rbm = self._layer_rbm(i, n_hidden)
            rbm._validate_params()
            if i == 0:
                arr = check_visible_data(data, rbm.visible, "X")
                self.n_features_in_ = arr.shape[1]
                rbm._start(arr)
                rbm._fit_validated(arr)
            else:
                rbm._start(data)
                rbm._fit_validated(data)
            self.rbms_.append(rbm)
            if i + 1 < len(layers):
                model = rbm.model_
                with torch.no_grad():
                    probs = model.hidden_probs(model.as_tensor(data if i else arr))
                    if self.propagate == "sample":
                        if g is None:
                            seed = derive_seed(_seed_int(self.seed), "dbn-propagate")
                            g = torch_generator(seed, model.device)
                        probs = bernoulli(probs, g)
                data = probs.cpu().numpy()
        return self

    def _fitted(self) -> list[RBM]:
        rbms = self.__dict__.get("rbms_")
        if not rbms:
            raise NotFittedError("This DBN instance is not fitted yet; call 'fit' first")
        return rbms

    def __sklearn_is_fitted__(self) -> bool:
        return bool(self.__dict__.get("rbms_"))

    # -- persistence --------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every layer as a nested RBM record (:func:`physml._core.nested_state`, its arrays
        under ``layer<i>.``)."""
        layers, arrays = [], {}
        for i, rbm in enumerate(self._fitted()):
            record, layer_arrays = nested_state(rbm, f"layer{i}")
            layers.append(record)
            arrays.update(layer_arrays)
        return {"n_features_in_": int(self.n_features_in_), "layers": layers}, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        """Version 2: nested RBM records; version 1 (physml before the nested records): each
        layer's ``{"params", "state"}`` of an RBM file of version 2, its arrays under
        ``layer<i>_``. The layers are built on the DBN's device (a ``device`` given to
        :meth:`load` moves them all)."""
        self.rbms_ = []
        for i, layer in enumerate(meta["layers"]):
            if version == 1:
                layer = {"format": model_format(RBM), "version": 2, **layer}
                old = f"layer{i}_"
                layer_arrays = {f"layer{i}.{k[len(old):]}": v for k, v in arrays.items() if k.startswith(old)}
            else:
                layer_arrays = arrays
            layer = {**layer, "params": {**layer["params"], "device": encode_param(self.device)}}
            self.rbms_.append(nested_model(layer, layer_arrays, f"layer{i}"))
        self.n_features_in_ = int(meta["n_features_in_"])

    def transform(self, X: Any) -> np.ndarray:
        """Top-layer probabilities from a deterministic up pass p(h_l=1 | h_{l−1}),
        shape (n_samples, layers[-1])."""
        rbms = self._fitted()
        x = check_visible_data(X, rbms[0].visible, "X", self.n_features_in_)
        with torch.no_grad():
            t = rbms[0].model_.as_tensor(x)
            for rbm in rbms:
                t = rbm.model_.hidden_probs(t)
            return t.cpu().numpy()

    def sample(self, n_samples: int, n_steps: int = 1000, seed: int | np.random.Generator = 0,
               *, mean: bool = False) -> np.ndarray:
        """Generate data: ``n_steps`` block Gibbs sweeps in the top RBM (from its visible biases),
        then one directed down pass h_{l−1} ~ p(h_{l−1} | h_l) through the lower layers.

        Parameters
        ----------
        mean : bool
            Return E[v | h_1] for the data layer instead of a sample (smoother images).

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_features)
        """
        rbms = self._fitted()
        n_samples = check_int(n_samples, "n_samples", low=1)
        n_steps = check_int(n_steps, "n_steps", low=0)
        top = rbms[-1].model_
        g = torch_generator(seed, top.device)
        with torch.no_grad():
            zeros = torch.zeros(n_samples, top.n_hidden, dtype=top.dtype, device=top.device)
            v = top.gibbs(top.sample_visible(zeros, g), g, n_steps)
            for rbm in reversed(rbms[:-1]):
                h = v
                m = rbm.model_
                if mean and rbm is rbms[0]:
                    v = m.visible_mean(h)
                else:
                    v = m.sample_visible(h, g)
            if mean and len(rbms) == 1:
                v = top.visible_mean(top.sample_hidden(v, g))
            return v.cpu().numpy()


def layer_seed(seed: int | np.random.Generator, index: int) -> int:
    """The seed of layer ``index`` of a DBN with seed ``seed``."""
    return derive_seed(_seed_int(seed), "dbn-layer", int(index))
