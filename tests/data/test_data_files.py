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
    with pytest.raises(ValueError, match=r"holds 2 arrays \(one, two\); choose one with key=") as info:
        load_array(tmp_path / "c.npz")
    assert info.value.choices == ["one", "two"]  # the command line words it as --key
    with pytest.raises(ValueError, match="has no array 'three'") as info:
        load_array(tmp_path / "c.npz", key="three")
    assert info.value.choices == ["one", "two"]
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="obj.npy: the array holds pickled Python objects"):
        load_array(tmp_path / "obj.npy")  # pickled objects are refused: loading must not run code
    (tmp_path / "bad.csv").write_text("a,b\n1,2\n3,oops\n")
    with pytest.raises(ValueError, match="bad.csv: cannot read as csv"):
        load_array(tmp_path / "bad.csv")
    (tmp_path / "junk.npy").write_bytes(b"not numpy")
    with pytest.raises(ValueError, match="junk.npy: is not a .npy file"):
        load_array(tmp_path / "junk.npy")


def test_an_hdf5_file_of_several_datasets_names_them(tmp_path):
    h5py = pytest.importorskip("h5py")
    x = np.arange(6.0).reshape(3, 2)
    with h5py.File(tmp_path / "d.h5", "w") as fh:
        fh["a"] = x
        fh["group/b"] = x + 1
    np.testing.assert_array_equal(load_array(tmp_path / "d.h5", key="group/b"), x + 1)
    with pytest.raises(ValueError, match=r"holds 2 arrays \(a, group/b\); choose one with key=") as info:
        load_array(tmp_path / "d.h5")
    assert info.value.choices == ["a", "group/b"]
    with pytest.raises(ValueError, match="has no array 'c'") as info:
        load_array(tmp_path / "d.h5", key="c")
    assert info.value.choices == ["a", "group/b"]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("col.csv", "x\n1\n2\n3\n", [[1.0], [2.0], [3.0]]),
        ("col.csv", "1\n2\n3\n", [[1.0], [2.0], [3.0]]),
        ("col.txt", "1\n2\n3\n", [[1.0], [2.0], [3.0]]),
        ("col.txt", "energy\n1\n2\n3\n", [[1.0], [2.0], [3.0]]),
        ("row.csv", "a,b,c\n1,2,3\n", [[1.0, 2.0, 3.0]]),
        ("row.csv", "1,2,3\n", [[1.0, 2.0, 3.0]]),
        ("row.txt", "1 2 3\n", [[1.0, 2.0, 3.0]]),
        ("row.txt", "1\t2\t3\n", [[1.0, 2.0, 3.0]]),
        ("one.csv", "5\n", [[5.0]]),
        ("bom.csv", "\ufeffa,b\n1,2\n", [[1.0, 2.0]]),  # the byte-order mark a spreadsheet writes
        ("late.csv", "\n# by hand\na,b\n1,2\n3,4\n", [[1.0, 2.0], [3.0, 4.0]]),  # header after a comment
    ],
)
def test_one_column_and_one_row_text_files_are_the_2d_tables_they_are(tmp_path, name, text, expected):
    (tmp_path / name).write_text(text, encoding="utf-8")
    np.testing.assert_array_equal(load_array(tmp_path / name), np.array(expected))


def _real_npz(path):
    np.savez(path, data=np.arange(200.0).reshape(40, 5))


def _real_npy(path):
    np.save(path, np.arange(200.0).reshape(40, 5))


def _first_half(write):
    def make(path):
        write(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    return make


def _random_bytes(path):
    path.write_bytes(np.random.default_rng(0).bytes(2000))


def _pickled_npy(path):
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)


def _pickled_npz(path):
    np.savez(path, objects=np.array([{"a": 1}], dtype=object), allow_pickle=True)


def _hdf5(path):
    import h5py

    with h5py.File(path, "w") as fh:
        fh["data"] = np.arange(200.0).reshape(40, 5)


#: (file name, how it is made, what the one-line message must say)
BAD_FILES = [
    ("d.npy", lambda p: p.write_bytes(b""), "is empty"),
    ("d.npz", lambda p: p.write_bytes(b""), "is empty"),
    ("d.csv", lambda p: p.write_bytes(b""), "is empty"),
    ("d.txt", lambda p: p.write_bytes(b""), "is empty"),
    ("d.h5", lambda p: p.write_bytes(b""), "is empty"),
    ("d.npz", _first_half(_real_npz), "damaged or truncated"),
    ("d.npy", _first_half(_real_npy), "is truncated: its header announces a float64 array of shape (40, 5)"),
    ("d.npy", lambda p: p.write_bytes(_npy_bytes()[:60]), "damaged or truncated"),  # half a header
    ("d.npz", _random_bytes, "is not an .npz archive"),
    ("d.npy", _random_bytes, "is not a .npy file"),
    ("d.h5", _random_bytes, "is not a readable HDF5 file"),
    ("d.npy", _pickled_npy, "pickled Python objects, which physml refuses to load"),
    ("d.npz", _pickled_npz, "pickled Python objects, which physml refuses to load"),
    ("d.npy", lambda p: p.mkdir(), "is a directory"),
    ("d.csv", lambda p: p.mkdir(), "is a directory"),
    ("d.csv", lambda p: p.write_text("a,b,c\n"), "no rows"),
    ("d.csv", lambda p: p.write_text("\n\n"), "no rows"),
    ("d.txt", lambda p: p.write_text("# a comment\n"), "no rows"),
    ("d.npy", lambda p: np.save(p, np.zeros((0, 3))), "no rows"),
    ("d.npy", lambda p: np.save(p, np.zeros((4, 0))), "has no columns"),
    ("d.npy", lambda p: np.save(p, np.zeros(0)), "no rows"),
    ("d.npz", lambda p: np.savez(p, x=np.zeros((0, 2))), "no rows"),
    ("d.csv", lambda p: p.write_bytes(bytes(range(256))), "is not a text file"),
    ("d.csv", lambda p: p.write_text("1,2,3\n4,5\n"), "the number of columns changed from 3 to 2"),
    ("d.npy", lambda p: _real_npz(p.with_suffix(".npz")) or p.with_suffix(".npz").rename(p),
     "is an .npz archive, not a .npy file"),
]


def _npy_bytes():
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.arange(200.0).reshape(40, 5))
    return buffer.getvalue()


@pytest.mark.parametrize(("name", "make", "message"), BAD_FILES,
                         ids=[f"{n}-{m.split()[-1]}" for n, _, m in BAD_FILES])
def test_a_bad_file_is_one_line_that_names_it(tmp_path, name, make, message):
    path = tmp_path / name
    make(path)
    with pytest.raises((ValueError, OSError)) as info:
        load_array(path)
    text = str(info.value)
    assert text.startswith(f"{path}: ") and message in text, text
    assert "\n" not in text and "allow_pickle" not in text and "usecols" not in text


def test_a_damaged_hdf5_file_is_one_line_that_names_it(tmp_path):
    pytest.importorskip("h5py")
    path = tmp_path / "d.h5"
    _first_half(_hdf5)(path)
    with pytest.raises(ValueError) as info:
        load_array(path)
    text = str(info.value)
    assert text.startswith(f"{path}: is damaged or truncated") and "\n" not in text, text


def test_a_directory_is_not_reported_as_missing(tmp_path):
    (tmp_path / "d.npy").mkdir()
    with pytest.raises(IsADirectoryError, match="is a directory") as info:
        load_array(tmp_path / "d.npy")
    assert "no such file" not in str(info.value)
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_array(tmp_path / "e.npy")
