"""Errors of the lab that are the user's to fix (the CLI turns them into exit code 2)."""

from __future__ import annotations

__all__ = ["LabError", "OutputDirError", "ParameterError", "UnknownExperimentError"]


class LabError(Exception):
    """A problem with what the user asked for: wrong name, parameter or directory."""


class UnknownExperimentError(LabError, LookupError):
    """No experiment of that name is registered."""

    def __init__(self, name: str, suggestions: list[str]):
        self.name = name
        self.suggestions = suggestions
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else "; see 'physml list'"
        super().__init__(f"unknown experiment {name!r}{hint}")

    def __str__(self) -> str:  # LookupError would quote the message
        return self.args[0]


class ParameterError(LabError, ValueError):
    """A parameter override names an unknown parameter or has a value of the wrong type."""


class OutputDirError(LabError, FileExistsError):
    """The output directory cannot be used as asked."""
