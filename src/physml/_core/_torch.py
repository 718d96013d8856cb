"""Torch state dicts as the plain arrays of the one model-file format, and back.

A model holding torch modules saves their ``state_dict`` through :func:`state_to_arrays` (numpy
arrays on the CPU, named ``<prefix>.<name>``) and rebuilds it with :func:`arrays_to_state`. A
tensor of a dtype numpy lacks (``bfloat16``, the float8 types) is stored as a float32 (or
complex64) copy, which holds it exactly; its torch dtype is in the returned ``dtypes``, which a
model records in its header when it needs the exact dtypes back.

Torch is imported inside the functions: the ground floor loads without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from physml._core._persist import ModelFileError

__all__ = ["FLOAT_DTYPES", "arrays_to_state", "state_to_arrays", "torch_dtype"]

#: The floating-point dtypes (by name) that physml's torch models compute in.
FLOAT_DTYPES = ("float32", "float64")


def torch_dtype(name: str) -> Any:
    """The torch dtype called ``name`` (``"float32"`` -> ``torch.float32``)."""
    import torch

    dtype = getattr(torch, str(name), None)
    if not isinstance(dtype, torch.dtype):
        raise ValueError(f"{name!r} names no torch dtype")
    return dtype


def _key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def state_to_arrays(
    state_dict: Mapping[str, Any], prefix: str = ""
) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """``({<prefix>.name: numpy array}, {name: torch dtype name})`` of a ``state_dict``, copied
    to the CPU (without a prefix the arrays keep the state's names)."""
    import torch

    arrays, dtypes = {}, {}
    for name, value in state_dict.items():
        t = value.detach().cpu()
        dtypes[name] = str(t.dtype).removeprefix("torch.")
        try:
            array = t.numpy()
        except TypeError:  # a dtype numpy lacks
            array = t.to(torch.complex64 if t.is_complex() else torch.float32).numpy()
        arrays[_key(prefix, name)] = array.copy()
    return arrays, dtypes


def arrays_to_state(
    arrays: Mapping[str, np.ndarray],
    dtypes: Mapping[str, str] | None = None,
    prefix: str = "",
    *,
    device: Any = None,
) -> dict[str, Any]:
    """The ``state_dict`` that :func:`state_to_arrays` stored under ``prefix``, on ``device``.

    With ``dtypes`` (as :func:`state_to_arrays` returned them) exactly those tensors, in their
    torch dtypes (a missing array is a :class:`ModelFileError`); without, every array under
    ``prefix`` in its own dtype.
    """
    import torch

    if dtypes is None:
        start = f"{prefix}." if prefix else ""
        names = {k[len(start):]: None for k in arrays if k.startswith(start)}
    else:
        names = dict(dtypes)
    out = {}
    for name, dtype in names.items():
        key = _key(prefix, name)
        if key not in arrays:
            raise ModelFileError(f"the model file lacks the array {key!r}")
        t = torch.tensor(np.asarray(arrays[key]))
        if dtype is not None:
            t = t.to(torch_dtype(dtype))
        out[name] = t if device is None else t.to(device)
    return out
