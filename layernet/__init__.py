"""layernet: object-oriented neural networks on numpy and scipy, the way the course taught them.

>>> import layernet as ln
>>> net = ln.Network([2, 3, 2], hidden="sigmoid", output="sigmoid").init(seed=0)
>>> run = ln.run(ln.RunConfig.reference())          # the blog's 2-3-2 moons network
>>> round(run.metrics["cost"], 4), run.metrics["train_accuracy"]
(0.1324, 0.98)

The public names load on first use (PEP 562), so ``import layernet`` -- and ``layernet --help``
-- do not pay for numpy until something needs it; ``ln.study``, ``ln.plotting`` and the other
submodules load the same way.
"""

# Imported under private names: ``dir(layernet)`` shows the public API and nothing else.
import importlib as _importlib
import typing as _typing

from ._version import __version__ as __version__

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
    "TrainOptions": "options",
    "ConfigError": "errors",
    "DataError": "errors",
    "LayerNetError": "errors",
    "ModelFileError": "errors",
    "LayerNetClassifier": "estimator",
    "LayerNetRegressor": "estimator",
    "Evaluation": "evaluation",
    "RegressionEvaluation": "evaluation",
    "regression_metrics": "evaluation",
    "evaluate": "evaluation",
    "GradientCheck": "gradcheck",
    "check_gradients": "gradcheck",
    "check_nn_gradients": "gradcheck",
    "debug_problem": "gradcheck",
    "gradient_check": "gradcheck",
    "from_mat": "interchange",
    "from_sklearn": "interchange",
    "to_mat": "interchange",
    "to_onnx": "interchange",
    "to_sklearn": "interchange",
    "Layer": "layers",
    "Network": "network",
    "METHODS": "optimize",
    "IterationInfo": "optimize",
    "ParameterPacker": "packing",
    "load": "persistence",
    "save": "persistence",
    "plot_cost_history": "plotting",
    "plot_decision_boundary": "plotting",
    "plot_training": "plotting",
    "plot_regression": "plotting",
    "save_figure": "plotting",
    "Scaler": "preprocessing",
    "Run": "runner",
    "RunData": "runner",
    "build_network": "runner",
    "load_data": "runner",
    "run": "runner",
    "TrainResult": "training",
    "train": "training",
}

# Submodules reachable as attributes (ln.study.run(...), ln.plotting....) without an import.
_SUBMODULES = {
    "activations", "config", "datasets", "errors", "estimator", "evaluation", "gradcheck", "kernels", "labels",
    "interchange", "layers", "losses", "network", "optimize", "options", "packing", "persistence", "plotting",
    "preprocessing", "runner", "study", "study_defaults", "threads", "training", "validation",
}  # fmt: skip

__all__ = [
    "Activation",
    "available_activations",
    "build_network",
    "check_gradients",
    "check_nn_gradients",
    "ConfigError",
    "DataConfig",
    "DataError",
    "debug_problem",
    "evaluate",
    "Evaluation",
    "get_activation",
    "gradient_check",
    "GradientCheck",
    "from_mat",
    "from_sklearn",
    "IterationInfo",
    "Layer",
    "LayerNetClassifier",
    "LayerNetError",
    "LayerNetRegressor",
    "load",
    "load_data",
    "METHODS",
    "ModelFileError",
    "Network",
    "NetworkConfig",
    "ParameterPacker",
    "plot_cost_history",
    "plot_decision_boundary",
    "plot_training",
    "plot_regression",
    "register_activation",
    "RegressionEvaluation",
    "regression_metrics",
    "Run",
    "run",
    "RunConfig",
    "RunData",
    "save",
    "save_figure",
    "Scaler",
    "study",
    "to_mat",
    "to_onnx",
    "to_sklearn",
    "train",
    "TrainingConfig",
    "TrainOptions",
    "TrainResult",
]


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(_importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    elif name in _SUBMODULES:
        value = _importlib.import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'layernet' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | _SUBMODULES)


if _typing.TYPE_CHECKING:  # for type checkers and IDEs: the same names, imported eagerly
    from . import study
    from .activations import Activation, available_activations, get_activation, register_activation
    from .config import DataConfig, NetworkConfig, RunConfig, TrainingConfig
    from .errors import ConfigError, DataError, LayerNetError, ModelFileError
    from .estimator import LayerNetClassifier, LayerNetRegressor
    from .evaluation import Evaluation, RegressionEvaluation, evaluate, regression_metrics
    from .gradcheck import GradientCheck, check_gradients, check_nn_gradients, debug_problem, gradient_check
    from .interchange import from_mat, from_sklearn, to_mat, to_onnx, to_sklearn
    from .layers import Layer
    from .network import Network
    from .optimize import METHODS, IterationInfo
    from .options import TrainOptions
    from .packing import ParameterPacker
    from .persistence import load, save
    from .plotting import plot_cost_history, plot_decision_boundary, plot_regression, plot_training, save_figure
    from .preprocessing import Scaler
    from .runner import Run, RunData, build_network, load_data, run
    from .training import TrainResult, train
