"""``layernet init`` writes the reference configuration; ``layernet show`` describes a saved model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

import layernet as ln

from .common import ImportOption, import_activations, output_path, writable
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


def show(
    model: Annotated[Path, typer.Argument(help="A saved model (.npz).")],
    imports: ImportOption = None,
) -> None:
    """Describe a saved model: architecture, parameters, classes and how it was trained.

    A model whose activations are not registered here is described from its metadata, and
    the activations that cannot be built are named.
    """
    import_activations(imports)
    metadata = ln.persistence.read_metadata(model)
    missing = _unregistered(metadata)
    # Only metadata is shown; building the network (which checks every member) needs its activations.
    net = None if missing else ln.load(model)
    display(model_table(model, net, metadata, missing))
    if missing:
        names = ", ".join(repr(name) for name in missing)
        say(
            f"note: {names} cannot be built here (not registered): give --import MODULE for the module that "
            "registers it, or install the package that provides it (entry-point group layernet.activations)",
            stderr=True,
            style="yellow",
        )


def _unregistered(metadata: dict) -> list[str]:
    """The activation names in a model's metadata that no registered (or plug-in) activation answers."""
    network = metadata.get("network")
    layers = network.get("layers") if isinstance(network, dict) else None
    if not isinstance(layers, list):
        return []  # malformed: ln.load names the problem
    missing = []
    for layer in layers:
        name = layer.get("activation") if isinstance(layer, dict) else None
        if isinstance(name, str) and name not in missing:
            try:
                ln.get_activation(name)
            except ln.LayerNetError:
                missing.append(name)
    return missing
