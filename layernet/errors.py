"""The exceptions layernet raises for input it cannot use.

Every error a user can fix by changing their input is a ``ValueError`` subclass, so code that
already catches ``ValueError`` keeps working, and the CLI can tell these apart from bugs.
"""

from __future__ import annotations

__all__ = ["LayerNetError", "ConfigError", "DataError", "ModelFileError"]


class LayerNetError(ValueError):
    """Base class: an input layernet cannot use; the message names the input and the expectation."""


class ConfigError(LayerNetError):
    """A run configuration (TOML file or dictionary) is malformed or out of range."""


class DataError(LayerNetError):
    """Features or labels that cannot be used: wrong shape, non-finite values, unknown labels."""


class ModelFileError(LayerNetError):
    """A saved model file that is missing, truncated, corrupted, foreign or of a newer format."""
