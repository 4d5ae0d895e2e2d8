"""Nonlinear conjugate gradient, step for step scipy's ``fmin_cg`` (``minimize(method="CG")``).

Why a copy: importing ``scipy.optimize`` costs about half a second, more than the whole
reference training, and ``layernet train`` is meant to finish within a second. This module runs
the same algorithm with numpy alone -- Polak-Ribiere+ directions with scipy's sufficient-descent
check, and MINPACK's DCSRCH line search for the strong Wolfe conditions -- doing the same
floating-point operations in the same order, so it visits the same points as scipy and reports
the same outcome. When DCSRCH finds no step, scipy falls back to its pure-Python Wolfe search
(``line_search_wolfe2``); so does this module, and only then is scipy imported.

Ported from SciPy 1.17 (``scipy/optimize/_optimize.py:_minimize_cg``,
``scipy/optimize/_linesearch.py``, ``scipy/optimize/_dcsrch.py``), which is
Copyright (c) 2001-2002 Enthought, Inc. 2003, SciPy Developers, under the BSD 3-Clause license;
DCSRCH and DCSTEP are by Jorge J. More' and David J. Thuente (MINPACK-1, MINPACK-2).
``tests/test_performance.py`` checks that both visit the same points.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["CGResult", "minimize_cg"]

SUCCESS = "Optimization terminated successfully."
MAXITER = "Maximum number of iterations has been exceeded."
PRECISION_LOSS = "Desired error not necessarily achieved due to precision loss."
NAN = "NaN result encountered."
STOPPED = "`callback` raised `StopIteration`."


@dataclass
class CGResult:
    """What scipy's ``OptimizeResult`` carries for CG (status 99: the callback stopped it)."""

    x: np.ndarray
    fun: float
    status: int
    message: str
    nit: int

    @property
    def success(self) -> bool:
        return self.status == 0


def minimize_cg(
    f: Callable[[np.ndarray], float],
    fprime: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    gtol: float = 1e-5,
    maxiter: int | None = None,
    callback: Callable[[np.ndarray, float], None] | None = None,
    c1: float = 1e-4,
    c2: float = 0.4,
) -> CGResult:
    """Minimize ``f`` from ``x0`` as ``scipy.optimize.minimize(f, x0, jac=fprime, method="CG")`` does.

    ``callback(x, fun)`` runs after every iteration; raising ``StopIteration`` stops the run
    (status 99). The norm of the stopping test is the largest absolute gradient component.
    """
    x0 = np.asarray(x0, dtype=float).flatten()
    if maxiter is None:
        maxiter = len(x0) * 200
    old_fval = f(x0)
    gfk = fprime(x0)
    k = 0
    xk = x0
    # Sets the initial step guess to dx ~ 1
    old_old_fval = old_fval + np.linalg.norm(gfk) / 2
    warnflag = 0
    pk = -gfk
    gnorm = np.amax(np.abs(gfk))
    sigma_3 = 0.01
    stopped = False

    while (gnorm > gtol) and (k < maxiter):
        deltak = np.dot(gfk, gfk)
        cached_step = [None]

        def polak_ribiere_powell_step(alpha, gfkp1=None, xk=xk, pk=pk, gfk=gfk, deltak=deltak):
            xkp1 = xk + alpha * pk
            if gfkp1 is None:
                gfkp1 = fprime(xkp1)
            yk = gfkp1 - gfk
            beta_k = max(0, np.dot(yk, gfkp1) / deltak)
            pkp1 = -gfkp1 + beta_k * pk
            gnorm = np.amax(np.abs(gfkp1))
            return (alpha, xkp1, pkp1, gfkp1, gnorm)

        def descent_condition(alpha, xkp1, fp1, gfkp1, cached_step=cached_step, step=polak_ribiere_powell_step):
            # Polak-Ribiere+ needs an explicit check of a sufficient descent condition, which is
            # not guaranteed by strong Wolfe (Gilbert & Nocedal, SIAM J. Optimization 2, 1992).
            cached_step[:] = step(alpha, gfkp1)
            alpha, xk, pk, gfk, gnorm = cached_step
            if gnorm <= gtol:
                return True
            return np.dot(pk, gfk) <= -sigma_3 * np.dot(gfk, gfk)

        ret = _line_search_wolfe12(f, fprime, xk, pk, gfk, old_fval, old_old_fval, c1, c2, descent_condition)
        if ret is None:
            warnflag = 2  # the line search found no better point
            break
        alpha_k, fc, gc, old_fval, old_old_fval, gfkp1 = ret
        if alpha_k == cached_step[0]:
            alpha_k, xk, pk, gfk, gnorm = cached_step
        else:
            alpha_k, xk, pk, gfk, gnorm = polak_ribiere_powell_step(alpha_k, gfkp1)
        k += 1
        if callback is not None:
            try:
                callback(xk, old_fval)
            except StopIteration:
                stopped = True
                break

    fval = old_fval
    if stopped:
        return CGResult(xk, fval, 99, STOPPED, k)
    if warnflag == 2:
        message = PRECISION_LOSS
    elif k >= maxiter:
        warnflag, message = 1, MAXITER
    elif np.isnan(gnorm) or np.isnan(fval) or np.isnan(xk).any():
        warnflag, message = 3, NAN
    else:
        message = SUCCESS
    return CGResult(xk, fval, warnflag, message, k)


def _line_search_wolfe12(f, fprime, xk, pk, gfk, old_fval, old_old_fval, c1, c2, extra_condition):
    """DCSRCH's strong Wolfe search, then scipy's pure-Python one if it fails; None if both do."""
    ret = _line_search_wolfe1(f, fprime, xk, pk, gfk, old_fval, old_old_fval, c1=c1, c2=c2, amax=1e100, amin=1e-100)
    if ret[0] is not None:
        xp1 = xk + ret[0] * pk
        if not extra_condition(ret[0], xp1, ret[3], ret[5]):
            ret = (None,)
    if ret[0] is None:
        from scipy.optimize._linesearch import LineSearchWarning, line_search_wolfe2

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LineSearchWarning)
            ret = line_search_wolfe2(
                f,
                fprime,
                xk,
                pk,
                gfk,
                old_fval,
                old_old_fval,
                extra_condition=extra_condition,
                c1=c1,
                c2=c2,
                amax=1e100,
            )
    if ret[0] is None:
        return None
    return ret


def _line_search_wolfe1(
    f, fprime, xk, pk, gfk, old_fval, old_old_fval, c1=1e-4, c2=0.9, amax=50, amin=1e-8, xtol=1e-14
):
    gval = [gfk]
    gc = [0]
    fc = [0]

    def phi(s):
        fc[0] += 1
        return f(xk + s * pk)

    def derphi(s):
        gval[0] = fprime(xk + s * pk)
        gc[0] += 1
        return np.dot(gval[0], pk)

    derphi0 = np.dot(gfk, pk)
    stp, fval, old_fval = _scalar_search_wolfe1(
        phi, derphi, old_fval, old_old_fval, derphi0, c1=c1, c2=c2, amax=amax, amin=amin, xtol=xtol
    )
    return stp, fc[0], gc[0], fval, old_fval, gval[0]


def _scalar_search_wolfe1(phi, derphi, phi0, old_phi0, derphi0, c1, c2, amax, amin, xtol):
    if old_phi0 is not None and derphi0 != 0:
        alpha1 = min(1.0, 1.01 * 2 * (phi0 - old_phi0) / derphi0)
        if alpha1 < 0:
            alpha1 = 1.0
    else:
        alpha1 = 1.0
    search = _DCSRCH(phi, derphi, c1, c2, xtol, amin, amax)
    stp, phi1, phi0, task = search(alpha1, phi0=phi0, derphi0=derphi0, maxiter=100)
    return stp, phi1, phi0


class _DCSRCH:
    """MINPACK-2's DCSRCH: a step satisfying the strong Wolfe conditions (More' and Thuente)."""

    def __init__(self, phi, derphi, ftol, gtol, xtol, stpmin, stpmax):
        self.stage = None
        self.ginit = None
        self.gtest = None
        self.gx = None
        self.gy = None
        self.finit = None
        self.fx = None
        self.fy = None
        self.stx = None
        self.sty = None
        self.stmin = None
        self.stmax = None
        self.width = None
        self.width1 = None
        self.ftol = ftol
        self.gtol = gtol
        self.xtol = xtol
        self.stpmin = stpmin
        self.stpmax = stpmax
        self.phi = phi
        self.derphi = derphi

    def __call__(self, alpha1, phi0, derphi0, maxiter=100):
        phi1 = phi0
        derphi1 = derphi0
        task = b"START"
        for _ in range(maxiter):
            stp, phi1, derphi1, task = self._iterate(alpha1, phi1, derphi1, task)
            if not np.isfinite(stp):
                task = b"WARN"
                stp = None
                break
            if task[:2] == b"FG":
                alpha1 = stp
                phi1 = self.phi(stp)
                derphi1 = self.derphi(stp)
            else:
                break
        else:
            stp = None
            task = b"WARNING: dcsrch did not converge within max iterations"
        if task[:5] == b"ERROR" or task[:4] == b"WARN":
            stp = None
        return stp, phi1, phi0, task

    def _iterate(self, stp, f, g, task):
        p5 = 0.5
        p66 = 0.66
        xtrapl = 1.1
        xtrapu = 4.0
        if task[:5] == b"START":
            if stp < self.stpmin:
                task = b"ERROR: STP .LT. STPMIN"
            if stp > self.stpmax:
                task = b"ERROR: STP .GT. STPMAX"
            if g >= 0:
                task = b"ERROR: INITIAL G .GE. ZERO"
            if self.ftol < 0:
                task = b"ERROR: FTOL .LT. ZERO"
            if self.gtol < 0:
                task = b"ERROR: GTOL .LT. ZERO"
            if self.xtol < 0:
                task = b"ERROR: XTOL .LT. ZERO"
            if self.stpmin < 0:
                task = b"ERROR: STPMIN .LT. ZERO"
            if self.stpmax < self.stpmin:
                task = b"ERROR: STPMAX .LT. STPMIN"
            if task[:5] == b"ERROR":
                return stp, f, g, task
            self.brackt = False
            self.stage = 1
            self.finit = f
            self.ginit = g
            self.gtest = self.ftol * self.ginit
            self.width = self.stpmax - self.stpmin
            self.width1 = self.width / p5
            self.stx = 0.0
            self.fx = self.finit
            self.gx = self.ginit
            self.sty = 0.0
            self.fy = self.finit
            self.gy = self.ginit
            self.stmin = 0
            self.stmax = stp + xtrapu * stp
            return stp, f, g, b"FG"

        ftest = self.finit + stp * self.gtest
        if self.stage == 1 and f <= ftest and g >= 0:
            self.stage = 2
        if self.brackt and (stp <= self.stmin or stp >= self.stmax):
            task = b"WARNING: ROUNDING ERRORS PREVENT PROGRESS"
        if self.brackt and self.stmax - self.stmin <= self.xtol * self.stmax:
            task = b"WARNING: XTOL TEST SATISFIED"
        if stp == self.stpmax and f <= ftest and g <= self.gtest:
            task = b"WARNING: STP = STPMAX"
        if stp == self.stpmin and (f > ftest or g >= self.gtest):
            task = b"WARNING: STP = STPMIN"
        if f <= ftest and abs(g) <= self.gtol * -self.ginit:
            task = b"CONVERGENCE"
        if task[:4] == b"WARN" or task[:4] == b"CONV":
            return stp, f, g, task

        if self.stage == 1 and f <= self.fx and f > ftest:
            # A modified function: the step's interval is updated from f - stp * gtest.
            fm = f - stp * self.gtest
            fxm = self.fx - self.stx * self.gtest
            fym = self.fy - self.sty * self.gtest
            gm = g - self.gtest
            gxm = self.gx - self.gtest
            gym = self.gy - self.gtest
            with np.errstate(invalid="ignore", over="ignore"):
                tup = _dcstep(self.stx, fxm, gxm, self.sty, fym, gym, stp, fm, gm, self.brackt, self.stmin, self.stmax)
                self.stx, fxm, gxm, self.sty, fym, gym, stp, self.brackt = tup
            self.fx = fxm + self.stx * self.gtest
            self.fy = fym + self.sty * self.gtest
            self.gx = gxm + self.gtest
            self.gy = gym + self.gtest
        else:
            with np.errstate(invalid="ignore", over="ignore"):
                tup = _dcstep(
                    self.stx,
                    self.fx,
                    self.gx,
                    self.sty,
                    self.fy,
                    self.gy,
                    stp,
                    f,
                    g,
                    self.brackt,
                    self.stmin,
                    self.stmax,
                )
            self.stx, self.fx, self.gx, self.sty, self.fy, self.gy, stp, self.brackt = tup

        if self.brackt:
            if abs(self.sty - self.stx) >= p66 * self.width1:
                stp = self.stx + p5 * (self.sty - self.stx)
            self.width1 = self.width
            self.width = abs(self.sty - self.stx)
        if self.brackt:
            self.stmin = min(self.stx, self.sty)
            self.stmax = max(self.stx, self.sty)
        else:
            self.stmin = stp + xtrapl * (stp - self.stx)
            self.stmax = stp + xtrapu * (stp - self.stx)
        stp = np.clip(stp, self.stpmin, self.stpmax)
        if (self.brackt and (stp <= self.stmin or stp >= self.stmax)) or (
            self.brackt and self.stmax - self.stmin <= self.xtol * self.stmax
        ):
            stp = self.stx
        return stp, f, g, b"FG"


def _dcstep(stx, fx, dx, sty, fy, dy, stp, fp, dp, brackt, stpmin, stpmax):
    """MINPACK-2's DCSTEP: a safeguarded cubic or quadratic step; updates the bracketing interval."""
    sgn_dp = np.sign(dp)
    sgn_dx = np.sign(dx)
    sgnd = sgn_dp * sgn_dx
    if fp > fx:
        # A higher function value: the minimum is bracketed.
        theta = 3.0 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp < stx:
            gamma *= -1
        p = (gamma - dx) + theta
        q = ((gamma - dx) + gamma) + dp
        r = p / q
        stpc = stx + r * (stp - stx)
        stpq = stx + ((dx / ((fx - fp) / (stp - stx) + dx)) / 2.0) * (stp - stx)
        if abs(stpc - stx) <= abs(stpq - stx):
            stpf = stpc
        else:
            stpf = stpc + (stpq - stpc) / 2.0
        brackt = True
    elif sgnd < 0.0:
        # Derivatives of opposite sign: the minimum is bracketed.
        theta = 3 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt((theta / s) ** 2 - (dx / s) * (dp / s))
        if stp > stx:
            gamma *= -1
        p = (gamma - dp) + theta
        q = ((gamma - dp) + gamma) + dx
        r = p / q
        stpc = stp + r * (stx - stp)
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if abs(stpc - stp) > abs(stpq - stp):
            stpf = stpc
        else:
            stpf = stpq
        brackt = True
    elif abs(dp) < abs(dx):
        # A lower value, same-sign derivative whose magnitude decreases.
        theta = 3 * (fx - fp) / (stp - stx) + dx + dp
        s = max(abs(theta), abs(dx), abs(dp))
        gamma = s * np.sqrt(max(0, (theta / s) ** 2 - (dx / s) * (dp / s)))
        if stp > stx:
            gamma = -gamma
        p = (gamma - dp) + theta
        q = (gamma + (dx - dp)) + gamma
        r = p / q
        if r < 0 and gamma != 0:
            stpc = stp + r * (stx - stp)
        elif stp > stx:
            stpc = stpmax
        else:
            stpc = stpmin
        stpq = stp + (dp / (dp - dx)) * (stx - stp)
        if brackt:
            if abs(stpc - stp) < abs(stpq - stp):
                stpf = stpc
            else:
                stpf = stpq
            if stp > stx:
                stpf = min(stp + 0.66 * (sty - stp), stpf)
            else:
                stpf = max(stp + 0.66 * (sty - stp), stpf)
        else:
            if abs(stpc - stp) > abs(stpq - stp):
                stpf = stpc
            else:
                stpf = stpq
            stpf = np.clip(stpf, stpmin, stpmax)
    else:
        # A lower value, same-sign derivative that does not decrease.
        if brackt:
            theta = 3.0 * (fp - fy) / (sty - stp) + dy + dp
            s = max(abs(theta), abs(dy), abs(dp))
            gamma = s * np.sqrt((theta / s) ** 2 - (dy / s) * (dp / s))
            if stp > sty:
                gamma = -gamma
            p = (gamma - dp) + theta
            q = ((gamma - dp) + gamma) + dy
            r = p / q
            stpc = stp + r * (sty - stp)
            stpf = stpc
        elif stp > stx:
            stpf = stpmax
        else:
            stpf = stpmin

    if fp > fx:
        sty = stp
        fy = fp
        dy = dp
    else:
        if sgnd < 0:
            sty = stx
            fy = fx
            dy = dx
        stx = stp
        fx = fp
        dx = dp
    stp = stpf
    return stx, fx, dx, sty, fy, dy, stp, brackt
