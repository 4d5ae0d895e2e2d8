"""Class labels <-> one-hot target rows, the course's ``y_matrix = eye(K)[y]`` for any labels."""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np

from .errors import DataError

__all__ = ["infer_classes", "encode_labels", "class_indices", "check_labels"]


def check_labels(y, n_samples: int | None = None, name: str = "y") -> np.ndarray:
    """Return ``y`` as a 1-D array of labels, rejecting NaN, infinity, wrong shapes and lengths.

    An object array is normalized to the kind its labels share: Python or numpy integers
    become an ``int64`` array, other real numbers ``float64`` (when exact), strings a string
    array; so ``[1, 2]`` as objects and ``[1, 2]`` as ints are the same labels to training,
    scoring and a saved model. Complex labels and labels of kinds that cannot be ordered
    together (``[1, "a"]``) are refused.
    """
    try:
        labels = np.asarray(y)
    except (TypeError, ValueError) as error:  # a ragged list: [[], 1, 0]
        raise DataError(f"{name} must be a 1-D array of labels: {error}") from None
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    if labels.ndim != 1:
        raise DataError(f"{name} must be 1-D (one label per sample), got shape {labels.shape}")
    if labels.shape[0] == 0:
        raise DataError(f"{name} is empty: it has 0 labels")
    if labels.dtype.kind == "c":
        raise DataError(f"{name} must hold real numbers or strings, got complex labels (dtype {labels.dtype})")
    if labels.dtype.kind == "f" and not np.isfinite(labels).all():
        row = int(np.flatnonzero(~np.isfinite(labels))[0])
        raise DataError(f"{name} must be finite: it holds {labels[row]} at row {row}")
    if labels.dtype.kind == "O":
        labels = _normalized(labels, name)
    if n_samples is not None and labels.shape[0] != n_samples:
        raise DataError(f"X has {n_samples} samples but {name} has {labels.shape[0]} labels")
    return labels


def _normalized(labels: np.ndarray, name: str) -> np.ndarray:
    """An object array of labels as the plain array its labels' kind gives (see check_labels)."""
    values = labels.tolist()
    for row, label in enumerate(values):
        if label is None:
            raise DataError(f"{name} holds a missing label (None) at row {row}")
        if isinstance(label, (complex, np.complexfloating)):
            raise DataError(f"{name} must hold real numbers or strings, got the complex label {label!r} at row {row}")
        if isinstance(label, Real) and not isinstance(label, Integral) and not math.isfinite(label):
            what = "a missing label (NaN)" if math.isnan(label) else f"the non-finite label {label!r}"
            raise DataError(f"{name} holds {what} at row {row}")
    if all(isinstance(label, str) for label in values):
        return labels.astype(str)
    if all(isinstance(label, (bool, np.bool_)) for label in values):
        return labels.astype(bool)
    if all(isinstance(label, Integral) and not isinstance(label, bool) for label in values):
        if all(_INT64.min <= label <= _INT64.max for label in values):
            return np.array(values, dtype=np.int64)
        return labels  # beyond int64: Python ints stay exact
    if all(isinstance(label, Real) and not isinstance(label, bool) for label in values):
        floats = np.array([float(label) for label in values])
        if all(float(label) == label for label in values):  # no integer above 2**53 rounded
            return floats
        return labels
    try:
        np.unique(labels)
    except TypeError:
        kinds = sorted({type(label).__name__ for label in values})
        raise DataError(
            f"{name} mixes labels of kinds that cannot be ordered together ({', '.join(kinds)}); "
            "give labels of one kind, e.g. all numbers or all strings"
        ) from None
    return labels


_INT64 = np.iinfo(np.int64)


def infer_classes(y: np.ndarray, n_outputs: int, classes=None) -> np.ndarray:
    """The sorted classes of ``y`` (or the given ``classes``), checked against the output layer.

    ``n_outputs`` units serve ``n_outputs`` classes; a single output unit serves two classes
    (logistic regression: the unit is the probability of the second class).
    """
    found = np.unique(y)
    if classes is None:
        classes = found
    else:
        classes = np.asarray(classes)
        if classes.ndim != 1 or classes.size == 0:
            raise DataError(f"classes must be a 1-D list of distinct labels, got {classes!r}")
        classes = check_labels(classes, name="classes")
        if len(np.unique(classes)) != len(classes):
            raise DataError(f"classes must be a 1-D list of distinct labels, got {classes!r}")
        try:
            unknown = np.setdiff1d(found, classes)
        except TypeError:
            raise DataError(
                f"y's labels ({found.dtype}) and classes ({classes.dtype}) are of kinds that cannot be compared"
            ) from None
        if unknown.size:
            raise DataError(f"y holds labels not in classes: {unknown[:5].tolist()}")
    capacity = 2 if n_outputs == 1 else n_outputs
    if len(classes) > capacity:
        raise DataError(
            f"y has {len(classes)} classes but the output layer has {n_outputs} unit(s), "
            f"which can tell apart at most {capacity}"
        )
    if len(classes) < capacity and n_outputs > 1:
        raise DataError(
            f"y has {len(classes)} classes but the output layer has {n_outputs} units; "
            "give an output layer with one unit per class, or pass classes= listing them all"
        )
    return classes


def encode_labels(y: np.ndarray, classes: np.ndarray, n_outputs: int, dtype=np.float64) -> np.ndarray:
    """One-hot rows of shape ``(n_samples, n_outputs)`` (a single 0/1 column for one output unit).

    Raises
    ------
    DataError
        A label of ``y`` is not among ``classes``.
    """
    index = class_indices(y, classes)
    if np.any(index < 0):
        missing = np.unique(y[index < 0])[:5].tolist()
        raise DataError(f"labels {missing} were not seen in training; known classes: {classes.tolist()}")
    if n_outputs == 1:
        return (index == 1).astype(dtype).reshape(-1, 1)
    Y = np.zeros((len(y), n_outputs), dtype=dtype)
    Y[np.arange(len(y)), index] = 1.0
    return Y


def class_indices(y: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """The position of each label of ``y`` in ``classes``; -1 where it is not there."""
    numeric = "biuf"
    if y.dtype.kind in numeric and classes.dtype.kind in numeric and _is_sorted(classes):
        index = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        return np.where(classes[index] == y, index, -1)
    position = {label: i for i, label in enumerate(classes.tolist())}
    return np.array([position.get(label, -1) for label in y.tolist()], dtype=np.intp)


def _is_sorted(classes: np.ndarray) -> bool:
    return bool(np.all(classes[:-1] < classes[1:]))
