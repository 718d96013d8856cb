"""Intrinsic-dimension estimators against exact pair counts and known dimensions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from physml.data import flat_torus, henon, sphere
from physml.geometry import CorrelationDimension, LevinaBickel, TwoNN, correlation_sum, local_dimension


def brute_pairs(x, r):
    d = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1)
    iu = np.triu_indices(len(x), 1)
    return np.array([(d[iu] <= rr).sum() for rr in r])


def test_correlation_sum_equals_the_brute_force_pair_count():
    x = np.random.default_rng(0).normal(size=(300, 3))
    r = np.array([0.1, 0.5, 1.0, 2.0, 10.0])
    n = len(x)
    np.testing.assert_allclose(correlation_sum(x, r) * n * (n - 1) / 2, brute_pairs(x, r))
    # unsorted radii come back in the caller's order
    np.testing.assert_allclose(correlation_sum(x, r[::-1]), correlation_sum(x, r)[::-1])
    assert correlation_sum(x, [100.0])[0] == 1.0


def test_knn_mode_is_skdims_corrint_rule():
    """scikit-dimension's CorrInt: slope of ln C between the median 10th and 20th neighbour distances,
    computed here the O(N**2) way it does."""
    x = sphere(400, 2, seed=3)
    d = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1)
    knn = np.sort(d, axis=1)[:, 1:21]
    r1, r2 = np.median(knn[:, 9]), np.median(knn[:, 19])
    c1, c2 = brute_pairs(x, [r1, r2])
    expected = np.log(c2 / c1) / np.log(r2 / r1)
    got = CorrelationDimension("knn", n_subsamples=0).fit(x)
    assert got.dimension_ == pytest.approx(expected, rel=1e-12)
    assert got.scaling_range_ == pytest.approx((r1, r2))


@pytest.mark.parametrize(("dim", "n"), [(1, 3000), (2, 4000), (3, 4000)])
def test_sphere_dimensions_within_their_errors(dim, n):
    x = sphere(n, dim, seed=dim)
    for est in (CorrelationDimension(seed=1), LevinaBickel(seed=1), TwoNN(seed=1)):
        est.fit(x)
        # the subsampling standard error is honest: 4 sigma, plus 3 % for the known finite-N bias
        # of the three estimators on curved manifolds
        assert est.dimension_err_ > 0
        bound = 4 * est.dimension_err_ + 0.03 * dim
        assert abs(est.dimension_ - dim) <= bound, (type(est).__name__, est.dimension_)


def test_henon_correlation_dimension_and_its_scaling_range():
    cd = CorrelationDimension(seed=0).fit(henon(20000, seed=2))
    # Grassberger & Procaccia: 1.21 +- 0.01; the tolerance 0.03
    assert abs(cd.dimension_ - 1.21) < 0.03
    assert 0 < cd.dimension_err_ < 0.02
    lo, hi = cd.scaling_range_
    assert cd.range_found_ and hi / lo > 10  # at least the requested decade
    assert cd.radii_[0] <= lo < hi <= cd.radii_[-1]
    assert cd.local_slopes_.shape == (cd.radii_.size - 1,)


def test_fixed_range_fits_exactly_a_power_law():
    # points on a line at uniform spacing: C(r) is a step function; over large r it is ~ r
    x = np.column_stack([np.arange(5000.0), np.zeros(5000)])
    cd = CorrelationDimension((10.0, 100.0), n_subsamples=0).fit(x)
    assert cd.dimension_ == pytest.approx(1.0, abs=0.02)
    assert cd.scaling_range_ == (10.0, 100.0)


def test_estimators_are_reproducible():
    x = flat_torus(2000, 2, seed=0)
    for cls in (CorrelationDimension, LevinaBickel, TwoNN):
        a, b = cls(seed=5).fit(x), cls(seed=5).fit(x)
        assert a.dimension_ == b.dimension_ and a.dimension_err_ == b.dimension_err_


def test_levina_bickel_and_twonn_on_a_flat_torus_without_edges():
    x = flat_torus(6000, 3, seed=1)  # T^3 in R^6: locally flat, no boundary
    lb = LevinaBickel(seed=0).fit(x)
    tn = TwoNN(discard_fraction=0.0, seed=0).fit(x)
    assert abs(lb.dimension_ - 3) <= 4 * lb.dimension_err_ + 0.05
    assert abs(tn.dimension_ - 3) <= 4 * tn.dimension_err_ + 0.05
    assert lb.local_dimensions_.shape == (6000,)
    # TwoNN with no discard is the unbiased Pareto MLE (N - 1) / sum(ln mu)
    assert tn.dimension_ == pytest.approx((len(tn.ratios_) - 1) / np.log(tn.ratios_).sum())


def test_local_dimension_separates_a_line_from_a_plane():
    rng = np.random.default_rng(0)
    line = np.column_stack([rng.random(2000), np.zeros(2000), np.zeros(2000)])
    plane = np.column_stack([rng.random(2000) + 5.0, rng.random(2000), np.zeros(2000)])
    m = local_dimension(np.vstack([line, plane]), 20)
    # one estimate has relative error ~ 1 / sqrt(k - 3); the medians are far sharper
    assert abs(np.median(m[:2000]) - 1) < 0.1
    assert abs(np.median(m[2000:]) - 2) < 0.2
    smooth = local_dimension(np.vstack([line, plane]), 20, smooth=True)
    assert np.std(smooth[:2000]) < np.std(m[:2000])


def test_duplicates_are_removed_with_a_warning_and_give_finite_results():
    x = sphere(1000, 2, seed=0)
    doubled = np.vstack([x, x[:100], x[:100]])
    for cls in (CorrelationDimension, LevinaBickel, TwoNN):
        with pytest.warns(UserWarning, match="removed 200 duplicate"):
            est = cls(seed=0).fit(doubled)
        assert est.n_duplicates_ == 200 and np.isfinite(est.dimension_)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert est.dimension_ == cls(seed=0).fit(x).dimension_
    with pytest.warns(UserWarning):
        assert np.all(np.isfinite(local_dimension(doubled)))


@pytest.mark.parametrize(
    ("x", "error", "message"),
    [
        (np.array([[0.0, np.nan]] * 50), ValueError, "non-finite"),
        (np.arange(50.0), ValueError, "reshape"),
        (np.zeros((1, 3)), ValueError, "at least"),
        (np.zeros((50, 2)), ValueError, "distinct points"),
        (np.array([["a", "b"]] * 30), TypeError, "convertible to float64"),
    ],
)
def test_bad_input(x, error, message):
    for est in (CorrelationDimension(), LevinaBickel(), TwoNN()):
        with pytest.raises(error, match=message), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est.fit(x)


@pytest.mark.parametrize(
    ("est", "message"),
    [
        (CorrelationDimension("median"), "scaling_range='median' is not accepted; accepted: one of 'auto'"),
        (CorrelationDimension((1.0, 0.5)), "0 < r_min < r_max"),
        (CorrelationDimension(k1=20, k2=10), "k1 must be smaller than k2"),
        (CorrelationDimension(n_radii=2), r"n_radii=2 is not accepted; accepted: an int in \[4, inf\)"),
        (LevinaBickel(k1=2), r"LevinaBickel: k1=2 is not accepted; accepted: an int in \[3, inf\)"),
        (LevinaBickel(k1=12, k2=10), "k1 must be <= k2"),
        (TwoNN(discard_fraction=1.0), r"discard_fraction=1.0 is not accepted; accepted: a float in \[0, 1\)"),
    ],
)
def test_bad_parameters(est, message):
    with pytest.raises(ValueError, match=message):
        est.fit(sphere(200, 2, seed=0))


def test_too_few_points_for_the_neighbour_orders():
    with pytest.raises(ValueError, match="needs at least 21 points"):
        LevinaBickel(k2=20).fit(sphere(15, 2, seed=0))


def test_high_dimensional_backend_counts_and_neighbours_exactly():
    """Above 16 features the pair counts and neighbours come from chunked brute force."""
    from physml.geometry._neighbors import TREE_MAX_DIM, NeighborIndex

    x = np.random.default_rng(4).normal(size=(400, 40))
    assert x.shape[1] > TREE_MAX_DIM and not NeighborIndex(x).tree_based
    r = np.array([6.0, 8.0, 9.0, 20.0])
    n = len(x)
    np.testing.assert_allclose(correlation_sum(x, r) * n * (n - 1) / 2, brute_pairs(x, r))
    d = np.linalg.norm(x[:, None, :] - x[None, :, :], axis=-1)
    np.testing.assert_allclose(NeighborIndex(x).knn(5), np.sort(d, axis=1)[:, 1:6], rtol=1e-10)
