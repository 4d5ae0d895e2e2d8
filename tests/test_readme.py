"""The README's "From Python" code runs as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def _section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else None]


def test_from_python_section_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", _section("From Python"), flags=re.S)
    assert len(blocks) >= 3
    code = "\n".join(_dedent(block) for block in blocks)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    cost, accuracy = result.stdout.split()[:2]
    assert round(float(cost), 4) == 0.1324 and float(accuracy) == 0.98
    assert (tmp_path / "model.npz").exists() and (tmp_path / "boundary.png").exists()


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)


def test_regression_and_curvature_sections_run(tmp_path):
    # One interpreter for both sections: the imports (scikit-learn's above all) are paid once.
    sections = ("Regression", "Exact curvature: Hessian-vector products and the trust-region methods")
    blocks = [block for title in sections for block in re.findall(r"```python\n(.*?)```", _section(title), flags=re.S)]
    assert len(blocks) == 2
    code = "\n".join(_dedent(block) for block in blocks)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    rmse, mae, r2, cost, iterations, evaluations, products = result.stdout.split()
    assert 0 < float(mae) <= float(rmse) and 0.9 < float(r2) <= 1
    assert round(float(cost), 4) == 0.1324 and int(products) > 0 and int(iterations) < 100
