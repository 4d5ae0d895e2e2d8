"""Numerical gradient checking, as the course does it before trusting backpropagation.

The check compares backprop's gradient with a numerical one and reports the course's relative
difference ``||num - grad|| / ||num + grad||``, overall and for each layer's parameters; it passes
only when the overall ratio and every layer's are below the tolerance (1e-9).

The course's central difference ``D(eps) = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)``
is off by ``eps**2 J'''(theta) / 6``: near 1e-9 of the gradient at eps = 1e-4 once the weights
are as large as a random initialization's, so a correct backprop often fails 1e-9 there. The
default extrapolates instead (Richardson): ``(4 D(eps / 2) - D(eps)) / 3`` cancels the ``eps**2``
term and leaves ``O(eps**4)``, below the rounding error of the cost. It costs four cost
evaluations per parameter instead of two; ``method="central"`` is the course's plain difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._checks import check_int, check_real
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

#: Numerical differentiation methods: Richardson-extrapolated or the course's central difference.
METHODS = ("richardson", "central")

#: A ratio passes below ``max(tolerance, NOISE_FACTOR * resolution)``: rounding alone stays below
#: 5 times its estimate over thousands of layers checked at random initial weights.
NOISE_FACTOR = 10.0


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
    tolerance : float
        The largest passing ratio, overall and per layer.
    resolution, per_layer_resolution : float, tuple of float
        The ratio that rounding in the cost alone gives, estimated from the same cost evaluations
        (0 for ``method="central"``). Where it is large (a layer whose gradient is tiny) a ratio
        passes below ``NOISE_FACTOR`` times it instead of ``tolerance``: no finite difference
        resolves more there.
    method : {"richardson", "central"}
    epsilon : float
        The perturbation (Richardson also uses ``epsilon / 2``).
    """

    relative_difference: float
    per_layer: tuple[float, ...]
    numerical: np.ndarray
    analytical: np.ndarray
    tolerance: float = TOLERANCE
    resolution: float = 0.0
    per_layer_resolution: tuple[float, ...] | None = None
    method: str = "richardson"
    epsilon: float = 1e-4

    @property
    def limit(self) -> float:
        """The overall ratio's pass mark: ``max(tolerance, NOISE_FACTOR * resolution)``."""
        return max(self.tolerance, NOISE_FACTOR * self.resolution)

    @property
    def per_layer_limit(self) -> tuple[float, ...]:
        """Each layer's pass mark, like :attr:`limit`."""
        resolution = self.per_layer_resolution or (0.0,) * len(self.per_layer)
        return tuple(max(self.tolerance, NOISE_FACTOR * r) for r in resolution)

    @property
    def failed_layers(self) -> tuple[int, ...]:
        """Indices (0-based, ``theta`` order) of the layers whose ratio is not below its limit."""
        return tuple(i for i, (v, lim) in enumerate(zip(self.per_layer, self.per_layer_limit)) if not v < lim)

    @property
    def passed(self) -> bool:
        """True when the overall ratio and every layer's are below their limits.

        Each layer must pass on its own: the overall norms are dominated by the layers with the
        largest gradients, so a wrong layer with small gradients can hide under a passing total.
        """
        return self.relative_difference < self.limit and not self.failed_layers


def numerical_gradient(cost, theta: np.ndarray, epsilon: float = 1e-4, *, method: str = "richardson") -> np.ndarray:
    """Numerical gradient of ``cost(theta) -> float``, one parameter at a time.

    Parameters
    ----------
    cost : callable
        ``cost(theta) -> float`` for ``theta`` of shape ``(n_params,)``.
    theta : array of shape (n_params,)
    epsilon : float, default 1e-4
        The perturbation.
    method : {"richardson", "central"}, default "richardson"
        ``"central"``: the course's ``D(eps) = (J(theta + eps e_i) - J(theta - eps e_i)) / (2 eps)``,
        error ``O(eps**2)``, two cost evaluations per parameter. ``"richardson"``:
        ``(4 D(eps / 2) - D(eps)) / 3``, error ``O(eps**4)``, four.

    Returns
    -------
    ndarray of shape (n_params,)
    """
    return _differences(cost, theta, epsilon, method)[0]


def _differences(cost, theta, epsilon: float, method: str) -> tuple[np.ndarray, np.ndarray | None]:
    """The numerical gradient and, for Richardson, each component's rounding noise (its std)."""
    method = _check_method(method)
    epsilon = check_real(epsilon, "epsilon", low=0.0, low_open=True)
    theta = np.array(theta, dtype=float, copy=True)
    numerical = np.empty_like(theta)
    if method == "central":
        for i, saved in enumerate(theta.tolist()):
            plus, minus = _costs(cost, theta, i, saved, epsilon)
            numerical[i] = (plus - minus) / (2 * epsilon)
        return numerical, None
    center = cost(theta)
    fourth = np.empty_like(theta)
    for i, saved in enumerate(theta.tolist()):
        plus, minus = _costs(cost, theta, i, saved, epsilon)
        half_plus, half_minus = _costs(cost, theta, i, saved, epsilon / 2)
        # (4 D(eps/2) - D(eps)) / 3 with D(eps/2) = (half_plus - half_minus) / eps.
        numerical[i] = (8 * (half_plus - half_minus) - (plus - minus)) / (6 * epsilon)
        # The fourth difference on the five points: (eps/2)**4 J'''' (negligible) plus rounding
        # noise of variance 70 sigma**2, where sigma is the noise of one cost value.
        fourth[i] = minus - 4 * half_minus + 6 * center - 4 * half_plus + plus
    return numerical, _noise(fourth, epsilon)


def _noise(fourth: np.ndarray, epsilon: float) -> np.ndarray:
    # sigma**2 from the median over all parameters (the cost's rounding hardly depends on which
    # parameter moved; the median ignores the odd kink), raised to a component's own measure where
    # that is larger. The extrapolated difference carries sqrt(130) sigma / (6 eps) of it.
    own = fourth**2 / 70
    pooled = np.median(own) / 0.4549 if own.size else 0.0  # 0.4549: the median of a chi-square(1)
    return np.sqrt(np.maximum(own, pooled) * 130) / (6 * epsilon)


def _costs(cost, theta: np.ndarray, i: int, saved: float, step: float) -> tuple[float, float]:
    theta[i] = saved + step
    plus = cost(theta)
    theta[i] = saved - step
    minus = cost(theta)
    theta[i] = saved
    return plus, minus


def _check_method(method) -> str:
    if method not in METHODS:
        raise LayerNetError(f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}")
    return method


def gradient_check(
    net: Network,
    X,
    y=None,
    lambda_: float = 0.0,
    *,
    Y=None,
    theta=None,
    epsilon: float = 1e-4,
    method: str = "richardson",
    tolerance: float = TOLERANCE,
):
    """Compare backprop with numerical differences at ``theta`` (default: the network's own).

    Parameters
    ----------
    net : Network
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,), optional
        Labels, encoded like :func:`layernet.train` does; or give the targets ``Y`` directly.
    lambda_ : float, default 0
    Y : array of shape (n_samples, n_outputs), optional
    theta : array of shape (n_params,), optional
    epsilon : float in (0, 1], default 1e-4
        The course's perturbation.
    method : {"richardson", "central"}, default "richardson"
        See :func:`numerical_gradient`. ``"central"`` with ``epsilon=1e-4`` is the course's check.
    tolerance : float > 0, default 1e-9
        The largest passing relative difference, overall and for each layer (raised, for
        ``"richardson"``, to ``NOISE_FACTOR`` times the measured rounding noise where that is larger).

    Returns
    -------
    GradientCheck
    """
    method = _check_method(method)
    tolerance = check_real(tolerance, "tolerance", low=0.0, low_open=True)
    # A step beyond 1 measures no derivative of a network's cost (and 1e300 overflows it).
    epsilon = check_real(epsilon, "epsilon", low=0.0, high=1.0, low_open=True)
    X = check_features(X, net.n_features, dtype=net.dtype)
    lambda_ = check_lambda(lambda_)
    if Y is None and net.is_regressor:
        Y = net.targets(y, len(X))
    elif Y is None:
        labels = check_labels(y, len(X))
        classes = net.classes_ if net.classes_ is not None else net._classes_for(labels)
        Y = encode_labels(labels, classes, net.n_outputs, dtype=net.dtype)
    point = net.theta.copy() if theta is None else net._check_theta(theta).copy()
    _, analytical = net.cost_and_grad(point, X, Y, lambda_)
    numerical, noise = _differences(lambda t: net.cost(t, X, Y, lambda_), point, epsilon, method)
    packer: ParameterPacker = net.packer
    slices = [packer.slice(i) for i in range(len(packer))]
    per_layer = tuple(_relative_difference(numerical[s], analytical[s]) for s in slices)
    if noise is None:
        resolution, per_layer_resolution = 0.0, (0.0,) * len(slices)
    else:
        resolution = _resolution(noise, numerical, analytical)
        per_layer_resolution = tuple(_resolution(noise[s], numerical[s], analytical[s]) for s in slices)
    return GradientCheck(
        _relative_difference(numerical, analytical),
        per_layer,
        numerical,
        analytical,
        tolerance=float(tolerance),
        resolution=resolution,
        per_layer_resolution=per_layer_resolution,
        method=method,
        epsilon=float(epsilon),
    )


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


def _resolution(noise: np.ndarray, numerical: np.ndarray, analytical: np.ndarray) -> float:
    # The relative difference that rounding noise alone would give.
    denominator = np.linalg.norm(numerical + analytical)
    return float(np.linalg.norm(noise) / denominator) if denominator > 0.0 else 0.0


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


def check_config_gradients(config, samples: int = 20, at: str = "debug", **kwargs):
    """Gradient-check the network a run configuration describes, on the first samples of its data.

    Parameters
    ----------
    config : RunConfig
    samples : int, default 20
        How many training samples to check on (each parameter costs two cost evaluations).
    at : {"debug", "init"}, default "debug"
        ``"debug"``: the course's small deterministic weights. ``"init"``: the run's own initial
        weights (its seed's stream, after the data).
    **kwargs
        ``epsilon``, ``method`` and ``tolerance`` of :func:`gradient_check`.

    Returns
    -------
    network : Network
    report : GradientCheck
    """
    from .runner import build_network, load_data

    if at not in ("debug", "init"):
        raise LayerNetError(f"at must be 'debug' or 'init', got {at!r}")
    samples = check_int(samples, "samples", low=1)
    stream = np.random.RandomState(config.seed if config.seed is not None else 0)
    data = load_data(config, stream)
    net = build_network(config)
    if at == "debug":
        net.init(initializer="debug")
    else:
        net.init(rng=stream)
    X, y = data.X_train[:samples], data.y_train[:samples]
    if net.is_regressor:
        Y = net.targets(y)
    else:
        classes = infer_classes(y, net.n_outputs, np.unique(data.dataset.y))
        Y = encode_labels(y, classes, net.n_outputs, dtype=net.dtype)
    if config.data.scale:
        from .preprocessing import Scaler

        net.scaler = Scaler.fit(data.X_train)
    lambda_ = config.training.lambda_
    if lambda_ == "auto":
        from .evidence import AUTO_START

        lambda_ = AUTO_START  # the penalty an auto run starts with: the gradient's formula is the same at any
    return net, gradient_check(net, X, Y=Y, lambda_=lambda_, **kwargs)
