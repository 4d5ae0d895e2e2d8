"""The README as a script: every Python snippet runs, on a plain install's dependencies and with the test extra.

A fresh virtual environment per run would take minutes, so one subprocess runs the README's
Python blocks in order, in one namespace (a reader going from top to bottom: "Gradient
checking" checks the network of "From Python"), in two phases:

1. **plain install**: every block runs with the modules that only the optional extras bring
   (pyproject's ``[project.optional-dependencies]``, with everything they pull in that the
   required dependencies do not) made unimportable by a meta-path finder that raises
   ``ModuleNotFoundError``, as a missing package does. The finder records which blocks try to
   import one of them.
2. **test extra**: the finder removed, those blocks run again from the namespace they started
   from, now with pandas, Dask and the rest importable. A block that never tried to import an
   optional module runs the same code either way (importing is how code finds out whether a
   module is there), so running it again would only repeat the plain phase. One process, so
   one limit: a module imported during the plain phase (scikit-learn, which looks for pandas
   when it is imported) keeps what it found then.

The hidden set is computed from the installed packages' metadata, not listed by hand, so an
extra gaining a dependency is hidden too. The study and grid-search snippets are shrunk (each
replacement must match the README exactly once, so the README cannot drift from the test);
their code paths are the README's.

The command-line section's commands run in-process through Typer's ``CliRunner``.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
from packaging.requirements import Requirement
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

#: Where the README's long runs are made short: (README text, what the test runs instead).
SHRUNK = [
    ("cfg = ln.RunConfig.reference()  #", 'cfg = ln.RunConfig.reference().override({"training.max_iter": 30})  #'),
    ("depths=[1, 2, 3],", "depths=[1],"),
    ("widths=[1, 2, 3, 5, 10, 20, 50],", "widths=[2],"),
    ("lambdas=[0, 1e-3, 1e-1, 1],", "lambdas=[1e-3],"),
    ("folds=5,", "folds=2,"),
    ("n_jobs=-1,", "n_jobs=1,"),
    ('"training.lambda": 0.1})', '"training.lambda": 0.1, "training.max_iter": 40})'),
    ("sizes=[10, 0.5, 1.0], folds=3,", "sizes=[10, 1.0], folds=2,"),
    ("lambdas=[0, 0.1, 1], folds=3,", "lambdas=[0, 1], folds=2,"),
    ("standard_normal((100_000, 20), chunks=(25_000, 20))", "standard_normal((2_000, 20), chunks=(1_000, 20))"),
    ('method="lbfgs", max_iter=50)', 'method="lbfgs", max_iter=5)'),
    ("fit_architectures(result, lambda_=1e-3)", "fit_architectures(result, lambda_=1e-3, n_jobs=1)"),
    ('"layernetclassifier__alpha": [0.001, 0.01, 0.1, 1.0],', '"layernetclassifier__alpha": [0.01],'),
    ("[(3,), (5,), (5, 5)],", "[(3,)],"),
    ("cv=5, n_jobs=2)", "cv=2, n_jobs=1)"),
    ('solver="lbfgs", random_state=0), X, y, cv=5)', 'solver="lbfgs", random_state=0), X, y, cv=2)'),
]

RUNNER = '''
import importlib.abc, json, sys

HIDDEN = set(json.loads(sys.argv[1]))
BLOCKS = [(title, compile(code, f"README.md, {title}", "exec")) for title, code in json.loads(sys.argv[2])]


class Hidden(importlib.abc.MetaPathFinder):
    """Makes the optional extras' modules unimportable, as in a plain install; records who asked."""

    asked = set()

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            self.asked.add(name.partition(".")[0])
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


hidden = Hidden()
sys.meta_path.insert(0, hidden)
from layernet.activations import _REGISTRY  # noqa: E402 - after the finder: layernet needs no extra

print("== plain", flush=True)
namespace, again = {"__name__": "__main__"}, []
for index, (title, code) in enumerate(BLOCKS):
    before = (dict(namespace), dict(_REGISTRY))
    hidden.asked.clear()
    print(f"-- {index} {title}", flush=True)
    exec(code, namespace)
    if hidden.asked:
        again.append((index, before, sorted(hidden.asked)))
leaked = sorted(name for name in sys.modules if name.partition(".")[0] in HIDDEN)
assert not leaked, leaked

sys.meta_path.remove(hidden)
print("== extra", json.dumps({BLOCKS[index][0]: asked for index, _, asked in again}), flush=True)
for index, (names, registry), _ in again:
    _REGISTRY.clear()  # as the block found it: it may register its activations again
    _REGISTRY.update(registry)
    print(f"-- {index} {BLOCKS[index][0]}", flush=True)
    exec(BLOCKS[index][1], dict(names))
print("== imported", json.dumps(sorted(name for name in HIDDEN if name in sys.modules)), flush=True)
'''


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def python_snippets() -> list[tuple[str, str]]:
    """``(section title, code)`` for every Python block of the README, in order, the long runs shrunk."""
    text = README.read_text(encoding="utf-8")
    for original, _ in SHRUNK:
        assert text.count(original) == 1, f"the README no longer holds {original!r} exactly once"
    sections = re.split(r"^(##+ .*)$", text, flags=re.M)
    blocks = []
    for title, body in zip(sections[1::2], sections[2::2]):
        for block in re.findall(r"```python\n(.*?)```", body, flags=re.S):
            code = _dedent(block)
            for original, replacement in SHRUNK:
                code = code.replace(original, replacement)
            blocks.append((title.lstrip("# "), code))
    return blocks


def _distributions(requirements: list[str], extras=("",)) -> set[str]:
    """The installed distributions ``requirements`` need, transitively (canonical names)."""
    found: set[str] = set()
    stack = [(text, extras) for text in requirements]
    while stack:
        text, active = stack.pop()
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is not None and not any(marker.evaluate({"extra": extra}) for extra in active):
            continue
        name = requirement.name.lower().replace("_", "-")
        key = (name, tuple(sorted(requirement.extras)))
        if key in found:
            continue
        try:
            needs = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        found.add(key)
        stack += [(need, ("", *requirement.extras)) for need in needs]
    return {name for name, _ in found}


def test_every_python_snippet_runs_on_a_plain_install_and_with_the_test_extra(tmp_path):
    hidden = sorted(hidden_modules())
    assert {"pandas", "dask", "distributed"} <= set(hidden)
    assert not {"numpy", "scipy", "sklearn", "matplotlib", "typer", "rich", "layernet"} & set(hidden)
    result = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(hidden), json.dumps(python_snippets())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    plain, extra, imported = result.stdout.split("== ")[1:]
    assert plain.startswith("plain\n")
    # The study's block asks for pandas (before its fits) and runs again with it, taking its branch.
    rerun = json.loads(extra.split("\n", 1)[0].removeprefix("extra "))
    assert rerun.get("Overfitting studies: depth, width and lambda, checked on held-out data") == ["pandas"]
    assert "onnx" in rerun.get("Models in and out", [])  # its ONNX export runs with the extra
    assert "dask" in rerun.get("Large data: bounded memory, and data on Dask", [])
    assert "pandas" in json.loads(imported.removeprefix("imported "))
    cost, accuracy = plain.split("\n")[2].split()[:2]  # From Python's first print
    assert round(float(cost), 4) == 0.1324 and float(accuracy) == 0.98
    # Regression: RMSE, MAE and R² of the two-output fit; curvature: trust-krylov's reference run.
    rmse, mae, r2 = map(float, _printed(plain, "Regression"))
    assert 0 < mae <= rmse and 0.9 < r2 <= 1
    curvature = "Exact curvature: Hessian-vector products and the trust-region methods"
    cost, iterations, _, products = _printed(plain, curvature)
    assert round(float(cost), 4) == 0.1324 and int(products) > 0 and int(iterations) < 100
    # Models in and out: both scikit-learn conversions agree to 1e-12 (its two prints).
    assert plain.splitlines().count("True") >= 2, plain
    for written in ("model.npz", "boundary.png", "records.csv", "summary.json", "thetas.mat", "moons.onnx"):
        assert (tmp_path / written).exists(), written


def _printed(output: str, title: str) -> list[str]:
    """The words of the first line the README block of section ``title`` printed in ``output``."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("-- ") and line.split(" ", 2)[2] == title)
    return lines[start + 1].split()


def hidden_modules() -> set[str]:
    """The top-level modules of distributions only the optional extras need."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    required = _distributions(project["dependencies"]) | {"layernet"}
    extras = {
        text
        for name, requirements in project["optional-dependencies"].items()
        for text in requirements
        if not text.startswith("layernet[")
    }
    optional = _distributions(sorted(extras)) - required
    modules = set()
    for module, owners in metadata.packages_distributions().items():
        names = {owner.lower().replace("_", "-") for owner in owners}
        if names & optional and not names & required:
            modules.add(module)
    return modules


def test_the_command_line_section_runs(tmp_path, monkeypatch):
    from layernet_cli.app import app

    block = re.findall(r"```bash\n(.*?)```", _section("The command line"), flags=re.S)[0]
    monkeypatch.chdir(tmp_path)
    # The reader's own files the commands name: labelled measurements, new points to predict.
    rng = np.random.default_rng(0)
    rows = [f"{a:.3f},{b:.3f},{'wide' if b > a else 'long'}" for a, b in rng.uniform(0, 1, size=(40, 2))]
    (tmp_path / "measurements.csv").write_text("length,width,species\n" + "\n".join(rows) + "\n")
    (tmp_path / "new_points.csv").write_text("x1,x2\n0.5,0.25\n1.5,-0.5\n")
    runner = CliRunner()
    commands = [command for line in block.strip().splitlines() for command in line.split("&&")]
    assert len(commands) >= 4
    for command in commands:
        args = shlex.split(command, comments=True)  # a trailing `# ...` explains the command
        assert args[0] == "layernet", command
        result = runner.invoke(app, args[1:])
        assert result.exit_code == 0, f"{command}\n{result.output}"
    assert (tmp_path / "predictions.csv").read_text().startswith("label,p_0,p_1\n")
    assert (tmp_path / "boundary.png").exists() and (tmp_path / "iris.npz").exists()
