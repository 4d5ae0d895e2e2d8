"""The package version, in one place: the package root and model files read it from here."""

__version__ = "0.1.0"
