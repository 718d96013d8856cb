"""The decoy task: a fully connected network learns to reproduce a two-colour image from its
pixel coordinates, (x, y) → colour; the activations of its last hidden layer over the image grid,
projected on their first two principal components, form the "PCA image" in which Barenboim,
Hirn & Sanz (arXiv:2103.06115) find the image's symmetry encoded.

All decoys of a batch of same-sized images train at once as one
:class:`physml.nets.MLPEnsemble`: member m sees its own image's pixels through the
(n_members, batch, 2) input form. Overfitting is held off by a small training budget, weight
decay and a held-out set of pixels on which the reproduction accuracy is measured.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from physml._core import as_generator, check_int, check_real, check_seed, torch_generator
from physml.data import pixel_grid
from physml.nets import MLPEnsemble

__all__ = ["DecoyResult", "decoy_pca_images", "pca_image"]


@dataclass(frozen=True)
class DecoyResult:
    """PCA images of the decoy networks and how well the decoys reproduced their images.

    Attributes
    ----------
    pca_images : ndarray of float32, shape (n_images, n_decoys, 2, N, N)
        First and second principal-component scores of the last hidden layer at each pixel,
        each scaled to unit standard deviation.
    explained : ndarray, shape (n_images, n_decoys, 2)
        Fraction of the hidden layer's variance along each component.
    train_accuracy, holdout_accuracy : ndarray, shape (n_images, n_decoys)
        Pixel accuracy of the reproduction on the training pixels and on the held-out ones.
    """

    pca_images: np.ndarray
    explained: np.ndarray
    train_accuracy: np.ndarray
    holdout_accuracy: np.ndarray


def pca_image(
    activations: np.ndarray | torch.Tensor, shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Project activations (n_pixels, width) on their first two principal components.

    Each component's sign is fixed so that its largest-magnitude pixel is positive, and its
    scores are scaled to unit standard deviation (a component of zero variance stays zero).

    Returns
    -------
    image : ndarray of float32, shape (2, H, W)
    explained : ndarray, shape (2,)
        Variance fractions of the two components.
    """
    a = torch.as_tensor(activations, dtype=torch.float64)
    a = a - a.mean(dim=0)
    u, s, _ = torch.linalg.svd(a, full_matrices=False)
    total = float((s**2).sum())
    out = np.zeros((2, a.shape[0]))
    explained = np.zeros(2)
    for k in range(min(2, len(s))):
        score = (u[:, k] * s[k]).numpy()
        sd = score.std()
        if sd > 0 and total > 0:
            if score[np.argmax(np.abs(score))] < 0:
                score = -score
            out[k] = score / sd
            explained[k] = float(s[k] ** 2) / total
    return out.reshape(2, *shape).astype(np.float32), explained


def decoy_pca_images(
    images: np.ndarray,
    *,
    hidden: Sequence[int] = (32, 32),
    n_decoys: int = 1,
    epochs: int = 30,
    batch_size: int = 128,
    learning_rate: float = 0.01,
    weight_decay: float = 1e-4,
    holdout: float = 0.2,
    activation: str = "relu",
    seed: int = 0,
) -> DecoyResult:
    """Train ``n_decoys`` decoy networks per image and return their PCA images.

    Parameters
    ----------
    images : array of 0/1, shape (n_images, N, N)
    hidden : sequence of int
        Hidden widths; the last is the layer that is projected.
    n_decoys : int
        Independently initialised decoys per image (an ensemble, so scores carry a spread).
    epochs, batch_size, learning_rate, weight_decay :
        Adam on the binary cross-entropy of the colour logit, over the training pixels. The
        budget (epochs) and the L2 weight decay are the regularisation against overfitting.
    holdout : float
        Fraction of pixels (random per decoy) kept out of training to measure generalisation.
    seed : int
        Seeds the initialisation, the pixel split and the batches.
    """
    imgs = np.asarray(images)
    if imgs.ndim != 3 or imgs.shape[1] != imgs.shape[2]:
        raise ValueError(f"images must have shape (n_images, N, N), got {imgs.shape}")
    if not np.all((imgs == 0) | (imgs == 1)):
        raise ValueError("images must hold the two colours 0 and 1")
    n_images, size = imgs.shape[0], imgs.shape[1]
    if n_images == 0:
        raise ValueError("images is empty")
    n_decoys = check_int(n_decoys, "n_decoys", low=1)
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
    holdout = check_real(holdout, "holdout", low=0.0, high=0.9)
    seed = check_seed(seed)
    hidden = tuple(check_int(h, f"hidden[{i}]", low=2) for i, h in enumerate(hidden))
    if not hidden:
        raise ValueError("hidden must list at least one hidden layer")

    rng = as_generator(seed)
    n_members = n_images * n_decoys
    n_pix = size * size
    X, Y = pixel_grid(size)
    coords = torch.as_tensor(np.stack([X.ravel(), Y.ravel()], axis=1), dtype=torch.float32)
    targets = torch.as_tensor(imgs.reshape(n_images, n_pix), dtype=torch.float32).repeat_interleave(
        n_decoys, 0
    )
    n_hold = int(round(holdout * n_pix))
    perms = torch.as_tensor(np.stack([rng.permutation(n_pix) for _ in range(n_members)]))
    hold_idx, train_idx = perms[:, :n_hold], perms[:, n_hold:]
    n_train = train_idx.shape[1]
    ens = MLPEnsemble(n_members, (2, *hidden, 1), activation, seed=int(rng.integers(2**62)))
    opt = torch.optim.Adam(ens.parameters(), lr=learning_rate, weight_decay=weight_decay)
    gen = torch_generator(int(rng.integers(2**62)))
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    for _ in range(epochs):
        order = torch.argsort(torch.rand(n_members, n_train, generator=gen), dim=1)
        shuffled = torch.gather(train_idx, 1, order)
        for start in range(0, n_train, batch_size):
            idx = shuffled[:, start : start + batch_size]
            out = ens(coords[idx])[..., 0]
            loss = bce(out, torch.gather(targets, 1, idx), reduction="none").mean(dim=1).sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    with torch.no_grad():
        logits, pre = ens(coords, return_preactivations=True)
        last = ens.activation(pre[-2])  # (members, pixels, width)
        correct = ((logits[..., 0] > 0).float() == targets).float()
    train_acc = torch.gather(correct, 1, train_idx).mean(dim=1).numpy()
    hold_acc = (
        torch.gather(correct, 1, hold_idx).mean(dim=1).numpy() if n_hold else np.full(n_members, np.nan)
    )
    pcas, expl = zip(*(pca_image(last[m], (size, size)) for m in range(n_members)), strict=True)
    return DecoyResult(
        np.stack(pcas).reshape(n_images, n_decoys, 2, size, size),
        np.stack(expl).reshape(n_images, n_decoys, 2),
        train_acc.reshape(n_images, n_decoys),
        hold_acc.reshape(n_images, n_decoys),
    )
