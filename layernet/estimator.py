"""LayerNetClassifier and LayerNetRegressor: the scikit-learn estimator faces of a layernet network.

A thin face: ``fit`` checks its input with scikit-learn's own validators, builds a
:class:`~layernet.Network`, initializes it from ``random_state`` and hands it to
:func:`layernet.train`; ``predict`` and ``predict_proba`` are the network's own. Nothing numerical
lives here, so an estimator and a network trained by hand on the same data with the same seed
hold the same parameters.

This module imports scikit-learn; ``import layernet`` does not import it, and
``layernet.LayerNetClassifier`` loads it on first use.
"""

from __future__ import annotations

import warnings
from dataclasses import fields
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ._checks import check_bool
from .errors import DataError, LayerNetError
from .labels import check_labels
from .layers import Layer
from .network import Network
from .options import TrainOptions
from .training import held_out, train

__all__ = ["LayerNetClassifier", "LayerNetRegressor"]

#: Output activations a classifier can use, each with its cost (see :mod:`layernet.losses`).
OUTPUTS = ("sigmoid", "softmax")


class _LayerNetEstimator(BaseEstimator):
    """What the classifier and the regressor share: parameter checks, validation, the fit itself.

    A subclass checks its targets and names its network's output (``fit``); everything else --
    building the network from ``hidden_layer_sizes`` and ``activation``, seeding it from
    ``random_state``, training it with :func:`layernet.train`, the warnings and the fitted
    attributes -- happens here once.
    """

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # What the network cannot take; scikit-learn's defaults already say so, stated here on
        # purpose so that the estimator's limits are written down where scikit-learn reads them.
        tags.input_tags.sparse = False
        tags.input_tags.allow_nan = False
        return tags

    def _fit_network(self, X, y, n_outputs: int, output: str, settings: dict, task: str, classes=None):
        """Build, seed (or continue) and train the network; set the fitted attributes; return it."""
        net = Network([X.shape[1], *settings["hidden"], n_outputs], hidden=self.activation, output=output, task=task)
        rng = check_random_state(self.random_state)
        warm = settings["warm_start"] and hasattr(self, "network_")
        if warm:
            net = self._continued(net, classes)
        else:
            net.init(rng=rng)
        validation = None
        if settings["early_stopping"]:
            fraction = settings["options"].validation_fraction
            X, X_val, y, y_val = held_out(X, y, fraction, rng, stratify=task == "classification")
            validation = (X_val, y_val)
        options = settings["options"].replace(validation_fraction=None)
        result = train(net, X, y, options, classes=classes, validation=validation)
        if result.interrupted:
            raise KeyboardInterrupt(result.message)
        if result.status in ("max_iter", "max_evals", "diverged"):
            hint = "" if result.status == "diverged" else " Raise max_iter, loosen tol or scale the features."
            warnings.warn(
                f"{type(self).__name__} ({self.solver}) stopped before converging: {result.message.rstrip('.')}.{hint}",
                ConvergenceWarning,
                stacklevel=3,
            )
        before = self.n_iter_ if warm else 0
        if hasattr(self, "feature_names_in_"):  # set by validate_data from a DataFrame's columns
            net.feature_names = [str(name) for name in self.feature_names_in_]
        self.network_ = net
        self.alpha_ = result.lambda_  # with alpha="auto", the one the evidence reached
        self.evidence_ = result.evidence
        self.n_iter_ = before + result.iterations
        self.loss_ = result.cost
        self.loss_curve_ = (list(self.loss_curve_) if warm else []) + list(result.cost_history)
        history = result.history
        if validation is None:
            self.best_loss_ = min(self.loss_curve_, default=result.cost)
            self.validation_scores_ = self.validation_loss_curve_ = None
            self.best_validation_score_ = self.best_iteration_ = None
        else:
            # Iteration 0 of the record is the starting point: the curves, like loss_curve_, start at 1.
            # The score is the accuracy for a classifier, R² for a regressor (as scikit-learn's).
            carried = warm and getattr(self, "validation_scores_", None) is not None
            self.validation_scores_ = (self.validation_scores_ if carried else []) + history["validation_accuracy"][1:]
            self.validation_loss_curve_ = (self.validation_loss_curve_ if carried else []) + history["validation_cost"][
                1:
            ]
            self.best_loss_ = result.cost
            self.best_validation_score_ = history["validation_accuracy"][result.best_iteration]
            self.best_iteration_ = before + result.best_iteration
        return net

    def _continued(self, net: Network, classes) -> Network:
        """A copy of the fitted network to go on training (``warm_start``), if it fits ``net``'s shape."""
        name, fitted = type(self).__name__, self.network_
        if classes is not None and not np.array_equal(
            np.asarray(fitted.classes_, dtype=object), np.asarray(classes, dtype=object)
        ):
            raise DataError(
                f"{name}: warm_start continues the fitted network, which knows the classes {self.classes_.tolist()}, "
                f"but y has {classes.tolist()}; fit with warm_start=False to start afresh"
            )
        if fitted.sizes != net.sizes or fitted.activations != net.activations:
            raise LayerNetError(
                f"{name}: warm_start continues the fitted network {fitted.sizes} ({', '.join(fitted.activations)}), "
                f"but the parameters and data now make {net.sizes} ({', '.join(net.activations)}); "
                "fit with warm_start=False to start afresh"
            )
        return fitted.copy()

    def _validated(self, X) -> np.ndarray:
        check_is_fitted(self)
        return _quietly(validate_data, self, X, dtype=np.float64, reset=False)

    def _checked_params(self) -> dict:
        """The parameters in the types :func:`layernet.train` takes; a clear error names any bad one."""
        name = type(self).__name__
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            hidden = list(sizes)
        except TypeError:
            hidden = None
        if hidden is None or any(isinstance(n, bool) or not isinstance(n, Integral) or n < 1 for n in hidden):
            raise LayerNetError(
                f"{name}: hidden_layer_sizes must be a positive int or a sequence of positive ints "
                f"(units per hidden layer), got {self.hidden_layer_sizes!r}"
            )
        flags = {key: check_bool(getattr(self, key), f"{name}: {key}") for key in ("early_stopping", "warm_start")}
        return {"hidden": [int(n) for n in hidden], "options": self._training_options(), **flags}

    def _training_options(self) -> TrainOptions:
        """The estimator's parameters as :class:`~layernet.TrainOptions`, each checked under its own name."""
        name = type(self).__name__
        extra = {} if self.options is None else self.options
        if not isinstance(extra, dict):
            # A TrainOptions object is refused: its fields all have values, so it cannot say which
            # ones it means to set, and those the estimator owns would be silently overridden.
            raise LayerNetError(
                f"{name}: options must be a dict of the other TrainOptions fields (e.g. {{'threads': 1}}) or None, "
                f"got {extra!r}; {', '.join(_AS_OPTIONS)} and random_state are the estimator's own parameters"
            )
        if not all(isinstance(key, str) for key in extra):
            raise LayerNetError(f"{name}: options must map TrainOptions field names to values, got {extra!r}")
        owned = {**{option: param for param, option in _AS_OPTIONS.items()}, "seed": "random_state"}
        owned["restore_best"] = "early_stopping"
        taken = [key for key in extra if key in owned]
        if taken:
            params = ", ".join(owned[key] for key in taken)
            raise LayerNetError(f"{name}: options sets {', '.join(taken)}; set the estimator's own {params} instead")
        checks = {item.name: item.metadata["check"] for item in fields(TrainOptions)}
        values = {
            option: checks[option](getattr(self, param), f"{name}: {param}") for param, option in _AS_OPTIONS.items()
        }
        if not self.early_stopping:
            values["patience"] = None  # n_iter_no_change is early stopping's patience only
        return TrainOptions(**values, **extra)  # an unknown field: "unknown training option ..."


class LayerNetClassifier(ClassifierMixin, _LayerNetEstimator):
    """A feed-forward neural network classifier, trained the course's way, for scikit-learn.

    The network is ``[n_features, *hidden_layer_sizes, n_outputs]``; it minimizes the course's
    regularized cross-entropy with a full-batch optimizer over one unrolled parameter vector
    (:func:`layernet.train`). It works anywhere a scikit-learn classifier does: ``Pipeline``,
    ``GridSearchCV``, ``cross_val_score``, pickling.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (3,)
        Units per hidden layer; ``()`` gives no hidden layer (logistic regression).
        The default is the reference network's single layer of three units.
    activation : str or Activation, default "sigmoid"
        The hidden layers' activation: a registered name (``"sigmoid"``, ``"tanh"``, ``"relu"``,
        ``"identity"`` or one added with :func:`layernet.register_activation`).
    output : {"sigmoid", "softmax"}, default "sigmoid"
        The output units and their cost. ``"sigmoid"``: the course's one-vs-all units with the
        cross-entropy summed over units. ``"softmax"``: categorical cross-entropy. See Notes for
        the number of output units.
    alpha : float or "auto", default 1e-3
        Regularization strength, exactly the course's lambda (``lambda_`` of
        :func:`layernet.train`): the cost gains ``alpha / (2 m) * sum(W ** 2)`` over all weights,
        biases excluded, with ``m`` the number of training samples. 0 is none; the course used
        1 on its digits. ``"auto"`` chooses it by the evidence, without a validation set
        (MacKay's re-estimation, as MATLAB's trainbr: :mod:`layernet.evidence`); ``alpha_`` is
        then the one reached. The penalty has the form of ``MLPClassifier``'s ``alpha`` trained on the
        full batch; the data term differs with sigmoid outputs, where the course sums the
        cross-entropy over the output units. The default is the reference network's
        ``Lambda = 0.001``.
    solver : {"cg", "lbfgs", "bfgs", "gd", "trust-krylov", "trust-ncg", "newton-cg"}, default "cg"
        The optimizer: ``"cg"`` is scipy's nonlinear conjugate gradient (``fmin_cg``), ``"lbfgs"``
        L-BFGS-B, ``"bfgs"`` BFGS, ``"gd"`` batch gradient descent with ``learning_rate`` and
        ``momentum``; ``"trust-krylov"``, ``"trust-ncg"`` and ``"newton-cg"`` use exact
        Hessian-vector products (:meth:`layernet.Network.hessp`).
    max_iter : int or None, default None
        Iteration limit; None is the optimizer's own, as in :func:`layernet.train`
        (``200 * n_params`` for cg and bfgs, 15000 for lbfgs, 1000 for gd). Stopping at the limit
        emits a :class:`~sklearn.exceptions.ConvergenceWarning`.
    tol : float or None, default None
        Stop when the largest gradient component is at most ``tol``; None is the optimizer's
        default, 1e-5. For lbfgs it is also the relative cost-decrease tolerance.
    learning_rate : float, default 1.0
        Step size of ``solver="gd"``; ignored by the other solvers.
    momentum : float, default 0.0
        Momentum of ``solver="gd"``, in ``[0, 1)``; ignored by the other solvers.
    random_state : int, RandomState instance or None, default None
        Draws the initial weights (the course's uniform ``+-sqrt(6) / sqrt(n_in + n_out)``), then
        the validation split of ``early_stopping``. Pass an int for the same network on every fit.
    early_stopping : bool, default False
        Hold out ``validation_fraction`` of the training data (stratified) and evaluate it after
        every iteration, for every solver (cg and lbfgs too); stop when its cost has been above
        its best for ``n_iter_no_change`` iterations in a row, and end with the parameters of
        the best iteration.
    validation_fraction : float, default 0.1
        The part held out by ``early_stopping``, in (0, 1).
    n_iter_no_change : int, default 10
        ``early_stopping``'s patience: validation failures in a row before stopping.
    warm_start : bool, default False
        When fitted already, ``fit`` continues from the fitted network's parameters instead of
        drawing new ones (same architecture and classes, or a clear error); ``n_iter_``,
        ``loss_curve_`` and the validation curves then run on from the previous fit.
    options : dict or None, default None
        Any other :class:`~layernet.TrainOptions` field by name (``{"threads": 1}``, and options
        added later); the fields above, and ``seed`` (``random_state``), are set by their own
        parameters, so ``options`` may not name them.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted; output unit ``k`` stands for ``classes_[k]``.
    network_ : Network
        The trained network. ``network_.training_summary`` tells how training ended (status,
        message, evaluations, seconds).
    n_iter_ : int
        Optimizer iterations run.
    alpha_ : float
        The lambda trained with: ``alpha``, or with ``alpha="auto"`` the one the evidence reached.
    evidence_ : layernet.evidence.Evidence or None
        With ``alpha="auto"``: the effective number of parameters, the lambda of every phase (and
        the noise precision ``beta`` for a regressor). None otherwise.
    loss_ : float
        The regularized cost at the end of training.
    loss_curve_ : list of float
        The cost after every iteration, for every solver.
    best_loss_ : float
        Without early stopping the lowest value of ``loss_curve_``; with it, the training cost
        at the best validation iteration (the parameters the network ends with).
    validation_scores_ : list of float or None
        With ``early_stopping``: the validation accuracy after every iteration. None otherwise.
    validation_loss_curve_ : list of float or None
        With ``early_stopping``: the validation cost (unregularized) after every iteration.
    best_validation_score_ : float or None
        With ``early_stopping``: the validation accuracy at the best iteration (lowest
        validation cost), whose parameters the network holds.
    best_iteration_ : int or None
        With ``early_stopping``: that iteration (0 is the starting point), counted like ``n_iter_``.
    n_features_in_ : int
        Number of features seen in ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Feature names, when ``X`` in ``fit`` was a DataFrame with string column names.

    See Also
    --------
    layernet.Network, layernet.train

    Notes
    -----
    **Output units.** With ``output="sigmoid"`` a binary problem gets one output unit, the
    probability of ``classes_[1]`` (logistic regression on the last hidden layer); ``K > 2``
    classes get ``K`` one-vs-all units whose outputs ``predict_proba`` normalizes to sum to 1.
    ``output="softmax"`` always has one unit per class, two for a binary problem.

    **decision_function** returns the output layer's pre-activations ``z``, the logits: shape
    ``(n_samples,)`` for a binary problem (``z1 - z0`` with softmax), positive for
    ``classes_[1]``; shape ``(n_samples, n_classes)`` otherwise, largest for the predicted class.

    **Not supported**, and declared so to scikit-learn: sparse input, missing values (NaN), and
    multi-label or multi-output targets (``__sklearn_tags__``); sample weights (``fit`` has no
    ``sample_weight`` parameter, which is how scikit-learn tells, e.g. ``has_fit_parameter``);
    ``partial_fit`` (``warm_start`` continues a fit instead). A target with a single class is
    rejected: there is nothing to learn.

    **Early stopping, compared with MLPClassifier.** The names are scikit-learn's; the
    differences: it works with every solver (MLPClassifier's only with sgd and adam, and records
    nothing per iteration for lbfgs); it stops on the validation *cost*, after
    ``n_iter_no_change`` iterations above the best (no ``tol`` margin: MATLAB's rule), where
    MLPClassifier watches the validation accuracy improving by ``tol``; the network ends with the
    best iteration's parameters, as MLPClassifier's does; ``best_validation_score_`` is the
    accuracy at that iteration (MLPClassifier's: the highest accuracy seen); ``best_loss_`` is
    set with early stopping too (MLPClassifier's is None then); ``validation_loss_curve_`` and
    ``best_iteration_`` have no MLPClassifier counterpart. Without early stopping
    ``n_iter_no_change`` does nothing: cg, lbfgs and bfgs have their own convergence tests.

    Ctrl-C during ``fit`` raises ``KeyboardInterrupt`` (so a grid search stops too), unlike
    :func:`layernet.train`, which returns the parameters reached so far.

    Examples
    --------
    >>> from sklearn.datasets import make_moons
    >>> from layernet import LayerNetClassifier
    >>> X, y = make_moons(200, noise=0.2, random_state=0)
    >>> clf = LayerNetClassifier(hidden_layer_sizes=(3,), alpha=1e-3, random_state=0).fit(X, y)
    >>> clf.network_
    Network([2, 3, 1], activations=['sigmoid', 'sigmoid'])
    >>> clf.score(X, y)
    0.975

    Inside a pipeline and a grid search:

    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> model = make_pipeline(StandardScaler(), LayerNetClassifier(random_state=0))
    >>> grid = {"layernetclassifier__alpha": [0.01, 1.0]}
    >>> search = GridSearchCV(model, grid, cv=3).fit(X, y)
    >>> search.best_params_
    {'layernetclassifier__alpha': 0.01}
    """

    def __init__(
        self,
        hidden_layer_sizes=(3,),
        activation="sigmoid",
        output="sigmoid",
        alpha=1e-3,
        solver="cg",
        max_iter=None,
        tol=None,
        learning_rate=1.0,
        momentum=0.0,
        random_state=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        options=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.output = output
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.options = options

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.target_tags.multi_output = False
        tags.target_tags.single_output = True
        return tags

    # -- fitting -------------------------------------------------------------------------------

    def fit(self, X, y):
        """Build a network for ``X`` and ``y`` and train it with :func:`layernet.train`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Finite numbers; a DataFrame's string column names become ``feature_names_in_``.
        y : array-like of shape (n_samples,)
            Class labels (ints, strings, ...), at least two distinct ones.

        Returns
        -------
        self : LayerNetClassifier
            Fitted.

        Raises
        ------
        ValueError
            Malformed input (scikit-learn's messages: NaN, wrong shapes, a continuous target);
            :class:`layernet.DataError` for a single class; :class:`layernet.LayerNetError`
            for a parameter out of range, naming it.
        """
        settings = self._checked_params()
        y = _plain_labels(y)
        X, y = _quietly(validate_data, self, X, y, dtype=np.float64, y_numeric=False)
        with np.errstate(invalid="ignore"):  # its integrality test casts labels beyond int64 (1e20)
            check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) < 2:
            raise DataError(
                f"{type(self).__name__} needs samples of at least 2 classes in y, "
                f"but y holds only one class: {classes.tolist()}"
            )
        n_outputs = 1 if len(classes) == 2 and self.output == "sigmoid" else len(classes)
        net = self._fit_network(X, y, n_outputs, self.output, settings, "classification", classes)
        self.classes_ = net.classes_
        return self

    # -- prediction ----------------------------------------------------------------------------

    def predict(self, X):
        """The predicted class of each sample: the most active output unit's label.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        X = self._validated(X)
        return self.network_.predict(X)

    def score(self, X, y, sample_weight=None):
        """Mean accuracy on ``X`` and ``y``, scikit-learn's ``ClassifierMixin.score``.

        ``y`` gets the label normalization ``fit`` gave its labels: integer labels held in an
        object array are ints here too (scikit-learn's metric would call them an unknown target).
        """
        return super().score(X, _plain_labels(y), sample_weight=sample_weight)

    def predict_proba(self, X):
        """Class probabilities, one column per class in the order of ``classes_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Rows sum to 1 (see :meth:`layernet.Network.predict_proba`).
        """
        X = self._validated(X)
        return self.network_.predict_proba(X)

    def predict_log_proba(self, X):
        """The logarithm of :meth:`predict_proba` (``-inf`` where a probability is exactly 0).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def decision_function(self, X):
        """The output layer's pre-activations (logits), which ``predict`` ranks.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            For two classes, one score per sample, positive for ``classes_[1]``: the output
            unit's ``z`` (sigmoid), or ``z1 - z0`` (softmax). Otherwise one column per class.
        """
        X = self._validated(X)
        net = self.network_
        # The same network with an identity output computes z itself; built on each call (it is
        # cheap), because an attribute cached here would change the fitted estimator's state.
        layers = [Layer(layer.n_in, layer.n_out, layer.activation) for layer in net.layers[:-1]]
        layers.append(Layer(net.layers[-1].n_in, net.n_outputs, "identity"))
        logits = Network(layers, dtype=net.dtype)
        logits.theta = net.theta
        z = logits.forward(X)
        if z.shape[1] == 1:
            return z[:, 0]
        if len(self.classes_) == 2:
            return z[:, 1] - z[:, 0]
        return z

    # -- internals -----------------------------------------------------------------------------

    def _checked_params(self) -> dict:
        if not (isinstance(self.output, str) and self.output in OUTPUTS):
            name = type(self).__name__
            raise LayerNetError(f"{name}: output must be one of {', '.join(OUTPUTS)}, got {self.output!r}")
        return super()._checked_params()


class LayerNetRegressor(RegressorMixin, _LayerNetEstimator):
    """A feed-forward neural network regressor, trained the course's way, for scikit-learn.

    The network is ``[n_features, *hidden_layer_sizes, n_outputs]`` with identity outputs, one
    per target column; it minimizes the course's squared error with the same optimizers as
    :class:`LayerNetClassifier`, whose parameters it shares (except ``output``)::

        J = 1/(2m) sum_i sum_k (a_ik - y_ik)**2 + alpha/(2m) sum(W**2)

    over the ``m`` samples and ``K`` outputs, biases excluded from the penalty.
    ``MLPRegressor`` divides its squared error by ``m K`` instead of ``m``: with one output the two
    costs are the same function, and with ``K`` outputs ``MLPRegressor(alpha=a)`` has the minima
    of ``LayerNetRegressor(alpha=K * a)``. Targets are used as given (not standardized), as
    ``MLPRegressor`` does; scale large targets yourself (``TransformedTargetRegressor``).

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int, default (10,)
        Units per hidden layer; ``()`` gives no hidden layer (linear least squares, ridge with
        ``alpha``).
    activation : str or Activation, default "tanh"
        The hidden layers' activation, a registered name.
    alpha : float or "auto", default 1e-3
        The course's lambda (see the cost above); ``"auto"``: chosen by the evidence, with the
        noise precision (:mod:`layernet.evidence`, as MATLAB's trainbr), ``alpha_`` the one reached.
    solver : {"cg", "lbfgs", "bfgs", "gd", "trust-krylov", "trust-ncg", "newton-cg", "lm"}, default "lbfgs"
        As for :class:`LayerNetClassifier`, and ``"lm"``: Levenberg-Marquardt with MATLAB
        trainlm's damping schedule (:mod:`layernet.lm`), for squared-error outputs only.
    max_iter, tol, learning_rate, momentum, random_state, options
        As for :class:`LayerNetClassifier`.
    early_stopping, validation_fraction, n_iter_no_change, warm_start
        As for :class:`LayerNetClassifier`; the split is not stratified, and the validation
        score is R² (as ``MLPRegressor``'s).

    Attributes
    ----------
    network_ : Network
        The trained network (``network_.task == "regression"``).
    n_outputs_ : int
        Target columns seen in ``fit``.
    n_iter_, alpha_, evidence_, loss_, loss_curve_, best_loss_, n_features_in_, feature_names_in_
        As for :class:`LayerNetClassifier`.
    validation_scores_, validation_loss_curve_, best_validation_score_, best_iteration_
        With ``early_stopping``, as for :class:`LayerNetClassifier`, the scores being R².

    Examples
    --------
    >>> from sklearn.datasets import make_friedman1
    >>> from layernet import LayerNetRegressor
    >>> X, y = make_friedman1(200, noise=0.5, random_state=0)
    >>> reg = LayerNetRegressor(hidden_layer_sizes=(8,), alpha=0.1, tol=1e-4, random_state=0).fit(X, y)
    >>> reg.network_
    Network([10, 8, 1], activations=['tanh', 'identity'])
    >>> round(reg.score(X, y), 2)
    0.99
    """

    def __init__(
        self,
        hidden_layer_sizes=(10,),
        activation="tanh",
        alpha=1e-3,
        solver="lbfgs",
        max_iter=None,
        tol=None,
        learning_rate=1.0,
        momentum=0.0,
        random_state=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        warm_start=False,
        options=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.alpha = alpha
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.random_state = random_state
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.warm_start = warm_start
        self.options = options

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # one identity unit per target column
        tags.target_tags.single_output = True
        return tags

    def fit(self, X, y):
        """Build a network for ``X`` and ``y`` and train it with :func:`layernet.train`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Finite numeric targets.

        Returns
        -------
        self : LayerNetRegressor
            Fitted.
        """
        settings = self._checked_params()
        X, y = _quietly(validate_data, self, X, y, dtype=np.float64, y_numeric=True, multi_output=True)
        Y = y.reshape(len(y), -1)
        self.n_outputs_ = Y.shape[1]
        self._fit_network(X, Y, Y.shape[1], "identity", settings, "regression")
        return self

    def predict(self, X):
        """The network's outputs for ``X``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            One column per target; 1-D for a single target, as scikit-learn's regressors return it.
        """
        X = self._validated(X)
        return self.network_.predict(X)


def _plain_labels(y):
    """``y`` with an object array of labels normalized as :func:`layernet.train` does it.

    scikit-learn calls integer labels held as objects an "unknown" target type; as ints they
    are plain classes (and a saved model keeps them as ints, not strings).
    """
    try:
        labels = np.asarray(y)
    except (TypeError, ValueError):
        return y  # scikit-learn's own validation says what is wrong
    return check_labels(labels) if labels.dtype == object and labels.ndim == 1 else y


def _quietly(validate, *args, **kwargs):
    """scikit-learn's validation without its numeric noise.

    Its finiteness test sums ``X`` first, which overflows (a RuntimeWarning) for finite
    features near 1e308 before it looks element by element; and an ``int`` too large for a
    float (``10**400`` in an object array) raises OverflowError. The first is silenced, the
    second said as a :class:`~layernet.DataError`.
    """
    try:
        with np.errstate(over="ignore", invalid="ignore"):
            return validate(*args, **kwargs)
    except OverflowError:
        raise DataError("X holds a number too large for float64 (an integer beyond 1.8e308)") from None


#: Estimator parameter -> the training option it sets (scikit-learn's names where they exist).
_AS_OPTIONS = {
    "alpha": "lambda_",
    "solver": "method",
    "max_iter": "max_iter",
    "tol": "tol",
    "learning_rate": "learning_rate",
    "momentum": "momentum",
    "validation_fraction": "validation_fraction",
    "n_iter_no_change": "patience",
}
