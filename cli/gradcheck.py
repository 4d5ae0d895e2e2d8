"""``layernet gradcheck``: backpropagation against central differences, per layer."""

from __future__ import annotations

from typing import Annotated

import typer

import layernet as ln

from .common import EXIT_ERROR, ConfigArgument, SetOption, load_config, parse_sets
from .render import error, gradcheck_table, out


def gradcheck(
    config: ConfigArgument = None,
    sets: SetOption = None,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Samples of the data to check on.")] = 20,
    at: Annotated[
        str, typer.Option("--at", help="debug: the course's sin-based weights; init: the run's initial weights.")
    ] = "debug",
    tolerance: Annotated[float, typer.Option("--tolerance", help="Largest passing relative difference.")] = 1e-9,
) -> None:
    """Compare backpropagation with numerical gradients for CONFIG's network, per layer."""
    if at not in ("debug", "init"):
        raise typer.BadParameter(f"expected 'debug' or 'init', got {at!r}", param_hint="--at")
    cfg = load_config(config, parse_sets(sets))
    net, report = ln.gradcheck.check_config_gradients(cfg, samples=samples, at=at)
    out.print(gradcheck_table(net, report, tolerance))
    if report.relative_difference >= tolerance:
        error(f"relative difference {report.relative_difference:.3e} is above the tolerance {tolerance:g}")
        raise typer.Exit(EXIT_ERROR)
