"""RunConfig: the packaged reference, TOML round trips, and errors that name the field."""

from __future__ import annotations

import pytest

import layernet as ln
from layernet.config import reference_toml


def test_reference_is_the_blog_network():
    cfg = ln.RunConfig.reference()
    assert cfg.seed == 0
    assert (cfg.data.source, cfg.data.n_samples, cfg.data.noise, cfg.data.test_size) == ("moons", 200, 0.2, 0.0)
    assert cfg.network.layers == (2, 3, 2)
    assert (cfg.network.hidden, cfg.network.output) == ("sigmoid", "sigmoid")
    assert (cfg.training.method, cfg.training.lambda_, cfg.training.max_iter) == ("cg", 0.001, None)


def test_toml_round_trip(tmp_path):
    cfg = ln.RunConfig.reference().override(
        {"network.layers": [2, 5, 4, 2], "network.hidden": ["tanh", "relu"], "training.tol": 1e-6, "data.label": "y"}
    )
    path = tmp_path / "run.toml"
    path.write_text(cfg.to_toml())
    back = ln.RunConfig.from_toml(path)
    assert back.to_dict() == cfg.to_dict()
    assert back.network.hidden == ("tanh", "relu")


def test_reference_text_is_commented_and_loads(tmp_path):
    text = reference_toml()
    assert text.count("#") > 10
    path = tmp_path / "reference.toml"
    path.write_text(text)
    assert ln.RunConfig.from_toml(path).to_dict() == ln.RunConfig.reference().to_dict()


def test_defaults_from_an_almost_empty_file(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text("[network]\nlayers = [2, 4, 2]\n")
    cfg = ln.RunConfig.from_toml(path)
    assert cfg.network.layers == (2, 4, 2) and cfg.training.method == "cg" and cfg.seed is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("[training]\nlamda = 0.1\n", r"unknown key 'lamda' in \[training\] \(did you mean 'lambda'\?\)"),
        ("sed = 1\n", "unknown key 'sed' in the top level"),
        ("[dataa]\n", "unknown key 'dataa'"),
        ("[training]\nlambda = -1\n", "training.lambda must be a finite number >= 0 or 'auto', got -1"),
        ("[training]\nmethod = 'adam'\n", "training.method must be one of 'cg', 'lbfgs', .*, got 'adam'"),
        ("[training]\nmax_iter = 0\n", r"training.max_iter must be an integer >= 1 \(or None\), got 0"),
        ("[training]\nmomentum = 1.0\n", r"training.momentum must be a finite number in \[0, 1\)"),
        ("[training]\ntol = 0\n", r"training.tol must be a finite number > 0"),
        ("[data]\ntest_size = 1.0\n", r"data.test_size must be a finite number in \[0, 1\)"),
        ("[data]\nsource = 'mnist'\n", "data.source must be one of"),
        ("[data]\nsource = 'csv'\n", "data.path is required"),
        ("[data]\nscale = 'yes'\n", "data.scale must be true or false"),
        ("[data]\nn_samples = 1\n", "data.n_samples must be an integer >= 2"),
        ("[network]\nlayers = [2]\n", "network.layers must be a list of at least two layer sizes"),
        ("[network]\nlayers = [2, 0, 2]\n", r"network.layers\[1\] must be an integer >= 1, got 0"),
        ("[network]\nhidden = 'swish'\n", "network.hidden: unknown activation 'swish'; hidden activations: identity,"),
        ("[network]\nlayers = [2, 3, 3, 2]\nhidden = ['tanh']\n", "network.hidden lists 1 activation"),
        ("seed = -1\n", r"seed must be an integer in \[0, 4294967295\] \(or None\), got -1"),
        ("data = 3\n", r"\[data\] must be a table"),
        ("[training\nlambda = 1\n", r"invalid TOML: .*line 1"),
        ("[training]\nlambda = \n", r"invalid TOML: .*line 2"),
    ],
)
def test_bad_configs_name_the_file_and_field(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ln.ConfigError, match=message) as info:
        ln.RunConfig.from_toml(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(ln.ConfigError, match="no such file"):
        ln.RunConfig.from_toml(tmp_path / "nope.toml")
    with pytest.raises(ln.ConfigError, match="is a directory"):
        ln.RunConfig.from_toml(tmp_path)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ln.ConfigError, match="cannot be read"):
        ln.RunConfig.from_toml(binary)


def test_override_validates_and_ignores_none():
    cfg = ln.RunConfig.reference()
    assert cfg.override({"training.method": None}).training.method == "cg"
    assert cfg.override({"seed": 7}).seed == 7
    with pytest.raises(ln.ConfigError, match="training.lambda"):
        cfg.override({"training.lambda": -2.0})
