"""A study's result: :class:`StudyResult` (records, aggregates, best, refit) and its exports.

The exports are ``summary.json`` (:meth:`StudyResult.to_json`), the records as CSV
(:meth:`StudyResult.to_csv`, the ``results.csv`` format) and pandas DataFrames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path

from ..errors import LayerNetError
from ..network import Network
from ..persistence import json_safe
from ..runner import RunData, load_data
from ..study_defaults import FORMAT, FORMAT_VERSION
from ..writing import atomic_write
from .folder import _records_text
from .grid import StudySettings
from .records import AUTO, RECORD_COLUMNS, Aggregate, FitRecord, Refit, _file_name, _rank_key

__all__ = ["StudyResult"]


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
        The study's choice among the complete configurations (all folds of all repeats
        recorded), by ``rule``: ``one_se`` or ``best_mean``.
    refit : Refit or None
        ``best`` trained on all study data and scored on the test set.
    network : Network or None
        The refit network (None for a result read back with :func:`~layernet.study.load`).
    directory : Path or None
        Where the study's files are, if anywhere.
    best_mean : Aggregate or None
        The highest mean validation accuracy; ties go to fewer parameters, then the larger
        lambda (:func:`~layernet.study.select_best`).
    one_se : Aggregate or None
        The simplest configuration within one standard error of ``best_mean``
        (:func:`~layernet.study.select_one_se`).
    rule : str
        ``"one-se"`` or ``"best-mean"``: which of the two is ``best``.
    """

    settings: StudySettings
    records: list[FitRecord]
    aggregates: list[Aggregate]
    best: Aggregate | None
    refit: Refit | None = None
    network: Network | None = field(default=None, repr=False)
    directory: Path | None = None
    best_mean: Aggregate | None = None
    one_se: Aggregate | None = None
    rule: str = "one-se"
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
            if item.key == (depth, width, lambda_ if lambda_ == AUTO else float(lambda_)):
                return item
        return None

    def ranked(self) -> list[Aggregate]:
        """Complete aggregates, best first (the order :func:`~layernet.study.select_best` uses)."""
        complete = [item for item in self.aggregates if item.n_folds == self.settings.n_scores]
        return sorted(complete, key=_rank_key)

    def to_dict(self, include_records: bool = False) -> dict:
        """The study as plain JSON values: settings, counts, aggregates, best, refit (and records)."""
        from .. import __version__

        summary = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "layernet_version": __version__,
            "settings": self.settings.to_dict(),
            "n_fits": self.settings.n_fits,
            "n_recorded": len(self.records),
            "complete": self.complete,
            "rule": self.rule,
            "best": None if self.best is None else self.best.to_dict(),
            "best_mean": None if self.best_mean is None else self.best_mean.to_dict(),
            "one_se": None if self.one_se is None else self.one_se.to_dict(),
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
        text = _records_text(self.records)
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
                "StudyResult.to_dataframe needs pandas, which layernet does not require: pip install 'layernet[study]'"
            ) from None
        return pd.DataFrame(rows, columns=columns)
