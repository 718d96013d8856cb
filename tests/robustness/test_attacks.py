"""Attacks against the analytic answers of a linear (logistic) classifier, and the ε-ball."""

import numpy as np
import pytest
import torch

from physml.robustness import (
    accuracy_curve,
    fgsm,
    minimal_perturbation,
    nearest_other_class_distance,
    pgd,
    predict_labels,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def linear_model(d=6, seed=0):
    """A two-class logistic model: logit difference z1 - z0 = w·x + b."""
    g = torch.Generator().manual_seed(seed)
    model = torch.nn.Linear(d, 2).double()
    with torch.no_grad():
        model.weight.copy_(torch.randn(2, d, generator=g, dtype=torch.float64))
        model.bias.copy_(torch.randn(2, generator=g, dtype=torch.float64))
    w = (model.weight[1] - model.weight[0]).detach()
    b = float((model.bias[1] - model.bias[0]).detach())
    return model, w, b


def data(n=200, d=6, seed=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=g, dtype=torch.float64)


def test_fgsm_on_a_linear_model_is_the_analytic_step():
    model, w, b = linear_model()
    x = data()
    y = predict_labels(model, x)
    eps = 0.3
    sign = torch.where(y == 0, 1.0, -1.0).double()[:, None]  # towards the other class
    torch.testing.assert_close(fgsm(model, x, y, eps), x + eps * sign * torch.sign(w), rtol=0, atol=1e-12)
    torch.testing.assert_close(
        fgsm(model, x, y, eps, norm="2"), x + eps * sign * w / w.norm(), rtol=0, atol=1e-12
    )
    # targeted at the other class: the same step
    torch.testing.assert_close(fgsm(model, x, 1 - y, eps, targeted=True), fgsm(model, x, y, eps))
    # the clip box is respected
    clipped = fgsm(model, x, y, 5.0, clip=(-1.0, 1.0))
    assert clipped.min() >= -1.0 and clipped.max() <= 1.0


@pytest.mark.parametrize(("norm", "dual"), [("2", 2), ("inf", 1)])
def test_minimal_perturbation_is_the_distance_to_the_boundary(norm, dual):
    model, w, b = linear_model()
    x = data(100)
    y = predict_labels(model, x)
    exact = ((x @ w + b).abs() / w.norm(p=dual)).numpy()
    eps_max, n_bis = 8.0, 20
    found = minimal_perturbation(model, x, y, norm=norm, epsilon_max=eps_max, n_bisections=n_bis)
    reach = exact < eps_max
    # the bisection brackets the distance to eps_max / 2**n_bis
    assert np.all(np.abs(found[reach] - exact[reach]) <= eps_max / 2**n_bis + 1e-9)
    assert np.all(np.isinf(found[~reach]))
    # wrong labels: already misclassified, distance 0
    assert np.all(minimal_perturbation(model, x, 1 - y, norm=norm, epsilon_max=1.0) == 0.0)


@pytest.mark.parametrize("norm", ["inf", "2"])
def test_pgd_flips_exactly_the_points_closer_than_epsilon(norm):
    model, w, b = linear_model()
    x = data(400)
    y = predict_labels(model, x)
    dist = ((x @ w + b).abs() / w.norm(p=2 if norm == "2" else 1)).numpy()
    eps = float(np.median(dist))
    # from x itself, every step goes straight along the steepest direction: exact
    xa = pgd(model, x, y, eps, norm=norm, n_steps=30, random_start=False)
    flipped = (predict_labels(model, xa) != y).numpy()
    clear = np.abs(dist - eps) > 1e-9
    np.testing.assert_array_equal(flipped[clear], dist[clear] < eps)
    # from a random start the projection removes the sideways part geometrically, not at once
    flipped = (predict_labels(model, pgd(model, x, y, eps, norm=norm, n_steps=30)) != y).numpy()
    clear = np.abs(dist - eps) > 0.05 * eps
    np.testing.assert_array_equal(flipped[clear], dist[clear] < eps)
    # accuracy against ε for the linear model is the fraction farther than ε from the boundary
    curve = accuracy_curve(model, x, y, [0.0, eps / 2, eps], norm=norm, n_steps=30, random_start=False)
    assert curve.accuracy[0] == 1.0
    assert curve.accuracy[1] == pytest.approx(np.mean(dist >= eps / 2), abs=1e-12)
    assert curve.epsilon_at(0.6) == eps


@pytest.mark.parametrize("norm", ["inf", "2"])
@pytest.mark.parametrize("targeted", [False, True])
def test_pgd_never_leaves_the_epsilon_ball(norm, targeted):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(10, 32), torch.nn.Tanh(), torch.nn.Linear(32, 4)).double()
    g = torch.Generator().manual_seed(3)
    x = torch.rand(64, 10, generator=g, dtype=torch.float64)
    y = torch.randint(0, 4, (64,), generator=g)
    eps = torch.rand(64, generator=g, dtype=torch.float64) * 0.5  # one radius per input
    xa = pgd(model, x, y, eps.numpy(), norm=norm, n_steps=15, step_size=0.2, targeted=targeted,
             clip=(0.0, 1.0), seed=2)
    delta = (xa - x).reshape(64, -1)
    size = delta.abs().amax(1) if norm == "inf" else delta.norm(dim=1)
    assert torch.all(size <= eps * (1 + 1e-12) + 1e-15)
    assert xa.min() >= 0.0 and xa.max() <= 1.0
    # the attack moves the loss the right way
    ce = torch.nn.functional.cross_entropy
    with torch.no_grad():
        before, after = ce(model(x), y), ce(model(xa), y)
    assert (after < before) if targeted else (after > before)


def test_nearest_other_class_distance_matches_brute_force():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((50, 5))
    y = rng.integers(0, 3, 50)
    for norm, order in (("2", 2), ("inf", np.inf)):
        d = np.linalg.norm(x[:, None] - x[None], ord=order, axis=-1)
        d[y[:, None] == y[None]] = np.inf
        np.testing.assert_allclose(nearest_other_class_distance(x, y, norm=norm), d.min(1), rtol=1e-12)


def test_bad_input():
    model, _, _ = linear_model()
    x = data(5)
    y = predict_labels(model, x)
    with pytest.raises(ValueError, match="epsilon"):
        fgsm(model, x, y, -0.1)
    with pytest.raises(ValueError, match="epsilon"):
        pgd(model, x, y, -0.1)
    with pytest.raises(ValueError, match="epsilons"):
        accuracy_curve(model, x, y, [0.1, -1.0])
    with pytest.raises(ValueError, match="norm"):
        fgsm(model, x, y, 0.1, norm="1")
    with pytest.raises(ValueError, match="one label per input"):
        fgsm(model, x, y[:3], 0.1)
    with pytest.raises(ValueError, match="clip"):
        pgd(model, x, y, 0.1, clip=(1.0, 0.0))
