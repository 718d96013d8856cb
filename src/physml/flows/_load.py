"""Reading either kind of flow file: :func:`load_flow`."""

from __future__ import annotations

import json
import os
import zipfile
from typing import Any

import numpy as np
import torch

from physml._core import ModelFileError, model_format
from physml.flows._density import FlowDensity
from physml.flows._ensemble import FlowEnsemble
from physml.flows._serialize import is_torch_file, read_payload

__all__ = ["load_flow"]

_READERS = {"FlowDensity": FlowDensity, "FlowEnsemble": FlowEnsemble}
#: What goes wrong when a flow is rebuilt from a file's contents (missing or misshapen arrays).
_REBUILD_ERRORS = (KeyError, IndexError, ValueError, TypeError, RuntimeError, AttributeError)
#: Entries of a physml 0.1 torch payload that may hold inf: the bounds of a flow without a
#: support and the loss histories (as ``FlowDensity._nonfinite_arrays`` for model files).
_MAY_BE_INFINITE = ("support_low", "support_high", "history")


def _model_file_class(path: str | os.PathLike[str]) -> type:
    """The flow class a model file names in its header (FlowDensity when it names neither: its
    ``load`` then says what the file is)."""
    try:
        with np.load(path, allow_pickle=False) as archive:
            fmt = json.loads(str(archive["meta"]))["format"]
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return FlowDensity
    return FlowEnsemble if fmt == model_format(FlowEnsemble) else FlowDensity


def load_flow(path: str | os.PathLike[str], *, device: str | None = None) -> FlowDensity | FlowEnsemble:
    """Read a :class:`~physml.flows.FlowDensity` or :class:`~physml.flows.FlowEnsemble` saved by ``save``.

    The file is an ``.npz`` of plain arrays with a JSON header (read without pickle: loading
    cannot execute code), or a torch file of physml 0.1 (format ``"physml.flows/1"``, read with
    ``torch.load(..., weights_only=True)``, which accepts only tensors and plain values).

    Parameters
    ----------
    path : path-like
        A file written by :meth:`FlowDensity.save <physml.flows.FlowDensity.save>` or
        :meth:`FlowEnsemble.save <physml.flows.FlowEnsemble.save>`.
    device : str, optional
        Torch device for the loaded flow(s); default the device they were saved with.

    Raises
    ------
    physml._core.ModelFileError
        (a ``ValueError``) No file at ``path``, or not a physml flow file: a directory, an empty,
        truncated or damaged file, random bytes, another class's model file, one that holds a
        pickled object, or a flow whose parameters hold NaN or inf (saved after training
        diverged); one line that names the file.
    """
    try:
        if is_torch_file(path):
            payload = read_payload(path)
            _refuse_nonfinite_payload(path, payload)
            cls = _READERS[payload["kind"]]
        else:
            cls = _model_file_class(path)
        return cls.load(path, device=device)
    except ModelFileError:
        raise
    except _REBUILD_ERRORS as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
        raise ModelFileError(f"{path}: cannot rebuild a flow from this file ({reason})") from None


def _refuse_nonfinite_payload(path: str | os.PathLike[str], payload: Any, name: str = "") -> None:
    """ModelFileError for the first float tensor of a torch flow file's payload that holds NaN or
    inf (the bounds and histories excepted): the flow was saved after its training diverged."""
    if isinstance(payload, dict):
        for key, value in payload.items():
            if str(key) not in _MAY_BE_INFINITE:
                _refuse_nonfinite_payload(path, value, f"{name}.{key}" if name else str(key))
    elif isinstance(payload, (list, tuple)):
        for i, value in enumerate(payload):
            _refuse_nonfinite_payload(path, value, f"{name}.{i}" if name else str(i))
    elif isinstance(payload, torch.Tensor) and (payload.is_floating_point() or payload.is_complex()):
        count = int(payload.numel() - torch.isfinite(payload).sum())
        if count:
            raise ModelFileError(
                f"{path}: parameter {name!r} holds {count} non-finite value{'s' * (count != 1)} "
                "(NaN or inf); the model was saved after training diverged"
            )
