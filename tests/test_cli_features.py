"""Feature names on the command line: `show` lists them, `predict` and `evaluate` match CSV columns by name."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

import layernet as ln
from layernet_cli.app import app

runner = CliRunner()


@pytest.fixture
def trained(tmp_path, moons):
    X, y = moons
    X, y = X[:40], np.where(y[:40] == 1, "up", "down")
    rows = "".join(f"{float(a)!r},{kind},{float(b)!r}\n" for (a, b), kind in zip(X, y))
    (tmp_path / "train.csv").write_text("width,kind,height\n" + rows)
    config = tmp_path / "run.toml"
    config.write_text(
        f'seed = 0\n[data]\nsource = "csv"\npath = "{tmp_path / "train.csv"}"\nlabel = "kind"\ntest_size = 0\n'
        "[network]\nlayers = [2, 3, 1]\n[training]\nmax_iter = 30\n"
    )
    result = runner.invoke(app, ["train", str(config), "--quiet", "--save", str(tmp_path / "model.npz")])
    assert result.exit_code == 0, result.output
    return tmp_path / "model.npz", X, y


def test_show_lists_the_features_and_the_label_column(trained):
    result = runner.invoke(app, ["show", str(trained[0])])
    assert result.exit_code == 0, result.output
    assert "width, height" in result.output and "label column" in result.output and "kind" in result.output


def test_predict_reorders_columns_by_name_and_leaves_out_the_label(tmp_path, trained):
    model, X, y = trained
    net = ln.load(model)
    swapped = "height,kind,width\n" + "".join(f"{float(b)!r},{kind},{float(a)!r}\n" for (a, b), kind in zip(X, y))
    (tmp_path / "swapped.csv").write_text(swapped)
    result = runner.invoke(app, ["predict", str(model), str(tmp_path / "swapped.csv")])
    assert result.exit_code == 0, result.output
    assert "left out the label column 'kind'" in result.stderr
    assert result.stdout.split()[1:] == net.predict(X).tolist()  # as predicted from the trained order


def test_predict_refuses_other_names_and_reads_a_headerless_csv_by_position(tmp_path, trained):
    model, X, _ = trained
    (tmp_path / "other.csv").write_text("width,depth\n1.5,2.5\n")
    result = runner.invoke(app, ["predict", str(model), str(tmp_path / "other.csv")])
    assert result.exit_code == 1
    assert "missing 'height'; not features of the model: 'depth'" in result.output
    (tmp_path / "plain.csv").write_text("".join(f"{float(a)!r},{float(b)!r}\n" for a, b in X[:5]))
    result = runner.invoke(app, ["predict", str(model), str(tmp_path / "plain.csv")])
    assert result.exit_code == 0, result.output
    assert result.stdout.split()[1:] == ln.load(model).predict(X[:5]).tolist()


def test_evaluate_uses_the_recorded_label_column(tmp_path, trained):
    model, X, y = trained
    # The label column is in the middle, not last: only the recorded name finds it.
    result = runner.invoke(app, ["evaluate", str(model), str(tmp_path / "train.csv"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["accuracy"] == pytest.approx(float(np.mean(ln.load(model).predict(X) == y)))
