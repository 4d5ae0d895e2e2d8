"""Output costs and their deltas, computed stably from the output layer's pre-activations.

Each output activation pairs with the cost whose derivative with respect to the pre-activation
``z`` is simply ``a - Y``:

================  ==================================  =====================================
output            cost per sample (summed over units)  delta ``dJ/dz``
================  ==================================  =====================================
sigmoid           the course's cross-entropy           ``a - Y``
softmax           categorical cross-entropy            ``a - Y``
identity          ``(a - Y)**2 / 2``                   ``a - Y``
anything else     ``(a - Y)**2 / 2``                   ``(a - Y) * f'(z)``
================  ==================================  =====================================

The cross-entropies are evaluated from ``z`` with log-sum-exp identities, never as ``log(a)``:
a saturated unit (``a`` rounding to exactly 0 or 1) would give ``log(0)`` and a NaN cost.
Values are sums over samples; the network divides by ``m``.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation

__all__ = ["Loss", "CrossEntropy", "CategoricalCrossEntropy", "SquaredError", "loss_for"]


class Loss:
    """A cost paired with an output activation."""

    name = ""

    def value(self, z: np.ndarray, a: np.ndarray, Y: np.ndarray) -> float:
        """The cost summed over samples and output units."""
        raise NotImplementedError

    def delta(self, z: np.ndarray, a: np.ndarray, Y: np.ndarray, activation: Activation) -> np.ndarray:
        """``dJ/dz`` for the output layer, shape ``(n_samples, n_outputs)``, a new array."""
        return np.subtract(a, Y)

    def __repr__(self) -> str:
        return f"<Loss {self.name!r}>"


class CrossEntropy(Loss):
    """The course's cost for sigmoid outputs: ``-y log(a) - (1 - y) log(1 - a)`` per unit.

    With ``a = sigmoid(z)`` this equals ``log(1 + exp(-|z|)) + max(z, 0) - y z``, which is exact
    for saturated units and never overflows.
    """

    name = "cross_entropy"

    def value(self, z, a, Y):
        per_unit = np.log1p(np.exp(-np.abs(z)))
        per_unit += np.maximum(z, 0.0)
        per_unit -= Y * z
        return float(per_unit.sum())


class CategoricalCrossEntropy(Loss):
    """``-sum_k y_k log(softmax(z)_k)`` per sample, through a shifted log-sum-exp."""

    name = "categorical_cross_entropy"

    def value(self, z, a, Y):
        shifted = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(np.sum(Y * (log_norm - shifted)))


class SquaredError(Loss):
    """Half the squared error, ``(a - y)**2 / 2`` per unit: linear regression's cost for identity outputs."""

    name = "squared_error"

    def value(self, z, a, Y):
        residual = a - Y
        return 0.5 * float(np.vdot(residual, residual))

    def delta(self, z, a, Y, activation):
        residual = np.subtract(a, Y)
        if activation.name != "identity":
            residual *= activation.derivative(z, a)
        return residual


_CANONICAL = {"sigmoid": CrossEntropy, "softmax": CategoricalCrossEntropy, "identity": SquaredError}


def loss_for(activation: Activation) -> Loss:
    """The cost that pairs with an output activation (squared error for non-canonical ones)."""
    return _CANONICAL.get(activation.name, SquaredError)()
