"""run(): a configured run from data to metrics -- what ``layernet train`` calls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import RunConfig
from .datasets import Dataset, load, split
from .errors import ConfigError, LayerNetError
from .features import usable_label, usable_names
from .network import Network
from .preprocessing import Scaler
from .threads import available_memory
from .training import TrainResult, held_out, train

__all__ = [
    "Run",
    "RunData",
    "build_network",
    "check_compatible",
    "load_data",
    "recorded_config",
    "run",
    "sized_for_data",
]

#: The data sources a recorded configuration may regenerate; a recorded file path is never followed.
GENERATED_SOURCES = (
    "moons", "circles", "blobs", "classification", "digits", "iris", "regression", "friedman1", "diabetes",
)  # fmt: skip


@dataclass
class Run:
    """A finished run: the network, how training went, the data and the metrics.

    ``X_train`` and ``X_test`` are raw features; a network trained with ``scale = true`` carries
    its scaler and standardizes them itself.

    ``metrics`` is the dict ``layernet train --json`` prints: ``cost``, ``train_accuracy`` and
    ``test_accuracy`` (fractions; the latter None without a test split), ``iterations``,
    ``evaluations``, ``seconds``, ``converged``, ``status``, ``message`` and a description of the
    run (architecture, parameters, method, lambda, seed, sample counts).
    """

    config: RunConfig
    network: Network
    result: TrainResult
    metrics: dict
    data: Dataset
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None


@dataclass
class RunData:
    """The data a configuration describes: the whole set and its train/(validation/)test split.

    ``X_val`` and ``y_val`` are empty unless ``[data] validation_size`` holds some out.
    """

    dataset: Dataset
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    X_val: np.ndarray | None = None
    y_val: np.ndarray | None = None


def load_data(config: RunConfig, stream: np.random.RandomState | None = None) -> RunData:
    """Load or generate the configured data and split it, drawing from the run's stream.

    ``stream`` defaults to a new ``RandomState(config.seed)``, so the same configuration gives
    the same data and split that :func:`run` trained on.
    """
    data_cfg = config.data
    if stream is None:
        stream = np.random.RandomState(config.seed)
    data_rng = stream if data_cfg.seed is None else np.random.RandomState(data_cfg.seed)
    if data_cfg.source in _GENERATED:
        n_columns = 2 if data_cfg.source in ("moons", "circles") else data_cfg.n_features
        # The samples, their labels, and the train/test copies the split makes.
        _check_memory(3 * data_cfg.n_samples * (n_columns + 1) * 8, f"data.n_samples = {data_cfg.n_samples:,}")
    try:
        dataset = load(
            data_cfg.source,
            rng=data_rng,
            n_samples=data_cfg.n_samples,
            noise=data_cfg.noise,
            n_features=data_cfg.n_features,
            n_classes=data_cfg.n_classes,
            path=data_cfg.path,
            label=data_cfg.label,
            task=config.network.resolved_task,
        )
    except LayerNetError:
        raise
    except ValueError as error:  # scikit-learn's own checks on the generator's arguments
        raise ConfigError(f"[data] source {data_cfg.source!r} cannot generate this data: {error}") from None
    if dataset.n_features != config.network.layers[0]:
        raise ConfigError(
            f"network.layers starts with {config.network.layers[0]} input(s) but the {dataset.name} data has "
            f"{dataset.n_features} feature(s)"
        )
    X_train, X_test, y_train, y_test = split(dataset, data_cfg.test_size, rng=data_rng)
    X_val, y_val = X_train[:0], y_train[:0]
    if data_cfg.validation_size:
        # A fraction of all the samples, taken from the training part (test first, as before, so a
        # configuration's test split does not move when validation is added).
        part = data_cfg.validation_size / (1.0 - data_cfg.test_size)
        training = Dataset(X_train, y_train, dataset.name, task=dataset.task)
        X_train, X_val, y_train, y_val = split(training, part, rng=data_rng)
    return RunData(dataset, X_train, y_train, X_test, y_test, X_val, y_val)


def sized_for_data(config: RunConfig) -> RunConfig:
    """``config`` with its network's input and output sizes taken from its data.

    The input size becomes the number of features; the output size the number of classes,
    except that an identity (regression) output keeps its size, and a single output unit stays
    single for two classes (binary logistic output). Hidden sizes and activations are kept.
    The generated sources' shapes follow from the configuration (nothing is generated); the
    bundled sets and CSV files are read once here and again by :func:`run` (reading iris,
    digits or a CSV costs milliseconds against the seconds of a fit).

    Examples
    --------
    >>> cfg = RunConfig.reference().override({"data.source": "iris"})
    >>> sized_for_data(cfg).network.layers
    (4, 3, 3)
    """
    data_cfg = config.data
    if data_cfg.source in ("moons", "circles"):
        n_features, n_classes = 2, 2
    elif data_cfg.source in ("blobs", "classification"):
        n_features, n_classes = data_cfg.n_features, data_cfg.n_classes
    else:
        dataset = load(data_cfg.source, path=data_cfg.path, label=data_cfg.label)
        n_features, n_classes = dataset.n_features, len(dataset.classes)
    layers = list(config.network.layers)
    n_outputs = layers[-1]
    if config.network.output != "identity" and not (n_outputs == 1 and n_classes == 2):
        n_outputs = n_classes
    return config.override({"network.layers": [n_features, *layers[1:-1], n_outputs]})


def build_network(config: RunConfig) -> Network:
    """The configured network, not yet initialized; refused when its parameters would not fit in memory."""
    net_cfg = config.network
    check_network_memory(net_cfg.layers)
    hidden = list(net_cfg.hidden) if isinstance(net_cfg.hidden, tuple) else net_cfg.hidden
    return Network(list(net_cfg.layers), hidden=hidden, output=net_cfg.output, task=net_cfg.resolved_task)


def check_compatible(net: Network, config: RunConfig, classes) -> None:
    """Refuse to continue training ``net`` under ``config`` when they disagree.

    The architecture (layer sizes and activations), the classes and the feature scaling must be
    the configuration's: parameters trained for another network, other labels or other inputs
    would be continued as if they meant something.

    Raises
    ------
    ConfigError
        Naming what differs, the model's value and the configuration's.
    """
    wanted = build_network(config)
    if net.sizes != wanted.sizes or net.activations != wanted.activations:
        raise ConfigError(
            f"the model is {_described(net)} but the configuration describes {_described(wanted)}; "
            "set network.layers, hidden and output to the model's"
        )
    classes = np.asarray(classes)
    if net.classes_ is not None and (
        len(net.classes_) != len(classes) or net.classes_.astype(object).tolist() != classes.astype(object).tolist()
    ):
        raise ConfigError(
            f"the model was trained on classes {net.classes_.tolist()} but the configured data has {classes.tolist()}"
        )
    if (net.scaler is not None) != config.data.scale:
        has = "standardizes its features" if net.scaler is not None else "takes raw features"
        raise ConfigError(f"the model {has} but the configuration sets data.scale = {str(config.data.scale).lower()}")


def _described(net: Network) -> str:
    return f"{'-'.join(map(str, net.sizes))} ({', '.join(net.activations)})"


def run(config: RunConfig, callback=None, *, threads: int | None = None, init_from: Network | None = None) -> Run:
    """Load the data, build the network, train it and measure it, as ``config`` says.

    The run's ``seed`` seeds one numpy ``RandomState``: the data generator and the train/test
    split draw from it first, the initial weights next. ``[data] seed`` and ``[training] seed``
    give either its own stream. With the reference configuration this reproduces the blog's
    run: ``np.random.seed(0)``, ``make_moons``, then ``randtheta`` for each layer.

    Parameters
    ----------
    config : RunConfig
    callback : callable, optional
        Passed to :func:`layernet.train`: called with an ``IterationInfo`` every iteration.
    threads : int, optional
        Overrides ``[training] threads`` (default: chosen from the problem's size).
    init_from : Network, optional
        A trained network to continue (warm start) instead of drawing initial weights: a copy of
        it is trained, with its scaler. Its architecture, classes and scaling must match the
        configuration (:func:`check_compatible`).

    With ``[data] validation_size`` the validation part is evaluated after every iteration
    (early stopping, ``[training] patience`` and ``restore_best``), and a test split, when there
    is one, is recorded in the training history too.
    """
    seed = config.seed if config.seed is not None else fresh_seed()
    config = config.override({"seed": seed})
    stream = np.random.RandomState(seed)
    data = load_data(config, stream)
    train_cfg = config.training
    if train_cfg.validation_fraction is not None:
        # Split here as train() would (the same call), so that the scaler, the sample counts and
        # the training accuracy cover the part actually trained on.
        data.X_train, data.X_val, data.y_train, data.y_val = held_out(
            data.X_train,
            data.y_train,
            train_cfg.validation_fraction,
            train_cfg.seed,
            stratify=config.network.resolved_task != "regression",
        )
        train_cfg = train_cfg.replace(validation_fraction=None)
    check_network_memory(config.network.layers, len(data.y_train))

    classes = None if config.network.resolved_task == "regression" else np.unique(data.dataset.y)
    if init_from is not None:
        check_compatible(init_from, config, classes)
        network = init_from.copy()  # its parameters and its scaler: they belong together
    else:
        network = build_network(config)
        if config.data.scale:
            # Fitted on the training part only; the network applies it to every X it is given.
            network.scaler = Scaler.fit(data.X_train)
        network.init(rng=stream if train_cfg.seed is None else np.random.RandomState(train_cfg.seed))
    options = train_cfg if threads is None else train_cfg.replace(threads=threads)
    result = train(
        network,
        data.X_train,
        data.y_train,
        options,
        callback=callback,
        classes=classes,
        validation=(data.X_val, data.y_val) if len(data.y_val) else None,
        test=(data.X_test, data.y_test) if len(data.y_test) else None,
    )
    regression = network.is_regressor
    metrics = {
        "cost": result.cost,
        "task": network.task,
        "task_inferred": config.network.task is None,
        **_scores(network, data),
        # The held-out score at the kept iteration: accuracy for a classifier, R² for a regression.
        "validation_accuracy": None if regression else result.validation_accuracy,
        **({"validation_r2": result.validation_accuracy} if regression else {}),
        "best_iteration": result.best_iteration,
        "iterations": result.iterations,
        "evaluations": result.evaluations,
        "hessp_products": result.hessp_products,
        "seconds": result.seconds,
        "converged": result.converged,
        "status": result.status,
        "message": result.message,
        "architecture": "-".join(map(str, network.sizes)),
        "activations": network.activations,
        "n_parameters": network.n_params,
        "method": train_cfg.method,
        # The lambda trained with: with lambda = "auto", the one the evidence reached.
        "lambda": result.lambda_,
        "lambda_auto": train_cfg.lambda_ == "auto",
        **({} if result.evidence is None else {"evidence": result.evidence.summary()}),
        "seed": seed,
        "data": data.dataset.name,
        "n_train": int(len(data.y_train)),
        "n_test": int(len(data.y_test)),
        "n_validation": result.n_validation,
        "threads": result.threads,
        "warm_start": init_from is not None,
        # The labels as the data name them (iris: its species), in the network's output order.
        "classes": None if network.classes_ is None else network.classes_.tolist(),
    }
    for key in ("train_accuracy", "test_accuracy", "seed", "data", *(_REGRESSION_KEYS if regression else ())):
        network.training_summary[key] = metrics[key]
    if data.dataset.named:  # a CSV header: predictions and evaluations match columns by these names
        network.feature_names = usable_names(data.dataset.feature_names)  # None if they repeat
        network.label_name = usable_label(data.dataset.label_name)
    # The whole configuration, with the seed actually used: enough to rebuild the data later.
    network.training_summary["config"] = config.to_dict()
    return Run(
        config,
        network,
        result,
        metrics,
        data.dataset,
        data.X_train,
        data.y_train,
        data.X_test,
        data.y_test,
        data.X_val,
        data.y_val,
    )


#: The regression scores in a run's metrics (and a model's training summary).
_REGRESSION_KEYS = tuple(f"{part}_{name}" for part in ("train", "test") for name in ("rmse", "mae", "r2"))


def _scores(network: Network, data: RunData) -> dict:
    """Accuracies for a classifier; for a regression network accuracies None and RMSE, MAE, R²."""
    has_test = bool(len(data.y_test))
    if not network.is_regressor:
        return {
            "train_accuracy": network.score(data.X_train, data.y_train),
            "test_accuracy": network.score(data.X_test, data.y_test) if has_test else None,
        }
    from .evaluation import regression_metrics

    scores: dict = {"train_accuracy": None, "test_accuracy": None}
    for part, X, y in (("train", data.X_train, data.y_train), ("test", data.X_test, data.y_test)):
        values = regression_metrics(y, network.predict(X)) if part == "train" or has_test else {}
        for name in ("rmse", "mae", "r2"):
            scores[f"{part}_{name}"] = values.get(name)
    return scores


#: The sources whose size the configuration sets (``n_samples``), checked before generating.
_GENERATED = ("moons", "circles", "blobs", "classification")


def check_network_memory(sizes, n_samples: int = 0) -> None:
    """Refuse a network of ``sizes`` trained on ``n_samples`` rows that cannot fit in memory.

    The estimate is a floor: the parameters, the gradient and the optimizer's two or three
    vectors of the same length (``4 * n_params * 8`` bytes), and the forward and backward work
    buffers, about ``3 * n_samples * sum(sizes) * 8`` bytes.

    Raises
    ------
    ConfigError
        Naming the bytes needed and the bytes available.
    """
    n_params = sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    needed = 4 * n_params * 8 + 3 * n_samples * sum(sizes) * 8
    what = f"network.layers {list(sizes)} ({n_params:,} parameters)"
    _check_memory(needed, what if not n_samples else f"{what} trained on {n_samples:,} samples")


def _check_memory(needed: int, what: str) -> None:
    available = available_memory()
    if available is not None and needed > available:
        raise ConfigError(f"{what} needs at least {_bytes(needed)} of memory; {_bytes(available)} is available")


def _bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"):
        if n < 1024 or unit == "EiB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} EiB"  # pragma: no cover


def recorded_config(net: Network) -> RunConfig:
    """The run configuration ``net`` was trained with, if its data can be generated again.

    A model file is input like any other: a configuration recorded in it could name any local
    file (or ``/dev/zero``) as its data, so only generated sources are accepted; for data read
    from a file the caller must name the data.

    Raises
    ------
    ConfigError
        Nothing is recorded, the record is malformed, or it names a data file.
    """
    raw = net.training_summary.get("config") if isinstance(net.training_summary, dict) else None
    if raw is None:
        raise ConfigError("this model does not record its training data; give DATA (a config or a CSV)")
    data = raw.get("data") if isinstance(raw, dict) else None
    source = data.get("source", "moons") if isinstance(data, dict) else "moons"
    if source not in GENERATED_SOURCES:
        where = f" ({data['path']})" if isinstance(data, dict) and isinstance(data.get("path"), str) else ""
        raise ConfigError(
            f"this model was trained on data read from a file{where}, which layernet does not open on a "
            "model file's word; give DATA (that CSV, or a config) to evaluate it"
        )
    return RunConfig.from_dict(raw, source="the model's run configuration")


def fresh_seed() -> int:
    """A new seed from the operating system's entropy, for runs configured without one."""
    return int(np.random.SeedSequence().entropy % 2**32)
