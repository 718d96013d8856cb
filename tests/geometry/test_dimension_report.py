"""The dimension report (what ``physml dimension`` prints) on data of known dimension."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from physml.data import flat_torus, henon, sphere
from physml.geometry import (
    MIN_REPORT_POINTS,
    CorrelationDimension,
    DimensionReport,
    LevinaBickel,
    MultiscaleLocalPCA,
    TwoNN,
    dimension_report,
)


@pytest.mark.slow
def test_henon_report_finds_the_attractors_dimension():
    x = henon(20000, seed=2)
    report = dimension_report(x)
    assert isinstance(report, DimensionReport)
    assert (report.n_samples, report.n_features, report.n_used) == (20000, 2, 20000)
    # Grassberger & Procaccia: D2 = 1.21 +- 0.01; the tolerance of tests/geometry/test_dimension.py
    d2, d2_err = report.dimensions["correlation"]
    assert abs(d2 - 1.21) < 0.03 and 0 < d2_err < 0.02
    assert abs(report.dimensions["mle"][0] - 1.21) < 0.05
    # the report runs the estimators as they are: the same numbers as fitting them by hand
    assert d2 == CorrelationDimension(seed=0).fit(x).dimension_
    assert report.mle.dimension_ == LevinaBickel(10, 20, seed=0).fit(x).dimension_
    assert report.twonn.dimension_ == TwoNN(seed=0).fit(x).dimension_
    # a curve locally: one tangent direction; two features give no spectrum to fit
    assert report.local.tangent_dimension_ == 1
    assert report.spectrum is None
    assert report.skipped == {"spectrum": "needs at least 4 features for a power-law fit"}
    assert report.notes == []


@pytest.mark.parametrize(("points", "dim"), [(sphere(4000, 3, seed=3), 3), (flat_torus(4000, 2, seed=3), 2)])
def test_manifolds_of_known_dimension(points, dim):
    report = dimension_report(points, seed=1)
    assert set(report.dimensions) == {"correlation", "mle", "twonn"}
    for name, (value, err) in report.dimensions.items():
        # the bound of tests/geometry/test_dimension.py: 4 standard errors plus 3 % finite-N bias
        assert err > 0 and abs(value - dim) <= 4 * err + 0.03 * dim, (name, value, err)
    assert report.local.tangent_dimension_ == dim
    assert report.local.n_centers == 50 and report.local.n_radii == 16
    assert report.spectrum is not None and report.spectrum.eigenvalues_.size == points.shape[1]
    assert report.skipped == {}


def test_to_dict_is_the_json_of_the_command():
    report = dimension_report(sphere(1500, 4, seed=2), n_centers=20, seed=5)
    d = report.to_dict()
    text = json.dumps(d, allow_nan=False)  # no NaN or infinity: they are written as null
    assert json.loads(text) == d
    assert list(d) == ["n_samples", "n_features", "n_used", "seed", "dimension", "notes", "spectrum", "local"]
    assert (d["n_samples"], d["n_features"], d["n_used"], d["seed"]) == (1500, 5, 1500, 5)
    assert d["dimension"]["correlation"]["value"] == report.correlation.dimension_
    assert d["dimension"]["correlation"]["scaling_range"] == list(report.correlation.scaling_range_)
    assert d["dimension"]["mle"] == {"value": report.mle.dimension_, "error": report.mle.dimension_err_,
                                     "k1": 10, "k2": 20}
    assert d["spectrum"]["fit_range"] == [1, 3]  # five eigenvalues: ranks 1..max(5 // 2, 1 + 2)
    assert d["spectrum"]["eigenvalues"] == pytest.approx(list(report.spectrum.eigenvalues_))
    assert d["local"]["n_centers"] == 20 and d["local"]["tangent_dimension"] == 4
    assert d["local"]["crossover_radius"] is None or math.isfinite(d["local"]["crossover_radius"])
    # the same seed gives the same report
    assert dimension_report(sphere(1500, 4, seed=2), n_centers=20, seed=5).to_dict() == d


def test_subsample_duplicates_and_warnings_become_notes():
    x = sphere(400, 2, seed=0)
    report = dimension_report(np.vstack([x, x[:50]]), max_points=None, n_centers=0)
    assert report.correlation.n_duplicates_ == 50
    assert [n.split(":")[0] for n in report.notes] == ["CorrelationDimension", "LevinaBickel", "TwoNN"]
    assert all("removed 50 duplicate" in n for n in report.notes)
    assert report.local is None and "local" not in report.skipped  # n_centers=0: not asked for
    both = dimension_report(np.vstack([x, x[:50]]), max_points=449, n_centers=0)
    assert [n.split(":")[0] for n in both.notes[:3]] == ["CorrelationDimension", "LevinaBickel", "TwoNN"]
    assert both.notes[3:] == ["analysed a random subsample of 449 of 450 rows (max_points)"]  # warnings first

    y = sphere(400, 2, seed=1)
    sub = dimension_report(y, max_points=300, n_centers=0, seed=3)
    assert (sub.n_samples, sub.n_used) == (400, 300)
    assert sub.notes == ["analysed a random subsample of 300 of 400 rows (max_points)"]
    rows = np.sort(np.random.default_rng(3).choice(400, 300, replace=False))
    assert sub.correlation.dimension_ == CorrelationDimension(seed=3).fit(y[rows]).dimension_


def test_steps_that_cannot_run_are_skipped_with_their_reason():
    line = np.random.default_rng(0).random((200, 1))
    d = dimension_report(line).to_dict()
    assert d["skipped"] == {"spectrum": "needs at least 4 features for a power-law fit",
                            "local": "needs at least 2 features"}
    assert abs(d["dimension"]["mle"]["value"] - 1) < 0.2
    assert list(d).index("skipped") > list(d).index("notes")


@pytest.mark.slow
def test_a_step_that_fails_is_skipped_and_the_others_run():
    # a ball of min_points is wider than the radii local PCA may use: too few points per dimension
    wide = dimension_report(np.random.default_rng(1).normal(size=(300, 120)))
    assert wide.local is None and "MultiscaleLocalPCA" in wide.skipped["local"]
    assert wide.notes == ["multiscale local PCA on 20 centres (many features make balls costly; n_centers)"]
    assert wide.correlation is not None and wide.spectrum is not None


def test_figures_of_the_steps_that_ran():
    pytest.importorskip("matplotlib")
    report = dimension_report(flat_torus(600, 2, seed=0), n_centers=10)
    figures = report.figures()
    assert list(figures) == ["correlation", "spectrum", "local"]
    assert len(figures["correlation"].axes) == 2
    assert list(dimension_report(henon(600, seed=0), n_centers=0).figures()) == ["correlation"]


def test_bad_input_is_refused():
    x = sphere(200, 2, seed=0)
    with pytest.raises(ValueError, match="k1"):
        dimension_report(x, k1=2)
    with pytest.raises(ValueError, match="k2"):
        dimension_report(x, k1=12, k2=10)
    with pytest.raises(ValueError, match=f"at least {MIN_REPORT_POINTS} points"):
        dimension_report(x[: MIN_REPORT_POINTS - 1])
    with pytest.raises(ValueError, match="2 dimensions"):
        dimension_report(x.reshape(20, 10, 3))
    with pytest.raises(ValueError, match="non-finite|finite"):
        dimension_report(np.vstack([x, [np.nan, 0.0, 0.0]]))
    with pytest.raises(ValueError, match="max_points"):
        dimension_report(x, max_points=0)
    assert isinstance(dimension_report(x, n_centers=5).local, MultiscaleLocalPCA)
