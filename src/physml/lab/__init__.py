"""The lab: experiment machinery, no science.

An experiment is a registered function that measures one claim from the talks and
records :class:`Check` objects (measured ± uncertainty against an expectation). The
runner writes each experiment's ``result.json`` and figures into a run directory,
atomically and resumably; :func:`write_report` renders the directory as one HTML page.
Ensemble members and sweep points go through an :class:`Executor` (inline, a local
process pool, or a Dask cluster).
"""

from physml.lab._errors import LabError, OutputDirError, ParameterError, UnknownExperimentError
from physml.lab._executors import (
    DaskExecutor,
    Executor,
    InlineExecutor,
    MapError,
    ProcessExecutor,
    make_executor,
)
from physml.lab._format import format_measurement, format_result
from physml.lab._io import atomic_write_bytes, atomic_write_text
from physml.lab._progress import progress
from physml.lab._registry import Experiment, experiment, get_experiment, list_experiments, select_experiments
from physml.lab._report import render_report, write_report
from physml.lab._runner import Context, load_results, run_experiments, versions
from physml.lab._seeding import as_generator, derive_seed, spawn_seeds, torch_generator
from physml.lab._types import COMPARISONS, VERDICTS, Check, Result

__all__ = [
    "COMPARISONS",
    "VERDICTS",
    "Check",
    "Context",
    "DaskExecutor",
    "Executor",
    "Experiment",
    "InlineExecutor",
    "LabError",
    "MapError",
    "OutputDirError",
    "ParameterError",
    "ProcessExecutor",
    "Result",
    "UnknownExperimentError",
    "as_generator",
    "atomic_write_bytes",
    "atomic_write_text",
    "derive_seed",
    "experiment",
    "format_measurement",
    "format_result",
    "get_experiment",
    "list_experiments",
    "load_results",
    "make_executor",
    "progress",
    "render_report",
    "run_experiments",
    "select_experiments",
    "spawn_seeds",
    "torch_generator",
    "versions",
    "write_report",
]
