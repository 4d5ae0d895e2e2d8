"""The one writer of output files: refusals, failed writes named by their target, the CLI's check.

Devices, FIFOs, links, modes and full or read-only filesystems, for every writer, are in
tests/hardening/test_files.py.
"""

from __future__ import annotations

import errno
import os
import stat

import pytest

import layernet as ln
from layernet.writing import atomic_write, check_writable


def test_atomic_write_refuses_missing_folders_and_directories(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        atomic_write(tmp_path / "no" / "file.txt", lambda h: h.write(b"x"))
    with pytest.raises(ValueError, match="is a directory"):
        atomic_write(tmp_path, lambda h: h.write(b"x"))


def test_a_failed_write_names_the_target_not_the_temporary_file(tmp_path, monkeypatch):
    def full(source, target):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(source))

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(ln.LayerNetError) as info:
        ln.save(ln.Network([2, 2]).init(seed=0), tmp_path / "m.npz")
    assert str(info.value) == f"{tmp_path / 'm.npz'}: cannot be written (No space left on device)"
    assert list(tmp_path.iterdir()) == []


def test_check_writable_refuses_what_cannot_be_written(tmp_path):
    assert check_writable(tmp_path / "new.npz") == tmp_path / "new.npz"
    for path, message in [
        (tmp_path, "is a directory"),
        (f"{tmp_path}/sub/", "names a folder"),
        (tmp_path / "no" / "m.npz", "does not exist"),
    ]:
        with pytest.raises(ln.LayerNetError, match=message):
            check_writable(path)


def test_kept_mode_and_new_mode(tmp_path):
    path = tmp_path / "out.txt"
    atomic_write(path, lambda handle: handle.write("one"), mode="w")
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~_umask()
    path.chmod(0o640)
    atomic_write(path, lambda handle: handle.write("two"), mode="w")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text() == "two"


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
