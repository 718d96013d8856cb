"""The logistic onset of a binomial fraction along a scan (``flagging_onset``): interval coverage
over seeded replicas, the cases with nothing to locate, and input validation."""

from __future__ import annotations

import math

import numpy as np
import pytest

import physml.nets
import physml.stats
from physml.stats import flagging_onset


@pytest.mark.slow
def test_flagging_onset_recovers_a_known_transition_with_calibrated_intervals():
    # counts of flagging members drawn from a logistic with midpoint 0.1 and width 0.02, 64
    # members at 13 scanned values: over 40 replicas the 68% profile-likelihood interval must
    # cover the true midpoint 27.2 ± 2.95 times (binomial); 3 sigma either way fails
    bands = np.linspace(0.0, 0.3, 13)
    n = 64
    rng = np.random.default_rng(5)
    covered, midpoints, widths = 0, [], []
    for _ in range(40):
        fit = flagging_onset(bands, rng.binomial(n, 1.0 / (1.0 + np.exp(-(bands - 0.1) / 0.02))), n)
        assert fit.midpoint_low <= fit.midpoint <= fit.midpoint_high
        covered += fit.midpoint_low <= 0.1 <= fit.midpoint_high
        midpoints.append(fit.midpoint)
        widths.append(fit.width)
    assert 18 <= covered <= 36
    assert abs(np.mean(midpoints) - 0.1) < 4 * np.std(midpoints) / math.sqrt(40)
    assert abs(np.mean(widths) - 0.02) < 4 * np.std(widths) / math.sqrt(40)
    assert fit.probability(fit.midpoint) == pytest.approx(0.5)


def test_flagging_onset_nothing_to_locate_and_bad_input():
    bands = np.linspace(0.0, 0.3, 13)
    assert flagging_onset(bands, np.zeros(13), 8) is None  # nobody flags
    assert flagging_onset(bands, np.full(13, 8), 8) is None  # everybody flags
    with pytest.raises(ValueError, match=r"n_flagging must hold integers in \[0, n_members=8\]"):
        flagging_onset(bands, np.full(13, 9), 8)
    with pytest.raises(ValueError, match=r"n_flagging must have shape \(13\)"):
        flagging_onset(bands, np.zeros(12), 8)
    with pytest.raises(ValueError, match="values must not all be equal"):
        flagging_onset(np.zeros(3), np.array([0, 1, 2]), 8)
    with pytest.raises(ValueError, match=r"n_members must be in \[1, inf\), got 0"):
        flagging_onset(bands, np.zeros(13), 0)


def test_nets_re_exports_the_onset_fit():
    assert physml.nets.flagging_onset is physml.stats.flagging_onset
    assert physml.nets.FlaggingOnset is physml.stats.FlaggingOnset
