"""check_features and check_lambda: the boundary checks every public entry shares."""

from __future__ import annotations

import numpy as np
import pytest

from layernet.errors import DataError, LayerNetError
from layernet.validation import check_features, check_lambda


def test_features_come_back_c_contiguous_in_the_asked_dtype():
    X = np.asfortranarray(np.arange(6.0).reshape(3, 2))
    out = check_features(X, 2, dtype=np.float32)
    assert out.flags.c_contiguous and out.dtype == np.float32
    np.testing.assert_array_equal(out, X)


@pytest.mark.parametrize(
    "X, message",
    [
        ([1.0, 2.0], r"must be 2-D .* \(reshape a single feature"),
        (np.zeros((0, 2)), "empty: it has 0 samples"),
        (np.zeros((3, 0)), "0 features"),
        ([[1.0, np.inf]], "must be finite: it holds inf at row 0, column 1"),
        ([["a", "b"]], "must be a 2-D array of numbers"),
        (np.zeros((2, 3)), "has 3 features but the network's input layer expects 2"),
    ],
)
def test_bad_features_name_what_is_wrong(X, message):
    with pytest.raises(DataError, match=message):
        check_features(X, 2)


@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf"), "0.1", True, None])
def test_lambda_must_be_a_finite_non_negative_number(value):
    with pytest.raises(LayerNetError, match="lambda_ must be a finite number >= 0"):
        check_lambda(value)


def test_lambda_accepts_ints_and_numpy_floats():
    assert check_lambda(0) == 0.0 and check_lambda(np.float32(0.5)) == 0.5
