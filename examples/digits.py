"""Handwritten digits the course's way: a 64-25-10 sigmoid network, lambda chosen by validation.

The course recognised 20x20 handwritten digits with a 400-25-10 sigmoid network trained by
conjugate gradient on the regularized cross-entropy, then drew the hidden units' weights as
images. This script does the same on scikit-learn's bundled 8x8 digits (1797 images, 10 classes):

1. pixel intensities scaled to [0, 1], a stratified 75/25 train/test split;
2. ``alpha`` (the course's lambda) chosen by ``GridSearchCV`` on the training split only, with
   the study's one-standard-error rule (:func:`layernet.study.one_se_index`): the largest alpha
   whose mean cross-validated accuracy is within one standard error of the best mean (the
   best mean itself is reported too; its ties also go to the larger alpha, as in ``ln.study``);
3. accuracy of the refitted best network on the held-out test split;
4. two figures: the misclassified test digits, and each hidden unit's 64 input weights as an
   8x8 image.

Run ``python examples/digits.py --out-dir figures``; ``--fast`` runs a small grid with few
iterations (what the tests use); ``--help`` lists the options.
"""

from __future__ import annotations

import argparse
import time
import warnings
from pathlib import Path

import numpy as np

import layernet as ln

#: The alphas (the course's lambda) searched: the course's own validation-curve values.
ALPHAS = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
FAST_ALPHAS = (0.3, 3.0)
HIDDEN_UNITS = 25
MISCLASSIFIED_PNG = "digits_misclassified.png"
HIDDEN_UNITS_PNG = "digits_hidden_units.png"


def parse_args(argv=None) -> argparse.Namespace:
    """The command line: output directory, fast mode, seed, parallel jobs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=Path("."),
        help=f"directory for {MISCLASSIFIED_PNG} and {HIDDEN_UNITS_PNG} (created if missing; default: .)",
    )
    parser.add_argument(
        "--fast",
        action="store_true",
        help="a two-value grid, 3 folds and 40 iterations per fit: seconds instead of minutes",
    )
    parser.add_argument("--seed", type=int, default=0, help="seeds the split and the initial weights (default: 0)")
    parser.add_argument("--n-jobs", type=int, default=2, help="parallel fits in the grid search (default: 2)")
    parser.add_argument(
        "--repeats", type=int, default=1, help="repeat the cross-validation with fresh shuffles (default: 1)"
    )
    return parser.parse_args(argv)


def load_split(seed: int):
    """The 8x8 digits as ``(X_train, X_test, y_train, y_test)``, pixels scaled from 0..16 to 0..1."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    X = digits.data / 16.0
    return train_test_split(X, digits.target, test_size=0.25, random_state=seed, stratify=digits.target)


def fold_scores(cv_results) -> tuple[np.ndarray, np.ndarray]:
    """Per candidate: the mean validation accuracy and its standard error, ``std / sqrt(n)`` (ddof=1).

    ``GridSearchCV``'s own ``std_test_score`` is the population standard deviation (ddof=0);
    the study's standard error uses the sample one, so it is computed here from the splits.
    """
    n_splits = sum(1 for key in cv_results if key.startswith("split") and key.endswith("_test_score"))
    scores = np.array([cv_results[f"split{i}_test_score"] for i in range(n_splits)]).T
    return scores.mean(axis=1), scores.std(axis=1, ddof=1) / np.sqrt(n_splits)


def _simplicity(cv_results) -> list:
    # One architecture for every candidate: the simpler model is the more regularized one.
    return [(-float(alpha),) for alpha in cv_results["param_alpha"]]


def one_se_alpha(cv_results) -> int:
    """``GridSearchCV``'s ``refit`` callable: the candidate the one-standard-error rule picks."""
    means, errors = fold_scores(cv_results)
    return ln.study.one_se_index(means, errors, _simplicity(cv_results))


def best_mean_alpha(cv_results) -> int:
    """The candidate with the best mean accuracy; ties (to 12 decimals) go to the larger alpha, as in ln.study."""
    means, _ = fold_scores(cv_results)
    return ln.study.one_se_index(means, np.zeros(len(means)), _simplicity(cv_results))


def search_alpha(X, y, *, fast: bool, seed: int, n_jobs: int, repeats: int = 1):
    """A fitted ``GridSearchCV`` over ``alpha`` for the 64-25-10 sigmoid network, refit by the one-SE rule.

    Full mode trains every network to convergence (the optimizer's default tolerance); fast mode
    caps training at 40 conjugate-gradient iterations, as the course's ``fmincg`` runs did with
    ``MaxIter``, so its networks stop early on purpose.
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import GridSearchCV, RepeatedStratifiedKFold, StratifiedKFold

    classifier = ln.LayerNetClassifier(
        hidden_layer_sizes=(HIDDEN_UNITS,),
        activation="sigmoid",
        output="sigmoid",
        solver="cg",
        max_iter=40 if fast else None,
        random_state=seed,
    )
    n_splits = 3 if fast else 5
    if repeats > 1:
        folds = RepeatedStratifiedKFold(n_splits=n_splits, n_repeats=repeats, random_state=seed)
    else:
        folds = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    grid = {"alpha": list(FAST_ALPHAS if fast else ALPHAS)}
    search = GridSearchCV(classifier, grid, cv=folds, n_jobs=n_jobs, refit=one_se_alpha)
    with warnings.catch_warnings():
        if fast:
            # The 40-iteration cap is the point of fast mode, so its warning says nothing new.
            warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return search


def plot_misclassified(images, y_true, y_pred, path: Path, max_shown: int = 40) -> int:
    """Save the misclassified digits, each titled ``true -> predicted``; return how many there are."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(y_true != y_pred)
    shown = wrong[:max_shown]
    columns = 10
    rows = max(1, -(-len(shown) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.0, rows * 1.2 + 0.6), squeeze=False)
    for ax in axes.flat:
        ax.set_axis_off()
    for ax, index in zip(axes.flat, shown):
        ax.imshow(images[index].reshape(8, 8), cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
        ax.set_title(f"{y_true[index]} \u2192 {y_pred[index]}", fontsize=9, color="firebrick")
    if len(wrong) == 0:
        axes[0, 0].text(0, 0.5, "no test digit was misclassified", fontsize=12, transform=axes[0, 0].transAxes)
    more = f", first {len(shown)} shown" if len(wrong) > len(shown) else ""
    fig.suptitle(f"Misclassified test digits: {len(wrong)} of {len(y_true)}{more} (true \u2192 predicted)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return int(len(wrong))


def plot_hidden_units(network: ln.Network, path: Path, title: str) -> None:
    """Save each hidden unit's input weights as an 8x8 image, the course's ``displayData(Theta1)``.

    One mosaic, a tile per unit in reading order, each tile scaled around zero by its own largest
    weight: dark pixels excite the unit, light ones inhibit it, mid-grey ones leave it alone.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    W = network.layers[0].W  # (n_hidden, 64): one row of input weights per hidden unit, bias excluded
    n_units = W.shape[0]
    columns = int(np.ceil(np.sqrt(n_units)))
    rows = -(-n_units // columns)
    pad = 1
    mosaic = np.full((rows * (8 + pad) + pad, columns * (8 + pad) + pad), np.nan)
    for unit in range(n_units):
        row, column = divmod(unit, columns)
        tile = W[unit].reshape(8, 8)
        top, left = pad + row * (8 + pad), pad + column * (8 + pad)
        mosaic[top : top + 8, left : left + 8] = tile / (float(np.abs(tile).max()) or 1.0)
    cmap = plt.get_cmap("gray_r").with_extremes(bad="white")
    fig, ax = plt.subplots(figsize=(6, 6 * rows / columns + 0.5))
    ax.imshow(mosaic, cmap=cmap, vmin=-1.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title, fontsize=10)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)


def main(argv=None) -> dict:
    """Run the example; return its numbers and the figure paths (also printed)."""
    args = parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    X_train, X_test, y_train, y_test = load_split(args.seed)
    search = search_alpha(X_train, y_train, fast=args.fast, seed=args.seed, n_jobs=args.n_jobs, repeats=args.repeats)
    best = search.best_estimator_
    y_pred = best.predict(X_test)
    test_accuracy = float(np.mean(y_pred == y_test))

    misclassified_png = args.out_dir / MISCLASSIFIED_PNG
    hidden_png = args.out_dir / HIDDEN_UNITS_PNG
    n_wrong = plot_misclassified(X_test, y_test, y_pred, misclassified_png)
    sizes = "-".join(str(n) for n in best.network_.sizes)
    plot_hidden_units(
        best.network_, hidden_png, f"Hidden units of the {sizes} network (alpha = {best.alpha:g}), 8x8 input weights"
    )
    means, errors = fold_scores(search.cv_results_)
    alphas = [float(alpha) for alpha in search.cv_results_["param_alpha"]]
    best_mean = best_mean_alpha(search.cv_results_)
    summary = {
        "alpha": float(search.best_params_["alpha"]),
        "cv_accuracy": float(means[search.best_index_]),
        "cv_se": float(errors[search.best_index_]),
        "best_mean_alpha": alphas[best_mean],
        "best_mean_accuracy": float(means[best_mean]),
        "test_accuracy": test_accuracy,
        "misclassified": n_wrong,
        "n_test": int(len(y_test)),
        "iterations": int(best.n_iter_),
        "status": best.network_.training_summary["status"],
        "seconds": time.perf_counter() - start,
        "figures": [str(misclassified_png), str(hidden_png)],
    }
    print(f"network        {sizes} sigmoid, solver cg, {len(X_train)} training / {len(X_test)} test digits")
    n_scores = len([key for key in search.cv_results_ if key.startswith("split") and key.endswith("_test_score")])
    print(f"  {'alpha':<8} {'cross-validated accuracy':>24} {'standard error':>15}   (over {n_scores} folds)")
    for alpha, mean, error in zip(alphas, means, errors):
        print(f"  {alpha:<8g} {mean:>24.4f} {error:>15.4f}")
    print(
        f"best mean      alpha {summary['best_mean_alpha']:g} (cross-validated accuracy "
        f"{summary['best_mean_accuracy']:.4f}; ties go to the larger alpha)"
    )
    print(
        f"chosen alpha   {summary['alpha']:g} (cross-validated accuracy {summary['cv_accuracy']:.4f} "
        f"+- {summary['cv_se']:.4f} SE; one-standard-error rule: the largest alpha within one SE of the best mean)"
    )
    print(f"refit          {summary['iterations']} iterations, {summary['status']}")
    print(f"test accuracy  {test_accuracy:.4f} ({n_wrong} of {len(y_test)} misclassified)")
    print(f"figures        {misclassified_png}, {hidden_png}")
    print(f"time           {summary['seconds']:.1f} s")
    return summary


if __name__ == "__main__":
    main()
