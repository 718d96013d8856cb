"""Reading pictures and turning them into two-colour images for the symmetry measures.

Reading (:func:`read_image`): any bit depth and mode pillow opens becomes grey levels in
[0, 1]: 8-bit values / 255, 16-bit / 65535, 1-bit as 0/1, palettes through their colours, and
transparent pixels are laid over white paper (grey = α·Y + (1 − α)); a picture whose colours are
one and whose drawing is all in the alpha channel is read from the alpha channel (opaque = dark).

The binarisation rule (documented for ``physml symmetry``): the picture is converted to grey by
luminance Y = 0.299 R + 0.587 G + 0.114 B, centre-cropped to a square, resized
to ``size`` × ``size`` by area averaging (pillow's BOX filter), and thresholded at Otsu's level
(the threshold that maximises the between-class variance of the grey levels); pixels darker than
the threshold are 1 ("ink"), the rest 0.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from physml._core import check_int

__all__ = ["MAX_IMAGE_PIXELS", "MIN_IMAGE_SIZE", "binarize", "load_image", "otsu_threshold", "prepare_image",
           "read_image"]

MIN_IMAGE_SIZE = 16
#: The largest picture :func:`read_image` decodes (width × height): 8192 × 8192. Larger files are
#: refused from their header, before any decoding (a decoded 8192² RGBA picture and its grey
#: levels take about 0.5 GB).
MAX_IMAGE_PIXELS = 8192 * 8192


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


def _unit(arr: np.ndarray) -> np.ndarray:
    """Values of an integer or float array as float64 in [0, 1]: booleans as 0/1, uint8 / 255,
    uint16 / 65535, other integers / 255 or / 65535 if they fit, floats in [0, 1] as they are;
    anything else is stretched from its minimum to its maximum (binarisation does not care)."""
    if arr.dtype == bool:
        return arr.astype(np.float64)
    out = arr.astype(np.float64)
    if arr.dtype == np.uint8:
        return out / 255.0
    if arr.dtype == np.uint16:
        return out / 65535.0
    lo, hi = float(out.min()), float(out.max())
    if arr.dtype.kind in "iu" and lo >= 0 and hi <= 255:
        return out / 255.0
    if arr.dtype.kind in "iu" and lo >= 0 and hi <= 65535:
        return out / 65535.0
    if arr.dtype.kind == "f" and lo >= 0.0 and hi <= 1.0:
        return out
    return (out - lo) / (hi - lo) if hi > lo else np.zeros_like(out)


def _grey(image: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(image)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers, got dtype {arr.dtype}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains non-finite values")
    if arr.ndim == 3 and arr.shape[2] in (2, 4):  # grey or colour with alpha: over white paper
        colour, alpha = arr[..., :-1], _unit(arr[..., -1])
        grey = _luminance(_unit(colour))
        out = alpha * grey + (1.0 - alpha)
        if out.max() == out.min() and alpha.max() > alpha.min():
            out = 1.0 - alpha  # the drawing is in the alpha channel only: opaque = dark
        return out
    if arr.ndim == 3 and arr.shape[2] in (1, 3):
        return _luminance(_unit(arr))
    if arr.ndim != 2:
        raise ValueError(
            f"{name} must be a (height, width) grey or (height, width, 2|3|4) grey+alpha or colour image, "
            f"got shape {arr.shape}"
        )
    return arr.astype(np.float64)


def _luminance(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 3:
        return arr[..., 0] * 0.299 + arr[..., 1] * 0.587 + arr[..., 2] * 0.114
    return arr[..., 0] if arr.ndim == 3 else arr


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
    image : array, shape (H, W), (H, W, 3) colour, or (H, W, 2|4) grey|colour with alpha (laid
        over white: the alpha is scaled like the colours, uint8 / 255, uint16 / 65535, floats
        in [0, 1]); both sides >= 16 pixels
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
                Image.fromarray(grey.astype(np.float32)).resize((size, size), Image.Resampling.BOX),
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


def _dimensions_from_header(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's header without pillow (used when pillow refuses to open it)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(24)
    except OSError:
        return None
    if len(head) == 24 and head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    return None


def _too_large(path: Path, width: int | None, height: int | None, pixels: int) -> ValueError:
    shape = f"{width}x{height} pixels" if width is not None else f"{pixels} pixels"
    limit = int(np.sqrt(MAX_IMAGE_PIXELS))
    return ValueError(
        f"{path}: the picture is {shape}, more than the {MAX_IMAGE_PIXELS} pixels ({limit}x{limit}) "
        "read here; shrink it first"
    )


def read_image(path: str | os.PathLike[str]) -> np.ndarray:
    """The grey levels (H, W) in [0, 1] of a picture file (anything pillow reads), 0 black.

    Every mode is read at its own depth: 1-bit, 8-bit grey ("L") and colour / 255, 16-bit
    grey ("I;16", and "I" when its values fit 16 bits) / 65535, 32-bit integers and floats
    ("I", "F") as they are when in [0, 1] else stretched from their minimum to maximum,
    palettes ("P") through their colours; colour by luminance 0.299 R + 0.587 G + 0.114 B.
    Transparency (RGBA, LA, palettes with a transparent colour) is laid over white; if the
    colours are one and only the alpha channel draws, the alpha is the picture (opaque = dark).
    The first frame of an animation is read.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A directory, an empty or unreadable file, or one larger than :data:`MAX_IMAGE_PIXELS`
        (refused from its header, before decoding). Every message is one line naming the file.
    """
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a directory, not a picture")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path}: the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            im = Image.open(path)
    except Image.DecompressionBombError as exc:
        dims = _dimensions_from_header(path)
        digits = [int(w) for w in str(exc).replace("(", " ").split() if w.isdigit()]
        pixels = dims[0] * dims[1] if dims else (digits[0] if digits else 0)
        raise _too_large(path, *(dims or (None, None)), pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"{path}: cannot read it as an image ({_reason(exc)})") from None
    with im:
        width, height = im.size
        if width * height > MAX_IMAGE_PIXELS:
            raise _too_large(path, width, height, width * height)
        if width * height == 0:
            raise ValueError(f"{path}: the picture is {width}x{height} pixels, empty")
        try:
            im.load()
            return _decode(im)
        except (OSError, SyntaxError, ValueError, EOFError, MemoryError) as exc:
            raise ValueError(f"{path}: cannot read it as an image ({_reason(exc)})") from None


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _decode(im) -> np.ndarray:
    """Grey levels in [0, 1] of an opened pillow image (see :func:`read_image`)."""
    mode = im.mode
    if mode == "P" or mode == "PA":
        im = im.convert("RGBA")
        mode = "RGBA"
    elif mode in ("1", "L", "LA", "RGB", "RGBA"):
        pass
    elif mode.startswith("I;16"):
        arr = np.asarray(im)
        return arr.astype(np.float64) / 65535.0
    elif mode in ("I", "F"):
        arr = np.asarray(im).astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"the {mode} picture holds non-finite values")
        lo, hi = float(arr.min()), float(arr.max())
        if mode == "I" and lo >= 0 and hi <= 65535:
            return arr / 65535.0
        if lo >= 0.0 and hi <= 1.0:
            return arr
        return (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    elif mode in ("La", "RGBa"):
        im = im.convert("RGBA")
        mode = "RGBA"
    else:  # CMYK, YCbCr, LAB, HSV, ...: through RGB
        im = im.convert("RGBA" if "A" in im.getbands() else "RGB")
        mode = im.mode
    arr = np.asarray(im)
    if mode == "1":
        return arr.astype(np.float64)
    if mode == "L":
        return arr.astype(np.float64) / 255.0
    return _grey(arr, "image")


def load_image(path: str | os.PathLike[str], size: int | None = None) -> np.ndarray:
    """Read a picture (:func:`read_image`: any depth and mode pillow reads) and return its
    two-colour version, see :func:`prepare_image`.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        A directory, an unreadable, empty or too large file, too small, or one colour.
    """
    path = Path(path)
    return prepare_image(read_image(path), size, name=str(path))
