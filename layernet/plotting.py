"""Figures: decision boundaries and cost curves (matplotlib, imported here and only here).

Every helper draws on an ``ax`` it is given (or a new one), returns it, and never shows it;
:func:`save_figure` writes a figure atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DataError, LayerNetError
from .validation import check_features
from .writing import atomic_write

__all__ = [
    "plot_decision_boundary",
    "plot_cost_history",
    "save_figure",
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


def plot_decision_boundary(net, X, y=None, ax=None, *, resolution: int = 300, margin: float = 0.5, title=None):
    """Shade the class the network predicts over the plane, with the data on top (as the blog did).

    Parameters
    ----------
    net : Network
        A network on two raw features (its scaler, if any, is applied as usual).
    X : array of shape (n_samples, 2)
    y : array of shape (n_samples,), optional
        Colours the points by class.
    ax : matplotlib Axes, optional
    resolution : int, default 300
        Grid points per axis.
    margin : float, default 0.5
        Space around the data, in feature units (the blog's 0.5).

    Returns
    -------
    matplotlib Axes

    Raises
    ------
    DataError
        ``X`` does not have exactly two features: a decision boundary is drawn in the plane of
        two features, and layernet does not project more onto two.
    """
    X = check_features(X)
    if X.shape[1] != 2:
        raise DataError(f"a decision boundary is drawn over two features, but X has {X.shape[1]}")
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4.5))
    (x_min, y_min), (x_max, y_max) = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    classes = net._class_labels()
    predicted = _indices(net.predict(grid), classes).reshape(xx.shape)
    # One colour per class, the same for the shaded region and the points of that class.
    colors = plt.get_cmap("Spectral")(np.linspace(0.1, 0.9, max(len(classes), 2)))[: len(classes)]
    ax.contourf(xx, yy, predicted, levels=np.arange(len(classes) + 1) - 0.5, colors=colors, alpha=0.45)
    if y is not None:
        index = _indices(np.asarray(y), classes)
        point_colors = np.where(index[:, None] >= 0, colors[np.clip(index, 0, None)], [0.5, 0.5, 0.5, 1.0])
        ax.scatter(X[:, 0], X[:, 1], c=point_colors, s=30, edgecolors="k", linewidths=0.6)
    else:
        ax.scatter(X[:, 0], X[:, 1], s=30, c="k")
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    if title is None:
        hidden = "-".join(map(str, net.sizes))
        title = f"Decision boundary, {hidden} network"
        if y is not None:
            title += f" (accuracy {np.mean(net.predict(X) == y):.3f})"
    ax.set_title(title)
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
    figure, axes = plt.subplots(
        len(depths),
        len(widths),
        figsize=(panel_size * len(widths), 0.95 * panel_size * len(depths) + 0.5),
        squeeze=False,
    )
    for ax in axes.flat:
        ax.set_visible(False)
    best = _framed_fit(fits)
    for fit in fits:
        ax = axes[depths.index(fit.depth), widths.index(fit.width)]
        ax.set_visible(True)
        panel_title = f"{fit.depth}x{fit.width}: train {fit.train_accuracy:.2f}, val {fit.validation_accuracy:.2f}"
        plot_decision_boundary(fit.network, X, y, ax=ax, resolution=resolution, title=panel_title)
        ax.collections[-1].set_sizes([9])  # the data points: smaller in a small panel
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
        lambdas = sorted({fit.lambda_ for fit in fits})
        folds = max(fit.n_folds for fit in fits)
        title = (
            f"Decision boundaries at lambda = {', '.join(f'{value:g}' for value in lambdas)} "
            f"(trained on all study data); accuracies: mean over {folds} cross-validation folds"
        )
    import textwrap

    width_inches = figure.get_size_inches()[0]
    # About 15 characters per inch at 8-10 points: wrap the title and the caption to the figure.
    title = "\n".join(textwrap.wrap(title, max(30, int(width_inches * 13))))
    figure.suptitle(title, fontsize=10)
    caption = "\n".join(
        textwrap.fill(part, max(40, int(width_inches * 16)))
        for part in _boundaries_caption(fits, best, chosen).split("\n")
    )
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
    lambdas = ", ".join(f"{value:g}" for value in sorted({fit.lambda_ for fit in fits}))
    text = "Panels: depth x width, cross-validated training / validation accuracy."
    if framed is not None:
        text += (
            f" Green frame: {framed.depth}x{framed.width}, the simplest architecture within one standard error "
            f"of the best mean validation accuracy at lambda = {lambdas}."
        )
    if chosen is not None:
        text += (
            f"\nThe study's choice over all its lambdas (one-standard-error rule): {chosen.depth}x{chosen.width} "
            f"at lambda = {chosen.lambda_:g}."
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
    lambdas = list(settings.lambdas) if lambdas is None else [float(value) for value in lambdas]
    unknown = [value for value in lambdas if value not in settings.lambdas]
    if not lambdas or unknown:
        known = ", ".join(f"{value:g}" for value in settings.lambdas)
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
            ax.set_title(f"{depth} hidden layer{'s' if depth != 1 else ''}, lambda = {lambda_:g}", fontsize=9)
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
    positive = [value for value in lambdas if value > 0]
    for column, depth in enumerate(depths):
        ax = axes[0, column]
        for width, color in zip(widths, colors):
            items = [item for item in (result.get(depth, width, value) for value in lambdas) if item is not None]
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
                ax.plot(item.lambda_, item.validation_accuracy_mean, **style)
        if positive:
            threshold = min(positive)
            ax.set_xscale("symlog", linthresh=threshold, linscale=1.0)
            ax.set_xlim(-0.4 * threshold, max(positive) * 2.5)
        ax.set_xticks(lambdas, [f"{value:g}" for value in lambdas])
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
        default = f"Learning curve, {architecture} network, lambda = {settings['lambdas'][0]:g}"
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
