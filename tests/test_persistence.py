"""Model files: round trips, atomic writes, and one clear error for every kind of bad file."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import numpy as np
import pytest

import layernet as ln
from layernet.persistence import FORMAT_VERSION, read_metadata


@pytest.fixture
def trained(moons):
    X, y = moons
    net = ln.Network([2, 4, 2], hidden="tanh", output="softmax").init(seed=0)
    net.scaler = ln.Scaler.fit(X)
    ln.train(net, X, np.where(y == 1, "upper", "lower"), lambda_=0.01, method="lbfgs", max_iter=100)
    return net, X


def test_save_load_predict_identically(tmp_path, trained):
    net, X = trained
    path = ln.save(net, tmp_path / "model.npz")
    back = ln.load(path)
    assert back.sizes == net.sizes and back.activations == net.activations
    np.testing.assert_array_equal(back.theta, net.theta)
    np.testing.assert_array_equal(back.predict(X), net.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), net.predict_proba(X))
    assert list(back.classes_) == ["lower", "upper"]
    np.testing.assert_array_equal(back.scaler.mean, net.scaler.mean)
    assert back.training_summary["method"] == "lbfgs"
    metadata = read_metadata(path)
    assert metadata["format_version"] == FORMAT_VERSION and metadata["layernet_version"] == ln.__version__


def test_numeric_classes_keep_their_dtype(tmp_path, xor):
    X, y = xor
    net = ln.Network([2, 3, 2]).init(seed=0)
    ln.train(net, X, y + 0.5, method="lbfgs", max_iter=5)
    back = ln.load(ln.save(net, tmp_path / "m.npz"))
    assert back.classes_.dtype == np.float64 and list(back.classes_) == [0.5, 1.5]


def test_untrained_network_round_trips(tmp_path):
    net = ln.Network([3, 2]).init(seed=1)
    back = ln.load(ln.save(net, tmp_path / "m.npz"))
    assert back.classes_ is None and back.scaler is None
    np.testing.assert_array_equal(back.theta, net.theta)


def test_save_is_atomic_and_keeps_the_previous_file(tmp_path, trained, monkeypatch):
    net, _ = trained
    path = tmp_path / "model.npz"
    ln.save(net, path)
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        ln.save(net, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.npz"]  # no temporary file left


def test_unregistered_activation_cannot_be_saved(tmp_path):
    cube = ln.Activation("cube", lambda z: z**3, lambda z: 3 * z**2)
    net = ln.Network([ln.Layer(2, 2, cube), ln.Layer(2, 2)]).init(seed=0)
    with pytest.raises(ValueError, match="activation 'cube' is not registered"):
        ln.save(net, tmp_path / "m.npz")
    assert not (tmp_path / "m.npz").exists()


def _model_bytes(net, **changes) -> bytes:
    buffer = io.BytesIO()
    metadata = {"format": "layernet-model", "format_version": 1, "network": net.get_config(), "classes": None}
    metadata.update(changes.pop("metadata", {}))
    arrays = {"theta": net.theta, "metadata": np.array(json.dumps(metadata)), **changes}
    np.savez(buffer, **arrays)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda net, good: good[: len(good) // 2], "not a readable model file|truncated or corrupted"),
        (lambda net, good: b"garbage" * 50, "not a layernet model file|not a readable model file"),
        (lambda net, good: pickle.dumps({"theta": 1}), "pickled data, which layernet never loads"),
        (lambda net, good: _model_bytes(net, metadata={"format_version": 99}), "model format 99.*upgrade layernet"),
        (lambda net, good: _model_bytes(net, metadata={"format": "keras"}), "not a layernet model file"),
        (lambda net, good: _model_bytes(net, theta=np.zeros(3)), "holds 3 parameters"),
        (
            lambda net, good: _model_bytes(net, theta=np.array([object()] * net.n_params, dtype=object)),
            "pickled objects",
        ),
        (
            lambda net, good: _model_bytes(
                net, metadata={"network": {"layers": [{"n_in": 2, "n_out": 2, "activation": "swish"}]}}
            ),
            "cannot be built: unknown activation 'swish'",
        ),
        (lambda net, good: _npz_without_metadata(net), "no 'metadata' array"),
        (lambda net, good: _npy(net), "a single numpy array"),
    ],
)
def test_bad_files_raise_one_clear_error(tmp_path, make, message):
    net = ln.Network([2, 3, 2]).init(seed=0)
    good = ln.save(net, tmp_path / "good.npz").read_bytes()
    path = tmp_path / "bad.npz"
    path.write_bytes(make(net, good))
    with pytest.raises(ln.ModelFileError, match=message) as info:
        ln.load(path)
    assert str(path) in str(info.value)


def _npz_without_metadata(net) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, theta=net.theta)
    return buffer.getvalue()


def _npy(net) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, net.theta)
    return buffer.getvalue()


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ln.ModelFileError, match="no such file"):
        ln.load(tmp_path / "nope.npz")
    with pytest.raises(ln.ModelFileError, match="is a directory"):
        ln.load(tmp_path)


def test_corrupted_member_is_reported(tmp_path):
    net = ln.Network([2, 3, 2]).init(seed=0)
    path = ln.save(net, tmp_path / "m.npz")
    # Rewrite the archive with theta's bytes damaged but the zip structure intact.
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["theta.npy"] = members["theta.npy"][:40]
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ln.ModelFileError):
        ln.load(path)


@pytest.mark.parametrize(
    "metadata, message",
    [
        ({"training": "fast"}, "training record is a str"),
        ({"training": {"iterations": 1.5}}, "'iterations' is 1.5, not int"),
        ({"classes": {"kind": "int64", "values": [0, 1, 2]}}, "records 3 classes for an output layer of 2"),
        ({"classes": {"kind": "int8", "values": [0, 300]}}, "do not fit their dtype int8"),
        ({"classes": {"kind": "float64", "values": [0.5, 0.5]}}, "classes repeat"),
        ({"network": {"layers": [{"n_in": 2, "n_out": 0, "activation": "sigmoid"}]}}, "layer 0 n_out is 0"),
    ],
)
def test_wrongly_typed_fields_raise_model_file_error(tmp_path, metadata, message):
    net = ln.Network([2, 3, 2]).init(seed=0)
    path = tmp_path / "m.npz"
    path.write_bytes(_model_bytes(net, metadata=metadata))
    with pytest.raises(ln.ModelFileError, match=message):
        ln.load(path)


def test_recorded_config_regenerates_generated_data_only(tmp_path):
    from layernet.runner import recorded_config

    net = ln.Network([2, 3, 2])
    net.training_summary = {"config": ln.RunConfig.reference().to_dict()}
    assert recorded_config(net).data.source == "moons"
    net.training_summary = {"config": {"data": {"source": "csv", "path": "/etc/passwd"}}}
    with pytest.raises(ln.ConfigError, match=r"read from a file \(/etc/passwd\).*give DATA"):
        recorded_config(net)


def test_arrays_in_the_training_summary_are_saved_as_lists(tmp_path):
    net = ln.Network([2, 3, 2]).init(seed=0)
    net.training_summary = {"history": np.array([0.5, np.nan, 0.25]), "grid": np.arange(4).reshape(2, 2)}
    ln.save(net, tmp_path / "m.npz")
    summary = ln.load(tmp_path / "m.npz").training_summary
    assert summary["history"] == [0.5, None, 0.25] and summary["grid"] == [[0, 1], [2, 3]]
