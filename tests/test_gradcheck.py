"""Backprop against central differences: every activation, depths 0-4, lambda 0 and > 0, every output."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln
from layernet.gradcheck import TOLERANCE, numerical_gradient

HIDDEN = [name for name in ln.available_activations() if not ln.get_activation(name).output_only]
OUTPUTS = ["sigmoid", "softmax", "identity"]


def _course_weights(rng, n_in, n_out):
    # The course checks gradients at small deterministic weights (debugInitializeWeights,
    # sin(1..n) / 10); central differences with epsilon 1e-4 then resolve 1e-9.
    del rng
    return np.sin(np.arange(1, n_out * (n_in + 1) + 1) + n_in).reshape((n_out, n_in + 1), order="F") / 10


def _problem(n_hidden, hidden, output):
    sizes = [3] + [4 + i for i in range(n_hidden)] + [3]
    net = ln.Network(sizes, hidden=hidden, output=output).init(initializer=_course_weights)
    X = 3 * _course_weights(None, 2, 6)
    # Unbalanced labels: with equal class counts the output-bias gradients vanish at these small
    # weights and the relative difference measures only the finite-difference error.
    y = np.array([0, 0, 0, 0, 1, 2])
    return net, X, y


# Depth 0 (logistic or linear regression) once, then every hidden activation at depths 1-4.
ARCHITECTURES = [(0, "sigmoid")] + [(n_hidden, hidden) for hidden in HIDDEN for n_hidden in (1, 2, 3, 4)]


@pytest.mark.parametrize("lambda_", [0.0, 0.7])
@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("n_hidden, hidden", ARCHITECTURES)
def test_backprop_matches_numerical_gradient(n_hidden, hidden, output, lambda_):
    net, X, y = _problem(n_hidden, hidden, output)
    if hidden == "relu":
        # Keep relu's inputs off its kink, where the derivative is undefined.
        a = X
        for theta in net.packer.unpack(net.theta)[:-1]:
            z = a @ theta[:, 1:].T + theta[:, 0]
            assert np.min(np.abs(z)) > 1e-3
            a = np.maximum(z, 0.0)
    assert ln.check_gradients(net, X, y, lambda_) < TOLERANCE


@pytest.mark.parametrize("output", ["tanh", "relu"])
def test_non_canonical_outputs_use_squared_error_with_the_derivative(output):
    """Outputs without a matched cost take (a - y) f'(z). Their cost curves more, so the course's
    1e-9 is out of reach at epsilon 1e-4; a correct gradient shows as an error shrinking like
    epsilon**2 (a wrong one would level off)."""
    net, X, y = _problem(2, "sigmoid", output)
    if output == "relu":
        net.theta = np.abs(net.theta)  # keep the output units active, off the kink
    coarse = ln.check_gradients(net, X, y, 0.1, epsilon=1e-3)
    fine = ln.check_gradients(net, X, y, 0.1, epsilon=1e-4)
    assert fine < 1e-8
    assert fine < coarse / 50 or fine < TOLERANCE


def test_course_debug_network_one_liner():
    assert ln.check_nn_gradients() < TOLERANCE
    assert ln.check_nn_gradients(lambda_=3.0) < TOLERANCE


def test_debug_problem_is_the_course_one():
    net, X, y = ln.debug_problem()
    assert net.sizes == [3, 5, 3]
    np.testing.assert_array_equal(y, [2, 3, 1, 2, 3])
    # debugInitializeWeights(5, 3): sin(1:20) / 10 in MATLAB's column order.
    theta1 = net.layers[0].theta
    assert theta1[0, 0] == pytest.approx(np.sin(1) / 10)
    assert theta1[1, 0] == pytest.approx(np.sin(2) / 10)
    assert theta1[0, 1] == pytest.approx(np.sin(6) / 10)
    assert X.shape == (5, 3) and X[0, 0] == pytest.approx(np.sin(1) / 10)


def test_gradient_check_reports_per_layer_and_catches_a_wrong_derivative():
    net, X, y = _problem(2, "tanh", "sigmoid")
    report = ln.gradient_check(net, X, y, 0.1)
    assert report.passed and len(report.per_layer) == 3
    assert max(report.per_layer) < 1e-8  # smaller per-layer gradients: a larger ratio, same error

    wrong = ln.Activation("wrong_tanh", np.tanh, lambda z: 1.0 - np.tanh(z))  # not tanh's derivative
    bad = ln.Network([3, 4, 3], hidden=wrong).init(seed=0)
    result = ln.gradient_check(bad, X, y, 0.1)
    assert not result.passed
    assert result.per_layer[0] > 1e-3  # the error shows up below the bad layer
    assert result.per_layer[1] < TOLERANCE


def test_numerical_gradient_of_a_quadratic():
    theta = np.array([1.0, -2.0, 3.0])
    grad = numerical_gradient(lambda t: float(np.sum(t**2)), theta)
    np.testing.assert_allclose(grad, 2 * theta, rtol=1e-10)


def test_gradient_check_accepts_targets_and_theta(rng):
    net = ln.Network([2, 3, 1], output="identity").init(seed=0)
    X = rng.normal(size=(5, 2))
    Y = rng.normal(size=(5, 1))
    theta = rng.normal(size=net.n_params)
    assert ln.check_gradients(net, X, Y=Y, theta=theta, lambda_=0.2) < TOLERANCE
