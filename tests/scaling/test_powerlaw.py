import numpy as np
import pytest

from physml.scaling import fit_power_law


def test_exact_power_law_is_recovered():
    x = np.array([1.0, 2.0, 4.0, 8.0, 16.0])
    fit = fit_power_law(x, 3.0 * x**-1.5)
    assert fit.exponent == pytest.approx(-1.5, abs=1e-12)
    assert fit.prefactor == pytest.approx(3.0, rel=1e-12)
    assert fit.exponent_err == pytest.approx(0.0, abs=1e-10)
    np.testing.assert_allclose(fit.predict(x), 3.0 * x**-1.5, rtol=1e-12)


def test_errors_cover_the_truth_at_the_nominal_rate():
    # 400 noisy data sets with known log-normal errors: the 1-sigma interval of the exponent
    # should contain the truth in 68.3% of them; binomial sd of the rate is 0.023.
    rng = np.random.default_rng(1)
    x = np.geomspace(1, 100, 8)
    sigma = 0.05
    hits = 0
    pulls = []
    for _ in range(400):
        y = 2.0 * x**0.7 * np.exp(sigma * rng.standard_normal(x.size))
        fit = fit_power_law(x, y, y_err=sigma * y)
        pulls.append((fit.exponent - 0.7) / fit.exponent_err)
        hits += abs(fit.exponent - 0.7) < fit.exponent_err
    assert abs(hits / 400 - 0.683) < 4 * 0.023
    assert abs(np.std(pulls) - 1.0) < 0.15


def test_scatter_sets_errors_without_y_err():
    rng = np.random.default_rng(2)
    x = np.geomspace(1, 10, 20)
    y = x**2 * np.exp(0.1 * rng.standard_normal(20))
    fit = fit_power_law(x, y)
    assert fit.scaled and fit.dof == 18
    assert abs(fit.exponent - 2.0) < 4 * fit.exponent_err


@pytest.mark.parametrize(
    ("x", "y", "message"),
    [
        ([1, 2, 3], [1, -2, 3], "y > 0"),
        ([1, 2], [1, 2, 3], "same length"),
        ([1, 2], [1, 2], "at least 3 points"),
        ([1, np.nan, 3], [1, 2, 3], "x"),
    ],
)
def test_bad_input(x, y, message):
    with pytest.raises(ValueError, match=message):
        fit_power_law(x, y)


def test_a_prefactor_beyond_double_range_is_kept_in_logs():
    # y = 3 (x / 1e300)^-1.2: A = 3e360 overflows a double (once an OverflowError); ln A = ln 3 + 1.2 ln 1e300
    x = np.array([1e298, 1e299, 1e300, 1e301, 1e302])
    y = 3 * (x / 1e300) ** -1.2
    fit = fit_power_law(x, y)
    assert fit.exponent == pytest.approx(-1.2, rel=1e-10)
    assert fit.log_prefactor == pytest.approx(np.log(3) + 1.2 * np.log(1e300), rel=1e-12)
    assert fit.prefactor == np.inf
    np.testing.assert_allclose(fit.predict(x), y, rtol=1e-9)
