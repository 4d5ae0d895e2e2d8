"""train(): convergence, the shared TrainResult, stops and interrupts through train, bad input.

The optimizers themselves (the Objective, each method against scipy, statuses) are in test_optimize."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln


@pytest.mark.parametrize("method", ["cg", "lbfgs"])
def test_seeded_xor_converges(xor, method):
    X, y = xor
    net = ln.Network([2, 4, 2]).init(seed=1)
    result = ln.train(net, X, y, lambda_=0.0, method=method, max_iter=2000)
    assert net.score(X, y) == 1.0
    assert result.cost < 0.05
    assert result.status == "converged" and result.converged


@pytest.mark.parametrize("method", ln.METHODS)
def test_every_method_fills_the_same_result(moons, method):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    before = net.cost(None, X, np.eye(2)[y], 1e-3)
    result = ln.train(net, X, y, lambda_=1e-3, method=method, max_iter=300, learning_rate=2.0, momentum=0.5)
    assert result.method == method
    assert result.cost < before
    assert result.initial_cost == pytest.approx(before)
    assert result.iterations == len(result.cost_history) == len(result.grad_norm_history) > 0
    assert result.cost_history[-1] == pytest.approx(result.cost)
    assert np.all(np.isfinite(result.grad_norm_history))
    assert result.evaluations >= result.iterations
    assert result.seconds > 0
    np.testing.assert_array_equal(result.theta, net.theta)
    assert net.cost(None, X, np.eye(2)[y], 1e-3) == pytest.approx(result.cost)
    # What each method reaches in 300 iterations on the seeded moons, and the fact behind it.
    expected = {"cg": "max_iter", "lbfgs": "max_iter", "bfgs": "converged", "gd": "max_iter"}.get(method, "converged")
    assert result.status == expected, result.message
    largest_gradient = np.max(np.abs(net.cost_and_grad(None, X, np.eye(2)[y], 1e-3)[1]))
    if expected == "converged":
        assert result.converged and result.iterations < 300 and largest_gradient <= 1e-5
    else:
        assert not result.converged and result.iterations == 300 and largest_gradient > 1e-5
    assert set(result.summary()) >= {"cost", "iterations", "evaluations", "status", "message", "converged"}


def test_momentum_speeds_up_gradient_descent(moons):
    X, y = moons
    costs = []
    for momentum in (0.0, 0.9):
        net = ln.Network([2, 3, 2]).init(seed=0)
        costs.append(
            ln.train(net, X, y, lambda_=1e-3, method="gd", max_iter=300, learning_rate=0.5, momentum=momentum).cost
        )
    assert costs[1] < costs[0]


def test_gradient_descent_divergence_is_reported_not_warned(rng):
    X = rng.normal(size=(20, 2)) * 10
    y = rng.integers(0, 2, size=20)
    net = ln.Network([2, 2], output="identity", task="classification").init(seed=0)
    result = ln.train(net, X, y, method="gd", learning_rate=1e3, max_iter=500)
    assert result.status == "diverged"
    assert "learning_rate" in result.message
    assert np.isfinite(net.theta).all() and np.isfinite(result.cost)


def test_callback_sees_every_iteration_and_can_stop(moons):
    X, y = moons
    seen = []

    def callback(info):
        seen.append(info)
        return info.iteration == 7

    net = ln.Network([2, 3, 2]).init(seed=0)
    result = ln.train(net, X, y, lambda_=1e-3, method="cg", callback=callback)
    assert [info.iteration for info in seen] == list(range(1, 8))
    assert result.status == "stopped" and result.iterations == 7
    assert all(b.cost <= a.cost for a, b in zip(seen, seen[1:]))
    assert seen[0].max_iter == 200 * net.n_params


def test_keyboard_interrupt_ends_cleanly_with_the_best_parameters(moons):
    X, y = moons
    Y = np.eye(2)[y]

    def callback(info):
        if info.iteration == 20:
            raise KeyboardInterrupt

    for method in ("cg", "gd"):
        net = ln.Network([2, 3, 2]).init(seed=0)
        start = net.cost(None, X, Y, 1e-3)
        result = ln.train(net, X, y, lambda_=1e-3, method=method, callback=callback)
        assert result.status == "interrupted" and result.interrupted
        assert "interrupted" in result.message
        assert result.cost <= min(result.cost_history) + 1e-15
        assert result.cost < start
        assert net.cost(None, X, Y, 1e-3) == pytest.approx(result.cost)


def test_max_iter_is_reported(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    result = ln.train(net, X, y, lambda_=1e-3, method="cg", max_iter=3)
    assert result.status == "max_iter" and result.iterations == 3
    assert not result.converged


def test_precision_loss_is_explained(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    result = ln.train(net, X, y, lambda_=1e-3, method="cg", tol=1e-300)
    assert result.status == "precision_loss"
    assert "float64" in result.message and "check_gradients" in result.message
    assert "scipy:" in result.message
    assert np.isfinite(result.cost)


def test_string_labels_and_explicit_classes(rng):
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] > 0, "b", "a")
    net = ln.Network([2, 3, 3]).init(seed=0)
    ln.train(net, X, y, lambda_=0.01, method="lbfgs", classes=["a", "b", "c"])
    assert list(net.classes_) == ["a", "b", "c"]
    assert set(net.predict(X)) <= {"a", "b", "c"}


def test_uninitialized_network_is_initialized_with_seed(xor):
    X, y = xor
    a, b = ln.Network([2, 3, 2]), ln.Network([2, 3, 2])
    ln.train(a, X, y, method="lbfgs", seed=4, max_iter=5)
    ln.train(b, X, y, method="lbfgs", seed=4, max_iter=5)
    np.testing.assert_array_equal(a.theta, b.theta)


def test_error_inside_training_restores_the_parameters(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    before = net.theta.copy()

    def callback(info):
        if info.iteration == 3:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        ln.train(net, X, y, lambda_=1e-3, callback=callback)
    np.testing.assert_array_equal(net.theta, before)
    assert net.classes_ is None


GOOD_X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
GOOD_Y = np.array([0, 1, 1])


@pytest.mark.parametrize(
    "X, y, kwargs, message",
    [
        ([[np.nan, 1.0], [1.0, 0.0], [1.0, 1.0]], GOOD_Y, {}, r"X must be finite.*nan at row 0, column 0"),
        ([[np.inf, 1.0], [1.0, 0.0], [1.0, 1.0]], GOOD_Y, {}, "X must be finite"),
        (GOOD_X, [0.0, np.nan, 1.0], {}, "y must be finite: it holds nan at row 1"),
        (GOOD_X, [0, None, 1], {}, "missing label"),
        ([0.0, 1.0, 2.0], GOOD_Y, {}, "X must be 2-D"),
        (np.zeros((0, 2)), [], {}, "X is empty"),
        (GOOD_X, [0, 1], {}, "X has 3 samples but y has 2 labels"),
        (GOOD_X, [[0, 1], [1, 0], [0, 1]], {}, "y must be 1-D"),
        (np.ones((3, 3)), GOOD_Y, {}, "3 features but the network's input layer expects 2"),
        (GOOD_X, [0, 1, 2], {}, "3 classes but the output layer has 2 unit"),
        (GOOD_X, [0, 0, 0], {}, "1 classes but the output layer has 2 units"),
        (GOOD_X, GOOD_Y, {"method": "adam"}, "method must be one of 'cg', 'lbfgs', .*, got 'adam'"),
        (GOOD_X, GOOD_Y, {"lambda_": -0.1}, "lambda_ must be a finite number >= 0"),
        (GOOD_X, GOOD_Y, {"lambda_": float("nan")}, "lambda_ must be a finite number >= 0"),
        (GOOD_X, GOOD_Y, {"lambda_": "0.1"}, "lambda_ must be a finite number >= 0, got '0.1'"),
        (GOOD_X, GOOD_Y, {"max_iter": 0}, "max_iter must be an integer >= 1"),
        (GOOD_X, GOOD_Y, {"max_iter": 2.5}, "max_iter must be an integer >= 1"),
        (GOOD_X, GOOD_Y, {"tol": 0}, "tol must be a finite number > 0"),
        (GOOD_X, GOOD_Y, {"learning_rate": -1.0}, "learning_rate must be a finite number > 0"),
        (GOOD_X, GOOD_Y, {"momentum": 1.0}, r"momentum must be a finite number in \[0, 1\)"),
        (GOOD_X, GOOD_Y, {"callback": 3}, "callback must be callable"),
        (GOOD_X, GOOD_Y, {"classes": [0, 0]}, "distinct"),
        (GOOD_X, GOOD_Y, {"classes": [0, 2]}, "not in classes"),
    ],
)
def test_bad_input_raises_and_leaves_the_network_unchanged(X, y, kwargs, message):
    net = ln.Network([2, 3, 2]).init(seed=0)
    before = net.theta.copy()
    with pytest.raises(ValueError, match=message):
        ln.train(net, X, y, **kwargs)
    np.testing.assert_array_equal(net.theta, before)
    assert net.classes_ is None


def test_train_rejects_a_non_network():
    with pytest.raises(ValueError, match="must be a layernet Network"):
        ln.train("net", GOOD_X, GOOD_Y)


def test_a_start_with_non_finite_cost_ends_diverged_and_keeps_the_starting_parameters(moons):
    X, y = moons
    net = ln.Network([2, 3, 1], hidden="relu", output="identity").init(seed=0)
    before = net.theta.copy()
    result = ln.train(net, X * 1e200, y, method="cg")
    assert result.status == "diverged" and not result.converged
    assert "not finite at the starting point" in result.message
    np.testing.assert_array_equal(net.theta, before)
    assert np.isfinite(result.theta).all()


@pytest.mark.parametrize(
    "method, words", [("cg", "NaN result encountered"), ("lbfgs", "trial point(s)"), ("bfgs", "trial point(s)")]
)
def test_trial_points_that_overflow_are_reported_as_divergence(moons, method, words):
    # Linear units on features of 1e100: the first cost is finite, the line searches' far trial
    # points overflow. scipy called that precision loss (bfgs, lbfgs) or kept going.
    X, y = moons
    net = ln.Network([2, 30, 1], hidden="identity", output="identity").init(seed=0)
    result = ln.train(net, X * 1e100, y, method=method, max_iter=50)
    assert result.status == "diverged", result.message
    assert words in result.message and "kept the best parameters reached" in result.message
    assert np.isfinite(net.theta).all() and np.isfinite(result.cost)


def test_float32_lbfgs_says_it_ran_out_of_precision_instead_of_converging():
    from sklearn.datasets import load_digits

    digits = load_digits()
    X, y = digits.data[:500] / 16, digits.target[:500]
    net32 = ln.Network([64, 10, 10], dtype=np.float32).init(seed=0)
    result32 = ln.train(net32, X, y, lambda_=1.0, method="lbfgs")
    net64 = ln.Network([64, 10, 10]).init(seed=0)
    result64 = ln.train(net64, X, y, lambda_=1.0, method="lbfgs")
    # The oracle: the float64 gradient at the float32 run's end point is still above tol.
    grad32 = np.abs(net64.cost_and_grad(net32.theta.astype(float), X, net64.encode(y), 1.0)[1]).max()
    assert grad32 > 1e-5
    assert result32.status == "precision_loss" and "train a float64 network" in result32.message
    assert result64.status == "converged" and result64.cost < result32.cost


def test_a_deep_sigmoid_stack_that_learns_nothing_is_flagged_stalled(moons):
    X, y = moons
    net = ln.Network([2] + [5] * 10 + [2]).init(seed=0)
    result = ln.train(net, X, y, lambda_=1e-3, method="cg")
    assert net.score(X, y) == pytest.approx(0.5)  # the premise: chance level on balanced moons
    assert result.status == "stalled" and not result.converged
    assert "chance level" in result.message and "vanished" in result.message


def test_a_network_held_at_chance_by_a_huge_lambda_has_converged_not_stalled(moons):
    # Its optimum really is "weights near zero": no vanishing gradient, a real convergence.
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    result = ln.train(net, X, y, lambda_=1e4)
    assert net.score(X, y) == pytest.approx(0.5)
    assert result.status == "converged"
