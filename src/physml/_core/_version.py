"""The version of physml, in the ground floor so that every floor can read it."""

__version__ = "0.1.0"
