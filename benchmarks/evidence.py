"""lambda chosen by the evidence (lambda_="auto") against lambda chosen by 5-fold cross-validation.

On each problem, one train/test split (25 % test, seeded): the auto fit trains once on the
training part; the cross-validation fits every lambda of the grid on 5 folds of the same part
(stratified for classes), chooses by the one-standard-error rule of ``ln.study``
(``ln.study.one_se_index``: the largest lambda within one standard error of the best mean
validation score), and refits the choice on the whole training part. Both are then scored once on
the test part. Every fit is lbfgs from the same seeded initial weights (several seeds: medians).

    python benchmarks/evidence.py             # moons, digits, make_friedman1, 3 seeds
    python benchmarks/evidence.py --seeds 1 --problems moons friedman1
    python benchmarks/evidence.py --via-study # the classification problems through ln.study itself

``--via-study`` runs the comparison through the library's own entry points instead: the auto fit
is ``ln.run`` of a configuration with ``lambda = "auto"``, the cross-validation is
``ln.study.validation_curve`` over the grid on the same configuration (its folds, scaling and
one-SE ``chosen_lambda``), and the choice is ``ln.run`` again; both runs draw the same data and
the same 25 % test split from the configuration's seed. (``ln.study`` takes classification
only, so make_friedman1 is left out there.)
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

GRID = (0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def problems(names):
    from sklearn.datasets import load_digits, make_friedman1, make_moons
    from sklearn.preprocessing import StandardScaler

    if "moons" in names:
        X, y = make_moons(400, noise=0.3, random_state=0)
        yield "moons (400, noise 0.3), 2-5-2 sigmoid", X, y, dict(sizes=[2, 5, 2])
    if "digits" in names:
        bunch = load_digits()
        yield "digits (1797), 64-25-10 sigmoid", bunch.data / 16.0, bunch.target, dict(sizes=[64, 25, 10])
    if "friedman1" in names:
        X, y = make_friedman1(500, noise=1.0, random_state=0)
        X = StandardScaler().fit_transform(X)
        spec = dict(sizes=[10, 10, 1], hidden="tanh", output="identity")
        yield "make_friedman1 (500, noise 1), 10-10-1 tanh", X, y, spec


def fit(ln, spec, X, y, lambda_, seed):
    net = ln.Network(spec["sizes"], hidden=spec.get("hidden", "sigmoid"), output=spec.get("output", "sigmoid"))
    net.init(seed)
    result = ln.train(net, X, y, lambda_=lambda_, method="lbfgs")
    return net, result


def cross_validated(ln, spec, X, y, seed, regression):
    from sklearn.model_selection import KFold, StratifiedKFold

    splitter = (KFold if regression else StratifiedKFold)(5, shuffle=True, random_state=seed)
    folds = list(splitter.split(X, y))
    means, errors = [], []
    for lambda_ in GRID:
        scores = []
        for train, valid in folds:
            net, _ = fit(ln, spec, X[train], y[train], lambda_, seed)
            scores.append(net.score(X[valid], y[valid]))
        means.append(float(np.mean(scores)))
        errors.append(float(np.std(scores, ddof=1) / np.sqrt(len(scores))))
    chosen = ln.study.one_se_index(means, errors, [(-lambda_,) for lambda_ in GRID])
    best = int(np.argmax(means))
    return GRID[chosen], GRID[best]


STUDY_CONFIGS = {
    "moons (400, noise 0.3), 2-5-2 sigmoid": {
        "data.source": "moons",
        "data.n_samples": 400,
        "data.noise": 0.3,
        "network.layers": [2, 5, 2],
    },
    "digits (1797), 64-25-10 sigmoid, standardized": {
        "data.source": "digits",
        "data.scale": True,
        "network.layers": [64, 25, 10],
    },
}


def via_study(seeds: int) -> None:
    import layernet as ln

    print("| problem | seed | auto lambda | effective parameters | auto test | auto s | ln.study CV lambda | CV test "
          "| CV curve + run s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, changes in STUDY_CONFIGS.items():
        for seed in range(seeds):
            base = ln.RunConfig.reference().override(
                {**changes, "seed": seed, "data.test_size": 0.25, "training.method": "lbfgs"}
            )
            start = time.perf_counter()
            auto = ln.run(base.override({"training.lambda": "auto"}))
            auto_seconds = time.perf_counter() - start
            start = time.perf_counter()
            curve = ln.study.validation_curve(base, lambdas=GRID, folds=5, test_size=0.25, n_jobs=1)
            chosen = ln.run(base.override({"training.lambda": curve.chosen_lambda}))
            cv_seconds = time.perf_counter() - start
            evidence = auto.result.evidence
            print(
                f"| {name} | {seed} | {auto.result.lambda_:.3g} | {evidence.effective_parameters:.1f} of "
                f"{auto.network.n_params} | {auto.metrics['test_accuracy']:.3f} | {auto_seconds:.2f} | "
                f"{curve.chosen_lambda:g} | {chosen.metrics['test_accuracy']:.3f} | {cv_seconds:.1f} |",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--problems", nargs="+", default=["moons", "digits", "friedman1"])
    parser.add_argument("--via-study", action="store_true", help="through ln.run and ln.study.validation_curve")
    args = parser.parse_args()
    if args.via_study:
        via_study(args.seeds)
        return
    import warnings

    from sklearn.model_selection import train_test_split

    import layernet as ln

    warnings.simplefilter("ignore")  # a grid's lambda 0 fits may stop at max_iter: part of the comparison
    rows = []
    for name, X, y, spec in problems(args.problems):
        regression = spec.get("output") == "identity"
        stratify = None if regression else y
        X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0, stratify=stratify)
        auto, cv = [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            net, result = fit(ln, spec, X_train, y_train, "auto", seed)
            auto.append(
                dict(
                    seconds=time.perf_counter() - start,
                    lambda_=result.lambda_,
                    test=net.score(X_test, y_test),
                    effective=result.evidence.effective_parameters,
                    cycles=result.evidence.cycles,
                    settled=result.evidence.settled,
                    evidence_seconds=result.evidence.seconds,
                )
            )
            start = time.perf_counter()
            chosen, best = cross_validated(ln, spec, X_train, y_train, seed, regression)
            net, _ = fit(ln, spec, X_train, y_train, chosen, seed)
            cv.append(
                dict(seconds=time.perf_counter() - start, lambda_=chosen, best=best, test=net.score(X_test, y_test))
            )
            print(f"{name} seed {seed}: auto {auto[-1]}, cv {cv[-1]}", flush=True)

        def median(items, key):
            return statistics.median(item[key] for item in items)

        rows.append(
            (
                name,
                median(auto, "lambda_"),
                median(auto, "effective"),
                sum(item["settled"] for item in auto),
                median(auto, "test"),
                median(auto, "seconds"),
                median(cv, "lambda_"),
                median(cv, "test"),
                median(cv, "seconds"),
                len(auto),
                spec,
            )
        )
    score = "test accuracy (R² for friedman1)"
    print(f"\n| problem | auto lambda | effective parameters | auto {score} | auto s | 5-fold CV lambda (one-SE) "
          f"| CV {score} | CV grid + refit s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, lam, eff, _settled, test, seconds, cv_lam, cv_test, cv_seconds, _n, spec in rows:
        params = sum((a + 1) * b for a, b in zip(spec["sizes"], spec["sizes"][1:]))
        print(
            f"| {name} | {lam:.3g} | {eff:.1f} of {params} | {test:.3f} | {seconds:.2f} | {cv_lam:g} | {cv_test:.3f} "
            f"| {cv_seconds:.1f} |"
        )
    print(f"\nmedians over {args.seeds} seed(s); grid {', '.join(f'{g:g}' for g in GRID)}; "
          f"settled: every auto fit unless said ({[row[3] for row in rows]} of {args.seeds})")


if __name__ == "__main__":
    main()
