"""Data on Dask: each cost and gradient is a reduction over the data's partitions, on the workers.

When :func:`layernet.train` is given a Dask array or DataFrame (or a ``scheduler`` to send
in-memory data to), the data stay on the Dask workers, one partition per block of rows. At
the start every partition is checked there (finite features, labels the output layer can
take), one-hot encoded and given an evaluator of its own (work buffers within ``max_memory``,
kept on the worker between evaluations). Then every evaluation

1. broadcasts the optimizer's point to the workers (one copy per worker),
2. evaluates each partition's data term where the partition lives: the mean cost over its
   ``m_p`` rows and its gradient, without the penalty,
3. sums them on the client, weighted by ``m_p / m``, and adds the course's penalty
   ``lambda / (2 m) * sum(W**2)`` once.

The optimizer (cg, lbfgs, bfgs, gd) runs on the client, unchanged: it sees one
``f(theta) -> (J, grad)`` as with data in memory, and the sum equals the in-memory evaluation up
to rounding. This is the scheme of Spark MLlib's ``MultilayerPerceptronClassifier`` with L-BFGS.

``dask`` and ``distributed`` are imported only here, when such data arrive (the optional extra
``layernet[distributed]``).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .errors import DataError, LayerNetError
from .labels import check_labels, encode_labels
from .validation import check_features

__all__ = ["is_dask_collection", "DaskData"]


def is_dask_collection(value) -> bool:
    """Whether ``value`` is a Dask collection (array, DataFrame, Series), without importing dask."""
    module = type(value).__module__ or ""
    return (module == "dask" or module.startswith(("dask.", "dask_expr"))) and hasattr(value, "__dask_graph__")


class DaskData:
    """Training data held on a Dask cluster, one evaluator per partition on the workers.

    Parameters
    ----------
    net : Network
        The network to train; a copy (layers, scaler, dtype) goes to the workers.
    X : dask array or DataFrame of shape (n_samples, n_features), or an in-memory array
    y : dask array or Series of shape (n_samples,), or an in-memory array
    classes : sequence or None
        All the labels in output-unit order; None: the distinct labels of ``y``, found on the
        cluster.
    scheduler : str or None
        A scheduler's address; None: the current Dask client.
    max_memory, batch_size : int or None
        The work buffers' budget on each worker, as for in-memory data.
    """

    def __init__(self, net, X, y, classes=None, scheduler=None, max_memory=None, batch_size=None) -> None:
        self.client, self._owned = _client(scheduler)
        try:
            self._setup(net, X, y, classes, max_memory, batch_size)
        except BaseException:
            self.close()
            raise

    def _setup(self, net, X, y, classes, max_memory, batch_size) -> None:
        import dask.array as da

        client = self.client
        if is_dask_collection(X):
            X = _as_array(X, "X")
            if X.ndim != 2:
                raise DataError(f"X must be 2-D (n_samples, n_features), got a Dask collection of shape {X.shape}")
            if X.shape[1] != net.n_features:
                raise DataError(f"X has {X.shape[1]} features but the network's input layer expects {net.n_features}")
            X = X.rechunk({1: -1})  # whole rows in every partition
            rows = [int(n) for n in X.chunks[0]]
            # The partitions become futures: computed once, kept on the workers.
            blocks_X = client.compute(list(X.to_delayed().ravel()))
        else:
            # In-memory data and a scheduler: sent to the workers, one partition per worker thread.
            X = check_features(X, net.n_features, dtype=net.dtype)
            size = math.ceil(len(X) / max(1, sum(client.nthreads().values())))
            rows = [min(size, len(X) - start) for start in range(0, len(X), size)]
            blocks_X = client.scatter([X[start : start + size] for start in range(0, len(X), size)])
        self.n_samples = n = sum(rows)
        bounds = np.cumsum([0, *rows]).tolist()
        if is_dask_collection(y):
            y = _as_array(y, "y")
            if y.ndim != 1 or y.shape[0] != n:
                raise DataError(f"y must have one label per row of X ({n}), got shape {y.shape}")
            y = y.rechunk((tuple(rows),))
            if classes is None:
                classes = np.asarray(client.compute(da.unique(y)).result())
            blocks_y = client.compute(list(y.to_delayed().ravel()))
        else:
            y = check_labels(y, n)
            blocks_y = client.scatter([y[a:b] for a, b in zip(bounds[:-1], bounds[1:])])
            if classes is None:
                classes = np.unique(y)
        self.classes = classes = net._classes_for(np.asarray(classes), classes)
        replica = net.copy()
        replica.classes_ = classes
        replica_future = client.scatter(replica, broadcast=True)
        self.partitions = [
            client.submit(_Partition, replica_future, bx, by, start, max_memory, batch_size, pure=False)
            for bx, by, start in zip(blocks_X, blocks_y, bounds[:-1])
        ]
        self.weights = np.array(rows, dtype=float) / self.n_samples
        # Raise here any error a partition's checks found (the partitions stay on the workers).
        client.gather([client.submit(_ready, part, pure=False) for part in self.partitions])
        del blocks_X, blocks_y, replica_future
        self.packer = net.packer
        self.weight_mask = net.packer.zeros().astype(np.float64)
        for block in net.packer.unpack(self.weight_mask):
            block[:, 1:] = 1.0

    def evaluator(self, lambda_: float):
        """``f(theta) -> (J, grad)`` over all partitions, the penalty added on the client."""
        client, partitions, weights = self.client, self.partitions, self.weights
        scale = self.weight_mask * (lambda_ / self.n_samples)

        def cost_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            point = client.scatter(np.asarray(theta, dtype=np.float64), broadcast=True, hash=False)
            shares = client.gather([client.submit(_terms, part, point, pure=False) for part in partitions])
            J = math.fsum(w * share[0] for w, share in zip(weights, shares))
            grad = np.zeros(theta.shape, dtype=np.float64)
            for w, share in zip(weights, shares):
                grad += w * share[1]
            if lambda_:
                reg = theta * scale
                J += 0.5 * float(np.vdot(theta, reg))
                grad += reg
            return J, grad

        return cost_and_grad

    def close(self) -> None:
        """Release the partitions on the workers, and the client if this object made it."""
        self.partitions = []
        if self._owned:
            self.client.close()
            self._owned = False


class _Partition:
    """One partition's rows on a worker: checked, encoded, and an evaluator over them (no penalty).

    It lives in the worker's memory as a task result; if Dask has to move it, it travels as its
    network and data, and the evaluator is built again where it lands.
    """

    def __init__(self, net, X, y, start: int, max_memory, batch_size) -> None:
        self.start = start
        X = np.asarray(X)
        if X.dtype.kind in "biuf" and X.size and not np.isfinite(X).all():
            row, column = np.argwhere(~np.isfinite(X))[0]
            raise DataError(f"X must be finite: it holds {X[row, column]} at row {start + row}, column {column}")
        try:
            self.X = check_features(X, net.n_features, dtype=net.dtype)
            y = check_labels(y, len(self.X))
            self.Y = encode_labels(y, net.classes_, net.n_outputs, dtype=net.dtype)
        except DataError as error:
            raise DataError(f"in rows {start} to {start + len(X) - 1} of the data on Dask: {error}") from None
        self.net, self.max_memory, self.batch_size = net, max_memory, batch_size
        self._f = None

    def __call__(self, theta):
        if self._f is None:
            self._f = self.net.evaluator(self.X, self.Y, 0.0, max_memory=self.max_memory, batch_size=self.batch_size)
        return self._f(theta)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_f"] = None
        return state


def _ready(partition: _Partition) -> int:
    return len(partition.X)


def _terms(partition: _Partition, theta: np.ndarray):
    from .threads import blas_threads

    with blas_threads(1):  # the worker's threads are the parallelism
        J, grad = partition(theta)
    return J, grad


def _as_array(value, name: str):
    """A Dask DataFrame or Series as a Dask array with known partition lengths."""
    if hasattr(value, "to_dask_array"):
        with warnings.catch_warnings():
            # String labels: dask says it converts pandas' string dtype to object, as wanted here.
            warnings.filterwarnings("ignore", "Dask currently has limited support for converting pandas extension")
            value = value.to_dask_array(lengths=True)
    if any(math.isnan(size) for size in value.shape):
        value = value.compute_chunk_sizes()
    if value.dtype.kind not in "biuf" and name == "X":
        raise DataError(f"X must hold numbers, got a Dask collection of dtype {value.dtype}")
    return value


def _client(scheduler):
    """A ``distributed.Client``: connected to ``scheduler``, or the current one (and whether it is ours)."""
    try:
        from distributed import Client, default_client
    except ImportError:
        raise LayerNetError(
            "training on Dask data needs the 'distributed' package: pip install 'layernet[distributed]'"
        ) from None
    if scheduler is None:
        try:
            return default_client(), False
        except ValueError:
            raise LayerNetError(
                "the data are on Dask but there is no Dask client: start one (distributed.Client(...)) or give "
                "scheduler='tcp://host:8786'"
            ) from None
    try:
        return Client(scheduler, timeout="10s", set_as_default=False), True
    except (OSError, TimeoutError, ValueError) as error:
        raise LayerNetError(f"cannot connect to the Dask scheduler at {scheduler}: {error}") from None
