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


def _run_python_blocks(title: str, tmp_path) -> str:
    blocks = re.findall(r"```python\n(.*?)```", _section(title), flags=re.S)
    assert blocks
    code = "\n".join(_dedent(block) for block in blocks)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_regression_section_runs(tmp_path):
    rmse, mae, r2 = map(float, _run_python_blocks("Regression", tmp_path).split())
    assert 0 < mae <= rmse and 0.9 < r2 <= 1


def test_curvature_section_runs(tmp_path):
    cost, iterations, evaluations, products = _run_python_blocks(
        "Exact curvature: Hessian-vector products and the trust-region methods", tmp_path
    ).split()
    assert round(float(cost), 4) == 0.1324 and int(products) > 0 and int(iterations) < 100
