"""What early stopping gives on the digits: iterations, time and test accuracy, with and without it.

``python benchmarks/early_stopping.py [--seeds 0 1 2] [--methods cg lbfgs] [--lambdas 0 0.01]``

scikit-learn's 8x8 digits (1797 images, pixels scaled to [0, 1]) are split 70/15/15, stratified,
as MATLAB divides data by default; a 64-25-10 sigmoid network starts from the same weights in
every variant of one seed:

- ``full 70 %``: trained on the 70 % to convergence (or ``--max-iter``), no validation;
- ``full 85 %``: trained on the 70 % and the 15 % of validation together, to convergence -- what
  one would do without early stopping, since the validation data are then free to train on;
- ``patience P``: trained on the 70 %, validated on the 15 % after every iteration, stopped after
  P failures in a row, ending with the best validation iteration's parameters.

Every variant is scored once on the same 15 % test split. Times are ``TrainResult.seconds`` (the
optimization alone, one thread), medians over the seeds are printed with the spread.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np

import layernet as ln


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--methods", nargs="+", default=["cg", "lbfgs"], choices=ln.METHODS)
    parser.add_argument("--lambdas", type=float, nargs="+", default=[0.0, 0.01])
    parser.add_argument("--patience", type=int, nargs="+", default=[6, 20])
    parser.add_argument("--max-iter", type=int, default=3000, help="iteration limit of every fit (default 3000)")
    parser.add_argument("--hidden", type=int, default=25, help="hidden units (default 25, the course's)")
    parser.add_argument(
        "--figure",
        help="also draw the training record (ln.plot_training) of the first method, lambda and seed with the "
        "largest patience, the test split recorded too, to this PNG",
    )
    return parser.parse_args(argv)


def splits(seed: int):
    """70/15/15 stratified train/validation/test parts of the digits, drawn from ``seed``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.15, random_state=seed, stratify=y)
    X_fit, X_val, y_fit, y_val = train_test_split(
        X_rest, y_rest, test_size=0.15 / 0.85, random_state=seed, stratify=y_rest
    )
    return X_fit, y_fit, X_val, y_val, X_test, y_test


def fit(args, seed, method, lambda_, X, y, validation=None, patience=None):
    net = ln.Network([64, args.hidden, 10]).init(seed=seed)
    result = ln.train(
        net, X, y, method=method, lambda_=lambda_, max_iter=args.max_iter, threads=1,
        validation=validation, patience=patience,
    )  # fmt: skip
    return net, result


def main(argv=None) -> list[dict]:
    args = parse_args(argv)
    rows = []
    for method in args.methods:
        for lambda_ in args.lambdas:
            for seed in args.seeds:
                X_fit, y_fit, X_val, y_val, X_test, y_test = splits(seed)
                variants = {
                    "full 70 %": dict(X=X_fit, y=y_fit),
                    "full 85 %": dict(X=np.vstack([X_fit, X_val]), y=np.concatenate([y_fit, y_val])),
                }
                for patience in args.patience:
                    variants[f"patience {patience}"] = dict(
                        X=X_fit, y=y_fit, validation=(X_val, y_val), patience=patience
                    )
                for name, data in variants.items():
                    net, result = fit(args, seed, method, lambda_, **data)
                    rows.append(
                        {
                            "method": method,
                            "lambda": lambda_,
                            "seed": seed,
                            "variant": name,
                            "iterations": result.iterations,
                            "best_iteration": result.best_iteration,
                            "seconds": result.seconds,
                            "status": result.status,
                            "test_accuracy": net.score(X_test, y_test),
                        }
                    )
                    print(
                        f"  {method:5s} lambda {lambda_:<5g} seed {seed} {name:12s} {result.iterations:5d} it "
                        f"{result.seconds:7.2f} s  test {100 * rows[-1]['test_accuracy']:.2f} %  {result.status}",
                        flush=True,
                    )
    if args.figure:
        X_fit, y_fit, X_val, y_val, X_test, y_test = splits(args.seeds[0])
        net = ln.Network([64, args.hidden, 10]).init(seed=args.seeds[0])
        method, lambda_ = args.methods[0], args.lambdas[0]
        result = ln.train(
            net, X_fit, y_fit, method=method, lambda_=lambda_, max_iter=args.max_iter, threads=1,
            validation=(X_val, y_val), test=(X_test, y_test), patience=max(args.patience),
        )  # fmt: skip
        title = f"Digits 64-{args.hidden}-10, {method}, lambda {lambda_:g}, patience {max(args.patience)}"
        ln.save_figure(ln.plot_training(result, title=title), args.figure)
        print(f"figure written to {args.figure}")
    print()
    print("| method | lambda | variant | iterations | seconds | test accuracy % | statuses |")
    print("|---|---|---|---|---|---|---|")
    keys = sorted({(r["method"], r["lambda"], r["variant"]) for r in rows}, key=lambda k: (k[0], k[1]))
    order = {name: i for i, name in enumerate(["full 70 %", "full 85 %", *[f"patience {p}" for p in args.patience]])}
    for method, lambda_, variant in sorted(keys, key=lambda k: (k[0], k[1], order[k[2]])):
        group = [r for r in rows if (r["method"], r["lambda"], r["variant"]) == (method, lambda_, variant)]
        statuses = ", ".join(sorted({r["status"] for r in group}))
        print(
            f"| {method} | {lambda_:g} | {variant} | {_spread([r['iterations'] for r in group], '{:.0f}')} | "
            f"{_spread([r['seconds'] for r in group], '{:.2f}')} | "
            f"{_spread([100 * r['test_accuracy'] for r in group], '{:.1f}')} | {statuses} |"
        )
    return rows


def _spread(values, fmt: str) -> str:
    """The median, with the smallest and largest value: ``12 (10-15)``."""
    median = statistics.median(values)
    if len(values) == 1:
        return fmt.format(median)
    return f"{fmt.format(median)} ({fmt.format(min(values))}-{fmt.format(max(values))})"


if __name__ == "__main__":
    main()
