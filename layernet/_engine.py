"""The evaluation engine: work buffers, sample chunks and parts on worker threads, cache-sized
blocks, and the forward and backward passes that give a network's cost and gradient.

:class:`~layernet.Network` is the public face (layers, ``theta``, ``cost_and_grad``,
``predict``...); it owns one :class:`Engine`, which evaluates its layers over a
:class:`Workspace` -- the buffers for one batch size, reused by every evaluation. Data with more
samples than a memory budget's workspace holds are evaluated as :class:`Chunks`: the samples
pass through one workspace a chunk at a time, their losses and gradients summed, so the result
is the full batch's cost and gradient and the buffers stay within the budget however many
samples there are. Nothing here checks its inputs: the network does that at its boundary.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .activations import multiply_by_derivative
from .layers import Layer
from .losses import Loss
from .packing import ParameterPacker

__all__ = ["Engine", "Workspace", "Part", "Chunks", "workspace_bytes", "rows_for_budget", "budget_for_rows"]


class Engine:
    """Forward and backward passes over a network's layers, and the workspaces they run in.

    It keeps the workspaces of the two most recent batch sizes (typically the training and test
    sets), so a prediction after training reuses its buffers instead of allocating new ones.
    """

    def __init__(self, layers: Sequence[Layer], loss: Loss, packer: ParameterPacker) -> None:
        self.layers = list(layers)
        self.loss = loss
        self.packer = packer
        self._workspaces: dict[int, Workspace] = {}

    def workspace(self, n_samples: int) -> Workspace:
        """A new workspace of its own for ``n_samples`` (an optimizer's evaluator keeps one)."""
        return Workspace(self.layers, self.packer, n_samples)

    def cached(self, n_samples: int) -> Workspace:
        """The shared workspace for ``n_samples`` (one-off evaluations: cost, forward, predict)."""
        work = self._workspaces.get(n_samples)
        if work is None:
            if len(self._workspaces) >= 2:  # keep the two most recent batch sizes (e.g. train and test)
                del self._workspaces[next(iter(self._workspaces))]
            work = self._workspaces[n_samples] = self.workspace(n_samples)
        return work

    def clear(self) -> None:
        """Drop the cached workspaces (before pickling, or to free memory)."""
        self._workspaces = {}

    def forward(self, work: Workspace):
        for layer, theta, inputs, zT, views in zip(self.layers, work.thetas, work.inputs, work.zT, work.forward_views):
            np.matmul(theta, inputs, out=zT)  # z.T = theta @ [1; a_prev.T]: bias included
            forward = layer.activation.forward
            for z, a in views:
                result = forward(z, out=a)
                if result is not a:  # an activation that ignored out=
                    np.copyto(a, result)
        return work.z[-1], work.a[-1]

    def evaluate(self, work: Workspace, lambda_: float, gradient: bool = True):
        """Cost and (if asked) gradient at ``work.theta``; the gradient is ``work.grad``, reused."""
        m = work.n_samples
        work.backward_buffers()
        loss = self.batch_terms(work.pieces(m), work.pool, m, gradient, work.grad)
        return self.penalized(work, loss, m, lambda_, gradient)

    def evaluate_chunks(self, chunks: Chunks, lambda_: float, gradient: bool = True):
        """:meth:`evaluate` over all of ``chunks``' samples, one workspace-full at a time.

        Each chunk's samples are copied into the workspace (samples along the columns), its loss
        and gradient (the mean's ``1/m`` over all ``m`` samples included) added to the totals;
        the penalty is added once. The gradient is ``chunks.work.grad``, reused.
        """
        work, m, total = chunks.work, chunks.n_samples, chunks.total
        work.backward_buffers()
        loss = 0.0
        for index, (start, stop) in enumerate(chunks.bounds):
            work.set_inputs(chunks.X[start:stop], chunks.Y[start:stop])
            # The first chunk writes the total gradient, the others add to it.
            loss += self.batch_terms(work.pieces(stop - start), work.pool, m, gradient, total, add=index > 0)
        if gradient:
            np.copyto(work.grad, total)
        return self.penalized(work, loss, m, lambda_, gradient)

    def batch_terms(self, pieces, pool, m: int, gradient: bool, grad: np.ndarray, add: bool = False) -> float:
        """The loss summed over ``pieces`` (a workspace, or its parts on ``pool``'s threads) and,
        if asked, their gradient written (or with ``add``, added) into ``grad``."""
        if len(pieces) > 1:
            # The other parts go to the pool; this thread computes the first one meanwhile.
            pending = [pool.submit(self.data_terms, piece, m, gradient) for piece in pieces[1:]]
            shares = [self.data_terms(pieces[0], m, gradient)] + [future.result() for future in pending]
        else:
            shares = [self.data_terms(pieces[0], m, gradient)]
        if gradient:
            for index, share in enumerate(shares):
                if index or add:
                    grad += share[1]
                elif share[1] is not grad:
                    np.copyto(grad, share[1])
        return sum(share[0] for share in shares)

    def penalized(self, work: Workspace, loss: float, m: int, lambda_: float, gradient: bool):
        """``J`` from the summed ``loss``, and the gradient in ``work.grad``, with the penalty added."""
        J = loss / m
        if lambda_:
            # reg = (lambda/m) theta on the weights, 0 on the biases; the penalty is theta . reg / 2.
            reg = work.regularizer(lambda_ / m)
            J += 0.5 * float(np.vdot(work.theta, reg))
        if not gradient:
            return J, None
        if lambda_:
            work.grad += reg
        return J, work.grad

    def data_terms(self, work, m: int, gradient: bool):
        """The loss summed over ``work``'s samples and, if asked, its share of the gradient (the
        mean's ``1/m`` included, no penalty) in ``work.grad``. ``work`` is a workspace or a part."""
        z, a = self.forward(work)
        last = len(self.layers) - 1
        loss = self.loss.value(z, a, work.y, out=work.scratch[last])
        if not gradient:
            return loss, None
        delta = work.delta[last]
        result = self.loss.delta(z, a, work.y, self.layers[-1].activation, out=delta, scratch=work.scratch[last])
        if result is not delta:
            np.copyto(delta, result)
        # The 1/m of the mean is folded into the output delta once; backprop is linear in it.
        delta *= 1.0 / m
        for index in range(last, -1, -1):
            deltaT = work.deltaT[index]
            # The layer's whole gradient, bias column included, in one product.
            np.matmul(deltaT, work.inputs[index].T, out=work.grads[index])
            if index:
                below = index - 1
                np.matmul(work.W[index].T, deltaT, out=work.deltaT[below])
                activation = self.layers[below].activation
                for delta, z, a, scratch in work.backward_views[below]:
                    multiply_by_derivative(activation, delta, z, a, scratch)
        return loss, work.grad


class Workspace:
    """Buffers for one batch size, allocated once and reused by every evaluation.

    Samples run along the columns: a layer's input is ``(n_in + 1, n_samples)`` with a row of
    ones on top, the course's ``[1; a]``, kept in place from one evaluation to the next. So one
    matrix product gives ``z = theta @ [1; a]`` bias included, one gives a layer's whole gradient
    ``delta @ [1; a].T`` straight into its slot of the flat gradient, and every elementwise pass
    runs over one contiguous block. Activations and the loss see ``(n_samples, n_units)`` views
    (transposes) of these buffers, so their code is the same as for row-major arrays.

    A hidden layer whose activation derives from ``a`` alone (sigmoid, tanh, relu, identity)
    computes ``a`` in place over ``z``. Backprop ping-pongs between two delta buffers and works
    derivatives and the loss in one scratch buffer, allocated on the first cost. After that an
    evaluation allocates nothing that grows with ``n_samples``.
    """

    def __init__(self, layers: Sequence[Layer], packer: ParameterPacker, n_samples: int) -> None:
        dtype = packer.dtype
        m = self.n_samples = n_samples
        self.layers = list(layers)
        self.theta = packer.zeros()
        self.grad = packer.zeros()
        self.thetas = packer.unpack(self.theta)
        self.W = [t[:, 1:] for t in self.thetas]
        self.grads = packer.unpack(self.grad)
        # 1 for a weight, 0 for a bias: the penalty skips the bias column.
        self.weight_mask = packer.zeros()
        for g in packer.unpack(self.weight_mask):
            g[:, 1:] = 1.0
        self.reg = packer.zeros()
        self._reg_scale = None
        self._scaled_mask = packer.zeros()

        last = len(self.layers) - 1
        self.inputs = []  # [1; X.T], then [1; a.T] of every hidden layer
        for n in [self.layers[0].n_in] + [layer.n_out for layer in self.layers[:-1]]:
            block = np.empty((n + 1, m), dtype=dtype)
            block[0] = 1.0
            self.inputs.append(block)
        self.zT, self.aT = [], []
        for index, layer in enumerate(self.layers):
            if index < last:
                aT = self.inputs[index + 1][1:]
                zT = aT if not layer.activation.derivative_uses_z else np.empty_like(aT)
            else:
                zT, aT = np.empty((layer.n_out, m), dtype=dtype), np.empty((layer.n_out, m), dtype=dtype)
            self.zT.append(zT)
            self.aT.append(aT)
        self.z = [zT.T for zT in self.zT]
        self.a = [aT.T for aT in self.aT]
        # Hidden layers' elementwise passes run over blocks of units small enough to stay in cache
        # between one pass and the next (a layer's units are contiguous rows of its buffer).
        self.blocks = [
            _unit_blocks(layer.n_out, m) if index < last else [slice(None)] for index, layer in enumerate(self.layers)
        ]
        self.forward_views = [[(z[:, b], a[:, b]) for b in blocks] for z, a, blocks in zip(self.z, self.a, self.blocks)]
        self.y: np.ndarray | None = None
        self.deltaT: list[np.ndarray] | None = None
        self.parts: list[Part] = []
        self.pool = None
        self.workers = 1
        self._pieces: dict[int, list] = {}

    def split(self, workers: int) -> None:
        """Divide the samples among ``workers`` threads (see :class:`Part`); 1 undoes it."""
        self.backward_buffers()
        self.workers = workers = max(1, min(workers, self.n_samples))
        self._pieces = {}
        if workers == 1:
            self.parts, self.pool = [], None
            return
        from .threads import worker_pool

        self.parts = self._divide(self.n_samples)
        self.pool = worker_pool(workers)

    def _divide(self, n_columns: int) -> list[Part]:
        workers = max(1, min(self.workers, n_columns))
        bounds = [round(i * n_columns / workers) for i in range(workers + 1)]
        return [Part(self, slice(start, stop)) for start, stop in zip(bounds[:-1], bounds[1:])]

    def pieces(self, n_columns: int) -> list:
        """What an evaluation of the first ``n_columns`` samples runs over: the workspace itself,
        or views of those columns (one per thread; one for a short last chunk)."""
        if n_columns == self.n_samples and not self.parts:
            return [self]
        if n_columns == self.n_samples:
            return self.parts
        found = self._pieces.get(n_columns)
        if found is None:
            if len(self._pieces) >= 2:  # a data set has one short last chunk; keep a few
                self._pieces.clear()
            found = self._pieces[n_columns] = self._divide(n_columns)
        return found

    def set_inputs(self, X: np.ndarray, Y: np.ndarray | None = None) -> None:
        """Copy the features (and targets) in, samples along the columns: ``len(X)`` samples,
        at most :attr:`n_samples`, into the first columns."""
        n = len(X)
        np.copyto(self.inputs[0][1:, :n], X.T)
        if Y is not None:
            if self.y is None:
                self.y = np.empty((Y.shape[1], self.n_samples), dtype=self.theta.dtype).T
                self._pieces = {}  # views made before the targets existed lack them
                for part in self.parts:
                    part.y = self.y[part.columns]
            np.copyto(self.y[:n], Y)

    def backward_buffers(self) -> None:
        """Allocate the delta and scratch buffers on the first cost."""
        if self.deltaT is not None:
            return
        self._pieces = {}  # views made for a forward pass only lack the backward buffers
        m, dtype = self.n_samples, self.theta.dtype
        width = max(layer.n_out for layer in self.layers)
        flats = [np.empty(width * m, dtype=dtype) for _ in range(3)]
        # Layers l and l - 1 use different delta buffers; the scratch is used one layer at a time.
        self.deltaT = [flats[i % 2][: layer.n_out * m].reshape(layer.n_out, m) for i, layer in enumerate(self.layers)]
        self.delta = [d.T for d in self.deltaT]
        self.scratch = [flats[2][: layer.n_out * m].reshape(layer.n_out, m).T for layer in self.layers]
        self.backward_views = [
            [(d[:, b], z[:, b], a[:, b], s[:, b]) for b in blocks]
            for d, z, a, s, blocks in zip(self.delta, self.z, self.a, self.scratch, self.blocks)
        ]

    def regularizer(self, scale: float) -> np.ndarray:
        """``scale * theta`` with the bias entries zeroed, in :attr:`reg`."""
        if scale != self._reg_scale:
            np.multiply(self.weight_mask, scale, out=self._scaled_mask)
            self._reg_scale = scale
        return np.multiply(self.theta, self._scaled_mask, out=self.reg)


class Part:
    """One worker's share of a workspace: a range of samples (columns), views into its buffers.

    Parts read the same parameters and write their own gradient; their losses and gradients add
    up to the whole batch's. numpy releases the GIL in its products and elementwise loops, so
    parts run in parallel threads, each with a single-threaded BLAS: both cores stay busy through
    the products *and* the elementwise passes, where a multi-threaded BLAS leaves the passes on
    one core and its idle threads spinning.
    """

    def __init__(self, work: Workspace, columns: slice) -> None:
        self.columns = columns
        self.n_samples = columns.stop - columns.start
        self.thetas, self.W = work.thetas, work.W
        self.grad = np.zeros_like(work.grad)
        self.grads = [self.grad[start:stop].reshape(t.shape) for t, start, stop in _offsets(work.thetas)]
        self.inputs = [block[:, columns] for block in work.inputs]
        self.zT = [zT[:, columns] for zT in work.zT]
        self.aT = [aT[:, columns] for aT in work.aT]
        self.z = [zT.T for zT in self.zT]
        self.a = [aT.T for aT in self.aT]
        self.y = None if work.y is None else work.y[columns]
        last = len(work.layers) - 1
        blocks = [
            _unit_blocks(layer.n_out, self.n_samples) if index < last else [slice(None)]
            for index, layer in enumerate(work.layers)
        ]
        self.forward_views = [[(z[:, b], a[:, b]) for b in bs] for z, a, bs in zip(self.z, self.a, blocks)]
        if work.deltaT is None:  # a view for forward passes only
            return
        self.deltaT = [d[:, columns] for d in work.deltaT]
        self.delta = [d.T for d in self.deltaT]
        self.scratch = [s[columns] for s in work.scratch]
        self.backward_views = [
            [(d[:, b], z[:, b], a[:, b], s[:, b]) for b in bs]
            for d, z, a, s, bs in zip(self.delta, self.z, self.a, self.scratch, blocks)
        ]


class Chunks:
    """A data set evaluated through one smaller workspace, a chunk of samples at a time.

    ``X`` and ``Y`` stay where they are (row-major, the network's dtype); each evaluation copies
    one chunk after the other into ``work`` (see :meth:`Engine.evaluate_chunks`). Chunks are
    equal but for the last one.
    """

    def __init__(self, work: Workspace, X: np.ndarray, Y: np.ndarray) -> None:
        self.work, self.X, self.Y = work, X, Y
        self.n_samples = m = len(X)
        rows = work.n_samples
        self.bounds = [(start, min(start + rows, m)) for start in range(0, m, rows)]
        self.total = np.zeros_like(work.grad)
        work.set_inputs(X[:rows], Y[:rows])  # allocates the targets' buffer before any view is made

    @property
    def theta(self) -> np.ndarray:
        return self.work.theta


def workspace_bytes(layers: Sequence[Layer], packer: ParameterPacker, rows: int, targets: bool = True) -> int:
    """Bytes a :class:`Workspace` of ``rows`` samples allocates for an evaluation (``targets``:
    with the gradient's buffers and the targets; without, what a forward pass needs).

    Per sample: each layer's input with its row of ones, a separate ``z`` where the activation's
    derivative needs it, the output's ``z`` and ``a``; for a cost, the targets, two delta buffers
    and a scratch buffer as wide as the widest layer. Fixed: five parameter-sized vectors.
    """
    last = len(layers) - 1
    per_sample = sum(layer.n_in + 1 for layer in layers)
    per_sample += sum(layer.n_out for layer in layers[:-1] if layer.activation.derivative_uses_z)
    per_sample += 2 * layers[-1].n_out
    if targets:
        per_sample += layers[last].n_out + 3 * max(layer.n_out for layer in layers)
    return packer.dtype.itemsize * (rows * per_sample + 5 * packer.size)


def rows_for_budget(layers: Sequence[Layer], packer: ParameterPacker, budget: int, targets: bool = True) -> int:
    """The most samples a workspace may hold within ``budget`` bytes (0 when not even one fits).

    Besides the buffers, the budget keeps room for the temporaries an activation or its
    derivative may allocate on one block of units (``1 - a**2``): :data:`_BLOCK_ELEMENTS` values.
    """
    fixed = budget_for_rows(layers, packer, 0, targets)
    per_sample = budget_for_rows(layers, packer, 1, targets) - fixed
    return max(0, (budget - fixed) // per_sample)


def budget_for_rows(layers: Sequence[Layer], packer: ParameterPacker, rows: int, targets: bool = True) -> int:
    """The budget a workspace of ``rows`` samples needs: its buffers and one block's temporaries."""
    return workspace_bytes(layers, packer, rows, targets) + packer.dtype.itemsize * _BLOCK_ELEMENTS


def _offsets(thetas):
    start = 0
    for t in thetas:
        yield t, start, start + t.size
        start += t.size


#: Elements per block of a hidden layer's elementwise passes: 512 KiB of float64, cache-sized.
_BLOCK_ELEMENTS = 1 << 16


def _unit_blocks(n_units: int, n_samples: int) -> list[slice]:
    """Slices of a layer's units, each about ``_BLOCK_ELEMENTS`` values over all samples."""
    per_block = max(1, _BLOCK_ELEMENTS // n_samples)
    if per_block >= n_units:
        return [slice(None)]
    return [slice(start, min(start + per_block, n_units)) for start in range(0, n_units, per_block)]
