"""Save and load trained networks: ``.npz`` arrays plus JSON metadata, never pickle.

A model file is a numpy ``.npz`` archive holding ``theta`` (the flat parameters), the scaler's
``scaler_mean`` and ``scaler_scale`` when there is one, and ``metadata``: a JSON text with the
format name and version, the layers and their activations by name, the classes, how the network
was trained and the layernet version. It is written atomically and read with
``allow_pickle=False``, so a crafted file cannot run code.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ._version import __version__
from .activations import _REGISTRY
from .errors import LayerNetError, ModelFileError
from .network import Network
from .preprocessing import Scaler

__all__ = ["save", "load", "read_metadata", "atomic_write", "json_safe", "FORMAT", "FORMAT_VERSION"]

FORMAT = "layernet-model"
FORMAT_VERSION = 1


def atomic_write(path: str | Path, write, mode: str = "wb") -> Path:
    """Call ``write(handle)`` on a temporary file beside ``path``, then rename it over ``path``.

    A crash or Ctrl-C part-way leaves any previous file at ``path`` untouched and no temporary
    file behind.
    """
    path = Path(path)
    if path.is_dir():
        raise LayerNetError(f"{path}: is a directory")
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise LayerNetError(f"{path}: the folder {directory} does not exist")
    handle = tempfile.NamedTemporaryFile(mode, dir=directory, prefix=f".{path.name}.", suffix=".tmp", delete=False)
    try:
        # Temporary files are private (0600); the result gets the mode a plain open() would give.
        os.chmod(handle.name, 0o666 & ~_umask())
        with handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(handle.name, path)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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
    arrays = {"theta": net.theta, "metadata": np.array(json.dumps(metadata))}
    if net.scaler is not None:
        arrays["scaler_mean"] = net.scaler.mean
        arrays["scaler_scale"] = net.scaler.scale
    try:
        return atomic_write(path, lambda handle: np.savez(handle, **arrays))
    except OSError as error:
        raise LayerNetError(f"{path}: cannot be written ({error.strerror or error})") from None


def read_metadata(path: str | Path) -> dict:
    """The JSON metadata of a model file, checked for format and version."""
    with _opened(path) as archive:
        return _metadata(archive, path)


def load(path: str | Path) -> Network:
    """Read a network written by :func:`save`.

    Raises
    ------
    ModelFileError
        A missing, truncated, corrupted, foreign or newer-format file, or one holding pickled
        objects (never unpickled). The message names the file and the problem.
    """
    with _opened(path) as archive:
        metadata = _metadata(archive, path)
        try:
            net = Network.from_config(metadata["network"])
        except (LayerNetError, KeyError, TypeError) as error:
            raise ModelFileError(f"{path}: the network it describes cannot be built: {error}") from None
        theta = _array(archive, "theta", path)
        if theta.shape != (net.n_params,):
            raise ModelFileError(f"{path}: holds {theta.size} parameters, its network needs {net.n_params}")
        try:
            net.theta = theta
        except LayerNetError as error:
            raise ModelFileError(f"{path}: {error}") from None
        net.initialized = bool(metadata.get("initialized", True))
        net.classes_ = _classes_from_json(metadata.get("classes"), path)
        if metadata.get("scaler"):
            try:
                net.scaler = Scaler(_array(archive, "scaler_mean", path), _array(archive, "scaler_scale", path))
            except LayerNetError as error:
                raise ModelFileError(f"{path}: its feature scaling is invalid: {error}") from None
        net.training_summary = dict(metadata.get("training") or {})
    return net


@contextmanager
def _opened(path):
    """``np.load`` with pickles refused, turning every way a file can be wrong into one error."""
    path = Path(path)
    if not path.exists():
        raise ModelFileError(f"{path}: no such file")
    if path.is_dir():
        raise ModelFileError(f"{path}: is a directory, not a model file")
    # The file is opened here, not by numpy, so it is closed whatever np.load makes of it.
    with path.open("rb") as handle:
        try:
            archive = np.load(handle, allow_pickle=False)
        except ValueError as error:
            # numpy takes anything that is neither .npy nor .npz for a pickle and refuses it.
            handle.seek(0)
            if handle.read(1) == b"\x80":  # the opcode every pickle protocol >= 2 starts with
                raise ModelFileError(f"{path}: holds pickled data, which layernet never loads") from None
            reason = "unrecognized content" if "pickle" in str(error) else str(error)
            raise ModelFileError(f"{path}: not a layernet model file ({reason})") from None
        except (OSError, EOFError, zipfile.BadZipFile) as error:
            raise ModelFileError(f"{path}: not a readable model file ({error})") from None
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ModelFileError(f"{path}: a single numpy array, not a layernet model file")
        try:
            yield archive
        finally:
            archive.close()


def _array(archive, key: str, path) -> np.ndarray:
    if key not in archive.files:
        raise ModelFileError(f"{path}: not a layernet model file (no {key!r} array)")
    try:
        return archive[key]
    except ValueError as error:
        if "pickle" in str(error) or "Object arrays" in str(error):
            raise ModelFileError(
                f"{path}: its {key!r} array holds pickled objects, which layernet never loads"
            ) from None
        raise ModelFileError(f"{path}: its {key!r} array is corrupted ({error})") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise ModelFileError(f"{path}: truncated or corrupted ({error})") from None


def _metadata(archive, path) -> dict:
    raw = _array(archive, "metadata", path)
    try:
        metadata = json.loads(str(raw[()]))
    except (ValueError, TypeError, IndexError):
        raise ModelFileError(f"{path}: its metadata is not valid JSON") from None
    if not isinstance(metadata, dict) or metadata.get("format") != FORMAT:
        raise ModelFileError(
            f"{path}: not a layernet model file (format {metadata.get('format')!r})"
            if isinstance(metadata, dict)
            else f"{path}: not a layernet model file"
        )
    version = metadata.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise ModelFileError(f"{path}: unknown model format version {version!r}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: written in model format {version} by layernet {metadata.get('layernet_version', '?')}; "
            f"this layernet reads format {FORMAT_VERSION} and older: upgrade layernet"
        )
    return metadata


def _classes_to_json(classes) -> dict | None:
    if classes is None:
        return None
    values = classes.tolist()
    kind = classes.dtype.kind
    if kind not in "biufUO" or any(not isinstance(v, (str, int, float, bool)) for v in values):
        raise LayerNetError(f"classes of dtype {classes.dtype} cannot be saved; use numbers or strings")
    return {"kind": "str" if kind in "UO" else classes.dtype.name, "values": values}


def _classes_from_json(raw, path) -> np.ndarray | None:
    if raw is None:
        return None
    try:
        if raw["kind"] == "str":
            return np.array([str(v) for v in raw["values"]])
        return np.array(raw["values"], dtype=np.dtype(raw["kind"]))
    except (KeyError, TypeError, ValueError):
        raise ModelFileError(f"{path}: its classes are malformed") from None


def json_safe(value):
    """``value`` with numpy scalars as Python ones and NaN or infinity as None, ready for JSON."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value
