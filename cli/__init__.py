"""The ``layernet`` command line: a thin Typer + rich layer over the layernet library.

This folder is installed as the package ``layernet_cli`` (a top-level ``cli`` package would
collide with other distributions). The console script calls :func:`main`, which is defined here
so that Ctrl-C is handled before numpy, the library and Typer are imported.
"""

from __future__ import annotations


def main() -> None:
    """Console-script entry point: signals first, then the (heavy) application."""
    from . import interrupts

    interrupts.install_early()
    from .app import app

    interrupts.install_running()
    try:
        app()
    except SystemExit as done:
        raise SystemExit(interrupts.finish(done.code)) from None
    except KeyboardInterrupt:
        raise SystemExit(interrupts.interrupted_in_startup()) from None
    finally:
        interrupts.install_leaving()
