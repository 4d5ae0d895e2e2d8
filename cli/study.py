"""``layernet study``: cross-validate depths, widths and lambdas, test the chosen one once, draw the figures.

With ``--learning-curve`` (or ``--validation-curve``) it draws the configured network's learning
curve (validation curve over ``--lambdas``) on the same folds instead.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

import layernet as ln
import layernet.study_defaults as study_defaults
from layernet.study_defaults import lambda_text

from . import interrupts
from .common import (
    ConfigArgument,
    DataOption,
    ImportOption,
    LabelOption,
    SetOption,
    float_list,
    import_activations,
    int_list,
    lambda_list,
    lambda_value,
    load_run_config,
    parse_sets,
)
from .interrupts import interrupted_exit_code
from .render import StudyProgressBar, display, error, plus_minus, refit_line, say, study_lambda, study_table
from .train import cap_threads

#: The figures `layernet study` writes beside its records.
STUDY_FIGURES = {"boundaries": "boundaries.png", "capacity": "capacity.png", "lambda": "lambda.png"}
#: What `--learning-curve` and `--validation-curve` write: the points, the summary, the figure.
CURVE_FILES = {
    kind: (f"{kind}_curve.csv", f"{kind}_curve.json", f"{kind}_curve.png") for kind in ("learning", "validation")
}


def _listed(values, fmt: str = "{}") -> str:
    return ",".join(fmt.format(value) for value in values)


_DEPTHS = _listed(study_defaults.DEFAULT_DEPTHS)
_WIDTHS = _listed(study_defaults.DEFAULT_WIDTHS)
_LAMBDAS = _listed(study_defaults.DEFAULT_LAMBDAS, "{:g}")
_SIZES = _listed(study_defaults.DEFAULT_SIZES, "{!r}")  # 1.0, not 1: "1" is one sample


def study(
    config: ConfigArgument = None,
    sets: SetOption = None,
    data: DataOption = None,
    label: LabelOption = None,
    imports: ImportOption = None,
    depths: Annotated[
        Optional[str], typer.Option("--depths", help=f"Numbers of hidden layers to try. [default: {_DEPTHS}]")
    ] = None,
    widths: Annotated[
        Optional[str], typer.Option("--widths", help=f"Units per hidden layer to try. [default: {_WIDTHS}]")
    ] = None,
    lambdas: Annotated[
        str,
        typer.Option(
            "--lambdas", help="Regularization strengths to try; auto: each fit chooses its own by the evidence."
        ),
    ] = _LAMBDAS,
    folds: Annotated[int, typer.Option("--folds", help="Cross-validation folds.")] = study_defaults.DEFAULT_FOLDS,
    repeats: Annotated[
        int, typer.Option("--repeats", help="Repeat the cross-validation with fresh shuffles of the folds.")
    ] = study_defaults.DEFAULT_REPEATS,
    rule: Annotated[
        str,
        typer.Option(
            "--rule",
            help="How the configuration is chosen: one-se (the simplest within one standard error of the best "
            "mean) or best-mean.",
        ),
    ] = study_defaults.DEFAULT_RULE,
    learning_curve: Annotated[
        bool,
        typer.Option(
            "--learning-curve",
            help="Instead of the grid: training and validation error of the configured network against "
            "the training-set size (--sizes).",
        ),
    ] = False,
    validation_curve: Annotated[
        bool,
        typer.Option(
            "--validation-curve",
            help="Instead of the grid: training and validation error of the configured network against --lambdas.",
        ),
    ] = False,
    sizes: Annotated[
        str,
        typer.Option(
            "--sizes",
            help="Training-set sizes of the learning curve: sample counts (40) or fractions of a training fold (0.5).",
        ),
    ] = _SIZES,
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
        Optional[str],
        typer.Option(
            "--boundary-lambda",
            callback=lambda_value,
            help="The lambda of the decision-boundary panels, or auto (default: the smallest).",
        ),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Configurations shown in the table.")] = 5,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Cross-validate depths, widths and lambdas; choose one and test it once on held-out data.

    Every finished fit is appended to OUT/results.csv; run the same command again to resume, or
    with more depths, widths, lambdas or repeats to grow the study (only the new fits run).
    """
    import_activations(imports)
    overrides = parse_sets(sets)
    for override in overrides:
        if override.key == "training.lambda" and not learning_curve:
            # The grid's --lambdas replace it; taking it silently would run another study than asked.
            raise ln.LayerNetError(
                f"{override.origin}: a study tries the lambdas of --lambdas (auto among them: each fit's own by the "
                "evidence); training.lambda is used only by --learning-curve"
            )
    cfg = cap_threads(load_run_config(config, overrides, data, label), quiet)
    if learning_curve or validation_curve:
        if learning_curve and validation_curve:
            raise ln.LayerNetError("--learning-curve and --validation-curve are two runs: give one of them")
        given = [name for name, value in (("--depths", depths), ("--widths", widths)) if value is not None]
        if given:
            raise ln.LayerNetError(
                f"{' and '.join(given)} belong to the grid study; a curve trains the configured network "
                "(set its layers with --set network.layers=[...])"
            )
        kind = "learning" if learning_curve else "validation"
        curve_args = {"sizes": sizes, "lambdas": lambdas}
        _curve(cfg, kind, curve_args, folds, repeats, test_size, n_jobs, scheduler, out_dir, quiet)
        return
    grid = {
        "depths": int_list(_DEPTHS if depths is None else depths, "--depths"),
        "widths": int_list(_WIDTHS if widths is None else widths, "--widths"),
        "lambdas": lambda_list(lambdas, "--lambdas"),
    }
    if boundary_lambda is not None and boundary_lambda not in grid["lambdas"]:
        raise ln.LayerNetError(f"--boundary-lambda {lambda_text(boundary_lambda)} is not one of --lambdas {lambdas}")
    show_progress = not quiet and sys.stderr.isatty()  # the bar is drawn on stderr
    progress = StudyProgressBar(show_progress)
    try:
        with progress:
            result = ln.study.run(
                cfg,
                **grid,
                folds=folds,
                test_size=test_size,
                n_jobs=n_jobs,
                repeats=repeats,
                rule=rule,
                directory=out_dir,
                force=force,
                scheduler=scheduler,
                callback=progress,
            )
        written = _study_figures(result, out_dir, boundary_lambda, n_jobs, scheduler, show_progress, quiet)
    except KeyboardInterrupt:
        interrupts.settle()
        if progress.total:
            saved = f"{progress.done} of {progress.total} fits are saved in {out_dir / study_defaults.RESULTS_FILE}"
            error(f"interrupted: {saved}; run the same command again to finish the rest")
        else:
            error("interrupted before the first fit")
        raise typer.Exit(interrupted_exit_code()) from None
    if quiet:
        return
    display(study_table(result, top))
    say(choices_line(result))
    say(refit_line(result))
    recorded = f"{study_defaults.RESULTS_FILE} ({len(result.records)} fits"
    recorded += f", {progress.skipped} of them from an earlier run)" if progress.skipped else ")"
    names = [recorded, study_defaults.SUMMARY_FILE]
    if result.network is not None:
        names.append(study_defaults.BEST_FILE)
    names += written
    say(f"wrote {', '.join(names)} in {out_dir}")


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
        figures.append(
            (
                "boundaries",
                lambda: plotting.plot_study_boundaries(fits, data.X_train, data.y_train, chosen=result.best),
            )
        )
    elif not quiet:
        note = f"{STUDY_FIGURES['boundaries']} skipped: the data has {data.X_train.shape[1]} features, not 2"
        say(note, stderr=True, style="yellow")
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


def choices_line(result) -> str:
    """Both choices in one line: the one-standard-error rule's and the best mean's."""
    one_se, best_mean = result.one_se, result.best_mean
    if one_se is None or best_mean is None:
        return "no configuration has all its folds recorded yet"

    def named(item) -> str:
        return (
            f"depth {item.depth}, width {item.width}, lambda {study_lambda(item)} "
            f"({100 * item.validation_accuracy_mean:.1f} % ± {100 * item.validation_accuracy_se:.1f} SE)"
        )

    if one_se.key == best_mean.key:
        return f"one-SE rule and best mean agree: {named(one_se)}"
    return f"one-SE rule: {named(one_se)}; best mean: {named(best_mean)}"


def _curve(cfg, kind, args, folds, repeats, test_size, n_jobs, scheduler, out_dir: Path, quiet: bool) -> None:
    """``--learning-curve`` / ``--validation-curve``: run the curve, print its table, write its files."""
    import matplotlib.pyplot as plt

    from layernet import plotting
    from layernet.writing import check_writable

    csv_name, json_name, png_name = CURVE_FILES[kind]
    if out_dir.exists() and not out_dir.is_dir():
        raise ln.LayerNetError(f"{out_dir}: is a file, not a folder; give a folder for the curve's files")
    common = {"folds": folds, "repeats": repeats, "test_size": test_size, "n_jobs": n_jobs, "scheduler": scheduler}
    show_progress = not quiet and sys.stdout.isatty()
    try:
        with StudyProgressBar(show_progress, label=f"{kind} curve") as progress:
            if kind == "learning":
                curve = ln.study.learning_curve(cfg, _sizes(args["sizes"]), callback=progress, **common)
            else:
                lambdas = float_list(args["lambdas"], "--lambdas")  # a curve over lambda: numbers only
                curve = ln.study.validation_curve(cfg, lambdas, callback=progress, **common)
    except KeyboardInterrupt:
        interrupts.settle()
        error(f"interrupted: the {kind} curve keeps nothing until it is complete")
        raise typer.Exit(interrupted_exit_code()) from None
    out_dir.mkdir(parents=True, exist_ok=True)
    for name in (csv_name, json_name, png_name):
        check_writable(out_dir / name)
    curve.to_csv(out_dir / csv_name)
    curve.to_json(out_dir / json_name)
    ax = plotting.plot_learning_curve(curve)
    try:
        ln.save_figure(ax, out_dir / png_name)
    finally:
        plt.close(ax.figure)
    if quiet:
        return
    display(curve_table(curve))
    if curve.chosen_lambda is not None:
        say(f"chosen by the one-standard-error rule: lambda = {curve.chosen_lambda:g}")
    say(f"wrote {csv_name} ({len(curve.points)} fits), {json_name}, {png_name} in {out_dir}")


def _sizes(text: str) -> list:
    """``--sizes``: counts (``40``) stay ints, fractions (``0.5``) floats."""
    values = []
    for item in [part.strip() for part in text.split(",")]:
        try:
            values.append(int(item))
        except ValueError:
            try:
                values.append(float(item))
            except ValueError:
                raise ln.LayerNetError(f"--sizes: {item!r} is not a sample count or a fraction") from None
    return values


def curve_table(curve):
    """A curve's summary: one row per size (or lambda), errors in % as mean ± std over folds."""
    from rich.table import Table

    settings = curve.settings
    learning = curve.kind == "learning"
    architecture = "-".join(map(str, settings["layers"]))
    scores = f"{settings['folds']}-fold cross-validation" + (
        f" repeated {settings['repeats']} times" if settings["repeats"] > 1 else ""
    )
    sizes = f"{settings['sizes'][0]} training samples"
    fixed = f"lambda = {lambda_text(settings['lambdas'][0])}" if learning else sizes
    table = Table(
        title=f"{curve.kind} curve of the {architecture} network, {fixed}, {scores} on {settings['n_study']} samples",
        title_justify="left",
        caption="samples: training samples per fit; error: misclassified, in %, mean ± std over folds; "
        "cost: the unregularized data cost; train: on the samples trained on; val.: on the fold held out",
        caption_justify="left",
    )
    first = "samples" if learning else "lambda"
    for name in (first, "train error", "val. error", "train cost", "val. cost"):
        table.add_column(name, justify="right", no_wrap=True)
    for item in curve.summary:
        table.add_row(
            str(item.size) if learning else f"{item.lambda_:g}",
            plus_minus(item.train_error_mean, item.train_error_std),
            plus_minus(item.validation_error_mean, item.validation_error_std),
            _cost(item.train_cost_mean, item.train_cost_std),
            _cost(item.validation_cost_mean, item.validation_cost_std),
        )
    return table


def _cost(mean: float, std: float) -> str:
    return f"{mean:.3f}" if not math.isfinite(std) else f"{mean:.3f} ± {std:.3f}"
