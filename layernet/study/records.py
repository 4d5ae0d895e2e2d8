"""What a study records: one :class:`FitRecord` per fit, their :class:`Aggregate` over folds, the refit.

Also the rules that pick a configuration -- the highest mean (:func:`select_best`) and the
one-standard-error rule (:func:`select_one_se`, the default choice) -- and the columns of
``results.csv`` (:data:`RECORD_COLUMNS`). Plain frozen dataclasses, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ..errors import LayerNetError
from ..network import Network
from ..study_defaults import AUTO, lambda_order, lambda_text

__all__ = [
    "RECORD_COLUMNS",
    "FitRecord",
    "Aggregate",
    "Refit",
    "StudyProgress",
    "ArchitectureFit",
    "RULES",
    "aggregate",
    "select_best",
    "select_one_se",
    "select",
    "one_se_index",
    "AUTO",
    "lambda_order",
    "lambda_text",
]


#: The rules a study can choose its configuration by: the one-standard-error rule (the
#: default) and the highest mean validation accuracy.
RULES = ("one-se", "best-mean")

# Means and standard errors are compared rounded to this many decimals: accuracies are k / n
# fractions, so two means that differ only by the order of a sum are the same number.
_DECIMALS = 12

#: The columns of ``results.csv``, one row per fit; ``lambda`` is the record's ``lambda_``.
RECORD_COLUMNS = (
    "depth",
    "width",
    "lambda",
    "repeat",
    "fold",
    "n_parameters",
    "train_accuracy",
    "validation_accuracy",
    "train_cost",
    "iterations",
    "evaluations",
    "status",
    "seconds",
    "lambda_reached",
    "effective_parameters",
)


@dataclass(frozen=True)
class FitRecord:
    """One cross-validation fit: an architecture and lambda trained on all folds but one.

    Attributes
    ----------
    depth, width : int
        Hidden layers, and units in each.
    lambda_ : float or "auto"
        The regularization strength (``lambda`` in files); ``"auto"``: chosen by the fit's
        evidence (:mod:`layernet.evidence`).
    repeat : int
        Which repetition of the cross-validation, ``0 .. repeats - 1``: each repeat splits the
        study data into folds afresh (repeat 0 is the split of a study without repeats).
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
    repeat: int
    fold: int
    n_parameters: int
    train_accuracy: float
    validation_accuracy: float
    train_cost: float
    iterations: int
    evaluations: int
    status: str
    seconds: float
    #: The lambda trained with: ``lambda_``, or the one an auto fit reached.
    lambda_reached: float | None = None
    #: An auto fit's effective number of parameters (None for a fixed lambda).
    effective_parameters: float | None = None

    def __post_init__(self) -> None:
        if self.lambda_ != AUTO and self.lambda_reached is None:
            object.__setattr__(self, "lambda_reached", float(self.lambda_))

    @property
    def key(self) -> tuple[int, int, float, int, int]:
        """``(depth, width, lambda_, repeat, fold)``: what identifies a fit within a study."""
        return (self.depth, self.width, self.lambda_, self.repeat, self.fold)

    @property
    def sort_key(self) -> tuple:
        """:attr:`key` in grid order (``"auto"`` after the numbers)."""
        return (self.depth, self.width, lambda_order(self.lambda_), self.repeat, self.fold)

    def to_dict(self) -> dict:
        """The record as plain values, keyed by :data:`RECORD_COLUMNS`."""
        values = asdict(self)
        values["lambda"] = values.pop("lambda_")
        return {name: values[name] for name in RECORD_COLUMNS}


@dataclass(frozen=True)
class Aggregate:
    """One (depth, width, lambda) summarized over its folds (of every repeat).

    ``n_folds`` counts the validation scores recorded: folds times repeats for a complete
    configuration. Means are over them; standard deviations are the sample standard deviation
    (``ddof=1``), NaN with fewer than two scores. ``validation_accuracy_se`` is the standard
    error of the mean validation accuracy, ``std / sqrt(n_folds)`` -- the convention of caret's
    ``oneSE`` and of Hastie, Tibshirani and Friedman's one-standard-error rule (folds of one
    cross-validation are not independent, so it is a yardstick rather than an exact error).
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
    validation_accuracy_se: float
    train_cost_mean: float
    iterations_mean: float
    n_converged: int
    seconds: float
    #: The mean lambda the fits trained with (an auto configuration's: what its fits reached).
    lambda_reached_mean: float | None = None
    #: An auto configuration's mean effective number of parameters (None for a fixed lambda).
    effective_parameters_mean: float | None = None

    def __post_init__(self) -> None:
        if self.lambda_ != AUTO and self.lambda_reached_mean is None:
            object.__setattr__(self, "lambda_reached_mean", float(self.lambda_))

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
    #: The lambda trained with (an auto refit's: the one it reached) and an auto refit's
    #: effective number of parameters (None otherwise).
    lambda_reached: float | None = None
    effective_parameters: float | None = None

    def __post_init__(self) -> None:
        if self.lambda_ != AUTO and self.lambda_reached is None:
            object.__setattr__(self, "lambda_reached", float(self.lambda_))

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
    nan = math.nan
    result = []
    for (depth, width, lambda_), group in sorted(groups.items(), key=lambda item: _group_order(item[0])):
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
                validation_accuracy_se=_std(val_acc) / math.sqrt(len(val_acc)) if len(val_acc) > 1 else nan,
                train_cost_mean=float(np.mean([r.train_cost for r in group])),
                iterations_mean=float(np.mean([r.iterations for r in group])),
                n_converged=sum(r.status == "converged" for r in group),
                seconds=float(sum(r.seconds for r in group)),
                lambda_reached_mean=float(np.mean([r.lambda_reached for r in group])) if lambda_ == AUTO else lambda_,
                effective_parameters_mean=_mean_of_known([r.effective_parameters for r in group]),
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
        Consider only configurations with this many validation scores recorded (complete ones:
        folds times repeats).

    Returns
    -------
    Aggregate or None
        None when no configuration qualifies.
    """
    candidates = _complete(aggregates, folds)
    return min(candidates, key=_rank_key) if candidates else None


def select_one_se(aggregates: Iterable[Aggregate], folds: int | None = None) -> Aggregate | None:
    """The one-standard-error choice: the simplest configuration within one SE of the best mean.

    The best mean validation accuracy ``m`` (:func:`select_best`'s choice) comes with its
    standard error ``se``; every configuration whose mean is at least ``m - se`` is as good as
    the data can tell, and among those the simplest wins: the fewest parameters, then the
    largest lambda, then fewer hidden layers, then the higher mean. With fewer than two scores
    per configuration there is no standard error and this is :func:`select_best`.

    Parameters
    ----------
    aggregates : iterable of Aggregate
    folds : int, optional
        Consider only configurations with this many validation scores recorded.

    Returns
    -------
    Aggregate or None

    Examples
    --------
    >>> from layernet.study import Aggregate, select_best, select_one_se
    >>> def candidate(width, lambda_, mean, se):
    ...     return Aggregate(1, width, lambda_, 4 * width + 2, 5, 1.0, 0.0, mean, 0.0, se, 0.1, 9.0, 5, 1.0)
    >>> found = [candidate(10, 0.0, 0.96, 0.02), candidate(3, 0.1, 0.95, 0.01), candidate(1, 1.0, 0.85, 0.01)]
    >>> select_best(found).width, select_one_se(found).width
    (10, 3)
    """
    candidates = _complete(aggregates, folds)
    if not candidates:
        return None
    index = one_se_index(
        [item.validation_accuracy_mean for item in candidates],
        [item.validation_accuracy_se for item in candidates],
        [_simplicity_key(item) for item in candidates],
    )
    return candidates[index]


def select(aggregates: Iterable[Aggregate], folds: int | None = None, rule: str = "one-se") -> Aggregate | None:
    """The configuration ``rule`` chooses: ``"one-se"`` (:func:`select_one_se`) or ``"best-mean"``."""
    if rule not in RULES:
        raise LayerNetError(f"rule must be one of {', '.join(RULES)}, got {rule!r}")
    return (select_one_se if rule == "one-se" else select_best)(aggregates, folds)


def one_se_index(means: Sequence[float], errors: Sequence[float], simplicity: Sequence) -> int:
    """Which candidate the one-standard-error rule picks, given means, standard errors and simplicity.

    The rule for any search, not only a study's (``examples/digits.py`` applies it to a
    ``GridSearchCV``): the best mean ``m`` (ties: the simplest) and its standard error ``se``
    set the bar ``m - se``; of the candidates that reach it, the one with the smallest
    ``simplicity`` key wins, and of equally simple ones the higher mean, then the first. Means
    and errors are compared rounded to 12 decimals, so rounding noise never decides. A NaN
    standard error (a single score) counts as zero.

    Parameters
    ----------
    means, errors : sequences of float, one per candidate
    simplicity : sequence of sortable keys, one per candidate
        Smaller is simpler, e.g. ``(n_parameters, -lambda_)``.

    Returns
    -------
    int
        The index of the chosen candidate.

    Examples
    --------
    >>> one_se_index([0.95, 0.96, 0.90], [0.01, 0.02, 0.01], [(-0.1,), (-0.01,), (-1.0,)])
    0
    """
    means = [round(float(value), _DECIMALS) for value in means]
    if not means or len(errors) != len(means) or len(simplicity) != len(means):
        raise LayerNetError("one_se_index needs one mean, one standard error and one simplicity key per candidate")
    order = sorted(range(len(means)), key=lambda i: (-means[i], simplicity[i], i))
    best = order[0]
    error = float(errors[best])
    bar = round(means[best] - (error if math.isfinite(error) else 0.0), _DECIMALS)
    within = [i for i in range(len(means)) if means[i] >= bar]
    return min(within, key=lambda i: (simplicity[i], -means[i], i))


def _complete(aggregates: Iterable[Aggregate], folds: int | None) -> list[Aggregate]:
    return [item for item in aggregates if folds is None or item.n_folds == folds]


def _mean_of_known(values) -> float | None:
    known = [value for value in values if value is not None]
    return float(np.mean(known)) if known else None


def _group_order(key: tuple) -> tuple:
    depth, width, lambda_ = key
    return (depth, width, lambda_order(lambda_))


def _simplicity_key(item: Aggregate):
    # An auto configuration is as simple as the lambda its fits reached, on average.
    return (item.n_parameters, -item.lambda_reached_mean, item.depth, item.width)


def _rank_key(item: Aggregate):
    return (-round(item.validation_accuracy_mean, _DECIMALS), *_simplicity_key(item))


def _std(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if len(values) > 1 else math.nan


def _field_name(column: str) -> str:
    return "lambda_" if column == "lambda" else column


def _file_name(field_name: str) -> str:
    return "lambda" if field_name == "lambda_" else field_name
