"""``physml rbm``: train a restricted Boltzmann machine on a user's data, sample it, score data.

* ``physml rbm train FILE --out MODEL.npz`` fits :class:`physml.ebm.RBM` to the rows of
  FILE (``.npy``, ``.npz``, ``.csv``, ``.txt``, ``.h5``); binary data gets Bernoulli
  visible units, real-valued data Gaussian ones (``--visible`` overrides).
* ``physml rbm sample MODEL.npz --out SAMPLES`` draws configurations by block Gibbs sampling.
* ``physml rbm score MODEL.npz FILE`` prints the mean log-likelihood per sample with the
  uncertainty of log Z (exact for a small layer, otherwise annealed importance sampling, whose
  value is an upper estimate) and, when log Z is not exact, the sandwich of that value with the
  RAISE lower bound (on at most ``--raise-rows`` rows, a seeded random subsample; AIS scores
  every row) and a flag when their gap exceeds ``--tolerance``; ``--json`` prints it as JSON.

``sample`` and ``score`` also take a :class:`physml.ebm.PottsRBM` saved from Python (q-state
visible units): the data are then integer states 0, ..., q−1, one column per visible unit.

Training that diverges (a learning rate far too large) stops with an error that suggests a
smaller ``--learning-rate``; a model or a request too big for the machine's memory is refused
with the estimate before anything is allocated.

Model files are ``.npz`` archives of plain arrays and JSON; loading one cannot execute code.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from physml import _core, ebm
from physml._commands._common import (
    UsageError,
    check_new_file,
    load_numeric,
    non_negative_int,
    positive_int,
    positive_real,
)
from physml._core import atomic_write_bytes, atomic_write_text

__all__ = ["register"]

SAMPLE_SUFFIXES = (".npy", ".npz", ".csv")

#: The settings of physml.ebm.RBM that a flag of 'rbm train' sets, for errors that name them.
FLAGS = {
    "n_components": "--hidden", "visible": "--visible", "learning_rate": "--learning-rate",
    "batch_size": "--batch-size", "n_iter": "--epochs", "method": "--method", "k": "--k",
    "n_temperatures": "--temperatures", "weight_decay": "--weight-decay", "momentum": "--momentum",
    "learn_sigma": "--learn-sigma", "early_stopping": "--early-stopping", "seed": "--seed",
    "device": "--device", "n_chains": "--ais-runs", "n_betas": "--ais-steps",
}


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "rbm",
        help="train, sample and score restricted Boltzmann machines on your data",
        description="Restricted Boltzmann machines (physml.ebm.RBM) on the rows of an array file.",
    )
    inner = p.add_subparsers(dest="rbm_command", metavar="ACTION", required=True)

    t = inner.add_parser(
        "train",
        help="fit an RBM to the rows of FILE and save it",
        description=(
            "Fit an RBM to FILE (.npy, .npz, .csv, .txt, .h5; one sample per row). Binary 0/1 data "
            "gets Bernoulli visible units, anything else Gaussian ones (standardise such data first)."
        ),
    )
    t.add_argument("file", type=Path, metavar="FILE", help="training data, shape (n_samples, n_features)")
    t.add_argument("--out", type=Path, required=True, metavar="MODEL", help="where to save the model (.npz)")
    t.add_argument("--key", help="array name inside an .npz or .h5 file")
    t.add_argument("--hidden", type=positive_int("--hidden"), default=64, help="hidden units (default 64)")
    t.add_argument(
        "--visible",
        choices=("auto", "bernoulli", "gaussian"),
        default="auto",
        help="visible units (default auto: bernoulli for 0/1 data)",
    )
    t.add_argument(
        "--method", choices=("cd", "pcd", "pt"), default="pcd", help="CD-k, persistent CD, tempering"
    )
    t.add_argument("--k", type=positive_int("--k"), default=1, help="Gibbs sweeps per update (default 1)")
    t.add_argument("--epochs", type=positive_int("--epochs"), default=20, help="epochs (default 20)")
    t.add_argument("--batch-size", type=positive_int("--batch-size"), default=100, help="(default 100)")
    t.add_argument(
        "--learning-rate", type=positive_real("--learning-rate"), default=0.05, help="(default 0.05)"
    )
    t.add_argument("--momentum", type=_unit_interval("--momentum"), default=0.5, help="(default 0.5)")
    t.add_argument(
        "--weight-decay", type=_non_negative_real("--weight-decay"), default=1e-4, help="(default 1e-4)"
    )
    t.add_argument(
        "--temperatures",
        type=_int_at_least("--temperatures", 2),
        default=10,
        help="ladder size for --method pt (at least 2; default 10)",
    )
    t.add_argument("--learn-sigma", action="store_true", help="learn the widths of Gaussian visible units")
    t.add_argument(
        "--early-stopping",
        action="store_true",
        help="hold out 10%% of FILE and keep the epoch with the best validation score",
    )
    t.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto (default cpu)")
    t.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    t.add_argument("--force", action="store_true", help="overwrite MODEL if it exists")
    t.set_defaults(handler=_train, interrupt_note="interrupted: no model was written (rbm train has no "
                   "--resume; rerun it to train from the start)")

    s = inner.add_parser("sample", help="draw samples from a saved RBM by block Gibbs sampling")
    s.add_argument("model", type=Path, metavar="MODEL", help="a model saved by 'physml rbm train' (.npz)")
    s.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="samples file (.npy, .npz or .csv)"
    )
    s.add_argument("--n", type=positive_int("--n"), default=100, help="number of samples (default 100)")
    s.add_argument(
        "--steps", type=positive_int("--steps"), default=1000, help="Gibbs sweeps per chain (default 1000)"
    )
    s.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed (default 0)")
    s.add_argument("--force", action="store_true", help="overwrite FILE if it exists")
    s.set_defaults(handler=_sample, interrupt_note="interrupted: no samples were written; rerun the command")

    c = inner.add_parser("score", help="mean log-likelihood per sample of FILE under a saved RBM")
    c.add_argument("model", type=Path, metavar="MODEL", help="a model saved by 'physml rbm train' (.npz)")
    c.add_argument("file", type=Path, metavar="FILE", help="data, shape (n_samples, n_features)")
    c.add_argument("--key", help="array name inside an .npz or .h5 file")
    c.add_argument(
        "--ais-runs",
        type=_int_at_least("--ais-runs", 2),
        default=100,
        help="independent AIS runs; their spread gives the error of log Z, so at least 2 (default 100)",
    )
    c.add_argument(
        "--ais-steps",
        type=positive_int("--ais-steps"),
        default=10000,
        help="AIS annealing steps from a model of independent visible units to the RBM; 1 is plain "
        "importance sampling from that model (default 10000)",
    )
    c.add_argument(
        "--tolerance",
        type=positive_real("--tolerance"),
        default=1.0,
        help="widest acceptable gap in nats between the RAISE and AIS bounds when log Z is not exact; "
        "a wider gap is flagged (default 1)",
    )
    c.add_argument(
        "--raise-rows",
        type=_int_at_least("--raise-rows", 2),
        default=1000,
        help="RAISE runs one chain per row: score at most this many rows of FILE with it, a random subsample "
        "drawn from --seed (AIS still scores every row; default 1000)",
    )
    c.add_argument("--seed", type=non_negative_int("--seed"), default=0, help="seed of AIS (default 0)")
    c.add_argument("--json", action="store_true", help="print the results as JSON")
    c.set_defaults(handler=_score, interrupt_note="interrupted: nothing was written")


def _int_at_least(name: str, low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be an integer >= {low}, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{name} must be an integer >= {low}, got {value}")
        return value

    return parse


def _flags(message: str) -> str:
    """``message`` with the RBM's parameter names (``n_temperatures=1``) as the flags that set
    them (``--temperatures 1``)."""
    message = message.removeprefix("RBM: ")
    for name, flag in FLAGS.items():
        message = re.sub(rf"(?<![\w-]){name}=", f"{flag} ", message)
        if "_" in name:  # an identifier, not an English word such as 'device'
            message = re.sub(rf"(?<![\w-]){name}\b", flag, message)
    return message


def _unit_interval(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number in [0, 1), got {text!r}") from None
        if not 0.0 <= value < 1.0:
            raise argparse.ArgumentTypeError(f"{name} must be in [0, 1), got {text}")
        return value

    return parse


def _non_negative_real(name: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number >= 0, got {text!r}") from None
        if not (math.isfinite(value) and value >= 0):
            raise argparse.ArgumentTypeError(f"{name} must be a finite number >= 0, got {text}")
        return value

    return parse


def _load_data(path: Path, key: str | None) -> Any:
    import numpy as np

    X = load_numeric(path, key, "an RBM")
    if X.ndim != 2:
        raise UsageError(
            f"{path}: expected a 2-d array (one sample per row), got shape {X.shape}; "
            "flatten each sample into a row first"
        )
    if X.shape[0] < 2:
        raise UsageError(f"{path}: needs at least 2 samples, got {X.shape[0]}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        row, col = (int(i) for i in np.argwhere(~np.isfinite(X))[0])
        raise UsageError(
            f"{path}: value at row {row}, column {col} is {X[row, col]}; NaN and inf are not accepted"
        )
    return X


#: The format a PottsRBM file names in its header (physml._core.model_format of the class).
POTTS_FORMAT = "physml.ebm.PottsRBM"


def _load_model(path: Path) -> Any:
    """The RBM (physml.ebm.RBM) or Potts RBM (physml.ebm.PottsRBM) saved in ``path``."""
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a model file written by 'physml rbm train'")
    if not path.exists():
        raise UsageError(f"{path}: no such file")
    if path.suffix.lower() != ".npz":
        raise UsageError(f"{path}: expected a model file (.npz) written by 'physml rbm train'")
    try:
        if _core.model_file_format(path) == POTTS_FORMAT:  # read only when a model is loaded
            return ebm.PottsRBM.load(path)
        return ebm.RBM.load(path, device="cpu")
    except (ValueError, KeyError, OSError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if message.startswith(str(path)):  # a ModelFileError: it names the file and what is wrong
            raise UsageError(message) from None
        raise UsageError(f"{path}: not a model written by 'physml rbm train' ({message})") from None


def _train(args: argparse.Namespace) -> int:
    check_new_file(args.out, (".npz",), "--out", force=args.force)
    X = _load_data(args.file, args.key)
    import numpy as np

    visible = args.visible
    binary = bool(np.isin(X, (0, 1)).all())
    if visible == "auto":
        visible = "bernoulli" if binary else "gaussian"
    elif visible == "bernoulli" and not binary:
        raise UsageError(
            f"{args.file}: --visible bernoulli needs 0/1 data, but it has values such as "
            f"{X[~np.isin(X, (0, 1))][0]!r}; binarise it or use --visible gaussian"
        )

    rbm = ebm.RBM(
        args.hidden,
        visible=visible,
        learning_rate=args.learning_rate,
        batch_size=min(args.batch_size, len(X)),
        n_iter=args.epochs,
        method=args.method,
        k=args.k,
        n_temperatures=args.temperatures,
        weight_decay=args.weight_decay,
        momentum=args.momentum,
        learn_sigma=args.learn_sigma,
        early_stopping=args.early_stopping,
        seed=args.seed,
        device=args.device,
    )
    try:
        rbm._validate_params()  # the model's declared constraints (e.g. a GPU torch cannot see)
        rbm.check_memory(*X.shape)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"rbm train: {_flags(str(exc))}") from None
    except MemoryError as exc:
        raise UsageError(f"rbm train: {exc}; lower --hidden (or use fewer samples)") from None
    print(
        f"training a {X.shape[1]}-{args.hidden} RBM ({visible} visibles, {args.method.upper()}-{args.k}) "
        f"on {len(X)} samples for {args.epochs} epochs",
        flush=True,  # on standard output: an error stays the one line on standard error
    )
    rbm.set_params(verbose=True)  # a progress bar on a terminal, nothing in a pipe or a log file
    try:
        rbm.fit(X.astype(np.float32))
    except FloatingPointError as exc:  # physml.ebm.TrainingDiverged
        if not hasattr(exc, "suggested_learning_rate"):
            raise
        raise UsageError(
            f"training diverged at epoch {exc.epoch} ({exc.detail}); try a smaller --learning-rate, "
            f"e.g. {exc.suggested_learning_rate:g}"
        ) from None
    except RuntimeError as exc:  # torch's allocator, where the estimate was short of the real need
        if "memory" not in str(exc).lower():
            raise
        raise UsageError(f"rbm train: out of memory while training ({str(exc).splitlines()[0]}); "
                         "lower --hidden or --batch-size") from None
    pll = float(np.mean(rbm.pseudo_likelihood(X))) if visible == "bernoulli" else None
    if pll is not None and not math.isfinite(pll):
        raise UsageError(
            f"training diverged: the pseudo-log-likelihood is {pll}; try a smaller --learning-rate"
        )
    rbm.set_params(verbose=False)
    rbm.save(args.out)
    print(f"epochs: {rbm.n_iter_}")
    if pll is not None:
        print(f"pseudo-log-likelihood per sample: {pll:.4f} nats")
    if args.early_stopping:
        print(f"best validation score: {rbm.best_validation_score_:.4f}")
    print(f"model: {args.out}")
    return 0


def _sample(args: argparse.Namespace) -> int:
    check_new_file(args.out, SAMPLE_SUFFIXES, "--out", force=args.force)
    rbm = _load_model(args.model)
    try:  # a Potts RBM gives integer states 0, ..., q-1
        samples = rbm.sample(args.n, n_steps=args.steps, seed=args.seed)
    except MemoryError as exc:
        raise UsageError(f"rbm sample: {exc}; lower --n") from None
    _write_array(args.out, samples)
    print(f"wrote {args.n} samples of {samples.shape[1]} units to {args.out}")
    return 0


def _write_array(path: Path, array: Any) -> None:
    import numpy as np

    suffix = path.suffix.lower()
    if suffix == ".csv":
        buffer = io.StringIO()
        np.savetxt(buffer, array, delimiter=",", fmt="%.8g")
        atomic_write_text(path, buffer.getvalue())
        return
    buffer = io.BytesIO()
    if suffix == ".npy":
        np.save(buffer, array, allow_pickle=False)
    else:
        np.savez_compressed(buffer, samples=array)
    atomic_write_bytes(path, buffer.getvalue())


def _score_data(rbm: Any, X: Any, path: Path) -> Any:
    """X checked against the model's visible units: one-line errors name the file, the row and
    column of a bad value and what is accepted."""
    try:
        if isinstance(rbm, ebm.PottsRBM):
            return ebm.check_potts_data(X, rbm.n_states, str(path), rbm.n_features_in_)
        ebm.check_visible_data(X, rbm.visible, str(path), rbm.n_features_in_)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return X


def _score(args: argparse.Namespace) -> int:
    import numpy as np

    rbm = _load_model(args.model)
    potts = isinstance(rbm, ebm.PottsRBM)
    X = _score_data(rbm, _load_data(args.file, args.key), args.file)
    # a Potts RBM's AIS starts from independent units with the file's state frequencies
    base = {"data": X} if potts else {}
    try:  # --ais-steps counts the steps between the K + 1 inverse temperatures 0 = β_0 < ... < β_K = 1
        log_z, err = rbm.log_partition(n_chains=args.ais_runs, n_betas=args.ais_steps + 1, seed=args.seed,
                                       **base)
    except MemoryError as exc:
        raise UsageError(f"rbm score: {exc}; lower --ais-runs") from None
    except ValueError as exc:
        raise UsageError(f"rbm score: {_flags(str(exc))}") from None
    ll = rbm.score_samples(X if potts else X.astype(np.float32))
    sem = float(np.std(ll, ddof=1) / math.sqrt(len(ll))) if len(ll) > 1 else 0.0
    exact = rbm.score_estimate_ == "exact"
    bounds = None
    if not exact:
        try:  # RAISE from at most --raise-rows rows, on the same temperatures as AIS
            bounds = rbm.log_likelihood_bounds(X, n_betas=args.ais_steps + 1, log_z=(log_z, err),
                                               tolerance=args.tolerance, raise_rows=args.raise_rows,
                                               seed=args.seed)
        except MemoryError as exc:
            raise UsageError(f"rbm score: {exc}; lower --raise-rows") from None
    result = _score_result(args, rbm, len(X), log_z, err, float(np.mean(ll)), sem, bounds)
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
        return 0
    method = "exact" if rbm.log_z_method_ == "exact" else (
        f"AIS, {args.ais_runs} runs of {args.ais_steps} step{'s' * (args.ais_steps > 1)}")
    if rbm.log_z_method_ == "ais" and args.ais_steps == 1:
        method += ": plain importance sampling from the independent-unit base model"
    print(f"log Z = {log_z:.4f} ± {err:.4f} ({method})")
    if not getattr(rbm, "log_z_reliable_", True):
        print(f"  warning: a few AIS runs dominate (effective sample size {rbm.log_z_ess_:.1f} of "
              f"{args.ais_runs}), so the error of log Z is underestimated; raise --ais-steps")
    kind = "exact" if exact else "AIS: an upper estimate, E[log Z_AIS] <= log Z"
    print(f"mean log-likelihood per sample: {result['mean_log_likelihood']:.4f} nats ({kind})")
    print(f"  uncertainty: ± {sem:.4f} from the samples, ± {err:.4f} from log Z")
    if bounds is not None:
        print("bounds on the mean log-likelihood per sample (RAISE below, AIS above):")
        for line in bounds.summary().splitlines():
            print(f"  {line.replace('temperatures', 'temperatures (--ais-steps)')}")
        if bounds.raise_rows < bounds.n_samples:
            print(f"  RAISE scored a random {bounds.raise_rows} of the {bounds.n_samples} rows "
                  f"(--raise-rows, drawn from --seed {args.seed}) plus every row's exact free energy; "
                  "AIS scored every row")
    return 0


def _score_result(args: argparse.Namespace, rbm: Any, n_rows: int, log_z: float, err: float, mean_ll: float,
                  sem: float, bounds: Any) -> dict[str, Any]:
    """What ``rbm score`` found, as plain JSON values."""
    result: dict[str, Any] = {
        "model": str(args.model), "file": str(args.file), "rows": n_rows,
        "visible": "potts" if isinstance(rbm, ebm.PottsRBM) else rbm.visible,
        "log_z": log_z, "log_z_error": err, "log_z_method": rbm.log_z_method_,
        "mean_log_likelihood": mean_ll, "estimate": rbm.score_estimate_, "error_from_samples": sem,
        "seed": args.seed,
    }
    if rbm.log_z_method_ == "ais":
        result.update(ais_runs=args.ais_runs, ais_steps=args.ais_steps,
                      ais_effective_sample_size=float(rbm.log_z_ess_),
                      log_z_reliable=bool(rbm.log_z_reliable_))
    if bounds is not None:
        verdict = "crossed" if bounds.crossed else "wide" if bounds.wide else "ok"
        result["bounds"] = {
            "lower": bounds.lower, "lower_error": bounds.lower_error, "upper": bounds.upper,
            "upper_error": bounds.upper_error, "gap": bounds.gap, "gap_error": bounds.gap_error,
            "tolerance": bounds.tolerance, "verdict": verdict, "n_betas": bounds.n_betas,
            "raise_rows": bounds.raise_rows, "raise_rows_limit": args.raise_rows, "rows": bounds.n_samples,
        }
    return result
