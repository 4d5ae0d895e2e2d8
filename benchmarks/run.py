"""layernet's benchmark suite, one command: ``python benchmarks/run.py [--quick]``.

Measured side by side in one run, with a warm-up, interleaved repetitions (the contenders take
turns, in rotating order, so a noisy neighbour hurts them alike) and medians:

evaluation  one cost+gradient evaluation at several distinct points (never a cache hit):
            layernet vs scikit-learn's MLPClassifier L-BFGS objective on identical weights and
            data (equal costs asserted first) vs the blog's formulation, on P1 moons 2-3-2,
            P2 digits 64-25-10 and 64-100-10, P3 synthetic 20000 x 100, 100-256-256-10.
threads     layernet's evaluation at 1 and at 2 BLAS threads across sizes: the data behind
            layernet.threads' rule.
gflops      P3's achieved GFLOP/s beside numpy's GEMM rate on the same shapes; float32 too.
training    whole fits: layernet cg and lbfgs, scikit-learn lbfgs (as users run it, default
            threads), PyTorch L-BFGS if torch is installed, on P1 and on digits (70/30 split).
memory      peak memory of a P3 fit, in a fresh process.
chunked     P3's evaluation in one chunk (the default) and in chunks of fewer samples: time and
            agreement of the cost.
dask        one evaluation in memory and on a local Dask cluster (two worker processes): the
            per-evaluation overhead of data on Dask.
growth      time per evaluation and peak RSS against the number of samples (synthetic, 50
            features, 50-128-128-10 tanh), layernet and scikit-learn, each size in a fresh process.
startup     whole-process time of ``layernet --help`` and ``layernet train`` (reference).

A table per section, then the targets; the JSON goes to benchmarks/results/. Each table is defined
once, in TABLES, and rendered to the terminal (rich) and, from a saved report, to Markdown.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from contenders import (  # noqa: E402
    SklearnLoss,
    blog_cost_and_grad,
    sklearn_train,
    torch_available,
    torch_train,
)
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from rich.text import Text  # noqa: E402
from sklearn.datasets import make_moons  # noqa: E402

import layernet as ln  # noqa: E402
from layernet.threads import MULTITHREAD_MIN_WORK, blas_threads, choose_threads  # noqa: E402

console = Console(width=None if sys.stdout.isatty() else 150)

# The targets of issue 6: (key, description, limit, "max" or "min").
TARGETS = [
    ("eval_ratio_P1", "evaluation time vs scikit-learn, P1 moons 2-3-2", 0.40, "max"),
    ("eval_ratio_P2a", "evaluation time vs scikit-learn, P2 digits 64-25-10", 0.65, "max"),
    ("eval_ratio_P2b", "evaluation time vs scikit-learn, P2 digits 64-100-10", 0.65, "max"),
    ("eval_ratio_P3", "evaluation time vs scikit-learn, P3 100-256-256-10", 0.85, "max"),
    ("gemm_fraction_P3", "P3 GFLOP/s as a fraction of the same-shape GEMM rate", 0.70, "min"),
    ("digits_time_vs_sklearn", "digits to 97 % (lbfgs, defaults): time vs scikit-learn", 0.50, "max"),
    ("digits_time_vs_torch", "digits to 97 % (lbfgs, defaults): time vs PyTorch L-BFGS", 1.00, "max"),
    ("digits_test_accuracy", "digits test accuracy, layernet lbfgs with defaults", 0.97, "min"),
    ("startup_help", "`layernet --help`, whole process (s)", 0.25, "max"),
    ("startup_train", "`layernet train` reference, whole process (s)", 1.00, "max"),
]


@dataclass
class Settings:
    quick: bool
    tiny: bool
    reps: int  # interleaved repetitions per measurement
    n_thetas: int  # distinct points per repetition
    p3_rows: int
    p3_sizes: tuple
    digits_rows: int | None
    train_reps: int
    startup_runs: int
    memory_iters: int
    block_seconds: float  # minimum length of one timed block
    growth_rows: tuple = ()  # sample counts of the growth curve
    growth_sizes: tuple = (50, 128, 128, 10)
    growth_reps: int = 3  # evaluations timed per size (the minimum is kept)
    growth_budget: str | None = None  # max_memory of the growth curve's layernet runs (None: the default)
    chunk_batches: tuple = (5000, 1000)  # batch sizes of the chunked section

    @classmethod
    def make(cls, quick: bool, tiny: bool) -> Settings:
        if tiny:  # for the test suite: every code path, tiny sizes
            return cls(
                quick, tiny, 2, 2, 300, (20, 16, 16, 4), 300, 1, 1, 1, 0.002,
                growth_rows=(2000,), growth_sizes=(10, 16, 16, 4), growth_reps=1, growth_budget="600kB",
                chunk_batches=(100, 30),
            )  # fmt: skip
        if quick:  # one point per repetition: an evaluator caches nothing, so every call is a full evaluation
            return cls(
                quick, tiny, 3, 1, 20000, (100, 256, 256, 10), None, 1, 3, 2, 0.02,
                growth_rows=(1000, 10_000), growth_reps=2, chunk_batches=(5000,),
            )  # fmt: skip
        return cls(
            quick, tiny, 7, 3, 20000, (100, 256, 256, 10), None, 3, 9, 3, 0.05,
            growth_rows=(1000, 3000, 10_000, 30_000, 100_000, 300_000, 1_000_000), growth_reps=3,
        )  # fmt: skip


# -- problems ----------------------------------------------------------------------------------


@dataclass
class Problem:
    name: str
    label: str
    X: np.ndarray
    y: np.ndarray
    sizes: list
    hidden: str
    lambda_: float
    #: The rule's thread count, decided once at the start so that every section uses the same.
    threads: int | None = None

    @property
    def Y(self) -> np.ndarray:
        return np.eye(self.sizes[-1])[self.y]

    @property
    def work(self) -> int:
        """Multiply-adds of one forward pass: n_samples * sum(n_in * n_out)."""
        return len(self.X) * sum(a * b for a, b in zip(self.sizes[:-1], self.sizes[1:]))


def standardize(X_train, *others):
    mean, scale = X_train.mean(axis=0), X_train.std(axis=0)
    scale[scale == 0] = 1.0
    return [(X - mean) / scale for X in (X_train, *others)]


def digits(settings: Settings):
    from sklearn.datasets import load_digits

    data = load_digits()
    X, y = data.data, data.target
    if settings.digits_rows:
        X, y = X[: settings.digits_rows], y[: settings.digits_rows]
    return X, y


def problems(settings: Settings) -> list[Problem]:
    X1, y1 = make_moons(200, noise=0.2, random_state=np.random.RandomState(0))
    Xd, yd = digits(settings)
    (Xd,) = standardize(Xd)
    rs = np.random.RandomState(0)
    sizes3 = list(settings.p3_sizes)
    X3 = rs.standard_normal((settings.p3_rows, sizes3[0]))
    y3 = rs.randint(0, sizes3[-1], settings.p3_rows)
    return [
        Problem("P1", "moons 2-3-2", X1, y1, [2, 3, 2], "sigmoid", 1e-3),
        Problem("P2a", "digits 64-25-10", Xd, yd, [64, 25, 10], "sigmoid", 1e-3),
        Problem("P2b", "digits 64-100-10", Xd, yd, [64, 100, 10], "sigmoid", 1e-3),
        Problem(
            "P3",
            f"synthetic {settings.p3_rows}x{sizes3[0]}, " + "-".join(map(str, sizes3)) + " tanh",
            X3,
            y3,
            sizes3,
            "tanh",
            1e-3,
        ),
    ]


def distinct_thetas(net, count: int, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [net.theta + 0.1 * rng.standard_normal(net.n_params) for _ in range(count)]


# -- timing ------------------------------------------------------------------------------------


def interleaved(contenders: dict, settings: Settings, repeat_short: bool = True) -> dict:
    """Median seconds per call of each ``name -> (function, [args...][, context])``, timed in turns.

    Each contender is warmed up, then every repetition times one block per contender, the order
    rotating from one repetition to the next; a block calls the function on every argument
    (distinct points), repeated until it lasts ``settings.block_seconds``. ``context``, if given,
    is a zero-argument factory of a context manager entered around each block (untimed).
    ``repeat_short=False``: ``settings.reps`` repetitions, however short the blocks.
    """
    inner, blocks = {}, {}
    for name, (function, args, *context) in contenders.items():
        with context[0]() if context else nullcontext():
            start = time.perf_counter()
            function(args[0])  # warm-up: buffers, caches, lazy imports
            per_call = time.perf_counter() - start
            if per_call * len(args) < settings.block_seconds:  # fast: estimate the block size again, warm
                start = time.perf_counter()
                for arg in args:
                    function(arg)
                per_call = (time.perf_counter() - start) / len(args)
        inner[name] = max(1, math.ceil(settings.block_seconds / max(per_call * len(args), 1e-9)))
        blocks[name] = per_call * len(args) * inner[name]
    # Short blocks are cheap: repeat them more (up to 3x) so that a noisy neighbour averages out.
    slowest = max(blocks.values())
    reps = settings.reps
    if repeat_short and not settings.tiny:
        reps = max(settings.reps, min(3 * settings.reps, math.ceil(1.0 / slowest)))
    samples = {name: [] for name in contenders}
    names = list(contenders)
    for rep in range(reps):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            function, args, *context = contenders[name]
            with context[0]() if context else nullcontext():
                start = time.perf_counter()
                for _ in range(inner[name]):
                    for arg in args:
                        function(arg)
                samples[name].append((time.perf_counter() - start) / (inner[name] * len(args)))
    return {name: statistics.median(values) for name, values in samples.items()}


def fmt_time(seconds) -> str:
    if seconds is None:
        return "—"
    if abs(seconds) < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if abs(seconds) < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


# -- sections ----------------------------------------------------------------------------------


def section_evaluation(settings: Settings, probs: list[Problem]) -> list[dict]:
    rows = []
    for p in probs:
        net = ln.Network(p.sizes, hidden=p.hidden).init(seed=0)
        thetas = distinct_thetas(net, settings.n_thetas)
        threads = p.threads
        Y = p.Y
        # layernet as train() runs it: `threads` workers, each with a single-threaded BLAS; the
        # others with `threads` BLAS threads.
        ours = net.evaluator(p.X, Y, p.lambda_, workers=threads)
        with blas_threads(threads):
            sk = SklearnLoss(p.X, Y, p.sizes, p.hidden, p.lambda_)
            packed = [sk.pack(t) for t in thetas]

            def blog(theta, p=p, Y=Y):
                return blog_cost_and_grad(theta, p.X, Y, p.sizes, p.hidden, p.lambda_)

            # Identical problems first: equal costs and gradients at the same point (quick: the blog's
            # on P1 and P2 only, where it is timed).
            quick_p3 = settings.quick and not settings.tiny and p is probs[-1]
            with blas_threads(1):
                J, grad = ours(thetas[0])
            J_sk, grad_sk = sk(packed[0])
            others = [(J_sk, sk.unpack_grad(grad_sk), "scikit-learn")]
            if not quick_p3:
                others.append((*blog(thetas[0]), "blog"))
            for other, other_grad, who in others:
                if not math.isclose(J, other, rel_tol=1e-10):
                    raise AssertionError(f"{p.name}: layernet cost {J!r} != {who} cost {other!r}")
                diff = np.linalg.norm(grad - other_grad) / np.linalg.norm(grad)
                if diff > 1e-9:
                    raise AssertionError(f"{p.name}: gradients differ from {who}'s by {diff:.3g}")
        contenders = {
            "layernet": (ours, thetas, lambda: blas_threads(1)),
            "scikit-learn": (sk, packed, lambda threads=threads: blas_threads(threads)),
            "blog": (blog, thetas, lambda threads=threads: blas_threads(threads)),
        }
        if quick_p3:
            del contenders["blog"]  # its second on P3 is no target's
        times = interleaved(contenders, settings)
        row = {
            "problem": p.name,
            "label": p.label,
            "n_samples": len(p.X),
            "threads": threads,
            "cost": J,
            "layernet_s": times["layernet"],
            "sklearn_s": times["scikit-learn"],
            "ratio_vs_sklearn": times["layernet"] / times["scikit-learn"],
        }
        if "blog" in times:
            row.update(blog_s=times["blog"], blog_ratio_vs_sklearn=times["blog"] / times["scikit-learn"])
        rows.append(row)
    return rows


def synthetic(rows: int, rs: np.random.RandomState) -> Problem:
    """P3's network on ``rows`` samples of the same kind of data: the sizes between P2 and P3."""
    X = rs.standard_normal((rows, 100))
    y = rs.randint(0, 10, rows)
    return Problem(f"S{rows}", f"synthetic {rows}x100, 100-256-256-10 tanh", X, y, [100, 256, 256, 10], "tanh", 1e-3)


def section_threads(settings: Settings, probs: list[Problem]) -> list[dict]:
    cases = list(probs)
    rs = np.random.RandomState(1)
    if settings.quick and not settings.tiny:
        # P3 on two BLAS threads alone took 15-20 s of the quick run; S5000 is past the rule's
        # threshold too, at a quarter of the work.
        cases[-1] = synthetic(5000, rs)
    elif not settings.tiny:  # the in-between sizes: full runs only
        for rows_ in (1000, 5000):
            cases.insert(-1, synthetic(rows_, rs))
    rows = []
    for p in cases:
        net = ln.Network(p.sizes, hidden=p.hidden).init(seed=0)
        thetas = distinct_thetas(net, settings.n_thetas)
        one = net.evaluator(p.X, p.Y, p.lambda_)
        split = net.evaluator(p.X, p.Y, p.lambda_, workers=2)
        blas2 = net.evaluator(p.X, p.Y, p.lambda_)
        load = os.getloadavg()[0]
        times = interleaved(
            {
                "1": (one, thetas, lambda: blas_threads(1)),
                "2": (split, thetas, lambda: blas_threads(1)),
                "blas2": (blas2, thetas, lambda: blas_threads(2)),
            },
            settings,
            repeat_short=not settings.quick,  # quick: no target depends on this section
        )
        rows.append(
            {
                "problem": p.name,
                "label": p.label,
                "work": p.work,
                "one_thread_s": times["1"],
                "two_threads_s": times["2"],
                "two_blas_threads_s": times["blas2"],
                "speedup_2_over_1": times["1"] / times["2"],
                "speedup_blas2_over_1": times["1"] / times["blas2"],
                "rule_threads": p.threads if p.threads is not None else choose_threads(len(p.X), p.sizes),
                "load_average": load,
            }
        )
    return rows


def p3_flops(rows: int, sizes) -> int:
    """Exact FLOPs of one P3 evaluation's products: forward, weight gradients, and the delta
    products of layers >= 2 (2 flops per multiply-add)."""
    pairs = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * rows * (2 * sum(pairs) + sum(pairs[1:]))


def gemm_set(rows: int, sizes, dtype, layout: str = "rows"):
    """numpy products of exactly P3's shapes with preallocated outputs, nothing else.

    ``layout="rows"``: samples along the rows, as in scikit-learn (``a @ W.T``, ``delta.T @ a``,
    ``delta @ W``). ``layout="columns"``: samples along the columns, as layernet stores them
    (``W @ a``, ``delta @ a.T``, ``W.T @ delta``). The benchmark takes the faster of the two as
    numpy's GEMM rate.
    """
    rng = np.random.default_rng(0)
    pairs = list(zip(sizes[:-1], sizes[1:]))
    if layout == "rows":
        acts = [rng.standard_normal((rows, n)).astype(dtype) for n in sizes[:-1]]
        weights = [rng.standard_normal((b, a)).astype(dtype) for a, b in pairs]
        deltas = [rng.standard_normal((rows, b)).astype(dtype) for b in sizes[1:]]
        z_out = [np.empty((rows, b), dtype=dtype) for b in sizes[1:]]
        d_out = [np.empty((rows, a), dtype=dtype) for a in sizes[1:-1]]
    else:
        acts = [rng.standard_normal((n, rows)).astype(dtype) for n in sizes[:-1]]
        weights = [rng.standard_normal((b, a)).astype(dtype) for a, b in pairs]
        deltas = [rng.standard_normal((b, rows)).astype(dtype) for b in sizes[1:]]
        z_out = [np.empty((b, rows), dtype=dtype) for b in sizes[1:]]
        d_out = [np.empty((a, rows), dtype=dtype) for a in sizes[1:-1]]
    g_out = [np.empty((b, a), dtype=dtype) for a, b in pairs]

    def run_rows(_=None):
        for a, w, z in zip(acts, weights, z_out):
            np.matmul(a, w.T, out=z)  # forward
        for d, a, g in zip(deltas, acts, g_out):
            np.matmul(d.T, a, out=g)  # weight gradients
        for index in range(1, len(weights)):
            np.matmul(deltas[index], weights[index], out=d_out[index - 1])  # deltas of layers >= 2

    def run_columns(_=None):
        for a, w, z in zip(acts, weights, z_out):
            np.matmul(w, a, out=z)
        for d, a, g in zip(deltas, acts, g_out):
            np.matmul(d, a.T, out=g)
        for index in range(1, len(weights)):
            np.matmul(weights[index].T, deltas[index], out=d_out[index - 1])

    return run_rows if layout == "rows" else run_columns


def section_gflops(settings: Settings, p3: Problem) -> dict:
    flops = p3_flops(len(p3.X), p3.sizes)
    threads = p3.threads
    result = {"flops": flops, "threads": threads}
    # quick: float64 only, the target's
    for dtype in ("float64",) if settings.quick and not settings.tiny else ("float64", "float32"):
        net = ln.Network(p3.sizes, hidden=p3.hidden, dtype=dtype).init(seed=0)
        thetas = distinct_thetas(net, settings.n_thetas)
        # layernet as train() runs it (threads workers, one BLAS thread each); numpy's products
        # with that many BLAS threads.
        ours = net.evaluator(p3.X, p3.Y, p3.lambda_, workers=threads)
        contenders = {"layernet": (ours, thetas, lambda: blas_threads(1))}
        for layout in ("rows", "columns"):
            contenders[layout] = (gemm_set(len(p3.X), p3.sizes, dtype, layout), [None], lambda: blas_threads(threads))
        times = interleaved(contenders, settings)
        gemm = min(times["rows"], times["columns"])
        result[dtype] = {
            "layernet_s": times["layernet"],
            "gemm_rows_s": times["rows"],
            "gemm_columns_s": times["columns"],
            "gemm_s": gemm,
            "layernet_gflops": flops / times["layernet"] / 1e9,
            "gemm_gflops": flops / gemm / 1e9,
            "fraction_of_gemm": gemm / times["layernet"],
        }
    if "float32" in result:
        result["float32_speedup"] = result["float64"]["layernet_s"] / result["float32"]["layernet_s"]
    return result


def section_training(settings: Settings) -> list[dict]:
    rows = []
    # P1: the reference data and initial weights (one RandomState(0) stream: data, then weights).
    stream = np.random.RandomState(0)
    X1, y1 = make_moons(200, noise=0.2, random_state=stream)
    theta1 = ln.Network([2, 3, 2]).init(rng=stream).theta.copy()
    # Digits: 70/30 stratified split, standardized with the training part's statistics.
    from sklearn.model_selection import train_test_split

    Xd, yd = digits(settings)
    Xtr, Xte, ytr, yte = train_test_split(Xd, yd, test_size=0.3, random_state=0, stratify=yd)
    Xtr, Xte = standardize(Xtr, Xte)
    thetad = ln.Network([64, 100, 10]).init(seed=0).theta.copy()

    tasks = [
        ("P1", "moons 2-3-2, lambda 1e-3", X1, y1, X1, y1, [2, 3, 2], 1e-3, theta1),
        ("digits", "digits 64-100-10, lambda 1e-4", Xtr, ytr, Xte, yte, [64, 100, 10], 1e-4, thetad),
    ]
    have_torch = torch_available()
    for task, label, X, y, X_test, y_test, sizes, lambda_, theta0 in tasks:
        Y = np.eye(sizes[-1])[y]

        def layernet_fit(
            method, dtype="float64", X=X, y=y, sizes=sizes, lambda_=lambda_, theta0=theta0, X_test=X_test, y_test=y_test
        ):
            net = ln.Network(sizes, dtype=dtype)
            net.theta = theta0
            net.initialized = True
            start = time.perf_counter()  # the whole call, input checks included, as for the others
            result = ln.train(net, X, y, lambda_=lambda_, method=method)
            seconds = time.perf_counter() - start
            return {
                "seconds": seconds,
                "iterations": result.iterations,
                "evaluations": result.evaluations,
                "cost": result.cost,
                "status": result.status,
                "threads": result.threads,
                "accuracy": net.score(X_test, y_test),
            }

        def sklearn_fit(X=X, y=y, Y=Y, sizes=sizes, lambda_=lambda_, task=task, X_test=X_test, y_test=y_test):
            # P1 with one-hot targets: two logistic outputs, the course's 2-3-2 objective. Digits with
            # labels: softmax outputs, as users fit a multi-class MLPClassifier.
            target = Y if task == "P1" else y
            mlp, info = sklearn_train(X, target, sizes[1:-1], "logistic", lambda_)
            predicted = mlp.predict_proba(X_test).argmax(axis=1)
            info.update(accuracy=float(np.mean(predicted == y_test)), threads="default")
            return info

        def torch_fit(X=X, Y=Y, sizes=sizes, lambda_=lambda_, theta0=theta0, X_test=X_test, y_test=y_test):
            predict, info = torch_train(theta0, X, Y, sizes, "sigmoid", lambda_)
            info["accuracy"] = float(np.mean(predict(X_test) == y_test))
            return info

        fits = {
            "layernet cg": lambda: layernet_fit("cg"),
            "layernet lbfgs": lambda: layernet_fit("lbfgs"),
            "layernet lbfgs float32": lambda: layernet_fit("lbfgs", "float32"),
            "scikit-learn lbfgs": sklearn_fit,
        }
        if have_torch:
            fits["PyTorch LBFGS"] = torch_fit
        runs = {name: [] for name in fits}
        if task == tasks[0][0] or not settings.quick:  # warm-up: imports, first touch (quick: first task only)
            for fit in fits.values():
                fit()
        for rep in range(settings.train_reps):
            names = list(fits)
            for name in names[rep % len(names) :] + names[: rep % len(names)]:
                runs[name].append(fits[name]())
        for name, infos in runs.items():
            info = dict(infos[-1])
            info["seconds"] = statistics.median(i["seconds"] for i in infos)
            rows.append({"task": task, "label": label, "contender": name, **info})
        if not have_torch:
            rows.append(
                {
                    "task": task,
                    "label": label,
                    "contender": "PyTorch LBFGS",
                    "skipped": "torch is not installed (optional: pip install torch)",
                }
            )
    return rows


MEMORY_SCRIPT = """
import json, resource, sys, tracemalloc
import numpy as np
import layernet as ln

def peak_rss_kb():
    # VmHWM starts afresh at exec; ru_maxrss would carry the parent's size over the fork.
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

rows, sizes, iters = {rows}, {sizes}, {iters}
rs = np.random.RandomState(0)
X = rs.standard_normal((rows, sizes[0])); y = rs.randint(0, sizes[-1], rows)
net = ln.Network(sizes, hidden="tanh").init(seed=0)
import scipy.optimize  # loaded before the baseline, as any fit loads it
baseline = peak_rss_kb()
tracemalloc.start()
result = ln.train(net, X, y, lambda_=1e-3, method="lbfgs", max_iter=iters)
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({{"peak_traced": peak, "peak_rss_kb": peak_rss_kb(), "rss_before_fit_kb": baseline,
                  "data_bytes": X.nbytes, "evaluations": result.evaluations}}))
"""


def section_memory(settings: Settings, p3: Problem) -> dict:
    script = MEMORY_SCRIPT.format(rows=len(p3.X), sizes=list(p3.sizes), iters=settings.memory_iters)
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    info = json.loads(output.strip().splitlines()[-1])
    m = len(p3.X)
    hidden = sum(p3.sizes[1:-1])
    # layernet's work buffers: [1; X.T], one buffer per hidden layer, z and a of the output, two
    # delta buffers and one scratch as wide as the widest layer.
    info["workspace_bytes"] = (
        8 * m * ((p3.sizes[0] + 1) + (hidden + len(p3.sizes) - 2) + 2 * p3.sizes[-1] + 3 * max(p3.sizes[1:]))
    )
    return info


def minimum_time(function, args, reps: int) -> tuple[float, object]:
    """The least seconds of one call of ``function`` over ``reps`` calls per argument (after a warm-up):
    the other processes on a shared machine only ever add time. And the warm-up's result, ``function(args[0])``."""
    first = function(args[0])
    best = math.inf
    for _ in range(reps):
        for arg in args:
            start = time.perf_counter()
            function(arg)
            best = min(best, time.perf_counter() - start)
    return best, first


def quick_reps(settings: Settings) -> int:
    """Repetitions of the chunked and Dask sections: two of --quick's one point (under a minute in all)."""
    return 2 if settings.quick else settings.reps


def section_chunked(settings: Settings, p3: Problem) -> list[dict]:
    """P3's evaluation in one chunk (the default budget) and in chunks of ``settings.chunk_batches`` samples."""
    net = ln.Network(p3.sizes, hidden=p3.hidden).init(seed=0)
    thetas = distinct_thetas(net, settings.n_thetas)
    rows = []
    with blas_threads(1):
        J_whole = None
        for batch in (None, *settings.chunk_batches):
            f = net.evaluator(p3.X, p3.Y, p3.lambda_, batch_size=batch)  # None: the default, one chunk here
            load = os.getloadavg()[0]
            seconds, (J, _) = minimum_time(f, thetas, quick_reps(settings))
            J_whole = J if J_whole is None else J_whole
            rows.append(
                {
                    "problem": p3.name,
                    "label": p3.label,
                    "batch": f.batch_rows,
                    "chunks": math.ceil(len(p3.X) / f.batch_rows),
                    "seconds": seconds,
                    "cost_rel_diff": abs(J - J_whole) / abs(J_whole),
                    "load_average": load,
                }
            )
    for row in rows:
        row["vs_one_chunk"] = row["seconds"] / rows[0]["seconds"]
    return rows


def section_dask(settings: Settings, probs: list[Problem]) -> list[dict]:
    """One evaluation in memory and on a local Dask cluster of two single-threaded worker processes."""
    try:
        import dask.array as da
        import distributed  # noqa: F401 - the cluster's, below
    except ImportError:
        return [{"problem": "—", "label": "skipped: pip install 'layernet[distributed]'", "skipped": True}]
    from layernet.distributed import DaskData

    rows = []
    # The moons and P3: the overhead alone, and beside real work (--tiny: the moons only; --quick:
    # S5000, a quarter of P3's work, which is still far more than the overhead).
    if settings.tiny:
        cases = [probs[0]]
    else:
        cases = [probs[0], synthetic(5000, np.random.RandomState(1)) if settings.quick else probs[-1]]
    with local_cluster(settings):  # the default client, which DaskData uses
        for p in cases:
            net = ln.Network(p.sizes, hidden=p.hidden).init(seed=0)
            thetas = distinct_thetas(net, settings.n_thetas)
            in_memory = net.evaluator(p.X, p.Y, p.lambda_)
            chunk = math.ceil(len(p.X) / 2)  # one partition per worker
            data = DaskData(net, da.from_array(p.X, chunks=(chunk, -1)), da.from_array(p.y, chunks=(chunk,)))
            try:
                on_dask = data.evaluator(p.lambda_)
                load = os.getloadavg()[0]
                with blas_threads(1):
                    memory_s, (J, _) = minimum_time(in_memory, thetas, quick_reps(settings))
                dask_s, (J_dask, _) = minimum_time(on_dask, thetas, quick_reps(settings))
            finally:
                data.close()
            rows.append(
                {
                    "problem": p.name,
                    "label": p.label,
                    "partitions": len(data.weights),
                    "memory_s": memory_s,
                    "dask_s": dask_s,
                    "overhead_s": dask_s - memory_s,
                    "cost_rel_diff": abs(J_dask - J) / abs(J),
                    "load_average": load,
                }
            )
    return rows


#: A LocalCluster of two single-threaded worker processes, started by a process of its own.
CLUSTER_SCRIPT = """
import sys
from distributed import LocalCluster

with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
    print(cluster.scheduler_address, flush=True)
    sys.stdin.read()  # until the benchmark closes the pipe
"""


@contextlib.contextmanager
def local_cluster(settings: Settings):
    """A Client of a local cluster of two single-threaded workers: processes, or with --tiny threads.

    The worker processes are spawned, and a spawned process imports its parent's main module:
    started from here, each worker imported this benchmark (scikit-learn, rich...) before it
    could work, and the cluster took 6.4 s to start and 1.5 s to stop, against 1.1 s and 0.8 s
    when a process of its own, running nothing else, starts it (the 2-core AMD EPYC). The
    workers are the same in both cases, and so is what the section measures.
    """
    from distributed import Client, LocalCluster

    if settings.tiny:  # the test suite only checks that the section runs: threads start faster
        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    launcher = subprocess.Popen(
        [sys.executable, "-c", CLUSTER_SCRIPT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        address = launcher.stdout.readline().strip()
        if not address:
            raise RuntimeError(f"the local Dask cluster did not start (exit code {launcher.wait()})")
        with Client(address) as client:
            yield client
    finally:
        launcher.stdin.close()
        try:
            launcher.wait(timeout=60)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()


GROWTH_SCRIPT = """
import json, math, resource, sys, time
sys.path.insert(0, {here!r})
import numpy as np

def peak_rss_kb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

who, rows, sizes, reps, dtype, budget = {who!r}, {rows}, {sizes}, {reps}, {dtype!r}, {budget!r}
rng = np.random.default_rng(0)
X = rng.standard_normal((rows, sizes[0]), dtype=dtype)
y = rng.integers(0, sizes[-1], rows)
Y = np.eye(sizes[-1], dtype=dtype)[y]
from threadpoolctl import threadpool_limits
if who == "layernet":
    import layernet as ln
    net = ln.Network(sizes, hidden="tanh", dtype=dtype).init(seed=0)
    theta0 = net.theta.astype(float)
    import scipy.optimize  # loaded before the baseline, as any fit loads it
    baseline = peak_rss_kb()
    f = net.evaluator(X, Y, 1e-3, max_memory=budget)
    batch = f.batch_rows
else:
    from contenders import SklearnLoss
    import sklearn.neural_network  # loaded before the baseline, as layernet's scipy
    import layernet as ln
    theta0 = ln.Network(sizes, hidden="tanh").init(seed=0).theta.copy()
    baseline = peak_rss_kb()
    sk = SklearnLoss(X, Y, sizes, "tanh", 1e-3)
    f = lambda theta: sk(sk.pack(theta))
    batch = rows
thetas = [theta0 + 0.1 * np.random.default_rng(i).standard_normal(theta0.size) for i in range(2)]
with threadpool_limits(limits=1, user_api="blas"):
    f(thetas[0])
    best = cpu = math.inf
    for i in range(reps):
        start, start_cpu = time.perf_counter(), time.process_time()
        f(thetas[i % 2])
        best = min(best, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
print(json.dumps({{"seconds": best, "cpu_seconds": cpu, "peak_rss_kb": peak_rss_kb(), "baseline_kb": baseline,
                  "data_bytes": X.nbytes + Y.nbytes, "batch": batch}}))
"""


def growth_bytes_sklearn(rows: int, sizes) -> int:
    """scikit-learn's evaluation memory, estimated: every layer's activations and deltas, float64."""
    return 8 * rows * 2 * sum(sizes)


def section_growth(settings: Settings) -> list[dict]:
    """Each size in a fresh process: time per evaluation (one thread) and peak RSS, layernet and scikit-learn."""
    from layernet.threads import available_memory

    sizes = list(settings.growth_sizes)
    cases = [("layernet", rows, "float64") for rows in settings.growth_rows]
    # quick: scikit-learn at the largest size only (each size is a fresh process, 2.5 s of imports for it)
    sklearn_rows = settings.growth_rows[-1:] if settings.quick and not settings.tiny else settings.growth_rows
    cases += [("scikit-learn", rows, "float64") for rows in sklearn_rows]
    if not settings.quick and not settings.tiny:
        cases.append(("layernet", settings.growth_rows[-1], "float32"))
    rows_out = []
    for who, rows, dtype in cases:
        label = f"{who} {dtype}" if dtype != "float64" else who
        if who == "scikit-learn" and growth_bytes_sklearn(rows, sizes) > (available_memory() or 0) / 3:
            rows_out.append({"contender": label, "rows": rows, "skipped": "does not fit a third of the free memory"})
            continue
        script = GROWTH_SCRIPT.format(
            here=str(HERE), who=who, rows=rows, sizes=sizes, reps=settings.growth_reps, dtype=dtype,
            budget=settings.growth_budget,
        )  # fmt: skip
        load = os.getloadavg()[0]
        if settings.tiny:  # the test suite: the same script, in this process (its RSS means nothing then)
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(compile(script, "<growth>", "exec"), {"__name__": "growth"})
            output = printed.getvalue()
        else:
            output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
        info = json.loads(output.strip().splitlines()[-1])
        info.update(contender=label, rows=rows, load_average=load)
        info["beyond_data_kb"] = info["peak_rss_kb"] - info["baseline_kb"]
        info["cpu_us_per_sample"] = info["cpu_seconds"] / rows * 1e6
        rows_out.append(info)
    return rows_out


def layernet_command() -> list[str]:
    script = Path(sys.executable).with_name("layernet")
    if script.exists():
        return [str(script)]
    found = shutil.which("layernet")
    return [found] if found else [sys.executable, "-m", "layernet_cli"]


def section_startup(settings: Settings) -> dict:
    command = layernet_command()
    result = {"command": " ".join(command)}
    # The warm-up runs may write bytecode (as an installed package has it); the timed ones run as is.
    warm_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cases = {"help": command + ["--help"], "train": command + ["train"]}
    for args in cases.values():
        subprocess.run(args, capture_output=True, env=warm_env, check=True)
    samples = {name: [] for name in cases}
    for _ in range(settings.startup_runs):
        for name, args in cases.items():
            start = time.perf_counter()
            subprocess.run(args, capture_output=True, check=True)
            samples[name].append(time.perf_counter() - start)
    for name, values in samples.items():
        result[f"{name}_s"] = statistics.median(values)
        result[f"{name}_runs"] = values
    return result


# -- targets and metadata ----------------------------------------------------------------------


def target_values(report: dict) -> dict:
    values = {}
    for row in report.get("evaluation", []):
        values[f"eval_ratio_{row['problem']}"] = row["ratio_vs_sklearn"]
    if "gflops" in report:
        values["gemm_fraction_P3"] = report["gflops"]["float64"]["fraction_of_gemm"]
    digits_rows = {r["contender"]: r for r in report.get("training", []) if r["task"] == "digits"}
    ours = digits_rows.get("layernet lbfgs")
    if ours:
        values["digits_test_accuracy"] = ours["accuracy"]
        values["digits_time_vs_sklearn"] = ours["seconds"] / digits_rows["scikit-learn lbfgs"]["seconds"]
        torch_row = digits_rows.get("PyTorch LBFGS")
        if torch_row and "skipped" not in torch_row:
            values["digits_time_vs_torch"] = ours["seconds"] / torch_row["seconds"]
    if "startup" in report:
        values["startup_help"] = report["startup"]["help_s"]
        values["startup_train"] = report["startup"]["train_s"]
    return values


def targets(report: dict) -> list[dict]:
    """Each of TARGETS with its measured value (None if its section did not run) and whether it is met."""
    values = target_values(report)
    rows = []
    for key, description, limit, kind in TARGETS:
        value = values.get(key)
        met = None if value is None else (value <= limit if kind == "max" else value >= limit)
        rows.append({"key": key, "target": description, "limit": limit, "kind": kind, "value": value, "met": met})
    return rows


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else whatever ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def numpy_simd() -> dict | None:
    """numpy's SIMD extensions as ``np.show_runtime()`` lists them, or None if this numpy does not say.

    ``baseline``: what numpy was compiled for; ``found`` and ``not_found``: the extensions it can
    dispatch to at run time that this CPU has and lacks.
    """
    try:
        from numpy._core import _multiarray_umath as umath
    except ImportError:  # numpy < 2
        try:
            from numpy.core import _multiarray_umath as umath
        except ImportError:
            return None
    features = getattr(umath, "__cpu_features__", {})
    dispatch = getattr(umath, "__cpu_dispatch__", [])
    return {
        "baseline": list(getattr(umath, "__cpu_baseline__", [])),
        "found": [name for name in dispatch if features.get(name)],
        "not_found": [name for name in dispatch if not features.get(name)],
    }


def default_sections(settings: Settings) -> list[str]:
    """The sections run without --only: all of them, but the full growth curve only when asked for."""
    return [name for name in SECTIONS if settings.quick or settings.tiny or name != "growth"]


def metadata(settings: Settings, only) -> dict:
    import scipy
    import sklearn
    from threadpoolctl import threadpool_info

    info = {
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "command": "python benchmarks/run.py"
        + (" --quick" if settings.quick else "")
        + (" --tiny" if settings.tiny else "")
        + ("" if set(only) == set(default_sections(settings)) else " --only " + ",".join(only)),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "load_average": os.getloadavg(),
        "numpy": np.__version__,
        "numpy_simd": numpy_simd(),
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "layernet": ln.__version__,
        "blas": [  # "architecture": the kernel the BLAS picked for this CPU (OpenBLAS, BLIS)
            {k: lib.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for lib in threadpool_info()
            if lib.get("user_api") == "blas"
        ],
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        # The formulation each elementwise pass uses here, and each candidate's ns per element.
        "kernels": ln.kernels.report(),
    }
    if torch_available():
        import torch

        info["torch"] = torch.__version__
    return info


def machine(meta: dict) -> str:
    """Cores, CPU model, numpy's SIMD extensions, the BLAS with its kernel and the elementwise kernels picked.

    Reports saved before the CPU model, the SIMD extensions or the kernels were recorded render as they did.
    """
    cores = f"{meta['cores']} cores" + (f" ({meta['cpu_model']})" if meta.get("cpu_model") else "")
    simd = meta.get("numpy_simd")
    simd = f", numpy SIMD {' '.join(simd['baseline'] + simd['found'])}" if simd else ""
    blas = ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']})" for b in meta["blas"])
    return f"{cores}{simd}, BLAS {blas}{kernels(meta.get('kernels'))}"


def kernels(report: dict | None) -> str:
    """The float64 formulation of each pass (float32's too where it differs), as ``ln.kernels.report()`` gives them."""
    if not report:
        return ""
    picks = []
    for name, by_dtype in report.items():
        chosen = {dtype: entry["picked"] for dtype, entry in by_dtype.items()}
        double = chosen.get("float64")
        others = [f"{dtype} {pick}" for dtype, pick in chosen.items() if pick != double]
        picks.append(f"{name}={double}" + (f" ({', '.join(others)})" if others else ""))
    return ", kernels " + " ".join(picks)


# -- tables: each defined once, rendered to the terminal and to Markdown ----------------------


@dataclass(frozen=True)
class Column:
    """A column of a results table: its header, the row's field it shows and how that is formatted.

    ``field`` is a key of the row or a function of the whole row; a row without the key shows an
    empty cell. Cells are Markdown text (bold between ``**``, code between backticks); the terminal
    shows them plain, coloured by ``style(row)`` if given.
    """

    header: str
    field: str | Callable[[dict], object]
    fmt: Callable[[object], str] = str
    left: bool = False  # terminal alignment; the others are right-aligned
    style: Callable[[dict], str | None] | None = None

    def cell(self, row: dict) -> str:
        if callable(self.field):
            return self.fmt(self.field(row))
        return self.fmt(row[self.field]) if self.field in row else ""


@dataclass(frozen=True)
class ResultsTable:
    """A report section's table: ``title`` and ``note`` are text or functions of the section's data,
    ``rows(data)`` its rows (dicts) for the columns. The note is printed under the terminal table only."""

    title: str | Callable[[object], str]
    columns: tuple[Column, ...]
    rows: Callable[[object], list[dict]] = list
    note: str | Callable[[object], str] = ""

    def text(self, data) -> tuple[str, list[dict], list[list[str]]]:
        """The title, the rows and their cells, in Markdown."""
        title = self.title(data) if callable(self.title) else self.title
        rows = self.rows(data)
        return title, rows, [[column.cell(row) for column in self.columns] for row in rows]


def plain(text: str) -> str:
    """Markdown cell text without its emphasis and code marks, as the terminal shows it."""
    return re.sub(r"\*\*(.+?)\*\*|`(.+?)`", lambda m: m[1] or m[2], text)


PROBLEM = Column("problem", lambda r: f"{r['problem']} {r['label']}", left=True)
MIB = 2**20
MEMORY_ROWS = (  # label, field, its units per MiB
    ("training data X (float64)", "data_bytes", MIB),
    ("layernet work buffers (computed)", "workspace_bytes", MIB),
    ("peak traced allocation during the fit", "peak_traced", MIB),
    ("peak RSS before the fit (Python, numpy, scipy, data)", "rss_before_fit_kb", 1024),
    ("peak RSS", "peak_rss_kb", 1024),
)

TABLES = {
    "evaluation": ResultsTable(
        "**One cost+gradient evaluation** (median per distinct point, all at layernet's thread count)",
        (
            PROBLEM,
            Column("samples", "n_samples"),
            Column("threads", "threads"),
            Column("layernet", "layernet_s", fmt_time),
            Column("scikit-learn", "sklearn_s", fmt_time),
            Column("blog", "blog_s", fmt_time),
            Column("layernet / sklearn", "ratio_vs_sklearn", "{:.2f}x".format),
            Column("blog / sklearn", "blog_ratio_vs_sklearn", "{:.2f}x".format),
        ),
    ),
    "threads": ResultsTable(
        "**Threads**: one layernet evaluation on 1 and on 2 threads",
        (
            PROBLEM,
            Column("multiply-adds", "work", "{:.3g}".format),
            Column("1 thread", "one_thread_s", fmt_time),
            Column("2 threads (layernet)", "two_threads_s", fmt_time),
            Column("speed-up", "speedup_2_over_1", "{:.2f}x".format),
            Column("2 BLAS threads", "two_blas_threads_s", fmt_time),
            Column("speed-up", "speedup_blas2_over_1", "{:.2f}x".format),
            Column("load average", "load_average", "{:.2f}".format),
            Column("rule picks", "rule_threads"),
        ),
        note="2 threads (layernet): the samples split between two threads, each with a one-thread BLAS, as train() "
        "runs them. 2 BLAS threads: one evaluation with a two-thread BLAS, for comparison.\nThe rule "
        f"(layernet.threads.choose_threads): 1 thread below {MULTITHREAD_MIN_WORK:.0e} multiply-adds per evaluation, "
        "else one per core left idle by other processes.",
    ),
    "gflops": ResultsTable(
        lambda g: f"**P3 arithmetic rate** ({g['flops'] / 1e9:.2f} GFLOP per evaluation, {g['threads']} thread(s))",
        (
            Column("dtype", "dtype"),
            Column("layernet evaluation", "layernet_s", fmt_time),
            Column("layernet GFLOP/s", "layernet_gflops", "{:.1f}".format),
            Column("GEMM only, rows", "gemm_rows_s", fmt_time),
            Column("GEMM only, columns", "gemm_columns_s", fmt_time),
            Column("GEMM GFLOP/s (faster)", "gemm_gflops", "{:.1f}".format),
            Column("fraction of GEMM rate", "fraction_of_gemm", "{:.0%}".format),
        ),
        rows=lambda g: [{"dtype": dtype, **g[dtype]} for dtype in ("float64", "float32") if dtype in g],
        note=lambda g: (
            "GEMM only: the same products, nothing else, samples along the rows (scikit-learn's layout) or "
            "the columns (layernet's); the faster sets numpy's rate."
            + (
                f"\nfloat32 evaluation is {g['float32_speedup']:.2f}x as fast as float64 on P3."
                if "float32" in g
                else ""
            )
        ),
    ),
    "training": ResultsTable(
        "**Whole training** (median time; accuracy: training set for P1, 30 % test set for digits)",
        (
            Column("task", "task", left=True),
            Column("contender", "contender", left=True),
            Column("time", lambda r: "skipped" if "skipped" in r else fmt_time(r["seconds"])),
            Column("iterations", "iterations"),
            Column("evaluations", "evaluations", lambda n: "—" if n is None else str(n)),
            Column("final cost", "cost", "{:.6f}".format),
            Column("accuracy", "accuracy", "{:.2%}".format),
            Column("threads", "threads"),
            Column("status", lambda r: r["skipped"] if "skipped" in r else r["status"], left=True),
        ),
        note="Accuracy: training accuracy for P1 (the blog's measure), test accuracy (30 %) for digits. "
        "scikit-learn fits digits with softmax outputs (its multi-class model), so its cost differs.",
    ),
    "memory": ResultsTable(
        lambda m: f"**Peak memory of a P3 fit** ({m['evaluations']} evaluations, fresh process)",
        (Column("what", "label", left=True), Column("MiB", "MiB", "{:.1f}".format)),
        rows=lambda m: [{"label": label, "MiB": m[field] / unit} for label, field, unit in MEMORY_ROWS],
        note="Peak traced allocation: tracemalloc; peak RSS: the fresh process's VmHWM.",
    ),
    "chunked": ResultsTable(
        "**Chunked evaluation**: samples per chunk (minimum over repeats, one thread)",
        (
            PROBLEM,
            Column("samples per chunk", "batch"),
            Column("chunks", "chunks"),
            Column("evaluation", "seconds", fmt_time),
            Column("vs one chunk", "vs_one_chunk", "{:.2f}x".format),
            Column("cost vs one chunk", "cost_rel_diff", "{:.1e}".format),
            Column("load average", "load_average", "{:.2f}".format),
        ),
        note="One chunk is the default for this size (512 MiB budget); the others give batch_size.",
    ),
    "dask": ResultsTable(
        "**Data on Dask**: one evaluation in memory and on a LocalCluster of 2 worker processes (minimum)",
        (
            PROBLEM,
            Column("partitions", "partitions"),
            Column("in memory", "memory_s", fmt_time),
            Column("on Dask", "dask_s", fmt_time),
            Column("overhead", "overhead_s", fmt_time),
            Column("cost vs in memory", "cost_rel_diff", "{:.1e}".format),
            Column("load average", "load_average", "{:.2f}".format),
        ),
        note="Overhead: the broadcast of the parameters, one task per partition, the gather and the sum.",
    ),
    "growth": ResultsTable(
        lambda g: "**Growth curve**: one evaluation (minimum, one thread) and peak RSS, each size in a fresh process",
        (
            Column("contender", "contender", left=True),
            Column("samples", "rows"),
            Column("evaluation", lambda r: "skipped" if "skipped" in r else fmt_time(r["seconds"])),
            Column("CPU time", "cpu_seconds", fmt_time),
            Column("CPU µs per sample", "cpu_us_per_sample", "{:.2f}".format),
            Column("samples per chunk", "batch"),
            Column("data MiB", "data_bytes", lambda b: f"{b / MIB:.1f}"),
            Column("peak RSS MiB", "peak_rss_kb", lambda k: f"{k / 1024:.0f}"),
            Column("beyond the data MiB", "beyond_data_kb", lambda k: f"{k / 1024:.0f}"),
            Column("load average", "load_average", "{:.2f}".format),
        ),
        note="CPU time: the process's own (one BLAS thread), which other processes on a shared machine change "
        "far less than the wall time.\nBeyond the data: peak RSS minus the RSS once Python, numpy, scipy and the "
        "data (X, one-hot Y) were loaded; layernet's work buffers are capped at 512 MiB (max_memory), "
        "scikit-learn holds every activation.",
    ),
    "startup": ResultsTable(
        lambda st: f"**Whole-process time** (median of {len(st['help_runs'])})",
        (Column("command", "label", left=True), Column("time", "time", fmt_time)),
        rows=lambda st: [
            {"label": "`layernet --help`", "time": st["help_s"]},
            {"label": "`layernet train` (reference)", "time": st["train_s"]},
        ],
    ),
    "targets": ResultsTable(
        "**Targets**",
        (
            Column("target", "target", left=True),
            Column("limit", lambda t: ("<= " if t["kind"] == "max" else ">= ") + f"{t['limit']:g}"),
            Column("measured", "value", lambda v: "—" if v is None else f"{v:.3f}"),
            Column(
                "met",
                "met",
                lambda met: "not measured" if met is None else ("yes" if met else "**no**"),
                style=lambda t: None if t["met"] is None else ("green" if t["met"] else "red"),
            ),
        ),
    ),
}


def terminal_table(name: str, data) -> Table:
    """The rich table of section ``name``'s data, cells plain (colours from the columns' ``style``)."""
    columns = TABLES[name].columns
    title, rows, cells = TABLES[name].text(data)
    table = Table(title=Text(plain(title)), title_justify="left")
    for column in columns:
        table.add_column(column.header, justify="left" if column.left else "right")
    for row, texts in zip(rows, cells):
        styles = [(column.style(row) if column.style else None) or "" for column in columns]
        table.add_row(*(Text(plain(text), style=style) for text, style in zip(texts, styles)))
    return table


def markdown_table(name: str, data) -> str:
    """Section ``name``'s data as a bold-titled Markdown table, cells as defined."""
    headers = [column.header for column in TABLES[name].columns]
    title, _, cells = TABLES[name].text(data)
    lines = [title, "", "| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    return "\n".join(lines)


def show(name: str, data) -> None:
    """Print section ``name``'s table, and its note, to the terminal."""
    console.print(terminal_table(name, data))
    note = TABLES[name].note
    if note:
        console.print(note(data) if callable(note) else note, markup=False)


def markdown(report: dict) -> str:
    """The report's tables in Markdown (``--markdown REPORT.json``), for the README."""
    meta = report["meta"]
    out = [
        f"Run of {meta['date']}: `{meta['command']}`, {meta['seconds']:.0f} s; Python {meta['python']}, numpy "
        f"{meta['numpy']}, scipy {meta['scipy']}, scikit-learn {meta['scikit-learn']}"
        + (f", PyTorch {meta['torch']}" if "torch" in meta else "")
        + f"; {machine(meta)}; load average {meta['load_average'][0]:.2f} at the start, "
        f"{meta['load_average_after'][0]:.2f} at the end.",
    ]
    for name in TABLES:
        if name in report:
            out += ["", markdown_table(name, report[name])]
    return "\n".join(out) + "\n"


SECTIONS = ("evaluation", "threads", "gflops", "training", "memory", "chunked", "dask", "growth", "startup")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description="layernet's benchmark suite")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (under a minute)")
    parser.add_argument("--tiny", action="store_true", help="tiny problem sizes: checks that every section runs")
    parser.add_argument(
        "--only",
        default=None,
        help=f"comma-separated sections of {', '.join(SECTIONS)} (default: all; without --quick all but growth, "
        "whose million samples take minutes: run it with --only growth)",
    )
    parser.add_argument("--output", type=Path, default=HERE / "results", help="folder for the JSON report")
    parser.add_argument(
        "--markdown", type=Path, metavar="REPORT.json", help="print a saved report as Markdown, run nothing"
    )
    args = parser.parse_args(argv)
    if args.markdown:
        report = json.loads(args.markdown.read_text(encoding="utf-8"))
        print(markdown(report), end="")
        return report
    if args.only is None:
        only = default_sections(Settings.make(args.quick, args.tiny))
    else:
        only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown sections {unknown}; known: {', '.join(SECTIONS)}")
    settings = Settings.make(args.quick, args.tiny)
    started = time.perf_counter()
    report: dict = {"meta": metadata(settings, only)}
    console.print(
        f"[bold]layernet benchmarks[/]  {report['meta']['date']}  {report['meta']['command']}  "
        f"load average {report['meta']['load_average'][0]:.2f}"
    )
    console.print(machine(report["meta"]), markup=False, soft_wrap=True)  # one line, however long
    probs = problems(settings)
    for p in probs:
        p.threads = choose_threads(len(p.X), p.sizes)
    report["meta"]["threads_chosen"] = {p.name: p.threads for p in probs}
    sections = {
        "evaluation": lambda: section_evaluation(settings, probs),
        "threads": lambda: section_threads(settings, probs),
        "gflops": lambda: section_gflops(settings, probs[-1]),
        "training": lambda: section_training(settings),
        "memory": lambda: section_memory(settings, probs[-1]),
        "chunked": lambda: section_chunked(settings, probs[-1]),
        "dask": lambda: section_dask(settings, probs),
        "growth": lambda: section_growth(settings),
        "startup": lambda: section_startup(settings),
    }
    report["meta"]["section_seconds"] = {}
    for name, section in sections.items():
        if name in only:
            start = time.perf_counter()
            report[name] = section()
            report["meta"]["section_seconds"][name] = time.perf_counter() - start
            show(name, report[name])
    report["targets"] = targets(report)
    show("targets", report["targets"])
    report["meta"]["seconds"] = time.perf_counter() - started
    report["meta"]["load_average_after"] = os.getloadavg()
    args.output.mkdir(parents=True, exist_ok=True)
    path = args.output / time.strftime("benchmark-%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps(report, indent=2, default=float) + "\n", encoding="utf-8")
    console.print(f"{report['meta']['seconds']:.0f} s; JSON written to {path}")
    return report


if __name__ == "__main__":
    main()
