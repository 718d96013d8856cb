"""The geometry estimators as models (docs/architecture.md, "One model contract"): parameters
declared once, files that give back the same fit, and the constant covariance field of ``fit(X)``."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.base import clone

from physml._core import InvalidParameterError
from physml.data import sphere
from physml.geometry import (
    CorrelationDimension,
    CovarianceField,
    CovarianceSpectrum,
    LevinaBickel,
    MultiscaleLocalPCA,
    TwoNN,
    local_covariances,
    mahalanobis_distance,
)

X = sphere(1500, 2, noise=0.02, seed=1)
WIDE = np.random.default_rng(0).normal(size=(400, 12)) * np.arange(1, 13) ** -0.8

FITTED = [
    (CorrelationDimension((0.05, 0.5), n_radii=12, seed=3), X),
    (CorrelationDimension("knn", k1=5, k2=15, seed=3), X),
    (CorrelationDimension(seed=3), X),
    (LevinaBickel(5, 15, seed=3), X),
    (TwoNN(discard_fraction=0.2, seed=3), X),
    (MultiscaleLocalPCA(np.geomspace(0.1, 1.0, 10), n_centers=30, seed=3), X),
    (MultiscaleLocalPCA(n_centers=30, seed=3), X),
    (CovarianceSpectrum(fit_range=(2, 8), centered=False, seed=3), WIDE),
]


NAMES = [f"{type(e).__name__}{i}" for i, (e, _) in enumerate(FITTED)]


def fitted_attributes(est):
    return {k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")}


@pytest.mark.parametrize(("est", "x"), FITTED, ids=NAMES)
def test_a_saved_fit_loads_with_the_same_parameters_and_every_fitted_attribute(est, x, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = clone(est).fit(x)
    est.save(tmp_path / "m.npz")
    back = type(est).load(tmp_path / "m.npz")
    assert repr(back.get_params()) == repr(est.get_params())
    assert [type(v) for v in back.get_params().values()] == [type(v) for v in est.get_params().values()]
    mine, theirs = fitted_attributes(est), fitted_attributes(back)
    assert mine.keys() == theirs.keys()
    for name, value in mine.items():
        if name == "fit_":
            assert repr(theirs[name]) == repr(value)
        elif isinstance(value, tuple):
            assert theirs[name] == value and isinstance(theirs[name], tuple), name
        else:
            np.testing.assert_array_equal(theirs[name], value, err_msg=name)
            assert np.asarray(theirs[name]).dtype == np.asarray(value).dtype, name
    assert not hasattr(back, "score")


@pytest.mark.parametrize(
    ("est", "message"),
    [
        (CorrelationDimension(scaling_range=(0.1,)), "scaling_range=(0.1,) is not accepted"),
        (CorrelationDimension(seed=-1), "seed=-1 is not accepted"),
        (MultiscaleLocalPCA(radii=[1.0, 0.5, 2.0]), "radii=[1.0, 0.5, 2.0] is not accepted; accepted: None"),
        (MultiscaleLocalPCA(min_points=2), "min_points=2 is not accepted; accepted: None or an int in"),
        (CovarianceSpectrum(centered=1), "centered=1 is not accepted; accepted: True or False"),
        (CovarianceSpectrum(fit_range=(3, 4)), "fit_range=(3, 4) is not accepted; accepted: a pair"),
        (CovarianceField(weights="gauss"), "weights='gauss' is not accepted; accepted: one of"),
    ],
)
def test_bad_parameters_are_refused_in_fit_in_one_line(est, message):
    with pytest.raises(InvalidParameterError) as info:
        est.fit(WIDE[:, :3] if isinstance(est, CovarianceField) else X)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_fit_without_covariances_is_the_constant_field_of_repeated_measurements(tmp_path):
    rng = np.random.default_rng(2)
    cov = np.array([[0.04, 0.01], [0.01, 0.02]])
    reps = rng.multivariate_normal([1.0, -1.0], cov, size=500)
    field = CovarianceField().fit(reps)
    means, sample = local_covariances(reps[None])
    np.testing.assert_array_equal(field.points_, means)
    np.testing.assert_array_equal(field.covariances_, sample)
    assert field.n_features_in_ == 2
    y1, y2 = rng.normal(size=(5, 2)), rng.normal(size=(5, 2))
    np.testing.assert_allclose(field.distance(y1, y2), mahalanobis_distance(y1, y2, sample[0]))
    with pytest.raises(ValueError, match=r"at least D \+ 1 = 3 repeated measurements"):
        CovarianceField().fit(reps[:2])
    with pytest.raises(ValueError, match="positive definite"):
        CovarianceField().fit(np.column_stack([reps[:, 0], 2 * reps[:, 0]]))
    field.save(tmp_path / "field.npz")
    back = CovarianceField.load(tmp_path / "field.npz")
    np.testing.assert_array_equal(back.distance(y1, y2), field.distance(y1, y2))
    np.testing.assert_array_equal(back.whiten(y1, y2[0]), field.whiten(y1, y2[0]))
    with pytest.raises(ValueError, match="y must have 2 features, got 3"):
        back.covariance(np.zeros((1, 3)))
