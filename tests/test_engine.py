"""The evaluation engine (layernet/_engine.py): its numbers against the course's formulas, what it
allocates, how often it evaluates, its sample parts and threads, its cache-sized blocks."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reference import reference_cost_and_grad

import layernet as ln


def problem(sizes, m=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((m, sizes[0]))
    y = rng.integers(0, sizes[-1], m)
    return X, y, np.eye(sizes[-1])[y]


# -- numerics ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("sizes", "hidden"), [([2, 3, 2], "sigmoid"), ([4, 6, 5, 3], "tanh"), ([3, 2], "sigmoid")])
@pytest.mark.parametrize("lambda_", [0.0, 0.7])
def test_cost_and_gradient_match_the_course_formulas(sizes, hidden, lambda_):
    X, _, Y = problem(sizes)
    net = ln.Network(sizes, hidden=hidden).init(seed=1)
    J, grad = net.cost_and_grad(None, X, Y, lambda_)
    J_ref, grad_ref = reference_cost_and_grad(
        sizes, [hidden] * (len(sizes) - 2) + ["sigmoid"], net.theta, X, Y, lambda_
    )
    assert J == pytest.approx(J_ref, rel=1e-12)
    assert np.linalg.norm(grad - grad_ref) <= 1e-12 * np.linalg.norm(grad_ref)
    J_fast, grad_fast = net.evaluator(X, Y, lambda_)(net.theta.copy())
    assert J_fast == pytest.approx(J_ref, rel=1e-12)
    assert np.linalg.norm(grad_fast - grad_ref) <= 1e-12 * np.linalg.norm(grad_ref)


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "identity"])
def test_gradient_check_on_the_fast_path(hidden, output):
    X, y, _ = problem([3, 5, 4, 3], m=20, seed=2)
    net = ln.Network([3, 5, 4, 3], hidden=hidden, output=output, task="classification").init(seed=3)
    # Inputs of unit scale keep the central differences' own error well below the threshold.
    assert ln.check_gradients(net, X / 2, y, 0.3) < 1e-9


def test_reference_run_keeps_its_numbers():
    run = ln.run(ln.RunConfig.reference())
    assert round(run.metrics["cost"], 4) == 0.1324
    assert run.metrics["train_accuracy"] == 0.98


# -- user activations, old and new style ---------------------------------------------------------


class OldStyleSigmoid(ln.Activation):
    """A subclass written before derivative() took out=."""

    name = "old-style-sigmoid"

    def forward(self, z, out=None):
        return np.divide(1.0, 1.0 + np.exp(-z), out=out)

    def derivative(self, z, a):
        return a * (1.0 - a)


class IgnoresOut(ln.Activation):
    """forward() accepts out= but returns a new array, derivative() reads z."""

    name = "ignores-out"

    def forward(self, z, out=None):
        return np.tanh(z)

    def derivative(self, z, a):
        return 1.0 - np.tanh(z) ** 2


@pytest.mark.parametrize(
    ("custom", "builtin"),
    [
        (OldStyleSigmoid(), "sigmoid"),
        (
            ln.Activation("fn-sigmoid", lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
            "sigmoid",
        ),
        (IgnoresOut(), "tanh"),
    ],
)
def test_user_defined_activations_keep_working(custom, builtin):
    X, _, Y = problem([3, 4, 4, 2], seed=4)
    ours = ln.Network([3, 4, 4, 2], hidden=custom).init(seed=5)
    reference = ln.Network([3, 4, 4, 2], hidden=builtin).init(seed=5)
    J, grad = ours.evaluator(X, Y, 0.2)(ours.theta.copy())
    J_ref, grad_ref = reference.cost_and_grad(None, X, Y, 0.2)
    assert J == pytest.approx(J_ref, rel=1e-12)
    assert np.allclose(grad, grad_ref, rtol=1e-10, atol=1e-14)


# -- evaluations and allocations -----------------------------------------------------------------


@pytest.mark.parametrize("method", ["cg", "lbfgs"])
def test_each_distinct_point_is_evaluated_once(monkeypatch, moons, method):
    points = []
    evaluator = ln.Network.evaluator

    def counting_evaluator(self, X, Y, lambda_=0.0, **options):
        f = evaluator(self, X, Y, lambda_, **options)

        def counted(theta):
            points.append(np.array(theta, dtype=float).tobytes())
            return f(theta)

        return counted

    monkeypatch.setattr(ln.Network, "evaluator", counting_evaluator)
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    theta0 = net.theta.copy()
    result = ln.train(net, X, y, lambda_=1e-3, method=method, max_iter=60)
    assert len(points) == len(set(points)) == result.evaluations
    assert result.evaluations > result.iterations > 1
    assert points[0] == theta0.tobytes()  # the start is evaluated by the optimizer, once
    assert result.initial_cost == pytest.approx(net.cost(theta0, X, net.encode(y), 1e-3), rel=1e-12)


@pytest.mark.parametrize(("hidden", "output"), [("sigmoid", "sigmoid"), ("tanh", "sigmoid"), ("relu", "identity")])
def test_evaluations_allocate_nothing_proportional_to_the_samples(hidden, output):
    m, sizes = 20_000, [10, 32, 16, 4]
    X, _, Y = problem(sizes, m=m, seed=6)
    net = ln.Network(sizes, hidden=hidden, output=output).init(seed=7)
    f = net.evaluator(X, Y, 0.5)
    rng = np.random.default_rng(8)
    thetas = [net.theta + 0.01 * rng.standard_normal(net.n_params) for _ in range(3)]
    f(thetas[0])  # the first evaluation allocates the work buffers
    tracemalloc.start()
    try:
        for theta in thetas[1:]:
            f(theta)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    one_column = m * 8  # the smallest array that grows with the samples: one float64 per sample
    assert peak < one_column / 2, f"peak {peak} bytes per evaluation"
    assert peak < 8 * 8 * net.n_params + 16_384  # a few parameter-sized vectors at most


# -- threads -------------------------------------------------------------------------------------


def blas_thread_counts() -> set[int]:
    from threadpoolctl import threadpool_info

    return {lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"}


@pytest.mark.parametrize("threads", [None, 1, 2])
def test_train_runs_blas_single_threaded_and_splits_the_samples(monkeypatch, moons, threads):
    X, y = moons
    before = blas_thread_counts()
    seen, workers = [], []
    evaluator = ln.Network.evaluator

    def spy(self, X, Y, lambda_=0.0, **options):
        workers.append(options.get("workers", 1))
        return evaluator(self, X, Y, lambda_, **options)

    monkeypatch.setattr(ln.Network, "evaluator", spy)
    result = ln.train(
        ln.Network([2, 3, 2]).init(seed=0),
        X,
        y,
        method="lbfgs",
        max_iter=3,
        callback=lambda info: seen.append(blas_thread_counts()),
        threads=threads,
    )
    expected = 1 if threads is None else threads  # the rule picks 1 for the moons network
    assert result.threads == expected and workers == [expected]
    assert seen and all(counts == {1} for counts in seen)
    assert blas_thread_counts() == before


@pytest.mark.parametrize("workers", [2, 3])
def test_evaluations_split_among_workers_add_up(workers):
    X, _, Y = problem([4, 9, 3], m=101, seed=13)
    net = ln.Network([4, 9, 3], hidden="tanh").init(seed=14)
    one, split = net.evaluator(X, Y, 0.2), net.evaluator(X, Y, 0.2, workers=workers)
    for theta in (net.theta.copy(), net.theta + 0.5):
        J, grad = one(theta)
        J_split, grad_split = split(theta)
        assert J_split == pytest.approx(J, rel=1e-13)
        assert np.linalg.norm(grad_split - grad) <= 1e-13 * np.linalg.norm(grad)


@pytest.mark.parametrize("block", [1, 4, 7])
@pytest.mark.parametrize(("hidden", "output"), [("sigmoid", "sigmoid"), ("tanh", "softmax"), ("relu", "identity")])
def test_cache_sized_blocks_change_nothing(monkeypatch, block, hidden, output):
    # Hidden layers' elementwise passes run over blocks of units; tiny blocks (one unit at a time,
    # ragged last blocks) must give the same cost and gradient as the plain formulas.
    import layernet._engine as engine

    monkeypatch.setattr(engine, "_BLOCK_ELEMENTS", block * 50)
    sizes = [3, 11, 6, 3]
    X, _, Y = problem(sizes, m=50, seed=21)
    net = ln.Network(sizes, hidden=hidden, output=output).init(seed=22)
    assert len(engine.Workspace(net.layers, net.packer, 50).blocks[0]) > 1  # blocks are in use
    J, grad = net.evaluator(X, Y, 0.3)(net.theta.copy())
    J_ref, grad_ref = reference_cost_and_grad(sizes, [hidden, hidden, output], net.theta, X, Y, 0.3)
    assert J == pytest.approx(J_ref, rel=1e-12)
    np.testing.assert_allclose(grad, grad_ref, rtol=1e-10, atol=1e-13)


def test_split_evaluations_allocate_nothing_proportional_to_the_samples():
    m, sizes = 20_000, [10, 32, 16, 4]
    X, _, Y = problem(sizes, m=m, seed=15)
    net = ln.Network(sizes, hidden="tanh").init(seed=16)
    f = net.evaluator(X, Y, 0.5, workers=2)
    f(net.theta.copy())
    tracemalloc.start()
    try:
        f(net.theta + 0.01)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < m * 8 / 2


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_threads_must_be_a_positive_int(moons, bad):
    X, y = moons
    with pytest.raises(ln.LayerNetError, match="threads"):
        ln.train(ln.Network([2, 3, 2]).init(seed=0), X, y, threads=bad)


# -- float32 -------------------------------------------------------------------------------------


def test_float32_network_trains_and_matches_float64():
    X, y, Y = problem([5, 8, 3], m=200, seed=9)
    net64 = ln.Network([5, 8, 3], hidden="tanh").init(seed=10)
    net32 = ln.Network([5, 8, 3], hidden="tanh", dtype="float32").init(seed=10)
    theta = net64.theta.copy()
    J64, g64 = net64.evaluator(X, Y, 0.1)(theta)
    J32, g32 = net32.evaluator(X, Y, 0.1)(theta)
    assert g32.dtype == np.float64 and g32.shape == g64.shape
    assert J32 == pytest.approx(J64, rel=1e-5)
    assert np.linalg.norm(g32 - g64) <= 1e-4 * np.linalg.norm(g64)
    result = ln.train(net32, X, y, lambda_=0.1, method="lbfgs", max_iter=50)
    assert net32.theta.dtype == np.float32
    assert result.cost < J32


def test_float32_network_memorizes_random_labels_and_tests_at_chance():
    """Labels drawn at random carry no signal: a network with room to spare (303 parameters for
    100 samples) fits them all, and on fresh samples it scores what guessing scores, 1/3 give or
    take the binomial spread of the test set's size (a 1-in-10,000 band on each side)."""
    from scipy.stats import binom

    X, y, _ = problem([5, 50, 3], m=100, seed=9)
    X_test, y_test, _ = problem([5, 50, 3], m=600, seed=11)
    net = ln.Network([5, 50, 3], hidden="tanh", dtype="float32").init(seed=10)
    result = ln.train(net, X, y, lambda_=0.0, method="lbfgs", max_iter=500)
    assert net.theta.dtype == np.float32
    assert net.score(X, y) == 1.0, result.message
    low, high = binom.ppf([1e-4, 1 - 1e-4], len(y_test), 1 / 3) / len(y_test)
    assert low <= net.score(X_test, y_test) <= high


# -- start-up ------------------------------------------------------------------------------------


def test_import_layernet_does_not_import_numpy():
    code = "import sys, layernet; assert 'numpy' not in sys.modules, 'numpy imported'; print(layernet.Network)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "layernet.network.Network" in output


def test_cg_callback_can_stop(moons):
    X, y = moons
    result = ln.train(ln.Network([2, 3, 2]).init(seed=0), X, y, method="cg", callback=lambda info: info.iteration >= 5)
    assert result.status == "stopped" and result.iterations == 5


def test_run_passes_threads_through():
    run = ln.run(ln.RunConfig.reference(), threads=2)
    assert run.metrics["threads"] == run.result.threads == 2
    assert round(run.metrics["cost"], 4) == 0.1324
    with pytest.raises(ln.LayerNetError, match="threads"):
        ln.run(ln.RunConfig.reference(), threads=0)


# -- sample chunks within a memory budget --------------------------------------------------------

ACTIVATIONS = ["sigmoid", "tanh", "relu", "identity"]


@settings(max_examples=12, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 7), min_size=2, max_size=5),
    hidden=st.sampled_from(ACTIVATIONS),
    output=st.sampled_from(["sigmoid", "softmax", "identity"]),
    m=st.integers(1, 90),
    batch=st.integers(1, 100),
    workers=st.integers(1, 3),
    lambda_=st.sampled_from([0.0, 0.4]),
)
def test_chunked_evaluations_equal_the_course_formulas_on_random_architectures(
    sizes, hidden, output, m, batch, workers, lambda_
):
    if output == "softmax" and sizes[-1] == 1:
        sizes = [*sizes[:-1], 2]
    X, _, Y = problem(sizes, m=m, seed=m)
    net = ln.Network(sizes, hidden=hidden, output=output).init(seed=batch)
    J_ref, grad_ref = reference_cost_and_grad(sizes, [hidden] * (len(sizes) - 2) + [output], net.theta, X, Y, lambda_)
    J_whole, grad_whole = net.evaluator(X, Y, lambda_, workers=workers)(net.theta.copy())
    f = net.evaluator(X, Y, lambda_, batch_size=batch, workers=workers)
    assert f.batch_rows == min(batch, m)
    for _ in range(2):  # the second evaluation reuses the chunk buffers
        J, grad = f(net.theta.copy())
        for J_other, grad_other in ((J_ref, grad_ref), (J_whole, grad_whole)):
            assert J == pytest.approx(J_other, rel=1e-12)
            assert np.linalg.norm(grad - grad_other) <= 1e-12 * np.linalg.norm(grad_other) + 1e-300


@pytest.mark.parametrize("method", ["cg", "lbfgs"])
def test_data_that_fit_one_chunk_take_the_unchunked_path_bit_for_bit(moons, method):
    X, y = moons
    runs = []
    for chunking in ({}, {"batch_size": len(X)}, {"max_memory": "1GB"}, {"batch_size": 10 * len(X)}):
        net = ln.Network([2, 3, 2]).init(seed=0)
        runs.append(ln.train(net, X, y, lambda_=1e-3, method=method, max_iter=60, **chunking))
    for run in runs[1:]:
        assert run.iterations == runs[0].iterations and run.evaluations == runs[0].evaluations
        assert np.array_equal(run.theta, runs[0].theta)


@pytest.mark.parametrize("threads", [1, 2])
def test_chunked_training_follows_the_full_batch_path(moons, threads):
    X, y = moons
    whole = ln.train(ln.Network([2, 3, 2]).init(seed=0), X, y, lambda_=1e-3, method="lbfgs", max_iter=30)
    chunked = ln.train(
        ln.Network([2, 3, 2]).init(seed=0),
        X,
        y,
        lambda_=1e-3,
        method="lbfgs",
        max_iter=30,
        batch_size=37,
        threads=threads,
    )
    assert chunked.iterations == whole.iterations
    assert chunked.cost == pytest.approx(whole.cost, rel=1e-10)
    assert np.allclose(chunked.theta, whole.theta, rtol=1e-8, atol=1e-10)


def test_chunked_buffers_stay_within_the_memory_budget():
    from layernet._engine import workspace_bytes

    m, sizes, budget = 20_000, [10, 32, 16, 4], 2**20
    X, _, Y = problem(sizes, m=m, seed=9)
    net = ln.Network(sizes, hidden="tanh").init(seed=10)
    rng = np.random.default_rng(11)
    thetas = [net.theta + 0.01 * rng.standard_normal(net.n_params) for _ in range(2)]
    whole = 8 * m * (11 + 33 + 17 + 2 * 4 + 4 + 3 * 32)  # the unchunked buffers, counted by hand: 13.7 MB
    tracemalloc.start()
    try:
        f = net.evaluator(X, Y, 0.5, max_memory=budget)
        for theta in thetas:
            f(theta)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert f.batch_rows < m
    assert peak <= budget + 8 * 8 * net.n_params + 16_384, peak  # the budget, and a few parameter vectors
    assert peak < whole / 10
    # What the budget is divided by: the buffers a workspace really allocates, traced.
    tracemalloc.start()
    try:
        work = net._engine.workspace(500)
        work.set_inputs(X[:500], Y[:500])
        work.backward_buffers()
        allocated = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    counted = workspace_bytes(net.layers, net.packer, 500)
    assert counted <= allocated <= counted + 32_768  # and the views' and lists' Python objects


def test_predictions_and_one_off_costs_run_in_chunks_beyond_the_default_budget(monkeypatch):
    sizes = [3, 6, 4, 3]
    X, y, Y = problem(sizes, m=101, seed=12)
    net = ln.Network(sizes, hidden="tanh", output="softmax").init(seed=13)
    J_whole, grad_whole = net.cost_and_grad(None, X, Y, 0.2)
    z_whole, proba_whole = net._outputs(X)[0], net.predict_proba(X)
    from layernet._engine import budget_for_rows

    monkeypatch.setattr("layernet.network.DEFAULT_MAX_MEMORY", budget_for_rows(net.layers, net.packer, 20))
    assert net._chunk_rows(len(X)) == 20
    J, grad = net.cost_and_grad(None, X, Y, 0.2)
    assert J == pytest.approx(J_whole, rel=1e-12)
    assert np.linalg.norm(grad - grad_whole) <= 1e-12 * np.linalg.norm(grad_whole)
    assert np.allclose(net._outputs(X)[0], z_whole, rtol=1e-13, atol=0)
    assert np.allclose(net.predict_proba(X), proba_whole, rtol=1e-13, atol=0)


def test_a_budget_too_small_for_one_sample_is_refused(moons):
    X, y = moons
    net = ln.Network([2, 3, 2]).init(seed=0)
    with pytest.raises(ln.LayerNetError, match=r"max_memory=100 bytes cannot hold .* give at least \d+"):
        ln.train(net, X, y, max_memory=100)
    with pytest.raises(ln.LayerNetError, match="max_memory or batch_size, not both"):
        ln.train(net, X, y, max_memory="1MB", batch_size=10)
    with pytest.raises(ln.LayerNetError, match="max_memory must be a size in bytes"):
        ln.TrainOptions(max_memory="lots")
    with pytest.raises(ln.LayerNetError, match="batch_size must be an integer >= 1"):
        ln.TrainOptions(batch_size=0)
