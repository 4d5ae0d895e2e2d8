"""Figures: decision boundaries and cost curves (matplotlib, imported here and only here).

Every helper draws on an ``ax`` it is given (or a new one), returns it, and never shows it;
:func:`save_figure` writes a figure atomically.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .errors import DataError, LayerNetError
from .persistence import atomic_write
from .validation import check_features

__all__ = ["plot_decision_boundary", "plot_cost_history", "save_figure"]


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
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "png"
    supported = figure.canvas.get_supported_filetypes()
    if fmt not in supported:
        raise LayerNetError(f"{path}: cannot write a .{fmt} image; use one of: {', '.join(sorted(supported))}")
    figure.tight_layout()
    return atomic_write(path, lambda handle: figure.savefig(handle, format=fmt, dpi=dpi))


def _indices(labels, classes) -> np.ndarray:
    from .labels import class_indices

    return class_indices(np.asarray(labels), np.asarray(classes))
