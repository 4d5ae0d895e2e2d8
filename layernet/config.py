"""Run configuration: TOML in and out, typed and validated, and the packaged reference run.

A run configuration has a top-level ``seed`` and three tables, ``[data]``, ``[network]`` and
``[training]``. Every key is checked when the file is read: an unknown key (a typo) or a value
out of range raises :class:`~layernet.ConfigError` naming the field and what it allows.
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ._checks import check_bool, check_int, check_regular_file, check_str
from .activations import available_activations, get_activation
from .datasets import REGRESSION_SOURCES, SOURCES
from .errors import ConfigError, LayerNetError
from .network import TASKS
from .options import Declared, TrainOptions, choice, integer, option, real, seed_check, unknown_key_message

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["DataConfig", "NetworkConfig", "TrainingConfig", "TrainOptions", "RunConfig", "reference_toml"]


def _activation(value, name, error=ConfigError):
    if not isinstance(value, str):
        raise error(f"{name} must be an activation name, got {value!r}")
    try:
        get_activation(value)
    except LayerNetError as failure:
        raise error(f"{name}: {failure}") from None
    return value


def _hidden_activation(value, name, error=ConfigError):
    """A hidden layer's activation: a registered name that is not output-only (softmax is)."""
    if not isinstance(value, str):
        raise error(f"{name} must be an activation name, got {value!r}")
    # Only what is valid here is listed: softmax is registered, but belongs on the output layer.
    try:
        activation = get_activation(value)
    except LayerNetError:
        raise error(f"{name}: unknown activation {value!r}; hidden activations: {_listed_hidden()}") from None
    if activation.output_only:
        raise error(f"{name}: {value!r} belongs on the output layer only; hidden activations: {_listed_hidden()}")
    return value


def _listed_hidden() -> str:
    return ", ".join(hidden_activations())


def hidden_activations() -> list[str]:
    """The registered activations a hidden layer can use (every one but the output-only ones)."""
    return [name for name in available_activations() if not get_activation(name).output_only]


def _hidden(value, name, error=ConfigError):
    if isinstance(value, (list, tuple)):
        return tuple(_hidden_activation(item, f"{name}[{i}]", error) for i, item in enumerate(value))
    return _hidden_activation(value, name, error)


def _layers(value, name, error=ConfigError):
    if not isinstance(value, (list, tuple)) or len(value) < 2:
        raise error(f"{name} must be a list of at least two layer sizes (inputs, ..., outputs), got {value!r}")
    return tuple(check_int(size, f"{name}[{i}]", low=1, error=error) for i, size in enumerate(value))


def _label(value, name, error=ConfigError):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise error(f"{name} must be a column name or index, got {value!r}")
    return value


def _path(value, name, error=ConfigError):
    return check_str(value, name, none=True, error=error)


def _flag(value, name, error=ConfigError):
    return check_bool(value, name, error=error)


@dataclass(frozen=True)
class DataConfig(Declared):
    """``[data]``: where the samples come from and how they are split and scaled."""

    source: str = option("moons", choice(SOURCES), f"where the samples come from: {', '.join(SOURCES)}")
    n_samples: int = option(200, integer(2), "samples to generate (generated sources only)")
    noise: float = option(0.2, real(0.0), "moons and circles noise; blobs cluster spread")
    n_features: int = option(2, integer(1), "features to generate (blobs, classification)")
    n_classes: int = option(2, integer(2), "classes to generate (blobs, classification)")
    path: str | None = option(None, _path, "the CSV file (source csv), relative to the config file")
    label: int | str = option(-1, _label, "the CSV's label column, by header name or index (default: the last)")
    test_size: float = option(0.0, real(0.0, 1.0, high_open=True), "fraction held out as a test set")
    validation_size: float = option(
        0.0,
        real(0.0, 1.0, high_open=True),
        "fraction of all the samples held out (stratified) to validate on every iteration, for early stopping "
        "([training] patience, restore_best); 0.15 with test_size 0.15 is MATLAB's 70/15/15",
    )
    scale: bool = option(False, _flag, "standardize the features (fitted on the training part)")
    seed: int | None = option(None, seed_check, "the data's own random stream (default: the run's)")


@dataclass(frozen=True)
class NetworkConfig(Declared):
    """``[network]``: layer sizes and activations."""

    layers: tuple[int, ...] = option((2, 3, 2), _layers, "input size, hidden sizes..., output size")
    hidden: str | tuple[str, ...] = option(
        "sigmoid", _hidden, "the hidden layers' activation, or a list of one per hidden layer"
    )
    output: str = option("sigmoid", _activation, "the output activation: sigmoid, softmax or identity")
    task: str | None = option(
        None,
        lambda value, name, error=ConfigError: None if value is None else choice(TASKS)(value, name, error),
        "classification or regression; unset: inferred from the output (identity: regression)",
    )

    @property
    def resolved_task(self) -> str:
        """The task, inferred from the output activation when unset."""
        if self.task is not None:
            return self.task
        return "regression" if self.output == "identity" else "classification"


#: The ``[training]`` table is the training options themselves.
TrainingConfig = TrainOptions

#: The largest configuration file read (bytes); the reference file is about 1 KiB.
MAX_CONFIG_BYTES = 1024 * 1024

#: make_blobs' cluster_std is this times ``[data] noise`` (see :func:`layernet.datasets.load`).
_BLOB_SPREAD = 5

_SECTIONS = {"data": DataConfig, "network": NetworkConfig, "training": TrainOptions}


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
    training: TrainOptions = field(default_factory=TrainOptions)
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
        text = _read_text(path, MAX_CONFIG_BYTES, "TOML")
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: invalid TOML: {error}") from None
        except RecursionError:
            raise ConfigError(f"{path}: invalid TOML: tables or arrays nested too deeply") from None
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
        for key in raw:
            if key != "seed" and key not in _SECTIONS:
                raise ConfigError(f"{where}{unknown_key_message(key, ['seed', *_SECTIONS], 'the top level')}")
        sections = {name: kind.from_table(raw.get(name, {}), name, where) for name, kind in _SECTIONS.items()}
        seed = seed_check(raw.get("seed"), f"{where}seed", ConfigError)
        config = cls(sections["data"], sections["network"], sections["training"], seed, source)
        config._check_consistency(where)
        return config

    # -- writing ---------------------------------------------------------------------------

    def to_dict(self) -> dict:
        """The configuration as a nested dict shaped like the TOML file (unset values left out)."""
        out: dict = {} if self.seed is None else {"seed": self.seed}
        for name in _SECTIONS:
            out[name] = getattr(self, name).to_table()
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
        if data.test_size + data.validation_size >= 1.0:
            raise ConfigError(
                f"{where}data.test_size + data.validation_size must be below 1 (some data must be left to train on), "
                f"got {data.test_size:g} + {data.validation_size:g}"
            )
        if data.validation_size and self.training.validation_fraction is not None:
            raise ConfigError(
                f"{where}data.validation_size and training.validation_fraction both hold out validation data; "
                "set one of them"
            )
        task = network.resolved_task
        if task == "regression" and network.output in ("sigmoid", "softmax"):
            raise ConfigError(
                f"{where}network.task is 'regression' but network.output is {network.output!r}, a classifier's "
                "output (cross-entropy); set network.output = \"identity\""
            )
        if data.source in REGRESSION_SOURCES and task != "regression":
            raise ConfigError(
                f"{where}data.source {data.source!r} has continuous targets (a regression) but the network is a "
                f"classifier (network.output = {network.output!r}); set network.output = \"identity\""
            )
        if data.source == "csv" and data.path is None:
            raise ConfigError(f"{where}data.path is required when data.source is 'csv'")
        if data.source == "classification" and data.n_features < 64 and data.n_classes > 2**data.n_features:
            # make_classification puts each class on a corner of a hypercube of n_features dimensions.
            needed = math.ceil(math.log2(data.n_classes))
            raise ConfigError(
                f"{where}data.n_classes = {data.n_classes} needs data.n_features >= {needed} for source "
                f"'classification' (at most 2**n_features classes), got data.n_features = {data.n_features}"
            )
        if data.source == "blobs" and not math.isfinite(data.noise * _BLOB_SPREAD):
            raise ConfigError(
                f"{where}data.noise must be at most {sys.float_info.max / _BLOB_SPREAD:.3g} for source 'blobs' "
                f"(the clusters' spread is {_BLOB_SPREAD} x noise), got {data.noise:g}"
            )


def _read_text(path: Path, limit: int, kind: str) -> str:
    """A regular file's text, refused before reading when it is not a file or larger than ``limit``.

    ``stat`` comes first, so a device node (``/dev/zero``, ``/dev/urandom``) or a FIFO is never
    opened, and the read itself stops at ``limit + 1`` bytes in case the file grows meanwhile.
    """
    info = check_regular_file(path, kind, error=ConfigError)
    too_big = f"{path}: is larger than {limit // 1024} KiB; a {kind} configuration is a few lines"
    if info.st_size > limit:
        raise ConfigError(too_big)
    try:
        with open(path, "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror or error})") from None
    if len(data) > limit:
        raise ConfigError(too_big)
    try:
        # Universal newlines, as text mode reads them.
        return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path}: cannot be read ({error})") from None


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
