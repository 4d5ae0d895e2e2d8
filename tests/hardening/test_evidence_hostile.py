"""lambda_="auto" attacked from outside: odd problems, hostile arguments, damaged study files.

Oracles: a plain numpy MacKay update from a finite-difference Jacobian of the reference forward
pass (tests/reference.py), the cost's own gradient at the lambda a result claims (a minimum under
that lambda has a zero gradient), and the records' own definitions.
"""

from __future__ import annotations

import csv
import json
import math
import shutil

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import layernet as ln
from layernet import curvature, evidence
from layernet_cli.app import app


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
    [
        ("lambda_reached", "nan"),
        ("lambda_reached", "inf"),
        ("lambda_reached", "-1"),
        ("lambda_reached", ""),
        ("effective_parameters", "-3"),
        ("effective_parameters", "inf"),
    ],
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


# -- the numbers against a plain MacKay update -----------------------------------------------------


def plain_outputs(sizes, hidden, output, theta, X):
    """``(z, a)`` of the output layer: a loop over the layers, bias in column 0 of each matrix."""
    functions = {"sigmoid": lambda z: 1 / (1 + np.exp(-z)), "tanh": np.tanh}
    a, start = X, 0
    for index, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        matrix = theta[start : start + n_out * (n_in + 1)].reshape(n_out, n_in + 1)
        start += matrix.size
        z = matrix[:, 0] + a @ matrix[:, 1:].T
        a = functions[output if index == len(sizes) - 2 else hidden](z)
    return z, a


def finite_difference_jacobian(f, theta, step=1e-6):
    """``d f / d theta`` by central differences, one column per parameter: (m * n_out, n)."""
    columns = []
    for j in range(theta.size):
        e = np.zeros_like(theta)
        e[j] = step
        columns.append(((f(theta + e) - f(theta - e)) / (2 * step)).ravel())
    return np.stack(columns, axis=1)


def weight_mask(sizes):
    return np.concatenate(
        [np.c_[np.zeros((n_out, 1)), np.ones((n_out, n_in))].ravel() for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    )


def mackay(B, theta, mask, lambda_):
    """gamma and alpha of MacKay's update from the data term's Gauss-Newton matrix ``B`` (precision 1)."""
    A = B + lambda_ * np.diag(mask)
    gamma = mask.sum() - lambda_ * np.trace(np.linalg.solve(A, np.diag(mask)))
    return gamma, gamma / np.sum((theta * mask) ** 2)


def test_sigmoid_one_vs_all_with_a_hidden_layer_follows_the_plain_update():
    # Three independent sigmoid outputs (the course's one-vs-all), a tanh hidden layer: the
    # cross-entropy's Gauss-Newton matrix is J_z^T diag(p (1 - p)) J_z, and lambda = alpha.
    rng = np.random.default_rng(7)
    sizes, lambda_ = [3, 4, 3], 0.05
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 3, 30)
    net = ln.Network(sizes, hidden="tanh", output="sigmoid").init(1)
    theta = net.theta * 3  # well off zero: saturated and unsaturated units
    p = plain_outputs(sizes, "tanh", "sigmoid", theta, X)[1]
    J = finite_difference_jacobian(lambda t: plain_outputs(sizes, "tanh", "sigmoid", t, X)[0], theta)
    B = J.T @ ((p * (1 - p)).ravel()[:, None] * J)
    mask = weight_mask(sizes)
    gamma, alpha = mackay(B, theta, mask, lambda_)
    for rows in (None, 7):  # all samples at once, and in chunks of 7 (a training budget's)
        got = evidence.reestimate(net, theta, X, np.eye(3)[y], lambda_, rows=rows)
        assert got.beta is None and got.n_weights == mask.sum()
        np.testing.assert_allclose([got.gamma, got.alpha, got.lambda_], [gamma, alpha, alpha], rtol=1e-6)
        assert got.effective_parameters == pytest.approx(gamma + (1 - mask).sum(), rel=1e-6)


def test_a_tanh_output_with_squared_error_follows_the_plain_update():
    # A non-canonical pair: the residual is a - y with a = tanh(z), so the Gauss-Newton matrix is
    # J_a^T J_a of the outputs themselves; beta = (N - b - gamma) / sum(r**2), lambda = alpha / beta.
    rng = np.random.default_rng(8)
    sizes, lambda_ = [2, 3, 2], 0.02
    X = rng.normal(size=(25, 2))
    Y = np.tanh(X @ [[0.7, -0.2], [0.3, 0.9]]) * 0.8 + rng.normal(scale=0.1, size=(25, 2))
    net = ln.Network(sizes, hidden="sigmoid", output="tanh", task="regression").init(2)
    theta = net.theta * 2
    a = plain_outputs(sizes, "sigmoid", "tanh", theta, X)[1]
    J = finite_difference_jacobian(lambda t: plain_outputs(sizes, "sigmoid", "tanh", t, X)[1], theta)
    mask = weight_mask(sizes)
    gamma, alpha = mackay(J.T @ J, theta, mask, lambda_)
    beta = (Y.size - (1 - mask).sum() - gamma) / np.sum((a - Y) ** 2)
    for rows in (None, 6):
        got = evidence.reestimate(net, theta, X, Y, lambda_, rows=rows)
        expected = [gamma, alpha, beta, alpha / beta]
        np.testing.assert_allclose([got.gamma, got.alpha, got.beta, got.lambda_], expected, rtol=1e-6)
    # Hutchinson's estimate (the same probes) is the same whether the products are summed over
    # chunks or not, and within its noise of the exact gamma.
    whole, chunked = (
        evidence.reestimate(net, theta, X, Y, lambda_, rows=rows, dense_limit=0, probes=8) for rows in (None, 13)
    )
    assert whole.trace == chunked.trace == "hutchinson"
    assert chunked.gamma == pytest.approx(whole.gamma, rel=1e-6) and whole.gamma == pytest.approx(gamma, rel=0.2)
    assert chunked.beta == pytest.approx(whole.beta, rel=1e-6)


def test_the_re_estimations_keep_to_the_training_budget(monkeypatch):
    # Before: each re-estimation built work buffers for all the samples, whatever batch_size or
    # max_memory bounded the evaluations to (350 MB against 13 MB on 200,000 samples at 4 MiB).
    X, y = ln.datasets.make_moons(40, 0.2, rng=np.random.RandomState(0))
    net = ln.Network([2, 3, 2]).init(0)
    sizes = []  # the samples of every Gauss-Newton matrix's work buffers
    real = curvature.Curvature.__init__
    monkeypatch.setattr(
        curvature.Curvature,
        "__init__",
        lambda self, engine, work, lambda_: sizes.append(work.n_samples) or real(self, engine, work, lambda_),
    )
    result = ln.train(net, X, y, lambda_="auto", method="lbfgs", batch_size=8)
    assert result.evidence.cycles >= 2 and max(sizes) <= 8
    unbounded = ln.train(ln.Network([2, 3, 2]).init(0), X, y, lambda_="auto", method="lbfgs")
    # Chunked sums round differently, so the optimizer's path differs a little: the same lambda
    # within the settling rule's 1 % either side.
    assert result.evidence.settled and unbounded.evidence.settled
    assert result.lambda_ == pytest.approx(unbounded.lambda_, rel=0.02)


# -- hostile arguments -----------------------------------------------------------------------------

ODD = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.text(max_size=6),
    st.sampled_from(["auto", " AUTO", "Auto\t", "autos", "au to", "0.1", "nan", b"auto", None, True, [0.1], {}]),
)


def accepted(value):
    """The documented rule, written out: "auto" in any case and spacing, or a finite real >= 0 (no bool)."""
    if isinstance(value, str):
        return "auto" if value.strip().lower() == "auto" else None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) and number >= 0 else None


def refused(call, name):
    with pytest.raises(ln.LayerNetError) as caught:
        call()
    assert isinstance(caught.value, ValueError) and name in str(caught.value)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=ODD)
def test_every_lambda_is_auto_a_number_or_one_error_naming_it(value):
    expected = accepted(value)
    reference = ln.RunConfig.reference()
    if expected is None:
        refused(lambda: ln.TrainOptions(lambda_=value), "lambda_")
        if value is not None:  # override's None is "no change"
            refused(lambda: reference.override({"training.lambda": value}), "training.lambda")
        refused(lambda: ln.study.run(reference, depths=[1], widths=[1], lambdas=[value], folds=2, n_jobs=1), "lambdas")
        refused(lambda: ln.LayerNetClassifier(alpha=value).fit([[0.0], [1.0]], [0, 1]), "alpha")
    else:
        assert ln.TrainOptions(lambda_=value).lambda_ == expected
        assert reference.override({"training.lambda": value}).training.lambda_ == expected
        # Twice in a study's grid: refused as a repeat, so it was read as a lambda (and nothing runs).
        refused(
            lambda: ln.study.run(reference, depths=[1], widths=[1], lambdas=[value, value], folds=2), "more than once"
        )


@pytest.mark.parametrize(
    "args",
    [
        ["train", "--lambda", "autox"],
        ["train", "--lambda", "nan"],
        ["train", "--lambda", "-1e-3"],
        ["train", "--set", "training.lambda=[1]"],
        ["train", "--set", "training.lambda=true"],
        ["train", "--set", "training.lambda='0.1'"],
        ["study", "--lambdas", "0,inf,auto", "--depths", "1", "--widths", "1"],
        ["study", "--lambdas", "auto,AUTO", "--depths", "1", "--widths", "1"],
        ["study", "--lambdas", "0", "--boundary-lambda", "auto", "--depths", "1", "--widths", "1"],
    ],
)
def test_a_bad_lambda_on_the_command_line_is_one_red_line(tmp_path, args):
    result = CliRunner().invoke(
        app,
        [*args, "--out" if args[0] == "study" else "--quiet", *([str(tmp_path / "out")] if args[0] == "study" else [])],
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    (line,) = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert "lambda" in line
    assert not (tmp_path / "out" / "results.csv").exists()


# -- odd problems: what every auto result must say about itself ------------------------------------


def interrupt_at(iteration):
    def callback(info):
        if info.iteration == iteration:
            raise KeyboardInterrupt

    return callback


def odd_problem(name):
    """``(network, X, y, train settings)`` of one odd problem, small enough to train in milliseconds."""
    rng = np.random.default_rng(11)
    X = rng.normal(size=(30, 2))
    labels = (X[:, 0] * X[:, 1] > 0).astype(int)
    if name == "deep sigmoid at chance":
        return ln.Network([2, 3, 3, 3, 3, 3, 3, 2]).init(0), X, labels, {"method": "lbfgs", "max_iter": 150}
    if name == "separable":
        Xs = np.r_[X[:15] + 6, X[15:] - 6]
        return ln.Network([2, 3, 2]).init(0), Xs, np.r_[[0] * 15, [1] * 15], {"method": "cg", "max_iter": 300}
    if name == "one sample per class":
        return ln.Network([2, 3, 3], output="softmax").init(0), np.eye(3)[:, :2], [0, 1, 2], {"method": "lbfgs"}
    if name == "constant feature":
        Xc = np.c_[X, np.full(len(X), 4.0)]
        return ln.Network([3, 3, 2]).init(0), Xc, labels, {"method": "trust-krylov", "max_iter": 60}
    if name == "exact fit":
        return ln.Network([2, 1], output="identity").init(0), X, X @ [1.5, -2.0] + 0.5, {"method": "lm"}
    if name == "two outputs":
        Y = np.c_[np.sin(X[:, 0]), X[:, 1] ** 2]
        return ln.Network([2, 4, 2], hidden="tanh", output="identity").init(0), X, Y, {"method": "lm", "max_iter": 40}
    if name == "float32":
        net = ln.Network([2, 3, 2], dtype="float32").init(0)
        return net, X, labels, {"method": "trust-ncg", "max_iter": 40}
    if name == "max_iter 1":
        return ln.Network([2, 3, 2]).init(0), X, labels, {"method": "gd", "max_iter": 1}
    if name == "Ctrl-C in the second phase":
        return ln.Network([2, 3, 2]).init(0), X, labels, {"method": "bfgs", "callback": interrupt_at(103)}
    raise AssertionError(name)


ODD_PROBLEMS = [
    "deep sigmoid at chance",
    "separable",
    "one sample per class",
    "constant feature",
    "exact fit",
    "two outputs",
    "float32",
    "max_iter 1",
    "Ctrl-C in the second phase",
]


@pytest.mark.parametrize("name", ODD_PROBLEMS)
def test_an_auto_result_on_an_odd_problem_is_consistent(name):
    net, X, y, settings_ = odd_problem(name)
    result = ln.train(net, X, y, lambda_="auto", **settings_)
    found = result.evidence
    # The parameters bound are finite and the result's own.
    assert np.isfinite(net.theta).all() and np.array_equal(net.theta, result.theta)
    assert np.isfinite(result.cost) and result.status != "diverged"
    # The record of the phases, written out plainly, is the history's lambda column.
    assert len(found.lambdas) == len(found.phase_iterations) and sum(found.phase_iterations) == result.iterations
    series = [found.lambdas[0]] + [value for value, n in zip(found.lambdas, found.phase_iterations) for _ in range(n)]
    assert result.history["lambda"] == series
    assert {len(column) for column in result.history.values()} == {result.iterations + 1}
    # The lambda reported is the one the last parameters were trained with, and a sane one.
    # (A last phase of no iterations started converged under its lambda: that one is reported.)
    assert result.lambda_ == found.lambda_ == found.lambdas[-1]
    assert found.phase_iterations[-1] == 0 or series[-1] == result.lambda_
    low, high = evidence.LAMBDA_RANGE
    assert all(low <= value <= high for value in found.lambdas)
    assert found.cycles <= len(found.lambdas) and (found.cycles > 0 or not found.settled)
    if name == "Ctrl-C in the second phase":
        assert result.status == "interrupted" and result.iterations == 103 and result.lambda_ == found.lambdas[1]
    if name == "max_iter 1":
        assert result.status == "max_iter" and result.iterations == 1 and not found.settled
    if found.settled:
        # Settled means trained to convergence with the reported lambda: its gradient vanishes there.
        Y = y if net.is_regressor else np.eye(net.n_outputs)[np.asarray(y)]
        gradient = net.cost_and_grad(result.theta.astype(float), X, Y, result.lambda_)[1]
        assert np.abs(gradient).max() < 1e-3


def test_show_says_a_saved_model_chose_its_lambda_by_the_evidence(tmp_path):
    # Before: "cg, lambda = 0.010385551790142137", the same as a lambda given by hand.
    config = tmp_path / "auto.toml"
    config.write_text('seed = 0\n[data]\nn_samples = 40\n[training]\nmax_iter = 5\nlambda = "auto"\n')
    model = tmp_path / "model.npz"
    trained = CliRunner().invoke(app, ["train", str(config), "--save", str(model), "--quiet"])
    assert trained.exit_code == 0, trained.output
    summary = ln.load(model).training_summary
    effective = summary["evidence"]["effective_parameters"]
    shown = CliRunner().invoke(app, ["show", str(model)])
    assert shown.exit_code == 0, shown.output
    expected = f"lambda = auto -> {summary['lambda']:.4g} ({effective:.1f} effective parameters)"
    assert expected in " ".join(shown.output.split())


@pytest.mark.parametrize("lambdas", [[float("nan")], [-1], ["auto", "AUTO"], [], "auto"])
def test_a_damaged_lambda_grid_in_study_json_is_one_clear_error(auto_folder, tmp_path, lambdas):
    # Before: NaN, negative, repeated and empty grids were loaded as they were.
    folder = tmp_path / "damaged"
    shutil.copytree(auto_folder, folder)
    stored = json.loads((folder / "study.json").read_text())
    stored["settings"]["lambdas"] = lambdas
    (folder / "study.json").write_text(json.dumps(stored))
    with pytest.raises(ln.LayerNetError, match="study settings are malformed .*lambdas"):
        ln.study.load(folder)
