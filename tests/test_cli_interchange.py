"""`layernet export` and `layernet import`: ONNX, .mat and CSV out; .mat thetas and MLP pickles in."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.io
from typer.testing import CliRunner

import layernet as ln
from layernet_cli.app import app

runner = CliRunner()


@pytest.fixture
def model(tmp_path, rng):
    net = ln.Network([3, 4, 3], hidden="tanh", output="softmax").init(seed=0)
    net.classes_ = np.array([2, 4, 8])
    net.scaler = ln.Scaler(rng.normal(size=3), rng.uniform(0.5, 2, size=3))
    ln.save(net, tmp_path / "model.npz")
    return net, tmp_path / "model.npz"


def test_export_csv_writes_each_layer_matrix_exactly(tmp_path, model):
    net, path = model
    result = runner.invoke(app, ["export", str(path), str(tmp_path / "weights"), "--format", "csv"])
    assert result.exit_code == 0, result.output
    thetas = net.packer.unpack(net.theta)
    for k, theta in enumerate(thetas, 1):
        np.testing.assert_array_equal(np.loadtxt(tmp_path / "weights" / f"Theta{k}.csv", delimiter=","), theta)
    np.testing.assert_array_equal(np.loadtxt(tmp_path / "weights" / "mu.csv", delimiter=","), net.scaler.mean)


def test_export_mat_then_import_gives_the_same_network(tmp_path, model):
    net, path = model
    result = runner.invoke(app, ["export", str(path), str(tmp_path / "thetas.mat"), "--unrolled"])
    assert result.exit_code == 0, result.output
    assert {"Theta1", "Theta2", "nn_params", "mu", "sigma", "classes"} <= set(scipy.io.loadmat(tmp_path / "thetas.mat"))
    result = runner.invoke(
        app,
        ["import", str(tmp_path / "thetas.mat"), str(tmp_path / "back.npz"), "--hidden", "tanh", "--output", "softmax"],
    )
    assert result.exit_code == 0, result.output
    back = ln.load(tmp_path / "back.npz")
    np.testing.assert_array_equal(back.theta, net.theta)
    assert back.classes_.tolist() == [2, 4, 8] and back.activations == ["tanh", "softmax"]
    np.testing.assert_array_equal(back.scaler.scale, net.scaler.scale)


def test_import_an_unrolled_octave_vector_with_its_layers(tmp_path):
    vector = np.arange(17, dtype=float)[:, None] / 10
    scipy.io.savemat(tmp_path / "nn.mat", {"nn_params": vector})
    result = runner.invoke(app, ["import", str(tmp_path / "nn.mat"), str(tmp_path / "nn.npz")])
    assert result.exit_code == 1 and "give the layer sizes" in result.output
    result = runner.invoke(app, ["import", str(tmp_path / "nn.mat"), str(tmp_path / "nn.npz"), "--layers", "2,3,2"])
    assert result.exit_code == 0, result.output
    theta1 = ln.load(tmp_path / "nn.npz").packer.unpack(ln.load(tmp_path / "nn.npz").theta)[0]
    assert theta1[1, 0] == 0.1 and theta1[0, 1] == 0.3  # column by column: Octave's reshape(v(1:9), 3, 3)


def test_export_onnx_runs_in_onnxruntime(tmp_path, model, rng):
    ort = pytest.importorskip("onnxruntime")
    net, path = model
    result = runner.invoke(app, ["export", str(path), str(tmp_path / "model.onnx")])
    assert result.exit_code == 0, result.output
    session = ort.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])
    X = rng.normal(size=(8, 3))
    probabilities, labels = session.run(None, {"X": X})
    np.testing.assert_allclose(probabilities, net.predict_proba(X), rtol=0, atol=1e-12)
    np.testing.assert_array_equal(labels, net.predict(X))


def test_a_pickle_is_imported_only_when_trusted(tmp_path, rng):
    import joblib
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = rng.normal(size=(30, 2)), np.arange(30) % 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp = MLPClassifier(hidden_layer_sizes=(4,), max_iter=10, random_state=0).fit(X, y)
    joblib.dump(mlp, tmp_path / "mlp.joblib")
    refused = runner.invoke(app, ["import", str(tmp_path / "mlp.joblib"), str(tmp_path / "mlp.npz")])
    assert refused.exit_code == 1 and "runs code" in refused.output and "--trust-pickle" in refused.output
    assert not (tmp_path / "mlp.npz").exists()
    result = runner.invoke(app, ["import", str(tmp_path / "mlp.joblib"), str(tmp_path / "mlp.npz"), "--trust-pickle"])
    assert result.exit_code == 0, result.output
    np.testing.assert_allclose(ln.load(tmp_path / "mlp.npz").predict_proba(X), mlp.predict_proba(X), atol=1e-12)
    assert "runs code" in runner.invoke(app, ["import", "--help"]).output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "{model}", "{tmp}/out.txt"], "give --format onnx, mat or csv"),
        (["export", "{model}", "{tmp}/out.txt", "--format", "xls"], "--format must be onnx, mat or csv"),
        (["import", "{model}", "{tmp}/out.npz"], "import reads .mat files and scikit-learn pickles"),
        (["import", "{tmp}/missing.pkl", "{tmp}/out.npz", "--trust-pickle"], "no such file"),
        (["import", "{tmp}/m.pkl", "{tmp}/out.npz", "--layers", "2,3,2"], "--layers apply to .mat files"),
    ],
)
def test_mistakes_are_one_line_and_exit_1(tmp_path, model, args, message):
    args = [a.format(model=model[1], tmp=tmp_path) for a in args]
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and message in result.output and "Traceback" not in result.output
