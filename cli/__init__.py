"""The ``layernet`` command line: a thin Typer + rich layer over the layernet library.

This folder is installed as the package ``layernet_cli`` (a top-level ``cli`` package would
collide with other distributions). The console script calls :func:`main`, which is defined here
so that Ctrl-C is handled before numpy, the library and Typer are imported.
"""

from __future__ import annotations

import gc


def main() -> None:
    """Console-script entry point: signals first, then the (heavy) application."""
    from . import interrupts

    interrupts.install_early()
    # Start-up makes a few hundred thousand long-lived objects (numpy's, scipy's, typer's and
    # rich's modules), and the collector walks them again every 700 new ones: about 0.1 s of a
    # `layernet train`. A larger first threshold still collects every cycle, just later.
    gc.set_threshold(100_000, *gc.get_threshold()[1:])
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
        # The command is done and its files are closed: frozen, the objects left are skipped by
        # the collections the interpreter makes while it shuts down (about 0.15 s after a
        # `layernet train`, all of it walking modules that are about to go anyway).
        gc.freeze()
