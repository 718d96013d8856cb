"""Reading either kind of flow file: :func:`load_flow`."""

from __future__ import annotations

import json
import os
import zipfile

import numpy as np

from physml._core import model_format
from physml.flows._density import FlowDensity
from physml.flows._ensemble import FlowEnsemble
from physml.flows._serialize import is_torch_file, read_payload

__all__ = ["load_flow"]

_READERS = {"FlowDensity": FlowDensity, "FlowEnsemble": FlowEnsemble}


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
        (a ``ValueError``) No file at ``path``, or not a physml flow file: another class's model
        file, a damaged file, or one that holds a pickled object; the message names the file.
    """
    if is_torch_file(path):
        cls = _READERS[read_payload(path)["kind"]]
    else:
        cls = _model_file_class(path)
    return cls.load(path, device=device)
