"""Output costs: deltas against their values, precision of small costs, refused inputs, extremes."""

from __future__ import annotations

from decimal import Decimal, localcontext

import numpy as np
import pytest

import layernet as ln
from layernet.losses import CategoricalCrossEntropy, CrossEntropy, SquaredError, loss_for

PAIRS = [("sigmoid", CrossEntropy), ("softmax", CategoricalCrossEntropy), ("identity", SquaredError)]


def as_engine_arrays(*arrays):
    """Column-major copies, laid out like the engine's output buffers (transposes of (n_out, m))."""
    return [np.asfortranarray(array) for array in arrays]


def loss_value(loss, activation, z, Y):
    z, Y = as_engine_arrays(z, Y)
    return loss.value(z, activation.forward(z.copy(order="F")), Y, out=np.empty_like(z))


def loss_delta(loss, activation, z, Y):
    z, Y = as_engine_arrays(z, Y)
    a = activation.forward(z.copy(order="F"))
    return loss.delta(z, a, Y, activation, out=np.empty_like(z), scratch=np.empty_like(z))


def central_differences(f, z, h=1e-5):
    grad = np.empty_like(z)
    for index in np.ndindex(z.shape):
        step = np.zeros_like(z)
        step[index] = h
        grad[index] = (f(z + step) - f(z - step)) / (2 * h)
    return grad


# -- high-precision oracles (decimal, 60 digits), straight from the definitions -----------------------


def cross_entropy_oracle(z, Y) -> Decimal:
    with localcontext() as context:
        context.prec = 60
        total = Decimal(0)
        for zi, yi in zip(z.ravel().tolist(), Y.ravel().tolist()):
            zd, yd = Decimal(zi), Decimal(yi)
            a = 1 / (1 + (-zd).exp())
            total += -yd * a.ln() - (1 - yd) * (1 - a).ln()
        return +total


def categorical_oracle(z, Y) -> Decimal:
    with localcontext() as context:
        context.prec = 60
        total = Decimal(0)
        for z_row, y_row in zip(z.tolist(), Y.tolist()):
            e = [Decimal(v).exp() for v in z_row]
            norm = sum(e)
            total += sum(-Decimal(y) * (ek / norm).ln() for y, ek in zip(y_row, e) if y)
        return +total


def relative_error(value: float, reference: Decimal) -> float:
    return float(abs((Decimal(value) - reference) / reference))


def confident_sigmoid(rng, m=40, k=5, low=20.0, high=35.0):
    sign = rng.choice([-1.0, 1.0], (m, k))
    return sign * rng.uniform(low, high, (m, k)), (sign > 0).astype(float)


def confident_softmax(rng, m=40, k=5, low=20.0, high=35.0):
    top = rng.integers(0, k, m)
    z = rng.normal(size=(m, k))
    z[np.arange(m), top] += rng.uniform(low, high, m)
    return z, np.eye(k)[top]


# -- deltas are the derivatives of the values -----------------------------------------------------------


def targets(rng, output, m, k):
    if output == "sigmoid":
        Y = rng.uniform(0, 1, (m, k))
        Y[::2] = np.round(Y[::2])
        return Y
    if output == "softmax":
        Y = np.eye(k)[rng.integers(0, k, m)]
        Y[1] = rng.dirichlet(np.ones(k))  # soft, sums to 1
        Y[2] = 0.0  # all zero: the sample is left out
        Y[3] *= 0.5  # sums to 1/2
        Y[4] = [1.0, 1.0] + [0.0] * (k - 2)  # sums to 2
        return Y
    return rng.normal(size=(m, k))


@pytest.mark.parametrize(("output", "loss_class"), PAIRS + [("tanh", SquaredError)])
def test_delta_matches_central_differences_of_the_value(rng, output, loss_class):
    m, k = 6, 3
    activation = ln.get_activation(output)
    loss = loss_for(activation)
    assert isinstance(loss, loss_class)
    z = rng.normal(scale=2.0, size=(m, k))
    Y = targets(rng, output, m, k)
    numeric = central_differences(lambda w: loss_value(loss, activation, w, Y), z)
    analytic = loss_delta(loss, activation, z, Y)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


def test_categorical_delta_is_a_minus_y_for_rows_summing_to_one(rng):
    activation = ln.get_activation("softmax")
    z = rng.normal(size=(5, 4))
    Y = np.eye(4)[[0, 3, 1, 2, 0]]
    Y[1] = [0.5, 0.25, 0.125, 0.125]  # soft, summing to exactly 1
    expected = activation.forward(z.copy()) - Y
    np.testing.assert_array_equal(loss_delta(CategoricalCrossEntropy(), activation, z, Y), expected)


def test_network_gradient_is_right_for_softmax_rows_not_summing_to_one(rng):
    net = ln.Network([3, 4, 3], hidden="tanh", output="softmax").init(seed=0)
    X = rng.normal(size=(5, 3))
    Y = np.array([[1.0, 0, 0], [0, 0, 0], [0.2, 0.3, 0.1], [0, 2.0, 0], [0.3, 0.3, 0.4]])
    _, grad = net.cost_and_grad(None, X, Y)
    theta = net.theta.copy()
    numeric = central_differences(lambda t: net.cost(t, X, Y), theta)
    assert np.linalg.norm(grad - numeric) <= 1e-8 * np.linalg.norm(numeric)


# -- small costs keep their relative precision --------------------------------------------------------


def test_cross_entropy_of_confident_units_is_precise(rng):
    z, Y = confident_sigmoid(rng)
    value = loss_value(CrossEntropy(), ln.get_activation("sigmoid"), z, Y)
    assert relative_error(value, cross_entropy_oracle(z, Y)) <= 1e-13


def test_cross_entropy_of_mixed_units_is_precise(rng):
    z, Y = confident_sigmoid(rng, low=0.0, high=35.0)
    Y[:5] = rng.uniform(0, 1, Y[:5].shape)  # some soft targets
    Y[5:10] = 1.0 - Y[5:10]  # some confidently wrong units
    value = loss_value(CrossEntropy(), ln.get_activation("sigmoid"), z, Y)
    assert relative_error(value, cross_entropy_oracle(z, Y)) <= 1e-13


def test_categorical_cross_entropy_of_confident_rows_is_precise(rng):
    z, Y = confident_softmax(rng)
    value = loss_value(CategoricalCrossEntropy(), ln.get_activation("softmax"), z, Y)
    assert relative_error(value, categorical_oracle(z, Y)) <= 1e-13


def test_categorical_cross_entropy_of_mixed_rows_is_precise(rng):
    z, Y = confident_softmax(rng, low=0.0, high=35.0)
    Y[:4] = rng.dirichlet(np.ones(Y.shape[1]), 4)  # soft rows
    Y[4:8] = np.roll(Y[4:8], 1, axis=1)  # confidently wrong rows
    z[8, :2] = z[8].max() + 25.0  # a tie for the top
    Y[9] *= 0.5  # a row summing to 1/2
    value = loss_value(CategoricalCrossEntropy(), ln.get_activation("softmax"), z, Y)
    assert relative_error(value, categorical_oracle(z, Y)) <= 1e-13


@pytest.mark.parametrize("output", ["sigmoid", "softmax"])
def test_network_cost_of_confident_outputs_is_precise(rng, output):
    # z = X exactly: one layer, zero biases, identity weights.
    z, Y = (confident_sigmoid if output == "sigmoid" else confident_softmax)(rng, m=30, k=4)
    net = ln.Network([4, 4], output=output)
    net.theta = np.hstack([np.zeros((4, 1)), np.eye(4)]).ravel()
    oracle = (cross_entropy_oracle if output == "sigmoid" else categorical_oracle)(z, Y) / len(z)
    assert relative_error(net.cost(None, z, Y), oracle) <= 1e-13
    assert relative_error(net.evaluator(z, Y)(net.theta.copy())[0], oracle) <= 1e-13


# -- extreme logits: exact, finite, no warnings ----------------------------------------------------------


@pytest.mark.parametrize("size", [1e3, 1e10, 1e100, 1e300])
def test_cross_entropy_at_extreme_logits(size):
    z = np.array([[size, -size], [-size, size]])
    Y = np.array([[1.0, 0.0], [1.0, 0.0]])  # row 0 right, row 1 wrong on both units
    activation = ln.get_activation("sigmoid")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss_value(CrossEntropy(), activation, z, Y)
        delta = loss_delta(CrossEntropy(), activation, z, Y)
    assert value == pytest.approx(2 * size, rel=1e-15)
    np.testing.assert_array_equal(delta, [[0.0, 0.0], [-1.0, 1.0]])


@pytest.mark.parametrize("size", [1e3, 1e10, 1e100, 1e300])
def test_categorical_cross_entropy_at_extreme_logits(size):
    z = np.array([[size, -size, 0.0], [-size, size, 0.0], [size, size, -size]])
    Y = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.5, 0.5, 0.0]])
    activation = ln.get_activation("softmax")
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = loss_value(CategoricalCrossEntropy(), activation, z, Y)
        delta = loss_delta(CategoricalCrossEntropy(), activation, z, Y)
    # row 0 right (0), row 1 wrong by size, row 2 a tie split evenly (log 2)
    assert value == pytest.approx(size + np.log(2.0), rel=1e-15)
    assert np.isfinite(delta).all()


# -- refused outputs and targets -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "build",
    [
        lambda: ln.Network([3, 1], output="softmax"),
        lambda: ln.Network([3, 4, 1], hidden="tanh", output="softmax"),
        lambda: ln.Network([ln.Layer(3, 2, "tanh"), ln.Layer(2, 1, "softmax")]),
    ],
)
def test_one_unit_softmax_is_refused(build):
    with pytest.raises(ln.LayerNetError, match="softmax output layer needs at least 2 units, got 1"):
        build()


def test_two_unit_softmax_and_one_unit_sigmoid_are_fine():
    assert ln.Network([3, 2], output="softmax").n_outputs == 2
    assert ln.Network([3, 1], output="sigmoid").n_outputs == 1


@pytest.mark.parametrize("bad", [-0.5, 1.5])
def test_sigmoid_targets_outside_zero_one_are_refused(rng, bad):
    net = ln.Network([2, 3, 2]).init(seed=0)
    X, Y = rng.normal(size=(4, 2)), np.eye(2)[[0, 1, 1, 0]]
    Y[2, 1] = bad
    message = rf"in \[0, 1\], got {bad} at row 2, column 1"
    with pytest.raises(ln.DataError, match=message):
        net.cost_and_grad(None, X, Y)
    with pytest.raises(ln.DataError, match=message):
        net.evaluator(X, Y)


def test_softmax_negative_targets_are_refused(rng):
    net = ln.Network([2, 3, 3], output="softmax").init(seed=0)
    X, Y = rng.normal(size=(4, 2)), np.eye(3)[[0, 1, 2, 0]]
    Y[3] = [1.5, -0.5, 0.0]
    with pytest.raises(ln.DataError, match=r">= 0, got -0.5 at row 3, column 1"):
        net.cost(None, X, Y)


def test_soft_and_squared_error_targets_are_accepted(rng):
    X = rng.normal(size=(4, 2))
    ln.Network([2, 2]).init(seed=0).cost(None, X, rng.uniform(0, 1, (4, 2)))
    ln.Network([2, 3], output="softmax").init(seed=0).cost(None, X, np.zeros((4, 3)))
    ln.Network([2, 2], output="identity").init(seed=0).cost(None, X, 10 * rng.normal(size=(4, 2)))
