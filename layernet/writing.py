"""Writing output files without destroying what their path names.

Every file layernet writes -- models, predictions, configurations, plots, study results -- goes
through :func:`atomic_write`, so the rules below hold for all of them:

- a regular file (or a new one) is written to a temporary file beside it, flushed to disk and
  renamed over it: a crash, Ctrl-C or a full disk part-way leaves the previous file whole and no
  temporary file behind. The result keeps the old file's mode and, where permitted, its owner and
  group (a 600 model stays 600); a new file gets the mode ``open()`` would give it (0o666 less the
  umask). The temporary file is private (0600) until it is complete.
- a symbolic link is followed: the temporary file goes beside the link's target, which is
  replaced; the link stays a link.
- a file with other hard links is rewritten in place once its new content is complete on disk,
  so every name still sees one file. The copy is not atomic -- a crash during it leaves a torn
  file -- which is the price of keeping the links (a rename would split them).
- a character device or a FIFO (``/dev/null``, ``/dev/stdout``, a named pipe) is opened and
  written through, as a shell redirection would; it stays what it was.
- a directory, a block device, a socket, a path ending in ``/`` and a path in a missing folder
  are refused with a :class:`~layernet.errors.LayerNetError` naming the path.

Errors name the path the caller gave, never the hidden temporary file. Nothing here imports
numpy, so the command line can check its output paths cheaply before it trains.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
from pathlib import Path

from .errors import LayerNetError

__all__ = ["atomic_write", "check_writable"]

_SEPARATORS = tuple(sep for sep in (os.sep, os.altsep) if sep)


def atomic_write(path: str | os.PathLike, write, mode: str = "wb") -> Path:
    """Call ``write(handle)`` to produce the file at ``path``, by the rules of this module.

    Parameters
    ----------
    path : str or path-like
        The file to write. ``"folder/"`` (ending in a separator) names a folder and is refused.
    write : callable
        Called once with an open handle (binary for ``mode="wb"``, UTF-8 text for ``"w"``).
    mode : {"wb", "w"}

    Returns
    -------
    Path
        ``path`` as given.

    Raises
    ------
    LayerNetError
        ``path`` is a directory, a block device or a socket, its folder is missing, or the write
        failed (read-only file or folder, full disk); the message names ``path``.
    """
    shown = os.fspath(path)
    target, status = _resolve(path)
    if status is not None and not stat.S_ISREG(status.st_mode):
        _write_through(shown, write, mode)
        return Path(shown)
    if status is not None and not os.access(target, os.W_OK):
        raise LayerNetError(f"{shown}: is not writable (permission denied)")
    temporary = None
    try:
        fd, temporary = _temporary_beside(target)
        with _fdopen(fd, mode) as handle:
            write(handle)
            handle.flush()
            _keep_attributes(handle.fileno(), status)
            os.fsync(handle.fileno())
        if status is not None and status.st_nlink > 1:
            _copy_in_place(temporary, target)
        else:
            os.replace(temporary, target)
            temporary = None
    except OSError as error:
        raise LayerNetError(f"{shown}: cannot be written ({error.strerror or error})") from None
    finally:
        # Any exception -- KeyboardInterrupt and SystemExit included -- leaves no temporary file.
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
    return Path(shown)


def check_writable(path: str | os.PathLike) -> Path:
    """Refuse now, not after the work, an output path that :func:`atomic_write` could not write.

    Checks what can be known in advance: the path is not a directory and its folder exists, an
    existing file is writable, the folder (of a link's target) is writable and its filesystem
    is not full. Returns the file that will be written (a link's target).

    Raises
    ------
    LayerNetError
        Naming ``path`` and the problem.
    """
    shown = os.fspath(path)
    target, status = _resolve(path)
    if status is not None and not os.access(target, os.W_OK):
        raise LayerNetError(f"{shown}: is not writable (permission denied)")
    if status is not None and not stat.S_ISREG(status.st_mode):
        return target
    folder = target.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        reason = "read-only filesystem" if _read_only(folder) else "permission denied"
        raise LayerNetError(f"{shown}: its folder {folder} is not writable ({reason})")
    try:
        space = os.statvfs(folder)
    except OSError:
        return target
    if space.f_blocks and space.f_bavail == 0:
        raise LayerNetError(f"{shown}: its folder {folder} is on a full filesystem (no space left)")
    return target


def _resolve(path) -> tuple[Path, os.stat_result | None]:
    """The file a write to ``path`` lands on (links followed) and its status (None if new)."""
    shown = os.fspath(path)
    if not shown:
        raise LayerNetError("an output path must not be empty")
    if shown.endswith(_SEPARATORS):
        if os.path.isdir(shown):
            raise LayerNetError(f"{shown}: is a directory")
        raise LayerNetError(f"{shown}: ends in {shown[-1]!r}, so it names a folder, not a file")
    try:
        status = os.stat(shown)  # follows links, /dev/stdout's "magic" /proc link included
    except FileNotFoundError:
        status = None
    except OSError as error:  # a file used as a folder, a link loop, a name too long
        raise LayerNetError(f"{shown}: cannot be written ({error.strerror or error})") from None
    if status is not None:
        kind = _kind(status.st_mode)
        if kind == "directory":
            raise LayerNetError(f"{shown}: is a directory")
        if kind in ("character device", "FIFO"):
            return Path(shown), status  # written through by name: a /proc fd link has no real path
        if kind != "file":
            raise LayerNetError(f"{shown}: is a {kind}; layernet writes only to files, character devices and FIFOs")
    given_folder = os.path.dirname(shown) or "."
    if not os.path.isdir(given_folder):
        raise LayerNetError(f"{shown}: the folder {given_folder} does not exist")
    target = Path(os.path.realpath(shown))
    if not target.parent.is_dir():
        raise LayerNetError(f"{shown}: links to {target}, whose folder does not exist")
    return target, status


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISREG, "file"),
        (stat.S_ISDIR, "directory"),
        (stat.S_ISCHR, "character device"),
        (stat.S_ISFIFO, "FIFO"),
        (stat.S_ISBLK, "block device"),
        (stat.S_ISSOCK, "socket"),
    ):
        if test(mode):
            return name
    return "special file"


def _write_through(shown: str, write, mode: str) -> None:
    # No temporary file and no rename: a device or a pipe is written like `> /dev/null` would.
    # Block devices are refused earlier: writing a model over a disk is never what was meant.
    try:
        raw = _Stream(os.open(shown, os.O_WRONLY))
        handle = io.BufferedWriter(raw) if "b" in mode else io.TextIOWrapper(io.BufferedWriter(raw), encoding="utf-8")
        with handle:
            write(handle)
    except OSError as error:
        raise LayerNetError(f"{shown}: cannot be written ({error.strerror or error})") from None


class _Stream(io.RawIOBase):
    """A device or pipe as a write-only stream that cannot seek.

    ``/dev/null`` accepts seeks but always reports position 0, which misleads writers that seek
    back (a zip archive's offsets); told the stream cannot seek, they write sequentially.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return os.write(self.fd, data)

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self.fd)
            finally:
                super().close()


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new private file in ``target``'s folder, named ``.NAME.RANDOM.tmp``."""
    # os.urandom is what secrets.token_hex draws from; importing secrets (hashlib, hmac) would
    # add about 10 ms to every command, `layernet --help` included.
    while True:
        name = target.parent / f".{target.name}.{os.urandom(4).hex()}.tmp"
        try:
            return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), str(name)
        except FileExistsError:
            continue


def _fdopen(fd: int, mode: str):
    try:
        return os.fdopen(fd, mode) if "b" in mode else os.fdopen(fd, mode, encoding="utf-8")
    except BaseException:
        os.close(fd)
        raise


def _keep_attributes(fd: int, status: os.stat_result | None) -> None:
    """The replaced file's mode and owner (where permitted), or a new file's default mode."""
    if status is None:
        os.fchmod(fd, 0o666 & ~_umask())
        return
    try:
        os.fchown(fd, status.st_uid, status.st_gid)
    except OSError:
        try:  # not root: a group one belongs to can still be kept
            os.fchown(fd, -1, status.st_gid)
        except OSError:
            pass
    # After fchown, which may clear set-id bits.
    os.fchmod(fd, stat.S_IMODE(status.st_mode))


def _copy_in_place(source: str, target: Path) -> None:
    with open(source, "rb") as new, open(target, "r+b") as old:
        shutil.copyfileobj(new, old, 1 << 20)
        old.truncate()
        old.flush()
        os.fsync(old.fileno())


def _read_only(folder: Path) -> bool:
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _umask() -> int:
    # /proc says it without changing it; os.umask's set-and-restore races with other threads.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
