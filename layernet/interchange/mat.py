"""Octave / MATLAB ``.mat`` files: the course's ``Theta1``, ``Theta2``, ... in and out.

The course keeps one matrix per layer, one row per unit, the bias in column 1 (layernet's
column 0) -- layernet's own layer layout, so the matrices drop straight in. Its training code
hands ``fmincg`` one unrolled vector, ``[Theta1(:); Theta2(:)]``, which Octave unrolls column by
column (``order="F"``); the blog's Python port unrolls row by row (``order="C"``).

Files are read with :func:`scipy.io.loadmat`, but never handed to it as they are: scipy
decompresses a compressed variable as far as its element headers claim, so a file of a few
megabytes could make it decompress gigabytes before its shape is checked. :func:`from_mat` first
inflates every compressed variable itself, in chunks, stopping at ``max_bytes`` (a
``decompressobj`` bound scipy does not offer), and lets scipy parse the uncompressed copy, whose
size is then known; of that copy it reads only numeric matrices whose declared shapes fit (a
cell array is allocated at its declared size before it is read). MATLAB v7.3 files are HDF5,
which scipy does not read: they are refused with the command that saves a v7 file instead.
"""

from __future__ import annotations

import io
import math
import re
import struct
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .._checks import check_choice, check_int, check_regular_file
from ..errors import LayerNetError, ModelFileError
from ..network import Network
from ..preprocessing import Scaler
from ..writing import atomic_write

__all__ = ["from_mat", "to_mat", "MAX_BYTES"]

#: The largest .mat file, and the most data its variables may inflate to, that :func:`from_mat` reads.
MAX_BYTES = 256 << 20

_THETA = re.compile(r"theta(\d+)", re.IGNORECASE)
_HDF5 = b"\x89HDF\r\n\x1a\n"
_MI_MATRIX, _MI_COMPRESSED = 14, 15
_CHUNK = 1 << 20
#: The MATLAB classes of numeric matrices, the only variables read (cells, structs, text are skipped).
_NUMERIC = {"double", "single", *(f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64))}
#: The course's name for the unrolled vector (ex4's nn_params).
UNROLLED_NAME = "nn_params"


def from_mat(
    path: str | Path,
    layers: Sequence[int] | None = None,
    *,
    order: str = "F",
    variable: str | None = None,
    hidden="sigmoid",
    output="sigmoid",
    classes=None,
    max_bytes: int = MAX_BYTES,
) -> Network:
    """A network from a ``.mat`` file of the course's thetas.

    Parameters
    ----------
    path : str or Path
        A MATLAB v5 (or v4) file, as ``save -v7`` (Octave, MATLAB) or :func:`scipy.io.savemat`
        writes. It holds either matrices ``Theta1``, ``Theta2``, ... of shapes
        ``(n_out, n_in + 1)``, bias in the first column, or one unrolled vector.
    layers : sequence of int, optional
        The sizes ``[n_features, *hidden, n_outputs]``. Inferred from ``Theta`` matrices
        (and checked against them when given); required for an unrolled vector.
    order : {"F", "C"}, default "F"
        How the unrolled vector was made: ``"F"`` column by column, Octave's
        ``[Theta1(:); Theta2(:)]``; ``"C"`` row by row, the blog's and layernet's ``theta``.
    variable : str, optional
        The unrolled vector's name in the file; by default ``Theta`` matrices are used when
        present, else the file's only vector.
    hidden, output : activation names, default "sigmoid"
        As for :class:`~layernet.Network`: the file holds weights, not activations.
    classes : None, "octave", "digits" or a sequence
        What each output unit stands for. ``"octave"``: unit ``k`` is label ``k``, counted from
        1 (a single unit: labels 0 and 1); ``"digits"``: the course's digits, where label 10
        means the digit 0, so the ten units stand for ``1, ..., 9, 0``; a sequence lists the
        labels. None: the file's ``classes`` variable (:func:`to_mat` writes one), else
        ``"octave"``.
    max_bytes : int
        Files larger than this, or whose variables inflate beyond it, are refused.

    A file holding ``mu`` and ``sigma`` (the course's ``featureNormalize``) gives the network
    that standardization as its :attr:`~layernet.Network.scaler`.

    Raises
    ------
    ModelFileError
        A missing, foreign, corrupted, v7.3 or oversized file; no thetas in it; matrices that do
        not chain or do not match ``layers``; non-finite values. The message names the file.
    """
    path = Path(path)
    order = check_choice(order, "order", ("F", "C"))
    variables = _read(path, max_bytes)
    thetas = _thetas(variables, path, layers, order, variable)
    sizes = [thetas[0].shape[1] - 1] + [theta.shape[0] for theta in thetas]
    try:
        net = Network(sizes, hidden=hidden, output=output)
        net.theta = np.concatenate([theta.ravel() for theta in thetas])
    except LayerNetError as error:
        raise ModelFileError(f"{path}: {error}") from None
    net.classes_ = _classes(classes, variables, net.n_outputs, path)
    if "mu" in variables and "sigma" in variables:
        mean, scale = (_real(variables[name], name, path).ravel() for name in ("mu", "sigma"))
        try:
            net.scaler = Scaler(mean, scale)
        except LayerNetError as error:
            raise ModelFileError(f"{path}: its mu and sigma are no feature scaling for this network: {error}") from None
    return net


def to_mat(net: Network, path: str | Path, *, unrolled: bool = False, order: str = "F") -> Path:
    """Write ``net``'s layer matrices to ``path`` as ``Theta1``, ``Theta2``, ... (MATLAB v5).

    Each matrix is the course's ``(n_out, n_in + 1)``, bias in the first column, so Octave's
    ``load(path)`` gives the course's variables. ``unrolled=True`` adds ``nn_params``, the
    unrolled column vector in ``order`` (``"F"``: ``[Theta1(:); Theta2(:)]``). The scaler, when
    the network has one, is written as ``mu`` and ``sigma``; numeric classes as ``classes``.
    """
    from scipy.io import savemat

    if not isinstance(net, Network):
        raise LayerNetError(f"to_mat expects a layernet Network, got {type(net).__name__}")
    order = check_choice(order, "order", ("F", "C"))
    matrices = [np.array(theta, dtype=np.float64) for theta in net.packer.unpack(net.theta)]
    variables: dict[str, np.ndarray] = {f"Theta{k}": theta for k, theta in enumerate(matrices, 1)}
    if unrolled:
        variables[UNROLLED_NAME] = np.concatenate([theta.ravel(order=order) for theta in matrices])[:, None]
    if net.scaler is not None:
        variables["mu"] = net.scaler.mean[None, :]
        variables["sigma"] = net.scaler.scale[None, :]
    if net.classes_ is not None and net.classes_.dtype.kind in "biuf":
        variables["classes"] = net.classes_.astype(np.float64)[None, :]
    return atomic_write(path, lambda handle: savemat(handle, variables, format="5", oned_as="column"))


def _read(path: Path, max_bytes: int) -> dict[str, np.ndarray]:
    """The file's variables, read within ``max_bytes``."""
    from scipy.io import loadmat, whosmat

    status = check_regular_file(path, "MAT", error=ModelFileError)
    if status.st_size > max_bytes:
        raise ModelFileError(f"{path}: is {status.st_size:,} bytes, more than the {max_bytes:,} a .mat file may have")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ModelFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    if (
        data.startswith(_HDF5)
        or data[512:520] == _HDF5
        or (len(data) >= 128 and data[124:126] in (b"\x00\x02", b"\x02\x00"))
    ):
        raise ModelFileError(
            f"{path}: a MATLAB v7.3 (HDF5) file, which layernet does not read; save it as a v7 file "
            "(MATLAB: save(file, 'Theta1', 'Theta2', '-v7'); Octave: save -v7 file Theta1 Theta2)"
        )
    if data.lstrip()[:1] == b"#":
        raise ModelFileError(f"{path}: an Octave text file, not a MAT file; save it with: save -v7 file Theta1 Theta2")
    if len(data) >= 128 and data[126:128] in (b"IM", b"MI"):
        data = _inflated(data, path, max_bytes)
    try:
        # Headers first: only numeric matrices are read, and only if their declared shapes fit.
        # scipy allocates a cell array's declared size before reading a byte of it: measured
        # here, a 200-byte file declaring 2^31 cells took 16.8 GB and 100 s to fail.
        wanted = []
        for name, shape, kind in whosmat(io.BytesIO(data)):
            if kind in _NUMERIC:
                if math.prod(shape) * 8 > max_bytes:
                    size = f"more than {max_bytes:,} bytes"
                    raise ModelFileError(f"{path}: its {name!r} declares a {shape} matrix, {size}")
                wanted.append(name)
        variables = loadmat(io.BytesIO(data), variable_names=wanted) if wanted else {}
    except ModelFileError:
        raise
    except Exception as error:  # scipy raises many kinds for damaged input; all mean the same here
        if isinstance(error, (MemoryError, KeyboardInterrupt)):
            raise
        raise ModelFileError(f"{path}: not a readable MAT file ({type(error).__name__}: {error})") from None
    return {name: value for name, value in variables.items() if not name.startswith("__")}


def _inflated(data: bytes, path: Path, max_bytes: int) -> bytes:
    """A v5 file with every compressed variable inflated, refused once it would exceed ``max_bytes``."""
    endian = "<" if data[126:128] == b"IM" else ">"
    parts, total, position = [data[:128]], 128, 128
    while position + 8 <= len(data):
        mdtype, n_bytes = struct.unpack(f"{endian}II", data[position : position + 8])
        body = data[position + 8 : position + 8 + n_bytes]
        if len(body) != n_bytes:
            raise ModelFileError(f"{path}: truncated (a variable claims {n_bytes:,} bytes, {len(body):,} are left)")
        if mdtype == _MI_COMPRESSED:
            inflater = zlib.decompressobj()
            try:
                while body:
                    chunk = inflater.decompress(body, _CHUNK)
                    body = inflater.unconsumed_tail
                    total += len(chunk)
                    if total > max_bytes:
                        raise ModelFileError(
                            f"{path}: its compressed variables inflate to more than {max_bytes:,} bytes"
                        )
                    parts.append(chunk)
                    if not chunk:
                        break
            except zlib.error as error:
                raise ModelFileError(f"{path}: a compressed variable is corrupted ({error})") from None
        elif mdtype == _MI_MATRIX:
            total += 8 + n_bytes
            parts.append(data[position : position + 8 + n_bytes])
        else:
            raise ModelFileError(f"{path}: not a readable MAT file (an element of type {mdtype} at byte {position})")
        position += 8 + n_bytes
    return b"".join(parts)


def _real(value, name: str, path: Path) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "iuf" or array.ndim != 2:
        raise ModelFileError(
            f"{path}: its {name!r} is not a real matrix (it holds {array.dtype} of shape {array.shape})"
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise ModelFileError(f"{path}: its {name!r} holds non-finite values")
    return array


def _thetas(variables, path: Path, layers, order: str, variable: str | None) -> list[np.ndarray]:
    """One ``(n_out, n_in + 1)`` matrix per layer, from Theta matrices or an unrolled vector."""
    numbered = {int(m.group(1)): name for name in variables if (m := _THETA.fullmatch(name))}
    if variable is None and numbered:
        if sorted(numbered) != list(range(1, len(numbered) + 1)):
            raise ModelFileError(
                f"{path}: its theta matrices are not numbered 1 to {len(numbered)}: {sorted(numbered)}"
            )
        thetas = [_real(variables[numbered[k]], numbered[k], path) for k in range(1, len(numbered) + 1)]
        for k in range(1, len(thetas)):
            if thetas[k].shape[1] != thetas[k - 1].shape[0] + 1:
                raise ModelFileError(
                    f"{path}: Theta{k + 1} has {thetas[k].shape[1]} columns but Theta{k} has {thetas[k - 1].shape[0]} "
                    f"rows; a layer's matrix has one column per unit of the layer before, plus the bias"
                )
        sizes = [thetas[0].shape[1] - 1] + [theta.shape[0] for theta in thetas]
        if thetas[0].shape[1] < 2:
            raise ModelFileError(f"{path}: Theta1 has no column besides the bias")
        if layers is not None and _sizes(layers, path) != sizes:
            raise ModelFileError(
                f"{path}: its thetas make a {_dashed(sizes)} network, not the {_dashed(layers)} asked for"
            )
        return thetas
    vectors = [name for name, value in variables.items() if np.ndim(value) == 2 and 1 in np.shape(value)]
    vectors = [name for name in vectors if name not in ("mu", "sigma", "classes")]
    if variable is None:
        if len(vectors) != 1:
            found = ", ".join(sorted(variables)) or "none"
            raise ModelFileError(
                f"{path}: holds no Theta1, Theta2, ... matrices and not exactly one vector to unroll "
                f"(variables: {found}); name the vector with variable="
            )
        variable = vectors[0]
    if variable not in variables:
        raise ModelFileError(f"{path}: has no variable {variable!r} (variables: {', '.join(sorted(variables))})")
    vector = _real(variables[variable], variable, path)
    if 1 not in vector.shape:
        raise ModelFileError(f"{path}: its {variable!r} is a {vector.shape} matrix, not an unrolled vector")
    vector = vector.ravel()
    if layers is None:
        raise ModelFileError(
            f"{path}: holds the unrolled vector {variable!r} ({vector.size} values); give the layer sizes "
            "(layers=[n_features, ..., n_outputs]) to roll it up"
        )
    sizes = _sizes(layers, path)
    shapes = [(n_out, n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    n_params = sum(rows * columns for rows, columns in shapes)
    if vector.size != n_params:
        raise ModelFileError(
            f"{path}: its {variable!r} holds {vector.size} values, a {_dashed(sizes)} network has {n_params}"
        )
    thetas, start = [], 0
    for shape in shapes:
        count = shape[0] * shape[1]
        thetas.append(vector[start : start + count].reshape(shape, order=order))
        start += count
    return thetas


def _sizes(layers, path: Path) -> list[int]:
    """``layers`` checked as a list of at least two positive sizes (nothing allocated for them)."""
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) or len(layers) < 2:
        raise ModelFileError(f"{path}: layers must be a list of sizes [n_features, ..., n_outputs], got {layers!r}")
    return [check_int(size, f"layers[{index}]", low=1, error=ModelFileError) for index, size in enumerate(layers)]


def _classes(classes, variables, n_outputs: int, path: Path) -> np.ndarray:
    if classes is None:
        if "classes" in variables:
            values = _real(variables["classes"], "classes", path).ravel()
            integral = np.all(values == np.round(values)) and np.all(np.abs(values) < 2.0**53)
            classes = values.astype(np.int64) if integral else values
        else:
            classes = "octave"
    if isinstance(classes, str):
        check_choice(classes, "classes", ("octave", "digits"), error=ModelFileError)
        if classes == "digits":
            if n_outputs != 10:
                raise ModelFileError(f"{path}: classes='digits' needs 10 output units, the network has {n_outputs}")
            return np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 0])
        return np.array([0, 1]) if n_outputs == 1 else np.arange(1, n_outputs + 1)
    classes = np.asarray(classes)
    expected = 2 if n_outputs == 1 else n_outputs
    if classes.ndim != 1 or len(classes) != expected or len(np.unique(classes)) != len(classes):
        raise ModelFileError(
            f"{path}: classes must list {expected} distinct labels for this network, got {classes.tolist()}"
        )
    return classes


def _dashed(sizes) -> str:
    return "-".join(map(str, sizes))
