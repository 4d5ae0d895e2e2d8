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
