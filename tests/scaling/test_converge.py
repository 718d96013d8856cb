"""train_to_convergence: early stopping ends on a validation plateau, keeps the best parameters,
and reports a run cut by max_steps as not converged."""

import numpy as np
import pytest
import torch

from physml._core import torch_generator
from physml.scaling import train_to_convergence

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _regression(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.standard_normal(n)).astype(np.float32)
    return torch.from_numpy(x), torch.from_numpy(y[:, None])


def _fit(max_steps=5000):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x, y = _regression(200, 1)
    xv, yv = _regression(500, 2)
    run = train_to_convergence(
        model,
        x,
        y,
        xv,
        yv,
        torch.nn.functional.mse_loss,
        batch_size=20,
        learning_rate=0.05,
        generator=torch_generator(3),
        max_steps=max_steps,
    )
    return model, run, xv, yv


def test_converges_to_the_noise_floor_and_keeps_the_best_parameters():
    model, run, xv, yv = _fit()
    assert run.converged and run.steps < 5000 and run.lr_drops == 2
    # linear model, noise variance 0.01: the held-out MSE ends within a few percent of it
    assert 0.008 < run.val_loss < 0.013
    with torch.no_grad():
        again = float(torch.nn.functional.mse_loss(model(xv), yv))
    assert again == pytest.approx(run.val_loss, rel=1e-6)  # the model holds the best parameters
    assert run.val_loss == pytest.approx(run.curve[:, 1].min())
    assert run.best_step in run.curve[:, 0]


def test_step_cap_is_not_convergence():
    _, run, _, _ = _fit(max_steps=15)
    assert not run.converged and run.steps == 15


def test_bad_arguments():
    x, y = _regression(10, 0)
    m = torch.nn.Linear(3, 1)
    kw = dict(batch_size=5, learning_rate=0.1, generator=torch_generator(0))
    with pytest.raises(ValueError, match="drop_factor"):
        train_to_convergence(m, x, y, x, y, torch.nn.functional.mse_loss, drop_factor=1.0, **kw)
    with pytest.raises(ValueError, match="val_inputs"):
        train_to_convergence(m, x, y, x[:0], y[:0], torch.nn.functional.mse_loss, **kw)
    with pytest.raises(ValueError, match="patience"):
        train_to_convergence(m, x, y, x, y, torch.nn.functional.mse_loss, patience=0, **kw)
