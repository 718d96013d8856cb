"""Flow files: torch tensors as the plain arrays of the one model-file format, and the reader of
the torch files that physml wrote before it.

A :class:`~physml.flows.FlowDensity` or :class:`~physml.flows.FlowEnsemble` saves through
:meth:`physml._core.ModelMixin.save`: one ``.npz`` of numeric arrays (the flow's ``state_dict``
beside the standardisation) and a JSON header (format ``physml.flows.FlowDensity`` or
``physml.flows.FlowEnsemble``, format version 2). :func:`physml._core.state_to_arrays` and
:func:`physml._core.arrays_to_state` turn a ``state_dict`` into such arrays and back, exactly: a
tensor whose dtype numpy lacks (``bfloat16``) is stored as a float32 copy, which holds it exactly,
and its dtype is recorded.

Format version 1 is the torch file of physml 0.1: one dict (the payload) tagged
``"physml.flows/1"``, written with ``torch.save`` and read with ``torch.load(...,
weights_only=True)``, which accepts tensors and plain values only. :func:`is_torch_file` tells
the two apart by content (a torch file is a zip holding ``data.pkl``, a model file one holding the
``meta`` header), and :func:`read_payload` reads the old one; the classes build themselves from a
payload.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any

import torch

from physml._core import ModelFileError

__all__ = ["FORMAT", "KINDS", "check_kind", "is_torch_file", "read_payload"]

#: The format tag of the torch files of physml 0.1 (format version 1).
FORMAT = "physml.flows/1"
#: The kinds of flow a torch file may hold (the class that reads it).
KINDS = ("FlowDensity", "FlowEnsemble")


# ---------------------------------------------------------------------------------------------
# the torch files of physml 0.1 (format version 1)


def is_torch_file(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a torch file (a zip with ``data.pkl`` and no model-file header)."""
    path = Path(path)
    if not path.is_file() or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return False
    return "meta.npy" not in names and any(n == "data.pkl" or n.endswith("/data.pkl") for n in names)


def read_payload(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The payload of a torch flow file (format ``physml.flows/1``) of one of :data:`KINDS`.

    Read with ``torch.load(..., weights_only=True)``: a file that holds anything but tensors and
    plain values is refused. Raises :class:`physml._core.ModelFileError` (a ``ValueError``).
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is reported the same way
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise ModelFileError(f"{path}: not a physml flow file ({type(exc).__name__}: {text})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a physml flow file (expected format {FORMAT!r})")
    if data.get("kind") not in KINDS:
        raise ModelFileError(f"{path}: unknown flow kind {data.get('kind')!r}")
    return data


def check_kind(path: str | os.PathLike[str], data: dict[str, Any], cls: type) -> None:
    """:class:`physml._core.ModelFileError` unless the payload ``data`` read from ``path`` is a ``cls``."""
    if data["kind"] != cls.__name__:
        raise ModelFileError(
            f"{path}: holds a {data['kind']}, not a {cls.__name__} (torch flow file {FORMAT})"
        )
