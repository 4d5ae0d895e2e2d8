"""evaluate(): accuracy, cost and confusion matrix of a trained network on labelled data."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import LayerNetError
from .labels import check_labels, class_indices
from .network import Network

__all__ = ["Evaluation", "evaluate"]


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


def evaluate(net: Network, X, y) -> Evaluation:
    """Score ``net`` on ``X`` (raw features) and labels ``y``.

    Raises
    ------
    LayerNetError
        ``y`` holds labels the network was not trained on, or the shapes do not fit.
    """
    if not isinstance(net, Network):
        raise LayerNetError(f"evaluate expects a layernet Network, got {type(net).__name__}")
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
