"""A small CNN that reads symmetry labels off PCA images (plain torch.nn)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from physml._core import as_generator, check_int, check_real, check_seed, torch_generator

__all__ = ["SymmetryCNN", "train_cnn"]


class SymmetryCNN(torch.nn.Module):
    """Convolutions (3×3, ReLU, 2×2 max-pooling) → 4×4 average pooling → dense → class logits.

    Parameters
    ----------
    n_classes : int
    in_channels : int
        2 for PCA images.
    channels : sequence of int
        Output channels of each convolution block.
    seed : int
        Seeds the initial weights.
    """

    def __init__(
        self, n_classes: int, *, in_channels: int = 2, channels: Sequence[int] = (8, 16), seed: int = 0
    ):
        super().__init__()
        self.n_classes = check_int(n_classes, "n_classes", low=2)
        self.in_channels = check_int(in_channels, "in_channels", low=1)
        self.channels = tuple(check_int(c, f"channels[{i}]", low=1) for i, c in enumerate(channels))
        if not self.channels:
            raise ValueError("channels must list at least one convolution")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(as_generator(check_seed(seed)).integers(2**62)))
            layers: list[torch.nn.Module] = []
            c_in = self.in_channels
            for c in self.channels:
                layers += [torch.nn.Conv2d(c_in, c, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2)]
                c_in = c
            layers += [
                torch.nn.AdaptiveAvgPool2d(4),
                torch.nn.Flatten(),
                torch.nn.Linear(c_in * 16, 32),
                torch.nn.ReLU(),
                torch.nn.Linear(32, self.n_classes),
            ]
            self.net = torch.nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (n, n_classes) of images (n, in_channels, H, W), H, W >= 2**len(channels)."""
        return self.net(x)


def train_cnn(
    images: np.ndarray,
    labels: np.ndarray,
    n_classes: int,
    *,
    channels: Sequence[int] = (8, 16),
    epochs: int = 30,
    batch_size: int = 32,
    learning_rate: float = 3e-3,
    weight_decay: float = 1e-4,
    seed: int = 0,
) -> tuple[SymmetryCNN, np.ndarray]:
    """Train a :class:`SymmetryCNN` with Adam on cross-entropy.

    Parameters
    ----------
    images : array, shape (n, C, H, W)
    labels : array of int, shape (n,)

    Returns
    -------
    model : SymmetryCNN (in eval mode)
    history : ndarray, shape (epochs,)
        Mean training loss per epoch.
    """
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    y = torch.as_tensor(np.asarray(labels, dtype=np.int64))
    if x.ndim != 4 or y.shape != (x.shape[0],):
        raise ValueError(
            f"images must be (n, C, H, W) and labels (n,), got {tuple(x.shape)} and {tuple(y.shape)}"
        )
    if len(y) == 0:
        raise ValueError("no training images")
    n_classes = check_int(n_classes, "n_classes", low=2)
    if int(y.min()) < 0 or int(y.max()) >= n_classes:
        raise ValueError(f"labels must be in 0..{n_classes - 1}")
    epochs = check_int(epochs, "epochs", low=1)
    batch_size = check_int(batch_size, "batch_size", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0.0, low_open=True)
    weight_decay = check_real(weight_decay, "weight_decay", low=0.0)
    rng = as_generator(check_seed(seed))
    model = SymmetryCNN(n_classes, in_channels=x.shape[1], channels=channels, seed=int(rng.integers(2**62)))
    gen = torch_generator(int(rng.integers(2**62)))
    opt = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)
    history = np.zeros(epochs)
    model.train()
    for e in range(epochs):
        order = torch.randperm(len(y), generator=gen)
        total = 0.0
        for start in range(0, len(y), batch_size):
            idx = order[start : start + batch_size]
            loss = torch.nn.functional.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        history[e] = total / len(y)
    model.eval()
    return model, history
