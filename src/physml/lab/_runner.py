"""The runner: executes experiments into a run directory, atomically and resumably.

Layout of a run directory ``DIR``::

    DIR/<name>/result.json        finished experiment (see docs/lab.md)
    DIR/<name>/<figure>.png       its figures
    DIR/.<name>.partial/          an experiment in progress: its figures so far and
                                  cache/map<i>-<j>.npz, the finished items of its maps
                                  (JSON and plain arrays, never pickles: physml._core.ValueStore)
    DIR/report.html               the HTML report

An experiment's directory appears only when it has finished (the partial directory is
renamed into place), so an interrupted run never leaves a half-written result; the
cache lets ``--resume`` continue an interrupted experiment without redoing finished
ensemble members or sweep points.
"""

from __future__ import annotations

import io
import json
import platform
import re
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from physml._core import (
    ValueStore,
    __version__,
    atomic_write_bytes,
    atomic_write_text,
    check_int,
    derive_seed,
    progress,
    unwritable_reason,
)
from physml.lab._errors import OutputDirError, ParameterError
from physml.lab._provenance import provenance as make_provenance
from physml.lab._registry import Experiment, get_experiment
from physml.lab._types import Check, Result, _jsonable
from physml.parallel import ClusterError, Executor, InlineExecutor

__all__ = ["Context", "check_output_dir", "load_results", "run_experiments", "versions"]

_FIGURE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Context:
    """What an experiment function receives: its parameters' seed, an executor,
    and the means to record checks, metrics and figures.

    Attributes
    ----------
    name, preset : str
    params : dict
        The resolved parameters (also passed to the function as keyword arguments).
    seed : int
        The run's seed. Use :meth:`seed_for` or :meth:`rng` for independent streams.
    executor : Executor
        Where ensemble members and sweep points run (see :meth:`map`).
    workdir : pathlib.Path
        Directory for the experiment's files while it runs.
    """

    def __init__(
        self,
        name: str,
        preset: str,
        params: dict[str, Any],
        seed: int,
        executor: Executor,
        workdir: Path,
    ):
        self.name = name
        self.preset = preset
        self.params = params
        self.seed = seed
        self.executor = executor
        self.workdir = workdir
        self.checks: list[Check] = []
        self.metrics: dict[str, Any] = {}
        self.figures: list[str] = []
        self._n_maps = 0

    # randomness -----------------------------------------------------------------
    def seed_for(self, *keys: Any) -> int:
        """An integer seed derived from the run's seed and ``keys`` (e.g. ``"member", 3``)."""
        return derive_seed(self.seed, self.name, *keys)

    def rng(self, *keys: Any) -> np.random.Generator:
        """A numpy Generator for the stream named by ``keys``."""
        return np.random.default_rng(self.seed_for(*keys))

    # recording ---------------------------------------------------------------------
    def check(
        self,
        name: str,
        measured: float,
        expected: float,
        *,
        uncertainty: float = 0.0,
        tolerance: float = 0.0,
        comparison: str = "close",
    ) -> Check:
        """Record a :class:`Check` and return it."""
        check = Check(name, measured, expected, uncertainty, tolerance, comparison)  # type: ignore[arg-type]
        if any(c.name == name for c in self.checks):
            raise ValueError(f"{self.name}: check {name!r} recorded twice")
        self.checks.append(check)
        return check

    def metric(self, name: str, value: Any) -> None:
        """Record a free-form metric (numbers, lists, strings)."""
        self.metrics[name] = _jsonable(value)

    def new_figure(self, **kwargs: Any) -> Any:
        """A matplotlib :class:`~matplotlib.figure.Figure` not attached to pyplot."""
        from matplotlib.figure import Figure

        kwargs.setdefault("figsize", (6.0, 4.0))
        kwargs.setdefault("layout", "constrained")
        return Figure(**kwargs)

    def figure(self, fig: Any, name: str) -> str:
        """Save a matplotlib figure as ``<name>.png`` next to ``result.json``."""
        if not _FIGURE_NAME.match(name):
            raise ValueError(f"figure name must be letters, digits, '-', '_' or '.'; got {name!r}")
        filename = name if name.endswith(".png") else f"{name}.png"
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110)
        atomic_write_bytes(self.workdir / filename, buffer.getvalue())
        if filename not in self.figures:
            self.figures.append(filename)
        return filename

    # work ----------------------------------------------------------------------------
    def progress(self, iterable: Iterable[Any], *, total: int | None = None, desc: str | None = None):
        """Iterate with a progress bar (shown on a terminal)."""
        return progress(iterable, total=total, desc=desc or self.name)

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any], *, desc: str | None = None) -> list[Any]:
        """Run ``fn(item)`` for every item on the executor and return the results in order.

        Each finished result is stored in the experiment's cache as soon as it arrives,
        so an interrupted run resumed with ``--resume`` does not compute it again.
        ``fn`` must be picklable (a module-level function). Its results must be what the cache
        holds without pickle (:data:`physml._core.STORABLE`: numbers, strings, lists, tuples and
        dicts of them, numpy arrays, torch tensors, fitted physml models); anything else raises
        a ``TypeError`` naming the type. A cache entry that cannot be read is computed again.
        """
        items = list(items)
        index = self._n_maps
        self._n_maps += 1
        cache = ValueStore(self.workdir / "cache", what="ctx.map results")
        missing = object()
        results: list[Any] = [None] * len(items)
        todo: list[int] = []
        for i in range(len(items)):
            value = cache.get(f"map{index}-{i}", missing)
            if value is missing:
                todo.append(i)
            else:
                results[i] = value

        def keep(j: int, value: Any) -> None:
            i = todo[j]
            results[i] = value
            cache.put(f"map{index}-{i}", value)

        if todo:
            self.executor.map(fn, [items[i] for i in todo], on_result=keep, desc=desc or self.name)
        return results


def versions() -> dict[str, str]:
    """Versions of Python, physml and the scientific libraries loaded in this process."""
    out = {"python": platform.python_version(), "platform": platform.platform(), "physml": __version__}
    for module in ("numpy", "scipy", "sklearn", "torch", "matplotlib", "dask", "distributed"):
        mod = sys.modules.get(module)
        if mod is not None and hasattr(mod, "__version__"):
            out[module] = str(mod.__version__)
    return out


def _normalised(params: Mapping[str, Any]) -> Any:
    return json.loads(json.dumps(_jsonable(dict(params))))


def _finished(path: Path, preset: str, params: Mapping[str, Any], seed: int) -> Result | None:
    """The finished result at ``path`` if it is complete and was made with these settings."""
    try:
        result = Result.load(path)
    except (OSError, ValueError):
        return None
    same = result.preset == preset and result.seed == seed and result.params == _normalised(params)
    return result if same and result.verdict != "error" else None


def _prepare_workdir(workdir: Path, stamp: dict[str, Any]) -> None:
    """Reuse an interrupted experiment's directory only if it was made with the same settings."""
    stamp_file = workdir / "run.json"
    if workdir.exists():
        try:
            if json.loads(stamp_file.read_text()) == stamp:
                return
        except (OSError, ValueError):
            pass
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    atomic_write_text(stamp_file, json.dumps(stamp))


def check_output_dir(out: Path, resume: bool) -> None:
    """Refuse, before any work, a run directory that cannot be written (a file, a read-only file
    system, no permission, a parent that is a file) and a non-empty one unless resuming; one line
    naming ``--out``. Missing parents are fine: the runner creates them."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputDirError(f"--out {out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not resume:
        raise OutputDirError(
            f"--out {out}: directory exists and is not empty; pass --resume to continue it "
            "or choose another directory"
        )
    reason = unwritable_reason(out, directory=True, make_parents=True)
    if reason is not None:
        raise OutputDirError(f"--out {out}: cannot be written: {reason}")


def run_experiments(
    names: Sequence[str | Experiment],
    out: str | Path,
    *,
    preset: str = "quick",
    seed: int = 0,
    overrides: Mapping[str, Any] | None = None,
    executor: Executor | None = None,
    resume: bool = False,
    echo: Callable[[str], None] | None = None,
    provenance: Mapping[str, Any] | None = None,
) -> list[Result]:
    """Run experiments into the run directory ``out`` and return their results.

    Parameters
    ----------
    names : sequence of str or Experiment
    out : path
        Run directory; must be empty or absent unless ``resume``.
    preset : {"quick", "full"}
    seed : int
        The run's seed; every random draw derives from it.
    overrides : mapping, optional
        ``{parameter: value}`` applied to every experiment that has the parameter
        (each key must belong to at least one of them).
    executor : Executor, optional
        Where maps run; inline by default.
    resume : bool
        Keep finished experiments made with the same settings, continue interrupted ones.
    echo : callable, optional
        Receives one line per event (started, finished, skipped), each starting with ``[k/n]``
        and the experiment's name; a finished experiment's line gives the time elapsed since the
        call started and an estimate of the time left (the mean time of the experiments
        finished in this call times the number still to come).
    provenance : mapping, optional
        Recorded in every result (default: :func:`physml.lab.provenance` of this process with
        ``executor``: the command, physml's version and git revision, CPU, threads, executor).
    """
    seed = check_int(seed, "seed", low=0)
    experiments = [n if isinstance(n, Experiment) else get_experiment(n) for n in names]
    overrides = dict(overrides or {})
    resolved = []
    for exp in experiments:
        mine = {k: v for k, v in overrides.items() if k in exp.parameters}
        if len(experiments) == 1:
            mine = overrides  # unknown keys are reported by resolve
        resolved.append(exp.resolve(preset, mine))
    unused = [k for k in overrides if not any(k in e.parameters for e in experiments)]
    if unused and len(experiments) > 1:
        raise ParameterError(
            f"--set {unused[0]}: no selected experiment has a parameter {unused[0]!r}"
        )
    out = Path(out)
    check_output_dir(out, resume)
    out.mkdir(parents=True, exist_ok=True)
    executor = executor or InlineExecutor()
    origin = dict(make_provenance(executor=executor) if provenance is None else provenance)
    say = echo or (lambda line: None)
    results = []
    start, ran = time.perf_counter(), []  # ran: seconds of the experiments computed in this call
    for k, (exp, params) in enumerate(zip(experiments, resolved, strict=True), 1):
        tag = f"[{k}/{len(experiments)}] {exp.name}"
        final = out / exp.name
        done = _finished(final / "result.json", preset, params, seed) if resume else None
        if done is not None:
            say(f"{tag}: kept finished result ({done.verdict})")
            results.append(done)
            continue
        say(f"{tag}: running ({preset} preset)")
        results.append(_run_one(exp, params, preset, seed, executor, out, origin))
        ran.append(results[-1].seconds)
        clock = _progress_note(time.perf_counter() - start, ran, len(experiments) - k)
        say(f"{tag}: {results[-1].verdict} in {results[-1].seconds:.1f} s ({clock})")
    return results


def _clock(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _progress_note(elapsed: float, ran: Sequence[float], remaining: int) -> str:
    """``elapsed 0:41, about 9:30 left``: the time left is the mean time of the experiments
    finished in this run times the number still to come (a rough guide: they differ a lot)."""
    note = f"elapsed {_clock(elapsed)}"
    if remaining and ran:
        note += f", about {_clock(remaining * sum(ran) / len(ran))} left"
    return note


def _run_one(exp: Experiment, params: dict[str, Any], preset: str, seed: int, executor: Executor,
             out: Path, origin: dict[str, Any]) -> Result:
    workdir = out / f".{exp.name}.partial"
    stamp = {"preset": preset, "params": _normalised(params), "seed": seed, "physml": __version__}
    _prepare_workdir(workdir, stamp)
    ctx = Context(exp.name, preset, dict(params), seed, executor, workdir)
    error = None
    start = time.perf_counter()
    try:
        exp.func(ctx, **params)
    except (KeyboardInterrupt, SystemExit, ClusterError):
        raise  # the partial directory and its cache stay for --resume; a lost cluster stops the run
    except Exception:
        error = traceback.format_exc(limit=-8)
    seconds = time.perf_counter() - start
    result = Result(
        name=exp.name,
        claim=exp.claim,
        source=exp.source,
        preset=preset,
        params=_normalised(params),
        seed=seed,
        seconds=seconds,
        versions=versions(),
        provenance=origin,
        checks=ctx.checks,
        metrics=ctx.metrics,
        figures=ctx.figures,
        error=error,
    )
    shutil.rmtree(workdir / "cache", ignore_errors=True)
    (workdir / "run.json").unlink(missing_ok=True)
    atomic_write_text(workdir / "result.json", result.to_json())
    final = out / exp.name
    if final.exists():
        shutil.rmtree(final)
    workdir.rename(final)
    return result


def load_results(out: str | Path) -> list[Result]:
    """All finished results in a run directory, sorted by name."""
    out = Path(out)
    results = []
    for path in sorted(out.glob("*/result.json")):
        results.append(Result.load(path))
    return results
