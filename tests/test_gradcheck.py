"""Backprop against numerical gradients: every activation, depths 0-4, lambda 0 and > 0, every output,
at the course's debug weights and at random initial weights; wrong derivatives must fail."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln
from layernet.gradcheck import NOISE_FACTOR, TOLERANCE, GradientCheck, numerical_gradient

HIDDEN = [name for name in ln.available_activations() if not ln.get_activation(name).output_only]
OUTPUTS = ["sigmoid", "softmax", "identity"]


def _course_weights(rng, n_in, n_out):
    # The course checks gradients at small deterministic weights (debugInitializeWeights,
    # sin(1..n) / 10); central differences with epsilon 1e-4 then resolve 1e-9.
    del rng
    return np.sin(np.arange(1, n_out * (n_in + 1) + 1) + n_in).reshape((n_out, n_in + 1), order="F") / 10


def _problem(n_hidden, hidden, output):
    sizes = [3] + [4 + i for i in range(n_hidden)] + [3]
    # Identity outputs on labels: linear units as classifiers (an identity output is a regression by default).
    net = ln.Network(sizes, hidden=hidden, output=output, task="classification").init(initializer=_course_weights)
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
    """Outputs without a matched cost take (a - y) f'(z). Their cost curves more: the course's
    central difference misses 1e-9 at epsilon 1e-4, its error shrinking like epsilon**2 (a wrong
    gradient's would level off). The extrapolated difference passes."""
    net, X, y = _problem(2, "sigmoid", output)
    if output == "relu":
        net.theta = np.abs(net.theta)  # keep the output units active, off the kink
    assert ln.gradient_check(net, X, y, 0.1).passed
    coarse = ln.check_gradients(net, X, y, 0.1, epsilon=1e-3, method="central")
    fine = ln.check_gradients(net, X, y, 0.1, epsilon=1e-4, method="central")
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


# -- at random initial weights ---------------------------------------------------------------------
#
# The course's central difference is off by eps**2 J'''/6, near 1e-9 of the gradient at the
# default initialization's weights: there it failed a correct tanh network in most seeds. These
# tests check the default (Richardson-extrapolated) check at init(seed=...), where it must pass,
# and with derivatives a little wrong, where it must fail.


def _scaled(function, exact, name, scale=1.0, where=None):
    """An activation whose derivative is ``exact`` times ``scale`` where ``where(z)`` (everywhere if None)."""

    def derivative(z):
        return exact(z) * (scale if where is None else np.where(where(z), scale, 1.0))

    return ln.Activation(name, function, derivative)


def _softplus(scale=1.0, where=None):
    return _scaled(
        lambda z: np.logaddexp(0.0, z), lambda z: 0.5 * (1.0 + np.tanh(0.5 * z)), "softplus_check", scale, where
    )


def _tanh(scale=1.0, where=None):
    return _scaled(np.tanh, lambda z: 1.0 - np.tanh(z) ** 2, "tanh_check", scale, where)


def _random_problem(seed, n_hidden, hidden, output="softmax", n_samples=16):
    rng = np.random.default_rng(seed)
    sizes = [2] + [3 + i % 3 for i in range(n_hidden)] + [3]
    net = ln.Network(sizes, hidden=hidden, output=output, task="classification").init(seed=seed)  # default init
    X = rng.normal(size=(n_samples, 2))
    y = np.arange(n_samples) % 3
    return net, X, y


def _pre_activations(net, X):
    """Every hidden layer's z, by a forward pass written out here (independent of Network)."""
    a, zs = X, []
    for layer, theta in zip(net.layers[:-1], net.packer.unpack(net.theta)[:-1]):
        z = a @ theta[:, 1:].T + theta[:, 0]
        zs.append(z)
        a = layer.activation(z)
    return zs


# Depths 0-4, lambda 0 at even depths (the deepest, with the smallest first-layer gradients, among
# them) and 0.5 at odd ones.
POINTS = [(n_hidden, 0.5 * (n_hidden % 2)) for n_hidden in range(5)]


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN + ["softplus"])
def test_correct_networks_pass_at_random_initial_weights(hidden, output):
    for n_hidden, lambda_ in POINTS:
        if n_hidden == 0 and hidden != HIDDEN[0]:
            continue  # no hidden layer: the same network for every hidden activation
        activation = _softplus() if hidden == "softplus" else hidden
        seed = len(HIDDEN) * (HIDDEN + ["softplus"]).index(hidden) + 10 * OUTPUTS.index(output) + n_hidden
        net, X, y = _random_problem(seed, n_hidden, activation, output)
        report = ln.gradient_check(net, X, y, lambda_)
        assert report.passed, (n_hidden, lambda_, seed, report.relative_difference, report.per_layer)
        assert report.relative_difference < TOLERANCE


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "softplus"])
def test_deep_networks_pass_at_many_seeds(hidden):
    """Four hidden layers, lambda 0: the first layer's gradients are 1e-3 of the output layer's,
    small enough for rounding in the cost to show."""
    for seed in range(100, 112):
        net, X, y = _random_problem(seed, 4, _softplus() if hidden == "softplus" else hidden)
        report = ln.gradient_check(net, X, y)
        assert report.passed, (seed, report.relative_difference, report.per_layer, report.per_layer_limit)


def test_the_reference_network_passes_at_every_seed():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        for hidden in ("sigmoid", "tanh"):
            net = ln.Network([2, 3, 2], hidden=hidden).init(seed=seed)
            X, y = rng.normal(size=(20, 2)), rng.integers(0, 2, size=20)
            report = ln.gradient_check(net, X, y, 0.001)
            assert report.passed and max(report.per_layer) < TOLERANCE, (seed, hidden, report.per_layer)


@pytest.mark.parametrize("make", [_tanh, _softplus])
@pytest.mark.parametrize("error", [1e-3, 1e-6])
def test_a_derivative_off_everywhere_fails(make, error):
    for n_hidden, lambda_ in POINTS[1:4]:
        net, X, y = _random_problem(n_hidden, n_hidden, make(scale=1.0 + error))
        report = ln.gradient_check(net, X, y, lambda_)
        assert not report.passed, (n_hidden, lambda_)
        assert 0 in report.failed_layers  # the layer below the first wrong derivative


@pytest.mark.parametrize("make", [_tanh, _softplus])
def test_a_derivative_off_only_above_one_fails(make):
    """0.1 % off for z > 1 only: caught wherever some unit's z exceeds 1 (elsewhere the wrong
    derivative is never used, and no check at that point can see it)."""
    checked = 0
    for seed, (n_hidden, lambda_) in enumerate(POINTS[1:4] * 2):
        net, X, y = _random_problem(seed, n_hidden, make(scale=1.001, where=lambda z: z > 1.0))
        if max(z.max() for z in _pre_activations(net, X)) <= 1.0:
            continue
        checked += 1
        assert not ln.gradient_check(net, X, y, lambda_).passed, (n_hidden, lambda_, seed)
    assert checked >= 4


def _hidden_wrong_layer():
    # A 1e-6 error in the first of four sigmoid layers, whose gradients are 1e-3 of the output
    # layer's: the overall ratio stays below 1e-9, the layer's own does not.
    sigmoid = ln.get_activation("sigmoid")
    wrong = ln.Activation("sigmoid_check", sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z)) * (1.0 + 1e-6))
    rng = np.random.default_rng(1)
    net = ln.Network([2, 5, 5, 5, 5, 3], hidden=[wrong] + ["sigmoid"] * 3, output="softmax").init(seed=1)
    X, y = rng.normal(size=(16, 2)), rng.integers(0, 3, size=16)
    return net, ln.gradient_check(net, X, y)


def test_a_wrong_layer_fails_the_check_under_a_passing_total():
    _, report = _hidden_wrong_layer()
    assert report.relative_difference < TOLERANCE
    assert report.failed_layers == (0,)
    assert not report.passed


def test_passed_needs_every_layer_below_its_limit():
    def report(overall, per_layer, **kwargs):
        return GradientCheck(overall, per_layer, np.zeros(2), np.zeros(2), **kwargs)

    assert report(1e-11, (1e-11, 1e-10)).passed
    assert not report(1e-11, (1e-11, 1e-9)).passed  # at the tolerance fails, as overall does
    assert report(1e-11, (1e-11, 1e-9)).failed_layers == (1,)
    assert not report(1e-9, (1e-11, 1e-11)).passed
    assert report(1e-11, (1e-11, 2e-9), tolerance=1e-8).passed
    # Rounding noise measured at 1e-9 of a layer's gradient raises its limit to 10 times that.
    noisy = report(1e-11, (1e-11, 5e-9), per_layer_resolution=(1e-12, 1e-9))
    assert noisy.passed and noisy.per_layer_limit == (TOLERANCE, NOISE_FACTOR * 1e-9)
    assert not report(1e-11, (1e-11, 2e-8), per_layer_resolution=(1e-12, 1e-9)).passed


def test_the_course_central_difference_stays_available():
    net, X, y = ln.debug_problem()
    central = ln.gradient_check(net, X, y, 3.0, method="central", epsilon=1e-4)
    assert central.method == "central" and central.epsilon == 1e-4
    assert central.limit == TOLERANCE and central.per_layer_limit == (TOLERANCE, TOLERANCE)
    theta = np.array([0.3, -1.2])

    def cubic(t):
        return float(np.sum(t**3))

    # Central: 3 theta**2 + eps**2 exactly for a cubic; extrapolated: 3 theta**2.
    np.testing.assert_allclose(numerical_gradient(cubic, theta, method="central"), 3 * theta**2 + 1e-8, rtol=1e-6)
    np.testing.assert_allclose(numerical_gradient(cubic, theta), 3 * theta**2, rtol=1e-10)
    with pytest.raises(ln.LayerNetError, match="method"):
        ln.gradient_check(net, X, y, method="forward")
    with pytest.raises(ln.LayerNetError, match="epsilon"):
        numerical_gradient(cubic, theta, epsilon=0.0)
    with pytest.raises(ln.LayerNetError, match="tolerance"):
        ln.gradient_check(net, X, y, tolerance=-1.0)
