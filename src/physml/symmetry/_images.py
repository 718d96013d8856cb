"""Reading pictures and turning them into two-colour images for the symmetry measures.

The binarisation rule (documented for ``physml symmetry``): the picture is converted to grey by
luminance Y = 0.299 R + 0.587 G + 0.114 B (alpha ignored), centre-cropped to a square, resized
to ``size`` × ``size`` by area averaging (pillow's BOX filter), and thresholded at Otsu's level
(the threshold that maximises the between-class variance of the grey levels); pixels darker than
the threshold are 1 ("ink"), the rest 0.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from physml._core import check_int

__all__ = ["MIN_IMAGE_SIZE", "binarize", "load_image", "otsu_threshold", "prepare_image"]

MIN_IMAGE_SIZE = 16


def otsu_threshold(grey: np.ndarray) -> float:
    """Otsu's threshold of a set of grey levels: the t maximising w₀w₁(μ₀ − μ₁)² over the
    splits ``grey <= t`` / ``grey > t`` at the distinct levels. Needs at least two levels."""
    g = np.asarray(grey, dtype=np.float64).ravel()
    levels, counts = np.unique(g, return_counts=True)
    if len(levels) < 2:
        raise ValueError(
            f"the image has one colour (every pixel is {levels[0]:g}); it has no shape to measure"
        )
    w = np.cumsum(counts)[:-1] / g.size
    s = np.cumsum(levels * counts)[:-1] / g.size
    mu = s[-1] + levels[-1] * counts[-1] / g.size
    mu0 = s / w
    mu1 = (mu - s) / (1 - w)
    between = w * (1 - w) * (mu0 - mu1) ** 2
    k = int(np.argmax(between))
    return float(0.5 * (levels[k] + levels[k + 1]))


def _grey(image: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype == bool:
        arr = arr.astype(np.uint8)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.ndim == 3 and arr.shape[2] in (3, 4):
        arr = arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114
    elif arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a (height, width) grey or (height, width, 3|4) colour image, "
            f"got shape {arr.shape}"
        )
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values")
    return arr


def binarize(image: np.ndarray) -> np.ndarray:
    """Two colours from a grey or colour image: 1 where darker than Otsu's threshold.

    Parameters
    ----------
    image : array, shape (H, W) or (H, W, 3|4)

    Returns
    -------
    ndarray of uint8, shape (H, W)

    Raises
    ------
    ValueError
        Empty image, or one colour only.
    """
    grey = _grey(image, "image")
    t = otsu_threshold(grey)
    return (grey <= t).astype(np.uint8)


def prepare_image(image: np.ndarray, size: int | None = None, *, name: str = "image") -> np.ndarray:
    """Grey, centre-crop to a square, resize to ``size`` (area averaging) and binarise.

    Parameters
    ----------
    image : array, shape (H, W) or (H, W, 3|4), both sides >= 16 pixels
    size : int, optional
        Output side (>= 16); default: the cropped square's side.
    """
    grey = _grey(image, name)
    h, w = grey.shape
    if min(h, w) < MIN_IMAGE_SIZE:
        raise ValueError(
            f"{name} is {h}x{w} pixels; the symmetry measures need at least {MIN_IMAGE_SIZE}x{MIN_IMAGE_SIZE}"
        )
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    grey = grey[top : top + side, left : left + side]
    if size is not None:
        size = check_int(size, "size", low=MIN_IMAGE_SIZE)
        if size != side:
            from PIL import Image

            grey = np.asarray(
                Image.fromarray(grey.astype(np.float32), mode="F").resize((size, size), Image.Resampling.BOX),
                dtype=np.float64,
            )
    if grey.max() == grey.min():
        raise ValueError(
            f"{name} has one colour (every pixel is {grey.flat[0]:g}); it has no shape to measure"
        )
    out = binarize(grey)
    if out.min() == out.max():
        raise ValueError(f"{name} binarises to one colour at size {out.shape[0]}; use a larger size")
    return out


def load_image(path: str | os.PathLike[str], size: int | None = None) -> np.ndarray:
    """Read a PNG/JPEG (anything pillow reads) and return its two-colour version, see
    :func:`prepare_image`.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        Unreadable or empty file, too small, or one colour.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    try:
        with Image.open(path) as im:
            im.load()
            arr = np.asarray(im.convert("RGBA" if "A" in im.getbands() else "RGB"))
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise ValueError(f"{path}: cannot read it as an image ({exc.__class__.__name__}: {exc})") from None
    return prepare_image(arr, size, name=str(path))
