"""``layernet train``: configure a run, train it with a progress bar, report and save it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

import layernet as ln

from .common import (
    EXIT_ERROR,
    ConfigArgument,
    DataOption,
    ImportOption,
    LabelOption,
    SetOption,
    aliased,
    import_activations,
    int_list,
    lambda_value,
    load_run_config,
    names,
    output_path,
    parse_sets,
    refuse_unused,
    save_plot,
    writable,
)
from .interrupts import interrupted_exit_code
from .render import TrainingProgress, display, error, say, summary_table

#: The short options and the configuration keys they set (``--set KEY=VALUE`` sets any key).
ALIASES = {
    "--layers": "network.layers",
    "--hidden": "network.hidden",
    "--output": "network.output",
    "--lambda": "training.lambda",
    "--method": "training.method",
    "--max-iter": "training.max_iter",
    "--learning-rate": "training.learning_rate",
    "--threads": "training.threads",
    "--seed": "seed",
}

EPILOG = "The short options set these keys: " + ", ".join(f"{option} ({key})" for option, key in ALIASES.items()) + "."


def _layers(text: str | None):
    return int_list(text, "--layers")


def cap_threads(cfg: ln.RunConfig, quiet: bool = False) -> ln.RunConfig:
    """``cfg`` with ``training.threads`` capped at the available cores (more only slow training down)."""
    cores = ln.threads.available_cores()
    asked = cfg.training.threads
    if asked is None or asked <= cores:
        return cfg
    if not quiet:
        note = f"note: training.threads = {asked} is more than the {cores} available core(s); using {cores}"
        say(note, stderr=True, style="yellow")
    return cfg.override({"training.threads": cores})


def boundary(run: ln.Run):
    """The run's decision boundary: training points filled, test points hollow, axes named after the features."""
    names = run.data.feature_names if len(run.data.feature_names) == 2 else None
    return ln.plot_decision_boundary(
        run.network, run.X_train, run.y_train, X_test=run.X_test, y_test=run.y_test, feature_names=names
    )


def _plot_fit(run: ln.Run):
    """The decision boundary of a classifier; a regression network's fitted curve (or fitted against actual)."""
    if run.network.is_regressor:
        return ln.plot_regression(run.network, run.X_train, run.y_train)
    return boundary(run)


def train(
    ctx: typer.Context,
    config: ConfigArgument = None,
    sets: SetOption = None,
    data: DataOption = None,
    label: LabelOption = None,
    imports: ImportOption = None,
    layers: Annotated[
        Optional[str], typer.Option("--layers", callback=_layers, help="Layer sizes, e.g. 2,5,5,2.")
    ] = None,
    hidden: Annotated[
        Optional[str],
        typer.Option("--hidden", callback=names, help="Hidden activation, or one per hidden layer: tanh,relu."),
    ] = None,
    output: Annotated[
        Optional[str], typer.Option("--output", help="Output activation: sigmoid, softmax, identity.")
    ] = None,
    lambda_: Annotated[
        Optional[str],
        typer.Option(
            "--lambda",
            callback=lambda_value,
            help="Regularization strength, or auto: chosen by the evidence (MacKay, as MATLAB's trainbr).",
        ),
    ] = None,
    method: Annotated[
        Optional[str],
        typer.Option(
            "--method", help="cg, lbfgs, bfgs, gd, trust-krylov, trust-ncg, newton-cg or lm (squared error only)."
        ),
    ] = None,
    max_iter: Annotated[Optional[int], typer.Option("--max-iter", help="Iteration limit.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="The run's seed.")] = None,
    learning_rate: Annotated[
        Optional[float], typer.Option("--learning-rate", help="Step size for --method gd (refused with the others).")
    ] = None,
    threads: Annotated[
        Optional[int],
        typer.Option(
            "--threads",
            help="Threads for training (default: chosen from the problem's size); "
            "more than the available cores are capped at them, with a note.",
        ),
    ] = None,
    plot: Annotated[
        Optional[Path], typer.Option(
            "--plot",
            parser=output_path,
            help="Draw the decision boundary (regression: the fitted curve, or fitted against actual) to this PNG.",
        )
    ] = None,
    cost_plot: Annotated[
        Optional[Path], typer.Option("--cost-plot", parser=output_path, help="Draw cost per iteration to this PNG.")
    ] = None,
    save: Annotated[
        Optional[Path], typer.Option("--save", parser=output_path, help="Save the trained model (.npz).")
    ] = None,
    init_from: Annotated[
        Optional[Path],
        typer.Option(
            "--init-from",
            help="Continue training this saved model (.npz) instead of drawing initial weights; "
            "its architecture, classes and scaling must match the configuration.",
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print only a JSON summary on stdout (the progress stays on stderr).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing (exit code only).")] = False,
) -> None:
    """Train the network described in CONFIG (the reference 2-3-2 moons network if omitted)."""
    import_activations(imports)
    if as_json and quiet:
        raise typer.BadParameter("--json prints only the JSON summary and --quiet prints nothing; give one")
    # The short options reach the run through ctx.params and ALIASES, like --set.
    overrides = [*aliased(ctx, ALIASES), *parse_sets(sets)]
    cfg = load_run_config(config, overrides, data, label)
    refuse_unused(cfg, overrides)
    cfg = cap_threads(cfg, quiet)
    for path, option in ((plot, "--plot"), (cost_plot, "--cost-plot"), (save, "--save")):
        writable(path, option)
    regression = cfg.network.resolved_task == "regression"
    if plot is not None and not regression and cfg.network.layers[0] != 2:
        raise ln.LayerNetError(
            f"--plot draws a decision boundary over two features; this network takes {cfg.network.layers[0]}"
        )
    if regression and cfg.network.task is None and not quiet and not as_json:
        say("note: task is regression (inferred from the identity output)", stderr=True, style="yellow")

    start = None if init_from is None else ln.load(init_from)  # a bad file: one ModelFileError naming it

    # The display goes to stderr, so it is drawn when stderr is a terminal, whatever stdout is.
    show_progress = not quiet and sys.stderr.isatty()
    tol = cfg.training.tol if cfg.training.tol is not None else ln.optimize.DEFAULT_TOL
    with TrainingProgress(show_progress, tol) as progress:
        try:
            run = ln.run(cfg, callback=progress, init_from=start)
        except ln.ConfigError as failure:
            if start is None or not str(failure).startswith("the model "):
                raise
            raise ln.ConfigError(f"--init-from {init_from}: {failure}") from None

    # A diverged run keeps its starting parameters: nothing worth saving or drawing. Otherwise
    # write everything that can be written, show the summary, then report a failed write: the
    # training's result is never lost to a full disk.
    diverged = run.result.status == "diverged"
    writes = (
        (save, "model", lambda: ln.save(run.network, save)),
        (
            plot,
            "fitted curve" if regression else "decision boundary",
            lambda: save_plot(lambda: _plot_fit(run), plot),
        ),
        (
            cost_plot if run.result.iterations else None,
            "cost plot",
            lambda: save_plot(lambda: ln.plot_training(run.result), cost_plot),
        ),
    )
    written, failures = [], []
    for path, what, write in writes:
        if path is not None and not diverged:
            try:
                write()
                written.append((what, path))
            except ln.LayerNetError as failure:
                failures.append(failure)

    if as_json:
        print(json.dumps(ln.persistence.json_safe(run.metrics), indent=2))
    elif not quiet:
        display(summary_table(run.metrics))
        for what, path in written:
            say(f"{what} written to {path}")
    if diverged:
        kept = [str(path) for path in (save, plot, cost_plot) if path is not None]
        untouched = f"; nothing was written ({', '.join(kept)} left as it was)" if kept else ""
        error(f"training diverged: {run.result.message}{untouched}")
        raise typer.Exit(EXIT_ERROR)
    if failures:
        raise failures[0]
    if run.result.interrupted:
        raise typer.Exit(interrupted_exit_code())
