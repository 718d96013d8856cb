"""Normalizing flows (on zuko) for densities of samples, and dynamics from phase-space densities.

* :class:`FlowDensity`: a scikit-learn-style density estimator over zuko's MAF, NSF and
  continuous (FFJORD) flows, with standardisation, early stopping, ``log_prob``, gradients of
  the log density with respect to the inputs, ``sample`` and a save/load that runs no code.
* :class:`FlowEnsemble`: flows trained from independent seeds (on a :mod:`physml.lab`
  executor) and averaged in density.
* :func:`cbe_acceleration`: the acceleration −∇Φ from a learned f(x, v) by solving the
  steady collisionless Boltzmann equation by least squares over velocities;
  :func:`poisson_density` the mass density from its divergence.
"""

from physml.flows._density import FLOWS, FlowDensity, load_flow
from physml.flows._dynamics import (
    CBEAcceleration,
    cbe_acceleration,
    local_velocities,
    poisson_density,
    radial_density_profile,
    sphere_points,
)
from physml.flows._ensemble import FlowEnsemble, fit_member

__all__ = [
    "FLOWS",
    "CBEAcceleration",
    "FlowDensity",
    "FlowEnsemble",
    "cbe_acceleration",
    "fit_member",
    "load_flow",
    "local_velocities",
    "poisson_density",
    "radial_density_profile",
    "sphere_points",
]
