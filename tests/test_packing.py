"""ParameterPacker: views that write through, the course's layout, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import layernet as ln
from layernet import ParameterPacker


def test_sizes_and_offsets():
    packer = ParameterPacker([(3, 3), (2, 4)])
    assert packer.size == 17
    assert packer.offsets == (0, 9, 17)
    assert len(packer) == 2


def test_unpack_returns_views_that_write_through():
    packer = ParameterPacker([(3, 3), (2, 4)])
    theta = packer.zeros()
    views = packer.unpack(theta)
    for view in views:
        assert np.shares_memory(view, theta)
    views[1][1, 2] = 5.0
    assert theta[9 + 1 * 4 + 2] == 5.0
    W, b = views[0][:, 1:], views[0][:, 0]
    assert np.shares_memory(W, theta) and np.shares_memory(b, theta)


def test_layout_is_the_course_unrolled_vector(rng):
    theta1, theta2 = rng.normal(size=(3, 3)), rng.normal(size=(2, 4))
    packer = ParameterPacker([(3, 3), (2, 4)])
    flat = packer.pack([theta1, theta2])
    # The blog: concatenate(theta1.reshape(9), theta2.reshape(8)) and back with reshape.
    np.testing.assert_array_equal(flat, np.concatenate([theta1.reshape(9), theta2.reshape(8)]))
    back1, back2 = packer.unpack(flat)
    np.testing.assert_array_equal(back1, flat[:9].reshape((3, 3)))
    np.testing.assert_array_equal(back2, theta2)


def test_pack_unpack_round_trip(rng):
    shapes = [(4, 3), (5, 5), (1, 6)]
    packer = ParameterPacker(shapes)
    arrays = [rng.normal(size=s) for s in shapes]
    for original, back in zip(arrays, packer.unpack(packer.pack(arrays))):
        np.testing.assert_array_equal(original, back)


def test_pack_into_out():
    packer = ParameterPacker([(1, 2)])
    out = packer.zeros()
    assert packer.pack([np.array([[1.0, 2.0]])], out=out) is out
    np.testing.assert_array_equal(out, [1.0, 2.0])


@pytest.mark.parametrize(
    "flat, message",
    [
        (np.zeros(16), "length 17"),
        (np.zeros((17, 1)), "must be 1-D"),
        (np.zeros(17, dtype=np.float32), "dtype float64"),
        (np.zeros(17, dtype=np.int64), "dtype float64"),
        ([0.0] * 17, "numpy array"),
    ],
)
def test_unpack_rejects_bad_vectors(flat, message):
    with pytest.raises(ValueError, match=message):
        ParameterPacker([(3, 3), (2, 4)]).unpack(flat)


def test_pack_rejects_bad_arrays():
    packer = ParameterPacker([(3, 3), (2, 4)])
    with pytest.raises(ValueError, match="expects 2 arrays"):
        packer.pack([np.zeros((3, 3))])
    with pytest.raises(ValueError, match=r"shape \(2, 4\)"):
        packer.pack([np.zeros((3, 3)), np.zeros((4, 2))])
    with pytest.raises(ValueError, match="numeric"):
        packer.pack([np.zeros((3, 3)), np.full((2, 4), "a")])


@pytest.mark.parametrize("shapes", [[], [(0, 3)], [(2,)], [(2, -1)], [(2.5, 3)]])
def test_bad_shapes(shapes):
    with pytest.raises(ValueError):
        ParameterPacker(shapes)


def test_float32_packer():
    packer = ParameterPacker([(2, 2)], dtype=np.float32)
    assert packer.zeros().dtype == np.float32
    with pytest.raises(ValueError, match="floating"):
        ParameterPacker([(2, 2)], dtype=np.int32)


@pytest.mark.parametrize(
    "shapes, message",
    [
        ([(2, 0)], r"shape 0\[1\] must be an integer >= 1, got 0"),
        ([(3, 3), (2,)], r"shape 1 must be a pair \(rows, columns\), got \(2,\)"),
        ([(2, 2.5)], r"shape 0\[1\] must be an integer >= 1, got 2.5"),
        ([(True, 2)], r"shape 0\[0\] must be an integer >= 1, got True"),
        (["ab"], r"shape 0 must be a pair"),
        ([], "needs at least one shape"),
    ],
)
def test_bad_shapes_are_named_by_position(shapes, message):
    with pytest.raises(ln.LayerNetError, match=message):
        ln.ParameterPacker(shapes)
