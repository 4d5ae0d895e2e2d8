"""The results folder: ``study.json`` (what the study is), ``results.csv`` (one row per finished fit).

A folder keeps one study *identity* -- data, network, training, seed, folds -- and any grid of
depths, widths, lambdas and repeats over it (:data:`~layernet.study.grid.GRID_KEYS`): a run with
a grown (or other) grid rewrites ``study.json``'s grid, keeps every recorded fit, and runs only
the fits its grid lacks. ``results.csv`` keeps the fits of every grid run there, sorted by
(depth, width, lambda, repeat, fold) once a run finishes; ``study.json``, ``summary.json`` and
``best.npz`` describe the last grid run.

``results.csv`` is written and read with the :mod:`csv` module: a header of
:data:`~layernet.study.records.RECORD_COLUMNS`, then one row per fit, appended as one ``write``
and fsynced as each fit finishes. Floats are written as ``repr`` (they read back exactly) and
lines end in ``\\n``; no field layernet writes needs quoting, so the bytes are the same as the
hand-joined rows of earlier versions, whose files read unchanged. A hard kill inside a write
leaves a torn last record, which the next run drops (and cuts from the file) before it appends.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable
from pathlib import Path

from ..config import RunConfig
from ..errors import LayerNetError
from ..persistence import json_safe
from ..study_defaults import BEST_FILE, FORMAT, FORMAT_VERSION, RESULTS_FILE, SETTINGS_FILE, SUMMARY_FILE
from ..writing import atomic_write
from .grid import GRID_KEYS, StudySettings, _lambda_grid
from .records import AUTO, RECORD_COLUMNS, FitRecord, _field_name

_OPTIONAL_COLUMNS = {"lambda_reached", "effective_parameters"}
_INT_COLUMNS = {"depth", "width", "repeat", "fold", "n_parameters", "iterations", "evaluations"}
#: The header of format 2 (before lambda "auto"): its rows trained with their own lambda.
_COLUMNS_V2 = RECORD_COLUMNS[: RECORD_COLUMNS.index("seconds") + 1]
#: The header of format 1 (before repeats): its rows are read as repeat 0.
_COLUMNS_V1 = tuple(name for name in _COLUMNS_V2 if name != "repeat")
_HEADERS = (RECORD_COLUMNS, _COLUMNS_V2, _COLUMNS_V1)


# -- results.csv ----------------------------------------------------------------------------------


def _csv_text(rows: Iterable[Iterable[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def _cells(record: FitRecord) -> list[str]:
    values = record.to_dict()
    return [_cell(values[name]) for name in RECORD_COLUMNS]


def _cell(value) -> str:
    if value is None:
        return ""  # not applicable: the effective parameters of a fit with a fixed lambda
    return repr(float(value)) if isinstance(value, float) else str(value)


def _header() -> str:
    """The header line of ``results.csv``, with its newline."""
    return _csv_text([RECORD_COLUMNS])


def _records_text(records: Iterable[FitRecord]) -> str:
    """A whole ``results.csv``: the header, then one row per record."""
    return _header() + _csv_text(_cells(record) for record in records)


class _ResultsLog:
    """``results.csv`` opened for appending: one ``write`` of a whole row, then fsync, per fit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if not path.exists() or path.stat().st_size == 0:
            atomic_write(path, lambda handle: handle.write(_header()), mode="w")
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND)

    def append(self, record: FitRecord) -> None:
        data = _csv_text([_cells(record)]).encode("utf-8")
        # One write call for the whole row: a reader (or a crash) sees all of it or none of
        # it, except for a hard kill inside the call, whose torn row the next run drops.
        written = os.write(self.fd, data)
        while written < len(data):  # a short write (a full disk) -- finish the row
            written += os.write(self.fd, data[written:])
        os.fsync(self.fd)

    def close(self) -> None:
        os.close(self.fd)


def _parse_row(cells: list[str], columns: tuple[str, ...] = RECORD_COLUMNS) -> FitRecord:
    if len(cells) != len(columns):
        raise ValueError(f"{len(cells)} cells, expected {len(columns)}")
    values = {"repeat": 0}
    for name, cell in zip(columns, cells):
        if name == "status":
            if not cell:
                raise ValueError("an empty status")
            values[name] = cell
        elif name in _INT_COLUMNS:
            values[name] = int(cell)
        elif name == "lambda" and cell == AUTO:
            values[name] = AUTO
        elif name in _OPTIONAL_COLUMNS and not cell:
            values[name] = None
        else:
            values[name] = float(cell)
    for name in ("lambda", "lambda_reached"):
        # A lambda is a finite number >= 0 (an auto fit's, the one it reached: never missing).
        value = values.get(name)
        if value is None and name == "lambda_reached" and values.get("lambda") == AUTO:
            raise ValueError("an auto fit without its lambda_reached")
        if value is not None and value != AUTO and not 0 <= value < math.inf:
            raise ValueError(f"{name} {value!r} is not a finite number >= 0")
    effective = values.get("effective_parameters")
    if effective is not None and not math.isnan(effective) and not 0 <= effective < math.inf:
        # NaN is written by an auto fit stopped before its first re-estimation.
        raise ValueError(f"effective_parameters {effective!r} is not a finite number >= 0")
    return FitRecord(**{_field_name(name): value for name, value in values.items()})


def _is_record(line: str) -> bool:
    for columns in _HEADERS:
        try:
            _parse_row(next(csv.reader([line])), columns)
        except (ValueError, csv.Error, StopIteration):
            continue
        return True
    return False


def _split_rows(text: str, path: Path) -> tuple[list[tuple[int, list[str]]], int]:
    """The rows of ``text`` with their first line numbers, and where the last complete one ends.

    ``text`` ends with a newline (or is empty). A row still inside a quoted field at the end is
    torn -- a hard kill after a newline inside a quoted field -- and left out, unless a later
    line is a whole record by itself: then a stray quote swallowed those rows, and that is an error.
    """
    consumed = 0

    def lines():
        nonlocal consumed
        for line in io.StringIO(text, newline=""):
            consumed += len(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    rows, end = [], 0
    while True:
        number = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rest = text[end:]
            open_quote = consumed == len(text) and rest.count('"') % 2 == 1
            if open_quote and not any(_is_record(line) for line in rest.splitlines()[1:]):
                break
            if not rows:
                raise LayerNetError(
                    f"{path}: not a layernet study results file (its header is not CSV: {error}); "
                    "move it away, or start over with force (--force)"
                ) from None
            raise _not_a_record(path, number, error) from None
        rows.append((number, cells))
        end = consumed
    return rows, end


def _read_results(path: Path, settings: StudySettings, *, repair: bool) -> dict[tuple, FitRecord]:
    """Every record of ``results.csv``, by key, the grid's or not; a torn last row is dropped.

    With ``repair`` the torn row is cut from the file. A record whose fold is not one of the
    study's folds is an error: no grid of this study has it.
    """
    records, _ = _read_records(path, settings, repair=repair)
    return records


def _read_records(path: Path, settings: StudySettings, *, repair: bool) -> tuple[dict[tuple, FitRecord], bool]:
    """The records of ``results.csv`` and whether its header is the current one."""
    raw = path.read_bytes()
    try:
        text = raw[: raw.rfind(b"\n") + 1].decode("utf-8")
    except UnicodeDecodeError:
        raise LayerNetError(f"{path}: not a layernet study results file (not UTF-8 text)") from None
    rows, end = _split_rows(text, path)
    end = len(text[:end].encode("utf-8"))
    if end < len(raw) and repair:
        # A hard kill inside a write: the last row is incomplete. Cut it, so appends start clean.
        os.truncate(path, end)
    if not rows:
        return {}, True
    header = tuple(rows[0][1])
    if header not in _HEADERS:
        raise LayerNetError(
            f"{path}: not a layernet study results file (its header is {','.join(header)[:80]!r}); "
            "move it away, or start over with force (--force)"
        )
    records: dict[tuple, FitRecord] = {}
    for number, cells in rows[1:]:
        try:
            record = _parse_row(cells, header)
        except ValueError as error:
            raise _not_a_record(path, number, error) from None
        if not 0 <= record.fold < settings.folds or record.repeat < 0:
            raise LayerNetError(
                f"{path}: line {number} records fold {record.fold} of repeat {record.repeat}, "
                f"which is not part of this {settings.folds}-fold study"
            )
        records.setdefault(record.key, record)
    return records, header == RECORD_COLUMNS


def _write_sorted(path: Path, records: Iterable[FitRecord]) -> None:
    """Rewrite ``results.csv`` atomically with ``records`` in (depth, width, lambda, repeat, fold) order."""
    text = _records_text(sorted(records, key=lambda record: record.sort_key))
    atomic_write(path, lambda handle: handle.write(text), mode="w")


def _not_a_record(path: Path, number: int, error: Exception) -> LayerNetError:
    return LayerNetError(
        f"{path}: line {number} is not a study record ({error}); fix or delete that line, "
        "or start over with force (--force)"
    )


# -- study.json and the folder --------------------------------------------------------------------


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
            _lambda_grid(settings["lambdas"]),  # checked as given: finite, >= 0, no repeats
            settings["folds"],
            config,
            settings.get("repeats", 1),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise LayerNetError(f"{path}: its study settings are malformed ({error})") from None


def _identity(settings: dict) -> dict:
    """What decides each fit: the settings without the grid (a study may grow along the grid)."""
    return {key: value for key, value in settings.items() if key not in GRID_KEYS}


def _prepare_directory(directory: Path, settings: StudySettings, stored: dict | None, force: bool) -> dict:
    """Make ``directory`` hold this study; return every record already there (the grid's or not)."""
    wanted = json_safe(settings.to_dict())
    results = directory / RESULTS_FILE
    if stored:
        if _identity(stored["settings"]) != _identity(wanted) and not force:
            changes = _differences(_identity(stored["settings"]), _identity(wanted))
            raise LayerNetError(
                f"{directory} holds a different study ({changes}); "
                "use another folder, or start over there with force (--force), which deletes its results"
            )
    elif results.exists() and not force:
        raise LayerNetError(
            f"{directory} has a {RESULTS_FILE} but no {SETTINGS_FILE}, so its study is unknown; "
            "use another folder, or start over there with force (--force)"
        )
    same_study = bool(stored) and _identity(stored["settings"]) == _identity(wanted)
    if not same_study:
        # A new study here (or a forced restart): old results must not be resumed.
        directory.mkdir(parents=True, exist_ok=True)
        for name in (RESULTS_FILE, SUMMARY_FILE, BEST_FILE):
            (directory / name).unlink(missing_ok=True)
    if not same_study or stored["settings"] != wanted or stored.get("format_version") != FORMAT_VERSION:
        if same_study:
            # The same study with another grid: its summary and chosen model were the old grid's.
            for name in (SUMMARY_FILE, BEST_FILE):
                (directory / name).unlink(missing_ok=True)
        _write_settings(directory, settings, wanted)
    if not results.exists():
        return {}
    try:
        records, current = _read_records(results, settings, repair=True)
    except LayerNetError:
        if not force:
            raise
        results.unlink()  # unreadable records of this very study: force starts it over
        return {}
    if not current:
        _write_sorted(results, records.values())  # a format-1 file: rewritten with its repeat column
    return records


def _write_settings(directory: Path, settings: StudySettings, wanted: dict) -> None:
    from .. import __version__

    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layernet_version": __version__,
        "settings": wanted,
        "config": json_safe(settings.config.to_dict()),
    }
    text = json.dumps(document, indent=2) + "\n"
    atomic_write(directory / SETTINGS_FILE, lambda handle: handle.write(text), mode="w")


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
