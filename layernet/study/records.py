"""What a study records: one :class:`FitRecord` per fit, their :class:`Aggregate` over folds, the refit.

Also the rule that picks the best configuration (:func:`select_best`) and the columns of
``results.csv`` (:data:`RECORD_COLUMNS`). Plain frozen dataclasses, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

import numpy as np

from ..network import Network

__all__ = [
    "RECORD_COLUMNS",
    "FitRecord",
    "Aggregate",
    "Refit",
    "StudyProgress",
    "ArchitectureFit",
    "aggregate",
    "select_best",
]

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


def _rank_key(item: Aggregate):
    return (-round(item.validation_accuracy_mean, 12), item.n_parameters, -item.lambda_, item.depth, item.width)


def _std(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if len(values) > 1 else math.nan


def _field_name(column: str) -> str:
    return "lambda_" if column == "lambda" else column


def _file_name(field_name: str) -> str:
    return "lambda" if field_name == "lambda_" else field_name
