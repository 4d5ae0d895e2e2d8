"""Output costs and their deltas, computed stably from the output layer's pre-activations.

Each output activation pairs with the cost whose derivative with respect to the pre-activation
``z`` is simply ``a - Y``:

================  ==================================  =====================================
output            cost per sample (summed over units)  delta ``dJ/dz``
================  ==================================  =====================================
sigmoid           the course's cross-entropy           ``a - Y``
softmax           categorical cross-entropy            ``a - Y`` (``s a - Y``, see below)
identity          ``(a - Y)**2 / 2``                   ``a - Y``
anything else     ``(a - Y)**2 / 2``                   ``(a - Y) * f'(z)``
================  ==================================  =====================================

The cross-entropies are evaluated from ``z`` with log-sum-exp identities, never as ``log(a)``:
a saturated unit (``a`` rounding to exactly 0 or 1) would give ``log(0)`` and a NaN cost.
They are also arranged as sums of non-negative terms, so a tiny cost (confidently correct
outputs, ``|z|`` of 20 to 35) keeps its relative precision instead of being the difference of
two large sums. Values are sums over samples; the network divides by ``m``. Given ``out`` (an
array shaped like ``z``), ``value`` and ``delta`` work in it and allocate nothing proportional to
the samples, except the categorical cross-entropy's few per-sample vectors (row maxima, row sums).

Targets are checked once, where they enter (:meth:`Loss.check_targets`, called by the network's
target check): the cross-entropy needs ``0 <= y <= 1`` and the categorical cross-entropy ``y >= 0``;
outside those ranges the cost is unbounded below. Categorical rows need not sum to 1: a row
summing to ``s`` weighs its sample by ``s`` (0 leaves it out), and its delta is ``s a - y``.
"""

from __future__ import annotations

import numpy as np

from .activations import Activation, multiply_by_derivative
from .errors import DataError, LayerNetError
from .kernels import log1p_exp

__all__ = [
    "Loss",
    "CrossEntropy",
    "CategoricalCrossEntropy",
    "SquaredError",
    "inner",
    "loss_for",
    "check_output",
]


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

    def check_targets(self, Y: np.ndarray) -> None:
        """Refuse targets this cost cannot use, with a :class:`~layernet.DataError` naming one.

        ``Y`` is already a finite ``(n_samples, n_outputs)`` array; any value is accepted here.
        """

    def __repr__(self) -> str:
        return f"<Loss {self.name!r}>"


class CrossEntropy(Loss):
    """The course's cost for sigmoid outputs: ``-y log(a) - (1 - y) log(1 - a)`` per unit.

    With ``a = sigmoid(z)`` this equals ``log(1 + exp(-|z|)) + max(z, 0) - y z``, which is exact
    for saturated units and never overflows.
    """

    name = "cross_entropy"

    def value(self, z, a, Y, out=None):
        # Per unit, log(1 + exp(z)) - y z = log1p(exp(-|z|)) + ([z > 0] - y) z. For 0 <= y <= 1
        # both terms are >= 0, so their sums carry no cancellation, and the second is exactly 0
        # for a confidently correct unit (y = 1, z > 0 or y = 0, z < 0): the cost of such units,
        # log1p(exp(-|z|)), keeps full relative precision however small it is. (Summing
        # log(1 + exp(z)) and y z apart lost it: at z = 30 the cost is 3e-15 of either sum, and
        # came out with a relative error near 1e-5.)
        work = log1p_exp(z, out=out)  # log1p(exp(-|z|)), the fastest way here
        total = float(work.sum())
        np.greater(z, 0.0, out=work)
        work -= Y
        return total + inner(work, z)

    def check_targets(self, Y):
        _check_range(Y, "a sigmoid output (cross-entropy)", "in [0, 1]", (Y < 0) | (Y > 1))


class CategoricalCrossEntropy(Loss):
    """``-sum_k y_k log(softmax(z)_k)`` per sample, through a shifted log-sum-exp.

    With ``t`` the row's largest logit and ``s = sum_k y_k`` this is
    ``s log1p(sum_{k != t} exp(z_k - z_t)) + sum_k y_k (z_t - z_k)``: two sums of non-negative
    terms, the second exactly 0 for a one-hot row on its largest logit, so a confident row's
    small cost keeps its relative precision. Rows need not sum to 1: the delta is ``s a - y``,
    ``a - y`` for the usual rows.
    """

    name = "categorical_cross_entropy"

    def value(self, z, a, Y, out=None):
        # Per row: s log sum_k exp(z_k) - y.z = s log1p(S) + sum_k y_k (z_t - z_k), where
        # S = sum_{k != t} exp(z_k - z_t) is summed without the top's exp(0) = 1 (1 + S would
        # round S away). Every exp(z_k - z_t) that rounds to exactly 1 (the top, ties) is taken
        # out through floor(), one column at a time, and all but one are counted back in: no
        # index or mask arrays, only per-sample vectors (row maxima, row sums, a column).
        shifted = np.subtract(z, z.max(axis=1)[:, None], out=out)  # <= 0; 0 at the top
        margin = -inner(Y, shifted)  # sum of y_k (z_t - z_k) >= 0
        np.exp(shifted, out=shifted)  # in [0, 1]
        with_ones = shifted.sum(axis=1)
        ones = np.empty_like(with_ones)
        for column in shifted.T:
            np.floor(column, out=ones)  # 1 where exp rounded to 1, else 0
            column -= ones
        rest = shifted.sum(axis=1)
        with_ones -= rest
        np.rint(with_ones, out=with_ones)  # how many ones each row had: 1 unless tied
        with_ones -= 1.0
        rest += with_ones
        np.log1p(rest, out=rest)
        return float(np.dot(Y.sum(axis=1), rest)) + margin

    def delta(self, z, a, Y, activation, out=None, scratch=None):
        # d/dz of s log sum exp(z) - y.z is s a - y; a - y holds only for rows summing to 1.
        weight = Y.sum(axis=1)
        if (weight == 1.0).all():
            return np.subtract(a, Y, out=out)
        result = np.multiply(a, weight[:, None], out=out)
        result -= Y
        return result

    def check_targets(self, Y):
        _check_range(Y, "a softmax output (categorical cross-entropy)", ">= 0", Y < 0)


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


def loss_for(activation: Activation, n_outputs: int | None = None) -> Loss:
    """The cost that pairs with an output activation (squared error for non-canonical ones).

    Given ``n_outputs``, the output layer's size is checked first (see :func:`check_output`).
    """
    if n_outputs is not None:
        check_output(activation, n_outputs)
    return _CANONICAL.get(activation.name, SquaredError)()


def check_output(activation: Activation, n_outputs: int) -> None:
    """Refuse an output layer its cost cannot train.

    Raises
    ------
    LayerNetError
        For a softmax layer of one unit: its output is always 1, so the cost is constant and
        nothing can be learned (while ``a - y`` would still report a gradient).
    """
    if activation.name == "softmax" and n_outputs < 2:
        raise LayerNetError(
            f"a softmax output layer needs at least 2 units, got {n_outputs}: softmax over one unit is "
            "always 1, so the cost is constant and nothing can be learned; use output='sigmoid' for a "
            "single unit, or one softmax unit per class"
        )


def _check_range(Y: np.ndarray, output: str, expected: str, bad: np.ndarray) -> None:
    """Raise a DataError naming the first target where ``bad`` holds."""
    if bad.any():
        row, column = np.unravel_index(np.flatnonzero(bad)[0], bad.shape)
        raise DataError(
            f"targets Y for {output} must be {expected}, got {float(Y[row, column])!r} at row {row}, column {column}"
        )
