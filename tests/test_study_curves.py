"""The study's choice that holds (standard errors, the one-SE rule, repeats), studies that grow, curves."""

from __future__ import annotations

import csv
import dataclasses
import json
import math

import matplotlib
import numpy as np
import pytest
from reference import reference_cost
from typer.testing import CliRunner

import layernet as ln
import layernet.study as study
import layernet.study_defaults as study_defaults
from layernet.study import Aggregate, curves, execution
from layernet_cli.app import app

matplotlib.use("Agg")

SMALL = {"depths": [1], "widths": [1, 3], "lambdas": [0.1], "folds": 2}


def tiny_config(**changes) -> ln.RunConfig:
    base = {"seed": 3, "data.n_samples": 60, "training.max_iter": 15}
    return ln.RunConfig.reference().override({**base, **changes})


def comparable(records):
    return [dataclasses.replace(record, seconds=0.0) for record in records]


def _count_fits(monkeypatch):
    calls = []
    real = execution._fit

    def counting(task):
        calls.append((task.depth, task.width, task.lambda_, task.repeat, task.fold))
        return real(task)

    monkeypatch.setattr(execution, "_fit", counting)
    return calls


# -- the one-standard-error rule ------------------------------------------------------------------


def _candidate(depth, width, lambda_, mean, se, n_parameters=None):
    n_parameters = n_parameters or (3 * width + (depth - 1) * (width + 1) * width + (width + 1) * 2)
    return Aggregate(depth, width, lambda_, n_parameters, 5, 1.0, 0.0, mean, se * math.sqrt(5), se, 0.1, 9, 5, 1.0)


def _plain_one_se(candidates):
    """The rule as the issue states it, written out plainly: the oracle."""
    best = max(c.validation_accuracy_mean for c in candidates)
    top = sorted(
        [c for c in candidates if c.validation_accuracy_mean == best], key=lambda c: (c.n_parameters, -c.lambda_)
    )[0]
    within = [c for c in candidates if c.validation_accuracy_mean >= best - top.validation_accuracy_se]
    fewest = min(c.n_parameters for c in within)
    simplest = [c for c in within if c.n_parameters == fewest]
    return max(simplest, key=lambda c: c.lambda_)


def test_one_se_rule_picks_the_simplest_within_one_standard_error():
    rng = np.random.default_rng(0)
    for _ in range(200):
        candidates = [
            _candidate(depth, width, lambda_, round(rng.uniform(0.8, 1.0), 2), rng.uniform(0.0, 0.04))
            for depth in (1, 2)
            for width in (1, 3, 5)
            for lambda_ in (0.0, 0.1, 1.0)
        ]
        chosen, oracle = study.select_one_se(candidates), _plain_one_se(candidates)
        assert (chosen.n_parameters, chosen.lambda_) == (oracle.n_parameters, oracle.lambda_)
        best = study.select_best(candidates)
        assert best.validation_accuracy_mean == max(c.validation_accuracy_mean for c in candidates)
        assert chosen.validation_accuracy_mean >= best.validation_accuracy_mean - best.validation_accuracy_se
    # Fewest parameters first, then the largest lambda; a mean one rounding error short still counts.
    found = [_candidate(1, 10, 0.0, 0.96, 0.02), _candidate(1, 3, 0.001, 0.95, 0.01), _candidate(1, 3, 0.1, 0.94, 0.01)]
    assert study.select_one_se(found).key == (1, 3, 0.1) and study.select_best(found).key == (1, 10, 0.0)
    edge = [_candidate(1, 10, 0.0, 0.3 + 0.6, 0.1), _candidate(1, 1, 0.0, 0.8, 0.0)]  # 0.9 - 0.1 == 0.8 exactly
    assert study.select_one_se(edge).width == 1
    assert study.select([], rule="best-mean") is None
    with pytest.raises(ln.LayerNetError, match="rule must be one of one-se, best-mean"):
        study.select(found, rule="best")


def test_aggregates_carry_the_standard_error_of_the_mean():
    result = study.run(tiny_config(), depths=[1], widths=[2], lambdas=[0.0], folds=3, n_jobs=1)
    (item,) = result.aggregates
    scores = [record.validation_accuracy for record in result.records]
    assert item.validation_accuracy_se == pytest.approx(np.std(scores, ddof=1) / math.sqrt(3), rel=1e-12)
    assert result.best == result.one_se and result.rule == "one-se"
    summary = json.loads(result.to_json())
    assert summary["rule"] == "one-se" and summary["one_se"]["validation_accuracy_se"] == item.validation_accuracy_se


# -- repeats and a study that grows ---------------------------------------------------------------


def test_repeats_add_fresh_folds_and_keep_the_first_ones(tmp_path):
    from sklearn.model_selection import StratifiedKFold

    one = study.run(tiny_config(), depths=[1], widths=[2], lambdas=[0.0], folds=2, n_jobs=1)
    two = study.run(tiny_config(), depths=[1], widths=[2], lambdas=[0.0], folds=2, repeats=2, n_jobs=1)
    assert [record.key[3:] for record in two.records] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert comparable(two.records[:2]) == comparable(one.records)  # repeat 0 is the study without repeats
    assert two.aggregates[0].n_folds == 4 and two.settings.n_scores == 4
    data = two.data
    first = StratifiedKFold(2, shuffle=True, random_state=3).split(data.X_train, data.y_train)
    again = study.grid._fold_indices(data.y_train, 2, 3, 1)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(first, again))  # repeat 1 shuffles afresh
    assert sorted(np.concatenate([validation for _, validation in again]).tolist()) == list(range(len(data.y_train)))


def test_a_grown_study_runs_only_the_new_fits(tmp_path, monkeypatch):
    out = tmp_path / "study"
    grown = {**SMALL, "widths": [1, 2, 3]}
    fresh = study.run(tiny_config(), **grown, repeats=2, n_jobs=1)  # the oracle: the grown grid at once
    study.run(tiny_config(), **SMALL, n_jobs=1, directory=out)
    calls = _count_fits(monkeypatch)
    result = study.run(tiny_config(), **grown, repeats=2, n_jobs=1, directory=out)
    new_fits = [call for call in calls if call[4] is not None]
    assert len(new_fits) == 3 * 2 * 2 - 2 * 2  # the grown grid less the 4 fits recorded
    assert not any(call[1] in (1, 3) and call[3] == 0 for call in new_fits)
    assert comparable(result.records) == comparable(fresh.records)
    assert result.best.key == fresh.best.key and result.refit.test_accuracy == fresh.refit.test_accuracy
    # results.csv is sorted by the grid; study.json holds the grown grid; best.npz is the refit network.
    with open(out / study.RESULTS_FILE, newline="") as handle:
        rows = list(csv.DictReader(handle))
    keys = [(int(r["depth"]), int(r["width"]), float(r["lambda"]), int(r["repeat"]), int(r["fold"])) for r in rows]
    assert keys == sorted(keys) == result.settings.fit_keys()
    settings = json.loads((out / study.SETTINGS_FILE).read_text())["settings"]
    assert settings["widths"] == [1, 2, 3] and settings["repeats"] == 2 and settings["lambdas"] == [0.1]
    saved = ln.load(out / study.BEST_FILE)
    np.testing.assert_array_equal(saved.theta, result.network.theta)
    # It records the configuration that trains it on the study data, so its test set can be found.
    report = ln.evaluate(saved, result.data.X_test, result.data.y_test)
    assert report.accuracy == result.refit.test_accuracy
    recorded = ln.load_data(ln.RunConfig.from_dict(saved.training_summary["config"]))
    np.testing.assert_array_equal(recorded.X_test, result.data.X_test)
    # A smaller grid afterwards reuses fits too, and keeps the others in results.csv.
    calls.clear()
    small = study.run(tiny_config(), **SMALL, n_jobs=1, directory=out)
    assert [call for call in calls if call[4] is not None] == []
    assert len(small.records) == 4 and len(rows) == 12


def test_a_folder_of_format_1_is_read_as_repeat_0_and_rewritten(tmp_path, monkeypatch):
    out = tmp_path / "study"
    ran = study.run(tiny_config(), **SMALL, n_jobs=1, directory=out)
    with open(out / study.RESULTS_FILE, newline="") as handle:
        rows = list(csv.reader(handle))
    column, end = rows[0].index("repeat"), rows[0].index("seconds") + 1  # format 1: no repeat, no lambda "auto"
    (out / study.RESULTS_FILE).write_text("".join(",".join(r[:column] + r[column + 1 : end]) + "\n" for r in rows))
    document = json.loads((out / study.SETTINGS_FILE).read_text())
    document["format_version"] = 1
    del document["settings"]["repeats"]
    (out / study.SETTINGS_FILE).write_text(json.dumps(document))
    calls = _count_fits(monkeypatch)
    again = study.run(tiny_config(), **SMALL, n_jobs=1, directory=out)
    assert [call for call in calls if call[4] is not None] == []
    assert again.records == ran.records
    assert (out / study.RESULTS_FILE).read_text().splitlines()[0] == ",".join(study.RECORD_COLUMNS)
    assert json.loads((out / study.SETTINGS_FILE).read_text())["format_version"] == study_defaults.FORMAT_VERSION


# -- learning and validation curves ---------------------------------------------------------------


def test_prefix_order_is_a_shuffle_whose_prefixes_are_stratified():
    y = np.array([0] * 30 + [1] * 10)
    order = curves._prefix_order(y, np.random.default_rng(0))
    assert sorted(order.tolist()) == list(range(40))
    for k in range(1, 41):
        ones = int((y[order[:k]] == 1).sum())
        assert abs(ones - k / 4) <= 1


def test_a_learning_curve_point_is_what_it_claims():
    from sklearn.model_selection import StratifiedKFold

    config = tiny_config()
    curve = study.learning_curve(config, sizes=[8, 1.0], folds=2, n_jobs=1)
    assert curve.kind == "learning" and [item.size for item in curve.summary] == [8, 21]
    assert [(p.size, p.fold) for p in curve.points] == [(8, 0), (8, 1), (21, 0), (21, 1)]
    data = ln.load_data(curve.config)
    assert len(data.y_train) == 42  # the study's 70 / 30 split of 60 samples
    train_index, val_index = list(StratifiedKFold(2, shuffle=True, random_state=3).split(data.X_train, data.y_train))[1]
    order_rng = np.random.default_rng(np.random.SeedSequence(3, spawn_key=(curves._ROLE_SUBSET, 1)))
    subset = train_index[curves._prefix_order(data.y_train[train_index], order_rng)][:8]
    net = ln.Network([2, 3, 2]).init(rng=np.random.default_rng(np.random.SeedSequence(3, spawn_key=(3, 1))))
    ln.train(net, data.X_train[subset], data.y_train[subset], lambda_=1e-3, method="cg", max_iter=15, classes=[0, 1])
    point = curve.points[1]
    assert point.train_error == 1 - net.score(data.X_train[subset], data.y_train[subset])
    assert point.validation_error == 1 - net.score(data.X_train[val_index], data.y_train[val_index])
    # The unregularized data cost: the course's cross-entropy, by the plain reference implementation.
    X_val, Y_val = data.X_train[val_index], np.eye(2)[data.y_train[val_index]]
    by_hand = reference_cost([2, 3, 2], "sigmoid", net.theta, X_val, Y_val)
    assert point.validation_cost == pytest.approx(by_hand, rel=1e-12)
    summary = curve.summary[0]
    assert summary.validation_error_mean == pytest.approx(np.mean([p.validation_error for p in curve.points[:2]]))
    assert summary.train_error_std == pytest.approx(np.std([p.train_error for p in curve.points[:2]], ddof=1))


def test_a_validation_curve_chooses_lambda_by_the_one_se_rule(tmp_path):
    curve = study.validation_curve(tiny_config(), lambdas=[0, 0.1, 3], folds=3, n_jobs=1)
    assert [item.lambda_ for item in curve.summary] == [0.0, 0.1, 3.0] and curve.summary[0].size == 28
    accuracy = [1 - item.validation_error_mean for item in curve.summary]
    se = [item.validation_error_std / math.sqrt(3) for item in curve.summary]
    best = int(np.argmax(accuracy))
    within = [i for i in range(3) if accuracy[i] >= accuracy[best] - se[best] - 1e-12]
    assert curve.chosen_lambda == curve.summary[max(within)].lambda_  # the largest lambda within one SE
    curve.to_csv(tmp_path / "curve.csv")
    with open(tmp_path / "curve.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 9 and list(rows[0]) == list(study.CURVE_COLUMNS)
    assert json.loads(curve.to_json(tmp_path / "curve.json"))["chosen_lambda"] == curve.chosen_lambda

    from layernet import plotting

    ax = plotting.plot_learning_curve(curve)
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [item.validation_error_mean for item in curve.summary])
    assert ax.get_xscale() == "symlog" and ax.lines[-1].get_label() == f"chosen: lambda = {curve.chosen_lambda:g}"
    with pytest.raises(ln.LayerNetError, match="metric must be 'error' or 'cost'"):
        plotting.plot_learning_curve(curve, metric="loss")


@pytest.mark.parametrize(
    "sizes, message",
    [
        ([], "sizes is empty"),
        ([0], r"sizes\[0\] must be an integer >= 1, got 0"),
        ([1.5], r"sizes\[0\] must be a finite number in \(0, 1\]"),
        ([500], r"sizes\[0\] = 500 is more than the 21 samples of the smallest training fold"),
        ([21, 1.0], "sizes give 21 samples more than once"),
        ("10", "sizes must be a list"),
    ],
)
def test_bad_sizes_are_refused_before_any_fit(monkeypatch, sizes, message):
    monkeypatch.setattr(curves, "_fit_point", lambda task: pytest.fail("a fit ran"))
    with pytest.raises(ln.LayerNetError, match=message):
        study.learning_curve(tiny_config(), sizes=sizes, folds=2, n_jobs=1)


# -- the command line -----------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text("seed = 3\n[data]\nn_samples = 60\n[training]\nmax_iter = 15\n")
    return path


def test_cli_learning_curve_writes_its_files(tmp_path, config_file):
    out = tmp_path / "out"
    args = ["study", str(config_file), "--learning-curve", "--sizes", "8,1.0", "--folds", "2", "--n-jobs", "1"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "learning curve of the 2-3-2 network, lambda = 0," in result.output
    assert "wrote learning_curve.csv (4 fits), learning_curve.json, learning_curve.png" in result.output
    summary = json.loads((out / "learning_curve.json").read_text())
    assert [item["size"] for item in summary["summary"]] == [8, 21]
    assert (out / "learning_curve.png").stat().st_size > 10_000
    refused = runner.invoke(app, [*args, "--depths", "1,2", "--out", str(out)])
    lines = [line for line in refused.output.splitlines() if line.strip()]
    assert refused.exit_code == 1 and len(lines) == 1 and "--depths belong to the grid study" in lines[0]


def test_cli_study_reports_both_choices_and_keeps_best_npz(tmp_path, config_file, monkeypatch):
    from layernet_cli import study as study_command

    # The figures are test_cli_study's; here they would only cost time.
    monkeypatch.setattr(study_command, "_study_figures", lambda *args: [])
    out = tmp_path / "out"
    grid = ["--depths", "1", "--widths", "1,3", "--lambdas", "0,0.1", "--folds", "2", "--n-jobs", "1"]
    result = runner.invoke(app, ["study", str(config_file), *grid, "--repeats", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    one_se, best_mean = summary["one_se"], summary["best_mean"]
    assert summary["best"] == one_se and summary["settings"]["repeats"] == 2
    if one_se == best_mean:
        assert "one-SE rule and best mean agree" in result.output
    else:
        assert f"best mean: depth {best_mean['depth']}, width {best_mean['width']}" in result.output
    assert "chosen by the one-standard-error rule" in result.output and "repeated 2 times" in result.output
    assert "wrote results.csv (16 fits), summary.json, best.npz in" in result.output
    assert ln.load(out / "best.npz").sizes == [2, *[one_se["width"]] * one_se["depth"], 2]
    by_mean = runner.invoke(
        app, ["study", str(config_file), *grid, "--repeats", "2", "--rule", "best-mean", "--out", str(out)]
    )
    assert by_mean.exit_code == 0, by_mean.output
    assert "wrote results.csv (16 fits, 16 of them from an earlier run)" in by_mean.output
    assert json.loads((out / "summary.json").read_text())["best"] == best_mean


def test_the_boundaries_figure_explains_its_frame_and_names_the_choice():
    import matplotlib.pyplot as plt

    from layernet import plotting

    result = study.run(tiny_config(), **SMALL, n_jobs=1)
    fits = study.fit_architectures(result, 0.1, n_jobs=1)
    figure = plotting.plot_study_boundaries(
        fits, result.data.X_train, result.data.y_train, resolution=20, chosen=result.best
    )
    try:
        caption = " ".join(figure._supxlabel.get_text().split())  # wrapped to the figure: one line here
        framed = plotting._framed_fit(fits)
        assert (
            f"Green frame: {framed.depth}x{framed.width}, the simplest architecture within one standard error"
            in caption
        )
        assert "at lambda = 0.1." in caption
        best = result.best
        assert f"one-standard-error rule): {best.depth}x{best.width} at lambda = {best.lambda_:g}" in caption
        panel = figure.axes[[fit.width for fit in fits].index(framed.width)]
        assert panel.spines["top"].get_edgecolor()[:3] == matplotlib.colors.to_rgb("tab:green")
    finally:
        plt.close(figure)


def test_digits_example_refits_by_the_one_se_rule():
    """examples/digits.py's refit callable on made-up fold scores, against the rule worked by hand."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "examples" / "digits.py"
    spec = importlib.util.spec_from_file_location("digits_example", path)
    digits = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(digits)
    splits = np.array([[0.95, 0.97, 0.96], [0.96, 0.98, 0.97], [0.96, 0.97, 0.97], [0.90, 0.91, 0.92]])
    cv_results = {"param_alpha": np.ma.masked_array([0.0, 0.01, 0.1, 1.0])}
    cv_results.update({f"split{i}_test_score": splits[:, i] for i in range(3)})
    # Best mean: alpha 0.01 (0.97, SE 0.01 / sqrt(3) = 0.0058); within one SE: 0.01 and 0.1 (0.9667).
    assert digits.best_mean_alpha(cv_results) == 1
    assert digits.one_se_alpha(cv_results) == 2
    tied = dict(cv_results, split0_test_score=np.array([0.96, 0.96, 0.96, 0.96]))
    tied.update(split1_test_score=tied["split0_test_score"], split2_test_score=tied["split0_test_score"])
    assert digits.best_mean_alpha(tied) == 3  # equal means: the larger alpha, as ln.study breaks ties


def test_cli_sizes_keep_counts_and_fractions_apart():
    from layernet_cli import study as study_command

    assert study_command._sizes("10, 0.25,1.0,1") == [10, 0.25, 1.0, 1]
    assert study_command._sizes(study_command._SIZES) == list(study.DEFAULT_SIZES)  # the default ends at 1.0
    with pytest.raises(ln.LayerNetError, match="--sizes: 'half' is not a sample count or a fraction"):
        study_command._sizes("10,half")


def test_a_learning_curve_at_lambda_auto_runs_draws_and_refuses_auto_on_a_validation_curve():
    cfg = tiny_config(**{"training.lambda": "auto", "training.method": "lbfgs", "training.max_iter": 60})
    curve = study.learning_curve(cfg, sizes=[10, 1.0], folds=2, n_jobs=1)
    assert [item.lambda_ for item in curve.summary] == ["auto", "auto"]
    from layernet import plotting

    ax = plotting.plot_learning_curve(curve)
    assert "lambda = auto" in ax.get_title()
    matplotlib.pyplot.close(ax.figure)
    with pytest.raises(ln.LayerNetError, match=r"lambdas\[1\] must be a finite number >= 0, got 'auto'"):
        study.validation_curve(cfg, lambdas=[0.0, "auto"], folds=2, n_jobs=1)
