"""The dijet fit and the bump hunt against known parameters, Wilks and an injected signal."""

import numpy as np
import pytest
from scipy import stats

from physml.anomaly import (
    FitError,
    bump_hunt,
    dijet_bins,
    fit_dijet,
    fit_dijet_histogram,
    local_significance,
)
from physml.data.collider import dijet_function, dijet_toy, sample_dijet_function

SHAPE = (8.0, 5.5, 0.0)


@pytest.fixture(scope="module")
def sample():
    return sample_dijet_function(200000, shape=SHAPE, mjj_min=2500.0, mjj_max=8000.0, seed=11)


def test_fit_recovers_known_parameters(sample):
    edges = dijet_bins(2500.0, 8000.0)
    for n_params in (3, 4):
        fit = fit_dijet(sample, edges, n_params=n_params)
        assert fit.converged, fit.message
        pulls = (fit.theta[1:] - np.array(SHAPE[: n_params - 1])) / fit.errors[1:]
        assert np.all(np.abs(pulls) < 4), pulls
        # the normalisation: the fitted counts sum to the observed ones (a Poisson-GLM identity)
        assert fit.expected().sum() == pytest.approx(len(sample), rel=1e-6)
        # p0 against the exact normalisation of the sampled density (3-parameter fit: error from cov)
        grid = np.linspace(2500, 8000, 200001)
        norm = len(sample) / np.trapezoid(dijet_function(grid, (1.0, *SHAPE)), grid)
        if n_params == 3:
            assert abs(fit.theta[0] - np.log(norm)) < 4 * fit.errors[0]
        assert 0.001 < fit.gof_pvalue  # the function describes its own samples


def test_weighted_fit_scales_p0_not_the_errors(sample):
    edges = dijet_bins(2500.0, 8000.0)
    plain = fit_dijet(sample[:50000], edges, n_params=3)
    weighted = fit_dijet(sample[:50000], edges, n_params=3, weights=np.full(50000, 2.0))
    assert weighted.params[0] == pytest.approx(2 * plain.params[0], rel=1e-8)
    assert np.allclose(weighted.errors, plain.errors, rtol=1e-6)


def test_local_significance_formulas():
    assert local_significance(100, 100) == 0.0
    n, b = 130.0, 100.0
    assert local_significance(n, b) == pytest.approx(np.sqrt(2 * (n * np.log(n / b) - (n - b))))
    assert local_significance(70, 100) < 0
    assert 0 < local_significance(n, b, 10.0) < local_significance(n, b)
    assert local_significance(n, b, 1e-12) == pytest.approx(local_significance(n, b))


def test_background_only_local_z_follows_wilks():
    edges = dijet_bins(2500.0, 7000.0)
    # exact expected counts of a known spectrum, 60k events
    grid = np.linspace(2500, 7000, 100001)
    dens = dijet_function(grid, (1.0, *SHAPE))
    cdf = np.interp(edges, grid, np.r_[0, np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(grid))])
    mu = 60000 * np.diff(cdf) / cdf[-1]
    rng = np.random.default_rng(5)
    a, b = 8, 12
    mask = np.ones(len(mu), bool)
    mask[a:b] = False
    z = []
    for _ in range(200):
        n = rng.poisson(mu).astype(float)
        fit = fit_dijet_histogram(edges, n, mask=mask, n_params=3)
        assert fit.converged
        B, sB = fit.predict(edges[a], edges[b])
        z.append(local_significance(n[a:b].sum(), B, sB))
    z = np.array(z)
    # under H0, Z ~ N(0, 1): P(Z > 1) = 0.159
    assert abs(z.mean()) < 4 / np.sqrt(len(z))
    frac = np.mean(z > 1)
    assert abs(frac - stats.norm.sf(1)) < 4 * np.sqrt(0.159 * 0.841 / len(z))
    assert stats.kstest(stats.norm.sf(z), "uniform").pvalue > 1e-3


@pytest.mark.slow
def test_hunt_finds_injected_signal_and_not_a_fake_one():
    found = bump_hunt(dijet_toy(60000, 700, m_resonance=4000.0, seed=7)["mjj"], n_pseudo=40, seed=1)
    assert abs(found.mass - 4000.0) < 200.0
    assert found.p_global < 1 / 41  # no pseudo-experiment reached it: trials-factor extrapolation
    assert any('extrapolated' in f for f in found.flags)
    assert found.n_signal > 3 * found.n_signal_err
    none = bump_hunt(dijet_toy(60000, 0, seed=8)["mjj"], n_pseudo=40, seed=1)
    assert none.p_global > 0.01
    assert none.report()["signal_found"] is False


def test_bad_input_errors_and_flags():
    with pytest.raises(ValueError, match="kinematic range"):
        bump_hunt(np.array([3000.0, 14000.0]))
    with pytest.raises(ValueError, match="no room"):
        bump_hunt(np.linspace(3000, 3100, 100), n_pseudo=0)
    edges = dijet_bins(2500.0, 6000.0)
    counts = np.zeros(len(edges) - 1)
    counts[3] = 50.0  # an isolated spike: the maximum-likelihood dijet function does not exist
    fit = fit_dijet_histogram(edges, counts)
    assert not fit.converged and fit.message != "ok"
    with pytest.raises(ValueError, match="at least"):
        fit_dijet_histogram(edges, counts, mask=np.arange(len(counts)) < 3)
    assert issubclass(FitError, RuntimeError)


def test_binning_errors_say_which_limit_and_no_verdict_without_pseudo_experiments():
    from physml.anomaly._bumphunt import BinningError

    with pytest.raises(BinningError, match="no room") as few:
        bump_hunt(np.linspace(3000, 3100, 100), n_pseudo=0)
    assert few.value.n_bins < few.value.window_bins + 2 * few.value.min_side_bins
    mjj = dijet_toy(20000, 0, seed=9)["mjj"]
    # refused from the count alone, before 10^9 bins are allocated
    with pytest.raises(BinningError, match="at most 1000") as many:
        bump_hunt(mjj, relative_bin_width=1e-9, n_pseudo=0)
    lo, hi = many.value.mass_range
    assert many.value.n_bins == int(np.ceil(np.log(hi / lo) / np.log1p(1e-9)))
    result = bump_hunt(mjj, n_pseudo=0)
    assert np.isnan(result.p_global) and not result.global_computed
    report = result.report()
    assert report["signal_found"] is None and report["global_p_computed"] is False
    assert "not computed" in report["note"] and f"{result.z_max:.2f}" in report["note"]


def test_a_degenerate_window_fit_is_not_searched(recwarn):
    """A sparse spectrum falling to empty bins: with window 7-11 masked, Newton's method "converges"
    to a dijet function whose θ0 leaves double precision (p0 = e^θ0 overflows) and whose shape falls
    off a cliff, predicting ~10⁻⁶ events where 3 lie: a local Z of 7.7 that the scan took before.
    Such a fit is no prediction (``DijetFit.usable``, the weak hunt's rule too): the window is
    flagged and not searched, and the hunt warns about no overflow."""
    edges = dijet_bins(2000.0, 4000.0, relative_width=0.05)
    counts = np.array([20, 12, 9, 3, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0])
    full = fit_dijet_histogram(edges, counts)
    assert full.usable
    mask = np.ones(len(counts), bool)
    mask[7:11] = False
    fit = fit_dijet_histogram(edges, counts, mask=mask, start=full.theta)
    b, b_err = fit.predict(edges[7], edges[11])
    assert fit.converged and not fit.usable and fit.params[0] == np.inf and 0 < b < 1e-3
    assert local_significance(3, b, b_err) > 5  # what the scan reported for this window before
    centres = np.sqrt(edges[:-1] * edges[1:])
    hunt = bump_hunt(np.repeat(centres, counts), bins=edges, n_pseudo=20, seed=0)
    (j,) = np.flatnonzero((hunt.windows == (7, 11)).all(axis=1))
    assert not hunt.converged[j] and np.isnan(hunt.z_local[j])
    assert any("degenerated" in f and f"{edges[7]:.0f}-{edges[11]:.0f}" in f for f in hunt.flags)
    # every window still searched has a usable fit, and none makes a spurious excess: 48 events
    # falling smoothly, nothing above 3σ
    assert hunt.converged.any() and hunt.z_max < 3
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
