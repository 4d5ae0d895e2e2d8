"""Feature scaling a network carries with it, so it always takes raw features."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import LayerNetError

__all__ = ["Scaler"]


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
        """Fit on ``X`` (n_samples, n_features) with scikit-learn's ``StandardScaler``."""
        from sklearn.preprocessing import StandardScaler

        fitted = StandardScaler().fit(X)
        return cls(fitted.mean_, fitted.scale_)

    @property
    def n_features(self) -> int:
        return self.mean.shape[0]

    def transform(self, X: np.ndarray) -> np.ndarray:
        return (X - self.mean) / self.scale
