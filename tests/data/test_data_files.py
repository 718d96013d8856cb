import numpy as np
import pytest

from physml.data import load_array


def test_npy_npz_csv_round_trip(tmp_path):
    x = np.arange(12.0).reshape(4, 3)
    np.save(tmp_path / "a.npy", x)
    np.savez(tmp_path / "b.npz", data=x)
    np.savez(tmp_path / "c.npz", one=x, two=x + 1)
    np.savetxt(tmp_path / "d.csv", x, delimiter=",", header="p,q,r", comments="")
    np.savetxt(tmp_path / "e.txt", x)
    np.savetxt(tmp_path / "f.tsv.txt", x, delimiter="\t")
    for name in ("a.npy", "b.npz", "d.csv", "e.txt", "f.tsv.txt"):
        np.testing.assert_array_equal(load_array(tmp_path / name), x)
    np.testing.assert_array_equal(load_array(tmp_path / "c.npz", key="two"), x + 1)


def test_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_array(tmp_path / "absent.npy")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValueError, match=r"unknown file type '.json'; accepted: .npy, .npz"):
        load_array(tmp_path / "x.json")
    np.savez(tmp_path / "c.npz", one=np.zeros(2), two=np.ones(2))
    with pytest.raises(ValueError, match=r"holds 2 arrays \(one, two\); choose one with key="):
        load_array(tmp_path / "c.npz")
    with pytest.raises(ValueError, match="has no array 'three'"):
        load_array(tmp_path / "c.npz", key="three")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="obj.npy: cannot read as npy"):
        load_array(tmp_path / "obj.npy")  # pickled objects are refused: loading must not run code
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,oops\n")
    with pytest.raises(ValueError, match="bad.csv: cannot read as csv"):
        load_array(tmp_path / "bad.csv")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="junk.npy: cannot read as npy"):
        load_array(tmp_path / "junk.npy")
