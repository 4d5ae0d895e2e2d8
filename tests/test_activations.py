"""Activations: every registered derivative matches a finite difference; the registry behaves."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln
from layernet.activations import Activation, Sigmoid

ELEMENTWISE = [name for name in ln.available_activations() if not ln.get_activation(name).output_only]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_difference(name, rng):
    act = ln.get_activation(name)
    z = rng.uniform(-4, 4, size=(7, 5))
    z[np.abs(z) < 1e-2] += 0.1  # keep relu off its kink
    eps = 1e-6
    numeric = (act(z + eps) - act(z - eps)) / (2 * eps)
    analytic = act.derivative(z, act(z))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ln.available_activations())
def test_forward_writes_into_out(name, rng):
    act = ln.get_activation(name)
    z = rng.normal(size=(4, 3))
    out = np.empty_like(z)
    result = act.forward(z, out=out)
    assert result is out
    np.testing.assert_allclose(out, act(z))


def test_sigmoid_matches_logistic_and_never_overflows():
    z = np.array([[-1000.0, -30.0, -1.0, 0.0, 2.5, 40.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = Sigmoid().forward(z)
    expected = 1.0 / (1.0 + np.exp(-np.clip(z, -700, 700)))
    np.testing.assert_allclose(a, expected, rtol=1e-12, atol=1e-15)


def test_softmax_rows_sum_to_one_without_overflow():
    z = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        a = ln.get_activation("softmax").forward(z)
    np.testing.assert_allclose(a.sum(axis=1), 1.0)
    assert a[0, 0] == pytest.approx(1.0)


def test_softmax_is_output_only():
    assert ln.get_activation("softmax").output_only
    with pytest.raises(ln.LayerNetError, match="output layer"):
        ln.Network([2, 3, 3, 2], hidden="softmax")


def test_unknown_name_lists_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'swish'.*sigmoid.*tanh"):
        ln.get_activation("swish")


def test_instance_passes_through():
    act = ln.get_activation("tanh")
    assert ln.get_activation(act) is act


def test_function_based_activation_registers_and_trains(xor):
    softplus = Activation("softplus_test", lambda z: np.logaddexp(0.0, z), lambda z: 0.5 * (1 + np.tanh(0.5 * z)))
    try:
        ln.register_activation(softplus)
        assert ln.get_activation("softplus_test") is softplus
        with pytest.raises(ValueError, match="already registered"):
            ln.register_activation(softplus)
        net = ln.Network([2, 4, 2], hidden="softplus_test").init(seed=1)
        X, y = xor
        assert ln.check_gradients(net, X, y, lambda_=0.1) < 1e-9
    finally:
        ln.activations._REGISTRY.pop("softplus_test", None)


def test_activation_object_passed_straight_to_layer():
    cube = Activation("cube", lambda z: z**3, lambda z: 3 * z**2)
    layer = ln.Layer(2, 3, cube)
    assert layer.activation is cube
    assert "cube" not in ln.available_activations()


def test_decorator_registration():
    try:

        @ln.register_activation("softsign_test")
        class Softsign(Activation):
            def forward(self, z, out=None):
                return np.divide(z, 1.0 + np.abs(z), out=out)

            def derivative(self, z, a):
                return (1.0 - np.abs(a)) ** 2

        act = ln.get_activation("softsign_test")
        assert isinstance(act, Softsign)
        assert act.name == "softsign_test"
    finally:
        ln.activations._REGISTRY.pop("softsign_test", None)


@pytest.mark.parametrize(
    "args, message",
    [
        (("",), "non-empty name"),
        (("x",), "needs a function and its derivative"),
        (("x", np.tanh), "both a function and its derivative"),
        (("x", np.tanh, 3), "derivative must be callable"),
    ],
)
def test_bad_activation_definitions(args, message):
    with pytest.raises(ValueError, match=message):
        Activation(*args)


def test_user_function_with_wrong_shape_is_reported():
    bad = Activation("bad", lambda z: z.sum(axis=1), lambda z: z)
    with pytest.raises(ValueError, match="returned shape"):
        bad(np.ones((3, 2)))
