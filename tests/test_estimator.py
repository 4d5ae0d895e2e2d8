"""LayerNetClassifier: scikit-learn's estimator checks, its tools, pickling, bad input, the digits example."""

from __future__ import annotations

import copy
import importlib.util
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import check_estimator
from sklearn.utils.validation import has_fit_parameter

import layernet as ln
from layernet import estimator as estimator_module
from layernet.estimator import LayerNetClassifier
from layernet.options import LEAST_SQUARES

#: The classifier's solvers (lm is for squared errors only).
CLASSIFIER_SOLVERS = [method for method in ln.METHODS if method not in LEAST_SQUARES]

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", autouse=True)
def one_blas_thread():
    # These networks are tiny: a second BLAS thread buys nothing, and on a shared two-core
    # machine its spin-waiting made this file three to four times slower (17 s -> 61 s).
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def fitted_iris(iris):
    X, y = iris
    return LayerNetClassifier(random_state=0, solver="lbfgs").fit(X, y)


# -- the package face ------------------------------------------------------------------------


def test_import_layernet_leaves_sklearn_unloaded_until_the_estimator_is_used():
    code = (
        "import sys, layernet as ln\n"
        "loaded = sorted(m for m in sys.modules if m == 'sklearn' or m.startswith('sklearn.'))\n"
        "assert not loaded, loaded\n"
        "assert 'LayerNetClassifier' in ln.__all__ and 'LayerNetClassifier' in dir(ln)\n"
        "cls = ln.LayerNetClassifier\n"
        "assert 'sklearn' in sys.modules and cls.__module__ == 'layernet.estimator'\n"
        "from layernet import LayerNetClassifier\n"
        "assert LayerNetClassifier is cls\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_unknown_attribute_of_the_package_still_raises_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'LayerNetRanker'"):
        ln.LayerNetRanker  # noqa: B018


# -- scikit-learn's own estimator checks -----------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"max_iter": 50},
        {"output": "softmax", "solver": "lbfgs", "max_iter": 50},
        {"hidden_layer_sizes": (4, 3), "activation": "tanh", "solver": "bfgs", "max_iter": 50},
        {"solver": "lbfgs", "max_iter": 50, "early_stopping": True, "n_iter_no_change": 3},
    ],
    ids=["sigmoid-cg", "softmax-lbfgs", "tanh-2-hidden-bfgs", "early-stopping-lbfgs"],
)
def test_check_estimator_passes_every_check_without_skips(params, monkeypatch):
    # The array-API check skips itself unless this variable is set; with NumPy input (all this
    # estimator takes) it runs the same code either way, so set it and let the check run.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    with warnings.catch_warnings():
        # The checks' networks stop at 50 iterations on purpose, to keep this test fast.
        warnings.simplefilter("ignore", ConvergenceWarning)
        results = check_estimator(LayerNetClassifier(**params), on_skip=None, on_fail=None)
    not_passed = {r["check_name"]: f"{r['status']}: {r['exception']!r}" for r in results if r["status"] != "passed"}
    assert not not_passed
    assert len(results) >= 50


def test_unsupported_input_is_declared_through_scikit_learns_tags_and_signature():
    tags = LayerNetClassifier().__sklearn_tags__()
    assert tags.estimator_type == "classifier"
    assert not tags.input_tags.sparse
    assert not tags.input_tags.allow_nan
    assert not tags.classifier_tags.multi_label
    assert not tags.target_tags.multi_output
    assert tags.classifier_tags.multi_class
    assert not has_fit_parameter(LayerNetClassifier(), "sample_weight")


# -- what fit builds -------------------------------------------------------------------------


def test_fit_is_ln_train_on_a_network_seeded_from_random_state(moons):
    X, y = moons
    clf = LayerNetClassifier(hidden_layer_sizes=(3,), alpha=1e-3, random_state=0).fit(X, y)

    net = ln.Network([2, 3, 1], hidden="sigmoid", output="sigmoid").init(rng=np.random.RandomState(0))
    result = ln.train(net, X, y, lambda_=1e-3, method="cg")
    np.testing.assert_array_equal(clf.network_.theta, net.theta)
    assert clf.n_iter_ == result.iterations >= 1
    assert clf.loss_ == result.cost
    assert clf.loss_curve_ == result.cost_history
    assert len(clf.loss_curve_) == clf.n_iter_
    assert clf.network_.training_summary["status"] == "converged"
    assert clf.score(X, y) == net.score(X, y) >= 0.95


@pytest.mark.parametrize(
    ("output", "n_classes", "n_outputs"),
    [("sigmoid", 2, 1), ("softmax", 2, 2), ("sigmoid", 3, 3), ("softmax", 3, 3)],
)
def test_output_units_follow_the_number_of_classes(iris, output, n_classes, n_outputs):
    X, y = iris
    keep = y < n_classes
    clf = LayerNetClassifier(output=output, solver="lbfgs", random_state=0).fit(X[keep], y[keep])
    assert clf.network_.sizes == [4, 3, n_outputs]
    assert clf.network_.activations == ["sigmoid", output]
    assert clf.classes_.tolist() == list(range(n_classes))
    assert clf.predict_proba(X).shape == (len(X), n_classes)


def test_hidden_layer_sizes_accepts_an_int_and_an_empty_tuple(iris):
    X, y = iris
    assert LayerNetClassifier(hidden_layer_sizes=5, solver="lbfgs").fit(X, y).network_.sizes == [4, 5, 3]
    logistic = LayerNetClassifier(hidden_layer_sizes=(), solver="lbfgs", random_state=0).fit(X, y)
    assert logistic.network_.sizes == [4, 3]
    assert logistic.score(X, y) > 0.9


def test_string_labels_and_dataframe_feature_names(iris):
    import pandas as pd

    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)[y]
    frame = pd.DataFrame(X, columns=["sepal_length", "sepal_width", "petal_length", "petal_width"])
    clf = LayerNetClassifier(solver="lbfgs", random_state=0).fit(frame, names)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    assert clf.feature_names_in_.tolist() == list(frame.columns)
    assert clf.n_features_in_ == 4
    assert set(clf.predict(frame)) <= set(clf.classes_)
    assert clf.score(frame, names) > 0.9
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"sepal_length": "length"}))


@pytest.mark.parametrize("solver", CLASSIFIER_SOLVERS)
def test_every_solver_trains_the_moons_to_convergence(moons, solver):
    X, y = moons
    clf = LayerNetClassifier(solver=solver, alpha=1e-3, max_iter=3000, random_state=0)
    if solver == "gd":
        clf.set_params(learning_rate=2.0, momentum=0.9, tol=1e-4)
    clf.fit(X, y)
    assert clf.network_.training_summary["method"] == solver
    assert clf.network_.training_summary["status"] == "converged"
    assert clf.score(X, y) >= 0.95


def test_same_random_state_same_network_different_random_state_different_start(moons):
    X, y = moons
    first = LayerNetClassifier(max_iter=5, random_state=1)
    second = LayerNetClassifier(max_iter=5, random_state=1)
    other = LayerNetClassifier(max_iter=5, random_state=2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        thetas = [clf.fit(X, y).network_.theta for clf in (first, second, other)]
    np.testing.assert_array_equal(thetas[0], thetas[1])
    assert not np.allclose(thetas[0], thetas[2])


# -- predictions agree with each other -------------------------------------------------------


def test_binary_decision_function_is_the_logit_of_predict_proba(moons):
    X, y = moons
    for output in ("sigmoid", "softmax"):
        clf = LayerNetClassifier(output=output, random_state=0).fit(X, y)
        scores = clf.decision_function(X)
        assert scores.shape == (len(X),)
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba[:, 1], 1.0 / (1.0 + np.exp(-scores)), rtol=1e-9, atol=1e-12)
        np.testing.assert_array_equal(clf.predict(X), clf.classes_[(scores > 0).astype(int)])
        np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_multiclass_decision_function_ranks_like_predict(iris):
    X, y = iris
    for output in ("sigmoid", "softmax"):
        clf = LayerNetClassifier(output=output, solver="lbfgs", random_state=0).fit(X, y)
        scores = clf.decision_function(X)
        assert scores.shape == (len(X), 3)
        np.testing.assert_array_equal(clf.classes_[scores.argmax(axis=1)], clf.predict(X))
        proba = clf.predict_proba(X)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        if output == "softmax":
            exp = np.exp(scores - scores.max(axis=1, keepdims=True))
            np.testing.assert_allclose(proba, exp / exp.sum(axis=1, keepdims=True), rtol=1e-9)
        else:
            units = 1.0 / (1.0 + np.exp(-scores))
            np.testing.assert_allclose(proba, units / units.sum(axis=1, keepdims=True), rtol=1e-9)


# -- scikit-learn's tools --------------------------------------------------------------------


def test_pipeline_with_standard_scaler():
    X, y = load_iris(return_X_y=True)
    model = make_pipeline(StandardScaler(), LayerNetClassifier(solver="lbfgs", random_state=0)).fit(X, y)
    assert model.score(X, y) > 0.95
    assert model.predict_proba(X).shape == (150, 3)
    assert model[-1].n_features_in_ == 4


def test_grid_search_over_alpha_and_hidden_layer_sizes_in_two_processes(moons):
    X, y = moons
    model = make_pipeline(StandardScaler(), LayerNetClassifier(solver="lbfgs", random_state=0))
    grid = {"layernetclassifier__alpha": [1e-3, 1.0], "layernetclassifier__hidden_layer_sizes": [(2,), (5,)]}
    search = GridSearchCV(model, grid, cv=3, n_jobs=2, error_score="raise").fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_score_ > 0.9
    best = search.best_estimator_[-1]
    assert best.alpha == search.best_params_["layernetclassifier__alpha"]
    assert best.network_.sizes == [2, *search.best_params_["layernetclassifier__hidden_layer_sizes"], 1]


def test_cross_val_score(iris):
    X, y = iris
    scores = cross_val_score(LayerNetClassifier(solver="lbfgs", random_state=0), X, y, cv=5)
    assert scores.shape == (5,)
    assert scores.mean() > 0.9


def test_fitted_estimator_pickles_and_unpickles(iris, fitted_iris):
    X, _ = iris
    clf = fitted_iris
    for twin in (pickle.loads(pickle.dumps(clf)), copy.deepcopy(clf)):
        np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
        np.testing.assert_array_equal(twin.decision_function(X), clf.decision_function(X))
        assert twin.get_params() == clf.get_params()
        assert twin.n_iter_ == clf.n_iter_ and twin.loss_curve_ == clf.loss_curve_


def test_an_unpickled_network_keeps_its_layers_views_of_theta(iris, fitted_iris):
    # Core fix (Network.__getstate__/__setstate__): pickling used to detach the layer views.
    X, _ = iris
    net = fitted_iris.network_
    for twin in (pickle.loads(pickle.dumps(net)), copy.deepcopy(net)):
        assert all(np.shares_memory(layer.theta, twin.theta) for layer in twin.layers)
        twin.theta = np.zeros(twin.n_params)
        np.testing.assert_allclose(twin.forward(X[:3]), 0.5)
        assert all(np.shares_memory(layer.theta, net.theta) for layer in net.layers)  # the original intact
    assert net.forward(X[:3]).std() > 0


# -- convergence and interruption ------------------------------------------------------------


def test_gradient_descent_that_diverges_warns_once_and_keeps_the_best_parameters(moons):
    # Core fix (optimize.Objective): numpy used to warn "overflow encountered in matmul" first.
    X, y = moons
    with pytest.warns(ConvergenceWarning, match="non-finite") as caught:
        clf = LayerNetClassifier(activation="relu", solver="gd", learning_rate=1e6, max_iter=50, random_state=0)
        clf.fit(X, y)
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert "max_iter" not in str(caught[0].message)
    assert clf.network_.training_summary["status"] == "diverged"
    assert np.isfinite(clf.network_.theta).all()
    assert np.isfinite(clf.predict_proba(X)).all()


def test_stopping_at_max_iter_warns(moons):
    X, y = moons
    with pytest.warns(ConvergenceWarning, match=r"stopped before converging.*max_iter"):
        clf = LayerNetClassifier(max_iter=3, random_state=0).fit(X, y)
    assert clf.n_iter_ == 3
    assert clf.network_.training_summary["status"] == "max_iter"


def test_ctrl_c_during_fit_propagates_and_leaves_the_estimator_unfitted(moons, monkeypatch):
    X, y = moons

    def train_until_ctrl_c(*args, **kwargs):
        def press_ctrl_c(info):
            if info.iteration == 3:
                raise KeyboardInterrupt

        return ln.train(*args, callback=press_ctrl_c, **kwargs)

    monkeypatch.setattr(estimator_module, "train", train_until_ctrl_c)
    clf = LayerNetClassifier(random_state=0)
    with pytest.raises(KeyboardInterrupt, match="interrupted"):
        clf.fit(X, y)
    assert not hasattr(clf, "network_")


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"alpha": -1.0}, "alpha must be a finite number >= 0 or 'auto', got -1.0"),
        ({"alpha": "strong"}, "alpha must be a finite number"),
        ({"alpha": float("nan")}, "alpha must be a finite number"),
        ({"solver": "newton"}, "solver must be one of 'cg', 'lbfgs', 'bfgs', 'gd', .*'newton-cg', 'lm', got 'newton'"),
        ({"output": "identity"}, "output must be one of sigmoid, softmax"),
        ({"hidden_layer_sizes": (3, 0)}, "hidden_layer_sizes must be a positive int"),
        ({"hidden_layer_sizes": "3"}, "hidden_layer_sizes must be a positive int"),
        ({"hidden_layer_sizes": None}, "hidden_layer_sizes must be a positive int"),
        ({"max_iter": 0}, r"max_iter must be an integer >= 1 \(or None\), got 0"),
        ({"max_iter": 2.5}, r"max_iter must be an integer >= 1 \(or None\), got 2.5"),
        ({"tol": 0.0}, "tol must be a finite number > 0"),
        ({"learning_rate": -0.1}, "learning_rate must be a finite number > 0"),
        ({"momentum": 1.0}, r"momentum must be a finite number in \[0, 1\)"),
        ({"activation": "swish"}, "unknown activation 'swish'"),
        ({"activation": "softmax"}, "output layer only"),
        ({"random_state": "seed"}, "cannot be used to seed"),
        ({"options": {"lambda_": 1.0}}, "options sets lambda_; set the estimator's own alpha instead"),
        ({"options": {"threds": 1}}, r"unknown training option 'threds' \(did you mean 'threads'\?\)"),
        ({"options": {"threads": 0}}, r"threads must be an integer >= 1 \(or None\), got 0"),
        ({"options": 3}, "options must be a dict of the other TrainOptions fields"),
        ({"options": ln.TrainOptions(lambda_=0.0)}, "options must be a dict of the other TrainOptions fields"),
        ({"options": {1: 2}}, "options must map TrainOptions field names to values"),
        ({"options": {"seed": 1}}, "options sets seed; set the estimator's own random_state instead"),
        ({"early_stopping": "yes"}, "early_stopping must be true or false, got 'yes'"),
        ({"warm_start": 1}, "warm_start must be true or false, got 1"),
        ({"n_iter_no_change": 0}, r"n_iter_no_change must be an integer >= 1 \(or None\), got 0"),
        (
            {"validation_fraction": 1.0, "early_stopping": True},
            r"validation_fraction must be a finite number in \(0, 1\)",
        ),
        ({"options": {"patience": 3}}, "options sets patience; set the estimator's own n_iter_no_change instead"),
    ],
)
def test_bad_parameters_raise_a_value_error_naming_them(moons, params, message):
    X, y = moons
    clf = LayerNetClassifier(**params)  # __init__ only stores
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)
    assert not hasattr(clf, "network_")


def test_bad_data_raises_value_errors_that_say_what_is_wrong(moons):
    X, y = moons
    bad = X.copy()
    bad[4, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        LayerNetClassifier().fit(bad, y)
    with pytest.raises(ValueError, match="infinity"):
        LayerNetClassifier().fit(np.where(X > 2, np.inf, X), y)
    with pytest.raises(ValueError, match="continuous"):
        LayerNetClassifier().fit(X, y + 0.5)
    with pytest.raises(ln.DataError, match="at least 2 classes.*one class"):
        LayerNetClassifier().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        LayerNetClassifier().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2D array"):
        LayerNetClassifier().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="0 sample"):
        LayerNetClassifier().fit(X[:0], y[:0])


def test_prediction_input_is_checked_against_the_fit(moons):
    X, y = moons
    with pytest.raises(NotFittedError):
        LayerNetClassifier().predict(X)
    clf = LayerNetClassifier(random_state=0).fit(X, y)
    for method in (clf.predict, clf.predict_proba, clf.decision_function):
        with pytest.raises(ValueError, match="X has 3 features, but LayerNetClassifier is expecting 2"):
            method(np.hstack([X, X[:, :1]]))
        with pytest.raises(ValueError, match="NaN"):
            method(np.full((2, 2), np.nan))


def test_sparse_input_and_sample_weights_are_refused_by_name(moons):
    from scipy import sparse

    X, y = moons
    with pytest.raises(TypeError, match="[Ss]parse data was passed"):
        LayerNetClassifier().fit(sparse.csr_array(X), y)
    with pytest.raises(TypeError, match="sample_weight"):
        LayerNetClassifier().fit(X, y, sample_weight=np.ones(len(y)))


# -- the digits example ----------------------------------------------------------------------


def _load_example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_example_fast_mode_writes_two_real_figures(tmp_path, capsys):
    import matplotlib.image

    digits = _load_example("digits")
    out_dir = tmp_path / "figures"
    summary = digits.main(["--fast", "--out-dir", str(out_dir)])

    assert summary["alpha"] in digits.FAST_ALPHAS
    assert summary["test_accuracy"] >= 0.9
    assert summary["n_test"] == 450
    assert 0 < summary["misclassified"] == round((1 - summary["test_accuracy"]) * 450)
    printed = capsys.readouterr().out
    assert f"test accuracy  {summary['test_accuracy']:.4f}" in printed

    paths = [out_dir / digits.MISCLASSIFIED_PNG, out_dir / digits.HIDDEN_UNITS_PNG]
    assert summary["figures"] == [str(path) for path in paths]
    for path in paths:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        image = matplotlib.image.imread(path)
        height, width = image.shape[:2]
        assert height > 150 and width > 300
        grey = image[..., :3].mean(axis=2)
        assert grey.std() > 0.1  # not a blank canvas
        assert 0.02 < np.mean(grey < 0.5) < 0.9  # dark pixels: digits, weights and text


def test_score_takes_integer_labels_held_as_objects_like_fit(moons):
    X, y = moons
    as_objects = np.array(y.tolist(), dtype=object)
    clf = LayerNetClassifier(random_state=0).fit(X, as_objects)
    assert clf.score(X, as_objects) == clf.score(X, y) == np.mean(clf.predict(X) == y)


# -- early stopping and warm start (issue 11) ------------------------------------------------


@pytest.mark.parametrize("solver", CLASSIFIER_SOLVERS)
def test_early_stopping_is_ln_train_validating_on_a_stratified_split(moons, solver):
    from sklearn.model_selection import train_test_split

    X, y = moons
    clf = LayerNetClassifier(
        hidden_layer_sizes=(10,), solver=solver, early_stopping=True, n_iter_no_change=4, random_state=0, max_iter=300
    ).fit(X, y)
    # By hand: the weights drawn from the stream first, then scikit-learn's stratified split from it.
    stream = np.random.RandomState(0)
    net = ln.Network([2, 10, 1]).init(rng=stream)
    X_fit, X_val, y_fit, y_val = train_test_split(X, y, test_size=0.1, random_state=stream, stratify=y)
    result = ln.train(
        net, X_fit, y_fit, lambda_=1e-3, method=solver, max_iter=300, validation=(X_val, y_val), patience=4
    )
    np.testing.assert_array_equal(clf.network_.theta, net.theta)
    assert result.status == "early_stopped" and clf.n_iter_ == result.iterations < 300
    assert clf.validation_scores_ == result.history["validation_accuracy"][1:]
    assert len(clf.validation_scores_) == len(clf.validation_loss_curve_) == len(clf.loss_curve_) == clf.n_iter_
    assert clf.best_iteration_ == result.best_iteration
    assert clf.best_validation_score_ == clf.network_.score(X_val, y_val)  # the network holds the best iteration
    assert clf.best_loss_ == result.cost == result.history["cost"][result.best_iteration]


def test_without_early_stopping_the_validation_attributes_are_none(moons):
    X, y = moons
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf = LayerNetClassifier(solver="lbfgs", random_state=0, max_iter=20).fit(X, y)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None and clf.best_iteration_ is None
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_warm_start_continues_the_fitted_network(moons):
    X, y = moons
    settings = dict(solver="gd", learning_rate=0.5, random_state=0)
    once = LayerNetClassifier(max_iter=20, **settings)
    twice = LayerNetClassifier(max_iter=10, warm_start=True, **settings)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        once.fit(X, y)
        twice.fit(X, y).fit(X, y)  # gradient descent without momentum: 10 + 10 steps are 20 steps
        np.testing.assert_array_equal(once.network_.theta, twice.network_.theta)
        assert twice.n_iter_ == 20 and twice.loss_curve_ == once.loss_curve_
        cold = LayerNetClassifier(max_iter=10, **settings).fit(X, y).fit(X, y)  # without warm_start: afresh
        assert cold.n_iter_ == 10
        with pytest.raises(ln.DataError, match=r"knows the classes \[0, 1\], but y has \['a', 'b'\]"):
            twice.fit(X, np.array(["a", "b"])[y])
        with pytest.raises(ln.LayerNetError, match=r"fitted network \[2, 3, 1\] .* now make \[2, 4, 1\]"):
            twice.set_params(hidden_layer_sizes=(4,)).fit(X, y)
    assert twice.n_iter_ == 20  # a refused fit leaves the estimator as it was


def test_alpha_auto_is_chosen_by_the_evidence_and_reported(moons):
    X, y = moons
    clf = LayerNetClassifier(hidden_layer_sizes=(3,), alpha="auto", solver="lbfgs", random_state=0).fit(X, y)
    assert clf.alpha == "auto"  # the parameter stays as given (get_params, clone)
    assert clf.alpha_ == clf.evidence_.lambda_ > 0
    assert clf.evidence_.settled and clf.evidence_.beta is None
    fixed = LayerNetClassifier(hidden_layer_sizes=(3,), alpha=0.01, random_state=0).fit(X, y)
    assert fixed.alpha_ == 0.01 and fixed.evidence_ is None
