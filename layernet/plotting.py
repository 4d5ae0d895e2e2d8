"""Figures: decision boundaries and cost curves (matplotlib, imported here and only here).

Every helper draws on an ``ax`` it is given (or a new one), returns it, and never shows it;
:func:`save_figure` writes a figure atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DataError, LayerNetError
from .study_defaults import AUTO, is_auto, lambda_order, lambda_text
from .validation import check_features
from .writing import atomic_write

__all__ = [
    "plot_decision_boundary",
    "plot_cost_history",
    "plot_training",
    "save_figure",
    "architecture_name",
    "fit_text",
    "plot_study_boundaries",
    "plot_study_capacity",
    "plot_study_lambda",
    "plot_learning_curve",
]


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "ps", "cairo") and not _has_display():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _has_display() -> bool:
    import os

    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) or os.name == "nt"


def plot_decision_boundary(
    net,
    X,
    y=None,
    ax=None,
    *,
    resolution: int = 300,
    margin: float = 0.5,
    title=None,
    X_test=None,
    y_test=None,
    feature_names=None,
    legend: bool = True,
):
    """Shade the class the network predicts over the plane, with the data on top (as the blog did).

    Parameters
    ----------
    net : Network
        A network on two raw features (its scaler, if any, is applied as usual).
    X : array of shape (n_samples, 2)
        The training points, drawn filled.
    y : array of shape (n_samples,), optional
        Colours the points by class; the title then gives the training accuracy.
    ax : matplotlib Axes, optional
    resolution : int, default 300
        Grid points per axis.
    margin : float, default 0.5
        Space around the data, in feature units (the blog's 0.5).
    title : str, optional
        By default the architecture and the accuracies, wrapped to the axes' width (a title
        given is used as it is).
    X_test, y_test : arrays of shape (n_test, 2) and (n_test,), optional
        A test split, drawn as hollow points of its class's colour; the title adds its accuracy.
    feature_names : pair of str, optional
        The axes' labels (default "feature 1", "feature 2").
    legend : bool, default True
        A legend naming the classes (and, with a test split, which points are which).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    DataError
        ``X`` does not have exactly two features: a decision boundary is drawn in the plane of
        two features, and layernet does not project more onto two.
    """
    X = _two_features(X)
    has_test = X_test is not None and len(X_test) > 0
    X_test = _two_features(X_test) if has_test else None
    if feature_names is not None and len(feature_names) != 2:
        raise DataError(f"feature_names must name the two features, got {list(feature_names)!r}")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    shown = X if X_test is None else np.vstack([X, X_test])
    (x_min, y_min), (x_max, y_max) = shown.min(axis=0) - margin, shown.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    classes = net._class_labels()
    predicted = _indices(net.predict(grid), classes).reshape(xx.shape)
    # One colour per class, the same for the shaded region and the points of that class.
    colors = plt.get_cmap("Spectral")(np.linspace(0.1, 0.9, max(len(classes), 2)))[: len(classes)]
    ax.contourf(xx, yy, predicted, levels=np.arange(len(classes) + 1) - 0.5, colors=colors, alpha=0.45)
    if y is not None:
        ax.scatter(X[:, 0], X[:, 1], c=_point_colors(y, classes, colors), s=30, edgecolors="k", linewidths=0.6)
    else:
        ax.scatter(X[:, 0], X[:, 1], s=30, c="k")
    if X_test is not None:
        edges = _point_colors(y_test, classes, colors) if y_test is not None else "k"
        ax.scatter(X_test[:, 0], X_test[:, 1], s=34, facecolors="none", edgecolors=edges, linewidths=1.6)
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    first, second = feature_names if feature_names is not None else ("feature 1", "feature 2")
    ax.set_xlabel(str(first))
    ax.set_ylabel(str(second))
    if legend:
        _class_legend(ax, classes, colors, X_test is not None)
    if title is None:
        title = f"Decision boundary, {architecture_name(net.sizes)} network"
        scores = []
        if y is not None:
            scores.append(f"training accuracy {np.mean(net.predict(X) == np.asarray(y)):.3f}")
        if X_test is not None and y_test is not None:
            scores.append(f"test accuracy {np.mean(net.predict(X_test) == np.asarray(y_test)):.3f}")
        if scores:
            title += "\n" + ", ".join(scores)
        # Wrapped to the axes' width, so a deep network's title is not clipped at both ends.
        title = fit_text(title, ax.figure.get_figwidth() * ax.get_position().width, plt.rcParams["axes.titlesize"])
    ax.set_title(title)
    return ax


def _two_features(X):
    X = check_features(X)
    if X.shape[1] != 2:
        raise DataError(f"a decision boundary is drawn over two features, but X has {X.shape[1]}")
    return X


def _point_colors(y, classes, colors):
    index = _indices(np.asarray(y), classes)
    return np.where(index[:, None] >= 0, colors[np.clip(index, 0, None)], [0.5, 0.5, 0.5, 1.0])


def _class_legend(ax, classes, colors, has_test: bool) -> None:
    from matplotlib.lines import Line2D

    def marker(**style):
        return Line2D([], [], linestyle="none", marker="o", markersize=6, **style)

    handles = [marker(markerfacecolor=color, markeredgecolor="k") for color in colors]
    # Named classes (iris' species) as they are; numbered ones as "class 0", "class 1".
    labels = [label if isinstance(label, str) else f"class {label}" for label in classes.tolist()]
    if has_test:
        handles.append(marker(markerfacecolor="0.6", markeredgecolor="k"))
        handles.append(marker(markerfacecolor="none", markeredgecolor="k"))
        labels += ["training", "test"]
    ax.legend(handles, labels, fontsize=8, framealpha=0.85, loc="best")


def architecture_name(sizes) -> str:
    """Layer sizes joined by dashes, three or more equal hidden layers as depth x width.

    >>> architecture_name([2, 50, 50, 50, 50, 2]), architecture_name([2, 5, 5, 3, 2])
    ('2-4x50-2', '2-5-5-3-2')
    """
    sizes = list(sizes)
    parts, hidden = [str(sizes[0])], sizes[1:-1]
    i = 0
    while i < len(hidden):
        j = i
        while j < len(hidden) and hidden[j] == hidden[i]:
            j += 1
        parts.append(f"{j - i}x{hidden[i]}" if j - i > 2 else "-".join([str(hidden[i])] * (j - i)))
        i = j
    parts.append(str(sizes[-1]))
    return "-".join(parts)


def fit_text(text: str, width_inches: float, fontsize) -> str:
    """``text`` wrapped (at spaces) into lines that fit ``width_inches`` at ``fontsize``.

    A character of matplotlib's default sans-serif is at most about 0.6 em wide on average
    for such titles; the lines are wrapped to that many characters per line.
    """
    import textwrap

    from matplotlib.font_manager import FontProperties

    points = FontProperties(size=fontsize).get_size_in_points()
    columns = max(12, int(width_inches * 72 / (0.6 * points)))
    return "\n".join(textwrap.fill(line, columns) for line in str(text).split("\n"))

def plot_regression(net, X, y, ax=None, *, resolution: int = 300, title=None):
    """A regression network's fit: the fitted curve over the data, or fitted against actual.

    With one feature (and one output) the network's curve is drawn over the samples, across
    their range; with more features, each sample's prediction against its target, around the
    diagonal of a perfect fit (several outputs: every output's points, one colour each).

    Parameters
    ----------
    net : Network
        A regression network (``net.task == "regression"``).
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,) or (n_samples, n_outputs)
    ax : matplotlib Axes, optional
    resolution : int, default 300
        Points along the fitted curve.

    Returns
    -------
    matplotlib Axes
    """
    if not getattr(net, "is_regressor", False):
        raise LayerNetError("plot_regression draws a regression network's fit; this network is a classifier")
    X = check_features(X, net.n_features)
    Y = net.targets(y, len(X))
    predicted = net.predict(X).reshape(Y.shape)
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    r2 = net.score(X, Y)
    architecture = "-".join(map(str, net.sizes))
    if X.shape[1] == 1 and Y.shape[1] == 1:
        grid = np.linspace(X[:, 0].min(), X[:, 0].max(), resolution).reshape(-1, 1)
        ax.scatter(X[:, 0], Y[:, 0], s=18, c="tab:gray", edgecolors="k", linewidths=0.4, label="data")
        ax.plot(grid[:, 0], net.predict(grid), color="tab:red", linewidth=2, label="fitted")
        ax.set_xlabel("feature")
        ax.set_ylabel("target")
        default = f"Fitted curve, {architecture} network (R² {r2:.3f})"
    else:
        for k in range(Y.shape[1]):
            label = "samples" if Y.shape[1] == 1 else f"output {k + 1}"
            ax.scatter(Y[:, k], predicted[:, k], s=18, edgecolors="k", linewidths=0.4, label=label)
        low, high = float(min(Y.min(), predicted.min())), float(max(Y.max(), predicted.max()))
        ax.plot([low, high], [low, high], color="k", linewidth=1, linestyle="--", label="perfect fit")
        ax.set_xlabel("actual")
        ax.set_ylabel("fitted")
        default = f"Fitted against actual, {architecture} network (R² {r2:.3f})"
    ax.legend(loc="best", fontsize=8)
    ax.grid(True, alpha=0.3)
    ax.set_title(default if title is None else title)
    return ax


def plot_cost_history(history, ax=None, *, title: str = "Cost per iteration", log: bool | None = None):
    """Plot the cost after every iteration.

    Parameters
    ----------
    history : TrainResult or sequence of float
        A training result (its ``cost_history``) or the costs themselves.
    log : bool, optional
        Logarithmic cost axis; by default when the costs span more than two decades.

    Returns
    -------
    matplotlib Axes
    """
    costs = np.asarray(getattr(history, "cost_history", history), dtype=float)
    if costs.ndim != 1 or costs.size == 0:
        raise LayerNetError("the cost history is empty: training made no iteration")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    iterations = np.arange(1, costs.size + 1)
    ax.plot(iterations, costs, color="tab:blue", linewidth=1.5)
    positive = costs[np.isfinite(costs) & (costs > 0)]
    if log is None:
        log = positive.size == costs.size and positive.max() / positive.min() > 100
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    return ax


#: The series of a training record plot_training draws: label, colour, line style.
_TRAINING_SERIES = {
    "cost": ("training (regularized)", "tab:blue", "-"),
    "validation_cost": ("validation", "tab:green", "-"),
    "test_cost": ("test", "tab:red", "--"),
}


#: A translucent white box behind the values written on a training record, over the curves.
_LABEL_BOX = {"facecolor": "white", "alpha": 0.8, "edgecolor": "none", "pad": 1.0}


def plot_training(result, ax=None, *, title: str | None = None, log: bool = True):
    """The training record: training, validation and test cost per iteration (MATLAB's plotperform).

    The cost axis is logarithmic (most of a run is a slow approach to the optimum, a flat line on
    a linear axis); the best validation iteration is marked, and the last training cost (and the
    best validation cost) is written on the figure.

    Parameters
    ----------
    result : TrainResult
        Its ``history`` (iteration 0, the start, to the last) and ``best_iteration``.
    ax : matplotlib Axes, optional
    title : str, optional
        Default: "Training record" with the status.
    log : bool, default True
        Logarithmic cost axis (linear anyway when a cost is not positive).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import layernet as ln
    >>> from sklearn.datasets import make_moons
    >>> X, y = make_moons(120, noise=0.3, random_state=0)
    >>> result = ln.train(ln.Network([2, 8, 2]).init(seed=0), X, y, validation_fraction=0.25, max_iter=50)
    >>> ax = ln.plot_training(result)
    >>> [line.get_label() for line in ax.get_lines()][:2]
    ['training (regularized)', 'validation']
    """
    history = getattr(result, "history", None)
    if not isinstance(history, dict) or len(history.get("cost", ())) < 2:
        raise LayerNetError("the training record is empty: training made no iteration")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.2))
    iterations = np.asarray(history["iteration"])
    drawn = []
    for key, (label, color, style) in _TRAINING_SERIES.items():
        if key in history:
            values = np.asarray(history[key], dtype=float)
            ax.plot(iterations, values, color=color, linestyle=style, linewidth=1.5, label=label)
            drawn.append(values[np.isfinite(values)])
    values = np.concatenate(drawn)
    if log and values.size and values.min() > 0:
        ax.set_yscale("log")
    final = float(history["cost"][-1])
    ax.annotate(
        f"final {final:.6g}",
        xy=(iterations[-1], final),
        xytext=(-6, 8),
        textcoords="offset points",
        ha="right",
        color="tab:blue",
        bbox=_LABEL_BOX,
    )
    best = getattr(result, "best_iteration", None)
    if best is not None and "validation_cost" in history:
        best_cost = float(history["validation_cost"][best])
        ax.axvline(best, color="tab:green", linestyle=":", linewidth=1.0)
        ax.plot(
            [best],
            [best_cost],
            "o",
            color="tab:green",
            fillstyle="none",
            markersize=9,
            label=f"best (iteration {best})",
        )
        ax.annotate(
            f"best {best_cost:.6g}",
            xy=(best, best_cost),
            xytext=(6, -14),
            textcoords="offset points",
            color="tab:green",
            bbox=_LABEL_BOX,
        )
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost J" + (" (log scale)" if ax.get_yscale() == "log" else ""))
    status = getattr(result, "status", None)
    ax.set_title(title if title is not None else "Training record" + (f" ({status})" if status else ""))
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def save_figure(figure_or_ax, path: str | Path, dpi: int = 120) -> Path:
    """Write a figure (or an Axes' figure) to ``path`` atomically; the format follows the suffix."""
    figure = getattr(figure_or_ax, "figure", figure_or_ax)
    given, path = path, Path(path)  # the given path keeps a trailing "/", which atomic_write refuses
    fmt = path.suffix.lstrip(".").lower() or "png"
    supported = figure.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise LayerNetError(f"{path}: cannot write a .{fmt} image; use one of: {', '.join(sorted(supported))}")
    figure.tight_layout()
    return atomic_write(given, lambda handle: figure.savefig(handle, format=fmt, dpi=dpi))


def _indices(labels, classes) -> np.ndarray:
    from .labels import class_indices

    return class_indices(np.asarray(labels), np.asarray(classes))


# -- study figures (layernet.study) --------------------------------------------------------------


def plot_study_boundaries(fits, X, y, *, resolution: int = 120, panel_size: float = 2.3, title=None, chosen=None):
    """The blog's growing-network figure, made honest: one decision boundary per architecture.

    Rows are depths (hidden layers), columns widths (units per hidden layer). Each panel is
    titled with its configuration's *cross-validated* training and validation accuracy, so the
    panels where the boundary bends to fit single points can be seen not to generalize. All
    panels share one lambda; the green frame marks the architecture the one-standard-error rule
    picks *at that lambda* (the simplest within one standard error of this lambda's best mean),
    and a caption under the figure says so, and names the study's own choice over all lambdas
    when ``chosen`` is given.

    Parameters
    ----------
    fits : sequence of layernet.study.ArchitectureFit
        From :func:`layernet.study.fit_architectures` (networks trained at one lambda).
    X : array of shape (n_samples, 2)
        The data to draw, normally the study data the networks were trained on
        (``result.data.X_train``).
    y : array of shape (n_samples,)
    resolution : int, default 120
        Grid points per axis in each panel.
    panel_size : float, default 2.3
        Width of a panel, in inches.
    title : str, optional
        The figure's title; by default it names the lambda and the number of folds.
    chosen : layernet.study.Aggregate, optional
        The study's choice (``result.best``), named in the caption.

    Returns
    -------
    matplotlib Figure

    Raises
    ------
    LayerNetError
        ``fits`` is empty.
    DataError
        ``X`` does not have two features.
    """
    fits = list(fits)
    if not fits:
        raise LayerNetError("there are no fitted architectures to draw")
    X = check_features(X)
    if X.shape[1] != 2:
        raise DataError(f"a decision boundary is drawn over two features, but X has {X.shape[1]}")
    plt = _pyplot()
    depths = sorted({fit.depth for fit in fits})
    widths = sorted({fit.width for fit in fits})
    # At least 6 inches wide, so one or two panels still leave the caption a readable width.
    figure_width = max(panel_size * len(widths), 6.0)
    panels_height = 0.95 * panel_size * len(depths)
    figure, axes = plt.subplots(len(depths), len(widths), figsize=(figure_width, panels_height + 0.5), squeeze=False)
    for ax in axes.flat:
        ax.set_visible(False)
    best = _framed_fit(fits)
    for fit in fits:
        ax = axes[depths.index(fit.depth), widths.index(fit.width)]
        ax.set_visible(True)
        panel_title = f"{fit.depth}x{fit.width}: train {fit.train_accuracy:.2f}, val {fit.validation_accuracy:.2f}"
        plot_decision_boundary(fit.network, X, y, ax=ax, resolution=resolution, title=panel_title, legend=False)
        ax.collections[-1].set_sizes([9])  # the data points: smaller in a small panel
        ax.set_box_aspect(0.95)  # a panel's own shape, however wide the figure is for its caption
        ax.title.set_fontsize(8)
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xticks([])
        ax.set_yticks([])
        if fit is best:
            for spine in ax.spines.values():
                spine.set_edgecolor("tab:green")
                spine.set_linewidth(2.5)
    for row, depth in enumerate(depths):
        axes[row, 0].set_ylabel(f"{depth} hidden layer{'s' if depth != 1 else ''}", fontsize=9)
    for column, width in enumerate(widths):
        axes[-1, column].set_xlabel(f"{width} unit{'s' if width != 1 else ''} per layer", fontsize=9)
    if title is None:
        lambdas = _lambda_list({fit.lambda_ for fit in fits})
        folds = max(fit.n_folds for fit in fits)
        title = (
            f"Decision boundaries at lambda = {lambdas} "
            f"(trained on all study data); accuracies: mean over {folds} cross-validation folds"
        )
    # The title and the caption wrapped to the figure's width, as every other title here, and the
    # figure made tall enough for their lines (tight_layout cannot fit them into too short a one).
    width_inches = figure.get_figwidth() - 0.3
    heading = fit_text(title, width_inches, 10)
    caption = fit_text(_boundaries_caption(fits, best, chosen), width_inches, 8)
    text_height = 1.4 * (10 * (heading.count("\n") + 1) + 8 * (caption.count("\n") + 1)) / 72
    figure.set_size_inches(figure_width, panels_height + text_height + 0.5)
    figure.suptitle(heading, fontsize=10)
    # A figure-level x label, so tight_layout (here and in save_figure) leaves room for it.
    figure.supxlabel(caption, fontsize=8, x=0.01, ha="left", multialignment="left")
    figure.tight_layout()
    return figure


def _framed_fit(fits):
    """The panel the boundaries figure frames: the one-SE choice among these fits (one lambda)."""
    from .study.records import one_se_index

    scored = [fit for fit in fits if np.isfinite(fit.validation_accuracy)]
    if not scored:
        return None
    errors = [
        fit.validation_accuracy_std / np.sqrt(fit.n_folds) if fit.n_folds > 1 else np.nan for fit in scored
    ]
    simplicity = [(fit.network.n_params, fit.depth, fit.width) for fit in scored]
    return scored[one_se_index([fit.validation_accuracy for fit in scored], errors, simplicity)]


def _boundaries_caption(fits, framed, chosen) -> str:
    lambdas = _lambda_list({fit.lambda_ for fit in fits})
    text = "Panels: depth x width, cross-validated training / validation accuracy."
    if framed is not None:
        text += (
            f" Green frame: {framed.depth}x{framed.width}, the simplest architecture within one standard error "
            f"of the best mean validation accuracy at lambda = {lambdas}."
        )
    if chosen is not None:
        text += (
            f"\nThe study's choice over all its lambdas (one-standard-error rule): {chosen.depth}x{chosen.width} "
            f"at lambda = {_lambda_label(chosen)}."
        )
    return text


def plot_study_capacity(result, *, lambdas=None, panel_size: float = 3.2):
    """Training and validation accuracy against capacity, with error bars over folds.

    One panel per (lambda, depth): rows are lambdas, columns depths, the horizontal axis the
    units per hidden layer. Where the training curve keeps rising and the validation curve
    stops following it, the extra capacity is fitting noise. A green star marks the study's
    chosen configuration, a hollow circle the highest mean when that is another one.

    Parameters
    ----------
    result : layernet.study.StudyResult
    lambdas : sequence of float, optional
        The lambdas to show (rows); default all of the study's.
    panel_size : float, default 3.2
        Width of a panel, in inches.

    Returns
    -------
    matplotlib Figure
    """
    settings = result.settings
    lambdas = list(settings.lambdas) if lambdas is None else [_study_lambda(value) for value in lambdas]
    unknown = [value for value in lambdas if value not in settings.lambdas]
    if not lambdas or unknown:
        known = _lambda_list(settings.lambdas)
        raise LayerNetError(f"lambdas must be some of the study's lambdas ({known}), got {lambdas!r}")
    if not result.aggregates:
        raise LayerNetError("the study has no records to draw")
    plt = _pyplot()
    depths, widths = list(settings.depths), list(settings.widths)
    figure, axes = plt.subplots(
        len(lambdas),
        len(depths),
        figsize=(panel_size * len(depths), 0.72 * panel_size * len(lambdas) + 0.6),
        squeeze=False,
        sharex=True,
        sharey=True,
    )
    positions = np.arange(len(widths))
    for row, lambda_ in enumerate(lambdas):
        for column, depth in enumerate(depths):
            ax = axes[row, column]
            items = [result.get(depth, width, lambda_) for width in widths]
            shown = [(x, item) for x, item in zip(positions, items) if item is not None]
            if shown:
                x = np.array([position for position, _ in shown])
                for kind, style, color, label in (
                    ("train", "--", "tab:blue", "training"),
                    ("validation", "-", "tab:orange", "validation"),
                ):
                    mean = np.array([getattr(item, f"{kind}_accuracy_mean") for _, item in shown])
                    std = np.nan_to_num(np.array([getattr(item, f"{kind}_accuracy_std") for _, item in shown]))
                    ax.errorbar(
                        x, mean, yerr=std, fmt="o" + style, color=color, label=label, markersize=3.5, capsize=2.5
                    )
                for item, style in _marked(result):
                    if item.depth == depth and item.lambda_ == lambda_ and item.width in widths:
                        ax.plot(widths.index(item.width), item.validation_accuracy_mean, **style)
            shown_lambda = lambda_text(lambda_)
            ax.set_title(f"{depth} hidden layer{'s' if depth != 1 else ''}, lambda = {shown_lambda}", fontsize=9)
            ax.grid(True, alpha=0.3)
            ax.set_xticks(positions, [str(width) for width in widths])
            if column == 0:
                ax.set_ylabel("accuracy")
            if row == len(lambdas) - 1:
                ax.set_xlabel("units per hidden layer")
    handles, labels = [], []
    for ax in axes.flat:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    figure.legend(handles, labels, loc="upper right", fontsize=8, ncol=len(labels))
    figure.suptitle(
        f"Training and validation accuracy against capacity\n(mean and std over {_scores(settings)})",
        fontsize=10,
        x=0.02,
        ha="left",
    )
    figure.tight_layout(rect=(0, 0, 1, 0.97))
    return figure


def plot_study_lambda(result, *, panel_size: float = 3.8):
    """Validation accuracy against lambda, one line per width, one panel per depth.

    The lambda axis is logarithmic with a linear stretch around zero (matplotlib's ``symlog``
    with the smallest positive lambda as threshold), so an unregularized ``lambda = 0`` sits
    one decade left of the smallest positive lambda. Error bars are the standard deviation over
    folds; a green star marks the study's chosen configuration, a hollow circle the highest mean
    when that is another one.

    Parameters
    ----------
    result : layernet.study.StudyResult
    panel_size : float, default 3.8
        Width of a panel, in inches.

    Returns
    -------
    matplotlib Figure
    """
    if not result.aggregates:
        raise LayerNetError("the study has no records to draw")
    plt = _pyplot()
    settings = result.settings
    depths, widths, lambdas = list(settings.depths), list(settings.widths), list(settings.lambdas)
    figure, axes = plt.subplots(
        1, len(depths), figsize=(panel_size * len(depths) + 1.0, panel_size), squeeze=False, sharey=True
    )
    colors = plt.get_cmap("viridis")(np.linspace(0.0, 0.9, len(widths)))
    fixed = [value for value in lambdas if value != AUTO]
    # "auto" is drawn at the lambda its fits reached (mean over folds), as a hollow diamond.
    reached = [item.lambda_reached_mean for item in result.aggregates if item.lambda_ == AUTO]
    positive = [value for value in fixed + reached if value > 0]
    for column, depth in enumerate(depths):
        ax = axes[0, column]
        for width, color in zip(widths, colors):
            auto = result.get(depth, width, AUTO) if AUTO in lambdas else None
            if auto is not None:
                ax.errorbar(
                    [auto.lambda_reached_mean],
                    [auto.validation_accuracy_mean],
                    yerr=np.nan_to_num([auto.validation_accuracy_std]),
                    fmt="D",
                    color=color,
                    markerfacecolor="none",
                    markersize=6,
                    capsize=2,
                    zorder=4,
                )
            items = [item for item in (result.get(depth, width, value) for value in fixed) if item is not None]
            if not items:
                continue
            ax.errorbar(
                [item.lambda_ for item in items],
                [item.validation_accuracy_mean for item in items],
                yerr=np.nan_to_num([item.validation_accuracy_std for item in items]),
                fmt="-o",
                color=color,
                markersize=3.5,
                capsize=2,
                linewidth=1.3,
                alpha=0.9,
                label=str(width),
            )
        for item, style in _marked(result):
            if item.depth == depth:
                ax.plot(_lambda_x(item), item.validation_accuracy_mean, **style)
        if positive:
            threshold = min(positive)
            ax.set_xscale("symlog", linthresh=threshold, linscale=1.0)
            ax.set_xlim(-0.4 * threshold, max(positive) * 2.5)
        ax.set_xticks(fixed, [f"{value:g}" for value in fixed])
        ax.minorticks_off()
        ax.set_title(f"{depth} hidden layer{'s' if depth != 1 else ''}", fontsize=10)
        ax.set_xlabel("lambda (log scale; 0 at the left)")
        ax.grid(True, alpha=0.3)
    axes[0, 0].set_ylabel(f"validation accuracy (mean over {_scores(settings)})")
    handles, labels = axes[0, -1].get_legend_handles_labels()
    for ax in axes.flat[:-1]:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append(handle)
                labels.append(label)
    if reached:
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], marker="D", markerfacecolor="none", color="k", linestyle="none"))
        labels.append("auto, at the lambda reached")
    axes[0, -1].legend(
        handles, labels, title="units per layer", fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5)
    )
    figure.suptitle("Validation accuracy against lambda, per architecture", fontsize=10)
    figure.tight_layout()
    return figure


def _scores(settings) -> str:
    """``"5 folds"`` or ``"5 folds x 3 repeats"``: what a study's means are over."""
    text = f"{settings.folds} folds"
    return text + f" x {settings.repeats} repeats" if getattr(settings, "repeats", 1) > 1 else text


def _lambda_x(item) -> float:
    """Where a configuration sits on a lambda axis: its lambda, or for "auto" the mean lambda reached."""
    return item.lambda_reached_mean if item.lambda_ == AUTO else item.lambda_


def _lambda_label(item) -> str:
    """``0.1``, or ``auto (0.0123 reached)``."""
    if item.lambda_ == AUTO:
        reached = getattr(item, "lambda_reached_mean", getattr(item, "lambda_reached", float("nan")))
        return f"auto ({reached:.3g} reached)"
    return f"{item.lambda_:g}"


def _lambda_list(values) -> str:
    """The lambdas, numbers in order then "auto", comma-separated."""
    return ", ".join(lambda_text(value) for value in sorted(values, key=lambda_order))


def _study_lambda(value):
    return AUTO if is_auto(value) else float(value)


def _marked(result):
    """The study's chosen configuration and, when it differs, the best mean, with their marker styles."""
    marks = []
    if result.best is not None:
        rule = "one-SE rule" if result.rule == "one-se" else "best mean"
        marks.append(
            (
                result.best,
                dict(
                    marker="*", markersize=15, color="tab:green", markeredgecolor="k", linestyle="none",
                    zorder=5, label=f"chosen ({rule})",
                ),
            )
        )
    other = result.best_mean if result.rule == "one-se" else result.one_se
    if other is not None and result.best is not None and other.key != result.best.key:
        label = "best mean" if result.rule == "one-se" else "one-SE rule"
        marks.append(
            (
                other,
                dict(
                    marker="o", markersize=11, markerfacecolor="none", markeredgecolor="k", markeredgewidth=1.5,
                    linestyle="none", zorder=5, label=label,
                ),
            )
        )
    return marks


# -- learning and validation curves (layernet.study.learning_curve, validation_curve) ------------


def plot_learning_curve(curve, ax=None, *, metric: str = "error", title=None):
    """Training and validation error (or cost) with bands of one standard deviation over folds.

    The course's exercise-5 figure: for a learning curve the horizontal axis is the number of
    training samples, for a validation curve lambda (``symlog``: 0 at the left). The training
    error is measured on the samples trained on, the validation error on each fold's whole
    validation part. A validation curve marks the lambda the one-standard-error rule chooses.

    Parameters
    ----------
    curve : layernet.study.Curve
    ax : matplotlib Axes, optional
    metric : {"error", "cost"}, default "error"
        The misclassification rate, or the unregularized data cost.
    title : str, optional

    Returns
    -------
    matplotlib Axes
    """
    if metric not in ("error", "cost"):
        raise LayerNetError(f"metric must be 'error' or 'cost', got {metric!r}")
    if not curve.summary:
        raise LayerNetError("the curve has no points to draw")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.2))
    learning = curve.kind == "learning"
    x = np.array([item.size if learning else item.lambda_ for item in curve.summary], dtype=float)
    for kind, color, label in (("train", "tab:blue", "training"), ("validation", "tab:orange", "validation")):
        mean = np.array([getattr(item, f"{kind}_{metric}_mean") for item in curve.summary])
        std = np.nan_to_num(np.array([getattr(item, f"{kind}_{metric}_std") for item in curve.summary]))
        ax.plot(x, mean, "o-", color=color, label=label, markersize=4)
        ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
    settings = curve.settings
    scores = f"{settings['folds']} folds" + (f" x {settings['repeats']} repeats" if settings["repeats"] > 1 else "")
    what = "error (1 - accuracy)" if metric == "error" else "cost (unregularized)"
    ax.set_ylabel(what)
    architecture = "-".join(map(str, settings["layers"]))
    if learning:
        ax.set_xlabel("training samples")
        default = f"Learning curve, {architecture} network, lambda = {lambda_text(settings['lambdas'][0])}"
    else:
        positive = [value for value in x if value > 0]
        if positive:
            ax.set_xscale("symlog", linthresh=min(positive), linscale=1.0)
        ax.set_xticks(x, [f"{value:g}" for value in x])
        ax.minorticks_off()
        ax.set_xlabel("lambda (log scale; 0 at the left)")
        default = f"Validation curve, {architecture} network, {settings['sizes'][0]} training samples"
        chosen = curve.chosen_lambda
        if chosen is not None:
            ax.axvline(chosen, color="tab:green", linestyle="--", linewidth=1.2, label=f"chosen: lambda = {chosen:g}")
    ax.set_title(title or f"{default}\nmean and std over {scores}", fontsize=10)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return ax
