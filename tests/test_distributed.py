"""Training on data held by Dask (layernet/distributed.py): a cost and gradient summed over the
partitions on two worker processes give the in-memory fit."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import layernet as ln
from layernet.distributed import is_dask_collection

distributed = pytest.importorskip("distributed", reason="the Dask path needs layernet[distributed]")
da = pytest.importorskip("dask.array")


@pytest.fixture(scope="module")
def client():
    import multiprocessing

    import dask
    import distributed.utils

    # forkserver: the worker processes fork from a server that has imported distributed, numpy and
    # layernet once; they start in about 2 s instead of 4.5 s (spawn), without fork()'s risks.
    # distributed would preload (and first import here) every optional package it knows, pandas
    # and pyarrow included, which takes longer than it saves: the flag says its preloads are set.
    distributed.utils._forkserver_preload_set = True
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        multiprocessing.get_context("forkserver").set_forkserver_preload(
            ["distributed", "numpy", "threadpoolctl", "layernet.distributed", "layernet.network"]
        )
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            yield client


def fit(X, y, **options):
    net = ln.Network([2, 4, 2], hidden="tanh").init(seed=0)
    return net, ln.train(net, X, y, lambda_=1e-3, **options)


def assert_same_fit(ours, theirs):
    (net, result), (net_memory, in_memory) = ours, theirs
    assert result.iterations == in_memory.iterations and result.evaluations == in_memory.evaluations
    assert result.cost == pytest.approx(in_memory.cost, rel=1e-10)
    assert result.initial_cost == pytest.approx(in_memory.initial_cost, rel=1e-12)
    assert np.allclose(net.theta, net_memory.theta, rtol=1e-8, atol=1e-12)
    assert list(net.classes_) == list(net_memory.classes_)


def test_a_dask_array_fit_equals_the_in_memory_fit(client, moons):
    X, y = moons
    dX, dy = da.from_array(X, chunks=(70, 2)), da.from_array(y, chunks=(70,))  # 3 partitions, 2 workers
    assert is_dask_collection(dX) and not is_dask_collection(X)
    assert_same_fit(fit(dX, dy, method="lbfgs", max_iter=6), fit(X, y, method="lbfgs", max_iter=6))


def test_a_dask_dataframe_fit_equals_the_in_memory_fit(client, moons):
    pd = pytest.importorskip("pandas")
    dd = pytest.importorskip("dask.dataframe")
    X, y = moons
    frame = dd.from_pandas(pd.DataFrame(X, columns=["a", "b"]), npartitions=2)
    labels = dd.from_pandas(pd.Series(np.where(y == 1, "upper", "lower")), npartitions=2)
    ours = fit(frame, labels, method="gd", max_iter=2)
    assert_same_fit(ours, fit(X, np.where(y == 1, "upper", "lower"), method="gd", max_iter=2))
    assert list(ours[0].classes_) == ["lower", "upper"]


def test_in_memory_data_go_to_the_scheduler_given(client, moons):
    X, y = moons
    address = client.scheduler.address
    assert_same_fit(fit(X, y, method="cg", max_iter=2, scheduler=address), fit(X, y, method="cg", max_iter=2))


def test_bad_data_on_dask_are_named_by_their_rows(client, moons):
    X, y = moons
    X = X.copy()
    X[150, 1] = np.nan
    net = ln.Network([2, 4, 2]).init(seed=0)
    theta = net.theta.copy()
    with pytest.raises(ln.DataError, match="X must be finite: it holds nan at row 150, column 1"):
        ln.train(net, da.from_array(X, chunks=(70, 2)), y)
    assert np.array_equal(net.theta, theta)
    with pytest.raises(ln.DataError, match="X has 3 features but the network's input layer expects 2"):
        ln.train(net, da.zeros((10, 3), chunks=5), y[:10])


def test_without_distributed_the_message_says_what_to_install(monkeypatch, moons):
    X, y = moons
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ln.LayerNetError, match=r"pip install 'layernet\[distributed\]'"):
        ln.train(ln.Network([2, 3, 2]), X, y, scheduler="tcp://127.0.0.1:8786")
