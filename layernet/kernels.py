"""Elementwise kernels chosen for the machine: the fastest correct formulation of each hot pass.

The same function can be computed several ways, and which is fastest depends on the CPU: numpy
vectorizes float64 ``tanh`` only with AVX-512, so ``0.5 * (1 + tanh(z / 2))`` is a fast sigmoid on
one machine and 2.4x slower than ``1 / (1 + exp(-z))`` on another (AVX2). Each pass below has
candidates that agree with the course's formula to 1e-12 relative (wherever the result is a
normal float), never warn, and work in place through ``out=``; the first call for a dtype times
each on a small cache-sized block (a few milliseconds, once per process) and keeps the fastest.

- ``sigmoid``, ``1 / (1 + exp(-z))``: ``exp``, that formula, its overflow to ``1 / inf = 0``
  silenced; ``expit``, scipy's (a candidate only when ``scipy.special`` is already imported).
- ``tanh``: ``tanh``, numpy's.
- ``log1p_exp``, the cross-entropy's ``log(1 + exp(-|z|))``: ``log1p``, ``log1p(exp(-|z|))``;
  ``logaddexp``, ``logaddexp(0, -|z|)``.

Formulations left out because they are not correct to 1e-12 relative: ``0.5 * (1 + tanh(z / 2))``
(the difference ``1 + tanh`` loses relative precision for negative ``z``: 3e-13 at ``z = -10``, 2e-4
at ``-30``, and it returns 0 below about ``-38``), ``1 - 2 / (exp(2 z) + 1)`` and ``2 sigmoid(2 z) - 1`` for tanh
(the same loss near ``z = 0``); the accurate ``expm1`` form of tanh runs unvectorized.

``LAYERNET_KERNELS="sigmoid=exp,log1p_exp=log1p"`` forces choices (tests use it to run every
formulation); :func:`report` says what was picked and what each candidate cost.
"""

from __future__ import annotations

import os
import sys
import threading
import time

import numpy as np

from .errors import LayerNetError

__all__ = ["CANDIDATES", "sigmoid", "tanh", "log1p_exp", "choice", "report", "reset"]

#: The environment variable that forces choices: ``pass=candidate`` pairs separated by commas.
ENV = "LAYERNET_KERNELS"
#: Elements in the calibration block (64 KiB in float64: in cache, like the engine's blocks).
CALIBRATION_SIZE = 8192
CALIBRATION_REPEATS = 5


def _sigmoid_exp(z, out):
    # The course's 1 / (1 + exp(-z)) exactly. exp(-z) overflows to inf for z below about -709
    # (-88 in float32), and the result is then 0, within the smallest normal float of the true
    # value (the overflow is expected and silenced: an errstate costs less than a capping pass).
    np.negative(z, out=out)
    with np.errstate(over="ignore"):
        np.exp(out, out=out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _sigmoid_expit(z, out):
    from scipy.special import expit

    return expit(z, out=out)


def _tanh_numpy(z, out):
    return np.tanh(z, out=out)


def _log1p_exp_log1p(z, out):
    np.abs(z, out=out)
    np.negative(out, out=out)
    np.exp(out, out=out)
    return np.log1p(out, out=out)


def _log1p_exp_logaddexp(z, out):
    np.abs(z, out=out)
    np.negative(out, out=out)
    return np.logaddexp(0.0, out, out=out)


#: Every pass and its formulations, ``name -> function(z, out) -> out`` (``out`` may be ``z``).
CANDIDATES: dict[str, dict] = {
    "sigmoid": {"exp": _sigmoid_exp, "expit": _sigmoid_expit},
    "tanh": {"tanh": _tanh_numpy},
    "log1p_exp": {"log1p": _log1p_exp_log1p, "logaddexp": _log1p_exp_logaddexp},
}

# (pass, dtype name) -> the chosen function; filled on first use, under the lock.
_CHOSEN: dict = {}
# (pass, dtype name) -> {"picked": name, "forced": bool, "ns_per_element": {candidate: ns}}
_REPORT: dict = {}
_FORCED: dict | None = None
_LOCK = threading.Lock()


#: Another formulation replaces the first only when it takes less than this share of its time.
SWITCH_MARGIN = 0.8


def _forced() -> dict:
    """The choices ``LAYERNET_KERNELS`` forces, ``{pass: candidate}``, checked."""
    global _FORCED
    if _FORCED is None:
        forced = {}
        for item in filter(None, (part.strip() for part in os.environ.get(ENV, "").split(","))):
            name, sep, candidate = (s.strip() for s in item.partition("="))
            if not sep or name not in CANDIDATES or candidate not in CANDIDATES[name]:
                known = "; ".join(f"{p}={'|'.join(c)}" for p, c in CANDIDATES.items())
                raise LayerNetError(
                    f"{ENV}={os.environ[ENV]!r}: cannot use {item!r}; give pass=candidate pairs separated by "
                    f"commas, from: {known}"
                )
            forced[name] = candidate
        _FORCED = forced
    return _FORCED


def _eligible(name: str) -> dict:
    candidates = dict(CANDIDATES[name])
    if name == "sigmoid" and "scipy.special" not in sys.modules:
        del candidates["expit"]  # importing scipy.special (0.5 s) costs more than it could save
    return candidates


def _time(candidates: dict, dtype: np.dtype) -> dict:
    """Each candidate's best time in ns per element on one calibration block."""
    # A fixed spread of values over the range units see (no special-cased arguments like 0).
    z = (np.random.default_rng(0).standard_normal(CALIBRATION_SIZE) * 4.0).astype(dtype)
    out = np.empty_like(z)
    best = {candidate: float("inf") for candidate in candidates}
    for _ in range(CALIBRATION_REPEATS):  # interleaved, so a burst of load hits every candidate
        for candidate, function in candidates.items():
            start = time.perf_counter()
            function(z, out)
            best[candidate] = min(best[candidate], time.perf_counter() - start)
    return {candidate: round(seconds / z.size * 1e9, 2) for candidate, seconds in best.items()}


def _calibrate(name: str, dtype: np.dtype):
    forced = _forced().get(name)
    if forced is not None:
        _REPORT[name, dtype.name] = {"picked": forced, "forced": True, "ns_per_element": {}}
        return CANDIDATES[name][forced]
    candidates = _eligible(name)
    # A lone candidate needs no timing at first use; report() times it for the record.
    ns = _time(candidates, dtype) if len(candidates) > 1 else {}
    first = next(iter(candidates))
    picked = first
    if ns:
        fastest = min(ns, key=ns.get)
        # The first candidate (the course's own formula) is kept unless another is clearly
        # faster: on a tie, timing noise would otherwise pick differently from run to run, and
        # formulations can round differently (float32 exp and expit do), which moves a long
        # optimizer path. A choice is then stable on a machine whatever its load.
        if ns[fastest] < SWITCH_MARGIN * ns[first]:
            picked = fastest
    _REPORT[name, dtype.name] = {"picked": picked, "forced": False, "ns_per_element": ns}
    return candidates[picked]


def _kernel(name: str, dtype: np.dtype):
    try:
        return _CHOSEN[name, dtype]
    except KeyError:
        with _LOCK:
            if (name, dtype) not in _CHOSEN:
                _CHOSEN[name, dtype] = _calibrate(name, np.dtype(dtype))
            return _CHOSEN[name, dtype]


def _run(name: str, z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    if out is None:
        z = np.asarray(z)
        out = np.empty_like(z, dtype=z.dtype if z.dtype.kind == "f" else np.float64)  # ints give floats
    return _kernel(name, out.dtype)(z, out)


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``1 / (1 + exp(-z))`` elementwise, in ``out`` when given (``out`` may be ``z``)."""
    return _run("sigmoid", z, out)


def tanh(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``tanh(z)`` elementwise, in ``out`` when given (``out`` may be ``z``)."""
    return _run("tanh", z, out)


def log1p_exp(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``log(1 + exp(-|z|))`` elementwise, the cross-entropy's softplus term, in ``out`` when given."""
    return _run("log1p_exp", z, out)


def choice(name: str, dtype=np.float64) -> str:
    """The formulation used for pass ``name`` on arrays of ``dtype`` (calibrating if not yet done)."""
    if name not in CANDIDATES:
        raise LayerNetError(f"unknown kernel pass {name!r}; known passes: {', '.join(CANDIDATES)}")
    dtype = np.dtype(dtype)
    _kernel(name, dtype)
    return _REPORT[name, dtype.name]["picked"]


def report(dtypes=(np.float64, np.float32)) -> dict:
    """Which formulation each pass uses and what each candidate measured, calibrating as needed.

    Returns
    -------
    dict
        ``{pass: {dtype name: {"picked": name, "forced": bool, "ns_per_element": {name: ns}}}}``;
        ``ns_per_element`` is empty for a choice forced through ``LAYERNET_KERNELS``.
    """
    result: dict = {}
    for name in CANDIDATES:
        for dtype in map(np.dtype, dtypes):
            choice(name, dtype)
            entry = _REPORT[name, dtype.name]
            if not entry["forced"] and not entry["ns_per_element"]:
                entry["ns_per_element"] = _time(_eligible(name), dtype)
            result.setdefault(name, {})[dtype.name] = dict(entry)
    return result


def reset() -> None:
    """Forget the choices and re-read ``LAYERNET_KERNELS`` on next use (for tests)."""
    global _FORCED
    with _LOCK:
        _CHOSEN.clear()
        _REPORT.clear()
        _FORCED = None
