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
Values are sums over samples; the network divides by ``m``. Given ``out`` (an array shaped like
``z``), ``value`` and ``delta`` work in it and allocate nothing proportional to the samples.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation, multiply_by_derivative

__all__ = ["Loss", "CrossEntropy", "CategoricalCrossEntropy", "SquaredError", "inner", "loss_for"]


class Loss:
    """A cost paired with an output activation."""

    name = ""

    def value(self, z: np.ndarray, a: np.ndarray, Y: np.ndarray, out: np.ndarray | None = None) -> float:
        """The cost summed over samples and output units; ``out``, if given, is scratch space."""
        raise NotImplementedError

    def delta(
        self,
        z: np.ndarray,
        a: np.ndarray,
        Y: np.ndarray,
        activation: Activation,
        out: np.ndarray | None = None,
        scratch: np.ndarray | None = None,
    ) -> np.ndarray:
        """``dJ/dz`` for the output layer, shape ``(n_samples, n_outputs)``: in ``out``, or a new array."""
        return np.subtract(a, Y, out=out)

    def __repr__(self) -> str:
        return f"<Loss {self.name!r}>"


class CrossEntropy(Loss):
    """The course's cost for sigmoid outputs: ``-y log(a) - (1 - y) log(1 - a)`` per unit.

    With ``a = sigmoid(z)`` this equals ``log(1 + exp(-|z|)) + max(z, 0) - y z``, which is exact
    for saturated units and never overflows.
    """

    name = "cross_entropy"

    def value(self, z, a, Y, out=None):
        # sum(log(1 + exp(z)) - y z), with log(1 + exp(z)) = log1p(exp(-|z|)) + max(z, 0).
        # (np.logaddexp computes the same but runs several times slower.)
        work = np.abs(z, out=out)
        np.negative(work, out=work)
        np.exp(work, out=work)
        np.log1p(work, out=work)
        total = float(work.sum())
        np.maximum(z, 0.0, out=work)
        return total + float(work.sum()) - inner(Y, z)


class CategoricalCrossEntropy(Loss):
    """``-sum_k y_k log(softmax(z)_k)`` per sample, through a shifted log-sum-exp."""

    name = "categorical_cross_entropy"

    def value(self, z, a, Y, out=None):
        # sum_i (log sum_k exp(z_ik) - sum_k y_ik z_ik) for one-hot-like rows summing to s_i:
        # sum_i s_i * (max_i + log sum_k exp(z_ik - max_i)) - sum y z.
        row_max = z.max(axis=1)
        shifted = np.subtract(z, row_max[:, None], out=out)
        np.exp(shifted, out=shifted)
        log_norm = np.log(shifted.sum(axis=1))
        log_norm += row_max
        return float(np.dot(Y.sum(axis=1), log_norm)) - inner(Y, z)


class SquaredError(Loss):
    """Half the squared error, ``(a - y)**2 / 2`` per unit: linear regression's cost for identity outputs."""

    name = "squared_error"

    def value(self, z, a, Y, out=None):
        residual = np.subtract(a, Y, out=out)
        return 0.5 * inner(residual, residual)

    def delta(self, z, a, Y, activation, out=None, scratch=None):
        residual = np.subtract(a, Y, out=out)
        if activation.name != "identity":
            if scratch is None:
                residual *= activation.derivative(z, a)
            else:
                multiply_by_derivative(activation, residual, z, a, scratch)
        return residual


def inner(x: np.ndarray, y: np.ndarray) -> float:
    """``sum(x * y)`` without a copy, for row-major, column-major and strided arrays alike."""
    if x.flags.c_contiguous and y.flags.c_contiguous:
        return float(np.vdot(x, y))
    if x.flags.f_contiguous and y.flags.f_contiguous:
        return float(np.vdot(x.T, y.T))
    return float(np.einsum("ij,ij->", x, y))


_CANONICAL = {"sigmoid": CrossEntropy, "softmax": CategoricalCrossEntropy, "identity": SquaredError}


def loss_for(activation: Activation) -> Loss:
    """The cost that pairs with an output activation (squared error for non-canonical ones)."""
    return _CANONICAL.get(activation.name, SquaredError)()
