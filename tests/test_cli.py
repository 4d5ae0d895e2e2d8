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
            "--threads",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["architecture"] == "2-5-5-2"
    assert summary["activations"] == ["tanh", "relu", "softmax"]
    assert summary["method"] == "lbfgs" and summary["lambda"] == 0.01 and summary["seed"] == 3
    assert summary["iterations"] <= 50
    assert summary["threads"] == 2
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
        (["train", "--lambda", "-1"], "--lambda -1: training.lambda must be a finite number"),
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
    # Options given are coerced by typer as ever, though options left out skip it (common.Command).
    usage_errors = (
        ["train", "--max-iter", "many"],
        ["train", "--learning-rate", "x"],
        ["evaluate", "m.npz", "--json", "-q"],
    )
    for args in usage_errors:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
    assert "Invalid value for '--max-iter'" in runner.invoke(app, ["train", "--max-iter", "many"]).output


def _run(*args, **kwargs):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120, **kwargs)


def test_help_loads_no_heavy_modules():
    code = (
        "import sys\n"
        "from layernet_cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "for args in (['--help'], ['train', '--help'], ['gradcheck', '--help']):\n"
        "    assert CliRunner().invoke(app, args).exit_code == 0\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', 'sklearn', 'matplotlib'})\n"
        "print(','.join(heavy))\n"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_reference_train_loads_no_sklearn():
    """The whole reference run, in one process, without scikit-learn (a 2 s import) or its weight,
    nor what a run with no option given and no terminal does not need: pydantic (typer's
    coercion of options, 0.15 s) and rich's progress display."""
    code = (
        "import atexit, sys\n"
        "heavy = ('sklearn', 'pandas', 'matplotlib', 'scipy.stats', 'pydantic', 'rich.progress')\n"
        "atexit.register(lambda: print('loaded:', ','.join(m for m in heavy if m in sys.modules), file=sys.stderr))\n"
        "sys.argv = ['layernet', 'train', '--json']\n"
        "from layernet_cli import main\n"
        "main()\n"
    )
    result = _run("-c", code)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert round(summary["cost"], 6) == 0.132418
    assert (summary["iterations"], summary["evaluations"]) == (799, 2019)
    assert result.stderr.strip().splitlines()[-1] == "loaded:"


def test_python_m_layernet_cli_works_like_layernet():
    result = _run("-m", "layernet_cli", "train", "--json", "--max-iter", "3")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["iterations"] == 3


# -- issue 3: every command, files, plots, interrupts ------------------------------------------


def _png_ok(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    image = plt.imread(path)
    assert image.shape[0] > 100 and image.shape[1] > 100
    assert len(np.unique(image.reshape(-1, image.shape[2]).round(3), axis=0)) > 3


def test_train_writes_plots_and_model(tmp_path):
    import layernet as ln

    model, boundary, cost = tmp_path / "m.npz", tmp_path / "b.png", tmp_path / "c.png"
    result = runner.invoke(app, ["train", "--save", str(model), "--plot", str(boundary), "--cost-plot", str(cost)])
    assert result.exit_code == 0, result.output
    _png_ok(boundary)
    _png_ok(cost)
    net = ln.load(model)
    assert net.sizes == [2, 3, 2] and net.training_summary["status"] == "converged"
    assert f"model written to {model}" in result.output


def test_train_checks_output_paths_before_training(tmp_path):
    result = runner.invoke(app, ["train", "--save", str(tmp_path / "nope" / "m.npz")])
    assert result.exit_code == 1 and "does not exist" in result.output
    result = runner.invoke(app, ["train", "--plot", str(tmp_path)])
    assert result.exit_code == 1 and "is a directory" in result.output
    result = runner.invoke(
        app, ["train", "--plot", str(tmp_path / "b.png"), "--layers", "2,3,2"], catch_exceptions=False
    )
    assert result.exit_code == 0


def test_plot_needs_two_features(tmp_path):
    config = tmp_path / "iris.toml"
    config.write_text("[data]\nsource = 'iris'\n[network]\nlayers = [4, 3, 3]\n")
    result = runner.invoke(app, ["train", str(config), "--plot", str(tmp_path / "b.png")])
    assert result.exit_code == 1
    assert "two features; this network takes 4" in result.output


def test_init_writes_the_reference_and_refuses_to_overwrite(tmp_path):
    import layernet as ln

    path = tmp_path / "my.toml"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    assert ln.RunConfig.from_toml(path).to_dict() == ln.RunConfig.reference().to_dict()
    path.write_text("# mine\n")
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 1 and "already exists" in result.output
    assert path.read_text() == "# mine\n"
    assert runner.invoke(app, ["init", str(path), "--force"]).exit_code == 0
    assert "[training]" in path.read_text()


@pytest.fixture
def model_with_split(tmp_path):
    config = tmp_path / "split.toml"
    config.write_text("seed = 2\n[data]\ntest_size = 0.3\n[training]\nmethod = 'lbfgs'\nlambda = 0.01\n")
    model = tmp_path / "model.npz"
    assert runner.invoke(app, ["train", str(config), "--save", str(model), "--quiet"]).exit_code == 0
    return config, model


def test_evaluate_on_the_models_own_test_split(model_with_split):
    config, model = model_with_split
    result = runner.invoke(app, ["evaluate", str(model), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["n_samples"] == 60 and "test split" in report["data"]
    assert sum(map(sum, report["confusion"])) == 60
    same = json.loads(runner.invoke(app, ["evaluate", str(model), str(config), "--json"]).stdout)
    assert same["accuracy"] == report["accuracy"]
    table = runner.invoke(app, ["evaluate", str(model)])
    assert "confusion matrix" in table.output and "accuracy" in table.output


def test_evaluate_and_predict_on_csv(tmp_path, model_with_split):
    _, model = model_with_split
    labelled = tmp_path / "labelled.csv"
    labelled.write_text("x1,x2,y\n-1,0.5,0\n2,-0.2,1\n0.5,-0.4,1\n")
    result = runner.invoke(app, ["evaluate", str(model), str(labelled), "--label", "y", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n_samples"] == 3

    features = tmp_path / "features.csv"
    features.write_text("-1,0.5\n2,-0.2\n")
    result = runner.invoke(app, ["predict", str(model), str(features)])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["label", "0", "1"]
    out_path = tmp_path / "predictions.csv"
    result = runner.invoke(app, ["predict", str(model), str(features), "--proba", "-o", str(out_path)])
    assert result.exit_code == 0 and result.stdout == ""
    lines = out_path.read_text().splitlines()
    assert lines[0] == "label,p_0,p_1" and len(lines) == 3
    assert abs(sum(float(p) for p in lines[1].split(",")[1:]) - 1) < 1e-5


@pytest.mark.parametrize(
    "make_args, message",
    [
        (
            lambda tmp, model: ["predict", str(model), str(_write(tmp, "w.csv", "1,2,3\n"))],
            "has 3 column(s) but the model expects 2 feature(s)",
        ),
        (
            lambda tmp, model: ["predict", str(model), str(_write(tmp, "n.csv", "1,2\n3,x\n"))],
            "row 2, column 'column 1' is not a number: 'x'",
        ),
        (lambda tmp, model: ["predict", str(tmp / "none.npz"), str(_write(tmp, "f.csv", "1,2\n"))], "no such file"),
        (lambda tmp, model: ["show", str(_write(tmp, "fake.npz", "not a model"))], "not a layernet model file"),
        (lambda tmp, model: ["evaluate", str(model), str(_write(tmp, "l.csv", "1,2,7\n"))], "not seen in training"),
        (lambda tmp, model: ["evaluate", str(model), str(tmp / "none.toml")], "no such file"),
    ],
)
def test_model_command_errors(tmp_path, model_with_split, make_args, message):
    _, model = model_with_split
    result = runner.invoke(app, make_args(tmp_path, model))
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.output


def _write(folder, name, text):
    path = folder / name
    path.write_text(text)
    return path


def test_show_describes_the_model(model_with_split):
    _, model = model_with_split
    result = runner.invoke(app, ["show", str(model)])
    assert result.exit_code == 0
    for text in ("2-3-2", "sigmoid", "17", "lbfgs", "test accuracy", "format 1"):
        assert text in result.output


def test_gradcheck_passes_and_fails(tmp_path):
    import numpy as np

    import layernet as ln

    result = runner.invoke(app, ["gradcheck"])
    assert result.exit_code == 0, result.output
    assert "pass" in result.output and "all" in result.output
    wrong = ln.Activation("wrong_tanh_cli", np.tanh, lambda z: 1.001 * (1.0 - np.tanh(z) ** 2))
    config = tmp_path / "wrong.toml"
    config.write_text('[network]\nhidden = "wrong_tanh_cli"\n')
    try:
        ln.register_activation(wrong)
        result = runner.invoke(app, ["gradcheck", str(config), "--at", "init"])
    finally:
        ln.activations._REGISTRY.pop("wrong_tanh_cli", None)
    assert result.exit_code == 1
    assert "above the tolerance" in result.output and "FAIL" in result.output
    assert runner.invoke(app, ["gradcheck", "--tolerance", "0"]).exit_code == 1
    assert runner.invoke(app, ["gradcheck", "--at", "bogus"]).exit_code == 2


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh"])
def test_gradcheck_at_init_passes_for_the_reference_network_at_any_seed(tmp_path, hidden):
    """At the run's own random weights the course's central difference failed a correct tanh
    network in most seeds; the check must not."""
    for seed in range(6):
        config = tmp_path / f"seed{seed}.toml"
        config.write_text(f'seed = {seed}\n[network]\nhidden = "{hidden}"\n')
        result = runner.invoke(app, ["gradcheck", str(config), "--at", "init"])
        assert result.exit_code == 0, result.output
        assert "FAIL" not in result.output and result.output.count(" pass") == 3


def test_gradcheck_fails_on_a_failing_layer_under_a_passing_total(monkeypatch):
    """A 1e-6 error in the first of four sigmoid layers hides under an overall ratio below 1e-9."""
    import numpy as np

    import layernet as ln

    sigmoid = ln.get_activation("sigmoid")
    wrong = ln.Activation("sigmoid_cli", sigmoid, lambda z: sigmoid(z) * (1.0 - sigmoid(z)) * (1.0 + 1e-6))
    net = ln.Network([2, 5, 5, 5, 5, 3], hidden=[wrong] + ["sigmoid"] * 3, output="softmax").init(seed=1)
    rng = np.random.default_rng(1)
    report = ln.gradient_check(net, rng.normal(size=(16, 2)), rng.integers(0, 3, size=16))
    assert report.relative_difference < 1e-9 < report.per_layer[0]
    monkeypatch.setattr(ln.gradcheck, "check_config_gradients", lambda *args, **kwargs: (net, report))
    result = runner.invoke(app, ["gradcheck"])
    assert result.exit_code == 1
    assert "layer 1 relative difference" in result.output and "above the tolerance" in result.output
    rows = [line for line in result.output.splitlines() if "sigmoid" in line or "all" in line]
    assert "FAIL" in rows[0] and all("FAIL" not in row for row in rows[1:]), result.output


def test_interrupted_training_exits_130_and_saves(tmp_path):
    """A real Ctrl-C: the process runs in a pseudo-terminal (so the progress bar shows), gets
    SIGINT once training is under way, prints its summary, saves, and exits with 130."""
    import os
    import pty
    import select
    import signal
    import time

    import layernet as ln

    model = tmp_path / "interrupted.npz"
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "layernet_cli",
            "train",
            "--layers",
            "2,30,30,2",
            "--method",
            "gd",
            "--max-iter",
            "100000000",
            "--save",
            str(model),
        ],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        close_fds=True,
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 120
    try:
        while b"cost 0." not in seen and time.monotonic() < deadline:  # the live cost: training runs
            if select.select([master], [], [], 0.5)[0]:
                seen += os.read(master, 65536)
        assert b"cost 0." in seen, seen.decode(errors="replace")
        process.send_signal(signal.SIGINT)
        while True:
            if not select.select([master], [], [], 10)[0]:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        assert process.wait(timeout=60) == 130
    finally:
        if process.poll() is None:
            process.kill()
        os.close(master)
    assert b"interrupted" in seen
    net = ln.load(model)
    assert net.training_summary["status"] == "interrupted"


def test_train_validates_and_continues_a_saved_model(tmp_path):
    import layernet as ln

    model = tmp_path / "m.npz"  # (--cost-plot draws ln.plot_training: test_train_writes_plots_and_model)
    sets = ["--set", "data.validation_size=0.2", "--max-iter", "15", "--set", "training.patience=3"]
    result = runner.invoke(app, ["train", *sets, "--save", str(model)])
    assert result.exit_code == 0, result.output
    assert "validation accuracy" in result.output and "best iteration" in result.output
    shown = runner.invoke(app, ["show", str(model)])
    assert "validation accuracy" in shown.output and "best iteration" in shown.output
    trained = ln.load(model)
    result = runner.invoke(app, ["train", "--init-from", str(model), "--max-iter", "5", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["warm_start"] is True and summary["validation_accuracy"] is None
    result = runner.invoke(app, ["train", "--init-from", str(model), "--layers", "2,4,2"])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"error: --init-from {model}: the model is 2-3-2 (sigmoid, sigmoid) but the configuration describes "
        "2-4-2 (sigmoid, sigmoid); set network.layers, hidden and output to the model's"
    ]
    assert trained.training_summary["best_iteration"] is not None


def test_train_lambda_auto_reports_the_lambda_reached_and_the_effective_parameters(tmp_path):
    model = tmp_path / "auto.npz"
    result = runner.invoke(app, ["train", "--lambda", "auto", "--method", "lbfgs", "--json", "--save", str(model)])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["lambda_auto"] is True and summary["lambda"] > 0
    assert summary["evidence"]["settled"] is True
    assert 0 < summary["evidence"]["effective_parameters"] <= summary["n_parameters"]
    table = runner.invoke(app, ["train", "--lambda", "auto", "--method", "lbfgs"])
    assert table.exit_code == 0, table.output
    assert "lambda = auto ->" in table.output and "effective" in table.output
    import layernet as ln

    assert ln.load(model).training_summary["lambda"] == summary["lambda"]


@pytest.mark.parametrize("value", ["often", "-1"])
def test_a_lambda_that_is_neither_a_number_nor_auto_is_one_red_line(value):
    result = runner.invoke(app, ["train", "--lambda", value])
    assert result.exit_code == 1
    assert f"--lambda {value}" in result.output and "or 'auto'" in result.output
    assert "Traceback" not in result.output
