"""The `layernet` command line: train on the reference, JSON output, errors, light help."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from layernet_cli.app import app

runner = CliRunner()


def test_train_without_arguments_reproduces_the_reference():
    result = runner.invoke(app, ["train"])
    assert result.exit_code == 0, result.output
    assert "2-3-2" in result.output
    assert "0.1324" in result.output
    assert "98.0 %" in result.output
    assert "converged" in result.output


def test_train_json_prints_only_the_summary():
    result = runner.invoke(app, ["train", "--json"])
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    required = {
        "cost",
        "train_accuracy",
        "test_accuracy",
        "iterations",
        "evaluations",
        "seconds",
        "converged",
        "status",
        "message",
    }
    assert required <= set(summary)
    assert round(summary["cost"], 4) == 0.1324
    assert summary["train_accuracy"] == 0.98
    assert summary["test_accuracy"] is None
    assert summary["status"] == "converged" and summary["converged"] is True


def test_options_override_the_config(tmp_path):
    config = tmp_path / "run.toml"
    config.write_text("seed = 1\n[data]\ntest_size = 0.25\n[training]\nmethod = 'cg'\n")
    result = runner.invoke(
        app,
        [
            "train",
            str(config),
            "--layers",
            "2,5,5,2",
            "--hidden",
            "tanh,relu",
            "--output",
            "softmax",
            "--lambda",
            "0.01",
            "--method",
            "lbfgs",
            "--max-iter",
            "50",
            "--seed",
            "3",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["architecture"] == "2-5-5-2"
    assert summary["activations"] == ["tanh", "relu", "softmax"]
    assert summary["method"] == "lbfgs" and summary["lambda"] == 0.01 and summary["seed"] == 3
    assert summary["iterations"] <= 50
    assert 0 <= summary["test_accuracy"] <= 1


def test_quiet_prints_nothing():
    result = runner.invoke(app, ["train", "--quiet", "--max-iter", "5"])
    assert result.exit_code == 0
    assert result.output == ""


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "missing.toml"], "missing.toml: no such file"),
        (["train", "--layers", "3,3,2"], "starts with 3 input"),
        (["train", "--hidden", "swish"], "unknown activation 'swish'"),
        (["train", "--method", "adam"], "training.method must be one of"),
        (["train", "--lambda", "-1"], "training.lambda must be a number"),
        (["train", "--max-iter", "0"], "training.max_iter must be an integer >= 1"),
    ],
)
def test_user_errors_are_one_red_line_and_exit_1(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.output


def test_bad_toml_names_file_and_line(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[training]\nlambda = = 1\n")
    result = runner.invoke(app, ["train", str(config)])
    assert result.exit_code == 1
    assert "bad.toml" in result.output and "line 2" in result.output


def test_usage_errors_exit_2():
    assert runner.invoke(app, ["train", "--layers", "2,a"]).exit_code == 2
    assert runner.invoke(app, ["train", "--bogus"]).exit_code == 2


def _run(*args, **kwargs):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, **kwargs)


def test_help_loads_no_heavy_modules():
    code = (
        "import sys\n"
        "from layernet_cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "for args in (['--help'], ['train', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'sklearn', 'matplotlib'})\n"
        "print(','.join(heavy))\n"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_python_m_layernet_cli_works_like_layernet():
    result = _run("-m", "layernet_cli", "train", "--json", "--max-iter", "3")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["iterations"] == 3
