"""`layernet study`: the table, the files, resume, refusals, Ctrl-C, Dask, light help."""

from __future__ import annotations

import json
import subprocess
import sys

import matplotlib
import numpy as np
import pytest
from typer.testing import CliRunner

import layernet.study as study
from layernet.study import execution
from layernet_cli.app import app

matplotlib.use("Agg")

runner = CliRunner()
GRID = ["--depths", "1,2", "--widths", "1,3", "--lambdas", "0,0.1", "--folds", "2"]
N_FITS = 16


@pytest.fixture
def config(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text("seed = 3\n[data]\nn_samples = 100\n[training]\nmax_iter = 30\n")
    return path


def _study(config, out, *extra):
    return runner.invoke(app, ["study", str(config), *GRID, "--n-jobs", "1", "--out", str(out), *extra])


def _rows(path):
    text = path.read_text()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines[0] == ",".join(study.RECORD_COLUMNS)
    return lines[1:]


def _png_ok(path):
    import matplotlib.pyplot as plt

    image = plt.imread(path)
    assert image.shape[0] > 200 and image.shape[1] > 200
    assert len(np.unique(image.reshape(-1, image.shape[2]).round(3), axis=0)) > 10


def test_study_writes_records_summary_and_figures(tmp_path, config):
    out = tmp_path / "out"
    result = _study(config, out, "--top", "3")
    assert result.exit_code == 0, result.output
    words = " ".join(result.output.split())  # the title wraps at the terminal's width
    assert "best 3 of 8 configurations by mean validation accuracy, 2-fold cross-validation on 70 samples" in words
    summary = json.loads((out / "summary.json").read_text())
    best, refit = summary["best"], summary["refit"]
    assert f"test accuracy {100 * refit['test_accuracy']:.1f} % on 30 held-out samples" in result.output
    assert f"lambda = {best['lambda']:g}" in result.output
    table_row = [line for line in result.output.splitlines() if line.rstrip().endswith(("chosen", "both"))][0]
    assert f"{100 * best['validation_accuracy_mean']:.1f} ±" in table_row
    written = "wrote results.csv (16 fits), summary.json, best.npz, boundaries.png, capacity.png, lambda.png"
    assert written in result.output

    rows = _rows(out / "results.csv")
    assert len(rows) == N_FITS and len({tuple(row.split(",")[:5]) for row in rows}) == N_FITS
    assert summary["n_recorded"] == N_FITS and summary["settings"]["widths"] == [1, 3]
    for name in ("boundaries.png", "capacity.png", "lambda.png"):
        _png_ok(out / name)


def test_running_again_resumes_and_runs_nothing_new(tmp_path, config, monkeypatch):
    out = tmp_path / "out"
    assert _study(config, out, "--quiet").exit_code == 0
    before = (out / "results.csv").read_text()
    calls = []
    real = execution._fit
    monkeypatch.setattr(execution, "_fit", lambda task: calls.append(task.fold) or real(task))
    result = _study(config, out)
    assert result.exit_code == 0, result.output
    assert "results.csv (16 fits, 16 of them from an earlier run)" in result.output
    assert all(fold is None for fold in calls)  # only the refit and the boundary networks
    assert (out / "results.csv").read_text() == before


def test_ctrl_c_exits_130_with_a_valid_partial_csv(tmp_path, config, monkeypatch):
    out = tmp_path / "out"
    real = execution._fit
    calls = []

    def interrupted_fourth(task):
        calls.append(task)
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(execution, "_fit", interrupted_fourth)
    result = _study(config, out)
    assert result.exit_code == 130
    assert f"interrupted: 3 of 16 fits are saved in {out / 'results.csv'}; run the same command again" in result.output
    assert len(_rows(out / "results.csv")) == 3
    assert not (out / "summary.json").exists()

    monkeypatch.setattr(execution, "_fit", real)
    result = _study(config, out, "--quiet")
    assert result.exit_code == 0 and result.output == ""
    assert len(_rows(out / "results.csv")) == N_FITS


def test_a_folder_with_another_study_is_refused_unless_forced(tmp_path, config):
    out = tmp_path / "out"
    assert _study(config, out, "--quiet").exit_code == 0
    result = runner.invoke(app, ["study", str(config), *GRID[:-1], "3", "--n-jobs", "1", "--out", str(out)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert (
        len(lines) == 1
        and lines[0].startswith("error: ")
        and "holds a different study (folds: 2 there, 3 here)" in lines[0]
    )
    forced = runner.invoke(
        app, ["study", str(config), *GRID[:-1], "3", "--n-jobs", "1", "--out", str(out), "--force", "--quiet"]
    )
    assert forced.exit_code == 0, forced.output
    assert len(_rows(out / "results.csv")) == 24


@pytest.mark.parametrize(
    "args, message",
    [
        (["--widths", "0,3"], "widths[0] must be an integer >= 1, got 0"),
        (["--depths", "-1"], "depths[0] must be an integer >= 1, got -1"),
        (["--lambdas", "-0.5"], "lambdas[0] must be a finite number >= 0, got -0.5"),
        (["--folds", "1"], "folds must be an integer >= 2"),
        (["--test-size", "1"], "test_size must be a finite number in [0, 1)"),
        (["--n-jobs", "0"], "n_jobs must be a nonzero integer"),
        (["--boundary-lambda", "0.5"], "--boundary-lambda 0.5 is not one of --lambdas 0,0.1"),
    ],
)
def test_user_errors_are_one_red_line(tmp_path, config, args, message):
    result = runner.invoke(app, ["study", str(config), *GRID, "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output
    assert not (tmp_path / "out").exists()


def test_an_out_path_that_is_a_file_is_refused(tmp_path, config):
    path = tmp_path / "taken"
    path.write_text("mine\n")
    result = _study(config, path)
    assert result.exit_code == 1 and "is a file, not a folder" in result.output
    assert path.read_text() == "mine\n"


def test_usage_errors_exit_2(tmp_path, config):
    for args in (["--depths", "a"], ["--lambdas", "0,x"], ["--widths", ""], ["--top", "0"]):
        result = runner.invoke(app, ["study", str(config), *args, "--out", str(tmp_path / "out")])
        assert result.exit_code == 2, (args, result.output)


def test_data_with_more_than_two_features_skips_the_boundaries(tmp_path):
    config = tmp_path / "iris.toml"
    config.write_text("seed = 0\n[data]\nsource = 'iris'\n[network]\nlayers = [4, 3, 3]\n[training]\nmax_iter = 20\n")
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "study",
            str(config),
            "--depths",
            "1",
            "--widths",
            "2",
            "--lambdas",
            "0",
            "--folds",
            "2",
            "--n-jobs",
            "1",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "boundaries.png skipped: the data has 4 features, not 2" in result.output
    assert not (out / "boundaries.png").exists()
    _png_ok(out / "capacity.png")


def test_the_dask_path_from_the_command_line(tmp_path, config):
    distributed = pytest.importorskip("distributed", reason="the Dask path needs layernet[distributed]")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        dask_run = runner.invoke(
            app, ["study", str(config), *GRID, "--scheduler", cluster.scheduler_address, "--out", str(tmp_path / "d")]
        )
    assert dask_run.exit_code == 0, dask_run.output
    assert _study(config, tmp_path / "local", "--quiet").exit_code == 0

    def records(folder):  # every column but the wall time, in grid order
        seconds = study.RECORD_COLUMNS.index("seconds")
        rows = [row.split(",") for row in _rows(folder / "results.csv")]
        return sorted(",".join(cells[:seconds] + cells[seconds + 1 :]) for cells in rows)

    assert records(tmp_path / "d") == records(tmp_path / "local")


def test_a_missing_distributed_package_is_one_clear_line(tmp_path, config, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    result = _study(config, tmp_path / "out", "--scheduler", "tcp://127.0.0.1:8786")
    assert result.exit_code == 1
    assert "pip install 'layernet[distributed]'" in result.output and "Traceback" not in result.output


def test_study_help_loads_no_heavy_modules():
    code = (
        "import sys\n"
        "from layernet_cli.app import app\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(app, ['study', '--help'])\n"
        "assert result.exit_code == 0 and '--scheduler' in result.output, result.output\n"
        "heavy = {'numpy', 'scipy', 'sklearn', 'matplotlib', 'joblib', 'distributed', 'pandas'}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & heavy)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_lambdas_auto_from_the_command_line_shows_the_lambda_reached_and_the_effective_parameters(tmp_path, config):
    args = ["study", str(config), "--depths", "1", "--widths", "3", "--lambdas", "0.1,auto", "--folds", "2"]
    result = runner.invoke(app, [*args, "--n-jobs", "1", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "auto " in result.output and "eff." in result.output
    header, *rows = (tmp_path / "s" / "results.csv").read_text().splitlines()
    assert header.endswith("lambda_reached,effective_parameters")
    assert sum(row.split(",")[2] == "auto" for row in rows) == 2


def test_a_lambda_list_with_another_word_is_a_usage_error(tmp_path, config):
    result = _study(config, tmp_path / "s", "--lambdas", "0.1,often")
    assert result.exit_code == 2
    assert "numbers or auto" in result.output


def test_setting_training_lambda_for_a_grid_study_is_refused_not_ignored(tmp_path, config):
    result = _study(config, tmp_path / "s", "--set", "training.lambda=auto")
    assert result.exit_code == 1
    assert "--set training.lambda=auto" in result.output and "--lambdas" in result.output
    assert not (tmp_path / "s").exists()
