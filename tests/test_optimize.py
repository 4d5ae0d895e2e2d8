"""optimize: the Objective's one-entry-per-point cache, each method against scipy.optimize.minimize
run directly, gradient descent against its update rule, and every status minimize reports."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.optimize
from scipy.optimize import rosen, rosen_der

import layernet as ln
from layernet.optimize import DEFAULT_GD_MAX_ITER, METHODS, Objective
from layernet.optimize import minimize as layernet_minimize
from layernet.options import SECOND_ORDER

SCIPY_METHODS = {"cg": "CG", "bfgs": "BFGS", "lbfgs": "L-BFGS-B"}
X0 = np.array([-1.2, 1.0, 0.5])

# A convex quadratic 0.5 x'Ax - b'x: its minimizer solves A x = b.
A = np.array([[3.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 2.0]])
B = np.array([1.0, -2.0, 0.5])


def quadratic(x):
    return 0.5 * x @ A @ x - B @ x, A @ x - B


def rosenbrock(x):
    return rosen(x), rosen_der(x)


def rosen_residual_jacobian(x):
    """The Jacobian of Rosenbrock's residuals r, rosen(x) = ||r||^2 / 2: sqrt(2) (10 (x_{i+1} - x_i^2), 1 - x_i)."""
    n = x.size
    J = np.zeros((2 * (n - 1), n))
    for i in range(n - 1):
        J[2 * i, i], J[2 * i, i + 1] = -20.0 * x[i], 10.0
        J[2 * i + 1, i] = -1.0
    return np.sqrt(2.0) * J


def minimize(fun, x0, method="cg", **options):
    """layernet's minimize, given the problem's exact Hessian products for the second-order methods
    and its residuals' Jacobian for lm (every problem here is the quadratic or Rosenbrock's,
    possibly wrapped; the quadratic is ||L^T x - L^-1 b||^2 / 2 up to a constant, A = L L^T)."""
    if method in SECOND_ORDER and "hessp" not in options:
        options["hessp"] = (lambda x, v: A @ v) if fun is quadratic else scipy.optimize.rosen_hess_prod
    if method == "lm" and "jacobian" not in options:
        options["jacobian"] = (lambda x: np.linalg.cholesky(A).T) if fun is quadratic else rosen_residual_jacobian
    return layernet_minimize(fun, x0, method=method, **options)


def scipy_reference(method, x0, **options):
    """scipy.optimize.minimize called directly, with the iterates' costs its callback sees."""
    costs = []

    def callback(intermediate_result):
        costs.append(intermediate_result.fun)

    if method == "lbfgs":
        result = scipy.optimize.minimize(
            rosenbrock, x0, jac=True, method="L-BFGS-B", callback=callback, options=options
        )
    else:
        result = scipy.optimize.minimize(
            rosen, x0, jac=rosen_der, method=SCIPY_METHODS[method], callback=callback, options=options
        )
    return result, costs


# -- Objective ------------------------------------------------------------------------------------


def counted(fun):
    calls = []

    def wrapped(x):
        calls.append(np.array(x, copy=True))
        return fun(x)

    return wrapped, calls


def test_cost_and_gradient_at_one_point_cost_one_evaluation():
    fun, calls = counted(quadratic)
    objective = Objective(fun)
    x = np.array([1.0, 2.0, 3.0])
    J = objective.f(x)
    g1, g2 = objective.g(x), objective.g(x.copy())  # equal values, another array: still a hit
    J2, g3 = objective.f_and_g(x)
    assert len(calls) == 1 and objective.evaluations == 1
    assert J == J2 == quadratic(x)[0]
    np.testing.assert_array_equal(g1, quadratic(x)[1])
    assert g1 is not g2 and g2 is not g3  # fresh arrays: CG keeps the previous gradient
    g1[:] = 0.0
    np.testing.assert_array_equal(objective.g(x), quadratic(x)[1])


def test_the_cache_keeps_the_most_recent_points():
    fun, calls = counted(quadratic)
    objective = Objective(fun, recent=2)
    a, b, c = np.zeros(3), np.ones(3), np.full(3, 2.0)
    for x in (a, b, a, b):
        objective(x)
    assert len(calls) == 2
    objective(c)  # pushes out a, the oldest
    assert objective.lookup(a) is None and objective.lookup(c) is not None
    objective(a)
    assert len(calls) == 4 == objective.evaluations


def test_the_objective_remembers_the_first_cost_and_the_best_finite_point():
    values = {0.0: (5.0, np.ones(1)), 1.0: (2.0, np.ones(1)), 2.0: (-1.0, np.array([np.nan])), 3.0: (3.0, np.ones(1))}
    objective = Objective(lambda x: values[float(x[0])])
    for point in (0.0, 1.0, 2.0, 3.0):
        objective(np.array([point]))
    assert objective.first_cost == 5.0
    # The lowest cost, -1, came with a NaN gradient: not a point to keep.
    assert objective.best_cost == 2.0 and objective.best_x.tolist() == [1.0]


@pytest.mark.parametrize("method", METHODS)
def test_each_distinct_point_is_evaluated_once(method):
    fun, calls = counted(rosenbrock)
    outcome = minimize(fun, X0, method=method, max_iter=40, learning_rate=1e-3)
    assert len(calls) == len({x.tobytes() for x in calls}) == outcome.evaluations
    np.testing.assert_array_equal(calls[0], X0)  # the start, evaluated by the optimizer itself


def test_cg_on_a_network_evaluates_each_distinct_point_once(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    fun, calls = counted(net.evaluator(X, np.eye(2)[y], 1e-3))
    outcome = minimize(fun, net.theta.copy(), method="cg", max_iter=50)
    assert len(calls) == len({x.tobytes() for x in calls}) == outcome.evaluations


# -- each method finds scipy's answer -------------------------------------------------------------


@pytest.mark.parametrize("method", sorted(SCIPY_METHODS))
def test_scipy_methods_take_scipys_own_steps_on_rosenbrock(method):
    """minimize(method) is scipy's algorithm with its defaults: the same iterates, the same optimum."""
    reference, costs = scipy_reference(method, X0)
    outcome = minimize(rosenbrock, X0, method=method)
    assert outcome.status == "converged" and outcome.converged and reference.success
    np.testing.assert_allclose(outcome.x, reference.x, rtol=0, atol=1e-12)
    np.testing.assert_allclose(outcome.x, np.ones(3), atol=1e-4)  # Rosenbrock's minimum
    assert outcome.cost == reference.fun
    assert outcome.iterations == reference.nit
    assert outcome.cost_history == costs
    # The cache serves scipy's separate f and g calls: never more evaluations than scipy's count.
    assert outcome.evaluations <= max(reference.nfev, reference.njev)
    assert outcome.initial_cost == rosen(X0)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_solves_a_quadratic(method):
    x0 = np.zeros(3)
    outcome = minimize(quadratic, x0, method=method, tol=1e-8, learning_rate=0.3, max_iter=2000)
    assert outcome.status == "converged"
    np.testing.assert_allclose(outcome.x, np.linalg.solve(A, B), atol=1e-6)
    assert np.max(np.abs(quadratic(outcome.x)[1])) <= 1e-6
    np.testing.assert_array_equal(x0, np.zeros(3))  # the start is not modified
    assert outcome.iterations == len(outcome.cost_history) == len(outcome.grad_norm_history)


@pytest.mark.parametrize("momentum", [0.0, 0.6])
def test_gradient_descent_follows_its_update_rule(momentum):
    """``v = momentum * v - learning_rate * grad; x += v``, written out as a loop."""
    x, v, costs = np.zeros(3), np.zeros(3), []
    for _ in range(25):
        v = momentum * v - 0.2 * quadratic(x)[1]
        x = x + v
        costs.append(quadratic(x)[0])
    outcome = minimize(
        quadratic, np.zeros(3), method="gd", learning_rate=0.2, momentum=momentum, max_iter=25, tol=1e-12
    )
    assert outcome.status == "max_iter" and outcome.iterations == 25
    np.testing.assert_allclose(outcome.x, x, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(outcome.cost_history, costs, rtol=1e-14, atol=1e-15)


def test_default_iteration_limits():
    expected = {"cg": 200 * 3, "bfgs": 200 * 3, "lbfgs": 15000, "gd": DEFAULT_GD_MAX_ITER}
    for method, limit in expected.items():
        outcome = minimize(quadratic, np.zeros(3), method=method, max_iter=None, callback=lambda info: True)
        assert outcome.max_iter == limit, method


def test_unknown_method():
    with pytest.raises(ValueError, match="unknown method 'adam'; known methods: cg, lbfgs, bfgs, gd"):
        minimize(quadratic, np.zeros(3), method="adam")


# -- statuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_max_iter(method):
    outcome = minimize(rosenbrock, X0, method=method, max_iter=3, learning_rate=1e-3)
    assert outcome.status == "max_iter" and not outcome.converged
    assert outcome.iterations == 3 and outcome.max_iter == 3
    if method in SCIPY_METHODS:
        reference, _ = scipy_reference(method, X0, maxiter=3)
        np.testing.assert_array_equal(outcome.x, reference.x)


@pytest.mark.parametrize("method", METHODS)
def test_a_callback_returning_true_stops(method):
    seen = []

    def callback(info):
        seen.append(info)
        return info.iteration == 2

    outcome = minimize(rosenbrock, X0, method=method, callback=callback, learning_rate=1e-3)
    assert outcome.status == "stopped" and outcome.iterations == 2
    assert [info.iteration for info in seen] == [1, 2]
    assert [info.cost for info in seen] == outcome.cost_history
    assert all(info.evaluations >= info.iteration for info in seen)
    assert outcome.cost == pytest.approx(rosen(outcome.x), rel=1e-15)


@pytest.mark.parametrize("method", METHODS)
def test_ctrl_c_in_the_function_returns_the_best_point_seen(method):
    costs = []

    def interrupted_on_the_ninth(x):
        if len(costs) == 8:
            raise KeyboardInterrupt
        costs.append(rosen(x))
        return costs[-1], rosen_der(x)

    outcome = minimize(interrupted_on_the_ninth, X0, method=method, learning_rate=1e-3)
    assert outcome.status == "interrupted" and "Ctrl-C" in outcome.message
    assert outcome.evaluations == 8
    assert outcome.cost == min(costs) < rosen(X0)
    assert rosen(outcome.x) == outcome.cost  # x is the point that cost belongs to


@pytest.mark.parametrize("method", METHODS)
def test_ctrl_c_before_any_evaluation_returns_the_start(method):
    def interrupted(x):
        raise KeyboardInterrupt

    outcome = minimize(interrupted, X0, method=method)
    assert outcome.status == "interrupted" and outcome.evaluations == 0
    np.testing.assert_array_equal(outcome.x, X0)
    assert np.isnan(outcome.cost)


def test_gradient_descent_with_a_huge_learning_rate_diverges_and_keeps_the_best_point():
    # 1e6 overflows in one jump; the rates below pass through huge-but-finite gradients first.
    outcome = minimize(quadratic, np.ones(3), method="gd", learning_rate=1e6, max_iter=500)
    assert outcome.status == "diverged" and "learning_rate" in outcome.message
    assert np.isfinite(outcome.x).all() and np.isfinite(outcome.cost)
    np.testing.assert_array_equal(outcome.x, np.ones(3))  # every step made it worse: the start is best
    assert outcome.cost == quadratic(np.ones(3))[0]


@pytest.mark.parametrize("learning_rate", [1.0, 100.0])
def test_gradient_descent_divergence_is_reported_not_warned_on_a_quadratic(learning_rate):
    # The norm of a huge but finite gradient once overflowed outside the Objective's errstate.
    outcome = minimize(quadratic, np.zeros(3), method="gd", learning_rate=learning_rate, max_iter=2000)
    assert outcome.status == "diverged"


def test_precision_loss_is_explained():
    outcome = minimize(rosenbrock, X0, method="cg", tol=1e-300)
    assert outcome.status == "precision_loss"
    assert "float64" in outcome.message and "scipy:" in outcome.message
    np.testing.assert_allclose(outcome.x, np.ones(3), atol=1e-6)


@pytest.mark.parametrize("method", ["cg", "lbfgs"])
def test_the_callback_reports_the_largest_gradient_component(method):
    seen = []
    outcome = minimize(quadratic, np.zeros(3), method=method, tol=1e-8, callback=seen.append)
    # The oracle: the quadratic's gradient A x - b, written out, at the last iterate.
    assert seen[-1].grad_max == pytest.approx(np.max(np.abs(A @ outcome.x - B)), rel=1e-9, abs=1e-15)
    if method == "cg":  # (L-BFGS also stops on its cost-decrease tolerance)
        assert seen[-1].grad_max <= 1e-8 and outcome.status == "converged"  # what the tol test compared
    for info in seen:  # the infinity norm against the 2-norm of the same vector
        assert info.grad_max <= info.grad_norm <= np.sqrt(3) * info.grad_max * (1 + 1e-12)
