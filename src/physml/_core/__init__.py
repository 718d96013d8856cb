"""The ground floor: what every other part of physml stands on, and nothing else.

* seeding (:func:`as_generator`, :func:`spawn_seeds`, :func:`derive_seed`,
  :func:`torch_generator`): every random draw comes from an explicit seed;
* files written atomically (:func:`atomic_write_bytes`, :func:`atomic_write_text`) and
  outputs probed before any work (:func:`unwritable_reason`);
* progress bars (:func:`progress`, :func:`progress_bar`);
* numbers with uncertainties formatted (:func:`format_measurement`, :func:`format_number`,
  :func:`format_seconds`);
* input validation with one-line errors naming the argument, the value and what is
  accepted (:func:`check_array`, :func:`check_int`, :func:`check_real`,
  :func:`check_choice`, :func:`check_seed`), and declared estimator parameters
  (:func:`validate_params` with :class:`Interval`, :class:`Options`, :class:`Predicate`);
* model files that cannot run code (:func:`write_model_file`, :func:`read_model_file`,
  :class:`ModelFileError`): plain arrays and a JSON header in one ``.npz``;
* stored results that cannot run code (:func:`dumps_value`, :func:`loads_value`,
  :class:`ValueStore`, :class:`StoreError`): the lab's cache and resumable sweeps keep finished
  work as JSON plus arrays in one ``.npz`` per value, never as pickles;
* the model contract every estimator shares (:class:`ModelMixin`: declared parameters,
  save/load through one file format, ``score``);
* lazy package exports (:func:`lazy_exports`).

This package imports nothing else from physml (docs/architecture.md). Its own names are
loaded on first use, so that the command line can import it without numpy.
"""

from __future__ import annotations

from physml._core._lazy import lazy_exports
from physml._core._version import __version__

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "_estimator": (
            "DATA_KINDS",
            "ModelMixin",
            "decode_param",
            "encode_param",
            "model_class",
            "model_format",
            "nested_model",
            "nested_state",
        ),
        "_format": ("format_measurement", "format_number", "format_seconds"),
        "_io": ("atomic_write_bytes", "atomic_write_text", "unwritable_reason"),
        "_params": ("Interval", "InvalidParameterError", "Options", "Predicate", "validate_params"),
        "_persist": ("ModelFileError", "model_file_format", "read_model_file", "write_model_file"),
        "_progress": ("progress", "progress_bar"),
        "_store": ("STORABLE", "StoreError", "ValueStore", "dumps_value", "loads_value"),
        "_seeding": ("as_generator", "derive_seed", "spawn_seeds", "torch_generator"),
        "_torch": (
            "FLOAT_DTYPES",
            "CPUCapability",
            "arrays_to_state",
            "cpu_capability",
            "device_memory_bytes",
            "format_bytes",
            "state_to_arrays",
            "torch_dtype",
        ),
        "_validation": ("check_array", "check_choice", "check_int", "check_real", "check_seed", "show_value"),
    },
    eager={"lazy_exports": lazy_exports, "__version__": __version__},
)
