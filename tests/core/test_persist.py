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



# ---------------------------------------------------------------------------------------------
# the models' own loaders: RBM.load, FlowDensity.load, FlowEnsemble.load and load_flow


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Small fitted models, saved: ``{"rbm": path, "flow": path, "ensemble": path}``."""
    from physml.ebm import RBM
    from physml.flows import FlowDensity, FlowEnsemble

    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("models")
    rbm = RBM(n_components=3, n_iter=1).fit((rng.random((40, 6)) < 0.5).astype(float))
    base = FlowDensity(max_epochs=1, transforms=1, hidden_features=(4,), batch_size=20)
    flow = FlowDensity(**base.get_params()).fit(rng.normal(size=(40, 2)))
    ensemble = FlowEnsemble(base, n_members=2).fit(rng.normal(size=(40, 2)))
    return {"rbm": rbm.save(root / "rbm.npz"), "flow": flow.save(root / "flow.npz"),
            "ensemble": ensemble.save(root / "ensemble.npz")}


def _loaders():
    from physml.ebm import RBM
    from physml.flows import FlowDensity, FlowEnsemble, load_flow

    return {"RBM.load": ("rbm", RBM.load), "FlowDensity.load": ("flow", FlowDensity.load),
            "FlowEnsemble.load": ("ensemble", FlowEnsemble.load), "load_flow": ("flow", load_flow),
            "load_flow(ensemble)": ("ensemble", load_flow)}


def _half(good, path):
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])


MODEL_CASES = {
    "missing": (lambda good, p: None, "no such file"),
    "directory": (lambda good, p: p.mkdir(), "is a directory"),
    "empty": (lambda good, p: p.write_bytes(b""), "is empty"),
    "truncated": (_half, "damaged or truncated"),
    "random bytes": (lambda good, p: _random(p), "not an .npz archive"),
}


@pytest.mark.parametrize("case", list(MODEL_CASES))
@pytest.mark.parametrize("loader", ["RBM.load", "FlowDensity.load", "FlowEnsemble.load", "load_flow",
                                    "load_flow(ensemble)"])
def test_every_loader_refuses_a_bad_file_in_one_line(saved, tmp_path, loader, case):
    kind, load = _loaders()[loader]
    make, message = MODEL_CASES[case]
    path = tmp_path / "model.npz"
    make(saved[kind], path)
    with pytest.raises(ModelFileError) as info:
        load(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text, text
    assert "allow_pickle" not in text


def _with(good, path, **changes):
    with np.load(good, allow_pickle=False) as archive:
        arrays = {k: archive[k] for k in archive.files}
    for name, change in changes.items():
        arrays[name] = change(arrays[name].copy())
    np.savez(path, **arrays)
    return path


def _poison(value):
    def change(a):
        a.flat[: 2] = value
        return a

    return change


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_model_saved_after_training_diverged_is_refused(saved, tmp_path, bad):
    from physml.ebm import RBM
    from physml.flows import FlowDensity, FlowEnsemble, load_flow

    rbm = _with(saved["rbm"], tmp_path / "rbm.npz", weights=_poison(bad))
    with np.load(saved["flow"]) as archive:
        weight = next(k for k in archive.files if k.endswith(".weight"))
    flow = _with(saved["flow"], tmp_path / "flow.npz", **{weight: _poison(bad)})
    ens = _with(saved["ensemble"], tmp_path / "ens.npz", **{f"member1.{weight}": _poison(bad)})
    for load, path, name in [(RBM.load, rbm, "weights"), (FlowDensity.load, flow, weight),
                             (load_flow, flow, weight), (FlowEnsemble.load, ens, f"member1.{weight}"),
                             (load_flow, ens, f"member1.{weight}")]:
        with pytest.raises(ModelFileError) as info:
            load(path)
        expected = f"{path}: parameter {name!r} holds 2 non-finite values (NaN or inf); the model was saved"
        assert str(info.value).startswith(expected) and "\n" not in str(info.value)


def test_a_nested_model_keeps_its_own_list_of_arrays_that_may_be_infinite(saved, tmp_path, monkeypatch):
    from physml.flows import FlowDensity, load_flow

    monkeypatch.setattr(FlowDensity, "_nonfinite_arrays", ("support_*",))  # a flow without bounds
    ens = _with(saved["ensemble"], tmp_path / "ens.npz", **{"member0.support_low": _poison(-np.inf)})
    assert np.isneginf(load_flow(ens).members_[0].support_low_[0])
    monkeypatch.setattr(FlowDensity, "_nonfinite_arrays", ())
    with pytest.raises(ModelFileError, match=r"parameter 'member0.support_low' holds 2 non-finite"):
        load_flow(ens)


def test_a_torch_flow_file_with_non_finite_parameters_is_refused(saved, tmp_path):
    import torch

    from physml.flows import FlowDensity, load_flow

    flow = FlowDensity.load(saved["flow"])
    state = {k: v.detach().clone() for k, v in flow.flow_.state_dict().items()}
    name = next(k for k, v in state.items() if v.is_floating_point())
    state[name].view(-1)[0] = float("nan")
    params = {**flow.get_params(), "hidden_features": list(flow.hidden_features)}
    payload = {"format": "physml.flows/1", "kind": "FlowDensity", "params": params,
               "n_features_in": 2, "n_samples_fit": 40, "mean": torch.zeros(2), "scale": torch.ones(2),
               "support_low": torch.full((2,), -float("inf")), "support_high": torch.full((2,), float("inf")),
               "history": {"train": [1.0], "validation": [1.0]}, "best_epoch": 0, "state_dict": state}
    torch.save(payload, tmp_path / "old.pt")
    with pytest.raises(ModelFileError) as info:
        load_flow(tmp_path / "old.pt")
    expected = f"{tmp_path / 'old.pt'}: parameter 'state_dict.{name}' holds 1 non-finite value "
    assert str(info.value).startswith(expected)
