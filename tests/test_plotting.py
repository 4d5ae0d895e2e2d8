"""Plot helpers draw on the Axes they are given, return it, and write real images."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import layernet as ln  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def fitted(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    result = ln.train(net, X, y, lambda_=1e-3, method="lbfgs", max_iter=200)
    return net, X, y, result


def assert_real_image(path, min_colors: int = 10):
    image = plt.imread(path)
    assert image.ndim == 3 and image.shape[0] > 100 and image.shape[1] > 100
    colors = np.unique(image.reshape(-1, image.shape[2]).round(3), axis=0)
    assert len(colors) >= min_colors  # not blank


def test_decision_boundary_on_given_axes(tmp_path, fitted):
    net, X, y, _ = fitted
    fig, ax = plt.subplots()
    returned = ln.plot_decision_boundary(net, X, y, ax=ax, resolution=80)
    assert returned is ax
    assert "accuracy" in ax.get_title()
    assert len(ax.collections) >= 2  # the shaded regions and the points
    path = ln.save_figure(fig, tmp_path / "boundary.png")
    assert_real_image(path)


def test_decision_boundary_needs_two_features(fitted):
    net, X, y, _ = fitted
    with pytest.raises(ln.DataError, match="two features, but X has 3"):
        ln.plot_decision_boundary(net, np.hstack([X, X[:, :1]]), y)


def test_cost_history(tmp_path, fitted):
    *_, result = fitted
    ax = ln.plot_cost_history(result)
    line = ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_ydata(), result.cost_history)
    assert_real_image(ln.save_figure(ax, tmp_path / "cost.png"), min_colors=3)
    with pytest.raises(ValueError, match="empty"):
        ln.plot_cost_history([])


def test_save_figure_rejects_unknown_formats(tmp_path, fitted):
    *_, result = fitted
    ax = ln.plot_cost_history(result)
    with pytest.raises(ValueError, match=r"cannot write a \.xyz image"):
        ln.save_figure(ax, tmp_path / "cost.xyz")


def test_the_training_record_draws_every_series_on_a_log_axis_with_the_best_marked():
    from sklearn.datasets import make_moons

    X, y = make_moons(80, noise=0.35, random_state=3)
    net = ln.Network([2, 12, 2]).init(seed=0)
    result = ln.train(
        net, X[:50], y[:50], lambda_=0.0, max_iter=60, validation=(X[50:], y[50:]), test=(X, y), patience=4
    )
    ax = ln.plot_training(result)
    lines = {line.get_label(): line for line in ax.get_lines()}
    for label, key in (("training (regularized)", "cost"), ("validation", "validation_cost"), ("test", "test_cost")):
        np.testing.assert_array_equal(lines[label].get_xdata(), np.arange(result.iterations + 1))
        np.testing.assert_array_equal(lines[label].get_ydata(), result.history[key])
    best = result.best_iteration
    marker = lines[f"best (iteration {best})"]
    assert marker.get_xdata()[0] == best and marker.get_ydata()[0] == result.history["validation_cost"][best]
    assert ax.get_yscale() == "log"
    texts = [text.get_text() for text in ax.texts]
    assert f"final {result.history['cost'][-1]:.6g}" in texts
    assert "early_stopped" in ax.get_title()
    plt.close(ax.figure)


def test_a_training_record_without_validation_draws_the_cost_alone(moons):
    X, y = moons
    result = ln.train(ln.Network([2, 3, 2]).init(seed=0), X, y, max_iter=10)
    ax = ln.plot_training(result)
    assert [line.get_label() for line in ax.get_lines()] == ["training (regularized)"]
    assert ax.get_yscale() == "log"
    plt.close(ax.figure)
    with pytest.raises(ln.LayerNetError, match="training made no iteration"):
        ln.plot_training([])


def _inside(figure, *artists) -> bool:
    """Whether every artist as drawn lies wholly inside the figure (nothing clipped at its edges)."""
    figure.canvas.draw()
    renderer, whole = figure.canvas.get_renderer(), figure.bbox
    boxes = [artist.get_window_extent(renderer) for artist in artists]
    return all(b.x0 >= whole.x0 and b.x1 <= whole.x1 and b.y0 >= whole.y0 and b.y1 <= whole.y1 for b in boxes)


def test_boundary_legend_axes_test_points_and_accuracies(fitted):
    from sklearn.metrics import accuracy_score

    net, X, y, _ = fitted
    X_train, y_train, X_test, y_test = X[:150], y[:150], X[150:], y[150:]
    ax = ln.plot_decision_boundary(
        net, X_train, y_train, X_test=X_test, y_test=y_test, feature_names=["width", "height"], resolution=40
    )
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == [f"class {c}" for c in np.unique(y)] + ["training", "test"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("width", "height")
    hollow = ax.collections[-1]
    assert len(hollow.get_offsets()) == len(X_test) and len(hollow.get_facecolors()) == 0
    title = ax.get_title()
    assert f"training accuracy {accuracy_score(y_train, net.predict(X_train)):.3f}" in title
    assert f"test accuracy {accuracy_score(y_test, net.predict(X_test)):.3f}" in title


def test_boundary_legend_names_named_classes(moons):
    X, y = moons
    names = np.array(["left", "right"])[y]
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, names, method="lbfgs", max_iter=5)
    ax = ln.plot_decision_boundary(net, X, names, resolution=20)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["left", "right"]


def test_a_deep_networks_title_fits(moons):
    X, y = moons
    net = ln.Network([2, *[50] * 10, 2]).init(seed=0)
    ax = ln.plot_decision_boundary(net, X, y, resolution=20)
    assert "2-10x50-2" in ax.get_title()
    assert _inside(ax.figure, ax.title)


def test_the_study_boundaries_title_fits(moons):
    from types import SimpleNamespace

    X, y = moons
    fits = [
        SimpleNamespace(
            depth=depth,
            width=width,
            lambda_=1e-3,
            n_folds=5,
            train_accuracy=0.9,
            validation_accuracy=0.8,
            validation_accuracy_std=0.02,
            network=ln.Network([2, *[width] * depth, 2]).init(seed=0),  # drawn untrained: only titles matter
        )
        for depth in (1, 2, 3)
        for width in (1, 3, 5)
    ]
    figure = ln.plotting.plot_study_boundaries(fits, X[:20], y[:20], resolution=4)
    assert _inside(figure, figure._suptitle, *(ax.title for ax in figure.axes))
