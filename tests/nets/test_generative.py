"""VAE bounds against the closed-form linear-Gaussian likelihood; the Fréchet distance by hand."""

import math

import numpy as np
import pytest
import torch

from physml.nets import VAE, frechet_distance

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _linear_vae(d=3, k=2, seed=0):
    vae = VAE(d, k, (), output="linear", seed=seed).double()
    with torch.no_grad():
        vae.log_noise.fill_(0.0)  # s = 1
    W = vae.decoder.layers[0].weight.detach().numpy()  # (d, k)
    b = vae.decoder.layers[0].bias.detach().numpy()
    s2 = math.exp(2 * vae.log_noise.item())
    return vae, W, b, s2


def _exact_log_p(x, W, b, s2):
    # p(x) = N(b, W Wᵀ + s² 1) for z ~ N(0, 1), x = W z + b + s ε
    C = W @ W.T + s2 * np.eye(len(b))
    r = x - b
    _, logdet = np.linalg.slogdet(C)
    return -0.5 * (np.einsum("ni,ij,nj->n", r, np.linalg.inv(C), r) + logdet + len(b) * math.log(2 * math.pi))


def test_elbo_equals_log_likelihood_at_the_exact_posterior():
    vae, W, b, s2 = _linear_vae()
    # exact posterior: Σ = (1 + WᵀW/s²)⁻¹, μ = Σ Wᵀ (x − b)/s²; the encoder outputs (μ, ln diag Σ):
    # make Σ diagonal
    # by choosing W with orthogonal columns
    q, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 2)))
    W = q * np.array([1.5, 0.7])
    with torch.no_grad():
        vae.decoder.layers[0].weight.copy_(torch.from_numpy(W))
    S = np.linalg.inv(np.eye(2) + W.T @ W / s2)
    assert np.allclose(S, np.diag(np.diag(S)))
    enc = vae.encoder.layers[0]
    with torch.no_grad():
        enc.weight.zero_()
        enc.bias.zero_()
        enc.weight[:2] = torch.from_numpy(S @ W.T / s2)
        enc.bias[:2] = torch.from_numpy(-S @ W.T @ b / s2)
        enc.bias[2:] = torch.from_numpy(np.log(np.diag(S)))
    x = np.random.default_rng(1).standard_normal((50, 3))
    exact = _exact_log_p(x, W, b, s2)
    g = torch.Generator().manual_seed(0)
    # at the exact posterior ln p(x, z) − ln q(z|x) = ln p(x) for every z: one importance sample is exact
    iw1 = vae.importance_log_likelihood(torch.from_numpy(x), 1, generator=g).numpy()
    np.testing.assert_allclose(iw1, exact, rtol=1e-9, atol=1e-9)
    # the ELBO (analytic KL + Monte Carlo reconstruction) equals it in expectation
    with torch.no_grad():
        elbo = vae.elbo(torch.from_numpy(x), generator=g, samples=400).numpy()
    with torch.no_grad():
        single = np.stack([vae.elbo(torch.from_numpy(x), generator=g).numpy() for _ in range(200)])
    sem = single.std(axis=0, ddof=1) / math.sqrt(400)
    assert np.all(np.abs(elbo - exact) < 5 * sem + 1e-12)


@pytest.mark.slow
def test_elbo_below_and_importance_bound_approaches_log_likelihood():
    vae, W, b, s2 = _linear_vae(seed=3)  # a random (wrong) encoder
    x = torch.from_numpy(np.random.default_rng(2).standard_normal((40, 3)))
    g = torch.Generator().manual_seed(0)
    exact = _exact_log_p(x.numpy(), W, b, s2)
    with torch.no_grad():
        elbo = vae.elbo(x, generator=g, samples=2000).numpy()
    iw = vae.importance_log_likelihood(x, 5000, generator=g).numpy()
    assert np.all(elbo < exact)  # the gap KL(q ‖ posterior) is large for a random encoder
    assert np.mean(iw) > np.mean(elbo)
    assert np.mean(np.abs(iw - exact)) < 0.1 * np.mean(exact - elbo)


def test_frechet_distance_by_hand():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((400, 1))
    b = 3.0 + 2.0 * (a - a.mean()) / a.std(ddof=1) + a.mean()  # mean shifted by 3, sd × 2/sd_a
    sa = a.std(ddof=1)
    expected = (a.mean() - b.mean()) ** 2 + (sa - b.std(ddof=1)) ** 2
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-9)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-9)
    x = rng.standard_normal((300, 4))
    assert frechet_distance(x, x + np.array([1.0, 0, 0, 0])) == pytest.approx(1.0, rel=1e-9)
