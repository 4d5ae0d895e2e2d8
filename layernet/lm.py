"""Levenberg-Marquardt for squared-error outputs: the residuals' Jacobian by backprop, and the
damping schedule of MATLAB's ``trainlm`` on scipy's Cholesky solver.

The course's squared-error cost is half a sum of squares,

    J = 1/(2m) sum_i sum_k (a_ik - y_ik)^2 + lambda/(2m) sum(W^2) = 1/2 ||r||^2,

with one residual per sample and output, ``(a_ik - y_ik) / sqrt(m)`` (sample-major: row
``i * n_outputs + k``), and, when ``lambda > 0``, one per weight, ``sqrt(lambda/m) w`` (biases
carry none). Row ``i * n_outputs + k`` of the Jacobian is the gradient of ``a_ik / sqrt(m)``:
backprop with the output delta ``f'(z_ik)`` on unit ``k`` alone, so the whole data block costs one
backward pass per output unit, every sample at once. The penalty's rows are ``sqrt(lambda/m)``
times the identity on the weights.

An iteration solves ``(J^T J + mu I) step = -grad`` (``J^T J`` the Gauss-Newton matrix,
``grad = J^T r`` the exact gradient from the network's own backprop) by Cholesky, and keeps the
step if it lowers the cost: then ``mu`` is multiplied by 0.1; otherwise by 10 and the step is
solved again, until ``mu`` passes 1e10 -- trainlm's ``mu``, ``mu_dec``, ``mu_inc`` and ``mu_max``.

``scipy.optimize.least_squares(method="lm")`` (MINPACK) is not used: it takes no callback (so no
progress, validation or early stopping per iteration), refuses fewer residuals than parameters
(a small data set with ``lambda = 0``), and runs its own trust-region damping, not trainlm's.
"""

from __future__ import annotations

import math

import numpy as np

from .errors import LayerNetError
from .losses import SquaredError
from .optimize import finish, record_step

__all__ = [
    "MU_START",
    "MU_DOWN",
    "MU_UP",
    "MU_MAX",
    "residuals",
    "residual_jacobian",
    "jacobian_evaluator",
    "levenberg_marquardt",
]

#: trainlm's defaults: the starting damping, its factors after a success and a failure, its ceiling.
MU_START, MU_DOWN, MU_UP, MU_MAX = 1e-3, 0.1, 10.0, 1e10
#: A floor for ``mu``: trainlm has none, but after hundreds of successes in a row ``mu`` would
#: underflow to 0, and a singular ``J^T J`` (fewer residuals than parameters) could then never
#: be factorized again (``0 * 10`` stays 0).
MU_MIN = 1e-20


class _Residuals:
    """Residuals and their Jacobian over a workspace holding the data (``set_inputs`` done)."""

    def __init__(self, engine, work, lambda_: float) -> None:
        self.engine, self.work, self.lambda_ = engine, work, lambda_
        self.weights = np.flatnonzero(work.weight_mask) if lambda_ else np.empty(0, dtype=np.intp)
        m, k = work.n_samples, engine.layers[-1].n_out
        self.n_rows = m * k + self.weights.size

    def at(self, theta: np.ndarray, jacobian: bool = True):
        """``(r, J)`` at ``theta``: new float64 arrays of shapes ``(n_rows,)`` and ``(n_rows, n_params)``."""
        work, layers = self.work, self.engine.layers
        last, m = len(layers) - 1, work.n_samples
        np.copyto(work.theta, theta, casting="same_kind")
        self.engine.forward(work)
        scale = 1.0 / math.sqrt(m)
        penalty = math.sqrt(self.lambda_ / m) if self.lambda_ else 0.0
        n_data = m * layers[last].n_out
        r = np.empty(self.n_rows)
        r[:n_data] = ((work.aT[last] - work.y.T) * scale).T.ravel()  # sample-major
        r[n_data:] = penalty * work.theta[self.weights]
        if not jacobian:
            return r, None
        J = np.zeros((self.n_rows, work.theta.size))
        J[n_data + np.arange(self.weights.size), self.weights] = penalty
        data = J[:n_data].reshape(m, layers[last].n_out, -1)
        # f'(z) of every layer, (n_units, m), in float64.
        d1 = [np.asarray(layer.activation.derivative(z, a), dtype=np.float64).T for layer, z, a in
              zip(layers, work.z, work.a)]  # fmt: skip
        starts = np.cumsum([0] + [t.size for t in work.thetas])
        for unit in range(layers[last].n_out):
            delta = np.zeros((layers[last].n_out, m))
            delta[unit] = d1[last][unit] * scale  # the output delta of a_unit / sqrt(m) alone
            for index in range(last, -1, -1):
                # One row per sample: its delta (n_out) times its input with the 1 on top (n_in + 1),
                # row-major like the layer's block of theta.
                outer = np.einsum("om,im->moi", delta, work.inputs[index])
                data[:, unit, starts[index] : starts[index + 1]] = outer.reshape(m, -1)
                if index:
                    delta = (work.W[index].T @ delta) * d1[index - 1]
        return r, J


def _checked(net, X, Y, lambda_, max_memory=None) -> _Residuals:
    """The residuals of ``net`` on ``X``, ``Y``: inputs checked, the cost and the memory refused by name."""
    from ._checks import check_bytes
    from .options import DEFAULT_MAX_MEMORY
    from .validation import check_lambda

    if not isinstance(net.loss, SquaredError):
        raise LayerNetError(
            f"method 'lm' (Levenberg-Marquardt) needs a squared-error output (identity, or another activation "
            f"with task='regression'); this network's {net.output_activation.name!r} output is trained with a "
            f"cross-entropy, which is not a sum of squares: use cg, lbfgs or a trust-region method"
        )
    X = net._inputs(X)
    Y = net._check_targets(Y, len(X))
    lambda_ = check_lambda(lambda_)
    n_rows = len(X) * net.n_outputs + (sum(layer.n_in * layer.n_out for layer in net.layers) if lambda_ else 0)
    need = 8 * (n_rows + net.n_params) * net.n_params  # the Jacobian and J^T J, float64
    budget = DEFAULT_MAX_MEMORY if max_memory is None else check_bytes(max_memory, "max_memory")
    if need > budget:
        raise LayerNetError(
            f"method 'lm' needs the residuals' Jacobian, {n_rows} x {net.n_params} values ({need / 2**20:.0f} MiB), "
            f"more than max_memory ({budget / 2**20:.0f} MiB): raise max_memory, or use lbfgs or trust-krylov"
        )
    work = net._engine.workspace(len(X))
    work.set_inputs(X, Y)
    return _Residuals(net._engine, work, lambda_)


def _point(net, theta):
    return net.theta if theta is None else net._check_theta(theta)


def residuals(net, theta, X, Y, lambda_: float = 0.0) -> np.ndarray:
    """The residual vector ``r`` whose ``||r||^2 / 2`` is the course's squared-error cost.

    ``(a_ik - y_ik) / sqrt(m)`` for sample ``i`` and output ``k`` (row ``i * n_outputs + k``),
    then ``sqrt(lambda_ / m) w`` for every weight (none when ``lambda_`` is 0), in ``theta``'s
    order. ``theta`` None is the network's own parameters.

    Examples
    --------
    >>> import numpy as np, layernet as ln
    >>> from layernet.lm import residuals
    >>> net = ln.Network([1, 3, 1], hidden="tanh", output="identity").init(seed=0)
    >>> X = np.linspace(-1, 1, 8).reshape(-1, 1); Y = np.sin(3 * X)
    >>> r = residuals(net, None, X, Y, 0.1)
    >>> bool(np.isclose(r @ r / 2, net.cost(None, X, Y, 0.1)))
    True
    """
    with np.errstate(all="ignore"):  # overflow shows as inf, as in Network.cost_and_grad
        return _checked(net, X, Y, lambda_).at(_point(net, theta), jacobian=False)[0]


def residual_jacobian(net, theta, X, Y, lambda_: float = 0.0) -> np.ndarray:
    """The Jacobian of :func:`residuals` in ``theta``, shape ``(n_residuals, n_params)``.

    Built by backprop, one backward pass per output unit over all samples. ``J.T @ r`` is the
    cost's gradient and ``J.T @ J`` its Gauss-Newton matrix.

    Raises
    ------
    LayerNetError
        The network's cost is a cross-entropy, or the matrix would exceed 512 MiB.
    """
    with np.errstate(all="ignore"):  # overflow shows as inf or NaN, as in Network.cost_and_grad
        return _checked(net, X, Y, lambda_).at(_point(net, theta))[1]


def jacobian_evaluator(net, X, Y, lambda_: float = 0.0, *, max_memory=None):
    """A fast ``jacobian(theta) -> J`` for :func:`layernet.optimize.minimize`: inputs checked once.

    Refuses a cross-entropy output, and a Jacobian larger than ``max_memory`` (default 512 MiB).
    """
    residual = _checked(net, X, Y, lambda_, max_memory)

    def jacobian(theta: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):  # overflow at a far point shows as inf or NaN, refused by the loop
            return residual.at(theta)[1]

    return jacobian


def levenberg_marquardt(objective, recorder, x0: np.ndarray, max_iter: int, gtol: float, jacobian):
    """trainlm's loop over ``objective`` (cost and gradient) and ``jacobian``; ``(x, cost, status, message)``.

    The ``objective`` and ``recorder`` are :mod:`layernet.optimize`'s: every trial point is one
    evaluation, every accepted step one iteration (callback, validation, early stopping).
    """
    from scipy.linalg import LinAlgError, cho_factor, cho_solve

    x = x0.copy()
    cost, grad = objective(x)
    mu = MU_START
    diagonal = np.arange(x.size)
    for _ in range(max_iter):
        if np.max(np.abs(grad)) <= gtol:
            return x, cost, "converged", f"largest gradient component <= tol ({gtol:g})"
        J = jacobian(x)
        if not np.isfinite(J).all():
            return x, cost, "diverged", "the residuals' Jacobian overflowed (scale the features)"
        curvature = J.T @ J
        while True:
            damped = curvature.copy()
            damped[diagonal, diagonal] += mu
            try:
                step = cho_solve(cho_factor(damped), -grad)
            except LinAlgError:  # not positive definite at this mu (rounding): damp more
                step = None
            if step is not None:
                trial = x + step
                trial_cost, trial_grad = objective(trial)
                if trial_cost < cost and np.isfinite(trial_grad).all():  # NaN compares False: a failure
                    break
            mu *= MU_UP
            if mu > MU_MAX:
                message = (
                    f"mu passed {MU_MAX:g} (trainlm's mu_max): no step along the damped Gauss-Newton direction "
                    "lowers the cost any more; usually the optimum is reached as closely as float64 resolves it"
                )
                return x, cost, "precision_loss", message
        mu = max(mu * MU_DOWN, MU_MIN)
        x, cost, grad = trial, trial_cost, trial_grad
        stop = record_step(recorder, x, cost)
        if stop is not None:
            return stop
    return finish(x, cost, grad, gtol, max_iter)
