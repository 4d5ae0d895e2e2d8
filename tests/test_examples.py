"""The examples run as scripts and print what the README says they do."""

from __future__ import annotations

import json
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


def test_depth_study_fast_holds_out_a_test_set_and_draws_three_figures(tmp_path):
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "depth_study.py"), str(tmp_path), "--fast"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout
    assert "24 fits: 3-fold cross-validation on 140 samples, 60 held out for the test" in output
    summary = json.loads((tmp_path / "summary.json").read_text())
    best, refit = summary["best"], summary["refit"]
    assert f"best: depth {best['depth']}, width {best['width']}, lambda {best['lambda']:g}" in output
    assert f"test accuracy {100 * refit['test_accuracy']:.1f} % on 60 held-out samples" in output
    assert refit["test_accuracy"] > 0.85  # two moons are easy once the network can bend
    for name in ("boundaries.png", "capacity.png", "lambda.png"):
        assert (tmp_path / name).stat().st_size > 10_000
