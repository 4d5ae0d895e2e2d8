"""Overfitting studies: cross-validated accuracy across depth, width and lambda.

The blog this library grew out of ends with decision boundaries for growing hidden layers --
training accuracy climbing from 0.85 to 1.00 -- and the warning that this is probably
overfitting, which only held-out data can show. A study does that check properly:

1. the configured data are split once into *study* data and a held-out *test* set
   (:func:`layernet.load_data`, ``test_size``);
2. every architecture (``depth`` hidden layers of ``width`` units) and every ``lambda`` is trained
   on each of ``folds`` stratified cross-validation folds of the study data, and scored on the
   fold it did not see: one :class:`FitRecord` per (depth, width, lambda, fold);
3. records are averaged over folds (:class:`Aggregate`), the configuration with the best mean
   validation accuracy is chosen (:func:`select_best`), refit on all study data and scored, once,
   on the test set (:class:`Refit`).

Everything else -- activations, output layer, optimizer, ``max_iter``, ``tol``, feature scaling --
comes from the run configuration. Fits run in parallel with joblib on local cores, or on a Dask
cluster (``scheduler="tcp://host:8786"``, the optional extra ``layernet[distributed]``). Each fit
draws its initial weights from a seed derived from (seed, depth, width, lambda, fold) alone, so
the records are the same whichever backend runs them and however many jobs it uses.

With a ``directory``, every finished fit is appended to ``results.csv`` as it arrives and a
second run of the same study there only runs the fits still missing (see :func:`run`).

Studies return data -- lists of dataclasses -- never figures; the figures are
:func:`layernet.plotting.plot_study_boundaries`, :func:`~layernet.plotting.plot_study_capacity`
and :func:`~layernet.plotting.plot_study_lambda`.

Examples
--------
>>> import layernet as ln
>>> cfg = ln.RunConfig.reference().override({"training.max_iter": 200})
>>> result = ln.study.run(cfg, depths=[1, 2], widths=[2, 5], lambdas=[0, 0.1], folds=3)  # doctest: +SKIP
>>> result.best.depth, result.best.width, result.best.lambda_, result.refit.test_accuracy  # doctest: +SKIP
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, fields
from numbers import Integral, Real
from pathlib import Path

import numpy as np

from .config import RunConfig
from .errors import ConfigError, LayerNetError
from .labels import infer_classes
from .network import Network
from .options import TrainOptions
from .persistence import atomic_write, json_safe
from .preprocessing import Scaler
from .runner import RunData, fresh_seed, load_data
from .training import train

__all__ = [
    "DEFAULT_DEPTHS",
    "DEFAULT_WIDTHS",
    "DEFAULT_LAMBDAS",
    "DEFAULT_FOLDS",
    "DEFAULT_TEST_SIZE",
    "RESULTS_FILE",
    "SETTINGS_FILE",
    "SUMMARY_FILE",
    "RECORD_COLUMNS",
    "StudySettings",
    "FitRecord",
    "Aggregate",
    "Refit",
    "StudyProgress",
    "StudyResult",
    "ArchitectureFit",
    "run",
    "load",
    "aggregate",
    "select_best",
    "fit_architectures",
    "fit_seed",
]

# The study's defaults and file names live in study_defaults (no numpy), so the command line can
# show them in --help without importing this module.
from .study_defaults import (  # noqa: E402
    DEFAULT_DEPTHS,
    DEFAULT_FOLDS,
    DEFAULT_LAMBDAS,
    DEFAULT_TEST_SIZE,
    DEFAULT_WIDTHS,
    FORMAT,
    FORMAT_VERSION,
    RESULTS_FILE,
    SETTINGS_FILE,
    SUMMARY_FILE,
)

#: The columns of ``results.csv``, one row per fit; ``lambda`` is the record's ``lambda_``.
RECORD_COLUMNS = (
    "depth",
    "width",
    "lambda",
    "fold",
    "n_parameters",
    "train_accuracy",
    "validation_accuracy",
    "train_cost",
    "iterations",
    "evaluations",
    "status",
    "seconds",
)
_HEADER = ",".join(RECORD_COLUMNS)

# Seeds for the fits are drawn from SeedSequence(seed, spawn_key=(role, ...)): cross-validation
# fits and fits on all the study data never share a stream.
_ROLE_FOLD = 0
_ROLE_FULL = 1


# -- records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitRecord:
    """One cross-validation fit: an architecture and lambda trained on all folds but one.

    Attributes
    ----------
    depth, width : int
        Hidden layers, and units in each.
    lambda_ : float
        The regularization strength (``lambda`` in files).
    fold : int
        The fold held out for validation, ``0 .. folds - 1``.
    n_parameters : int
        Weights and biases of the network.
    train_accuracy, validation_accuracy : float
        Fractions correct on the folds trained on, and on the held-out fold.
    train_cost : float
        The final regularized cost on the training folds.
    iterations, evaluations : int
        Optimizer iterations, and cost-and-gradient evaluations.
    status : str
        How training ended ("converged", "max_iter", ...; see :class:`layernet.TrainResult`).
    seconds : float
        Wall time of the fit: building, training and scoring the network. The only field that
        differs between two runs of the same study.
    """

    depth: int
    width: int
    lambda_: float
    fold: int
    n_parameters: int
    train_accuracy: float
    validation_accuracy: float
    train_cost: float
    iterations: int
    evaluations: int
    status: str
    seconds: float

    @property
    def key(self) -> tuple[int, int, float, int]:
        """``(depth, width, lambda_, fold)``: what identifies a fit within a study."""
        return (self.depth, self.width, self.lambda_, self.fold)

    def to_dict(self) -> dict:
        """The record as plain values, keyed by :data:`RECORD_COLUMNS`."""
        values = asdict(self)
        values["lambda"] = values.pop("lambda_")
        return {name: values[name] for name in RECORD_COLUMNS}


@dataclass(frozen=True)
class Aggregate:
    """One (depth, width, lambda) summarized over its folds.

    Means are over the folds recorded; standard deviations are the sample standard deviation
    (``ddof=1``), NaN with fewer than two folds.
    """

    depth: int
    width: int
    lambda_: float
    n_parameters: int
    n_folds: int
    train_accuracy_mean: float
    train_accuracy_std: float
    validation_accuracy_mean: float
    validation_accuracy_std: float
    train_cost_mean: float
    iterations_mean: float
    n_converged: int
    seconds: float

    @property
    def key(self) -> tuple[int, int, float]:
        return (self.depth, self.width, self.lambda_)

    @property
    def architecture(self) -> str:
        """``"2x5"``: depth hidden layers of width units."""
        return f"{self.depth}x{self.width}"

    def to_dict(self) -> dict:
        values = asdict(self)
        values["lambda"] = values.pop("lambda_")
        return values


@dataclass(frozen=True)
class Refit:
    """The chosen configuration trained on all the study data and scored on the test set.

    ``test_accuracy`` is None when the study holds out no test set (``test_size=0``).
    """

    depth: int
    width: int
    lambda_: float
    n_parameters: int
    train_accuracy: float
    test_accuracy: float | None
    train_cost: float
    iterations: int
    evaluations: int
    status: str
    seconds: float
    n_train: int
    n_test: int

    def to_dict(self) -> dict:
        values = asdict(self)
        values["lambda"] = values.pop("lambda_")
        return values


@dataclass(frozen=True)
class StudyProgress:
    """What a study's ``callback`` receives: once before the first fit, then after every fit.

    ``done`` counts the fits recorded so far, those found in the directory included;
    ``skipped`` is how many were found there; ``record`` is the fit just finished (None at the
    start).
    """

    done: int
    total: int
    skipped: int
    record: FitRecord | None = None


# -- settings -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StudySettings:
    """What a study is: the grid, the folds, and the (resolved) run configuration.

    ``config`` has its seed set and its ``data.test_size`` as the study used it; its
    ``network.layers`` only lend the input and output sizes, and ``training.lambda`` is unused
    (the grid's lambdas replace it).
    """

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    lambdas: tuple[float, ...]
    folds: int
    config: RunConfig

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def test_size(self) -> float:
        return self.config.data.test_size

    @property
    def hidden(self) -> str:
        """The hidden layers' activation."""
        return _hidden_activation(self.config)

    @property
    def n_fits(self) -> int:
        return len(self.depths) * len(self.widths) * len(self.lambdas) * self.folds

    def fit_keys(self) -> list[tuple[int, int, float, int]]:
        """Every ``(depth, width, lambda, fold)`` of the study, in grid order."""
        return [
            (depth, width, lambda_, fold)
            for depth in self.depths
            for width in self.widths
            for lambda_ in self.lambdas
            for fold in range(self.folds)
        ]

    def to_dict(self) -> dict:
        """Everything that decides the records, as plain JSON values.

        Two studies with equal dicts give equal records; ``study.json`` keeps it to recognize
        a directory's study.
        """
        config = self.config.to_dict()
        training = dict(config["training"])
        training.pop("lambda", None)
        return {
            "depths": list(self.depths),
            "widths": list(self.widths),
            "lambdas": list(self.lambdas),
            "folds": self.folds,
            "seed": self.seed,
            "data": config["data"],
            "network": {
                "inputs": self.config.network.layers[0],
                "outputs": self.config.network.layers[-1],
                "hidden": self.hidden,
                "output": self.config.network.output,
            },
            "training": training,
        }


# -- the result ---------------------------------------------------------------------------------


@dataclass
class StudyResult:
    """A study's records, their aggregates, the best configuration and its test score.

    Attributes
    ----------
    settings : StudySettings
    records : list of FitRecord
        One per fit recorded, in grid order (depth, width, lambda, fold).
    aggregates : list of Aggregate
        One per (depth, width, lambda) with at least one record, in grid order.
    best : Aggregate or None
        The complete configuration (all folds recorded) with the highest mean validation
        accuracy; ties go to fewer parameters, then the larger lambda (see :func:`select_best`).
    refit : Refit or None
        ``best`` trained on all study data and scored on the test set.
    network : Network or None
        The refit network (None for a result read back with :func:`load`).
    directory : Path or None
        Where the study's files are, if anywhere.
    """

    settings: StudySettings
    records: list[FitRecord]
    aggregates: list[Aggregate]
    best: Aggregate | None
    refit: Refit | None = None
    network: Network | None = field(default=None, repr=False)
    directory: Path | None = None
    _data: RunData | None = field(default=None, repr=False, compare=False)

    @property
    def complete(self) -> bool:
        """Whether every fit of the grid is recorded."""
        return len(self.records) == self.settings.n_fits

    @property
    def data(self) -> RunData:
        """The study data (``X_train``, ``y_train``) and the test set (``X_test``, ``y_test``)."""
        if self._data is None:
            self._data = load_data(self.settings.config)
        return self._data

    def get(self, depth: int, width: int, lambda_: float) -> Aggregate | None:
        """The aggregate of one configuration, or None if it has no record."""
        for item in self.aggregates:
            if item.key == (depth, width, float(lambda_)):
                return item
        return None

    def ranked(self) -> list[Aggregate]:
        """Complete aggregates, best first (the order :func:`select_best` uses)."""
        complete = [item for item in self.aggregates if item.n_folds == self.settings.folds]
        return sorted(complete, key=_rank_key)

    def to_dict(self, include_records: bool = False) -> dict:
        """The study as plain JSON values: settings, counts, aggregates, best, refit (and records)."""
        from . import __version__

        summary = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "layernet_version": __version__,
            "settings": self.settings.to_dict(),
            "n_fits": self.settings.n_fits,
            "n_recorded": len(self.records),
            "complete": self.complete,
            "best": None if self.best is None else self.best.to_dict(),
            "refit": None if self.refit is None else self.refit.to_dict(),
            "aggregates": [item.to_dict() for item in self.aggregates],
        }
        if include_records:
            summary["records"] = [record.to_dict() for record in self.records]
        return json_safe(summary)

    def to_json(self, path: str | Path | None = None, *, include_records: bool = False) -> str:
        """The :meth:`to_dict` summary as JSON text, also written atomically to ``path`` if given."""
        text = json.dumps(self.to_dict(include_records), indent=2, allow_nan=False) + "\n"
        if path is not None:
            atomic_write(path, lambda handle: handle.write(text), mode="w")
        return text

    def to_csv(self, path: str | Path) -> Path:
        """Write the records to ``path`` (atomically), one row per fit, columns :data:`RECORD_COLUMNS`."""
        text = _HEADER + "\n" + "".join(_row(record) for record in self.records)
        return atomic_write(path, lambda handle: handle.write(text), mode="w")

    def to_dataframe(self, what: str = "records"):
        """The records (or ``what="aggregates"``) as a tidy pandas DataFrame, one row each.

        pandas is optional: this is the one place layernet uses it.

        Raises
        ------
        ImportError
            pandas is not installed.
        LayerNetError
            ``what`` is neither "records" nor "aggregates".
        """
        if what == "records":
            rows = [record.to_dict() for record in self.records]
            columns = list(RECORD_COLUMNS)
        elif what == "aggregates":
            rows = [item.to_dict() for item in self.aggregates]
            columns = [_file_name(item.name) for item in fields(Aggregate)]
        else:
            raise LayerNetError(f"what must be 'records' or 'aggregates', got {what!r}")
        try:
            import pandas as pd
        except ImportError:
            raise ImportError(
                "StudyResult.to_dataframe needs pandas, which layernet does not require: pip install pandas"
            ) from None
        return pd.DataFrame(rows, columns=columns)


@dataclass
class ArchitectureFit:
    """One architecture trained on all study data at one lambda, for a decision-boundary panel.

    ``train_accuracy`` and ``validation_accuracy`` (with their standard deviations) are the
    cross-validation means of the study's records for this configuration (NaN if it has none);
    ``fit_accuracy`` is the accuracy of ``network`` on the study data it was trained on.
    """

    depth: int
    width: int
    lambda_: float
    network: Network = field(repr=False)
    train_accuracy: float
    train_accuracy_std: float
    validation_accuracy: float
    validation_accuracy_std: float
    n_folds: int
    fit_accuracy: float
    status: str


# -- running a study ----------------------------------------------------------------------------


def run(
    config: RunConfig | None = None,
    depths: Sequence[int] = DEFAULT_DEPTHS,
    widths: Sequence[int] = DEFAULT_WIDTHS,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    folds: int = DEFAULT_FOLDS,
    test_size: float | None = None,
    n_jobs: int | None = -1,
    *,
    directory: str | Path | None = None,
    force: bool = False,
    scheduler=None,
    callback: Callable[[StudyProgress], object] | None = None,
) -> StudyResult:
    """Cross-validate every (depth, width, lambda), pick the best, and test it once.

    Parameters
    ----------
    config : RunConfig, optional
        Data, output layer, hidden activation, optimizer, ``max_iter``, ``tol`` and scaling; the
        reference configuration if omitted. A configuration without a seed gets a fresh one (or,
        resuming in ``directory``, the one recorded there).
    depths : sequence of int >= 1
        Numbers of hidden layers.
    widths : sequence of int >= 1
        Units in every hidden layer.
    lambdas : sequence of float >= 0
        Regularization strengths.
    folds : int >= 2
        Stratified cross-validation folds of the study data (scikit-learn's ``StratifiedKFold``,
        shuffled with the configuration's seed).
    test_size : float in [0, 1), optional
        Fraction of the data held out as the test set. Default: the configuration's
        ``data.test_size`` if it holds some out, else ``DEFAULT_TEST_SIZE`` (0.3). 0 holds out
        nothing (the refit then has no test accuracy).
    n_jobs : int, default -1
        Parallel jobs on this machine (joblib's meaning: -1 all cores, 1 in this process).
        Ignored with a ``scheduler``, whose workers decide.
    directory : str or Path, optional
        Record the study here: ``study.json`` (its settings), ``results.csv`` (one row appended
        and flushed to disk per finished fit) and, when done, ``summary.json``. Fits already in
        ``results.csv`` are not run again; a torn last row (a hard kill mid-write) is dropped.
    force : bool, default False
        Start over in a ``directory`` that holds a different study, or records it cannot read
        (those records are deleted). Records of this same study are still resumed.
    scheduler : str or dask.distributed.Client, optional
        Run the fits on a Dask cluster through joblib's dask backend: the scheduler's address
        (``"tcp://host:8786"``) or a connected client. Needs ``pip install 'layernet[distributed]'``.
    callback : callable, optional
        ``callback(progress)`` with a :class:`StudyProgress`, before the first fit and after each.

    Returns
    -------
    StudyResult

    Raises
    ------
    LayerNetError
        An empty grid, a width or depth < 1, a negative lambda, ``folds < 2`` or more folds than
        samples of some class, a ``directory`` that is a file or holds a different study, a
        missing ``distributed`` package or an unreachable scheduler. Nothing is run then.
    KeyboardInterrupt
        Ctrl-C: the fits finished so far are in ``results.csv``; run again to finish the rest.
    """
    config = RunConfig.reference() if config is None else config
    if not isinstance(config, RunConfig):
        raise LayerNetError(f"config must be a layernet RunConfig, got {type(config).__name__}")
    depths = _int_grid(depths, "depths")
    widths = _int_grid(widths, "widths")
    lambdas = _lambda_grid(lambdas)
    folds = _folds(folds)
    n_jobs = _n_jobs(n_jobs)
    if callback is not None and not callable(callback):
        raise LayerNetError(f"callback must be callable, got {callback!r}")
    _check_scheduler(scheduler)
    _hidden_activation(config)  # a study needs one hidden activation for every depth

    changes = {"data.test_size": _test_size(test_size, config)}
    directory = None if directory is None else _directory(directory)
    stored = None
    if directory is not None and (directory / SETTINGS_FILE).exists():
        stored = _read_settings(directory / SETTINGS_FILE, force)
    if config.seed is None:
        recorded = None if stored is None else stored.get("settings", {}).get("seed")
        changes["seed"] = recorded if isinstance(recorded, int) else fresh_seed()
    settings = StudySettings(depths, widths, lambdas, folds, config.override(changes))

    data = load_data(settings.config)
    study_X, study_y = data.X_train, data.y_train
    classes = np.unique(data.dataset.y)
    infer_classes(study_y, settings.config.network.layers[-1], classes)
    splits = _fold_indices(study_y, folds, settings.seed)
    spec = _Spec.from_config(settings.config, classes)

    done: dict[tuple, FitRecord] = {}
    log = None
    if directory is not None:
        done = _prepare_directory(directory, settings, stored, force)
        log = _ResultsLog(directory / RESULTS_FILE)
    skipped = len(done)
    try:
        if callback is not None:
            callback(StudyProgress(len(done), settings.n_fits, skipped))
        todo = [key for key in settings.fit_keys() if key not in done]
        # Biggest networks first: the slow fits start early, and the last ones to finish are short.
        todo.sort(key=lambda key: -_n_parameters(spec, key[0], key[1]))
        tasks = [
            _Task(
                depth,
                width,
                lambda_,
                fold,
                _spawn_key(_ROLE_FOLD, depth, width, lambda_, fold),
                settings.seed,
                spec,
                study_X[splits[fold][0]],
                study_y[splits[fold][0]],
                study_X[splits[fold][1]],
                study_y[splits[fold][1]],
                keep_theta=False,
            )
            for depth, width, lambda_, fold in todo
        ]
        for outcome in _execute(tasks, n_jobs, scheduler):
            if outcome.status == "interrupted":
                # Ctrl-C reached a fit before it reached this loop: never record a cut-short fit.
                raise KeyboardInterrupt
            record = outcome.record()
            done[record.key] = record
            if log is not None:
                log.append(record)
            if callback is not None:
                callback(StudyProgress(len(done), settings.n_fits, skipped, record))
    finally:
        if log is not None:
            log.close()

    records = [done[key] for key in settings.fit_keys() if key in done]
    aggregates = aggregate(records)
    result = StudyResult(settings, records, aggregates, None, directory=directory, _data=data)
    result.best = select_best(aggregates, folds)
    if result.best is not None:
        result.refit, result.network = _refit(result.best, settings, spec, data)
    if directory is not None:
        result.to_json(directory / SUMMARY_FILE)
    return result


def load(directory: str | Path) -> StudyResult:
    """Read back a study recorded in ``directory`` (complete or not), without running anything.

    The refit is taken from ``summary.json`` when the study was finished; ``network`` is None.

    Raises
    ------
    LayerNetError
        ``directory`` holds no layernet study, or its files are malformed.
    """
    directory = Path(directory)
    if not (directory / SETTINGS_FILE).is_file():
        raise LayerNetError(f"{directory}: no layernet study here (no {SETTINGS_FILE})")
    stored = _read_settings(directory / SETTINGS_FILE, force=False)
    settings = _settings_from_stored(stored, directory / SETTINGS_FILE)
    records = (
        _read_results(directory / RESULTS_FILE, settings, repair=False) if (directory / RESULTS_FILE).exists() else {}
    )
    records = [records[key] for key in settings.fit_keys() if key in records]
    aggregates = aggregate(records)
    result = StudyResult(settings, records, aggregates, select_best(aggregates, settings.folds), directory=directory)
    summary_path = directory / SUMMARY_FILE
    if result.best is not None and summary_path.is_file():
        try:
            summary = json.loads(summary_path.read_text(encoding="utf-8"))
            refit = summary.get("refit")
            if summary.get("settings") == stored["settings"] and isinstance(refit, dict):
                candidate = Refit(**{_field_name(k): v for k, v in refit.items()})
                if (candidate.depth, candidate.width, candidate.lambda_) == result.best.key:
                    result.refit = candidate
        except (OSError, ValueError, TypeError):
            pass  # a stale or damaged summary: the records are what count
    return result


def aggregate(records: Iterable[FitRecord]) -> list[Aggregate]:
    """Summarize records over folds: one :class:`Aggregate` per (depth, width, lambda), sorted.

    Parameters
    ----------
    records : iterable of FitRecord

    Returns
    -------
    list of Aggregate
        In (depth, width, lambda) order.
    """
    groups: dict[tuple, list[FitRecord]] = {}
    for record in records:
        groups.setdefault((record.depth, record.width, record.lambda_), []).append(record)
    result = []
    for (depth, width, lambda_), group in sorted(groups.items()):
        train_acc = np.array([r.train_accuracy for r in group])
        val_acc = np.array([r.validation_accuracy for r in group])
        result.append(
            Aggregate(
                depth=depth,
                width=width,
                lambda_=lambda_,
                n_parameters=group[0].n_parameters,
                n_folds=len(group),
                train_accuracy_mean=float(train_acc.mean()),
                train_accuracy_std=_std(train_acc),
                validation_accuracy_mean=float(val_acc.mean()),
                validation_accuracy_std=_std(val_acc),
                train_cost_mean=float(np.mean([r.train_cost for r in group])),
                iterations_mean=float(np.mean([r.iterations for r in group])),
                n_converged=sum(r.status == "converged" for r in group),
                seconds=float(sum(r.seconds for r in group)),
            )
        )
    return result


def select_best(aggregates: Iterable[Aggregate], folds: int | None = None) -> Aggregate | None:
    """The configuration with the highest mean validation accuracy.

    Ties (equal to 12 decimals) go to the simpler model: fewer parameters, then the larger
    lambda, then fewer hidden layers.

    Parameters
    ----------
    aggregates : iterable of Aggregate
    folds : int, optional
        Consider only configurations with this many folds recorded (complete ones).

    Returns
    -------
    Aggregate or None
        None when no configuration qualifies.
    """
    candidates = [item for item in aggregates if folds is None or item.n_folds == folds]
    return min(candidates, key=_rank_key) if candidates else None


def fit_architectures(
    result: StudyResult,
    lambda_: float | None = None,
    *,
    n_jobs: int | None = -1,
    scheduler=None,
    callback: Callable[[int, int], object] | None = None,
) -> list[ArchitectureFit]:
    """Train every architecture of a study on all its study data, at one lambda.

    These are the networks the decision-boundary figure draws
    (:func:`layernet.plotting.plot_study_boundaries`); each carries the cross-validated
    accuracies of its configuration. The initial weights come from the same derived seed as
    the refit of that configuration, so the best configuration's panel is its refit network.

    Parameters
    ----------
    result : StudyResult
    lambda_ : float, optional
        One of the study's lambdas; default the smallest (the least regularized, where
        overfitting shows most).
    n_jobs, scheduler
        As for :func:`run`.
    callback : callable, optional
        ``callback(done, total)`` after every fit.

    Returns
    -------
    list of ArchitectureFit
        In (depth, width) order.
    """
    if not isinstance(result, StudyResult):
        raise LayerNetError(f"result must be a StudyResult, got {type(result).__name__}")
    settings = result.settings
    if lambda_ is None:
        lambda_ = min(settings.lambdas)
    if isinstance(lambda_, bool) or not isinstance(lambda_, Real) or float(lambda_) not in settings.lambdas:
        known = ", ".join(f"{value:g}" for value in settings.lambdas)
        raise LayerNetError(f"lambda_ must be one of the study's lambdas ({known}), got {lambda_!r}")
    lambda_ = float(lambda_) + 0.0
    n_jobs = _n_jobs(n_jobs)
    _check_scheduler(scheduler)
    data = result.data
    spec = _Spec.from_config(settings.config, np.unique(data.dataset.y))
    empty_X, empty_y = data.X_train[:0], data.y_train[:0]
    tasks = [
        _Task(
            depth,
            width,
            lambda_,
            None,
            _spawn_key(_ROLE_FULL, depth, width, lambda_, 0),
            settings.seed,
            spec,
            data.X_train,
            data.y_train,
            empty_X,
            empty_y,
            keep_theta=True,
        )
        for depth in settings.depths
        for width in settings.widths
    ]
    fitted = {}
    for outcome in _execute(tasks, n_jobs, scheduler):
        if outcome.status == "interrupted":
            raise KeyboardInterrupt
        fitted[(outcome.depth, outcome.width)] = outcome
        if callback is not None:
            callback(len(fitted), len(tasks))
    fits = []
    for task in tasks:
        outcome = fitted[(task.depth, task.width)]
        summary = result.get(task.depth, task.width, lambda_)
        nan = math.nan
        fits.append(
            ArchitectureFit(
                depth=task.depth,
                width=task.width,
                lambda_=lambda_,
                network=outcome.network(spec),
                train_accuracy=nan if summary is None else summary.train_accuracy_mean,
                train_accuracy_std=nan if summary is None else summary.train_accuracy_std,
                validation_accuracy=nan if summary is None else summary.validation_accuracy_mean,
                validation_accuracy_std=nan if summary is None else summary.validation_accuracy_std,
                n_folds=0 if summary is None else summary.n_folds,
                fit_accuracy=outcome.train_accuracy,
                status=outcome.status,
            )
        )
    return fits


def fit_seed(seed: int, depth: int, width: int, lambda_: float, fold: int | None = None) -> np.random.SeedSequence:
    """The seed sequence a study fit draws its initial weights from.

    It depends on the study's seed and the fit's (depth, width, lambda, fold) only -- not on
    the order fits run in, nor on where -- so every backend gives the same records. ``fold=None``
    is the fit on all study data (the refit, and the decision-boundary networks).
    """
    role, fold = (_ROLE_FULL, 0) if fold is None else (_ROLE_FOLD, fold)
    return np.random.SeedSequence(seed, spawn_key=_spawn_key(role, depth, width, lambda_, fold))


# -- one fit, wherever it runs ------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """Everything about a fit that comes from the configuration (picklable, for the workers)."""

    n_inputs: int
    n_outputs: int
    hidden: str
    output: str
    scale: bool
    training: TrainOptions
    classes: np.ndarray

    @classmethod
    def from_config(cls, config: RunConfig, classes: np.ndarray) -> _Spec:
        return cls(
            config.network.layers[0],
            config.network.layers[-1],
            _hidden_activation(config),
            config.network.output,
            config.data.scale,
            config.training,
            classes,
        )

    def network(self, depth: int, width: int) -> Network:
        return Network([self.n_inputs, *[width] * depth, self.n_outputs], hidden=self.hidden, output=self.output)


@dataclass(frozen=True)
class _Task:
    depth: int
    width: int
    lambda_: float
    fold: int | None
    spawn_key: tuple[int, ...]
    seed: int
    spec: _Spec
    X_train: np.ndarray
    y_train: np.ndarray
    X_eval: np.ndarray
    y_eval: np.ndarray
    keep_theta: bool


@dataclass(frozen=True)
class _Outcome:
    depth: int
    width: int
    lambda_: float
    fold: int | None
    n_parameters: int
    train_accuracy: float
    eval_accuracy: float | None
    train_cost: float
    iterations: int
    evaluations: int
    status: str
    seconds: float
    theta: np.ndarray | None
    scaler: Scaler | None
    summary: dict

    def record(self) -> FitRecord:
        return FitRecord(
            self.depth,
            self.width,
            self.lambda_,
            self.fold,
            self.n_parameters,
            self.train_accuracy,
            self.eval_accuracy,
            self.train_cost,
            self.iterations,
            self.evaluations,
            self.status,
            self.seconds,
        )

    def network(self, spec: _Spec) -> Network:
        # Networks are rebuilt here rather than pickled: a pickled network's layers would no
        # longer be views into its theta.
        net = spec.network(self.depth, self.width)
        if self.scaler is not None:
            net.scaler = self.scaler
        net.theta = self.theta
        net.initialized = True
        net.classes_ = spec.classes
        net.training_summary = dict(self.summary)
        return net


def _fit(task: _Task) -> _Outcome:
    """Build, initialize, train and score one network (runs in a worker)."""
    start = time.perf_counter()
    spec = task.spec
    net = spec.network(task.depth, task.width)
    if spec.scale:
        net.scaler = Scaler.fit(task.X_train)
    net.init(rng=np.random.default_rng(np.random.SeedSequence(task.seed, spawn_key=task.spawn_key)))
    result = train(net, task.X_train, task.y_train, spec.training, lambda_=task.lambda_, classes=spec.classes)
    train_accuracy = net.score(task.X_train, task.y_train)
    eval_accuracy = net.score(task.X_eval, task.y_eval) if len(task.y_eval) else None
    return _Outcome(
        task.depth,
        task.width,
        task.lambda_,
        task.fold,
        net.n_params,
        train_accuracy,
        eval_accuracy,
        float(result.cost),
        result.iterations,
        result.evaluations,
        result.status,
        time.perf_counter() - start,
        net.theta.copy() if task.keep_theta else None,
        net.scaler,
        result.summary() if task.keep_theta else {},
    )


def _execute(tasks: list[_Task], n_jobs: int, scheduler) -> Iterator[_Outcome]:
    """Run the fits with joblib (local processes, or a Dask cluster); yield each as it finishes."""
    if not tasks:
        return
    if n_jobs == 1 and scheduler is None:
        # In this process: no joblib machinery, and Ctrl-C reaches the fit directly.
        for task in tasks:
            yield _fit(task)
        return
    from joblib import Parallel, delayed, parallel_config

    if scheduler is None:
        parallel = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        yield from parallel(delayed(_fit)(task) for task in tasks)
        return
    client, owned = _dask_client(scheduler)
    try:
        with parallel_config(backend="dask", client=client):
            parallel = Parallel(return_as="generator_unordered")
            yield from parallel(delayed(_fit)(task) for task in tasks)
    finally:
        if owned:
            client.close()


def _dask_client(scheduler):
    """A connected ``distributed.Client`` (and whether it is ours to close)."""
    try:
        from distributed import Client
    except ImportError:
        raise LayerNetError(
            "running a study on a Dask cluster needs the 'distributed' package: pip install 'layernet[distributed]'"
        ) from None
    if not isinstance(scheduler, str):
        return scheduler, False
    try:
        return Client(scheduler, timeout="10s", set_as_default=False), True
    except (OSError, TimeoutError) as error:
        raise LayerNetError(f"cannot connect to the Dask scheduler at {scheduler}: {error}") from None


def _refit(best: Aggregate, settings: StudySettings, spec: _Spec, data: RunData) -> tuple[Refit, Network]:
    task = _Task(
        best.depth,
        best.width,
        best.lambda_,
        None,
        _spawn_key(_ROLE_FULL, best.depth, best.width, best.lambda_, 0),
        settings.seed,
        spec,
        data.X_train,
        data.y_train,
        data.X_test,
        data.y_test,
        keep_theta=True,
    )
    outcome = _fit(task)
    if outcome.status == "interrupted":
        raise KeyboardInterrupt
    refit = Refit(
        best.depth,
        best.width,
        best.lambda_,
        outcome.n_parameters,
        outcome.train_accuracy,
        outcome.eval_accuracy,
        outcome.train_cost,
        outcome.iterations,
        outcome.evaluations,
        outcome.status,
        outcome.seconds,
        int(len(data.y_train)),
        int(len(data.y_test)),
    )
    return refit, outcome.network(spec)


# -- the directory: study.json, results.csv -----------------------------------------------------


class _ResultsLog:
    """``results.csv`` opened for appending: one ``write`` of a whole row, then fsync, per fit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists() or path.stat().st_size == 0:
            atomic_write(path, lambda handle: handle.write(_HEADER + "\n"), mode="w")
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND)

    def append(self, record: FitRecord) -> None:
        data = _row(record).encode("utf-8")
        # One write call for the whole line: a reader (or a crash) sees all of it or none of
        # it, except for a hard kill inside the call, whose torn line the next run drops.
        written = os.write(self.fd, data)
        while written < len(data):  # a short write (a full disk) -- finish the line
            written += os.write(self.fd, data[written:])
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


def _row(record: FitRecord) -> str:
    values = record.to_dict()
    cells = []
    for name in RECORD_COLUMNS:
        value = values[name]
        cells.append(repr(float(value)) if isinstance(value, float) else str(value))
    return ",".join(cells) + "\n"


_INT_COLUMNS = {"depth", "width", "fold", "n_parameters", "iterations", "evaluations"}


def _parse_row(line: str) -> FitRecord:
    cells = line.split(",")
    if len(cells) != len(RECORD_COLUMNS):
        raise ValueError(f"{len(cells)} cells, expected {len(RECORD_COLUMNS)}")
    values = {}
    for name, cell in zip(RECORD_COLUMNS, cells):
        if name == "status":
            if not cell or not cell.replace("_", "").isalpha():
                raise ValueError(f"status {cell!r}")
            values[name] = cell
        elif name in _INT_COLUMNS:
            values[name] = int(cell)
        else:
            values[name] = float(cell)
    return FitRecord(**{_field_name(name): value for name, value in values.items()})


def _read_results(path: Path, settings: StudySettings, *, repair: bool) -> dict[tuple, FitRecord]:
    """The records of ``results.csv``; a torn last line is dropped (and cut from the file if ``repair``)."""
    raw = path.read_bytes()
    end = raw.rfind(b"\n") + 1
    if end < len(raw) and repair:
        # A hard kill inside a write: the last line is incomplete. Cut it, so appends start clean.
        os.truncate(path, end)
    try:
        text = raw[:end].decode("utf-8")
    except UnicodeDecodeError:
        raise LayerNetError(f"{path}: not a layernet study results file (not UTF-8 text)") from None
    lines = text.splitlines()
    if not lines:
        return {}
    if lines[0] != _HEADER:
        raise LayerNetError(
            f"{path}: not a layernet study results file (its header is {lines[0][:80]!r}); "
            "move it away, or start over with force (--force)"
        )
    valid = set(settings.fit_keys())
    records: dict[tuple, FitRecord] = {}
    for number, line in enumerate(lines[1:], start=2):
        try:
            record = _parse_row(line)
        except ValueError as error:
            raise LayerNetError(
                f"{path}: line {number} is not a study record ({error}); fix or delete that line, "
                "or start over with force (--force)"
            ) from None
        if record.key not in valid:
            raise LayerNetError(f"{path}: line {number} records a fit that is not part of this study: {record.key}")
        records.setdefault(record.key, record)
    return records


def _directory(directory) -> Path:
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise LayerNetError(f"{directory}: is a file, not a folder; give a folder for the study's files")
    return directory


def _read_settings(path: Path, force: bool) -> dict:
    """``study.json`` as a dict; a damaged one is an error unless ``force`` (then: empty)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if (
            not isinstance(stored, dict)
            or stored.get("format") != FORMAT
            or not isinstance(stored.get("settings"), dict)
        ):
            raise ValueError("not a layernet study")
    except (OSError, ValueError) as error:
        if force:
            return {}
        raise LayerNetError(
            f"{path}: not a readable layernet study file ({error}); "
            "use another folder, or start over with force (--force)"
        ) from None
    version = stored.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        if force:
            return {}
        raise LayerNetError(f"{path}: study format {version!r}, this layernet reads format {FORMAT_VERSION}")
    return stored


def _settings_from_stored(stored: dict, path: Path) -> StudySettings:
    try:
        settings = stored["settings"]
        config = RunConfig.from_dict(stored["config"], source=str(path))
        return StudySettings(
            tuple(settings["depths"]),
            tuple(settings["widths"]),
            tuple(map(float, settings["lambdas"])),
            settings["folds"],
            config,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise LayerNetError(f"{path}: its study settings are malformed ({error})") from None


def _prepare_directory(directory: Path, settings: StudySettings, stored: dict | None, force: bool) -> dict:
    """Make ``directory`` hold this study; return the records already there."""
    from . import __version__

    wanted = json_safe(settings.to_dict())
    results = directory / RESULTS_FILE
    if stored:
        if stored["settings"] != wanted and not force:
            raise LayerNetError(
                f"{directory} holds a different study ({_differences(stored['settings'], wanted)}); "
                "use another folder, or start over there with force (--force), which deletes its results"
            )
    elif results.exists() and not force:
        raise LayerNetError(
            f"{directory} has a {RESULTS_FILE} but no {SETTINGS_FILE}, so its study is unknown; "
            "use another folder, or start over there with force (--force)"
        )
    if not stored or stored["settings"] != wanted:
        # A new study here (or a forced restart): old results must not be resumed.
        directory.mkdir(parents=True, exist_ok=True)
        for name in (RESULTS_FILE, SUMMARY_FILE):
            (directory / name).unlink(missing_ok=True)
        document = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "layernet_version": __version__,
            "settings": wanted,
            "config": json_safe(settings.config.to_dict()),
        }
        text = json.dumps(document, indent=2) + "\n"
        atomic_write(directory / SETTINGS_FILE, lambda handle: handle.write(text), mode="w")
        return {}
    if not results.exists():
        return {}
    try:
        return _read_results(results, settings, repair=True)
    except LayerNetError:
        if not force:
            raise
        results.unlink()  # unreadable records of this very study: force starts it over
        return {}


def _differences(old: dict, new: dict, prefix: str = "") -> str:
    changes = []
    for key in sorted(set(old) | set(new), key=str):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            inner = _differences(a, b, f"{prefix}{key}.")
            if inner:
                changes.append(inner)
        elif a != b:
            changes.append(f"{prefix}{key}: {_short(a)} there, {_short(b)} here")
    return "; ".join(changes)


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "..."


# -- validation and small helpers ----------------------------------------------------------------


def _int_grid(values, name: str) -> tuple[int, ...]:
    items = _as_list(values, name, "integers")
    for value in items:
        if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
            raise LayerNetError(f"{name} must be integers >= 1, got {value!r} in {items!r}")
    return _unique_sorted([int(value) for value in items], name)


def _lambda_grid(values) -> tuple[float, ...]:
    items = _as_list(values, "lambdas", "numbers")
    for value in items:
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
            raise LayerNetError(f"lambdas must be finite numbers >= 0, got {value!r} in {items!r}")
    return _unique_sorted([float(value) + 0.0 for value in items], "lambdas")


def _as_list(values, name: str, kind: str) -> list:
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray, range, set, frozenset)):
        raise LayerNetError(f"{name} must be a list of {kind}, got {values!r}")
    items = list(values)
    if not items:
        raise LayerNetError(f"{name} is empty: give at least one value")
    return items


def _unique_sorted(items: list, name: str) -> tuple:
    repeated = sorted({value for value in items if items.count(value) > 1})
    if repeated:
        raise LayerNetError(f"{name} lists {', '.join(f'{value:g}' for value in repeated)} more than once")
    return tuple(sorted(items))


def _folds(folds) -> int:
    if isinstance(folds, bool) or not isinstance(folds, Integral) or folds < 2:
        raise LayerNetError(f"folds must be an integer >= 2 (cross-validation needs two folds at least), got {folds!r}")
    return int(folds)


def _n_jobs(n_jobs) -> int:
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs == 0:
        raise LayerNetError(f"n_jobs must be a nonzero integer (-1: all cores), got {n_jobs!r}")
    return int(n_jobs)


def _test_size(test_size, config: RunConfig) -> float:
    if test_size is None:
        return config.data.test_size or DEFAULT_TEST_SIZE
    if isinstance(test_size, bool) or not isinstance(test_size, Real) or not 0 <= test_size < 1:
        raise LayerNetError(f"test_size must be a number in [0, 1), got {test_size!r}")
    return float(test_size)


def _check_scheduler(scheduler) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, str):
        if not scheduler.strip():
            raise LayerNetError("scheduler must be a Dask scheduler address like tcp://host:8786, got ''")
        return
    if not callable(getattr(scheduler, "submit", None)):
        raise LayerNetError(f"scheduler must be an address like tcp://host:8786 or a dask Client, got {scheduler!r}")


def _hidden_activation(config: RunConfig) -> str:
    hidden = config.network.hidden
    if isinstance(hidden, str):
        return hidden
    if len(set(hidden)) == 1:
        return hidden[0]
    raise ConfigError(
        f"network.hidden lists {list(hidden)!r}; a study varies the number of hidden layers, so it needs one "
        "activation for all of them"
    )


def _fold_indices(y: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < folds:
        rare = classes[np.argmin(counts)]
        raise LayerNetError(
            f"folds={folds} needs at least {folds} samples of every class among the {len(y)} study samples "
            f"(those not held out for testing); class {rare!r} has {counts.min()}"
        )
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros((len(y), 1)), y))


def _spawn_key(role: int, depth: int, width: int, lambda_: float, fold: int) -> tuple[int, ...]:
    # lambda enters by its exact float64 bits: 0.1 and 0.1000000001 are different fits.
    bits = int(np.float64(float(lambda_) + 0.0).view(np.uint64))
    return (role, int(depth), int(width), bits, int(fold))


def _n_parameters(spec: _Spec, depth: int, width: int) -> int:
    sizes = [spec.n_inputs, *[width] * depth, spec.n_outputs]
    return sum((n_in + 1) * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def _rank_key(item: Aggregate):
    return (-round(item.validation_accuracy_mean, 12), item.n_parameters, -item.lambda_, item.depth, item.width)


def _std(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if len(values) > 1 else math.nan


def _field_name(column: str) -> str:
    return "lambda_" if column == "lambda" else column


def _file_name(field_name: str) -> str:
    return "lambda" if field_name == "lambda_" else field_name
