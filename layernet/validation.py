"""Input checks shared by the public entry points: each names the argument and what it expected."""

from __future__ import annotations

import numpy as np

from ._checks import check_real
from .errors import DataError

__all__ = ["check_features", "check_lambda"]


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
    return check_real(lambda_, "lambda_", low=0.0)
