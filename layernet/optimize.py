"""The optimizers behind one call: scipy's CG (fmin_cg's algorithm), L-BFGS-B and BFGS, and batch
gradient descent with momentum.

All of them minimize ``f(x) -> (cost, gradient)`` through an :class:`Objective` that evaluates
each distinct point once (scipy's CG asks for the cost and the gradient at the same point in two
calls; the blog paid for two forward and backward passes there), counts evaluations, remembers
the best point seen, and turns Ctrl-C into a clean stop with that best point.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .errors import LayerNetError
from .options import METHODS, SECOND_ORDER

__all__ = ["METHODS", "IterationInfo", "Objective", "OptimizeOutcome", "default_max_iter", "minimize"]

_SCIPY_NAMES = {"cg": "CG", "lbfgs": "L-BFGS-B", "bfgs": "BFGS", **{name: name for name in SECOND_ORDER}}
DEFAULT_TOL = 1e-5
DEFAULT_GD_MAX_ITER = 1000

PRECISION_LOSS_HELP = (
    "the line search could not lower the cost any further. Usually the optimum is reached as "
    "closely as float64 can resolve it (a tolerance below that precision can never be met); "
    "otherwise the gradient disagrees with the cost -- for a custom activation, check its "
    "derivative with layernet.check_gradients."
)


@dataclass(frozen=True)
class IterationInfo:
    """What a training callback receives after every iteration.

    The validation and test figures are None when training has no validation (or test) set:
    ``validation_cost`` is the unregularized cost on the validation set, ``validation_accuracy``
    its accuracy, ``best_iteration`` the iteration with the lowest validation cost so far (0 is
    the starting point).
    """

    iteration: int
    cost: float
    grad_norm: float
    evaluations: int
    seconds: float
    max_iter: int
    #: The largest gradient component, ``max |grad|``: what the ``tol`` test compares (the
    #: 2-norm ``grad_norm`` can stay above ``tol`` when the run has converged).
    grad_max: float = math.nan
    validation_cost: float | None = None
    validation_accuracy: float | None = None
    best_iteration: int | None = None
    test_cost: float | None = None
    test_accuracy: float | None = None


@dataclass
class OptimizeOutcome:
    """What :func:`minimize` returns; :func:`layernet.train` wraps it in a ``TrainResult``."""

    x: np.ndarray
    cost: float
    iterations: int
    evaluations: int
    status: str
    message: str
    cost_history: list[float] = field(default_factory=list)
    grad_norm_history: list[float] = field(default_factory=list)
    seconds: float = 0.0
    max_iter: int = 0
    initial_cost: float = math.nan
    #: Hessian-vector (or Gauss-Newton) products, for the second-order methods.
    hessp_products: int = 0

    @property
    def converged(self) -> bool:
        return self.status == "converged"


class Objective:
    """``fun_and_grad`` behind a one-entry cache, with evaluation counting and a best-point record.

    ``f(x)`` and ``g(x)`` at the same point cost one evaluation. The gradient handed out is always
    a fresh array: scipy's CG keeps the previous gradient by reference.
    """

    def __init__(self, fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]], recent: int = 4) -> None:
        self._fun_and_grad = fun_and_grad
        self.evaluations = 0
        self._recent: dict[bytes, tuple[float, np.ndarray]] = {}
        self._size = recent
        self.best_x: np.ndarray | None = None
        self.best_cost = math.inf
        #: The cost at the first point evaluated (the starting point).
        self.first_cost = math.nan
        #: Evaluations whose cost or gradient was not finite, and whether the latest one was.
        self.nonfinite = 0
        self.last_finite = True

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        # The point's bytes are the cache key: one hash, not an array comparison per entry.
        key = np.ascontiguousarray(x, dtype=float).tobytes()
        hit = self._recent.get(key)
        if hit is not None:
            return hit
        # A trial point far out (a diverging gradient descent, a long line-search step) can
        # overflow. The inf or NaN it yields is handled below and by the callers (the best finite
        # point is kept, the status says "diverged"), so numpy's overflow warnings are only noise.
        with np.errstate(over="ignore", invalid="ignore"):
            cost, grad = self._fun_and_grad(x)
        cost = float(cost)
        self.evaluations += 1
        self.last_finite = math.isfinite(cost) and bool(np.isfinite(grad).all())
        self.nonfinite += not self.last_finite
        if self.evaluations == 1:
            self.first_cost = cost
        if len(self._recent) >= self._size:
            del self._recent[next(iter(self._recent))]
        self._recent[key] = (cost, grad)
        if cost < self.best_cost and np.isfinite(grad).all():
            self.best_cost = cost
            self.best_x = x.copy()
        return cost, grad

    def lookup(self, x: np.ndarray):
        """The cached ``(cost, grad)`` at exactly ``x``, or None."""
        return self._recent.get(np.ascontiguousarray(x, dtype=float).tobytes())

    def f(self, x: np.ndarray) -> float:
        return self(x)[0]

    def g(self, x: np.ndarray) -> np.ndarray:
        return self(x)[1].copy()

    def f_and_g(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        cost, grad = self(x)
        return cost, grad.copy()


class _Recorder:
    """Per-iteration history and the user's callback; a callback returning True stops the run."""

    def __init__(self, objective: Objective, callback, max_iter: int, start: float, monitor=None) -> None:
        self.objective = objective
        self.callback = callback
        self.monitor = monitor
        #: Why the monitor stopped the run (early stopping), or None.
        self.early_stop: str | None = None
        self.max_iter = max_iter
        self.start = start
        self.costs: list[float] = []
        self.grad_norms: list[float] = []
        self.stopped = False

    def record(self, x: np.ndarray, cost: float | None = None) -> None:
        cost_here, grad = self.objective(x)
        cost = cost_here if cost is None else float(cost)
        self.costs.append(cost)
        with np.errstate(over="ignore"):  # a huge but finite gradient's norm is inf, not a warning
            self.grad_norms.append(float(np.linalg.norm(grad)))
        extra, stop = ({}, None) if self.monitor is None else self.monitor(x, len(self.costs))
        if self.callback is not None:
            info = IterationInfo(
                iteration=len(self.costs),
                cost=cost,
                grad_norm=self.grad_norms[-1],
                evaluations=self.objective.evaluations,
                seconds=time.perf_counter() - self.start,
                max_iter=self.max_iter,
                grad_max=float(np.max(np.abs(grad))) if grad.size else 0.0,
                **extra,
            )
            if self.callback(info) is True:
                self.stopped = True
                raise StopIteration
        if stop is not None:
            self.early_stop = stop
            raise StopIteration

    def scipy_callback(self, intermediate_result) -> None:
        self.record(intermediate_result.x, intermediate_result.fun)


def minimize(
    fun_and_grad: Callable[[np.ndarray], tuple[float, np.ndarray]],
    x0: np.ndarray,
    method: str = "cg",
    max_iter: int | None = None,
    tol: float | None = None,
    callback: Callable[[IterationInfo], object] | None = None,
    learning_rate: float = 1.0,
    momentum: float = 0.0,
    resolution: float = float(np.finfo(np.float64).eps),
    monitor: Callable[[np.ndarray, int], tuple[dict, str | None]] | None = None,
    hessp: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    jacobian: Callable[[np.ndarray], np.ndarray] | None = None,
) -> OptimizeOutcome:
    """Minimize ``fun_and_grad`` from ``x0`` with one of :data:`METHODS`.

    Parameters
    ----------
    fun_and_grad : callable
        ``f(x) -> (cost, gradient)``, ``x`` and the gradient of shape ``(n,)``.
    x0 : ndarray of shape (n,)
        The starting point; it is not modified.
    method : {"cg", "lbfgs", "bfgs", "gd", "trust-krylov", "trust-ncg", "newton-cg", "lm"}
        ``"cg"`` is scipy's nonlinear conjugate gradient, the algorithm of ``fmin_cg`` (the blog's
        optimizer) with its defaults; ``"lbfgs"`` is L-BFGS-B; ``"bfgs"`` is BFGS; ``"gd"`` is batch
        gradient descent, ``v = momentum * v - learning_rate * grad; x += v``.
    max_iter : int, optional
        Iteration limit. Default: scipy's own (``200 * n`` for cg and bfgs, 15000 for lbfgs);
        1000 for gd.
    tol : float, optional
        Stop when the largest gradient component is at most ``tol`` (default 1e-5, scipy's
        ``gtol``). For lbfgs it is also the relative cost-decrease tolerance, as in
        ``scipy.optimize.minimize(tol=...)``.
    callback : callable, optional
        Called with an :class:`IterationInfo` after every iteration; returning ``True`` stops.
    learning_rate, momentum : float
        Gradient descent only.
    hessp : callable, optional
        ``hessp(x, v) -> H v``, required by trust-krylov, trust-ncg and newton-cg (scipy's methods
        of those names). For newton-cg, ``tol`` is scipy's ``xtol`` (the relative size of the
        last step), as newton-cg has no gradient tolerance.
    jacobian : callable, optional
        ``jacobian(x) -> J``, the Jacobian of residuals ``r`` with ``cost = ||r||^2 / 2`` (up to a
        constant), required by lm: Levenberg-Marquardt with trainlm's damping schedule
        (:mod:`layernet.lm`), which steps with ``J^T J`` and the gradient of ``fun_and_grad``.
    resolution : float, default float64's machine epsilon
        The relative precision of the cost (``numpy.finfo(dtype).eps`` of the network). When
        L-BFGS stops because the cost no longer decreases while the gradient is still above
        ``tol`` at a coarse resolution (float32), the status is "precision_loss", not "converged".
    monitor : callable, optional
        ``monitor(x, iteration) -> (fields, stop)`` at the start (iteration 0, its answer
        unused) and after every iteration, before ``callback``:
        ``fields`` are added to the :class:`IterationInfo` (validation figures), and a ``stop``
        that is not None ends the run with status "early_stopped" and ``stop`` as its message.
        It must not evaluate ``fun_and_grad``: the optimizer's path stays what it is without it.

    Returns
    -------
    OptimizeOutcome
        ``status`` is one of "converged", "max_iter", "max_evals", "precision_loss", "diverged",
        "stopped" (by the callback), "early_stopped" (by the monitor) or "interrupted" (Ctrl-C,
        ``x`` then the best point seen).
    """
    if method not in METHODS:
        raise LayerNetError(f"unknown method {method!r}; known methods: {', '.join(METHODS)}")
    x0 = np.array(x0, dtype=float, copy=True)
    if method in SECOND_ORDER and hessp is None:
        raise LayerNetError(f"method {method!r} needs Hessian-vector products: pass hessp")
    if method == "lm" and jacobian is None:
        raise LayerNetError("method 'lm' needs the residuals' Jacobian: pass jacobian")
    counted = None if hessp is None else _CountedProducts(hessp)
    if max_iter is None:
        max_iter = default_max_iter(method, x0.size)
    objective = Objective(fun_and_grad)
    start = time.perf_counter()
    recorder = _Recorder(objective, callback, max_iter, start, monitor)
    try:
        cost0, grad0 = objective(x0)  # cached: the optimizer's own first evaluation is free
        if monitor is not None:
            monitor(x0, 0)  # iteration 0, the starting point (a Ctrl-C here is handled below)
        if not (math.isfinite(cost0) and np.isfinite(grad0).all()):
            x, cost, status = x0, cost0, "diverged"
            message = (
                f"the cost or its gradient is not finite at the starting point (cost {cost0}): the features are "
                "too large for this network; scale them (a Scaler, or [data] scale = true). Parameters unchanged"
            )
        elif method == "gd":
            x, cost, status, message = _gradient_descent(
                objective, recorder, x0, max_iter, tol, learning_rate, momentum
            )
        elif method == "lm":
            from .lm import levenberg_marquardt

            # Its own loop, as gd: scipy's least_squares(method="lm") takes no callback.
            gtol = DEFAULT_TOL if tol is None else float(tol)
            x, cost, status, message = levenberg_marquardt(objective, recorder, x0, max_iter, gtol, jacobian)
        else:
            # Far trial points can overflow inside scipy's own arithmetic (norms of huge gradients);
            # the outcome is judged below, so numpy's warnings there are noise.
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                x, cost, status, message = _scipy(objective, recorder, x0, method, max_iter, tol, resolution, counted)
    except KeyboardInterrupt:
        status, message = "interrupted", "interrupted by the user (Ctrl-C); kept the best parameters reached"
        x, cost = objective.best_x, objective.best_cost
        if x is None:
            x, cost = x0, math.nan
    ended_finite = math.isfinite(cost) and np.isfinite(x).all()
    if (
        method != "lm"  # lm rejects a non-finite trial point as a failed step, and says why it stopped
        and status in ("precision_loss", "failed", "max_iter", "max_evals")
        and objective.nonfinite
        and (status in ("precision_loss", "failed") or not objective.last_finite)
    ):
        # scipy reports a line search that ran into overflow as precision loss (or keeps going
        # to max_iter): the cause is divergence, and the user's remedy differs.
        status = "diverged"
        message = (
            f"the cost became non-finite at {objective.nonfinite} trial point(s) (overflow: scale the features, "
            f"or lower the learning rate); kept the best parameters reached (optimizer: {message})"
        )
    if not ended_finite and objective.best_x is not None:
        if status == "diverged":
            if "kept the best" not in message:
                message = f"{message}; kept the best parameters reached"
        elif status != "interrupted":
            status = "diverged"
            message = f"the cost became non-finite ({message}); kept the best parameters reached"
        x, cost = objective.best_x, objective.best_cost
    return OptimizeOutcome(
        x=x,
        cost=float(cost),
        iterations=len(recorder.costs),
        evaluations=objective.evaluations,
        status=status,
        message=message,
        cost_history=recorder.costs,
        grad_norm_history=recorder.grad_norms,
        seconds=time.perf_counter() - start,
        max_iter=max_iter,
        initial_cost=objective.first_cost,
        hessp_products=0 if counted is None else counted.calls,
    )


def default_max_iter(method: str, n_params: int) -> int:
    """The iteration limit of ``method`` when none is given: scipy's own, or 1000 for gd, lm and trust regions."""
    if method in ("cg", "bfgs", "newton-cg"):
        return 200 * n_params
    return 15000 if method == "lbfgs" else DEFAULT_GD_MAX_ITER


class _CountedProducts:
    """``hessp`` that counts its calls and hands scipy a fresh float64 array each time."""

    def __init__(self, hessp) -> None:
        self.hessp = hessp
        self.calls = 0

    def __call__(self, x: np.ndarray, v: np.ndarray) -> np.ndarray:
        if not np.isfinite(v).all():
            # scipy's Krylov subproblem normalizes a vanishing residual into NaN when the gradient
            # is already tiny: its breakdown, not an overflow of ours.
            raise _SubproblemBreakdownError
        self.calls += 1
        product = np.array(self.hessp(x, v), dtype=float)
        if not np.isfinite(product).all():
            # scipy's subproblem solvers fail on it with a bare ValueError: stop here instead.
            raise _NonFiniteCurvatureError
        return product


class _NonFiniteCurvatureError(Exception):
    """A Hessian-vector product overflowed (features or weights far too large)."""


class _SubproblemBreakdownError(Exception):
    """scipy's trust-region subproblem asked for a product with a non-finite direction."""


def _scipy(
    objective: Objective, recorder: _Recorder, x0, method: str, max_iter: int, tol, resolution: float, hessp=None
):
    from scipy.optimize import minimize as scipy_minimize

    gtol = DEFAULT_TOL if tol is None else float(tol)
    options: dict = {"maxiter": max_iter, "gtol": gtol}
    if method in SECOND_ORDER:
        if method == "newton-cg":
            options = {"maxiter": max_iter, "xtol": gtol}
        try:
            result = scipy_minimize(
                objective.f_and_g,
                x0,
                jac=True,
                hessp=hessp,
                method=method,
                options=options,
                callback=recorder.scipy_callback,
            )
        except _SubproblemBreakdownError:
            x = x0 if objective.best_x is None else objective.best_x
            cost, grad = objective(x)
            largest = float(np.max(np.abs(grad))) if grad.size else 0.0
            if largest <= gtol:
                return x, cost, "converged", f"largest gradient component <= tol ({gtol:g})"
            message = (
                f"scipy's {method} subproblem broke down (a non-finite search direction) with the largest gradient "
                f"component at {largest:.2g} > tol ({gtol:g}); kept the best parameters reached"
            )
            return x, cost, "precision_loss", message
        except _NonFiniteCurvatureError:
            x = x0 if objective.best_x is None else objective.best_x
            cost = objective.first_cost if objective.best_x is None else objective.best_cost
            message = (
                "a Hessian-vector product became non-finite (overflow: scale the features); kept the best "
                "parameters reached"
            )
            return x, cost, "diverged", message
    elif method == "lbfgs":
        options["maxfun"] = max(15000, 4 * max_iter)
        if tol is not None:
            options["ftol"] = float(tol)
        result = scipy_minimize(
            objective.f_and_g, x0, jac=True, method="L-BFGS-B", options=options, callback=recorder.scipy_callback
        )
    else:
        result = scipy_minimize(
            objective.f,
            x0,
            jac=objective.g,
            method=_SCIPY_NAMES[method],
            options=options,
            callback=recorder.scipy_callback,
        )
    message = str(result.message)
    status = _status(method, result, recorder, message)
    if status == "converged" and method == "lbfgs" and resolution > 1e-12 and "REDUCTION" in message.upper():
        largest = float(np.max(np.abs(objective(result.x)[1])))
        if largest > gtol:
            # At float32 precision the cost stops changing long before the gradient is small: the
            # run did not converge to tol, it ran out of digits.
            return (
                result.x,
                float(result.fun),
                "precision_loss",
                (
                    f"stopped at the cost's precision ({resolution:.1e} relative): the cost no longer decreases "
                    f"between L-BFGS steps, but the largest gradient component is {largest:.2g} > tol ({gtol:g}); "
                    "train a float64 network to go further"
                ),
            )
    if status == "early_stopped":
        return result.x, float(result.fun), status, recorder.early_stop
    return result.x, float(result.fun), status, _explain(message)


def _status(method: str, result, recorder: _Recorder, message: str) -> str:
    if recorder.early_stop is not None:
        return "early_stopped"
    if recorder.stopped or result.status == 99:
        return "stopped"
    if result.status == 0:
        return "converged"
    text = message.upper()
    if method in ("trust-krylov", "trust-ncg"):
        # scipy's trust-region codes: 2, the model no longer predicts a decrease (the cost's
        # precision is reached); 3, a linear-algebra failure in the subproblem.
        if result.status == 2:
            return "precision_loss"
        if result.status == 3:
            return "failed"
    if method == "lbfgs":
        if "EVALUATIONS" in text:
            return "max_evals"
        if "ITERATIONS" in text:
            return "max_iter"
        if "ABNORMAL" in text:
            return "precision_loss"
    if result.status == 1:
        return "max_iter"
    if result.status == 2 and "PRECISION" in text:
        return "precision_loss"
    if result.status == 3 or "NAN" in text:
        return "diverged"
    return "failed"


def _explain(message: str) -> str:
    upper = message.upper()
    if "PRECISION LOSS" in upper or "ABNORMAL" in upper:
        return f"stopped early: {PRECISION_LOSS_HELP} (scipy: {message})"
    return message


def _gradient_descent(objective: Objective, recorder: _Recorder, x0, max_iter: int, tol, learning_rate, momentum):
    gtol = DEFAULT_TOL if tol is None else float(tol)
    x = x0.copy()
    velocity = np.zeros_like(x)
    cost, grad = objective(x)
    for _ in range(max_iter):
        if np.max(np.abs(grad)) <= gtol:
            return x, cost, "converged", f"largest gradient component <= tol ({gtol:g})"
        velocity *= momentum
        velocity -= learning_rate * grad
        x = x + velocity
        cost, grad = objective(x)  # overflow from too large a step shows as a non-finite cost
        if not (math.isfinite(cost) and np.isfinite(grad).all()):
            return x, cost, "diverged", f"the cost became non-finite at learning_rate={learning_rate:g}; lower it"
        stop = record_step(recorder, x, cost)
        if stop is not None:
            return stop
    return finish(x, cost, grad, gtol, max_iter)


def record_step(recorder: _Recorder, x: np.ndarray, cost: float):
    """Record one iteration of an own loop (gd, lm); the stop it asks for, ``(x, cost, status, message)``, or None."""
    try:
        recorder.record(x, cost)
    except StopIteration:
        if recorder.early_stop is not None:
            return x, cost, "early_stopped", recorder.early_stop
        return x, cost, "stopped", "stopped by the callback"
    return None


def finish(x: np.ndarray, cost: float, grad: np.ndarray, gtol: float, max_iter: int):
    """How an own loop ends after its last iteration: converged when the gradient is within ``gtol``."""
    if np.max(np.abs(grad)) <= gtol:
        return x, cost, "converged", f"largest gradient component <= tol ({gtol:g})"
    return x, cost, "max_iter", f"reached max_iter={max_iter} before the gradient fell to tol ({gtol:g})"
