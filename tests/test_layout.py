"""The package's shape: a test module per library module, a clean public namespace, imports one way."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import layernet as ln

PACKAGE = Path(ln.__file__).parent
TESTS = Path(__file__).parent

#: Modules of pure numerics: they import no I/O, plotting, configuration, typer or rich.
NUMERICS = ("activations", "packing", "layers", "losses", "_engine", "network", "optimize")


def library_modules() -> list[str]:
    names = [path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"]
    names += [path.name for path in PACKAGE.iterdir() if (path / "__init__.py").exists() and path.name != "configs"]
    return sorted(names)


@pytest.mark.parametrize("module", library_modules())
def test_every_library_module_has_its_test_module(module):
    assert (TESTS / f"test_{module.lstrip('_')}.py").exists(), f"tests/test_{module.lstrip('_')}.py is missing"


def test_the_public_namespace_holds_the_api_and_nothing_else():
    public = {name for name in dir(ln) if not name.startswith("_")}
    assert not {"TYPE_CHECKING", "annotations", "import_module"} & public
    assert set(ln.__all__) <= public
    for name in ln.__all__:
        getattr(ln, name)  # every advertised name resolves


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
    return found


@pytest.mark.parametrize("module", NUMERICS)
def test_numerics_modules_import_no_io_plotting_or_config(module):
    imports = _imports(PACKAGE / f"{module}.py")
    banned = {".config", ".persistence", ".plotting", ".runner", ".datasets", ".study", "matplotlib", "typer", "rich"}
    assert not imports & banned, imports & banned


def test_the_library_never_imports_the_cli_typer_rich_or_its_own_root():
    for path in PACKAGE.rglob("*.py"):
        imports = _imports(path)
        assert not {"typer", "rich", "layernet_cli"} & imports, path
        assert "layernet" not in imports and "." not in imports or path.name == "__init__.py", path
