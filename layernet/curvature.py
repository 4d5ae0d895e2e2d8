"""Curvature: exact Hessian-vector products by Pearlmutter's R-operator, and Gauss-Newton products.

For a direction ``v`` (laid out like ``theta``), ``R{x}`` is the directional derivative
``d/dt x(theta + t v)`` at ``t = 0``. Applied to every quantity of the forward and backward
passes it gives ``H v = R{grad J}`` exactly, in one forward and one backward R-pass, about the
cost of two gradients (Pearlmutter, "Fast exact multiplication by the Hessian", 1994). With
samples along the columns, as the engine keeps them, layer ``l`` computing
``z_l = theta_l [1; a_{l-1}]`` and ``a_l = f_l(z_l)``, and ``V_l`` the block of ``v`` for layer
``l`` (``U_l`` its weight columns, ``W_l`` the layer's weights):

- forward: ``R z_l = V_l [1; a_{l-1}] + W_l R a_{l-1}`` (``R a_0 = 0``), ``R a_l = f_l'(z_l) R z_l``;
- output: ``delta_L = (a_L - Y) / m`` for the matched costs, so ``R delta_L = R a_L / m``, with
  softmax's ``R a = a (R z - sum_k a_k R z_k)``; for squared error on any other output
  ``delta_L = (a_L - Y) f'(z_L) / m`` and ``R delta_L = (f' R a_L + (a_L - Y) f'' R z_L) / m``;
- backward: ``R grad_l = R delta_l [1; a_{l-1}]^T + delta_l [0; R a_{l-1}]^T`` and
  ``R delta_{l-1} = (U_l^T delta_l + W_l^T R delta_l) f'(z_{l-1}) + (W_l^T delta_l) f''(z_{l-1}) R z_{l-1}``;
- the penalty adds ``(lambda / m) v`` on the weights.

The Gauss-Newton matrix ``G = J^T H_out J`` (``J`` the Jacobian of the outputs' pre-activations,
``H_out`` the cost's Hessian in them) is what is left when the terms that carry the second
derivatives of the hidden units and the residuals are dropped: the same forward R-pass, then
``R delta_L`` (without its ``f''`` term) backpropagated linearly. It is positive semi-definite
for every cost here (the costs are convex in the outputs), positive definite with ``lambda > 0``,
and equals the Hessian at a zero-residual fit.

The forward quantities at a point (the deltas, ``f'`` and ``f''`` of every layer) are kept
between products at the same point: a trust-region step asks for many products at one ``theta``.
Nothing here checks its inputs; :class:`~layernet.Network` does (``hessp``,
``gauss_newton_product``, ``curvature_evaluator``).
"""

from __future__ import annotations

import numpy as np

from ._engine import Engine, Workspace
from .errors import LayerNetError
from .losses import CategoricalCrossEntropy, CrossEntropy, SquaredError

__all__ = ["Curvature", "check_second_derivatives"]


def check_second_derivatives(layers) -> None:
    """Refuse, by name, an activation whose second derivative the exact Hessian needs but lacks."""
    last = len(layers) - 1
    for index, layer in enumerate(layers):
        activation = layer.activation
        if index == last and activation.name in ("sigmoid", "softmax", "identity"):
            continue  # a matched output: its cost's curvature is a - Y's derivative, no f'' needed
        if not activation.has_second_derivative:
            raise LayerNetError(
                f"activation {activation.name!r} (layer {index + 1}) provides no second derivative, which the exact "
                "Hessian needs: give it one (Activation(name, f, df, d2f), or override second_derivative), or use "
                "the Gauss-Newton product"
            )


class Curvature:
    """Hessian-vector and Gauss-Newton-vector products over a workspace holding the data.

    Parameters
    ----------
    engine : Engine
        The network's engine (its layers, loss and passes).
    work : Workspace
        Holds the samples and targets (``set_inputs`` done); its ``theta`` is overwritten.
    lambda_ : float
    """

    def __init__(self, engine: Engine, work: Workspace, lambda_: float) -> None:
        self.engine = engine
        self.work = work
        self.lambda_ = lambda_
        self._key: bytes | None = None
        loss, output = engine.loss, engine.layers[-1].activation
        # delta_L = (a - Y) / m for the matched pairs; otherwise (a - Y) f'(z) / m (squared error).
        self._matched = (
            isinstance(loss, CrossEntropy)
            and output.name == "sigmoid"
            or isinstance(loss, CategoricalCrossEntropy)
            or isinstance(loss, SquaredError)
            and output.name == "identity"
        )

    def product(self, theta: np.ndarray, v: np.ndarray, gauss_newton: bool = False) -> np.ndarray:
        """``H v`` (or ``G v``) at ``theta``, a new float64 array laid out like ``theta``."""
        self._at(theta, need_second=not gauss_newton)
        work, layers = self.work, self.engine.layers
        m, last = work.n_samples, len(layers) - 1
        V = [np.asarray(block) for block in _blocks(v, work.thetas)]
        # Forward R-pass: R z_l and R a_l, (n_out, m) each.
        Rz, Ra = [], []
        for index in range(last + 1):
            rz = V[index] @ work.inputs[index]
            if index:
                rz += work.W[index] @ Ra[index - 1]
            Rz.append(rz)
            if index < last:
                Ra.append(self._d1[index] * rz)
        # Output: R delta_L.
        a = work.aT[last]
        output = layers[last].activation
        if output.name == "softmax":
            ra = a * (Rz[last] - (a * Rz[last]).sum(axis=0))
            if self._weights is not None:
                ra *= self._weights
            rdelta = ra
        elif self._matched:
            rdelta = self._d1[last] * Rz[last]  # sigmoid: a (1 - a) Rz; identity: Rz
        else:
            rdelta = self._d1[last] * self._d1[last] * Rz[last]
            if not gauss_newton:
                rdelta += self._residual * self._d2[last] * Rz[last]
        rdelta = rdelta / m
        # Backward R-pass.
        out = np.zeros(work.theta.size, dtype=np.float64)
        blocks = _blocks(out, work.thetas)
        for index in range(last, -1, -1):
            block = blocks[index]
            np.matmul(rdelta, work.inputs[index].T, out=block)
            if not gauss_newton and index:
                block[:, 1:] += self._delta[index] @ Ra[index - 1].T
            if index:
                below = index - 1
                back = work.W[index].T @ rdelta
                if not gauss_newton:
                    back += V[index][:, 1:].T @ self._delta[index]
                rdelta = back * self._d1[below]
                if not gauss_newton:
                    rdelta += self._back[index] * self._d2[below] * Rz[below]
        if self.lambda_:
            out += (self.lambda_ / m) * work.weight_mask * v
        return out

    def gauss_newton_matrix(self, theta: np.ndarray, budget: int = 32 * 2**20) -> np.ndarray:
        """The dense Gauss-Newton matrix ``G`` at ``theta``, ``(n, n)``, a block of columns at a time.

        A column is the product with a unit vector, so its forward R-pass starts at its own layer
        with one row, ``R a = f'(z) * input`` for the weight's unit and input, and the layers
        below contribute nothing: a block of columns of one layer costs one batched backward pass
        and, above its layer, a batched forward one. Each block holds about ``budget`` bytes of
        per-sample work (at least one column). ``G`` is symmetrized against rounding.
        """
        self._at(theta, need_second=False)
        work, layers = self.work, self.engine.layers
        m, n, last = work.n_samples, work.theta.size, len(layers) - 1
        per_column = 8 * 3 * max(1, max(layer.n_out for layer in layers)) * max(1, m)
        step = int(max(1, budget // per_column))
        G = np.empty((n, n), dtype=np.float64)
        for index, (t, offset, _) in enumerate(_spans(work.thetas)):
            n_out, n_in = t.shape  # n_in counts the bias column
            inputs = work.inputs[index]
            for first in range(0, t.size, step):
                local = np.arange(first, min(t.size, first + step))
                units, sources = np.divmod(local, n_in)
                b = local.size
                # The one non-zero row of R z at this layer: the input the weight multiplies.
                row = inputs[sources]  # (b, m)
                if index == last:
                    Rz = np.zeros((b, n_out, m))
                    Rz[np.arange(b), units] = row
                else:
                    ra = self._d1[index][units] * row  # R a's one non-zero row, (b, m)
                    W = work.W[index + 1]
                    Rz = W.T[units][:, :, None] * ra[:, None, :]  # (b, n_next, m): a rank-1 R z
                    for above in range(index + 2, last + 1):
                        Rz = work.W[above] @ (self._d1[above - 1] * Rz)
                G[offset + local] = self._gauss_newton_back(Rz, b)
        if self.lambda_:
            G[np.diag_indices(n)] += (self.lambda_ / m) * work.weight_mask
        G += G.T
        G *= 0.5
        return G

    def _gauss_newton_back(self, Rz: np.ndarray, b: int) -> np.ndarray:
        """From the output's ``R z`` (``(b, n_out, m)``), the Gauss-Newton products without the penalty, ``(b, n)``."""
        work, layers = self.work, self.engine.layers
        m, last = work.n_samples, len(layers) - 1
        a = work.aT[last]
        if layers[last].activation.name == "softmax":
            rdelta = a * (Rz - (a * Rz).sum(axis=-2, keepdims=True))
            if self._weights is not None:
                rdelta *= self._weights
        elif self._matched:
            rdelta = self._d1[last] * Rz  # sigmoid: a (1 - a) Rz; identity: Rz
        else:
            rdelta = self._d1[last] * self._d1[last] * Rz
        rdelta /= m
        out = np.empty((b, work.theta.size), dtype=np.float64)
        spans = _spans(work.thetas)
        for index in range(last, -1, -1):
            _, start, stop = spans[index]
            inputs = work.inputs[index]
            # One matrix product for the whole block: (b * n_out, m) @ (m, n_in + 1).
            flat = np.ascontiguousarray(rdelta).reshape(-1, m)
            out[:, start:stop] = (flat @ inputs.T).reshape(b, -1)
            if index:
                rdelta = (work.W[index].T @ rdelta) * self._d1[index - 1]
        return out

    # -- the forward quantities at a point ---------------------------------------------------

    def _at(self, theta: np.ndarray, need_second: bool) -> None:
        """Forward pass and deltas at ``theta``, unless they are already there."""
        key = np.ascontiguousarray(theta, dtype=float).tobytes()
        if key == self._key and (not need_second or self._d2 is not None):
            return
        work, layers = self.work, self.engine.layers
        last = len(layers) - 1
        np.copyto(work.theta, theta, casting="same_kind")
        with np.errstate(all="ignore"):
            self.engine.forward(work)
        m = work.n_samples
        self._d1, self._d2 = [], [] if need_second else None
        for index, layer in enumerate(layers):
            activation = layer.activation
            z, a = work.z[index], work.a[index]  # (m, n) views; z is a itself where f' reads a only
            if index == last and activation.name == "softmax":
                self._d1.append(None)
                if need_second:
                    self._d2.append(None)
                continue
            self._d1.append(np.array(activation.derivative(z, a), dtype=np.float64).T)
            if need_second:
                skip = index == last and self._matched
                self._d2.append(None if skip else np.asarray(activation.second_derivative(z, a), dtype=np.float64).T)
        Y = work.y
        self._residual = work.aT[last] - Y.T
        # Categorical rows summing to s != 1 have delta = s a - Y, so R delta = s R a.
        weights = Y.sum(axis=1)
        categorical = isinstance(self.engine.loss, CategoricalCrossEntropy)
        self._weights = weights if categorical and not (weights == 1).all() else None
        delta = self.engine.loss.delta(work.z[last], work.a[last], Y, layers[last].activation)
        self._delta = [None] * (last + 1)
        self._back = [None] * (last + 1)  # W_l^T delta_l, before f'(z_{l-1})
        d = np.array(delta, dtype=np.float64).T / m
        for index in range(last, -1, -1):
            self._delta[index] = d
            if index:
                self._back[index] = work.W[index].T @ d
                d = self._back[index] * self._d1[index - 1]
        self._key = key


def _spans(thetas) -> list[tuple[np.ndarray, int, int]]:
    """``(block, start, stop)`` of every layer's block within the flat vector."""
    spans, start = [], 0
    for t in thetas:
        spans.append((t, start, start + t.size))
        start += t.size
    return spans


def _blocks(flat: np.ndarray, shapes_from) -> list[np.ndarray]:
    """Per-layer ``(n_out, n_in + 1)`` views of ``flat``, shaped like ``shapes_from``'s blocks."""
    blocks, start = [], 0
    for t in shapes_from:
        blocks.append(flat[start : start + t.size].reshape(t.shape))
        start += t.size
    return blocks
