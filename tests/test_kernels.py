"""Every kernel formulation against the course's formulas, the calibration and the override."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

import layernet as ln
from layernet import kernels

FORMULATIONS = [(name, candidate) for name, candidates in kernels.CANDIDATES.items() for candidate in candidates]


@pytest.fixture
def fresh(monkeypatch):
    """Forget the process's choices before and after, so forced ones do not leak into other tests."""
    monkeypatch.delenv(kernels.ENV, raising=False)
    kernels.reset()
    yield monkeypatch
    monkeypatch.undo()
    kernels.reset()


def _z(dtype):
    """Tiny, ordinary and extreme arguments (|z| to 800), both signs, and zero."""
    magnitudes = np.concatenate([[0.0, 1e-300, 1e-30, 1e-12, 1e-8], np.geomspace(1e-4, 800.0, 400)])
    z = np.concatenate([-magnitudes[::-1], magnitudes])
    return z.astype(dtype)


def _reference(name, z):
    """The course's formulas in extended precision where numpy has it, else float64 with care."""
    x = z.astype(np.longdouble)
    with np.errstate(over="ignore"):
        if name == "sigmoid":
            # exp(z) / (1 + exp(z)) for z < 0 never overflows: the same value as 1 / (1 + exp(-z)).
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
        if name == "tanh":
            return np.tanh(x)
        return np.log1p(np.exp(-np.abs(x)))


def _check(name, z, result):
    dtype = z.dtype
    expected = _reference(name, z)
    tiny, eps = np.finfo(dtype).tiny, np.finfo(dtype).eps
    rtol = 1e-12 if dtype == np.float64 else 8 * eps
    # Relative agreement wherever the value is a normal float; below that, within the smallest one.
    error = np.abs(result.astype(np.longdouble) - expected)
    bound = np.maximum(rtol * np.abs(expected), 2 * tiny)
    worst = np.argmax(error / bound)
    assert (error <= bound).all(), f"{name}: z={z[worst]!r} gave {result[worst]!r}, expected {expected[worst]!r}"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("name", "candidate"), FORMULATIONS)
def test_every_formulation_agrees_with_the_course_formula(fresh, name, candidate, dtype):
    fresh.setenv(kernels.ENV, f"{name}={candidate}")
    z = _z(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is expected
            result = getattr(kernels, name)(z)
    assert result.dtype == dtype
    assert kernels.choice(name, dtype) == candidate
    _check(name, z, result)


@pytest.mark.parametrize(("name", "candidate"), FORMULATIONS)
def test_every_formulation_writes_into_out_and_in_place(fresh, name, candidate):
    fresh.setenv(kernels.ENV, f"{name}={candidate}")
    function = getattr(kernels, name)
    z = np.linspace(-50.0, 50.0, 3 * 7).reshape(3, 7)
    expected = function(z)
    out = np.empty_like(z)
    assert function(z, out=out) is out
    np.testing.assert_array_equal(out, expected)
    zT = np.asfortranarray(z)  # the engine's views are column-major blocks
    assert function(zT, out=zT) is zT
    np.testing.assert_array_equal(zT, expected)


def test_integer_and_list_arguments_give_floats(fresh):
    np.testing.assert_array_equal(kernels.sigmoid(np.array([0, 0])), [0.5, 0.5])
    np.testing.assert_array_equal(kernels.tanh([0, 0]), [0.0, 0.0])
    assert kernels.sigmoid(np.zeros(2, dtype=np.float32)).dtype == np.float32


def test_sigmoid_equals_the_course_formula_where_it_does_not_overflow(fresh):
    z = np.linspace(-700.0, 700.0, 10001)
    np.testing.assert_allclose(kernels.sigmoid(z), 1.0 / (1.0 + np.exp(-z)), rtol=1e-12, atol=0)


def test_calibration_picks_a_candidate_once_and_reports_it(fresh):
    first = kernels.choice("sigmoid")
    assert first in kernels.CANDIDATES["sigmoid"]
    chosen = kernels._kernel("sigmoid", np.dtype(np.float64))
    assert kernels._kernel("sigmoid", np.dtype(np.float64)) is chosen  # cached, not re-timed
    report = kernels.report()
    assert set(report) == set(kernels.CANDIDATES)
    for name, by_dtype in report.items():
        assert set(by_dtype) == {"float64", "float32"}
        for entry in by_dtype.values():
            assert entry["picked"] in kernels.CANDIDATES[name] and not entry["forced"]
            assert entry["picked"] in entry["ns_per_element"]
            assert all(ns > 0 for ns in entry["ns_per_element"].values())
            ns = entry["ns_per_element"]
            default, fastest = next(iter(kernels.CANDIDATES[name])), min(ns, key=ns.get)
            assert entry["picked"] == (fastest if ns[fastest] < kernels.SWITCH_MARGIN * ns[default] else default)
    assert report["sigmoid"]["float64"]["picked"] == first


@pytest.mark.parametrize(
    ("timings", "picked"), [({"exp": 10.0, "expit": 9.5}, "exp"), ({"exp": 10.0, "expit": 5.0}, "expit")]
)
def test_the_courses_formula_stays_unless_another_is_clearly_faster(fresh, timings, picked):
    import scipy.special  # noqa: F401 - loaded, so expit is a candidate

    fresh.setattr(kernels, "_time", lambda candidates, dtype: dict(timings))
    assert kernels.choice("sigmoid") == picked  # a tie keeps the first: no run-to-run flip


def test_expit_is_timed_only_when_scipy_special_is_loaded(fresh):
    import scipy.special  # noqa: F401 - loaded, so expit is a candidate

    assert "expit" in kernels.report()["sigmoid"]["float64"]["ns_per_element"]
    fresh.delitem(sys.modules, "scipy.special")
    kernels.reset()
    assert "expit" not in kernels.report()["sigmoid"]["float64"]["ns_per_element"]


def test_the_override_forces_a_choice_without_timing(fresh):
    fresh.setenv(kernels.ENV, " sigmoid = expit , log1p_exp=logaddexp")
    report = kernels.report()
    assert report["sigmoid"]["float64"] == {"picked": "expit", "forced": True, "ns_per_element": {}}
    assert report["log1p_exp"]["float32"]["picked"] == "logaddexp"
    assert not report["tanh"]["float64"]["forced"]


@pytest.mark.parametrize("value", ["sigmoid=tanh", "swish=exp", "sigmoid", "sigmoid=exp;tanh=tanh"])
def test_a_bad_override_says_what_is_known(fresh, value):
    fresh.setenv(kernels.ENV, value)
    with pytest.raises(ln.LayerNetError, match=r"LAYERNET_KERNELS=.*sigmoid=exp\|expit"):
        ln.get_activation("sigmoid").forward(np.zeros(3))
    with pytest.raises(ln.LayerNetError, match="unknown kernel pass 'relu'"):
        kernels.choice("relu")


@pytest.mark.parametrize("sigmoid", kernels.CANDIDATES["sigmoid"])
@pytest.mark.parametrize("log1p_exp", kernels.CANDIDATES["log1p_exp"])
def test_gradients_check_with_every_formulation(fresh, sigmoid, log1p_exp):
    fresh.setenv(kernels.ENV, f"sigmoid={sigmoid},log1p_exp={log1p_exp}")
    assert ln.check_nn_gradients(lambda_=3.0) < 1e-9
    net = ln.Network([3, 5, 3]).init(seed=0)
    X = np.random.default_rng(0).normal(size=(5, 3))
    assert ln.check_gradients(net, X, [0, 1, 2, 0, 1], lambda_=0.5) < 1e-9
