"""``layernet study``: cross-validate depths, widths and lambdas, test the best once, draw the figures."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

import layernet as ln
import layernet.study_defaults as study_defaults

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
    load_run_config,
    parse_sets,
)
from .interrupts import interrupted_exit_code
from .render import StudyProgressBar, display, error, refit_line, say, study_table
from .train import cap_threads

#: The figures `layernet study` writes beside its records.
STUDY_FIGURES = {"boundaries": "boundaries.png", "capacity": "capacity.png", "lambda": "lambda.png"}


def _listed(values, fmt: str = "{}") -> str:
    return ",".join(fmt.format(value) for value in values)


_DEPTHS = _listed(study_defaults.DEFAULT_DEPTHS)
_WIDTHS = _listed(study_defaults.DEFAULT_WIDTHS)
_LAMBDAS = _listed(study_defaults.DEFAULT_LAMBDAS, "{:g}")


def study(
    config: ConfigArgument = None,
    sets: SetOption = None,
    data: DataOption = None,
    label: LabelOption = None,
    imports: ImportOption = None,
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
    import_activations(imports)
    cfg = cap_threads(load_run_config(config, parse_sets(sets), data, label), quiet)
    grid = {
        "depths": int_list(depths, "--depths"),
        "widths": int_list(widths, "--widths"),
        "lambdas": float_list(lambdas, "--lambdas"),
    }
    if boundary_lambda is not None and boundary_lambda not in grid["lambdas"]:
        raise ln.LayerNetError(f"--boundary-lambda {boundary_lambda:g} is not one of --lambdas {lambdas}")
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
    say(refit_line(result))
    recorded = f"{study_defaults.RESULTS_FILE} ({len(result.records)} fits"
    recorded += f", {progress.skipped} of them from an earlier run)" if progress.skipped else ")"
    names = [recorded, study_defaults.SUMMARY_FILE, *written]
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
        figures.append(("boundaries", lambda: plotting.plot_study_boundaries(fits, data.X_train, data.y_train)))
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
