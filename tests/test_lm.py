"""Levenberg-Marquardt: the residuals and their Jacobian, trainlm's damping schedule, method="lm" behind ln.train.

Oracles: the plain forward pass of tests/reference.py (residuals written out from it, their
Jacobian by central differences, the course's cost and gradient); a plain Levenberg-Marquardt
loop written here with numpy.linalg.solve; the closed-form ridge solution of a network without
hidden layers (a convex least-squares problem).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from reference import forward_pass, reference_cost_and_grad, roll

import layernet as ln
from layernet.lm import MU_DOWN, MU_START, MU_UP, residual_jacobian, residuals


def plain_residuals(sizes, names, theta, X, Y, lambda_):
    """(a - y) / sqrt(m) sample by sample, then sqrt(lambda / m) w for every weight, from the reference pass."""
    m = len(X)
    h = forward_pass(sizes, [*names[:-1], "identity"], theta, X)[2]  # the output's z
    h = np.tanh(h) if names[-1] == "tanh" else h  # the reference has no tanh output
    weights = [matrix[:, 1:].ravel() for matrix in roll(sizes, theta)] if lambda_ else []
    return np.concatenate([((h - Y) / np.sqrt(m)).ravel(), *(np.sqrt(lambda_ / m) * w for w in weights)])


def difference_jacobian(fun, theta, h=1e-6):
    columns = []
    for j in range(theta.size):
        step = np.zeros_like(theta)
        step[j] = h
        columns.append((fun(theta + step) - fun(theta - step)) / (2 * h))
    return np.array(columns).T


def sine(m=30, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    X = np.linspace(-1, 1, m).reshape(-1, 1)
    return X, np.sin(np.pi * X[:, 0]) + noise * rng.normal(size=m)


CASES = [
    ([3, 4, 2], ["tanh", "identity"], 0.3),
    ([2, 3, 3, 1], ["sigmoid", "tanh", "identity"], 0.0),
    ([4, 1], ["identity"], 1.0),
    ([2, 5, 2], ["tanh", "tanh"], 0.1),  # a tanh output: squared error with f'(z) in the output delta
]


@pytest.mark.parametrize(("sizes", "names", "lambda_"), CASES)
def test_the_jacobian_is_the_difference_jacobian_of_the_plain_residuals(rng, sizes, names, lambda_):
    net = ln.Network([ln.Layer(a, b, name) for a, b, name in zip(sizes[:-1], sizes[1:], names)], task="regression")
    net.init(seed=1)
    X, Y = rng.normal(size=(6, sizes[0])), 0.5 * rng.normal(size=(6, sizes[-1]))
    r = residuals(net, None, X, Y, lambda_)
    np.testing.assert_allclose(r, plain_residuals(sizes, names, net.theta, X, Y, lambda_), rtol=1e-12, atol=1e-14)
    J = residual_jacobian(net, None, X, Y, lambda_)
    expected = difference_jacobian(lambda t: plain_residuals(sizes, names, t, X, Y, lambda_), net.theta.copy())
    n_weights = sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) if lambda_ else 0
    assert J.shape == (6 * sizes[-1] + n_weights, net.n_params)
    assert np.linalg.norm(J - expected) <= 1e-7 * np.linalg.norm(expected)


@pytest.mark.parametrize(("sizes", "names", "lambda_"), [case for case in CASES if case[1][-1] == "identity"])
def test_half_the_squared_residuals_is_the_courses_cost_and_jt_r_its_gradient(rng, sizes, names, lambda_):
    net = ln.Network(sizes, hidden=names[:-1] or "sigmoid", output="identity").init(seed=2)
    X, Y = rng.normal(size=(9, sizes[0])), rng.normal(size=(9, sizes[-1]))
    cost, grad = reference_cost_and_grad(sizes, names, net.theta, X, Y, lambda_)
    r, J = residuals(net, None, X, Y, lambda_), residual_jacobian(net, None, X, Y, lambda_)
    assert r @ r / 2 == pytest.approx(cost, rel=1e-13)
    np.testing.assert_allclose(J.T @ r, grad, rtol=1e-10, atol=1e-14)


def plain_levenberg_marquardt(net, X, Y, lambda_, iterations):
    """trainlm's schedule written out: solve (J'J + mu I) step = -J'r; keep the step if it lowers the cost
    (mu * 0.1), else mu * 10 and solve again. The costs after each accepted step."""
    sizes, names = net.sizes, net.activations
    theta, mu, costs = net.theta.copy(), 1e-3, []

    def cost_of(t):
        r = plain_residuals(sizes, names, t, X, Y, lambda_)
        return r @ r / 2

    for _ in range(iterations):
        r = plain_residuals(sizes, names, theta, X, Y, lambda_)
        J = difference_jacobian(lambda t: plain_residuals(sizes, names, t, X, Y, lambda_), theta)
        while True:
            step = np.linalg.solve(J.T @ J + mu * np.eye(theta.size), -J.T @ r)
            if cost_of(theta + step) < cost_of(theta):
                break
            mu *= 10
        theta, mu = theta + step, mu * 0.1
        costs.append(cost_of(theta))
    return theta, costs


def test_the_updates_are_trainlms_on_the_plain_implementation():
    assert (MU_START, MU_DOWN, MU_UP) == (1e-3, 0.1, 10.0)
    X, y = sine(12)
    net = ln.Network([1, 3, 1], hidden="tanh", output="identity").init(seed=0)
    theta, costs = plain_levenberg_marquardt(net, X, y.reshape(-1, 1), 1e-2, 8)
    result = ln.train(net, X, y, method="lm", lambda_=1e-2, max_iter=8, tol=1e-12)
    assert result.iterations == 8 and result.status == "max_iter"
    np.testing.assert_allclose(result.cost_history, costs, rtol=1e-6)
    np.testing.assert_allclose(net.theta, theta, rtol=1e-5, atol=1e-7)


def test_without_hidden_layers_lm_reaches_the_ridge_solution(rng):
    X, y = rng.normal(size=(40, 3)), rng.normal(size=40)
    lambda_, m = 2.0, 40
    design = np.hstack([np.ones((m, 1)), X])
    penalty = np.diag([0.0, 1.0, 1.0, 1.0]) * lambda_  # the bias is not penalized
    ridge = np.linalg.solve(design.T @ design + penalty, design.T @ y)
    net = ln.Network([3, 1], output="identity").init(seed=0)
    result = ln.train(net, X, y, method="lm", lambda_=lambda_, tol=1e-10)
    assert result.status == "converged" and result.iterations <= 5  # a linear model: Gauss-Newton is exact
    np.testing.assert_allclose(net.theta, ridge, rtol=1e-8, atol=1e-10)
    # Asked for more than float64 resolves, every step fails until mu passes trainlm's mu_max.
    again = ln.train(net, X, y, method="lm", lambda_=lambda_, tol=1e-300)
    assert again.status == "precision_loss" and "mu_max" in again.message
    np.testing.assert_allclose(net.theta, ridge, rtol=1e-8, atol=1e-10)


def test_lm_fits_a_sine_and_fills_the_shared_result():
    X, y = sine(30)
    net = ln.Network([1, 5, 1], hidden="tanh", output="identity").init(seed=0)
    seen = []
    result = ln.train(net, X, y, method="lm", tol=1e-6, callback=seen.append)
    assert result.status == "converged" and result.method == "lm", result.message
    fitted = net.predict(X)
    assert 1 - np.sum((fitted - y) ** 2) / np.sum((y - y.mean()) ** 2) > 0.999  # R², written out
    assert result.iterations == len(result.cost_history) == len(seen) > 0
    assert [info.iteration for info in seen] == list(range(1, result.iterations + 1))
    assert all(b < a for a, b in zip(result.cost_history, result.cost_history[1:]))  # every step accepted lowers it
    assert result.evaluations >= result.iterations + 1
    assert np.max(np.abs(net.cost_and_grad(None, X, y.reshape(-1, 1))[1])) <= 1e-6
    assert result.cost == pytest.approx(net.cost(None, X, y.reshape(-1, 1)))


def test_validating_never_changes_lms_path_and_early_stopping_works():
    X, y = sine(40, noise=0.3, seed=1)
    X_fit, y_fit, X_val, y_val = X[::2], y[::2], X[1::2], y[1::2]
    settings = dict(method="lm", max_iter=30, lambda_=0.0)
    plain = ln.Network([1, 12, 1], hidden="tanh", output="identity").init(seed=0)
    watched = plain.copy()
    a = ln.train(plain, X_fit, y_fit, **settings)
    b = ln.train(watched, X_fit, y_fit, **settings, validation=(X_val, y_val), patience=None, restore_best=False)
    np.testing.assert_array_equal(plain.theta, watched.theta)
    assert a.cost_history == b.cost_history and len(b.history["validation_cost"]) == b.iterations + 1
    stopped = ln.Network([1, 12, 1], hidden="tanh", output="identity").init(seed=0)
    c = ln.train(stopped, X_fit, y_fit, **settings, validation=(X_val, y_val), patience=2)
    assert c.status == "early_stopped" and c.iterations < 30
    assert c.validation_cost == min(c.history["validation_cost"])  # restored to the best iteration


def test_lm_is_refused_for_cross_entropy_outputs_and_too_large_jacobians(rng):
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] > 0).astype(int)
    net = ln.Network([2, 3, 2]).init(seed=0)
    before = net.theta.copy()
    with pytest.raises(ln.LayerNetError, match="method 'lm'.*squared-error output.*cross-entropy"):
        ln.train(net, X, y, method="lm")
    np.testing.assert_array_equal(net.theta, before)
    regression = ln.Network([2, 3, 1], output="identity").init(seed=0)
    with pytest.raises(ln.LayerNetError, match=r"Jacobian, 200 x 13 values.*max_memory"):
        ln.train(regression, X, X[:, 0], method="lm", max_memory=20_000)


def test_a_bad_theta_for_the_residuals_is_named():
    net = ln.Network([1, 2, 1], output="identity")
    with pytest.raises(ln.LayerNetError, match=r"theta must have shape \(7,\)"):
        residuals(net, np.zeros(3), np.zeros((2, 1)), np.zeros(2))


def test_the_regressor_and_the_command_line_take_lm(tmp_path):
    from typer.testing import CliRunner

    from layernet_cli.app import app

    X, y = sine(30)
    reg = ln.LayerNetRegressor(hidden_layer_sizes=(5,), alpha=0.0, solver="lm", random_state=0).fit(X, y)
    assert reg.network_.training_summary["method"] == "lm"
    assert reg.network_.training_summary["status"] == "converged"
    config = tmp_path / "fit.toml"
    config.write_text(
        '[data]\nsource = "friedman1"\nn_samples = 60\n\n[network]\nlayers = [10, 3, 1]\nhidden = "tanh"\n'
        'output = "identity"\n\n[training]\nmethod = "lm"\nmax_iter = 5\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["train", str(config), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["method"] == "lm" and summary["iterations"] == 5 and summary["status"] == "max_iter"
    refused = CliRunner().invoke(app, ["train", "--method", "lm", "--quiet"])
    assert refused.exit_code == 1 and "squared-error output" in refused.output
    assert "Traceback" not in refused.output
