"""No code runs from a run directory: the lab's cache and resumable sweeps hold no pickles.

A crafted file planted in a run directory (an old-style ``.pkl`` cache entry, a pickle under the
new name, an ``.npz`` with a pickled object array, a store entry naming a class outside physml)
is never executed on resume: the entry is computed again. The store's codec gives back what was
stored, type for type, and refuses anything else with one ``TypeError`` naming the type.
"""

import dataclasses
import io
import json
import math
import pickle
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from physml._core import STORABLE, StoreError, ValueStore, dumps_value, loads_value
from physml.lab import Result, run_experiments
from physml.scaling import run_sweep


class _Payload:
    """Unpickling this writes ``marker``: the stand-in for arbitrary code."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


def _pickle_bomb(marker: Path) -> bytes:
    return pickle.dumps(_Payload(marker))


def _npz_with_pickled_array(marker: Path) -> bytes:
    payload = np.empty(1, dtype=object)
    payload[0] = _Payload(marker)
    buffer = io.BytesIO()
    np.savez(buffer, **{"value.json": np.frombuffer(b'{"format": "physml.store", "version": 1, '
                                                    b'"value": {"__array__": "a0"}}', dtype=np.uint8)},
             a0=payload)
    return buffer.getvalue()


def _forged_entry(tree) -> bytes:
    """A store entry with a hand-written JSON tree (what an attacker controls)."""
    buffer = io.BytesIO()
    header = json.dumps({"format": "physml.store", "version": 1, "value": tree}).encode()
    np.savez(buffer, **{"value.json": np.frombuffer(header, dtype=np.uint8)})
    return buffer.getvalue()


def test_the_payloads_would_run_if_unpickled(tmp_path):
    """The planted files are real exploits: unpickling them does write the marker."""
    marker = tmp_path / "marker"
    pickle.loads(_pickle_bomb(marker))
    assert marker.read_text() == "code ran"
    marker.unlink()
    with np.load(io.BytesIO(_npz_with_pickled_array(marker)), allow_pickle=True) as archive:
        archive["a0"]
    assert marker.exists()


CALLS: list[int] = []


def _tenfold(i):
    CALLS.append(i)
    if i == 4 and _tenfold.interrupt:
        raise KeyboardInterrupt  # as Ctrl-C in the middle of the map
    return {"i": i, "value": np.array([10.0 * i]), "pair": (i, float(i) / 3)}


@pytest.fixture
def resumable(temporary_experiments):
    @temporary_experiments("tmp-cache-safety", claim="c", source="s", quick=dict(n=6), full=dict(n=6))
    def experiment(ctx, n):
        values = ctx.map(_tenfold, range(n))
        ctx.metric("values", [float(v["value"][0]) for v in values])
        ctx.check("pairs", sum(v["pair"][1] for v in values), sum(i / 3 for i in range(n)), tolerance=1e-12)
        ctx.check("tuples kept", float(all(type(v["pair"]) is tuple for v in values)), 1.0)

    return experiment


def test_planted_pickles_in_a_partial_run_never_run(tmp_path, resumable):
    out, marker = tmp_path / "run", tmp_path / "marker"
    CALLS.clear()
    _tenfold.interrupt = True
    with pytest.raises(KeyboardInterrupt):
        run_experiments(["tmp-cache-safety"], out, preset="quick")
    cache = out / ".tmp-cache-safety.partial" / "cache"
    assert sorted(p.name for p in cache.iterdir()) == [f"map0-{i}.npz" for i in range(4)]
    # someone replaces finished entries with exploits, and adds an old-style pickle cache
    (cache / "map0-0.npz").write_bytes(_pickle_bomb(marker))
    (cache / "map0-1.npz").write_bytes(_npz_with_pickled_array(marker))
    forged = {"__model__": {"format": "subprocess.Popen"}, "arrays": {}}
    (cache / "map0-2.npz").write_bytes(_forged_entry(forged))
    for i in range(6):
        (cache / f"map0-{i}.pkl").write_bytes(_pickle_bomb(marker))
    CALLS.clear()
    _tenfold.interrupt = False
    [result] = run_experiments(["tmp-cache-safety"], out, preset="quick", resume=True)
    assert not marker.exists()
    assert sorted(CALLS) == [0, 1, 2, 4, 5]  # the planted entries were computed again; item 3 was kept
    assert result.verdict == "reproduced", result.error
    assert result.metrics["values"] == [0.0, 10.0, 20.0, 30.0, 40.0, 50.0]
    assert Result.load(out / "tmp-cache-safety" / "result.json").verdict == "reproduced"


def _square(point):
    return {"square": point["size"] ** 2, "array": np.full(2, point["size"], dtype=np.int16)}


def test_planted_pickles_in_a_sweep_store_never_run(tmp_path):
    store, marker = tmp_path / "store", tmp_path / "marker"
    points = [{"size": s, "replica": 0} for s in (1, 2, 3)]
    run_sweep(_square, points, store=store)
    entries = sorted(store.glob("point-*.npz"))
    assert len(entries) == 3 and not list(store.glob("*.pkl"))
    entries[0].write_bytes(_pickle_bomb(marker))
    entries[1].write_bytes(_npz_with_pickled_array(marker))
    for entry in entries:  # the pickles an older physml wrote next to them
        entry.with_suffix(".pkl").write_bytes(_pickle_bomb(marker))
    computed = []

    def square_again(point):
        computed.append(point["size"])
        return _square(point)

    again = run_sweep(square_again, points, store=store)
    assert not marker.exists()
    assert len(computed) == 2
    assert [r["square"] for r in again] == [1, 4, 9]
    assert all(r["array"].dtype == np.int16 for r in again)
    # an entry of another point (renamed into this one's place) is computed again, not used
    entries = sorted(store.glob("point-*.npz"))
    entries[0].write_bytes(entries[1].read_bytes())
    computed.clear()
    assert [r["square"] for r in run_sweep(square_again, points, store=store)] == [1, 4, 9]
    assert len(computed) == 1


# -- the codec -------------------------------------------------------------------------------------
def _fortran(a: np.ndarray) -> bool:
    return a.flags.f_contiguous and not a.flags.c_contiguous


def _same(a, b) -> bool:
    """Equal in value and type, nan equal to nan, -0.0 distinct from 0.0."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a) and all(
            _same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return (a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
                and _fortran(a) == _fortran(b))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, complex):
        return _same(a.real, b.real) and _same(a.imag, b.imag)
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and _same(np.asarray(a), np.asarray(b))
    if dataclasses.is_dataclass(a):
        return all(_same(getattr(a, f.name), getattr(b, f.name)) for f in dataclasses.fields(a))
    return a == b


_DTYPES = st.sampled_from(["bool", "int8", "uint16", "int64", "float16", "float32", "float64",
                           "complex64", "complex128", "<U3", "S2"])
_SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, max_side=3)
_ARRAYS = _DTYPES.flatmap(lambda d: hnp.arrays(np.dtype(d), _SHAPES))
_SCALARS = _ARRAYS.filter(lambda a: a.size > 0).map(lambda a: a.reshape(-1)[0])
_LEAVES = (st.none() | st.booleans() | st.integers() | st.floats() | st.complex_numbers()
           | st.text(max_size=8) | _ARRAYS | _SCALARS)
_KEY_LEAVES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6)
_TAG_NAMES = st.sampled_from(["__tuple__", "__array__", "__dict__", "ordered"])
_KEYS = _KEY_LEAVES | st.tuples(_KEY_LEAVES, _KEY_LEAVES) | _TAG_NAMES
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(st.text(max_size=6), inner, max_size=4)
                   | st.dictionaries(_KEYS, inner, max_size=4)),
    max_leaves=12,
)


@pytest.mark.slow
@settings(max_examples=150, deadline=None)
@given(_VALUES)
def test_codec_round_trips_nested_values(value):
    assert _same(loads_value(dumps_value(value)), value)


def test_codec_round_trips_special_values():
    fortran = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    value = {"nan": math.nan, "inf": -math.inf, "zero": -0.0, "big": 2**100, "nul": "a\x00b",
             1: "int key", 2.5: "float key", (1, "a"): "tuple key", None: "none key",
             "__tuple__": "a tag's name as a key", "ordered": OrderedDict(b=1, a=2),
             "fortran": fortran, "view": np.arange(10)[::3], "empty": np.zeros((0, 4)),
             "f16": np.float16(1.5), "bool": np.bool_(True), "str": np.str_("x")}
    back = loads_value(dumps_value(value))
    assert _same(back, value)
    assert type(back["ordered"]) is OrderedDict and list(back["ordered"]) == ["b", "a"]


def test_codec_round_trips_torch_tensors_and_state_dicts():
    torch = pytest.importorskip("torch")
    layer = torch.nn.Linear(3, 2)
    tensors = {"f32": torch.arange(6.0).reshape(2, 3).T, "f64": torch.tensor([1.5], dtype=torch.float64),
               "bf16": torch.tensor([1.0, 2.5, -3.0], dtype=torch.bfloat16), "i64": torch.arange(3),
               "bool": torch.tensor([True, False]), "c64": torch.tensor([1 + 2j], dtype=torch.complex64),
               "grad": torch.ones(2, requires_grad=True), "state": layer.state_dict()}
    back = loads_value(dumps_value(tensors))
    for name in ("f32", "f64", "bf16", "i64", "bool", "c64", "grad"):
        assert back[name].dtype == tensors[name].dtype and torch.equal(back[name], tensors[name].detach())
        assert not back[name].requires_grad
    assert type(back["state"]) is type(layer.state_dict())
    other = torch.nn.Linear(3, 2)
    other.load_state_dict(back["state"])
    assert torch.equal(other.weight, layer.weight) and torch.equal(other.bias, layer.bias)


def test_codec_round_trips_fitted_models_and_physml_dataclasses():
    from physml import ebm

    X = (np.random.default_rng(0).random((40, 6)) < 0.5).astype(np.float64)
    rbm = ebm.RBM(n_components=3, n_iter=1, seed=0).fit(X)
    sweep = ebm.HopfieldCapacitySweep(8, np.array([0.1, 0.2]), np.array([1, 2]), np.zeros((2, 3)),
                                      np.ones((2, 3), bool), np.ones((2, 3), np.int64))
    back = loads_value(dumps_value({"model": rbm, "sweep": sweep}))
    assert type(back["model"]) is ebm.RBM
    ours, theirs = rbm._get_state()[1], back["model"]._get_state()[1]
    assert ours.keys() == theirs.keys() and all(np.array_equal(ours[k], theirs[k]) for k in ours)
    assert back["model"].get_params() == rbm.get_params()
    assert _same(back["sweep"], sweep)


@dataclasses.dataclass
class _Elsewhere:
    x: int


@pytest.mark.parametrize(
    ("value", "kind", "where"),
    [
        ({"x": [1, {2, 3}]}, "<class 'set'>", " at ['x'][1]"),
        (object(), "<class 'object'>", ""),
        ([lambda x: x], "<class 'function'>", " at [0]"),
        ({"a": _Elsewhere(1)}, "_Elsewhere'>", " at ['a']"),
        ({"a": np.array([None, 1])}, "<class 'numpy.ndarray'>", " at ['a'] of dtype object"),
        ({"a": np.ma.masked_array([1, 2])}, "MaskedArray'>", " at ['a'] (a subclass of numpy.ndarray"),
        ({frozenset([1]): 1}, "<class 'frozenset'>", " as a dict key"),
        ({"b": b"bytes"}, "<class 'bytes'>", " at ['b']"),
    ],
)
def test_unsupported_values_are_refused_with_one_clear_line(value, kind, where):
    with pytest.raises(TypeError) as info:
        dumps_value(value, what="ctx.map results")
    message = str(info.value)
    assert message.startswith(f"ctx.map results must be {STORABLE}; got ")
    assert kind in message and where in message and "\n" not in message


def test_unfitted_model_is_refused():
    from physml import ebm

    with pytest.raises(TypeError, match="RBM'> that cannot be stored"):
        dumps_value(ebm.RBM(), what="ctx.map results")


def _returns_a_set(i):
    return {i}


def test_ctx_map_reports_an_unstorable_result(tmp_path, temporary_experiments):
    @temporary_experiments("tmp-cache-set", claim="c", source="s")
    def experiment(ctx):
        ctx.map(_returns_a_set, range(2))

    [result] = run_experiments(["tmp-cache-set"], tmp_path)
    assert result.verdict == "error"
    assert "TypeError: ctx.map results must be" in result.error and "got <class 'set'>" in result.error


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "is empty"),
        (b"random bytes, not an archive", "not an .npz archive"),
        (dumps_value([1, 2, 3])[:40], "damaged or truncated"),
        (_forged_entry({"__dataclass__": "subprocess.Popen", "fields": {"args": "true"}}),
         "no physml dataclass"),
        (_forged_entry({"__dataclass__": "physml._core._io.Path", "fields": {}}), "no physml dataclass"),
        (_forged_entry({"__dataclass__": "physml.__main__.main", "fields": {}}), "no physml dataclass"),
        (_forged_entry({"__dataclass__": "physml.ebm.RBM", "fields": {}}), "no physml dataclass"),
        (_forged_entry({"__dataclass__": 3, "fields": {}}), "malformed dataclass"),
        (_forged_entry({"__model__": {"format": "physml.__main__.X", "version": 1, "params": {}, "state": {}},
                        "arrays": {}}), "names a __main__ module"),
        (_forged_entry({"__model__": {"format": "physml.ebm.RBM", "version": 1, "state": {},
                                      "params": {"x": {"__model__": "physml.__main__.X", "params": {}}}},
                        "arrays": {}}), "names a __main__ module"),
        (_forged_entry({"__model__": {"format": "os.system", "version": 1, "params": {}, "state": {}},
                        "arrays": {}}), "cannot be rebuilt"),
        (_forged_entry({"__array__": "a7"}), "does not hold"),
        (_forged_entry({"__tuple__": 3}), "malformed"),
        (_forged_entry({"__dict__": [[[1], 2]], "ordered": False}), "not hashable"),
        (_forged_entry({"__tensor__": "a0", "dtype": "float32", "x": 1}), "malformed tagged node"),
    ],
)
def test_damaged_or_foreign_entries_are_refused_and_treated_as_absent(data, why, tmp_path):
    marker = tmp_path / "marker"
    with pytest.raises(StoreError, match=why):
        loads_value(data, source="entry")
    store = ValueStore(tmp_path / "store")
    store.path("k").parent.mkdir()
    store.path("k").write_bytes(data)
    assert store.get("k", "absent") == "absent"
    with pytest.raises(KeyError):
        store.get("k")
    with pytest.raises(StoreError, match="pickled object array"):
        loads_value(_npz_with_pickled_array(marker))
    assert not marker.exists()


def test_store_writes_atomically_and_refuses_odd_keys(tmp_path):
    store = ValueStore(tmp_path / "s", what="results")
    store.put("map0-1", {"x": 1})
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["map0-1.npz"]
    assert store.get("map0-1") == {"x": 1}
    with pytest.raises(ValueError, match="store key"):
        store.put("../escape", 1)
    with pytest.raises(TypeError, match="^results must be"):
        store.put("bad", {1, 2})
    assert not (tmp_path / "s" / "bad.npz").exists()
