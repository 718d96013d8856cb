"""Reading either kind of flow file: :func:`load_flow`."""

from __future__ import annotations

import os

from physml.flows._density import FlowDensity
from physml.flows._ensemble import FlowEnsemble
from physml.flows._serialize import read_payload

__all__ = ["load_flow"]

_READERS = {"FlowDensity": FlowDensity, "FlowEnsemble": FlowEnsemble}


def load_flow(path: str | os.PathLike[str], *, device: str | None = None) -> FlowDensity | FlowEnsemble:
    """Read a :class:`~physml.flows.FlowDensity` or :class:`~physml.flows.FlowEnsemble` saved by ``save``.

    The file is read with ``torch.load(..., weights_only=True)``: only tensors and plain Python
    values are accepted, so loading a file cannot execute code.

    Parameters
    ----------
    path : path-like
        A file written by :meth:`FlowDensity.save <physml.flows.FlowDensity.save>` or
        :meth:`FlowEnsemble.save <physml.flows.FlowEnsemble.save>`.
    device : str, optional
        Torch device for the loaded flow(s); default the device they were saved with.

    Raises
    ------
    FileNotFoundError
        No file at ``path``.
    ValueError
        The file is not a physml flow file, or holds an unknown kind of flow.
    """
    data = read_payload(path)
    return _READERS[data["kind"]]._from_payload(data, device=device)
