"""The lab's catalogue: one module per topic, each registering experiments that compose
library pieces (no algorithm lives only here). Importing this package registers them all;
the modules import heavy libraries only inside the experiment functions.

Every public module here (a name without a leading underscore) is imported, so adding a
topic is adding a module: nothing to edit in this file.
"""

from __future__ import annotations

import importlib
import pkgutil

__all__ = ["topic_modules"]


def topic_modules() -> list[str]:
    """Names of the topic modules, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


for _name in topic_modules():
    importlib.import_module(f"{__name__}.{_name}")
