"""``python -m layernet_cli`` runs the command line like ``layernet``."""

from layernet_cli import main

main()
