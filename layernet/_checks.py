"""One set of argument checks: each names the argument, states the range, and returns the value.

Every public entry point (training, its options, the configuration, studies, the estimator, the
packer) checks its scalar arguments with these, so a bad value gets the same message wherever it
enters: ``max_iter must be an integer >= 1, got 0``. The checks raise ``error`` (a
:class:`~layernet.LayerNetError` unless the caller asks for a subclass) and return the value
normalized: numpy integers become ``int``, reals ``float``.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Iterable
from numbers import Integral, Real

from .errors import LayerNetError

__all__ = [
    "check_bool",
    "check_bytes",
    "check_choice",
    "check_int",
    "check_real",
    "check_regular_file",
    "check_str",
    "describe_range",
]


def describe_range(low=None, high=None, *, low_open: bool = False, high_open: bool = False) -> str:
    """The range as words and brackets: ``>= 1``, ``> 0``, ``in [0, 1)``."""
    if low is not None and high is not None:
        left, right = "(" if low_open else "[", ")" if high_open else "]"
        return f"in {left}{_number(low)}, {_number(high)}{right}"
    if low is not None:
        return f"{'>' if low_open else '>='} {_number(low)}"
    if high is not None:
        return f"{'<' if high_open else '<='} {_number(high)}"
    return ""


def _number(value) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"


def check_int(
    value, name: str, *, low: int | None = None, high: int | None = None, none: bool = False, error=LayerNetError
) -> int | None:
    """``value`` as an ``int`` within ``[low, high]``; ``none=True`` also lets None through.

    Booleans are refused (``True`` is not a count), and so are floats, even integral ones: a
    ``max_iter`` of ``2.5`` or ``1e3`` is more likely a mistake than a wish.
    """
    if value is None and none:
        return None
    ok = isinstance(value, Integral) and not isinstance(value, bool)
    if ok:
        value = int(value)
        ok = (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        span = describe_range(low, high)
        raise error(f"{name} must be an integer{' ' + span if span else ''}{_or_none(none)}, got {_shown(value)}")
    return value


def check_real(
    value,
    name: str,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    none: bool = False,
    error=LayerNetError,
) -> float | None:
    """``value`` as a finite ``float`` within the range (open or closed at either end).

    Any real number is accepted: Python's ``int`` and ``float``, numpy's floating and integer
    scalars, fractions. An ``int`` too large for a float (``10**400``) is refused like infinity.
    """
    if value is None and none:
        return None
    ok = isinstance(value, Real) and not isinstance(value, bool)
    if ok:
        try:
            number = float(value)
        except (OverflowError, ValueError, TypeError):  # 10**400: an int beyond float's range
            ok = False
        else:
            ok = math.isfinite(number)
        if ok and low is not None:
            ok = number > low if low_open else number >= low
        if ok and high is not None:
            ok = number < high if high_open else number <= high
    if not ok:
        span = describe_range(low, high, low_open=low_open, high_open=high_open)
        raise error(f"{name} must be a finite number{' ' + span if span else ''}{_or_none(none)}, got {_shown(value)}")
    return number + 0.0  # -0.0 becomes 0.0


def check_choice(value, name: str, choices: Iterable, *, error=LayerNetError):
    """``value`` if it is one of ``choices``; the message lists them."""
    choices = tuple(choices)
    if isinstance(value, str) or not isinstance(value, (list, dict, set)):
        if value in choices:
            return value
    raise error(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


#: Units of :func:`check_bytes`: decimal (kB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB), as dask spells them.
BYTE_UNITS = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def check_bytes(value, name: str, *, low: int = 1, none: bool = False, error=LayerNetError) -> int | None:
    """A size in bytes: an integer, or a string with a unit, ``"512MB"`` (10**6) or ``"2 GiB"`` (2**30).

    ``dask.utils.parse_bytes`` reads the same spellings, but importing it takes 0.26 s here (dask
    loads with it) and dask is an optional dependency: this is the ten lines it would replace.

    >>> check_bytes("512MB", "max_memory"), check_bytes("1.5 GiB", "max_memory"), check_bytes(4096, "max_memory")
    (512000000, 1610612736, 4096)
    """
    if value is None and none:
        return None
    number = None
    if isinstance(value, Integral) and not isinstance(value, bool):
        number = int(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        digits = text.rstrip("abcdefghijklmnopqrstuvwxyz")
        unit = BYTE_UNITS.get(text[len(digits) :] or "b")
        try:
            amount = float(digits)
        except ValueError:
            amount = math.nan
        if unit is not None and math.isfinite(amount):
            number = int(amount * unit)
    if number is None or number < low:
        raise error(
            f"{name} must be a size in bytes >= {low}: an integer or a number with a unit such as '512MB' or "
            f"'2GiB'{_or_none(none)}, got {_shown(value)}"
        )
    return number


def check_bool(value, name: str, *, error=LayerNetError) -> bool:
    """``value`` if it is ``True`` or ``False`` (numpy booleans too), not any truthy object."""
    # numpy's bool is recognized by name: this module stays importable without numpy.
    if isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")):
        return bool(value)
    raise error(f"{name} must be true or false, got {value!r}")


def check_str(value, name: str, *, none: bool = False, error=LayerNetError) -> str | None:
    """``value`` if it is a non-empty string."""
    if value is None and none:
        return None
    if isinstance(value, str) and value:
        return value
    raise error(f"{name} must be a non-empty string{_or_none(none)}, got {value!r}")


def _shown(value) -> str:
    """``repr(value)``, with a huge integer shown by its size instead of its hundreds of digits."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return f"an integer of {len(str(abs(value)))} digits"
    text = repr(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _or_none(none: bool) -> str:
    return " (or None)" if none else ""


def check_regular_file(path, kind: str, *, error=LayerNetError) -> os.stat_result:
    """``path``'s status if it names a regular file; before anything opens it.

    A device (``/dev/zero``, ``/dev/urandom``) or a FIFO would be read for ever or block, so
    they are refused by their status, never opened. ``kind`` names what was expected ("TOML",
    "model", "CSV") in the messages.
    """
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as failure:
        raise error(f"{path}: cannot be read ({failure.strerror or failure})") from None
    if stat.S_ISDIR(status.st_mode):
        raise error(f"{path}: is a directory, not a {kind} file")
    if not stat.S_ISREG(status.st_mode):
        raise error(f"{path}: is not a regular file (a device, FIFO or socket); give a {kind} file")
    return status
