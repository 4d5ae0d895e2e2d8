"""The course's formulas, written plainly: the one independent oracle the tests compare layernet to.

Deliberately slow and obvious, sharing no code with layernet: bias columns concatenated with
``np.hstack([ones, a])``, the sigmoid as ``1 / (1 + exp(-z))``, the cost summed sample by sample
with ``log(h)``, and backpropagation one sample at a time with explicit deltas. The flat
``theta`` is the course's unrolled vector: layer by layer, each ``(n_out, n_in + 1)`` matrix
row-major with the bias in column 0.

Hidden layers: sigmoid, tanh, relu, identity. Outputs and their costs, per sample summed over
units (the course's pairs, whose output delta is ``h - y``):

- sigmoid: ``-y log(h) - (1 - y) log(1 - h)``;
- softmax: ``-sum_k y_k log(h_k)``;
- identity: ``(h - y)**2 / 2``.

``J = (1/m) sum_i cost_i + lambda / (2m) * sum over layers of sum(theta[:, 1:]**2)``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "HIDDEN",
    "OUTPUTS",
    "sigmoid",
    "unroll",
    "roll",
    "forward_pass",
    "reference_cost",
    "reference_cost_and_grad",
    "reference_predict",
]

HIDDEN = ("sigmoid", "tanh", "relu", "identity")
OUTPUTS = ("sigmoid", "softmax", "identity")


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    rows = []
    for row in np.atleast_2d(z):
        e = np.exp(row - np.max(row))
        rows.append(e / np.sum(e))
    return np.array(rows)


def _hidden(name, z):
    if name == "sigmoid":
        return sigmoid(z)
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0, z, 0.0)
    if name == "identity":
        return z.copy()
    raise ValueError(f"the reference knows no hidden activation {name!r}")


def _hidden_derivative(name, z, a):
    """g'(z), from the layer's output where the course does (sigmoid: a (1 - a))."""
    if name == "sigmoid":
        return a * (1 - a)
    if name == "tanh":
        return 1 - a**2
    if name == "relu":
        return (z > 0).astype(float)
    if name == "identity":
        return np.ones_like(z)
    raise ValueError(f"the reference knows no hidden activation {name!r}")


def _output(name, z):
    if name == "sigmoid":
        return sigmoid(z)
    if name == "softmax":
        return _softmax(z)
    if name == "identity":
        return z.copy()
    raise ValueError(f"the reference knows no output activation {name!r}")


def _activation_names(sizes, activations):
    """One name per layer; a single string means the course's all-sigmoid-style network."""
    n_layers = len(sizes) - 1
    if isinstance(activations, str):
        return [activations] * n_layers
    names = list(activations)
    if len(names) != n_layers:
        raise ValueError(f"{len(names)} activations for {n_layers} layers")
    return names


def roll(sizes, theta):
    """The flat vector as one ``(n_out, n_in + 1)`` matrix per layer (copies)."""
    theta = np.asarray(theta, dtype=float)
    thetas, start = [], 0
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        count = n_out * (n_in + 1)
        thetas.append(theta[start : start + count].reshape(n_out, n_in + 1).copy())
        start += count
    if start != theta.size:
        raise ValueError(f"theta has {theta.size} values, sizes {sizes} need {start}")
    return thetas


def unroll(matrices):
    """Layer matrices -> the course's flat vector, row-major, layer by layer."""
    return np.concatenate([np.asarray(matrix, dtype=float).ravel() for matrix in matrices])


def forward_pass(sizes, activations, theta, X):
    """Every layer's input with its ones column, its ``z`` and its ``a``.

    Returns ``(inputs, zs, h)``: ``inputs[l]`` is ``[1, a_(l-1)]`` of shape (m, n_in + 1),
    ``zs[l]`` the pre-activations, ``h`` the output layer's activations.
    """
    names = _activation_names(sizes, activations)
    thetas = roll(sizes, theta)
    X = np.asarray(X, dtype=float)
    m = X.shape[0]
    ones = np.ones((m, 1))
    a = X
    inputs, zs = [], []
    for index, (matrix, name) in enumerate(zip(thetas, names)):
        a_with_bias = np.hstack([ones, a])
        z = a_with_bias @ matrix.T
        inputs.append(a_with_bias)
        zs.append(z)
        a = _output(name, z) if index == len(thetas) - 1 else _hidden(name, z)
    return inputs, zs, a


def reference_predict(sizes, activations, theta, X):
    """The index of the most active output unit (a single unit: 1 when h >= 0.5)."""
    h = forward_pass(sizes, activations, theta, X)[2]
    if h.shape[1] == 1:
        return (h[:, 0] >= 0.5).astype(int)
    return np.argmax(h, axis=1)


def _sample_cost(name, h, y):
    total = 0.0
    for k in range(len(h)):
        if name == "sigmoid":
            total += -y[k] * np.log(h[k]) - (1 - y[k]) * np.log(1 - h[k])
        elif name == "softmax":
            total += -y[k] * np.log(h[k])
        else:
            total += 0.5 * (h[k] - y[k]) ** 2
    return total


def reference_cost(sizes, activations, theta, X, Y, lambda_=0.0):
    """The course's regularized cost J."""
    return reference_cost_and_grad(sizes, activations, theta, X, Y, lambda_, gradient=False)[0]


def reference_cost_and_grad(sizes, activations, theta, X, Y, lambda_=0.0, *, gradient=True):
    """The course's nnCostFunction: ``(J, grad)`` with ``grad`` unrolled like ``theta``.

    Parameters
    ----------
    sizes : list of int
        ``[n_features, *hidden, n_outputs]``.
    activations : str or list of str
        One name per layer (hidden layers then the output), or one name for every layer.
    theta : array of shape (n_params,)
    X : array of shape (m, n_features)
    Y : array of shape (m, n_outputs)
        One-hot rows (or the targets, for an identity output).
    lambda_ : float
    """
    names = _activation_names(sizes, activations)
    output = names[-1]
    if output not in OUTPUTS:
        raise ValueError(f"the reference pairs a cost only with outputs {OUTPUTS}, got {output!r}")
    thetas = roll(sizes, theta)
    Y = np.asarray(Y, dtype=float).reshape(len(X), -1)
    m = len(X)
    inputs, zs, h = forward_pass(sizes, names, theta, X)

    J = 0.0
    for i in range(m):
        J += _sample_cost(output, h[i], Y[i])
    J /= m
    for matrix in thetas:
        J += lambda_ / (2 * m) * np.sum(matrix[:, 1:] ** 2)
    if not gradient:
        return float(J), None

    grads = [np.zeros_like(matrix) for matrix in thetas]
    last = len(thetas) - 1
    for i in range(m):
        delta = (h[i] - Y[i]).reshape(-1, 1)  # the output delta of the course's matched pairs
        for layer in range(last, -1, -1):
            a_prev = inputs[layer][i].reshape(-1, 1)  # [1; a] of the layer below
            grads[layer] += delta @ a_prev.T
            if layer:
                below = layer - 1
                z_below = zs[below][i].reshape(-1, 1)
                a_below = a_prev[1:]
                # Backpropagate through the full theta, then drop the bias row: the course's way.
                delta = (thetas[layer].T @ delta)[1:] * _hidden_derivative(names[below], z_below, a_below)
    for matrix, grad in zip(thetas, grads):
        grad /= m
        grad[:, 1:] += lambda_ / m * matrix[:, 1:]
    return float(J), unroll(grads)
