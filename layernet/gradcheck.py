"""Numerical gradient checking, as the course does it before trusting backpropagation.

The check compares backprop's gradient with central differences
``(J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)`` and reports the course's relative
difference ``||num - grad|| / ||num + grad||``: below 1e-9 when backprop is right.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import LayerNetError
from .labels import check_labels, encode_labels, infer_classes
from .network import INITIALIZERS, Network
from .packing import ParameterPacker
from .validation import check_features, check_lambda

__all__ = [
    "GradientCheck",
    "gradient_check",
    "check_gradients",
    "numerical_gradient",
    "debug_problem",
    "check_nn_gradients",
    "check_config_gradients",
]

#: The course's threshold for a correct backpropagation.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of a gradient check.

    Attributes
    ----------
    relative_difference : float
        ``||numerical - analytical|| / ||numerical + analytical||`` over all parameters.
    per_layer : tuple of float
        The same ratio for each layer's parameters.
    numerical, analytical : ndarray of shape (n_params,)
    """

    relative_difference: float
    per_layer: tuple[float, ...]
    numerical: np.ndarray
    analytical: np.ndarray

    @property
    def passed(self) -> bool:
        return self.relative_difference < TOLERANCE


def numerical_gradient(cost, theta: np.ndarray, epsilon: float = 1e-4) -> np.ndarray:
    """Central-difference gradient of ``cost(theta) -> float``, one parameter at a time."""
    theta = np.array(theta, dtype=float, copy=True)
    numerical = np.empty_like(theta)
    for i in range(theta.size):
        saved = theta[i]
        theta[i] = saved + epsilon
        plus = cost(theta)
        theta[i] = saved - epsilon
        minus = cost(theta)
        theta[i] = saved
        numerical[i] = (plus - minus) / (2 * epsilon)
    return numerical


def gradient_check(net: Network, X, y=None, lambda_: float = 0.0, *, Y=None, theta=None, epsilon: float = 1e-4):
    """Compare backprop with central differences at ``theta`` (default: the network's own).

    Parameters
    ----------
    net : Network
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,), optional
        Labels, encoded like :func:`layernet.train` does; or give the targets ``Y`` directly.
    lambda_ : float, default 0
    Y : array of shape (n_samples, n_outputs), optional
    theta : array of shape (n_params,), optional
    epsilon : float, default 1e-4
        The course's perturbation.

    Returns
    -------
    GradientCheck
    """
    X = check_features(X, net.n_features, dtype=net.dtype)
    lambda_ = check_lambda(lambda_)
    if Y is None:
        labels = check_labels(y, len(X))
        classes = net.classes_ if net.classes_ is not None else net._classes_for(labels)
        Y = encode_labels(labels, classes, net.n_outputs, dtype=net.dtype)
    point = net.theta.copy() if theta is None else net._check_theta(theta).copy()
    _, analytical = net.cost_and_grad(point, X, Y, lambda_)
    numerical = numerical_gradient(lambda t: net.cost(t, X, Y, lambda_), point, epsilon)
    packer: ParameterPacker = net.packer
    per_layer = tuple(
        _relative_difference(numerical[packer.slice(i)], analytical[packer.slice(i)]) for i in range(len(packer))
    )
    return GradientCheck(_relative_difference(numerical, analytical), per_layer, numerical, analytical)


def check_gradients(net: Network, X, y=None, lambda_: float = 0.0, **kwargs) -> float:
    """The course's relative difference between backprop and numerical gradients (want < 1e-9).

    Takes the arguments of :func:`gradient_check`.

    Examples
    --------
    >>> import numpy as np, layernet as ln
    >>> net = ln.Network([3, 5, 3]).init(seed=0)
    >>> X = np.random.default_rng(0).normal(size=(5, 3))
    >>> ln.check_gradients(net, X, [0, 1, 2, 0, 1], lambda_=3.0) < 1e-9
    True
    """
    return gradient_check(net, X, y, lambda_, **kwargs).relative_difference


def _relative_difference(numerical: np.ndarray, analytical: np.ndarray) -> float:
    denominator = np.linalg.norm(numerical + analytical)
    if denominator == 0.0:
        return 0.0 if np.linalg.norm(numerical - analytical) == 0.0 else float("inf")
    return float(np.linalg.norm(numerical - analytical) / denominator)


def debug_problem(hidden: str = "sigmoid", output: str = "sigmoid"):
    """The course's gradient-check problem: a 3-5-3 network, 5 examples, sin-based weights.

    Returns
    -------
    net : Network
        Parameters set to the course's deterministic ``debugInitializeWeights``.
    X : ndarray of shape (5, 3)
    y : ndarray of shape (5,)
        Labels ``1 + (i mod 3)`` for ``i = 1..5``, as in the course.
    """
    net = Network([3, 5, 3], hidden=hidden, output=output).init(initializer="debug")
    X = INITIALIZERS["debug"](None, 2, 5)  # the course reuses debugInitializeWeights for X
    y = 1 + np.arange(1, 6) % 3
    return net, X, y


def check_nn_gradients(lambda_: float = 0.0) -> float:
    """The course's ``checkNNGradients`` in one line: the debug problem's relative difference.

    >>> import layernet as ln
    >>> ln.check_nn_gradients(lambda_=3.0) < 1e-9
    True
    """
    net, X, y = debug_problem()
    return check_gradients(net, X, y, lambda_)


def check_config_gradients(config, samples: int = 20, at: str = "debug"):
    """Gradient-check the network a run configuration describes, on the first samples of its data.

    Parameters
    ----------
    config : RunConfig
    samples : int, default 20
        How many training samples to check on (each parameter costs two cost evaluations).
    at : {"debug", "init"}, default "debug"
        ``"debug"``: the course's small deterministic weights, where central differences resolve
        1e-9. ``"init"``: the run's own initial weights (its seed's stream, after the data).

    Returns
    -------
    network : Network
    report : GradientCheck
    """
    from .runner import build_network, load_data

    if at not in ("debug", "init"):
        raise LayerNetError(f"at must be 'debug' or 'init', got {at!r}")
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        raise LayerNetError(f"samples must be an integer >= 1, got {samples!r}")
    stream = np.random.RandomState(config.seed if config.seed is not None else 0)
    data = load_data(config, stream)
    net = build_network(config)
    if at == "debug":
        net.init(initializer="debug")
    else:
        net.init(rng=stream)
    X, y = data.X_train[:samples], data.y_train[:samples]
    classes = infer_classes(y, net.n_outputs, np.unique(data.dataset.y))
    Y = encode_labels(y, classes, net.n_outputs, dtype=net.dtype)
    if config.data.scale:
        from .preprocessing import Scaler

        net.scaler = Scaler.fit(data.X_train)
    return net, gradient_check(net, X, Y=Y, lambda_=config.training.lambda_)
