"""``layernet gradcheck``: backpropagation against numerical differences, per layer and overall."""

from __future__ import annotations

from typing import Annotated

import typer

import layernet as ln

from .common import (
    EXIT_ERROR,
    ConfigArgument,
    DataOption,
    ImportOption,
    LabelOption,
    SetOption,
    import_activations,
    load_run_config,
    parse_sets,
)
from .render import display, error, gradcheck_table


def gradcheck(
    config: ConfigArgument = None,
    sets: SetOption = None,
    data: DataOption = None,
    label: LabelOption = None,
    imports: ImportOption = None,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Samples of the data to check on.")] = 20,
    at: Annotated[
        str, typer.Option("--at", help="debug: the course's sin-based weights; init: the run's initial weights.")
    ] = "debug",
    tolerance: Annotated[float, typer.Option("--tolerance", help="Largest passing relative difference.")] = 1e-9,
) -> None:
    """Compare backpropagation with numerical gradients for CONFIG's network, per layer."""
    import_activations(imports)
    if at not in ("debug", "init"):
        raise typer.BadParameter(f"expected 'debug' or 'init', got {at!r}", param_hint="--at")
    cfg = load_run_config(config, parse_sets(sets), data, label)
    net, report = ln.gradcheck.check_config_gradients(cfg, samples=samples, at=at, tolerance=tolerance)
    display(gradcheck_table(net, report, tolerance))
    if not report.passed:
        if report.relative_difference >= report.limit:
            what, value, limit = "relative difference", report.relative_difference, report.limit
        else:
            i = report.failed_layers[0]
            what, value, limit = f"layer {i + 1} relative difference", report.per_layer[i], report.per_layer_limit[i]
        error(f"{what} {value:.3e} is above the tolerance {limit:g}")
        raise typer.Exit(EXIT_ERROR)
