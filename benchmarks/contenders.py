"""The other side of each comparison: scikit-learn's MLP, the blog's formulation, PyTorch.

Each adapter evaluates or trains exactly the problem layernet does, from the same weights where
the library allows it. Parameters travel in layernet's flat layout (per layer ``(n_out, n_in + 1)``
row-major, bias in column 0) and are converted here.
"""

from __future__ import annotations

import inspect
import time
import warnings

import numpy as np


def layer_shapes(sizes):
    return [(n_out, n_in + 1) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


def unroll(theta, sizes):
    """Per-layer ``(n_out, n_in + 1)`` views of a flat layernet-layout vector."""
    out, start = [], 0
    for rows, cols in layer_shapes(sizes):
        out.append(theta[start : start + rows * cols].reshape(rows, cols))
        start += rows * cols
    return out


# -- the blog's formulation --------------------------------------------------------------------


def blog_cost_and_grad(theta, X, Y, sizes, hidden, lambda_):
    """The blog's ``nn(theta)`` written out for any depth: a column of ones concatenated to every
    layer's input, sigmoid as ``1 / (1 + exp(-z))``, the cost from ``log(a)`` and ``log(1 - a)``,
    deltas through the full theta (bias column included, then dropped), gradients re-rolled with
    ``concatenate``. Written here from the formulas; no code is taken from the post.
    """
    m = X.shape[0]
    thetas = unroll(theta, sizes)
    ones = np.ones((m, 1))

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-1 * z))

    def act(z):
        return sigmoid(z) if hidden == "sigmoid" else np.tanh(z)

    def act_grad(a):
        return a * (1 - a) if hidden == "sigmoid" else 1 - a**2

    inputs = [np.concatenate((ones, X), axis=1)]
    for th in thetas[:-1]:
        inputs.append(np.concatenate((ones, act(inputs[-1].dot(th.T))), axis=1))
    out = sigmoid(inputs[-1].dot(thetas[-1].T))
    J = np.sum(-Y * np.log(out) - (1 - Y) * np.log(1 - out)) / m
    J += (lambda_ / (2 * m)) * sum(np.sum(th[:, 1:] ** 2) for th in thetas)
    d = out - Y
    grads = [None] * len(thetas)
    for index in range(len(thetas) - 1, -1, -1):
        grads[index] = d.T.dot(inputs[index]) / m
        if lambda_ != 0:
            grads[index][:, 1:] += lambda_ / m * thetas[index][:, 1:]
        if index:
            d = (d.dot(thetas[index]) * act_grad(inputs[index]))[:, 1:]
    return J, np.concatenate([g.reshape(g.size) for g in grads])


# -- scikit-learn ------------------------------------------------------------------------------


class SklearnLoss:
    """scikit-learn's ``MLPClassifier`` L-BFGS objective (``_loss_grad_lbfgs``) on given weights.

    With one-hot targets the classifier is multi-label: logistic outputs and the summed binary
    log-loss, i.e. the course's cost; ``alpha`` is the course's lambda. The estimator is set up by a
    one-iteration fit on a few rows, then evaluated on the whole data with its own work lists.
    """

    def __init__(self, X, Y, sizes, hidden, lambda_):
        from sklearn.neural_network import MLPClassifier

        self.sizes = sizes
        self.X, self.Y = X, Y
        self.mlp = MLPClassifier(
            hidden_layer_sizes=tuple(sizes[1:-1]),
            activation="logistic" if hidden == "sigmoid" else hidden,
            solver="lbfgs",
            alpha=lambda_,
            max_iter=1,
            random_state=0,
        )
        rows = min(len(X), 64)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.mlp.fit(X[:rows], Y[:rows])
        n_layers = len(sizes)
        self.activations = [X] + [None] * (n_layers - 1)
        self.deltas = [None] * (n_layers - 1)
        self.coef_grads = [np.empty((a, b)) for a, b in zip(sizes[:-1], sizes[1:])]
        self.intercept_grads = [np.empty(b) for b in sizes[1:]]
        self._with_weights = "sample_weight" in inspect.signature(self.mlp._loss_grad_lbfgs).parameters

    def pack(self, theta):
        """layernet's flat layout -> scikit-learn's (all coefs ``(n_in, n_out)``, then all intercepts)."""
        thetas = unroll(theta, self.sizes)
        return np.concatenate([t[:, 1:].T.ravel() for t in thetas] + [t[:, 0] for t in thetas])

    def unpack_grad(self, packed):
        """scikit-learn's gradient layout -> layernet's flat layout."""
        coefs, intercepts, start = [], [], 0
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            coefs.append(packed[start : start + n_in * n_out].reshape(n_in, n_out))
            start += n_in * n_out
        for n_out in self.sizes[1:]:
            intercepts.append(packed[start : start + n_out])
            start += n_out
        return np.concatenate([np.column_stack([b, W.T]).ravel() for W, b in zip(coefs, intercepts)])

    def __call__(self, packed):
        if self._with_weights:
            return self.mlp._loss_grad_lbfgs(
                packed, self.X, self.Y, None, self.activations, self.deltas, self.coef_grads, self.intercept_grads
            )
        return self.mlp._loss_grad_lbfgs(  # scikit-learn < 1.7
            packed, self.X, self.Y, self.activations, self.deltas, self.coef_grads, self.intercept_grads
        )


def sklearn_train(X, y, hidden_sizes, activation, alpha, seed=0, **options):
    """Fit scikit-learn's MLPClassifier with L-BFGS as users run it (default threads)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    mlp = MLPClassifier(
        hidden_layer_sizes=tuple(hidden_sizes),
        activation=activation,
        solver="lbfgs",
        alpha=alpha,
        random_state=seed,
        **options,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start = time.perf_counter()
        mlp.fit(X, y)
        seconds = time.perf_counter() - start
    converged = mlp.n_iter_ < mlp.max_iter
    return mlp, {
        "seconds": seconds,
        "iterations": int(mlp.n_iter_),
        "evaluations": None,
        "cost": float(mlp.loss_),
        "status": "converged" if converged else "max_iter",
    }


# -- PyTorch -----------------------------------------------------------------------------------


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def torch_train(theta0, X, Y, sizes, hidden, lambda_, max_iter=15000, tol=1e-5):
    """PyTorch's L-BFGS (strong Wolfe line search, history 10 like scipy's) on layernet's objective:
    the same network, initial weights, cost (summed binary cross-entropy / m + lambda/(2m) sum W^2)
    and gradient tolerance. Default threads, as users run it."""
    import torch

    torch.manual_seed(0)
    m = X.shape[0]
    Xt = torch.as_tensor(X, dtype=torch.float64)
    Yt = torch.as_tensor(Y, dtype=torch.float64)
    params = []
    for th in unroll(np.asarray(theta0, dtype=float), sizes):
        params.append(torch.tensor(th[:, 1:].copy(), dtype=torch.float64, requires_grad=True))
        params.append(torch.tensor(th[:, 0].copy(), dtype=torch.float64, requires_grad=True))
    act = torch.sigmoid if hidden == "sigmoid" else torch.tanh
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    optimizer = torch.optim.LBFGS(
        params,
        lr=1,
        max_iter=max_iter,
        max_eval=max(15000, 2 * max_iter),
        tolerance_grad=tol,
        tolerance_change=1e-9,
        history_size=10,
        line_search_fn="strong_wolfe",
    )
    evaluations = 0

    def cost():
        a = Xt
        for index in range(0, len(params) - 2, 2):
            a = act(a @ params[index].T + params[index + 1])
        z = a @ params[-2].T + params[-1]
        J = bce(z, Yt, reduction="sum") / m
        return J + lambda_ / (2 * m) * sum((params[i] ** 2).sum() for i in range(0, len(params), 2))

    def closure():
        nonlocal evaluations
        evaluations += 1
        optimizer.zero_grad()
        J = cost()
        J.backward()
        return J

    start = time.perf_counter()
    optimizer.step(closure)
    seconds = time.perf_counter() - start
    state = optimizer.state[optimizer._params[0]]
    iterations = int(state.get("n_iter", 0))
    with torch.no_grad():
        final = float(cost())

    def predict(X_new):
        with torch.no_grad():
            h = torch.as_tensor(X_new, dtype=torch.float64)
            for index in range(0, len(params) - 2, 2):
                h = act(h @ params[index].T + params[index + 1])
            return (h @ params[-2].T + params[-1]).argmax(dim=1).numpy()

    status = "max_iter" if iterations >= max_iter else "converged"
    return predict, {
        "seconds": seconds,
        "iterations": iterations,
        "evaluations": evaluations,
        "cost": final,
        "status": status,
        "threads": torch.get_num_threads(),
    }
