"""labels: checking label arrays, inferring classes against the output layer, one-hot encoding
(against the course's eye(K)[y] and scikit-learn's LabelBinarizer), and class positions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import LabelBinarizer

from layernet import DataError
from layernet.labels import check_labels, class_indices, encode_labels, infer_classes

# -- check_labels ---------------------------------------------------------------------------------


def test_a_column_of_labels_becomes_one_dimensional():
    labels = check_labels(np.array([[1], [0], [1]]))
    assert labels.shape == (3,)
    np.testing.assert_array_equal(labels, [1, 0, 1])


def test_labels_of_any_kind_pass_unchanged():
    for y in ([0, 1, 1], ["cat", "dog"], [0.5, 2.5], np.array(["a", "b"], dtype=object)):
        np.testing.assert_array_equal(check_labels(y), np.asarray(y))


def test_integer_labels_held_as_objects_become_ints_and_mixed_kinds_are_refused():
    labels = check_labels(np.array([3, 1, 3], dtype=object))
    assert labels.dtype.kind == "i" and labels.tolist() == [3, 1, 3]
    with pytest.raises(DataError, match="mixes labels of kinds that cannot be ordered together"):
        check_labels(np.array(["a", 3], dtype=object))


@pytest.mark.parametrize(
    ("y", "kwargs", "message"),
    [
        ([[0, 1], [1, 0]], {}, r"y must be 1-D \(one label per sample\), got shape \(2, 2\)"),
        ([], {}, "y is empty: it has 0 labels"),
        ([0.0, 1.0, np.nan], {}, "y must be finite: it holds nan at row 2"),
        ([np.inf, 1.0], {}, "y must be finite: it holds inf at row 0"),
        (np.array(["a", None], dtype=object), {}, r"y holds a missing label \(None\) at row 1"),
        (np.array(["a", float("nan")], dtype=object), {}, "missing label"),
        ([0, 1], {"n_samples": 3}, "X has 3 samples but y has 2 labels"),
        ([0, 1], {"name": "y_val", "n_samples": 1}, "X has 1 samples but y_val has 2 labels"),
        (np.zeros((2, 1, 1)), {"name": "labels"}, "labels must be 1-D"),
    ],
)
def test_bad_labels(y, kwargs, message):
    with pytest.raises(DataError, match=message):
        check_labels(y, **kwargs)


# -- infer_classes --------------------------------------------------------------------------------


def test_classes_are_the_sorted_distinct_labels():
    np.testing.assert_array_equal(infer_classes(np.array([2, 0, 1, 2]), 3), [0, 1, 2])
    np.testing.assert_array_equal(infer_classes(np.array(["b", "a", "b"]), 2), ["a", "b"])


def test_one_output_unit_serves_two_classes_or_one():
    np.testing.assert_array_equal(infer_classes(np.array([5, 7, 5]), 1), [5, 7])
    np.testing.assert_array_equal(infer_classes(np.array([5, 5]), 1), [5])


def test_given_classes_keep_their_order_and_may_be_unseen():
    classes = infer_classes(np.array(["b", "b"]), 3, classes=["c", "b", "a"])
    np.testing.assert_array_equal(classes, ["c", "b", "a"])


@pytest.mark.parametrize(
    ("y", "n_outputs", "classes", "message"),
    [
        ([0, 1, 2], 2, None, r"3 classes but the output layer has 2 unit\(s\), which can tell apart at most 2"),
        ([0, 1, 2], 1, None, "at most 2"),
        ([0, 0], 2, None, "1 classes but the output layer has 2 units.*pass classes="),
        ([0, 1], 2, [0, 0], "distinct"),
        ([0, 1], 2, [[0, 1]], "1-D list of distinct labels"),
        ([0, 1, 3], 3, [0, 1, 2], r"y holds labels not in classes: \[3\]"),
    ],
)
def test_classes_that_do_not_fit(y, n_outputs, classes, message):
    with pytest.raises(DataError, match=message):
        infer_classes(np.array(y), n_outputs, classes)


# -- encode_labels --------------------------------------------------------------------------------


def test_one_hot_rows_are_the_courses_eye_k_of_y():
    y = np.array([2, 0, 1, 2, 2])
    Y = encode_labels(y, np.array([0, 1, 2]), 3)
    np.testing.assert_array_equal(Y, np.eye(3)[y])  # the course's y_matrix = eye(K)(y, :)
    assert Y.dtype == np.float64 and Y.flags.c_contiguous


@pytest.mark.parametrize(
    ("y", "classes", "n_outputs"),
    [
        (["dog", "cat", "emu", "cat"], ["cat", "dog", "emu"], 3),
        (["dog", "cat", "cat"], ["cat", "dog"], 1),
        ([3, 1, 1, 3], [1, 3], 1),
        ([10, 30, 20], [10, 20, 30], 3),
    ],
)
def test_encoding_matches_scikit_learns_label_binarizer(y, classes, n_outputs):
    expected = LabelBinarizer().fit(classes).transform(y)  # one column for two classes
    np.testing.assert_array_equal(encode_labels(np.array(y), np.array(classes), n_outputs), expected)


def test_given_class_order_sets_the_columns():
    Y = encode_labels(np.array(["a", "c"]), np.array(["c", "b", "a"]), 3)
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0]])


def test_the_dtype_is_the_networks():
    assert encode_labels(np.array([0, 1]), np.array([0, 1]), 2, dtype=np.float32).dtype == np.float32


def test_unseen_labels_are_named():
    with pytest.raises(DataError, match=r"labels \['owl'\] were not seen in training; known classes: \['cat', 'dog'\]"):
        encode_labels(np.array(["cat", "owl", "owl"]), np.array(["cat", "dog"]), 2)


# -- class_indices --------------------------------------------------------------------------------


def positions_by_hand(y, classes):
    """The oracle: list.index, -1 where the label is missing."""
    classes = list(classes)
    return [classes.index(label) if label in classes else -1 for label in y]


@pytest.mark.parametrize(
    ("y", "classes"),
    [
        ([3, 1, 2, 7, 0], [1, 2, 3]),  # sorted numbers: the binary-search path, misses below and above
        ([3, 1, 2], [3, 1, 2]),  # unsorted numbers: the dictionary path
        ([1.0, 2.5, 2.0], [1, 2]),  # floats against ints
        (["b", "z", "a"], ["a", "b"]),
        ([True, False], [False, True]),
    ],
)
def test_class_indices_match_list_index(y, classes):
    y, classes = np.array(y), np.array(classes)
    assert class_indices(y, classes).tolist() == positions_by_hand(y.tolist(), classes.tolist())


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=30),
    st.sets(st.integers(-5, 5), min_size=1, max_size=8),
    st.booleans(),
)
def test_class_indices_agree_with_list_index_for_any_integers(y, classes, shuffle):
    ordered = sorted(classes)
    if shuffle:
        ordered = ordered[::-1]
    result = class_indices(np.array(y), np.array(ordered))
    assert result.tolist() == positions_by_hand(y, ordered)
