"""Curvature: Hessian-vector and Gauss-Newton products, and the second-order methods behind ln.train.

Oracles: central differences of the gradient along ``v`` (layernet's gradient, itself checked
against the course's formulas); the full Hessian from central differences of the plain
reference gradient of tests/reference.py, column by column; the Gauss-Newton matrix assembled
from a finite-difference Jacobian of the reference forward pass and the output costs' Hessians
written out by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import forward_pass, reference_cost_and_grad

import layernet as ln
from layernet.activations import available_activations, get_activation


def problem(rng, sizes, output, m=7):
    X = rng.normal(size=(m, sizes[0]))
    n_out = sizes[-1]
    if output == "softmax":
        Y = np.eye(n_out)[rng.integers(0, n_out, m)]
    elif output == "sigmoid":
        Y = rng.integers(0, 2, size=(m, n_out)).astype(float)
    else:
        Y = rng.normal(size=(m, n_out))
    return X, Y


def directional_difference(net, theta, v, X, Y, lambda_, h=1e-5):
    plus = net.cost_and_grad(theta + h * v, X, Y, lambda_)[1]
    minus = net.cost_and_grad(theta - h * v, X, Y, lambda_)[1]
    return (plus - minus) / (2 * h)


def relative(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


# Random architectures: depth, widths, hidden activations, output, lambda; a fixed seed each.
CASES = []
_draw = np.random.default_rng(2024)
for _case in range(14):
    _depth = int(_draw.integers(0, 4))
    _sizes = [int(_draw.integers(1, 5)) for _ in range(_depth + 1)] + [int(_draw.integers(2, 4))]
    _hidden = [str(_draw.choice(["sigmoid", "tanh", "relu", "identity"])) for _ in range(_depth)]
    _output = str(_draw.choice(["sigmoid", "softmax", "identity", "tanh"]))
    CASES.append((_sizes, _hidden, _output, float(_draw.choice([0.0, 0.01, 1.0])), _case))


@pytest.mark.parametrize(("sizes", "hidden", "output", "lambda_", "seed"), CASES)
def test_hessp_matches_finite_differences_of_the_gradient(sizes, hidden, output, lambda_, seed):
    rng = np.random.default_rng(seed)
    task = "regression" if output == "tanh" else None  # tanh output: squared error with f'' in the delta
    net = ln.Network(sizes, hidden=hidden, output=output, task=task).init(seed=seed)
    X, Y = problem(rng, sizes, output)
    theta = net.theta.copy()
    for _ in range(2):
        v = rng.normal(size=net.n_params)
        Hv = net.hessp(theta, v, X, Y, lambda_)
        assert relative(Hv, directional_difference(net, theta, v, X, Y, lambda_)) <= 1e-6
    np.testing.assert_array_equal(net.theta, theta)  # the network's parameters are left alone


@pytest.mark.parametrize(
    ("sizes", "hidden", "output"),
    [([2, 3, 2], "sigmoid", "sigmoid"), ([3, 4, 3], "tanh", "softmax"), ([2, 3, 2, 2], ["relu", "tanh"], "identity")],
)
def test_hessp_builds_the_full_hessian_of_the_reference_cost(rng, sizes, hidden, output):
    net = ln.Network(sizes, hidden=hidden, output=output).init(seed=1)
    X, Y = problem(rng, sizes, output, m=9)
    names = ([hidden] * (len(sizes) - 2) if isinstance(hidden, str) else hidden) + [output]
    theta, lambda_, h = net.theta.copy(), 0.1, 1e-5
    H = np.column_stack([net.hessp(theta, e, X, Y, lambda_) for e in np.eye(net.n_params)])
    expected = np.empty_like(H)
    for j, e in enumerate(np.eye(net.n_params)):
        plus = reference_cost_and_grad(sizes, names, theta + h * e, X, Y, lambda_)[1]
        minus = reference_cost_and_grad(sizes, names, theta - h * e, X, Y, lambda_)[1]
        expected[:, j] = (plus - minus) / (2 * h)
    np.testing.assert_allclose(H, H.T, rtol=0, atol=1e-12 * np.abs(H).max())
    assert relative(H, expected) <= 1e-7


def output_hessians(output, z_row):
    """The cost's Hessian in the output pre-activations, one sample, by hand."""
    if output == "sigmoid":
        a = 1 / (1 + np.exp(-z_row))
        return np.diag(a * (1 - a))
    if output == "softmax":
        a = np.exp(z_row - z_row.max())
        a /= a.sum()
        return np.diag(a) - np.outer(a, a)
    return np.eye(len(z_row))


@pytest.mark.parametrize(("hidden", "output"), [("sigmoid", "sigmoid"), ("tanh", "softmax"), ("sigmoid", "identity")])
def test_gauss_newton_product_is_j_transpose_h_j(rng, hidden, output):
    sizes = [3, 4, 3]
    net = ln.Network(sizes, hidden=hidden, output=output).init(seed=2)
    X, Y = problem(rng, sizes, output, m=5)
    names, theta, lambda_, h = [hidden, output], net.theta.copy(), 0.5, 1e-6

    def logits(t):
        return forward_pass(sizes, names, t, X)[1][-1]  # (m, n_out)

    jac = np.stack(
        [(logits(theta + h * e) - logits(theta - h * e)) / (2 * h) for e in np.eye(net.n_params)], axis=-1
    )  # (m, n_out, n_params)
    z = logits(theta)
    G = sum(jac[i].T @ output_hessians(output, z[i]) @ jac[i] for i in range(len(X))) / len(X)
    mask = np.concatenate(
        [np.c_[np.zeros(n_out), np.ones((n_out, n_in))].ravel() for n_in, n_out in zip(sizes, sizes[1:])]
    )
    G += np.diag(lambda_ / len(X) * mask)
    for _ in range(3):
        v = rng.normal(size=net.n_params)
        assert relative(net.gauss_newton_product(theta, v, X, Y, lambda_), G @ v) <= 1e-7
    # The dense matrix, built by batched unit-column passes, is the same matrix.
    assert relative(net.gauss_newton_matrix(theta, X, Y, lambda_), G) <= 1e-7


@pytest.mark.parametrize(("sizes", "hidden", "output", "lambda_", "seed"), CASES)
def test_the_dense_gauss_newton_matrix_has_the_products_as_columns(sizes, hidden, output, lambda_, seed):
    from layernet.curvature import Curvature

    rng = np.random.default_rng(seed)
    task = "regression" if output == "tanh" else None
    net = ln.Network(sizes, hidden=hidden, output=output, task=task).init(seed=seed)
    X, Y = problem(rng, sizes, output, m=9)
    theta = net.theta.copy()
    columns = np.column_stack([net.gauss_newton_product(theta, e, X, Y, lambda_) for e in np.eye(net.n_params)])
    work = net._engine.workspace(len(X))
    work.set_inputs(X, Y)
    curvature = Curvature(net._engine, work, lambda_)
    # A budget of one column per block, and one of every column at once: the same matrix.
    for budget in (1, 2**30):
        np.testing.assert_allclose(curvature.gauss_newton_matrix(theta, budget=budget), columns, rtol=0, atol=1e-12)


def test_gauss_newton_is_positive_semi_definite_where_the_hessian_is_not(rng):
    net = ln.Network([2, 6, 3], hidden="tanh", output="softmax").init(seed=0)
    X, Y = problem(rng, [2, 6, 3], "softmax", m=20)
    eye = np.eye(net.n_params)
    H = np.column_stack([net.hessp(None, e, X, Y, 0.0) for e in eye])
    G = np.column_stack([net.gauss_newton_product(None, e, X, Y, 0.0) for e in eye])
    assert np.linalg.eigvalsh(H).min() < -1e-6  # an indefinite Hessian away from a minimum
    assert np.linalg.eigvalsh((G + G.T) / 2).min() >= -1e-12


@pytest.mark.parametrize("name", [n for n in available_activations() if get_activation(n).has_second_derivative])
def test_every_second_derivative_matches_a_difference_of_the_derivative(name):
    activation = get_activation(name)
    z = np.linspace(-3.0, 3.0, 41).reshape(1, -1) + 0.013  # off relu's kink
    h = 1e-6

    def d1(values):
        return activation.derivative(values, activation.forward(values.copy()))

    expected = (d1(z + h) - d1(z - h)) / (2 * h)
    np.testing.assert_allclose(activation.second_derivative(z, activation.forward(z.copy())), expected, atol=1e-7)


def test_an_activation_without_second_derivative_is_refused_by_name_for_the_hessian_only(rng):
    plain = ln.Activation("softsign_plain", lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2)
    net = ln.Network([2, 3, 2], hidden=plain, output="softmax").init(seed=0)
    X, Y = problem(rng, [2, 3, 2], "softmax")
    with pytest.raises(ln.LayerNetError, match="'softsign_plain' .* no second derivative"):
        net.hessp(None, np.ones(net.n_params), X, Y)
    with pytest.raises(ln.LayerNetError, match="no second derivative"):
        ln.train(net, X, Y.argmax(axis=1), method="trust-ncg")
    assert np.isfinite(net.gauss_newton_product(None, np.ones(net.n_params), X, Y)).all()
    result = ln.train(net, X, Y.argmax(axis=1), method="trust-ncg", curvature="gauss-newton", max_iter=5)
    assert result.hessp_products > 0
    given = ln.Activation(
        "softsign_d2",
        lambda z: z / (1 + np.abs(z)),
        lambda z: 1 / (1 + np.abs(z)) ** 2,
        lambda z: -2 * np.sign(z) / (1 + np.abs(z)) ** 3,
    )
    net = ln.Network([2, 3, 2], hidden=given, output="softmax").init(seed=0)
    v = rng.normal(size=net.n_params)
    theta = net.theta.copy()
    assert relative(net.hessp(theta, v, X, Y), directional_difference(net, theta, v, X, Y, 0.0)) <= 1e-6


@pytest.mark.parametrize("method", ["trust-krylov", "trust-ncg", "newton-cg"])
def test_second_order_methods_train_the_reference_behind_ln_train(moons, method):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    seen = []
    result = ln.train(net, X, y, lambda_=1e-3, method=method, callback=lambda info: seen.append(info.iteration))
    assert result.status == "converged", result.message
    assert result.method == method and result.hessp_products > 0
    assert seen == list(range(1, result.iterations + 1)) and result.iterations < 100
    grad = net.cost_and_grad(None, X, net.encode(y), 1e-3)[1]
    assert np.abs(grad).max() <= 1e-4
    assert net.score(X, y) >= 0.95
    stopped = ln.train(
        ln.Network([2, 3, 2]).init(seed=0), X, y, method=method, callback=lambda info: info.iteration >= 2
    )
    assert stopped.status == "stopped" and stopped.iterations == 2


@pytest.mark.parametrize("method", ["trust-krylov", "trust-ncg", "newton-cg"])
def test_minimize_takes_scipys_own_steps_with_hessp(method):
    import scipy.optimize as so

    from layernet.optimize import minimize

    x0 = np.array([-1.2, 1.0, 0.5])
    options = {"xtol": 1e-5} if method == "newton-cg" else {"gtol": 1e-5}
    calls = []

    def counted(x, v):
        calls.append(1)
        return so.rosen_hess_prod(x, v)

    reference = so.minimize(so.rosen, x0, jac=so.rosen_der, hessp=counted, method=method, options=options)
    outcome = minimize(lambda x: (so.rosen(x), so.rosen_der(x)), x0, method=method, hessp=so.rosen_hess_prod)
    assert outcome.status == "converged" and reference.success
    np.testing.assert_allclose(outcome.x, reference.x, rtol=0, atol=1e-12)
    assert outcome.iterations == reference.nit and outcome.hessp_products == len(calls)
    with pytest.raises(ln.LayerNetError, match="needs Hessian-vector products"):
        minimize(lambda x: (so.rosen(x), so.rosen_der(x)), x0, method=method)


def test_the_cli_trains_with_a_second_order_method_and_counts_its_products():
    import json

    from typer.testing import CliRunner

    from layernet_cli.app import app

    result = CliRunner().invoke(app, ["train", "--method", "trust-ncg", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["method"] == "trust-ncg" and summary["status"] == "converged"
    assert round(summary["cost"], 4) == 0.1324 and summary["hessp_products"] > 0


def test_a_direction_of_the_wrong_shape_is_one_clear_error(rng):
    net = ln.Network([2, 3, 2]).init(seed=0)
    X, Y = problem(rng, [2, 3, 2], "sigmoid")
    with pytest.raises(ln.LayerNetError, match=r"v must be a finite vector of shape \(17,\)"):
        net.hessp(None, np.ones(3), X, Y)
    with pytest.raises(ln.LayerNetError, match="v must be a finite vector"):
        net.gauss_newton_product(None, np.full(17, np.nan), X, Y)


@pytest.mark.parametrize("method", ["trust-krylov", "trust-ncg", "newton-cg"])
def test_products_that_overflow_end_diverged_with_finite_parameters_and_no_warning(moons, method):
    X, y = moons
    net = ln.Network([2, 30, 1], hidden="identity", output="identity").init(seed=0)
    result = ln.train(net, X * 1e100, y.astype(float), method=method, max_iter=30)
    assert result.status == "diverged" and "kept the best parameters" in result.message
    assert np.isfinite(net.theta).all() and np.isfinite(result.cost)


def test_a_subproblem_breaking_down_near_the_optimum_is_not_called_an_overflow():
    # scipy's trust-krylov normalizes a vanishing Krylov residual into a NaN direction when the
    # gradient is tiny (seen on a linear model at tol 1e-9): no product overflowed.
    rng = np.random.default_rng(3)
    X = rng.normal(size=(60, 4))
    y = X @ rng.normal(size=4) + 0.5 + rng.normal(scale=0.7, size=60)
    net = ln.Network([4, 1], output="identity").init(0)
    result = ln.train(net, X, y, lambda_=0.01, method="trust-krylov", tol=1e-9)
    assert result.status in ("converged", "precision_loss")
    assert "overflow" not in result.message
    assert np.isfinite(result.theta).all()
