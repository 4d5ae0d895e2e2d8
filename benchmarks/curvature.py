"""Second-order methods (exact Hessian-vector products) against cg and lbfgs, through ln.train.

For each problem every method starts from the same initial weights and runs to its own
convergence test (tol 1e-5 on the largest gradient component; newton-cg's is the relative step)
or max_iter. Reported: iterations, cost-and-gradient evaluations, Hessian-vector products
(each about the price of two gradients), wall time (best of ``--repeats``), final cost, status.

    python benchmarks/curvature.py            # reference, digits, friedman1
    python benchmarks/curvature.py --quick    # fewer repeats
"""

from __future__ import annotations

import argparse
import time

import numpy as np

METHODS = [
    ("cg", "hessian"),
    ("lbfgs", "hessian"),
    ("trust-krylov", "hessian"),
    ("trust-ncg", "hessian"),
    ("newton-cg", "hessian"),
    ("trust-krylov", "gauss-newton"),
    ("newton-cg", "gauss-newton"),
]


def problems():
    from sklearn.datasets import load_digits, make_friedman1, make_moons

    import layernet as ln

    stream = np.random.RandomState(0)
    X, y = make_moons(200, noise=0.2, random_state=stream)
    yield "reference 2-3-2, moons", X, y, ln.Network([2, 3, 2]).init(rng=stream), 1e-3
    digits = load_digits()
    yield (
        "digits 64-25-10, lambda 1",
        digits.data / 16.0,
        digits.target,
        ln.Network([64, 25, 10]).init(seed=0),
        1.0,
    )
    X, y = make_friedman1(500, noise=1.0, random_state=0)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    yield (
        "friedman1 10-10-1 tanh (regression)",
        X,
        y,
        ln.Network([10, 10, 1], hidden="tanh", output="identity").init(seed=0),
        1e-2,
    )


def run(repeats: int):
    import layernet as ln

    report = {}
    for name, X, y, start, lambda_ in problems():
        print(f"\n{name} ({start.n_params} parameters, {len(X)} samples)")
        print("| method | curvature | iterations | evaluations | Hessian products | time | final cost | status |")
        print("|---|---|---:|---:|---:|---:|---:|---|")
        rows = []
        for method, curvature in METHODS:
            best, result = np.inf, None
            for _ in range(repeats):
                net = start.copy()
                began = time.perf_counter()
                result = ln.train(net, X, y, lambda_=lambda_, method=method, curvature=curvature, threads=1)
                best = min(best, time.perf_counter() - began)
            label = curvature if method in ("trust-krylov", "trust-ncg", "newton-cg") else "—"
            print(
                f"| {method} | {label} | {result.iterations} | {result.evaluations} | {result.hessp_products} | "
                f"{best:.3f} s | {result.cost:.6f} | {result.status} |"
            )
            rows.append((method, curvature, result.iterations, result.evaluations, result.hessp_products, best,
                         result.cost, result.status))  # fmt: skip
        report[name] = rows
    return report


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat instead of three")
    args = parser.parse_args(argv)
    return run(1 if args.quick else 3)


if __name__ == "__main__":
    main()
