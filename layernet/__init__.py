"""layernet: object-oriented neural networks on numpy and scipy, the way the course taught them.

>>> import layernet as ln
>>> net = ln.Network([2, 3, 2], hidden="sigmoid", output="sigmoid").init(seed=0)
>>> run = ln.run(ln.RunConfig.reference())          # the blog's 2-3-2 moons network
>>> round(run.metrics["cost"], 4), run.metrics["train_accuracy"]
(0.1324, 0.98)

The public names load on first use (PEP 562), so ``import layernet`` -- and ``layernet --help``
-- do not pay for numpy until something needs it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

__version__ = "0.1.0"

# Public name -> the module that defines it. A new public name is added here and to __all__.
_EXPORTS = {
    "Activation": "activations",
    "available_activations": "activations",
    "get_activation": "activations",
    "register_activation": "activations",
    "DataConfig": "config",
    "NetworkConfig": "config",
    "RunConfig": "config",
    "TrainingConfig": "config",
    "ConfigError": "errors",
    "DataError": "errors",
    "LayerNetError": "errors",
    "ModelFileError": "errors",
    "GradientCheck": "gradcheck",
    "check_gradients": "gradcheck",
    "check_nn_gradients": "gradcheck",
    "debug_problem": "gradcheck",
    "gradient_check": "gradcheck",
    "Layer": "layers",
    "Network": "network",
    "METHODS": "optimize",
    "IterationInfo": "optimize",
    "ParameterPacker": "packing",
    "Run": "runner",
    "run": "runner",
    "TrainResult": "training",
    "train": "training",
}

__all__ = [
    "Activation",
    "ConfigError",
    "DataConfig",
    "DataError",
    "GradientCheck",
    "IterationInfo",
    "Layer",
    "LayerNetError",
    "METHODS",
    "ModelFileError",
    "Network",
    "NetworkConfig",
    "ParameterPacker",
    "Run",
    "RunConfig",
    "TrainResult",
    "TrainingConfig",
    "available_activations",
    "check_gradients",
    "check_nn_gradients",
    "debug_problem",
    "get_activation",
    "gradient_check",
    "register_activation",
    "run",
    "train",
]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'layernet' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from .activations import Activation, available_activations, get_activation, register_activation
    from .config import DataConfig, NetworkConfig, RunConfig, TrainingConfig
    from .errors import ConfigError, DataError, LayerNetError, ModelFileError
    from .gradcheck import GradientCheck, check_gradients, check_nn_gradients, debug_problem, gradient_check
    from .layers import Layer
    from .network import Network
    from .optimize import METHODS, IterationInfo
    from .packing import ParameterPacker
    from .runner import Run, run
    from .training import TrainResult, train
