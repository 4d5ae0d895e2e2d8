"""The Typer application behind the ``layernet`` command: the app, the error wrapper, the commands.

Each command lives in its own module (``train``, ``evaluate`` and ``predict``, ``gradcheck``,
``study``, ``init`` and ``show`` in ``models``, ``export`` and ``import`` in ``interchange``) and
is registered here. Errors a user can fix are one red line and exit code 1; Typer's usage errors
exit with 2; Ctrl-C exits with 130, and SIGTERM with 143, after reporting (and saving, when
asked) what training reached (see ``interrupts``).
"""

from __future__ import annotations

from functools import wraps

import typer

import layernet as ln

from . import evaluate, gradcheck, interchange, interrupts, models, study, train
from .common import EXIT_ERROR, EXIT_INTERRUPTED, Command, ConfigCommand, Group
from .render import error

__all__ = ["app", "main", "EXIT_ERROR", "EXIT_INTERRUPTED"]

app = typer.Typer(
    name="layernet",
    cls=Group,
    help="Build, train and inspect course-style neural networks. "
    "`layernet train` with no argument trains the reference 2-3-2 moons network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _friendly(command):
    """Turn the library's input errors into one red line (exit 1) and Ctrl-C into exit 130."""

    @wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except ln.LayerNetError as exc:
            error(str(exc))
            raise typer.Exit(EXIT_ERROR) from None
        except OSError as exc:
            error(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "))
            raise typer.Exit(EXIT_ERROR) from None
        except MemoryError:
            # The memory checks before training are estimates; this is what they missed.
            error("out of memory: the data or the network is too large for this machine")
            raise typer.Exit(EXIT_ERROR) from None
        except RecursionError:
            error("input nested too deeply to read")
            raise typer.Exit(EXIT_ERROR) from None
        except KeyboardInterrupt:
            interrupts.settle()
            error("interrupted")
            raise typer.Exit(interrupts.interrupted_exit_code()) from None

    return wrapper


# The commands that read a run configuration take --set and --section.key options.
app.command(cls=ConfigCommand, epilog=train.EPILOG)(_friendly(train.train))
app.command(cls=Command)(_friendly(models.init))
app.command(cls=Command)(_friendly(evaluate.evaluate))
app.command(cls=Command)(_friendly(evaluate.predict))
app.command(cls=ConfigCommand)(_friendly(gradcheck.gradcheck))
app.command(cls=Command)(_friendly(models.show))
app.command(cls=ConfigCommand)(_friendly(study.study))
app.command(cls=Command)(_friendly(interchange.export))
app.command(cls=Command, name="import")(_friendly(interchange.import_))


def main() -> None:
    """Console-script entry point (:func:`layernet_cli.main`, which handles signals from the start)."""
    from . import main as entry

    entry()
