"""Models in and out: .mat thetas, scikit-learn's MLPs, ONNX -- each checked against an outside oracle.

The oracles: the course's formulas written plainly (``reference``) and Octave's column-major
``reshape`` written as loops, for .mat files; scikit-learn's own ``predict_proba`` for the MLPs;
onnxruntime running the exported graph, for ONNX.
"""

from __future__ import annotations

import json
import struct
import warnings
import zlib

import numpy as np
import pytest
import scipy.io
from reference import reference_cost_and_grad, unroll

import layernet as ln

# -- Octave / MATLAB ---------------------------------------------------------------------------


def octave_reshape(vector, rows, columns):
    """Octave's reshape(v, rows, columns): the matrix filled column by column, written as loops."""
    matrix = np.empty((rows, columns))
    k = 0
    for j in range(columns):
        for i in range(rows):
            matrix[i, j] = vector[k]
            k += 1
    return matrix


def octave_unroll(matrices):
    """Octave's [Theta1(:); Theta2(:)]: each matrix read column by column, written as loops."""
    return np.array([m[i, j] for m in matrices for j in range(m.shape[1]) for i in range(m.shape[0])])


@pytest.fixture
def course(rng):
    """A 3-4-3 problem with thetas built the way the course's Octave code builds them."""
    sizes = [3, 4, 3]
    nn_params = rng.normal(size=4 * 4 + 3 * 5)  # what fmincg hands back: one unrolled vector
    Theta1 = octave_reshape(nn_params[:16], 4, 4)  # reshape(nn_params(1:h*(n+1)), h, n+1)
    Theta2 = octave_reshape(nn_params[16:], 3, 5)
    X = rng.normal(size=(12, 3))
    y = rng.integers(1, 4, size=12)  # the course's labels: 1..K
    return sizes, nn_params, Theta1, Theta2, X, y


def _cost_and_grad_match(net, sizes, thetas, X, y, lambda_=0.1):
    Y = (y[:, None] == np.arange(1, sizes[-1] + 1)).astype(float)  # the course's eye(K)(y, :)
    J, grad = net.cost_and_grad(None, X, net.encode(y), lambda_)
    J_ref, grad_ref = reference_cost_and_grad(sizes, "sigmoid", unroll(thetas), X, Y, lambda_)
    assert J == pytest.approx(J_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-13)


def test_octave_unrolled_vector_and_theta_matrices_give_the_courses_cost_and_gradient(tmp_path, course):
    sizes, nn_params, Theta1, Theta2, X, y = course
    scipy.io.savemat(tmp_path / "thetas.mat", {"Theta1": Theta1, "Theta2": Theta2}, do_compression=True)
    scipy.io.savemat(tmp_path / "unrolled.mat", {"nn_params": nn_params[:, None]})
    from_matrices = ln.from_mat(tmp_path / "thetas.mat")
    from_vector = ln.from_mat(tmp_path / "unrolled.mat", layers=sizes, order="F")
    assert from_matrices.sizes == sizes and from_matrices.classes_.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(from_vector.theta, from_matrices.theta)
    _cost_and_grad_match(from_matrices, sizes, [Theta1, Theta2], X, y)

    # Round trip: to_mat writes the course's variables, read back to the same cost and gradient.
    ln.to_mat(from_matrices, tmp_path / "out.mat", unrolled=True)
    written = scipy.io.loadmat(tmp_path / "out.mat")
    np.testing.assert_array_equal(written["Theta1"], Theta1)
    np.testing.assert_array_equal(written["nn_params"].ravel(), octave_unroll([Theta1, Theta2]))
    again = ln.from_mat(tmp_path / "out.mat")
    np.testing.assert_array_equal(again.theta, from_matrices.theta)
    _cost_and_grad_match(again, sizes, [Theta1, Theta2], X, y)


def test_row_major_unrolling_is_the_blogs_theta(tmp_path, course):
    sizes, _, Theta1, Theta2, _, _ = course
    scipy.io.savemat(tmp_path / "c.mat", {"theta": unroll([Theta1, Theta2])})
    net = ln.from_mat(tmp_path / "c.mat", layers=sizes, order="C")
    np.testing.assert_array_equal(net.theta, unroll([Theta1, Theta2]))


def test_digit_labels_and_feature_normalization(tmp_path, rng):
    thetas = {"Theta1": rng.normal(size=(5, 3)), "Theta2": rng.normal(size=(10, 6))}
    mu, sigma = np.array([[1.0, -2.0]]), np.array([[2.0, 0.5]])
    scipy.io.savemat(tmp_path / "digits.mat", {**thetas, "mu": mu, "sigma": sigma})
    net = ln.from_mat(tmp_path / "digits.mat", classes="digits")
    assert net.classes_.tolist() == [1, 2, 3, 4, 5, 6, 7, 8, 9, 0]  # label 10 is the digit 0
    X = rng.normal(size=(6, 2))
    raw = ln.Network([2, 5, 10])
    raw.theta = np.concatenate([thetas["Theta1"].ravel(), thetas["Theta2"].ravel()])
    np.testing.assert_array_equal(net.forward(X), raw.forward((X - mu) / sigma))
    assert ln.from_mat(tmp_path / "digits.mat", classes=list("abcdefghij")).classes_[0] == "a"


@pytest.mark.parametrize(
    ("variables", "kwargs", "message"),
    [
        ({"nn_params": np.ones((31, 1))}, {}, "give the layer sizes"),
        ({"nn_params": np.ones((31, 1))}, {"layers": [3, 5, 3]}, "holds 31 values, a 3-5-3 network has 38"),
        ({"Theta1": np.ones((4, 4)), "Theta2": np.ones((3, 6))}, {}, "Theta2 has 6 columns but Theta1 has 4 rows"),
        ({"Theta1": np.ones((4, 4)), "Theta3": np.ones((3, 5))}, {}, "not numbered 1 to 2"),
        ({"Theta1": np.ones((4, 4)), "Theta2": np.ones((3, 5))}, {"layers": [3, 5, 3]}, "not the 3-5-3 asked for"),
        ({"Theta1": np.ones((4, 4)), "Theta2": np.ones((3, 5))}, {"classes": "digits"}, "needs 10 output units"),
        ({"Theta1": np.full((4, 4), np.nan), "Theta2": np.ones((3, 5))}, {}, "non-finite"),
        ({"a": np.ones((2, 2)), "b": np.ones((3, 3))}, {}, "variables: a, b"),
    ],
)
def test_files_that_are_no_network_are_refused_by_name(tmp_path, variables, kwargs, message):
    scipy.io.savemat(tmp_path / "bad.mat", variables)
    with pytest.raises(ln.ModelFileError, match=message):
        ln.from_mat(tmp_path / "bad.mat", **kwargs)


def test_v73_octave_text_and_foreign_files_are_refused(tmp_path):
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64".ljust(116) + bytes(8) + b"\x00\x02IM"
    (tmp_path / "v73.mat").write_bytes(header.ljust(512, b"\0") + b"\x89HDF\r\n\x1a\n" + bytes(64))
    with pytest.raises(ln.ModelFileError, match=r"v7\.3 \(HDF5\).*save -v7"):
        ln.from_mat(tmp_path / "v73.mat")
    (tmp_path / "text.mat").write_text("# Created by Octave 8.4.0\n# name: Theta1\n")
    with pytest.raises(ln.ModelFileError, match="Octave text file"):
        ln.from_mat(tmp_path / "text.mat")
    (tmp_path / "junk.mat").write_bytes(b"\x01\x02 not a mat file at all" * 10)
    with pytest.raises(ln.ModelFileError, match="not a readable MAT file"):
        ln.from_mat(tmp_path / "junk.mat")
    with pytest.raises(ln.ModelFileError, match="no such file"):
        ln.from_mat(tmp_path / "missing.mat")
    with pytest.raises(ln.ModelFileError, match="is a directory"):
        ln.from_mat(tmp_path)
    scipy.io.savemat(tmp_path / "whole.mat", {"Theta1": np.ones((3, 3)), "Theta2": np.ones((2, 4))})
    (tmp_path / "cut.mat").write_bytes((tmp_path / "whole.mat").read_bytes()[:-20])
    with pytest.raises(ln.ModelFileError, match="truncated"):
        ln.from_mat(tmp_path / "cut.mat")


def test_a_version_4_file_is_read_too(tmp_path, course):
    sizes, _, Theta1, Theta2, _, _ = course
    scipy.io.savemat(tmp_path / "v4.mat", {"Theta1": Theta1, "Theta2": Theta2}, format="4")
    net = ln.from_mat(tmp_path / "v4.mat")
    np.testing.assert_array_equal(net.theta, unroll([Theta1, Theta2]))


def test_a_compressed_variable_is_inflated_only_up_to_the_bound(tmp_path):
    # A crafted variable: its matrix header says 1 x 1, its data element claims 8 MiB of zeros,
    # which deflate to a few kilobytes. scipy would inflate all of it before noticing.
    def element(mdtype, payload):
        return struct.pack("<II", mdtype, len(payload)) + payload + bytes(-len(payload) % 8)

    flags = element(6, struct.pack("<II", 6, 0))  # miUINT32: class double
    dims = element(5, struct.pack("<ii", 1, 1))  # miINT32: 1 x 1
    name = element(1, b"Theta1")
    big = struct.pack("<II", 9, 8 << 20) + bytes(8 << 20)  # miDOUBLE, 8 MiB
    matrix = element(14, flags + dims + name + big)
    compressed = zlib.compress(matrix, 9)
    header = b"MATLAB 5.0 MAT-file".ljust(116) + bytes(8) + b"\x00\x01IM"
    (tmp_path / "bomb.mat").write_bytes(header + struct.pack("<II", 15, len(compressed)) + compressed)
    assert (tmp_path / "bomb.mat").stat().st_size < 64 << 10
    with pytest.raises(ln.ModelFileError, match="inflate to more than 1,048,576 bytes"):
        ln.from_mat(tmp_path / "bomb.mat", max_bytes=1 << 20)
    with pytest.raises(ln.ModelFileError, match="more than the 100 a .mat file may have"):
        ln.from_mat(tmp_path / "bomb.mat", max_bytes=100)


# -- scikit-learn ------------------------------------------------------------------------------


def _fitted(estimator, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # a few iterations are enough here
        return estimator.fit(X, y)


@pytest.mark.parametrize(
    ("hidden", "activation", "n_classes"),
    [((4,), "logistic", 2), ((5, 3), "tanh", 3), ((6,), "relu", 4), ((3,), "identity", 2)],
)
def test_from_sklearn_classifier_agrees_with_its_predict_proba(rng, hidden, activation, n_classes):
    from sklearn.neural_network import MLPClassifier

    X = rng.normal(size=(40, 3))
    y = np.array(["ant", "bee", "cat", "dog"])[np.arange(40) % n_classes]
    mlp = _fitted(MLPClassifier(hidden_layer_sizes=hidden, activation=activation, max_iter=20, random_state=0), X, y)
    net = ln.from_sklearn(mlp)
    assert net.sizes == [3, *hidden, 1 if n_classes == 2 else n_classes]
    np.testing.assert_allclose(net.predict_proba(X), mlp.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(net.predict(X), mlp.predict(X))


def _network(sizes, hidden, output, classes, rng, scaled=False):
    net = ln.Network(sizes, hidden=hidden, output=output).init(seed=int(rng.integers(1000)))
    net.classes_ = None if classes is None else np.asarray(classes)
    if scaled:
        net.scaler = ln.Scaler(rng.normal(size=sizes[0]), rng.uniform(0.5, 2.0, size=sizes[0]))
    return net


@pytest.mark.parametrize(
    ("sizes", "hidden", "output", "classes", "scaled"),
    [
        ([3, 4, 1], "sigmoid", "sigmoid", [0, 1], False),
        ([3, 4, 1], "tanh", "sigmoid", ["yes", "no"], True),  # descending classes: the unit is negated
        ([3, 5, 5, 3], "relu", "softmax", ["c", "a", "b"], True),  # unsorted: the units are reordered
        ([3, 2, 2], "identity", "softmax", None, False),
    ],
)
def test_to_sklearn_agrees_with_the_networks_predict_proba(rng, sizes, hidden, output, classes, scaled):
    net = _network(sizes, hidden, output, classes, rng, scaled)
    model = ln.to_sklearn(net)
    X = rng.normal(size=(30, 3)) * 3
    columns = [list(model.classes_).index(c) for c in net._class_labels().tolist()]
    np.testing.assert_allclose(model.predict_proba(X)[:, columns], net.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(model.predict(X), net.predict(X))
    back = ln.from_sklearn(model)
    np.testing.assert_allclose(back.predict_proba(X)[:, columns], net.predict_proba(X), rtol=0, atol=1e-12)
    assert (back.scaler is not None) == scaled


def test_regressors_convert_both_ways(rng):
    from sklearn.neural_network import MLPRegressor

    X, y = rng.normal(size=(30, 2)), rng.normal(size=30)
    mlp = _fitted(MLPRegressor(hidden_layer_sizes=(4,), activation="tanh", max_iter=20, random_state=0), X, y)
    net = ln.from_sklearn(mlp)
    assert net.activations == ["tanh", "identity"]
    np.testing.assert_allclose(net.forward(X)[:, 0], mlp.predict(X), rtol=0, atol=1e-12)
    model = ln.to_sklearn(net)
    np.testing.assert_allclose(model.predict(X), mlp.predict(X), rtol=0, atol=1e-12)


def test_what_scikit_learn_cannot_represent_is_listed():
    net = ln.Network([3, 4, 4, 3], hidden=["tanh", "relu"], output="sigmoid")
    with pytest.raises(ln.LayerNetError) as caught:
        ln.to_sklearn(net)
    message = str(caught.value)
    assert "its hidden layers use tanh, relu" in message and "3 sigmoid output units" in message
    with pytest.raises(ln.LayerNetError, match="no hidden layer"):
        ln.to_sklearn(ln.Network([3, 1]))
    with pytest.raises(ln.LayerNetError, match="not fitted"):
        from sklearn.neural_network import MLPClassifier

        ln.from_sklearn(MLPClassifier())
    with pytest.raises(ln.LayerNetError, match="got LinearRegression"):
        from sklearn.linear_model import LinearRegression

        ln.from_sklearn(LinearRegression())


# -- ONNX --------------------------------------------------------------------------------------

CASES = [
    ([3, 4, 1], "sigmoid", "sigmoid", [0, 1]),
    ([3, 6, 5, 3], ["tanh", "relu"], "softmax", ["setosa", "versicolor", "virginica"]),
    ([3, 5, 4], "identity", "sigmoid", [7, 3, 9, 1]),  # the course's one-vs-all units, unsorted classes
    ([3, 8, 8, 8, 2], "relu", "softmax", [0.5, 1.5]),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("sizes", "hidden", "output", "classes"), CASES)
def test_onnxruntime_agrees_with_predict_proba(tmp_path, rng, dtype, sizes, hidden, output, classes):
    ort = pytest.importorskip("onnxruntime")
    net = _network(sizes, hidden, output, classes, rng, scaled=True)
    X = rng.normal(size=(50, 3)) * 2
    ln.to_onnx(net, tmp_path / "model.onnx", dtype=dtype)
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    assert [o.name for o in session.get_outputs()] == ["probabilities", "label"]
    probabilities, labels = session.run(None, {"X": X.astype(dtype)})
    tolerance = 1e-12 if dtype == "float64" else 1e-6
    np.testing.assert_allclose(probabilities, net.predict_proba(X), rtol=0, atol=tolerance)
    np.testing.assert_array_equal(labels, net.predict(X))


def test_a_regression_network_exports_its_outputs(rng):
    ort = pytest.importorskip("onnxruntime")
    net = ln.Network([2, 3, 2], hidden="tanh", output="identity").init(seed=0)
    model = ln.to_onnx(net)
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    X = rng.normal(size=(10, 2))
    np.testing.assert_allclose(session.run(["output"], {"X": X})[0], net.forward(X), rtol=0, atol=1e-12)


def test_an_activation_without_an_onnx_operator_is_refused_by_name():
    softsign = ln.Activation("softsign_onnx_test", lambda z: z / (1 + np.abs(z)), lambda z: 1 / (1 + np.abs(z)) ** 2)
    net = ln.Network([2, 3, 2], hidden=softsign)
    with pytest.raises(ln.LayerNetError, match=r"activation 'softsign_onnx_test' \(layer 1\) has no ONNX equivalent"):
        ln.to_onnx(net)


def test_feature_names_travel_to_scikit_learn_and_onnx(rng):
    net = _network([2, 3, 1], "tanh", "sigmoid", [0, 1], rng)
    net.feature_names = ["width, in cm", "height"]
    assert ln.to_sklearn(net).feature_names_in_.tolist() == ["width, in cm", "height"]
    assert ln.from_sklearn(ln.to_sklearn(net)).feature_names == ["width, in cm", "height"]
    pytest.importorskip("onnx")
    properties = {p.key: p.value for p in ln.to_onnx(net).metadata_props}
    assert json.loads(properties["feature_names"]) == ["width, in cm", "height"]


def test_only_numeric_variables_of_a_bounded_declared_size_are_read(tmp_path):
    # A cell array declaring 2^40 cells: scipy would allocate them all before reading any.
    def element(mdtype, payload):
        return struct.pack("<II", mdtype, len(payload)) + payload + bytes(-len(payload) % 8)

    def matrix(name, klass, dims, data=b""):
        header = element(6, struct.pack("<II", klass, 0)) + element(5, struct.pack("<ii", *dims)) + element(1, name)
        return element(14, header + data)

    cells = matrix(b"junk", 1, (1 << 20, 1 << 20))  # class 1: a cell array
    theta1 = matrix(b"Theta1", 6, (1, 2), element(9, np.array([0.5, 2.0]).tobytes()))
    theta2 = matrix(b"Theta2", 6, (1, 2), element(9, np.array([-1.0, 3.0]).tobytes()))
    header = b"MATLAB 5.0 MAT-file".ljust(116) + bytes(8) + b"\x00\x01IM"
    (tmp_path / "cells.mat").write_bytes(header + cells + theta1 + theta2)
    net = ln.from_mat(tmp_path / "cells.mat")
    assert net.sizes == [1, 1, 1] and net.theta.tolist() == [0.5, 2.0, -1.0, 3.0]
    huge = matrix(b"Theta1", 6, (1 << 20, 1 << 20), element(9, bytes(16)))
    (tmp_path / "huge.mat").write_bytes(header + huge)
    with pytest.raises(ln.ModelFileError, match=r"declares a \(1048576, 1048576\) matrix"):
        ln.from_mat(tmp_path / "huge.mat")


def test_hostile_mat_inputs_get_one_model_file_error(tmp_path):
    import os

    fifo = tmp_path / "pipe.mat"
    os.mkfifo(fifo)  # reading would block forever: refused before opening
    garbage = tmp_path / "garbage.mat"
    garbage.write_bytes(os.urandom(300))
    truncated = tmp_path / "truncated.mat"
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.to_mat(net, tmp_path / "whole.mat")
    truncated.write_bytes((tmp_path / "whole.mat").read_bytes()[:200])
    for path in (fifo, garbage, truncated, tmp_path / "missing.mat", tmp_path):
        with pytest.raises(ln.ModelFileError):
            ln.from_mat(path)
