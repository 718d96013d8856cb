"""Resumable sweeps and the teacher-student data on the flat d-torus."""

import numpy as np
import pytest

from physml.geometry import TwoNN
from physml.scaling import run_sweep, sweep_points, teacher_student_data, teacher_student_loss


def square(point):
    return point["size"] ** 2 + point["replica"]


def refuse(point):
    raise AssertionError(f"point {point} should have come from the store")


def test_sweep_points_grid():
    pts = sweep_points([10, 20], 3, dim=4)
    assert len(pts) == 6 and pts[0] == {"size": 10, "replica": 0, "dim": 4}
    assert [p["size"] for p in pts] == [10, 10, 10, 20, 20, 20]


def test_run_sweep_resumes_point_by_point(tmp_path):
    pts = sweep_points([1, 2, 3], 2)
    first = run_sweep(square, pts[:4], store=tmp_path)
    assert first == [1, 2, 4, 5]
    assert len(list(tmp_path.glob("point-*.npz"))) == 4 and not list(tmp_path.glob("*.pkl"))
    # the first four come from the store, only the new ones are computed
    with pytest.raises(Exception, match="store"):
        run_sweep(refuse, pts, store=tmp_path)
    assert run_sweep(square, pts, store=tmp_path) == [1, 2, 4, 5, 9, 10]
    assert run_sweep(refuse, pts, store=tmp_path) == [1, 2, 4, 5, 9, 10]


def test_run_sweep_refuses_duplicate_points():
    with pytest.raises(ValueError, match="distinct"):
        run_sweep(square, [{"size": 1, "replica": 0}] * 2)


@pytest.mark.parametrize("dim", [2, 4])
def test_teacher_data_lies_on_a_manifold_of_dimension_d(dim):
    x, y = teacher_student_data(3000, dim, seed=1)
    assert x.shape == (3000, 2 * dim) and y.shape == (3000,)
    est = TwoNN(seed=0).fit(x)
    assert abs(est.dimension_ - dim) < 4 * est.dimension_err_ + 0.05 * dim  # TwoNN's few-% bias
    # standardised over the manifold: mean 0 and variance 1 within sampling error
    assert abs(y.mean()) < 4 / np.sqrt(3000)
    assert abs(y.var() - 1) < 4 * np.sqrt(2 / 3000) * 1.5
    # the teacher is fixed by teacher_seed, the inputs by seed
    x2, y2 = teacher_student_data(3000, dim, seed=1)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(teacher_student_data(10, dim, teacher_seed=1, seed=1)[1], y[:10])


def test_teacher_student_loss_small_run():
    import torch

    torch.set_num_threads(1)
    out = teacher_student_loss(2, 64, width=16, steps=100, n_test=200, seed=3)
    assert set(out) == {"test_loss", "train_loss", "n_parameters", "epochs", "steps", "converged"}
    # batch 64 = n_train: one step per epoch
    assert 0 < out["test_loss"] < 2.0 and out["epochs"] == 100 and out["steps"] == 100
    assert out["converged"] is None  # a fixed budget says nothing about convergence
    assert out == teacher_student_loss(2, 64, width=16, steps=100, n_test=200, seed=3)
    with pytest.raises(ValueError, match="n_train"):
        teacher_student_loss(2, 0)


CONVERGE = dict(
    width=16, batch_size=16, n_test=1000, n_val=1000, eval_every=20, patience=3, max_lr_drops=1, seed=3
)


@pytest.mark.slow
def test_teacher_student_loss_to_convergence_stops_on_a_validation_plateau():
    import torch

    torch.set_num_threads(1)
    out = teacher_student_loss(2, 128, steps=50_000, converge=True, **CONVERGE)
    assert set(out) >= {"test_loss", "val_loss", "steps", "best_step", "lr_drops", "converged"}
    # ended by early stopping: after the allowed drop, `patience` evaluations without improvement,
    # far below the cap
    assert out["converged"] and out["lr_drops"] == 1 and out["steps"] < 50_000
    assert out["steps"] % 20 == 0 and out["steps"] - out["best_step"] >= 3 * 20
    assert out["epochs"] == pytest.approx(out["steps"] * 16 / 128)
    # the validation points come from the same teacher and manifold as the test points: both
    # estimate the same generalisation error (1000 points each: a few percent apart, plus the
    # selection bias of the best evaluation); another teacher would give a loss of order 1
    assert 0.75 < out["val_loss"] / out["test_loss"] < 1.33
    assert out == teacher_student_loss(2, 128, steps=50_000, converge=True, **CONVERGE)
    # a cap of 30 steps stops the same run first: reported as not converged, and worse
    capped = teacher_student_loss(2, 128, steps=30, converge=True, **CONVERGE)
    assert not capped["converged"] and capped["steps"] == 30
    assert capped["test_loss"] > 2 * out["test_loss"]
    with pytest.raises(ValueError, match="n_val"):
        teacher_student_loss(2, 128, converge=True, n_val=0)
