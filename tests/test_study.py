"""Overfitting studies: records, aggregates, the best configuration, resume, backends, bad input."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import numpy as np
import pytest

import layernet as ln
import layernet.study as study
from layernet.study import Aggregate, FitRecord, execution, folder

GRID = {"depths": [1, 2], "widths": [1, 3], "lambdas": [0.0, 0.1], "folds": 2}
N_FITS = 2 * 2 * 2 * 2


def tiny_config(**changes) -> ln.RunConfig:
    """100 moons, 30 iterations per fit: a study of 16 fits takes a fraction of a second."""
    base = {"seed": 3, "data.n_samples": 100, "training.max_iter": 30}
    return ln.RunConfig.reference().override({**base, **changes})


def comparable(records):
    """Everything a record holds but its wall time, which no two runs share."""
    return [dataclasses.replace(record, seconds=0.0) for record in records]


@pytest.fixture(scope="module")
def result():
    return study.run(tiny_config(), **GRID, n_jobs=1)


# -- records --------------------------------------------------------------------------------------


def test_one_record_per_fit_in_grid_order(result):
    assert len(result.records) == N_FITS == result.settings.n_fits
    assert [record.key for record in result.records] == result.settings.fit_keys()
    assert result.complete
    for record in result.records:
        assert 0 <= record.train_accuracy <= 1 and 0 <= record.validation_accuracy <= 1
        assert record.n_parameters == sum(
            (a + 1) * b for a, b in zip([2] + [record.width] * record.depth, [record.width] * record.depth + [2])
        )
        # 30 CG iterations are far fewer than these fits need (the reference run takes ~700):
        # every fit stops at the limit, and its record says so.
        assert record.status == "max_iter" and record.iterations == 30
        assert record.evaluations >= record.iterations
        assert record.train_cost > 0 and record.seconds > 0
    assert result.settings.test_size == 0.3  # the reference holds nothing out; a study does


def test_a_record_is_what_it_claims(result):
    """Rebuild one fit by hand: the fold split, the derived seed, training, scoring."""
    from sklearn.model_selection import StratifiedKFold

    settings = result.settings
    data = ln.load_data(settings.config)
    folds = list(StratifiedKFold(2, shuffle=True, random_state=settings.seed).split(data.X_train, data.y_train))
    record = next(r for r in result.records if r.key == (2, 3, 0.1, 0, 1))
    train_index, val_index = folds[1]
    net = ln.Network([2, 3, 3, 2]).init(rng=np.random.default_rng(study.fit_seed(settings.seed, 2, 3, 0.1, 1)))
    fitted = ln.train(
        net, data.X_train[train_index], data.y_train[train_index], lambda_=0.1, method="cg", max_iter=30, classes=[0, 1]
    )
    assert record.train_cost == fitted.cost
    assert (record.iterations, record.evaluations, record.status) == (
        fitted.iterations,
        fitted.evaluations,
        fitted.status,
    )
    assert record.train_accuracy == net.score(data.X_train[train_index], data.y_train[train_index])
    assert record.validation_accuracy == net.score(data.X_train[val_index], data.y_train[val_index])


def test_the_same_seed_gives_the_same_records_with_any_number_of_jobs(result):
    again = study.run(tiny_config(), **GRID, n_jobs=1)
    parallel = study.run(tiny_config(), **GRID, n_jobs=2)
    assert comparable(again.records) == comparable(result.records)
    assert comparable(parallel.records) == comparable(result.records)
    other_seed = study.run(tiny_config(seed=4), **GRID, n_jobs=1)
    assert comparable(other_seed.records) != comparable(result.records)


def test_fit_seeds_depend_on_every_coordinate():
    states = {
        tuple(study.fit_seed(0, *key).generate_state(4))
        for key in [(1, 3, 0.1, 0), (1, 3, 0.1, 1), (2, 3, 0.1, 0), (1, 4, 0.1, 0), (1, 3, 0.2, 0), (1, 3, 0.1, None)]
    }
    assert len(states) == 6
    assert (
        study.fit_seed(0, 1, 3, 0.1, 0).generate_state(4) == study.fit_seed(0, 1, 3, 0.1, 0).generate_state(4)
    ).all()


# -- aggregation and the best configuration -------------------------------------------------------


def record(depth=1, width=2, lambda_=0.0, fold=0, train=1.0, val=0.5, status="converged", repeat=0, **extra):
    values = {"n_parameters": 4 * width + 2, "train_cost": 0.1, "iterations": 10, "evaluations": 20, "seconds": 0.5}
    values.update(extra)
    return FitRecord(
        depth,
        width,
        lambda_,
        repeat,
        fold,
        values["n_parameters"],
        train,
        val,
        values["train_cost"],
        values["iterations"],
        values["evaluations"],
        status,
        values["seconds"],
    )


def test_aggregate_means_and_sample_std_over_folds():
    records = [
        record(width=5, fold=0, train=1.0, val=0.8, iterations=10),
        record(width=5, fold=1, train=0.9, val=0.6, iterations=30, status="max_iter"),
        record(width=5, fold=2, train=0.8, val=0.7, iterations=20),
        record(width=2, fold=0, train=0.5, val=0.5),
    ]
    first, second = study.aggregate(records)
    assert (first.width, second.width) == (2, 5)  # sorted by (depth, width, lambda)
    assert first.n_folds == 1 and math.isnan(first.validation_accuracy_std)
    assert second.n_folds == 3
    assert second.train_accuracy_mean == pytest.approx(0.9)
    assert second.validation_accuracy_mean == pytest.approx(0.7)
    assert second.validation_accuracy_std == pytest.approx(0.1)  # ddof=1: sqrt(0.02 / 2)
    assert second.train_accuracy_std == pytest.approx(0.1)
    assert second.iterations_mean == 20 and second.n_converged == 2 and second.seconds == pytest.approx(1.5)


def test_the_result_aggregates_its_records(result):
    assert len(result.aggregates) == 8
    for item in result.aggregates:
        mine = [r for r in result.records if (r.depth, r.width, r.lambda_) == item.key]
        assert item.n_folds == 2
        assert item.validation_accuracy_mean == pytest.approx(np.mean([r.validation_accuracy for r in mine]))
        assert item.train_accuracy_std == pytest.approx(np.std([r.train_accuracy for r in mine], ddof=1))
    assert result.get(2, 3, 0.1).key == (2, 3, 0.1)
    assert result.get(5, 3, 0.1) is None


def _aggregate(depth, width, lambda_, val, n_folds=3, n_parameters=None, se=0.0):
    return Aggregate(
        depth, width, lambda_, n_parameters or depth * 10 + width, n_folds, 1.0, 0.0, val, 0.0, se, 0.1, 5, 3, 1
    )


def test_select_best_prefers_validation_then_the_simpler_model():
    candidates = [_aggregate(1, 5, 0.0, 0.90), _aggregate(2, 5, 0.0, 0.95), _aggregate(1, 9, 0.0, 0.95)]
    assert study.select_best(candidates).key == (1, 9, 0.0)  # equal accuracy: fewer parameters
    tied = [_aggregate(1, 5, 0.0, 0.95), _aggregate(1, 5, 0.1, 0.95), _aggregate(1, 5, 0.001, 0.95)]
    assert study.select_best(tied).lambda_ == 0.1  # equal accuracy and size: more regularization
    # Means that differ only by rounding error are a tie.
    assert study.select_best([_aggregate(1, 5, 0.0, 0.95 + 1e-15), _aggregate(1, 5, 0.1, 0.95)]).lambda_ == 0.1
    partial = [_aggregate(3, 50, 0.0, 1.0, n_folds=1), _aggregate(1, 2, 0.0, 0.8)]
    assert study.select_best(partial, folds=3).key == (1, 2, 0.0)
    assert study.select_best(partial).key == (3, 50, 0.0)
    assert study.select_best([]) is None


def test_the_best_configuration_is_refit_and_tested_once(result):
    best = result.best
    assert result.rule == "one-se" and best == result.one_se == study.select_one_se(result.aggregates, 2)
    assert result.best_mean == study.select_best(result.aggregates, 2) == result.ranked()[0]
    top = max(item.validation_accuracy_mean for item in result.aggregates)
    assert result.best_mean.validation_accuracy_mean == top
    assert best.validation_accuracy_mean >= top - result.best_mean.validation_accuracy_se - 1e-12
    refit, data = result.refit, result.data
    assert (refit.depth, refit.width, refit.lambda_) == best.key
    assert (refit.n_train, refit.n_test) == (70, 30)
    # Independently: the configuration trained on all 70 study samples, scored on the 30 test samples.
    sizes = [2, *[best.width] * best.depth, 2]
    net = ln.Network(sizes).init(rng=np.random.default_rng(study.fit_seed(result.settings.seed, *best.key)))
    ln.train(net, data.X_train, data.y_train, lambda_=best.lambda_, method="cg", max_iter=30, classes=[0, 1])
    assert refit.test_accuracy == net.score(data.X_test, data.y_test)
    assert refit.train_accuracy == net.score(data.X_train, data.y_train)
    np.testing.assert_array_equal(result.network.theta, net.theta)
    assert result.network.score(data.X_test, data.y_test) == refit.test_accuracy


def test_no_test_set_means_no_test_accuracy():
    small = {"depths": [1], "widths": [2], "lambdas": [0.0], "folds": 2}
    result = study.run(tiny_config(), **small, test_size=0, n_jobs=1)
    assert result.refit.test_accuracy is None and result.refit.n_test == 0 and result.refit.n_train == 100
    held = study.run(tiny_config(**{"data.test_size": 0.2}), **small, n_jobs=1)
    assert held.settings.test_size == 0.2 and held.refit.n_test == 20


# -- exports --------------------------------------------------------------------------------------


def test_to_csv_and_to_json(tmp_path, result):
    path = result.to_csv(tmp_path / "records.csv")
    lines = path.read_text().splitlines()
    assert lines[0] == ",".join(study.RECORD_COLUMNS) and len(lines) == N_FITS + 1
    assert lines[1].split(",")[:5] == ["1", "1", "0.0", "0", "0"]

    summary = json.loads(result.to_json(tmp_path / "summary.json"))
    assert json.loads((tmp_path / "summary.json").read_text()) == summary
    assert summary["n_fits"] == summary["n_recorded"] == N_FITS and summary["complete"] is True
    assert (
        summary["best"]["lambda"] == result.best.lambda_
        and summary["refit"]["test_accuracy"] == result.refit.test_accuracy
    )
    assert len(summary["aggregates"]) == 8 and "records" not in summary
    assert summary["settings"]["folds"] == 2 and summary["settings"]["network"]["hidden"] == "sigmoid"
    with_records = json.loads(result.to_json(include_records=True))
    assert with_records["records"][0] == result.records[0].to_dict()


def test_to_dataframe(result):
    import pandas as pd  # in the test extra: a missing pandas fails here rather than skipping

    frame = result.to_dataframe()
    assert list(frame.columns) == list(study.RECORD_COLUMNS) and len(frame) == N_FITS
    means = frame.groupby(["depth", "width", "lambda"])["validation_accuracy"].mean()
    assert means.loc[(2, 3, 0.1)] == pytest.approx(result.get(2, 3, 0.1).validation_accuracy_mean)
    aggregates = result.to_dataframe("aggregates")
    assert len(aggregates) == 8 and "validation_accuracy_std" in aggregates and "lambda" in aggregates
    assert isinstance(frame, pd.DataFrame)
    with pytest.raises(ln.LayerNetError, match="'records' or 'aggregates'"):
        result.to_dataframe("fits")


def test_to_dataframe_without_pandas_says_so(monkeypatch, result):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"needs pandas.*pip install 'layernet\[study\]'"):
        result.to_dataframe()


# -- the study directory: record, resume, refuse --------------------------------------------------


def _rows(path):
    text = path.read_text()
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines[0] == ",".join(study.RECORD_COLUMNS)
    return lines[1:]


def _count_fits(monkeypatch):
    calls = []
    real = execution._fit

    def counting(task):
        calls.append((task.depth, task.width, task.lambda_, task.fold))
        return real(task)

    monkeypatch.setattr(execution, "_fit", counting)
    return calls


def test_a_directory_records_every_fit_and_a_rerun_skips_them(tmp_path, monkeypatch, result):
    out = tmp_path / "study"
    first = study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    assert comparable(first.records) == comparable(result.records)
    assert len(_rows(out / study.RESULTS_FILE)) == N_FITS
    settings = json.loads((out / study.SETTINGS_FILE).read_text())
    assert settings["settings"]["depths"] == [1, 2] and settings["settings"]["seed"] == 3
    assert json.loads((out / study.SUMMARY_FILE).read_text())["refit"]["test_accuracy"] == result.refit.test_accuracy

    calls = _count_fits(monkeypatch)
    progress = []
    again = study.run(tiny_config(), **GRID, n_jobs=1, directory=out, callback=progress.append)
    assert len(calls) == 1 and calls[0][3] is None  # only the refit of the best ran
    assert progress == [study.StudyProgress(N_FITS, N_FITS, N_FITS, None)]
    assert again.records == first.records  # read back exactly, wall times included
    assert again.refit.test_accuracy == first.refit.test_accuracy


def test_resume_runs_only_the_missing_fits(tmp_path, monkeypatch, result):
    out = tmp_path / "study"
    study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    path = out / study.RESULTS_FILE
    rows = _rows(path)
    kept = rows[:5]
    path.write_text(",".join(study.RECORD_COLUMNS) + "\n" + "".join(row + "\n" for row in kept))
    calls = _count_fits(monkeypatch)
    resumed = study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    cv_calls = [call for call in calls if call[3] is not None]
    assert len(cv_calls) == N_FITS - 5
    assert {tuple(row.split(",")[:4]) for row in kept}.isdisjoint(
        {(str(d), str(w), repr(lam), str(f)) for d, w, lam, f in cv_calls}
    )
    assert comparable(resumed.records) == comparable(result.records)
    assert len(_rows(path)) == N_FITS


def test_a_torn_last_row_is_dropped_and_the_fit_run_again(tmp_path, monkeypatch):
    out = tmp_path / "study"
    study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    path = out / study.RESULTS_FILE
    rows = _rows(path)
    torn = rows[-1][: len(rows[-1]) // 2]  # a hard kill inside the write of the last row
    path.write_text(",".join(study.RECORD_COLUMNS) + "\n" + "".join(row + "\n" for row in rows[:-1]) + torn)
    calls = _count_fits(monkeypatch)
    resumed = study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    assert len([call for call in calls if call[3] is not None]) == 1
    assert len(resumed.records) == N_FITS
    assert sorted(_rows(path)[:-1]) == sorted(rows[:-1]) and len(_rows(path)) == N_FITS
    assert study.load(out).records == resumed.records


# Statuses layernet never writes, but a CSV field may hold: the csv module quotes them.
ODD_STATUSES = ['max_iter, then "stopped"', "two\nlines", "crlf\r\ninside", '"', ",", "  spaced  "]


def _odd_records(records):
    return [dataclasses.replace(r, status=ODD_STATUSES[i % len(ODD_STATUSES)]) for i, r in enumerate(records)]


def _old_row(record, columns=folder._COLUMNS_V2):
    """A row as layernet wrote it by hand before results.csv went through the csv module (format 2)."""
    values = record.to_dict()
    cells = [repr(float(v)) if isinstance(v, float) else str(v) for v in map(values.get, columns)]
    return ",".join(cells) + "\n"


def test_results_csv_round_trips_fields_that_need_quoting(tmp_path, result):
    out = tmp_path / "study"
    ran = study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    odd = _odd_records(ran.records)
    dataclasses.replace(ran, records=odd).to_csv(out / study.RESULTS_FILE)
    assert study.load(out).records == odd
    # Appending row by row writes the same bytes as writing them all at once.
    (tmp_path / "log.csv").unlink(missing_ok=True)
    log = folder._ResultsLog(tmp_path / "log.csv")
    for record in odd:
        log.append(record)
    log.close()
    assert (tmp_path / "log.csv").read_bytes() == (out / study.RESULTS_FILE).read_bytes()
    read = folder._read_results(tmp_path / "log.csv", ran.settings, repair=True)
    assert list(read.values()) == odd


def test_a_row_torn_inside_a_quoted_field_is_dropped(tmp_path, result):
    path = tmp_path / "results.csv"
    records = list(result.records)
    records[-1] = dataclasses.replace(records[-1], status="two\nlines")
    dataclasses.replace(result, records=records).to_csv(path)
    whole = path.read_bytes()
    kept = whole[: whole.rindex(b"two\n") + 4]  # a hard kill just after the newline inside the quotes
    path.write_bytes(kept)
    read = folder._read_results(path, result.settings, repair=False)
    assert list(read.values()) == records[:-1] and path.read_bytes() == kept
    read = folder._read_results(path, result.settings, repair=True)
    assert list(read.values()) == records[:-1]
    assert path.read_bytes() == whole[: whole.rindex(b"\n", 0, whole.rindex(b'"two')) + 1]


def test_a_stray_quote_before_whole_rows_is_an_error_not_a_torn_row(tmp_path, result):
    path = tmp_path / "results.csv"
    result.to_csv(path)
    lines = path.read_text().splitlines(keepends=True)
    lines[3] = lines[3].replace("converged", '"converged').replace("max_iter", '"max_iter')
    path.write_text("".join(lines))
    with pytest.raises(ln.LayerNetError, match="line 4 is not a study record"):
        folder._read_results(path, result.settings, repair=True)
    assert path.read_text() == "".join(lines)  # nothing cut


def test_results_written_before_the_csv_module_read_the_same(tmp_path, result):
    path = tmp_path / "results.csv"
    old = ",".join(folder._COLUMNS_V2) + "\n" + "".join(_old_row(record) for record in result.records)
    path.write_text(old)
    assert list(folder._read_results(path, result.settings, repair=True).values()) == result.records
    assert path.read_text() == old
    # ... and ordinary records are still written as before, with format 3's two columns after them:
    # the lambda trained with, and no effective parameters for a fixed lambda.
    new = result.to_csv(tmp_path / "new.csv").read_text().splitlines()
    assert new[0] == ",".join(study.RECORD_COLUMNS)
    for line, record in zip(new[1:], result.records, strict=True):
        assert line == _old_row(record).rstrip("\n") + f",{record.lambda_!r},"


def test_ctrl_c_leaves_a_valid_partial_csv_and_a_rerun_finishes(tmp_path, monkeypatch, result):
    out = tmp_path / "study"

    def interrupt_after_five(progress):
        if progress.done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        study.run(tiny_config(), **GRID, n_jobs=1, directory=out, callback=interrupt_after_five)
    assert len(_rows(out / study.RESULTS_FILE)) == 5
    assert not (out / study.SUMMARY_FILE).exists()
    partial = study.load(out)
    assert len(partial.records) == 5 and not partial.complete and partial.refit is None

    calls = _count_fits(monkeypatch)
    finished = study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    assert len([call for call in calls if call[3] is not None]) == N_FITS - 5
    assert comparable(finished.records) == comparable(result.records)


def test_a_fit_cut_short_by_ctrl_c_is_never_recorded(tmp_path, monkeypatch):
    out = tmp_path / "study"
    real = execution._fit
    count = []

    def interrupted_third(task):
        outcome = real(task)
        count.append(1)
        return dataclasses.replace(outcome, status="interrupted") if len(count) == 3 else outcome

    monkeypatch.setattr(execution, "_fit", interrupted_third)
    with pytest.raises(KeyboardInterrupt):
        study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    rows = _rows(out / study.RESULTS_FILE)
    assert len(rows) == 2 and all(",interrupted," not in row for row in rows)


def test_a_directory_with_another_study_is_refused_unless_forced(tmp_path):
    out = tmp_path / "study"
    study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    before = (out / study.RESULTS_FILE).read_text()
    with pytest.raises(ln.LayerNetError, match=r"holds a different study \(folds: 2 there, 3 here\).*force"):
        study.run(tiny_config(), **{**GRID, "folds": 3}, n_jobs=1, directory=out)
    with pytest.raises(ln.LayerNetError, match=r"training.max_iter: 30 there, 31 here"):
        study.run(tiny_config(**{"training.max_iter": 31}), **GRID, n_jobs=1, directory=out)
    assert (out / study.RESULTS_FILE).read_text() == before  # refused before touching anything
    forced = study.run(tiny_config(), **{**GRID, "folds": 3}, n_jobs=1, directory=out, force=True)
    assert len(forced.records) == 24 and len(_rows(out / study.RESULTS_FILE)) == 24
    assert json.loads((out / study.SETTINGS_FILE).read_text())["settings"]["folds"] == 3


def test_settings_that_do_not_change_the_records_do_not_make_another_study(tmp_path, monkeypatch):
    out = tmp_path / "study"
    study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    calls = _count_fits(monkeypatch)
    # The config's own hidden sizes and lambda are replaced by the grid's; grids are sets.
    same = tiny_config(**{"network.layers": [2, 7, 7, 2], "training.lambda": 5.0})
    study.run(same, depths=[2, 1], widths=(3, 1), lambdas=np.array([0.1, 0.0]), folds=2, n_jobs=1, directory=out)
    assert len(calls) == 1  # the refit only


def test_a_config_without_seed_resumes_with_the_seed_recorded(tmp_path, monkeypatch):
    out = tmp_path / "study"
    raw = tiny_config().to_dict()
    del raw["seed"]
    config = ln.RunConfig.from_dict(raw)
    first = study.run(config, **GRID, n_jobs=1, directory=out)
    seed = json.loads((out / study.SETTINGS_FILE).read_text())["settings"]["seed"]
    assert first.settings.seed == seed
    calls = _count_fits(monkeypatch)
    again = study.run(config, **GRID, n_jobs=1, directory=out)
    assert len(calls) == 1 and again.settings.seed == seed


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda out: (out / study.SETTINGS_FILE).write_text("{not json"), "not a readable layernet study file"),
        (lambda out: (out / study.SETTINGS_FILE).write_text('{"format": "other"}'), "not a readable layernet study"),
        (
            lambda out: (out / study.RESULTS_FILE).write_text("a,b,c\n1,2,3\n"),
            "not a layernet study results file",
        ),
        (
            lambda out: (out / study.RESULTS_FILE).write_text(
                ",".join(study.RECORD_COLUMNS) + "\n1,1,0.0,0,oops\n1,1,0.0,1,5,1.0,1.0,0.1,3,4,converged,0.1\n"
            ),
            "line 2 is not a study record",
        ),
        (
            lambda out: (out / study.RESULTS_FILE).write_text(
                ",".join(study.RECORD_COLUMNS) + "\n1,1,0.0,0,7,5,1.0,1.0,0.1,3,4,converged,0.1,0.0,\n"
            ),
            "line 2 records fold 7 of repeat 0, which is not part of this 2-fold study",
        ),
        (lambda out: (out / study.SETTINGS_FILE).unlink(), "has a results.csv but no study.json"),
    ],
)
def test_damaged_study_directories_are_refused(tmp_path, damage, message):
    out = tmp_path / "study"
    small = {"depths": [1], "widths": [1], "lambdas": [0.0], "folds": 2}
    study.run(tiny_config(), **small, n_jobs=1, directory=out)
    damage(out)
    with pytest.raises(ln.LayerNetError, match=message):
        study.run(tiny_config(), **small, n_jobs=1, directory=out)
    study.run(tiny_config(), **small, n_jobs=1, directory=out, force=True)  # force starts over
    assert len(_rows(out / study.RESULTS_FILE)) == 2


def test_load_reads_back_a_finished_study(tmp_path):
    out = tmp_path / "study"
    ran = study.run(tiny_config(), **GRID, n_jobs=1, directory=out)
    loaded = study.load(out)
    assert loaded.records == ran.records and loaded.aggregates == ran.aggregates
    assert loaded.best == ran.best and loaded.refit == ran.refit
    assert (loaded.best_mean, loaded.one_se) == (ran.best_mean, ran.one_se)
    np.testing.assert_array_equal(loaded.network.theta, ran.network.theta)  # best.npz
    assert study.load(out, rule="best-mean").best == ran.best_mean
    assert loaded.settings.to_dict() == ran.settings.to_dict()
    np.testing.assert_array_equal(loaded.data.X_test, ran.data.X_test)
    with pytest.raises(ln.LayerNetError, match="no layernet study here"):
        study.load(tmp_path)


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"depths": []}, "depths is empty"),
        ({"widths": []}, "widths is empty"),
        ({"lambdas": []}, "lambdas is empty"),
        ({"widths": [0, 3]}, r"widths\[0\] must be an integer >= 1, got 0"),
        ({"widths": [-2]}, r"widths\[0\] must be an integer >= 1, got -2"),
        ({"widths": [3, 1.5]}, r"widths\[1\] must be an integer >= 1, got 1.5"),
        ({"depths": [0]}, r"depths\[0\] must be an integer >= 1, got 0"),
        ({"depths": [True]}, r"depths\[0\] must be an integer >= 1, got True"),
        ({"depths": "12"}, "depths must be a list of integers"),
        ({"widths": 3}, "widths must be a list of integers"),
        ({"widths": [3, 3]}, "widths lists 3 more than once"),
        ({"lambdas": [-0.1]}, r"lambdas\[0\] must be a finite number >= 0, got -0.1"),
        ({"lambdas": [float("nan")]}, r"lambdas\[0\] must be a finite number >= 0, got nan"),
        ({"lambdas": ["0.1"]}, r"lambdas\[0\] must be a finite number"),
        ({"folds": 1}, r"folds must be an integer >= 2, got 1"),
        ({"folds": 2.0}, r"folds must be an integer >= 2"),
        ({"folds": 60}, r"folds=60 needs at least 60 samples of every class among the 70 study samples"),
        ({"test_size": 1.0}, r"test_size must be a finite number in \[0, 1\), got 1.0"),
        ({"test_size": -0.1}, r"test_size must be a finite number in \[0, 1\), got -0.1"),
        ({"n_jobs": 0}, "n_jobs must be a nonzero integer"),
        ({"scheduler": ""}, "scheduler must be a Dask scheduler address"),
        ({"scheduler": 8786}, "scheduler must be an address like tcp://host:8786 or a dask Client"),
        ({"callback": "print"}, "callback must be callable"),
    ],
)
def test_bad_input_is_refused_before_anything_runs(tmp_path, monkeypatch, changes, message):
    monkeypatch.setattr(execution, "_fit", lambda task: pytest.fail("a fit ran"))
    out = tmp_path / "study"
    with pytest.raises(ln.LayerNetError, match=message):
        study.run(tiny_config(), **{**GRID, "n_jobs": 1, "directory": out, **changes})
    assert not out.exists()


def test_bad_configurations_are_refused(tmp_path):
    with pytest.raises(ln.ConfigError, match="a study varies the number of hidden layers"):
        study.run(tiny_config(**{"network.layers": [2, 3, 3, 2], "network.hidden": ["tanh", "relu"]}), **GRID)
    with pytest.raises(ln.LayerNetError, match="config must be a layernet RunConfig"):
        study.run({"seed": 0}, **GRID)
    with pytest.raises(ln.DataError, match=r"3 classes but the output layer has 2 unit\(s\)"):
        study.run(tiny_config(**{"data.source": "iris", "network.layers": [4, 2]}), **GRID, n_jobs=1)
    # One activation repeated for every hidden layer is fine.
    same = tiny_config(**{"network.layers": [2, 3, 3, 2], "network.hidden": ["tanh", "tanh"]})
    assert study.run(same, depths=[3], widths=[2], lambdas=[0], folds=2, n_jobs=1).settings.hidden == "tanh"


def test_a_directory_that_is_a_file_is_refused(tmp_path):
    path = tmp_path / "results"
    path.write_text("mine\n")
    with pytest.raises(ln.LayerNetError, match="is a file, not a folder"):
        study.run(tiny_config(), **GRID, n_jobs=1, directory=path)
    assert path.read_text() == "mine\n"


# -- Dask -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed", reason="the Dask path needs layernet[distributed]")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        yield cluster


def test_a_dask_cluster_gives_the_same_records(dask_cluster, tmp_path, result):
    by_address = study.run(tiny_config(), **GRID, scheduler=dask_cluster.scheduler_address, directory=tmp_path / "s")
    assert comparable(by_address.records) == comparable(result.records)
    assert by_address.refit.test_accuracy == result.refit.test_accuracy
    assert len(_rows(tmp_path / "s" / study.RESULTS_FILE)) == N_FITS

    from distributed import Client

    with Client(dask_cluster) as client:
        by_client = study.run(tiny_config(), **GRID, scheduler=client)
        fits = study.fit_architectures(by_client, scheduler=client)
    assert comparable(by_client.records) == comparable(result.records)
    assert [fit.fit_accuracy for fit in fits] == [fit.fit_accuracy for fit in study.fit_architectures(result, n_jobs=1)]


def test_without_distributed_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ln.LayerNetError, match=r"pip install 'layernet\[distributed\]'"):
        study.run(tiny_config(), **GRID, scheduler="tcp://127.0.0.1:8786")


# -- the decision-boundary networks ---------------------------------------------------------------


def test_fit_architectures_trains_one_network_per_architecture(result):
    fits = study.fit_architectures(result, n_jobs=1)
    assert [(fit.depth, fit.width) for fit in fits] == [(1, 1), (1, 3), (2, 1), (2, 3)]
    data = result.data
    for fit in fits:
        assert fit.lambda_ == 0.0  # the smallest lambda by default
        assert fit.network.sizes == [2, *[fit.width] * fit.depth, 2]
        assert fit.fit_accuracy == fit.network.score(data.X_train, data.y_train)
        summary = result.get(fit.depth, fit.width, 0.0)
        assert (fit.train_accuracy, fit.validation_accuracy, fit.n_folds) == (
            summary.train_accuracy_mean,
            summary.validation_accuracy_mean,
            2,
        )
    at_best = study.fit_architectures(result, result.best.lambda_, n_jobs=2)
    panel = next(fit for fit in at_best if (fit.depth, fit.width) == (result.best.depth, result.best.width))
    np.testing.assert_array_equal(panel.network.theta, result.network.theta)  # the best's panel is its refit
    with pytest.raises(ln.LayerNetError, match=r"one of the study's lambdas \(0, 0.1\), got 0.5"):
        study.fit_architectures(result, 0.5, n_jobs=1)


# -- figures --------------------------------------------------------------------------------------


def test_study_figures(tmp_path, result):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from layernet import plotting

    data = result.data
    fits = study.fit_architectures(result, 0.1, n_jobs=1)
    try:
        figure = plotting.plot_study_boundaries(fits, data.X_train, data.y_train, resolution=40)
        panels = [ax for ax in figure.axes if ax.get_visible()]
        assert len(panels) == 4
        title = panels[3].get_title()
        expected = result.get(2, 3, 0.1)
        assert title == (f"2x3: train {expected.train_accuracy_mean:.2f}, val {expected.validation_accuracy_mean:.2f}")
        assert "lambda = 0.1" in figure._suptitle.get_text()
        _assert_image(ln.save_figure(figure, tmp_path / "boundaries.png"))

        figure = plotting.plot_study_capacity(result)
        assert len(figure.axes) == 4  # 2 lambdas x 2 depths
        ax = figure.axes[0]
        assert ax.get_title() == "1 hidden layer, lambda = 0"
        train_line, val_line = (container.lines[0] for container in ax.containers[:2])
        np.testing.assert_allclose(
            val_line.get_ydata(), [result.get(1, w, 0.0).validation_accuracy_mean for w in (1, 3)]
        )
        np.testing.assert_allclose(train_line.get_ydata(), [result.get(1, w, 0.0).train_accuracy_mean for w in (1, 3)])
        _assert_image(ln.save_figure(figure, tmp_path / "capacity.png"))
        assert len(plotting.plot_study_capacity(result, lambdas=[0.1]).axes) == 2

        figure = plotting.plot_study_lambda(result)
        assert len(figure.axes) == 2
        ax = figure.axes[0]
        assert ax.get_xscale() == "symlog"
        assert [label.get_text() for label in ax.get_xticklabels()] == ["0", "0.1"]
        np.testing.assert_array_equal(
            np.asarray(ax.containers[0].lines[0].get_xdata(), float), [0.0, 0.1]
        )  # lambda = 0 is on the axis
        _assert_image(ln.save_figure(figure, tmp_path / "lambda.png"))

        with pytest.raises(ln.LayerNetError, match="no fitted architectures"):
            plotting.plot_study_boundaries([], data.X_train, data.y_train)
        with pytest.raises(ln.DataError, match="two features, but X has 3"):
            plotting.plot_study_boundaries(fits, np.hstack([data.X_train, data.X_train[:, :1]]), data.y_train)
        with pytest.raises(ln.LayerNetError, match="some of the study's lambdas"):
            plotting.plot_study_capacity(result, lambdas=[0.5])
    finally:
        plt.close("all")


def _assert_image(path):
    import matplotlib.pyplot as plt

    image = plt.imread(path)
    assert image.ndim == 3 and image.shape[0] > 200 and image.shape[1] > 200
    assert len(np.unique(image.reshape(-1, image.shape[2]).round(3), axis=0)) > 10


def test_importing_layernet_stays_light():
    code = (
        "import sys, layernet\n"
        "assert layernet.study.run\n"
        "heavy = {'scipy', 'sklearn', 'matplotlib', 'joblib', 'distributed', 'dask', 'pandas'}\n"
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & heavy)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_a_grid_too_large_for_memory_is_refused_before_any_fit(tmp_path):
    with pytest.raises(ln.ConfigError, match=r"needs at least .* of memory"):
        study.run(tiny_config(), depths=[3], widths=[10**7], lambdas=[0.0], folds=2, n_jobs=1, directory=tmp_path)
    assert not (tmp_path / "results.csv").exists()


# -- lambda "auto": a candidate whose fits choose their own lambda by the evidence ----------------


@pytest.fixture(scope="module")
def auto_study(tmp_path_factory):
    out = tmp_path_factory.mktemp("auto") / "study"
    config = tiny_config(**{"training.max_iter": 120, "training.method": "lbfgs"})
    ran = study.run(config, depths=[1], widths=[3], lambdas=["auto", 0.1], folds=2, n_jobs=1, directory=out)
    return ran, out


def test_an_auto_candidate_records_the_lambda_each_fit_reached_and_its_effective_parameters(auto_study):
    ran, out = auto_study
    assert ran.settings.lambdas == (0.1, "auto")  # numbers first, "auto" last
    auto = [record for record in ran.records if record.lambda_ == "auto"]
    fixed = [record for record in ran.records if record.lambda_ == 0.1]
    assert len(auto) == len(fixed) == 2
    for record in auto:
        assert record.lambda_reached > 0 and record.lambda_reached != evidence_start()
        assert 0 < record.effective_parameters <= record.n_parameters
    assert all(record.lambda_reached == 0.1 and record.effective_parameters is None for record in fixed)
    item = ran.get(1, 3, "auto")
    assert item.lambda_reached_mean == pytest.approx(np.mean([r.lambda_reached for r in auto]))
    assert item.effective_parameters_mean == pytest.approx(np.mean([r.effective_parameters for r in auto]))
    # The folder reads back the same records; summary.json has the means.
    assert study.load(out).records == ran.records
    summary = json.loads((out / study.SUMMARY_FILE).read_text())
    assert {entry["lambda"] for entry in summary["aggregates"]} == {0.1, "auto"}
    # Its fits are seeded apart from every fixed lambda's.
    assert execution._spawn_key(0, 1, 3, "auto", 0) != execution._spawn_key(0, 1, 3, 0.1, 0)


def test_the_one_se_rule_ranks_auto_by_the_mean_lambda_its_fits_reached():
    def candidate(lambda_, reached, mean):
        return Aggregate(1, 3, lambda_, 17, 5, 1.0, 0.0, mean, 0.0, 0.02, 0.1, 9.0, 5, 1.0, reached, 14.0)

    weak, auto, strong = candidate(0.01, None, 0.95), candidate("auto", 0.5, 0.95), candidate(1.0, None, 0.95)
    # Equal means and sizes: the larger lambda is simpler, and auto counts as the 0.5 it reached.
    assert study.select_one_se([weak, auto]) is auto
    assert study.select_one_se([auto, strong]) is strong


@pytest.mark.parametrize("bad", [["often"], [0.1, "auto", "AUTO"]])
def test_a_lambda_grid_with_a_word_other_than_auto_or_auto_twice_is_refused(bad):
    with pytest.raises(ln.LayerNetError, match="lambdas"):
        study.run(tiny_config(), depths=[1], widths=[1], lambdas=bad, folds=2, n_jobs=1)


def evidence_start():
    from layernet.evidence import AUTO_START

    return AUTO_START
