"""Save and load trained networks: ``.npz`` arrays plus JSON metadata, never pickle.

A model file is a numpy ``.npz`` archive holding ``theta`` (the flat parameters), the scaler's
``scaler_mean`` and ``scaler_scale`` when there is one, and ``metadata``: a JSON text with the
format name and version, the layers and their activations by name, the classes, how the network
was trained and the layernet version. It is written by :func:`layernet.writing.atomic_write`
(atomically, keeping links, mode and owner) and read member by member with the zip and ``.npy``
headers checked first: a member larger than its recorded architecture implies, a zip bomb, an
object (pickle) array or a wrongly typed field is refused before anything is allocated for it,
so a crafted file can neither run code nor exhaust memory.
"""

from __future__ import annotations

import json
import lzma
import math
import struct
import zipfile
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ._checks import check_regular_file
from ._version import __version__
from .activations import _REGISTRY, get_activation
from .errors import LayerNetError, ModelFileError
from .features import check_feature_names, check_label_name
from .network import Network
from .preprocessing import Scaler
from .writing import atomic_write

__all__ = ["save", "load", "read_metadata", "atomic_write", "json_safe", "FORMAT", "FORMAT_VERSION"]

FORMAT = "layernet-model"
FORMAT_VERSION = 1


def save(net: Network, path: str | Path) -> Path:
    """Write ``net`` to ``path`` (conventionally ``.npz``), atomically.

    Raises
    ------
    LayerNetError
        The network uses an activation that is not registered by name (a loader could not
        rebuild it), or ``path`` cannot be written.
    """
    if not isinstance(net, Network):
        raise LayerNetError(f"save expects a layernet Network, got {type(net).__name__}")
    for layer in net.layers:
        name = layer.activation.name
        if _REGISTRY.get(name) is not layer.activation and type(_REGISTRY.get(name)) is not type(layer.activation):
            raise LayerNetError(
                f"activation {name!r} is not registered; call layernet.register_activation on it so a saved "
                "model can name it (and register it again before loading)"
            )
    metadata = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "layernet_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "network": net.get_config(),
        "n_params": net.n_params,
        "initialized": net.initialized,
        "classes": _classes_to_json(net.classes_),
        "scaler": net.scaler is not None,
        "training": json_safe(net.training_summary),
    }
    if net.feature_names is not None or net.label_name is not None:
        metadata["features"] = {"names": net.feature_names, "label": net.label_name}
    arrays = {"theta": net.theta, "metadata": np.array(json.dumps(metadata))}
    if net.scaler is not None:
        arrays["scaler_mean"] = net.scaler.mean
        arrays["scaler_scale"] = net.scaler.scale
    return atomic_write(path, lambda handle: np.savez(handle, **arrays))


def read_metadata(path: str | Path) -> dict:
    """The JSON metadata of a model file, checked for format, version and field types."""
    with _opened(path) as archive:
        return _metadata(archive)


def load(path: str | Path) -> Network:
    """Read a network written by :func:`save`.

    Nothing is trusted before it is checked: each member's declared size is compared with what
    the recorded architecture implies before a byte of it is decompressed, an array's header
    (dtype, shape) before its data is read, the classes against the output layer.

    Raises
    ------
    ModelFileError
        A missing, truncated, corrupted, foreign, crafted or newer-format file, or one holding
        pickled objects (never unpickled). The message names the file and the problem.
    """
    with _opened(path) as archive:
        metadata = _metadata(archive)
        sizes, dtype = _architecture(metadata.get("network"), archive.path)
        n_params = sum(n_out * (n_in + 1) for n_in, n_out in sizes)
        theta = archive.array("theta", n_params, dtype.itemsize, what="parameters")
        try:
            net = Network.from_config(metadata["network"])
            net.theta = theta
        except (LayerNetError, KeyError, TypeError, ValueError, OverflowError) as error:
            raise ModelFileError(f"{archive.path}: the network it describes cannot be built: {error}") from None
        net.initialized = bool(metadata.get("initialized", True))
        net.classes_ = _classes_from_json(metadata.get("classes"), net.n_outputs, archive.path)
        if metadata.get("scaler"):
            n_features = net.n_features
            mean = archive.array("scaler_mean", n_features, 8, what="feature means", copy=True)
            scale = archive.array("scaler_scale", n_features, 8, what="feature scales", copy=True)
            try:
                net.scaler = Scaler(mean, scale)
            except LayerNetError as error:
                raise ModelFileError(f"{archive.path}: its feature scaling is invalid: {error}") from None
        net.training_summary = dict(metadata.get("training") or {})
        _set_names(net, metadata.get("features"), archive.path)
    return net


def _set_names(net: Network, features, path) -> None:
    """The recorded feature and label names, checked (the metadata's size is already bounded)."""
    if features is None:
        return
    if not isinstance(features, dict):
        raise ModelFileError(f"{path}: its feature names are malformed (a {type(features).__name__}, not a table)")
    try:
        net.feature_names = check_feature_names(features.get("names"), net.n_features, error=ModelFileError)
        net.label_name = check_label_name(features.get("label"), error=ModelFileError)
    except ModelFileError as error:
        raise ModelFileError(f"{path}: {error}") from None


#: The metadata JSON is a few kilobytes; a member claiming more than this many characters is refused.
METADATA_CHARACTERS = 1 << 18
#: Members up to this size may be compressed by any ratio; larger ones at most RATIO : 1. Real
#: parameters barely compress (layernet stores them uncompressed), a zip bomb compresses 1000 : 1.
_FREELY_COMPRESSED = 16 << 20
_RATIO = 16
_HEADER_BYTES = 10_000  # numpy's own bound on an .npy header
_COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
# What the zip and npy readers raise for damaged input. A ModelFileError (a ValueError) raised
# inside a guarded block is re-raised before these are caught.
_BROKEN = (
    OSError,
    EOFError,
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,  # "zip file version 10.7", unknown compression methods
    RuntimeError,  # "File ... is encrypted, password required"
    ValueError,
    KeyError,
    TypeError,
    OverflowError,
    SyntaxError,
    RecursionError,
    struct.error,
    zlib.error,
    lzma.LZMAError,
)


class _Archive:
    """A model file's zip members, each read only after its declared sizes were bounded."""

    def __init__(self, archive: zipfile.ZipFile, path: Path, size: int) -> None:
        self.zip = archive
        self.path = path
        self.size = size
        self.members = {info.filename: info for info in archive.infolist()}

    def array(self, key: str, n_values: int, itemsize: int, *, what: str, copy: bool = False) -> np.ndarray:
        """Member ``key`` as a 1-D float array of exactly ``n_values`` values."""
        array = self._read(key, n_values * itemsize, kinds="f", shape=(n_values,), what=what)
        return array.copy() if copy else array

    def text(self, key: str, max_characters: int) -> str:
        array = self._read(key, 4 * max_characters, kinds="U", shape=(), what="text")
        return str(array[()])

    def _read(self, key: str, max_bytes: int, *, kinds: str, shape: tuple, what: str) -> np.ndarray:
        path = self.path
        info = self.members.get(f"{key}.npy")
        if info is None:
            raise ModelFileError(f"{path}: not a layernet model file (no {key!r} array)")
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{path}: its {key!r} member is encrypted")
        if info.compress_type not in _COMPRESSIONS:
            method = info.compress_type
            raise ModelFileError(f"{path}: its {key!r} member uses an unknown compression method ({method})")
        declared = info.file_size
        if info.compress_size > self.size:
            raise ModelFileError(f"{path}: its {key!r} member claims more data than the file holds (truncated?)")
        if declared > max_bytes + _HEADER_BYTES:
            raise ModelFileError(
                f"{path}: its {key!r} member declares {declared} bytes; its network implies at most "
                f"{max_bytes + _HEADER_BYTES}"
            )
        if declared > _FREELY_COMPRESSED and declared > _RATIO * info.compress_size:
            raise ModelFileError(
                f"{path}: its {key!r} member is compressed {declared // max(info.compress_size, 1)} : 1, "
                "far beyond what real data allows (a zip bomb?)"
            )
        try:
            with self.zip.open(info) as member:
                dtype, found = _npy_header(member)
                if dtype.hasobject:
                    raise ModelFileError(f"{path}: its {key!r} array holds pickled objects, which layernet never loads")
                if dtype.kind not in kinds or (kinds == "f" and dtype.itemsize not in (4, 8)):
                    raise ModelFileError(f"{path}: its {key!r} array holds {dtype} values, not {_KINDS[kinds]}")
                if found != shape:
                    if kinds == "f" and len(found) == 1:
                        raise ModelFileError(f"{path}: holds {found[0]} {what}, its network needs {shape[0]}")
                    raise ModelFileError(f"{path}: its {key!r} array has shape {found}, expected {shape}")
                n_bytes = dtype.itemsize * int(np.prod(found, dtype=object))
                if n_bytes > max_bytes:
                    raise ModelFileError(f"{path}: its {key!r} array holds {n_bytes} bytes, more than {max_bytes}")
                data = member.read(n_bytes + 1)  # one byte more: trailing data is damage too
        except ModelFileError:
            raise
        except _BROKEN as error:
            raise ModelFileError(f"{path}: truncated or corrupted ({key!r}: {error})") from None
        if len(data) != n_bytes:
            raise ModelFileError(f"{path}: truncated or corrupted ({key!r} holds {len(data)} bytes of {n_bytes})")
        return np.frombuffer(data, dtype=dtype).reshape(shape)


_KINDS = {"f": "float32 or float64 numbers", "U": "text"}


def _npy_header(member) -> tuple[np.dtype, tuple]:
    """The dtype and shape an .npy stream declares, read without reading its data."""
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(member, max_header_size=_HEADER_BYTES)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(member, max_header_size=_HEADER_BYTES)
    else:
        raise ValueError(f"unsupported .npy version {version}")
    if fortran and len(shape) > 1:
        raise ValueError("a Fortran-ordered array")
    return dtype, tuple(shape)


@contextmanager
def _opened(path):
    """The model file as an :class:`_Archive`, every way it can be wrong turned into one error."""
    path = Path(path)
    status = check_regular_file(path, "model", error=ModelFileError)
    try:
        handle = path.open("rb")
    except OSError as error:
        raise ModelFileError(f"{path}: cannot be read ({error.strerror or error})") from None
    with handle:
        head = handle.read(6)
        if head[:1] == b"\x80":  # the opcode every pickle protocol >= 2 starts with
            raise ModelFileError(f"{path}: holds pickled data, which layernet never loads")
        if head == b"\x93NUMPY":
            raise ModelFileError(f"{path}: a single numpy array, not a layernet model file")
        if head[:2] != b"PK":
            raise ModelFileError(f"{path}: not a layernet model file (unrecognized content)")
        handle.seek(0)
        try:
            archive = zipfile.ZipFile(handle)
        except _BROKEN as error:
            raise ModelFileError(f"{path}: not a readable model file ({error})") from None
        with archive:
            yield _Archive(archive, path, status.st_size)


def _metadata(archive: _Archive) -> dict:
    path = archive.path
    try:
        metadata = json.loads(archive.text("metadata", METADATA_CHARACTERS))
    except ModelFileError:
        raise
    except (ValueError, TypeError, RecursionError):
        raise ModelFileError(f"{path}: its metadata is not valid JSON (or nested too deeply)") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(
            f"{path}: not a layernet model file (format {metadata.get('format')!r})"
            if isinstance(metadata, dict)
            else f"{path}: not a layernet model file"
        )
    version = metadata.get("format_version")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"{path}: unknown model format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written in model format {version} by layernet {metadata.get('layernet_version', '?')}; "
            f"this layernet reads format {FORMAT_VERSION} and older: upgrade layernet"
        )
    _check_training(metadata.get("training"), path)
    return metadata


#: The training record's fields layernet reads back, and the JSON types each may have (None always may).
_TRAINING_FIELDS = {
    **dict.fromkeys(("cost", "seconds", "lambda", "train_accuracy", "test_accuracy"), (int, float)),
    **dict.fromkeys(("iterations", "evaluations", "seed"), (int,)),
    **dict.fromkeys(("status", "message", "method", "data"), (str,)),
    "converged": (bool,),
    "config": (dict,),
}


def _check_training(training, path) -> None:
    if training is None:
        return
    if not isinstance(training, dict):
        raise ModelFileError(f"{path}: its training record is a {type(training).__name__}, not a table")
    for key, types in _TRAINING_FIELDS.items():
        value = training.get(key)
        wrong = value is not None and (not isinstance(value, types) or (bool not in types and isinstance(value, bool)))
        if wrong:
            expected = " or ".join(t.__name__ for t in types)
            raise ModelFileError(f"{path}: its training record's {key!r} is {_shown(value)}, not {expected}")


def _architecture(config, path) -> tuple[list[tuple[int, int]], np.dtype]:
    """The recorded layer sizes and dtype, checked before anything is allocated for them."""
    layers = config.get("layers") if isinstance(config, dict) else None
    if not isinstance(layers, list) or not layers or not all(isinstance(layer, dict) for layer in layers):
        raise ModelFileError(f"{path}: the network it describes cannot be built: no list of layers")
    sizes = []
    for index, layer in enumerate(layers):
        n_in, n_out = layer.get("n_in"), layer.get("n_out")
        for name, value in (("n_in", n_in), ("n_out", n_out)):
            if type(value) is not int or value < 1:
                raise ModelFileError(
                    f"{path}: the network it describes cannot be built: layer {index} {name} is {_shown(value)}"
                )
        try:
            get_activation(layer.get("activation"))
        except (LayerNetError, TypeError) as error:
            raise ModelFileError(f"{path}: the network it describes cannot be built: {error}") from None
        sizes.append((n_in, n_out))
    name = config.get("dtype", "float64")
    if name not in ("float64", "float32"):
        raise ModelFileError(f"{path}: the network it describes cannot be built: dtype {_shown(name)}")
    return sizes, np.dtype(name)


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:37]}..."


_CLASS_DTYPES = {"bool", *(f"int{b}" for b in (8, 16, 32, 64)), *(f"uint{b}" for b in (8, 16, 32, 64))}
_CLASS_DTYPES |= {"float16", "float32", "float64"}


def _classes_to_json(classes) -> dict | None:
    if classes is None:
        return None
    values = classes.tolist()
    kind = classes.dtype.kind
    if kind not in "biufUO" or any(not isinstance(v, (str, int, float, bool)) for v in values):
        raise LayerNetError(f"classes of dtype {classes.dtype} cannot be saved; use numbers or strings")
    return {"kind": "str" if kind in "UO" else classes.dtype.name, "values": values}


def _classes_from_json(raw, n_outputs: int, path) -> np.ndarray | None:
    """The recorded classes, checked: as many as the output layer serves, distinct, in range."""
    if raw is None:
        return None
    values = raw.get("values") if isinstance(raw, dict) else None
    kind = raw.get("kind") if isinstance(raw, dict) else None
    if not isinstance(values, list) or not (kind == "str" or kind in _CLASS_DTYPES):
        raise ModelFileError(f"{path}: its classes are malformed")
    # n units serve n classes; one sigmoid unit serves one or two (see labels.infer_classes).
    fits = 1 <= len(values) <= 2 if n_outputs == 1 else len(values) == n_outputs
    if not fits:
        serves = "1 or 2" if n_outputs == 1 else str(n_outputs)
        raise ModelFileError(
            f"{path}: records {len(values)} classes for an output layer of {n_outputs} unit(s), which serves {serves}"
        )
    if not all(isinstance(v, (str, int, float)) for v in values):
        raise ModelFileError(f"{path}: its classes are malformed (not all numbers or strings)")
    if kind == "str":
        classes = np.array([str(v) for v in values])
    else:
        if any(isinstance(v, str) or (isinstance(v, float) and not math.isfinite(v)) for v in values):
            raise ModelFileError(f"{path}: its {kind} classes are not all finite numbers")
        try:
            classes = np.array(values, dtype=np.dtype(kind))
        except (OverflowError, ValueError, TypeError):
            raise ModelFileError(f"{path}: its classes do not fit their dtype {kind}") from None
        if classes.tolist() != values:
            raise ModelFileError(f"{path}: its classes do not fit their dtype {kind}")
    if len(np.unique(classes)) != len(classes):
        raise ModelFileError(f"{path}: its classes repeat")
    return classes


def json_safe(value):
    """``value`` with numpy scalars as Python ones and NaN or infinity as None, ready for JSON."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
