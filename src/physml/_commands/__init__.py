"""Tool commands for users' own data (``physml ising``, ``physml rbm``, ...).

Every public module here (a name without a leading underscore) is a command family: it
defines ``register(subparsers)``, which adds its sub-command and sets ``handler`` (a
function of the parsed arguments returning an exit code). Modules import only the
standard library at top level; science modules are imported by the handler, so
``physml --help`` stays fast. Adding a command is adding a module: nothing to edit here.
"""

from __future__ import annotations

import pkgutil

__all__ = ["tool_modules"]


def tool_modules() -> list[str]:
    """Names of the command modules, sorted (their order in ``physml --help``)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
