"""User activations: --import MODULE, the layernet.activations entry-point group, and show on any model."""

from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest
from typer.testing import CliRunner

import layernet as ln
from layernet import plugins
from layernet.activations import _REGISTRY
from layernet_cli.app import app

runner = CliRunner()

SOFTPLUS = '''
import numpy as np
import layernet as ln


class {name}(ln.Activation):
    """log(1 + e^z), whose derivative is the logistic sigmoid."""

    name = "{key}"

    def forward(self, z, out=None):
        return np.logaddexp(0.0, z, out=out)

    def derivative(self, z, a, out=None):
        return np.divide(1.0, 1.0 + np.exp(-z), out=out)
'''


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """A clean plug-in state: tmp_path on sys.path, and whatever the test registers removed after it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv(plugins.MODULES_VARIABLE, raising=False)
    monkeypatch.setattr(plugins, "_loaded_entry_points", False)
    monkeypatch.setattr(plugins, "_imported", set())
    before = dict(_REGISTRY)
    yield tmp_path
    _REGISTRY.clear()
    _REGISTRY.update(before)
    for name, module in list(sys.modules.items()):  # only the test's own modules, never numpy's
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]


def _module(folder, module, key="softplus_test"):
    source = SOFTPLUS.format(name="Softplus", key=key) + "\nln.register_activation(Softplus)\n"
    (folder / f"{module}.py").write_text(source)


def test_import_registers_and_the_activation_trains(isolated):
    _module(isolated, "my_activations")
    model = isolated / "model.npz"
    args = ["train", "--import", "my_activations", "--hidden", "softplus_test", "--max-iter", "3", "--json"]
    result = runner.invoke(app, [*args, "--save", str(model)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["activations"] == ["softplus_test", "sigmoid"]
    # The oracle for what was registered: the formula itself, and a central difference for the derivative.
    act = ln.get_activation("softplus_test")
    z = np.linspace(-4, 4, 9)
    assert np.allclose(act.forward(z), np.log1p(np.exp(z)))
    numerical = (act.forward(z + 1e-6) - act.forward(z - 1e-6)) / 2e-6
    assert np.allclose(act.derivative(z, act.forward(z)), numerical, atol=1e-8)
    # Worker processes started later learn the module from the environment.
    assert "my_activations" in plugins.os.environ[plugins.MODULES_VARIABLE].split(",")


def test_show_describes_a_model_whose_activation_is_not_registered(isolated):
    _module(isolated, "gone_activations", key="softplus_gone")
    model = isolated / "model.npz"
    args = ["train", "--import", "gone_activations", "--hidden", "softplus_gone", "--max-iter", "2", "-q"]
    assert runner.invoke(app, [*args, "--save", str(model)]).exit_code == 0
    del _REGISTRY["softplus_gone"]  # as in a fresh process that never imported the module
    plugins.os.environ.pop(plugins.MODULES_VARIABLE)
    result = runner.invoke(app, ["show", str(model)])
    assert result.exit_code == 0, result.output
    assert "2-3-2" in result.output and "softplus_gone (not registered here)" in result.output
    assert "'softplus_gone' cannot be built here" in result.output and "--import" in result.output
    # And loading it, which builds the network, still refuses with the name.
    with pytest.raises(ln.ModelFileError, match="softplus_gone"):
        ln.load(model)


def test_an_entry_point_registers_on_the_first_unknown_name(isolated):
    package = isolated / "plug_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(SOFTPLUS.format(name="Softplus", key="softplus_ep"))
    info = isolated / "plug_pkg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: plug-pkg\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[layernet.activations]\nsoftplus_ep = plug_pkg:Softplus\n")
    assert "softplus_ep" not in ln.available_activations()
    net = ln.Network([2, 3, 2], hidden="softplus_ep")  # found through the entry point
    assert net.activations == ["softplus_ep", "sigmoid"]


def test_a_broken_entry_point_is_named(isolated):
    info = isolated / "broken_pkg-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-pkg\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[layernet.activations]\nnothing = no_such_module_here:Thing\n")
    with pytest.raises(ln.LayerNetError, match=r"entry point 'nothing' .* of the package 'broken-pkg' cannot be"):
        ln.get_activation("not_registered_anywhere")


@pytest.mark.parametrize(
    "source, expected",
    [
        (None, "--import missing_mod_xyz: cannot import activations from 'missing_mod_xyz': no module named"),
        ("raise RuntimeError('boom')\n", "--import bad_mod_xyz: cannot import activations from 'bad_mod_xyz': Runtime"),
    ],
)
def test_import_errors_are_one_red_line(isolated, source, expected):
    name = "missing_mod_xyz" if source is None else "bad_mod_xyz"
    if source is not None:
        (isolated / f"{name}.py").write_text(textwrap.dedent(source))
    result = runner.invoke(app, ["train", "--import", name])
    assert result.exit_code == 1
    assert result.output.strip().startswith("error: " + expected.split(": ", 1)[0]) and expected in result.output
