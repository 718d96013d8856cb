"""Reading pictures of every depth and mode into grey levels in [0, 1], and refusing what cannot
be read (too large, a directory, empty, truncated, not a picture) with one line."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from physml.symmetry import (
    MAX_IMAGE_PIXELS,
    invariance_measures,
    load_image,
    prepare_image,
    read_image,
    symmetry_score,
)


def _picture(n: int = 96) -> np.ndarray:
    """An asymmetric two-level picture (grey 0.2 shapes on 0.85) plus a smooth grey ramp band."""
    i, j = np.mgrid[0:n, 0:n]
    shape = ((abs(i - 50) < 25) & (abs(j - 40) < 30)) | (np.hypot(i - 20, j - 70) < 12)
    return np.where(shape, 0.2, 0.85)


def _save_all(grey: np.ndarray, d) -> dict[str, object]:
    """The same picture in every mode; returns {file name: path}."""
    n = grey.shape[0]
    dark = grey < 0.5
    files = {}

    def put(name, image):
        image.save(d / name)
        files[name] = d / name

    put("L.png", Image.fromarray(np.round(grey * 255).astype(np.uint8)))
    put("I16.png", Image.fromarray(np.round(grey * 65535).astype(np.uint16)))
    put("I.tiff", Image.fromarray(np.round(grey * 65535).astype(np.int32), mode="I"))
    put("F.tiff", Image.fromarray(grey.astype(np.float32), mode="F"))
    put("P.png", Image.fromarray(np.round(grey * 255).astype(np.uint8)).convert("P"))
    put("RGB.png", Image.fromarray(np.repeat(np.round(grey * 255).astype(np.uint8)[..., None], 3, axis=2)))
    put("1.png", Image.fromarray(~dark))
    rgba = np.zeros((n, n, 4), np.uint8)  # black shapes on a transparent background whose colour is black
    rgba[..., 3] = np.where(dark, 255, 0)
    put("RGBA.png", Image.fromarray(rgba, "RGBA"))
    la = np.zeros((n, n, 2), np.uint8)
    la[..., 1] = np.where(dark, 255, 0)
    put("LA.png", Image.fromarray(la, "LA"))
    return files


def test_every_depth_and_mode_gives_the_same_picture_and_scores(tmp_path):
    files = _save_all(_picture(), tmp_path)
    assert Image.open(files["I16.png"]).mode == "I;16"  # the 16-bit case pillow opens as I;16
    reference = load_image(files["L.png"], 64)
    ref_scores = invariance_measures(reference).scores()
    for name, path in files.items():
        grey = read_image(path)
        assert grey.dtype == np.float64 and grey.shape == (96, 96), name
        assert 0.0 <= grey.min() and grey.max() <= 1.0, name
        binary = load_image(path, 64)
        np.testing.assert_array_equal(binary, reference, err_msg=name)
        assert invariance_measures(binary).scores() == ref_scores, name
        assert symmetry_score(path, size=64).direct == symmetry_score(files["L.png"], size=64).direct


def test_16_bit_grey_levels_are_read_not_clipped(tmp_path):
    # a smooth ramp over the full 16-bit range: 8-bit and 16-bit copies agree to half an 8-bit step
    ramp = np.tile(np.linspace(0.0, 1.0, 80), (40, 1))
    Image.fromarray(np.round(ramp * 255).astype(np.uint8)).save(tmp_path / "r8.png")
    Image.fromarray(np.round(ramp * 65535).astype(np.uint16)).save(tmp_path / "r16.png")
    g8, g16 = read_image(tmp_path / "r8.png"), read_image(tmp_path / "r16.png")
    np.testing.assert_allclose(g16, ramp, atol=0.5 / 65535)
    np.testing.assert_allclose(g8, g16, atol=0.5 / 255 + 0.5 / 65535)
    # before: values above 255 were clipped to white, and a dark 16-bit picture became noise
    dark = (_picture() * 3000).astype(np.uint16)  # all below 2600 of 65535
    Image.fromarray(dark).save(tmp_path / "dark16.png")
    np.testing.assert_allclose(read_image(tmp_path / "dark16.png"), dark / 65535.0)
    np.testing.assert_array_equal(load_image(tmp_path / "dark16.png", 64), load_image(_save_all(
        _picture(), tmp_path)["L.png"], 64))


def test_arrays_with_alpha_are_laid_over_white():
    grey = _picture()
    dark = grey < 0.5
    rgba = np.zeros((96, 96, 4))
    rgba[..., 3] = dark  # float alpha in [0, 1], colour black everywhere
    la = np.stack([np.zeros((96, 96), np.uint16), (dark * 65535).astype(np.uint16)], axis=-1)
    expected = prepare_image(grey, 64)
    np.testing.assert_array_equal(prepare_image(rgba, 64), expected)
    np.testing.assert_array_equal(prepare_image(la, 64), expected)


def _png_header(path, width: int, height: int) -> None:
    """A PNG whose header says width x height, with almost no pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 10))
                     + chunk(b"IEND", b""))


@pytest.mark.parametrize("side", [20000, 9000])
def test_too_large_pictures_are_refused_from_the_header(tmp_path, side):
    # 20000² is beyond pillow's own bomb limit (it raised DecompressionBombError), 9000² below it
    # but beyond ours; the file holds 10 bytes of pixels, so decoding would fail differently
    path = tmp_path / "big.png"
    _png_header(path, side, side)
    with pytest.raises(ValueError) as err:
        read_image(path)
    text = str(err.value)
    assert f"{side}x{side} pixels" in text and str(MAX_IMAGE_PIXELS) in text and str(path) in text
    assert "\n" not in text


def test_unreadable_and_degenerate_files(tmp_path):
    good = tmp_path / "good.png"
    Image.fromarray(np.round(_picture() * 255).astype(np.uint8)).save(good)
    cases = {
        "dir": (tmp_path, "is a directory"),
        "empty": (b"", "empty"),
        "junk": (b"not a picture at all", "cannot read"),
        "truncated": (good.read_bytes()[:200], "cannot read"),
    }
    for name, (content, message) in cases.items():
        path = content if name == "dir" else tmp_path / f"{name}.png"
        if name != "dir":
            path.write_bytes(content)
        with pytest.raises(ValueError, match=message) as err:
            load_image(path, 64)
        assert "\n" not in str(err.value), name
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_image(tmp_path / "missing.png")
    Image.fromarray(np.zeros((1, 1), np.uint8)).save(tmp_path / "one.png")
    with pytest.raises(ValueError, match="at least 16"):
        load_image(tmp_path / "one.png", 64)
    for name, array in (("black.png", np.zeros((40, 40), np.uint8)),
                        ("flat16.png", np.full((40, 40), 40000, np.uint16))):
        Image.fromarray(array).save(tmp_path / name)
        with pytest.raises(ValueError, match="one colour"):
            load_image(tmp_path / name, 64)


def test_a_picture_blank_inside_its_disc_has_no_rotation_or_mirror_score():
    # ink only in the corners: rotations and mirrors are measured on the inscribed disc, which is
    # blank: no structure there, so no evidence of symmetry (it used to score 1: "perfect")
    im = np.zeros((64, 64), np.uint8)
    im[:4, :4] = im[-5:, -3:] = 1
    m = invariance_measures(im)
    assert m.rotation.minimum == 0.0 and m.reflection.invariance == 0.0
    assert all(v == 0.0 for v in m.rotation.order_scores.values())
