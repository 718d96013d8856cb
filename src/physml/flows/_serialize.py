"""The flow file format: a torch file of tensors and plain values, tagged ``physml.flows/1``.

A saved :class:`~physml.flows.FlowDensity` or :class:`~physml.flows.FlowEnsemble` is one dict
(its payload) with ``"format"`` and ``"kind"`` (the class name) beside the fitted state. It is
written atomically and read with ``torch.load(..., weights_only=True)``, which accepts tensors
and plain Python values only, so reading a file cannot execute code. The classes build
themselves from a payload; this module knows nothing of them, so both depend on it and not on
each other.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import torch

from physml._core import atomic_write_bytes

__all__ = ["FORMAT", "KINDS", "check_kind", "read_payload", "write_payload"]

#: The format tag every flow file carries.
FORMAT = "physml.flows/1"
#: The kinds of flow a file may hold (the class that reads it).
KINDS = ("FlowDensity", "FlowEnsemble")


def write_payload(path: str | os.PathLike[str], payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path`` with ``torch.save``, atomically (whole file or none)."""
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write_bytes(Path(path), buffer.getvalue())


def read_payload(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The payload of a flow file, of one of :data:`KINDS`; ``FileNotFoundError`` or ``ValueError``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
        raise ValueError(f"{path}: not a physml flow file ({type(exc).__name__}: {exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path}: not a physml flow file (expected format {FORMAT!r})")
    if data.get("kind") not in KINDS:
        raise ValueError(f"{path}: unknown flow kind {data.get('kind')!r}")
    return data


def check_kind(path: str | os.PathLike[str], data: dict[str, Any], cls: type) -> None:
    """Raise ``ValueError`` unless the payload ``data`` read from ``path`` is a ``cls``."""
    if data["kind"] != cls.__name__:
        raise ValueError(f"{path} holds a {data['kind']}, not a {cls.__name__}")
