"""physml installs next to other libraries: its dependencies are ranges, the exact versions the lab
was measured with are in constraints.txt, and the wheel installs into a fresh virtual environment.

The fresh environment is installed offline (``--no-index``, from the wheel just built and the
directories pip's configuration names with ``find-links``) where those hold every dependency; where
they do not, pip's configured package index is used too, and the test says so.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
QUICK_EXPERIMENT = "ib-binary-channel"  # the fastest of the catalogue (about 4 s with --quick)


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _library_requirements() -> list[Requirement]:
    project = _project()
    extras = project["optional-dependencies"]
    return [Requirement(r) for r in project["dependencies"] + extras["collider"]]


def _pins() -> dict[str, Version]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        [spec] = req.specifier
        assert spec.operator == "==", f"constraints.txt: {line!r} is not an exact pin"
        pins[canonicalize_name(req.name)] = Version(spec.version)
    return pins


def test_dependencies_are_ranges_that_the_lock_satisfies():
    pins = _pins()
    for req in _library_requirements():
        ops = {s.operator for s in req.specifier}
        assert "==" not in ops and "===" not in ops, f"{req} is pinned: give a range (pin in constraints.txt)"
        assert ">=" in ops, f"{req} needs a lower bound at a version known to work"
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is missing from constraints.txt"
        assert req.specifier.contains(pins[name], prereleases=True), f"the pin {pins[name]} is outside {req}"
    for extra in _project()["optional-dependencies"]["dev"]:  # the tools are pinned in both places
        req = Requirement(extra)
        assert req.specifier.contains(pins[canonicalize_name(req.name)])


def test_python_versions():
    project = _project()
    allowed = SpecifierSet(project["requires-python"])
    assert all(allowed.contains(v) for v in ("3.11", "3.12", "3.13", "3.14"))  # wheels exist for all
    assert not allowed.contains("3.10")  # physml uses tomllib and datetime.UTC
    assert "Programming Language :: Python :: 3.11" in project["classifiers"]  # the tested one
    assert "3.11" in (ROOT / "README.md").read_text(encoding="utf-8")


def _installed_closure() -> set[str]:
    """The distributions physml[dev,collider] needs here, found through the installed metadata."""
    seen: dict[str, frozenset[str]] = {}
    todo = [("physml", frozenset({"dev", "collider"}))]
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in seen and extras <= seen[key]:
            continue
        seen[key] = seen.get(key, frozenset()) | extras
        try:
            requires = importlib.metadata.distribution(name).requires or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for line in requires:
            req = Requirement(line)
            if req.marker is None or any(req.marker.evaluate({"extra": e}) for e in (extras or {""})):
                todo.append((req.name, frozenset(req.extras)))
    return set(seen) - {"physml"}


def test_this_environment_is_the_locked_one():
    """make installs with constraints.txt, so that the lab's numbers are reproducible: every package
    physml[dev,collider] pulls in is locked, at the version installed."""
    pins = _pins()
    unlocked = sorted(_installed_closure() - set(pins))
    assert not unlocked, f"add to constraints.txt: {', '.join(unlocked)}"
    wrong = []
    for name, pinned in pins.items():
        try:
            installed = Version(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            continue
        if not SpecifierSet(f"=={pinned}").contains(installed, prereleases=True):
            wrong.append(f"{name} {installed} (constraints.txt: {pinned})")
    assert not wrong, "not the locked versions (run make): " + ", ".join(wrong)


def _pip(*args: str, python: Path, log: list[str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pip", "--python", str(python), "--disable-pip-version-check", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    log.append(f"$ {' '.join(cmd)}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
    return proc


def _build_wheel(tmp_path: Path) -> Path:
    """Build physml's wheel from a copy of the sources (a build writes build/ and *.egg-info)."""
    src = tmp_path / "src-copy"
    shutil.copytree(ROOT / "src", src / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, src / name)
    dist = tmp_path / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
         "-w", str(dist), str(src)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    [wheel] = dist.glob("physml-*.whl")
    return wheel


@pytest.mark.slow
def test_wheel_installs_into_a_fresh_environment(tmp_path):
    started = time.perf_counter()
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        [meta] = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = zf.read(meta).decode()
        assert "physml/lab/report.html.j2" in zf.namelist()
    requires = [Requirement(line.split(": ", 1)[1]) for line in metadata.splitlines()
                if line.startswith("Requires-Dist: ")]
    core = {canonicalize_name(r.name): r.specifier for r in requires if r.marker is None}
    declared = [Requirement(d) for d in _project()["dependencies"]]
    assert core == {canonicalize_name(r.name): r.specifier for r in declared}  # the ranges, as written
    built = time.perf_counter()

    env = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)  # no site packages
    python = env / "bin" / "python"
    log: list[str] = []
    # The lab's versions (torch held at its CPU build: any other version of torch is a multi-GB CUDA
    # download); --no-compile: byte-compiling torch's files would double the time.
    install = ["install", "--only-binary=:all:", "--no-compile", "-c", str(CONSTRAINTS), str(wheel)]
    proc = _pip(*install[:1], "--no-index", *install[1:], python=python, log=log)
    offline = proc.returncode == 0
    if not offline:
        lines = (proc.stdout + proc.stderr).splitlines()
        at = next((i for i, line in enumerate(lines) if "no matching distributions" in line), len(lines))
        missing = [line.strip() for line in lines[at + 1:] if line.strip()][:1]
        print(f"offline install impossible (not in the local wheels: {', '.join(missing)}); "
              "installing with pip's configured package index")
        proc = _pip(*install, python=python, log=log)
    assert proc.returncode == 0, "\n".join(log)
    installed = time.perf_counter()

    bindir = env / "bin"
    run_env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    run_env["PATH"] = f"{bindir}{os.pathsep}{run_env.get('PATH', '')}"
    run_env["PHYSML_PROGRESS"] = "0"
    where = subprocess.run([str(python), "-c", "import physml; print(physml.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=run_env, check=True)
    assert where.stdout.splitlines()[0].startswith(str(env))  # the installed copy, not the checkout
    helped = subprocess.run([str(bindir / "physml"), "--help"], capture_output=True, text=True, cwd=tmp_path,
                            env=run_env)
    assert helped.returncode == 0 and "usage: physml" in helped.stdout, helped.stderr
    out = tmp_path / "run"
    ran = subprocess.run([str(bindir / "physml"), "run", QUICK_EXPERIMENT, "--quick", "--out", str(out)],
                         capture_output=True, text=True, cwd=tmp_path, env=run_env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = json.loads((out / QUICK_EXPERIMENT / "result.json").read_text(encoding="utf-8"))
    assert result["verdict"] == "reproduced"
    assert (out / "report.html").is_file()
    done = time.perf_counter()
    print(f"fresh-environment install ({'offline' if offline else 'with the package index'}): "
          f"wheel {built - started:.1f} s, install {installed - built:.1f} s, "
          f"--help and {QUICK_EXPERIMENT} --quick {done - installed:.1f} s")
