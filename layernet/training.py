"""train(): check the inputs, encode the labels, run an optimizer, bind the result to the network."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .distributed import is_dask_collection
from .errors import DataError, LayerNetError
from .labels import check_labels, encode_labels
from .network import Network
from .optimize import IterationInfo, OptimizeOutcome, minimize
from .options import TrainOptions
from .threads import blas_threads, choose_threads
from .validation import check_features

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
        "converged", "max_iter", "max_evals", "precision_loss" (the cost cannot be lowered at its
        precision), "diverged" (the cost became non-finite; the best finite parameters are kept,
        or the starting ones when there were none), "stalled" (the gradient vanished at
        chance-level accuracy), "stopped" (by the callback) or "interrupted" (Ctrl-C).
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
    options: TrainOptions | dict | None = None,
    *,
    callback: Callable[[IterationInfo], object] | None = None,
    classes=None,
    **settings,
) -> TrainResult:
    """Fit ``net`` to labelled data by minimizing the course's regularized cost.

    Parameters
    ----------
    net : Network
        Trained from its current parameters -- drawn by :meth:`Network.init`, or assigned to
        ``net.theta`` (a vector from the course's or the blog's code drops in). A network that
        has neither is first initialized with the options' ``seed``.
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
        Class labels of any kind (ints, strings); encoded one-hot in the order of ``classes``.
    options : TrainOptions or dict, optional
        How to train (see :class:`layernet.TrainOptions` for every field: ``method``,
        ``lambda_``, ``max_iter``, ``tol``, ``learning_rate``, ``momentum``, ``threads``,
        ``max_memory``, ``batch_size``, ``scheduler``, ``seed``).
    callback : callable, optional
        ``callback(info)`` after every iteration with ``info.iteration`` and ``info.cost``
        (an :class:`~layernet.optimize.IterationInfo`); returning ``True`` stops training.
    classes : sequence, optional
        All the labels, in output-unit order, when ``y`` may not show every one of them.
    **settings
        Any field of :class:`~layernet.TrainOptions` by name, applied over ``options``:
        ``train(net, X, y, lambda_=1e-3, method="lbfgs")``.

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
    holds the best parameters reached. Threads: by default chosen from the problem's size by
    :func:`layernet.threads.choose_threads` -- one thread for small and medium problems, every
    idle core once the matrix products dominate; each evaluation then divides the samples among
    the threads, with BLAS single-threaded in each (set for the run, restored afterwards).

    Memory: each evaluation's work buffers stay within ``max_memory`` (512 MiB by default) or
    hold ``batch_size`` samples; more samples are evaluated a chunk at a time, and the cost and
    gradient are still the full batch's.
    """
    options = TrainOptions.coerce(options, settings)
    if not isinstance(net, Network):
        raise LayerNetError(f"net must be a layernet Network, got {type(net).__name__}")
    on_dask = options.scheduler is not None or is_dask_collection(X) or is_dask_collection(y)
    if on_dask:
        # The data stay on the Dask workers; they check them there (layernet.distributed).
        if callback is not None and not callable(callback):
            raise LayerNetError(f"callback must be callable, got {callback!r}")
        from .distributed import DaskData

        dask = DaskData(net, X, y, classes, options.scheduler, options.max_memory, options.batch_size)
        classes = dask.classes
    else:
        X = check_features(X, net.n_features, dtype=net.dtype)
        y = check_labels(y, len(X))
        if callback is not None and not callable(callback):
            raise LayerNetError(f"callback must be callable, got {callback!r}")
        classes = net._classes_for(y, classes)
        Y = encode_labels(y, classes, net.n_outputs, dtype=net.dtype)

    if not net.initialized and not net.theta.any():
        # Never drawn, never assigned, still all zeros (the vector a new network starts with);
        # values written into net.theta or a layer's view in place are trained from as they are.
        net.init(options.seed)
    theta0 = net.theta.copy()
    threads = 1 if on_dask else options.threads or choose_threads(len(X), net.sizes)
    method, lambda_ = options.method, options.lambda_
    try:
        if on_dask:
            objective = dask.evaluator(lambda_)
        else:
            objective = net.evaluator(
                X, Y, lambda_, workers=threads, max_memory=options.max_memory, batch_size=options.batch_size
            )
        with blas_threads(1):
            # The optimizer's first evaluation is at theta0: it gives the initial cost, so no
            # point is evaluated twice.
            outcome = minimize(
                objective,
                theta0,
                method=method,
                max_iter=options.max_iter,
                tol=options.tol,
                callback=callback,
                learning_rate=options.learning_rate,
                momentum=options.momentum,
                resolution=float(np.finfo(net.dtype).eps),
            )
    except BaseException:
        np.copyto(net.theta, theta0)  # an error mid-way leaves the network as it was
        raise
    finally:
        if on_dask:
            dask.close()
    with np.errstate(over="ignore"):  # a float64 point beyond float32's range becomes inf: refused below
        np.copyto(net.theta, outcome.x, casting="unsafe")
    if not np.isfinite(net.theta).all():
        # Never bind non-finite parameters: the network keeps its starting point.
        np.copyto(net.theta, theta0)
        outcome.status = "diverged"
        if "unchanged" not in outcome.message:
            outcome.message = (
                f"{outcome.message}; no finite parameters were reached, so the network keeps its starting ones"
            )
    net.classes_ = classes
    if outcome.status == "converged" and not on_dask:  # the check predicts on all the data, in memory
        _flag_vanished(net, X, Y, y, theta0, lambda_, outcome)
    outcome.x = net.theta.copy()
    result = TrainResult(**vars(outcome), method=method, lambda_=lambda_, threads=threads)
    net.training_summary = result.summary()
    return result


#: A first layer whose starting gradient is this much smaller than the output layer's learns
#: nothing before the optimizer's tolerance is met.
VANISHED_RATIO = 1e-3


def _flag_vanished(net: Network, X, Y, y, theta0, lambda_: float, outcome: OptimizeOutcome) -> None:
    """Mark a "converged" run whose gradients vanished and that predicts at chance level.

    A deep stack of sigmoid units starts with first-layer gradients orders of magnitude below the
    output layer's, so the tolerance is met while the network still answers the class priors
    (cost ``2 ln 2`` on balanced data): the status says "stalled" and the message says why. Both
    conditions are needed: a network held at chance by a huge lambda, or on labels that carry no
    signal, converged to a real optimum and keeps its status.
    """
    if len(net.layers) < 2:
        return
    try:
        accuracy = float(np.mean(net.predict(X) == y))
    except DataError:  # outputs that overflow into NaN: nothing to judge here
        return
    _, counts = np.unique(y, return_counts=True)
    chance = counts.max() / len(y)
    if accuracy > chance + 1.0 / len(y):
        return
    grads = net.packer.unpack(net.cost_and_grad(theta0, X, Y, lambda_)[1])
    first, last = float(np.linalg.norm(grads[0])), float(np.linalg.norm(grads[-1]))
    if not first <= VANISHED_RATIO * last:
        return
    outcome.status = "stalled"
    outcome.message = (
        f"stopped at chance level: {accuracy:.1%} training accuracy, no better than always answering the "
        f"largest class ({chance:.1%}), after {len(outcome.cost_history)} iteration(s); the gradients vanished "
        f"(at the start the first layer's was {first / last:.1e} of the output layer's), as deep sigmoid or tanh "
        "stacks do: try fewer layers, relu units with initializer='he', or scaled features"
    )
