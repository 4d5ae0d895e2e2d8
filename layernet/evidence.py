"""lambda chosen by the evidence: MacKay's re-estimation of the weight prior, as MATLAB's trainbr.

The course's cost ``J = (1/m) sum_i cost_i + lambda/(2m) sum(W**2)`` is, times ``m``, the negative
log posterior of a network whose weights have a Gaussian prior of precision ``alpha`` (biases a
flat one) and whose data term is the negative log-likelihood:

- cross-entropy outputs (sigmoid, softmax): ``m J = E_D + alpha E_W`` with ``E_W = sum(W**2) / 2``,
  so ``lambda = alpha``;
- squared error: ``E_D = sum(r**2) / 2`` of Gaussian noise of precision ``beta``, and
  ``beta E_D + alpha E_W`` has the same minimizer as ``J`` with ``lambda = alpha / beta``.

At a minimum, the Laplace approximation of the evidence ``p(data | alpha, beta)`` is maximized
where (MacKay, "Bayesian interpolation", 1992; "The evidence framework applied to classification
networks", 1992)

    gamma = k - alpha tr(A^-1 P),   alpha = gamma / sum(W**2),   beta = (N - b - gamma) / sum(r**2),

``A = beta B + alpha P`` the posterior's curvature (``B`` the data term's, here its Gauss-Newton
matrix), ``P`` the diagonal mask of the ``k`` weights, ``b`` the number of biases, ``N`` the
number of residuals (samples times outputs). ``gamma`` is the number of weights the data
determine; with the biases, which the data always determine, ``gamma + b`` is the network's
*effective number of parameters*. In terms of ``G``, the Gauss-Newton matrix of ``J`` itself (with
its ``lambda / m`` on the weights), ``A = c m G`` (``c = beta``, or 1), so
``gamma = k - (lambda / m) tr(G^-1 P)`` for both costs.

:func:`reestimate` applies these once at a point; :func:`layernet.train` with ``lambda_="auto"``
alternates them with optimizer phases (see :func:`search`) until ``lambda`` settles. The trace
is exact (a Cholesky factor of the dense ``G``) up to :data:`DENSE_LIMIT` parameters, and above
that Hutchinson's estimate ``E[z^T P G^-1 P z]`` over Rademacher probes, each ``G^-1 P z`` solved by
conjugate gradients on Gauss-Newton products.
"""

from __future__ import annotations

import dataclasses
import math
import time
from dataclasses import dataclass, field

import numpy as np

from .errors import LayerNetError
from .losses import SquaredError
from .optimize import IterationInfo, OptimizeOutcome

__all__ = [
    "AUTO_START",
    "DENSE_LIMIT",
    "Evidence",
    "EvidenceEstimate",
    "reestimate",
    "search",
]

#: The lambda the first optimizer phase trains with: a weak prior (weights' standard deviation 10
#: for a cross-entropy network).
AUTO_START = 0.01
#: Above this many parameters the trace is estimated by Hutchinson's method instead of from the
#: dense Gauss-Newton matrix (its n x n float64 matrix alone is 200 MB at 5,000).
DENSE_LIMIT = 5000
#: Rademacher probes of Hutchinson's estimate.
HUTCHINSON_PROBES = 30
#: Iterations of an optimizer phase between two re-estimations (first-order methods), and for
#: the methods with curvature (trust-region, newton-cg, lm), whose iterations go further each.
PHASE_ITERATIONS = 100
CURVATURE_PHASE_ITERATIONS = 10
#: lambda has settled when a re-estimate changes it by at most this much, relatively, after a
#: phase that converged.
SETTLE_RTOL = 0.01
#: Re-estimations at most.
MAX_CYCLES = 30
#: lambda is kept within these bounds (a prior this weak or this strong is the estimate running off).
LAMBDA_RANGE = (1e-10, 1e10)


@dataclass(frozen=True)
class EvidenceEstimate:
    """One re-estimation at a point.

    Attributes
    ----------
    lambda_ : float
        The new lambda, ``alpha`` (cross-entropy) or ``alpha / beta`` (squared error).
    alpha : float
        The weight prior's precision, ``gamma / sum(W**2)``.
    beta : float or None
        The noise precision (squared error only).
    gamma : float
        The number of well-determined weights, in ``[0, n_weights]``.
    effective_parameters : float
        ``gamma`` plus the biases: the effective number of parameters, of ``n_params``.
    n_weights, n_params : int
    trace : str
        "dense" (exact) or "hutchinson" (estimated).
    """

    lambda_: float
    alpha: float
    beta: float | None
    gamma: float
    effective_parameters: float
    n_weights: int
    n_params: int
    trace: str


@dataclass(frozen=True)
class Evidence(EvidenceEstimate):
    """What a ``lambda_="auto"`` run reached: :attr:`layernet.TrainResult.evidence`.

    The last re-estimation's fields (see :class:`EvidenceEstimate`), except ``lambda_``: here the
    lambda the final parameters were trained with (the last phase's), and the run's record.

    Attributes
    ----------
    lambdas : list of float
        The lambda of every optimizer phase, the first being :data:`AUTO_START`.
    phase_iterations : list of int
        The iterations of every phase.
    cycles : int
        Re-estimations made.
    settled : bool
        Whether the last re-estimate, after a converged phase, changed lambda by at most
        :data:`SETTLE_RTOL`.
    seconds : float
        Time spent re-estimating (the optimizer phases' time is the result's ``seconds``).
    """

    lambdas: list = field(default_factory=list)
    phase_iterations: list = field(default_factory=list)
    cycles: int = 0
    settled: bool = False
    seconds: float = 0.0

    def summary(self) -> dict:
        """Plain JSON-ready values."""
        return dataclasses.asdict(self)


def reestimate(
    net,
    theta,
    X,
    Y,
    lambda_: float,
    *,
    dense_limit: int = DENSE_LIMIT,
    probes: int = HUTCHINSON_PROBES,
    rows: int | None = None,
):
    """The evidence's next ``lambda`` (and ``gamma``, ``alpha``, ``beta``) at ``theta``, trained with ``lambda_``.

    Parameters
    ----------
    net : Network
    theta : array of shape (n_params,)
        Best at a minimum of the cost with ``lambda_`` (the formulas assume one).
    X, Y : arrays
        The training samples and their encoded targets (as :meth:`Network.cost_and_grad` takes).
    lambda_ : float
        Positive: the Gauss-Newton matrix must be invertible on the weights.
    dense_limit : int
        Above this many parameters, Hutchinson's trace estimate with ``probes`` probes.
    rows : int, optional
        Samples per chunk (as training's ``max_memory`` or ``batch_size`` allow): the Gauss-Newton
        matrix (or product) and the residuals are summed over chunks of this many samples, so the
        work buffers stay within training's budget. Default: all the samples at once.

    Returns
    -------
    EvidenceEstimate
    """
    from .curvature import Curvature

    lambda_ = float(lambda_)
    if not lambda_ > 0:
        raise LayerNetError(f"the evidence re-estimation needs lambda > 0, got {lambda_!r}")
    X = net._inputs(X)
    Y = net._check_targets(Y, len(X))
    theta = net._check_theta(theta)
    point = np.array(theta, dtype=np.float64)
    m, n = len(X), point.size
    rows = m if rows is None else max(1, min(int(rows), m))
    if rows < m:
        return _reestimate_in_chunks(net, point, X, Y, lambda_, dense_limit, probes, rows)
    work = net._engine.workspace(len(X))
    work.set_inputs(X, Y)
    curvature = Curvature(net._engine, work, lambda_)
    mask = work.weight_mask
    with np.errstate(all="ignore"):
        curvature._at(point, need_second=False)  # the forward pass, kept for every product below
        if n <= dense_limit:
            trace, how = _dense_trace(curvature.gauss_newton_matrix(point), mask), "dense"
        else:
            trace, how = _hutchinson_trace(curvature.product, point, mask, probes), "hutchinson"
        residual_sum = float(np.sum(np.square(curvature._residual)))
    return _estimate(net, point, Y, lambda_, mask, trace, how, residual_sum)


def _reestimate_in_chunks(net, point, X, Y, lambda_, dense_limit, probes, rows) -> EvidenceEstimate:
    """:func:`reestimate` with every sum over the samples taken ``rows`` samples at a time.

    The Gauss-Newton matrix (and product) of the mean cost is the mean of the chunks' own, each
    chunk's weighted by its share of the samples; the penalty's ``lambda / m`` is added once.
    """
    from .curvature import Curvature

    m, n = len(X), point.size
    chunks = [slice(start, min(start + rows, m)) for start in range(0, m, rows)]
    spaces = {}

    def curvatures():
        """A fresh curvature per chunk (its own forward pass), on one work buffer per chunk size."""
        for chunk in chunks:
            size = chunk.stop - chunk.start
            if size not in spaces:
                spaces[size] = net._engine.workspace(size)
            work = spaces[size]
            work.set_inputs(X[chunk], Y[chunk])
            yield Curvature(net._engine, work, 0.0), size / m

    mask = net._engine.workspace(1).weight_mask.copy()
    penalty = (lambda_ / m) * mask
    residual_sum = 0.0
    with np.errstate(all="ignore"):
        if n <= dense_limit:
            G = np.zeros((n, n))
            for curvature, share in curvatures():
                G += share * curvature.gauss_newton_matrix(point)
                residual_sum += float(np.sum(np.square(curvature._residual)))
            G[np.diag_indices(n)] += penalty
            trace, how = _dense_trace(G, mask), "dense"
        else:

            def product(point, v, gauss_newton=True):
                total = penalty * v
                for curvature, share in curvatures():
                    total += share * curvature.product(point, v, gauss_newton=True)
                return total

            trace, how = _hutchinson_trace(product, point, mask, probes), "hutchinson"
            for curvature, _ in curvatures():
                curvature._at(point, need_second=False)
                residual_sum += float(np.sum(np.square(curvature._residual)))
    return _estimate(net, point, Y, lambda_, mask, trace, how, residual_sum)


def _estimate(net, point, Y, lambda_, mask, trace, how, residual_sum) -> EvidenceEstimate:
    """MacKay's update from ``tr(G^-1 P)`` and the residuals' sum of squares."""
    m, k, n = len(Y), int(mask.sum()), point.size
    if not math.isfinite(trace):
        raise LayerNetError("the Gauss-Newton matrix is not finite at these parameters (overflow): scale the features")
    gamma = min(max(k - lambda_ / m * trace, 0.0), float(k))
    weights = float(np.dot(point * mask, point))
    biases = n - k
    alpha = gamma / weights if weights > 0 else math.inf
    beta = None
    new = alpha
    if isinstance(net.loss, SquaredError):
        # Below N - b - gamma = 0 no noise is left to estimate: the degrees of freedom are floored.
        freedom = max(Y.size - biases - gamma, 0.5)
        beta = freedom / residual_sum if residual_sum > 0 else math.inf
        new = alpha / beta
    low, high = LAMBDA_RANGE
    new = high if math.isnan(new) else float(min(max(new, low), high))
    return EvidenceEstimate(
        lambda_=new,
        alpha=float(alpha),
        beta=None if beta is None else float(beta),
        gamma=float(gamma),
        effective_parameters=float(gamma + biases),
        n_weights=k,
        n_params=n,
        trace=how,
    )


def _dense_trace(G: np.ndarray, mask: np.ndarray) -> float:
    """``tr(G^-1 P)``: the weights' diagonal of ``G^-1``, from LAPACK's Cholesky factor and inverse.

    ``potri`` (the inverse from the factor, ``n**3 / 3`` operations) took 0.31 s where solving the
    factor for the weights' unit vectors took 0.47 s (1,885 parameters, one thread, this AMD EPYC).
    """
    from scipy.linalg import lapack

    factor, info = lapack.dpotrf(G, lower=1, clean=0)
    if info > 0:
        # Singular only along directions of no weight (a bias whose unit is saturated on every
        # sample): a tiny ridge there leaves the weights' block of G^-1 as it is.
        scale = float(np.mean(np.diag(G))) or 1.0
        ridged = G + np.diag(1e-10 * scale * (1.0 - mask))
        factor, info = lapack.dpotrf(ridged, lower=1, clean=0)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=1)
    if info != 0:
        raise LayerNetError("the Gauss-Newton matrix is singular on the weights at these parameters")
    return float(np.dot(np.diag(inverse), mask))


def _hutchinson_trace(product, point: np.ndarray, mask: np.ndarray, probes: int) -> float:
    """Hutchinson's ``mean(z^T P G^-1 P z)`` over Rademacher ``z``, each solve by conjugate gradients.

    ``product(point, v, gauss_newton=True)`` is ``G v``.
    """
    from scipy.sparse.linalg import LinearOperator, cg

    n = point.size
    operator = LinearOperator((n, n), matvec=lambda v: product(point, np.ravel(v), gauss_newton=True), dtype=np.float64)
    rng = np.random.default_rng(0)  # the same probes every time: a run stays reproducible
    total = 0.0
    for _ in range(probes):
        z = rng.choice((-1.0, 1.0), size=n) * mask
        solution, info = cg(operator, z, rtol=1e-6, maxiter=10 * n)
        if info < 0:
            raise LayerNetError("the Gauss-Newton system of the evidence re-estimation could not be solved")
        total += float(z @ solution)
    return total / probes


def search(
    run, net, X, Y, *, method: str, max_iter: int, callback=None, monitor=None, theta0, dense_limit=None, rows=None
):
    """Alternate optimizer phases and re-estimations until lambda settles: ``(outcome, evidence)``.

    ``run(lambda_, x0, max_iter, callback, monitor) -> OptimizeOutcome`` trains one phase from
    ``x0``: at most :data:`PHASE_ITERATIONS` iterations (:data:`CURVATURE_PHASE_ITERATIONS` for
    the methods with curvature) while lambda moves, and once a re-estimate has changed it by at
    most :data:`SETTLE_RTOL`, to convergence; lambda has settled when the re-estimate after a
    converged phase is still that close. The phases' records are joined into one outcome
    (iterations numbered on, the callback and the monitor seeing one run); the last phase's
    lambda is the result's. ``rows``: the re-estimations' samples per chunk (see :func:`reestimate`).
    """
    phase_length = PHASE_ITERATIONS if method in ("cg", "lbfgs", "bfgs", "gd") else CURVATURE_PHASE_ITERATIONS
    lambda_ = AUTO_START
    x = np.array(theta0, dtype=float, copy=True)
    joined = None
    estimate = None
    lambdas: list[float] = []
    phase_iterations: list[int] = []
    spent = 0.0
    settled = False
    made = 0
    limits = {"rows": rows, "dense_limit": DENSE_LIMIT if dense_limit is None else dense_limit}

    def numbered(info: IterationInfo):
        before = joined
        if before is None:
            return callback(dataclasses.replace(info, max_iter=max_iter))
        return callback(
            dataclasses.replace(
                info,
                iteration=info.iteration + before.iterations,
                evaluations=info.evaluations + before.evaluations,
                seconds=info.seconds + before.seconds + spent,
                max_iter=max_iter,
            )
        )

    def watched(point, iteration):
        offset = 0 if joined is None else joined.iterations
        if offset and not iteration:
            return {}, None  # a later phase's starting point is the previous phase's last
        return monitor(point, iteration + offset)

    final = False  # lambda has stopped moving: train the next phase to convergence, then check
    while True:
        lambdas.append(lambda_)
        left = max_iter - (0 if joined is None else joined.iterations)
        phase = run(
            lambda_,
            x,
            left if final else min(phase_length, left),
            None if callback is None else numbered,
            None if monitor is None else watched,
        )
        phase_iterations.append(phase.iterations)
        joined = phase if joined is None else _joined(joined, phase)
        x = phase.x
        if phase.status not in ("converged", "max_iter", "precision_loss"):
            break  # stopped, early_stopped, interrupted, diverged: the phase's word is final
        start = time.perf_counter()
        try:
            estimate = reestimate(net, x, X, Y, lambda_, **limits)
            made += 1
        except KeyboardInterrupt:
            joined.status = "interrupted"
            joined.message = (
                "interrupted by the user (Ctrl-C) during a re-estimation of lambda; kept the parameters of the last "
                f"phase (trained with lambda {lambda_:.6g})"
            )
            break
        except LayerNetError as failure:
            joined.message = f"{joined.message}; lambda not re-estimated further ({failure}): kept {lambda_:.6g}"
            break
        finally:
            spent += time.perf_counter() - start
        change = abs(estimate.lambda_ - lambda_) / lambda_
        if change <= SETTLE_RTOL and phase.status != "max_iter":
            settled = True
            break
        final = change <= SETTLE_RTOL
        if phase.status == "converged" and phase_iterations[-2:] == [0, 0]:
            # Two phases in a row that start converged: the gradient is within tol whatever lambda
            # is (a network stuck on a plateau, weights near zero), so nothing will move it.
            joined.message = (
                f"{joined.message}; lambda did not settle ({lambda_:.3g}, then {estimate.lambda_:.3g}): the optimizer "
                "starts converged whatever lambda is, so training no longer moves the parameters"
            )
            break
        if joined.iterations >= max_iter or len(lambdas) >= MAX_CYCLES:
            joined.status = "max_iter"
            joined.message = (
                f"lambda had not settled after {made} re-estimation(s) and {joined.iterations} iterations "
                f"(the last changed it by {change:.1%}; settled means at most {SETTLE_RTOL:.0%} after a converged "
                "phase)"
            )
            break
        lambda_ = estimate.lambda_
    if settled:
        joined.message = (
            f"{joined.message}; lambda settled at {lambda_:.6g} after {made} re-estimation(s) "
            f"(effective parameters {estimate.effective_parameters:.1f} of {estimate.n_params})"
        )
    joined.max_iter = max_iter
    joined.seconds += spent
    if estimate is None:
        # Stopped before the first re-estimation: report the starting prior as it stands.
        weights = sum(layer.n_in * layer.n_out for layer in net.layers)
        estimate = EvidenceEstimate(lambda_, math.nan, None, math.nan, math.nan, weights, net.n_params, "none")
    evidence = Evidence(
        **{**dataclasses.asdict(estimate), "lambda_": lambda_},
        lambdas=lambdas,
        phase_iterations=phase_iterations,
        cycles=made,
        settled=settled,
        seconds=spent,
    )
    return joined, evidence


def _joined(before: OptimizeOutcome, phase: OptimizeOutcome) -> OptimizeOutcome:
    """One outcome from two consecutive phases: the later phase's end, histories and counts added."""
    return dataclasses.replace(
        phase,
        iterations=before.iterations + phase.iterations,
        evaluations=before.evaluations + phase.evaluations,
        cost_history=before.cost_history + phase.cost_history,
        grad_norm_history=before.grad_norm_history + phase.grad_norm_history,
        seconds=before.seconds + phase.seconds,
        initial_cost=before.initial_cost,
        hessp_products=before.hessp_products + phase.hessp_products,
    )
