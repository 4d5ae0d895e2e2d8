"""scikit-learn's multi-layer perceptrons in and out: ``MLPClassifier`` and ``MLPRegressor``.

A fitted MLP stores what a layernet network stores, transposed: ``coefs_[i]`` is layer ``i``'s
``(n_in, n_out)`` weight matrix and ``intercepts_[i]`` its biases, so a layer's
``(n_out, n_in + 1)`` matrix is ``[intercepts_[i], coefs_[i].T]``. What differs is convention:
scikit-learn has one hidden activation for all layers, a single logistic unit for two classes,
softmax for more, the identity for regression, and sorted classes. A network outside those
conventions is refused with every reason listed. A network with a scaler becomes a
``Pipeline(StandardScaler, MLP)``, and such a pipeline converts back.
"""

from __future__ import annotations

import numpy as np

from ..activations import Identity, ReLU, Sigmoid, Softmax, Tanh
from ..errors import LayerNetError
from ..network import Network
from ..preprocessing import Scaler

__all__ = ["from_sklearn", "to_sklearn"]

#: scikit-learn's hidden activation names and layernet's built-in activation classes.
_HIDDEN = {"logistic": Sigmoid, "tanh": Tanh, "relu": ReLU, "identity": Identity}
_NAMES = {Sigmoid: "sigmoid", Tanh: "tanh", ReLU: "relu", Identity: "identity"}


def from_sklearn(model) -> Network:
    """A layernet network computing what a fitted ``MLPClassifier`` or ``MLPRegressor`` computes.

    ``model`` may also be a fitted ``Pipeline`` of a ``StandardScaler`` and an MLP: the scaler
    becomes the network's :attr:`~layernet.Network.scaler`. Classes, and
    ``feature_names_in_`` when the model was fitted on a DataFrame, come along.

    Raises
    ------
    LayerNetError
        ``model`` is no fitted MLP (or such a pipeline), or uses what layernet cannot
        represent (a multi-label classifier, a Poisson regressor); the message says which.
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    scaler, mlp = _unpiped(model)
    if not isinstance(mlp, (MLPClassifier, MLPRegressor)):
        raise LayerNetError(
            f"from_sklearn converts a fitted MLPClassifier or MLPRegressor (or a Pipeline of a StandardScaler "
            f"and one), got {type(model).__name__}"
        )
    if not hasattr(mlp, "coefs_"):
        raise LayerNetError(f"this {type(mlp).__name__} is not fitted; call fit before converting it")
    hidden = _HIDDEN.get(mlp.activation)
    if hidden is None:
        raise LayerNetError(f"{type(mlp).__name__} activation {mlp.activation!r} has no layernet equivalent")
    out = mlp.out_activation_
    if out == "logistic" and mlp.n_outputs_ > 1:
        raise LayerNetError(
            "this MLPClassifier was fitted on multi-label targets (several logistic outputs); layernet's "
            "classifiers predict one label per sample"
        )
    output = {"logistic": "sigmoid", "softmax": "softmax", "identity": "identity"}.get(out)
    if output is None:
        raise LayerNetError(f"{type(mlp).__name__} output activation {out!r} has no layernet equivalent")
    coefs = [np.asarray(c) for c in mlp.coefs_]
    sizes = [coefs[0].shape[0]] + [c.shape[1] for c in coefs]
    dtype = np.float32 if coefs[0].dtype == np.float32 else np.float64
    net = Network(sizes, hidden=_NAMES[hidden], output=output, dtype=dtype)
    net.theta = np.concatenate(
        [np.column_stack([b, W.T]).ravel() for W, b in zip(coefs, (np.asarray(b) for b in mlp.intercepts_))]
    )
    if isinstance(mlp, MLPClassifier):
        net.classes_ = np.asarray(mlp.classes_).copy()
    if scaler is not None:
        mean = np.zeros(net.n_features) if scaler.mean_ is None else scaler.mean_
        scale = np.ones(net.n_features) if scaler.scale_ is None else scaler.scale_
        net.scaler = Scaler(np.array(mean, dtype=float), np.array(scale, dtype=float))
    names = getattr(model, "feature_names_in_", None)
    if names is not None and hasattr(net, "feature_names"):
        net.feature_names = [str(name) for name in names]
    return net


def to_sklearn(net: Network):
    """A fitted scikit-learn MLP computing what ``net`` computes.

    Returns an ``MLPClassifier`` (sigmoid output with one unit for two classes, or softmax) or
    an ``MLPRegressor`` (identity output), wrapped in a ``Pipeline`` after a ``StandardScaler``
    when the network carries a scaler. Its ``predict_proba`` agrees with the network's.

    Raises
    ------
    LayerNetError
        Listing every reason scikit-learn cannot represent the network: hidden layers with
        different or non-built-in activations, several sigmoid output units (the course's
        one-vs-all, which scikit-learn's classifier does not have), no hidden layer.
    """
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    if not isinstance(net, Network):
        raise LayerNetError(f"to_sklearn expects a layernet Network, got {type(net).__name__}")
    problems = []
    hidden = [type(layer.activation) for layer in net.layers[:-1]]
    if not hidden:
        problems.append("it has no hidden layer (scikit-learn's MLPs have at least one)")
    unknown = sorted({layer.activation.name for layer in net.layers[:-1] if type(layer.activation) not in _NAMES})
    if unknown:
        problems.append(
            f"hidden activation(s) {', '.join(unknown)} are not scikit-learn's (logistic, tanh, relu, identity)"
        )
    elif len(set(hidden)) > 1:
        problems.append(
            f"its hidden layers use {', '.join(net.activations[:-1])}; scikit-learn uses one activation for all"
        )
    out = type(net.output_activation)
    if out is Sigmoid and net.n_outputs > 1:
        problems.append(
            f"its {net.n_outputs} sigmoid output units are the course's one-vs-all classifiers; scikit-learn's "
            "MLPClassifier uses one logistic unit for two classes and softmax for more (train with output='softmax')"
        )
    elif out not in (Sigmoid, Softmax, Identity):
        problems.append(f"output activation {net.output_activation.name!r} is none of sigmoid, softmax, identity")
    if problems:
        raise LayerNetError(f"scikit-learn cannot represent {net!r}: " + "; ".join(problems))
    thetas = [np.array(theta) for theta in net.packer.unpack(net.theta)]
    activation = next(name for name, cls in _HIDDEN.items() if cls is hidden[0])
    sizes = tuple(net.sizes[1:-1])
    if out is Identity:
        mlp = MLPRegressor(hidden_layer_sizes=sizes, activation=activation)
        out_activation = "identity"
    else:
        from sklearn.preprocessing import LabelBinarizer

        mlp = MLPClassifier(hidden_layer_sizes=sizes, activation=activation)
        out_activation = "logistic" if out is Sigmoid else "softmax"
        classes = net._class_labels()
        order = np.argsort(classes, kind="stable")  # scikit-learn's classes are sorted
        if out is Softmax:
            thetas[-1] = thetas[-1][order]
        elif order[0] == 1:  # two classes in descending order: the unit's probability is the other class's
            thetas[-1] = -thetas[-1]
        mlp._label_binarizer = LabelBinarizer().fit(classes)
        mlp.classes_ = mlp._label_binarizer.classes_
    mlp.coefs_ = [np.ascontiguousarray(theta[:, 1:].T) for theta in thetas]
    mlp.intercepts_ = [theta[:, 0].copy() for theta in thetas]
    mlp.n_layers_ = len(thetas) + 1
    mlp.n_outputs_ = net.n_outputs
    mlp.out_activation_ = out_activation
    mlp.n_features_in_ = net.n_features
    mlp.n_iter_ = int(net.training_summary.get("iterations") or 0)
    mlp.t_ = 0
    names = getattr(net, "feature_names", None)
    if names:
        mlp.feature_names_in_ = np.array(names, dtype=object)
    if net.scaler is None:
        return mlp
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler()
    scaler.mean_ = net.scaler.mean.copy()
    scaler.scale_ = net.scaler.scale.copy()
    scaler.var_ = net.scaler.scale**2
    scaler.n_features_in_ = net.n_features
    scaler.n_samples_seen_ = 0
    if names:
        scaler.feature_names_in_ = np.array(names, dtype=object)
    return make_pipeline(scaler, mlp)


def _unpiped(model):
    """``(StandardScaler or None, estimator)`` from an estimator or a two-step pipeline."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    if not isinstance(model, Pipeline):
        return None, model
    steps = [step for _, step in model.steps if step not in (None, "passthrough")]
    if len(steps) == 1:
        return None, steps[0]
    if len(steps) == 2 and isinstance(steps[0], StandardScaler):
        return steps[0], steps[1]
    kinds = ", ".join(type(step).__name__ for step in steps)
    raise LayerNetError(f"from_sklearn converts a Pipeline of a StandardScaler and an MLP, got one of {kinds}")
