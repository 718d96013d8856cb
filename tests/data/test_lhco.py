"""LHC Olympics 2020 hadron files (pandas fixed format, read with h5py), their jet features, and
``read_columns`` on every input people have (.npz, .csv, .h5, pandas tables, ROOT through uproot).

The LHC Olympics files are written here with h5py exactly as pandas (through PyTables) writes a
DataFrame in the "fixed" format: the group ``df`` with ``axis0`` (column labels), ``axis1`` (row
labels), ``block0_items`` and ``block0_values`` (events along the first axis, the attribute
``transposed``), and pandas' group attributes. The events are built so that the answer is known
from four-vector sums and the N-subjettiness definition, without FastJet.
"""

from __future__ import annotations

import numpy as np
import pytest

import physml.data.collider._files as files
from physml.data.collider import (
    LHCO_HADRONS,
    cluster_dijets,
    lhco_features,
    lhco_info,
    nsubjettiness,
    read_columns,
    read_events,
    read_lhco,
)

h5py = pytest.importorskip("h5py")


def write_pandas_fixed(path, values, *, key="df", columns=None):
    """A 2-D float array as ``pandas.DataFrame(values).to_hdf(path, key=key)`` lays it out."""
    values = np.asarray(values, dtype=np.float64)
    n, k = values.shape
    columns = np.arange(k, dtype=np.int64) if columns is None else columns
    with h5py.File(path, "w") as f:
        g = f.create_group(key)
        for name, value in [("CLASS", "GROUP"), ("TITLE", ""), ("VERSION", "1.0"), ("pandas_type", "frame"),
                            ("pandas_version", "0.15.2"), ("encoding", "UTF-8"), ("errors", "strict"),
                            ("axis0_variety", "regular"), ("axis1_variety", "regular"),
                            ("block0_items_variety", "regular")]:
            g.attrs[name] = np.bytes_(value)  # PyTables writes strings as fixed-length bytes
        g.attrs["ndim"] = np.int64(2)
        g.attrs["nblocks"] = np.int64(1)
        kind = b"integer" if np.asarray(columns).dtype.kind in "iu" else b"string"
        rows = np.arange(n, dtype=np.int64)
        for name, data, what in [("axis0", columns, kind), ("axis1", rows, b"integer"),
                                 ("block0_items", columns, kind), ("block0_values", values, None)]:
            d = g.create_dataset(name, data=data, compression="gzip")
            for attr, text in [("CLASS", "ARRAY"), ("FLAVOR", "numpy"), ("TITLE", ""), ("VERSION", "2.4")]:
                d.attrs[attr] = np.bytes_(text)
            d.attrs["transposed"] = np.bool_(True)
            if what is not None:
                d.attrs["kind"] = np.bytes_(what)
    return path


def lhco_rows(events, labels=None):
    """Rows of the LHC Olympics layout: (pT, eta, phi) of each hadron, zero padded to 700."""
    rows = np.zeros((len(events), 3 * LHCO_HADRONS + (labels is not None)))
    for i, hadrons in enumerate(events):
        flat = np.asarray(hadrons, dtype=float).ravel()
        rows[i, : flat.size] = flat
    if labels is not None:
        rows[:, -1] = labels
    return rows


def four_vector(hadrons):
    """(E, px, py, pz) summed over massless (pT, eta, phi) hadrons."""
    h = np.asarray(hadrons, dtype=float)
    pt, eta, phi = h[:, 0], h[:, 1], h[:, 2]
    return np.array([(pt * np.cosh(eta)).sum(), (pt * np.cos(phi)).sum(), (pt * np.sin(phi)).sum(),
                     (pt * np.sinh(eta)).sum()])


def mass(p):
    return float(np.sqrt(p[0] ** 2 - p[1] ** 2 - p[2] ** 2 - p[3] ** 2))


# Jet A: three hadrons. The exclusive-kT (R = 1) distances d_ij = min(pT_i, pT_j)^2 ΔR_ij^2 are
# 6.25 (a1 a3), 231 (a2 a3) and 8100 (a1 a2): a3 joins a1 first, so with winner-take-all axes
# τ1 has its axis on a1 and τ2 its axes on a1 and a2: τ21 = (50·0.05) / (300·0.3 + 50·0.05).
JET_A = [(1000.0, 0.0, 0.0), (300.0, 0.3, 0.0), (50.0, 0.0, 0.05)]
TAU21_A = (50 * 0.05) / (300 * 0.3 + 50 * 0.05)
# Jet B: two hadrons across φ = ±π (each its own τ2 axis: τ2 = 0, τ21 = 0).
JET_B = [(800.0, 0.5, 3.1), (400.0, 0.6, -3.1)]


def boosted(hadrons, deta, dphi):
    """The same hadrons shifted in η (a longitudinal boost) and rotated in φ: features unchanged."""
    return [(pt, eta + deta, np.angle(np.exp(1j * (phi + dphi)))) for pt, eta, phi in hadrons]


EVENTS = [
    JET_A + JET_B,
    [(500.0, 0.1, 0.2)],  # a single jet: dropped
    boosted(JET_A + JET_B, 0.7, 1.0),
]


def expected_features():
    pa, pb = four_vector(JET_A), four_vector(JET_B)
    heavy, light = (JET_A, JET_B) if mass(pa) > mass(pb) else (JET_B, JET_A)
    return {"mjj": mass(pa + pb), "mj1": mass(four_vector(heavy)), "mj2": mass(four_vector(light)),
            "tau21_j1": TAU21_A if heavy is JET_A else 0.0, "tau21_j2": TAU21_A if light is JET_A else 0.0}


def test_the_known_answer_is_what_nsubjettiness_says():
    # the hand-derived τ21 of jet A from physml's own τ_N with the axes named above
    pt, eta, phi = np.array(JET_A).T
    tau1 = nsubjettiness(pt, eta, phi, [[0.0, 0.0]], radius=1.0)
    tau2 = nsubjettiness(pt, eta, phi, [[0.0, 0.0], [0.3, 0.0]], radius=1.0)
    assert tau2 / tau1 == pytest.approx(TAU21_A, rel=1e-12)


def test_cluster_dijets_gives_the_known_features():
    pytest.importorskip("fastjet")
    rows = lhco_rows(EVENTS)[:, : 3 * LHCO_HADRONS].reshape(len(EVENTS), LHCO_HADRONS, 3)
    table = cluster_dijets(rows[..., 0], rows[..., 1], rows[..., 2])
    np.testing.assert_array_equal(table["event"], [0, 2])
    # exact up to float rounding: FastJet sums the same four-vectors (relative 1e-9 is ~1e7 ulps)
    for name, value in expected_features().items():
        np.testing.assert_allclose(table[name], value, rtol=1e-9, atol=1e-12, err_msg=name)
    heavy = JET_A if mass(four_vector(JET_A)) > mass(four_vector(JET_B)) else JET_B
    for row, hadrons in enumerate([heavy, boosted(heavy, 0.7, 1.0)]):  # η of the jet's four-vector
        p = four_vector(hadrons)
        np.testing.assert_allclose(table["eta_j1"][row], np.arcsinh(p[3] / np.hypot(p[1], p[2])), rtol=1e-9)


def test_rd_file_features_labels_and_rows(tmp_path):
    pytest.importorskip("fastjet")
    src = write_pandas_fixed(tmp_path / "events_anomalydetection.h5", lhco_rows(EVENTS, labels=[1, 0, 0]))
    assert lhco_info(src) == {"key": "df", "n_events": 3, "n_hadrons": 700, "has_label": True}
    pt, eta, phi, label = read_lhco(src, 1, 3)
    assert pt.shape == (2, 700) and pt[0, 0] == 500.0 and eta[1, 0] == pytest.approx(0.7)
    np.testing.assert_array_equal(label, [0, 0])
    out = lhco_features(src, tmp_path / "feats.npz", chunk_size=2)
    table, meta = read_events(out, with_meta=True)
    np.testing.assert_array_equal(table["event"], [0, 2])
    np.testing.assert_array_equal(table["label"], [1, 0])
    for name, value in expected_features().items():
        np.testing.assert_allclose(table[name], value, rtol=1e-9, atol=1e-12, err_msg=name)
    assert meta["n_events"] == 3 and meta["n_kept"] == 2 and meta["n_dropped"] == 1
    assert not (tmp_path / "feats.npz.parts").exists()
    with pytest.raises(FileExistsError, match="exists; pass overwrite=True"):
        lhco_features(src, out)
    # one chunk or three: the same table
    again = read_events(lhco_features(src, tmp_path / "one.h5", chunk_size=1))
    for name in table:
        np.testing.assert_array_equal(again[name], table[name])


def test_black_box_file_has_no_label(tmp_path):
    pytest.importorskip("fastjet")
    src = write_pandas_fixed(tmp_path / "events_LHCO2020_BlackBox1.h5", lhco_rows(EVENTS))
    assert lhco_info(src)["has_label"] is False
    table = read_events(lhco_features(src, tmp_path / "f.npz"))
    assert "label" not in table and sorted(table) == sorted(
        ["mjj", "mj1", "mj2", "tau21_j1", "tau21_j2", "pt_j1", "pt_j2", "eta_j1", "eta_j2", "event"])


def test_an_interrupted_run_resumes_and_a_changed_input_is_refused(tmp_path, monkeypatch):
    pytest.importorskip("fastjet")
    src = write_pandas_fixed(tmp_path / "rd.h5", lhco_rows(EVENTS, labels=[1, 0, 0]))
    real = files._lhco_chunk
    starts, failed = [], []

    def flaky(args):
        starts.append(args[1])
        if args[1] == 1 and not failed:
            failed.append(True)
            raise RuntimeError("worker lost")
        return real(args)

    monkeypatch.setattr(files, "_lhco_chunk", flaky)
    out = tmp_path / "f.npz"
    with pytest.raises(Exception, match="worker lost"):
        lhco_features(src, out, chunk_size=1)
    assert not out.exists()
    assert sorted(p.name for p in (tmp_path / "f.npz.parts").glob("part-*")) == ["part-00000.npz",
                                                                                  "part-00002.npz"]
    with pytest.raises(ValueError, match="holds chunks of a different request"):
        lhco_features(src, out, chunk_size=1, radius=0.8)
    starts.clear()
    lhco_features(src, out, chunk_size=1)
    assert starts == [1]  # only the missing chunk
    np.testing.assert_array_equal(read_events(out)["event"], [0, 2])


def _datasets(path, **arrays):
    with h5py.File(path, "w") as f:
        for name, value in arrays.items():
            f.create_dataset(name, data=value)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: _datasets(p, mjj=np.ones(3)),
         r"not in the LHC Olympics layout .* found datasets mjj \(3,\)"),
        (lambda p: write_pandas_fixed(p, np.zeros((4, 30))),
         r"df/block0_values is float64 of shape \(4, 30\), not the LHC Olympics layout"),
        (lambda p: write_pandas_fixed(p, lhco_rows(EVENTS, labels=[0.5, 0, 1])),
         r"label column \(2100\) must hold whole numbers, got 0.5 in event 0"),
        (lambda p: write_pandas_fixed(p, np.where(np.arange(2100) == 3, -1.0, lhco_rows(EVENTS))),
         r"event 0, column 3 \(pT of hadron 1\) is -1; pT must be >= 0"),
        (lambda p: p.write_bytes(b"not an HDF5 file at all"), "is not a readable HDF5 file"),
        (lambda p: p.write_bytes(b""), "is empty"),
    ],
)
def test_a_file_not_in_the_layout_is_one_line_naming_it(tmp_path, make, message):
    path = tmp_path / "x.h5"
    make(path)
    with pytest.raises(ValueError, match=message) as info:
        read_lhco(path)
    text = str(info.value)
    assert text.startswith(str(path)) and "\n" not in text


def test_an_unavailable_compression_filter_is_named(tmp_path, monkeypatch):
    path = write_pandas_fixed(tmp_path / "x.h5", lhco_rows(EVENTS))
    monkeypatch.setattr(h5py.h5z, "filter_avail", lambda code: False)
    with pytest.raises(ValueError, match=r"df/block0_values is compressed with the HDF5 filter .*pip install "
                                         "hdf5plugin"):
        lhco_info(path)


def test_lhco_features_refuses_before_work(tmp_path):
    src = write_pandas_fixed(tmp_path / "x.h5", lhco_rows(EVENTS))
    with pytest.raises(ValueError, match="unknown event file type '.csv'"):
        lhco_features(src, tmp_path / "f.csv")
    with pytest.raises(ValueError, match="holds no events"):
        lhco_features(write_pandas_fixed(tmp_path / "none.h5", np.zeros((0, 2100))), tmp_path / "f.npz")
    with pytest.raises(ValueError, match="radius must be"):
        lhco_features(src, tmp_path / "f.npz", radius=0.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["none.h5", "x.h5"]


# -- read_columns -----------------------------------------------------------------------------


def test_read_columns_npz_csv_h5_and_pandas_tables(tmp_path):
    mjj = np.array([3000.0, 3100.0, 3200.0])
    np.savez(tmp_path / "e.npz", mjj=mjj, mj1=mjj / 10)
    (tmp_path / "e.csv").write_text("mjj, mj1\n3000,300\n3100,310\n3200,320\n")
    _datasets(tmp_path / "e.h5", **{"mjj": mjj, "jets/mj1": mjj / 10})
    columns = np.array([b"mjj", b"mj1"])
    write_pandas_fixed(tmp_path / "frame.h5", np.c_[mjj, mjj / 10], key="features", columns=columns)
    for name in ("e.npz", "e.csv", "e.h5", "frame.h5"):
        cols = read_columns(tmp_path / name)
        assert sorted(cols) == ["mj1", "mjj"], name
        np.testing.assert_array_equal(cols["mjj"], mjj)
        np.testing.assert_allclose(cols["mj1"], mjj / 10)
        assert list(read_columns(tmp_path / name, ["mj1"])) == ["mj1"]
        with pytest.raises(ValueError, match=rf"{name}: missing column\(s\) tau21_j1; present: mj1, mjj"):
            read_columns(tmp_path / name, ["mj1", "tau21_j1"])


def test_read_columns_refuses_hadrons_and_names_the_problem(tmp_path):
    src = write_pandas_fixed(tmp_path / "rd.h5", lhco_rows(EVENTS, labels=[1, 0, 0]))
    with pytest.raises(ValueError, match="is an LHC Olympics hadron file .* compute its jet features first"):
        read_columns(src)
    (tmp_path / "e.txt").write_text("mjj\n3000\n")
    with pytest.raises(ValueError, match="unknown file type '.txt'; accepted: .npz, .csv, .h5, .hdf5, .root"):
        read_columns(tmp_path / "e.txt", ["mjj"])
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_columns(tmp_path / "absent.npz")
    with pytest.raises(IsADirectoryError):
        read_columns(tmp_path)
    (tmp_path / "bad.csv").write_text("mjj,mj1\n3000,300\n3100\n")
    with pytest.raises(ValueError, match="every row must have one value per column name"):
        read_columns(tmp_path / "bad.csv")
    with pytest.raises(ValueError, match="tree='t' applies to ROOT files only"):
        read_columns(src, tree="t")
    with pytest.raises(TypeError, match=r"names must be a sequence of column names, got the string 'mjj'"):
        read_columns(tmp_path / "bad.csv", "mjj")


# -- ROOT -------------------------------------------------------------------------------------


@pytest.fixture
def root_file(tmp_path):
    uproot = pytest.importorskip("uproot")
    awkward = pytest.importorskip("awkward")
    path = tmp_path / "events.root"
    with uproot.recreate(path) as f:
        f.mktree("events", {"mjj": np.float64, "mj1": np.float32, "n": np.int32, "pt": "var * float64"})
        f["events"].extend({"mjj": np.array([3000.0, 3500.0]), "mj1": np.array([300.0, 500.0], np.float32),
                            "n": np.array([2, 3], np.int32),
                            "pt": awkward.Array([[1.0, 2.0], [3.0]])})
    return path


def test_read_columns_root_tree(root_file, tmp_path):
    cols = read_columns(root_file)
    # the list branch is left out when all are read; npt is the count branch uproot adds for it
    assert sorted(cols) == ["mj1", "mjj", "n", "npt"]
    np.testing.assert_array_equal(cols["mjj"], [3000.0, 3500.0])
    assert cols["mj1"].dtype == np.float32 and cols["n"].dtype == np.int32
    assert list(read_columns(root_file, ["mjj"])) == ["mjj"]
    assert list(read_columns(f"{root_file}:events", ["n"])) == ["n"]
    with pytest.raises(ValueError, match=r"events.root: tree 'events' has no branch tau21_j1; branches: mjj, "
                                         "mj1, n, npt, pt"):
        read_columns(root_file, ["mjj", "tau21_j1"])
    with pytest.raises(ValueError, match=r"branch 'pt' of tree 'events' holds .* per event; one number"):
        read_columns(root_file, ["pt"])


def test_read_columns_root_with_several_trees_or_none(tmp_path):
    uproot = pytest.importorskip("uproot")
    path = tmp_path / "two.root"
    with uproot.recreate(path) as f:
        for name, value in (("bkg", 1.0), ("sig", 2.0)):
            f.mktree(name, {"mjj": np.float64})
            f[name].extend({"mjj": np.full(3, value)})
        f["h"] = np.histogram(np.arange(5.0))
    message = r"two.root holds 2 trees \(bkg, sig\); choose one as .*two.root:TREE"
    with pytest.raises(ValueError, match=message) as e:
        read_columns(path)
    assert e.value.choices == ["bkg", "sig"]
    np.testing.assert_array_equal(read_columns(path, tree="sig")["mjj"], [2.0, 2.0, 2.0])
    np.testing.assert_array_equal(read_columns(f"{path}:bkg")["mjj"], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="has no tree 'zz'; it holds: bkg, sig"):
        read_columns(path, tree="zz")
    hist_only = tmp_path / "h.root"
    with uproot.recreate(hist_only) as f:
        f["h"] = np.histogram(np.arange(5.0))
    with pytest.raises(ValueError, match="holds no TTree or RNTuple"):
        read_columns(hist_only)
    (tmp_path / "junk.root").write_bytes(np.random.default_rng(0).integers(0, 256, 2048, np.uint8).tobytes())
    with pytest.raises(ValueError, match="junk.root: is not a readable ROOT file"):
        read_columns(tmp_path / "junk.root")


def test_read_columns_reads_an_rntuple(tmp_path):
    uproot = pytest.importorskip("uproot")
    path = tmp_path / "nt.root"
    with uproot.recreate(path) as f:
        f["events"] = {"mjj": np.array([3000.0, 3100.0])}  # uproot 5.7 writes a dict as an RNTuple
    np.testing.assert_array_equal(read_columns(path, ["mjj"])["mjj"], [3000.0, 3100.0])
