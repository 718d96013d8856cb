"""The experiment registry: every claim of the lab, with its parameters and presets."""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from physml.lab._errors import ParameterError, UnknownExperimentError

__all__ = ["Experiment", "experiment", "get_experiment", "list_experiments", "select_experiments"]

PRESETS = ("quick", "full")
_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_REGISTRY: dict[str, Experiment] = {}
_CATALOGUE = "physml.experiments"


@dataclass(frozen=True)
class Experiment:
    """A registered experiment: a claim, its source, and a function that measures it.

    The function is called as ``func(ctx, **params)`` where ``ctx`` is a
    :class:`physml.lab.Context` and ``params`` are the preset's values, possibly
    overridden by the user.
    """

    name: str
    claim: str
    source: str
    func: Callable[..., Any]
    quick: Mapping[str, Any]
    full: Mapping[str, Any]
    tags: tuple[str, ...] = field(default_factory=tuple)
    validate: Callable[[dict[str, Any]], None] | None = None

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(self.full)

    def preset(self, preset: str) -> dict[str, Any]:
        if preset not in PRESETS:
            raise ParameterError(f"preset must be one of {', '.join(PRESETS)}; got {preset!r}")
        return dict(self.quick if preset == "quick" else self.full)

    def resolve(self, preset: str, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The parameters for ``preset`` with ``overrides`` applied and validated.

        Overrides may be strings (as typed on the command line) or values; each
        is converted to the type of the preset's value.
        """
        params = self.preset(preset)
        for key, raw in (overrides or {}).items():
            if key not in params:
                accepted = ", ".join(self.parameters) if self.parameters else "it takes no parameters"
                hint = difflib.get_close_matches(key, self.parameters, n=1)
                near = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise ParameterError(
                    f"experiment {self.name!r} has no parameter {key!r}{near}; accepted: {accepted}"
                )
            params[key] = coerce_parameter(self.name, key, raw, params[key])
        if self.validate is not None:
            try:
                self.validate(params)
            except (TypeError, ValueError) as exc:
                raise ParameterError(f"{self.name}: {exc}") from None
        return params

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "claim": self.claim,
            "source": self.source,
            "tags": list(self.tags),
            "quick": dict(self.quick),
            "full": dict(self.full),
        }


def coerce_parameter(experiment: str, key: str, raw: Any, default: Any) -> Any:
    """Convert ``raw`` to the type of ``default`` or raise a :class:`ParameterError`."""
    kind = _kind(default)

    def fail(why: str) -> ParameterError:
        return ParameterError(f"{experiment}: --set {key}={raw}: {why}")

    if not isinstance(raw, str):
        if kind == "float" and isinstance(raw, int) and not isinstance(raw, bool):
            return float(raw)
        if kind == "tuple" and isinstance(raw, (list, tuple)):
            return tuple(coerce_parameter(experiment, key, v, default[0] if default else v) for v in raw)
        if _kind(raw) != kind:
            raise fail(f"expected {_describe(default)}, got {type(raw).__name__}")
        return raw
    text = raw.strip()
    if kind == "bool":
        low = text.lower()
        if low in {"1", "true", "yes", "on"}:
            return True
        if low in {"0", "false", "no", "off"}:
            return False
        raise fail("expected a boolean (true/false)")
    if kind == "int":
        try:
            return int(text)
        except ValueError:
            raise fail("expected an integer") from None
    if kind == "float":
        try:
            value = float(text)
        except ValueError:
            raise fail("expected a number") from None
        if value != value:
            raise fail("expected a number, not NaN")
        return value
    if kind == "tuple":
        parts = [p for p in text.split(",") if p.strip()] if text else []
        element = default[0] if default else ""
        return tuple(coerce_parameter(experiment, key, p, element) for p in parts)
    return text


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, (tuple, list)):
        return "tuple"
    return "str"


def _describe(default: Any) -> str:
    kind = _kind(default)
    if kind == "tuple":
        inner = _kind(default[0]) if default else "value"
        return f"a comma-separated list of {inner}s"
    return {"bool": "a boolean", "int": "an integer", "float": "a number", "str": "a string"}[kind]


def experiment(
    name: str,
    *,
    claim: str,
    source: str,
    quick: Mapping[str, Any] | None = None,
    full: Mapping[str, Any] | None = None,
    tags: tuple[str, ...] = (),
    validate: Callable[[dict[str, Any]], None] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register ``func(ctx, **params)`` as the experiment ``name``.

    ``quick`` and ``full`` give the parameters of the two presets; they must have
    the same keys, which must be exactly the function's keyword parameters.
    ``validate(params)``, if given, raises ``ValueError``/``TypeError`` for values the
    experiment cannot use; it runs before any work, so bad ``--set`` values are usage errors.
    """

    def register(func: Callable[..., Any]) -> Callable[..., Any]:
        q, f = dict(quick or {}), dict(full or {})
        if not _NAME.match(name):
            raise ValueError(f"experiment name must be kebab-case (e.g. 'fashion-mlp'); got {name!r}")
        if name in _REGISTRY and _REGISTRY[name].func is not func:
            raise ValueError(f"experiment {name!r} is registered twice")
        if set(q) != set(f):
            raise ValueError(f"{name}: quick and full presets differ in keys: {sorted(set(q) ^ set(f))}")
        for key in q:
            if _kind(q[key]) != _kind(f[key]):
                raise ValueError(f"{name}: parameter {key!r} has different types in quick and full")
        sig = inspect.signature(func)
        names = list(sig.parameters)
        if not names:
            raise ValueError(f"{name}: the function must take the run context as first argument")
        if set(names[1:]) != set(f):
            raise ValueError(
                f"{name}: function parameters {names[1:]} do not match preset keys {sorted(f)}"
            )
        if not claim.strip() or not source.strip():
            raise ValueError(f"{name}: claim and source are required")
        _REGISTRY[name] = Experiment(name, claim.strip(), source.strip(), func, q, f, tuple(tags), validate)
        return func

    return register


def _load_catalogue() -> None:
    importlib.import_module(_CATALOGUE)


def list_experiments() -> list[Experiment]:
    """All registered experiments, sorted by name."""
    _load_catalogue()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_experiment(name: str) -> Experiment:
    """The experiment called ``name``; suggests close names when there is none."""
    _load_catalogue()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownExperimentError(name, difflib.get_close_matches(name, list(_REGISTRY), n=3)) from None


def select_experiments(pattern: str | None = None) -> list[Experiment]:
    """Experiments whose name matches the shell-style ``pattern`` (all when None).

    A pattern without wildcards matches names that contain it.
    """
    experiments = list_experiments()
    if not pattern:
        return experiments
    glob = pattern if any(c in pattern for c in "*?[") else f"*{pattern}*"
    chosen = [e for e in experiments if fnmatch.fnmatchcase(e.name, glob)]
    if not chosen:
        error = UnknownExperimentError(pattern, [])
        names = ", ".join(e.name for e in experiments)
        error.args = (f"no experiment matches the pattern {pattern!r}; the experiments are: {names}",)
        raise error
    return chosen
