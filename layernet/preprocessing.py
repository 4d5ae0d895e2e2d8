"""Feature scaling a network carries with it, so it always takes raw features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import LayerNetError
from .validation import check_features

__all__ = ["Scaler"]

#: Magnitudes beyond this (or below its inverse) are rescaled before their variance is taken.
_SAFE = 1e150


@dataclass
class Scaler:
    """Standardization ``(X - mean) / scale``, fitted on training data.

    Attach one to a network (``net.scaler = Scaler.fit(X_train)``) and every method that takes
    features -- training, cost, prediction, scoring -- standardizes them first; a saved model
    keeps it, so predictions on new raw data need no separate preprocessing step.
    """

    mean: np.ndarray
    scale: np.ndarray

    def __post_init__(self) -> None:
        self.mean = np.asarray(self.mean, dtype=float)
        self.scale = np.asarray(self.scale, dtype=float)
        if self.mean.ndim != 1 or self.mean.shape != self.scale.shape:
            raise LayerNetError(
                f"scaler mean and scale must be 1-D and of one length, got {self.mean.shape} and {self.scale.shape}"
            )
        if not (np.isfinite(self.mean).all() and np.isfinite(self.scale).all() and np.all(self.scale > 0)):
            raise LayerNetError("scaler mean must be finite and scale finite and > 0")

    @classmethod
    def fit(cls, X) -> Scaler:
        """Fit on ``X`` (n_samples, n_features) with scikit-learn's ``StandardScaler``.

        Features beyond about ``1e150`` in magnitude (whose squares overflow) or below
        ``1e-150`` (whose squares underflow to 0) are first divided by their column's largest
        magnitude, so their mean and spread come out finite and exact to rounding; the result
        is the same standardization, without numpy's overflow warnings.

        Raises
        ------
        DataError
            ``X`` is not a finite 2-D array of numbers (see :func:`layernet.validation.check_features`).
        """
        from sklearn.preprocessing import StandardScaler

        X = check_features(X)
        peak = np.max(np.abs(X), axis=0)
        extreme = (peak > _SAFE) | ((peak > 0.0) & (peak < 1.0 / _SAFE))
        if not extreme.any():
            fitted = StandardScaler().fit(X)
            return cls(fitted.mean_, fitted.scale_)
        divisor = np.where(extreme, peak, 1.0)
        fitted = StandardScaler().fit(X / divisor)
        # scikit-learn gives a (near-)constant column scale 1; keep that 1 in raw units too. A
        # rescaled column lies in [-1, 1], so its scale is 1 otherwise only at variance 1.
        constant = (fitted.scale_ == 1.0) & (fitted.var_ < 0.25)
        scale = fitted.scale_ * divisor
        scale = np.where(constant | ~(scale > 0.0), 1.0, scale)
        return cls(fitted.mean_ * divisor, scale)

    @property
    def n_features(self) -> int:
        return self.mean.shape[0]

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale
