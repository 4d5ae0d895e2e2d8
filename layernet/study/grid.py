"""The study's grid: depths, widths, lambdas, repeats and folds, their checks, the fold splits, the seeds.

:class:`StudySettings` is what a study is (the grid plus the resolved run configuration); the
checks here turn :func:`layernet.study.run`'s arguments into it. Every fit's initial weights come
from a seed sequence keyed by (role, depth, width, lambda, fold) alone (:func:`fit_seed`; the
fold of repeat ``r`` counts as ``r * folds + fold``), so the records do not depend on the order
the fits run in, nor on where, nor on which other depths, widths, lambdas or repeats the grid
has: a grid can grow and keep every fit it recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .._checks import check_int, check_real
from ..config import RunConfig
from ..errors import ConfigError, LayerNetError
from ..study_defaults import AUTO, DEFAULT_TEST_SIZE, is_auto, lambda_order, lambda_text

__all__ = ["StudySettings", "fit_seed"]

# Seeds for the fits are drawn from SeedSequence(seed, spawn_key=(role, ...)): cross-validation
# fits and fits on all the study data never share a stream.
_ROLE_FOLD = 0
_ROLE_FULL = 1
_ROLE_SPLIT = 2  # the shuffling of repeat r >= 1's folds

#: The keys of :meth:`StudySettings.to_dict` that are the grid: a folder's study may grow (or
#: shrink) along these and keep its records. Every other key decides what each fit is.
GRID_KEYS = ("depths", "widths", "lambdas", "repeats")


@dataclass(frozen=True)
class StudySettings:
    """What a study is: the grid, the folds, and the (resolved) run configuration.

    ``config`` has its seed set and its ``data.test_size`` as the study used it; its
    ``network.layers`` only lend the input and output sizes, and ``training.lambda`` is unused
    (the grid's lambdas replace it).
    """

    depths: tuple[int, ...]
    widths: tuple[int, ...]
    lambdas: tuple  # floats, and "auto" last
    folds: int
    config: RunConfig
    repeats: int = 1

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
        return len(self.depths) * len(self.widths) * len(self.lambdas) * self.n_scores

    @property
    def n_scores(self) -> int:
        """Validation scores per configuration: folds times repeats."""
        return self.folds * self.repeats

    @property
    def n_configurations(self) -> int:
        return len(self.depths) * len(self.widths) * len(self.lambdas)

    def fit_keys(self) -> list[tuple[int, int, float, int, int]]:
        """Every ``(depth, width, lambda, repeat, fold)`` of the study, in grid order."""
        return [
            (depth, width, lambda_, repeat, fold)
            for depth in self.depths
            for width in self.widths
            for lambda_ in self.lambdas
            for repeat in range(self.repeats)
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
            "repeats": self.repeats,
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


def fit_seed(
    seed: int, depth: int, width: int, lambda_: float, fold: int | None = None, *, repeat: int = 0, folds: int = 0
) -> np.random.SeedSequence:
    """The seed sequence a study fit draws its initial weights from.

    It depends on the study's seed and the fit's (depth, width, lambda, fold) only -- not on
    the order fits run in, nor on where -- so every backend gives the same records. ``fold=None``
    is the fit on all study data (the refit, and the decision-boundary networks). A fold of
    repeat ``r >= 1`` (of a study with ``folds`` folds) is seeded as fold ``r * folds + fold``.
    """
    role, fold = (_ROLE_FULL, 0) if fold is None else (_ROLE_FOLD, repeat * folds + fold)
    return np.random.SeedSequence(seed, spawn_key=_spawn_key(role, depth, width, lambda_, fold))


#: The spawn-key word of lambda "auto": all ones, a NaN's bits, which no valid lambda has.
_AUTO_BITS = 2**64 - 1


def _spawn_key(role: int, depth: int, width: int, lambda_, fold: int) -> tuple[int, ...]:
    # lambda enters by its exact float64 bits: 0.1 and 0.1000000001 are different fits.
    bits = _AUTO_BITS if lambda_ == AUTO else int(np.float64(float(lambda_) + 0.0).view(np.uint64))
    return (role, int(depth), int(width), bits, int(fold))


# -- the arguments' checks ------------------------------------------------------------------------


def _int_grid(values, name: str) -> tuple[int, ...]:
    items = _as_list(values, name, "integers")
    return _unique_sorted([check_int(value, f"{name}[{i}]", low=1) for i, value in enumerate(items)], name)


def _lambda_grid(values, *, auto: bool = True) -> tuple:
    """The lambdas, checked and sorted; ``"auto"`` (each fit's own evidence, :mod:`layernet.evidence`) last."""
    items = _as_list(values, "lambdas", "numbers or 'auto'" if auto else "numbers")
    checked = []
    for i, value in enumerate(items):
        if auto and is_auto(value):
            checked.append(AUTO)
        elif isinstance(value, str):
            expected = "a finite number >= 0 or 'auto'" if auto else "a finite number >= 0"
            raise LayerNetError(f"lambdas[{i}] must be {expected}, got {value!r}")
        else:
            checked.append(check_real(value, f"lambdas[{i}]", low=0))
    repeated = sorted({value for value in checked if checked.count(value) > 1}, key=lambda_order)
    if repeated:
        raise LayerNetError(f"lambdas lists {', '.join(map(lambda_text, repeated))} more than once")
    return tuple(sorted(checked, key=lambda_order))


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
    # Cross-validation needs two folds at least.
    return check_int(folds, "folds", low=2)


def _repeats(repeats) -> int:
    return check_int(repeats, "repeats", low=1)


def _n_jobs(n_jobs) -> int:
    n_jobs = check_int(n_jobs, "n_jobs", none=True)
    if n_jobs == 0:
        raise LayerNetError("n_jobs must be a nonzero integer (-1: all cores), got 0")
    return 1 if n_jobs is None else n_jobs


def _test_size(test_size, config: RunConfig) -> float:
    if test_size is None:
        return config.data.test_size or DEFAULT_TEST_SIZE
    return check_real(test_size, "test_size", low=0, high=1, high_open=True)


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


# -- the folds ------------------------------------------------------------------------------------


def _fold_indices(y: np.ndarray, folds: int, seed: int, repeat: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """The ``(train, validation)`` indices of each fold of repeat ``repeat``.

    Repeat 0 is ``StratifiedKFold(shuffle=True, random_state=seed)``, the split of a study
    without repeats; repeat ``r`` shuffles with a seed drawn from ``SeedSequence(seed)`` keyed by
    ``r`` alone, so adding repeats never changes the folds of those already recorded.
    """
    if repeat:
        seed = int(np.random.SeedSequence(seed, spawn_key=(_ROLE_SPLIT, int(repeat))).generate_state(1)[0])
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
