"""Network: construction, the course's cost and gradient (against tests/reference.py),
numerical stability, prediction, labels and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from reference import HIDDEN, OUTPUTS, reference_cost, reference_cost_and_grad, unroll

import layernet as ln


@pytest.mark.parametrize("sizes", [[2, 3, 2], [4, 6, 5, 3, 3]])
@pytest.mark.parametrize("lam", [0.0, 0.001, 1.5])
def test_cost_and_grad_match_the_course_formulas(sizes, lam, rng):
    net = ln.Network(sizes).init(seed=3)
    X = rng.normal(size=(13, sizes[0]))
    Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], size=13)]
    J_course, grad_course = reference_cost_and_grad(sizes, "sigmoid", net.theta, X, Y, lam)
    J, grad = net.cost_and_grad(net.theta, X, Y, lam)
    assert J == pytest.approx(J_course, rel=1e-12, abs=1e-12)
    np.testing.assert_allclose(grad, grad_course, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_cost_and_grad_match_the_course_formulas_for_every_activation(hidden, output, rng):
    sizes = [3, 5, 4, 3]
    net = ln.Network(sizes, hidden=hidden, output=output).init(seed=4)
    X = rng.normal(size=(11, 3))
    Y = np.eye(3)[rng.integers(0, 3, size=11)]
    activations = [hidden, hidden, output]
    J_course, grad_course = reference_cost_and_grad(sizes, activations, net.theta, X, Y, 0.3)
    J, grad = net.cost_and_grad(None, X, Y, 0.3)
    assert J == pytest.approx(J_course, rel=1e-12)
    np.testing.assert_allclose(grad, grad_course, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("activations", [["sigmoid", "sigmoid"], ["tanh", "relu", "softmax"], ["identity", "identity"]])
def test_the_reference_gradient_matches_its_own_cost(activations, rng):
    """The oracle checks itself: tests/reference.py's backprop against central differences of its cost."""
    sizes = [3] + [4] * (len(activations) - 1) + [3]
    theta = rng.normal(size=sum(n_out * (n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:]))) / 2
    X = rng.normal(size=(5, 3))
    Y = np.eye(3)[[0, 1, 2, 1, 1]]
    _, grad = reference_cost_and_grad(sizes, activations, theta, X, Y, 0.4)
    numeric = np.empty_like(theta)
    for i in range(theta.size):
        step = np.zeros_like(theta)
        step[i] = 1e-5
        plus = reference_cost(sizes, activations, theta + step, X, Y, 0.4)
        minus = reference_cost(sizes, activations, theta - step, X, Y, 0.4)
        numeric[i] = (plus - minus) / 2e-5
    assert np.linalg.norm(numeric - grad) <= 1e-8 * np.linalg.norm(numeric + grad)


def test_blog_theta_drops_in(moons):
    """A theta vector laid out by the blog's code evaluates to the blog's cost."""
    X, y = moons
    rs = np.random.RandomState(7)
    eps = np.sqrt(6) / np.sqrt(5)
    theta1 = rs.random_sample((3, 3)) * 2 * eps - eps
    theta2 = rs.random_sample((2, 4)) * 2 * eps - eps
    blog_theta = np.concatenate((theta1.reshape(9), theta2.reshape(8)))
    net = ln.Network([2, 3, 2])
    J, _ = net.cost_and_grad(blog_theta, X, np.eye(2)[y], 0.001)
    J_course, _ = reference_cost_and_grad([2, 3, 2], "sigmoid", unroll([theta1, theta2]), X, np.eye(2)[y], 0.001)
    assert J == pytest.approx(J_course, rel=1e-12)


def test_cost_and_grad_leave_parameters_and_input_alone(rng):
    net = ln.Network([3, 4, 2]).init(seed=0)
    before = net.theta.copy()
    theta = rng.normal(size=net.n_params)
    theta_copy = theta.copy()
    X = rng.normal(size=(5, 3))
    net.cost_and_grad(theta, X, np.eye(2)[[0, 1, 0, 1, 1]], 0.5)
    np.testing.assert_array_equal(net.theta, before)
    np.testing.assert_array_equal(theta, theta_copy)


def test_gradient_is_a_fresh_array_each_call(rng):
    net = ln.Network([2, 3, 2]).init(seed=0)
    X, Y = rng.normal(size=(4, 2)), np.eye(2)[[0, 1, 1, 0]]
    _, g1 = net.cost_and_grad(None, X, Y)
    g1_copy = g1.copy()
    _, g2 = net.cost_and_grad(net.theta * 2, X, Y)
    assert g1 is not g2
    np.testing.assert_array_equal(g1, g1_copy)


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "identity"])
def test_saturated_units_give_finite_cost_without_warnings(hidden, output):
    net = ln.Network([2, 4, 3], hidden=hidden, output=output)
    signs = np.where(np.arange(net.n_params) % 3 == 0, -1.0, 1.0)
    net.theta = 250.0 * signs  # |z| reaches ~1e3 and beyond
    X = np.array([[2.0, 2.0], [-2.0, -2.0], [3.0, -1.0]])
    Y = np.eye(3)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        J, grad = net.cost_and_grad(None, X, Y, 0.0)
    assert np.isfinite(J) and np.isfinite(grad).all()
    if output != "identity":
        assert J > 100  # confidently wrong on some rows: a large, finite cost


def test_cross_entropy_of_saturated_sigmoid_is_exact():
    net = ln.Network([1, 1])
    net.theta = np.array([0.0, 1000.0])
    X = np.array([[1.0], [-1.0]])
    J = net.cost(None, X, np.array([[1.0], [1.0]]))
    assert J == pytest.approx(1000.0 / 2)  # log(1 + e^-1000) = 0 for row 1, 1000 for row 2


def test_lambda_zero_and_regularization_skips_bias(rng):
    net = ln.Network([2, 2]).init(seed=0)
    X, Y = rng.normal(size=(6, 2)), np.eye(2)[[0, 1, 0, 1, 0, 1]]
    J0 = net.cost(None, X, Y, 0.0)
    theta = net.theta.copy()
    theta[[0, 3]] += 10.0  # biases only
    J1 = net.cost(theta, X, Y, 5.0) - net.cost(theta, X, Y, 0.0)
    W = net.packer.unpack(theta)[0][:, 1:]
    assert J1 == pytest.approx(5.0 / (2 * 6) * np.sum(W**2))
    assert np.isfinite(J0)


def test_construction_from_sizes_and_layers():
    net = ln.Network([2, 3, 4, 2], hidden=["tanh", "relu"], output="softmax")
    assert net.sizes == [2, 3, 4, 2]
    assert net.activations == ["tanh", "relu", "softmax"]
    assert net.n_params == 3 * 3 + 4 * 4 + 2 * 5
    net2 = ln.Network([ln.Layer(2, 3, "tanh"), ln.Layer(3, 4, "relu"), ln.Layer(4, 2, "softmax")])
    assert net2.sizes == net.sizes and net2.activations == net.activations
    for layer, view in zip(net.layers, net.packer.unpack(net.theta)):
        assert np.shares_memory(layer.theta, net.theta)
        assert layer.theta.shape == view.shape == layer.shape


def test_logistic_regression_has_no_hidden_layer(rng):
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    net = ln.Network([2, 1]).init(seed=0)
    ln.train(net, X, y, lambda_=0.0, method="lbfgs")
    assert net.score(X, y) > 0.95
    proba = net.predict_proba(X)
    assert proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


def test_init_draws_like_the_course():
    rs = np.random.RandomState(0)
    net = ln.Network([2, 3, 2]).init(rng=rs)
    rs2 = np.random.RandomState(0)
    eps1 = eps2 = np.sqrt(6) / np.sqrt(5)  # sqrt(6) / sqrt(2 + 3) and sqrt(6) / sqrt(3 + 2)
    theta1 = rs2.random_sample((3, 3)) * (2 * eps1) - eps1
    theta2 = rs2.random_sample((2, 4)) * (2 * eps2) - eps2
    expected = np.concatenate([theta1.ravel(), theta2.ravel()])
    np.testing.assert_array_equal(net.theta, expected)
    assert np.all(np.abs(net.theta) <= eps1)


def test_init_seed_is_reproducible_and_other_initializers():
    a = ln.Network([3, 4, 2]).init(seed=5).theta.copy()
    b = ln.Network([3, 4, 2]).init(seed=5).theta.copy()
    np.testing.assert_array_equal(a, b)
    he = ln.Network([3, 4, 2], hidden="relu").init(seed=5, initializer="he")
    assert np.all(he.layers[0].b == 0.0)
    custom = ln.Network([3, 4, 2]).init(initializer=lambda rng, n_in, n_out: np.full((n_out, n_in + 1), 0.5))
    assert np.all(custom.theta == 0.5)
    with pytest.raises(ValueError, match="unknown initializer 'xavier'.*he, uniform"):
        ln.Network([3, 4, 2]).init(initializer="xavier")
    with pytest.raises(ValueError, match="expected finite values of shape"):
        ln.Network([3, 4, 2]).init(initializer=lambda rng, n_in, n_out: np.zeros((1, 1)))


def test_predict_uses_classes_and_score_rejects_unseen_labels(rng):
    X = rng.normal(size=(40, 2))
    y = np.where(X[:, 0] > 0, "right", "left")
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, y, lambda_=0.01, method="lbfgs")
    assert set(net.predict(X)) <= {"left", "right"}
    assert net.score(X, y) > 0.9
    with pytest.raises(ValueError, match=r"not seen in training.*left"):
        net.score(X[:2], ["left", "up"])


def test_predict_proba_rows_sum_to_one(rng):
    X = rng.normal(size=(10, 3))
    for output in ("sigmoid", "softmax"):
        net = ln.Network([3, 4, 3], output=output).init(seed=1)
        proba = net.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        np.testing.assert_array_equal(np.argmax(proba, axis=1), net.predict(X))
    with pytest.raises(ValueError, match="forward"):
        ln.Network([3, 2], output="identity").init(seed=0).predict_proba(X)


def test_config_round_trip():
    net = ln.Network([2, 5, 3], hidden="tanh", output="softmax").init(seed=0)
    twin = ln.Network.from_config(net.get_config())
    assert twin.sizes == net.sizes and twin.activations == net.activations
    copy = net.copy()
    np.testing.assert_array_equal(copy.theta, net.theta)
    assert not np.shares_memory(copy.theta, net.theta)


def test_theta_assignment_copies_and_validates():
    net = ln.Network([2, 3, 2])
    view = net.layers[0].theta
    net.theta = np.arange(17.0)
    assert view[0, 0] == 0.0 and view[2, 2] == 8.0  # views still valid
    with pytest.raises(ValueError, match=r"shape \(17,\)"):
        net.theta = np.zeros(3)
    with pytest.raises(ValueError, match="finite"):
        net.theta = np.full(17, np.nan)


@pytest.mark.parametrize(
    "layers, kwargs, message",
    [
        ([2], {}, "at least two sizes"),
        ([2, 0, 2], {}, r"layers\[1\] must be an integer >= 1, got 0"),
        ([2, -3, 2], {}, r"layers\[1\] must be an integer >= 1, got -3"),
        ([2, 2.5, 2], {}, r"layers\[1\] must be an integer >= 1, got 2.5"),
        ([2, 3, 2], {"hidden": "nope"}, "unknown activation 'nope'"),
        ([2, 3, 2], {"output": "nope"}, "unknown activation 'nope'"),
        ([2, 3, 3, 2], {"hidden": ["tanh"]}, "1 activation"),
        ("2,3,2", {}, "list of sizes"),
        ([ln.Layer(2, 3), ln.Layer(4, 2)], {}, "n_in=4"),
        ([ln.Layer(2, 3), 2], {}, "not a mix"),
    ],
)
def test_bad_architectures(layers, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ln.Network(layers, **kwargs)


def test_evaluation_input_errors(rng):
    net = ln.Network([2, 3, 2]).init(seed=0)
    X = rng.normal(size=(4, 2))
    Y = np.eye(2)[[0, 1, 0, 1]]
    with pytest.raises(ValueError, match="3 features but the network's input layer expects 2"):
        net.cost_and_grad(None, rng.normal(size=(4, 3)), Y)
    with pytest.raises(ValueError, match=r"Y must have shape \(4, 2\)"):
        net.cost_and_grad(None, X, Y[:, :1])
    with pytest.raises(ValueError, match="lambda_ must be a finite number >= 0"):
        net.cost_and_grad(None, X, Y, -1.0)
    with pytest.raises(ValueError, match="theta must have shape"):
        net.cost_and_grad(np.zeros(5), X, Y)
    with pytest.raises(ValueError, match="must be 2-D"):
        net.predict(np.zeros(2))


def test_saturated_sigmoid_outputs_keep_tiny_probabilities():
    # Output z = -50 and -60: the tanh-form sigmoid rounds both to 0; probabilities must not.
    net = ln.Network([1, 2])
    net.theta = np.array([-50.0, 0.0, -60.0, 0.0])
    proba = net.predict_proba(np.zeros((1, 1)))
    assert np.all(proba > 0)
    np.testing.assert_allclose(proba[0], [np.exp(10) / (1 + np.exp(10)), 1 / (1 + np.exp(10))], rtol=1e-12)
    assert net.predict(np.zeros((1, 1)))[0] == 0  # z ranks the units, no tie at a = 0
    single = ln.Network([1, 1])
    single.theta = np.array([-50.0, 0.0])
    p = single.predict_proba(np.zeros((1, 1)))
    assert p[0, 1] == pytest.approx(np.exp(-50), rel=1e-12) and p[0, 0] == 1.0


def test_assigned_parameters_are_where_training_starts():
    # The README promises a theta vector from the course's or the blog's code drops in: training
    # must start from it, not from fresh random weights.
    X, y = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([0, 1, 1, 0])
    given = np.linspace(-0.5, 0.5, 17)
    net = ln.Network([2, 3, 2])
    net.theta = given
    assert net.initialized
    result = ln.train(net, X, y, method="cg", max_iter=1)
    oracle = ln.Network([2, 3, 2]).cost(given, X, np.eye(2)[y])
    assert result.initial_cost == pytest.approx(oracle, rel=1e-15)
    # Written in place (into net.theta or a layer's view) counts as well.
    for write in (lambda net: np.copyto(net.theta, given), lambda net: net.layers[0].theta.__setitem__(..., 0.25)):
        net = ln.Network([2, 3, 2])
        write(net)
        start = net.theta.copy()
        result = ln.train(net, X, y, method="cg", max_iter=1)
        assert result.initial_cost == pytest.approx(ln.Network([2, 3, 2]).cost(start, X, np.eye(2)[y]), rel=1e-15)


class _ScaledLayer(ln.Layer):
    pass


def test_layer_subclasses_are_refused_with_a_pointer_to_activations():
    with pytest.raises(ln.LayerNetError, match="subclass of Layer.*give it an Activation of your own"):
        ln.Network([_ScaledLayer(2, 3), ln.Layer(3, 2)])


def test_copy_copy_gives_an_independent_network():
    import copy

    net = ln.Network([2, 3, 2]).init(seed=0)
    before = net.theta.copy()
    twin = copy.copy(net)
    twin.theta = np.zeros(net.n_params)
    np.testing.assert_array_equal(net.theta, before)
    assert not np.shares_memory(twin.theta, net.theta)


@pytest.mark.parametrize(("output", "n_out"), [("sigmoid", 1), ("sigmoid", 3), ("softmax", 3), ("identity", 3)])
def test_the_scorer_is_the_course_cost_and_accuracy_and_touches_nothing(rng, output, n_out):
    from reference import reference_cost, reference_predict

    # Identity units used as a classifier here; as a regression network see the R² test below.
    net = ln.Network([3, 4, n_out], hidden="tanh", output=output, task="classification").init(seed=1)
    X, labels = rng.normal(size=(25, 3)), rng.integers(0, max(n_out, 2), size=25)
    Y = np.eye(max(n_out, 2))[labels][:, -n_out:] if n_out == 1 else np.eye(n_out)[labels]
    before = net.theta.copy()
    theta = rng.normal(size=net.n_params)
    cost, accuracy = net.scorer(X, Y)(theta)
    assert cost == pytest.approx(reference_cost(net.sizes, ["tanh", output], theta, X, Y), rel=1e-12)
    assert accuracy == np.mean(reference_predict(net.sizes, ["tanh", output], theta, X) == labels)
    np.testing.assert_array_equal(net.theta, before)


def test_a_regression_scorer_gives_r2_as_scikit_learn_computes_it(rng):
    from sklearn.metrics import r2_score

    net = ln.Network([3, 4, 2], hidden="tanh", output="identity").init(seed=1)
    X, Y = rng.normal(size=(30, 3)), rng.normal(size=(30, 2))
    Y[:, 1] = 0.5  # a constant target column: scikit-learn's force_finite rule
    theta = rng.normal(size=net.n_params)
    cost, r2 = net.scorer(X, Y)(theta)
    net.theta = theta
    assert r2 == pytest.approx(r2_score(Y, net.predict(X)), rel=1e-12)
    assert cost == pytest.approx(np.sum((net.predict(X) - Y) ** 2) / (2 * len(X)), rel=1e-12)
