"""Convolutional networks: translation symmetry built into the architecture (the Kaplan talk's
"Architecture and Symmetry" slide), and the measured equivariance error of any feature map.

A convolution with circular (periodic) padding and stride 1 commutes exactly with circular
shifts of the image: f(T_d x) = T_d f(x) for every shift d, and so do pointwise nonlinearities;
a stack of such layers is exactly translation-equivariant. A dense layer has no such constraint.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch

from physml._core import as_generator, check_int, check_seed

__all__ = ["ConvNet", "equivariance_error", "shift_images"]


class ConvNet(torch.nn.Module):
    """A small CNN: stride-1 circular convolutions + ReLU, then average pooling and a linear read-out.

    Parameters
    ----------
    channels : sequence of int
        Output channels of each convolution, e.g. ``(16, 32)``.
    in_channels : int
    image_shape : (int, int)
        Height and width of the input images (pixels).
    kernel_size : int
        Odd size of the square kernels.
    pool : int
        Side of the average-pooling window applied to the last feature maps (must divide the
        image sides); ``pool`` equal to the image side is global average pooling.
    n_classes : int
    seed : int
        Seeds the initial weights.

    Notes
    -----
    :meth:`features` (the convolutional stack) is exactly equivariant to circular shifts;
    after pooling with window p, a shift of the image by p pixels shifts the pooled maps by one
    cell (the linear read-out is not constrained further).
    """

    def __init__(
        self,
        channels: Sequence[int] = (16, 32),
        *,
        in_channels: int = 1,
        image_shape: tuple[int, int] = (28, 28),
        kernel_size: int = 3,
        pool: int = 4,
        n_classes: int = 10,
        seed: int = 0,
    ):
        super().__init__()
        self.channels = tuple(check_int(c, f"channels[{i}]", low=1) for i, c in enumerate(channels))
        if not self.channels:
            raise ValueError("channels must list at least one convolution, got none")
        k = check_int(kernel_size, "kernel_size", low=1)
        if k % 2 == 0:
            raise ValueError(f"kernel_size must be odd (so that 'same' padding is symmetric), got {k}")
        h, w = (check_int(v, f"image_shape[{i}]", low=1) for i, v in enumerate(image_shape))
        p = check_int(pool, "pool", low=1)
        if h % p or w % p:
            raise ValueError(f"pool={p} must divide the image sides {h}x{w}")
        self.image_shape, self.pool = (h, w), p
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(as_generator(check_seed(seed)).integers(2**62)))
            convs, c_in = [], check_int(in_channels, "in_channels", low=1)
            for c in self.channels:
                convs.append(torch.nn.Conv2d(c_in, c, k, padding=k // 2, padding_mode="circular"))
                c_in = c
            self.convs = torch.nn.ModuleList(convs)
            self.readout = torch.nn.Linear(
                c_in * (h // p) * (w // p), check_int(n_classes, "n_classes", low=2)
            )
        self.in_channels = in_channels

    def _as_images(self, x: torch.Tensor) -> torch.Tensor:
        h, w = self.image_shape
        if x.ndim == 2:  # flattened images
            x = x.reshape(len(x), self.in_channels, h, w)
        elif x.ndim == 3:
            x = x[:, None]
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Feature maps of the last convolution, shape (n, channels[-1], height, width).

        ``x`` has shape (n, in_channels, H, W), (n, H, W) for one channel, or (n, in_channels·H·W).
        """
        x = self._as_images(x)
        for conv in self.convs:
            x = torch.relu(conv(x))
        return x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, shape (n, n_classes)."""
        z = torch.nn.functional.avg_pool2d(self.features(x), self.pool)
        return self.readout(z.flatten(1))

    @property
    def n_parameters(self) -> int:
        return sum(p.numel() for p in self.parameters())


def shift_images(x: np.ndarray | torch.Tensor, shift: tuple[int, int]) -> np.ndarray | torch.Tensor:
    """Circular shift T_d of the last two (row, column) axes by ``shift = (dy, dx)`` pixels."""
    dy, dx = (int(s) for s in shift)
    if isinstance(x, torch.Tensor):
        return torch.roll(x, shifts=(dy, dx), dims=(-2, -1))
    return np.roll(x, shift=(dy, dx), axis=(-2, -1))


@torch.no_grad()
def equivariance_error(
    feature_map: Callable[[torch.Tensor], torch.Tensor],
    images: np.ndarray | torch.Tensor,
    shift: tuple[int, int],
) -> float:
    """Relative equivariance error of a feature map under a circular pixel shift T_d.

        E(d) = ‖f(T_d x) − T_d f(x)‖ / ‖f(x)‖,

    Frobenius norms over the whole batch. E = 0 for an exactly equivariant map (a circular
    convolution stack); for a map that ignores the geometry, f(T_d x) and T_d f(x) are unrelated
    and E is of order √2 (two vectors of equal norm at a random angle).

    Parameters
    ----------
    feature_map : callable
        Maps images (n, C, H, W) to feature maps (n, C', H, W) (same spatial grid, so that T_d
        acts on both).
    images : array, shape (n, C, H, W)
    shift : (int, int)
        (dy, dx) in pixels.
    """
    x = (
        torch.as_tensor(np.asarray(images, dtype=np.float32))
        if not isinstance(images, torch.Tensor)
        else images
    )
    if x.ndim != 4:
        raise ValueError(f"images must have shape (n, C, H, W), got {tuple(x.shape)}")
    fx = feature_map(x)
    if fx.ndim != 4 or fx.shape[-2:] != x.shape[-2:]:
        raise ValueError(
            f"the feature map must keep the spatial grid {tuple(x.shape[-2:])}, got output {tuple(fx.shape)}"
        )
    norm = torch.linalg.vector_norm(fx)
    if norm == 0:
        raise ValueError("the features of these images are all zero; the relative error is undefined")
    diff = feature_map(shift_images(x, shift)) - shift_images(fx, shift)
    return float(torch.linalg.vector_norm(diff) / norm)
