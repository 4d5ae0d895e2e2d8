"""The README's "From Python" and "Models in and out" code runs as written."""

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
    # "Models in and out" runs in the same interpreter: scikit-learn's import is paid once.
    interchange = re.findall(r"```python\n(.*?)```", _section("Models in and out"), flags=re.S)
    assert len(interchange) == 1
    code = "\n".join(_dedent(block) for block in blocks + interchange)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    cost, accuracy = result.stdout.split()[:2]
    assert round(float(cost), 4) == 0.1324 and float(accuracy) == 0.98
    assert (tmp_path / "model.npz").exists() and (tmp_path / "boundary.png").exists()
    assert result.stdout.split()[-2:] == ["True", "True"]  # the conversions agree to 1e-12
    assert (tmp_path / "thetas.mat").exists() and (tmp_path / "moons.onnx").exists()


def _dedent(block: str) -> str:
    lines = block.splitlines()
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "\n".join(line[indent:] for line in lines)
