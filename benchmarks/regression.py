"""LayerNetRegressor against scikit-learn's MLPRegressor(solver="lbfgs"): test R² on the same split.

Both get the same standardized features, the same train/test split, the same architecture
(hidden units, tanh), the same regularization (``alpha``: with one target both minimize
``1/(2m) sum (a - y)**2 + alpha/(2m) sum W**2``), the same iteration limit, and several seeds
of initial weights each (their initial draws differ: layernet uses the course's uniform range,
scikit-learn Glorot's). Targets are used as given by both.

    python benchmarks/regression.py            # make_friedman1 and load_diabetes, 5 seeds
    python benchmarks/regression.py --seeds 2  # quicker
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np


def problems():
    from sklearn.datasets import load_diabetes, make_friedman1

    X, y = make_friedman1(500, noise=1.0, random_state=0)
    yield "make_friedman1 (500, noise 1)", X, y, (10,), 1e-2
    bunch = load_diabetes()
    yield "load_diabetes (442)", bunch.data, bunch.target, (5,), 1.0


def compare(name, X, y, hidden, alpha, seeds, max_iter):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    import layernet as ln

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    rows = []
    for label, make in (
        (
            "LayerNetRegressor",
            lambda seed: ln.LayerNetRegressor(hidden, "tanh", alpha=alpha, max_iter=max_iter, random_state=seed),
        ),
        (
            "MLPRegressor",
            lambda seed: MLPRegressor(
                hidden_layer_sizes=hidden,
                activation="tanh",
                solver="lbfgs",
                alpha=alpha,
                max_iter=max_iter,
                random_state=seed,
            ),
        ),
    ):
        scores, seconds = [], []
        for seed in range(seeds):
            model = make(seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_train, y_train)
            seconds.append(time.perf_counter() - start)
            scores.append(model.score(X_test, y_test))
        rows.append((label, float(np.mean(scores)), float(np.min(scores)), float(np.max(scores)), np.mean(seconds)))
    print(f"\n{name}: hidden {hidden}, tanh, alpha {alpha:g}, max_iter {max_iter}, {seeds} seeds")
    print(f"| {'model':<18} | test R² mean | min    | max    | fit time |")
    for label, mean, low, high, secs in rows:
        print(f"| {label:<18} | {mean:12.4f} | {low:.4f} | {high:.4f} | {secs:6.3f} s |")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--max-iter", type=int, default=1000)
    args = parser.parse_args(argv)
    return {name: compare(name, X, y, h, a, args.seeds, args.max_iter) for name, X, y, h, a in problems()}


if __name__ == "__main__":
    main()
