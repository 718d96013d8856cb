"""Input validation: one line naming the argument, whatever the bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from physml._core import check_array


def test_sparse_input_is_named_as_such():
    expected = r"X is a sparse csr_matrix; physml takes dense arrays \(use X.toarray\(\)\)"
    with pytest.raises(TypeError, match=expected):
        check_array(scipy.sparse.csr_matrix(np.eye(3)), "X")


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (np.full((3, 3), "a", dtype=object), "an array of dtype object and shape (3, 3)"),
        ([[1, "x"], [2, 3]], "[[1, 'x'], [2, 3]]"),
    ],
)
def test_a_value_that_is_no_number_array_is_one_line(value, shown):
    with pytest.raises(TypeError) as info:
        check_array(value, "X")
    text = str(info.value)
    assert "\n" not in text and shown in text and text.startswith("X must be convertible to float64 array")


def test_complex_input_is_refused_not_cast():
    with pytest.raises(ValueError, match="X holds complex numbers"):
        check_array(np.array([[1 + 2j, 3.0]]), "X")
    assert check_array(np.array([1 + 2j]), "z", dtype=complex)[0] == 1 + 2j


def test_the_number_of_features_is_checked_on_the_last_axis():
    x = np.zeros((4, 3))
    assert check_array(x, "X", n_features=3) is not None
    with pytest.raises(ValueError, match="^X has 3 features, but the model was fitted on 2$"):
        check_array(x, "X", n_features=2)
    with pytest.raises(ValueError, match="^X has 3 features, but the model was fitted on 2$"):
        check_array(np.zeros((2, 4, 3)), "X", n_features=2)
    assert check_array(np.zeros(3), "x", n_features=2).shape == (3,)  # 1-D: its length is no feature count
    with pytest.raises(ValueError, match="X must have 2 dimension"):  # the shape checks come first
        check_array(np.zeros((4, 3, 1)), "X", ndim=2, n_features=2)
