"""Feature and label names: recorded from named data, saved, and matched by name on new data."""

from __future__ import annotations

import json

import numpy as np
import pytest

import layernet as ln
from layernet.datasets import read_csv, read_features
from layernet.features import check_feature_names, match_columns


@pytest.fixture
def named(xor):
    pd = pytest.importorskip("pandas")
    X, y = xor
    return pd.DataFrame({"b": X[:, 0], "a": X[:, 1]}), pd.Series(y, name="kind")


def test_training_on_a_dataframe_records_the_names_and_a_model_file_keeps_them(tmp_path, named):
    X, y = named
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, y, max_iter=3)
    assert net.feature_names == ["b", "a"] and net.label_name == "kind"
    ln.save(net, tmp_path / "m.npz")
    loaded = ln.load(tmp_path / "m.npz")
    assert loaded.feature_names == ["b", "a"] and loaded.label_name == "kind"
    assert loaded.copy().feature_names == ["b", "a"]
    ln.train(net, X.to_numpy(), y.to_numpy(), max_iter=3)  # retrained on plain arrays: names forgotten
    assert net.feature_names is None and net.label_name is None


def test_the_estimator_gives_its_network_the_dataframes_names(named):
    X, y = named
    clf = ln.LayerNetClassifier(max_iter=200, random_state=0).fit(X, y)
    assert clf.network_.feature_names == list(clf.feature_names_in_) == ["b", "a"]


def test_columns_are_matched_by_name_and_the_label_left_out():
    assert match_columns(["kind", "a", "b"], ["b", "a"], "kind") == ([2, 1], "kind")
    assert match_columns(["a", "b"], ["b", "a"], "kind") == ([1, 0], None)
    with pytest.raises(
        ln.DataError, match=r"missing 'b'; not features of the model: 'c'\); the model's features: 'b', 'a'"
    ):
        match_columns(["a", "c"], ["b", "a"], source="x.csv")


def test_a_csv_with_swapped_columns_predicts_what_the_trained_order_does(tmp_path, xor):
    X, y = xor
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, y, max_iter=20)
    net.feature_names, net.label_name = ["b", "a"], "kind"
    (tmp_path / "swapped.csv").write_text("kind,a,b\n" + "".join(f"{t},{q},{p}\n" for (p, q), t in zip(X, y)))
    swapped, dropped = read_features(tmp_path / "swapped.csv", 2, feature_names=net.feature_names, label_name="kind")
    assert dropped == "kind"
    np.testing.assert_array_equal(swapped, X)
    np.testing.assert_array_equal(net.predict(swapped), net.predict(X))
    data = read_csv(tmp_path / "swapped.csv", label="kind", feature_names=net.feature_names)
    np.testing.assert_array_equal(data.X, X)
    (tmp_path / "plain.csv").write_text("".join(f"{q},{p}\n" for p, q in X + 0.5))
    by_position, dropped = read_features(tmp_path / "plain.csv", 2, feature_names=net.feature_names)
    np.testing.assert_array_equal(by_position, (X + 0.5)[:, ::-1])
    assert dropped is None


def test_names_are_checked_when_set_and_when_read(tmp_path):
    net = ln.Network([2, 2])
    with pytest.raises(ln.LayerNetError, match="name all 2 feature"):
        net.feature_names = ["a"]
    with pytest.raises(ln.LayerNetError, match="repeated: 'a'"):
        check_feature_names(["a", "a"], 2)
    with pytest.raises(ln.LayerNetError, match="at most 1000 characters"):
        net.label_name = "x" * 1001
    ln.save(net.init(seed=0), tmp_path / "m.npz")
    # A crafted metadata record: three names for a network of two features.
    with np.load(tmp_path / "m.npz") as archive:
        arrays = dict(archive)
    metadata = json.loads(str(arrays["metadata"]))
    metadata["features"] = {"names": ["a", "b", "c"], "label": None}
    arrays["metadata"] = np.array(json.dumps(metadata))
    np.savez(tmp_path / "crafted.npz", **arrays)
    with pytest.raises(ln.ModelFileError, match=r"crafted.npz: feature names must name all 2 feature\(s\)"):
        ln.load(tmp_path / "crafted.npz")


def test_names_that_cannot_be_matched_are_not_recorded(xor):
    pd = pytest.importorskip("pandas")
    X, y = xor
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, pd.DataFrame(X, columns=["a", "a"]), pd.Series(y, name="x" * 1001), max_iter=3)
    assert net.feature_names is None and net.label_name is None  # repeated, too long: by position
    ln.train(net, pd.DataFrame(X), y, max_iter=3)  # integer column names are no names
    assert net.feature_names is None
