"""The Typer application behind the ``layernet`` command."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

import layernet as ln

from .render import TrainingProgress, error, out, summary_table

app = typer.Typer(
    name="layernet",
    help="Build, train and inspect course-style neural networks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

EXIT_INTERRUPTED = 130


@app.callback()
def _layernet() -> None:
    """Build, train and inspect course-style neural networks.

    `layernet train` with no argument trains the reference 2-3-2 moons network.
    """


def _int_list(text: str | None, option: str) -> list[int] | None:
    if text is None:
        return None
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise typer.BadParameter(
            f"expected comma-separated integers like 2,5,5,2, got {text!r}", param_hint=option
        ) from None
    return values


def _names(text: str | None) -> str | list[str] | None:
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",")]
    return parts[0] if len(parts) == 1 else parts


def _load_config(config: Path | None) -> ln.RunConfig:
    return ln.RunConfig.from_toml(config) if config is not None else ln.RunConfig.reference()


def _json_ready(metrics: dict) -> dict:
    return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in metrics.items()}


@app.command()
def train(
    config: Annotated[
        Optional[Path], typer.Argument(help="A run configuration (TOML). Default: the reference network.")
    ] = None,
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
    as_json: Annotated[bool, typer.Option("--json", help="Print only a JSON summary on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Train the network described in CONFIG (the reference 2-3-2 moons network if omitted)."""
    try:
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
        show_progress = not quiet and sys.stdout.isatty()
        with TrainingProgress(show_progress, cfg.training.max_iter) as progress:
            result = ln.run(cfg, callback=progress)
    except ln.LayerNetError as exc:
        error(str(exc))
        raise typer.Exit(1) from None
    if as_json:
        print(json.dumps(_json_ready(result.metrics), indent=2))
    elif not quiet:
        out.print(summary_table(result.metrics))
    if result.result.interrupted:
        raise typer.Exit(EXIT_INTERRUPTED)


def main() -> None:
    """Console-script entry point."""
    app()
