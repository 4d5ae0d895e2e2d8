"""train(): check the inputs, encode the labels, run an optimizer, bind the result to the network."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .distributed import is_dask_collection
from .errors import DataError, LayerNetError
from .evidence import Evidence
from .features import label_of, names_of
from .labels import check_labels, encode_labels
from .network import Network
from .optimize import IterationInfo, OptimizeOutcome, default_max_iter, minimize
from .options import LEAST_SQUARES, SECOND_ORDER, TrainOptions
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
        chance-level accuracy), "early_stopped" (the validation cost stopped improving for
        ``patience`` iterations in a row), "stopped" (by the callback) or "interrupted" (Ctrl-C).
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
        The lambda the final parameters were trained with (with ``lambda_="auto"``, the one the
        evidence reached).
    evidence : Evidence or None
        With ``lambda_="auto"``: what the re-estimation reached (:class:`layernet.evidence.Evidence`:
        the lambda of every phase, the effective number of parameters ``gamma``, ``alpha`` and, for
        squared error, ``beta``); None otherwise. ``history["lambda"]`` then holds the lambda in
        force at every iteration.
    threads : int
        The threads the run used (each with a single-threaded BLAS).
    history : dict of str to list of float
        The training record, one entry per iteration from 0 (the starting point) to
        ``iterations``: ``"iteration"``, ``"cost"`` (regularized, on the training data) and, when
        training had them, ``"validation_cost"``, ``"validation_accuracy"``, ``"test_cost"`` and
        ``"test_accuracy"`` (costs unregularized). What :func:`layernet.plot_training` draws.
    best_iteration : int or None
        The iteration with the lowest validation cost (0: the starting point); None without a
        validation set. With ``restore_best`` the network holds that iteration's parameters.
    validation_cost, validation_accuracy, test_cost, test_accuracy : float or None
        At the parameters the network ends with; None without that data.
    n_validation : int
        Samples validated on (0 without validation).
    """

    method: str = "cg"
    lambda_: float = 0.0
    threads: int = 1
    evidence: Evidence | None = None
    history: dict = field(default_factory=dict)
    best_iteration: int | None = None
    validation_cost: float | None = None
    validation_accuracy: float | None = None
    test_cost: float | None = None
    test_accuracy: float | None = None
    n_validation: int = 0

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
            "best_iteration": self.best_iteration,
            "validation_cost": self.validation_cost,
            "validation_accuracy": self.validation_accuracy,
            **({} if self.evidence is None else {"evidence": self.evidence.summary()}),
        }


def train(
    net: Network,
    X,
    y,
    options: TrainOptions | dict | None = None,
    *,
    callback: Callable[[IterationInfo], object] | None = None,
    classes=None,
    validation=None,
    test=None,
    **settings,
) -> TrainResult:
    """Fit ``net`` to labelled data by minimizing the course's regularized cost.

    Parameters
    ----------
    net : Network
        Trained from its current parameters -- drawn by :meth:`Network.init`, assigned to
        ``net.theta`` (a vector from the course's or the blog's code drops in), or left by an
        earlier training: training a trained network continues from where it ended (warm
        start), with its ``classes_``. A network that has none of these is first initialized
        with the options' ``seed``.
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,), or (n_samples, n_outputs) for a regression
        Class labels of any kind (ints, strings); encoded one-hot in the order of ``classes``.
        For a regression network (``net.task == "regression"``, an identity output), the
        continuous targets themselves: one column per output unit (1-D for one unit). The cost
        is then the course's squared error, ``1/(2m)`` times the sum over samples and outputs.
    options : TrainOptions or dict, optional
        How to train (see :class:`layernet.TrainOptions` for every field: ``method``,
        ``lambda_``, ``max_iter``, ``tol``, ``learning_rate``, ``momentum``, ``threads``,
        ``seed``, ``validation_fraction``, ``patience``, ``restore_best``, ``max_memory``,
        ``batch_size``, ``scheduler``).
    callback : callable, optional
        ``callback(info)`` after every iteration with ``info.iteration`` and ``info.cost``
        (an :class:`~layernet.optimize.IterationInfo`); returning ``True`` stops training.
    classes : sequence, optional
        All the labels, in output-unit order, when ``y`` may not show every one of them.
        Default: the trained network's ``classes_``, else the labels of ``y``.
    validation : (X_val, y_val), optional
        Held-out data evaluated after every iteration (unregularized cost and accuracy), checked
        like ``X`` and ``y``. Early stopping: after ``patience`` iterations in a row whose
        validation cost is above the best so far, training stops (status "early_stopped"), and
        with ``restore_best`` the network ends with the parameters of the best iteration
        (whatever stopped the run). The option ``validation_fraction`` holds out a stratified
        part of ``X`` instead. Validating never changes the optimizer's path: without a stop,
        the run is the same to the last bit with or without it.
    test : (X_test, y_test), optional
        Recorded every iteration like the validation set, never used to decide anything.
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
    if callback is not None and not callable(callback):
        raise LayerNetError(f"callback must be callable, got {callback!r}")
    names, label_name = names_of(X), label_of(y)  # a DataFrame's columns, a Series' name
    if classes is None and net.classes_ is not None and not net.is_regressor:
        classes = net.classes_  # a trained classifier continues with its own classes
    on_dask = options.scheduler is not None or is_dask_collection(X) or is_dask_collection(y)
    if on_dask:
        # The data stay on the Dask workers; they check them there (layernet.distributed).
        refused = None
        if net.is_regressor:
            refused = "a regression network"
        elif options.method in SECOND_ORDER + LEAST_SQUARES:
            refused = f"method {options.method!r}"
        elif options.validation_fraction is not None:
            refused = "validation_fraction (pass validation=(X_val, y_val) in memory)"
        elif options.lambda_ == "auto":
            refused = "lambda_='auto' (the evidence needs the Gauss-Newton matrix of the data in memory; give a number)"
        if refused is not None:
            raise LayerNetError(f"training on Dask data does not support {refused}: it needs the data in memory")
        from .distributed import DaskData

        dask = DaskData(net, X, y, classes, options.scheduler, options.max_memory, options.batch_size)
        classes = dask.classes
    else:
        X = check_features(X, net.n_features, dtype=net.dtype)
        if net.is_regressor:
            if classes is not None:
                raise LayerNetError("classes= is for classifiers; this network is a regression (task 'regression')")
            y = net.targets(y, len(X))  # continuous targets, one column per output unit
        else:
            y = check_labels(y, len(X))
            classes = net._classes_for(y, classes)
        if validation is not None and options.validation_fraction is not None:
            raise LayerNetError("give validation=(X_val, y_val) or the option validation_fraction, not both")
        if options.validation_fraction is not None:
            fraction = options.validation_fraction
            X, X_val, y, y_val = held_out(X, y, fraction, options.seed, stratify=not net.is_regressor)
            validation = (X_val, y_val)
        Y = y if net.is_regressor else encode_labels(y, classes, net.n_outputs, dtype=net.dtype)
    monitor = _Monitor(
        _held_out_scorer(net, validation, "validation", classes),
        _held_out_scorer(net, test, "test", classes),
        options.patience,
    )

    if not net.initialized and not net.theta.any():
        # Never drawn, never assigned, still all zeros (the vector a new network starts with);
        # values written into net.theta or a layer's view in place are trained from as they are.
        net.init(options.seed)
    theta0 = net.theta.copy()
    threads = 1 if on_dask else options.threads or choose_threads(len(X), net.sizes)
    method, auto = options.method, options.lambda_ == "auto"
    curvature = None
    if method in SECOND_ORDER + LEAST_SQUARES:
        # Checked here, before training (an activation without a second derivative, a cross-entropy
        # output for lm, a Jacobian beyond max_memory); an auto run builds one for each lambda it tries.
        curvature = _curvature_for(net, X, Y, 1.0 if auto else options.lambda_, options)

    def run(lambda_: float, x0, max_iter, phase_callback, phase_monitor):
        if on_dask:
            objective = dask.evaluator(lambda_)
        else:
            objective = net.evaluator(
                X, Y, lambda_, workers=threads, max_memory=options.max_memory, batch_size=options.batch_size
            )
        hessp = jacobian = None
        if method in SECOND_ORDER + LEAST_SQUARES:
            products = _curvature_for(net, X, Y, lambda_, options) if auto else curvature
            hessp, jacobian = (products, None) if method in SECOND_ORDER else (None, products)
        with blas_threads(1):
            # The optimizer's first evaluation is at x0: it gives the initial cost, so no point
            # is evaluated twice.
            return minimize(
                objective,
                x0,
                method=method,
                max_iter=max_iter,
                tol=options.tol,
                callback=phase_callback,
                learning_rate=options.learning_rate,
                momentum=options.momentum,
                resolution=float(np.finfo(net.dtype).eps),
                monitor=phase_monitor,
                hessp=hessp,
                jacobian=jacobian,
            )

    evidence = None
    try:
        if auto:
            from .evidence import search

            outcome, evidence = search(
                run,
                net,
                X,
                Y,
                method=method,
                max_iter=options.max_iter or default_max_iter(method, net.n_params),
                callback=callback,
                monitor=monitor if monitor.active else None,
                theta0=theta0,
                # The re-estimations' work buffers stay within the evaluations' budget too.
                rows=net._chunk_rows(len(X), options.max_memory, options.batch_size),
            )
        else:
            outcome = run(options.lambda_, theta0, options.max_iter, callback, monitor if monitor.active else None)
    except BaseException:
        np.copyto(net.theta, theta0)  # an error mid-way leaves the network as it was
        raise
    finally:
        if on_dask:
            dask.close()
    lambda_ = evidence.lambda_ if auto else options.lambda_
    history = monitor.history(outcome)
    if options.restore_best and monitor.best_x is not None and monitor.best_iteration != outcome.iterations:
        best = monitor.best_iteration
        outcome.x, outcome.cost = monitor.best_x, history["cost"][best]
        outcome.message = (
            f"{outcome.message}; restored the parameters of iteration {best}, the lowest validation cost "
            f"({monitor.best_cost:.6g})"
        )
        if auto:
            # The restored parameters were trained with the lambda of their own phase, not the last one.
            lambda_ = _lambda_series(evidence, best + 1)[best]
            evidence = dataclasses.replace(evidence, lambda_=lambda_)
            outcome.message = f"{outcome.message}, trained with lambda {lambda_:.6g}"
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
    net.feature_names, net.label_name = names, label_name
    # The vanishing check predicts on all the data, in memory; regression has no classes to vanish into.
    if outcome.status == "converged" and not net.is_regressor and not on_dask:
        _flag_vanished(net, X, Y, y, theta0, lambda_, outcome)
    outcome.x = net.theta.copy()
    if auto:
        history["lambda"] = _lambda_series(evidence, len(history["iteration"]))
    result = TrainResult(
        **vars(outcome),
        method=method,
        lambda_=lambda_,
        threads=threads,
        history=history,
        evidence=evidence,
        **monitor.final(net.theta),
    )
    net.training_summary = result.summary()
    return result


def _curvature_for(net: Network, X, Y, lambda_: float, options: TrainOptions):
    """The second-order methods' ``hessp``, or lm's residual Jacobian, at ``lambda_``."""
    if options.method in SECOND_ORDER:
        return net.curvature_evaluator(X, Y, lambda_, gauss_newton=options.curvature == "gauss-newton")
    from .lm import jacobian_evaluator

    return jacobian_evaluator(net, X, Y, lambda_, max_memory=options.max_memory)


def _lambda_series(evidence, length: int) -> list:
    """The lambda in force at every recorded iteration of an auto run (iteration 0: the first phase's)."""
    series = [evidence.lambdas[0]]
    for lambda_, iterations in zip(evidence.lambdas, evidence.phase_iterations):
        series.extend([lambda_] * iterations)
    return series[:length]


def held_out(X: np.ndarray, y: np.ndarray, fraction: float, random_state=None, *, stratify: bool = True):
    """``(X_train, X_val, y_train, y_val)``: a stratified split of ``fraction`` of the samples.

    scikit-learn's ``train_test_split``; ``random_state`` is what it takes (an int, a
    ``RandomState``; None is 0 here, so an unseeded call is still reproducible). A class too
    small to stratify gives a plain random split, as the run's train/test split does, and so
    does ``stratify=False`` (regression targets).
    """
    from sklearn.model_selection import train_test_split

    random_state = 0 if random_state is None else random_state
    for strata in (y, None) if stratify else (None,):
        try:
            return train_test_split(X, y, test_size=fraction, random_state=random_state, stratify=strata)
        except ValueError as error:
            failure = error
    raise DataError(f"validation_fraction = {fraction:g} cannot split {len(y)} sample(s): {failure}") from None


def _held_out_scorer(net: Network, data, name: str, classes):
    """``theta -> (cost, accuracy)`` on ``data = (X, y)``, checked like training data; None for None."""
    if data is None:
        return None
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise LayerNetError(f"{name} must be a pair (X_{name[:3]}, y_{name[:3]}), got {type(data).__name__}")
    X = check_features(data[0], net.n_features, name=f"{name} X", dtype=net.dtype)
    try:
        if net.is_regressor:
            Y = net.targets(data[1], len(X))
        else:
            y = check_labels(data[1], name=f"{name} y")
            if len(y) != len(X):
                raise DataError(f"{name} X has {len(X)} samples but {name} y has {len(y)} labels")
            Y = encode_labels(y, classes, net.n_outputs, dtype=net.dtype)
    except DataError as error:
        message = str(error)
        raise DataError(message if message.startswith(f"{name} ") else f"{name} y: {message}") from None
    scorer = net.scorer(X, Y)
    scorer.n_samples = len(Y)
    return scorer


class _Monitor:
    """Validation (and test) figures after every iteration, and early stopping on the validation cost.

    A failure is an iteration whose validation cost is above the best so far (a tie is neither a
    failure nor a new best, as in MATLAB's ``max_fail``); ``patience`` failures in a row stop.
    It evaluates held-out data only, never the training objective.
    """

    def __init__(self, validate, test, patience: int | None) -> None:
        self.validate, self.test, self.patience = validate, test, patience
        self.active = validate is not None or test is not None
        self.series: dict[str, list[float]] = {}
        if validate is not None:
            self.series.update(validation_cost=[], validation_accuracy=[])
        if test is not None:
            self.series.update(test_cost=[], test_accuracy=[])
        self.best_cost = math.inf
        self.best_iteration: int | None = None
        self.best_x: np.ndarray | None = None
        self.failures = 0

    def __call__(self, x: np.ndarray, iteration: int) -> tuple[dict, str | None]:
        fields, stop = {}, None
        if self.validate is not None:
            cost, accuracy = self.validate(x)
            if cost < self.best_cost or self.best_iteration is None:
                self.best_cost, self.best_iteration, self.failures = cost, iteration, 0
                self.best_x = np.array(x, dtype=float, copy=True)
            elif not cost <= self.best_cost:  # above the best, or NaN
                self.failures += 1
            self.series["validation_cost"].append(cost)
            self.series["validation_accuracy"].append(accuracy)
            fields.update(validation_cost=cost, validation_accuracy=accuracy, best_iteration=self.best_iteration)
            if self.patience is not None and self.failures >= self.patience:
                stop = (
                    f"early stopping: the validation cost stayed above its best ({self.best_cost:.6g}, at iteration "
                    f"{self.best_iteration}) for {self.failures} iterations in a row (patience {self.patience})"
                )
        if self.test is not None:
            cost, accuracy = self.test(x)
            self.series["test_cost"].append(cost)
            self.series["test_accuracy"].append(accuracy)
            fields.update(test_cost=cost, test_accuracy=accuracy)
        return fields, stop

    def history(self, outcome: OptimizeOutcome) -> dict:
        """The per-iteration record, iteration 0 (the start) to the last, every series as long."""
        history = {
            "iteration": list(range(outcome.iterations + 1)),
            "cost": [outcome.initial_cost, *outcome.cost_history],
        }
        history.update({key: list(values) for key, values in self.series.items()})
        # A Ctrl-C between the optimizer's record and this monitor's leaves one series shorter.
        length = min(len(values) for values in history.values())
        return {key: values[:length] for key, values in history.items()}

    def final(self, theta: np.ndarray) -> dict:
        """The held-out figures at the parameters training ends with."""
        figures: dict = {"best_iteration": self.best_iteration}
        for name, score in (("validation", self.validate), ("test", self.test)):
            if score is not None:
                figures[f"{name}_cost"], figures[f"{name}_accuracy"] = score(theta)
        if self.validate is not None:
            figures["n_validation"] = self.validate.n_samples
        return figures


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
