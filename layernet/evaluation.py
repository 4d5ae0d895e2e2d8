"""evaluate(): accuracy, cost and confusion matrix of a trained classifier on labelled data; RMSE,
MAE, R² and cost of a trained regression network on its targets."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import LayerNetError
from .labels import check_labels, class_indices
from .network import Network

__all__ = ["Evaluation", "RegressionEvaluation", "evaluate", "regression_metrics"]


@dataclass
class Evaluation:
    """How a network does on a labelled data set.

    Attributes
    ----------
    accuracy : float
        Fraction of samples predicted right.
    cost : float
        The data term of the course's cost (no regularization), averaged over samples.
    confusion : ndarray of shape (n_classes, n_classes)
        ``confusion[i, j]``: samples of class ``classes[i]`` predicted as ``classes[j]``.
    classes : ndarray
    n_samples : int
    """

    accuracy: float
    cost: float
    confusion: np.ndarray
    classes: np.ndarray
    n_samples: int

    def to_dict(self) -> dict:
        return {
            "accuracy": self.accuracy,
            "cost": self.cost,
            "n_samples": self.n_samples,
            "classes": self.classes.tolist(),
            "confusion": self.confusion.tolist(),
        }


@dataclass
class RegressionEvaluation:
    """How a regression network does on a data set.

    Attributes
    ----------
    rmse, mae, r2 : float
        Root mean squared error, mean absolute error (both over every sample and output, in
        the targets' units) and the coefficient of determination, as scikit-learn's metrics
        compute them (several outputs: averaged uniformly).
    cost : float
        The data term of the course's cost, ``1/(2m)`` times the squared error summed over
        samples and outputs (no regularization): ``n_outputs * rmse**2 / 2``.
    n_samples, n_outputs : int
    """

    rmse: float
    mae: float
    r2: float
    cost: float
    n_samples: int
    n_outputs: int

    def to_dict(self) -> dict:
        return {
            "rmse": self.rmse,
            "mae": self.mae,
            "r2": self.r2,
            "cost": self.cost,
            "n_samples": self.n_samples,
            "n_outputs": self.n_outputs,
        }


def regression_metrics(y_true, y_pred) -> dict:
    """``{"rmse", "mae", "r2"}`` of predictions against targets, by scikit-learn's metrics.

    Both arrays have shape ``(n_samples,)`` or ``(n_samples, n_outputs)``; with several
    outputs each metric is averaged uniformly over them, as scikit-learn's default does. R² is
    NaN for fewer than two samples (it is undefined there).
    """
    import warnings

    from sklearn.exceptions import UndefinedMetricWarning
    from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

    y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
    y_pred = y_pred.reshape(y_true.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)  # R² of a single sample: NaN, said as null
        r2 = float(r2_score(y_true, y_pred))
    return {
        # RMSE over all the errors, so cost = n_outputs * rmse**2 / 2 holds for several outputs too.
        "rmse": float(np.sqrt(mean_squared_error(y_true.ravel(), y_pred.ravel()))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "r2": r2,
    }


def evaluate(net: Network, X, y) -> Evaluation | RegressionEvaluation:
    """Score ``net`` on ``X`` (raw features) and labels ``y`` (targets for a regression network).

    Raises
    ------
    LayerNetError
        ``y`` holds labels the network was not trained on, or the shapes do not fit.
    """
    if not isinstance(net, Network):
        raise LayerNetError(f"evaluate expects a layernet Network, got {type(net).__name__}")
    if net.is_regressor:
        Y = net.targets(y)
        predicted = net.predict(X).reshape(-1, net.n_outputs)
        if len(predicted) != len(Y):
            raise LayerNetError(f"X has {len(predicted)} samples but y has {len(Y)} targets")
        metrics = regression_metrics(Y, predicted)
        cost = net.cost(None, X, Y, 0.0)
        return RegressionEvaluation(**metrics, cost=float(cost), n_samples=len(Y), n_outputs=net.n_outputs)
    accuracy = net.score(X, y)  # validates X and y, and rejects unseen labels
    y = check_labels(y)
    Y = net.encode(y)
    cost = net.cost(None, X, Y, 0.0)
    classes = net._class_labels()
    actual = class_indices(y, classes)
    predicted = class_indices(net.predict(X), classes)
    confusion = np.zeros((len(classes), len(classes)), dtype=np.int64)
    np.add.at(confusion, (actual, predicted), 1)
    return Evaluation(float(accuracy), float(cost), confusion, classes, int(len(y)))
