"""ONNX export: a network as an ONNX graph built node by node with ``onnx.helper``.

The graph takes ``X`` (n_samples, n_features), standardizes it when the network carries a scaler
(``Sub``, ``Div``), runs each layer as ``Gemm`` (``h @ W.T + b``, the layer's own matrix, so no
transposed copy is stored) followed by its activation, and ends as :meth:`Network.predict_proba`
and :meth:`Network.predict` do: for a classifier, ``probabilities`` (softmax outputs as they are,
several sigmoid units normalized per row, a single unit as ``[sigmoid(-z), sigmoid(z)]``) and
``label``, the predicted class (ranked by the output pre-activations, like ``predict``), as
skl2onnx's classifiers give them; for any other output layer, ``output``, the activations.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..activations import Identity, ReLU, Sigmoid, Softmax, Tanh
from ..errors import LayerNetError
from ..network import Network
from ..writing import atomic_write

__all__ = ["to_onnx", "OPSET"]

#: The ONNX operator set the graphs use (every operator they need exists unchanged since).
OPSET = 17
_IR_VERSION = 8  # the IR version of opset 17, which runtimes of that generation and later read
_OPERATORS = {Sigmoid: "Sigmoid", Tanh: "Tanh", ReLU: "Relu", Identity: None, Softmax: "Softmax"}


def to_onnx(net: Network, path: str | Path | None = None, *, dtype=None):
    """The network as an ONNX model, checked with the onnx checker; written to ``path`` if given.

    Parameters
    ----------
    net : Network
    path : str or Path, optional
        Where to write the model (atomically).
    dtype : "float32" or "float64", optional
        The graph's number type; default the network's. A float32 graph of a float64 network
        rounds its weights once, and agrees with ``predict_proba`` to about 1e-6.

    Returns
    -------
    onnx.ModelProto
        Input ``X``; outputs ``probabilities`` (n_samples, n_classes) and ``label``
        (n_samples,) for a sigmoid or softmax output layer, else ``output`` (n_samples, n_outputs).
        A network with feature names records them, as a JSON list, in the metadata property
        ``feature_names``.

    Raises
    ------
    LayerNetError
        An activation with no ONNX operator (one of your own), naming it and its layer; the onnx
        package is missing.
    """
    if not isinstance(net, Network):
        raise LayerNetError(f"to_onnx expects a layernet Network, got {type(net).__name__}")
    for index, layer in enumerate(net.layers, 1):
        if type(layer.activation) not in _OPERATORS:
            raise LayerNetError(
                f"activation {layer.activation.name!r} (layer {index}) has no ONNX equivalent; to_onnx exports "
                "sigmoid, tanh, relu, identity and softmax"
            )
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise LayerNetError("to_onnx needs the onnx package: pip install 'layernet[onnx]'") from None
    dtype = np.dtype(net.dtype if dtype is None else dtype)
    if dtype not in (np.float32, np.float64):
        raise LayerNetError(f"dtype must be float32 or float64, got {dtype}")
    element = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    nodes, constants = [], []

    def constant(name: str, value) -> str:
        constants.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def node(op: str, inputs: list[str], output: str, **attributes) -> str:
        nodes.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    h = "X"
    if net.scaler is not None:
        h = node("Sub", [h, constant("scaler_mean", net.scaler.mean.astype(dtype))], "centered")
        h = node("Div", [h, constant("scaler_scale", net.scaler.scale.astype(dtype))], "standardized")
    last = len(net.layers)
    for index, (layer, theta) in enumerate(zip(net.layers, net.packer.unpack(net.theta)), 1):
        W = constant(f"W{index}", np.ascontiguousarray(theta[:, 1:], dtype=dtype))
        b = constant(f"b{index}", np.ascontiguousarray(theta[:, 0], dtype=dtype))
        z = node("Gemm", [h, W, b], f"z{index}", transB=1)
        if index < last:
            operator = _OPERATORS[type(layer.activation)]
            h = z if operator is None else node(operator, [z], f"a{index}")
    outputs = []
    kind = type(net.output_activation)
    if kind in (Sigmoid, Softmax):
        if kind is Softmax:
            probabilities = node("Softmax", [z], "probabilities", axis=1)
            index = node("ArgMax", [z], "label_index", axis=1, keepdims=0)
        elif net.n_outputs == 1:
            negative = node("Sigmoid", [node("Neg", [z], "minus_z")], "p_first")
            probabilities = node("Concat", [negative, node("Sigmoid", [z], "p_second")], "probabilities", axis=1)
            zero = constant("zero", np.zeros(1, dtype=dtype))
            flat = node("Squeeze", [node("GreaterOrEqual", [z, zero], "positive"), constant("axis1", np.array([1]))],
                        "positive_flat")  # fmt: skip
            index = node("Cast", [flat], "label_index", to=TensorProto.INT64)
        else:
            p = node("Sigmoid", [z], "units")
            total = node("ReduceSum", [p, constant("axes", np.array([1]))], "total", keepdims=1)
            probabilities = node("Div", [p, total], "probabilities")
            index = node("ArgMax", [z], "label_index", axis=1, keepdims=0)
        classes, label_type = _classes(net._class_labels(), TensorProto)
        constants.append(classes)
        node("Gather", ["classes", index], "label", axis=0)
        outputs = [
            helper.make_tensor_value_info(probabilities, element, [None, max(net.n_outputs, 2)]),
            helper.make_tensor_value_info("label", label_type, [None]),
        ]
    else:
        operator = _OPERATORS[kind]
        node(operator or "Identity", [z], "output")
        outputs = [helper.make_tensor_value_info("output", element, [None, net.n_outputs])]
    graph = helper.make_graph(
        nodes,
        "layernet",
        [helper.make_tensor_value_info("X", element, [None, net.n_features])],
        outputs,
        initializer=constants,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=_IR_VERSION,
        producer_name="layernet",
        doc_string=f"{'-'.join(map(str, net.sizes))} network ({', '.join(net.activations)})",
    )
    names = getattr(net, "feature_names", None)
    if names:
        helper.set_model_props(model, {"feature_names": json.dumps(names)})  # JSON: a name may hold a comma
    onnx.checker.check_model(model, full_check=True)
    if path is not None:
        atomic_write(path, lambda handle: handle.write(model.SerializeToString()))
    return model


def _classes(classes: np.ndarray, TensorProto):
    """The class labels as an ONNX constant, and its element type (int64, double or string)."""
    from onnx import helper, numpy_helper

    if classes.dtype.kind in "biu":
        return numpy_helper.from_array(classes.astype(np.int64), "classes"), TensorProto.INT64
    if classes.dtype.kind == "f":
        return numpy_helper.from_array(classes.astype(np.float64), "classes"), TensorProto.DOUBLE
    values = [str(c).encode("utf-8") for c in classes.tolist()]
    return helper.make_tensor("classes", TensorProto.STRING, [len(values)], values), TensorProto.STRING
