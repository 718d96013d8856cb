"""``physml lm``: train a character language model on a text corpus, and sample from it.

``physml lm train --out model.pt`` trains an LSTM (or ``--cell rnn``) on the docstrings of the Python
standard library (or ``--corpus FILE``) and prints its test perplexity per character next to the
unigram's; ``physml lm sample model.pt --prompt "Return the "`` continues a prompt.

``lm train`` refuses, before allocating anything, a model whose training needs more memory than
the machine has (``nets.CharLM.training_memory_bytes``); ``lm sample`` reads the model with
``torch.load(weights_only=True)`` (no code runs) and refuses, in one line, a file that is not a
model written by ``lm train`` or whose weights are not finite.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

from physml import data, nets
from physml._commands._common import UsageError, check_new_file, non_negative_int, positive_int, positive_real
from physml._core import atomic_write_bytes

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lm",
        help="character language models: train on a corpus, sample text",
        description="Autoregressive character language models P(c_{n+1} | c_n, ..., c_1).",
    )
    inner = p.add_subparsers(dest="lm_command", metavar="ACTION", required=True)
    t = inner.add_parser(
        "train",
        help="train an RNN/LSTM on a text corpus and save it",
        description="Train a character RNN or LSTM; print test perplexities per character.",
    )
    t.add_argument(
        "--corpus",
        type=Path,
        metavar="FILE",
        help="a UTF-8 text file (default: the Python standard library's docstrings)",
    )
    t.add_argument(
        "--max-chars",
        type=positive_int("--max-chars"),
        default=200_000,
        help="use at most this many characters of the corpus (default 200000)",
    )
    t.add_argument("--cell", choices=("lstm", "rnn"), default="lstm")
    t.add_argument("--hidden", type=positive_int("--hidden"), default=128)
    t.add_argument("--steps", type=positive_int("--steps"), default=500, help="training steps (default 500)")
    t.add_argument("--seq-len", type=positive_int("--seq-len"), default=64)
    t.add_argument("--seed", type=non_negative_int("--seed"), default=0)
    t.add_argument("--out", type=Path, required=True, metavar="MODEL.pt", help="where to save the model")
    t.add_argument("--force", action="store_true", help="overwrite --out if it exists")
    t.set_defaults(handler=_train, interrupt_note=(
        "interrupted: nothing was written (the model is saved only when training ends); rerun the command"))
    s = inner.add_parser(
        "sample",
        help="sample text from a trained model",
        description="Continue a prompt character by character from a model saved by 'lm train'.",
    )
    s.add_argument("model", type=Path, metavar="MODEL.pt")
    s.add_argument("--prompt", default="", help="text to continue (default: start of a paragraph)")
    s.add_argument(
        "--chars", type=positive_int("--chars"), default=300, help="characters to sample (default 300)"
    )
    s.add_argument("--temperature", type=positive_real("--temperature"), default=0.8)
    s.add_argument("--seed", type=non_negative_int("--seed"), default=0)
    s.set_defaults(handler=_sample, interrupt_note="interrupted: nothing was written")


def _physical_memory() -> int | None:
    """Bytes of physical memory, or None where the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def _train(args: argparse.Namespace) -> int:
    check_new_file(args.out, (".pt",), "--out", force=args.force)

    if args.corpus is not None:
        if args.corpus.is_dir():
            raise UsageError(f"--corpus {args.corpus}: is a directory; give a UTF-8 text file")
        if not args.corpus.is_file():
            raise UsageError(f"--corpus {args.corpus}: no such file")
        try:
            text = data.read_text(args.corpus)[: args.max_chars]
        except ValueError as exc:
            raise UsageError(f"--corpus {exc}") from None
        source = str(args.corpus)
    else:
        text, source = data.python_docstrings(args.max_chars), "Python standard library docstrings"
    if len(text) < 4 * args.seq_len:
        raise UsageError(
            f"the corpus has {len(text)} characters; it needs at least 4 x --seq-len = {4 * args.seq_len}"
        )

    vocab = nets.Vocabulary(text)
    need = nets.CharLM.training_memory_bytes(len(vocab), args.hidden, cell=args.cell, seq_len=args.seq_len)
    have = _physical_memory()
    if have is not None and need > have:
        n_params = nets.CharLM.n_parameters(len(vocab), args.hidden, cell=args.cell)
        raise UsageError(
            f"--hidden {args.hidden} with --seq-len {args.seq_len}: training needs at least "
            f"{need / 2**30:,.1f} GiB of memory ({n_params:,} parameters), this machine has "
            f"{have / 2**30:,.1f} GiB; use a smaller --hidden"
        )

    import torch

    train, test = data.split_text(text, 0.1)
    if len(test) < 2 or len(train) <= args.seq_len:
        raise UsageError(
            f"the corpus has {len(text)} characters: {len(train)} to train on (more than --seq-len "
            f"{args.seq_len} needed) and {len(test)} held out to test (2 needed); give a longer --corpus"
        )
    model = nets.CharLM(len(vocab), args.hidden, cell=args.cell, seed=args.seed)
    print(
        f"training a {args.cell.upper()} ({args.hidden} units) on {len(train)} characters of {source}",
        file=sys.stderr,
    )
    try:
        nets.train_char_lm(model, vocab.encode(train), steps=args.steps, seq_len=args.seq_len,
                           seed=args.seed + 1, progress=True)
    except FloatingPointError:
        raise UsageError(
            f"training diverged (a non-finite loss) with --hidden {args.hidden}, --seq-len {args.seq_len}, "
            f"--seed {args.seed}; try another --seed or a smaller --hidden"
        ) from None
    ppl = nets.char_lm_perplexity(model, vocab.encode(test))
    uni = nets.NGramModel(1, alpha=1.0, vocab_size=len(vocab)).fit(train).perplexity(test)
    print(
        f"test perplexity per character: {args.cell} {ppl:.3f}, unigram {uni:.3f} "
        f"(vocabulary {len(vocab)}, {len(test)} test characters)"
    )

    buffer = io.BytesIO()
    torch.save(
        {
            "state_dict": model.state_dict(),
            "chars": vocab.chars,
            "cell": args.cell,
            "hidden": args.hidden,
            "embedding": model.embed.embedding_dim,
            "test_perplexity": ppl,
        },
        buffer,
    )
    atomic_write_bytes(args.out, buffer.getvalue())
    print(f"saved {args.out}")
    return 0


def _load_model(path: Path):
    """The vocabulary and model saved by ``lm train`` in ``path``, or a one-line UsageError."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory; give a model file written by 'physml lm train'")
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise UsageError(f"{path}: the file is empty; not a model saved by 'physml lm train'")
    import torch

    try:
        # weights_only: tensors and plain containers only, no code runs (torch's own multi-line
        # messages are never shown: the error below names the exception type only)
        saved = torch.load(path, weights_only=True, map_location="cpu")
        state = saved["state_dict"]
        vocab = nets.Vocabulary(saved["chars"])
        hidden, embedding, cell = int(saved["hidden"]), int(saved["embedding"]), saved["cell"]
        # check the sizes against the tensors read before building the model: a crafted header
        # (hidden = 10**6) must not allocate terabytes
        expected = nets.CharLM.n_parameters(len(vocab), hidden, cell=cell, embedding=embedding)
        if sum(int(t.numel()) for t in state.values()) != expected:
            raise ValueError("the weights do not match the header")
        model = nets.CharLM(len(vocab), hidden, cell=cell, embedding=embedding)
        model.load_state_dict(state)
    except Exception as exc:  # not a model written by 'lm train' (truncated, random bytes, foreign)
        raise UsageError(f"{path}: not a model saved by 'physml lm train' ({type(exc).__name__})") from None
    bad = [name for name, t in model.state_dict().items() if not bool(torch.isfinite(t).all())]
    if bad:
        raise UsageError(
            f"{path}: non-finite (NaN or inf) weights in {', '.join(bad[:3])}; retrain the model")
    return vocab, model


def _sample(args: argparse.Namespace) -> int:
    vocab, model = _load_model(args.model)
    bad = vocab.unknown(args.prompt)
    if bad:
        shown = ", ".join(repr(c) for c in bad[:10])
        raise UsageError(
            f"--prompt has characters the model never saw: {shown}; use characters of its corpus"
        )
    text = nets.sample_text(
        model, vocab, prompt=args.prompt, n_chars=args.chars, temperature=args.temperature, seed=args.seed
    )
    print(args.prompt + text)
    return 0
