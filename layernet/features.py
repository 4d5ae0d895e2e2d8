"""The feature and label names a network records, and a CSV's columns matched to them by name.

A network trained on named features (a CSV header, a DataFrame's columns) keeps their names in
order (:attr:`Network.feature_names`) and the label column's (:attr:`Network.label_name`); a
saved model keeps both. Data given later with a header is then matched by name: columns in
another order are reordered, the label column is dropped, and any other difference is refused --
swapped columns would otherwise be predicted from silently. Data without names is used by position.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import DataError, LayerNetError

__all__ = [
    "MAX_NAME_CHARACTERS",
    "check_feature_names",
    "check_label_name",
    "label_of",
    "match_columns",
    "names_of",
    "usable_label",
    "usable_names",
]

#: The longest feature or label name accepted (a model file's names are checked against it).
MAX_NAME_CHARACTERS = 1000
_SHOWN = 8  # names listed in a message before "... (N in all)"


def check_feature_names(names, n_features: int, *, error=LayerNetError) -> list[str] | None:
    """``names`` as a list of ``n_features`` distinct, non-empty strings (None passes through)."""
    if names is None:
        return None
    if isinstance(names, (str, bytes)) or not isinstance(names, Sequence) and not hasattr(names, "tolist"):
        raise error(f"feature names must be a list of strings, got {type(names).__name__}")
    names = list(names.tolist() if hasattr(names, "tolist") else names)
    if len(names) != n_features:
        raise error(f"feature names must name all {n_features} feature(s), got {len(names)} name(s)")
    for name in names:
        _check_name(name, "feature name", error)
    if len(set(names)) != len(names):
        repeated = sorted({name for name in names if names.count(name) > 1})
        raise error(f"feature names must be distinct; repeated: {_listed(repeated)}")
    return names


def check_label_name(name, *, error=LayerNetError) -> str | None:
    """``name`` if it is None or a non-empty string of at most :data:`MAX_NAME_CHARACTERS`."""
    return None if name is None else _check_name(name, "label name", error)


def _check_name(name, what: str, error) -> str:
    if not isinstance(name, str) or not name or len(name) > MAX_NAME_CHARACTERS:
        shown = repr(name) if not isinstance(name, str) or len(name) <= 60 else f"a name of {len(name)} characters"
        raise error(f"a {what} must be a non-empty string of at most {MAX_NAME_CHARACTERS} characters, got {shown}")
    return name


def names_of(X) -> list[str] | None:
    """A DataFrame's column names when they can name its features, else None.

    They can when they are all strings (as scikit-learn decides), distinct and at most
    :data:`MAX_NAME_CHARACTERS` long: repeated names could not be matched by name later.
    """
    columns = getattr(X, "columns", None)
    return None if columns is None else usable_names(list(columns))


def usable_names(names) -> list[str] | None:
    """``names`` as a list if they are distinct, non-empty strings of a permitted length, else None."""
    try:
        return check_feature_names(names, len(names))
    except LayerNetError:
        return None


def label_of(y) -> str | None:
    """A Series' name when it is a usable string, else None."""
    return usable_label(getattr(y, "name", None))


def usable_label(name) -> str | None:
    """``name`` if it is a non-empty string of a permitted length, else None."""
    try:
        return check_label_name(name) if isinstance(name, str) else None
    except LayerNetError:
        return None


def match_columns(
    header: Sequence[str], feature_names: Sequence[str], label_name: str | None = None, *, source: str = "the data"
) -> tuple[list[int], str | None]:
    """Where each of ``feature_names`` is in ``header``, and the label column found there (to drop).

    Returns
    -------
    columns : list of int
        ``header``'s index of each feature, in the network's order.
    dropped : str or None
        ``label_name`` when ``header`` holds it (and it is no feature name).

    Raises
    ------
    DataError
        ``header`` lacks some features or holds other columns: the message names both and the
        model's features.
    """
    header = list(header)
    position = {name: index for index, name in enumerate(header)}
    missing = [name for name in feature_names if name not in position]
    dropped = label_name if label_name in position and label_name not in feature_names else None
    extra = [name for name in header if name not in set(feature_names) and name != dropped]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing {_listed(missing)}")
        if extra:
            parts.append(f"not features of the model: {_listed(extra)}")
        raise DataError(
            f"{source}: its columns do not match the features the model was trained on ({'; '.join(parts)}); "
            f"the model's features: {_listed(feature_names)}"
        )
    return [position[name] for name in feature_names], dropped


def _listed(names) -> str:
    names = list(names)
    shown = ", ".join(repr(name) for name in names[:_SHOWN])
    return shown if len(names) <= _SHOWN else f"{shown}, ... ({len(names)} in all)"
