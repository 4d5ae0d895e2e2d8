"""study_defaults: the study's defaults, importable without numpy (``layernet --help`` uses them)."""

from __future__ import annotations

import subprocess
import sys

import layernet.study_defaults as defaults


def test_defaults_are_valid_grid_values():
    assert all(isinstance(d, int) and d >= 1 for d in defaults.DEFAULT_DEPTHS)
    assert all(isinstance(w, int) and w >= 1 for w in defaults.DEFAULT_WIDTHS)
    assert all(lam >= 0 for lam in defaults.DEFAULT_LAMBDAS) and 0.0 in defaults.DEFAULT_LAMBDAS
    assert defaults.DEFAULT_FOLDS >= 2 and 0 < defaults.DEFAULT_TEST_SIZE < 1


def test_importing_the_defaults_and_the_options_loads_no_numpy():
    code = "import sys, layernet.study_defaults, layernet.options; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
