"""Scaling laws: power-law fits with uncertainties (and, as issues land, sweeps over data and model size)."""

from physml.scaling._powerlaw import PowerLawFit, fit_power_law

__all__ = ["PowerLawFit", "fit_power_law"]
