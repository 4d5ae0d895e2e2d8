"""threads: the thread rule (one thread for small problems), idle cores, argument checks, the BLAS
limit that train() runs under and restores, and the shared worker pools."""

from __future__ import annotations

import os
import re
import sys

import pytest
from threadpoolctl import threadpool_info, threadpool_limits

from layernet import threads as threads_module
from layernet.threads import available_cores, blas_threads, check_threads, choose_threads, worker_pool


def blas_thread_counts() -> set[int]:
    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


# -- the rule ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n_samples", "sizes"),
    [(200, [2, 3, 2]), (4, [2, 4, 2]), (1797, [64, 25, 10]), (1257, [64, 100, 10]), (1, [1000, 1000])],
)
def test_small_and_medium_problems_run_on_one_thread(monkeypatch, n_samples, sizes):
    monkeypatch.setattr(threads_module, "idle_cores", lambda: 8)
    assert choose_threads(n_samples, sizes) == 1


def test_thread_rule_by_problem_size(monkeypatch):
    monkeypatch.setattr(threads_module, "idle_cores", lambda: 8)
    assert threads_module.choose_threads(200, [2, 3, 2]) == 1
    assert threads_module.choose_threads(1797, [64, 25, 10]) == 1
    assert threads_module.choose_threads(1257, [64, 100, 10]) == 1
    assert threads_module.choose_threads(20_000, [100, 256, 256, 10]) == 8
    limit = threads_module.MULTITHREAD_MIN_WORK
    assert threads_module.choose_threads(limit, [1, 1]) == 8
    assert threads_module.choose_threads(limit - 1, [1, 1]) == 1


@pytest.mark.parametrize(("load", "expected"), [(0.0, 4), (1.0, 4), (1.6, 3), (2.4, 3), (3.6, 1), (9.0, 1)])
def test_idle_cores_leave_out_the_busy_ones(monkeypatch, load, expected):
    monkeypatch.setattr(threads_module, "available_cores", lambda: 4)
    monkeypatch.setattr(threads_module.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(threads_module, "_runnable_now", lambda: 1.0)
    assert threads_module.idle_cores() == expected


def test_idle_cores_see_runnable_neighbours_before_the_average(monkeypatch):
    monkeypatch.setattr(threads_module, "available_cores", lambda: 2)
    monkeypatch.setattr(threads_module.os, "getloadavg", lambda: (0.1, 0.1, 0.1))
    monkeypatch.setattr(threads_module, "_runnable_now", lambda: 2.0)  # this process and one other
    assert threads_module.idle_cores() == 1


def test_runnable_now_counts_this_process():
    runnable = threads_module._runnable_now()
    assert runnable >= 1 or not sys.platform.startswith("linux")


def test_available_cores_are_this_process_affinity():
    cores = available_cores()
    assert cores >= 1
    if hasattr(os, "sched_getaffinity"):
        assert cores == len(os.sched_getaffinity(0))


def test_idle_cores_without_a_load_average_are_all_the_cores(monkeypatch):
    def no_load():
        raise OSError("no load average")

    monkeypatch.setattr(threads_module, "available_cores", lambda: 3)
    monkeypatch.setattr(threads_module.os, "getloadavg", no_load)
    assert threads_module.idle_cores() == 3


def test_an_unreadable_proc_loadavg_counts_as_nothing_runnable(monkeypatch):
    real_open = open

    def fake_open(path, *args, **kwargs):
        if str(path) == "/proc/loadavg":
            raise OSError("not mounted")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", fake_open)
    assert threads_module._runnable_now() == 0.0


# -- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize("threads", [None, 1, 2, 64])
def test_check_threads_passes_none_and_positive_ints(threads):
    assert check_threads(threads) == threads


@pytest.mark.parametrize("bad", [0, -1, 1.5, 2.0, "2", True, False, [2]])
def test_check_threads_rejects_everything_else_and_says_what_it_got(bad):
    with pytest.raises(ValueError, match=r"threads must be an integer >= 1 \(or None\), got " + re.escape(repr(bad))):
        check_threads(bad)


# -- the BLAS limit -------------------------------------------------------------------------------


def test_blas_threads_limits_inside_and_restores_after():
    before = blas_thread_counts()
    assert before, "threadpoolctl sees no BLAS library"
    with blas_threads(1):
        assert blas_thread_counts() == {1}
    assert blas_thread_counts() == before
    with threadpool_limits(limits=2, user_api="blas"):
        outer = blas_thread_counts()  # 2, or fewer where the library was built for fewer
        with blas_threads(1):
            assert blas_thread_counts() == {1}
        assert blas_thread_counts() == outer
    assert blas_thread_counts() == before


def test_blas_threads_restores_after_an_error():
    before = blas_thread_counts()
    with pytest.raises(RuntimeError, match="boom"), blas_threads(1):
        raise RuntimeError("boom")
    assert blas_thread_counts() == before


# -- pools ----------------------------------------------------------------------------------------


def test_worker_pools_are_made_once_per_size_and_run_work():
    pool = worker_pool(2)
    assert worker_pool(2) is pool and worker_pool(3) is not pool
    assert pool._max_workers == 2
    assert list(pool.map(lambda n: n * n, range(5))) == [0, 1, 4, 9, 16]
    assert all(name.startswith("layernet") for name in _pool_thread_names(pool))


def _pool_thread_names(pool):
    return [thread.name for thread in pool._threads]
