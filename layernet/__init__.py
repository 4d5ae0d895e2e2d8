"""layernet: object-oriented neural networks on numpy and scipy, the way the course taught them.

>>> import layernet as ln
>>> net = ln.Network([2, 3, 2], hidden="sigmoid", output="sigmoid").init(seed=0)
>>> run = ln.run(ln.RunConfig.reference())          # the blog's 2-3-2 moons network
>>> round(run.metrics["cost"], 4), run.metrics["train_accuracy"]
(0.1324, 0.98)
"""

from . import study as study  # the module: ln.study.run(config, depths=..., ...)
from .activations import Activation, available_activations, get_activation, register_activation
from .config import DataConfig, NetworkConfig, RunConfig, TrainingConfig
from .errors import ConfigError, DataError, LayerNetError, ModelFileError
from .evaluation import Evaluation, evaluate
from .gradcheck import GradientCheck, check_gradients, check_nn_gradients, debug_problem, gradient_check
from .layers import Layer
from .network import Network
from .optimize import METHODS, IterationInfo
from .packing import ParameterPacker
from .persistence import load, save
from .plotting import plot_cost_history, plot_decision_boundary, save_figure
from .preprocessing import Scaler
from .runner import Run, RunData, build_network, load_data, run
from .training import TrainResult, train

__version__ = "0.1.0"

__all__ = [
    "Activation",
    "ConfigError",
    "DataConfig",
    "DataError",
    "Evaluation",
    "GradientCheck",
    "IterationInfo",
    "Layer",
    "LayerNetClassifier",
    "LayerNetError",
    "METHODS",
    "ModelFileError",
    "Network",
    "NetworkConfig",
    "ParameterPacker",
    "Run",
    "RunData",
    "Scaler",
    "RunConfig",
    "TrainResult",
    "TrainingConfig",
    "available_activations",
    "build_network",
    "check_gradients",
    "check_nn_gradients",
    "debug_problem",
    "evaluate",
    "get_activation",
    "gradient_check",
    "load",
    "load_data",
    "plot_cost_history",
    "plot_decision_boundary",
    "register_activation",
    "run",
    "save",
    "save_figure",
    "train",
]

# Names whose modules import heavy optional dependencies (scikit-learn): loaded on first access,
# so that ``import layernet`` stays light.
_LAZY = {"LayerNetClassifier": ".estimator"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
