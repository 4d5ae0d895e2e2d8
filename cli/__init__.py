"""The ``layernet`` command line: a thin Typer + rich layer over the layernet library.

This folder is installed as the package ``layernet_cli`` (a top-level ``cli`` package would
collide with other distributions).
"""
