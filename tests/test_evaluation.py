"""evaluate(): accuracy, unregularized cost and the confusion matrix, each checked against an
independent oracle (scikit-learn's metrics, tests/reference.py's cost and predictions)."""

from __future__ import annotations

import numpy as np
import pytest
from reference import reference_cost, reference_predict
from sklearn.metrics import accuracy_score, confusion_matrix, log_loss

import layernet as ln


def test_evaluate_on_the_moons_matches_the_course_formulas_and_sklearn(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, y, lambda_=1e-3, method="lbfgs", max_iter=200)
    result = ln.evaluate(net, X, y)
    predicted = reference_predict([2, 3, 2], "sigmoid", net.theta, X)  # the classes are 0 and 1
    assert result.n_samples == 200
    assert result.accuracy == accuracy_score(y, predicted)
    np.testing.assert_array_equal(result.confusion, confusion_matrix(y, predicted, labels=[0, 1]))
    # The data term of the course's cost: regularization left out.
    assert result.cost == pytest.approx(reference_cost([2, 3, 2], "sigmoid", net.theta, X, np.eye(2)[y]), rel=1e-12)
    assert set(result.to_dict()) == {"accuracy", "cost", "n_samples", "classes", "confusion"}


def test_evaluate_a_softmax_network_with_string_labels(rng):
    """Three named classes, rows of the confusion matrix in the network's class order; the cost of
    a softmax output is scikit-learn's log loss."""
    X = rng.normal(size=(90, 2))
    names = np.array(["setosa", "versicolor", "virginica"])
    y = names[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5).astype(int)]
    net = ln.Network([2, 4, 3], hidden="tanh", output="softmax").init(seed=1)
    ln.train(net, X, y, lambda_=0.01, method="lbfgs", max_iter=40)
    X_test = rng.normal(size=(40, 2))
    y_test = names[(X_test[:, 0] > 0).astype(int) + (X_test[:, 1] > 0.5).astype(int)]
    result = ln.evaluate(net, X_test, y_test)

    activations = ["tanh", "softmax"]
    predicted = names[reference_predict([2, 4, 3], activations, net.theta, X_test)]
    assert list(result.classes) == list(names)
    assert result.accuracy == accuracy_score(y_test, predicted)
    np.testing.assert_array_equal(result.confusion, confusion_matrix(y_test, predicted, labels=names))
    Y_test = (y_test[:, None] == names).astype(float)
    assert result.cost == pytest.approx(reference_cost([2, 4, 3], activations, net.theta, X_test, Y_test), rel=1e-10)
    proba = net.predict_proba(X_test)
    assert result.cost == pytest.approx(log_loss(y_test, proba, labels=names), rel=1e-10)


def test_a_class_missing_from_the_data_still_has_its_row_and_column(rng):
    X = rng.normal(size=(30, 2))
    y = np.where(X[:, 0] > 0, 2, 0)
    net = ln.Network([2, 3, 3], output="softmax").init(seed=2)
    ln.train(net, X, y, lambda_=0.0, method="lbfgs", max_iter=30, classes=[0, 1, 2])
    result = ln.evaluate(net, X[y == 0], y[y == 0])
    predicted = reference_predict([2, 3, 3], ["sigmoid", "softmax"], net.theta, X[y == 0])
    np.testing.assert_array_equal(result.confusion, confusion_matrix(y[y == 0], predicted, labels=[0, 1, 2]))
    assert result.confusion.shape == (3, 3) and result.confusion[1:].sum() == 0


def test_evaluate_rejects_unseen_labels(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, y, method="lbfgs", max_iter=5)
    with pytest.raises(ValueError, match="not seen in training"):
        ln.evaluate(net, X, y + 5)


def test_evaluate_rejects_a_non_network(moons):
    X, y = moons
    with pytest.raises(ValueError, match="expects a layernet Network, got str"):
        ln.evaluate("net", X, y)
