"""The exception classes: every error a user can fix is a ValueError, so existing handlers catch it."""

from __future__ import annotations

import pytest

import layernet as ln


@pytest.mark.parametrize("cls", [ln.LayerNetError, ln.ConfigError, ln.DataError, ln.ModelFileError])
def test_every_user_error_is_a_value_error_and_a_layernet_error(cls):
    assert issubclass(cls, ValueError) and issubclass(cls, ln.LayerNetError)


def test_the_library_raises_its_own_subclasses_where_they_apply(tmp_path):
    with pytest.raises(ln.DataError):
        ln.Network([2, 2]).cost(None, [[float("nan"), 0.0]], [[1.0, 0.0]])
    with pytest.raises(ln.ConfigError):
        ln.RunConfig.from_toml(tmp_path / "missing.toml")
    with pytest.raises(ln.ModelFileError):
        (tmp_path / "garbage.npz").write_bytes(b"not a zip file")
        ln.load(tmp_path / "garbage.npz")
