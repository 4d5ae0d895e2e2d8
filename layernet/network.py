"""Network: an ordered list of layers over one flat parameter vector -- the public face.

A network checks what it is given (features, targets, parameters) at its boundary and hands the
work to its :class:`~layernet._engine.Engine` (buffers, threads, the passes). It also carries
the state a saved model needs to answer in the user's terms: ``classes_`` (what each output unit
stands for, encoded by :mod:`layernet.labels`) and ``scaler`` (the standardization its inputs get,
:mod:`layernet.preprocessing`), so a loaded model takes raw features and returns the user's
labels, and ``training_summary`` (how it was trained), which :mod:`layernet.persistence` writes.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import numpy as np

from ._checks import check_bytes, check_int
from ._engine import Chunks, Engine, Workspace, budget_for_rows, rows_for_budget
from .activations import Activation, check_shapes, get_activation
from .errors import DataError, LayerNetError
from .features import check_feature_names, check_label_name
from .labels import check_labels, class_indices, encode_labels, infer_classes
from .layers import Layer
from .losses import loss_for
from .options import DEFAULT_MAX_MEMORY
from .packing import ParameterPacker
from .preprocessing import Scaler
from .validation import as_real_array, check_features, check_lambda

__all__ = ["Network", "INITIALIZERS", "TASKS", "check_targets"]

Initializer = Callable[[object, int, int], np.ndarray]


def _uniform_init(rng, n_in: int, n_out: int) -> np.ndarray:
    # The course's randInitializeWeights: uniform in +-sqrt(6) / sqrt(n_in + n_out), bias included.
    # Drawn as rand * (2 eps) - eps, in that order, so a seeded stream gives the blog's numbers.
    epsilon = np.sqrt(6) / np.sqrt(n_in + n_out)
    return rng.random((n_out, n_in + 1)) * (2 * epsilon) - epsilon


def _he_init(rng, n_in: int, n_out: int) -> np.ndarray:
    # He et al. (2015) for ReLU units: normal with variance 2 / n_in, zero biases.
    theta = np.zeros((n_out, n_in + 1))
    theta[:, 1:] = rng.standard_normal((n_out, n_in)) * np.sqrt(2.0 / n_in)
    return theta


def _debug_init(rng, n_in: int, n_out: int) -> np.ndarray:
    # The course's debugInitializeWeights: sin(1..n) / 10 filled column by column (MATLAB's
    # order). Deterministic and small, the point at which the course checks gradients.
    del rng
    return np.sin(np.arange(1, n_out * (n_in + 1) + 1)).reshape((n_out, n_in + 1), order="F") / 10


#: Weight initializers by name; each is ``f(rng, n_in, n_out) -> (n_out, n_in + 1) array``.
INITIALIZERS: dict[str, Initializer] = {"uniform": _uniform_init, "he": _he_init, "debug": _debug_init}


class Network:
    """A feed-forward network: layers in order, parameters in one flat vector.

    Parameters
    ----------
    layers : sequence of int, or sequence of Layer
        Either the sizes ``[n_features, *hidden, n_outputs]`` (``[2, 2]`` is logistic regression,
        no hidden layer), or the :class:`Layer` objects themselves, each ``n_in`` equal to the
        previous ``n_out``.
    hidden : str, Activation, or a sequence of them, default "sigmoid"
        The hidden layers' activation, or one per hidden layer. Used only with sizes.
    output : str or Activation, default "sigmoid"
        The output activation; it also picks the cost (see :mod:`layernet.losses`).
    dtype : numpy floating dtype, default float64
    task : {"classification", "regression"} or None, default None
        What the outputs mean. None infers it from the output: an identity output is a
        regression (values: ``predict`` returns them, ``score`` is R²), any other output a
        classification (labels). ``"regression"`` also suits other squared-error outputs (tanh
        for targets in [-1, 1]); sigmoid and softmax outputs, whose costs are cross-entropies,
        are classifiers only. ``"classification"`` with an identity output keeps the linear
        units as classifiers (thresholded at 0.5, or the most active unit).

    Attributes
    ----------
    theta : ndarray of shape (n_params,)
        All parameters, layer by layer, each layer's ``(n_out, n_in + 1)`` matrix row-major with
        the bias in column 0 -- the course's unrolled vector.
    packer : ParameterPacker
        Maps ``theta`` to one view per layer: ``net.packer.unpack(theta)``.
    classes_ : ndarray or None
        The labels the output units stand for, set by :func:`layernet.train`.
    scaler : Scaler or None
        Feature standardization applied to every ``X`` this network is given (training,
        cost, prediction), so it always takes raw features. None: features are used as given.
    feature_names : list of str or None
        The features' names in column order, when it was trained on named ones (a CSV header,
        DataFrame columns; see :mod:`layernet.features`). None: features are known by position.
    label_name : str or None
        The name of the label column it was trained on, when it had one.

    Examples
    --------
    >>> import layernet as ln
    >>> net = ln.Network([2, 3, 2]).init(seed=0)
    >>> net.n_params
    17
    >>> net = ln.Network([ln.Layer(2, 8, "tanh"), ln.Layer(8, 8, "relu"), ln.Layer(8, 3, "softmax")])
    """

    def __init__(
        self,
        layers: Sequence[int] | Sequence[Layer],
        hidden: str | Activation | Sequence[str | Activation] = "sigmoid",
        output: str | Activation = "sigmoid",
        dtype=np.float64,
        task: str | None = None,
    ) -> None:
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            raise LayerNetError(f"dtype must be a numpy floating-point type such as 'float64', got {dtype!r}") from None
        self.layers: list[Layer] = _build_layers(layers, hidden, output)
        for index, layer in enumerate(self.layers[:-1]):
            if layer.activation.output_only:
                raise LayerNetError(
                    f"activation {layer.activation.name!r} belongs on the output layer only, "
                    f"but layer {index + 1} of {len(self.layers)} uses it"
                )
        n_params = sum(layer.n_params for layer in self.layers)
        if dtype.kind == "f" and n_params > np.iinfo(np.intp).max // dtype.itemsize:
            raise LayerNetError(
                f"these layer sizes would need about 10^{len(str(n_params)) - 1} parameters, more than an array "
                f"can hold (the largest size given has {len(str(max(self.sizes)))} digits)"
            )
        self.packer = ParameterPacker([layer.shape for layer in self.layers], dtype=dtype)
        self.loss = loss_for(self.output_activation, self.n_outputs)  # refuses e.g. a 1-unit softmax
        self.task = _task(task, self.output_activation)
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            # A custom activation returning the wrong shape would be broadcast silently: probe it once.
            uses_derivative = index < last or layer.activation.name not in ("sigmoid", "softmax", "identity")
            check_shapes(layer.activation, layer.n_out, derivative=uses_derivative)
        self._theta = self.packer.zeros()
        for layer, view in zip(self.layers, self.packer.unpack(self._theta)):
            layer.theta = view
        self.classes_: np.ndarray | None = None
        self._scaler: Scaler | None = None
        self._feature_names: list[str] | None = None
        self._label_name: str | None = None
        self.initialized = False
        #: Filled by :func:`layernet.train` with how the network was trained.
        self.training_summary: dict = {}
        self._engine = Engine(self.layers, self.loss, self.packer)

    # -- shape ---------------------------------------------------------------------------------

    @property
    def sizes(self) -> list[int]:
        """``[n_features, *hidden_sizes, n_outputs]``."""
        return [self.layers[0].n_in] + [layer.n_out for layer in self.layers]

    @property
    def n_features(self) -> int:
        return self.layers[0].n_in

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].n_out

    @property
    def n_params(self) -> int:
        return self.packer.size

    @property
    def dtype(self) -> np.dtype:
        return self.packer.dtype

    @property
    def activations(self) -> list[str]:
        return [layer.activation.name for layer in self.layers]

    @property
    def output_activation(self) -> Activation:
        return self.layers[-1].activation

    @property
    def scaler(self) -> Scaler | None:
        """The feature standardization applied to every ``X`` given to this network, or None."""
        return self._scaler

    @scaler.setter
    def scaler(self, value: Scaler | None) -> None:
        if value is not None:
            if not isinstance(value, Scaler):
                raise LayerNetError(f"scaler must be a layernet Scaler or None, got {type(value).__name__}")
            if value.n_features != self.n_features:
                raise LayerNetError(
                    f"the scaler is for {value.n_features} features but the network takes {self.n_features}"
                )
        self._scaler = value

    @property
    def feature_names(self) -> list[str] | None:
        """The features' names in column order, or None when they are known by position only."""
        return self._feature_names

    @feature_names.setter
    def feature_names(self, names) -> None:
        self._feature_names = check_feature_names(names, self.n_features)

    @property
    def label_name(self) -> str | None:
        """The label column's name in the data the network was trained on, or None."""
        return self._label_name

    @label_name.setter
    def label_name(self, name) -> None:
        self._label_name = check_label_name(name)

    @property
    def theta(self) -> np.ndarray:
        """The flat parameter vector; assigning copies into it, so layer views stay valid."""
        return self._theta

    @theta.setter
    def theta(self, value) -> None:
        # Assigned parameters are the network's from now on: training starts from them.
        np.copyto(self._theta, self._check_theta(value))
        self.initialized = True

    def __repr__(self) -> str:
        return f"Network({self.sizes}, activations={self.activations})"

    # -- initialisation ------------------------------------------------------------------------

    def init(self, seed=None, *, rng=None, initializer: str | Initializer = "uniform") -> Network:
        """Draw fresh parameters, layer by layer in ``theta`` order; return ``self``.

        Parameters
        ----------
        seed : int or None
            Seeds a new ``numpy.random.default_rng``; ignored when ``rng`` is given.
        rng : numpy.random.Generator or numpy.random.RandomState, optional
            The stream to draw from. Pass a ``RandomState`` shared with a data generator to
            reproduce code that seeded numpy's global state (as the course's ports do).
        initializer : {"uniform", "he", "debug"} or callable, default "uniform"
            ``"uniform"`` is the course's: uniform in ``+-sqrt(6) / sqrt(n_in + n_out)``.
            ``"he"`` suits ReLU. ``"debug"`` is the course's deterministic ``sin(1..n) / 10``
            used for gradient checking. A callable gets ``(rng, n_in, n_out)`` and returns an
            ``(n_out, n_in + 1)`` array.
        """
        if isinstance(initializer, str):
            try:
                draw = INITIALIZERS[initializer]
            except KeyError:
                known = ", ".join(sorted(INITIALIZERS))
                raise LayerNetError(f"unknown initializer {initializer!r}; known: {known}") from None
        elif callable(initializer):
            draw = initializer
        else:
            raise LayerNetError(f"initializer must be a name or a callable, got {initializer!r}")
        if rng is None:
            rng = _seeded(seed)
        elif not isinstance(rng, (np.random.Generator, np.random.RandomState)):
            raise LayerNetError(f"rng must be a numpy Generator or RandomState, got {rng!r}")
        drawn = []
        for layer in self.layers:
            theta = np.asarray(draw(rng, layer.n_in, layer.n_out), dtype=self.dtype)
            if theta.shape != layer.shape or not np.isfinite(theta).all():
                raise LayerNetError(
                    f"initializer returned {theta.shape} for {layer!r}; expected finite values of shape {layer.shape}"
                )
            drawn.append(theta)
        self.packer.pack(drawn, out=self._theta)
        self.initialized = True
        return self

    # -- evaluation ----------------------------------------------------------------------------

    def forward(self, X, theta=None) -> np.ndarray:
        """The output layer's activations for ``X`` (n_samples, n_features), a new array."""
        return self._outputs(X, theta)[1]

    def _predicted(self, X) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_outputs` for prediction, refusing outputs that overflowed into NaN."""
        z, a = self._outputs(X)
        bad = np.isnan(z).any(axis=1) | np.isnan(a).any(axis=1)
        if bad.any():
            raise DataError(
                f"the network's outputs overflow for row {int(np.flatnonzero(bad)[0])} of X ({int(bad.sum())} row(s) "
                "in all): the features or weights are too large to predict from; scale the features"
            )
        return z, a

    def _outputs(self, X, theta=None) -> tuple[np.ndarray, np.ndarray]:
        """The output layer's pre-activations and activations, new row-major arrays.

        Overflow (features or weights too large) shows as inf or NaN, without numpy's warnings.
        """
        X = self._inputs(X)
        n = len(X)
        rows = self._chunk_rows(n)
        work = self._load(theta, rows)
        if rows == n:
            work.set_inputs(X)
            with np.errstate(all="ignore"):  # overflow shows as inf in the outputs (see cost_and_grad)
                z, a = self._engine.forward(work)
            return np.array(z, order="C"), np.array(a, order="C")
        # More samples than the memory budget's buffers hold: a chunk at a time, into the outputs.
        z_all = np.empty((n, self.n_outputs), dtype=self.dtype)
        a_all = np.empty_like(z_all)
        for start in range(0, n, rows):
            stop = min(start + rows, n)
            work.set_inputs(X[start:stop])
            with np.errstate(all="ignore"):
                z, a = self._engine.forward(work.pieces(stop - start)[0])
            z_all[start:stop], a_all[start:stop] = z, a
        return z_all, a_all

    def cost(self, theta, X, Y, lambda_: float = 0.0) -> float:
        """The course's regularized cost ``J`` at ``theta`` (None: the network's own)."""
        return self.cost_and_grad(theta, X, Y, lambda_, gradient=False)[0]

    def cost_and_grad(self, theta, X, Y, lambda_: float = 0.0, *, gradient: bool = True):
        """The regularized cost and its gradient at ``theta``, in one forward and one backward pass.

        ``J = (1/m) sum_i cost(a_i, y_i) + lambda_ / (2m) * sum over layers of sum(W**2)``,
        the bias column excluded from the penalty.

        Parameters
        ----------
        theta : ndarray of shape (n_params,) or None
            The point; None evaluates the network's own parameters. It is read, never modified,
            and the network's parameters are left as they were.
        X : array of shape (n_samples, n_features)
        Y : array of shape (n_samples, n_outputs)
            Targets, one-hot rows for classification (see :func:`layernet.labels.encode_labels`).
        lambda_ : float, default 0
            The course's regularization strength.

        Returns
        -------
        J : float
            ``inf`` when the evaluation overflows (features, weights or ``lambda_`` too large
            for the dtype): the inputs are finite, so a non-finite cost always means overflow.
            numpy's overflow warnings are not raised; the gradient may then hold inf or NaN.
        grad : ndarray of shape (n_params,)
            A new array, laid out like ``theta``.
        """
        X = self._inputs(X)
        Y = self._check_targets(Y, len(X))
        lambda_ = check_lambda(lambda_)
        rows = self._chunk_rows(len(X))
        work = self._load(theta, rows)
        with np.errstate(all="ignore"):
            if rows == len(X):
                work.set_inputs(X, Y)
                J, grad = self._engine.evaluate(work, lambda_, gradient)
            else:  # more samples than the default memory budget's buffers hold: in chunks
                J, grad = self._engine.evaluate_chunks(Chunks(work, X, Y), lambda_, gradient)
        return _overflowed_to_inf(J), None if grad is None else grad.copy()

    def evaluator(
        self,
        X,
        Y,
        lambda_: float = 0.0,
        *,
        workers: int = 1,
        max_memory: int | str | None = None,
        batch_size: int | None = None,
    ) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
        """A fast ``f(theta) -> (J, grad)`` for an optimizer: inputs checked once, here, not per call.

        ``theta`` may be float64 whatever the network's dtype; the gradient comes back as a new
        float64 array. The evaluator owns its work buffers: after its first call an evaluation
        allocates nothing that grows with the number of samples. ``workers`` > 1 divides the
        samples among that many threads (run them with a single-threaded BLAS, as
        :func:`layernet.train` does).

        The buffers hold at most ``batch_size`` samples, or as many as fit ``max_memory`` (bytes,
        or a string such as ``"512MB"``; default 512 MiB, :data:`layernet.options.DEFAULT_MAX_MEMORY`); more samples are
        evaluated in chunks of that many, their losses and gradients summed into the full
        batch's cost and gradient (equal to one pass over all samples up to rounding). ``X``
        and ``Y`` are then kept by reference, not copied.
        """
        X = self._inputs(X)
        Y = self._check_targets(Y, len(X))
        lambda_ = check_lambda(lambda_)
        rows = self._chunk_rows(len(X), max_memory, batch_size)
        work = self._engine.workspace(rows)
        if rows == len(X):
            work.set_inputs(X, Y)
            evaluate, data = self._engine.evaluate, work
        else:
            evaluate, data = self._engine.evaluate_chunks, Chunks(work, X, Y)
        if workers > 1:
            work.split(workers)
        target = work.theta

        def cost_and_grad(theta: np.ndarray) -> tuple[float, np.ndarray]:
            # Overflow at a far trial point shows as a non-finite cost, without numpy's warnings.
            with np.errstate(all="ignore"):
                np.copyto(target, theta, casting="same_kind")
                J, grad = evaluate(data, lambda_)
            return J, grad.astype(np.float64)  # always a new array, for the optimizer to keep

        cost_and_grad.batch_rows = rows
        return cost_and_grad

    def scorer(self, X, Y) -> Callable[[np.ndarray], tuple[float, float]]:
        """A fast ``f(theta) -> (cost, score)`` on held-out data, as training's validation uses it.

        The cost is unregularized (the data term of the course's cost); the score is the
        accuracy, the fraction of rows whose most active output unit is the one ``Y`` marks, as
        :meth:`predict` ranks them (for a regression network: R², as :meth:`score`). One forward
        pass per call, in work buffers of the scorer's own: the network's parameters and every
        other evaluator are left untouched, so validating during training cannot change the
        optimizer's path.

        Parameters
        ----------
        X : array of shape (n_samples, n_features)
        Y : array of shape (n_samples, n_outputs)
            One-hot rows (a single 0/1 column for one output unit).
        """
        X = self._inputs(X)
        Y = self._check_targets(Y, len(X))
        work = self._engine.workspace(len(X))
        work.set_inputs(X, Y)
        target = (Y[:, 0] >= 0.5) if self.n_outputs == 1 else np.argmax(Y, axis=1)
        evaluate = self._engine.evaluate

        if self.is_regressor:
            # R² per output column, averaged (scikit-learn's r2_score; a constant column scores
            # 1 when fitted exactly, else 0, as with its force_finite).
            spread = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0)

        def score(theta: np.ndarray) -> tuple[float, float]:
            with np.errstate(all="ignore"):
                np.copyto(work.theta, theta, casting="same_kind")
                J, _ = evaluate(work, 0.0, gradient=False)
                # The loss writes into scratch space only: the output layer's z and a are intact.
                if self.is_regressor:
                    residual = np.sum((Y - work.a[-1]) ** 2, axis=0)
                    exact = np.where(residual == 0.0, 1.0, 0.0)
                    r2 = np.where(spread > 0.0, 1.0 - residual / np.where(spread > 0.0, spread, 1.0), exact)
                    return _overflowed_to_inf(float(J)), float(np.mean(r2))
                index = _predicted_index(self.output_activation.name, work.z[-1], work.a[-1])
            return _overflowed_to_inf(float(J)), float(np.mean(index == target))

        return score

    def hessp(self, theta, v, X, Y, lambda_: float = 0.0) -> np.ndarray:
        """The exact product ``H v`` of the cost's Hessian at ``theta`` with ``v``.

        By Pearlmutter's R-operator (:mod:`layernet.curvature`): one forward and one backward
        R-pass, about the cost of two gradients, never the ``n_params**2`` matrix. Every hidden
        activation (and an output other than sigmoid, softmax or identity) needs a second
        derivative (:meth:`Activation.second_derivative`); relu's is 0 off its kink.

        Parameters
        ----------
        theta : ndarray of shape (n_params,) or None
            The point (None: the network's own parameters, which are never modified).
        v : array of shape (n_params,)
        X, Y, lambda_
            As for :meth:`cost_and_grad`.

        Returns
        -------
        ndarray of shape (n_params,)
        """
        return self._curvature_product(theta, v, X, Y, lambda_, gauss_newton=False)

    def gauss_newton_product(self, theta, v, X, Y, lambda_: float = 0.0) -> np.ndarray:
        """``G v`` for the (positive semi-definite) Gauss-Newton matrix ``G = J^T H_out J``.

        ``J`` is the Jacobian of the output layer's pre-activations in ``theta`` and ``H_out`` the
        cost's Hessian in them; the regularization adds ``lambda_ / m`` on the weights. It is
        the Hessian without the terms of the units' second derivatives and the residuals, so it
        needs no second derivatives. Arguments as for :meth:`hessp`.
        """
        return self._curvature_product(theta, v, X, Y, lambda_, gauss_newton=True)

    def gauss_newton_matrix(self, theta, X, Y, lambda_: float = 0.0) -> np.ndarray:
        """The dense Gauss-Newton matrix ``G`` of :meth:`gauss_newton_product`, ``(n_params, n_params)``.

        Built a block of columns at a time by batched products (about ``2 m n_params**2``
        operations, the ``n_params**2`` float64 matrix in memory: meant for networks of some
        thousands of parameters). Arguments as for :meth:`hessp`; ``theta`` None is the network's.
        """
        from .curvature import Curvature

        X = self._inputs(X)
        Y = self._check_targets(Y, len(X))
        lambda_ = check_lambda(lambda_)
        work = self._load(theta, len(X))
        work.set_inputs(X, Y)
        with np.errstate(all="ignore"):
            return Curvature(self._engine, work, lambda_).gauss_newton_matrix(work.theta.copy())

    def curvature_evaluator(self, X, Y, lambda_: float = 0.0, *, gauss_newton: bool = False):
        """A fast ``hessp(theta, v) -> H v`` for an optimizer: inputs checked once, here.

        The evaluator owns its work buffers and keeps the forward pass of the latest ``theta``,
        so several products at one point (a trust-region step) cost one forward pass.
        """
        from .curvature import Curvature, check_second_derivatives

        if not gauss_newton:
            check_second_derivatives(self.layers)
        X = self._inputs(X)
        Y = self._check_targets(Y, len(X))
        lambda_ = check_lambda(lambda_)
        work = self._engine.workspace(len(X))
        work.set_inputs(X, Y)
        curvature = Curvature(self._engine, work, lambda_)

        def hessp(theta: np.ndarray, v: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):  # overflow at a far point shows as inf or NaN, as in the gradient
                return curvature.product(theta, np.asarray(v, dtype=np.float64), gauss_newton)

        return hessp

    def _curvature_product(self, theta, v, X, Y, lambda_, gauss_newton: bool) -> np.ndarray:
        from .curvature import Curvature, check_second_derivatives

        if not gauss_newton:
            check_second_derivatives(self.layers)
        X = self._inputs(X)
        Y = self._check_targets(Y, len(X))
        lambda_ = check_lambda(lambda_)
        try:
            v = as_real_array(v, "v", np.float64, "a 1-D array of numbers")
        except DataError as error:
            raise LayerNetError(str(error)) from None
        if v.shape != (self.n_params,) or not np.isfinite(v).all():
            raise LayerNetError(f"v must be a finite vector of shape ({self.n_params},) like theta, got {v.shape}")
        work = self._load(theta, len(X))
        work.set_inputs(X, Y)
        with np.errstate(all="ignore"):
            return Curvature(self._engine, work, lambda_).product(work.theta.copy(), v, gauss_newton)

    def _chunk_rows(self, n_samples: int, max_memory: int | None = None, batch_size: int | None = None) -> int:
        """Samples per chunk of an evaluation over ``n_samples``: all of them when they fit."""
        if batch_size is not None:
            return min(check_int(batch_size, "batch_size", low=1), n_samples)
        budget = DEFAULT_MAX_MEMORY if max_memory is None else check_bytes(max_memory, "max_memory")
        rows = rows_for_budget(self.layers, self.packer, budget)
        if rows < 1:
            need = budget_for_rows(self.layers, self.packer, 1)
            raise LayerNetError(
                f"max_memory={budget} bytes cannot hold the work buffers of even one sample for {self!r} "
                f"({need} bytes); give at least {need}, or a batch_size"
            )
        return min(rows, n_samples)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_classes)``, rows summing to 1.

        Softmax outputs are returned as they are. Sigmoid units are the course's one-vs-all
        classifiers; their outputs are normalized per row (a single unit ``p`` becomes
        ``[1 - p, p]``), which keeps the ranking ``predict`` uses.
        """
        name = self.output_activation.name
        if name not in ("sigmoid", "softmax"):
            raise LayerNetError(
                f"predict_proba needs a sigmoid or softmax output layer, this one is {name!r}; "
                "use forward() for the raw outputs"
            )
        z, a = self._predicted(X)
        if name == "softmax":
            return a
        # From z, not a: the sigmoid as 0.5 * (1 + tanh(z / 2)) rounds to exactly 0 below
        # z ~ -38, while exp(-log(1 + e^-z)) keeps its relative precision down to ~1e-308.
        p = np.exp(-np.logaddexp(0.0, -z))
        if self.n_outputs == 1:
            return np.hstack([np.exp(-np.logaddexp(0.0, z)), p])
        total = p.sum(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total > 0, p / total, 1.0 / p.shape[1])

    @property
    def is_regressor(self) -> bool:
        """Whether the network predicts values (``task == "regression"``) rather than labels."""
        return self.task == "regression"

    def predict(self, X) -> np.ndarray:
        """The predicted label of each row of ``X``: the most active output unit's class.

        A regression network returns its outputs: shape ``(n_samples,)`` for one output unit,
        ``(n_samples, n_outputs)`` otherwise.
        """
        z, a = self._predicted(X)
        if self.is_regressor:
            return a[:, 0].copy() if self.n_outputs == 1 else a
        return self._class_labels()[_predicted_index(self.output_activation.name, z, a)]

    def score(self, X, y) -> float:
        """Accuracy, the fraction of rows of ``X`` whose predicted label equals ``y``.

        For a regression network, the coefficient of determination R² of the predictions, as
        scikit-learn's ``r2_score`` computes it (averaged uniformly over several outputs).

        Raises
        ------
        DataError
            ``y`` holds a label the network was not trained on.
        """
        X = check_features(X, self.n_features, dtype=self.dtype)
        if self.is_regressor:
            from sklearn.metrics import r2_score  # scikit-learn only where a regressor is scored

            Y = self.targets(y, len(X))
            return float(r2_score(Y, self.predict(X).reshape(Y.shape)))
        y = check_labels(y, len(X))
        classes = self._class_labels()
        unseen = class_indices(y, classes) < 0
        if unseen.any():
            missing = np.unique(y[unseen])[:5].tolist()
            raise DataError(f"labels {missing} were not seen in training; known classes: {classes.tolist()}")
        return float(np.mean(self.predict(X) == y))

    def targets(self, y, n_samples: int | None = None) -> np.ndarray:
        """Regression targets ``y`` as an ``(n_samples, n_outputs)`` array, checked.

        ``y`` may be 1-D for a network with one output unit.

        Raises
        ------
        DataError
            ``y`` is not numeric, not finite, or its shape does not fit the output layer.
        """
        return check_targets(y, self.n_outputs, n_samples, dtype=self.dtype)

    def encode(self, y) -> np.ndarray:
        """One-hot target rows for labels ``y``, in the order of :attr:`classes_`."""
        y = check_labels(y)
        return encode_labels(y, self._class_labels(), self.n_outputs, dtype=self.dtype)

    # -- configuration -------------------------------------------------------------------------

    def get_config(self) -> dict:
        """The constructor arguments as a plain dict (activations by name)."""
        config = {"layers": [layer.get_config() for layer in self.layers], "dtype": self.dtype.name}
        if self.task != _task(None, self.output_activation):
            config["task"] = self.task  # only when it differs from the inferred one (older files have none)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Network:
        """Rebuild an (uninitialized) network from :meth:`get_config`'s dict."""
        layers = [Layer.from_config(layer) for layer in config["layers"]]
        return cls(layers, dtype=config.get("dtype", "float64"), task=config.get("task"))

    def copy(self) -> Network:
        """An independent network with the same layers, parameters and classes."""
        layers = [Layer(layer.n_in, layer.n_out, layer.activation) for layer in self.layers]
        twin = type(self)(layers, dtype=self.dtype, task=self.task)
        np.copyto(twin._theta, self._theta)
        twin.initialized = self.initialized
        twin.classes_ = None if self.classes_ is None else self.classes_.copy()
        twin.scaler = None if self.scaler is None else Scaler(self.scaler.mean.copy(), self.scaler.scale.copy())
        twin.training_summary = dict(self.training_summary)
        twin.feature_names, twin.label_name = self.feature_names, self.label_name
        return twin

    def __copy__(self) -> Network:
        # A shallow copy would share theta and the layers' views with the original: assigning to
        # the copy's parameters would change the original's. copy.copy gives an independent twin.
        return self.copy()

    def __getstate__(self) -> dict:
        # Pickle and deepcopy would store each layer's theta view as an array of its own, so a
        # restored network's layers would no longer see assignments to net.theta. Keep the flat
        # vector only (views are rebound on restore) and leave the scratch buffers behind.
        state = self.__dict__.copy()
        del state["_engine"]  # rebuilt on restore, without its buffers
        state["layers"] = [_detached(layer) for layer in self.layers]
        return state

    def __setstate__(self, state: dict) -> None:
        state = {"_feature_names": None, "_label_name": None, **state}  # pickled before names were kept
        self.__dict__.update(state)
        for layer, view in zip(self.layers, self.packer.unpack(self._theta)):
            layer.theta = view
        self._engine = Engine(self.layers, self.loss, self.packer)

    # -- internals -----------------------------------------------------------------------------

    def _inputs(self, X) -> np.ndarray:
        """``X`` checked, and standardized when the network carries a scaler."""
        X = check_features(X, self.n_features, dtype=self.dtype)
        if self.scaler is not None:
            with np.errstate(all="ignore"):
                X = np.ascontiguousarray(self.scaler.transform(X), dtype=self.dtype)
            if not np.isfinite(X).all():
                row, column = np.argwhere(~np.isfinite(X))[0]
                raise DataError(
                    f"X overflows {self.dtype.name} once standardized by the network's scaler "
                    f"(row {row}, column {column}): the features are far outside the range it was fitted on"
                )
        return X

    def _class_labels(self) -> np.ndarray:
        if self.classes_ is not None:
            return self.classes_
        return np.arange(2 if self.n_outputs == 1 else self.n_outputs)

    def _classes_for(self, y: np.ndarray, classes=None) -> np.ndarray:
        return infer_classes(y, self.n_outputs, classes)

    def _check_theta(self, theta) -> np.ndarray:
        try:
            array = as_real_array(theta, "theta", self.dtype, "a 1-D array of numbers")
        except DataError as error:
            raise LayerNetError(str(error)) from None
        if array.shape != (self.n_params,):
            raise LayerNetError(f"theta must have shape ({self.n_params},) for {self!r}, got {array.shape}")
        if not np.isfinite(array).all():
            raise LayerNetError("theta must be finite")
        return array

    def _check_targets(self, Y, n_samples: int) -> np.ndarray:
        Y = as_real_array(Y, "Y", self.dtype, "a 2-D array of numbers")
        if Y.ndim == 1 and self.n_outputs == 1:
            Y = Y.reshape(-1, 1)
        if Y.shape != (n_samples, self.n_outputs):
            raise DataError(
                f"Y must have shape ({n_samples}, {self.n_outputs}) (one row per sample, one column per "
                f"output unit), got {Y.shape}; encode labels with net.encode(y)"
            )
        if not np.isfinite(Y).all():
            raise DataError("Y must be finite")
        self.loss.check_targets(Y)  # e.g. cross-entropy targets outside [0, 1]
        return np.ascontiguousarray(Y)

    def _load(self, theta, n_samples: int) -> Workspace:
        """A workspace for ``n_samples`` rows holding ``theta`` (None: the network's own)."""
        work = self._engine.cached(n_samples)
        np.copyto(work.theta, self._theta if theta is None else self._check_theta(theta))
        return work


def _predicted_index(output: str, z: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The index of the predicted class of each row, from the output layer's ``z`` and ``a``."""
    if output in ("sigmoid", "softmax"):
        # Ranked by z: the same order as a, without ties between units saturated at 0 or 1.
        return (z[:, 0] >= 0.0).astype(np.intp) if z.shape[1] == 1 else np.argmax(z, axis=1)
    if a.shape[1] == 1:
        return (a[:, 0] >= 0.5).astype(np.intp)
    return np.argmax(a, axis=1)

#: The tasks a network can serve.
TASKS = ("classification", "regression")


def _task(task, output: Activation) -> str:
    """``task`` checked against the output activation, or inferred from it when None."""
    if task is None:
        return "regression" if output.name == "identity" else "classification"
    if task not in TASKS:
        raise LayerNetError(f"task must be one of {', '.join(TASKS)} (or None: from the output), got {task!r}")
    if task == "regression" and output.name in ("sigmoid", "softmax"):
        raise LayerNetError(
            f"a regression network needs a squared-error output such as 'identity'; its {output.name!r} output "
            "is trained with a cross-entropy, for classes"
        )
    return task


def check_targets(y, n_outputs: int, n_samples: int | None = None, dtype=np.float64) -> np.ndarray:
    """Regression targets as a finite ``(n_samples, n_outputs)`` array (1-D ``y`` for one output)."""
    Y = as_real_array(y, "y", dtype, "numeric regression targets")
    if Y.ndim == 1:
        Y = Y.reshape(-1, 1)
    if Y.ndim != 2 or Y.shape[1] != n_outputs:
        hint = "; a regression network with several outputs takes y of shape (n_samples, n_outputs)"
        raise DataError(
            f"y must hold one target column per output unit ({n_outputs}), got shape {np.shape(y)}"
            + (hint if n_outputs > 1 else "")
        )
    if n_samples is not None and len(Y) != n_samples:
        raise DataError(f"X has {n_samples} samples but y has {len(Y)} targets")
    if len(Y) == 0:
        raise DataError("y is empty: it has 0 targets")
    if not np.isfinite(Y).all():
        row = int(np.argwhere(~np.isfinite(Y))[0][0])
        raise DataError(f"y must be finite: it holds a non-finite target at row {row}")
    return np.ascontiguousarray(Y)


def _overflowed_to_inf(J: float) -> float:
    # The inputs are finite, so a NaN cost comes from overflow (inf - inf, 0 * inf): say inf.
    return float("inf") if J != J else J


def _seeded(seed) -> np.random.Generator:
    """``numpy.random.default_rng(seed)``, with a clear error for what it cannot take."""
    if isinstance(seed, (bool, np.bool_, float, str, bytes)):
        raise LayerNetError(f"seed must be None or a non-negative integer, got {seed!r}")
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError, OverflowError):
        raise LayerNetError(f"seed must be None or a non-negative integer, got {seed!r}") from None


def _detached(layer: Layer) -> Layer:
    """A shallow copy of ``layer`` without its parameter view, for pickling."""
    twin = copy.copy(layer)
    twin.theta = None
    return twin


def _build_layers(layers, hidden, output) -> list[Layer]:
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence) and not isinstance(layers, np.ndarray):
        raise LayerNetError(f"layers must be a list of sizes or of Layer objects, got {layers!r}")
    layers = list(layers)
    if layers and all(isinstance(layer, Layer) for layer in layers):
        for index, layer in enumerate(layers):
            if type(layer) is not Layer:
                # The engine evaluates every layer itself, fused over the flat parameters, and a
                # model file records layers by size and activation: a subclass's methods would
                # never run and it could not be loaded. Behaviour belongs in an Activation.
                raise LayerNetError(
                    f"layer {index} is a {type(layer).__name__}, a subclass of Layer; layernet builds networks "
                    "from Layer itself. To change what a layer computes, give it an Activation of your own "
                    "(see layernet.Activation and register_activation)"
                )
        for index in range(1, len(layers)):
            if layers[index].n_in != layers[index - 1].n_out:
                raise LayerNetError(
                    f"layer {index} has n_in={layers[index].n_in} but the layer before it has "
                    f"n_out={layers[index - 1].n_out}"
                )
        return layers
    if any(isinstance(layer, Layer) for layer in layers):
        raise LayerNetError("layers must be all sizes or all Layer objects, not a mix")
    if len(layers) < 2:
        raise LayerNetError(f"layers needs at least two sizes (inputs and outputs), got {layers!r}")
    layers = [check_int(size, f"layers[{index}]", low=1) for index, size in enumerate(layers)]
    n_hidden = len(layers) - 2
    if isinstance(hidden, (str, Activation)) or isinstance(hidden, type):
        hidden = [hidden] * n_hidden
    elif isinstance(hidden, (list, tuple)):
        hidden = list(hidden)
        if len(hidden) != n_hidden:
            raise LayerNetError(
                f"hidden lists {len(hidden)} activation(s) but the network has {n_hidden} hidden layer(s)"
            )
    else:
        raise LayerNetError(
            "hidden must be an activation (a registered name or an Activation instance) or a list of them, "
            f"one per hidden layer; got {type(hidden).__name__} {hidden!r}"
        )
    activations = [get_activation(h) for h in hidden] + [get_activation(output)]
    return [Layer(int(n_in), int(n_out), act) for n_in, n_out, act in zip(layers[:-1], layers[1:], activations)]
