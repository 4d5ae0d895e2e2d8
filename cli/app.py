"""The Typer application behind the ``layernet`` command.

Each command parses its arguments, calls the library, and renders the result with rich. Errors a
user can fix are one red line and exit code 1; Typer's usage errors exit with 2; Ctrl-C exits
with 130 after reporting (and saving, when asked) what training reached.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from functools import wraps
from pathlib import Path
from typing import Annotated, Optional

import typer

import layernet as ln
import layernet.study_defaults as study_defaults

from .render import (
    StudyProgressBar,
    TrainingProgress,
    confusion_table,
    err,
    error,
    gradcheck_table,
    model_table,
    out,
    refit_line,
    study_table,
    summary_table,
)

app = typer.Typer(
    name="layernet",
    help="Build, train and inspect course-style neural networks. "
    "`layernet train` with no argument trains the reference 2-3-2 moons network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130


def _friendly(command):
    """Turn the library's input errors into one red line (exit 1) and Ctrl-C into exit 130."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ln.LayerNetError as exc:
            error(str(exc))
            raise typer.Exit(EXIT_ERROR) from None
        except OSError as exc:
            error(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            error("interrupted")
            raise typer.Exit(EXIT_INTERRUPTED) from None

    return wrapper


def _int_list(text: str | None, option: str) -> list[int] | None:
    if text is None:
        return None
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise typer.BadParameter(
            f"expected comma-separated integers like 2,5,5,2, got {text!r}", param_hint=option
        ) from None


def _float_list(text: str | None, option: str) -> list[float] | None:
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise typer.BadParameter(
            f"expected comma-separated numbers like 0,0.001,0.1, got {text!r}", param_hint=option
        ) from None


def _names(text: str | None) -> str | list[str] | None:
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",")]
    return parts[0] if len(parts) == 1 else parts


def _load_config(config: Path | None) -> ln.RunConfig:
    return ln.RunConfig.from_toml(config) if config is not None else ln.RunConfig.reference()


def _writable(path: Path | None, option: str) -> None:
    """Refuse an output path before training, not after it."""
    if path is None:
        return
    if path.is_dir():
        raise ln.LayerNetError(f"{option} {path}: is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ln.LayerNetError(f"{option} {path}: the folder {parent} does not exist")


def _save_plot(draw, path: Path) -> None:
    import matplotlib.pyplot as plt

    ax = draw()
    try:
        ln.save_figure(ax, path)
    finally:
        plt.close(ax.figure)


ConfigArgument = Annotated[
    Optional[Path], typer.Argument(help="A run configuration (TOML). Default: the reference network.")
]


@app.command()
@_friendly
def train(
    config: ConfigArgument = None,
    layers: Annotated[Optional[str], typer.Option("--layers", help="Layer sizes, e.g. 2,5,5,2.")] = None,
    hidden: Annotated[
        Optional[str], typer.Option("--hidden", help="Hidden activation, or one per hidden layer: tanh,relu.")
    ] = None,
    output: Annotated[
        Optional[str], typer.Option("--output", help="Output activation: sigmoid, softmax, identity.")
    ] = None,
    lambda_: Annotated[Optional[float], typer.Option("--lambda", help="Regularization strength.")] = None,
    method: Annotated[Optional[str], typer.Option("--method", help="cg, lbfgs, bfgs or gd.")] = None,
    max_iter: Annotated[Optional[int], typer.Option("--max-iter", help="Iteration limit.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="The run's seed.")] = None,
    learning_rate: Annotated[Optional[float], typer.Option("--learning-rate", help="Step size for gd.")] = None,
    threads: Annotated[
        Optional[int],
        typer.Option("--threads", min=1, help="Threads for training (default: chosen from the problem's size)."),
    ] = None,
    plot: Annotated[Optional[Path], typer.Option("--plot", help="Draw the decision boundary to this PNG.")] = None,
    cost_plot: Annotated[
        Optional[Path], typer.Option("--cost-plot", help="Draw cost per iteration to this PNG.")
    ] = None,
    save: Annotated[Optional[Path], typer.Option("--save", help="Save the trained model (.npz).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON summary on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Train the network described in CONFIG (the reference 2-3-2 moons network if omitted)."""
    cfg = _load_config(config).override(
        {
            "network.layers": _int_list(layers, "--layers"),
            "network.hidden": _names(hidden),
            "network.output": output,
            "training.lambda": lambda_,
            "training.method": method,
            "training.max_iter": max_iter,
            "training.learning_rate": learning_rate,
            "seed": seed,
        }
    )
    for path, option in ((plot, "--plot"), (cost_plot, "--cost-plot"), (save, "--save")):
        _writable(path, option)
    if plot is not None and cfg.network.layers[0] != 2:
        raise ln.LayerNetError(
            f"--plot draws a decision boundary over two features; this network takes {cfg.network.layers[0]}"
        )

    show_progress = not quiet and sys.stdout.isatty()
    with TrainingProgress(show_progress, cfg.training.max_iter) as progress:
        run = ln.run(cfg, callback=progress, threads=threads)

    if save is not None:
        ln.save(run.network, save)
    if plot is not None:
        _save_plot(lambda: ln.plot_decision_boundary(run.network, run.X_train, run.y_train), plot)
    if cost_plot is not None and run.result.iterations:
        _save_plot(lambda: ln.plot_cost_history(run.result), cost_plot)

    if as_json:
        print(json.dumps(ln.persistence.json_safe(run.metrics), indent=2))
    elif not quiet:
        out.print(summary_table(run.metrics))
        for path, what in ((save, "model"), (plot, "decision boundary"), (cost_plot, "cost plot")):
            if path is not None and (what != "cost plot" or run.result.iterations):
                out.print(f"{what} written to {path}", highlight=False, soft_wrap=True)
    if run.result.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


@app.command()
@_friendly
def init(
    path: Annotated[Path, typer.Argument(help="Where to write the configuration.")] = Path("layernet.toml"),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the reference configuration, commented, to PATH to edit and train with."""
    if path.exists() and not force:
        raise ln.LayerNetError(f"{path} already exists; pass --force to overwrite it")
    _writable(path, "PATH")
    text = ln.config.reference_toml()
    ln.persistence.atomic_write(path, lambda handle: handle.write(text), mode="w")
    out.print(f"wrote {path}; train it with: layernet train {path}", highlight=False, soft_wrap=True)


def _evaluation_data(model: ln.Network, data: Path | None, label: str):
    """Features and labels to evaluate on: a CSV, a configuration, or the model's own run."""
    if data is not None and data.suffix.lower() == ".csv":
        dataset = ln.datasets.read_csv(data, label=int(label) if label.lstrip("-").isdigit() else label)
        return dataset.X, dataset.y, str(data)
    if data is not None:
        cfg = ln.RunConfig.from_toml(data)
    else:
        raw = model.training_summary.get("config")
        if raw is None:
            raise ln.LayerNetError("this model does not record its training data; give DATA (a config or a CSV)")
        cfg = ln.RunConfig.from_dict(raw, source="the model's run configuration")
    split = ln.load_data(cfg)
    if len(split.y_test):
        return split.X_test, split.y_test, f"{split.dataset.name} test split ({len(split.y_test)} samples)"
    return split.X_train, split.y_train, f"{split.dataset.name} ({len(split.y_train)} samples, the training data)"


@app.command()
@_friendly
def evaluate(
    model: Annotated[Path, typer.Argument(help="A saved model (.npz).")],
    data: Annotated[
        Optional[Path],
        typer.Argument(help="A config (.toml) or a CSV; default: the data the model was trained on."),
    ] = None,
    label: Annotated[str, typer.Option("--label", help="CSV label column, by name or index.")] = "-1",
    as_json: Annotated[bool, typer.Option("--json", help="Print only JSON on stdout.")] = False,
) -> None:
    """Accuracy, cost and confusion matrix of MODEL on DATA (its test split, if it has one)."""
    net = ln.load(model)
    X, y, description = _evaluation_data(net, data, label)
    result = ln.evaluate(net, X, y)
    if as_json:
        print(json.dumps(ln.persistence.json_safe({**result.to_dict(), "data": description}), indent=2))
        return
    out.print(f"{model}: {description}", highlight=False, soft_wrap=True)
    out.print(f"accuracy {100 * result.accuracy:.1f} %, cost {result.cost:.6f} (unregularized)", highlight=False)
    out.print(confusion_table(result))


@app.command()
@_friendly
def predict(
    model: Annotated[Path, typer.Argument(help="A saved model (.npz).")],
    features: Annotated[Path, typer.Argument(help="A CSV of feature columns, with or without a header.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the CSV here, not stdout.")] = None,
    proba: Annotated[bool, typer.Option("--proba", help="Add one probability column per class.")] = False,
) -> None:
    """Predict one label per row of FEATURES.csv."""
    net = ln.load(model)
    _writable(output, "--output")
    X, _ = ln.datasets.read_features_csv(features, n_features=net.n_features)
    labels = net.predict(X)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if proba:
        probabilities = net.predict_proba(X)
        writer.writerow(["label", *[f"p_{c}" for c in net._class_labels().tolist()]])
        for label, row in zip(labels.tolist(), probabilities):
            writer.writerow([label, *(f"{p:.6g}" for p in row)])
    else:
        writer.writerow(["label"])
        writer.writerows([label] for label in labels.tolist())
    if output is None:
        sys.stdout.write(buffer.getvalue())
    else:
        ln.persistence.atomic_write(output, lambda handle: handle.write(buffer.getvalue()), mode="w")


@app.command()
@_friendly
def gradcheck(
    config: ConfigArgument = None,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Samples of the data to check on.")] = 20,
    at: Annotated[
        str, typer.Option("--at", help="debug: the course's sin-based weights; init: the run's initial weights.")
    ] = "debug",
    tolerance: Annotated[float, typer.Option("--tolerance", help="Largest passing relative difference.")] = 1e-9,
) -> None:
    """Compare backpropagation with numerical gradients for CONFIG's network, per layer."""
    if at not in ("debug", "init"):
        raise typer.BadParameter(f"expected 'debug' or 'init', got {at!r}", param_hint="--at")
    net, report = ln.gradcheck.check_config_gradients(_load_config(config), samples=samples, at=at, tolerance=tolerance)
    out.print(gradcheck_table(net, report, tolerance))
    if not report.passed:
        if report.relative_difference >= report.limit:
            what, value, limit = "relative difference", report.relative_difference, report.limit
        else:
            i = report.failed_layers[0]
            what, value, limit = f"layer {i + 1} relative difference", report.per_layer[i], report.per_layer_limit[i]
        error(f"{what} {value:.3e} is above the tolerance {limit:g}")
        raise typer.Exit(EXIT_ERROR)


@app.command()
@_friendly
def show(model: Annotated[Path, typer.Argument(help="A saved model (.npz).")]) -> None:
    """Describe a saved model: architecture, parameters, classes and how it was trained."""
    metadata = ln.persistence.read_metadata(model)
    net = ln.load(model)
    out.print(model_table(model, net, metadata))


#: The figures `layernet study` writes beside its records.
STUDY_FIGURES = {"boundaries": "boundaries.png", "capacity": "capacity.png", "lambda": "lambda.png"}


def _listed(values, fmt: str = "{}") -> str:
    return ",".join(fmt.format(value) for value in values)


_DEPTHS = _listed(study_defaults.DEFAULT_DEPTHS)
_WIDTHS = _listed(study_defaults.DEFAULT_WIDTHS)
_LAMBDAS = _listed(study_defaults.DEFAULT_LAMBDAS, "{:g}")


@app.command()
@_friendly
def study(
    config: ConfigArgument = None,
    depths: Annotated[str, typer.Option("--depths", help="Numbers of hidden layers to try.")] = _DEPTHS,
    widths: Annotated[str, typer.Option("--widths", help="Units per hidden layer to try.")] = _WIDTHS,
    lambdas: Annotated[str, typer.Option("--lambdas", help="Regularization strengths to try.")] = _LAMBDAS,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = study_defaults.DEFAULT_FOLDS,
    test_size: Annotated[
        Optional[float],
        typer.Option(
            "--test-size",
            help="Fraction held out as the test set. Default: the config's, or "
            f"{study_defaults.DEFAULT_TEST_SIZE:g} if it holds none out.",
        ),
    ] = None,
    n_jobs: Annotated[int, typer.Option("--n-jobs", help="Parallel fits on this machine; -1: all cores.")] = -1,
    scheduler: Annotated[
        Optional[str],
        typer.Option("--scheduler", help="Run the fits on a Dask cluster: tcp://host:8786 (layernet[distributed])."),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for results.csv, summary.json and the figures.")
    ] = Path("layernet-study"),
    force: Annotated[
        bool, typer.Option("--force", help="Start over in a folder that holds a different study.")
    ] = False,
    boundary_lambda: Annotated[
        Optional[float],
        typer.Option("--boundary-lambda", help="The lambda of the decision-boundary panels (default: the smallest)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Configurations shown in the table.")] = 5,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Cross-validate depths, widths and lambdas; pick the best and test it once on held-out data.

    Every finished fit is appended to OUT/results.csv; run the same command again to resume.
    """
    cfg = _load_config(config)
    grid = {
        "depths": _int_list(depths, "--depths"),
        "widths": _int_list(widths, "--widths"),
        "lambdas": _float_list(lambdas, "--lambdas"),
    }
    if boundary_lambda is not None and boundary_lambda not in grid["lambdas"]:
        raise ln.LayerNetError(f"--boundary-lambda {boundary_lambda:g} is not one of --lambdas {lambdas}")
    show_progress = not quiet and sys.stdout.isatty()
    progress = StudyProgressBar(show_progress)
    try:
        with progress:
            result = ln.study.run(
                cfg,
                **grid,
                folds=folds,
                test_size=test_size,
                n_jobs=n_jobs,
                directory=out_dir,
                force=force,
                scheduler=scheduler,
                callback=progress,
            )
        written = _study_figures(result, out_dir, boundary_lambda, n_jobs, scheduler, show_progress, quiet)
    except KeyboardInterrupt:
        if progress.total:
            saved = f"{progress.done} of {progress.total} fits are saved in {out_dir / study_defaults.RESULTS_FILE}"
            error(f"interrupted: {saved}; run the same command again to finish the rest")
        else:
            error("interrupted before the first fit")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if quiet:
        return
    out.print(study_table(result, top))
    out.print(refit_line(result), highlight=False, soft_wrap=True)
    recorded = f"{study_defaults.RESULTS_FILE} ({len(result.records)} fits"
    recorded += f", {progress.skipped} of them from an earlier run)" if progress.skipped else ")"
    names = [recorded, study_defaults.SUMMARY_FILE, *written]
    out.print(f"wrote {', '.join(names)} in {out_dir}", highlight=False, soft_wrap=True)


def _study_figures(result, out_dir: Path, boundary_lambda, n_jobs, scheduler, show_progress, quiet) -> list[str]:
    """Draw the study's three figures into ``out_dir``; return the names written."""
    import matplotlib.pyplot as plt

    from layernet import plotting

    data = result.data
    figures = []
    if data.X_train.shape[1] == 2:
        with StudyProgressBar(show_progress, label="boundaries") as progress:
            fits = ln.study.fit_architectures(
                result, boundary_lambda, n_jobs=n_jobs, scheduler=scheduler, callback=progress
            )
        figures.append(("boundaries", lambda: plotting.plot_study_boundaries(fits, data.X_train, data.y_train)))
    elif not quiet:
        note = f"{STUDY_FIGURES['boundaries']} skipped: the data has {data.X_train.shape[1]} features, not 2"
        err.print(note, style="yellow", highlight=False, soft_wrap=True)
    figures.append(("capacity", lambda: plotting.plot_study_capacity(result)))
    figures.append(("lambda", lambda: plotting.plot_study_lambda(result)))
    written = []
    for name, draw in figures:
        figure = draw()
        try:
            ln.save_figure(figure, out_dir / STUDY_FIGURES[name])
        finally:
            plt.close(figure)
        written.append(STUDY_FIGURES[name])
    return written


def main() -> None:
    """Console-script entry point."""
    app()
