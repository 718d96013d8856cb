"""Teacher-student regression on data manifolds of known dimension (Sharma & Kaplan,
"A neural scaling law from the dimension of the data manifold", arXiv:2004.10802).

Inputs lie uniformly on the flat torus T^d embedded in R^(2d) (:func:`physml.data.flat_torus`:
a d-dimensional manifold without boundary, so its intrinsic dimension is exactly d). The
teacher is a fixed random smooth network (one tanh layer) of the embedded coordinates; a
ReLU student fitted to n samples approximates it piecewise linearly on cells of size
s ∝ n^(−1/d), so its mean squared error falls like s⁴, i.e. L ∝ n^(−4/d).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from physml import nets
from physml._core import check_int, check_real, check_seed, derive_seed, torch_generator
from physml.data import flat_torus
from physml.scaling._converge import train_to_convergence

__all__ = ["teacher_student_data", "teacher_student_loss"]


def _teacher(x: np.ndarray, dim: int, width: int, teacher_seed: int) -> np.ndarray:
    rng = np.random.default_rng(derive_seed(teacher_seed, "teacher", dim, width))
    n_in = x.shape[1]
    w1 = rng.standard_normal((n_in, width)) * math.sqrt(2.0 / n_in)
    b1 = 0.5 * rng.standard_normal(width)
    w2 = rng.standard_normal(width) / math.sqrt(width)
    return np.tanh(x @ w1 + b1) @ w2


def _teacher_scale(dim: int, width: int, teacher_seed: int) -> tuple[float, float]:
    """Mean and standard deviation of the teacher over the manifold (fixed reference sample)."""
    ref = flat_torus(8192, dim, seed=derive_seed(teacher_seed, "reference", dim))
    out = _teacher(ref, dim, width, teacher_seed)
    return float(out.mean()), float(out.std())


def teacher_student_data(
    n_samples: int,
    dim: int,
    *,
    teacher_width: int = 32,
    teacher_seed: int = 0,
    seed: int | np.random.Generator = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Samples of the teacher on the flat d-torus.

    Parameters
    ----------
    n_samples : int
    dim : int
        Intrinsic dimension d of the data manifold (>= 1); inputs have 2d coordinates.
    teacher_width : int
        Hidden units of the teacher.
    teacher_seed : int
        Fixes the teacher (the same for every data set with this seed and d).
    seed : int or numpy.random.Generator
        Draws the inputs.

    Returns
    -------
    x : ndarray of float64, shape (n_samples, 2 dim)
    y : ndarray of float64, shape (n_samples,)
        Teacher outputs, standardised to mean 0 and variance 1 over the manifold.
    """
    n_samples = check_int(n_samples, "n_samples", low=1)
    dim = check_int(dim, "dim", low=1)
    teacher_width = check_int(teacher_width, "teacher_width", low=1)
    teacher_seed = check_int(teacher_seed, "teacher_seed", low=0)
    x = flat_torus(n_samples, dim, seed=check_seed(seed))
    mean, std = _teacher_scale(dim, teacher_width, teacher_seed)
    return x, (_teacher(x, dim, teacher_width, teacher_seed) - mean) / std


def teacher_student_loss(
    dim: int,
    n_train: int,
    *,
    width: int = 128,
    depth: int = 2,
    steps: int = 4000,
    batch_size: int = 64,
    learning_rate: float = 0.05,
    momentum: float = 0.9,
    n_test: int = 2000,
    teacher_width: int = 32,
    teacher_seed: int = 0,
    seed: int = 0,
    converge: bool = False,
    n_val: int = 1000,
    eval_every: int | None = None,
    patience: int = 5,
    max_lr_drops: int = 2,
) -> dict[str, Any]:
    """Train a ReLU student on ``n_train`` teacher samples and measure its test loss.

    The student is a :class:`physml.nets.MLP` with ``depth`` hidden layers of ``width`` units
    (PyTorch's default initialisation, seeded), trained by minibatch SGD with momentum on the
    mean squared error in one of two ways:

    * ``converge=False`` (fixed budget): :func:`physml.nets.sgd_train` with a cosine
      learning-rate schedule for about ``steps`` minibatch steps
      (``max(1, steps·batch_size // n_train)`` epochs). A large ``n_train`` may be stopped
      before its loss has converged.
    * ``converge=True`` (to convergence): :func:`physml.scaling.train_to_convergence`, with
      early stopping and learning-rate drops on plateaus of the loss on ``n_val`` held-out
      points drawn from the same manifold and teacher (their own seed, never trained on);
      ``steps`` is then the cap on the number of steps, and ``converged`` says whether the run
      ended on a validation plateau rather than on the cap. This is how a point of a data-scaling
      curve L(n) measures the loss that n examples allow.

    Parameters
    ----------
    dim : int
        Manifold dimension d.
    n_train : int
        Training-set size.
    width, depth, batch_size : int
    steps : int
        Step budget: the length of the cosine schedule (``converge=False``) or the hard cap
        (``converge=True``).
    learning_rate, momentum : float
        Initial learning rate (the schedule's peak, or the rate before the first drop).
    n_test : int
        Fresh test points (the test loss is the mean squared error on them, in units of the
        teacher's variance).
    teacher_width, teacher_seed : int
        The teacher (see :func:`teacher_student_data`).
    seed : int
        Training, validation and test data, initial weights and batch order.
    converge : bool
        Train to convergence instead of for a fixed budget.
    n_val : int
        Validation points for the stopping decision (``converge=True`` only).
    eval_every : int, optional
        Steps between validation evaluations (``converge=True`` only); default one epoch
        (ceil(n_train / batch_size) steps) or 50 steps, whichever is more.
    patience, max_lr_drops : int
        Passed to :func:`physml.scaling.train_to_convergence` (``converge=True`` only).

    Returns
    -------
    dict
        ``test_loss``; ``train_loss`` (mean over the last epoch with ``converge=False``, over
        the whole training set at the kept parameters with ``converge=True``);
        ``n_parameters``; ``steps`` (optimiser steps taken); ``epochs`` (full passes, fixed
        budget; steps·batch_size / n_train, to convergence); ``converged`` (None for the fixed
        budget). With ``converge=True`` also ``val_loss`` (the best, at the kept parameters),
        ``best_step`` and ``lr_drops``.
    """
    import torch

    dim = check_int(dim, "dim", low=1)
    n_train = check_int(n_train, "n_train", low=1)
    width = check_int(width, "width", low=1)
    depth = check_int(depth, "depth", low=1)
    steps = check_int(steps, "steps", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    n_test = check_int(n_test, "n_test", low=1)
    seed = check_int(seed, "seed", low=0)
    if converge:
        n_val = check_int(n_val, "n_val", low=1)
        if eval_every is not None:
            eval_every = check_int(eval_every, "eval_every", low=1)

    def data(n: int, what: str) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = teacher_student_data(
            n, dim, teacher_width=teacher_width, teacher_seed=teacher_seed, seed=derive_seed(seed, what)
        )
        return torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(y[:, None], dtype=torch.float32)

    x_tr, y_tr = data(n_train, "train")
    x_te, y_te = data(n_test, "test")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "init"))
        model = nets.MLP((2 * dim,) + (width,) * depth + (1,), "relu")
    batch = min(batch_size, n_train)
    generator = torch_generator(derive_seed(seed, "batches"))
    mse = torch.nn.functional.mse_loss
    out: dict[str, Any]
    if converge:
        x_val, y_val = data(n_val, "validation")
        run = train_to_convergence(
            model,
            x_tr,
            y_tr,
            x_val,
            y_val,
            mse,
            batch_size=batch,
            learning_rate=learning_rate,
            momentum=momentum,
            generator=generator,
            eval_every=max(math.ceil(n_train / batch), 50) if eval_every is None else eval_every,
            patience=patience,
            max_lr_drops=max_lr_drops,
            max_steps=steps,
        )
        with torch.no_grad():
            train_loss = float(mse(model(x_tr), y_tr))
        out = {
            "train_loss": train_loss,
            "steps": run.steps,
            "epochs": run.steps * batch / n_train,
            "converged": run.converged,
            "val_loss": run.val_loss,
            "best_step": run.best_step,
            "lr_drops": run.lr_drops,
        }
    else:
        epochs = max(1, steps * batch_size // n_train)
        history = nets.sgd_train(
            model,
            x_tr,
            y_tr,
            mse,
            epochs=epochs,
            batch_size=batch,
            learning_rate=learning_rate,
            momentum=momentum,
            schedule="cosine",
            generator=generator,
        )
        out = {
            "train_loss": float(history[-1]),
            "steps": epochs * math.ceil(n_train / batch),
            "epochs": int(epochs),
            "converged": None,
        }
    with torch.no_grad():
        test_loss = float(mse(model(x_te), y_te))
    return {"test_loss": test_loss, "n_parameters": int(model.n_parameters), **out}
