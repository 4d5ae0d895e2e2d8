"""Layer: its shape, views into the network's theta, config round trips, and bad sizes."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln
from layernet.layers import Layer


@pytest.mark.parametrize(("n_in", "n_out"), [(1, 1), (2, 3), (64, 10)])
def test_shape_has_the_bias_column(n_in, n_out):
    layer = Layer(n_in, n_out)
    assert layer.shape == (n_out, n_in + 1)
    assert layer.n_params == n_out * (n_in + 1)
    assert layer.activation.name == "sigmoid"  # the course's default
    assert layer.theta is None


def test_numpy_integer_sizes_are_accepted_as_ints():
    layer = Layer(np.int64(2), np.int32(3), "tanh")
    assert (layer.n_in, layer.n_out) == (2, 3) and type(layer.n_in) is int and type(layer.n_out) is int


def test_weights_and_biases_are_views_of_the_networks_theta():
    net = ln.Network([Layer(2, 3, "tanh"), Layer(3, 2)])
    net.theta = np.arange(net.n_params, dtype=float)
    first, second = net.layers
    # The course's unrolled layout: row-major, the bias in column 0.
    np.testing.assert_array_equal(first.theta, np.arange(9.0).reshape(3, 3))
    np.testing.assert_array_equal(first.b, [0.0, 3.0, 6.0])
    np.testing.assert_array_equal(first.W, [[1.0, 2.0], [4.0, 5.0], [7.0, 8.0]])
    np.testing.assert_array_equal(second.theta, np.arange(9.0, 17.0).reshape(2, 4))
    for layer in net.layers:
        assert np.shares_memory(layer.W, net.theta) and np.shares_memory(layer.b, net.theta)
    first.W[0, 0] = -1.0
    assert net.theta[1] == -1.0


def test_an_unbound_layer_has_no_parameters():
    layer = Layer(2, 3)
    for attribute in ("W", "b"):
        with pytest.raises(ValueError, match="belongs to no network yet"):
            getattr(layer, attribute)


@pytest.mark.parametrize("name", ln.available_activations())
def test_config_round_trips_for_every_registered_activation(name):
    layer = Layer(4, 2, name)
    config = layer.get_config()
    assert config == {"n_in": 4, "n_out": 2, "activation": name}
    twin = Layer.from_config(config)
    assert twin.get_config() == config and twin.shape == layer.shape
    assert twin.activation.name == name
    assert repr(twin) == f"Layer(4, 2, {name!r})"


def test_an_activation_object_is_kept_and_its_config_names_it():
    cube = ln.Activation("cube", lambda z: z**3, lambda z: 3 * z**2)
    layer = Layer(2, 3, cube)
    assert layer.activation is cube
    assert layer.get_config()["activation"] == "cube"


def test_a_subclass_is_refused_by_the_network():
    # Layer is a description the engine evaluates itself; a subclass's code would never run.
    class ScaledLayer(Layer):
        pass

    with pytest.raises(ValueError, match="subclass of Layer"):
        ln.Network([ScaledLayer(2, 3), Layer(3, 2)])


@pytest.mark.parametrize(
    ("n_in", "n_out", "message"),
    [
        (0, 2, "n_in must be an integer >= 1, got 0"),
        (2, 0, "n_out must be an integer >= 1, got 0"),
        (-3, 2, "n_in must be an integer >= 1, got -3"),
        (True, 2, "n_in must be an integer >= 1, got True"),
        (2.0, 3, r"n_in must be an integer >= 1, got 2\.0"),
        ("2", 3, "n_in must be an integer >= 1, got '2'"),
        (2, None, "n_out must be an integer >= 1, got None"),
    ],
)
def test_bad_sizes_name_the_argument_and_the_value(n_in, n_out, message):
    with pytest.raises(ValueError, match=message):
        Layer(n_in, n_out)


def test_unknown_activation_lists_the_known_ones():
    with pytest.raises(ValueError, match="unknown activation 'nope'.*sigmoid"):
        Layer(2, 3, "nope")
