"""What the commands share: exit codes, option types, configuration loading and overrides, path checks.

Any configuration key can be set on the command line, ``--set training.tol=1e-6`` or
``--training.tol 1e-6``. A value is read as a TOML value (``1e-6``, ``true``, ``[2, 5, 2]``); what
is not TOML is a string, so ``--set training.method=lbfgs`` needs no quotes. Nothing here imports
numpy: ``layernet --help`` stays light.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
import sys
from pathlib import Path
from typing import Annotated, NamedTuple, Optional

import typer
from typer.core import TyperCommand, TyperGroup

import layernet as ln
from layernet.writing import check_writable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

EXIT_ERROR = 1
EXIT_INTERRUPTED = 130

ConfigArgument = Annotated[
    Optional[Path], typer.Argument(help="A run configuration (TOML). Default: the reference network.")
]
SetOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--set",
        metavar="SECTION.KEY=VALUE",
        help="Set any configuration key, e.g. --set training.tol=1e-6 --set network.layers=[2,5,2] "
        "(repeatable; --training.tol 1e-6 works too). Values are TOML; anything else is a string.",
    ),
]

DataOption = Annotated[
    Optional[str],
    typer.Option(
        "--data",
        metavar="CSV|SOURCE",
        help="The data: a CSV file, or a built-in source (moons, circles, blobs, classification, digits, iris). "
        "The network's input and output sizes follow from it unless --layers is given.",
    ),
]
LabelOption = Annotated[
    Optional[str],
    typer.Option("--label", help="The CSV's label column, by header name or index (default: the last column)."),
]

ImportOption = Annotated[
    Optional[list[str]],
    typer.Option(
        "--import",
        metavar="MODULE",
        help="Import this module first (repeatable), e.g. mypackage.activations: the activations it registers "
        "can then be named. Packages can also register theirs under the entry-point group layernet.activations.",
    ),
]

_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)?")
_DOTTED_OPTION = re.compile(r"--([A-Za-z_][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_-]*)(=.*)?", re.S)


class Override(NamedTuple):
    """One configuration change typed on the command line, and how it was typed (for messages)."""

    origin: str
    key: str
    value: object


def int_list(text: str | None, option: str) -> list[int] | None:
    return _number_list(text, option, int, "integers like 2,5,5,2")


def float_list(text: str | None, option: str) -> list[float] | None:
    return _number_list(text, option, float, "numbers like 0,0.001,0.1")


def lambda_list(text: str | None, option: str) -> list | None:
    """``0,0.001,auto``: numbers, and ``auto`` as it is (the study checks both)."""
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",")]
    try:
        return [part.lower() if part.lower() == "auto" else float(part) for part in parts]
    except ValueError:
        raise typer.BadParameter(
            f"expected comma-separated numbers or auto like 0,0.001,auto, got {text!r}", param_hint=option
        ) from None


def _number_list(text: str | None, option: str, kind, example: str) -> list | None:
    if text is None:
        return None
    try:
        return [kind(part) for part in text.split(",")]
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated {example}, got {text!r}", param_hint=option) from None


def names(text: str | None) -> str | list[str] | None:
    if text is None:
        return None
    parts = [part.strip() for part in text.split(",")]
    return parts[0] if len(parts) == 1 else parts


def toml_value(text: str):
    """``text`` as a TOML value; a bracketed list of bare words item by item; otherwise the text itself."""
    try:
        table = tomllib.loads(f"v = {text}")
    except tomllib.TOMLDecodeError:
        table = {}
    if list(table) == ["v"] and not isinstance(table["v"], (datetime.date, datetime.time)):
        return table["v"]
    stripped = text.strip()
    if stripped.startswith("[") and stripped.endswith("]"):  # [tanh,relu] without TOML's quotes
        inner = stripped[1:-1].strip()
        return [toml_value(part.strip()) for part in inner.split(",")] if inner else []
    return text


def parse_sets(items: list[str] | None) -> list[Override]:
    """``--set SECTION.KEY=VALUE`` items as overrides; a malformed item is a usage error."""
    overrides = []
    for item in items or []:
        key, equals, text = item.partition("=")
        key = key.strip()
        if not equals or not _KEY.fullmatch(key):
            raise typer.BadParameter(
                f"expected SECTION.KEY=VALUE like training.tol=1e-6, got {item!r}", param_hint="--set"
            )
        overrides.append(Override(f"--set {item}", key.replace("-", "_"), toml_value(text)))
    return overrides


def lambda_value(text: str | None):
    """``--lambda``: a number, or ``auto`` as it is (the training options check both)."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text.strip()


def aliased(ctx: typer.Context, aliases: dict[str, str]) -> list[Override]:
    """Overrides from the short options in ``aliases`` ({"--lambda": "training.lambda", ...}) that were given."""
    overrides = []
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        for option in param.opts:
            if option in aliases and value is not None:
                overrides.append(Override(f"{option} {_shown(value)}", aliases[option], value))
    return overrides


def _shown(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(_shown, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def import_activations(modules: list[str] | None) -> None:
    """Import the ``--import`` modules (their ``register_activation`` calls run); errors name the option."""
    from layernet.plugins import import_modules

    for module in modules or []:
        try:
            import_modules([module])
        except ln.LayerNetError as failure:
            raise ln.LayerNetError(f"--import {module}: {failure}") from None


def data_overrides(data: str | None, label: str | None) -> list[Override]:
    """``--data`` and ``--label`` as configuration changes: a built-in source by name, else a CSV path."""
    from layernet.datasets import SOURCES

    changes = []
    if data is not None:
        origin = f"--data {data}"
        if data in SOURCES and data != "csv":
            changes.append(Override(origin, "data.source", data))
        elif Path(data).suffix.lower() == ".csv" or Path(data).exists():
            changes += [Override(origin, "data.source", "csv"), Override(origin, "data.path", data)]
        else:
            sources = ", ".join(source for source in SOURCES if source != "csv")
            raise ln.ConfigError(f"{origin}: no such file, and not a built-in source ({sources})")
    if label is not None:
        value = int(label) if label.lstrip("-").isdigit() else label
        changes.append(Override(f"--label {label}", "data.label", value))
    return changes


def load_run_config(
    config: Path | None, overrides: list[Override] = (), data: str | None = None, label: str | None = None
) -> ln.RunConfig:
    """CONFIG with ``--data``/``--label`` and the other overrides applied; the layers fitted to ``--data``.

    With ``--data`` and no layer sizes on the command line, the network's input and output
    sizes follow from the data (:func:`layernet.runner.sized_for_data`); its hidden layers stay.
    """
    cfg = load_config(config, [*data_overrides(data, label), *overrides])
    if label is not None and cfg.data.source != "csv":
        raise ln.ConfigError(
            f"--label {label}: names a CSV column, but the data is the built-in source {cfg.data.source!r}"
        )
    if data is not None and not any(override.key == "network.layers" for override in overrides):
        try:
            cfg = ln.runner.sized_for_data(cfg)
        except ln.ConfigError as failure:
            raise ln.ConfigError(f"--data {data}: {failure}") from None
    return cfg


def refuse_unused(cfg: ln.RunConfig, overrides: list[Override]) -> None:
    """Refuse options typed on the command line that this run would ignore (gd's step with cg)."""
    if cfg.training.method == "gd":
        return
    for override in overrides:
        if override.key in ("training.learning_rate", "training.momentum"):
            raise ln.ConfigError(
                f"{override.origin}: {override.key} is used by method gd only, and this run's method is "
                f"{cfg.training.method}; add --method gd, or leave it out"
            )


def load_config(config: Path | None, overrides: list[Override] = ()) -> ln.RunConfig:
    """CONFIG (or the reference) with the command line's overrides applied.

    A change that does not validate is reported as the command line's, not the file's:
    ``--set training.tol=-1: training.tol must be a finite number > 0, got -1``.
    """
    if config is not None and config.suffix.lower() == ".csv":
        raise ln.ConfigError(
            f"{config} is a CSV file, not a run configuration (TOML); to train on it, give it as "
            f"--data {config} (and --label COLUMN when its labels are not in the last column)"
        )
    try:
        cfg = ln.RunConfig.from_toml(config) if config is not None else ln.RunConfig.reference()
    except ln.ConfigError as failure:
        if "invalid TOML" in str(failure) and _looks_like_csv(config):
            raise ln.ConfigError(f"{failure}; if {config} is CSV data, give it as --data {config}") from None
        raise
    if not overrides:
        return cfg
    changes: dict[str, Override] = {}
    for override in overrides:
        earlier = changes.get(override.key)
        if earlier is not None and earlier.value != override.value:
            raise ln.ConfigError(f"{earlier.origin} and {override.origin} both set {override.key}")
        changes[override.key] = override
    # Without its source the config's errors do not begin with the file's name.
    anonymous = dataclasses.replace(cfg, source=None)
    try:
        changed = anonymous.override({key: override.value for key, override in changes.items()})
    except ln.ConfigError as failure:
        raise ln.ConfigError(f"{_culprits(anonymous, list(changes.values()), failure)}: {failure}") from None
    return dataclasses.replace(changed, source=cfg.source)


def _looks_like_csv(path: Path) -> bool:
    """Whether the first line of ``path`` (a file TOML could not read) has commas and no ``=`` or ``[``."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = handle.readline(4096)
    except OSError:
        return False
    return "," in first and "=" not in first and not first.lstrip().startswith("[")


def _culprits(cfg: ln.RunConfig, overrides: list[Override], failure: ln.ConfigError) -> str:
    """The override that fails the way the whole set did, else the first that fails alone, else all."""
    alone = {}
    for override in overrides:
        try:
            cfg.override({override.key: override.value})
        except ln.ConfigError as error:
            alone[override.origin] = str(error)
    for origin, message in alone.items():
        if message == str(failure):
            return origin
    return next(iter(alone), " ".join(override.origin for override in overrides))


def dotted_options_as_sets(args: list[str]) -> list[str]:
    """``--section.key value`` and ``--section.key=value`` rewritten as ``--set section.key=value``."""
    rewritten = []
    tokens = iter(args)
    for token in tokens:
        match = _DOTTED_OPTION.fullmatch(token)
        if token == "--":
            rewritten += [token, *tokens]
        elif match is None:
            rewritten.append(token)
        elif match.group(2) is not None:
            rewritten += ["--set", f"{match.group(1)}{match.group(2)}"]
        else:
            value = next(tokens, None)
            if value is None or value.startswith("--"):
                raise typer.BadParameter("needs a value, e.g. --training.tol 1e-6", param_hint=token)
            rewritten += ["--set", f"{match.group(1)}={value}"]
    return rewritten


class _UntilGiven:
    """typer's coercion of one parameter, built only once the parameter has a value.

    typer (0.29) coerces each parameter through a pydantic ``TypeAdapter`` it builds on the
    parameter's first use, whether or not it was given: about 7 ms each, 0.15 s of a
    ``layernet train`` with its 20 options left out (2-core AMD EPYC). A parameter left out is
    None, and typer returns it as None (``()`` for a multiple one) without using the adapter; so
    does this, and it hands any other value to typer's own coercion, built then.
    """

    __slots__ = ()

    def coerce(self, value, param, ctx):
        if value is None:
            return () if param.multiple or param.nargs == -1 else None
        param._runtime_param = None  # typer builds its own on the next call
        return param.get_runtime_param().coerce(value, param=param, ctx=ctx)


_UNTIL_GIVEN = _UntilGiven()


class _CoercedWhenGiven:
    """Builds typer's coercion of only the parameters given (see :class:`_UntilGiven`): with
    nothing but flags given, pydantic is not even imported."""

    def parse_args(self, ctx, args):
        for param in self.get_params(ctx):
            # Only where this typer builds coercion lazily in ``_runtime_param`` (0.29); elsewhere nothing changes.
            if getattr(param, "_runtime_param", False) is None and hasattr(param, "get_runtime_param"):
                param._runtime_param = _UNTIL_GIVEN
        return super().parse_args(ctx, args)


class Command(_CoercedWhenGiven, TyperCommand):
    """A layernet command: typer's, coercing only the parameters given."""


class Group(_CoercedWhenGiven, TyperGroup):
    """The ``layernet`` command group: typer's, coercing only the parameters given."""


class ConfigCommand(Command):
    """A command that reads a run configuration: takes ``--section.key value``, lists the training keys."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, dotted_options_as_sets(args))

    def format_epilog(self, ctx, formatter) -> None:
        super().format_epilog(ctx, formatter)
        # layernet.options is numpy-free; read only when help is shown.
        from layernet.options import TrainOptions

        rows = [
            (f"training.{key}", text if default is None else f"{text} (default: {default})")
            for key, default, text in TrainOptions.describe()
        ]
        with formatter.section("Training keys (--set training.KEY=VALUE)"):
            formatter.write_dl(rows)
        formatter.write_paragraph()
        formatter.write_text("The data.* and network.* keys and seed are those of the file `layernet init` writes.")


class _OutputPath(type(Path())):
    """A path that remembers the trailing separator it was typed with (``Path`` drops it)."""

    typed: str | None = None

    def __fspath__(self) -> str:
        return self.typed or super().__fspath__()


def output_path(text: str | Path) -> Path:
    """Parse an output path option: ``folder/`` stays recognizable as naming a folder, not a file."""
    if not isinstance(text, str):  # a default, already a Path
        return text
    path = _OutputPath(text)
    if text.endswith(tuple(sep for sep in (os.sep, os.altsep) if sep)):
        path.typed = text
    return path


def writable(path: Path | None, option: str) -> None:
    """Refuse an output path before training, not after it: a directory, a missing, read-only or full folder."""
    if path is None:
        return
    try:
        check_writable(path)
    except ln.LayerNetError as error:
        raise ln.LayerNetError(f"{option} {error}") from None


def save_plot(draw, path: Path) -> None:
    import matplotlib.pyplot as plt

    ax = draw()
    try:
        ln.save_figure(ax, path)
    finally:
        plt.close(ax.figure)
