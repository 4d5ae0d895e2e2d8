"""lambda_="auto" attacked from outside: odd problems, hostile arguments, damaged study files.

Oracles: a plain numpy MacKay update from a finite-difference Jacobian of the reference forward
pass (tests/reference.py), the cost's own gradient at the lambda a result claims (a minimum under
that lambda has a zero gradient), and the records' own definitions.
"""

from __future__ import annotations

import csv
import json
import shutil

import numpy as np
import pytest

import layernet as ln


@pytest.fixture(scope="module")
def moons():
    return ln.datasets.make_moons(60, 0.2, rng=np.random.RandomState(0))


def test_restore_best_reports_the_lambda_the_restored_parameters_were_trained_with(moons):
    # The best validation iteration lies in an early phase; the run goes on re-estimating after it.
    X, y = ln.datasets.make_moons(40, 0.2, rng=np.random.RandomState(0))
    Xv, yv = ln.datasets.make_moons(40, 0.3, rng=np.random.RandomState(5))
    net = ln.Network([2, 3, 2]).init(0)
    result = ln.train(
        net, X, y, lambda_="auto", method="trust-krylov", validation=(Xv, yv), patience=60, restore_best=True
    )
    best = result.best_iteration
    phases = result.evidence.lambdas
    assert len(phases) > 2 and best < result.iterations  # the case this test is about
    in_force = result.history["lambda"][best]
    assert in_force != phases[-1]
    assert result.lambda_ == in_force == result.evidence.lambda_
    assert f"trained with lambda {in_force:.6g}" in result.message
    assert np.array_equal(net.theta, result.theta) and np.isfinite(result.theta).all()


# -- studies with "auto" ---------------------------------------------------------------------------


def tiny_study_config() -> ln.RunConfig:
    return ln.RunConfig.reference().override({"seed": 3, "data.n_samples": 40, "training.max_iter": 8})


@pytest.fixture(scope="module")
def auto_folder(tmp_path_factory):
    """A finished study folder with lambdas 0 and auto (2 folds, one width: 4 fits)."""
    folder = tmp_path_factory.mktemp("study") / "auto"
    ln.study.run(tiny_study_config(), depths=[1], widths=[2], lambdas=[0, "auto"], folds=2, n_jobs=1, directory=folder)
    return folder


def damaged_copy(source, target, column: str, cell: str):
    shutil.copytree(source, target)
    path = target / "results.csv"
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    row = next(i for i, line in enumerate(lines) if ",auto," in line)
    cells = lines[row].split(",")
    cells[header.index(column)] = cell
    lines[row] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    return target, row + 1


@pytest.mark.parametrize(
    "column, cell",
    [("lambda_reached", "nan"), ("lambda_reached", "inf"), ("lambda_reached", "-1"), ("lambda_reached", ""),
     ("effective_parameters", "-3"), ("effective_parameters", "inf")],
)
def test_a_damaged_auto_cell_in_results_csv_is_one_clear_error(auto_folder, tmp_path, column, cell):
    # Before: nan and -1 were read as lambdas reached, inf and an empty cell crashed the figures.
    folder, line = damaged_copy(auto_folder, tmp_path / "damaged", column, cell)
    with pytest.raises(ln.LayerNetError, match=rf"line {line} is not a study record \({column}|an auto fit"):
        ln.study.load(folder)


def test_an_auto_fit_that_made_no_estimate_reads_back(auto_folder, tmp_path):
    # A fit stopped before its first re-estimation writes nan effective parameters: still a record.
    folder, _ = damaged_copy(auto_folder, tmp_path / "nan", "effective_parameters", "nan")
    (auto,) = [item for item in ln.study.load(folder).aggregates if item.lambda_ == "auto"]
    assert auto.lambda_reached_mean > 0


def test_a_format_2_folder_grows_an_auto_candidate(tmp_path):
    # Written by hand as layernet wrote it before lambda "auto": format_version 2, 13 columns.
    folder = tmp_path / "old"
    ln.study.run(tiny_study_config(), depths=[1], widths=[2], lambdas=[0], folds=2, n_jobs=1, directory=folder)
    settings = json.loads((folder / "study.json").read_text())
    settings["format_version"] = 2
    (folder / "study.json").write_text(json.dumps(settings))
    lines = (folder / "results.csv").read_text().splitlines()
    old = [",".join(line.split(",")[:13]) for line in lines]
    assert old[0].endswith(",status,seconds")
    (folder / "results.csv").write_text("\n".join(old) + "\n")
    kept = {tuple(line.split(",")[:12]) for line in old[1:]}
    grown = ln.study.run(
        tiny_study_config(), depths=[1], widths=[2], lambdas=[0, "auto"], folds=2, n_jobs=1, directory=folder
    )
    rows = list(csv.DictReader((folder / "results.csv").read_text().splitlines()))
    assert {tuple(list(row.values())[:12]) for row in rows if row["lambda"] != "auto"} == kept  # not refitted
    auto = [row for row in rows if row["lambda"] == "auto"]
    assert len(auto) == 2 and all(float(row["lambda_reached"]) > 0 for row in auto)
    assert {row["lambda_reached"] for row in rows if row["lambda"] != "auto"} == {"0.0"}
    assert {item.lambda_ for item in grown.aggregates} == {0.0, "auto"}
    assert json.loads((folder / "study.json").read_text())["format_version"] == 3


def test_a_learning_curve_at_lambda_auto_draws(tmp_path):
    # Before: plot_learning_curve formatted "auto" with :g (ValueError; a traceback in the CLI).
    curve = ln.study.learning_curve(tiny_study_config(), sizes=[1.0], lambda_="auto", folds=2, n_jobs=1)
    ax = ln.plotting.plot_learning_curve(curve)
    try:
        assert "lambda = auto" in ax.get_title()
    finally:
        ax.figure.clf()
