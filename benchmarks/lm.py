"""Levenberg-Marquardt (method="lm", MATLAB's trainlm) against cg and lbfgs on small function fits.

MathWorks reports trainlm the fastest on small function-fitting networks; this measures it
through ln.train. Two problems: a 1-5-1 tanh network fitting two periods of a noisy sine (100
points, lambda 0), and a 10-10-1 tanh network on make_friedman1 (500 samples, standardized
features, lambda 0.01). Every method starts from the same initial weights (one draw per seed)
and runs to its own convergence test (tol 1e-5 on the largest gradient component; trainlm's
mu_max for lm) or its default iteration limit, on one thread. Reported per method, over the
seeds: the median iterations, cost-and-gradient evaluations and wall time, the median and the
lowest final cost, and the runs' statuses. lm also forms one residual Jacobian per
iteration (one backward pass per output unit), counted in its time, not in its evaluations.

    python benchmarks/lm.py             # 5 seeds
    python benchmarks/lm.py --seeds 2   # quicker
"""

from __future__ import annotations

import argparse
import time

import numpy as np

METHODS = ("lm", "lbfgs", "cg", "minpack")
#: scipy's least_squares(method="lm") on layernet's residuals and Jacobian, as a cross-check of the
#: algorithm (not of layernet's loop): evaluations capped near lm's 1000 iterations.
MINPACK_MAX_NFEV = 2000


def problems():
    from sklearn.datasets import make_friedman1

    import layernet as ln

    rng = np.random.default_rng(0)
    X = np.linspace(-1.0, 1.0, 100).reshape(-1, 1)
    y = np.sin(2 * np.pi * X[:, 0]) + 0.05 * rng.normal(size=100)
    yield "sine 1-5-1 tanh, 100 points, lambda 0", X, y, lambda seed: _net(ln, [1, 5, 1], seed), 0.0
    X, y = make_friedman1(500, noise=1.0, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    yield "make_friedman1 10-10-1 tanh, 500 samples, lambda 0.01", X, y, lambda seed: _net(ln, [10, 10, 1], seed), 1e-2


def _net(ln, sizes, seed):
    return ln.Network(sizes, hidden="tanh", output="identity").init(seed=seed)


def run(seeds: int):
    import layernet as ln

    report = {}
    for name, X, y, network, lambda_ in problems():
        print(f"\n{name} ({network(0).n_params} parameters), {seeds} seed(s)")
        print("| method | iterations | evaluations | time | final cost (median) | lowest | ended |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        rows = []
        for method in METHODS:
            runs = []
            for seed in range(seeds):
                net = network(seed)
                began = time.perf_counter()
                if method == "minpack":
                    runs.append(minpack(net, X, y, lambda_, began))
                    continue
                result = ln.train(net, X, y, lambda_=lambda_, method=method, threads=1)
                runs.append((result.iterations, result.evaluations, time.perf_counter() - began, result.cost,
                             result.status))  # fmt: skip
            iterations, evaluations, seconds, costs = (np.array([r[i] for r in runs]) for i in range(4))
            statuses = [r[4] for r in runs]
            ended = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
            print(
                f"| {method} | {np.median(iterations):.0f} | {np.median(evaluations):.0f} | {np.median(seconds):.2f} s "
                f"| {np.median(costs):.6f} | {costs.min():.6f} | {ended} |"
            )
            rows.append({"method": method, "runs": runs})
        report[name] = rows
    return report


def minpack(net, X, y, lambda_, began):
    """scipy's MINPACK Levenberg-Marquardt from ``net``'s weights.

    Returns (Jacobians, residual evaluations, seconds, cost, status), like a row of the others.
    """
    from scipy.optimize import least_squares

    from layernet.lm import residual_jacobian, residuals

    Y = y.reshape(-1, 1)
    out = least_squares(
        lambda theta: residuals(net, theta, X, Y, lambda_),
        net.theta.copy(),
        jac=lambda theta: residual_jacobian(net, theta, X, Y, lambda_),
        method="lm",
        max_nfev=MINPACK_MAX_NFEV,
    )
    status = "converged" if out.status > 0 else "max_evals"
    return out.njev, out.nfev, time.perf_counter() - began, float(out.cost), status


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="initial weights drawn from seeds 0..N-1")
    args = parser.parse_args(argv)
    return run(args.seeds)


if __name__ == "__main__":
    main()
