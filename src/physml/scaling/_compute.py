"""Compute accounting: parameter and FLOP counts of the networks physml builds, and the total
training compute of a run (the Kaplan talk's "ML by the numbers").

Convention (stated once, followed everywhere):

* a multiply-accumulate in a matrix product or convolution is **2 FLOPs**;
* adding a bias is **1 FLOP per bias element applied** (a dense ``n_in -> n_out`` layer costs
  ``2 n_in n_out + n_out`` per sample; an LSTM layer ``4·2(n_in + n_h)n_h + 8 n_h`` per time
  step, PyTorch keeping two bias vectors per gate);
* elementwise nonlinearities, gate products, pooling, embedding look-ups and the loss are
  **not counted** (they are O(width) per position against the O(width²) products);
* backward ≈ 2 × forward (gradients with respect to activations and to weights each cost one
  product like the forward one), so **training per sample ≈ 3 × forward**, Kaplan et al.'s
  ``C ≈ 6N`` FLOPs per token (arXiv:2001.08361) for a dense network of N parameters.

Counts walk the ``torch.nn`` modules of a model and read the shapes of one forward pass (so
convolution output sizes and sequence lengths are exact); ``torch`` is imported by the functions.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from physml import nets
from physml._core import check_int

__all__ = [
    "ComputeCount",
    "LayerCount",
    "MODEL_FAMILIES",
    "count_flops",
    "model_from_spec",
    "training_compute",
]

#: Families understood by :func:`model_from_spec`, with their syntax.
MODEL_FAMILIES = {
    "mlp": "mlp:784,256,10 (layer widths)",
    "dense": "dense:784,784 (one layer, same as mlp)",
    "cnn": "cnn:1x28x28,16,32[,kernel=3][,pool=4][,classes=10] (input CxHxW, then channels)",
    "rnn": "rnn:IN,HIDDEN[,layers=1][,steps=1][,out=N] (also lstm:, gru:)",
    "lstm": "lstm:IN,HIDDEN[,layers=1][,steps=1][,out=N]",
    "gru": "gru:IN,HIDDEN[,layers=1][,steps=1][,out=N]",
    "autoencoder": "autoencoder:784,128,32 (encoder widths; the decoder mirrors them)",
}


@dataclass(frozen=True)
class LayerCount:
    """One counted module: its name in the model, type, parameters and forward FLOPs per sample."""

    name: str
    kind: str
    parameters: int
    forward_flops: int


@dataclass(frozen=True)
class ComputeCount:
    """Parameters and FLOPs of a model, per sample (see the module docstring for the convention).

    Attributes
    ----------
    parameters : int
        All parameters (trainable or not) of the model.
    embedding_parameters : int
        Of which in embedding tables (Kaplan et al. count N without them).
    forward_flops : int
        One forward pass of one sample.
    layers : tuple of LayerCount
    input_shape : tuple of int
        Shape of one sample.
    """

    parameters: int
    embedding_parameters: int
    forward_flops: int
    layers: tuple[LayerCount, ...] = field(default_factory=tuple)
    input_shape: tuple[int, ...] = ()

    @property
    def backward_flops(self) -> int:
        """≈ 2 × forward (activation and weight gradients)."""
        return 2 * self.forward_flops

    @property
    def training_flops_per_sample(self) -> int:
        """Forward + backward ≈ 3 × forward."""
        return self.forward_flops + self.backward_flops

    def to_dict(self) -> dict[str, Any]:
        return {
            "parameters": self.parameters,
            "embedding_parameters": self.embedding_parameters,
            "forward_flops": self.forward_flops,
            "backward_flops": self.backward_flops,
            "training_flops_per_sample": self.training_flops_per_sample,
            "input_shape": list(self.input_shape),
            "layers": [vars(layer) for layer in self.layers],
        }


def _rnn_flops(m: Any, positions: int) -> int:
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[type(m).__name__]
    if getattr(m, "proj_size", 0):
        raise ValueError(f"cannot count {type(m).__name__} with proj_size={m.proj_size}; use proj_size=0")
    h, dirs = m.hidden_size, 2 if m.bidirectional else 1
    total = 0
    for layer in range(m.num_layers):
        n_in = m.input_size if layer == 0 else h * dirs
        per_step = 2 * gates * h * (n_in + h) + (2 * gates * h if m.bias else 0)
        total += dirs * per_step
    return positions * total


def _positions(out: Any, width: int) -> int:
    return int(out.numel()) // width


def count_flops(model: Any, input_shape: Sequence[int] | None = None, *, example: Any = None) -> ComputeCount:
    """Parameters and forward FLOPs per sample of a torch model, or of a model specification.

    Parameters
    ----------
    model : torch.nn.Module or str
        A specification as for :func:`model_from_spec` (e.g. ``"mlp:784,256,10"``) is counted
        analytically, in integer arithmetic, without building the model (so
        ``"mlp:1000000,1000000,10"``, 10**12 parameters, needs no memory); the result equals the
        count of the built model layer by layer.  Otherwise a module built from ``nn.Linear``,
        ``nn.Conv1d/2d/3d``, ``nn.RNN/LSTM/GRU``, ``nn.Embedding``, parameter-free layers
        (activations, pooling, dropout, flatten), and physml's
        :class:`~physml.nets.MLPEnsemble` and :class:`~physml.nets.TiedAutoencoderEnsemble`
        (counted per member: an ensemble of E members costs E times one).
    input_shape : sequence of int, optional
        Shape of one sample (without the batch axis), e.g. ``(784,)`` or ``(1, 28, 28)``; the
        model is run once on zeros of shape ``(1, *input_shape)``.
    example : tensor, optional
        A batch of one sample to run instead (e.g. integer tokens for a language model).

    Returns
    -------
    ComputeCount

    Raises
    ------
    TypeError
        When a module holding (non-scalar) parameters is of a type the counter does not know
        (its FLOPs would be missed silently otherwise).
    """
    if isinstance(model, str):
        if input_shape is not None or example is not None:
            raise TypeError("with input_shape or example, model must be a torch.nn.Module (a specification "
                            "string fixes its own input)")
        return _count_spec(model)
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(
            f"model must be a torch.nn.Module or a specification string, got {type(model).__name__}"
        )
    if (input_shape is None) == (example is None):
        raise ValueError("give exactly one of input_shape (one sample's shape) and example (a batch of one)")
    if example is None:
        shape = tuple(check_int(s, f"input_shape[{i}]", low=1) for i, s in enumerate(input_shape))
        dtype = next((p.dtype for p in model.parameters() if p.is_floating_point()), torch.float32)
        example = torch.zeros((1, *shape), dtype=dtype)
    if not isinstance(example, torch.Tensor) or example.ndim < 1 or example.shape[0] != 1:
        raise ValueError("example must be a tensor holding a batch of exactly one sample")
    shape = tuple(example.shape[1:])

    free = (
        torch.nn.ReLU, torch.nn.Tanh, torch.nn.Sigmoid, torch.nn.GELU, torch.nn.SiLU, torch.nn.Softplus,
        torch.nn.LeakyReLU, torch.nn.ELU, torch.nn.Identity, torch.nn.Dropout, torch.nn.Flatten,
        torch.nn.Unflatten, torch.nn.MaxPool1d, torch.nn.MaxPool2d, torch.nn.AvgPool1d, torch.nn.AvgPool2d,
        torch.nn.AdaptiveAvgPool2d, torch.nn.AdaptiveMaxPool2d, torch.nn.Softmax, torch.nn.LogSoftmax,
    )
    rnns = (torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU)
    convs = (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)
    counted: list[LayerCount] = []
    hooks = []
    skip: list[str] = []

    def n_params(m: Any) -> int:
        return sum(p.numel() for p in m.parameters())

    def hook_for(name: str, m: Any):
        def hook(mod: Any, inputs: tuple[Any, ...], out: Any) -> None:
            if isinstance(mod, torch.nn.Linear):
                flops = _positions(out, mod.out_features) * (
                    2 * mod.in_features * mod.out_features + (mod.out_features if mod.bias is not None else 0)
                )
            elif isinstance(mod, convs):
                k = math.prod(mod.kernel_size)
                per_out = 2 * (mod.in_channels // mod.groups) * k + (1 if mod.bias is not None else 0)
                flops = int(out.numel()) * per_out
            elif isinstance(mod, rnns):
                x = inputs[0]
                if isinstance(x, torch.nn.utils.rnn.PackedSequence):
                    raise ValueError(f"{name}: cannot count a PackedSequence input; pass a padded batch")
                # every (time step, sequence) position costs one step, batch-first or time-major
                flops = _rnn_flops(mod, _positions(x, mod.input_size))
            elif isinstance(mod, nets.MLPEnsemble):
                pos = _positions(out, mod.widths[-1])
                has_bias = mod.biases is not None
                flops = pos * sum(2 * a * b + (b if has_bias else 0)
                                  for a, b in zip(mod.widths[:-1], mod.widths[1:], strict=True))
            elif isinstance(mod, nets.TiedAutoencoderEnsemble):
                pos = _positions(out, mod.n_features)
                n, d = mod.n_features, mod.latent_dim
                flops = pos * (4 * n * d + d + n)
            else:  # Embedding: a look-up
                flops = 0
            counted.append(LayerCount(name, type(mod).__name__, n_params(mod), int(flops)))

        return hook

    known = (torch.nn.Linear, *convs, *rnns, torch.nn.Embedding, nets.MLPEnsemble,
             nets.TiedAutoencoderEnsemble)
    for name, m in model.named_modules():
        if any(name == s or name.startswith(s + ".") for s in skip):
            continue
        if isinstance(m, known):
            hooks.append(m.register_forward_hook(hook_for(name or type(m).__name__, m)))
            skip.append(name)
            if name == "":
                break
        elif isinstance(m, free):
            continue
        elif any(p.dim() > 0 for p in m.parameters(recurse=False)):
            # (scalar parameters, e.g. a VAE's noise scale, act elementwise: not counted by convention)
            for h in hooks:
                h.remove()
            raise TypeError(
                f"cannot count the FLOPs of module {name or '(model)'!r} of type {type(m).__name__}: "
                "it holds parameters and is not one of Linear, Conv1d/2d/3d, RNN, LSTM, GRU, Embedding, "
                "MLPEnsemble, TiedAutoencoderEnsemble"
            )
    try:
        was_training = model.training
        model.eval()
        with torch.no_grad():
            try:
                model(example)
            except NotImplementedError:
                raise TypeError(
                    f"{type(model).__name__} has no forward(); count its parts (e.g. its encoder and decoder)"
                ) from None
        model.train(was_training)
    finally:
        for h in hooks:
            h.remove()
    embedding = sum(c.parameters for c in counted if c.kind == "Embedding")
    return ComputeCount(
        parameters=n_params(model),
        embedding_parameters=embedding,
        forward_flops=sum(c.forward_flops for c in counted),
        layers=tuple(counted),
        input_shape=shape,
    )


def training_compute(
    count: ComputeCount | int,
    *,
    batch_sizes: Sequence[int] | None = None,
    steps: int | None = None,
    batch_size: int | None = None,
    samples: int | None = None,
) -> float:
    """Total training FLOPs of a run: training FLOPs per sample × samples processed.

    Give the samples processed in exactly one way: the logged ``batch_sizes`` of every step,
    ``steps`` of ``batch_size`` each, or ``samples`` (e.g. epochs × training-set size).

    Parameters
    ----------
    count : ComputeCount or int
        A :func:`count_flops` result, or training FLOPs per sample.

    Returns
    -------
    float
        FLOPs (forward + backward; optimiser updates, O(parameters) per step, not counted).
    """
    if isinstance(count, ComputeCount):
        per = count.training_flops_per_sample
    else:
        per = check_int(count, "count", low=0)
    ways = [batch_sizes is not None, steps is not None or batch_size is not None, samples is not None]
    if sum(ways) != 1:
        raise ValueError(
            "give the samples processed in exactly one way: batch_sizes, steps and batch_size, or samples"
        )
    if batch_sizes is not None:
        total = sum(check_int(b, f"batch_sizes[{i}]", low=0) for i, b in enumerate(batch_sizes))
    elif samples is not None:
        total = check_int(samples, "samples", low=0)
    else:
        if steps is None or batch_size is None:
            raise ValueError("steps and batch_size must be given together")
        total = check_int(steps, "steps", low=0) * check_int(batch_size, "batch_size", low=1)
    return float(per) * float(total)


_SPEC = re.compile(r"^\s*([a-z]+)\s*:\s*(.+?)\s*$")


@dataclass(frozen=True)
class _Spec:
    family: str
    widths: tuple[int, ...] = ()  # mlp, dense, autoencoder
    image: tuple[int, int, int] = (0, 0, 0)  # cnn: C, H, W
    channels: tuple[int, ...] = ()  # cnn
    kernel: int = 3
    pool: int = 4
    classes: int = 10
    n_in: int = 0  # rnn, lstm, gru
    hidden: int = 0
    layers: int = 1
    steps: int = 1
    out: int | None = None


def _parse_spec(spec: str) -> _Spec:
    """Parse and validate a model specification (the checks the models' constructors make, in the
    specification's own words)."""
    accepted = "; ".join(MODEL_FAMILIES.values())
    if not isinstance(spec, str):
        raise TypeError(f"model specification must be a string, got {type(spec).__name__}")
    match = _SPEC.match(spec.lower())
    if match is None or match.group(1) not in MODEL_FAMILIES:
        raise ValueError(f"cannot count model {spec!r}: unknown specification; accepted: {accepted}")
    family, rest = match.groups()
    positional: list[str] = []
    options: dict[str, str] = {}
    for part in (p.strip() for p in rest.split(",")):
        if not part:
            raise ValueError(f"model {spec!r}: empty field; syntax: {MODEL_FAMILIES[family]}")
        if "=" in part:
            key, value = (s.strip() for s in part.split("=", 1))
            options[key] = value
        else:
            positional.append(part)

    def integer(text: str, what: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError(f"model {spec!r}: {what} must be an integer, got {text!r}") from None
        if value < 1:
            raise ValueError(f"model {spec!r}: {what} must be >= 1, got {value}")
        return value

    def take(allowed: Sequence[str]) -> dict[str, int]:
        bad = sorted(set(options) - set(allowed))
        if bad:
            raise ValueError(
                f"model {spec!r}: unknown option(s) {', '.join(bad)}; syntax: {MODEL_FAMILIES[family]}"
            )
        return {k: integer(v, k) for k, v in options.items()}

    if family in ("mlp", "dense", "autoencoder"):
        take(())
        widths = tuple(integer(w, f"width {i}") for i, w in enumerate(positional))
        if len(widths) < 2:
            raise ValueError(f"model {spec!r}: needs at least two widths; syntax: {MODEL_FAMILIES[family]}")
        if family == "autoencoder" and widths[-1] >= widths[0]:
            raise ValueError(
                f"model {spec!r}: the latent width {widths[-1]} must be below the input width {widths[0]}"
            )
        return _Spec(family, widths=widths)
    if family == "cnn":
        opts = take(("kernel", "pool", "classes"))
        if len(positional) < 2:
            raise ValueError(
                f"model {spec!r}: needs an input shape and channels; syntax: {MODEL_FAMILIES['cnn']}"
            )
        try:
            c, h, w = (int(s) for s in positional[0].split("x"))
        except ValueError:
            raise ValueError(
                f"model {spec!r}: input shape must be CxHxW, e.g. 1x28x28; got {positional[0]!r}"
            ) from None
        if min(c, h, w) < 1:
            raise ValueError(f"model {spec!r}: the input shape {positional[0]} must be positive")
        channels = tuple(integer(ch, f"channels[{i}]") for i, ch in enumerate(positional[1:]))
        k, p, n_cls = opts.get("kernel", 3), opts.get("pool", 4), opts.get("classes", 10)
        if k % 2 == 0:
            raise ValueError(f"model {spec!r}: kernel={k} must be odd (symmetric 'same' padding)")
        if h % p or w % p:
            raise ValueError(f"model {spec!r}: pool={p} must divide the image sides {h}x{w}")
        if n_cls < 2:
            raise ValueError(f"model {spec!r}: classes={n_cls} must be >= 2")
        return _Spec(family, image=(c, h, w), channels=channels, kernel=k, pool=p, classes=n_cls)
    opts = take(("layers", "steps", "out"))
    if len(positional) != 2:
        raise ValueError(f"model {spec!r}: needs IN,HIDDEN; syntax: {MODEL_FAMILIES[family]}")
    n_in, hidden = (integer(v, n) for v, n in zip(positional, ("IN", "HIDDEN"), strict=True))
    return _Spec(family, n_in=n_in, hidden=hidden, layers=opts.get("layers", 1), steps=opts.get("steps", 1),
                 out=opts.get("out"))


def model_from_spec(spec: str, *, seed: int = 0) -> tuple[Any, tuple[int, ...]]:
    """Build the model a specification names, and the shape of one input sample.

    Specifications (see :data:`MODEL_FAMILIES`): ``mlp:784,256,10``, ``dense:784,784``,
    ``cnn:1x28x28,16,32,kernel=3,pool=4,classes=10`` (a :class:`physml.nets.ConvNet`),
    ``lstm:IN,HIDDEN,layers=1,steps=T,out=N`` (``rnn:``/``gru:`` alike; an optional linear
    read-out of ``out`` units at every step), ``autoencoder:784,128,32`` (a one-member
    :class:`physml.nets.AutoencoderEnsemble`, decoder mirrored).  To count a specification
    without building it (no memory), pass the specification itself to :func:`count_flops`.

    Raises
    ------
    ValueError
        For an unknown family or malformed arguments, naming what is accepted.
    """
    import torch

    sp = _parse_spec(spec)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if sp.family == "autoencoder":
            return nets.AutoencoderEnsemble(1, list(sp.widths), seed=seed), (sp.widths[0],)
        if sp.family in ("mlp", "dense"):
            return nets.MLP(list(sp.widths)), (sp.widths[0],)
        if sp.family == "cnn":
            c, h, w = sp.image
            net = nets.ConvNet(list(sp.channels), in_channels=c, image_shape=(h, w), kernel_size=sp.kernel,
                               pool=sp.pool, n_classes=sp.classes, seed=seed)
            return net, (c, h, w)
        cell = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[sp.family]
        rnn = cell(sp.n_in, sp.hidden, num_layers=sp.layers, batch_first=True)
        return _Recurrent(rnn, sp.out), (sp.steps, sp.n_in)


def _count_spec(spec: str) -> ComputeCount:
    """Parameters and FLOPs of a model specification, counted analytically (nothing is built).

    Gives exactly what ``count_flops(*model_from_spec(spec))`` gives (the same layers, names and
    convention), in integer arithmetic, for any size: ``mlp:1000000,1000000,10`` has 10**12
    parameters and would need 4 TB to build.

    Parameters
    ----------
    spec : str
        A specification as for :func:`model_from_spec`.

    Returns
    -------
    ComputeCount
    """
    sp = _parse_spec(spec)
    layers: list[LayerCount] = []

    def dense(name: str, kind: str, widths: Sequence[int], positions: int = 1) -> None:
        pairs = list(zip(widths[:-1], widths[1:], strict=True))
        layers.append(LayerCount(name, kind, sum(a * b + b for a, b in pairs),
                                 positions * sum(2 * a * b + b for a, b in pairs)))

    if sp.family in ("mlp", "dense"):
        for i, (a, b) in enumerate(zip(sp.widths[:-1], sp.widths[1:], strict=True)):
            dense(f"layers.{i}", "Linear", (a, b))
        shape: tuple[int, ...] = (sp.widths[0],)
    elif sp.family == "autoencoder":
        dense("encoder", "MLPEnsemble", sp.widths)
        dense("decoder", "MLPEnsemble", sp.widths[::-1])
        shape = (sp.widths[0],)
    elif sp.family == "cnn":
        c_in, h, w = sp.image
        k2 = sp.kernel * sp.kernel
        for i, c in enumerate(sp.channels):
            flops = c * h * w * (2 * c_in * k2 + 1)
            layers.append(LayerCount(f"convs.{i}", "Conv2d", c_in * c * k2 + c, flops))
            c_in = c
        dense("readout", "Linear", (c_in * (h // sp.pool) * (w // sp.pool), sp.classes))
        shape = sp.image
    else:
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[sp.family]
        h, params, per_step = sp.hidden, 0, 0
        for layer in range(sp.layers):
            n_in = sp.n_in if layer == 0 else h
            params += gates * h * (n_in + h) + 2 * gates * h  # PyTorch: two bias vectors per gate
            per_step += 2 * gates * h * (n_in + h) + 2 * gates * h
        layers.append(LayerCount("rnn", {"rnn": "RNN", "lstm": "LSTM", "gru": "GRU"}[sp.family], params,
                                 sp.steps * per_step))
        if sp.out is not None:
            dense("readout", "Linear", (h, sp.out), positions=sp.steps)
        shape = (sp.steps, sp.n_in)
    return ComputeCount(
        parameters=sum(layer.parameters for layer in layers),
        embedding_parameters=0,
        forward_flops=sum(layer.forward_flops for layer in layers),
        layers=tuple(layers),
        input_shape=shape,
    )


def _recurrent_class() -> Any:
    import torch

    class Recurrent(torch.nn.Module):
        """A recurrent layer with an optional linear read-out at every step."""

        def __init__(self, rnn: Any, out: int | None):
            super().__init__()
            self.rnn = rnn
            self.readout = None if out is None else torch.nn.Linear(rnn.hidden_size, out)

        def forward(self, x: Any) -> Any:
            y, _ = self.rnn(x)
            return y if self.readout is None else self.readout(y)

    return Recurrent


def _Recurrent(rnn: Any, out: int | None) -> Any:  # noqa: N802 - a constructor
    return _recurrent_class()(rnn, out)
