"""Signal region and sidebands in the dijet invariant mass."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physml._core import check_real

__all__ = ["SignalRegion"]


@dataclass(frozen=True)
class SignalRegion:
    """A signal region ``low <= mjj < high`` (GeV) with sidebands of ``sideband`` GeV either side.

    The sidebands are ``[low − sideband, low)`` and ``[high, high + sideband)``. The LHC Olympics
    benchmark (CATHODE, arXiv:2109.00546) uses 3.3-3.7 TeV.
    """

    low: float = 3300.0
    high: float = 3700.0
    sideband: float = 400.0

    def __post_init__(self) -> None:
        check_real(self.low, "low", low=0.0, low_open=True)
        check_real(self.high, "high", low=self.low, low_open=True)
        check_real(self.sideband, "sideband", low=0.0, low_open=True)

    @classmethod
    def around(cls, mass: float, *, relative_half_width: float = 0.06, sideband: float | None = None):
        """A region ``mass (1 ± relative_half_width)`` with sidebands as wide as the region (default)."""
        check_real(mass, "mass", low=0.0, low_open=True)
        check_real(relative_half_width, "relative_half_width", low=0.0, high=1.0, low_open=True)
        low, high = mass * (1 - relative_half_width), mass * (1 + relative_half_width)
        return cls(low, high, high - low if sideband is None else sideband)

    @property
    def center(self) -> float:
        return 0.5 * (self.low + self.high)

    def signal_mask(self, mjj: np.ndarray) -> np.ndarray:
        """True for events in the signal region."""
        m = np.asarray(mjj, dtype=float)
        return (m >= self.low) & (m < self.high)

    def sideband_mask(self, mjj: np.ndarray) -> np.ndarray:
        """True for events in either sideband."""
        m = np.asarray(mjj, dtype=float)
        return ((m >= self.low - self.sideband) & (m < self.low)) | (
            (m >= self.high) & (m < self.high + self.sideband)
        )

    def masks(self, mjj: np.ndarray, *, min_events: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """(signal-region mask, sideband mask); raises if either holds fewer than ``min_events``."""
        sr, sb = self.signal_mask(mjj), self.sideband_mask(mjj)
        for name, mask in (("signal region", sr), ("sidebands", sb)):
            if mask.sum() < min_events:
                raise ValueError(
                    f"the {name} of {self} holds {int(mask.sum())} event(s), need at least {min_events}; "
                    f"the events span mjj = {np.min(mjj, initial=np.inf):.0f}-"
                    f"{np.max(mjj, initial=-np.inf):.0f} GeV"
                )
        return sr, sb

    def __str__(self) -> str:
        return (f"SR {self.low:.0f}-{self.high:.0f} GeV (sidebands {self.low - self.sideband:.0f}-"
                f"{self.low:.0f}, {self.high:.0f}-{self.high + self.sideband:.0f})")
