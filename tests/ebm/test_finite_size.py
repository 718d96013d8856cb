"""Crossings of measured curves and finite-size extrapolation, on curves whose answers are known."""

import math

import numpy as np
import pytest

from physml.ebm import curve_crossing, finite_size_extrapolation


def test_crossing_of_two_straight_lines_is_exact_without_noise():
    x = np.linspace(0.0, 1.0, 6)
    c = curve_crossing(x, 1 + 2 * x, np.full(6, 0.01), 3 - x, np.full(6, 0.01), degree=1)
    assert c.x == pytest.approx(2 / 3, abs=1e-12)
    assert c.y == pytest.approx(1 + 4 / 3, abs=1e-12)
    assert c.chi2 == pytest.approx(0.0, abs=1e-18) and c.dof == 4 and not c.scaled
    assert c.window == (0.0, 1.0) and c.n_points == 6
    # first-order error: sigma(d at root) / |slope of d|; for a line fit of 6 equal errors
    sigma_d = 0.01 * math.sqrt(2)
    t = np.linspace(-1, 1, 6)
    t0 = 2 / 3 * 2 - 1
    var = sigma_d**2 * (1 / 6 + t0**2 / np.sum(t**2))
    assert c.x_err == pytest.approx(math.sqrt(var) / 3, rel=1e-9)


def test_crossing_of_curved_curves_with_a_window():
    x = np.linspace(2.0, 2.5, 11)
    u1 = 0.6 - 0.5 * (x - 2.27) - 0.3 * (x - 2.27) ** 2
    u2 = 0.6 - 1.5 * (x - 2.27) - 2.0 * (x - 2.27) ** 2
    err = np.full(11, 1e-4)
    c = curve_crossing(x, u1, err, u2, err, degree=2, n_points=5)
    assert c.x == pytest.approx(2.27, abs=1e-10)
    assert c.y == pytest.approx(0.6, abs=1e-10)
    assert c.n_points == 5 and c.window[0] <= 2.27 <= c.window[1]
    assert c.window[1] - c.window[0] == pytest.approx(0.2)


def test_crossing_with_a_level():
    x = np.linspace(0.1, 0.3, 9)
    p = 1 / (1 + np.exp((x - 0.17) / 0.02))  # falls through 1/2 at 0.17
    c = curve_crossing(x, p, np.full(9, 0.01), 0.5, degree=3, n_points=6)
    assert c.x == pytest.approx(0.17, abs=1e-3)  # a cubic through a logistic: ~4e-4 off
    assert c.y == pytest.approx(0.5, abs=1e-3)


def test_crossing_errors_are_calibrated():
    """Over many noisy realisations the reported error matches the scatter of the crossings."""
    rng = np.random.default_rng(0)
    x = np.linspace(2.24, 2.30, 7)
    e1, e2 = np.full(7, 0.002), np.full(7, 0.003)
    u1 = 0.61 - 1.0 * (x - 2.269)
    u2 = 0.61 - 4.0 * (x - 2.269) - 5.0 * (x - 2.269) ** 2
    found, errs, ys = [], [], []
    for _ in range(2000):
        c = curve_crossing(x, u1 + e1 * rng.standard_normal(7), e1, u2 + e2 * rng.standard_normal(7), e2)
        found.append(c.x)
        errs.append(c.x_err)
        ys.append(c.y)
    found = np.array(found)
    assert np.std(found) == pytest.approx(np.mean(errs), rel=0.1)
    assert abs(np.mean(found) - 2.269) < 4 * np.std(found) / math.sqrt(len(found))
    assert abs(np.mean(ys) - 0.61) < 0.002


def test_scaled_errors_grow_with_a_bad_fit():
    x = np.linspace(0.0, 1.0, 8)
    rng = np.random.default_rng(1)
    y1 = 1 - x + 0.05 * rng.standard_normal(8)  # errors claimed 10x too small
    plain = curve_crossing(x, y1, np.full(8, 0.005), 0.5, degree=1)
    scaled = curve_crossing(x, y1, np.full(8, 0.005), 0.5, degree=1, scale_errors=True)
    assert scaled.scaled and not plain.scaled
    assert scaled.x == plain.x
    assert scaled.x_err == pytest.approx(plain.x_err * math.sqrt(plain.reduced_chi2))


def test_curves_that_do_not_cross_are_reported():
    x = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="do not cross.*stays above"):
        curve_crossing(x, x + 2, np.full(5, 0.1), x, np.full(5, 0.1))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(x=[0, 1, 1]), "strictly increasing"),
        (dict(y1_err=[0.1, 0.0, 0.1]), "y1_err must be > 0"),
        (dict(y2_err=[0.1, -0.1, 0.1]), "y2_err must be >= 0"),
        (dict(y2=[1.0, 2.0]), "y2 must have shape"),
        (dict(degree=2, n_points=2), "n_points must be"),
    ],
)
def test_bad_crossing_inputs(kwargs, message):
    args = dict(x=[0.0, 1.0, 2.0], y1=[1.0, 0.0, -1.0], y1_err=[0.1] * 3, y2=0.0, y2_err=None)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=message):
        curve_crossing(args.pop("x"), args.pop("y1"), args.pop("y1_err"), args.pop("y2"), **args)


def test_extrapolation_recovers_the_limit_of_exact_data():
    n = np.array([100.0, 200, 400, 800, 1600])
    y = 0.138 + 0.7 * n**-0.5
    fit = finite_size_extrapolation(n, y, np.full(5, 1e-3), omega=0.5)
    assert fit.limit == pytest.approx(0.138, abs=1e-12)
    assert fit.slope == pytest.approx(0.7, abs=1e-10)
    assert fit.dof == 3 and fit.chi2 == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(fit.predict(n), y, atol=1e-12)


def test_extrapolation_errors_are_calibrated():
    rng = np.random.default_rng(2)
    n = np.array([100.0, 200, 400, 800, 1600])
    err = np.array([0.004, 0.003, 0.003, 0.002, 0.002])
    fits = [
        finite_size_extrapolation(n, 0.138 + 0.7 * n**-0.5 + err * rng.standard_normal(5), err, omega=0.5)
        for _ in range(2000)
    ]
    limits = np.array([f.limit for f in fits])
    assert np.std(limits) == pytest.approx(fits[0].limit_err, rel=0.1)
    assert abs(np.mean(limits) - 0.138) < 4 * fits[0].limit_err / math.sqrt(len(fits))
    assert np.mean([f.chi2 for f in fits]) == pytest.approx(3.0, rel=0.1)


def test_bad_extrapolation_inputs():
    with pytest.raises(ValueError, match="errors must be > 0"):
        finite_size_extrapolation([1, 2], [1.0, 2.0], [0.1, 0.0], omega=1.0)
    with pytest.raises(ValueError, match="two different"):
        finite_size_extrapolation([4, 4], [1.0, 2.0], [0.1, 0.1], omega=1.0)
    with pytest.raises(ValueError, match="omega must be"):
        finite_size_extrapolation([2, 4], [1.0, 2.0], [0.1, 0.1], omega=0.0)
