"""The lab: experiment machinery, no science.

An experiment is a registered function that measures one claim from the talks and
records :class:`Check` objects (measured ± uncertainty against an expectation). The
runner writes each experiment's ``result.json`` and figures into a run directory,
atomically and resumably; :func:`write_report` renders the directory as one HTML page and
:func:`compare_runs` compares two run directories check by check.
Ensemble members and sweep points go through an executor of :mod:`physml.parallel` (inline,
a local process pool, or a Dask cluster).
"""

from physml._core import lazy_exports as _lazy_exports

# The seeding, file, progress and executor names live in the floors below the lab
# (physml._core, physml.parallel) and are re-exported here for code written against the lab.
__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "physml._core": (
            "as_generator",
            "atomic_write_bytes",
            "atomic_write_text",
            "derive_seed",
            "format_measurement",
            "progress",
            "spawn_seeds",
            "torch_generator",
        ),
        "physml.parallel": (
            "DaskExecutor",
            "Executor",
            "InlineExecutor",
            "MapError",
            "ProcessExecutor",
            "make_executor",
        ),
        "_compare": ("CheckComparison", "Comparison", "ExperimentComparison", "Regression", "SettingDiff",
                     "compare_runs", "default_threshold"),
        "_errors": ("LabError", "OutputDirError", "ParameterError", "UnknownExperimentError"),
        "_format": ("format_result",),
        "_provenance": ("cpu_info", "git_revision", "provenance"),
        "_registry": ("Experiment", "experiment", "get_experiment", "list_experiments", "select_experiments"),
        "_report": ("render_report", "write_report"),
        "_runner": ("Context", "check_output_dir", "load_results", "run_experiments", "versions"),
        "_types": ("COMPARISONS", "VERDICTS", "Check", "Result"),
    },
)
