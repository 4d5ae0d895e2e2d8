"""Models in and out: Octave/MATLAB ``.mat`` thetas, scikit-learn's MLPs, ONNX.

Each format lives in its own module and loads its library (scipy.io, scikit-learn, onnx) only
when used; the functions are re-exported by the package root as ``ln.from_mat``, ``ln.to_mat``,
``ln.from_sklearn``, ``ln.to_sklearn`` and ``ln.to_onnx``.
"""

from __future__ import annotations

from .mat import from_mat, to_mat
from .onnx import to_onnx
from .sklearn import from_sklearn, to_sklearn

__all__ = ["from_mat", "to_mat", "from_sklearn", "to_sklearn", "to_onnx"]
