"""Scaling laws: power-law fits with uncertainties, sweeps over data and model size, and
teacher-student tasks on data manifolds of known dimension.

* :func:`fit_power_law`: ``y = A x**p`` in log-log space.
* :func:`fit_offset_power_law`: ``L = A T**(-α) + C`` (with an irreducible loss C);
  :func:`fit_scaling_law`: the same fitted to losses over sizes × seeds, with bootstrap errors.
* :func:`train_to_convergence`: SGD with early stopping on a validation set and learning-rate
  drops, so that each point of a data-scaling curve is trained to convergence.
* :func:`run_sweep`, :func:`sweep_points`: sweeps through the executors of :mod:`physml.parallel`
  (inline, process pool, Dask), resumable point by point.
* :func:`teacher_student_data`, :func:`teacher_student_loss`: regression of a random smooth
  teacher on the flat d-torus, where L ∝ n^(−4/d) is expected (Sharma & Kaplan); the student is
  trained for a fixed budget or (``converge=True``) to convergence on a validation split.
* :func:`count_flops`, :func:`training_compute`, :func:`model_from_spec`: parameter and FLOP
  counts (forward, training per sample) of torch models and a run's total training compute.

See ``docs/scaling.md``.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_compute": (
            "MODEL_FAMILIES",
            "ComputeCount",
            "LayerCount",
            "count_flops",
            "model_from_spec",
            "training_compute",
        ),
        "_converge": (
            "ConvergedTraining",
            "train_to_convergence",
        ),
        "_laws": (
            "OffsetPowerLawFit",
            "ScalingLawFit",
            "fit_offset_power_law",
            "fit_scaling_law",
        ),
        "_powerlaw": (
            "PowerLawFit",
            "fit_power_law",
        ),
        "_sweep": (
            "run_sweep",
            "sweep_points",
        ),
        "_teacher": (
            "teacher_student_data",
            "teacher_student_loss",
        ),
    },
)
