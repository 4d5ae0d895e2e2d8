"""train(): convergence, the shared TrainResult, stops and interrupts through train, bad input.

The optimizers themselves (the Objective, each method against scipy, statuses) are in test_optimize."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln
from layernet.options import LEAST_SQUARES

#: The methods for any cost (lm is for squared errors only: tests/test_lm.py).
ANY_COST = [method for method in ln.METHODS if method not in LEAST_SQUARES]


@pytest.mark.parametrize("method", ["cg", "lbfgs"])
def test_seeded_xor_converges(xor, method):
    X, y = xor
    net = ln.Network([2, 4, 2]).init(seed=1)
    result = ln.train(net, X, y, lambda_=0.0, method=method, max_iter=2000)
    assert net.score(X, y) == 1.0
    assert result.cost < 0.05
    assert result.status == "converged" and result.converged


@pytest.mark.parametrize("method", ANY_COST)
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
        (GOOD_X, GOOD_Y, {"lambda_": "0.1"}, "lambda_ must be a finite number >= 0 or 'auto', got '0.1'"),
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


# -- validation, early stopping, warm start (issue 11) ------------------------------------------


@pytest.fixture
def noisy_split():
    """Noisy moons, split by hand: 60 to train, 40 to validate, so a 2-12-2 net overfits quickly."""
    from sklearn.datasets import make_moons

    X, y = make_moons(100, noise=0.35, random_state=3)
    return X[:60], y[:60], X[60:], y[60:]


@pytest.mark.parametrize("method", ANY_COST)
def test_validating_never_changes_the_optimizers_path(noisy_split, method):
    X, y, X_val, y_val = noisy_split
    plain, watched = ln.Network([2, 12, 2]).init(seed=0), ln.Network([2, 12, 2]).init(seed=0)
    settings = dict(method=method, max_iter=40, lambda_=1e-3, learning_rate=0.5)
    a = ln.train(plain, X, y, **settings)
    b = ln.train(
        watched, X, y, **settings, validation=(X_val, y_val), test=(X_val, y_val), patience=None, restore_best=False
    )
    np.testing.assert_array_equal(plain.theta, watched.theta)  # to the last bit
    assert a.cost_history == b.cost_history and a.evaluations == b.evaluations and a.status == b.status
    assert a.best_iteration is None and a.validation_cost is None and "validation_cost" not in a.history
    assert len(b.history["validation_cost"]) == b.iterations + 1 == len(b.history["cost"])


def test_the_validation_figures_match_the_course_formulas(noisy_split):
    from reference import reference_cost, reference_predict

    X, y, X_val, y_val = noisy_split
    net = ln.Network([2, 12, 2]).init(seed=0)
    seen = []
    result = ln.train(
        net, X, y, max_iter=15, lambda_=0.1, validation=(X_val, y_val), patience=None, callback=seen.append
    )
    Y_val = np.eye(2)[y_val]
    assert result.validation_cost == pytest.approx(
        reference_cost(net.sizes, "sigmoid", net.theta, X_val, Y_val), rel=1e-12
    )
    predicted = reference_predict(net.sizes, "sigmoid", net.theta, X_val)
    assert result.validation_accuracy == np.mean(predicted == y_val)
    # The callback saw the same figures, iteration by iteration (iteration 0, the start, is only in history).
    assert [info.validation_cost for info in seen] == result.history["validation_cost"][1:]
    assert [info.best_iteration for info in seen][-1] == result.best_iteration


def _expected_stop(costs, patience):
    """A plain reading of early stopping on a list of validation costs (index = iteration)."""
    best, best_at, failures = costs[0], 0, 0
    for iteration, cost in enumerate(costs[1:], start=1):
        if cost < best:
            best, best_at, failures = cost, iteration, 0
        elif cost > best:
            failures += 1
            if failures == patience:
                return iteration, best_at
    return None, best_at


@pytest.mark.parametrize("method", ["cg", "lbfgs"])
def test_early_stopping_stops_after_patience_failures_and_restores_the_best(noisy_split, method):
    X, y, X_val, y_val = noisy_split
    full = ln.train(
        ln.Network([2, 12, 2]).init(seed=0), X, y, method=method, lambda_=0.0, max_iter=60,
        validation=(X_val, y_val), patience=None, restore_best=False,
    )  # fmt: skip
    stop_at, best_at = _expected_stop(full.history["validation_cost"], patience=5)
    assert stop_at is not None, "the fixture must overfit within 60 iterations"
    net = ln.Network([2, 12, 2]).init(seed=0)
    seen = []
    result = ln.train(
        net, X, y, method=method, lambda_=0.0, max_iter=60, validation=(X_val, y_val), patience=5,
        callback=seen.append,
    )  # fmt: skip
    assert result.status == "early_stopped" and not result.converged
    assert result.iterations == stop_at and result.best_iteration == best_at
    assert f"iteration {best_at}" in result.message and "patience 5" in result.message
    assert seen[-1].iteration == stop_at and seen[-1].best_iteration == best_at
    # The network holds the best iteration's parameters: those of a run stopped there.
    at_best = ln.Network([2, 12, 2]).init(seed=0)
    ln.train(at_best, X, y, method=method, lambda_=0.0, max_iter=best_at)
    np.testing.assert_array_equal(net.theta, at_best.theta)
    assert result.cost == full.history["cost"][best_at]
    assert result.validation_cost == full.history["validation_cost"][best_at]
    # restore_best=False keeps the last iteration's parameters.
    last = ln.Network([2, 12, 2]).init(seed=0)
    kept = ln.train(
        last, X, y, method=method, lambda_=0.0, max_iter=60, validation=(X_val, y_val), patience=5,
        restore_best=False,
    )  # fmt: skip
    assert kept.iterations == stop_at and kept.validation_cost == full.history["validation_cost"][stop_at]


def test_validation_fraction_is_scikit_learns_stratified_split(noisy_split):
    from sklearn.model_selection import train_test_split

    X, y, _, _ = noisy_split
    by_fraction = ln.Network([2, 4, 2]).init(seed=0)
    a = ln.train(by_fraction, X, y, max_iter=20, validation_fraction=0.25, seed=7)
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.25, random_state=7, stratify=y)
    by_hand = ln.Network([2, 4, 2]).init(seed=0)
    b = ln.train(by_hand, X_fit, y_fit, max_iter=20, validation=(X_val, y_val), seed=7)
    np.testing.assert_array_equal(by_fraction.theta, by_hand.theta)
    assert a.n_validation == 15 and a.history == b.history


@pytest.mark.parametrize(
    ("validation", "match"),
    [
        ((np.ones((5, 3)), np.zeros(5)), "validation X has 3 features"),
        ((np.full((5, 2), np.nan), np.zeros(5)), "validation X must be finite"),
        ((np.ones((5, 2)), np.zeros(4)), "validation X has 5 samples but validation y has 4"),
        ((np.ones((2, 2)), np.array([0, 7])), r"validation y: labels \[7\] were not seen"),
        ((np.ones((2, 2)),), "validation must be a pair"),
    ],
)
def test_bad_validation_data_is_refused_and_the_network_kept(moons, validation, match):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    before = net.theta.copy()
    with pytest.raises(ln.DataError if "pair" not in match else ln.LayerNetError, match=match):
        ln.train(net, X, y, validation=validation)
    np.testing.assert_array_equal(net.theta, before)


def test_validation_twice_is_refused(moons):
    X, y = moons
    with pytest.raises(ln.LayerNetError, match="not both"):
        ln.train(ln.Network([2, 3, 2]), X, y, validation=(X, y), validation_fraction=0.2)
    with pytest.raises(ln.LayerNetError, match="patience must be an integer >= 1"):
        ln.train(ln.Network([2, 3, 2]), X, y, patience=0)


def test_training_a_trained_network_continues_from_its_parameters(moons):
    X, y = moons
    # Gradient descent without momentum has no state but the point: 10 + 10 steps are 20 steps.
    once, twice = ln.Network([2, 3, 2]).init(seed=0), ln.Network([2, 3, 2]).init(seed=0)
    ln.train(once, X, y, method="gd", max_iter=20, learning_rate=0.5)
    first = ln.train(twice, X, y, method="gd", max_iter=10, learning_rate=0.5)
    second = ln.train(twice, X, y, method="gd", max_iter=10, learning_rate=0.5)
    np.testing.assert_array_equal(once.theta, twice.theta)
    assert second.initial_cost == first.cost
    # CG restarts its directions, but starts where the last run ended, with the network's classes.
    net = ln.Network([2, 3, 2]).init(seed=0)
    labels = np.array(["a", "b"])[y]
    first = ln.train(net, X, labels, max_iter=30)
    second = ln.train(net, X[y == 0], labels[y == 0], max_iter=5)  # one class shown: both kept
    assert second.initial_cost == pytest.approx(net.cost(first.theta, X[y == 0], np.eye(2)[np.zeros(100, int)], 0.0))
    assert net.classes_.tolist() == ["a", "b"]


def test_a_regression_network_validates_with_r2_and_restores_its_best_iteration():
    from sklearn.datasets import make_friedman1
    from sklearn.metrics import r2_score

    X, y = make_friedman1(160, noise=1.0, random_state=0)
    net = ln.Network([10, 12, 1], hidden="tanh", output="identity").init(seed=0)
    result = ln.train(
        net, X[:100], y[:100], method="lbfgs", lambda_=0.0, max_iter=150, validation=(X[100:], y[100:]), patience=3
    )
    best = result.best_iteration
    assert best is not None and result.n_validation == 60
    # The network holds the best iteration's parameters: its R² on the validation part is the recorded one.
    assert result.history["validation_accuracy"][best] == pytest.approx(r2_score(y[100:], net.predict(X[100:])))
    assert result.history["validation_cost"][best] == min(result.history["validation_cost"])
    with pytest.raises(ln.DataError, match="validation"):
        ln.train(net, X[:100], y[:100], validation=(X[100:], np.full(60, np.nan)), max_iter=2)


def test_dask_data_refuses_what_needs_the_data_in_memory():
    da = pytest.importorskip("dask.array")
    X, y = np.random.default_rng(0).normal(size=(20, 2)), np.arange(20) % 2
    Xd, yd = da.from_array(X, chunks=10), da.from_array(y, chunks=10)
    regression = ln.Network([2, 3, 1], output="identity")
    with pytest.raises(ln.LayerNetError, match="Dask data does not support a regression network"):
        ln.train(regression, Xd, yd.astype(float))
    with pytest.raises(ln.LayerNetError, match="does not support method 'trust-ncg'"):
        ln.train(ln.Network([2, 3, 1]), Xd, yd, method="trust-ncg")
    with pytest.raises(ln.LayerNetError, match="validation_fraction"):
        ln.train(ln.Network([2, 3, 1]), Xd, yd, validation_fraction=0.2)
