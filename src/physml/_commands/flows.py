"""``physml flows fit FILE``: a normalizing flow (or an ensemble of them) on a user's samples.

Reads samples (rows) from ``.npy``, ``.npz``, ``.csv``/``.txt`` or ``.h5``, fits a zuko flow
(MAF, NSF or a continuous flow) with early stopping, or ``--members N`` of them from independent
seeds averaged in density (trained on ``--workers`` processes), and writes to ``--out DIR``:
``model.npz`` (plain arrays and a JSON header, no pickle; read it with
``physml.flows.load_flow``), ``summary.json`` (held-out log-likelihood, epochs, parameters),
``training.png`` (loss curves) and ``marginals.png`` (each feature's histogram against samples
drawn from the flow). Every file is written atomically, and only once every flow is trained and
both figures are drawn: an error or Ctrl-C before that leaves ``--out`` as it was.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
from pathlib import Path
from typing import Any

from physml import flows, parallel
from physml._commands._common import (
    UsageError,
    check_finite,
    check_new_dir,
    load_numeric,
    non_negative_int,
    positive_int,
    positive_real,
)
from physml._core import atomic_write_bytes, atomic_write_text

__all__ = ["register"]

FLOW_KINDS = ("maf", "nsf", "cnf")


def _widths(text: str) -> tuple[int, ...]:
    try:
        widths = tuple(int(t) for t in text.split(",") if t.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"--hidden expects widths like 64,64, got {text!r}") from None
    if not widths or any(w < 1 for w in widths):
        raise argparse.ArgumentTypeError(f"--hidden expects positive widths like 64,64, got {text!r}")
    return widths


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "flows",
        help="normalizing flows (zuko) on your samples: fit a flow or an ensemble",
        description="Normalizing-flow density estimation on samples from a file.",
    )
    inner = p.add_subparsers(dest="flows_command", metavar="ACTION", required=True)
    f = inner.add_parser(
        "fit",
        help="fit a flow (or --members N flows averaged in density) and write the model and plots",
        description=(
            "Fit a normalizing flow to the samples in FILE (one sample per row) by maximum likelihood "
            "with early stopping on a held-out validation share, or --members N flows from independent "
            "seeds averaged in density. Writes model.npz (plain arrays and a JSON header, read without "
            "pickle by physml.flows.load_flow), summary.json, training.png and marginals.png to --out DIR."
        ),
    )
    f.add_argument("file", type=Path, metavar="FILE", help="samples: .npy, .npz, .csv, .txt or .h5 (rows)")
    f.add_argument("--out", type=Path, required=True, metavar="DIR", help="directory for the model and plots")
    f.add_argument("--key", help="array name inside an .npz or .h5 file holding several")
    f.add_argument("--flow", choices=FLOW_KINDS, default="maf", help="architecture (default maf)")
    f.add_argument("--members", type=positive_int("--members"), default=1, help="ensemble size (default 1)")
    f.add_argument(
        "--transforms", type=positive_int("--transforms"), default=4, help="transforms (default 4)"
    )
    f.add_argument("--hidden", type=_widths, default=(64, 64), help="hidden widths (default 64,64)")
    f.add_argument(
        "--max-epochs", type=positive_int("--max-epochs"), default=200, help="epoch limit (default 200)"
    )
    f.add_argument(
        "--learning-rate",
        type=positive_real("--learning-rate"),
        default=1e-3,
        help="Adam step (default 1e-3)",
    )
    f.add_argument(
        "--batch-size", type=positive_int("--batch-size"), default=256, help="mini-batch (default 256)"
    )
    f.add_argument(
        "--test-fraction",
        type=positive_real("--test-fraction"),
        default=0.1,
        help="share of rows held out for the reported test log-likelihood (default 0.1; < 0.5)",
    )
    f.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    f.add_argument(
        "--workers", type=positive_int("--workers"), default=1, help="processes training members (default 1)"
    )
    f.add_argument("--force", action="store_true", help="write into --out DIR even if it is not empty")
    f.set_defaults(handler=_fit, interrupt_note=(
        "interrupted: nothing was written to --out (the model and plots are written only when every flow "
        "has finished); the flows trained so far are lost: rerun the command"))


def _load(args: argparse.Namespace) -> Any:
    import numpy as np

    path: Path = args.file
    data = load_numeric(path, args.key, "physml flows fit")
    if data.ndim != 2:
        raise UsageError(f"{path}: holds an array of shape {data.shape}; save samples as rows of a 2-D array")
    x = data.astype(np.float64)
    check_finite(path, x)
    return x


def _fit(args: argparse.Namespace) -> int:
    out: Path = args.out
    check_new_dir(out, "--out", force=args.force)
    if not args.test_fraction < 0.5:
        raise UsageError(f"--test-fraction must be below 0.5, got {args.test_fraction}")
    x = _load(args)
    import numpy as np

    n, d = x.shape
    rng = np.random.default_rng(args.seed)
    order = rng.permutation(n)
    n_test = int(round(args.test_fraction * n))
    test, train = x[order[:n_test]], x[order[n_test:]]
    need = max(20, flows.MIN_SAMPLES_PER_FEATURE * d)
    if len(train) < need or n_test < 1:
        raise UsageError(
            f"{args.file}: {n} row(s) of {d} feature(s); a flow needs at least {need} training rows "
            f"after holding out --test-fraction {args.test_fraction} for testing"
        )
    constant = np.nonzero(np.ptp(x, axis=0) == 0)[0]
    if len(constant):
        j = int(constant[0])
        raise UsageError(
            f"{args.file}: column {j} is constant ({x[0, j]:g}); a density needs spread in every column")
    base = flows.FlowDensity(
        args.flow,
        transforms=args.transforms,
        hidden_features=args.hidden,
        learning_rate=args.learning_rate,
        batch_size=args.batch_size,
        max_epochs=args.max_epochs,
        seed=args.seed,
    )
    try:
        if args.members == 1:
            # a progress bar over the epochs on a terminal (nothing in a pipe); not saved with the model
            model: Any = base.set_params(verbose=True).fit(train).set_params(verbose=False)
            members = [model]
        else:
            with parallel.make_executor(processes=args.workers if args.workers > 1 else None) as ex:
                model = flows.FlowEnsemble(base, n_members=args.members, seed=args.seed).fit(train,
                                                                                             executor=ex)
            members = model.members_
    except (ValueError, RuntimeError) as exc:
        # a member's error comes inside the executor's MapError (a RuntimeError with .failures)
        failures = getattr(exc, "failures", None)
        first = next(iter(failures.values())) if failures else exc
        if isinstance(first, ValueError):
            raise UsageError(f"{args.file}: {str(first).splitlines()[0]}") from None
        if "never finite" in str(first):
            raise UsageError(
                f"{args.file}: training diverged (the validation loss was never finite) with --learning-rate "
                f"{args.learning_rate:g}; try a smaller --learning-rate"
            ) from None
        raise
    test_ll = model.log_prob(test)
    summary = {
        "file": str(args.file),
        "n_samples": n,
        "n_features": d,
        "n_train": len(train),
        "n_test": n_test,
        "flow": args.flow,
        "members": args.members,
        "seed": args.seed,
        "test_log_likelihood": float(test_ll.mean()),
        "test_log_likelihood_err": float(test_ll.std(ddof=1) / math.sqrt(n_test)) if n_test > 1 else None,
        "member_test_log_likelihood": [float(m.log_prob(test).mean()) for m in members],
        "epochs": [m.n_epochs_ for m in members],
        "best_epoch": [m.best_epoch_ for m in members],
        "parameters_per_member": int(sum(p.numel() for p in members[0].flow_.parameters())),
        "model": "model.npz",
    }

    figures = _plots(members, model, train, args.seed)  # drawn before anything is written
    out.mkdir(parents=True, exist_ok=True)
    model.save(out / "model.npz")
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    for name, png in figures.items():
        atomic_write_bytes(out / name, png)
    err = summary["test_log_likelihood_err"]
    print(
        f"{args.flow} x{args.members} on {len(train)} x {d}: test log-likelihood "
        f"{summary['test_log_likelihood']:.4f}" + (f" ± {err:.4f}" if err is not None else "") + " per sample"
    )
    print(f"wrote {out / 'model.npz'}, summary.json, training.png, marginals.png", file=sys.stderr)
    return 0


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def _plots(members: list, model: Any, train: Any, seed: int) -> dict[str, bytes]:
    """The figures as PNG bytes: ``training.png`` (loss curves) and ``marginals.png``."""
    import numpy as np
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.0, 4.0), layout="constrained")
    ax = fig.subplots()
    for i, m in enumerate(members):
        shift = float(np.sum(np.log(m.scale_)))  # back to the data's units
        ax.plot(np.array(m.history_["train"]) + shift, color="C0", lw=0.8, label="train" if i == 0 else None)
        ax.plot(
            np.array(m.history_["validation"]) + shift,
            color="C1",
            lw=0.8,
            label="validation" if i == 0 else None,
        )
        ax.axvline(m.best_epoch_, color="0.7", lw=0.5)
    ax.set(xlabel="epoch", ylabel="negative log-likelihood per sample", title="training")
    ax.legend()
    figures = {"training.png": _png(fig)}

    d = train.shape[1]
    shown = min(d, 12)
    cols = min(shown, 4)
    rows = math.ceil(shown / cols)
    fig = Figure(figsize=(3.0 * cols, 2.4 * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    sample = model.sample(min(len(train), 20000), seed=seed)
    for j in range(shown):
        lo, hi = np.quantile(train[:, j], [0.005, 0.995])
        bins = np.linspace(lo, hi, 50)
        axes[j].hist(train[:, j], bins=bins, density=True, histtype="step", color="k", label="data")
        axes[j].hist(sample[:, j], bins=bins, density=True, histtype="step", color="C3", label="flow")
        axes[j].set_title(f"feature {j}", fontsize=8)
    for ax in axes[shown:]:
        ax.set_visible(False)
    axes[0].legend(fontsize=7)
    figures["marginals.png"] = _png(fig)
    return figures
