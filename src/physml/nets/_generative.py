"""Generative models: a variational autoencoder and a generative adversarial network on MLPs, and
a sample-quality measure computed with a classifier trained on real data.

The Kaplan talk: "one approach just parameterizes a map from a high-dimensional [latent] vector
space to the space of images … the loss function either tries to model probabilities (VAE/Glow)
or plays a real/fake discrimination game" — the GAN, "bug as feature" in the Byers talk.

VAE (Kingma & Welling 2014): encoder q(z|x) = N(μ(x), diag σ²(x)), prior p(z) = N(0, 1), decoder
p(x|z) = N(m(z), s² 1) with one learned s. The evidence lower bound

    ELBO(x) = E_q[ln p(x|z)] − KL(q(z|x) ‖ p(z)) ≤ ln p(x),

with equality iff q(z|x) is the exact posterior; the importance-weighted bound with K samples
(Burda, Grosse & Salakhutdinov 2016) tightens monotonically towards ln p(x) as K grows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from physml._core import as_generator, check_array, check_int, check_real, check_seed, torch_generator
from physml.nets._mlp import MLP

__all__ = [
    "GAN",
    "VAE",
    "SampleQuality",
    "frechet_distance",
    "interpolate_latents",
    "sample_quality",
    "train_gan",
    "train_vae",
]

_LOG_2PI = math.log(2 * math.pi)


def _seeded(seed: int):
    ctx = torch.random.fork_rng(devices=[])
    ctx.__enter__()
    torch.manual_seed(int(as_generator(check_seed(seed)).integers(2**62)))
    return ctx


class VAE(torch.nn.Module):
    """Variational autoencoder with a Gaussian decoder of learned scalar noise s.

    Parameters
    ----------
    n_features : int
    latent : int
    hidden : sequence of int
        Hidden widths of the encoder; the decoder mirrors them. ``()`` gives a linear encoder and
        decoder (the linear-Gaussian model whose ln p(x) is known in closed form).
    activation : str
    output : {"sigmoid", "linear"}
        Decoder mean m(z) squashed into (0, 1) (pixel intensities) or not.
    seed : int
    """

    def __init__(
        self,
        n_features: int,
        latent: int = 8,
        hidden: Sequence[int] = (256,),
        *,
        activation: str = "relu",
        output: str = "sigmoid",
        seed: int = 0,
    ):
        super().__init__()
        d = check_int(n_features, "n_features", low=1)
        k = check_int(latent, "latent", low=1)
        if output not in ("sigmoid", "linear"):
            raise ValueError(f"output must be 'sigmoid' or 'linear', got {output!r}")
        self.n_features, self.latent, self.output = d, k, output
        ctx = _seeded(seed)
        try:
            self.encoder = MLP((d, *hidden, 2 * k), activation)
            self.decoder = MLP(
                (k, *reversed(tuple(hidden)), d),
                activation,
                output_activation="sigmoid" if output == "sigmoid" else None,
            )
            self.log_noise = torch.nn.Parameter(torch.tensor(math.log(0.1)))
        finally:
            ctx.__exit__(None, None, None)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance, each (n, latent)."""
        h = self.encoder(x)
        return h[:, : self.latent], h[:, self.latent :]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder mean m(z), shape (n, n_features)."""
        return self.decoder(z)

    def log_likelihood(self, x: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
        """ln N(x; mean, s² 1) summed over features, shape (n,) (nats)."""
        d = x.shape[-1]
        s2 = torch.exp(2 * self.log_noise)
        return -0.5 * ((x - mean) ** 2).sum(-1) / s2 - 0.5 * d * (_LOG_2PI + 2 * self.log_noise)

    def elbo(
        self, x: torch.Tensor, *, generator: torch.Generator | None = None, samples: int = 1
    ) -> torch.Tensor:
        """Per-sample ELBO (nats), shape (n,): a ``samples``-sample Monte Carlo estimate of the
        reconstruction term plus the analytic KL to the N(0, 1) prior."""
        mu, logvar = self.encode(x)
        kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(-1)
        rec = 0.0
        for _ in range(samples):
            eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
            rec = rec + self.log_likelihood(x, self.decode(mu + torch.exp(0.5 * logvar) * eps))
        return rec / samples - kl

    @torch.no_grad()
    def importance_log_likelihood(
        self, x: torch.Tensor, samples: int = 100, *, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """The K-sample importance-weighted bound ln (1/K) Σ_k p(x, z_k)/q(z_k|x), z_k ~ q (nats, (n,)).

        Equals the ELBO for K = 1 in expectation, increases with K and tends to ln p(x).
        """
        mu, logvar = self.encode(x)
        std = torch.exp(0.5 * logvar)
        terms = []
        for _ in range(check_int(samples, "samples", low=1)):
            eps = torch.randn(mu.shape, generator=generator, dtype=mu.dtype)
            z = mu + std * eps
            log_prior = -0.5 * (z**2 + _LOG_2PI).sum(-1)
            log_q = -0.5 * (eps**2 + _LOG_2PI + logvar).sum(-1)
            terms.append(self.log_likelihood(x, self.decode(z)) + log_prior - log_q)
        return torch.logsumexp(torch.stack(terms), 0) - math.log(samples)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoder means m(z) at z ~ N(0, 1), shape (n, n_features)."""
        return self.decode(torch.randn((n, self.latent), generator=generator))


def train_vae(
    vae: VAE, X: np.ndarray, *, epochs: int, batch_size: int = 128, learning_rate: float = 1e-3, seed: int = 0
) -> list[float]:
    """Maximise the mean ELBO of the rows of ``X`` (n, n_features) with Adam; returns the mean
    negative ELBO per epoch (nats per sample)."""
    X = check_array(X, "X", ndim=2, min_samples=1, dtype=np.float32)
    gen = torch_generator(seed)
    opt = torch.optim.Adam(
        vae.parameters(), lr=check_real(learning_rate, "learning_rate", low=0, low_open=True)
    )
    data = torch.from_numpy(X)
    history = []
    vae.train()
    for _ in range(check_int(epochs, "epochs", low=0)):
        order = torch.randperm(len(data), generator=gen)
        total = 0.0
        for start in range(0, len(data), batch_size):
            xb = data[order[start : start + batch_size]]
            loss = -vae.elbo(xb, generator=gen).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        history.append(total / len(data))
        if not math.isfinite(history[-1]):
            raise FloatingPointError(f"VAE training diverged (loss {history[-1]}); lower learning_rate")
    vae.eval()
    return history


class GAN(torch.nn.Module):
    """Generator G: z ~ N(0, 1) → x and discriminator D: x → logit of "real", both MLPs.

    Parameters
    ----------
    n_features, latent : int
    hidden : sequence of int
        Hidden widths of the generator; the discriminator mirrors them.
    seed : int
    """

    def __init__(self, n_features: int, latent: int = 32, hidden: Sequence[int] = (256,), *, seed: int = 0):
        super().__init__()
        d = check_int(n_features, "n_features", low=1)
        self.latent = check_int(latent, "latent", low=1)
        ctx = _seeded(seed)
        try:
            self.generator = MLP((self.latent, *hidden, d), "relu", output_activation="sigmoid")
            self.discriminator = MLP((d, *reversed(tuple(hidden)), 1), "relu")
        finally:
            ctx.__exit__(None, None, None)

    @torch.no_grad()
    def sample(self, n: int, *, generator: torch.Generator | None = None) -> torch.Tensor:
        return self.generator(torch.randn((n, self.latent), generator=generator))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.generator(z)


def train_gan(
    gan: GAN, X: np.ndarray, *, steps: int, batch_size: int = 64, learning_rate: float = 2e-4, seed: int = 0
) -> dict[str, list[float]]:
    """Adversarial training with the non-saturating generator loss (Goodfellow et al. 2014).

    D minimises −ln D(x) − ln(1 − D(G(z))); G minimises −ln D(G(z)). Adam with β₁ = 0.5.

    Returns
    -------
    dict
        ``{"discriminator": [...], "generator": [...]}`` losses per step.
    """
    X = check_array(X, "X", ndim=2, min_samples=2, dtype=np.float32)
    data = torch.from_numpy(X)
    gen = torch_generator(seed)
    lr = check_real(learning_rate, "learning_rate", low=0, low_open=True)
    opt_d = torch.optim.Adam(gan.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(gan.generator.parameters(), lr=lr, betas=(0.5, 0.999))
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    history: dict[str, list[float]] = {"discriminator": [], "generator": []}
    gan.train()
    for _ in range(check_int(steps, "steps", low=0)):
        real = data[torch.randint(0, len(data), (batch_size,), generator=gen)]
        fake = gan.generator(torch.randn((batch_size, gan.latent), generator=gen))
        d_real, d_fake = gan.discriminator(real), gan.discriminator(fake.detach())
        loss_d = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        d_fake = gan.discriminator(fake)
        loss_g = bce(d_fake, torch.ones_like(d_fake))
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        history["discriminator"].append(loss_d.item())
        history["generator"].append(loss_g.item())
    gan.eval()
    return history


@torch.no_grad()
def interpolate_latents(model: VAE | GAN, z0: np.ndarray, z1: np.ndarray, n: int = 8) -> np.ndarray:
    """Decoded points on the straight line z(t) = (1 − t) z0 + t z1, t = 0 … 1; shape (n, n_features)."""
    t = torch.linspace(0.0, 1.0, check_int(n, "n", low=2))[:, None]
    a = torch.as_tensor(np.asarray(z0, dtype=np.float32))
    b = torch.as_tensor(np.asarray(z1, dtype=np.float32))
    return model.decode((1 - t) * a + t * b).numpy()


def frechet_distance(features_a: np.ndarray, features_b: np.ndarray) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (the FID formula, Heusel et al.
    2017): ‖μ_a − μ_b‖² + Tr(Σ_a + Σ_b − 2 (Σ_a Σ_b)^{1/2}).

    Parameters
    ----------
    features_a, features_b : array, shape (n_a, d), (n_b, d)

    Returns
    -------
    float
        ≥ 0; 0 for identical sets. For d = 1 it is (μ_a − μ_b)² + (σ_a − σ_b)².
    """
    a = check_array(features_a, "features_a", ndim=2, min_samples=2)
    b = check_array(features_b, "features_b", ndim=2, min_samples=2)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sets have different dimensions: {a.shape[1]} and {b.shape[1]}")
    mu = a.mean(0) - b.mean(0)
    ca, cb = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    # Tr (Σ_a Σ_b)^{1/2} = Tr (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2}: symmetric, stable for singular Σ
    w, U = np.linalg.eigh(ca)
    half = (U * np.sqrt(np.clip(w, 0.0, None))) @ U.T
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(half @ cb @ half), 0.0, None)).sum()
    return float(max(mu @ mu + np.trace(ca) + np.trace(cb) - 2.0 * cross, 0.0))


@dataclass(frozen=True)
class SampleQuality:
    """A sample set scored by a classifier trained on real data.

    Attributes
    ----------
    frechet : float
        Fréchet distance to the reference (real) set in the classifier's feature space.
    confidence : float
        Mean max-class probability of the samples (real images of distinct classes are classified
        confidently; blurry or ambiguous samples are not).
    confidence_err : float
        Its standard error.
    class_entropy : float
        Entropy (nats) of the mean predicted class distribution: ln(10) when the samples cover the
        10 classes evenly (no mode collapse).
    """

    frechet: float
    confidence: float
    confidence_err: float
    class_entropy: float


@torch.no_grad()
def sample_quality(
    classifier: torch.nn.Module,
    samples: np.ndarray,
    reference: np.ndarray,
    *,
    feature_layer: str = "features",
) -> SampleQuality:
    """Score ``samples`` against ``reference`` with a classifier trained on real data.

    Parameters
    ----------
    classifier : torch.nn.Module
        Returns logits; its method named ``feature_layer`` (e.g. :meth:`ConvNet.features`) gives
        the feature space, globally average-pooled over space if it is a feature map.
    samples, reference : array, shape (n, n_features) or (n, C, H, W)
    """
    feat = getattr(classifier, feature_layer)

    def embed(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        t = torch.as_tensor(np.asarray(x, dtype=np.float32))
        fs, ps = [], []
        for i in range(0, len(t), 512):
            f = feat(t[i : i + 512])
            fs.append(f.mean(dim=(-2, -1)) if f.ndim == 4 else f)
            ps.append(torch.softmax(classifier(t[i : i + 512]), 1))
        return torch.cat(fs).numpy().astype(np.float64), torch.cat(ps).numpy().astype(np.float64)

    fs, ps = embed(samples)
    fr, _ = embed(reference)
    conf = ps.max(1)
    pbar = ps.mean(0)
    return SampleQuality(
        frechet=frechet_distance(fs, fr),
        confidence=float(conf.mean()),
        confidence_err=float(conf.std(ddof=1) / math.sqrt(len(conf))),
        class_entropy=float(-(pbar * np.log(np.clip(pbar, 1e-300, None))).sum()),
    )
