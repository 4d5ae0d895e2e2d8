"""Activations from elsewhere: modules named by the user, and packages' ``layernet.activations`` entry points.

A package makes its activations available to every layernet program (the command line, configs,
saved models) by declaring an entry point in the group ``layernet.activations``::

    [project.entry-points."layernet.activations"]
    softplus = "mypackage.activations:Softplus"     # an Activation subclass or instance
    extras = "mypackage.activations"                # or a module that registers its own on import

Entry points are loaded the first time a name is looked up that is not registered
(:func:`layernet.get_activation` calls :func:`load_plugins`), so ``import layernet`` and
programs that use only the built-ins never scan the installed packages.

:func:`import_modules` imports modules by dotted name (``layernet train --import
mypackage.activations``) and records them in the environment variable
``LAYERNET_ACTIVATION_MODULES``, so that worker processes started afterwards (a study's parallel
fits) import them too when they meet a name they do not know.
"""

from __future__ import annotations

import importlib
import os
import types

from .errors import LayerNetError

__all__ = ["ENTRY_POINT_GROUP", "MODULES_VARIABLE", "import_modules", "load_plugins"]

#: The entry-point group packages register their activations in.
ENTRY_POINT_GROUP = "layernet.activations"

#: The environment variable listing modules to import (comma-separated) on an unknown name.
MODULES_VARIABLE = "LAYERNET_ACTIVATION_MODULES"

_loaded_entry_points = False
_imported: set[str] = set()


def import_modules(names) -> list[str]:
    """Import each module named in ``names`` (dotted, e.g. ``mypackage.activations``), once.

    Importing a module runs its ``register_activation`` calls. The names are added to
    ``LAYERNET_ACTIVATION_MODULES`` for processes started later.

    Returns
    -------
    list of str
        The names imported now (those imported before are skipped).

    Raises
    ------
    LayerNetError
        A module that cannot be found, or that fails while it is imported (the error is named).
    """
    done = []
    for name in names:
        name = name.strip()
        if not name or name in _imported:
            continue
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as error:
            missing = f"no module named {error.name!r}" if error.name else str(error)
            raise LayerNetError(f"cannot import activations from {name!r}: {missing}") from None
        except Exception as error:  # the user's module raised while it ran: say which and what
            raise LayerNetError(
                f"cannot import activations from {name!r}: {type(error).__name__}: {error}"
            ) from None
        _imported.add(name)
        done.append(name)
    if done:
        listed = [item for item in os.environ.get(MODULES_VARIABLE, "").split(",") if item]
        os.environ[MODULES_VARIABLE] = ",".join([*listed, *(name for name in done if name not in listed)])
    return done


def load_plugins() -> bool:
    """Load what may define more activations: ``LAYERNET_ACTIVATION_MODULES``, then the entry points.

    Each source is loaded once per process; returns whether anything new was loaded (so a
    caller knows whether looking a name up again can find more).

    Raises
    ------
    LayerNetError
        An entry point or a listed module that fails to load, named with its distribution.
    """
    global _loaded_entry_points
    listed = [name for name in os.environ.get(MODULES_VARIABLE, "").split(",") if name.strip()]
    changed = bool(import_modules(listed))
    if _loaded_entry_points:
        return changed
    _loaded_entry_points = True
    from importlib.metadata import entry_points

    for point in entry_points(group=ENTRY_POINT_GROUP):
        _register_entry_point(point)
        changed = True
    return changed


def _register_entry_point(point) -> None:
    from .activations import _REGISTRY, Activation, register_activation

    where = f"entry point {point.name!r} ({point.value}) in group {ENTRY_POINT_GROUP!r}"
    distribution = getattr(getattr(point, "dist", None), "name", None)
    if distribution:
        where += f" of the package {distribution!r}"
    try:
        target = point.load()
    except Exception as error:  # a broken plug-in is reported, not a traceback
        raise LayerNetError(f"{where} cannot be loaded: {type(error).__name__}: {error}") from None
    if isinstance(target, types.ModuleType):
        return  # the module registered its activations when it was imported
    if isinstance(target, type) and issubclass(target, Activation):
        target = target()
    if not isinstance(target, Activation):
        raise LayerNetError(f"{where} is {type(target).__name__}, not an Activation, its subclass or a module")
    registered = _REGISTRY.get(target.name)
    if registered is None:
        register_activation(target)
    elif type(registered) is not type(target):
        raise LayerNetError(f"{where} defines {target.name!r}, which is already registered differently")
