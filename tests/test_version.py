"""The version: one definition, the same in the package, its metadata and the model files it writes."""

from __future__ import annotations

from importlib.metadata import version

import layernet as ln


def test_one_version_everywhere(tmp_path):
    assert ln.__version__ == version("layernet")
    path = tmp_path / "m.npz"
    ln.save(ln.Network([2, 3, 2]).init(seed=0), path)
    assert ln.persistence.read_metadata(path)["layernet_version"] == ln.__version__
