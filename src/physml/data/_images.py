"""Image data sets: Fashion-MNIST from local IDX files, scikit-learn's digits and sample photographs.

Nothing is downloaded. Fashion-MNIST is read from files installed on the machine
(the Debian package ``dataset-fashion-mnist`` puts them in
``/usr/share/datasets/fashion-mnist``) or from a directory named by the caller or by
the environment variable ``PHYSML_DATA``.
"""

from __future__ import annotations

import functools
import gzip
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from physml._core import check_choice

__all__ = [
    "FASHION_MNIST_CLASSES",
    "DatasetCorruptError",
    "DatasetNotFoundError",
    "digits",
    "fashion_mnist",
    "read_idx",
    "sample_images",
]

#: Class names of Fashion-MNIST, indexed by label (Xiao, Rasul, Vollgraf 2017).
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)

ENV_VAR = "PHYSML_DATA"
DEBIAN_PACKAGE = "dataset-fashion-mnist"
_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
_SUBDIR = "fashion-mnist"
_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

# IDX type codes (LeCun, Cortes, Burges, "The MNIST database of handwritten digits").
# Multi-byte values are big-endian.
_IDX_DTYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODE_NAMES = ", ".join(f"0x{c:02X} ({d.name})" for c, d in _IDX_DTYPES.items())


class DatasetNotFoundError(FileNotFoundError):
    """The files of a data set are not in any of the places looked in."""


class DatasetCorruptError(ValueError):
    """A data file exists but cannot be read: bad compression, header or size."""


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (the format of MNIST and Fashion-MNIST), gzip-compressed or not.

    The IDX format is a 4-byte magic number ``0x00 0x00 <type code> <ndim>``, then
    ``ndim`` big-endian uint32 dimensions, then the values in C order, big-endian.
    Type codes: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
    0x0E float64. A file whose first bytes are the gzip magic ``1f 8b`` is decompressed.

    Parameters
    ----------
    path : str or os.PathLike
        The file. A name ending in ``.gz`` must hold gzip data.

    Returns
    -------
    numpy.ndarray
        A new, writable array in native byte order, of the shape and dtype the header declares.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    DatasetCorruptError
        If the file is not valid gzip, has a bad magic number or type code, or its size
        does not match the shape in its header.
    """
    try:
        path = Path(os.fspath(path))
    except TypeError:
        raise TypeError(f"path must be a str or os.PathLike, got {path!r}") from None
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as exc:
            raise DatasetCorruptError(f"{path}: invalid or truncated gzip data ({exc})") from None
    elif path.suffix == ".gz":
        raise DatasetCorruptError(
            f"{path}: not gzip-compressed although the name ends in .gz (starts with {raw[:4].hex(' ')})"
        )
    else:
        data = raw
    return _parse_idx(data, path)


def _parse_idx(data: bytes, path: Path) -> np.ndarray:
    if len(data) < 4:
        raise DatasetCorruptError(f"{path}: {len(data)} byte(s), too short for an IDX header")
    if data[0] != 0 or data[1] != 0:
        raise DatasetCorruptError(
            f"{path}: bad IDX magic number 0x{data[:4].hex()}; IDX files start with two zero bytes"
        )
    code, ndim = data[2], data[3]
    if code not in _IDX_DTYPES:
        raise DatasetCorruptError(f"{path}: unknown IDX type code 0x{code:02X}; known codes: {_CODE_NAMES}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetCorruptError(f"{path}: truncated IDX header ({len(data)} bytes, need {header})")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = _IDX_DTYPES[code]
    count = 1
    for size in shape:
        count *= size
    expected = count * dtype.itemsize
    payload = len(data) - header
    if payload != expected:
        what = "truncated" if payload < expected else "trailing bytes"
        raise DatasetCorruptError(
            f"{path}: header declares shape {shape} of {dtype.name} ({expected} bytes of data) "
            f"but the file holds {payload} bytes ({what})"
        )
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return arr.astype(dtype.newbyteorder("="))


def _read_idx_cached(path: Path) -> np.ndarray:
    """:func:`read_idx` through a small in-process cache keyed by path, mtime and size.

    The array returned is read-only, so that callers cannot corrupt the cache.
    """
    resolved = path.resolve()
    stat = resolved.stat()
    return _read_idx_memo(str(resolved), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _read_idx_memo(path: str, mtime_ns: int, size: int) -> np.ndarray:
    arr = read_idx(path)
    arr.flags.writeable = False
    return arr


def _search_dirs(data_dir: str | os.PathLike[str] | None) -> list[Path]:
    if data_dir is not None:
        try:
            root = Path(os.fspath(data_dir))
        except TypeError:
            raise TypeError(f"data_dir must be a str, os.PathLike or None, got {data_dir!r}") from None
        return [root, root / _SUBDIR]
    dirs = []
    env = os.environ.get(ENV_VAR)
    if env:
        dirs += [Path(env), Path(env) / _SUBDIR]
    dirs.append(_SYSTEM_DIR)
    return dirs


def fashion_mnist(
    split: str = "train", *, data_dir: str | os.PathLike[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Load Fashion-MNIST (Xiao, Rasul, Vollgraf 2017, "Fashion-MNIST: a Novel Image Dataset
    for Benchmarking Machine Learning Algorithms") from local IDX files.

    Nothing is downloaded. The files ``train-images-idx3-ubyte.gz``,
    ``train-labels-idx1-ubyte.gz``, ``t10k-images-idx3-ubyte.gz`` and
    ``t10k-labels-idx1-ubyte.gz`` are looked for, both files of a split in the same
    directory, in this order:

    1. if ``data_dir`` is given: ``data_dir`` and ``data_dir/fashion-mnist`` only;
    2. otherwise ``$PHYSML_DATA`` and ``$PHYSML_DATA/fashion-mnist`` (if the variable is set),
       then ``/usr/share/datasets/fashion-mnist``, where the Debian package
       ``dataset-fashion-mnist`` installs them.

    Parsed files are kept in a small in-process cache keyed by path, modification time
    and size; nothing is written to disk.

    Parameters
    ----------
    split : {"train", "test"}
        ``"train"``: 60000 images; ``"test"``: 10000 images (the ``t10k`` files).
    data_dir : str or os.PathLike, optional
        A directory holding the files (directly or in a ``fashion-mnist`` subdirectory).

    Returns
    -------
    images : numpy.ndarray of uint8, shape (n, 28, 28), read-only
        Grey levels 0 (background) to 255.
    labels : numpy.ndarray of uint8, shape (n,), read-only
        Class indices 0..9; names in :data:`FASHION_MNIST_CLASSES`.

    Raises
    ------
    DatasetNotFoundError
        (a :class:`FileNotFoundError`) if the files are in none of the places looked in.
    DatasetCorruptError
        (a :class:`ValueError`) if a file is not valid gzip or IDX, has the wrong type or
        shape, or the image and label counts differ.
    """
    check_choice(split, "split", tuple(_FILES))
    image_name, label_name = _FILES[split]
    dirs = _search_dirs(data_dir)
    looked = []
    for directory in dirs:
        images_path, labels_path = directory / image_name, directory / label_name
        if images_path.is_file() and labels_path.is_file():
            return _load_pair(images_path, labels_path)
        if not directory.is_dir():
            looked.append(f"{directory} (no such directory)")
        else:
            missing = [p.name for p in (images_path, labels_path) if not p.is_file()]
            looked.append(f"{directory} (missing {' and '.join(missing)})")
    hint = (
        f"install the Debian package {DEBIAN_PACKAGE} (apt-get install {DEBIAN_PACKAGE}), which puts "
        f"them in {_SYSTEM_DIR}, or set {ENV_VAR} to a directory holding them"
    )
    if data_dir is not None:
        hint += ", or pass another data_dir"
    raise DatasetNotFoundError(
        f"Fashion-MNIST {split!r} split not found: looked for {image_name} and {label_name} in "
        + "; ".join(looked)
        + f". To fix: {hint}."
    )


def _load_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = _read_idx_cached(images_path)
    labels = _read_idx_cached(labels_path)
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise DatasetCorruptError(
            f"{images_path}: expected uint8 images of shape (n, 28, 28) (IDX type 0x08, 3 dimensions), "
            f"got {images.dtype.name} of shape {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DatasetCorruptError(
            f"{labels_path}: expected uint8 labels of shape (n,) (IDX type 0x08, 1 dimension), "
            f"got {labels.dtype.name} of shape {labels.shape}"
        )
    if len(images) != len(labels):
        raise DatasetCorruptError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} labels"
        )
    if labels.size and labels.max() >= len(FASHION_MNIST_CLASSES):
        raise DatasetCorruptError(
            f"{labels_path}: label {int(labels.max())} out of range; Fashion-MNIST labels are 0..9"
        )
    return images, labels


def digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8x8 handwritten digits (the UCI "Optical Recognition of Handwritten
    Digits" test set, Alpaydin and Kaynak 1998), shipped with scikit-learn.

    Returns
    -------
    images : numpy.ndarray of float64, shape (1797, 8, 8)
        Pixel counts 0..16 (each pixel counts the set pixels of a 4x4 block of a 32x32 bitmap).
    labels : numpy.ndarray of int64, shape (1797,)
        Digits 0..9.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return np.asarray(bunch.images, dtype=np.float64), np.asarray(bunch.target, dtype=np.int64)


def sample_images() -> dict[str, np.ndarray]:
    """scikit-learn's two sample photographs, ``china.jpg`` and ``flower.jpg``.

    Returns
    -------
    dict of str to numpy.ndarray
        ``{"china": ..., "flower": ...}``, each uint8 RGB of shape (427, 640, 3).
    """
    from sklearn.datasets import load_sample_images

    bunch = load_sample_images()
    return {
        Path(name).stem: np.asarray(img, dtype=np.uint8)
        for name, img in zip(bunch.filenames, bunch.images, strict=True)
    }
