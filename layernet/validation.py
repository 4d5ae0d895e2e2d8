"""Input checks shared by the public entry points: each names the argument and what it expected."""

from __future__ import annotations

import math

import numpy as np

from ._checks import check_real
from .errors import DataError

__all__ = ["check_features", "check_lambda", "as_real_array"]


def as_real_array(values, name: str, dtype=np.float64, what: str = "an array of numbers") -> np.ndarray:
    """``values`` as a ``dtype`` array, refusing what a plain cast would get silently wrong.

    Complex numbers are refused (a cast would drop the imaginary part with a ComplexWarning),
    and so are values that overflow ``dtype``: ``1e39`` is finite but becomes ``inf`` in
    float32, which is said as such rather than as a non-finite input. Non-finite values are
    left for the caller to report (with their position).

    Raises
    ------
    DataError
        Not numbers (the message says why), complex numbers, or values beyond ``dtype``'s range.
    """
    dtype = np.dtype(dtype)
    try:
        raw = values if isinstance(values, np.ndarray) else np.asarray(values)
        if raw.dtype.kind == "c":
            raise DataError(f"{name} must hold real numbers, got complex values (dtype {raw.dtype})")
        with np.errstate(over="ignore", invalid="ignore"):
            array = raw.astype(dtype, copy=False)
    except DataError:
        raise
    except OverflowError:
        raise DataError(f"{name} holds a number too large for {dtype.name}") from None
    except (TypeError, ValueError) as error:
        raise DataError(f"{name} must be {what}: {error}") from None
    if raw.dtype != array.dtype and array.size and not np.isfinite(array).all():
        # A non-finite value the source did not hold is an overflow of the narrower dtype.
        for index in zip(*np.nonzero(~np.isfinite(array))):
            original = raw[index]
            try:
                finite = bool(np.isfinite(original)) if raw.dtype.kind in "biuf" else math.isfinite(float(original))
            except (TypeError, ValueError, OverflowError):
                finite = False
            if finite:
                where = f" at {_position(index)}" if index else ""
                raise DataError(
                    f"{name} holds {float(original):.6g}{where}, which overflows {dtype.name} (largest "
                    f"{float(np.finfo(dtype).max):.4g}); scale the values, or use a float64 network"
                )
            break
    return array


def _position(index: tuple) -> str:
    if len(index) == 2:
        return f"row {index[0]}, column {index[1]}"
    return "index " + ", ".join(str(int(i)) for i in index)


def check_features(X, n_features: int | None = None, name: str = "X", dtype=np.float64) -> np.ndarray:
    """Return ``X`` as a C-contiguous 2-D float array, or raise :class:`DataError` saying why not."""
    array = as_real_array(X, name, dtype, "a 2-D array of numbers")
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
