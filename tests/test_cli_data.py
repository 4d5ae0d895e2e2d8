"""Data from the command line (--data, --label), class names, and the options that would do nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.datasets import load_iris
from typer.testing import CliRunner

import layernet as ln
from layernet_cli.app import app

runner = CliRunner()


def _one_red_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def _train_json(*args):
    result = runner.invoke(app, ["train", "--json", "--method", "lbfgs", "--max-iter", "3", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.fixture
def labelled_csv(tmp_path):
    """Three features, the label ("kind", text) in the second column, 12 rows of 3 classes."""
    rng = np.random.default_rng(0)
    path = tmp_path / "points.csv"
    rows = ["a,kind,b,c"]
    for i in range(12):
        a, b, c = rng.normal(size=3)
        rows.append(f"{a:.4f},{['red', 'green', 'blue'][i % 3]},{b:.4f},{c:.4f}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_a_built_in_source_sizes_the_network():
    X, y = load_iris(return_X_y=True)  # the oracle: scikit-learn's own iris
    summary = _train_json("--data", "iris")
    assert summary["architecture"] == f"{X.shape[1]}-3-{len(np.unique(y))}"
    assert summary["data"] == "iris" and summary["n_train"] == len(y)


def test_iris_carries_its_species_names():
    bunch = load_iris()
    summary = _train_json("--data", "iris")
    assert summary["classes"] == sorted(bunch.target_names.tolist())
    result = runner.invoke(app, ["train", "--data", "iris", "--method", "lbfgs", "--max-iter", "3"])
    assert "setosa, versicolor, virginica" in result.output
    # Each sample's label is the species scikit-learn names for its target.
    assert (ln.datasets.load("iris").y == bunch.target_names[bunch.target]).all()


def test_a_csv_with_its_label_column_by_name_and_by_index(labelled_csv):
    by_name = _train_json("--data", str(labelled_csv), "--label", "kind")
    by_index = _train_json("--data", str(labelled_csv), "--label", "1")
    assert by_name["architecture"] == by_index["architecture"] == "3-3-3"
    assert by_name["classes"] == ["blue", "green", "red"] and by_name["cost"] == by_index["cost"]


def test_layers_given_on_the_command_line_are_kept(labelled_csv):
    summary = _train_json("--data", str(labelled_csv), "--label", "kind", "--layers", "3,5,5,3")
    assert summary["architecture"] == "3-5-5-3"
    line = _one_red_line(runner.invoke(app, ["train", "--data", "iris", "--layers", "2,3,3"]))
    assert "network.layers starts with 2 input(s) but the iris data has 4 feature(s)" in line


def test_gradcheck_and_study_take_data(tmp_path, labelled_csv):
    result = runner.invoke(app, ["gradcheck", "--data", str(labelled_csv), "--label", "kind", "--samples", "4"])
    assert result.exit_code == 0, result.output
    assert "3 x 4" in result.output  # the output layer: 3 classes, 3 hidden units + bias
    args = ["--depths", "1", "--widths", "2", "--lambdas", "0", "--folds", "2", "--n-jobs", "1", "-q"]
    result = runner.invoke(
        app, ["study", "--data", "iris", "--set", "training.max_iter=5", *args, "--out", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    assert "capacity.png" in {path.name for path in (tmp_path / "s").iterdir()}


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--data", "nope"], "--data nope: no such file, and not a built-in source (moons, circles, blobs,"),
        (["--data", "missing.csv"], "missing.csv: no such file"),
        (["--data", "iris", "--label", "2"], "--label 2: names a CSV column, but the data is the built-in source"),
        (["--hidden", "tanh,relu"], "--hidden tanh,relu: network.hidden lists 2 activation(s) for 1 hidden layer"),
        (["--hidden", "softplus"], "--hidden softplus: network.hidden: unknown activation 'softplus'; hidden "),
        (["--hidden", "softmax"], "--hidden softmax: network.hidden: 'softmax' belongs on the output layer only"),
        (["--learning-rate", "0.1"], "--learning-rate 0.1: training.learning_rate is used by method gd only"),
        (["--set", "training.momentum=0.5", "--method", "lbfgs"], "method gd only, and this run's method is lbfgs"),
    ],
)
def test_errors_name_what_was_typed(args, expected):
    line = _one_red_line(runner.invoke(app, ["train", *args]))
    assert expected in line and "reference.toml" not in line


def test_the_hidden_activations_listed_are_those_valid_there():
    line = _one_red_line(runner.invoke(app, ["train", "--hidden", "softplus"]))
    listed = line.rsplit("hidden activations: ", 1)[1].split(", ")
    hidden = [name for name in ln.available_activations() if not ln.get_activation(name).output_only]
    assert listed == hidden and "softmax" not in listed


def test_learning_rate_with_gd_is_used():
    summary = _train_json("--method", "gd", "--learning-rate", "0.5")
    assert summary["method"] == "gd"


def test_json_with_quiet_is_a_usage_error():
    result = runner.invoke(app, ["train", "--json", "--quiet"])
    assert result.exit_code == 2 and "--json prints only the JSON summary and --quiet prints nothing" in result.output


@pytest.mark.parametrize("name", ["points.csv", "points.txt"])
def test_a_csv_where_a_config_is_expected_says_how(tmp_path, name):
    path = tmp_path / name
    path.write_text("a,b,label\n1,2,0\n2,1,1\n")
    line = _one_red_line(runner.invoke(app, ["train", str(path)]))
    assert f"--data {path}" in line
