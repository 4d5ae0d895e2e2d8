"""Ctrl-C and SIGTERM for the ``layernet`` command: one line and exit 130 (SIGINT) or 143 (SIGTERM).

Three phases, set up by :func:`layernet_cli.main`:

- while the program imports numpy, the library and Typer (:func:`install_early`), there is
  nothing to keep: a signal prints one line and exits at once, without a traceback;
- while a command runs (:func:`install_running`), SIGINT and SIGTERM both raise
  ``KeyboardInterrupt`` in the main thread, so training stops with status "interrupted", the
  summary prints and ``--save`` saves what it reached; the exit code then says which signal
  came (:func:`interrupted_exit_code`);
- once the command has finished and the program is shutting down (:func:`install_leaving`), a
  further signal exits at once with its code, silently: a second Ctrl-C never ends in a
  traceback or a death by signal.

Nothing here imports more than the standard library: it runs before anything heavy.
"""

from __future__ import annotations

import atexit
import os
import signal

__all__ = [
    "EXIT_INTERRUPTED",
    "EXIT_TERMINATED",
    "install_early",
    "install_leaving",
    "install_running",
    "interrupted_in_startup",
    "finish",
    "interrupted_exit_code",
    "settle",
]

EXIT_INTERRUPTED = 128 + signal.SIGINT  # 130
EXIT_TERMINATED = 128 + signal.SIGTERM  # 143

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_state = {"received": None, "installed": False, "reported": False}


def _exit_now(signum, frame) -> None:
    """Leave at once with ``128 + signum``; nothing has been done that needs finishing."""
    try:
        os.write(2, b"error: interrupted\n")
    except OSError:
        pass
    os._exit(128 + signum)


def _exit_silently(signum, frame) -> None:
    os._exit(128 + (_state["received"] or signum))


def _interrupt(signum, frame) -> None:
    """SIGINT or SIGTERM while a command runs: stop it like Ctrl-C does, and remember which."""
    _state["received"] = signum
    raise KeyboardInterrupt


def _install(handler) -> None:
    for signum in _SIGNALS:
        signal.signal(signum, handler)
    _state["installed"] = True


def install_early() -> None:
    """Until the commands are ready: a signal exits at once with one line (130 or 143)."""
    # Registered first, so it runs after every other atexit callback.
    atexit.register(_ignore_from_now)
    _install(_exit_now)


def install_running() -> None:
    """While a command runs: SIGINT and SIGTERM raise ``KeyboardInterrupt`` in the main thread."""
    _install(_interrupt)


def install_leaving() -> None:
    """After the command: a late signal exits at once, with the code of the first signal.

    Python resets its handlers to the default (death by signal, exit -2) when it finalizes,
    after the last ``atexit`` callback; the one registered in :func:`install_early` runs last and
    ignores the signals from there on, so the program ends with its own exit code.
    """
    _install(_exit_silently)


def _ignore_from_now() -> None:
    for signum in _SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def settle() -> None:
    """Stop further signals from interrupting the report of an interruption (only under ``main``).

    The command is already ending with 130 or 143; a second Ctrl-C arriving while it prints
    that line would otherwise escape as a traceback or Click's "Aborted!" (exit 1). The caller
    prints that line: :func:`finish` will not add another.
    """
    _state["reported"] = True
    if _state["installed"]:
        _install(_hold)


def _hold(signum, frame) -> None:
    """While the interruption is reported: a further signal changes nothing."""


def interrupted_in_startup() -> int:
    """A signal before Typer's own handling began (while it builds the command): one line, 130 or 143."""
    if not _state["reported"]:
        _state["reported"] = True
        try:
            os.write(2, b"error: interrupted\n")
        except OSError:
            pass
    return interrupted_exit_code()


def finish(code):
    """The program's exit code once the command ended with ``code``; one line if a signal went unreported.

    A signal that came while Typer was still parsing (before any command code ran) ends in
    Typer's silent ``Exit(130)``; after SIGTERM that becomes 143, and the line is added here.
    """
    if _state["received"] is None or code not in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        return code
    if not _state["reported"]:
        try:
            os.write(2, b"error: interrupted\n")
        except OSError:
            pass
    return interrupted_exit_code()


def interrupted_exit_code() -> int:
    """130 after SIGINT (or a ``KeyboardInterrupt`` raised in-process), 143 after SIGTERM."""
    return 128 + (_state["received"] or signal.SIGINT)
