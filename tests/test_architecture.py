"""The house (docs/architecture.md): floors whose imports run downwards only.

Every module of ``src/physml`` is read with :mod:`ast` and its imports are checked against
the declared order of the floors below. The checker is also run on small planted trees, so
that a violation of each rule is shown to be caught.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: The floors, bottom up: a package may import packages of a lower rank only (and itself).
#: Packages of one rank are independent of each other. ``physml`` is the root namespace, on
#: top: it holds the version (from the ground) and gives lazy access to every subpackage.
RANKS: dict[str, int] = {
    "_core": 0,  # ground: seeding, files, progress, formatting, validation
    "parallel": 1,  # executors: inline, process pool, Dask
    "stats": 2,  # statistics helpers
    "training": 2,  # small training pieces: early stopping, schedules
    "data": 3,
    "info": 3,
    "ebm": 4,
    "nets": 4,
    "rl": 4,
    "flows": 5,
    "robustness": 5,
    "scaling": 5,
    "geometry": 6,
    "anomaly": 7,
    "invariance": 7,
    "symmetry": 7,
    "lab": 10,  # registry, runner, context, report
    "experiments": 11,  # the catalogue: composes library calls, checks and figures
    "_commands": 12,  # the command line
    "cli": 12,
    "__main__": 12,
    "physml": 13,
}
#: The command line is one floor: ``cli`` may use the private command modules.
SAME_PACKAGE = {"cli": "_commands", "__main__": "_commands"}

#: Third-party libraries that may be imported inside a function anywhere: they are heavy at
#: import time (torch, zuko, scikit-learn ~0.5-1.3 s here) or optional (collider, HDF5).
DEFERRABLE = {
    "torch", "zuko", "matplotlib", "dask", "distributed", "pythia8mc", "pythia8", "fastjet", "h5py",
    "skdim", "tqdm", "PIL", "jinja2", "threadpoolctl", "sklearn", "ripser", "uproot", "hdf5plugin",
}
#: The command line must answer ``physml --help`` without numpy (tests/test_cli.py), so its
#: commands may also defer the numerical stack.
DEFERRABLE_IN = {"_commands": {"numpy", "scipy"}, "cli": {"numpy", "scipy"}}


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "physml"
    return SAME_PACKAGE.get(top, top)


def _in_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(tree: ast.Module, module: str, is_package: bool) -> Iterator[tuple[str, str, int, bool]]:
    """``(imported module, imported name or '', line, inside a function)`` for each import,
    skipping ``if TYPE_CHECKING:`` blocks."""

    def visit(node: ast.AST, in_function: bool) -> Iterator[tuple[str, str, int, bool]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _in_type_checking(child):
                yield from (x for c in child.orelse for x in visit_one(c, in_function))
                continue
            yield from visit_one(child, in_function)

    def visit_one(child: ast.AST, in_function: bool) -> Iterator[tuple[str, str, int, bool]]:
        if isinstance(child, ast.Import):
            for alias in child.names:
                yield alias.name, "", child.lineno, in_function
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                anchor = module.split(".") if is_package else module.split(".")[:-1]
                anchor = anchor[: len(anchor) - (child.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in child.names:
                yield base, alias.name, child.lineno, in_function
        else:
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from visit(child, inner)

    yield from visit(tree, False)


def floor_violations(root: Path) -> list[str]:
    """Every breach of the floor rules in the package tree under ``root`` (``root/physml``)."""
    paths = sorted((root / "physml").rglob("*.py"))
    modules = {module_name(p, root): p for p in paths}
    problems: list[str] = []
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        if is_package:  # a package's lazy exports load its submodules
            prefix = name + "."
            children = {m for m in modules if m.startswith(prefix) and "." not in m[len(prefix):]}
            if name == "physml":  # the root namespace gives lazy access to the public subpackages only
                children = {m for m in children if modules[m].name == "__init__.py" and "._" not in m}
            graph[name] |= children
        here = package_of(name)
        if here not in RANKS:
            problems.append(f"{name}: package {here!r} has no floor in RANKS (declare it)")
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for target, imported, line, in_function in imports(tree, name, is_package):
            where = f"{path.relative_to(root)}:{line}"
            top = target.split(".")[0]
            if top != "physml":
                allowed = DEFERRABLE | DEFERRABLE_IN.get(here, set())
                if in_function and top not in allowed and top not in sys.stdlib_module_names:
                    problems.append(f"{where}: '{target}' imported inside a function (import it at the top)")
                if in_function and top in sys.stdlib_module_names:
                    problems.append(f"{where}: standard-library '{target}' imported inside a function")
                continue
            # resolve "from physml.x import sub" to the submodule when it is one
            full = f"{target}.{imported}" if imported and f"{target}.{imported}" in modules else target
            if full not in modules:
                problems.append(f"{where}: '{full}' is not a module of physml")
                continue
            graph[name].add(full)
            there = package_of(full)
            if in_function:
                problems.append(f"{where}: '{full}' imported inside a function (import it at the top; "
                                "science packages load lazily)")
            if there == here:
                continue
            if there not in RANKS:
                continue
            if RANKS[there] >= RANKS[here]:
                kind = "upward" if RANKS[there] > RANKS[here] else "sideways (same floor)"
                problems.append(f"{where}: {kind} import of {full} from the {here!r} floor")
            private_module = any(p.startswith("_") for p in full.split(".")[2:])
            private_name = imported.startswith("_") and not imported.endswith("__") and full == target
            if private_module or private_name:
                problems.append(f"{where}: private {full}{'.' + imported if private_name else ''} used "
                                f"outside its package {there!r}; import the public name")
    problems.extend(private_attribute_uses(modules, root))
    problems.extend(f"import cycle: {' -> '.join(c)}" for c in cycles(graph))
    return problems


def private_attribute_uses(modules: dict[str, Path], root: Path) -> list[str]:
    """``nets._helper`` where ``nets`` is a physml package imported as a namespace
    (``from physml import nets``) by a module of another package."""
    found = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        here = package_of(name)
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("physml"):
                for alias in node.names:
                    full = f"{node.module}.{alias.name}"
                    if full in modules and modules[full].name == "__init__.py":
                        aliases[alias.asname or alias.name] = full
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname and alias.name in modules and alias.name.startswith("physml."):
                        aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)):
                continue
            private = node.attr.startswith("_") and not node.attr.endswith("__")
            if private and node.value.id in aliases:
                target = aliases[node.value.id]
                if package_of(target) != here:
                    found.append(f"{path.relative_to(root)}:{node.lineno}: private {target}.{node.attr} used "
                                 f"outside its package {package_of(target)!r}; use a public name")
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def strongconnect(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(_one_cycle(graph, set(component)))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    return found


def _one_cycle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    start = min(component)
    path, seen = [start], {start}
    node = start
    while True:
        nxt = sorted(w for w in graph[node] if w in component)
        back = [w for w in nxt if w == start]
        if back and len(path) > 1:
            return [*path, start]
        fresh = [w for w in nxt if w not in seen]
        if not fresh:
            return [*path, nxt[0]]
        node = fresh[0]
        path.append(node)
        seen.add(node)


# ---------------------------------------------------------------------------------------------
# the real tree


def test_physml_imports_run_downwards_without_cycles():
    problems = floor_violations(SRC)
    assert not problems, f"{len(problems)} breaches of the floors:\n" + "\n".join(problems)


def test_every_package_has_a_floor():
    packages = {p.name for p in (SRC / "physml").iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(RANKS), sorted(packages - set(RANKS))


def test_science_never_names_the_lab():
    science = [p for p, r in RANKS.items() if r < RANKS["lab"]]
    hits = []
    for pkg in science:
        for path in (SRC / "physml" / pkg).rglob("*.py"):
            for i, line in enumerate(path.read_text().splitlines(), 1):
                if any(f"physml.{up}" in line for up in ("lab", "experiments", "cli", "_commands")):
                    hits.append(f"{path.relative_to(SRC)}:{i}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_importing_every_package_loads_no_heavy_library():
    """Package namespaces are lazy: ``import physml.<pkg>`` loads neither torch nor numpy, so
    ``from physml import nets`` at the top of a module costs nothing until a name is used."""
    packages = sorted(p for p in RANKS if p not in {"physml", "__main__", "cli", "experiments"})
    code = (
        "import importlib, sys\n"
        f"for p in {packages!r}: importlib.import_module('physml.' + p if p != 'physml' else p)\n"
        "print(sorted(m for m in ('torch', 'numpy', 'scipy', 'sklearn', 'zuko') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]", out.stdout


def test_the_catalogue_lists_without_torch():
    """Listing the catalogue imports its 17 modules but none of the heavy libraries (torch, zuko,
    scikit-learn, scipy.stats: together over 2 s here); experiments reach them when they run."""
    code = ("import sys; from physml.lab import list_experiments; n = len(list_experiments());"
            "print(n, *(m in sys.modules for m in ('torch', 'zuko', 'sklearn', 'scipy.stats')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    n, *loaded = out.stdout.split()
    assert int(n) >= 46 and loaded == ["False"] * 4, out.stdout


# ---------------------------------------------------------------------------------------------
# the checker catches planted violations


def plant(tmp_path: Path, files: dict[str, str]) -> Path:
    """A tree with empty packages of a few floors, ``files`` written over it."""
    files = {"_core/__init__.py": "", "data/__init__.py": "", "ebm/__init__.py": "", "nets/__init__.py": "",
             "lab/__init__.py": "", "experiments/rbm.py": "", "nets/_helper.py": "", **files}
    for rel, text in files.items():
        path = tmp_path / "physml" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for directory in [p for p in (tmp_path / "physml").rglob("*") if p.is_dir()] + [tmp_path / "physml"]:
        (directory / "__init__.py").touch()
    return tmp_path


def test_a_clean_planted_tree_passes(tmp_path):
    root = plant(tmp_path, {
        "_core/_seed.py": "import numpy as np\n",
        "nets/_mlp.py": "from physml._core import as_generator\n",
        "nets/_ensemble.py": "from physml.nets._mlp import MLP\n",
        "lab/_runner.py": "from physml import nets\n",
    })
    assert floor_violations(root) == []


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"nets/_mlp.py": "from physml.lab import Context\n"}, "upward import of physml.lab"),
        ({"ebm/_rbm.py": "from physml.experiments import rbm\n"}, "upward import of physml.experiments.rbm"),
        ({"nets/_mlp.py": "from physml.ebm import RBM\n"}, "sideways (same floor)"),
        ({"nets/_mlp.py": "def f():\n    import numpy\n"}, "'numpy' imported inside a function"),
        ({"nets/_mlp.py": "def f():\n    from physml.data import sphere\n"}, "inside a function"),
        ({"nets/_mlp.py": "def f():\n    import json\n"}, "standard-library 'json'"),
        ({"anomaly/_x.py": "from physml.nets._mlp import MLP\n", "nets/_mlp.py": ""},
         "private physml.nets._mlp"),
        ({"anomaly/_x.py": "from physml.nets import _helper\n"}, "private physml.nets._helper"),
        ({"ebm/_a.py": "from physml.ebm._b import f\n",
          "ebm/_b.py": "def f():\n    from physml.ebm._a import g\n"},
         "import cycle: physml.ebm._a -> physml.ebm._b -> physml.ebm._a"),
        ({"ebm/_a.py": "from physml.ebm import RBM\n"},
         "import cycle: physml.ebm -> physml.ebm._a -> physml.ebm"),
        ({"newpkg/_x.py": "x = 1\n"}, "package 'newpkg' has no floor"),
        ({"lab/_runner.py": "from physml import nets\nx = nets._helper()\n"},
         "private physml.nets._helper used"),
        ({"nets/_mlp.py": "from physml.nets import nothing_here\n", "nets/__init__.py": ""}, None),
    ],
)
def test_the_checker_catches_a_planted_violation(tmp_path, files, expected):
    problems = floor_violations(plant(tmp_path, files))
    if expected is None:  # "from physml.nets import name" is a dependency on the package itself
        assert any("import cycle: physml.nets -> physml.nets._mlp -> physml.nets" in p for p in problems)
        return
    assert any(expected in p for p in problems), problems


def test_deferred_heavy_imports_and_type_checking_blocks_are_allowed(tmp_path):
    root = plant(tmp_path, {
        "nets/_mlp.py": ("from typing import TYPE_CHECKING\n"
                         "if TYPE_CHECKING:\n    from physml.lab import Context\n"
                         "def f():\n    import torch\n    import matplotlib.pyplot as plt\n"),
    })
    assert floor_violations(root) == []


PACKAGES = sorted(p for p in RANKS if p not in {"physml", "__main__", "cli", "_commands"})


@pytest.mark.parametrize("package", PACKAGES)
def test_every_name_a_package_exports_resolves(package):
    """A lazy table names the submodule of each export; a wrong entry would fail only when used."""
    module = importlib.import_module(f"physml.{package}")
    missing = [name for name in getattr(module, "__all__", []) if not hasattr(module, name)]
    assert not missing, f"physml.{package} exports names it cannot load: {missing}"
