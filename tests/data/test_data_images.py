"""Tests of physml.data's image data sets: IDX reading, Fashion-MNIST, digits, sample images."""

from __future__ import annotations

import gzip
import os
import struct
from pathlib import Path

import numpy as np
import pytest

from physml.data import (
    FASHION_MNIST_CLASSES,
    DatasetCorruptError,
    DatasetNotFoundError,
    _images,
    digits,
    fashion_mnist,
    read_idx,
    sample_images,
)

SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_CODES = {
    np.dtype(np.uint8): 0x08,
    np.dtype(np.int8): 0x09,
    np.dtype(np.int16): 0x0B,
    np.dtype(np.int32): 0x0C,
    np.dtype(np.float32): 0x0D,
    np.dtype(np.float64): 0x0E,
}


def idx_bytes(arr: np.ndarray, *, code: int | None = None, magic: bytes | None = None) -> bytes:
    """The IDX encoding of ``arr`` (big-endian), optionally with a forged type code or magic."""
    arr = np.asarray(arr)
    code = IDX_CODES[arr.dtype] if code is None else code
    head = magic if magic is not None else bytes([0, 0, code, arr.ndim])
    dims = struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + dims + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write_idx(path: Path, arr: np.ndarray, *, compress: bool = True, **kw) -> Path:
    data = idx_bytes(arr, **kw)
    path.write_bytes(gzip.compress(data) if compress else data)
    return path


def write_fake_split(directory: Path, n: int = 20, split: str = "train", seed: int = 0) -> tuple:
    """Small valid Fashion-MNIST files; returns the arrays written."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    prefix = "train" if split == "train" else "t10k"
    write_idx(directory / f"{prefix}-images-idx3-ubyte.gz", images)
    write_idx(directory / f"{prefix}-labels-idx1-ubyte.gz", labels)
    return images, labels


@pytest.fixture
def no_real_data(monkeypatch, tmp_path):
    """Hide the system directory and PHYSML_DATA."""
    monkeypatch.delenv("PHYSML_DATA", raising=False)
    monkeypatch.setattr(_images, "_SYSTEM_DIR", tmp_path / "no-system-dir")


# ---------------------------------------------------------------- read_idx


@pytest.mark.parametrize("dtype", list(IDX_CODES))
@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4)])
@pytest.mark.parametrize("compress", [True, False])
def test_read_idx_round_trip(tmp_path, dtype, shape, compress):
    rng = np.random.default_rng(1)
    if dtype.kind == "f":
        arr = rng.standard_normal(shape).astype(dtype) * 1e3
    else:
        info = np.iinfo(dtype)
        arr = rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)
    path = write_idx(tmp_path / ("a.idx.gz" if compress else "a.idx"), arr, compress=compress)
    out = read_idx(path)
    assert out.dtype == dtype and out.dtype.isnative
    assert out.shape == shape
    np.testing.assert_array_equal(out, arr)
    out[...] = 0  # a fresh writable array


def test_read_idx_accepts_str_and_missing_file_raises(tmp_path):
    path = write_idx(tmp_path / "a.gz", np.arange(4, dtype=np.int32))
    np.testing.assert_array_equal(read_idx(str(path)), np.arange(4))
    with pytest.raises(FileNotFoundError):
        read_idx(tmp_path / "absent.gz")
    with pytest.raises(TypeError, match="path"):
        read_idx(3.5)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda a: gzip.compress(idx_bytes(a, magic=b"\x12\x34\x08\x01")), "magic"),
        (lambda a: gzip.compress(idx_bytes(a, code=0x07)), "type code 0x07"),
        (lambda a: gzip.compress(idx_bytes(a)[:-3]), "truncated"),
        (lambda a: gzip.compress(idx_bytes(a) + b"\x00"), "trailing"),
        (lambda a: gzip.compress(b"\x00\x00\x08\x03\x00\x00"), "header"),
        (lambda a: gzip.compress(idx_bytes(a))[:-10], "gzip"),  # cut-off gzip stream
        (lambda a: b"this is not gzip at all", "not gzip"),
    ],
    ids=["magic", "type-code", "truncated-payload", "trailing", "short-header", "truncated-gzip", "not-gzip"],
)
def test_read_idx_corrupt(tmp_path, make, fragment):
    path = tmp_path / "bad-file-idx1-ubyte.gz"
    path.write_bytes(make(np.arange(10, dtype=np.uint8)))
    with pytest.raises(DatasetCorruptError, match=fragment) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------- Fashion-MNIST, real files

have_real = SYSTEM_DIR.is_dir() or bool(os.environ.get("PHYSML_DATA"))
needs_real = pytest.mark.skipif(
    not have_real,
    reason=f"Fashion-MNIST not installed ({SYSTEM_DIR} absent and PHYSML_DATA unset); "
    "apt-get install dataset-fashion-mnist",
)


@needs_real
@pytest.mark.parametrize(("split", "n"), [("train", 60000), ("test", 10000)])
def test_fashion_mnist_real(split, n):
    images, labels = fashion_mnist(split)
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.uint8
    # Fashion-MNIST is balanced: n / 10 images of each class in each split.
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, n // 10))
    assert images.min() == 0 and images.max() == 255
    # Cached arrays are read-only, so callers cannot corrupt the cache.
    assert not images.flags.writeable and not labels.flags.writeable
    again, _ = fashion_mnist(split)
    np.testing.assert_array_equal(again[:5], images[:5])


def test_fashion_mnist_classes():
    assert len(FASHION_MNIST_CLASSES) == 10
    assert FASHION_MNIST_CLASSES[0] == "T-shirt/top" and FASHION_MNIST_CLASSES[9] == "Ankle boot"
    assert FASHION_MNIST_CLASSES[5] == "Sandal" and FASHION_MNIST_CLASSES[7] == "Sneaker"


# ---------------------------------------------------------------- Fashion-MNIST, search order


@pytest.mark.parametrize("subdir", ["", "fashion-mnist"])
def test_fashion_mnist_from_env(monkeypatch, tmp_path, subdir):
    images, labels = write_fake_split(tmp_path / subdir, n=20, split="test")
    monkeypatch.setenv("PHYSML_DATA", str(tmp_path))
    got_images, got_labels = fashion_mnist("test")
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_fashion_mnist_data_dir_wins_over_env(monkeypatch, tmp_path):
    write_fake_split(tmp_path / "env", n=10, seed=1)
    images, _ = write_fake_split(tmp_path / "explicit", n=30, seed=2)
    monkeypatch.setenv("PHYSML_DATA", str(tmp_path / "env"))
    got, _ = fashion_mnist("train", data_dir=tmp_path / "explicit")
    np.testing.assert_array_equal(got, images)


def test_fashion_mnist_cache_sees_new_files(tmp_path):
    write_fake_split(tmp_path, n=10, seed=1)
    first, _ = fashion_mnist(data_dir=tmp_path)
    images, _ = write_fake_split(tmp_path, n=10, seed=2)  # same size: only mtime tells
    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"):
        os.utime(tmp_path / name, ns=(0, 1_000_000_000))
    second, _ = fashion_mnist(data_dir=tmp_path)
    np.testing.assert_array_equal(second, images)
    assert not np.array_equal(first, second)
    with pytest.raises(ValueError):
        second[0, 0, 0] = 1  # read-only


def test_fashion_mnist_missing_data_dir(tmp_path):
    where = tmp_path / "empty"
    with pytest.raises(DatasetNotFoundError) as info:
        fashion_mnist("test", data_dir=where)
    message = str(info.value)
    assert isinstance(info.value, FileNotFoundError)
    assert str(where) in message and str(where / "fashion-mnist") in message
    assert "dataset-fashion-mnist" in message and "PHYSML_DATA" in message
    assert "t10k-images-idx3-ubyte.gz" in message


def test_fashion_mnist_missing_everywhere(monkeypatch, tmp_path, no_real_data):
    env = tmp_path / "env"
    env.mkdir()
    (env / "train-images-idx3-ubyte.gz").write_bytes(b"")  # labels missing: the pair is not usable
    monkeypatch.setenv("PHYSML_DATA", str(env))
    with pytest.raises(DatasetNotFoundError) as info:
        fashion_mnist()
    message = str(info.value)
    for place in (env, env / "fashion-mnist", tmp_path / "no-system-dir"):
        assert str(place) in message
    assert "missing train-labels-idx1-ubyte.gz" in message
    assert "apt-get install dataset-fashion-mnist" in message


def test_fashion_mnist_missing_without_env(tmp_path, no_real_data):
    with pytest.raises(FileNotFoundError, match="no-system-dir.*dataset-fashion-mnist"):
        fashion_mnist("train")


# ---------------------------------------------------------------- Fashion-MNIST, corrupt files

LABELS = "train-labels-idx1-ubyte.gz"
IMAGES = "train-images-idx3-ubyte.gz"


@pytest.mark.parametrize(
    ("name", "payload", "fragment"),
    [
        (
            IMAGES,
            lambda: gzip.compress(idx_bytes(np.zeros((10, 28, 28), np.uint8), magic=b"\x08\x03\x00\x00")),
            "magic",
        ),
        (IMAGES, lambda: gzip.compress(idx_bytes(np.zeros((10, 28, 28), np.uint8))[:-100]), "truncated"),
        (IMAGES, lambda: b"\x00\x00\x08\x03 raw bytes, not gzip", "not gzip"),
        (LABELS, lambda: gzip.compress(idx_bytes(np.zeros(10, np.uint8)))[:15], "gzip"),
        (IMAGES, lambda: gzip.compress(idx_bytes(np.zeros((10, 28, 28), np.int32))), "uint8"),
        (IMAGES, lambda: gzip.compress(idx_bytes(np.zeros((10, 28, 27), np.uint8))), "28, 28"),
        (LABELS, lambda: gzip.compress(idx_bytes(np.zeros(10, np.int16))), "uint8"),
        (LABELS, lambda: gzip.compress(idx_bytes(np.zeros(9, np.uint8))), "10 images but"),
        (LABELS, lambda: gzip.compress(idx_bytes(np.full(10, 10, np.uint8))), "label 10"),
    ],
    ids=[
        "magic",
        "truncated",
        "not-gzip",
        "bad-gzip",
        "image-dtype",
        "image-shape",
        "label-dtype",
        "count-mismatch",
        "label-range",
    ],
)
def test_fashion_mnist_corrupt(tmp_path, name, payload, fragment):
    write_fake_split(tmp_path, n=10)
    (tmp_path / name).write_bytes(payload())
    with pytest.raises(DatasetCorruptError, match=fragment) as info:
        fashion_mnist(data_dir=tmp_path)
    assert str(tmp_path / name) in str(info.value)


def test_fashion_mnist_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="split.*'train', 'test'.*'validation'"):
        fashion_mnist("validation")
    with pytest.raises(TypeError, match="data_dir"):
        fashion_mnist(data_dir=3)


# ---------------------------------------------------------------- scikit-learn images


def test_digits():
    images, labels = digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype.kind == "i"
    assert images.min() == 0 and images.max() == 16
    np.testing.assert_array_equal(np.unique(labels), np.arange(10))


def test_sample_images():
    images = sample_images()
    assert sorted(images) == ["china", "flower"]
    for img in images.values():
        assert img.shape == (427, 640, 3) and img.dtype == np.uint8
