"""Data for layernet runs: scikit-learn's toy generators and bundled sets, CSV files, splits, scaling.

The moons, circles and blobs come from numpy copies of scikit-learn's generators (see
:func:`make_moons`); the other sources import scikit-learn inside the functions, so ``import
layernet`` stays light.
"""

from __future__ import annotations

import csv
import errno
import math
import numbers
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ._checks import check_regular_file
from .errors import DataError
from .features import match_columns

__all__ = [
    "Dataset",
    "SOURCES",
    "REGRESSION_SOURCES",
    "load",
    "read_csv",
    "read_features",
    "read_features_csv",
    "split",
]

#: Data sources a run configuration can name.
SOURCES = (
    "moons", "circles", "blobs", "classification", "digits", "iris", "regression", "friedman1", "diabetes", "csv",
)  # fmt: skip
#: The sources whose targets are continuous (a regression problem); csv is either.
REGRESSION_SOURCES = ("regression", "friedman1", "diabetes")


@dataclass
class Dataset:
    """Features, labels (or regression targets) and their names."""

    X: np.ndarray
    y: np.ndarray
    name: str
    feature_names: list[str] = field(default_factory=list)
    label_name: str = "label"
    #: Whether the names came from the data (a CSV header), not made up ("column 0", ...).
    named: bool = False
    #: "classification" (``y`` holds labels) or "regression" (``y`` holds float targets).
    task: str = "classification"

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
    task: str | None = None,
) -> Dataset:
    """Load or generate a data set by name.

    Parameters
    ----------
    source : {"moons", "circles", "blobs", "classification", "digits", "iris", "regression", \
"friedman1", "diabetes", "csv"}
        ``regression``, ``friedman1`` and ``diabetes`` are scikit-learn's ``make_regression``
        (``n_features`` features, all informative, ``noise`` the noise's standard deviation),
        ``make_friedman1`` (10 features, ``noise`` likewise) and ``load_diabetes`` (442 samples,
        10 features): continuous targets, ``task = "regression"``.
    rng : None, int or numpy RandomState, optional
        Drives the generators, as ``random_state`` drives scikit-learn's ``make_*``.
    n_samples, noise : generated sources only
        ``noise`` is the moons and circles noise, and for blobs the clusters' standard deviation.
    n_features, n_classes : blobs and classification only
    path, label : csv only
        The file, and the label column by header name or index (negative counts from the end).
    task : {"classification", "regression"} or None, csv only
        ``"regression"`` reads the label column as numeric targets (float64).
    """
    if source not in SOURCES:
        raise DataError(f"unknown data source {source!r}; known sources: {', '.join(SOURCES)}")
    if source == "csv":
        if path is None:
            raise DataError("data source 'csv' needs a path")
        return read_csv(path, label=label, task=task)
    if source in REGRESSION_SOURCES:
        return _regression_from_sklearn(source, rng, n_samples, noise, n_features)
    if source == "moons":
        X, y = make_moons(n_samples, noise, rng)
    elif source == "circles":
        X, y = make_circles(n_samples, noise, 0.5, rng)
    elif source == "blobs":
        X, y = make_blobs(n_samples, n_features, n_classes, max(noise, 1e-3) * 5, rng)
    else:
        X, y, names = _from_sklearn(source, rng, n_samples, n_features, n_classes)
        label_name = "species" if source == "iris" else "label"
        return Dataset(np.asarray(X, dtype=float), np.asarray(y), source, names, label_name)
    return Dataset(X, y, source, [f"x{i + 1}" for i in range(X.shape[1])])


def _from_sklearn(source: str, rng, n_samples: int, n_features: int, n_classes: int):
    """``(X, y, feature_names)`` from scikit-learn: make_classification, digits and iris."""
    from sklearn import datasets

    if source == "classification":
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
        return X, y, [f"x{i + 1}" for i in range(n_features)]
    if source == "digits":
        bunch = datasets.load_digits()  # its class names are the digits themselves
        return bunch.data, bunch.target, list(bunch.feature_names)
    bunch = datasets.load_iris()
    # The species by name, so summaries, confusion matrices, predictions and plots say "setosa",
    # not 0; sorted, the names keep the targets' order (setosa, versicolor, virginica).
    return bunch.data, bunch.target_names[bunch.target].astype(str), list(bunch.feature_names)


def _regression_from_sklearn(source: str, rng, n_samples: int, noise: float, n_features: int) -> Dataset:
    from sklearn import datasets

    if source == "diabetes":
        bunch = datasets.load_diabetes()
        X, y, names = bunch.data, bunch.target, list(bunch.feature_names)
    elif source == "friedman1":
        X, y = datasets.make_friedman1(n_samples, noise=noise, random_state=rng)
        names = [f"x{i + 1}" for i in range(X.shape[1])]
    else:
        X, y = datasets.make_regression(n_samples, n_features, noise=noise, random_state=rng)
        names = [f"x{i + 1}" for i in range(n_features)]
    return Dataset(np.asarray(X, dtype=float), np.asarray(y, dtype=float), source, names, "target", task="regression")


# numpy copies of scikit-learn's make_moons, make_circles and make_blobs (for the arguments
# layernet passes). Why not call scikit-learn: importing it takes about 2 s, five times
# `layernet train`'s whole reference run, and these are a few lines of numpy. Each copy draws
# from the RandomState exactly as scikit-learn does (the shuffle first, then the noise), so a
# run's stream continues to the same initial weights; tests/test_datasets.py pins them to
# scikit-learn draw for draw, bit for bit, including the state left behind.


def _random_state(seed) -> np.random.RandomState:
    """The RandomState ``seed`` names, as scikit-learn's ``check_random_state`` gives it."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral):
        return np.random.RandomState(seed)
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState instance")


def _shuffled(X: np.ndarray, y: np.ndarray, rs: np.random.RandomState):
    # sklearn.utils.shuffle: one in-place shuffle of the row indices.
    order = np.arange(len(y))
    rs.shuffle(order)
    return X[order], y[order]


def _two_arcs(n_samples: int, noise: float, rng, outer, inner):
    rs = _random_state(rng)
    n_outer = n_samples // 2
    x1, y1 = outer(n_outer)
    x2, y2 = inner(n_samples - n_outer)
    X = np.vstack([np.append(x1, x2), np.append(y1, y2)]).T
    y = np.hstack([np.zeros(n_outer, dtype=np.intp), np.ones(n_samples - n_outer, dtype=np.intp)])
    X, y = _shuffled(X, y, rs)
    if noise is not None:
        X += rs.normal(scale=noise, size=X.shape)
    return X, y


def make_moons(n_samples: int, noise: float, rng=None):
    """scikit-learn's ``make_moons(n_samples, noise=noise, random_state=rng)``, in numpy."""

    def outer(n):
        return np.cos(np.linspace(0, np.pi, n)), np.sin(np.linspace(0, np.pi, n))

    def inner(n):
        return 1 - np.cos(np.linspace(0, np.pi, n)), 1 - np.sin(np.linspace(0, np.pi, n)) - 0.5

    return _two_arcs(n_samples, noise, rng, outer, inner)


def make_circles(n_samples: int, noise: float, factor: float, rng=None):
    """scikit-learn's ``make_circles(n_samples, noise=noise, factor=factor, random_state=rng)``."""

    def circle(scale):
        def points(n):
            t = np.linspace(0, 2 * np.pi, n, endpoint=False)
            return (np.cos(t), np.sin(t)) if scale is None else (np.cos(t) * scale, np.sin(t) * scale)

        return points

    return _two_arcs(n_samples, noise, rng, circle(None), circle(factor))


def make_blobs(n_samples: int, n_features: int, centers: int, cluster_std: float, rng=None):
    """scikit-learn's ``make_blobs(n_samples, n_features, centers=centers, cluster_std=...)``."""
    rs = _random_state(rng)
    means = rs.uniform(-10.0, 10.0, size=(centers, n_features))
    counts = [n_samples // centers + (i < n_samples % centers) for i in range(centers)]
    X = np.vstack([rs.normal(loc=means[i], scale=cluster_std, size=(n, n_features)) for i, n in enumerate(counts)])
    y = np.repeat(np.arange(centers), counts)
    return _shuffled(X, y, rs)


def split(dataset: Dataset, test_size: float, rng=None, stratify: bool = True):
    """``(X_train, X_test, y_train, y_test)``; ``test_size`` 0 keeps everything for training.

    Classes are stratified; regression targets are split at random.
    """
    if test_size == 0:
        return dataset.X, dataset.X[:0], dataset.y, dataset.y[:0]
    from sklearn.model_selection import train_test_split

    if dataset.task == "regression":
        return train_test_split(dataset.X, dataset.y, test_size=test_size, random_state=rng)

    strata = dataset.y if stratify and np.unique(dataset.y).size > 1 else None
    try:
        return train_test_split(dataset.X, dataset.y, test_size=test_size, random_state=rng, stratify=strata)
    except ValueError:
        # Too few samples of some class to stratify: fall back to a plain random split.
        return train_test_split(dataset.X, dataset.y, test_size=test_size, random_state=rng)


def read_csv(path: str | Path, label=-1, task: str | None = None, *, feature_names=None) -> Dataset:
    """Read numeric features and a label column from a CSV file, with or without a header.

    Parameters
    ----------
    path : str or Path
    label : int or str, default -1 (the last column)
        The label column, by index or by header name. Labels may be numbers or text.
    task : {"classification", "regression"} or None
        ``"regression"``: the label column holds numeric targets, read as float64.
    feature_names : list of str, optional
        A model's features (:attr:`Network.feature_names`): a file with a header must have
        exactly these feature columns, in any order, and they are returned in this order. A
        headerless file is read by position.

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
    if feature_names is not None and header is not None:
        found = [names[i] for i in feature_columns]
        order, _ = match_columns(found, feature_names, source=str(path))
        feature_columns = [feature_columns[i] for i in order]
    X = _parse_numeric(path, rows, feature_columns, names)
    raw = [row[index].strip() for row in rows]
    for number, value in enumerate(raw):
        if value == "":
            raise DataError(f"{path}: row {rows.lines[number]}, column {names[index]!r}: the label is missing")
    if task == "regression":
        y = _parse_numeric(path, rows, [index], names)[:, 0]
        task = "regression"
    else:
        y = _labels_from_text(path, raw, rows.lines)
        task = "classification"
    columns = [names[i] for i in feature_columns]
    return Dataset(X, y, Path(path).name, columns, names[index], named=header is not None, task=task)


def read_features_csv(path: str | Path, n_features: int | None = None) -> tuple[np.ndarray, list[str]]:
    """Read a CSV of numeric features only (for prediction); ``n_features`` checks the width."""
    header, rows = _read_rows(path)
    n_columns = len(rows[0])
    if n_features is not None and n_columns != n_features:
        raise DataError(f"{path}: has {n_columns} column(s) but the model expects {n_features} feature(s)")
    names = header if header is not None else [f"column {i}" for i in range(n_columns)]
    return _parse_numeric(path, rows, list(range(n_columns)), names), names


def read_features(
    path: str | Path, n_features: int, *, feature_names=None, label_name=None
) -> tuple[np.ndarray, str | None]:
    """Read a CSV of features to predict from, matched to a model's features.

    With ``feature_names`` (the model's) and a header, columns are taken by name in the
    model's order, and a column named ``label_name`` is dropped; other names are refused. A
    headerless file (or a model without names) is read by position and must have
    ``n_features`` columns.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    dropped : str or None
        The label column that was dropped.

    Raises
    ------
    DataError
        Columns that do not match (named), a wrong width, a cell that is not a number.
    """
    header, rows = _read_rows(path)
    n_columns = len(rows[0])
    dropped = None
    if header is not None and feature_names is not None:
        columns, dropped = match_columns(header, feature_names, label_name, source=str(path))
    elif header is not None and label_name is not None and label_name in header and n_columns == n_features + 1:
        dropped = label_name
        columns = [i for i, name in enumerate(header) if name != label_name]
    else:
        if n_columns != n_features:
            raise DataError(f"{path}: has {n_columns} column(s) but the model expects {n_features} feature(s)")
        columns = list(range(n_columns))
    names = header if header is not None else [f"column {i}" for i in range(n_columns)]
    return _parse_numeric(path, rows, columns, names), dropped


#: Parsed into Python strings, a CSV takes about this many times its size in memory.
_CSV_MEMORY_FACTOR = 10


def _check_csv_file(path: Path) -> None:
    """Refuse, before opening it, a path that is no regular file or too large to parse here.

    A device (``/dev/zero``, ``/dev/urandom``) or a FIFO would be read for ever or block, and a
    file whose parsed rows cannot fit in memory would end in a MemoryError after minutes.
    """
    try:
        info = os.stat(path)
    except OSError:
        return  # the open below names the reason (missing file, too long a name, ...)
    if stat.S_ISDIR(info.st_mode):
        return  # named by the open below
    check_regular_file(path, "CSV", error=DataError)
    from .threads import available_memory

    available = available_memory()
    if available is not None and info.st_size * _CSV_MEMORY_FACTOR > available:
        raise DataError(
            f"{_short(path)}: is {info.st_size / 2**20:,.0f} MiB; reading it needs about "
            f"{info.st_size * _CSV_MEMORY_FACTOR / 2**30:,.1f} GiB of memory and "
            f"{available / 2**30:,.1f} GiB is available"
        )


def _read_rows(path):
    path = Path(path)
    _check_csv_file(path)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = [row for row in csv.reader(handle)]
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise DataError(f"{path}: is a directory, not a CSV file") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise DataError(f"{path}: not a readable CSV text file ({error})") from None
    except OSError as error:
        # e.g. ENAMETOOLONG for a 5,000-character name, EACCES, ELOOP: name the file and the reason.
        reason = error.strerror or type(error).__name__
        if error.errno == errno.ENAMETOOLONG:
            reason = f"the path is too long ({len(str(path))} characters)"
        raise DataError(f"{_short(path)}: cannot be read: {reason}") from None
    numbered = [(i + 1, row) for i, row in enumerate(rows) if any(cell.strip() for cell in row)]
    if not numbered:
        raise DataError(f"{path}: the file holds no rows")
    header = None
    first_row = numbered[0][1]
    if _is_index_header(first_row) or (
        not all(_is_number(cell) for cell in first_row) and not _looks_like_data(first_row, numbered[1:2])
    ):
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


def _is_index_header(row) -> bool:
    """Whether ``row`` is exactly ``0,1,...,n-1``: pandas' header for unnamed columns.

    ``pd.DataFrame(X).to_csv(index=False)`` writes that header; read as data, it would add a
    made-up first sample. A data row that is exactly these integers is far less likely, and
    only for two or more columns is the pattern distinctive enough to decide on.
    """
    return len(row) >= 2 and [cell.strip() for cell in row] == [str(i) for i in range(len(row))]


def _short(path) -> str:
    """The path for a message, its middle elided when it is very long."""
    text = str(path)
    return text if len(text) <= 120 else f"{text[:60]}...{text[-40:]}"


def _looks_like_data(first_row, following) -> bool:
    # A first row with text cells is a header unless the next row has text in the same places
    # (string labels in a headerless file).
    if not following:
        return False
    second = following[0][1]
    return len(second) == len(first_row) and all(_is_number(a) == _is_number(b) for a, b in zip(first_row, second))


def _labels_from_text(path, raw: list[str], lines) -> np.ndarray:
    """Labels from their text: integers as ``int64``, other numbers as ``float64``, else strings.

    Numbers are kept exact: integer text is read as an integer (``9007199254740993`` is not
    rounded through a float), integral floats (``1.0``, ``1e3``) become integers only within
    int64's range, and integer text beyond int64 keeps the labels as text. Non-finite labels
    (``inf``, ``nan``) are refused.
    """
    if not all(_is_number(value) for value in raw):
        return np.array(raw, dtype=object).astype(str)
    numbers = [float(value) for value in raw]
    for number, (value, text) in enumerate(zip(numbers, raw)):
        if not math.isfinite(value):
            raise DataError(f"{path}: row {lines[number]}: the label {text!r} is not a finite number")
    integers = [_as_int(text) for text in raw]
    if all(i is not None for i in integers):
        if all(_INT64.min <= i <= _INT64.max for i in integers):
            return np.array(integers, dtype=np.int64)
        return np.array(raw, dtype=str)  # integers beyond int64: a float would merge neighbours
    values = np.array(numbers)
    if np.all(values == np.round(values)) and np.all(np.abs(values) < 2.0**63):
        return values.astype(np.int64)
    return values


_INT64 = np.iinfo(np.int64)


def _as_int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None
