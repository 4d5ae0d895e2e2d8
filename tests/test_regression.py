"""Regression end to end: identity-output networks on continuous targets, from Python, config and CLI.

Oracles: ridge regression (a network without a hidden layer minimizes exactly ridge's
objective), plain numpy formulas for R², RMSE and MAE and for the squared-error cost, and
scikit-learn's own estimator checks for LayerNetRegressor.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
from typer.testing import CliRunner

import layernet as ln
from layernet_cli.app import app

runner = CliRunner()


@pytest.fixture
def friedman():
    from sklearn.datasets import make_friedman1

    return make_friedman1(120, noise=0.3, random_state=0)


def plain_r2(Y, P):
    Y, P = np.asarray(Y, float).reshape(len(Y), -1), np.asarray(P, float).reshape(len(Y), -1)
    ss_res = ((Y - P) ** 2).sum(axis=0)
    ss_tot = ((Y - Y.mean(axis=0)) ** 2).sum(axis=0)
    return float(np.mean(1 - ss_res / ss_tot))


# -- the network ----------------------------------------------------------------------------------


def test_the_task_is_inferred_from_the_output_and_can_be_set():
    assert ln.Network([2, 3, 1], output="identity").task == "regression"
    assert ln.Network([2, 3, 1]).task == "classification"
    assert ln.Network([2, 3, 1], output="identity", task="classification").is_regressor is False
    assert ln.Network([2, 3, 1], hidden="tanh", output="tanh", task="regression").is_regressor
    with pytest.raises(ValueError, match="needs a squared-error output"):
        ln.Network([2, 3, 1], output="sigmoid", task="regression")
    with pytest.raises(ValueError, match="task must be one of"):
        ln.Network([2, 3, 1], task="ranking")


def test_squared_error_cost_is_one_over_2m_summed_over_samples_and_outputs(rng):
    X, Y = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    net = ln.Network([3, 4, 2], hidden="tanh", output="identity").init(seed=0)
    W1, W2 = (t for t in net.packer.unpack(net.theta))
    a = np.tanh(X @ W1[:, 1:].T + W1[:, 0]) @ W2[:, 1:].T + W2[:, 0]  # the forward pass by hand
    lambda_ = 0.3
    expected = ((a - Y) ** 2).sum() / (2 * 7) + lambda_ / (2 * 7) * ((W1[:, 1:] ** 2).sum() + (W2[:, 1:] ** 2).sum())
    assert net.cost(None, X, Y, lambda_) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("n_outputs", [1, 3])
def test_a_network_without_hidden_layer_finds_ridge_regressions_coefficients(rng, n_outputs):
    from sklearn.linear_model import Ridge

    X = rng.normal(size=(60, 4))
    Y = X @ rng.normal(size=(4, n_outputs)) + 0.1 * rng.normal(size=(60, n_outputs)) + 2.0
    y = Y[:, 0] if n_outputs == 1 else Y
    lambda_ = 5.0  # J = (|r|^2 + lambda |w|^2) / 2m: ridge's objective (alpha = lambda) over 2m
    net = ln.Network([4, n_outputs], output="identity").init(seed=0)
    result = ln.train(net, X, y, lambda_=lambda_, method="lbfgs", tol=1e-10)
    ridge = Ridge(alpha=lambda_).fit(X, y)
    theta = net.packer.unpack(net.theta)[0]
    np.testing.assert_allclose(theta[:, 1:], ridge.coef_.reshape(n_outputs, 4), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(theta[:, 0], np.ravel(ridge.intercept_), rtol=1e-6, atol=1e-8)
    assert net.classes_ is None and result.status == "converged"
    predicted = net.predict(X)
    assert predicted.shape == y.shape
    np.testing.assert_allclose(predicted, ridge.predict(X), rtol=1e-6, atol=1e-6)
    assert net.score(X, y) == pytest.approx(plain_r2(y, ridge.predict(X)), abs=1e-9)


def test_regression_targets_are_checked_with_clear_errors(rng):
    net = ln.Network([2, 3, 2], output="identity").init(seed=0)
    X = rng.normal(size=(5, 2))
    with pytest.raises(ln.DataError, match="one target column per output unit"):
        ln.train(net, X, rng.normal(size=5))
    with pytest.raises(ln.DataError, match="must be finite"):
        ln.train(net, X, np.full((5, 2), np.nan))
    with pytest.raises(ln.DataError, match="numeric regression targets"):
        ln.train(ln.Network([2, 1], output="identity"), X, ["a"] * 5)
    with pytest.raises(ln.LayerNetError, match="classes= is for classifiers"):
        ln.train(net, X, rng.normal(size=(5, 2)), classes=[0, 1])


def test_evaluate_and_regression_metrics_match_plain_formulas(rng, friedman):
    X, y = friedman
    net = ln.Network([10, 4, 1], hidden="tanh", output="identity").init(seed=0)
    ln.train(net, X, y, lambda_=0.1, method="lbfgs", max_iter=100)
    report = ln.evaluate(net, X, y)
    error = net.predict(X) - y
    assert report.rmse == pytest.approx(np.sqrt(np.mean(error**2)), rel=1e-12)
    assert report.mae == pytest.approx(np.mean(np.abs(error)), rel=1e-12)
    assert report.r2 == pytest.approx(plain_r2(y, net.predict(X)), rel=1e-12)
    assert report.cost == pytest.approx(np.sum(error**2) / (2 * len(y)), rel=1e-12)
    assert set(report.to_dict()) >= {"rmse", "mae", "r2", "cost", "n_samples"}


def test_a_saved_regression_model_loads_as_one(tmp_path, friedman):
    X, y = friedman
    net = ln.Network([10, 3, 1], output="identity").init(seed=0)
    ln.train(net, X, y, method="lbfgs", max_iter=20)
    tanh_out = ln.Network([10, 3, 1], hidden="tanh", output="tanh", task="regression")
    for model in (net, tanh_out):
        loaded = ln.load(ln.save(model, tmp_path / "model.npz"))
        assert loaded.task == "regression" and loaded.classes_ is None
        np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_plot_regression_draws_the_curve_or_fitted_against_actual(rng):
    X = rng.uniform(-2, 2, size=(30, 1))
    y = np.sin(X[:, 0])
    net = ln.Network([1, 4, 1], hidden="tanh", output="identity").init(seed=0)
    ln.train(net, X, y, method="lbfgs", max_iter=50)
    ax = ln.plot_regression(net, X, y)
    (curve,) = ax.get_lines()
    grid = curve.get_xdata().reshape(-1, 1)
    np.testing.assert_allclose(curve.get_ydata(), net.predict(grid))
    assert grid.min() == X.min() and grid.max() == X.max()
    wide = ln.Network([3, 2], output="identity").init(seed=0)
    ax = ln.plot_regression(wide, rng.normal(size=(10, 3)), rng.normal(size=(10, 2)))
    assert ax.get_xlabel() == "actual" and len(ax.collections) == 2
    with pytest.raises(ValueError, match="classifier"):
        ln.plot_regression(ln.Network([1, 2]), X, y)


# -- the estimator --------------------------------------------------------------------------------


def test_regressor_passes_check_estimator(monkeypatch):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.utils.estimator_checks import check_estimator

    monkeypatch.setenv("SCIPY_ARRAY_API", "1")  # as for the classifier: let the array-API check run
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(
            ln.LayerNetRegressor(hidden_layer_sizes=(3,), max_iter=30), on_skip=None, on_fail=None
        )
    failed = {r["check_name"]: repr(r["exception"]) for r in results if r["status"] != "passed"}
    assert not failed and len(results) >= 50


def test_regressor_is_the_network_trained_by_hand(friedman):
    X, y = friedman
    reg = ln.LayerNetRegressor(hidden_layer_sizes=(4,), alpha=0.1, max_iter=40, random_state=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg.fit(X, y)
    net = ln.Network([10, 4, 1], hidden="tanh", output="identity").init(rng=np.random.RandomState(3))
    ln.train(net, X, y, lambda_=0.1, method="lbfgs", max_iter=40)
    np.testing.assert_array_equal(reg.network_.theta, net.theta)
    assert reg.predict(X).shape == (len(y),)
    assert reg.score(X, y) == pytest.approx(plain_r2(y, net.predict(X)), rel=1e-12)
    Y = np.c_[y, -y]
    two = ln.LayerNetRegressor(hidden_layer_sizes=(4,), max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        two.fit(X, Y)
    assert two.predict(X).shape == Y.shape and two.n_outputs_ == 2


# -- configuration and command line ---------------------------------------------------------------


def _config(tmp_path, data: str, network: str = 'layers = [10, 4, 1]\noutput = "identity"') -> str:
    path = tmp_path / "run.toml"
    training = '[training]\nmethod = "lbfgs"\nmax_iter = 30\n'
    path.write_text(f"seed = 0\n[data]\n{data}\n[network]\n{network}\n{training}")
    return str(path)


@pytest.mark.parametrize("source, n_features", [("friedman1", 10), ("diabetes", 10), ("regression", 3)])
def test_regression_sources_load_continuous_targets(source, n_features):
    dataset = ln.datasets.load(source, rng=0, n_samples=50, n_features=3, noise=0.1)
    assert dataset.task == "regression" and dataset.y.dtype == np.float64 and dataset.n_features == n_features


def test_train_json_reports_rmse_mae_r2_and_says_the_task(tmp_path):
    config = _config(tmp_path, 'source = "friedman1"\nn_samples = 80\ntest_size = 0.25')
    result = runner.invoke(app, ["train", config, "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["task"] == "regression" and summary["task_inferred"] is True
    assert summary["train_accuracy"] is None and summary["test_accuracy"] is None
    for key in ("train_rmse", "train_mae", "train_r2", "test_rmse", "test_mae", "test_r2"):
        assert isinstance(summary[key], float), key
    table = runner.invoke(app, ["train", config])
    assert "regression (inferred from the identity output)" in table.output and "test R²" in table.output


def test_csv_regression_train_evaluate_predict_and_plot(tmp_path, rng):
    X = rng.uniform(-2, 2, size=(40, 1))
    data = tmp_path / "sine.csv"
    data.write_text("x,y\n" + "".join(f"{a:.6f},{np.sin(a):.6f}\n" for a in X[:, 0]))
    config = _config(
        tmp_path,
        'source = "csv"\npath = "sine.csv"\nlabel = "y"',
        'layers = [1, 4, 1]\nhidden = "tanh"\ntask = "regression"\noutput = "identity"',
    )
    model, plot = tmp_path / "m.npz", tmp_path / "fit.png"
    result = runner.invoke(app, ["train", config, "--save", str(model), "--plot", str(plot), "-q"])
    assert result.exit_code == 0, result.output
    assert plot.stat().st_size > 1000
    net = ln.load(model)
    evaluated = runner.invoke(app, ["evaluate", str(model), str(data), "--label", "y", "--json"])
    assert json.loads(evaluated.stdout)["r2"] == pytest.approx(
        net.score(X.round(6), np.sin(X.round(6))[:, 0]), abs=1e-4
    )
    features = tmp_path / "x.csv"
    features.write_text("0.5\n-1\n")
    predicted = runner.invoke(app, ["predict", str(model), str(features)])
    lines = predicted.stdout.split()
    assert lines[0] == "value"
    np.testing.assert_allclose([float(v) for v in lines[1:]], net.predict([[0.5], [-1.0]]))
    refused = runner.invoke(app, ["predict", str(model), str(features), "--proba"])
    assert refused.exit_code == 1 and "regression" in refused.output


def test_a_regression_source_with_a_classifier_output_is_one_clear_error(tmp_path):
    config = _config(tmp_path, 'source = "diabetes"', "layers = [10, 3, 1]")
    result = runner.invoke(app, ["train", config])
    assert result.exit_code == 1
    assert "continuous targets" in result.output and "identity" in result.output
    assert "Traceback" not in result.output


def test_gradcheck_and_study_know_a_regression_config(tmp_path):
    config = _config(tmp_path, 'source = "friedman1"\nn_samples = 40')
    checked = runner.invoke(app, ["gradcheck", config])
    assert checked.exit_code == 0, checked.output
    refused = runner.invoke(app, ["study", config])
    assert refused.exit_code == 1 and "regression" in refused.output and "Traceback" not in refused.output
