"""Recurrent character language models, an n-gram baseline, and a long-range memory task.

The Kaplan talk's language models learn P(w_{n+1} | w_n, …, w_1) autoregressively by maximising
the log-likelihood of real text; the model "takes (prior context) & (current word) and produces
(new context) & (prediction)" — a recurrent network. The LSTM "is designed to store information
for more steps of the sequence": repeated multiplication by the recurrent matrix makes a plain
RNN's memory decay (or blow up) exponentially, which the LSTM's additive cell state avoids.

Perplexity per character is exp(−(1/N) Σ_t log P(c_t | c_<t)) on held-out text, in nats; the
bits per character are log2 of it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from physml._core import (
    Interval,
    ModelMixin,
    as_generator,
    check_choice,
    check_int,
    check_real,
    check_seed,
    progress_bar,
    torch_generator,
)

__all__ = [
    "CharLM",
    "NGramModel",
    "Vocabulary",
    "char_lm_perplexity",
    "memory_task",
    "memory_task_accuracy",
    "sample_text",
    "train_char_lm",
    "train_memory_task",
]


class Vocabulary:
    """The characters of a corpus and their integer codes (sorted by code point).

    Parameters
    ----------
    text : str or iterable of str
        The corpus (or its characters).

    Attributes
    ----------
    chars : str
        The characters, in code order.
    """

    def __init__(self, text: str | Iterable[str]):
        chars = sorted(set(text))
        if not chars:
            raise ValueError("the corpus is empty: a vocabulary needs at least one character")
        self.chars = "".join(chars)
        self._index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __contains__(self, ch: object) -> bool:
        return ch in self._index

    def unknown(self, text: str) -> list[str]:
        """Characters of ``text`` not in the vocabulary, in order of first appearance."""
        return list(dict.fromkeys(c for c in text if c not in self._index))

    def encode(self, text: str) -> np.ndarray:
        """Codes of the characters of ``text``, shape (len(text),), int64.

        Raises
        ------
        ValueError
            Naming the characters that are not in the vocabulary.
        """
        bad = self.unknown(text)
        if bad:
            shown = ", ".join(repr(c) for c in bad[:10]) + (" ..." if len(bad) > 10 else "")
            raise ValueError(f"{len(bad)} character(s) not in the model's vocabulary of {len(self)}: {shown}")
        return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))

    def decode(self, codes: Iterable[int]) -> str:
        return "".join(self.chars[int(i)] for i in codes)


def _texts(X: Any, name: str = "X") -> tuple[list[str], bool]:
    """``X`` as a list of strings, and whether it was one string."""
    if isinstance(X, str):
        return [X], True
    if isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype.kind == "U":
        return [str(t) for t in X], False
    if isinstance(X, (list, tuple)) and all(isinstance(t, str) for t in X):
        return list(X), False
    if isinstance(X, np.ndarray):
        shown = f"an array of dtype {X.dtype} and shape {X.shape}"
    elif isinstance(X, (list, tuple)):
        bad = next(t for t in X if not isinstance(t, str))
        shown = f"a {type(X).__name__} holding a {type(bad).__name__}"
    else:
        shown = type(X).__name__
    raise TypeError(f"{name} must be a string of text or a list of strings, got {shown}")


class NGramModel(ModelMixin, BaseEstimator):
    """Character n-gram model with additive (Lidstone) smoothing.

    P(c | h) = (N(h, c) + α) / (N(h) + α V), where h is the previous ``n − 1`` characters,
    N counts the training text and V is the vocabulary size. The first ``n − 1`` characters of a
    text are predicted from the shorter history available (orders n−1, …, 1 are counted too).
    ``n = 1`` is the unigram model.

    A physml model (docs/architecture.md, "One model contract"): ``fit(X)`` takes a string, or
    a list of strings counted separately (no n-gram spans two of them). ``score_samples(X)`` is
    the log-likelihood per sample: for one string the samples are its characters,
    ln P(c_t | history) of shape (len(X),) (:meth:`log_prob`); for a list of strings each string
    is a sample, its total log-likelihood Σ_t ln P(c_t | history), shape (len(X),).
    ``score(X)`` is their mean: for one string the mean log-likelihood per character, −ln of
    :meth:`perplexity`. The model is deterministic (it has no seed).

    Parameters
    ----------
    n : int >= 1
    alpha : float > 0
    vocab_size : int, optional
        V; default the number of distinct characters in the training text. A character never
        seen in training has probability α / (N(h) + α V); give ``vocab_size`` to count it in V.

    Attributes
    ----------
    counts_ : list of Counter
        counts_[k] maps (k+1)-grams to their training counts, k = 0 … n−1.
    context_counts_ : list of Counter
        context_counts_[k] maps k-character histories h to N(h), the number of times a character
        follows h (context_counts_[0] maps "" to the number of training characters).
    vocab_size_ : int
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "n": [Interval(int, 1, None)],
        "alpha": [Interval(float, 0, None, closed="neither")],
        "vocab_size": [None, Interval(int, 1, None)],
    }
    _data_kind: ClassVar[str] = "text"

    def __init__(self, n: int = 3, *, alpha: float = 0.1, vocab_size: int | None = None):
        self.n = n
        self.alpha = alpha
        self.vocab_size = vocab_size

    def fit(self, X: str | Sequence[str], y: None = None) -> NGramModel:
        """Count the n-grams of ``X``, a string or a list of strings."""
        self._validate_params()
        texts, _ = _texts(X)
        n = int(self.n)
        chars = set().union(*map(set, texts))
        if not chars:
            raise ValueError("the training text is empty")
        V = len(chars) if self.vocab_size is None else int(self.vocab_size)
        if V < len(chars):
            raise ValueError(f"vocab_size={V} is smaller than the {len(chars)} characters of the text")
        self.vocab_size_ = V
        self.counts_ = [
            Counter(t[i : i + k] for t in texts for i in range(len(t) - k + 1)) for k in range(1, n + 1)
        ]
        self.context_counts_ = _contexts(self.counts_)
        return self

    def log_prob(self, text: str) -> np.ndarray:
        """ln P(c_t | history) for each character of ``text``, shape (len(text),)."""
        check_is_fitted(self)
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        a, V, n = float(self.alpha), self.vocab_size_, int(self.n)
        out = np.empty(len(text))
        for t in range(len(text)):
            k = min(t, n - 1)
            h = text[t - k : t]
            out[t] = math.log((self.counts_[k][h + text[t]] + a) / (self.context_counts_[k][h] + a * V))
        return out

    def score_samples(self, X: str | Sequence[str]) -> np.ndarray:
        """Log-likelihood per sample, shape (len(X),): per character of a string
        (:meth:`log_prob`), or per string of a list of strings (the sum over its characters)."""
        check_is_fitted(self)
        texts, single = _texts(X)
        if single:
            return self.log_prob(texts[0])
        return np.array([self.log_prob(t).sum() for t in texts], dtype=float)

    def perplexity(self, text: str | Sequence[str]) -> float:
        """exp of the mean negative log-likelihood per character (over all strings of a list)."""
        check_is_fitted(self)
        texts, _ = _texts(text, "text")
        if not any(texts):
            raise ValueError("the test text is empty")
        return float(math.exp(-np.concatenate([self.log_prob(t) for t in texts]).mean()))

    # -- files ----------------------------------------------------------------------------------
    def _get_state(self) -> tuple[dict[str, Any], dict[str, Any]]:
        arrays: dict[str, Any] = {}
        for k, counts in enumerate(self.counts_, start=1):
            grams = list(counts)
            codes = np.array([[ord(c) for c in g] for g in grams], dtype=np.uint32).reshape(len(grams), k)
            arrays[f"grams{k}"] = codes
            arrays[f"counts{k}"] = np.array([counts[g] for g in grams], dtype=np.int64)
        return {"vocab_size": int(self.vocab_size_)}, arrays

    def _set_state(self, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray], version: int) -> None:
        self.vocab_size_ = int(meta["vocab_size"])
        self.counts_ = []
        for k in range(1, int(self.n) + 1):
            grams = ["".join(map(chr, row)) for row in arrays[f"grams{k}"].tolist()]
            self.counts_.append(Counter(dict(zip(grams, arrays[f"counts{k}"].tolist(), strict=True))))
        self.context_counts_ = _contexts(self.counts_)


def _contexts(counts: list[Counter]) -> list[Counter]:
    """N(h) for every history h of each order: the counts of the (k+1)-grams that continue h."""
    out = [Counter({"": sum(counts[0].values())})]
    for k in range(1, len(counts)):
        context: Counter = Counter()
        for gram, c in counts[k].items():
            context[gram[:-1]] += c
        out.append(context)
    return out


class CharLM(torch.nn.Module):
    """Character language model: embedding → RNN or LSTM → linear read-out of next-char logits.

    Parameters
    ----------
    vocab_size : int
    hidden : int
        Width of the recurrent state.
    cell : {"rnn", "lstm"}
        A tanh Elman RNN or a long short-term memory.
    layers : int
    embedding : int, optional
        Embedding width (default ``min(hidden, vocab_size)``).
    timescale : float, optional
        LSTM only. Without it the forget-gate bias starts at 1 (Gers, Schmidhuber & Cummins 2000),
        so the cell starts out remembering over a few steps. With it, the "chrono" initialisation
        of Tallec & Ollivier (2018, arXiv:1804.11188): forget biases b_f = ln u, u ~ U(1, T − 1)
        and input biases −b_f, so that the cells' memory times 1/(1 − σ(b_f)) ≈ u spread up to T
        steps.
    seed : int
        Seeds the initial weights.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden: int = 128,
        *,
        cell: str = "lstm",
        layers: int = 1,
        embedding: int | None = None,
        timescale: float | None = None,
        seed: int = 0,
    ):
        super().__init__()
        self.vocab_size = check_int(vocab_size, "vocab_size", low=1)
        self.hidden = check_int(hidden, "hidden", low=1)
        self.cell = check_choice(cell, "cell", ("rnn", "lstm"))
        self.layers = check_int(layers, "layers", low=1)
        emb = min(hidden, vocab_size) if embedding is None else check_int(embedding, "embedding", low=1)
        if timescale is not None:
            timescale = check_real(timescale, "timescale", low=2.0, low_open=True)
        rnn = torch.nn.LSTM if cell == "lstm" else torch.nn.RNN
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(as_generator(check_seed(seed)).integers(2**62)))
            self.embed = torch.nn.Embedding(vocab_size, emb)
            self.rnn = rnn(emb, hidden, num_layers=layers, batch_first=True)
            self.readout = torch.nn.Linear(hidden, vocab_size)
            if cell == "lstm":
                _init_lstm_gates(self.rnn, hidden, timescale)

    @staticmethod
    def n_parameters(
        vocab_size: int, hidden: int, *, cell: str = "lstm", layers: int = 1, embedding: int | None = None
    ) -> int:
        """The number of parameters of ``CharLM(vocab_size, hidden, ...)``, counted without building it."""
        vocab_size = check_int(vocab_size, "vocab_size", low=1)
        hidden = check_int(hidden, "hidden", low=1)
        gates = 4 if check_choice(cell, "cell", ("rnn", "lstm")) == "lstm" else 1
        layers = check_int(layers, "layers", low=1)
        emb = min(hidden, vocab_size) if embedding is None else check_int(embedding, "embedding", low=1)
        recurrent = gates * hidden * (emb + hidden + 2)  # W_ih, W_hh and two biases, first layer
        recurrent += (layers - 1) * gates * hidden * (2 * hidden + 2)
        return vocab_size * emb + recurrent + hidden * vocab_size + vocab_size

    @staticmethod
    def training_memory_bytes(
        vocab_size: int,
        hidden: int,
        *,
        cell: str = "lstm",
        layers: int = 1,
        embedding: int | None = None,
        batch_size: int = 32,
        seq_len: int = 64,
    ) -> int:
        """An estimate, on the low side, of the peak memory (bytes, float32) of :func:`train_char_lm`.

        Seven copies of the :meth:`n_parameters`: the parameters, their gradients, Adam's two
        moments and about three more in the temporaries of the optimiser step, the gradient
        clipping and the recurrent kernel (on PyTorch 2 on a CPU the peak grew by 2154 MiB when
        training ``CharLM(11, 4096)``, where this estimate gives 1991 MiB); and the activations
        kept for back-propagation through ``seq_len`` steps of ``batch_size`` windows: per step
        and window the embedding, the gates and the cell and hidden states (4 + 2 vectors of
        ``hidden`` per layer for an LSTM, 2 for an RNN) and three vectors of ``vocab_size``
        (logits, log-softmax and its gradient). A request above the memory available cannot fit.
        """
        n_params = CharLM.n_parameters(vocab_size, hidden, cell=cell, layers=layers, embedding=embedding)
        batch_size = check_int(batch_size, "batch_size", low=1)
        seq_len = check_int(seq_len, "seq_len", low=1)
        emb = min(hidden, vocab_size) if embedding is None else int(embedding)
        per_step = emb + layers * (6 if cell == "lstm" else 2) * hidden + 3 * vocab_size
        return 4 * (7 * n_params + batch_size * seq_len * per_step)

    def forward(self, tokens: torch.Tensor, state: object = None) -> tuple[torch.Tensor, object]:
        """Logits for the next character after each position, and the final recurrent state.

        tokens : int tensor, shape (batch, time) → logits of shape (batch, time, vocab_size).
        """
        out, state = self.rnn(self.embed(tokens), state)
        return self.readout(out), state


@torch.no_grad()
def _init_lstm_gates(lstm: torch.nn.LSTM, hidden: int, timescale: float | None) -> None:
    # PyTorch orders the gates (input, forget, cell, output); the two bias vectors add up
    for name, p in lstm.named_parameters():
        if not name.startswith("bias"):
            continue
        p[hidden : 2 * hidden] = 0.0
        if name.startswith("bias_ih"):
            if timescale is None:
                p[hidden : 2 * hidden] = 1.0
            else:
                b_f = torch.log(1.0 + torch.rand(hidden) * (timescale - 2.0))
                p[hidden : 2 * hidden] = b_f
                p[:hidden] = -b_f
        else:
            p[:hidden] = 0.0


def _windows(codes: torch.Tensor, starts: torch.Tensor, length: int) -> torch.Tensor:
    return codes[starts[:, None] + torch.arange(length + 1)]


def train_char_lm(
    model: CharLM,
    codes: np.ndarray,
    *,
    steps: int,
    seq_len: int = 64,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    clip: float = 1.0,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Maximise the log-likelihood of ``codes`` autoregressively with Adam.

    Each step takes ``batch_size`` random windows of ``seq_len + 1`` characters and minimises the
    mean cross-entropy of predicting characters 1..seq_len from those before them (truncated
    back-propagation through time; the state starts at zero in each window).

    Parameters
    ----------
    codes : int array, shape (n,)
        The encoded training text (:meth:`Vocabulary.encode`), n > seq_len.
    progress : bool
        Show a bar over the steps on a terminal (:func:`physml._core.progress_bar`).

    Returns
    -------
    list of float
        Training loss (nats per character) of each step.
    """
    steps = check_int(steps, "steps", low=0)
    seq_len = check_int(seq_len, "seq_len", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    codes_t = torch.as_tensor(np.asarray(codes, dtype=np.int64))
    if codes_t.ndim != 1 or len(codes_t) <= seq_len:
        raise ValueError(
            f"codes must be 1-d and longer than seq_len={seq_len}, got shape {tuple(codes_t.shape)}"
        )
    gen = torch_generator(seed)
    opt = torch.optim.Adam(
        model.parameters(), lr=check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    )
    losses = []
    model.train()
    bar = progress_bar(steps, desc="lm steps", show=progress)
    try:
        for _ in range(steps):
            starts = torch.randint(0, len(codes_t) - seq_len, (batch_size,), generator=gen)
            w = _windows(codes_t, starts, seq_len)
            logits, _ = model(w[:, :-1])
            loss = torch.nn.functional.cross_entropy(
                logits.reshape(-1, model.vocab_size), w[:, 1:].reshape(-1)
            )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            value = loss.item()
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"training diverged (loss {value}); lower learning_rate (now {learning_rate})"
                )
            losses.append(value)
            bar.update(1)
    finally:
        bar.close()
    model.eval()
    return losses


@torch.no_grad()
def char_lm_perplexity(model: CharLM, codes: np.ndarray, *, chunk: int = 256, streams: int = 16) -> float:
    """Perplexity per character of ``codes`` under the model, carrying the state through the text.

    The text is cut into ``streams`` contiguous pieces read in parallel, each from a zero state;
    the first character of each piece has no context and is not scored. Returns
    exp(−mean ln P(c_t | c_<t)) over the scored characters.
    """
    codes = np.asarray(codes, dtype=np.int64)
    streams = max(1, min(check_int(streams, "streams", low=1), (len(codes) - 1) // 2 or 1))
    length = len(codes) // streams
    if length < 2:
        raise ValueError(f"the test text of {len(codes)} characters is too short to score")
    x = torch.as_tensor(codes[: streams * length].reshape(streams, length))
    model.eval()
    state, total, count = None, 0.0, 0
    for start in range(0, length - 1, chunk):
        inp = x[:, start : min(start + chunk, length - 1)]
        tgt = x[:, start + 1 : start + 1 + inp.shape[1]]
        logits, state = model(inp, state)
        nll = torch.nn.functional.cross_entropy(
            logits.reshape(-1, model.vocab_size), tgt.reshape(-1), reduction="sum"
        )
        total += nll.item()
        count += tgt.numel()
    return float(math.exp(total / count))


@torch.no_grad()
def sample_text(
    model: CharLM,
    vocab: Vocabulary,
    *,
    prompt: str = "",
    n_chars: int = 200,
    temperature: float = 1.0,
    seed: int = 0,
) -> str:
    """Sample ``n_chars`` characters autoregressively after ``prompt``.

    Each character is drawn from softmax(logits / temperature) and fed back as the next input.
    An empty prompt starts the model on a newline (if the vocabulary has one, else on its first
    character), which is not part of the returned text.

    Raises
    ------
    ValueError
        If the prompt has characters the model has never seen (they are named).
    """
    n_chars = check_int(n_chars, "n_chars", low=0)
    temperature = check_real(temperature, "temperature", low=0.0, low_open=True)
    start = prompt if prompt else ("\n" if "\n" in vocab else vocab.chars[0])
    codes = vocab.encode(start)  # raises on unknown characters
    gen = torch_generator(seed)
    model.eval()
    logits, state = model(torch.as_tensor(codes)[None, :])
    out = []
    for _ in range(n_chars):
        p = torch.softmax(logits[0, -1] / temperature, dim=0)
        c = int(torch.multinomial(p, 1, generator=gen))
        out.append(c)
        logits, state = model(torch.tensor([[c]]), state)
    return vocab.decode(out)


def memory_task(
    n: int, lag: int, n_symbols: int = 4, *, seed: int | np.random.Generator = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The long-range memory ("copy after a delay") task.

    Each sequence starts with a symbol drawn uniformly from ``0 … n_symbols−1``, followed by ``lag``
    distractor tokens drawn uniformly from ``n_symbols … 2 n_symbols − 1``; the target, read at the
    last step, is the first symbol. Guessing gives accuracy 1/n_symbols; remembering the first
    symbol over ``lag`` steps gives 1.

    Returns
    -------
    inputs : int array, shape (n, lag + 1), values in [0, 2 n_symbols)
    targets : int array, shape (n,)
    """
    n = check_int(n, "n", low=1)
    lag = check_int(lag, "lag", low=0)
    k = check_int(n_symbols, "n_symbols", low=2)
    rng = as_generator(check_seed(seed))
    first = rng.integers(0, k, size=n)
    distract = rng.integers(k, 2 * k, size=(n, lag))
    return np.concatenate([first[:, None], distract], axis=1), first


class _MemoryNet(torch.nn.Module):
    def __init__(self, n_symbols: int, hidden: int, cell: str, timescale: float | None, seed: int):
        super().__init__()
        self.lm = CharLM(
            2 * n_symbols, hidden, cell=cell, embedding=2 * n_symbols, timescale=timescale, seed=seed
        )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed + 1)
            self.head = torch.nn.Linear(hidden, n_symbols)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.lm.rnn(self.lm.embed(x))
        return self.head(out[:, -1])


def train_memory_task(
    cell: str,
    lag: int,
    *,
    n_symbols: int = 4,
    hidden: int = 32,
    steps: int = 500,
    batch_size: int = 64,
    learning_rate: float = 1e-2,
    timescale: float | None = None,
    seed: int = 0,
) -> torch.nn.Module:
    """Train an RNN or LSTM (with a linear read-out of the last state) on :func:`memory_task`.

    Fresh sequences every step (no overfitting), Adam, gradient-norm clipping at 1.
    ``timescale`` is passed to :class:`CharLM` (the LSTM's chrono initialisation).

    Returns
    -------
    torch.nn.Module
        Maps int inputs (batch, lag + 1) to logits (batch, n_symbols).
    """
    steps = check_int(steps, "steps", low=0)
    check_int(hidden, "hidden", low=1)
    rng = as_generator(check_seed(seed))
    net = _MemoryNet(n_symbols, hidden, cell, timescale, int(rng.integers(2**62)))
    opt = torch.optim.Adam(net.parameters(), lr=learning_rate)
    net.train()
    for _ in range(steps):
        x, y = memory_task(batch_size, lag, n_symbols, seed=rng)
        loss = torch.nn.functional.cross_entropy(net(torch.as_tensor(x)), torch.as_tensor(y))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        opt.step()
    net.eval()
    return net


@torch.no_grad()
def memory_task_accuracy(
    net: torch.nn.Module, inputs: np.ndarray, targets: np.ndarray
) -> tuple[float, float]:
    """Accuracy on held-out memory-task sequences and its binomial standard error sqrt(p(1−p)/n)."""
    pred = net(torch.as_tensor(np.asarray(inputs, dtype=np.int64))).argmax(dim=1).numpy()
    acc = float(np.mean(pred == np.asarray(targets)))
    return acc, math.sqrt(acc * (1 - acc) / len(targets))
