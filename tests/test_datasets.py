"""Data sources and CSV reading, with errors that name the row and column."""

from __future__ import annotations

import numpy as np
import pytest

from layernet import DataError
from layernet.datasets import load, make_blobs, make_circles, make_moons, read_csv, read_features_csv, split


def test_moons_from_a_stream_match_sklearn():
    from sklearn.datasets import make_moons

    data = load("moons", rng=np.random.RandomState(0))
    X, y = make_moons(200, noise=0.2, random_state=np.random.RandomState(0))
    np.testing.assert_array_equal(data.X, X)
    np.testing.assert_array_equal(data.y, y)


SEEDS = range(50)
SIZES = (1, 2, 3, 10, 99, 200, 1001)


def _same_draws(ours, theirs, seed):
    """Both generators on one fresh RandomState(seed): same X and y bit for bit, same state after."""
    mine, sklearns = np.random.RandomState(seed), np.random.RandomState(seed)
    (X1, y1), (X2, y2) = ours(mine), theirs(sklearns)
    assert X1.dtype == X2.dtype and y1.dtype == y2.dtype
    np.testing.assert_array_equal(X1, X2, strict=True)
    np.testing.assert_array_equal(y1, y2, strict=True)
    # The stream goes on where scikit-learn's leaves it: a run draws its weights next.
    np.testing.assert_array_equal(mine.uniform(size=5), sklearns.uniform(size=5), strict=True)


@pytest.mark.parametrize("noise", [0.0, 0.2, 1.5, None])
def test_make_moons_draws_as_sklearn(noise):
    from sklearn import datasets

    for seed in SEEDS:
        for n in SIZES:
            _same_draws(
                lambda rs, n=n: make_moons(n, noise, rs),
                lambda rs, n=n: datasets.make_moons(n, noise=noise, random_state=rs),
                seed,
            )


@pytest.mark.parametrize("noise", [0.0, 0.3])
def test_make_circles_draws_as_sklearn(noise):
    from sklearn import datasets

    for seed in SEEDS:
        for n in SIZES:
            _same_draws(
                lambda rs, n=n: make_circles(n, noise, 0.5, rs),
                lambda rs, n=n: datasets.make_circles(n, noise=noise, factor=0.5, random_state=rs),
                seed,
            )


@pytest.mark.parametrize(("n_features", "centers", "std"), [(2, 2, 1.0), (3, 5, 0.005), (1, 3, 2.5)])
def test_make_blobs_draws_as_sklearn(n_features, centers, std):
    from sklearn import datasets

    for seed in SEEDS:
        for n in SIZES:
            _same_draws(
                lambda rs, n=n: make_blobs(n, n_features, centers, std, rs),
                lambda rs, n=n: datasets.make_blobs(
                    n, n_features=n_features, centers=centers, cluster_std=std, random_state=rs
                ),
                seed,
            )


def test_generated_sources_seed_like_sklearn():
    """An int seeds a new RandomState; None draws from numpy's global one, as check_random_state does."""
    from sklearn.datasets import make_moons as sklearn_moons

    np.testing.assert_array_equal(load("moons", rng=7).X, sklearn_moons(200, noise=0.2, random_state=7)[0])
    state = np.random.get_state()  # noqa: NPY002 - the global stream is what None means
    ours = load("moons", rng=None).X
    np.random.set_state(state)  # noqa: NPY002
    np.testing.assert_array_equal(ours, sklearn_moons(200, noise=0.2, random_state=None)[0])
    with pytest.raises(ValueError, match="cannot be used to seed"):
        load("moons", rng="seed")


def test_reference_stream_draws_data_then_weights_as_with_sklearn():
    """The reference run's one stream: the data, then the weights, exactly as with make_moons."""
    from sklearn.datasets import make_moons as sklearn_moons

    import layernet as ln

    ours = np.random.RandomState(0)
    data = load("moons", rng=ours)
    theirs = np.random.RandomState(0)
    X, _ = sklearn_moons(200, noise=0.2, random_state=theirs)
    np.testing.assert_array_equal(data.X, X)
    a = ln.Network([2, 3, 2]).init(rng=ours).theta
    b = ln.Network([2, 3, 2]).init(rng=theirs).theta
    np.testing.assert_array_equal(a, b)


def test_csv_with_header_and_named_label(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("a,b,kind\n1,2,cat\n3,4.5,dog\n\n5,6,cat\n")
    data = read_csv(path, label="kind")
    np.testing.assert_array_equal(data.X, [[1, 2], [3, 4.5], [5, 6]])
    assert list(data.y) == ["cat", "dog", "cat"]
    assert data.feature_names == ["a", "b"] and data.label_name == "kind"


def test_csv_without_header_label_by_index(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("0,1.5,2\n1,2.5,3\n0,3.5,4\n")
    data = read_csv(path, label=0)
    np.testing.assert_array_equal(data.X, [[1.5, 2], [2.5, 3], [3.5, 4]])
    assert data.y.dtype.kind == "i" and list(data.y) == [0, 1, 0]


def test_headerless_csv_with_text_labels(tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("1,2,yes\n3,4,no\n")
    data = read_csv(path)
    assert data.n_samples == 2 and list(data.y) == ["yes", "no"]


@pytest.mark.parametrize(
    "text, label, message",
    [
        ("a,b,y\n1,2,0\n3,x,1\n", -1, r"row 3, column 'b' is not a number: 'x'"),
        ("a,b,y\n1,2,0\n3,,1\n", -1, r"row 3, column 'b' is empty"),
        ("a,b,y\n1,2,0\n3,4\n", -1, "row 3 has 2 cells, expected 3"),
        ("a,b,y\n1,2,0\n", "z", "no column named 'z'; columns: a, b, y"),
        ("1,2,0\n", 5, "label column 5 is out of range for 3 columns"),
        ("a,b,y\n", -1, "header but no data rows"),
        ("", -1, "holds no rows"),
        ("a,b,y\n1,2,\n", -1, "the label is missing"),
        ("a,b,y\n1,inf,0\n", -1, "is not finite"),
    ],
)
def test_csv_errors(tmp_path, text, label, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(DataError, match=message):
        read_csv(path, label=label)


def test_missing_csv(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        read_csv(tmp_path / "none.csv")


def test_features_csv_checks_the_width(tmp_path):
    path = tmp_path / "features.csv"
    path.write_text("x1,x2\n1,2\n3,4\n")
    X, names = read_features_csv(path, n_features=2)
    assert X.shape == (2, 2) and names == ["x1", "x2"]
    with pytest.raises(DataError, match="has 2 column.*expects 3 feature"):
        read_features_csv(path, n_features=3)


def test_split_is_stratified_and_zero_keeps_everything():
    data = load("moons", rng=np.random.RandomState(1))
    X_train, X_test, y_train, y_test = split(data, 0.0)
    assert len(X_train) == 200 and len(X_test) == 0
    X_train, X_test, y_train, y_test = split(data, 0.3, rng=np.random.RandomState(0))
    assert len(X_test) == 60 and abs(y_test.mean() - 0.5) < 0.05


def test_unknown_source():
    with pytest.raises(DataError, match="unknown data source 'mnist'"):
        load("mnist")
