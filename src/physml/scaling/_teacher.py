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

from physml._validation import check_int, check_real, check_seed
from physml.lab._seeding import derive_seed

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
    from physml.data import flat_torus

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
    from physml.data import flat_torus

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
) -> dict[str, Any]:
    """Train a ReLU student on ``n_train`` teacher samples and measure its test loss.

    The student is a :class:`physml.nets.MLP` with ``depth`` hidden layers of ``width`` units
    (PyTorch's default initialisation, seeded), trained by :func:`physml.nets.sgd_train` on the
    mean squared error with momentum and a cosine learning-rate schedule for about ``steps``
    minibatch steps (``max(1, steps·batch_size // n_train)`` epochs).

    Parameters
    ----------
    dim : int
        Manifold dimension d.
    n_train : int
        Training-set size.
    width, depth, steps, batch_size : int
    learning_rate, momentum : float
    n_test : int
        Fresh test points (the test loss is the mean squared error on them, in units of the
        teacher's variance).
    teacher_width, teacher_seed : int
        The teacher (see :func:`teacher_student_data`).
    seed : int
        Training data, test data, initial weights and batch order.

    Returns
    -------
    dict
        ``test_loss``, ``train_loss`` (last epoch), ``n_parameters``, ``epochs``.
    """
    import torch

    from physml.lab._seeding import torch_generator
    from physml.nets import MLP, sgd_train

    dim = check_int(dim, "dim", low=1)
    n_train = check_int(n_train, "n_train", low=1)
    width = check_int(width, "width", low=1)
    depth = check_int(depth, "depth", low=1)
    steps = check_int(steps, "steps", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    n_test = check_int(n_test, "n_test", low=1)
    seed = check_int(seed, "seed", low=0)
    x_tr, y_tr = teacher_student_data(
        n_train, dim, teacher_width=teacher_width, teacher_seed=teacher_seed, seed=derive_seed(seed, "train")
    )
    x_te, y_te = teacher_student_data(
        n_test, dim, teacher_width=teacher_width, teacher_seed=teacher_seed, seed=derive_seed(seed, "test")
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(derive_seed(seed, "init"))
        model = MLP((2 * dim,) + (width,) * depth + (1,), "relu")
    epochs = max(1, steps * batch_size // n_train)
    history = sgd_train(
        model,
        torch.as_tensor(x_tr, dtype=torch.float32),
        torch.as_tensor(y_tr[:, None], dtype=torch.float32),
        torch.nn.functional.mse_loss,
        epochs=epochs,
        batch_size=min(batch_size, n_train),
        learning_rate=learning_rate,
        momentum=momentum,
        schedule="cosine",
        generator=torch_generator(derive_seed(seed, "batches")),
    )
    with torch.no_grad():
        pred = model(torch.as_tensor(x_te, dtype=torch.float32)).numpy()[:, 0]
    return {
        "test_loss": float(np.mean((pred - y_te) ** 2)),
        "train_loss": float(history[-1]),
        "n_parameters": int(model.n_parameters),
        "epochs": int(epochs),
    }
