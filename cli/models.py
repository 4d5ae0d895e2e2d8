"""``layernet init`` writes the reference configuration; ``layernet show`` describes a saved model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import layernet as ln

from .common import output_path, writable
from .render import display, model_table, say


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the configuration.", parser=output_path)] = Path(
        "layernet.toml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write the reference configuration, commented, to PATH to edit and train with."""
    if path.exists() and not force:
        raise ln.LayerNetError(f"{path} already exists; pass --force to overwrite it")
    writable(path, "PATH")
    text = ln.config.reference_toml()
    ln.persistence.atomic_write(path, lambda handle: handle.write(text), mode="w")
    say(f"wrote {path}; train it with: layernet train {path}")


def show(model: Annotated[Path, typer.Argument(help="A saved model (.npz).")]) -> None:
    """Describe a saved model: architecture, parameters, classes and how it was trained."""
    metadata = ln.persistence.read_metadata(model)
    net = ln.load(model)
    display(model_table(model, net, metadata))
