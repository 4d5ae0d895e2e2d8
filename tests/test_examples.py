"""The examples run as scripts and print what the README says they do."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name)], capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_reference_moons_prints_the_blog_result():
    output = _run("reference_moons.py")
    assert "cost 0.1324" in output
    assert "training accuracy 98.0%" in output


def test_custom_architecture_checks_gradients_and_trains():
    output = _run("custom_architecture.py")
    difference = float(output.split("relative difference ")[1].split()[0])
    assert difference < 1e-9
    test_accuracy = float(output.split("test ")[-1].rstrip("%\n"))
    assert test_accuracy > 90
