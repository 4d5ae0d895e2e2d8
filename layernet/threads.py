"""How many threads a training run uses: chosen from the problem's size, not inherited.

A cost-and-gradient evaluation is a handful of matrix products between elementwise passes
(activations, derivatives, the loss). OpenBLAS's default is one thread per core, but only the
products use them: numpy runs the passes on one core while the idle BLAS threads spin, and on
small and medium problems (the reference moons network, the digits networks) that makes every
evaluation slower -- digits L-BFGS iterations were about 4x cheaper at one thread on a 2-core
machine. So layernet always runs BLAS single-threaded during training, and when a problem is
large enough it divides each evaluation's samples among its own threads instead (see
``_engine.Part``): products and passes alike then use every core. Threads are only worth it
when the products dominate (many samples times wide layers), and only on cores that other
processes leave idle: a thread that has to share its core makes the others wait for it. The rule
and its threshold come from the 1-vs-2-thread measurements in ``benchmarks/run.py`` (section
"threads"); the README's Performance section shows them.

threadpoolctl, already a scikit-learn dependency, is imported only when a run limits threads,
so ``import layernet`` stays light.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from ._checks import check_int

__all__ = [
    "MULTITHREAD_MIN_WORK",
    "available_cores",
    "available_memory",
    "idle_cores",
    "choose_threads",
    "blas_threads",
    "check_threads",
    "worker_pool",
]

#: Multiply-adds per evaluation (``n_samples * sum(n_in * n_out)``) from which more than one
#: thread pays off. Below it every evaluation runs on one thread.
MULTITHREAD_MIN_WORK = 200_000_000


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def available_memory() -> int | None:
    """Bytes of memory this process could still allocate without swapping, or None if unknown.

    ``MemAvailable`` from ``/proc/meminfo`` (free memory plus caches the kernel can drop), else
    ``sysconf``'s available pages; the smaller of that and an address-space limit
    (``ulimit -v``) when one is set.
    """
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    if available is None:
        try:
            available = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (AttributeError, ValueError, OSError):  # pragma: no cover - not on POSIX
            available = None
    try:
        import resource

        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (ImportError, OSError, ValueError):  # pragma: no cover - not on POSIX
        limit = -1
    if limit >= 0 and limit != getattr(resource, "RLIM_INFINITY", -1):
        room = max(0, limit - _address_space_used())
        available = room if available is None else min(available, room)
    return available


def _address_space_used() -> int:
    """This process's virtual memory size in bytes (``VmSize``), 0 if unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def idle_cores() -> int:
    """Available cores minus those other processes keep busy (at least 1).

    Two estimates, the smaller wins: the 1-minute load average, which counts this process too
    once it has run a while (load ``L`` on ``n`` cores leaves about ``n + 1 - L`` cores for this
    process), and, on Linux, the tasks runnable right now, this one included (``r`` of them
    leave ``n + 1 - r``), which sees a fresh process's neighbours before the average does.
    """
    cores = available_cores()
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):  # pragma: no cover - no load average on this platform
        return cores
    busy = max(load, _runnable_now())
    return max(1, min(cores, math.floor(cores + 1 - busy + 0.5)))


def _runnable_now() -> float:
    """Tasks runnable at this instant (this one included), from /proc/loadavg; 0 if unknown."""
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            return float(handle.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return 0.0


def choose_threads(n_samples: int, sizes: Sequence[int]) -> int:
    """The thread count for a network of ``sizes`` trained on ``n_samples`` rows.

    One thread unless an evaluation's matrix work, ``n_samples * sum(n_in * n_out)``
    multiply-adds, reaches :data:`MULTITHREAD_MIN_WORK`; then one per core left idle by other
    processes (:func:`idle_cores`).

    Examples
    --------
    >>> choose_threads(200, [2, 3, 2])                  # the reference network
    1
    >>> choose_threads(1257, [64, 100, 10])             # digits, 70 % of 1797 rows
    1
    """
    work = n_samples * sum(n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return idle_cores() if work >= MULTITHREAD_MIN_WORK else 1


def check_threads(threads) -> int | None:
    """``threads`` as a positive int, or None (choose automatically); raise otherwise."""
    return check_int(threads, "threads", low=1, none=True)


_POOLS: dict = {}


def worker_pool(workers: int):
    """A process-wide thread pool of ``workers`` threads, made on first use and kept."""
    pool = _POOLS.get(workers)
    if pool is None:
        from concurrent.futures import ThreadPoolExecutor

        pool = _POOLS[workers] = ThreadPoolExecutor(workers, thread_name_prefix="layernet")
    return pool


@contextmanager
def blas_threads(threads: int) -> Iterator[None]:
    """Limit the BLAS libraries loaded in this process to ``threads`` threads inside the block."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads, user_api="blas"):
        yield
