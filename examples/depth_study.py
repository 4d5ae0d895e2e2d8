"""The blog's last experiment, done honestly: growing hidden layers on two moons, with held-out data.

    python examples/depth_study.py OUT_DIR            # the full study: 420 fits, a few minutes
    python examples/depth_study.py OUT_DIR --fast     # a small grid in seconds (what the tests run)

The blog trained networks with more and more hidden units on all 200 points of
``make_moons(200, noise=0.2)`` and watched training accuracy climb from 0.85 to 1.00. Here the
same data (the reference configuration: sigmoid units, conjugate gradient, seed 0) are split
into 140 study samples and 60 test samples. Every depth, width and lambda is trained on 5
cross-validation folds of the study samples and scored on the fold it did not see; the best
configuration by mean validation accuracy is refit on all 140 and scored once on the 60.

OUT_DIR receives the records (results.csv, study.json, summary.json) and three figures:
boundaries.png (one decision boundary per architecture), capacity.png (training and validation
accuracy against width, per depth and lambda) and lambda.png (validation accuracy against
lambda). Run it again with the same OUT_DIR and it only runs the fits still missing.
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
FAST = {"depths": [1, 2], "widths": [1, 3, 10], "lambdas": [0, 1e-3, 1e-1], "folds": 3}
BLOG_LAMBDA = 1e-3  # the blog's Lambda: the decision-boundary panels use it


def main(argv=None) -> study.StudyResult:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the records and the figures")
    parser.add_argument("--fast", action="store_true", help="a small grid and 100 iterations per fit")
    parser.add_argument("--n-jobs", type=int, default=-1, help="parallel fits (-1: all cores)")
    parser.add_argument("--dpi", type=int, default=80, help="resolution of the PNG figures")
    args = parser.parse_args(argv)

    config = ln.RunConfig.reference()  # make_moons(200, noise=0.2), 2-?-2 sigmoid, cg, seed 0
    grid = FAST if args.fast else FULL
    if args.fast:
        config = config.override({"training.max_iter": 100})
    args.out.mkdir(parents=True, exist_ok=True)
    result = study.run(config, **grid, test_size=0.3, n_jobs=args.n_jobs, directory=args.out)
    report(result)

    data = result.data
    fits = study.fit_architectures(result, BLOG_LAMBDA, n_jobs=args.n_jobs)
    figures = {
        "boundaries.png": plotting.plot_study_boundaries(fits, data.X_train, data.y_train, panel_size=2.0),
        "capacity.png": plotting.plot_study_capacity(result),
        "lambda.png": plotting.plot_study_lambda(result),
    }
    for name, figure in figures.items():
        ln.save_figure(figure, args.out / name, dpi=args.dpi)
        plt.close(figure)
        print(f"wrote {args.out / name}")
    return result


def report(result: study.StudyResult) -> None:
    """Print what the figures show: accuracies per architecture, the best, and the test score."""
    settings = result.settings
    n = len(result.data.y_train)
    print(
        f"{settings.n_fits} fits: {settings.folds}-fold cross-validation on {n} samples, "
        f"{len(result.data.y_test)} held out for the test"
    )
    for lambda_ in settings.lambdas:
        print(f"\nlambda = {lambda_:g}   (training / validation accuracy, %, mean over folds)")
        print("depth  " + "".join(f"{width:>14}" for width in settings.widths))
        for depth in settings.depths:
            cells = []
            for width in settings.widths:
                item = result.get(depth, width, lambda_)
                cells.append(f"{100 * item.train_accuracy_mean:6.1f} /{100 * item.validation_accuracy_mean:5.1f}")
            print(f"{depth:>5}  " + "".join(f"{cell:>14}" for cell in cells))
    print()
    for depth in settings.depths:
        # The study's own ranking (the one that chose the best): ties go to the smaller network.
        peak = study.select_best([item for item in result.aggregates if item.depth == depth])
        print(
            f"peak validation accuracy with {depth} hidden layer(s): {100 * peak.validation_accuracy_mean:.1f} % "
            f"at width {peak.width}, lambda {peak.lambda_:g}"
        )
    best, refit = result.best, result.refit
    print(
        f"best: depth {best.depth}, width {best.width}, lambda {best.lambda_:g}: validation accuracy "
        f"{100 * best.validation_accuracy_mean:.1f} % +- {100 * best.validation_accuracy_std:.1f} "
        f"(mean +- std over {best.n_folds} folds)"
    )
    print(
        f"refit on all {refit.n_train} study samples: training accuracy {100 * refit.train_accuracy:.1f} %, "
        f"test accuracy {100 * refit.test_accuracy:.1f} % on {refit.n_test} held-out samples"
    )


if __name__ == "__main__":
    main()
