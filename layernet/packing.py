"""ParameterPacker: the shapes of a network's matrices <-> one flat parameter vector.

The optimizers in scipy work on one 1-D vector. The course "unrolls" its matrices into one:
layer by layer, each ``(n_out, n_in + 1)`` matrix in row-major order, bias in column 0. The packer
keeps that layout and hands out reshaped *views*, so a network reads and writes its parameters
in place and never copies them between the optimizer and the layers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ._checks import check_int
from .errors import LayerNetError

__all__ = ["ParameterPacker"]


class ParameterPacker:
    """Map a list of matrix shapes to slices of one flat vector.

    Parameters
    ----------
    shapes : sequence of (int, int)
        One ``(rows, columns)`` pair per matrix, in the order they are laid out.
    dtype : numpy dtype, default float64
        The dtype of the flat vectors this packer creates and accepts.

    Examples
    --------
    >>> packer = ParameterPacker([(3, 3), (2, 4)])      # a 2-3-2 network
    >>> packer.size, packer.offsets
    (17, (0, 9, 17))
    >>> theta = packer.zeros()
    >>> theta1, theta2 = packer.unpack(theta)
    >>> theta2[0, 0] = 1.0                               # writes through to theta
    >>> float(theta[9])
    1.0
    """

    def __init__(self, shapes: Sequence[tuple[int, int]], dtype=np.float64) -> None:
        checked = []
        for index, shape in enumerate(shapes):
            if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or len(shape) != 2:
                raise LayerNetError(f"shape {index} must be a pair (rows, columns), got {shape!r}")
            checked.append(tuple(check_int(n, f"shape {index}[{axis}]", low=1) for axis, n in enumerate(shape)))
        if not checked:
            raise LayerNetError("a ParameterPacker needs at least one shape")
        self.shapes: tuple[tuple[int, int], ...] = tuple(checked)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise LayerNetError(f"dtype must be a floating-point type, got {self.dtype}")
        sizes = [rows * cols for rows, cols in self.shapes]
        #: Start of each matrix in the flat vector, plus the total size at the end.
        self.offsets: tuple[int, ...] = tuple(int(o) for o in np.concatenate(([0], np.cumsum(sizes))))
        self.size: int = self.offsets[-1]

    def __len__(self) -> int:
        return len(self.shapes)

    def __repr__(self) -> str:
        return f"ParameterPacker({list(self.shapes)!r}, dtype={self.dtype.name})"

    def zeros(self) -> np.ndarray:
        """A new flat vector of zeros of length :attr:`size`."""
        return np.zeros(self.size, dtype=self.dtype)

    def slice(self, index: int) -> slice:
        """The slice of the flat vector that holds matrix ``index``."""
        return slice(self.offsets[index], self.offsets[index + 1])

    def unpack(self, flat: np.ndarray) -> list[np.ndarray]:
        """Return one view per matrix into ``flat``; writing to a view writes to ``flat``.

        Raises
        ------
        LayerNetError
            ``flat`` is not a 1-D array of this packer's dtype and size.
        """
        self._check_flat(flat)
        return [flat[self.offsets[i] : self.offsets[i + 1]].reshape(shape) for i, shape in enumerate(self.shapes)]

    def pack(self, arrays: Sequence[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
        """Copy matrices into one flat vector (a new one, or ``out``), in the course's layout."""
        if len(arrays) != len(self.shapes):
            raise LayerNetError(f"pack expects {len(self.shapes)} arrays, got {len(arrays)}")
        if out is None:
            out = self.zeros()
        else:
            self._check_flat(out, name="out")
        for index, (array, view) in enumerate(zip(arrays, self.unpack(out))):
            array = np.asarray(array)
            if array.shape != view.shape:
                raise LayerNetError(f"array {index} must have shape {view.shape}, got {array.shape}")
            if array.dtype.kind not in "biuf":
                raise LayerNetError(f"array {index} must be numeric, got dtype {array.dtype}")
            view[...] = array
        return out

    def _check_flat(self, flat, name: str = "flat") -> None:
        if not isinstance(flat, np.ndarray):
            raise LayerNetError(f"{name} must be a numpy array, got {type(flat).__name__}")
        if flat.ndim != 1:
            raise LayerNetError(f"{name} must be 1-D, got an array of shape {flat.shape}")
        if flat.dtype != self.dtype:
            raise LayerNetError(f"{name} must have dtype {self.dtype}, got {flat.dtype}")
        if flat.shape[0] != self.size:
            raise LayerNetError(f"{name} must have length {self.size}, got {flat.shape[0]}")
