"""TrainOptions: every training option declared once, with its type, range and help.

A field is declared with :func:`option`: its default, its check (from :mod:`layernet._checks`),
its help text, and its TOML key where that differs from the field's name (``lambda`` for
``lambda_``). Everything else reads these declarations:

- ``TrainOptions(...)`` checks every field when it is made, so an options object is always valid;
- :func:`layernet.train` takes ``options=`` or the same fields as keywords (``**options``);
- the configuration's ``[training]`` table *is* a ``TrainOptions`` (``RunConfig.training``), read
  and written through :meth:`Declared.from_table` and :meth:`Declared.to_table`;
- runner, study and estimator pass the object through; the CLI sets any field with
  ``--set training.<key>=<value>`` and lists them from :meth:`Declared.describe`.

So a new training option is one new field here (plus its use in :func:`layernet.train` or the
optimizer, and its documentation).

>>> import layernet as ln
>>> options = ln.TrainOptions(method="lbfgs", tol=1e-6)
>>> options.replace(lambda_=0.01).lambda_
0.01
>>> ln.TrainOptions(max_iter=0)
Traceback (most recent call last):
...
layernet.errors.LayerNetError: max_iter must be an integer >= 1 (or None), got 0
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable
from dataclasses import dataclass

from ._checks import check_bool, check_bytes, check_choice, check_int, check_real, check_str
from .errors import ConfigError, LayerNetError

__all__ = [
    "Declared",
    "TrainOptions",
    "option",
    "integer",
    "real",
    "choice",
    "byte_size",
    "seed_check",
    "METHODS",
    "SECOND_ORDER",
    "LEAST_SQUARES",
    "DEFAULT_MAX_MEMORY",
]

#: Method names accepted by :func:`layernet.train` (kept here, numpy-free, for the CLI's help).
METHODS = ("cg", "lbfgs", "bfgs", "gd", "trust-krylov", "trust-ncg", "newton-cg", "lm")
#: The methods that use Hessian-vector products (``curvature``).
SECOND_ORDER = ("trust-krylov", "trust-ncg", "newton-cg")
#: The methods for squared-error costs only, which need the residuals' Jacobian (:mod:`layernet.lm`).
LEAST_SQUARES = ("lm",)

Check = Callable[..., object]


def option(default, check: Check, help: str, *, toml: str | None = None):  # noqa: A002 - the natural name
    """A dataclass field with its check, its help text and (if it differs) its TOML key."""
    return dataclasses.field(default=default, metadata={"check": check, "help": help, "toml": toml})


def integer(low: int | None = None, high: int | None = None, *, none: bool = False) -> Check:
    """A check for an integer in ``[low, high]`` (see :func:`layernet._checks.check_int`)."""
    return lambda value, name, error=LayerNetError: check_int(value, name, low=low, high=high, none=none, error=error)


def real(low=None, high=None, *, low_open=False, high_open=False, none=False) -> Check:
    """A check for a finite real in a range (see :func:`layernet._checks.check_real`)."""

    def check(value, name, error=LayerNetError):
        return check_real(
            value, name, low=low, high=high, low_open=low_open, high_open=high_open, none=none, error=error
        )

    return check


def choice(options) -> Check:
    """A check for one of ``options``."""
    return lambda value, name, error=LayerNetError: check_choice(value, name, options, error=error)


def _flag(value, name, error=LayerNetError):
    return check_bool(value, name, error=error)


def byte_size(*, none: bool = False) -> Check:
    """A check for a size in bytes, an integer or ``"512MB"`` (see :func:`layernet._checks.check_bytes`)."""
    return lambda value, name, error=LayerNetError: check_bytes(value, name, none=none, error=error)


def lambda_check(value, name, error=LayerNetError):
    """A lambda: a finite real >= 0, or ``"auto"`` (chosen by the evidence, :mod:`layernet.evidence`)."""
    if isinstance(value, str):
        if value.strip().lower() == "auto":
            return "auto"
        raise error(f"{name} must be a finite number >= 0 or 'auto', got {value!r}")
    try:
        return check_real(value, name, low=0.0, error=error)
    except error as failure:
        raise error(str(failure).replace(">= 0", ">= 0 or 'auto'", 1)) from None


def address(value, name: str, error=LayerNetError):
    """A Dask scheduler address such as ``tcp://host:8786``, or None."""
    return check_str(value, name, none=True, error=error)


#: The work buffers' budget when neither ``max_memory`` nor ``batch_size`` is given: 512 MiB.
DEFAULT_MAX_MEMORY = 512 * 2**20

#: Seeds: what numpy's ``RandomState`` takes, or None for fresh entropy.
seed_check = integer(0, 2**32 - 1, none=True)


class Declared:
    """A frozen dataclass whose fields are declared with :func:`option`.

    Every field is checked when an instance is made (values normalized: numpy integers become
    ``int``, reals ``float``); :meth:`from_table` reads a TOML table, refusing unknown keys with a
    suggestion; :meth:`to_table` writes one back; :meth:`describe` lists the fields for help texts.
    """

    def __new__(cls, *args, **kwargs):
        # Before the dataclass's __init__, whose TypeError for a misspelt name says too little.
        _check_names(cls, kwargs)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            check = item.metadata.get("check")
            if check is not None:
                object.__setattr__(self, item.name, check(getattr(self, item.name), item.name))

    def replace(self, **changes):
        """A copy with ``changes`` applied and checked; unknown names are refused."""
        _check_names(type(self), changes)
        return dataclasses.replace(self, **changes)

    @classmethod
    def toml_key(cls, item) -> str:
        return item.metadata.get("toml") or item.name

    @classmethod
    def from_table(cls, table: dict, section: str, where: str = ""):
        """An instance from a TOML table; errors are :class:`ConfigError` naming ``section.key``."""
        if not isinstance(table, dict):
            raise ConfigError(f"{where}[{section}] must be a table, got {table!r}")
        by_key = {cls.toml_key(item): item for item in dataclasses.fields(cls)}
        unknown = [key for key in table if key not in by_key]
        if unknown:
            raise ConfigError(f"{where}{unknown_key_message(unknown[0], by_key, f'[{section}]')}")
        values = {}
        for key, value in table.items():
            item = by_key[key]
            values[item.name] = item.metadata["check"](value, f"{where}{section}.{key}", ConfigError)
        return cls(**values)

    def to_table(self) -> dict:
        """The fields as a TOML table: TOML keys, tuples as lists, unset (None) values left out."""
        table = {}
        for item in dataclasses.fields(self):
            value = getattr(self, item.name)
            if value is not None:
                table[self.toml_key(item)] = list(value) if isinstance(value, tuple) else value
        return table

    @classmethod
    def describe(cls) -> list[tuple[str, object, str]]:
        """``(toml key, default, help)`` for every field, in declaration order."""
        return [(cls.toml_key(item), item.default, item.metadata.get("help", "")) for item in dataclasses.fields(cls)]


def _did_you_mean(name, known) -> str:
    """`` (did you mean 'y'?)`` for the closest of ``known``, or nothing."""
    close = difflib.get_close_matches(str(name), sorted(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key_message(key: str, known, place: str) -> str:
    """``unknown key 'x' in [place] (did you mean 'y'?); known keys: ...``."""
    return f"unknown key {key!r} in {place}{_did_you_mean(key, known)}; known keys: {', '.join(sorted(known))}"


def _check_names(cls, names) -> None:
    known = {item.name for item in dataclasses.fields(cls)}
    what = getattr(cls, "_what", f"{cls.__name__} field")
    for name in names:
        if name not in known:
            raise LayerNetError(
                f"unknown {what} {name!r}{_did_you_mean(name, known)}; known: {', '.join(sorted(known))}"
            )


@dataclass(frozen=True)
class TrainOptions(Declared):
    """How :func:`layernet.train` fits a network: the optimizer, the cost, the limits, the threads.

    Every field is checked when the object is made. Pass it as ``train(net, X, y, options=...)``,
    or give the same names as keywords: ``train(net, X, y, lambda_=1e-3, method="lbfgs")``.
    In a configuration file it is the ``[training]`` table (``lambda_`` is spelled ``lambda``).
    """

    _what = "training option"

    method: str = option(
        "cg",
        choice(METHODS),
        "the optimizer: cg (scipy's nonlinear conjugate gradient, fmin_cg's algorithm), lbfgs (L-BFGS-B), "
        "bfgs, gd (batch gradient descent with learning_rate and momentum), or trust-krylov, trust-ncg, newton-cg "
        "(scipy's, with exact Hessian-vector products: see curvature), or lm (Levenberg-Marquardt as MATLAB's trainlm, "
        "squared-error outputs only)",
    )
    lambda_: float | str = option(
        0.0,
        lambda_check,
        "the course's regularization strength: lambda / (2 m) * sum(W**2), biases excluded; or 'auto': chosen by "
        "the evidence (MacKay's re-estimation between optimizer phases, as MATLAB's trainbr)",
        toml="lambda",
    )
    max_iter: int | None = option(
        None,
        integer(1, none=True),
        "iteration limit; unset: the optimizer's own (200 * parameters for cg, bfgs and newton-cg, 15000 for "
        "lbfgs, 1000 for gd, trust-krylov, trust-ncg and lm)",
    )
    tol: float | None = option(
        None,
        real(0.0, low_open=True, none=True),
        "stop when the largest gradient component is at most tol (unset: 1e-5); for lbfgs also the relative "
        "cost-decrease tolerance",
    )
    learning_rate: float = option(1.0, real(0.0, low_open=True), "gradient descent's step size (method gd only)")
    momentum: float = option(0.0, real(0.0, 1.0, high_open=True), "gradient descent's momentum in [0, 1) (gd only)")
    curvature: str = option(
        "hessian",
        choice(("hessian", "gauss-newton")),
        "the products trust-krylov, trust-ncg and newton-cg use: hessian (exact, by the R-operator) or "
        "gauss-newton (positive semi-definite, no second derivatives needed)",
    )
    threads: int | None = option(
        None,
        integer(1, none=True),
        "threads for each evaluation (each with a single-threaded BLAS); unset: chosen from the problem's size",
    )
    max_memory: int | None = option(
        None,
        byte_size(none=True),
        "memory budget of an evaluation's work buffers, in bytes or with a unit ('512MB', '2GiB'): the samples are "
        "evaluated in chunks that fit it, cost and gradient summed exactly; unset: 512 MiB",
    )
    batch_size: int | None = option(
        None,
        integer(1, none=True),
        "samples per chunk of each full-batch evaluation, instead of a max_memory budget (the result is the same "
        "full-batch cost and gradient)",
    )
    scheduler: str | None = option(
        None,
        address,
        "a Dask scheduler (tcp://host:8786) to evaluate on: each cost and gradient is summed over the data's "
        "partitions on its workers (layernet[distributed]); unset: the current Dask client, for Dask data only",
    )
    seed: int | None = option(
        None,
        seed_check,
        "seeds the initial weights of a network that was never initialized (a run's [training] seed: its own "
        "stream for the initial weights)",
    )
    validation_fraction: float | None = option(
        None,
        real(0.0, 1.0, low_open=True, high_open=True, none=True),
        "fraction of the training data held out (stratified, drawn from seed, 0 when unset) to validate on "
        "every iteration; unset: validate only on data given as train(validation=...)",
    )
    patience: int | None = option(
        6,
        integer(1, none=True),
        "early stopping: stop after this many iterations in a row whose validation cost is above the best "
        "(MATLAB's max_fail); None (from Python) never stops early, validation still recorded (in a file: a "
        "patience above max_iter)",
    )
    restore_best: bool = option(
        True,
        _flag,
        "end with the parameters of the iteration with the lowest validation cost (when validating)",
    )

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_memory is not None and self.batch_size is not None:
            raise LayerNetError(
                f"give max_memory or batch_size, not both (got max_memory={self.max_memory}, "
                f"batch_size={self.batch_size})"
            )

    @classmethod
    def coerce(cls, options=None, settings: dict | None = None) -> TrainOptions:
        """``options`` (a TrainOptions, a dict of fields, or None) with ``settings`` applied on top."""
        settings = dict(settings or {})
        if options is None:
            options = cls()
        elif isinstance(options, dict):
            settings = {**options, **settings}
            options = cls()
        elif not isinstance(options, cls):
            raise LayerNetError(
                f"options must be a layernet TrainOptions, a dict or None, got {options!r}; "
                "give single options by keyword, e.g. train(net, X, y, lambda_=0.001, method='cg')"
            )
        return options.replace(**settings) if settings else options
