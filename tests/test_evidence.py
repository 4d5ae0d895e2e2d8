"""lambda chosen by the evidence (layernet.evidence, train(lambda_="auto")).

Oracles: for a network without hidden layers (linear regression), the log evidence of Bayesian
linear regression with a flat prior on the intercept, written in closed form and maximized over
(alpha, beta) by Nelder-Mead; for logistic regression, MacKay's update written out with the
logistic Hessian; for a hidden-layer softmax network, the trace from a Gauss-Newton matrix
assembled from a finite-difference Jacobian of the reference forward pass. Never layernet's own
products.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference import forward_pass
from scipy.optimize import minimize

import layernet as ln
from layernet import evidence


@pytest.fixture(scope="module")
def linear():
    rng = np.random.default_rng(3)
    m, k = 60, 4
    X = rng.normal(size=(m, k))
    y = X @ rng.normal(size=k) + 0.5 + rng.normal(scale=0.7, size=m)
    return X, y


def linear_evidence_optimum(X, y):
    """(alpha, beta) maximizing the closed-form log evidence; the intercept's flat prior centres the data."""
    m, k = X.shape
    Xc, yc = X - X.mean(axis=0), y - y.mean()

    def negative_log_evidence(log_params):
        alpha, beta = np.exp(log_params)
        A = alpha * np.eye(k) + beta * Xc.T @ Xc
        w = beta * np.linalg.solve(A, Xc.T @ yc)
        misfit = beta / 2 * np.sum((yc - Xc @ w) ** 2) + alpha / 2 * w @ w
        # The intercept integrated out under a flat prior costs one of the m noise degrees of freedom.
        return -(k / 2 * np.log(alpha) + (m - 1) / 2 * np.log(beta) - misfit - 0.5 * np.linalg.slogdet(A)[1])

    found = minimize(
        negative_log_evidence, [0.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-14}
    )
    alpha, beta = np.exp(found.x)
    return alpha, beta


def ridge_with_free_intercept(X, y, lambda_):
    """theta = [b, w] minimizing sum(r**2) + lambda * w @ w, intercept unpenalized (closed form)."""
    Xc, yc = X - X.mean(axis=0), y - y.mean()
    w = np.linalg.solve(Xc.T @ Xc + lambda_ * np.eye(X.shape[1]), Xc.T @ yc)
    return np.r_[y.mean() - X.mean(axis=0) @ w, w]


def test_the_fixed_point_is_where_the_linear_evidence_peaks(linear):
    X, y = linear
    alpha, beta = linear_evidence_optimum(X, y)
    net = ln.Network([X.shape[1], 1], output="identity")
    theta = ridge_with_free_intercept(X, y, alpha / beta)
    estimate = evidence.reestimate(net, theta, X, y.reshape(-1, 1), alpha / beta)
    # At the evidence's maximum the re-estimate returns the lambda it was given.
    assert estimate.lambda_ == pytest.approx(alpha / beta, rel=1e-6)
    assert estimate.alpha == pytest.approx(alpha, rel=1e-6)
    assert estimate.beta == pytest.approx(beta, rel=1e-6)
    assert estimate.trace == "dense"
    assert estimate.effective_parameters == pytest.approx(estimate.gamma + 1)
    assert 0 < estimate.gamma < X.shape[1]


@pytest.mark.parametrize("method", ["lbfgs", "lm", "trust-krylov"])
def test_train_auto_reaches_the_linear_evidence_optimum(linear, method):
    X, y = linear
    alpha, beta = linear_evidence_optimum(X, y)
    net = ln.Network([X.shape[1], 1], output="identity").init(0)
    result = ln.train(net, X, y, lambda_="auto", method=method, tol=1e-8)
    assert result.status in ("converged", "precision_loss")  # trust-krylov's subproblem can break down at 1e-8
    assert result.evidence.settled
    # Settled means the last re-estimate moved lambda by at most 1 %.
    assert result.lambda_ == pytest.approx(alpha / beta, rel=2e-2)
    assert result.evidence.beta == pytest.approx(beta, rel=2e-2)
    assert result.evidence.lambdas[0] == evidence.AUTO_START
    assert result.lambda_ == result.evidence.lambdas[-1]
    # The cost is the course's at the lambda reached.
    assert result.cost == pytest.approx(net.cost(None, X, y.reshape(-1, 1), result.lambda_), rel=1e-12)


def test_logistic_regression_follows_mackays_update_written_out():
    rng = np.random.default_rng(5)
    m, k = 80, 3
    X = rng.normal(size=(m, k))
    y = (X @ [1.5, -1.0, 0.5] + rng.logistic(size=m) > 0).astype(int)
    net = ln.Network([k, 1], output="sigmoid").init(1)
    lambda_ = 0.7
    ln.train(net, X, y, lambda_=lambda_, method="lbfgs", tol=1e-10)
    theta = net.theta.copy()
    Xa = np.c_[np.ones(m), X]
    p = 1 / (1 + np.exp(-(Xa @ theta)))
    P = np.diag([0.0] + [1.0] * k)
    H = Xa.T @ (Xa * (p * (1 - p))[:, None]) + lambda_ * P  # the NLL's Hessian plus alpha P; alpha = lambda
    gamma = k - lambda_ * np.trace(np.linalg.solve(H, P))
    estimate = evidence.reestimate(net, theta, X, net.encode(y), lambda_)
    assert estimate.gamma == pytest.approx(gamma, rel=1e-10)
    assert estimate.lambda_ == pytest.approx(gamma / (theta[1:] @ theta[1:]), rel=1e-10)
    assert estimate.beta is None


def test_a_hidden_softmax_network_uses_the_gauss_newton_matrix_of_a_finite_difference_jacobian():
    rng = np.random.default_rng(7)
    sizes, names, m, lambda_ = [3, 4, 3], ["tanh", "softmax"], 25, 0.3
    net = ln.Network(sizes, hidden="tanh", output="softmax").init(2)
    X = rng.normal(size=(m, 3))
    Y = np.eye(3)[rng.integers(0, 3, m)]
    theta, h = net.theta.copy(), 1e-6

    def logits(t):
        return forward_pass(sizes, names, t, X)[1][-1]

    jac = np.stack([(logits(theta + h * e) - logits(theta - h * e)) / (2 * h) for e in np.eye(net.n_params)], -1)
    z = logits(theta)
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    G = sum(jac[i].T @ (np.diag(p[i]) - np.outer(p[i], p[i])) @ jac[i] for i in range(m)) / m
    mask = np.concatenate([np.c_[np.zeros(b), np.ones((b, a))].ravel() for a, b in zip(sizes, sizes[1:])])
    G += np.diag(lambda_ / m * mask)
    gamma = mask.sum() - lambda_ / m * np.trace(np.linalg.solve(G, np.diag(mask)))
    estimate = evidence.reestimate(net, theta, X, Y, lambda_)
    assert estimate.gamma == pytest.approx(gamma, rel=1e-6)
    assert estimate.lambda_ == pytest.approx(gamma / np.sum(theta**2 * mask), rel=1e-6)
    assert estimate.effective_parameters == pytest.approx(gamma + 7, rel=1e-6)  # 4 + 3 biases


def test_hutchinsons_estimate_agrees_with_the_exact_trace_within_its_noise():
    rng = np.random.default_rng(11)
    net = ln.Network([3, 5, 2], hidden="tanh", output="identity").init(3)
    X = rng.normal(size=(40, 3))
    Y = rng.normal(size=(40, 2))
    exact = evidence.reestimate(net, net.theta, X, Y, 0.5)
    estimated = evidence.reestimate(net, net.theta, X, Y, 0.5, dense_limit=0, probes=400)
    assert estimated.trace == "hutchinson"
    # gamma = k - (lambda/m) tr(G^-1 P): 400 probes put the estimate within a few percent.
    assert estimated.gamma == pytest.approx(exact.gamma, rel=0.05)
    assert estimated.gamma != exact.gamma


def test_the_reference_network_settles_on_one_lambda_from_far_apart_starts(monkeypatch):
    X, y = ln.datasets.make_moons(200, 0.2, rng=np.random.RandomState(0))
    reached = []
    for start in (1e-4, 10.0):
        monkeypatch.setattr(evidence, "AUTO_START", start)
        net = ln.Network([2, 3, 2]).init(0)
        result = ln.train(net, X, y, lambda_="auto", method="lbfgs")
        assert result.status == "converged" and result.evidence.settled
        reached.append(result.lambda_)
    assert reached[0] == pytest.approx(reached[1], rel=0.03)


def test_an_auto_run_is_one_run_to_its_callback_its_monitor_and_its_history():
    X, y = ln.datasets.make_moons(120, 0.2, rng=np.random.RandomState(1))
    seen = []
    net = ln.Network([2, 3, 2]).init(0)
    result = ln.train(
        net,
        X[:90],
        y[:90],
        lambda_="auto",
        method="cg",
        callback=lambda info: seen.append((info.iteration, info.evaluations)),
        validation=(X[90:], y[90:]),
        patience=None,
    )
    assert result.evidence.cycles >= 2
    assert [i for i, _ in seen] == list(range(1, result.iterations + 1))
    assert all(a[1] <= b[1] for a, b in zip(seen, seen[1:]))  # evaluations counted on
    history = result.history
    assert len(history["lambda"]) == len(history["cost"]) == len(history["validation_cost"]) == result.iterations + 1
    assert sum(result.evidence.phase_iterations) == result.iterations
    assert history["lambda"][-1] == result.lambda_
    summary = net.training_summary
    assert summary["lambda"] == result.lambda_ and summary["evidence"]["settled"] == result.evidence.settled


def test_an_auto_run_stopped_by_its_callback_keeps_the_phase_it_was_in():
    X, y = ln.datasets.make_moons(100, 0.2, rng=np.random.RandomState(2))
    net = ln.Network([2, 3, 2]).init(0)
    result = ln.train(net, X, y, lambda_="auto", callback=lambda info: info.iteration >= 5)
    assert result.status == "stopped" and result.iterations == 5
    assert result.lambda_ == evidence.AUTO_START and result.evidence.cycles == 0


def test_max_iter_bounds_every_phase_together():
    X, y = ln.datasets.make_moons(100, 0.2, rng=np.random.RandomState(2))
    net = ln.Network([2, 3, 2]).init(0)
    result = ln.train(net, X, y, lambda_="auto", method="cg", max_iter=150)
    assert result.iterations <= 150
    assert result.status == "max_iter" and "had not settled" in result.message


@pytest.mark.parametrize("bad", ["Auto ", "AUTO"])
def test_auto_is_read_whatever_its_case(bad):
    assert ln.TrainOptions(lambda_=bad).lambda_ == "auto"


@pytest.mark.parametrize("bad", ["automatic", "0.1", -1.0, float("nan"), True])
def test_anything_else_is_one_error_naming_lambda(bad):
    with pytest.raises(ln.LayerNetError, match="lambda_ must be"):
        ln.TrainOptions(lambda_=bad)


def test_reestimate_needs_a_positive_lambda():
    net = ln.Network([2, 1], output="identity").init(0)
    with pytest.raises(ln.LayerNetError, match="lambda > 0"):
        evidence.reestimate(net, net.theta, np.ones((3, 2)), np.ones((3, 1)), 0.0)


def test_a_config_with_lambda_auto_trains_and_reports_what_it_reached(tmp_path):
    path = tmp_path / "auto.toml"
    path.write_text('[data]\nsource = "moons"\nn_samples = 120\n[training]\nlambda = "auto"\nmethod = "lbfgs"\n')
    run = ln.run(ln.RunConfig.from_toml(path))
    assert run.metrics["lambda_auto"] is True
    assert run.metrics["lambda"] == run.result.lambda_ > 0
    assert run.metrics["evidence"]["effective_parameters"] <= run.network.n_params


def test_ctrl_c_during_a_re_estimation_ends_the_run_interrupted_with_the_last_phase(monkeypatch):
    X, y = ln.datasets.make_moons(100, 0.2, rng=np.random.RandomState(2))
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    real = evidence.reestimate
    monkeypatch.setattr(evidence, "reestimate", interrupted)
    net = ln.Network([2, 3, 2]).init(0)
    result = ln.train(net, X, y, lambda_="auto", method="lbfgs")
    assert result.status == "interrupted" and "re-estimation" in result.message
    assert result.evidence.cycles == 1 and len(result.evidence.lambdas) == 2
    assert np.array_equal(net.theta, result.theta) and np.isfinite(net.theta).all()


def test_a_float32_network_and_several_regression_outputs_re_estimate_too():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(80, 3))
    Y = np.c_[X @ [1.0, -1.0, 0.5], np.sin(X[:, 0])] + rng.normal(scale=0.3, size=(80, 2))
    net = ln.Network([3, 4, 2], hidden="tanh", output="identity", dtype="float32").init(0)
    result = ln.train(net, X, Y, lambda_="auto", method="lbfgs", max_iter=2000)
    assert result.evidence.cycles >= 1 and result.lambda_ > 0
    assert 0 < result.evidence.gamma <= result.evidence.n_weights
    assert result.evidence.beta > 0 and np.isfinite(net.theta).all()


def test_a_bias_whose_unit_is_saturated_everywhere_is_left_out_of_the_trace():
    # Hidden unit 2's sigmoid sits at 1 on every sample (its z is 800 or more), so its bias and
    # weights carry no curvature from the data: G's row of that bias is zero, G is singular.
    rng = np.random.default_rng(8)
    X = rng.uniform(-1, 1, size=(30, 2))
    y = X @ [1.0, -2.0] + rng.normal(scale=0.1, size=30)
    net = ln.Network([2, 2, 1], output="identity").init(0)
    first = net.packer.unpack(net.theta)[0]  # (2, 3): bias column first, a view of theta
    first[1] = [1000.0, 100.0, 100.0]  # bias 1000, inputs within +-1
    lambda_, m = 0.3, len(X)
    G = net.gauss_newton_matrix(None, X, y, lambda_)
    dead = net.packer.offsets[0] + 3  # row 1, column 0 of the first block: the saturated unit's bias
    assert np.abs(G[dead]).max() < 1e-300
    keep = np.delete(np.arange(net.n_params), dead)
    mask = np.ones(net.n_params)
    for block in net.packer.unpack(mask):
        block[:, 0] = 0.0
    inverse = np.linalg.inv(G[np.ix_(keep, keep)])
    gamma = mask.sum() - lambda_ / m * np.dot(np.diag(inverse), mask[keep])
    estimate = evidence.reestimate(net, net.theta, X, y.reshape(-1, 1), lambda_)
    assert estimate.gamma == pytest.approx(gamma, rel=1e-6)  # the ridge touches every bias by 1e-10
