"""The study's entry points: :func:`run` a study, :func:`load` one back, :func:`fit_architectures`.

They tie the other modules together: the grid and its checks (:mod:`.grid`), the fits and
where they run (:mod:`.execution`), the results folder (:mod:`.folder`) and the records
(:mod:`.records`, :mod:`.result`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .._checks import check_choice, check_real
from ..config import RunConfig
from ..errors import ConfigError, LayerNetError
from ..labels import infer_classes
from ..runner import check_network_memory, fresh_seed, load_data
from ..study_defaults import (
    BEST_FILE,
    DEFAULT_DEPTHS,
    DEFAULT_FOLDS,
    DEFAULT_LAMBDAS,
    DEFAULT_REPEATS,
    DEFAULT_RULE,
    DEFAULT_WIDTHS,
    RESULTS_FILE,
    SETTINGS_FILE,
    SUMMARY_FILE,
    is_auto,
)
from .execution import _check_scheduler, _execute, _refit, _Spec, _Task
from .folder import (
    _directory,
    _prepare_directory,
    _read_results,
    _read_settings,
    _ResultsLog,
    _settings_from_stored,
    _write_sorted,
)
from .grid import (
    _ROLE_FOLD,
    _ROLE_FULL,
    StudySettings,
    _fold_indices,
    _folds,
    _hidden_activation,
    _int_grid,
    _lambda_grid,
    _n_jobs,
    _repeats,
    _spawn_key,
    _test_size,
)
from .records import (
    AUTO,
    RULES,
    ArchitectureFit,
    FitRecord,
    Refit,
    StudyProgress,
    _field_name,
    aggregate,
    lambda_order,
    lambda_text,
    select,
    select_best,
    select_one_se,
)
from .result import StudyResult

__all__ = ["run", "load", "fit_architectures"]


def run(
    config: RunConfig | None = None,
    depths: Sequence[int] = DEFAULT_DEPTHS,
    widths: Sequence[int] = DEFAULT_WIDTHS,
    lambdas: Sequence[float] = DEFAULT_LAMBDAS,
    folds: int = DEFAULT_FOLDS,
    test_size: float | None = None,
    n_jobs: int | None = -1,
    *,
    repeats: int = DEFAULT_REPEATS,
    rule: str = DEFAULT_RULE,
    directory: str | Path | None = None,
    force: bool = False,
    scheduler=None,
    callback: Callable[[StudyProgress], object] | None = None,
) -> StudyResult:
    """Cross-validate every (depth, width, lambda), choose one, and test it once.

    The choice is by the one-standard-error rule unless ``rule="best-mean"``: of the
    configurations whose mean validation accuracy is within one standard error of the best
    mean, the simplest (fewest parameters, then the largest lambda; see
    :func:`~layernet.study.select_one_se`). Both choices are in the result (``one_se`` and
    ``best_mean``); ``best`` is the one ``rule`` names, refit on all the study data.

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
    lambdas : sequence of float >= 0, or "auto"
        Regularization strengths. ``"auto"`` is one more candidate whose fits choose their own
        lambda by the evidence (:mod:`layernet.evidence`); each record keeps the lambda it reached
        and its effective number of parameters, and the one-standard-error rule ranks it by the
        mean lambda its fits reached.
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
    repeats : int >= 1, default 1
        Repeated cross-validation: the folds are drawn ``repeats`` times, each time from another
        shuffle (repeat 0 is the split without repeats), and every configuration is scored on
        ``folds * repeats`` validation folds.
    rule : {"one-se", "best-mean"}, default "one-se"
        Which choice is ``best`` and refit.
    directory : str or Path, optional
        Record the study here: ``study.json`` (its settings), ``results.csv`` (one row appended
        and flushed to disk per finished fit, sorted by the grid when the run ends) and, when
        done, ``summary.json`` and ``best.npz`` (the refit chosen network). Fits already in
        ``results.csv`` are not run again -- also when the grid has grown (more depths, widths,
        lambdas or repeats): only the new fits run. A torn last row (a hard kill mid-write) is
        dropped.
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
    repeats = _repeats(repeats)
    rule = check_choice(rule, "rule", RULES)
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
    settings = StudySettings(depths, widths, lambdas, folds, config.override(changes), repeats)
    if settings.config.network.resolved_task == "regression":
        # Studies rank configurations by accuracy; regression scores (R²) are not recorded yet.
        raise ConfigError(
            "a study compares classifiers by accuracy; this configuration is a regression (identity output), "
            "which studies do not support yet"
        )

    data = load_data(settings.config)
    study_X, study_y = data.X_train, data.y_train
    classes = np.unique(data.dataset.y)
    infer_classes(study_y, settings.config.network.layers[-1], classes)
    splits = [_fold_indices(study_y, folds, settings.seed, repeat) for repeat in range(repeats)]
    spec = _Spec.from_config(settings.config, classes)
    # The largest network of the grid, on all the study's samples, must fit before any fit starts.
    layers = settings.config.network.layers
    check_network_memory([layers[0], *[max(widths)] * max(depths), layers[-1]], len(study_y))

    recorded: dict[tuple, FitRecord] = {}  # every record in the folder, this grid's or not
    log = None
    if directory is not None:
        recorded = _prepare_directory(directory, settings, stored, force)
        log = _ResultsLog(directory / RESULTS_FILE)
    done = {key: recorded[key] for key in settings.fit_keys() if key in recorded}
    skipped = len(done)
    try:
        if callback is not None:
            callback(StudyProgress(len(done), settings.n_fits, skipped))
        todo = [key for key in settings.fit_keys() if key not in done]
        # Biggest networks first: the slow fits start early, and the last ones to finish are short.
        todo.sort(key=lambda key: -spec.n_parameters(key[0], key[1]))
        tasks = [
            _Task(
                depth,
                width,
                lambda_,
                repeat,
                fold,
                _spawn_key(_ROLE_FOLD, depth, width, lambda_, repeat * folds + fold),
                settings.seed,
                spec,
                study_X[splits[repeat][fold][0]],
                study_y[splits[repeat][fold][0]],
                study_X[splits[repeat][fold][1]],
                study_y[splits[repeat][fold][1]],
                keep_theta=False,
            )
            for depth, width, lambda_, repeat, fold in todo
        ]
        for outcome in _execute(tasks, n_jobs, scheduler):
            if outcome.status == "interrupted":
                # Ctrl-C reached a fit before it reached this loop: never record a cut-short fit.
                raise KeyboardInterrupt
            record = outcome.record()
            done[record.key] = recorded[record.key] = record
            if log is not None:
                log.append(record)
            if callback is not None:
                callback(StudyProgress(len(done), settings.n_fits, skipped, record))
    finally:
        if log is not None:
            log.close()
    if directory is not None and todo:
        _write_sorted(directory / RESULTS_FILE, recorded.values())

    records = [done[key] for key in settings.fit_keys() if key in done]
    result = _result(settings, records, rule, directory, data)
    if result.best is not None:
        result.refit, result.network = _refit(result.best, settings, spec, data)
        # The configuration that trains exactly this network on the study data, so the model file
        # knows its data: `layernet evaluate best.npz` scores it on the study's test set.
        best = result.best
        refit_config = settings.config.override(
            {
                "network.layers": [layers[0], *[best.width] * best.depth, layers[-1]],
                "network.hidden": settings.hidden,
                "training.lambda": best.lambda_,
            }
        )
        result.network.training_summary["config"] = refit_config.to_dict()
        if directory is not None:
            from ..persistence import save

            save(result.network, directory / BEST_FILE)
    if directory is not None:
        result.to_json(directory / SUMMARY_FILE)
    return result


def _result(settings: StudySettings, records: list, rule: str, directory, data=None) -> StudyResult:
    """The result of ``records``: aggregates, both choices, and ``best`` by ``rule`` (no refit yet)."""
    aggregates = aggregate(records)
    n_scores = settings.n_scores
    best_mean, one_se = select_best(aggregates, n_scores), select_one_se(aggregates, n_scores)
    best = select(aggregates, n_scores, rule)
    return StudyResult(
        settings, records, aggregates, best, directory=directory, best_mean=best_mean, one_se=one_se, rule=rule,
        _data=data,
    )


def load(directory: str | Path, rule: str = DEFAULT_RULE) -> StudyResult:
    """Read back a study recorded in ``directory`` (complete or not), without running anything.

    The refit is taken from ``summary.json`` when the study was finished and chose the same
    configuration; ``network`` is the folder's ``best.npz`` then (None without one).

    Raises
    ------
    LayerNetError
        ``directory`` holds no layernet study, or its files are malformed.
    """
    directory = Path(directory)
    if not (directory / SETTINGS_FILE).is_file():
        raise LayerNetError(f"{directory}: no layernet study here (no {SETTINGS_FILE})")
    rule = check_choice(rule, "rule", RULES)
    stored = _read_settings(directory / SETTINGS_FILE, force=False)
    settings = _settings_from_stored(stored, directory / SETTINGS_FILE)
    records = (
        _read_results(directory / RESULTS_FILE, settings, repair=False) if (directory / RESULTS_FILE).exists() else {}
    )
    records = [records[key] for key in settings.fit_keys() if key in records]
    result = _result(settings, records, rule, directory)
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
    if result.refit is not None and (directory / BEST_FILE).is_file():
        from ..persistence import load as load_model

        result.network = load_model(directory / BEST_FILE)
    return result


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
    lambda_ : float or "auto", optional
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
        lambda_ = min(settings.lambdas, key=lambda_order)
    value = AUTO if is_auto(lambda_) else check_real(lambda_, "lambda_")
    if value not in settings.lambdas:
        known = ", ".join(map(lambda_text, settings.lambdas))
        raise LayerNetError(f"lambda_ must be one of the study's lambdas ({known}), got {lambda_!r}")
    lambda_ = value
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
            0,
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
