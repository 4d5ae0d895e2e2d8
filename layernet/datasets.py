"""Data for layernet runs: scikit-learn's toy generators and bundled sets, CSV files, splits, scaling.

scikit-learn is imported inside the functions, so ``import layernet`` stays light.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import DataError

__all__ = ["Dataset", "SOURCES", "load", "make_moons", "read_csv", "read_features_csv", "split", "Scaler"]

#: Data sources a run configuration can name.
SOURCES = ("moons", "circles", "blobs", "classification", "digits", "iris", "csv")


@dataclass
class Dataset:
    """Features, labels and their names."""

    X: np.ndarray
    y: np.ndarray
    name: str
    feature_names: list[str] = field(default_factory=list)
    label_name: str = "label"

    @property
    def n_samples(self) -> int:
        return self.X.shape[0]

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    @property
    def classes(self) -> np.ndarray:
        return np.unique(self.y)


def load(
    source: str,
    *,
    rng=None,
    n_samples: int = 200,
    noise: float = 0.2,
    n_features: int = 2,
    n_classes: int = 2,
    path: str | Path | None = None,
    label=-1,
) -> Dataset:
    """Load or generate a data set by name.

    Parameters
    ----------
    source : {"moons", "circles", "blobs", "classification", "digits", "iris", "csv"}
    rng : numpy RandomState or Generator-compatible seed, optional
        Drives the generators (``random_state`` of scikit-learn's ``make_*``).
    n_samples, noise : generated sources only
        ``noise`` is the moons and circles noise, and for blobs the clusters' standard deviation.
    n_features, n_classes : blobs and classification only
    path, label : csv only
        The file, and the label column by header name or index (negative counts from the end).
    """
    if source not in SOURCES:
        raise DataError(f"unknown data source {source!r}; known sources: {', '.join(SOURCES)}")
    if source == "csv":
        if path is None:
            raise DataError("data source 'csv' needs a path")
        return read_csv(path, label=label)
    if source == "moons" and (rng is None or isinstance(rng, (int, np.integer, np.random.RandomState))):
        X, y = make_moons(n_samples, noise=noise, rng=rng)
        return Dataset(X, y, source, ["x1", "x2"])
    from sklearn import datasets

    if source == "moons":
        X, y = datasets.make_moons(n_samples, noise=noise, random_state=rng)
        names = ["x1", "x2"]
    elif source == "circles":
        X, y = datasets.make_circles(n_samples, noise=noise, factor=0.5, random_state=rng)
        names = ["x1", "x2"]
    elif source == "blobs":
        X, y = datasets.make_blobs(
            n_samples, n_features=n_features, centers=n_classes, cluster_std=max(noise, 1e-3) * 5, random_state=rng
        )
        names = [f"x{i + 1}" for i in range(n_features)]
    elif source == "classification":
        informative = min(n_features, max(2, math.ceil(math.log2(n_classes)) + 1))
        X, y = datasets.make_classification(
            n_samples,
            n_features=n_features,
            n_informative=informative,
            n_redundant=0,
            n_classes=n_classes,
            n_clusters_per_class=1,
            random_state=rng,
        )
        names = [f"x{i + 1}" for i in range(n_features)]
    elif source == "digits":
        bunch = datasets.load_digits()
        X, y, names = bunch.data, bunch.target, list(bunch.feature_names)
    else:
        bunch = datasets.load_iris()
        X, y, names = bunch.data, bunch.target, list(bunch.feature_names)
    return Dataset(np.asarray(X, dtype=float), np.asarray(y), source, names)


def make_moons(n_samples: int = 100, noise: float | None = None, rng=None) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles: scikit-learn's ``make_moons``, draw for draw, without importing it.

    The reference run needs only this generator; importing scikit-learn for it would cost more
    than a second of ``layernet train``'s start-up. Given the same ``RandomState`` (or seed) it
    returns exactly what ``sklearn.datasets.make_moons(n_samples, noise=noise, random_state=rng)``
    does: the points, shuffled, then the noise, drawn from the stream in that order.
    """
    if rng is None:
        rng = np.random.mtrand._rand
    elif not isinstance(rng, np.random.RandomState):
        rng = np.random.RandomState(rng)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    angles_out = np.linspace(0, np.pi, n_out)
    angles_in = np.linspace(0, np.pi, n_in)
    X = np.empty((n_samples, 2))
    X[:n_out, 0] = np.cos(angles_out)
    X[:n_out, 1] = np.sin(angles_out)
    X[n_out:, 0] = 1 - np.cos(angles_in)
    X[n_out:, 1] = 1 - np.sin(angles_in) - 0.5
    y = np.concatenate([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    order = np.arange(n_samples)
    rng.shuffle(order)
    X, y = X[order], y[order]
    if noise is not None:
        X += rng.normal(scale=noise, size=X.shape)
    return X, y


def split(dataset: Dataset, test_size: float, rng=None, stratify: bool = True):
    """``(X_train, X_test, y_train, y_test)``; ``test_size`` 0 keeps everything for training."""
    if test_size == 0:
        return dataset.X, dataset.X[:0], dataset.y, dataset.y[:0]
    from sklearn.model_selection import train_test_split

    strata = dataset.y if stratify and np.unique(dataset.y).size > 1 else None
    try:
        return train_test_split(dataset.X, dataset.y, test_size=test_size, random_state=rng, stratify=strata)
    except ValueError:
        # Too few samples of some class to stratify: fall back to a plain random split.
        return train_test_split(dataset.X, dataset.y, test_size=test_size, random_state=rng)


@dataclass
class Scaler:
    """Standardization ``(X - mean) / scale`` fitted on training data, kept with a saved model."""

    mean: np.ndarray
    scale: np.ndarray

    @classmethod
    def fit(cls, X: np.ndarray) -> Scaler:
        from sklearn.preprocessing import StandardScaler

        fitted = StandardScaler().fit(X)
        return cls(np.asarray(fitted.mean_, dtype=float), np.asarray(fitted.scale_, dtype=float))

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale


def read_csv(path: str | Path, label=-1) -> Dataset:
    """Read numeric features and a label column from a CSV file, with or without a header.

    Parameters
    ----------
    path : str or Path
    label : int or str, default -1 (the last column)
        The label column, by index or by header name. Labels may be numbers or text.

    Raises
    ------
    DataError
        A missing file, a ragged row, a non-numeric or empty feature cell (named by row and
        column), or an unknown label column.
    """
    header, rows = _read_rows(path)
    n_columns = len(rows[0])
    names = header if header is not None else [f"column {i}" for i in range(n_columns)]
    if isinstance(label, str) and not label.lstrip("-").isdigit():
        if header is None or label not in header:
            known = ", ".join(header) if header else "none (the file has no header)"
            raise DataError(f"{path}: no column named {label!r}; columns: {known}")
        index = header.index(label)
    else:
        index = int(label)
        if not -n_columns <= index < n_columns:
            raise DataError(f"{path}: label column {index} is out of range for {n_columns} columns")
        index %= n_columns
    if n_columns < 2:
        raise DataError(f"{path}: needs at least one feature column and a label column, found {n_columns} column(s)")
    feature_columns = [i for i in range(n_columns) if i != index]
    X = _parse_numeric(path, rows, feature_columns, names)
    raw = [row[index].strip() for row in rows]
    for number, value in enumerate(raw):
        if value == "":
            raise DataError(f"{path}: row {rows.lines[number]}, column {names[index]!r}: the label is missing")
    y = _labels_from_text(raw)
    return Dataset(X, y, Path(path).name, [names[i] for i in feature_columns], names[index])


def read_features_csv(path: str | Path, n_features: int | None = None) -> tuple[np.ndarray, list[str]]:
    """Read a CSV of numeric features only (for prediction); ``n_features`` checks the width."""
    header, rows = _read_rows(path)
    n_columns = len(rows[0])
    if n_features is not None and n_columns != n_features:
        raise DataError(f"{path}: has {n_columns} column(s) but the model expects {n_features} feature(s)")
    names = header if header is not None else [f"column {i}" for i in range(n_columns)]
    return _parse_numeric(path, rows, list(range(n_columns)), names), names


def _read_rows(path):
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle)]
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: not a readable CSV text file ({error})") from None
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not numbered:
        raise DataError(f"{path}: the file holds no rows")
    header = None
    first_row = numbered[0][1]
    if not all(_is_number(cell) for cell in first_row) and not _looks_like_data(first_row, numbered[1:2]):
        header = [cell.strip() for cell in first_row]
        numbered = numbered[1:]
    if not numbered:
        raise DataError(f"{path}: the file has a header but no data rows")
    width = len(header) if header is not None else len(numbered[0][1])
    for number, row in numbered:
        if len(row) != width:
            raise DataError(f"{path}: row {number} has {len(row)} cells, expected {width}")
    # Messages name rows by their line in the file, blank lines and header included.
    return header, _NumberedRows([row for _, row in numbered], [number for number, _ in numbered])


class _NumberedRows(list):
    """Rows that remember their line numbers in the file, for error messages."""

    def __init__(self, rows, lines):
        super().__init__(rows)
        self.lines = lines


def _parse_numeric(path, rows: _NumberedRows, columns, names) -> np.ndarray:
    X = np.empty((len(rows), len(columns)), dtype=float)
    for r, row in enumerate(rows):
        for c, column in enumerate(columns):
            cell = row[column].strip()
            try:
                value = float(cell)
            except ValueError:
                what = "is empty" if cell == "" else f"is not a number: {cell!r}"
                raise DataError(f"{path}: row {rows.lines[r]}, column {names[column]!r} {what}") from None
            if not math.isfinite(value):
                raise DataError(f"{path}: row {rows.lines[r]}, column {names[column]!r} is not finite: {cell!r}")
            X[r, c] = value
    return X


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _looks_like_data(first_row, following) -> bool:
    # A first row with text cells is a header unless the next row has text in the same places
    # (string labels in a headerless file).
    if not following:
        return False
    second = following[0][1]
    return len(second) == len(first_row) and all(_is_number(a) == _is_number(b) for a, b in zip(first_row, second))


def _labels_from_text(raw: list[str]) -> np.ndarray:
    if all(_is_number(value) for value in raw):
        values = np.array([float(value) for value in raw])
        if np.all(values == np.round(values)):
            return values.astype(np.int64)
        return values
    return np.array(raw, dtype=object).astype(str)
