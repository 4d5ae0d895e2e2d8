"""Any configuration key from the command line: --set, --section.key, the short aliases, their errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import layernet as ln
from layernet_cli.app import app
from layernet_cli.common import toml_value
from layernet_cli.train import ALIASES

runner = CliRunner()


def _train_json(*args):
    result = runner.invoke(app, ["train", "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _saved_config(tmp_path, *args):
    model = tmp_path / "model.npz"
    result = runner.invoke(app, ["train", "--quiet", "--save", str(model), *args])
    assert result.exit_code == 0, result.output
    return ln.persistence.read_metadata(model)["training"]["config"]


def _one_red_line(result) -> str:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(
    "text, value",
    [
        ("1e-6", 1e-6),
        ("3", 3),
        ("true", True),
        ("lbfgs", "lbfgs"),
        ("[2,5,2]", [2, 5, 2]),
        ("[tanh, relu]", ["tanh", "relu"]),
        ('["tanh","relu"]', ["tanh", "relu"]),
        ("data.csv", "data.csv"),
        ("2024-01-01", "2024-01-01"),
        ("1\nmethod = 'gd'", "1\nmethod = 'gd'"),
    ],
)
def test_values_are_toml_or_else_text(text, value):
    assert toml_value(text) == value


def test_set_reaches_the_run(tmp_path):
    config = _saved_config(tmp_path, "--set", "training.tol=1e-6", "--set", "training.method=lbfgs", "--max-iter", "3")
    assert config["training"]["tol"] == 1e-6
    assert config["training"]["method"] == "lbfgs" and config["training"]["max_iter"] == 3


def test_set_any_section_and_the_seed():
    summary = _train_json(
        "--set", "network.layers=[2,5,2]", "--set", "network.hidden=tanh", "--set", "seed=7", "--max-iter", "3"
    )
    assert summary["architecture"] == "2-5-2" and summary["activations"] == ["tanh", "sigmoid"]
    assert summary["seed"] == 7 and summary["iterations"] == 3


def test_dotted_options_like_spacy():
    summary = _train_json("--training.max_iter", "3", "--network.layers=[2,4,2]", "--training.method", "lbfgs")
    assert summary["iterations"] <= 3 and summary["architecture"] == "2-4-2" and summary["method"] == "lbfgs"


def test_dotted_options_before_the_config_file(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text("seed = 1\n[network]\nlayers = [2, 6, 2]\n")
    summary = _train_json("--training.max-iter", "2", str(config))
    assert summary["iterations"] == 2 and summary["architecture"] == "2-6-2" and summary["seed"] == 1


def test_the_short_options_are_aliases(tmp_path):
    config = _saved_config(
        tmp_path, "--lambda", "0.5", "--threads", "1", "--method", "gd", "--learning-rate", "0.5", "--max-iter", "2"
    )
    assert config["training"] == {**config["training"], "lambda": 0.5, "threads": 1, "learning_rate": 0.5}
    assert set(ALIASES.values()) <= {"seed"} | {f"{s}.{k}" for s in ("network", "training") for k in _keys(s)}


def _keys(section):
    return {key for key, _, _ in getattr(ln.config, f"{section.capitalize()}Config").describe()}


@pytest.mark.parametrize(
    "args, expected",
    [
        (
            ["--set", "training.tolx=1e-6"],
            "--set training.tolx=1e-6: unknown key 'tolx' in [training] (did you mean 'tol'?)",
        ),
        (["--training.tolx", "1"], "unknown key 'tolx' in [training] (did you mean 'tol'?)"),
        (
            ["--set", "trainig.tol=1"],
            "--set trainig.tol=1: unknown key 'trainig' in the top level (did you mean 'training'?)",
        ),
        (["--set", "training.tol=-1"], "--set training.tol=-1: training.tol must be a finite number > 0"),
        (["--set", "training.method=adam"], "--set training.method=adam: training.method must be one of"),
        (["--set", "network.layers=[2]"], "--set network.layers=[2]: network.layers must be a list of at least two"),
        (["--max-iter", "0"], "--max-iter 0: training.max_iter must be an integer >= 1"),
        (["--method", "cg", "--set", "training.method=gd"], "--method cg and --set training.method=gd both set"),
        (
            ["--set", "network.layers=[2,5,5,2]", "--set", "network.hidden=[tanh]"],
            "--set network.layers=[2,5,5,2] --set network.hidden=[tanh]: network.hidden lists 1 activation(s)",
        ),
    ],
)
def test_bad_overrides_blame_the_command_line(args, expected):
    line = _one_red_line(runner.invoke(app, ["train", *args]))
    assert expected in line and "reference.toml" not in line


def test_a_file_error_still_names_the_file(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text("[training]\ntol = -1\n")
    line = _one_red_line(runner.invoke(app, ["train", str(config), "--set", "training.max_iter=3"]))
    assert "run.toml" in line and "--set" not in line


@pytest.mark.parametrize("args", [["--set", "tol"], ["--set", "a.b.c=1"], ["--training.tol"]])
def test_malformed_overrides_are_usage_errors(args):
    assert runner.invoke(app, ["train", *args]).exit_code == 2


def test_gradcheck_and_study_take_set(tmp_path):
    result = runner.invoke(app, ["gradcheck", "--set", "network.layers=[2,4,2]", "--samples", "5"])
    assert result.exit_code == 0, result.output
    assert "2 x 5" in result.output  # the output layer: 2 units, 4 inputs + bias
    result = runner.invoke(app, ["study", "--set", "training.tolx=1", "--out", str(tmp_path / "out")])
    assert "--set training.tolx=1: unknown key 'tolx'" in _one_red_line(result)


def test_train_help_lists_set_and_the_training_keys():
    result = runner.invoke(app, ["train", "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "--set training.tol=1e-6" in text and "--lambda (training.lambda)" in text
    for key, _, _ in ln.TrainOptions.describe():
        assert f"training.{key}" in text
