"""The shared argument checks: ranges, types, normalization, and messages that name the argument."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from layernet._checks import check_bool, check_bytes, check_choice, check_int, check_real, check_str
from layernet.errors import ConfigError, LayerNetError


@given(st.integers(-(10**6), 10**6))
def test_check_int_accepts_exactly_the_range(value):
    inside = 1 <= value <= 10
    if inside:
        assert check_int(value, "n", low=1, high=10) == value
    else:
        with pytest.raises(LayerNetError, match=rf"n must be an integer in \[1, 10\], got {value}"):
            check_int(value, "n", low=1, high=10)


@pytest.mark.parametrize("value", [True, False, 2.0, 2.5, "3", None, [1], float("nan")])
def test_check_int_refuses_what_is_not_an_integer(value):
    with pytest.raises(LayerNetError, match="k must be an integer >= 0"):
        check_int(value, "k", low=0)


def test_check_int_normalizes_numpy_integers_and_lets_none_through_when_asked():
    value = check_int(np.int64(7), "n", low=1)
    assert value == 7 and type(value) is int
    assert check_int(None, "n", low=1, none=True) is None
    with pytest.raises(LayerNetError, match=r"\(or None\)"):
        check_int(0, "n", low=1, none=True)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_check_real_half_open_interval(value):
    inside = math.isfinite(value) and 0.0 <= value < 1.0
    if inside:
        assert check_real(value, "momentum", low=0.0, high=1.0, high_open=True) == value
    else:
        with pytest.raises(LayerNetError, match=r"momentum must be a finite number in \[0, 1\)"):
            check_real(value, "momentum", low=0.0, high=1.0, high_open=True)


@pytest.mark.parametrize("value", [True, "0.1", None, complex(1, 0), [0.1]])
def test_check_real_refuses_non_reals(value):
    with pytest.raises(LayerNetError, match="tol must be a finite number > 0"):
        check_real(value, "tol", low=0.0, low_open=True)


def test_check_real_returns_plain_floats_and_drops_negative_zero():
    value = check_real(np.float32(0.5), "x")
    assert type(value) is float and value == 0.5
    assert math.copysign(1.0, check_real(-0.0, "x", low=0.0)) == 1.0


def test_choice_bool_and_str():
    assert check_choice("cg", "method", ("cg", "gd")) == "cg"
    with pytest.raises(LayerNetError, match="method must be one of 'cg', 'gd', got 'adam'"):
        check_choice("adam", "method", ("cg", "gd"))
    with pytest.raises(LayerNetError, match="must be one of"):
        check_choice(["cg"], "method", ("cg", "gd"))  # unhashable: refused, not a TypeError
    assert check_bool(np.bool_(True), "scale") is True
    with pytest.raises(LayerNetError, match="scale must be true or false, got 1"):
        check_bool(1, "scale")
    with pytest.raises(LayerNetError, match="path must be a non-empty string"):
        check_str("", "path")


def test_the_error_class_is_the_callers():
    with pytest.raises(ConfigError):
        check_int(0, "training.max_iter", low=1, error=ConfigError)
    assert issubclass(ConfigError, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("512MB", 512 * 10**6), ("512 MiB", 512 * 2**20), ("2GiB", 2 * 2**30), ("1.5 kb", 1500), ("100", 100), ("7b", 7)],
)
def test_sizes_in_bytes_read_decimal_and_binary_units(text, expected):
    assert check_bytes(text, "max_memory") == expected
    assert check_bytes(expected, "max_memory") == expected


@pytest.mark.parametrize("bad", ["", "MB", "12 parsecs", "1e400GB", "nanMB", 0, -5, True, 1.5, "0.1b"])
def test_sizes_in_bytes_refuse_what_is_not_one(bad):
    with pytest.raises(ConfigError, match=r"max_memory must be a size in bytes >= 1: .* got "):
        check_bytes(bad, "max_memory", error=ConfigError)
    assert check_bytes(None, "max_memory", none=True) is None
