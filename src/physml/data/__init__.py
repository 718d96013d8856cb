"""Data sets and synthetic data: images, point clouds on manifolds, orbits on attractors.

Every generator is a pure function of its parameters and ``seed`` (an integer or a
:class:`numpy.random.Generator`). Importing this package loads only numpy; scipy,
scikit-learn and pillow are imported by the functions that need them.
"""

from __future__ import annotations

from physml.data._attractors import henon, lorenz
from physml.data._benchmark import BENCHMARK_MANIFOLDS, benchmark_manifold
from physml.data._files import ARRAY_SUFFIXES, load_array
from physml.data._images import (
    FASHION_MNIST_CLASSES,
    DatasetCorruptError,
    DatasetNotFoundError,
    digits,
    fashion_mnist,
    read_idx,
    sample_images,
)
from physml.data._manifolds import clifford_torus, excised_sphere, flat_torus, sphere, swiss_roll, torus
from physml.data._phasespace import (
    four_momentum_violation,
    invariant_mass_squared,
    mass_shell_violation,
    massless_phase_space_volume,
    phase_space,
    phase_space_to_sphere,
    rambo,
    sphere_to_phase_space,
)
from physml.data._plummer import (
    plummer_acceleration,
    plummer_density,
    plummer_df,
    plummer_enclosed_mass,
    plummer_escape_speed,
    plummer_grad_log_df,
    plummer_log_df,
    plummer_potential,
    plummer_sample,
    plummer_velocity_dispersion,
)
from physml.data._symmetric import (
    SKETCHES,
    SYMMETRY_CLASSES,
    SymmetricTemplate,
    pixel_grid,
    symmetric_template,
    symmetric_templates,
    symmetry_sketch,
)
from physml.data._text import python_docstrings, read_text, split_text

__all__ = [
    "SKETCHES",
    "SYMMETRY_CLASSES",
    "SymmetricTemplate",
    "pixel_grid",
    "symmetric_template",
    "symmetric_templates",
    "symmetry_sketch",
    "python_docstrings",
    "read_text",
    "split_text",
    "ARRAY_SUFFIXES",
    "BENCHMARK_MANIFOLDS",
    "FASHION_MNIST_CLASSES",
    "DatasetCorruptError",
    "DatasetNotFoundError",
    "benchmark_manifold",
    "clifford_torus",
    "digits",
    "excised_sphere",
    "fashion_mnist",
    "flat_torus",
    "henon",
    "load_array",
    "lorenz",
    "four_momentum_violation",
    "invariant_mass_squared",
    "mass_shell_violation",
    "massless_phase_space_volume",
    "phase_space",
    "phase_space_to_sphere",
    "rambo",
    "sphere_to_phase_space",
    "plummer_acceleration",
    "plummer_density",
    "plummer_df",
    "plummer_enclosed_mass",
    "plummer_escape_speed",
    "plummer_grad_log_df",
    "plummer_log_df",
    "plummer_potential",
    "plummer_sample",
    "plummer_velocity_dispersion",
    "read_idx",
    "sample_images",
    "sphere",
    "swiss_roll",
    "torus",
]
