"""run(): a configured run from data to metrics -- what ``layernet train`` calls."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import RunConfig
from .datasets import Dataset, Scaler, load, split
from .errors import ConfigError
from .network import Network
from .training import TrainResult, train

__all__ = ["Run", "run"]


@dataclass
class Run:
    """A finished run: the network, how training went, the data and the metrics.

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
    scaler: Scaler | None = None


def run(config: RunConfig, callback=None, *, threads: int | None = None) -> Run:
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
        BLAS threads, passed to :func:`layernet.train` (default: chosen from the problem's size).
    """
    seed = config.seed if config.seed is not None else _fresh_seed()
    stream = np.random.RandomState(seed)
    data_cfg, net_cfg, train_cfg = config.data, config.network, config.training
    data_rng = stream if data_cfg.seed is None else np.random.RandomState(data_cfg.seed)
    dataset = load(
        data_cfg.source,
        rng=data_rng,
        n_samples=data_cfg.n_samples,
        noise=data_cfg.noise,
        n_features=data_cfg.n_features,
        n_classes=data_cfg.n_classes,
        path=data_cfg.path,
        label=data_cfg.label,
    )
    if dataset.n_features != net_cfg.layers[0]:
        raise ConfigError(
            f"network.layers starts with {net_cfg.layers[0]} input(s) but the {dataset.name} data has "
            f"{dataset.n_features} feature(s)"
        )
    X_train, X_test, y_train, y_test = split(dataset, data_cfg.test_size, rng=data_rng)
    scaler = None
    if data_cfg.scale:
        scaler = Scaler.fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

    hidden = list(net_cfg.hidden) if isinstance(net_cfg.hidden, tuple) else net_cfg.hidden
    network = Network(list(net_cfg.layers), hidden=hidden, output=net_cfg.output)
    init_rng = stream if train_cfg.seed is None else np.random.RandomState(train_cfg.seed)
    network.init(rng=init_rng)
    classes = np.unique(dataset.y)
    result = train(
        network,
        X_train,
        y_train,
        lambda_=train_cfg.lambda_,
        method=train_cfg.method,
        max_iter=train_cfg.max_iter,
        tol=train_cfg.tol,
        callback=callback,
        learning_rate=train_cfg.learning_rate,
        momentum=train_cfg.momentum,
        classes=classes,
        threads=threads,
    )
    metrics = {
        "cost": result.cost,
        "train_accuracy": network.score(X_train, y_train),
        "test_accuracy": network.score(X_test, y_test) if len(y_test) else None,
        "iterations": result.iterations,
        "evaluations": result.evaluations,
        "seconds": result.seconds,
        "converged": result.converged,
        "status": result.status,
        "message": result.message,
        "architecture": "-".join(map(str, network.sizes)),
        "activations": network.activations,
        "n_parameters": network.n_params,
        "method": train_cfg.method,
        "lambda": train_cfg.lambda_,
        "seed": seed,
        "data": dataset.name,
        "n_train": int(len(y_train)),
        "n_test": int(len(y_test)),
        "threads": result.threads,
    }
    for key in ("train_accuracy", "test_accuracy", "seed", "data"):
        network.training_summary[key] = metrics[key]
    return Run(config, network, result, metrics, dataset, X_train, y_train, X_test, y_test, scaler)


def _fresh_seed() -> int:
    return int(np.random.SeedSequence().entropy % 2**32)
