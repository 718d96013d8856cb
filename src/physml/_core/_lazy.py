"""Lazy package exports, in the manner of the Scientific Python SPEC 1.

A package's ``__init__`` declares which public names live in which submodule; a name is
imported the first time it is used. ``import physml.nets`` therefore costs nothing, and
``from physml import nets`` at the top of a module states the dependency without loading
PyTorch until ``nets.MLP`` is first touched. Static analysers see the real imports through
an ``if TYPE_CHECKING:`` block in the package, where a package wants one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, Sequence[str]], *, eager: Mapping[str, Any] | None = None
) -> tuple[list[str], Callable[[str], Any], Callable[[], list[str]]]:
    """``(__all__, __getattr__, __dir__)`` for ``package`` from ``{submodule: names}``.

    ``submodule`` is relative to ``package`` (``"_mlp"``, or ``"collider"`` for a
    subpackage, whose name is then exported too), or an absolute ``"physml...."`` name for
    a name re-exported from a lower floor. A name may be listed once only.
    ``eager`` holds names the package defines itself; they are listed in ``__all__``.
    """
    where: dict[str, str] = {}
    for module, names in exports.items():
        for name in names:
            if name in where:
                raise ValueError(f"{package}: {name!r} is exported by both {where[name]} and {module}")
            where[name] = module
    public_modules = [m for m in exports if not m.startswith(("_", "physml."))]
    names = sorted({*where, *public_modules, *(eager or {})})

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is not None:
            absolute = module if module.startswith("physml.") else f"{package}.{module}"
            value = getattr(importlib.import_module(absolute), name)
        elif name in public_modules:
            value = importlib.import_module(f"{package}.{name}")
        else:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # cache it in the package so that the next access is an ordinary attribute
        setattr(importlib.import_module(package), name, value)
        return value

    def __dir__() -> list[str]:
        return list(names)

    return names, __getattr__, __dir__
