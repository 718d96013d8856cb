"""L = A T^(-α) + C fits: exact recovery, calibrated errors, bootstrap over seeds, bad input."""

import math

import numpy as np
import pytest

from physml.scaling import fit_offset_power_law, fit_power_law, fit_scaling_law

X = np.geomspace(100, 1e5, 8)


def law(x, a=3.0, alpha=0.7, c=0.05):
    return a * x**-alpha + c


def test_exact_offset_power_law_is_recovered():
    fit = fit_offset_power_law(X, law(X))
    assert fit.exponent == pytest.approx(0.7, abs=1e-9)
    assert fit.amplitude == pytest.approx(3.0, rel=1e-8)
    assert fit.offset == pytest.approx(0.05, abs=1e-11)
    np.testing.assert_allclose(fit.predict(X), law(X), rtol=1e-10)
    assert fit.dof == 5 and fit.scaled


def test_without_offset_it_is_a_pure_power_law():
    y = 2.0 * X**-0.4
    a = fit_offset_power_law(X, y, offset=False)
    assert a.offset == 0.0 and a.dof == 6 and a.covariance.shape == (2, 2)
    assert a.exponent == pytest.approx(-fit_power_law(X, y).exponent, abs=1e-10)
    assert a.exponent == pytest.approx(0.4, abs=1e-10)


def test_errors_cover_the_truth_at_the_nominal_rate():
    # 300 data sets with known Gaussian errors: 68.3% of 1-sigma intervals contain the true α
    # (binomial sd 0.027) and the pulls have unit spread.
    rng = np.random.default_rng(0)
    sigma = 0.01 * law(X)
    pulls = []
    for _ in range(300):
        y = law(X) + sigma * rng.standard_normal(X.size)
        fit = fit_offset_power_law(X, y, sigma)
        pulls.append((fit.exponent - 0.7) / fit.exponent_err)
    pulls = np.array(pulls)
    assert abs(np.mean(np.abs(pulls) < 1) - 0.683) < 4 * 0.027
    assert abs(np.std(pulls) - 1.0) < 0.15


def test_bootstrap_over_seeds_matches_the_spread_of_repeated_experiments():
    rng = np.random.default_rng(1)
    exps, errs = [], []
    for _ in range(25):
        losses = law(X)[:, None] * np.exp(0.03 * rng.standard_normal((X.size, 8)))
        fit = fit_scaling_law(X, losses, n_bootstrap=30, seed=rng)
        exps.append(fit.exponent)
        errs.append(fit.exponent_err)
        assert fit.bootstrap_exponents.size >= 25
    spread = np.std(exps, ddof=1)  # uncertain by ~15% with 25 repetitions
    assert np.mean(errs) == pytest.approx(spread, rel=0.4)
    assert abs(np.mean(exps) - 0.7) < 4 * spread / math.sqrt(25)


def test_one_seed_uses_the_fit_errors():
    fit = fit_scaling_law(X, law(X) * (1 + 0.01 * np.cos(np.arange(X.size))))
    assert fit.bootstrap_exponents.size == 0
    assert fit.exponent_err == fit.fit.exponent_err > 0


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1.0, 2.0], [1.0, 0.5], "at least 3"),
        ([1.0, 2.0, 4.0], [1.0, 0.5, 0.3], "no scatter"),
        ([1.0, -2.0, 4.0, 8.0], [1.0, 0.5, 0.3, 0.2], "> 0"),
        ([1.0, 2.0, 4.0], [1.0, 0.5], "same length"),
    ],
)
def test_bad_input(x, y, message):
    with pytest.raises(ValueError, match=message):
        fit_offset_power_law(x, y)


def test_sweep_with_fewer_than_three_sizes_is_refused():
    with pytest.raises(ValueError, match="at least 3 sizes"):
        fit_scaling_law([100, 200], np.ones((2, 4)))
    with pytest.raises(ValueError, match="one row per size"):
        fit_scaling_law([100, 200, 400], np.ones((2, 4)))


@pytest.mark.slow
def test_monte_carlo_p_value_is_calibrated_with_three_seeds_and_rejects_a_wrong_law():
    import numpy as np

    from physml.scaling import fit_scaling_law

    rng = np.random.default_rng(11)
    sizes = np.array([100.0, 200, 400, 800, 1600, 3200])
    truth = 2.0 * sizes**-0.5 + 0.3
    n_exp = 60
    p_mc, p_asym = [], []
    for _ in range(n_exp):
        losses = truth[:, None] + 0.01 * rng.standard_normal((sizes.size, 3))
        f = fit_scaling_law(sizes, losses, n_bootstrap=0, n_null=60, seed=rng)
        p_mc.append(f.p_value)
        p_asym.append(fit_scaling_law(sizes, losses, n_bootstrap=0).p_value)
    # under the law, P(p < 0.05) = 0.05 (binomial sd 0.028 for 60 experiments; 3 sd allowed); the
    # χ²(dof) p-value ignores that the errors come from 3 seeds and rejects far more often
    assert np.mean(np.array(p_mc) < 0.05) < 0.05 + 3 * 0.028
    assert np.mean(np.array(p_asym) < 0.05) > np.mean(np.array(p_mc) < 0.05)
    # a curve with a step is not a power law plus constant: rejected
    bent = truth + np.where(sizes >= 800, -0.05, 0.0)
    losses = bent[:, None] + 0.01 * rng.standard_normal((sizes.size, 3))
    assert fit_scaling_law(sizes, losses, n_bootstrap=0, n_null=200, seed=1).p_value < 0.01


def test_unequal_seed_counts_are_bootstrapped_per_size():
    # 2..5 seeds per size from L = 2 T^-0.5 + 0.1 with 1 % noise: the ragged fit recovers the law, the
    # errors are the bootstrap spread of each parameter (A included), and the p-value is Monte Carlo
    rng = np.random.default_rng(8)
    sizes = np.array([100.0, 200, 400, 800, 1600, 3200, 6400])
    counts = [2, 3, 5, 4, 2, 3, 5]
    groups = [
        (2 * s**-0.5 + 0.1) * (1 + 0.01 * rng.standard_normal(k)) for s, k in zip(sizes, counts, strict=True)
    ]
    res = fit_scaling_law(sizes, groups, n_bootstrap=200, n_null=50, seed=1)
    assert res.error_source == "bootstrap" and res.bootstrap_exponents.size >= 190
    assert abs(res.exponent - 0.5) < 4 * res.exponent_err
    assert abs(res.amplitude - 2.0) < 4 * res.amplitude_err
    assert res.null_chi2.size > 0 and 0 < res.p_value <= 1
    np.testing.assert_allclose(res.mean_loss, [g.mean() for g in groups])
    # without a bootstrap the errors are the fit's own, and the result says so
    res0 = fit_scaling_law(sizes, groups, n_bootstrap=0)
    assert res0.error_source == "fit" and res0.exponent_err == res0.fit.exponent_err
    # equal counts as a list or as an array give the same fit
    table = np.array([g[:2] for g in groups])
    a = fit_scaling_law(sizes, table, n_bootstrap=20, seed=2)
    b = fit_scaling_law(sizes, list(table), n_bootstrap=20, seed=2)
    assert a.exponent == b.exponent and a.exponent_err == b.exponent_err
