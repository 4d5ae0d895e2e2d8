"""The blog's last experiment, done honestly: growing hidden layers on two moons, with held-out data.

    python examples/depth_study.py OUT_DIR            # the full study: 420 fits, a few minutes
    python examples/depth_study.py OUT_DIR --fast     # a small grid in seconds (what the tests run)

The blog trained networks with more and more hidden units on all 200 points of
``make_moons(200, noise=0.2)`` and watched training accuracy climb from 0.85 to 1.00. Here the
same data (the reference configuration: sigmoid units, conjugate gradient, seed 0) are split
into 140 study samples and 60 test samples. Every depth, width and lambda is trained on 5
cross-validation folds of the study samples and scored on the fold it did not see. The choice
is the one-standard-error rule: of the configurations whose mean validation accuracy is within
one standard error of the best mean, the simplest (fewest parameters, then the largest lambda);
it is refit on all 140 and scored once on the 60. The best mean is reported beside it.

OUT_DIR receives the records (results.csv, study.json, summary.json, best.npz) and four figures:
boundaries.png (one decision boundary per architecture), capacity.png (training and validation
accuracy against width, per depth and lambda), lambda.png (validation accuracy against lambda)
and learning_curve.png (the chosen network's training and validation error against the number
of training samples). Run it again with the same OUT_DIR and it only runs the fits still
missing; with ``--repeats 3`` it adds two more repeats of the cross-validation and runs only those.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

import layernet as ln  # noqa: E402
import layernet.study as study  # noqa: E402
from layernet import plotting  # noqa: E402

FULL = {"depths": [1, 2, 3], "widths": [1, 2, 3, 5, 10, 20, 50], "lambdas": [0, 1e-3, 1e-1, 1], "folds": 5}
FAST = {"depths": [1, 2], "widths": [1, 5], "lambdas": [1e-3, 1e-1], "folds": 3}
BLOG_LAMBDA = 1e-3  # the blog's Lambda: the decision-boundary panels use it


def main(argv=None) -> study.StudyResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the records and the figures")
    parser.add_argument("--fast", action="store_true", help="a small grid and 100 iterations per fit")
    parser.add_argument("--n-jobs", type=int, default=-1, help="parallel fits (-1: all cores)")
    parser.add_argument("--dpi", type=int, default=80, help="resolution of the PNG figures")
    parser.add_argument("--repeats", type=int, default=1, help="repetitions of the cross-validation (default: 1)")
    args = parser.parse_args(argv)

    config = ln.RunConfig.reference()  # make_moons(200, noise=0.2), 2-?-2 sigmoid, cg, seed 0
    grid = FAST if args.fast else FULL
    if args.fast:
        config = config.override({"training.max_iter": 100})
    args.out.mkdir(parents=True, exist_ok=True)
    result = study.run(
        config, **grid, test_size=0.3, repeats=args.repeats, n_jobs=args.n_jobs, directory=args.out
    )
    report(result)

    # The learning curve of the chosen network, on the same folds of the same study data.
    best = result.best
    chosen = config.override({"network.layers": [2, *[best.width] * best.depth, 2], "training.lambda": best.lambda_})
    sizes = [0.5, 1.0] if args.fast else [0.1, 0.2, 0.35, 0.5, 0.75, 1.0]
    curve = study.learning_curve(
        chosen, sizes, folds=grid["folds"], repeats=args.repeats, test_size=0.3, n_jobs=args.n_jobs
    )
    report_curve(curve)

    data = result.data
    fits = study.fit_architectures(result, BLOG_LAMBDA, n_jobs=args.n_jobs)
    figures = {
        "boundaries.png": plotting.plot_study_boundaries(
            fits, data.X_train, data.y_train, panel_size=2.0, chosen=result.best
        ),
        "capacity.png": plotting.plot_study_capacity(result),
        "lambda.png": plotting.plot_study_lambda(result),
        "learning_curve.png": plotting.plot_learning_curve(curve).figure,
    }
    for name, figure in figures.items():
        ln.save_figure(figure, args.out / name, dpi=args.dpi)
        plt.close(figure)
        print(f"wrote {args.out / name}")
    return result


def report(result: study.StudyResult) -> None:
    """Print what the figures show: accuracies per architecture, both choices, and the test score."""
    settings = result.settings
    n = len(result.data.y_train)
    scores = f"{settings.folds}-fold cross-validation" + (
        f" repeated {settings.repeats} times" if settings.repeats > 1 else ""
    )
    print(f"{settings.n_fits} fits: {scores} on {n} samples, {len(result.data.y_test)} held out for the test")
    for lambda_ in settings.lambdas:
        print(f"\nlambda = {lambda_:g}: training / validation accuracy in %, mean over folds")
        print("hidden layers | units per hidden layer:")
        print(f"{'':>13} " + "".join(f"{width:>14}" for width in settings.widths))
        for depth in settings.depths:
            cells = []
            for width in settings.widths:
                item = result.get(depth, width, lambda_)
                cells.append(f"{100 * item.train_accuracy_mean:6.1f} /{100 * item.validation_accuracy_mean:5.1f}")
            print(f"{depth:>13} " + "".join(f"{cell:>14}" for cell in cells))
    print()
    for depth in settings.depths:
        # The study's own ranking by mean (ties go to the smaller network, then the larger lambda).
        peak = study.select_best([item for item in result.aggregates if item.depth == depth])
        print(
            f"peak validation accuracy with {depth} hidden layer(s): {100 * peak.validation_accuracy_mean:.1f} % "
            f"at {peak.width} units per layer, lambda {peak.lambda_:g}"
        )
    for label, item in (("best mean", result.best_mean), ("one-SE rule", result.one_se)):
        print(
            f"{label}: depth {item.depth}, width {item.width}, lambda {item.lambda_:g} ({item.n_parameters} "
            f"parameters): validation accuracy {100 * item.validation_accuracy_mean:.1f} % "
            f"+- {100 * item.validation_accuracy_se:.1f} SE (std {100 * item.validation_accuracy_std:.1f} "
            f"over {item.n_folds} folds)"
        )
    best, refit = result.best, result.refit
    print(f"best: depth {best.depth}, width {best.width}, lambda {best.lambda_:g} (chosen by the one-SE rule)")
    print(
        f"refit on all {refit.n_train} study samples: training accuracy {100 * refit.train_accuracy:.1f} %, "
        f"test accuracy {100 * refit.test_accuracy:.1f} % on {refit.n_test} held-out samples"
    )


def report_curve(curve: study.Curve) -> None:
    """The learning curve as a table: training samples, training and validation error."""
    architecture = "-".join(map(str, curve.settings["layers"]))
    print(f"\nlearning curve of the chosen {architecture} network, lambda {curve.settings['lambdas'][0]:g}:")
    print(f"{'training samples':>16} {'training error %':>17} {'validation error %':>19}")
    for item in curve.summary:
        print(
            f"{item.size:>16} {100 * item.train_error_mean:>17.1f} {100 * item.validation_error_mean:>19.1f}"
        )


if __name__ == "__main__":
    main()
