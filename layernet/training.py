"""train(): check the inputs, encode the labels, run an optimizer, bind the result to the network."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import LayerNetError
from .labels import check_labels, encode_labels
from .network import Network
from .optimize import METHODS, IterationInfo, OptimizeOutcome, minimize
from .threads import blas_threads, check_threads, choose_threads
from .validation import check_features, check_lambda, check_positive_int

__all__ = ["TrainResult", "train"]


@dataclass
class TrainResult(OptimizeOutcome):
    """How a training run went; every method fills the same fields.

    Attributes
    ----------
    theta : ndarray of shape (n_params,)
        The final parameters (a copy; the network holds them too). Also ``x``, as the
        optimizer calls it.
    cost : float
        The regularized cost at ``theta``.
    iterations, evaluations : int
        Optimizer iterations, and distinct cost-and-gradient evaluations.
    status : str
        "converged", "max_iter", "max_evals", "precision_loss", "diverged", "stopped" or
        "interrupted".
    message : str
        The optimizer's own words, with a plain explanation where scipy's are cryptic.
    cost_history, grad_norm_history : list of float
        The cost and the gradient's Euclidean norm after every iteration.
    seconds : float
        Wall time of the optimization.
    max_iter : int
        The iteration limit in force (the optimizer's default when none was given).
    initial_cost : float
        The cost at the starting point.
    method : str
    lambda_ : float
    threads : int
        The threads the run used (each with a single-threaded BLAS).
    """

    method: str = "cg"
    lambda_: float = 0.0
    threads: int = 1

    @property
    def theta(self) -> np.ndarray:
        return self.x

    @property
    def interrupted(self) -> bool:
        return self.status == "interrupted"

    def summary(self) -> dict:
        """The result as plain JSON-ready values (no arrays)."""
        return {
            "cost": self.cost,
            "iterations": self.iterations,
            "evaluations": self.evaluations,
            "seconds": self.seconds,
            "converged": self.converged,
            "status": self.status,
            "message": self.message,
            "method": self.method,
            "lambda": self.lambda_,
        }


def train(
    net: Network,
    X,
    y,
    lambda_: float = 0.0,
    method: str = "cg",
    max_iter: int | None = None,
    tol: float | None = None,
    callback: Callable[[IterationInfo], object] | None = None,
    *,
    learning_rate: float = 1.0,
    momentum: float = 0.0,
    classes=None,
    seed=None,
    threads: int | None = None,
) -> TrainResult:
    """Fit ``net`` to labelled data by minimizing the course's regularized cost.

    Parameters
    ----------
    net : Network
        Trained from its current parameters; a network never initialized is first initialized
        with ``seed``.
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Class labels of any kind (ints, strings); encoded one-hot in the order of ``classes``.
    lambda_ : float, default 0
        The course's regularization strength: ``lambda_ / (2 m) * sum(W**2)``, biases excluded.
    method : {"cg", "lbfgs", "bfgs", "gd"}, default "cg"
        See :func:`layernet.optimize.minimize`.
    max_iter, tol : optional
        Iteration limit and gradient tolerance (see :func:`layernet.optimize.minimize`).
    callback : callable, optional
        ``callback(info)`` after every iteration with ``info.iteration`` and ``info.cost``
        (an :class:`~layernet.optimize.IterationInfo`); returning ``True`` stops training.
    learning_rate, momentum : float
        For ``method="gd"`` only.
    classes : sequence, optional
        All the labels, in output-unit order, when ``y`` may not show every one of them.
    seed : int, optional
        Seeds the initialization of a network that has never been initialized.
    threads : int, optional
        Threads for the run. Default: chosen from the problem's size by
        :func:`layernet.threads.choose_threads` -- one thread for small and medium problems,
        every idle core once the matrix products dominate. Each evaluation then divides the
        samples among the threads, and BLAS runs single-threaded in each (set for the run,
        restored afterwards).

    Returns
    -------
    TrainResult
        Its ``theta`` is also copied into ``net.theta``; ``net.classes_`` is set.

    Raises
    ------
    LayerNetError
        Bad input (the message names it). The network is then left exactly as it was.

    Notes
    -----
    Ctrl-C during training does not raise: the result's status is "interrupted" and the network
    holds the best parameters reached.
    """
    if not isinstance(net, Network):
        raise LayerNetError(f"net must be a layernet Network, got {type(net).__name__}")
    X = check_features(X, net.n_features, dtype=net.dtype)
    y = check_labels(y, len(X))
    lambda_ = check_lambda(lambda_)
    if method not in METHODS:
        raise LayerNetError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")
    if max_iter is not None:
        max_iter = check_positive_int(max_iter, "max_iter")
    if tol is not None and not (isinstance(tol, (int, float)) and math.isfinite(tol) and tol > 0):
        raise LayerNetError(f"tol must be a finite number > 0, got {tol!r}")
    for name, value in (("learning_rate", learning_rate), ("momentum", momentum)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise LayerNetError(f"{name} must be a finite number, got {value!r}")
    if learning_rate <= 0:
        raise LayerNetError(f"learning_rate must be > 0, got {learning_rate!r}")
    if not 0 <= momentum < 1:
        raise LayerNetError(f"momentum must be in [0, 1), got {momentum!r}")
    if callback is not None and not callable(callback):
        raise LayerNetError(f"callback must be callable, got {callback!r}")
    threads = check_threads(threads)
    classes = net._classes_for(y, classes)
    Y = encode_labels(y, classes, net.n_outputs, dtype=net.dtype)

    if not net.initialized:
        net.init(seed)
    theta0 = net.theta.copy()
    if threads is None:
        threads = choose_threads(len(X), net.sizes)
    try:
        with blas_threads(1):
            # The optimizer's first evaluation is at theta0: it gives the initial cost, so no
            # point is evaluated twice.
            outcome = minimize(
                net.evaluator(X, Y, lambda_, workers=threads),
                theta0,
                method=method,
                max_iter=max_iter,
                tol=tol,
                callback=callback,
                learning_rate=learning_rate,
                momentum=momentum,
            )
    except BaseException:
        np.copyto(net.theta, theta0)  # an error mid-way leaves the network as it was
        raise
    np.copyto(net.theta, outcome.x)
    net.classes_ = classes
    outcome.x = net.theta.copy()
    result = TrainResult(**vars(outcome), method=method, lambda_=lambda_, threads=threads)
    net.training_summary = result.summary()
    return result
