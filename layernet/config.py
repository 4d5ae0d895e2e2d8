"""Run configuration: TOML in and out, typed and validated, and the packaged reference run.

A run configuration has a top-level ``seed`` and three tables, ``[data]``, ``[network]`` and
``[training]``. Every key is checked when the file is read: an unknown key (a typo) or a value
out of range raises :class:`~layernet.ConfigError` naming the field and what it allows.
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .activations import get_activation
from .datasets import SOURCES
from .errors import ConfigError, LayerNetError
from .optimize import METHODS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["DataConfig", "NetworkConfig", "TrainingConfig", "RunConfig", "reference_toml"]


@dataclass(frozen=True)
class DataConfig:
    """``[data]``: where the samples come from and how they are split and scaled."""

    source: str = "moons"
    n_samples: int = 200
    noise: float = 0.2
    n_features: int = 2
    n_classes: int = 2
    path: str | None = None
    label: int | str = -1
    test_size: float = 0.0
    scale: bool = False
    seed: int | None = None


@dataclass(frozen=True)
class NetworkConfig:
    """``[network]``: layer sizes and activations."""

    layers: tuple[int, ...] = (2, 3, 2)
    hidden: str | tuple[str, ...] = "sigmoid"
    output: str = "sigmoid"


@dataclass(frozen=True)
class TrainingConfig:
    """``[training]``: the optimizer and the cost's regularization."""

    method: str = "cg"
    lambda_: float = 0.0
    max_iter: int | None = None
    tol: float | None = None
    learning_rate: float = 1.0
    momentum: float = 0.0
    seed: int | None = None


# TOML key -> dataclass field, where they differ.
_TOML_NAMES = {"lambda": "lambda_"}
_FIELD_NAMES = {value: key for key, value in _TOML_NAMES.items()}


@dataclass(frozen=True)
class RunConfig:
    """A whole run: data, network, training, and the seed that drives them.

    Examples
    --------
    >>> import layernet as ln
    >>> cfg = ln.RunConfig.reference()
    >>> cfg.network.layers, cfg.training.lambda_
    ((2, 3, 2), 0.001)
    >>> cfg = cfg.override({"training.method": "lbfgs", "network.layers": [2, 5, 2]})
    """

    data: DataConfig = field(default_factory=DataConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    seed: int | None = None
    source: str | None = None  # the file it was read from, for messages

    # -- reading ---------------------------------------------------------------------------

    @classmethod
    def reference(cls) -> RunConfig:
        """The reference run: the blog's 2-3-2 moons network, read from the packaged TOML."""
        return cls.from_dict(tomllib.loads(reference_toml()), source="reference.toml")

    @classmethod
    def from_toml(cls, path: str | Path) -> RunConfig:
        """Read and validate a TOML file; errors name the file, and the line for bad syntax."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{path}: no such file") from None
        except IsADirectoryError:
            raise ConfigError(f"{path}: is a directory, not a TOML file") from None
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"{path}: cannot be read ({error})") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: invalid TOML: {error}") from None
        data = raw.get("data")
        if isinstance(data, dict) and isinstance(data.get("path"), str) and not Path(data["path"]).is_absolute():
            # A data file named in a config is found beside the config, wherever it is run from.
            raw["data"] = {**data, "path": str(path.parent / data["path"])}
        return cls.from_dict(raw, source=str(path))

    @classmethod
    def from_dict(cls, raw: dict, source: str | None = None) -> RunConfig:
        """Validate a nested dict shaped like the TOML file."""
        where = f"{source}: " if source else ""
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}a run configuration must be a table, got {type(raw).__name__}")
        _check_keys(raw, {"seed", "data", "network", "training"}, "the top level", where)
        sections = {}
        for name, kind in (("data", DataConfig), ("network", NetworkConfig), ("training", TrainingConfig)):
            table = raw.get(name, {})
            if not isinstance(table, dict):
                raise ConfigError(f"{where}[{name}] must be a table, got {table!r}")
            sections[name] = _build(kind, table, name, where)
        seed = _optional_seed(raw.get("seed"), "seed", where)
        config = cls(sections["data"], sections["network"], sections["training"], seed, source)
        config._check_consistency(where)
        return config

    # -- writing ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The configuration as a nested dict shaped like the TOML file (unset values left out)."""
        out: dict = {} if self.seed is None else {"seed": self.seed}
        for name in ("data", "network", "training"):
            table = {}
            for item in dataclasses.fields(getattr(self, name)):
                value = getattr(getattr(self, name), item.name)
                if value is None:
                    continue
                table[_FIELD_NAMES.get(item.name, item.name)] = list(value) if isinstance(value, tuple) else value
            out[name] = table
        return out

    def to_toml(self) -> str:
        """The configuration as TOML text that :meth:`from_toml` reads back unchanged."""
        data = self.to_dict()
        lines = [f"seed = {_toml_value(data['seed'])}", ""] if "seed" in data else []
        for name in ("data", "network", "training"):
            lines.append(f"[{name}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in data[name].items())
            lines.append("")
        return "\n".join(lines)

    def override(self, changes: dict) -> RunConfig:
        """A copy with ``{"section.key": value}`` changes applied and validated (None: no change)."""
        data = self.to_dict()
        for dotted, value in changes.items():
            if value is None:
                continue
            section, _, key = dotted.rpartition(".")
            target = data.setdefault(section, {}) if section else data
            target[key] = list(value) if isinstance(value, tuple) else value
        return RunConfig.from_dict(data, source=self.source)

    def _check_consistency(self, where: str) -> None:
        network, data = self.network, self.data
        n_hidden = len(network.layers) - 2
        if isinstance(network.hidden, tuple) and len(network.hidden) != n_hidden:
            raise ConfigError(
                f"{where}network.hidden lists {len(network.hidden)} activation(s) for {n_hidden} hidden layer(s)"
            )
        if data.source == "csv" and data.path is None:
            raise ConfigError(f"{where}data.path is required when data.source is 'csv'")


# -- field validation ------------------------------------------------------------------------


def _build(kind, table: dict, section: str, where: str):
    fields = {item.name: item for item in dataclasses.fields(kind)}
    toml_keys = {_FIELD_NAMES.get(name, name) for name in fields}
    _check_keys(table, toml_keys, f"[{section}]", where)
    values = {}
    for key, value in table.items():
        name = _TOML_NAMES.get(key, key)
        values[name] = _CHECKS[(section, name)](value, f"{section}.{key}", where)
    return kind(**values)


def _check_keys(table: dict, allowed: set, place: str, where: str) -> None:
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}unknown key {key!r} in {place}{hint}; known keys: {', '.join(sorted(allowed))}")


def _fail(where: str, name: str, expected: str, value) -> ConfigError:
    return ConfigError(f"{where}{name} must be {expected}, got {value!r}")


def _int(low: int, high: int | None = None):
    def check(value, name, where):
        if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
            span = f"an integer >= {low}" if high is None else f"an integer from {low} to {high}"
            raise _fail(where, name, span, value)
        return value

    return check


def _number(low: float, high: float | None = None, *, low_open: bool = False, high_open: bool = True):
    def check(value, name, where):
        ok = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
        if ok:
            ok = (value > low if low_open else value >= low) and (
                high is None or (value < high if high_open else value <= high)
            )
        if not ok:
            left = "(" if low_open else "["
            right = "inf)" if high is None else (f"{high:g})" if high_open else f"{high:g}]")
            raise _fail(where, name, f"a number in {left}{low:g}, {right}", value)
        return float(value)

    return check


def _choice(options):
    def check(value, name, where):
        if value not in options:
            raise _fail(where, name, f"one of {', '.join(map(repr, options))}", value)
        return value

    return check


def _activation(value, name, where):
    if not isinstance(value, str):
        raise _fail(where, name, "an activation name", value)
    try:
        get_activation(value)
    except LayerNetError as error:
        raise ConfigError(f"{where}{name}: {error}") from None
    return value


def _hidden(value, name, where):
    if isinstance(value, list):
        return tuple(_activation(item, f"{name}[{i}]", where) for i, item in enumerate(value))
    return _activation(value, name, where)


def _layers(value, name, where):
    if not isinstance(value, list) or len(value) < 2:
        raise _fail(where, name, "a list of at least two layer sizes (inputs, ..., outputs)", value)
    return tuple(_int(1)(size, f"{name}[{i}]", where) for i, size in enumerate(value))


def _bool(value, name, where):
    if not isinstance(value, bool):
        raise _fail(where, name, "true or false", value)
    return value


def _string(value, name, where):
    if not isinstance(value, str) or not value:
        raise _fail(where, name, "a non-empty string", value)
    return value


def _label(value, name, where):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise _fail(where, name, "a column name or index", value)
    return value


def _optional_seed(value, name, where):
    return None if value is None else _int(0, 2**32 - 1)(value, name, where)


_CHECKS = {
    ("data", "source"): _choice(SOURCES),
    ("data", "n_samples"): _int(2),
    ("data", "noise"): _number(0.0),
    ("data", "n_features"): _int(1),
    ("data", "n_classes"): _int(2),
    ("data", "path"): _string,
    ("data", "label"): _label,
    ("data", "test_size"): _number(0.0, 1.0),
    ("data", "scale"): _bool,
    ("data", "seed"): _optional_seed,
    ("network", "layers"): _layers,
    ("network", "hidden"): _hidden,
    ("network", "output"): _activation,
    ("training", "method"): _choice(METHODS),
    ("training", "lambda_"): _number(0.0),
    ("training", "max_iter"): _int(1),
    ("training", "tol"): _number(0.0, low_open=True),
    ("training", "learning_rate"): _number(0.0, low_open=True),
    ("training", "momentum"): _number(0.0, 1.0),
    ("training", "seed"): _optional_seed,
}


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def reference_toml() -> str:
    """The packaged reference configuration, comments included (what ``layernet init`` writes)."""
    return resources.files("layernet").joinpath("configs/reference.toml").read_text(encoding="utf-8")
