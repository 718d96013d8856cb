"""Error estimators on processes whose answers are known exactly: iid data and AR(1) chains."""

import math
import warnings

import numpy as np
import pytest
from scipy.signal import lfilter

from physml.ebm import (
    autocorrelation,
    binning_analysis,
    binning_error,
    integrated_autocorrelation_time,
    jackknife,
)


def ar1(rho: float, n: int, seed: int, chains: int | None = None) -> np.ndarray:
    """x_t = rho x_{t-1} + e_t started in equilibrium; var(x) = 1 / (1 - rho**2)."""
    rng = np.random.default_rng(seed)
    shape = (n,) if chains is None else (n, chains)
    noise = rng.standard_normal(shape)
    noise[0] /= math.sqrt(1 - rho * rho)  # stationary start
    return lfilter([1.0], [1.0, -rho], noise, axis=0)


def tau_exact(rho: float) -> float:
    return (1 + rho) / (2 * (1 - rho))


def var_mean_exact(rho: float, n: int) -> float:
    """Exact variance of the mean of n samples of the stationary AR(1) process."""
    t = np.arange(1, n)
    return (1 / (1 - rho * rho)) / n * (1 + 2 * np.sum((1 - t / n) * rho**t))


def sokal_sigma(tau: float, n: int, c: float = 5.0) -> float:
    """Sokal's statistical error of tau_int with window W ~ c tau (eq. 3.19 of his 1996 notes)."""
    w = c * tau
    return tau * math.sqrt(2 * (2 * w + 1) / n)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_tau_int_of_ar1(rho):
    n = 1 << 17
    x = ar1(rho, n, seed=1)
    tau = integrated_autocorrelation_time(x)
    exact = tau_exact(rho)
    # truncating the sum at W ~ 5 tau misses sum_{t > W} rho^t = rho^(W+1) / (1 - rho)
    bias = rho ** (5 * exact) / (1 - rho) if rho else 0.0
    assert abs(tau - exact) < 5 * sokal_sigma(exact, n) + bias


def test_tau_int_of_independent_chains_pools_their_autocorrelations():
    rho, n, chains = 0.8, 4096, 32
    x = ar1(rho, n, seed=2, chains=chains)
    tau = integrated_autocorrelation_time(x)
    assert abs(tau - tau_exact(rho)) < 5 * sokal_sigma(tau_exact(rho), n * chains) + 0.01
    # one chain alone is noisier but agrees too
    assert abs(integrated_autocorrelation_time(x[:, 0]) - tau_exact(rho)) < 5 * sokal_sigma(tau_exact(rho), n)


def test_autocorrelation_of_ar1_decays_geometrically():
    rho, n = 0.7, 1 << 16
    r = autocorrelation(ar1(rho, n, seed=3), max_lag=5)
    assert r[0] == 1.0
    # the estimate of rho(t) has standard error about sqrt((1 + rho^2) / (1 - rho^2) / n) (Bartlett)
    err = math.sqrt((1 + rho**2) / (1 - rho**2) / n) * 3
    np.testing.assert_allclose(r, rho ** np.arange(6), atol=5 * err)


def test_binning_error_of_iid_data_is_sigma_over_sqrt_n():
    n, sigma = 1 << 16, 2.5
    x = sigma * np.random.default_rng(4).standard_normal(n) + 7.0
    res = binning_analysis(x)
    assert res.converged
    # the error estimate from n_k blocks has a relative standard deviation of about 1 / sqrt(2 n_k)
    tol = 5 / math.sqrt(2 * res.n_blocks)
    assert abs(res.error / (sigma / math.sqrt(n)) - 1) < tol
    assert abs(binning_error(x) - res.error) == 0.0
    assert res.tau_int == pytest.approx(0.5, abs=5 * tol)


@pytest.mark.parametrize("rho", [0.5, 0.95])
def test_binning_error_of_ar1_matches_the_exact_variance_of_the_mean(rho):
    n = 1 << 17
    x = ar1(rho, n, seed=5)
    res = binning_analysis(x)
    assert res.converged
    exact = math.sqrt(var_mean_exact(rho, n))
    # a block of size b retains a bias of about tau / b in the variance (residual correlation)
    bias = 2 * tau_exact(rho) / 2**res.level
    assert abs(res.error / exact - 1) < 5 / math.sqrt(2 * res.n_blocks) + bias
    # the naive error (level 0) underestimates by sqrt(2 tau)
    assert res.errors[0] < exact / math.sqrt(2 * tau_exact(rho)) * 1.1


def test_binning_error_of_several_chains_is_the_error_of_the_grand_mean():
    rho, n, chains = 0.8, 1 << 13, 16
    x = ar1(rho, n, seed=6, chains=chains)
    err = binning_error(x)
    exact = math.sqrt(var_mean_exact(rho, n) / chains)
    assert abs(err / exact - 1) < 5 / math.sqrt(2 * chains * 64) + 0.05


def test_binning_warns_when_the_series_is_too_short():
    x = ar1(0.999, 1024, seed=7)  # tau ~ 1000: no level is uncorrelated
    with pytest.warns(RuntimeWarning, match="did not converge"):
        res = binning_analysis(x)
    assert not res.converged


def test_tau_int_warns_when_the_series_is_too_short():
    x = ar1(0.999, 512, seed=8)  # tau ~ 1000 > n: the estimate comes out far too small, but flagged
    with pytest.warns(RuntimeWarning, match="shorter than 50 tau_int"):
        assert integrated_autocorrelation_time(x) < tau_exact(0.999)


def test_constant_series_have_zero_error_and_tau_one_half():
    x = np.full(256, 3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert binning_error(x) == 0.0
        assert integrated_autocorrelation_time(x) == 0.5


def test_jackknife_of_the_mean_is_the_standard_error():
    x = np.random.default_rng(9).standard_normal(500)
    value, err = jackknife(lambda m: m, x)
    assert value == pytest.approx(x.mean(), rel=1e-12)
    assert err == pytest.approx(x.std(ddof=1) / math.sqrt(len(x)), rel=1e-10)


def test_jackknife_removes_the_bias_of_the_plug_in_variance():
    # the jackknife-corrected plug-in variance <x^2> - <x>^2 is exactly the unbiased variance
    x = np.random.default_rng(10).exponential(size=300)
    value, err = jackknife(lambda m, m2: m2 - m * m, x, x * x)
    assert value == pytest.approx(np.var(x, ddof=1), rel=1e-10)
    assert 0 < err < np.var(x)


def test_jackknife_with_blocks_and_chains_propagates_errors():
    # f = mean**2 of N(mu, 1) samples: error 2 |mu| sigma / sqrt(n) by propagation
    rng = np.random.default_rng(11)
    mu, n, chains = 3.0, 4096, 8
    x = mu + rng.standard_normal((n, chains))
    value, err = jackknife(lambda m: m * m, x, n_blocks=32)
    expected_err = 2 * mu / math.sqrt(n * chains)
    assert abs(err / expected_err - 1) < 5 / math.sqrt(2 * 32 * chains)
    assert abs(value - mu * mu) < 5 * expected_err


def test_bad_inputs_are_rejected_with_clear_messages():
    with pytest.raises(ValueError, match=r"series contains 1 non-finite value\(s\).*index \(2,\)"):
        binning_error([1.0, 2.0, np.nan] + [1.0] * 20)
    with pytest.raises(ValueError, match="at least 16 sample"):
        binning_error(np.arange(8.0))
    with pytest.raises(ValueError, match="at least 2 sample"):
        integrated_autocorrelation_time([1.0])
    with pytest.raises(ValueError, match=r"c must be a finite number in \(0, inf\)"):
        integrated_autocorrelation_time(np.arange(100.0), c=0)
    with pytest.raises(ValueError, match=r"series\[1\] has shape \(4,\), expected \(5,\)"):
        jackknife(lambda a, b: a + b, np.arange(5.0), np.arange(4.0))
    with pytest.raises(ValueError, match="func must broadcast"):
        jackknife(lambda a: 1.0, np.arange(5.0))
    with pytest.raises(ValueError, match=r"n_blocks must be in \[2, 5\]"):
        jackknife(lambda a: a, np.arange(5.0), n_blocks=9)


def test_autocorrelation_time_error_matches_the_spread_of_independent_estimates():
    from physml.ebm import autocorrelation_time

    rho, n, chains = 0.9, 4096, 8
    fits = [autocorrelation_time(ar1(rho, n, seed=100 + k, chains=chains)) for k in range(40)]
    taus = np.array([f.tau_int for f in fits])
    errors = np.array([f.error for f in fits])
    assert all(f.reliable and f.n_chains == chains and f.n_samples == n for f in fits)
    # the value is integrated_autocorrelation_time's, the window the automatic one
    x = ar1(rho, n, seed=100, chains=chains)
    assert fits[0].tau_int == integrated_autocorrelation_time(x)
    assert fits[0].window >= 5 * fits[0].tau_int
    # Madras-Sokal's error describes the scatter of the estimates (to the 11% precision of an
    # error estimated from 40 repetitions) and the estimates scatter about the exact value
    assert np.std(taus, ddof=1) == pytest.approx(np.mean(errors), rel=0.35)
    assert abs(np.mean(taus) - tau_exact(rho)) < 4 * np.mean(errors) / math.sqrt(len(fits)) + 0.05


def test_autocorrelation_time_flags_short_series():
    from physml.ebm import autocorrelation_time

    with pytest.warns(RuntimeWarning, match="shorter than 50 tau_int"):
        fit = autocorrelation_time(ar1(0.95, 400, seed=4))
    assert not fit.reliable and fit.error > 0


def test_replica_agreement_is_calibrated_and_catches_stuck_chains():
    from physml.ebm._mcmc_stats import replica_agreement

    rng = np.random.default_rng(42)
    # AR(1) chains, tau_int = (1 + r) / (2 (1 - r)) = 4.5, all from the same stationary law: the
    # p-values are uniform, so P(p < 0.05) = 0.05; 200 trials give 10 +- 3.1 below 0.05
    r = 0.8
    ps = []
    for _ in range(200):
        x = np.empty((2000, 16))
        x[0] = rng.normal(size=16) / np.sqrt(1 - r * r)
        noise = rng.normal(size=(2000, 16))
        for t in range(1, 2000):
            x[t] = r * x[t - 1] + noise[t]
        ps.append(replica_agreement(x))
    ps = np.array(ps)
    assert 10 - 4 * 3.1 <= np.sum(ps < 0.05) <= 10 + 4 * 3.1
    # one chain offset by 1 (its mean's error is about sqrt(2 tau var / n) = 0.16): p ~ 0
    x[:, 0] += 1.0
    assert replica_agreement(x) < 1e-6
    # frozen chains at different constant values, and frozen chains at one value
    frozen = np.repeat(np.array([[-2.0, -2.0, -1.5, -2.0]]), 100, axis=0)
    assert replica_agreement(frozen) == 0.0
    assert replica_agreement(np.full((100, 4), -2.0)) == 1.0
    with pytest.raises(ValueError, match="at least 2 chains"):
        replica_agreement(np.zeros((100, 1)))
