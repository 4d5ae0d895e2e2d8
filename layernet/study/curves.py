"""Learning curves and validation curves: the course's bias/variance tools, cross-validated.

The course's exercise 5 trains on the first ``i`` training examples for growing ``i`` and plots
the training error (on those ``i``) and the cross-validation error (on the whole validation set):
two curves that meet high up mean high bias, a gap that stays open means high variance. Its
validation curve does the same across lambda. Here both run on the folds of the study data,
so each point comes with a spread:

* :func:`learning_curve` -- for each training-set size and each fold (of each repeat), the
  configured network is trained on the first ``size`` samples of the fold's training part
  (nested, class-stratified prefixes of a seeded shuffle: every larger subset holds the smaller
  ones) and scored on the subset and on the fold's whole validation part;
* :func:`validation_curve` -- the same with the whole training part and lambda varying.

Errors are the misclassification rate ``1 - accuracy`` and the unregularized data cost (the
course plots the cost without its regularization term). Every fit of one fold starts from the same
initial weights, whatever its size or lambda (common random numbers: the curve's steps come from
the data, not from the draw). The data, the held-out test set and the folds are the study's
(:func:`layernet.study.run` with the same ``seed``, ``folds`` and ``test_size``); the test set
is not touched.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .._checks import check_int, check_real
from ..config import RunConfig
from ..errors import LayerNetError
from ..evaluation import evaluate
from ..labels import infer_classes
from ..network import Network
from ..options import TrainOptions, lambda_check
from ..persistence import json_safe
from ..preprocessing import Scaler
from ..runner import build_network, fresh_seed, load_data
from ..study_defaults import AUTO, DEFAULT_FOLDS, DEFAULT_LAMBDAS, DEFAULT_REPEATS, DEFAULT_SIZES
from ..training import train
from ..writing import atomic_write
from .execution import _check_scheduler, _execute
from .grid import _fold_indices, _folds, _lambda_grid, _n_jobs, _repeats, _test_size
from .records import one_se_index

__all__ = ["CURVE_COLUMNS", "CurvePoint", "CurveSummary", "Curve", "learning_curve", "validation_curve"]

# The initial weights of a curve's fits: SeedSequence(seed, spawn_key=(_ROLE_CURVE, fold)); the
# study's own fits use roles 0-2.
_ROLE_CURVE = 3
_ROLE_SUBSET = 4

#: The columns of a curve's CSV file, one row per fit; ``lambda`` is the point's ``lambda_``.
CURVE_COLUMNS = (
    "size",
    "lambda",
    "repeat",
    "fold",
    "train_error",
    "validation_error",
    "train_cost",
    "validation_cost",
    "iterations",
    "status",
    "seconds",
)


@dataclass(frozen=True)
class CurvePoint:
    """One fit of a curve: ``size`` training samples of one fold, at one lambda.

    ``train_error`` and ``train_cost`` are measured on the ``size`` samples trained on,
    ``validation_*`` on the fold's whole validation part; errors are ``1 - accuracy``, costs the
    unregularized data term of the course's cost, averaged over samples.
    """

    size: int
    lambda_: float
    repeat: int
    fold: int
    train_error: float
    validation_error: float
    train_cost: float
    validation_cost: float
    iterations: int
    status: str
    seconds: float

    def to_dict(self) -> dict:
        values = asdict(self)
        values["lambda"] = values.pop("lambda_")
        return {name: values[name] for name in CURVE_COLUMNS}


@dataclass(frozen=True)
class CurveSummary:
    """One (size, lambda) of a curve over its folds: means and sample standard deviations (ddof=1)."""

    size: int
    lambda_: float
    n_folds: int
    train_error_mean: float
    train_error_std: float
    validation_error_mean: float
    validation_error_std: float
    train_cost_mean: float
    train_cost_std: float
    validation_cost_mean: float
    validation_cost_std: float

    @property
    def validation_error_se(self) -> float:
        """The standard error of the mean validation error, ``std / sqrt(n_folds)``."""
        return self.validation_error_std / math.sqrt(self.n_folds) if self.n_folds > 1 else math.nan

    def to_dict(self) -> dict:
        values = asdict(self)
        values["lambda"] = values.pop("lambda_")
        return values


@dataclass
class Curve:
    """A learning curve (``kind="learning"``: size varies) or a validation curve (lambda varies).

    Attributes
    ----------
    kind : {"learning", "validation"}
    points : list of CurvePoint
        One per fit, in (size, lambda, repeat, fold) order.
    summary : list of CurveSummary
        One per (size, lambda), in that order.
    settings : dict
        What the curve is: sizes, lambdas, folds, repeats, seed, the architecture, the data.
    config : RunConfig
        The resolved configuration (seed and test size set).
    """

    kind: str
    points: list[CurvePoint]
    summary: list[CurveSummary]
    settings: dict
    config: RunConfig = field(repr=False)

    @property
    def chosen_lambda(self) -> float | None:
        """For a validation curve, the lambda the one-standard-error rule chooses (None otherwise).

        The largest lambda whose mean validation accuracy is within one standard error of the
        best -- the study's rule (:func:`~layernet.study.select_one_se`) for one architecture.
        """
        if self.kind != "validation" or not self.summary:
            return None
        index = one_se_index(
            [1.0 - item.validation_error_mean for item in self.summary],
            [item.validation_error_se for item in self.summary],
            [(-item.lambda_,) for item in self.summary],
        )
        return self.summary[index].lambda_

    def to_dict(self, include_points: bool = False) -> dict:
        values = {
            "kind": self.kind,
            "settings": self.settings,
            "chosen_lambda": self.chosen_lambda,
            "summary": [item.to_dict() for item in self.summary],
        }
        if include_points:
            values["points"] = [point.to_dict() for point in self.points]
        return json_safe(values)

    def to_json(self, path: str | Path | None = None, *, include_points: bool = False) -> str:
        """The :meth:`to_dict` summary as JSON text, also written atomically to ``path`` if given."""
        text = json.dumps(self.to_dict(include_points), indent=2, allow_nan=False) + "\n"
        if path is not None:
            atomic_write(path, lambda handle: handle.write(text), mode="w")
        return text

    def to_csv(self, path: str | Path) -> Path:
        """Write the points to ``path`` atomically, one row per fit, columns :data:`CURVE_COLUMNS`."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(CURVE_COLUMNS)
        for point in self.points:
            values = point.to_dict()
            writer.writerow(repr(v) if isinstance(v, float) else str(v) for v in map(values.get, CURVE_COLUMNS))
        text = buffer.getvalue()
        return atomic_write(path, lambda handle: handle.write(text), mode="w")


@dataclass(frozen=True)
class _CurveTask:
    size: int
    lambda_: float
    repeat: int
    fold: int
    seed: int
    fold_index: int
    layers: tuple[int, ...]
    hidden: object
    output: str
    scale: bool
    training: TrainOptions
    classes: np.ndarray
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def _fit_point(task: _CurveTask) -> CurvePoint:
    """Train the configured network on ``task``'s subset and score it (runs in a worker)."""
    start = time.perf_counter()
    hidden = list(task.hidden) if isinstance(task.hidden, tuple) else task.hidden
    net = Network(list(task.layers), hidden=hidden, output=task.output)
    if task.scale:
        net.scaler = Scaler.fit(task.X_train)
    net.init(rng=np.random.default_rng(np.random.SeedSequence(task.seed, spawn_key=(_ROLE_CURVE, task.fold_index))))
    result = train(net, task.X_train, task.y_train, task.training, lambda_=task.lambda_, classes=task.classes)
    if result.status == "interrupted":
        raise KeyboardInterrupt
    on_train = evaluate(net, task.X_train, task.y_train)
    on_val = evaluate(net, task.X_val, task.y_val)
    return CurvePoint(
        task.size,
        task.lambda_,
        task.repeat,
        task.fold,
        1.0 - on_train.accuracy,
        1.0 - on_val.accuracy,
        on_train.cost,
        on_val.cost,
        result.iterations,
        result.status,
        time.perf_counter() - start,
    )


def learning_curve(
    config: RunConfig | None = None,
    sizes: Sequence[int | float] = DEFAULT_SIZES,
    *,
    lambda_: float | None = None,
    folds: int = DEFAULT_FOLDS,
    repeats: int = DEFAULT_REPEATS,
    test_size: float | None = None,
    n_jobs: int | None = -1,
    scheduler=None,
    callback: Callable[[int, int], object] | None = None,
) -> Curve:
    """Training and validation error of the configured network against the training-set size.

    Parameters
    ----------
    config : RunConfig, optional
        Data, network (``network.layers`` as configured), optimizer and the other training
        options; the reference configuration if omitted. A configuration without a seed gets a
        fresh one.
    sizes : sequence of int or float
        Training-set sizes: an int is a number of samples (at most the smallest fold's training
        part), a float in (0, 1] a fraction of each fold's training part. Sorted, no repeats.
    lambda_ : float or "auto", optional
        The regularization strength; default the configuration's ``training.lambda``. ``"auto"``:
        every fit chooses its own by the evidence (:mod:`layernet.evidence`).
    folds, repeats, test_size, n_jobs, scheduler
        As for :func:`layernet.study.run`: the same folds of the same study data.
    callback : callable, optional
        ``callback(done, total)`` after every fit.

    Returns
    -------
    Curve
        ``kind="learning"``, one point per (size, repeat, fold).

    Raises
    ------
    LayerNetError
        Empty or repeated sizes, a size below one sample or above a fold's training part, and
        the study's own refusals (folds, test size, jobs, scheduler). Nothing is run then.

    Examples
    --------
    >>> import layernet as ln
    >>> cfg = ln.RunConfig.reference().override({"data.n_samples": 80, "training.max_iter": 20})
    >>> curve = ln.study.learning_curve(cfg, sizes=[10, 1.0], folds=2, n_jobs=1)  # 1.0: all 28 of a fold
    >>> [item.size for item in curve.summary], curve.summary[0].n_folds
    ([10, 28], 2)
    """
    config = _config(config)
    value = config.training.lambda_ if lambda_ is None else lambda_check(lambda_, "lambda_")
    value = value if value == AUTO else float(value)  # "auto": every fit chooses its own by the evidence
    return _curve("learning", config, sizes, (value,), folds, repeats, test_size, n_jobs, scheduler, callback)


def validation_curve(
    config: RunConfig | None = None,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    *,
    size: int | float = 1.0,
    folds: int = DEFAULT_FOLDS,
    repeats: int = DEFAULT_REPEATS,
    test_size: float | None = None,
    n_jobs: int | None = -1,
    scheduler=None,
    callback: Callable[[int, int], object] | None = None,
) -> Curve:
    """Training and validation error of the configured network against lambda.

    The machinery of :func:`learning_curve` with the training-set ``size`` fixed (default: each
    fold's whole training part) and lambda varying. :attr:`Curve.chosen_lambda` is the
    one-standard-error choice.

    Examples
    --------
    >>> import layernet as ln
    >>> cfg = ln.RunConfig.reference().override({"data.n_samples": 80, "training.max_iter": 20})
    >>> curve = ln.study.validation_curve(cfg, lambdas=[0, 1], folds=2, n_jobs=1)
    >>> [item.lambda_ for item in curve.summary], curve.kind
    ([0.0, 1.0], 'validation')
    """
    config = _config(config)
    lambdas = _lambda_grid(lambdas, auto=False)  # a curve over lambda: "auto" is no point on it
    return _curve("validation", config, (size,), lambdas, folds, repeats, test_size, n_jobs, scheduler, callback)


def _config(config) -> RunConfig:
    config = RunConfig.reference() if config is None else config
    if not isinstance(config, RunConfig):
        raise LayerNetError(f"config must be a layernet RunConfig, got {type(config).__name__}")
    return config


def _size_grid(sizes) -> list:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (Sequence, np.ndarray, range)):
        raise LayerNetError(f"sizes must be a list of sample counts or fractions, got {sizes!r}")
    items = list(sizes)
    if not items:
        raise LayerNetError("sizes is empty: give at least one training-set size")
    checked = []
    for i, value in enumerate(items):
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            checked.append(check_int(value, f"sizes[{i}]", low=1))
        else:
            checked.append(check_real(value, f"sizes[{i}]", low=0, high=1, low_open=True))
    return checked


def _resolve_sizes(sizes: list, n_smallest: int) -> tuple[int, ...]:
    """Sample counts from counts and fractions of the smallest fold's training part."""
    counts = []
    for i, value in enumerate(sizes):
        count = value if isinstance(value, int) else int(round(value * n_smallest))
        if count < 1:
            raise LayerNetError(f"sizes[{i}] = {value!r} is less than one of the {n_smallest} training samples")
        if count > n_smallest:
            raise LayerNetError(
                f"sizes[{i}] = {value!r} is more than the {n_smallest} samples of the smallest training fold"
            )
        counts.append(count)
    repeated = sorted({count for count in counts if counts.count(count) > 1})
    if repeated:
        raise LayerNetError(f"sizes give {', '.join(map(str, repeated))} samples more than once")
    return tuple(sorted(counts))


def _prefix_order(y: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A shuffle of ``range(len(y))`` whose every prefix holds the classes in proportion.

    Each sample of a class with ``n`` members gets the key ``(rank + u) / n`` (its place in a
    random order of its class, jittered by a uniform ``u``); sorting by the key interleaves the
    classes, so the first ``k`` samples hold about ``k * n / len(y)`` of each. scikit-learn's
    stratified splitters give one subset, not nested ones.
    """
    keys = np.empty(len(y))
    for label in np.unique(y):
        members = np.flatnonzero(y == label)
        ranks = rng.permutation(len(members))
        keys[members] = (ranks + rng.uniform(size=len(members))) / len(members)
    return np.argsort(keys, kind="stable")


def _curve(kind, config, sizes, lambdas, folds, repeats, test_size, n_jobs, scheduler, callback) -> Curve:
    sizes = _size_grid(sizes)
    folds = _folds(folds)
    repeats = _repeats(repeats)
    n_jobs = _n_jobs(n_jobs)
    _check_scheduler(scheduler)
    if callback is not None and not callable(callback):
        raise LayerNetError(f"callback must be callable, got {callback!r}")
    changes = {"data.test_size": _test_size(test_size, config)}
    if config.seed is None:
        changes["seed"] = fresh_seed()
    config = config.override(changes)
    build_network(config)  # refuses a network too large for memory before any fit
    data = load_data(config)
    X, y = data.X_train, data.y_train
    classes = np.unique(data.dataset.y)
    infer_classes(y, config.network.layers[-1], classes)
    splits = [_fold_indices(y, folds, config.seed, repeat) for repeat in range(repeats)]
    counts = _resolve_sizes(sizes, min(len(train_index) for split in splits for train_index, _ in split))
    tasks = []
    for repeat, split in enumerate(splits):
        for fold, (train_index, val_index) in enumerate(split):
            order_rng = np.random.default_rng(
                np.random.SeedSequence(config.seed, spawn_key=(_ROLE_SUBSET, repeat * folds + fold))
            )
            ordered = train_index[_prefix_order(y[train_index], order_rng)]
            for count in counts:
                subset = ordered[:count]
                for value in lambdas:
                    tasks.append(
                        _CurveTask(
                            count,
                            value,
                            repeat,
                            fold,
                            config.seed,
                            repeat * folds + fold,
                            tuple(config.network.layers),
                            config.network.hidden,
                            config.network.output,
                            config.data.scale,
                            config.training,
                            classes,
                            X[subset],
                            y[subset],
                            X[val_index],
                            y[val_index],
                        )
                    )
    points = []
    for point in _execute(tasks, n_jobs, scheduler, worker=_fit_point):
        points.append(point)
        if callback is not None:
            callback(len(points), len(tasks))
    points.sort(key=lambda point: (point.size, point.lambda_, point.repeat, point.fold))
    settings = {
        "kind": kind,
        "sizes": list(counts),
        "lambdas": list(lambdas),
        "folds": folds,
        "repeats": repeats,
        "seed": config.seed,
        "layers": list(config.network.layers),
        "hidden": config.network.hidden,
        "output": config.network.output,
        "method": config.training.method,
        "n_study": int(len(y)),
        "data": config.to_dict()["data"],
    }
    return Curve(kind, points, _summarize(points), json_safe(settings), config)


def _summarize(points: list[CurvePoint]) -> list[CurveSummary]:
    groups: dict[tuple, list[CurvePoint]] = {}
    for point in points:
        groups.setdefault((point.size, point.lambda_), []).append(point)
    summary = []
    for (size, lambda_), group in sorted(groups.items()):
        columns = {}
        for name in ("train_error", "validation_error", "train_cost", "validation_cost"):
            values = np.array([getattr(point, name) for point in group])
            columns[f"{name}_mean"] = float(values.mean())
            columns[f"{name}_std"] = float(values.std(ddof=1)) if len(values) > 1 else math.nan
        summary.append(CurveSummary(size, lambda_, len(group), **columns))
    return summary
