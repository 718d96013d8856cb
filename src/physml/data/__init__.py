"""Data sets and synthetic data: images, point clouds on manifolds, orbits on attractors.

Every generator is a pure function of its parameters and ``seed`` (an integer or a
:class:`numpy.random.Generator`). Importing this package loads nothing heavy: each name loads
its submodule on first use (numpy; scipy for the manifolds and the symmetric templates), and
scikit-learn (the digits and sample images) and h5py (``.h5`` files) are imported by the
functions that need them.
"""

from __future__ import annotations

from physml._core import lazy_exports as _lazy_exports

__all__, __getattr__, __dir__ = _lazy_exports(
    __name__,
    {
        "collider": (),
        "_attractors": (
            "henon",
            "lorenz",
        ),
        "_benchmark": (
            "BENCHMARK_MANIFOLDS",
            "benchmark_manifold",
        ),
        "_files": (
            "ARRAY_SUFFIXES",
            "load_array",
        ),
        "_images": (
            "FASHION_MNIST_CLASSES",
            "DatasetCorruptError",
            "DatasetNotFoundError",
            "digits",
            "fashion_mnist",
            "read_idx",
            "sample_images",
        ),
        "_manifolds": (
            "clifford_torus",
            "excised_sphere",
            "flat_torus",
            "sphere",
            "swiss_roll",
            "torus",
        ),
        "_phasespace": (
            "dalitz_boundary_quantile",
            "four_momentum_violation",
            "invariant_mass_squared",
            "mass_shell_violation",
            "massless_phase_space_volume",
            "phase_space",
            "phase_space_to_sphere",
            "rambo",
            "sphere_to_phase_space",
        ),
        "_plummer": (
            "plummer_acceleration",
            "plummer_density",
            "plummer_df",
            "plummer_enclosed_mass",
            "plummer_mass_radius",
            "plummer_escape_speed",
            "plummer_grad_log_df",
            "plummer_log_df",
            "plummer_potential",
            "plummer_sample",
            "plummer_velocity_dispersion",
        ),
        "_symmetric": (
            "SKETCHES",
            "SYMMETRY_CLASSES",
            "SymmetricTemplate",
            "pixel_grid",
            "symmetric_template",
            "symmetric_templates",
            "symmetry_sketch",
        ),
        "_text": (
            "python_docstrings",
            "read_text",
            "split_text",
        ),
    },
)
