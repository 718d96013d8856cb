"""Model files: what goes in comes out, and every bad file is one clear ModelFileError."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from physml._core import ModelFileError, __version__, read_model_file, write_model_file

FMT = "physml.test.Model"


def write(path, **kw):
    args = {"format": FMT, "version": 2, "meta": {"params": {"a": 1, "b": (1.5, 2)}},
            "arrays": {"w": np.arange(6.0).reshape(2, 3), "n": np.array([1, 2], dtype=np.int64)}}
    args.update(kw)
    return write_model_file(path, **args)


def test_round_trip_keeps_arrays_exactly_and_records_the_versions(tmp_path):
    path = write(tmp_path / "m.npz", meta={"params": {"a": np.int64(3), "b": np.array([0.5, 1.0])}})
    meta, arrays = read_model_file(path, format=FMT, versions={1, 2})
    assert meta["format"] == FMT and meta["format_version"] == 2 and meta["physml_version"] == __version__
    assert meta["params"] == {"a": 3, "b": [0.5, 1.0]}
    np.testing.assert_array_equal(arrays["w"], np.arange(6.0).reshape(2, 3))
    assert arrays["n"].dtype == np.int64
    assert not list(tmp_path.glob(".*tmp"))  # the atomic write left nothing behind


def test_a_physml_0_1_header_is_read_as_its_version(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, meta=np.array(json.dumps({"format": FMT + "/1", "params": {}})), w=np.ones(2))
    (tmp_path / "old.npz").write_bytes(buffer.getvalue())
    meta, arrays = read_model_file(tmp_path / "old.npz", format=FMT, versions={1, 2})
    assert meta["format_version"] == 1 and list(arrays) == ["w"]


def _pickled(path):
    np.savez(path, meta=np.array(json.dumps({"format": FMT, "format_version": 2})),
             evil=np.array([{"x": 1}], dtype=object), allow_pickle=True)


def _random(path):
    path.write_bytes(np.random.default_rng(0).bytes(2000))


def _truncated(path):
    write(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _other_class(path):
    write_model_file(path, format="physml.flows.FlowDensity", version=1, meta={}, arrays={})


def _newer(path):
    write(path, version=7)


def _no_header(path):
    np.savez(path, w=np.ones(3))


def _bad_header(path):
    np.savez(path, meta=np.array("not json"))


def _npy(path):
    np.save(path.with_suffix(".npy"), np.ones(3))
    path.with_suffix(".npy").rename(path)


def _text_array(path):
    np.savez(path, meta=np.array(json.dumps({"format": FMT, "format_version": 2})), s=np.array(["a", "b"]))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.write_bytes(b""), "is empty"),
        (_random, "not an .npz archive"),
        (_npy, "not an .npz archive"),
        (_truncated, "damaged or truncated"),
        (_pickled, "pickled object array"),
        (_other_class, "holds a FlowDensity (physml.flows.FlowDensity), not a Model (physml.test.Model)"),
        (_newer, "format version 7; this physml"),
        (_no_header, "no 'meta' header"),
        (_bad_header, "no JSON record with a format"),
        (_text_array, "array 's' is not numeric"),
    ],
)
def test_every_bad_file_is_one_line_naming_the_file(tmp_path, make, message):
    path = tmp_path / "model.npz"
    make(path)
    with pytest.raises(ModelFileError) as info:
        read_model_file(path, format=FMT, versions={1, 2})
    text = str(info.value)
    assert message in text and str(path) in text and "\n" not in text
    assert "allow_pickle=True" not in text  # never pass numpy's advice to load unsafely on


def test_a_pickled_array_never_runs(tmp_path, monkeypatch):
    ran = []

    class Evil:
        def __reduce__(self):
            return (ran.append, ("ran",))

    np.savez(tmp_path / "m.npz", meta=np.array(json.dumps({"format": FMT, "format_version": 2})),
             evil=np.array([Evil()], dtype=object), allow_pickle=True)
    assert zipfile.is_zipfile(tmp_path / "m.npz")
    with pytest.raises(ModelFileError, match="pickled"):
        read_model_file(tmp_path / "m.npz", format=FMT, versions={2})
    assert ran == []


def test_writing_refuses_what_it_could_not_read_back(tmp_path):
    with pytest.raises(TypeError, match="numeric arrays only"):
        write(tmp_path / "m.npz", arrays={"o": np.array([object()], dtype=object)})
    with pytest.raises(ValueError, match="header"):
        write(tmp_path / "m.npz", arrays={"meta": np.ones(1)})
    with pytest.raises(TypeError, match="cannot store"):
        write(tmp_path / "m.npz", meta={"f": object()})
    assert not (tmp_path / "m.npz").exists()

