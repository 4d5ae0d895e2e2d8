"""Input checks shared by the public entry points: each names the argument and what it expected."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from .errors import DataError, LayerNetError

__all__ = ["check_features", "check_lambda", "check_positive_int"]


def check_features(X, n_features: int | None = None, name: str = "X", dtype=np.float64) -> np.ndarray:
    """Return ``X`` as a C-contiguous 2-D float array, or raise :class:`DataError` saying why not."""
    try:
        array = np.asarray(X, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise DataError(f"{name} must be a 2-D array of numbers: {error}") from None
    if array.ndim != 2:
        hint = " (reshape a single feature with X.reshape(-1, 1))" if array.ndim == 1 else ""
        raise DataError(f"{name} must be 2-D (n_samples, n_features), got shape {array.shape}{hint}")
    if array.shape[0] == 0:
        raise DataError(f"{name} is empty: it has 0 samples")
    if array.shape[1] == 0:
        raise DataError(f"{name} has 0 features")
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0]
        raise DataError(f"{name} must be finite: it holds {array[tuple(bad)]} at row {bad[0]}, column {bad[1]}")
    if n_features is not None and array.shape[1] != n_features:
        raise DataError(f"{name} has {array.shape[1]} features but the network's input layer expects {n_features}")
    return np.ascontiguousarray(array)


def check_lambda(lambda_) -> float:
    """Return ``lambda_`` as a float, or raise if it is negative, non-finite or not a number."""
    if isinstance(lambda_, bool) or not isinstance(lambda_, (Real, np.floating, np.integer)):
        raise LayerNetError(f"lambda_ must be a non-negative number, got {lambda_!r}")
    value = float(lambda_)
    if not math.isfinite(value) or value < 0:
        raise LayerNetError(f"lambda_ must be a finite number >= 0, got {lambda_!r}")
    return value


def check_positive_int(value, name: str) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise LayerNetError(f"{name} must be an integer >= 1, got {value!r}")
    return int(value)
