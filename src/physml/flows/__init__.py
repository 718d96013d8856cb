"""Normalizing flows (on zuko) for densities of samples, and dynamics from phase-space densities.

* :class:`FlowDensity`: a scikit-learn density estimator over zuko's MAF, NSF and
  continuous (FFJORD) flows, with standardisation, early stopping, ``log_prob``, gradients of
  the log density with respect to the inputs, ``sample`` and a save/load that runs no code
  (:func:`load_flow` reads either kind of file, and the torch files of physml 0.1).
* :class:`FlowEnsemble`: flows trained from independent seeds (on a :mod:`physml.parallel`
  executor) and averaged in density.

Both follow the model contract of docs/architecture.md ("One model contract").
* :func:`cbe_acceleration`: the acceleration −∇Φ from a learned f(x, v) by solving the
  steady collisionless Boltzmann equation by least squares over velocities;
  :func:`poisson_density` the mass density from its divergence.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "_density": (
            "FLOWS",
            "MIN_SAMPLES_PER_FEATURE",
            "FlowDensity",
        ),
        "_dynamics": (
            "CBEAcceleration",
            "cbe_acceleration",
            "local_velocities",
            "poisson_density",
            "radial_density_profile",
            "sphere_points",
        ),
        "_ensemble": (
            "FlowEnsemble",
            "fit_member",
        ),
        "_load": (
            "load_flow",
        ),
    },
)
